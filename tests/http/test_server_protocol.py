# Go's answers to bad and unusual requests, byte for byte: 400 with its reasons, 431, 501, 505,
# 417, the Content-Length/Transfer-Encoding rules, obs-fold, bare LF, OPTIONS *, 100-continue.
from __future__ import annotations

import re
from typing import Any

import pytest

from gonet import net, sleep
from gonet.http import Request, ResponseWriter


def show(w: ResponseWriter, r: Request) -> None:
    data = r.body.read()
    w.header().set("Content-Type", "text/plain")
    lines = [f"{r.method} {r.request_uri} {r.proto} host={r.host} cl={r.content_length} close={r.close}"]
    lines += [f"{k}={'|'.join(r.header.values(k))}" for k in r.header]
    lines.append(f"body={data!r}")
    w.write("\n".join(lines).encode())


def error_response(code_and_text: bytes, body: bytes | None = None) -> bytes:
    return (
        b"HTTP/1.1 "
        + code_and_text
        + b"\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
        + (code_and_text if body is None else body)
    )


@pytest.mark.parametrize(
    ("request_bytes", "answer"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", b"400 Bad Request: missing required Host header"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", b"400 Bad Request: too many Host headers"),
        (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", b"400 Bad Request: malformed Host header"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", b"400 Bad Request: invalid header value"),
        (
            b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
            b"505 HTTP Version Not Supported: unsupported protocol version",
        ),
        (
            b"GET / HTTP/3.1\r\nHost: a\r\n\r\n",
            b"505 HTTP Version Not Supported: unsupported protocol version",
        ),
        (b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", b"400 Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n", b"400 Bad Request"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"400 Bad Request"),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            b"400 Bad Request",
        ),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", b"400 Bad Request"),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", b"400 Bad Request"),
    ],
)
def test_bad_requests_get_gos_answer_and_close(
    serve: Any, wire: Any, request_bytes: bytes, answer: bytes
) -> None:
    _, addr = serve(show)
    assert wire.exchange(addr, request_bytes + b"GET / HTTP/1.1\r\nHost: a\r\n\r\n") == error_response(answer)


def test_unsupported_transfer_encoding_is_501(serve: Any, wire: Any) -> None:
    _, addr = serve(show)
    out = wire.exchange(addr, b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
    assert out == error_response(b"501 Not Implemented", b"Unsupported transfer encoding")


def test_too_large_head_is_431(serve: Any, wire: Any) -> None:
    _, addr = serve(show, max_header_bytes=1000)
    big = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-Filler: " + b"f" * 6000 + b"\r\n\r\n"
    assert wire.exchange(addr, big) == error_response(b"431 Request Header Fields Too Large")


def test_head_just_under_the_limit_is_served(serve: Any, wire: Any) -> None:
    _, addr = serve(show, max_header_bytes=1000)
    head = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Filler: " + b"f" * 4500 + b"\r\n\r\n"
    assert wire.exchange(addr, head).startswith(b"HTTP/1.1 200 OK\r\n")


def test_too_long_request_line_is_431_not_414(serve: Any, wire: Any) -> None:
    _, addr = serve(show, max_header_bytes=1000)
    out = wire.exchange(addr, b"GET /" + b"a" * 8000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    assert out == error_response(b"431 Request Header Fields Too Large")


def test_requests_before_a_bad_one_are_answered_first(serve: Any, wire: Any) -> None:
    _, addr = serve(show)
    out = wire.exchange(addr, b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n\r\n")
    first, sep, rest = out.partition(b"HTTP/1.1 400")
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"GET /1 HTTP/1.1" in first
    assert sep + rest == error_response(b"400 Bad Request: missing required Host header")


def test_expect_other_than_100_continue_is_417(serve: Any, wire: Any) -> None:
    _, addr = serve(show)
    out = wire.exchange(addr, b"POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx")
    assert wire.no_date(out) == (
        b"HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nDate: X\r\nContent-Length: 0\r\n\r\n"
    )


def test_identical_content_lengths_are_merged(serve: Any, wire: Any) -> None:
    _, addr = serve(show)
    out = wire.exchange(
        addr,
        b"POST /m HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX-A: 1\r\nContent-Length: 3\r\n\r\nabc"
        b"GET /n HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    assert b"POST /m HTTP/1.1 host=a cl=3 close=False\nContent-Length=3\nX-A=1\nbody=b'abc'" in out
    assert b"GET /n HTTP/1.1" in out


def test_a_folded_content_length_is_a_400_not_endless_reparsing(serve: Any, wire: Any) -> None:
    # llhttp reports an obs-fold continuation of Content-Length as a duplicate Content-Length,
    # where the merge of identical duplicates sees one line: the merge must give up (400, as Go
    # answers "5 continued"), not parse the same bytes again forever (that recursed until the
    # stack overflowed: a segfault in the compiled build).
    _, addr = serve(show)
    out = wire.exchange(addr, b"POST /m HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n continued\r\n\r\nhello")
    assert out.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_transfer_encoding_with_content_length_reads_chunked_then_closes(serve: Any, wire: Any) -> None:
    _, addr = serve(show)
    out = wire.exchange(
        addr,
        b"POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
        b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
    )
    assert b"POST /s HTTP/1.1 host=a cl=-1 close=True" in out
    assert b"body=b'abc'" in out
    assert b"\r\nConnection: close\r\n" in out
    assert b"smuggled" not in out


def test_obs_fold_is_joined(serve: Any, wire: Any) -> None:
    _, addr = serve(show)
    out = wire.exchange(
        addr, b"GET / HTTP/1.1\r\nHost: a\r\nX-Fold: one\r\n two\r\nConnection: close\r\n\r\n"
    )
    assert b"\nX-Fold=one two\n" in out


def test_bare_lf_line_ends_are_accepted(serve: Any, wire: Any) -> None:
    _, addr = serve(show)
    out = wire.exchange(addr, b"GET /lf HTTP/1.1\nHost: a\nX-Y: z\nConnection: close\n\n")
    assert out.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"GET /lf HTTP/1.1 host=a" in out
    assert b"\nX-Y=z\n" in out


def test_absolute_form_target_sets_host_from_the_url(serve: Any, wire: Any) -> None:
    _, addr = serve(show)
    out = wire.exchange(
        addr, b"GET http://other.example/p?q=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    assert b"GET http://other.example/p?q=1 HTTP/1.1 host=other.example" in out


def test_http10_without_host_is_served(serve: Any, wire: Any) -> None:
    _, addr = serve(show)
    out = wire.exchange(addr, b"GET /old HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"GET /old HTTP/1.0 host= cl=0 close=True" in out


@pytest.mark.parametrize(
    ("request_bytes", "protos"),
    [
        # Pipelined in one segment: only the first head's request line was looked at.
        (b"GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.0\r\n\r\n", [b"HTTP/1.1", b"HTTP/1.0"]),
        (
            b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            [b"HTTP/1.0", b"HTTP/1.1"],
        ),
        # A request line ended by a bare LF, then a field whose value ends like a version.
        (b"GET /a HTTP/1.0\nX: HTTP/1.1\r\n\r\n", [b"HTTP/1.0"]),
        # A request line longer than the server scans for its version.
        (b"GET /" + b"x" * 300 + b" HTTP/1.0\r\n\r\n", [b"HTTP/1.0"]),
        (b"GET /" + b"x" * 300 + b" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", [b"HTTP/1.1"]),
    ],
)
def test_each_request_keeps_its_own_protocol_version(
    serve: Any, wire: Any, request_bytes: bytes, protos: list[bytes]
) -> None:
    _, addr = serve(show)
    out = wire.exchange(addr, request_bytes)
    assert re.findall(rb"(HTTP/1\.[01]) 200 OK\r\n", out) == protos  # the responses
    assert re.findall(rb"GET /\S* (HTTP/1\.[01]) host=", out) == protos  # what the handler saw


def test_field_values_seen_before_are_the_same_and_a_bad_one_stays_bad(serve: Any, wire: Any) -> None:
    _, addr = serve(show)
    good = b"GET / HTTP/1.1\r\nHost: a\r\nX-V: caf\xe9 1\r\nConnection: close\r\n\r\n"
    bad = b"GET / HTTP/1.1\r\nHost: a\r\nX-V: caf\xe9\x7f1\r\nConnection: close\r\n\r\n"
    for _ in range(2):  # the second time, the values are known
        assert "X-V=caf\xe9 1".encode() in wire.exchange(addr, good)
        assert wire.exchange(addr, bad).startswith(b"HTTP/1.1 400 Bad Request: invalid header value\r\n")


def test_expect_100_continue_is_sent_on_first_body_read(serve: Any, wire: Any) -> None:
    order: list[str] = []

    def handler(w: ResponseWriter, r: Request) -> None:
        order.append("handler")
        data = r.body.read()
        order.append("read " + data.decode())
        w.write(b"got " + data)

    _, addr = serve(handler)
    c = net.dial("tcp", addr)
    with c:
        c.write(b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        assert c.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        assert order == ["handler"]
        c.write(b"data")
        resp = wire.read_response(c)
        assert resp.endswith(b"\r\n\r\ngot data")
        assert b"Connection: close" not in resp
    assert order == ["handler", "read data"]


def test_expect_100_continue_not_read_answers_and_closes(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.write_header(403)

    _, addr = serve(handler)
    out = wire.exchange(
        addr, b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
    )
    assert wire.no_date(out) == (
        b"HTTP/1.1 403 Forbidden\r\nDate: X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )


def test_large_unread_body_closes_the_connection(serve: Any, wire: Any) -> None:
    _, addr = serve(lambda w, r: w.write(b"early"))
    body = b"z" * (300 << 10)
    c = net.dial("tcp", addr)
    with c:
        c.write(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body))
        c.write(body[:1000])
        resp = wire.read_response(c)
        assert b"\r\nConnection: close\r\n" in resp
        assert resp.endswith(b"early")


def test_body_ending_early_raises_unexpected_eof_in_the_handler(serve: Any) -> None:
    from gonet import Chan
    from gonet.io import ErrUnexpectedEOF

    got: Chan[Any] = Chan(1)

    def handler(w: ResponseWriter, r: Request) -> None:
        try:
            r.body.read()
        except ErrUnexpectedEOF as e:
            got.send(e)

    _, addr = serve(handler)
    c = net.dial("tcp", addr)
    c.write(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
    sleep(0.01)
    c.close()
    assert str(got.recv()) == "unexpected EOF"


def test_handler_writes_past_declared_length_get_err_content_length(serve: Any, wire: Any) -> None:
    from gonet.errors import ErrContentLength

    def handler(w: ResponseWriter, r: Request) -> None:
        w.header().set("Content-Length", "3")
        w.write(b"abc")
        with pytest.raises(ErrContentLength, match="wrote more than the declared Content-Length"):
            w.write(b"d")

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nDate: ")
    assert out.endswith(b"\r\nConnection: close\r\n\r\nabc")


def test_write_to_204_raises_body_not_allowed(serve: Any, wire: Any) -> None:
    from gonet.errors import ErrBodyNotAllowed

    def handler(w: ResponseWriter, r: Request) -> None:
        w.write_header(204)
        with pytest.raises(ErrBodyNotAllowed, match="does not allow body"):
            w.write(b"x")

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert wire.no_date(out) == b"HTTP/1.1 204 No Content\r\nDate: X\r\nConnection: close\r\n\r\n"


def test_options_star_is_answered_by_the_server_not_the_handler(serve: Any, wire: Any) -> None:
    # Go's globalOptionsHandler: the handler (here one that would answer 418) never sees it.
    def teapot(w: Any, r: Any) -> None:
        w.write_header(418)

    _, addr = serve(teapot)
    out = wire.exchange(addr, b"OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert wire.no_date(out) == (
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nDate: X\r\nConnection: close\r\n\r\n"
    )
    out = wire.exchange(addr, b"OPTIONS /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 418 I'm a teapot\r\n")

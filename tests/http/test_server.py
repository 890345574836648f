# The server's core, byte for byte: keep-alive, pipelining, request bodies (Content-Length and
# chunked), Go's Content-Length-or-chunked rule, HEAD, HTTP/1.0, Date, shutdown.
from __future__ import annotations

import re
from typing import Any

import pytest

from gonet import Chan, context, go, net, now, sleep
from gonet.errors import ErrServerClosed
from gonet.http import Request, ResponseWriter, Server


def hello(w: ResponseWriter, r: Request) -> None:
    w.header().set("Content-Type", "text/plain")
    w.write(b"hello " + r.url.path.encode())


def echo(w: ResponseWriter, r: Request) -> None:
    data = r.body.read()
    w.header().set("Content-Type", "application/octet-stream")
    w.header().set("X-Length", str(r.content_length))
    w.header().set("X-TE", ",".join(r.transfer_encoding))
    w.write(data)


def test_keep_alive_requests_get_content_length_and_date(serve: Any, wire: Any) -> None:
    _, addr = serve(hello)
    out = wire.exchange(
        addr,
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n" + b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert wire.no_date(out) == (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: X\r\nContent-Length: 8\r\n\r\nhello /a"
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: X\r\nContent-Length: 8\r\n"
        b"Connection: close\r\n\r\nhello /b"
    )


def test_one_connection_serves_requests_one_after_another(serve: Any, wire: Any) -> None:
    _, addr = serve(hello)
    c = net.dial("tcp", addr)
    with c:
        for i in range(5):
            c.write(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            resp = wire.read_response(c)
            assert resp.startswith(b"HTTP/1.1 200 OK\r\n")
            assert resp.endswith(b"\r\n\r\nhello /%d" % i)


def test_pipelined_requests_are_answered_in_order(serve: Any, wire: Any) -> None:
    _, addr = serve(hello)
    reqs = b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(20))
    out = wire.exchange(addr, reqs + b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    bodies = re.findall(rb"\r\n\r\n(hello /(?:\d+|last))", out)
    assert bodies == [b"hello /%d" % i for i in range(20)] + [b"hello /last"]


def test_post_with_content_length(serve: Any, wire: Any) -> None:
    _, addr = serve(echo)
    out = wire.exchange(
        addr, b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde"
    )
    assert wire.no_date(out) == (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nX-Length: 5\r\nX-Te: \r\n"
        b"Date: X\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde"
    )


def test_post_chunked_with_trailer(serve: Any, wire: Any) -> None:
    seen: list[Any] = []

    def handler(w: ResponseWriter, r: Request) -> None:
        data = r.body.read()
        assert r.trailer is not None
        seen.append((data, r.content_length, r.transfer_encoding, r.trailer.get("X-Sum")))
        w.write(b"ok")

    _, addr = serve(handler)
    out = wire.exchange(
        addr,
        b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-Sum: 7\r\n\r\n",
    )
    assert out.endswith(b"\r\n\r\nok")
    assert seen == [(b"abcdefg", -1, ["chunked"], "7")]


def test_body_read_in_small_pieces_across_reads(serve: Any, wire: Any) -> None:
    got: list[bytes] = []

    def handler(w: ResponseWriter, r: Request) -> None:
        while True:
            b = r.body.read(3)
            if not b:
                break
            got.append(b)
        w.write(b"done")

    _, addr = serve(handler)
    c = net.dial("tcp", addr)
    with c:
        c.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123")
        sleep(0.01)
        c.write(b"456789")
        assert wire.read_response(c).endswith(b"done")
    assert b"".join(got) == b"0123456789"
    assert max(len(g) for g in got) == 3


def test_unread_body_is_discarded_before_the_next_request(serve: Any, wire: Any) -> None:
    _, addr = serve(hello)
    out = wire.exchange(
        addr,
        b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"
        b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert re.findall(rb"hello /\w", out) == [b"hello /a", b"hello /b"]


def test_short_body_is_sent_with_content_length(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.header().set("Content-Type", "text/plain")
        w.write(b"x" * 1000)
        w.write(b"y" * 1048)  # exactly 2048: still one buffer

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"Content-Length: 2048" in head
    assert b"Transfer-Encoding" not in head
    assert body == b"x" * 1000 + b"y" * 1048


def test_long_body_is_sent_chunked(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.header().set("Content-Type", "text/plain")
        w.write(b"x" * 2000)
        w.write(b"y" * 100)
        w.write(b"z" * 10)

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert wire.no_date(out) == (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: X\r\nConnection: close\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        b"83e\r\n" + b"x" * 2000 + b"y" * 100 + b"z" * 10 + b"\r\n0\r\n\r\n"
    )


def test_flush_sends_the_head_and_makes_the_response_chunked(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.header().set("Content-Type", "text/plain")
        w.write(b"first")
        w.flush()
        w.write(b"second")

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert out.split(b"\r\n\r\n", 1)[1] == b"5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\n"


def test_declared_content_length_is_kept_and_not_chunked(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.header().set("Content-Length", "5000")
        w.write(b"a" * 3000)
        w.write(b"b" * 2000)

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"Content-Length: 5000\r\n" in head
    assert b"chunked" not in head
    assert body == b"a" * 3000 + b"b" * 2000


def test_content_type_is_sniffed_when_unset(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.write(b"<html><body>hi</body></html>")

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b"\r\nContent-Type: text/html; charset=utf-8\r\n" in out


def test_empty_response_has_content_length_zero_and_no_content_type(serve: Any, wire: Any) -> None:
    _, addr = serve(lambda w, r: None)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert (
        wire.no_date(out) == b"HTTP/1.1 200 OK\r\nDate: X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )


def test_head_gets_the_length_but_no_body(serve: Any, wire: Any) -> None:
    _, addr = serve(hello)
    out = wire.exchange(
        addr,
        b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert wire.no_date(out) == (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: X\r\nContent-Length: 8\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: X\r\nContent-Length: 8\r\n"
        b"Connection: close\r\n\r\nhello /g"
    )


def test_status_and_headers_are_written(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.header().add("X-Multi", "a")
        w.header().add("X-Multi", "b")
        w.header().set("X-Evil", "line1\r\nInjected: yes")
        w.write_header(201)
        w.write(b"made")

    _, addr = serve(handler)
    out = wire.exchange(addr, b"PUT /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert wire.no_date(out) == (
        b"HTTP/1.1 201 Created\r\nX-Multi: a\r\nX-Multi: b\r\nX-Evil: line1  Injected: yes\r\n"
        b"Date: X\r\nContent-Length: 4\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nmade"
    )


def test_no_content_and_not_modified_have_no_body_headers(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.header().set("Content-Type", "text/plain")
        w.write_header(204 if r.url.path == "/204" else 304)

    _, addr = serve(handler)
    out = wire.exchange(
        addr, b"GET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert wire.no_date(out) == (
        b"HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\nDate: X\r\n\r\n"
        b"HTTP/1.1 304 Not Modified\r\nDate: X\r\nConnection: close\r\n\r\n"
    )


def test_http10_closes_without_a_connection_header(serve: Any, wire: Any) -> None:
    _, addr = serve(hello)
    out = wire.exchange(addr, b"GET /a HTTP/1.0\r\n\r\n")
    assert wire.no_date(out) == (
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nDate: X\r\nContent-Length: 8\r\n\r\nhello /a"
    )


def test_http10_keep_alive_only_when_asked(serve: Any, wire: Any) -> None:
    _, addr = serve(hello)
    out = wire.exchange(addr, b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n")
    assert wire.no_date(out) == (
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nDate: X\r\nContent-Length: 8\r\n"
        b"Connection: keep-alive\r\n\r\nhello /a"
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nDate: X\r\nContent-Length: 8\r\n\r\nhello /b"
    )


def test_http10_long_body_is_delimited_by_close(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.header().set("Content-Type", "text/plain")
        w.write(b"q" * 5000)

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert wire.no_date(out) == (
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nDate: X\r\n\r\n" + b"q" * 5000
    )


def test_request_fields(serve: Any, wire: Any) -> None:
    seen: list[Any] = []

    def handler(w: ResponseWriter, r: Request) -> None:
        seen.append(
            (
                r.method,
                r.url.path,
                r.url.raw_query,
                r.request_uri,
                r.proto,
                r.host,
                r.header.get("X-A"),
                "Host" in r.header,
                r.content_length,
                r.close,
                r.remote_addr.startswith("127.0.0.1:"),
            )
        )

    _, addr = serve(handler)
    wire.exchange(
        addr, b"GET /p%20q?x=1&y=2 HTTP/1.1\r\nHost: example.com:8080\r\nx-a: v\r\nConnection: close\r\n\r\n"
    )
    assert seen == [
        (
            "GET",
            "/p q",
            "x=1&y=2",
            "/p%20q?x=1&y=2",
            "HTTP/1.1",
            "example.com:8080",
            "v",
            False,
            0,
            True,
            True,
        )
    ]


def test_date_header_names_the_current_time(serve: Any, wire: Any) -> None:
    import email.utils
    import time

    _, addr = serve(hello)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    m = re.search(rb"\r\nDate: ([^\r]+)\r\n", out)
    assert m is not None
    when = email.utils.parsedate_to_datetime(m.group(1).decode()).timestamp()
    assert abs(when - time.time()) < 5


# -- shutdown ---------------------------------------------------------------------------------------


def test_shutdown_makes_serve_raise_server_closed() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    srv = Server(handler=hello)
    result: Chan[Any] = Chan(1)

    def run() -> None:
        try:
            srv.serve(ln)
        except ErrServerClosed as e:
            result.send(e)

    go(run)
    sleep(0.01)
    srv.shutdown()
    err = result.recv()
    assert isinstance(err, ErrServerClosed)
    assert str(err) == "http: Server closed"
    with pytest.raises(ErrServerClosed, match="http: Server closed"):
        srv.listen_and_serve()


def test_shutdown_waits_for_the_request_in_flight(serve: Any, wire: Any) -> None:
    started: Chan[None] = Chan(1)

    def slow(w: ResponseWriter, r: Request) -> None:
        started.send(None)
        sleep(0.05)
        w.write(b"finished")

    srv, addr = serve(slow)
    out: Chan[bytes] = Chan(1)
    go(lambda: out.send(wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")))
    started.recv()
    t0 = now()
    srv.shutdown()
    assert now() - t0 >= 0.04
    resp = out.recv()
    assert resp.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close\r\n" in resp
    assert resp.endswith(b"\r\n\r\nfinished")


def test_shutdown_closes_idle_connections(serve: Any, wire: Any) -> None:
    srv, addr = serve(hello)
    c = net.dial("tcp", addr)
    with c:
        c.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wire.read_response(c).endswith(b"hello /")
        srv.shutdown()
        c.set_deadline(now() + 5)
        assert c.recv(10) == b""


def test_shutdown_context_bounds_the_wait(serve: Any) -> None:
    release: Chan[None] = Chan()

    def stuck(w: ResponseWriter, r: Request) -> None:
        release.recv()

    srv, addr = serve(stuck)
    c = net.dial("tcp", addr)
    with c:
        c.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        sleep(0.01)
        ctx, cancel = context.with_timeout(context.background(), 0.05)
        with pytest.raises(TimeoutError, match="context deadline exceeded"):
            srv.shutdown(ctx)
        cancel()
        release.close()


def test_register_on_shutdown_runs_the_function(serve: Any) -> None:
    srv, _ = serve(hello)
    called: Chan[str] = Chan(1)
    srv.register_on_shutdown(lambda: called.send("yes"))
    srv.shutdown()
    assert called.recv() == "yes"


def test_request_too_large_closes_after_the_response(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.request_too_large()  # type: ignore[attr-defined]
        w.write_header(413)

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert wire.no_date(out) == (
        b"HTTP/1.1 413 Request Entity Too Large\r\nConnection: close\r\nDate: X\r\nContent-Length: 0\r\n\r\n"
    )


def test_request_too_large_after_the_head_still_closes(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.write_header(200)
        w.request_too_large()  # type: ignore[attr-defined]
        w.write(b"partial")

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out.count(b"HTTP/1.1 200 OK") == 1
    assert out.endswith(b"\r\nConnection: close\r\n\r\npartial")


SERVE_AT_THE_BOTTOM = """
import os
from gonet import go, net, sleep
from gonet.http import Server

def hello(w, r):
    w.write(b"hello " + r.url.path.encode())

ln = net.listen("tcp", "127.0.0.1:0")
go(Server(handler=hello).serve, ln)  # serve() is the goroutine's first function
c = net.dial("tcp", str(ln.addr()))
c.write(b"GET /g HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
out = b""
while True:
    chunk = c.recv(1000)
    if not chunk:
        break
    out += chunk
print(out.split(b"\\r\\n\\r\\n", 1)[1].decode(), flush=True)
os._exit(0)
"""


def test_serve_as_the_goroutine_itself() -> None:
    # In the compiled build no Python frame sits above the go() that serve() calls for each
    # connection when serve() itself is the goroutine's function.
    import subprocess
    import sys

    from helpers import SUB_ENV

    out = subprocess.run(
        [sys.executable, "-c", SERVE_AT_THE_BOTTOM], capture_output=True, text=True, env=SUB_ENV, timeout=60
    )
    assert out.stdout == "hello /g\n", out.stderr

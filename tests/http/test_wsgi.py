"""http.wsgi against a recording ResponseWriter: the environ, start_response, the write()
callable, iteration with flushes, close(), file_wrapper via read_from, errors (PEP 3333)."""

from __future__ import annotations

import io
import logging
import sys
from typing import Any

import pytest

from gonet import http
from gonet.errors import ErrBodyNotAllowed
from gonet.http._request import BytesBody
from gonet.net.url import parse_request_uri


class FakeWriter:
    """Records what a handler does to its ResponseWriter, in order."""

    def __init__(self, *, head: bool = False, fail_write: bool = False, has_read_from: bool = True) -> None:
        self.h = http.Header()
        self.events: list[tuple[str, Any]] = []
        self.code = 0
        self.head = head
        self.fail_write = fail_write
        if not has_read_from:
            self.read_from = None  # type: ignore[assignment]

    def header(self) -> http.Header:
        return self.h

    def write_header(self, code: int) -> None:
        assert self.code == 0, "write_header called twice"
        self.code = code
        self.events.append(("status", code))

    def write(self, data: bytes) -> int:
        if self.code == 0:
            self.write_header(200)
        if self.head:
            raise ErrBodyNotAllowed()
        if self.fail_write:
            raise BrokenPipeError(32, "Broken pipe")
        self.events.append(("write", bytes(data)))
        return len(data)

    def flush(self) -> None:
        self.events.append(("flush", None))

    def read_from(self, src: Any) -> int:
        data = src.read()
        self.events.append(("read_from", data))
        return len(data)

    def body(self) -> bytes:
        return b"".join(v for k, v in self.events if k in ("write", "read_from"))


def make_request(
    target: str = "/",
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    *,
    host: str = "example.com:8080",
    chunked: bool = False,
) -> http.Request:
    r = http.Request(method, parse_request_uri(target), http.Header(headers or {}))
    r.host = host
    r.remote_addr = "127.0.0.1:50000"
    r.request_uri = target
    if body is not None:
        r.body = BytesBody(body)
        if chunked:
            r.content_length = -1
            r.transfer_encoding = ["chunked"]
        else:
            r.content_length = len(body)
            r.header.set("Content-Length", str(len(body)))
    return r


def run(app: Any, r: http.Request | None = None, **kw: Any) -> FakeWriter:
    w = FakeWriter(**kw)
    http.wsgi(app)(w, r or make_request())
    return w


def capture_environ(r: http.Request, **wsgi_kw: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    http.wsgi(app, **wsgi_kw)(FakeWriter(), r)
    return seen


# -- environ ------------------------------------------------------------------------------------


def test_environ_cgi_variables() -> None:
    r = make_request(
        "/a/b%20c?x=1&y=%202",
        "POST",
        {"Content-Type": "text/plain", "Accept": "a", "X-Custom": "v"},
        body=b"hello",
    )
    r.header.add("Accept", "b")
    env = capture_environ(r)
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/a/b c"
    assert env["QUERY_STRING"] == "x=1&y=%202"
    assert env["SERVER_NAME"] == "example.com"
    assert env["SERVER_PORT"] == "8080"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["REMOTE_PORT"] == "50000"
    assert env["REQUEST_URI"] == "/a/b%20c?x=1&y=%202"
    assert env["CONTENT_TYPE"] == "text/plain"
    assert env["CONTENT_LENGTH"] == "5"
    assert env["HTTP_HOST"] == "example.com:8080"
    assert env["HTTP_ACCEPT"] == "a, b"
    assert env["HTTP_X_CUSTOM"] == "v"
    assert "HTTP_CONTENT_TYPE" not in env
    assert "HTTP_CONTENT_LENGTH" not in env
    assert env["wsgi.version"] == (1, 0)
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.multithread"] is False
    assert env["wsgi.multiprocess"] is False
    assert env["wsgi.run_once"] is False
    assert env["wsgi.errors"] is sys.stderr
    assert env["wsgi.file_wrapper"] is http.FileWrapper
    assert env["gonet.request"] is r


def test_environ_path_info_is_latin1_of_the_raw_bytes() -> None:
    env = capture_environ(make_request("/caf%C3%A9/%FF"))
    assert env["PATH_INFO"] == "/caf\u00c3\u00a9/\u00ff"
    assert env["PATH_INFO"].encode("latin-1") == b"/caf\xc3\xa9/\xff"


def test_environ_default_port_ipv6_host_and_scheme() -> None:
    env = capture_environ(make_request("/", host="[::1]"))
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("::1", "80")
    r = make_request("/", host="example.com")
    r.tls = object()  # type: ignore[assignment]
    env = capture_environ(r)
    assert (env["SERVER_NAME"], env["SERVER_PORT"], env["wsgi.url_scheme"]) == ("example.com", "443", "https")
    r = make_request("/", host="")
    r.remote_addr = "[::1]:4242"
    env = capture_environ(r)
    assert (env["SERVER_NAME"], env["REMOTE_ADDR"], env["REMOTE_PORT"]) == ("localhost", "::1", "4242")
    assert "HTTP_HOST" not in env


def test_environ_script_name_strips_the_mount_point() -> None:
    env = capture_environ(make_request("/app/x/y"), script_name="/app/")
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/app", "/x/y")
    env = capture_environ(make_request("/application"), script_name="/app")
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/app", "/application")


def test_environ_drops_header_names_with_underscores() -> None:
    r = make_request("/", headers={"X-Forwarded-For": "1.2.3.4"})
    r.header._m["X_Forwarded_For"] = ["6.6.6.6"]
    env = capture_environ(r)
    assert env["HTTP_X_FORWARDED_FOR"] == "1.2.3.4"


def test_environ_content_length_absent_for_chunked_and_bodiless() -> None:
    env = capture_environ(make_request("/", "POST", body=b"abc", chunked=True))
    assert "CONTENT_LENGTH" not in env
    assert env["wsgi.input_terminated"] is True
    env = capture_environ(make_request("/"))
    assert "CONTENT_LENGTH" not in env


# -- wsgi.input -------------------------------------------------------------------------------


class TrickleBody:
    """A body that hands out at most 3 bytes per read, counting reads."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reads = 0

    def read(self, n: int = -1) -> bytes:
        self.reads += 1
        n = 3 if n < 0 else min(n, 3)
        out, self.data = self.data[:n], self.data[n:]
        return out

    def readinto(self, buf: Any) -> int:
        raise AssertionError("not used")

    def close(self) -> None:
        pass


def input_of(body: Any) -> Any:
    r = make_request("/", "POST")
    r.body = body
    r.content_length = -1
    return capture_environ(r)["wsgi.input"]


def test_input_read_sizes_across_short_body_reads() -> None:
    inp = input_of(TrickleBody(b"0123456789"))
    assert inp.read(0) == b""
    assert inp.read(4) == b"0123"
    assert inp.read(5) == b"45678"
    assert inp.read(100) == b"9"
    assert inp.read(1) == b""
    assert inp.read() == b""


def test_input_read_all_and_none() -> None:
    assert input_of(TrickleBody(b"abcdefgh")).read() == b"abcdefgh"
    assert input_of(TrickleBody(b"abcdefgh")).read(None) == b"abcdefgh"


def test_input_readline_readlines_and_iteration() -> None:
    data = b"one\ntwo\n\nthree-is-long\nlast"
    inp = input_of(TrickleBody(data))
    assert inp.readline() == b"one\n"
    assert inp.readline(2) == b"tw"
    assert inp.readline() == b"o\n"
    assert inp.readline() == b"\n"
    assert inp.readline(5) == b"three"
    assert inp.readlines() == [b"-is-long\n", b"last"]
    assert inp.readline() == b""
    assert list(input_of(TrickleBody(data))) == [b"one\n", b"two\n", b"\n", b"three-is-long\n", b"last"]
    assert input_of(TrickleBody(data)).readlines(5) == [b"one\n", b"two\n"]


def test_input_streams_instead_of_reading_everything() -> None:
    body = TrickleBody(b"x" * 1000)
    inp = input_of(body)
    assert inp.read(2) == b"xx"
    assert body.reads == 1
    assert len(body.data) == 997


# -- responses --------------------------------------------------------------------------------


def test_list_result_is_written_at_once_without_flush() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response(
            "201 Created", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
        )
        return [b"hello, ", b"", b"world"]

    w = run(app)
    assert w.events == [("status", 201), ("write", b"hello, world")]
    assert w.h.values("Set-Cookie") == ["a=1", "b=2"]
    assert w.h.get("Content-Type") == "text/plain"


def test_generator_without_length_is_flushed_after_each_block() -> None:
    order: list[str] = []

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/event-stream")])

        def gen() -> Any:
            order.append("first")
            yield b"a"
            order.append("second")
            yield b""
            yield b"b"

        return gen()

    w = run(app)
    assert w.events == [("status", 200), ("write", b"a"), ("flush", None), ("write", b"b"), ("flush", None)]


def test_generator_with_content_length_is_not_flushed() -> None:
    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", "2")])
        yield b"a"
        yield b"b"

    w = run(app)
    assert w.events == [("status", 200), ("write", b"a"), ("write", b"b")]
    assert w.h.get("Content-Length") == "2"


def test_headers_wait_for_the_first_non_empty_block() -> None:
    seen: list[int] = []
    w = FakeWriter()

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [])
        yield b""
        seen.append(w.code)
        yield b"x"

    http.wsgi(app)(w, make_request())
    assert seen == [0]
    assert w.code == 200


def test_empty_body_sends_headers_at_the_end() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("204 No Content", [("X-A", "1")])
        return []

    w = run(app)
    assert w.events == [("status", 204)]
    assert w.h.get("X-A") == "1"


def test_write_callable_sends_and_flushes_then_iterable_follows() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"one ")
        write(b"")
        write(b"two ")
        return [b"three"]

    w = run(app)
    assert w.events == [
        ("status", 200),
        ("write", b"one "),
        ("flush", None),
        ("write", b"two "),
        ("flush", None),
        ("write", b"three"),
    ]


def test_close_called_once_on_success_and_on_errors() -> None:
    closed: list[str] = []

    class Result:
        def __init__(self, blocks: list[Any]) -> None:
            self.blocks = blocks

        def __iter__(self) -> Any:
            for b in self.blocks:
                if isinstance(b, Exception):
                    raise b
                yield b

        def close(self) -> None:
            closed.append("closed")

    def make(blocks: list[Any]) -> Any:
        def app(environ: Any, start_response: Any) -> Result:
            start_response("200 OK", [])
            return Result(blocks)

        return app

    run(make([b"a"]))
    assert closed == ["closed"]
    run(make([ValueError("before the headers")]))
    assert closed == ["closed"] * 2
    with pytest.raises(ValueError, match="after the headers"):
        run(make([b"a", ValueError("after the headers")]))
    assert closed == ["closed"] * 3
    run(make([b"a", b"b"]), fail_write=True)  # the client went away
    assert closed == ["closed"] * 4


def test_app_error_before_headers_is_a_logged_500(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("X-Lost", "1")])
        raise KeyError("boom")

    with caplog.at_level(logging.ERROR, logger="gonet.http"):
        w = run(app, make_request("/x?q"))
    assert w.events == [("status", 500), ("write", b"Internal Server Error\n")]
    assert w.h.get("Connection") == "close"
    assert "X-Lost" not in w.h
    assert caplog.records[0].getMessage() == "wsgi: error in app serving GET /x?q for 127.0.0.1:50000"
    assert caplog.records[0].exc_info is not None
    assert caplog.records[0].exc_info[0] is KeyError


def test_start_response_with_exc_info_replaces_unsent_headers() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("X-First", "1")])
        try:
            raise RuntimeError("oops")
        except RuntimeError:
            start_response("503 Service Unavailable", [("X-Second", "2")], sys.exc_info())
        return [b"sorry"]

    w = run(app)
    assert w.events == [("status", 503), ("write", b"sorry")]
    assert "X-First" not in w.h
    assert w.h.get("X-Second") == "2"


def test_start_response_with_exc_info_after_headers_reraises() -> None:
    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [])
        yield b"partial"
        try:
            raise RuntimeError("late failure")
        except RuntimeError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        yield b"never"

    with pytest.raises(RuntimeError, match="late failure"):
        run(app)


@pytest.mark.parametrize(
    ("status", "headers", "exc", "msg"),
    [
        ("200", [], ValueError, r"wsgi: malformed status '200'"),
        ("200 OK\r\nX: y", [], ValueError, "wsgi: malformed status"),
        (
            "103 Early Hints",
            [],
            ValueError,
            r"wsgi: malformed status '103 Early Hints' \(want e.g. '200 OK'; no 1xx\)",
        ),
        (b"200 OK", [], TypeError, "wsgi: status must be str, not bytes"),
        ("200 OK", (("A", "b"),), TypeError, "wsgi: headers must be a list, not tuple"),
        ("200 OK", [("A", b"b")], TypeError, "wsgi: header name and value must be str"),
        ("200 OK", [("A",)], TypeError, r"wsgi: each header must be a \(name, value\) tuple"),
        ("200 OK", [("Connection", "close")], ValueError, "wsgi: hop-by-hop header 'Connection' not allowed"),
        ("200 OK", [("transfer-encoding", "chunked")], ValueError, "hop-by-hop header 'transfer-encoding'"),
        ("200 OK", [("Content-Length", "ten")], ValueError, "wsgi: invalid Content-Length 'ten'"),
    ],
)
def test_start_response_refuses_bad_arguments(status: Any, headers: Any, exc: type, msg: str) -> None:
    got: list[BaseException] = []

    def app(environ: Any, start_response: Any) -> list[bytes]:
        try:
            start_response(status, headers)
        except Exception as e:  # noqa: BLE001 - recorded for the assertion below
            got.append(e)
            raise
        return []

    w = run(app)
    assert w.code == 500
    with pytest.raises(exc, match=msg):
        raise got[0]


def test_start_response_twice_without_exc_info() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        start_response("200 OK", [])
        return []

    w = FakeWriter()
    h = http.wsgi(app)
    h(w, make_request())
    assert w.code == 500


def test_non_bytes_block_is_an_error() -> None:
    def app(environ: Any, start_response: Any) -> list[Any]:
        start_response("200 OK", [])
        return ["text"]

    assert run(app).code == 500


def test_head_stops_at_the_refused_body() -> None:
    pulled: list[int] = []

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", "6")])
        for i in range(3):
            pulled.append(i)
            yield b"ab"

    w = run(app, make_request("/", "HEAD"), head=True)
    assert w.events == [("status", 200)]
    assert pulled == [0]


# -- file_wrapper -------------------------------------------------------------------------------


def test_file_wrapper_regular_file_goes_through_read_from(tmp_path: Any) -> None:
    p = tmp_path / "f.bin"
    p.write_bytes(b"0123456789")
    f = open(p, "rb")  # noqa: SIM115 - closed by the handler through FileWrapper.close
    f.seek(3)

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](f, 4)

    w = run(app)
    assert w.events == [("status", 200), ("flush", None), ("read_from", b"3456789")]
    assert w.h.get("Content-Length") == "7"
    assert f.closed


def test_file_wrapper_head_sends_no_file(tmp_path: Any) -> None:
    p = tmp_path / "f.bin"
    p.write_bytes(b"0123456789")
    f = open(p, "rb")  # noqa: SIM115 - closed by the handler through FileWrapper.close

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [])
        return environ["wsgi.file_wrapper"](f)

    w = run(app, make_request("/", "HEAD"))
    assert w.events == [("status", 200)]
    assert w.h.get("Content-Length") == "10"
    assert f.closed


def test_file_wrapper_falls_back_to_blocks(tmp_path: Any) -> None:
    p = tmp_path / "f.bin"
    p.write_bytes(b"0123456789")

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [])
        return environ["wsgi.file_wrapper"](open(p, "rb"), 4)  # noqa: SIM115 - closed by the handler

    w = run(app, has_read_from=False)
    assert w.body() == b"0123456789"
    assert [k for k, _ in w.events].count("write") == 3

    buf = io.BytesIO(b"not a file")

    def app2(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [])
        return environ["wsgi.file_wrapper"](buf)

    w = run(app2)
    assert w.body() == b"not a file"
    assert buf.closed


def test_file_wrapper_honours_a_shorter_content_length(tmp_path: Any) -> None:
    p = tmp_path / "f.bin"
    p.write_bytes(b"0123456789")

    def app(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", "4")])
        return environ["wsgi.file_wrapper"](open(p, "rb"), 4)  # noqa: SIM115 - closed by the handler

    w = run(app)
    assert "read_from" not in [k for k, _ in w.events]
    assert w.body().startswith(b"0123")


def test_repeated_cookie_headers_join_with_semicolons() -> None:
    r = make_request("/")
    r.header.add("Cookie", "a=1")
    r.header.add("Cookie", "b=2")
    assert capture_environ(r)["HTTP_COOKIE"] == "a=1; b=2"


def test_bytes_result_is_named_as_the_bug() -> None:
    got: list[BaseException] = []

    class Log(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            assert record.exc_info is not None
            got.append(record.exc_info[1])  # type: ignore[arg-type]

    log = logging.getLogger("test_wsgi.bytes")
    log.addHandler(Log())
    log.propagate = False

    def app(environ: Any, start_response: Any) -> bytes:
        start_response("200 OK", [])
        return b"hello"

    def silent(environ: Any, start_response: Any) -> list[bytes]:
        return []

    for a in (app, silent):
        w = FakeWriter()
        http.wsgi(a, error_log=log)(w, make_request())
        assert w.code == 500
    with pytest.raises(
        TypeError, match=r"wsgi: the app returned bytes, not an iterable of bytes \(return \[body\]\)"
    ):
        raise got[0]
    with pytest.raises(
        RuntimeError, match="wsgi: the app did not call start_response before its body or its end"
    ):
        raise got[1]


def test_large_list_result_is_written_block_by_block() -> None:
    big = [b"a" * 40000, b"", b"b" * 40000]

    def app(environ: Any, start_response: Any) -> tuple[bytes, ...]:
        start_response("200 OK", [])
        return tuple(big)

    w = run(app)
    assert w.events == [("status", 200), ("write", big[0]), ("write", big[2])]


def test_list_with_a_non_bytes_block_writes_the_blocks_before_it_then_fails() -> None:
    def app(environ: Any, start_response: Any) -> list[Any]:
        start_response("200 OK", [])
        return [b"ok", "text"]

    with pytest.raises(TypeError, match="wsgi: the app yielded str, not bytes"):
        run(app)


def test_hop_by_hop_header_is_refused_every_time() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Keep-Alive", "timeout=5")])
        return [b"x"]

    assert [run(app).code for _ in range(3)] == [500, 500, 500]


def test_app_headers_reach_the_writer_canonicalised_and_in_order() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response(
            "200 OK", [("x-trace", "1"), ("content-length", "3"), ("X-TRACE", "2"), ("content-type", "a/b")]
        )
        return [b"abc"]

    w = run(app)
    assert w.h._m == {"X-Trace": ["1", "2"], "Content-Length": ["3"], "Content-Type": ["a/b"]}
    assert w.events == [("status", 200), ("write", b"abc")]

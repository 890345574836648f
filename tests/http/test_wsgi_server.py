"""http.wsgi end to end: real gonet servers on 127.0.0.1, stdlib http.client (in a plain
thread) and raw sockets as clients; wsgiref.validate, a Flask app and a Django app."""

from __future__ import annotations

import http.client as httpclient
import json
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.validate import WSGIWarning, validator

import pytest
from helpers import spawn

import gonet
from gonet import Chan, http, net
from gonet.bufio import Reader

# -- harness ------------------------------------------------------------------------------------


@contextmanager
def serving(handler: Any, **kw: Any) -> Iterator[str]:
    """Serve handler on 127.0.0.1:0 with a real http.Server; yield "ip:port"; close it after."""
    ln = net.listen("tcp", "127.0.0.1:0")
    srv = http.Server(handler=handler, **kw)
    fut = spawn(srv.serve, ln)
    try:
        yield str(ln.addr())
    finally:
        srv.close()
        assert isinstance(fut.exception(), http.ErrServerClosed)


class Reply:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def get(self, name: str) -> str | None:
        vs = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(vs) if vs else None


def _fetch(addr: str, method: str, path: str, body: Any, headers: dict[str, str]) -> Reply:
    host, port = addr.rsplit(":", 1)
    c = httpclient.HTTPConnection(host, int(port), timeout=20)
    try:
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        return Reply(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def fetch(addr: str, path: str = "/", method: str = "GET", body: Any = None, **headers: str) -> Reply:
    """One request with the stdlib client, in a plain thread (this goroutine parks meanwhile)."""
    hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
    return gonet.run_in_thread(_fetch, addr, method, path, body, hdrs)


def raw_conn(addr: str) -> tuple[net.Conn, Reader]:
    c = net.dial("tcp", addr)
    c.set_deadline(gonet.now() + 20)
    return c, Reader(c)


def read_head(rd: Reader) -> list[bytes]:
    lines = []
    while (line := rd.read_bytes(b"\n")) != b"\r\n":
        lines.append(line.rstrip(b"\r\n"))
    return lines


def read_chunk(rd: Reader) -> bytes:
    size = int(rd.read_bytes(b"\n").strip(), 16)
    data = bytearray()
    while len(data) < size + 2:
        buf = bytearray(size + 2 - len(data))
        n = rd.read(buf)
        assert n, "EOF inside a chunk"
        data += buf[:n]
    return bytes(data[:size])


# -- apps -------------------------------------------------------------------------------------


def hello_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello, ", environ["PATH_INFO"].encode("latin-1")]


def echo_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    inp = environ["wsgi.input"]
    first = inp.readline()
    rest = inp.read()
    out = json.dumps(
        {
            "first": first.decode("latin-1"),
            "rest_len": len(rest),
            "rest_tail": rest[-10:].decode("latin-1"),
            "content_length": environ.get("CONTENT_LENGTH"),
            "content_type": environ.get("CONTENT_TYPE"),
            "query": environ["QUERY_STRING"],
            "accept": environ.get("HTTP_ACCEPT"),
            "host": environ["SERVER_NAME"] + ":" + environ["SERVER_PORT"],
            "remote": environ["REMOTE_ADDR"],
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]


# -- the adapter on a real server ---------------------------------------------------------------


def test_short_list_response_gets_content_length() -> None:
    with serving(http.wsgi(hello_app)) as addr:
        r = fetch(addr, "/gonet")
    assert r.status == 200
    assert r.body == b"hello, /gonet"
    assert r.get("Content-Length") == "13"
    assert r.get("Content-Type") == "text/plain"
    assert r.get("Transfer-Encoding") is None
    assert r.get("Date") is not None


# -- Content-Length of a list response ---------------------------------------------------------


def _wire(addr: str, data: bytes) -> bytes:
    c = net.dial("tcp", addr)
    c.set_deadline(gonet.now() + 20)
    with c:
        c.write(data)
        out = bytearray()
        while chunk := c.recv(65536):
            out += chunk
    return bytes(out)


def _heads(out: bytes) -> list[list[bytes]]:
    """The header lines of each response in out (bodies are the 3-byte "abc")."""
    heads = []
    for part in out.split(b"HTTP/1.1 ")[1:]:
        head = part.split(b"\r\n\r\n", 1)[0]
        heads.append([line for line in head.split(b"\r\n")[1:] if not line.startswith(b"Date: ")])
    return heads


def length_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", environ["QUERY_STRING"])])
    return [b"a", b"bc"]


def test_list_response_with_its_exact_content_length_keeps_the_connection() -> None:
    with serving(http.wsgi(length_app)) as addr:
        out = _wire(
            addr,
            b"GET /?3 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"HEAD /?3 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /?3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    assert out.count(b"abc") == 2
    assert _heads(out) == [
        [b"Content-Type: text/plain", b"Content-Length: 3"],
        [b"Content-Type: text/plain", b"Content-Length: 3"],
        [b"Content-Type: text/plain", b"Content-Length: 3", b"Connection: close"],
    ]


def test_list_response_content_length_in_another_form_or_size_is_the_apps() -> None:
    with serving(http.wsgi(length_app)) as addr:
        leading_zero = _wire(addr, b"GET /?003 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        too_long = _wire(addr, b"GET /?5 HTTP/1.1\r\nHost: x\r\n\r\nGET /?3 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _heads(leading_zero) == [
        [b"Content-Type: text/plain", b"Content-Length: 003", b"Connection: close"]
    ]
    assert leading_zero.endswith(b"\r\n\r\nabc")
    # The body is short of what the app declared: the server closes after it (no second answer).
    assert _heads(too_long) == [[b"Content-Type: text/plain", b"Content-Length: 5"]]
    assert too_long.endswith(b"\r\n\r\nabc")


def test_environ_and_streaming_input_over_the_wire() -> None:
    body = b"line one\n" + os.urandom(300_000).replace(b"\n", b"x") + b"0123456789"
    with serving(http.wsgi(echo_app)) as addr:
        r = fetch(addr, "/up?x=1", "POST", body, Content_Type="application/x-test", Accept="*/*")
        got = json.loads(r.body)
        assert got["first"] == "line one\n"
        assert got["rest_len"] == len(body) - 9
        assert got["rest_tail"] == "0123456789"
        assert got["content_length"] == str(len(body))
        assert got["content_type"] == "application/x-test"
        assert got["query"] == "x=1"
        assert got["accept"] == "*/*"
        assert got["host"] == addr
        assert got["remote"] == "127.0.0.1"
        # A chunked upload: no CONTENT_LENGTH, the input still ends where the body does.
        r = fetch(addr, "/up", "POST", iter([b"a\nb", b"cd", b"ef"]))  # http.client sends it chunked
        got = json.loads(r.body)
        assert got["first"] == "a\n"
        assert got["rest_len"] == 5
        assert got["content_length"] is None


def test_generator_is_streamed_chunk_by_chunk() -> None:
    gate: Chan[None] = Chan()
    closed: list[bool] = []

    class Stream:
        def __iter__(self) -> Iterator[bytes]:
            yield b"first"
            gate.recv()  # the client must see "first" before this block ends
            yield b"second"

        def close(self) -> None:
            closed.append(True)

    def app(environ: Any, start_response: Any) -> Stream:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Stream()

    with serving(http.wsgi(app)) as addr:
        c, rd = raw_conn(addr)
        with c:
            c.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            head = read_head(rd)
            assert head[0] == b"HTTP/1.1 200 OK"
            assert b"Transfer-Encoding: chunked" in head
            assert read_chunk(rd) == b"first"
            gate.send(None)
            assert read_chunk(rd) == b"second"
            assert read_chunk(rd) == b""
    assert closed == [True]


def test_file_wrapper_sends_the_file(tmp_path: Path) -> None:
    data = os.urandom(1 << 20)
    p = tmp_path / "big.bin"
    p.write_bytes(data)
    opened: list[Any] = []

    def app(environ: Any, start_response: Any) -> Any:
        f = open(p, "rb")  # noqa: SIM115 - closed by the server through the wrapper
        opened.append(f)
        f.seek(100)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](f)

    with serving(http.wsgi(app)) as addr:
        r = fetch(addr, "/big")
        h = fetch(addr, "/big", "HEAD")
    assert r.status == 200
    assert r.get("Content-Length") == str(len(data) - 100)
    assert r.body == data[100:]
    assert h.get("Content-Length") == str(len(data) - 100)
    assert h.body == b""
    assert all(f.closed for f in opened)


def test_app_error_before_headers_is_500_and_the_server_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/boom":
            raise ZeroDivisionError("app bug")
        return hello_app(environ, start_response)

    with caplog.at_level(logging.ERROR, logger="gonet.http"), serving(http.wsgi(app)) as addr:
        r = fetch(addr, "/boom")
        assert r.status == 500
        assert r.body == b"Internal Server Error\n"
        assert r.get("Connection") == "close"
        assert fetch(addr, "/ok").body == b"hello, /ok"
    msgs = [rec.getMessage() for rec in caplog.records]
    assert msgs == [f"wsgi: error in app serving GET /boom for 127.0.0.1:{msgs[0].rsplit(':', 1)[1]}"]


def test_app_error_after_headers_truncates_and_closes(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial"
        if environ["PATH_INFO"] == "/late":
            raise ZeroDivisionError("late app bug")

    with caplog.at_level(logging.ERROR, logger="gonet.http"), serving(http.wsgi(app)) as addr:
        c, rd = raw_conn(addr)
        with c:
            c.write(b"GET /late HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_head(rd)[0] == b"HTTP/1.1 200 OK"
            assert read_chunk(rd) == b"partial"
            assert rd.read(bytearray(10)) == 0  # closed without the last chunk
        assert fetch(addr, "/").body == b"partial"
    assert any("late app bug" in rec.getMessage() for rec in caplog.records)


def test_client_gone_mid_stream_closes_the_iterable() -> None:
    done: Chan[str] = Chan(1)

    class Endless:
        def __iter__(self) -> Iterator[bytes]:
            while True:
                yield b"x" * 65536

        def close(self) -> None:
            done.send("closed")

    def app(environ: Any, start_response: Any) -> Any:
        if environ["PATH_INFO"] != "/endless":
            return hello_app(environ, start_response)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return Endless()

    with serving(http.wsgi(app)) as addr:
        c, rd = raw_conn(addr)
        c.write(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
        read_head(rd)
        read_chunk(rd)
        c.close()
        assert done.recv() == "closed"
        assert fetch(addr, "/").status == 200


# -- wsgiref.validate -----------------------------------------------------------------------------


def test_wsgiref_validator_passes() -> None:
    calls: list[str] = []

    def app(environ: Any, start_response: Any) -> Any:
        inp = environ["wsgi.input"]
        line = inp.readline()
        lines = inp.readlines()
        environ["wsgi.errors"].write("")
        environ["wsgi.errors"].flush()
        calls.append(environ["REQUEST_METHOD"])
        body = b"%d|%s|%d" % (len(line), environ["PATH_INFO"].encode("latin-1"), len(lines))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    def streaming(environ: Any, start_response: Any) -> Any:
        write = start_response("201 Created", [("Content-Type", "text/plain")])
        write(b"written ")
        return iter([b"and ", b"yielded"])

    with warnings.catch_warnings():
        warnings.simplefilter("error", WSGIWarning)
        with serving(http.wsgi(validator(app))) as addr:
            r = fetch(addr, "/v/%C3%A9", "POST", b"abc\ndef\nghi", Content_Type="text/plain")
            assert (r.status, r.body) == (200, b"4|/v/\xc3\xa9|2")
            r = fetch(addr, "/get?q=1")
            assert (r.status, r.body) == (200, b"0|/get|0")
            r = fetch(addr, "/", "HEAD")
            assert (r.status, r.body) == (200, b"")
        with serving(http.wsgi(validator(streaming))) as addr:
            r = fetch(addr, "/s")
            assert (r.status, r.body) == (201, b"written and yielded")
    assert calls == ["POST", "GET", "HEAD"]


# -- Flask ------------------------------------------------------------------------------------------


def flask_app() -> Any:
    flask = pytest.importorskip("flask")
    app = flask.Flask("gonet_test")

    @app.get("/hello/<name>")
    def hello(name: str) -> str:
        return f"hello, {name}!"

    @app.post("/json")
    def post_json() -> Any:
        data = flask.request.get_json()
        return flask.jsonify(sum=sum(data["numbers"]), agent=flask.request.headers.get("User-Agent"))

    @app.post("/form")
    def form() -> Any:
        f = flask.request.files["upload"]
        return {"name": f.filename, "size": len(f.read()), "field": flask.request.form["field"]}

    @app.get("/stream")
    def stream() -> Any:
        return flask.Response((f"{i}\n" for i in range(3)), mimetype="text/plain")

    @app.get("/cookie")
    def cookie() -> Any:
        resp = flask.make_response("set")
        resp.set_cookie("a", "1")
        resp.set_cookie("b", "2")
        return resp

    @app.get("/fail")
    def fail() -> str:
        raise RuntimeError("flask handler bug")

    @app.get("/file")
    def file() -> Any:
        return flask.send_file(__file__, mimetype="text/x-python")

    return app


def test_flask_app_end_to_end() -> None:
    app = flask_app()
    with serving(http.wsgi(app)) as addr:
        r = fetch(addr, "/hello/gopher")
        assert (r.status, r.body) == (200, b"hello, gopher!")
        assert r.get("Content-Type") == "text/html; charset=utf-8"
        assert r.get("Content-Length") == "14"

        r = fetch(
            addr,
            "/json",
            "POST",
            json.dumps({"numbers": [1, 2, 3]}),
            Content_Type="application/json",
            User_Agent="t/1",
        )
        assert json.loads(r.body) == {"sum": 6, "agent": "t/1"}

        boundary = "gonetboundary"
        payload = os.urandom(100_000)
        form = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="f.bin"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + payload
            + f"\r\n--{boundary}--\r\n".encode()
        )
        r = fetch(addr, "/form", "POST", form, Content_Type=f"multipart/form-data; boundary={boundary}")
        assert json.loads(r.body) == {"name": "f.bin", "size": 100_000, "field": "value"}

        r = fetch(addr, "/stream")
        assert (r.status, r.body) == (200, b"0\n1\n2\n")
        assert r.get("Transfer-Encoding") == "chunked"

        r = fetch(addr, "/cookie")
        assert [v for k, v in r.headers if k == "Set-Cookie"] == ["a=1; Path=/", "b=2; Path=/"]

        assert fetch(addr, "/fail").status == 500  # Flask's own error page
        assert fetch(addr, "/nope").status == 404
        assert fetch(addr, "/hello/x", "DELETE").status == 405

        r = fetch(addr, "/file")
        assert r.body == Path(__file__).read_bytes()
        assert r.get("Content-Length") == str(len(r.body))


# -- Django -------------------------------------------------------------------------------------------


def django_view_hello(request: Any, name: str) -> Any:
    from django.http import HttpResponse

    return HttpResponse(f"hello, {name} from {request.META['REMOTE_ADDR']}", content_type="text/plain")


def django_view_post(request: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse({"method": request.method, "len": len(request.body), "q": request.GET.get("q")})


def django_view_stream(request: Any) -> Any:
    from django.http import StreamingHttpResponse

    return StreamingHttpResponse((f"part {i};" for i in range(3)), content_type="text/plain")


def django_view_file(request: Any) -> Any:
    from django.http import FileResponse

    return FileResponse(open(__file__, "rb"))  # noqa: SIM115 - Django closes it


def django_urls() -> list[Any]:
    from django.urls import path

    return [
        path("hello/<str:name>", django_view_hello),
        path("post", django_view_post),
        path("stream", django_view_stream),
        path("file", django_view_file),
    ]


urlpatterns: list[Any] = []


def django_app() -> Any:
    pytest.importorskip("django")
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="gonet-test",
            ALLOWED_HOSTS=["127.0.0.1", "localhost"],
            ROOT_URLCONF=__name__,
            MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
            INSTALLED_APPS=[],
            USE_TZ=True,
        )
        django.setup()
    urlpatterns[:] = django_urls()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def test_django_app_end_to_end() -> None:
    app = django_app()
    with serving(http.wsgi(app)) as addr:
        r = fetch(addr, "/hello/pony")
        assert (r.status, r.body) == (200, b"hello, pony from 127.0.0.1")
        assert r.get("Content-Type") == "text/plain"

        body = os.urandom(50_000)
        r = fetch(addr, "/post?q=1", "POST", body, Content_Type="application/octet-stream")
        assert json.loads(r.body) == {"method": "POST", "len": 50_000, "q": "1"}

        r = fetch(addr, "/stream")
        assert (r.status, r.body) == (200, b"part 0;part 1;part 2;")
        assert r.get("Transfer-Encoding") == "chunked"

        r = fetch(addr, "/file")
        assert r.body == Path(__file__).read_bytes()
        assert r.get("Content-Length") == str(len(r.body))

        assert fetch(addr, "/missing").status == 404
        # Django checks the Host header against ALLOWED_HOSTS (from the environ we build).
        assert fetch(addr, "/hello/x", Host="evil.example").status == 400


def test_wsgi_app_mounted_under_a_mux_pattern() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]

    def native(w: http.ResponseWriter, r: http.Request) -> None:
        w.write(b"native " + r.path_value("id").encode())

    mux = http.ServeMux()
    mux.handle("/legacy/", http.wsgi(app, script_name="/legacy"))
    mux.handle_func("GET /items/{id}", native)
    with serving(mux) as addr:
        assert fetch(addr, "/legacy/a/b").body == b"/legacy|/a/b"
        assert fetch(addr, "/items/7").body == b"native 7"
        r = fetch(addr, "/legacy")
        assert r.status == 307  # the mux's trailing-slash redirect, Go's code
        assert r.get("Location") == "/legacy/"

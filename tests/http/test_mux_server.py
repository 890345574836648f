# End to end over real sockets: ServeMux and the file server behind a gonet http.Server
# (httptest.Server), spoken to with raw bytes, so what is checked is exactly what goes on the wire.
from __future__ import annotations

import os
import socket

import pytest

pytest.importorskip("gonet.http._server")

from gonet import net  # noqa: E402
from gonet.http import Dir, ServeMux, file_server, httptest, strip_prefix  # noqa: E402


def roundtrip(srv: httptest.Server, raw: bytes) -> bytes:
    """Send raw on a fresh connection, half-close, return everything the server answered."""
    c = net.dial("tcp", str(srv.listener.addr()))
    try:
        c.set_deadline(None)
        c.write(raw)
        c.close_write()
        out = bytearray()
        buf = bytearray(65536)
        while True:
            n = c.read(buf)
            if n == 0:
                return bytes(out)
            out += buf[:n]
    except EOFError:
        return bytes(out)
    finally:
        c.close()


def head_and_body(resp: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        fields[k.strip().lower()] = v.strip()
    return lines[0], fields, body


@pytest.fixture
def mux_server():
    mux = ServeMux()
    mux.handle_func("GET /items/{id}", lambda w, r: w.write(f"item {r.path_value('id')}".encode()))
    mux.handle_func("/dir/", lambda w, r: w.write(b"dir"))
    srv = httptest.new_server(mux)
    try:
        yield srv
    finally:
        srv.close()


def test_405_with_allow_on_the_wire(mux_server) -> None:
    status, h, body = head_and_body(
        roundtrip(mux_server, b"DELETE /items/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    )
    assert status == "HTTP/1.1 405 Method Not Allowed"
    assert h["allow"] == "GET, HEAD"
    assert body == b"Method Not Allowed\n"


def test_match_and_redirects_on_the_wire(mux_server) -> None:
    status, _, body = head_and_body(
        roundtrip(mux_server, b"GET /items/42 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    )
    assert (status, body) == ("HTTP/1.1 200 OK", b"item 42")
    status, h, _ = head_and_body(
        roundtrip(mux_server, b"GET /dir?a=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    )
    assert (status, h["location"]) == ("HTTP/1.1 307 Temporary Redirect", "/dir/?a=1")
    status, h, _ = head_and_body(
        roundtrip(mux_server, b"GET /x/../items/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    )
    assert (status, h["location"]) == ("HTTP/1.1 307 Temporary Redirect", "/items/7")


@pytest.fixture
def files(tmp_path):
    (tmp_path / "f.txt").write_bytes(b"0123456789" * 1000)
    (tmp_path / "sub").mkdir()
    srv = httptest.new_server(strip_prefix("/static", file_server(Dir(tmp_path))))
    try:
        yield srv, tmp_path
    finally:
        srv.close()


def test_file_whole_by_sendfile_and_range(files) -> None:
    srv, _ = files
    status, h, body = head_and_body(
        roundtrip(srv, b"GET /static/f.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    )
    assert status == "HTTP/1.1 200 OK"
    assert h["content-length"] == "10000"
    assert body == b"0123456789" * 1000
    status, h, body = head_and_body(
        roundtrip(
            srv, b"GET /static/f.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=5-14\r\nConnection: close\r\n\r\n"
        )
    )
    assert (status, h["content-range"], body) == (
        "HTTP/1.1 206 Partial Content",
        "bytes 5-14/10000",
        b"5678901234",
    )


def test_file_conditional_on_the_wire(files) -> None:
    srv, root = files
    os.utime(root / "f.txt", (1_000_000_000, 1_000_000_000))
    req = b"GET /static/f.txt HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Sun, 09 Sep 2001 01:46:40 GMT\r\nConnection: close\r\n\r\n"
    status, h, body = head_and_body(roundtrip(srv, req))
    assert (status, body) == ("HTTP/1.1 304 Not Modified", b"")
    assert "content-length" not in h


def test_raw_dot_dot_targets_never_escape(tmp_path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.txt").write_text("ok")
    (tmp_path / "secret.txt").write_text("secret")
    srv = httptest.new_server(file_server(Dir(root)))  # no mux: nothing cleans the path first
    try:
        for target in (
            b"/../secret.txt",
            b"/%2e%2e/secret.txt",
            b"/ok.txt/../../secret.txt",
            b"/..%2fsecret.txt",
        ):
            resp = roundtrip(srv, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert b"secret" not in resp.partition(b"\r\n\r\n")[2]
            assert resp.startswith((b"HTTP/1.1 404", b"HTTP/1.1 400"))
    finally:
        srv.close()


def test_tls_server_serves_mux() -> None:
    mux = ServeMux()
    mux.handle_func("GET /hi", lambda w, r: w.write(b"secure"))
    srv = httptest.new_tls_server(mux)
    try:
        assert srv.url.startswith("https://127.0.0.1:")
        ctx = srv.client_tls_context()
        port = int(srv.url.rsplit(":", 1)[1])
        from gonet import run_in_thread

        def fetch() -> bytes:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                t.sendall(b"GET /hi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                out = b""
                while chunk := t.recv(65536):
                    out += chunk
                return out

        resp = run_in_thread(fetch)
        assert resp.startswith(b"HTTP/1.1 200 OK")
        assert resp.endswith(b"secure")
    finally:
        srv.close()


def test_closed_server_refuses(mux_server) -> None:
    port = int(mux_server.url.rsplit(":", 1)[1])
    mux_server.close()
    with pytest.raises(OSError, match="refused"):
        net.dial("tcp", f"127.0.0.1:{port}")


def test_max_bytes_reader_closes_the_connection_after_the_answer() -> None:
    from gonet.errors import MaxBytesError
    from gonet.http import error, max_bytes_reader

    def upload(w, r):
        try:
            data = max_bytes_reader(w, r.body, 4).read()
        except MaxBytesError as e:
            error(w, str(e), 413)
            return
        w.write(b"got " + data)

    srv = httptest.new_server(upload)
    try:
        ok = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        big = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
        after = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        resp = roundtrip(srv, ok + big + after)
        first, _, rest = resp.partition(b"got abc")
        assert first.startswith(b"HTTP/1.1 200 OK\r\n")
        status, h, body = head_and_body(rest)
        assert status == "HTTP/1.1 413 Request Entity Too Large"
        assert h["connection"] == "close"
        assert (
            body == b"http: request body too large\n"
        )  # and nothing after: the third request is never served
    finally:
        srv.close()


def test_server_without_handler_serves_default_serve_mux() -> None:
    from gonet import http

    http.handle_func(
        "GET /gonet-test-default-served/{x}", lambda w, r: w.write(b"default " + r.path_value("x").encode())
    )
    srv = httptest.new_server(None)
    try:
        resp = roundtrip(
            srv, b"GET /gonet-test-default-served/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert head_and_body(resp)[2] == b"default 7"
    finally:
        srv.close()


def test_pipelined_requests_routed_in_order(mux_server) -> None:
    reqs = b"".join(f"GET /items/{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(5))
    resp = roundtrip(mux_server, reqs + b"GET /items/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    bodies = [part.split(b"\r\n\r\n", 1)[1] for part in resp.split(b"HTTP/1.1 200 OK\r\n")[1:]]
    assert bodies == [b"item 0", b"item 1", b"item 2", b"item 3", b"item 4", b"item last"]


def test_serve_content_from_memory_over_the_wire() -> None:
    import io

    from gonet.http import serve_content

    srv = httptest.new_server(lambda w, r: serve_content(w, r, "x.txt", None, io.BytesIO(b"in memory")))
    try:
        status, h, body = head_and_body(
            roundtrip(srv, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        )
        assert (status, h["content-length"], body) == ("HTTP/1.1 200 OK", "9", b"in memory")
        req = b"GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=3-5\r\nConnection: close\r\n\r\n"
        status, h, body = head_and_body(roundtrip(srv, req))
        assert (status, h["content-range"], body) == ("HTTP/1.1 206 Partial Content", "bytes 3-5/9", b"mem")
    finally:
        srv.close()

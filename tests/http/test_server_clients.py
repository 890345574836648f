# Real HTTP clients against the gonet server: the standard library's http.client and
# `requests`, each in a plain thread (gonet's run_in_thread) while the server runs on goroutines.
from __future__ import annotations

import http.client
from typing import Any

from gonet import run_in_thread
from gonet.http import Request, ResponseWriter


def app(w: ResponseWriter, r: Request) -> None:
    body = r.body.read()
    w.header().set("Content-Type", "text/plain; charset=utf-8")
    w.header().set("X-Method", r.method)
    if r.url.path == "/big":
        for _ in range(100):
            w.write(b"0123456789" * 100)
        return
    w.write(b"%s %s %d:" % (r.method.encode(), r.url.path.encode(), len(body)) + body)


def test_stdlib_http_client_keep_alive(serve: Any) -> None:
    _, addr = serve(app)
    host, port = addr.rsplit(":", 1)

    def client() -> list[tuple[int, str, bytes, bool]]:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        out = []
        try:
            for method, path, body in [("GET", "/a", None), ("POST", "/b", b"xyz"), ("GET", "/big", None)]:
                conn.request(method, path, body=body)
                resp = conn.getresponse()
                data = resp.read()
                out.append((resp.status, resp.getheader("X-Method"), data[:20], resp.chunked))
            sock_ids = conn.sock is not None
        finally:
            conn.close()
        assert sock_ids
        return out

    got = run_in_thread(client)
    assert got == [
        (200, "GET", b"GET /a 0:", False),
        (200, "POST", b"POST /b 3:xyz", False),
        (200, "GET", b"01234567890123456789", True),
    ]


def test_stdlib_http_client_chunked_upload(serve: Any) -> None:
    _, addr = serve(app)
    host, port = addr.rsplit(":", 1)

    def client() -> bytes:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            conn.request("PUT", "/up", body=iter([b"ab", b"cd", b"e"]), encode_chunked=True)
            return conn.getresponse().read()
        finally:
            conn.close()

    assert run_in_thread(client) == b"PUT /up 5:abcde"


def test_requests_session(serve: Any) -> None:
    import requests

    _, addr = serve(app)

    def client() -> list[tuple[int, str, int]]:
        with requests.Session() as s:
            out = []
            for i in range(3):
                r = s.post(f"http://{addr}/p{i}", data=b"q" * i, timeout=10)
                out.append((r.status_code, r.text, len(r.headers["Date"])))
            big = s.get(f"http://{addr}/big", timeout=10)
            out.append((big.status_code, big.headers["Transfer-Encoding"], len(big.content)))
            return out

    assert run_in_thread(client) == [
        (200, "POST /p0 0:", 29),
        (200, "POST /p1 1:q", 29),
        (200, "POST /p2 2:qq", 29),
        (200, "chunked", 100000),
    ]

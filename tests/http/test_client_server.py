# The gonet client against the gonet server (the `serve` fixture of tests/http/conftest.py):
# keep-alive reuse seen from the server side, streamed (chunked) responses and requests,
# Expect: 100-continue both ways, HEAD, gzip, redirects, timeouts, and TLS on both ends.
from __future__ import annotations

import gzip
import io
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import make_cert

import gonet
from gonet import http


@pytest.fixture
def tr() -> Iterator[http.Transport]:
    t = http.Transport(proxy=None)
    yield t
    t.close_idle_connections()


def test_keep_alive_requests_share_one_server_connection(serve: Any, tr: http.Transport) -> None:
    def h(w: http.ResponseWriter, r: http.Request) -> None:
        w.write(r.remote_addr.encode())

    _, addr = serve(h)
    c = http.Client(transport=tr)
    seen = {c.get(f"http://{addr}/{i}").body.read() for i in range(5)}
    assert len(seen) == 1  # one client port: one connection served all five
    assert tr.idle_conn_count() == 1


def test_streamed_response_arrives_chunked(serve: Any, tr: http.Transport) -> None:
    def h(w: http.ResponseWriter, r: http.Request) -> None:
        for part in (b"one ", b"two ", b"three"):
            w.write(part)
            w.flush()

    _, addr = serve(h)
    resp = http.Client(transport=tr).get(f"http://{addr}/")
    assert resp.transfer_encoding == ["chunked"]
    assert resp.content_length == -1
    assert resp.body.read() == b"one two three"


def test_chunked_request_body_reaches_the_handler(serve: Any, tr: http.Transport) -> None:
    def h(w: http.ResponseWriter, r: http.Request) -> None:
        data = r.body.read()
        w.write(b"%d %s %s" % (r.content_length, r.method.encode(), data))

    _, addr = serve(h)
    resp = http.Client(transport=tr).post(f"http://{addr}/", "text/plain", io.BytesIO(b"x" * 100000))
    assert resp.body.read() == b"-1 POST " + b"x" * 100000
    resp = http.Client(transport=tr).post(f"http://{addr}/", "text/plain", b"small")
    assert resp.body.read() == b"5 POST small"


def test_expect_continue_with_the_gonet_server(serve: Any, tr: http.Transport) -> None:
    def h(w: http.ResponseWriter, r: http.Request) -> None:
        if r.url.path == "/deny":
            w.write_header(401)
            return
        w.write(r.body.read())

    _, addr = serve(h)
    c = http.Client(transport=tr)
    req = http.new_request("PUT", f"http://{addr}/ok", b"payload")
    req.header.set("Expect", "100-continue")
    assert c.do(req).body.read() == b"payload"
    req = http.new_request("PUT", f"http://{addr}/deny", b"payload")
    req.header.set("Expect", "100-continue")
    resp = c.do(req)
    assert resp.status_code == 401
    resp.body.read()


def test_head_and_gzip_with_the_gonet_server(serve: Any, tr: http.Transport) -> None:
    data = b"compress me " * 500

    def h(w: http.ResponseWriter, r: http.Request) -> None:
        w.header().set("Content-Type", "text/plain")
        if "gzip" in r.header.get("Accept-Encoding"):
            w.header().set("Content-Encoding", "gzip")
            w.write(gzip.compress(data))
        else:
            w.write(data)

    _, addr = serve(h)
    c = http.Client(transport=tr)
    resp = c.get(f"http://{addr}/")
    assert resp.uncompressed
    assert resp.body.read() == data
    resp = c.head(f"http://{addr}/")
    assert resp.status_code == 200
    assert resp.body.read() == b""


def test_redirect_chain_through_the_gonet_server(serve: Any, tr: http.Transport) -> None:
    def h(w: http.ResponseWriter, r: http.Request) -> None:
        if r.url.path == "/old":
            w.header().set("Location", "/new?from=old")
            w.write_header(301)
            return
        w.write(f"{r.method} {r.url.path}?{r.url.raw_query} {r.header.get('Referer')}".encode())

    _, addr = serve(h)
    resp = http.Client(transport=tr).post(f"http://{addr}/old", "text/plain", b"body")
    assert resp.body.read() == f"GET /new?from=old http://{addr}/old".encode()


def test_client_timeout_against_a_slow_handler(serve: Any, tr: http.Transport) -> None:
    def h(w: http.ResponseWriter, r: http.Request) -> None:
        gonet.sleep(0.5)

    _, addr = serve(h)
    with pytest.raises(TimeoutError, match=r"\(Client.Timeout exceeded while awaiting headers\)$"):
        http.Client(transport=tr, timeout=0.05).get(f"http://{addr}/")


def test_tls_on_both_ends(serve: Any, tmp_path: Path) -> None:
    cert, key = make_cert(tmp_path)
    sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    sctx.load_cert_chain(cert, key)

    def h(w: http.ResponseWriter, r: http.Request) -> None:
        w.write(b"secure " + r.url.path.encode())

    _, addr = serve(h, tls_context=sctx)
    t = http.Transport(proxy=None, tls_context=ssl.create_default_context(cafile=str(cert)))
    try:
        c = http.Client(transport=t)
        assert c.get(f"https://{addr}/a").body.read() == b"secure /a"
        assert c.get(f"https://{addr}/b").body.read() == b"secure /b"
        assert t.idle_conn_count() == 1
    finally:
        t.close_idle_connections()


class DictJar:
    """A minimal CookieJar: one cookie map per host, no expiry or path rules."""

    def __init__(self) -> None:
        self.by_host: dict[str, dict[str, http.Cookie]] = {}
        self.calls: list[tuple[str, list[str]]] = []

    def set_cookies(self, u: Any, cookies: list[http.Cookie]) -> None:
        self.calls.append((str(u), [c.name for c in cookies]))
        self.by_host.setdefault(u.host, {}).update({c.name: c for c in cookies})

    def cookies(self, u: Any) -> list[http.Cookie]:
        return list(self.by_host.get(u.host, {}).values())


def test_response_cookies_and_a_jar_across_a_redirect(serve: Any, tr: http.Transport) -> None:
    def h(w: http.ResponseWriter, r: http.Request) -> None:
        if r.url.path == "/login":
            http.set_cookie(w, http.Cookie("session", "abc", path="/", http_only=True, max_age=60))
            w.header().set("Location", "/home")
            w.write_header(302)
            return
        w.write(r.header.get("Cookie").encode())

    _, addr = serve(h)
    jar = DictJar()
    c = http.Client(transport=tr, jar=jar)
    resp = c.get(f"http://{addr}/login")
    assert resp.body.read() == b"session=abc"  # the redirected request carried the new cookie
    assert jar.calls == [(f"http://{addr}/login", ["session"])]
    assert c.get(f"http://{addr}/again").body.read() == b"session=abc"
    stored = jar.by_host[addr]["session"]
    assert (stored.path, stored.http_only, stored.max_age) == ("/", True, 60)


def test_response_cookies_parse_go_style(serve: Any, tr: http.Transport) -> None:
    def h(w: http.ResponseWriter, r: http.Request) -> None:
        for line in (
            'a="x y"; Domain=example.com; Secure; SameSite=Strict',
            "b=2; Max-Age=0; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
            "no-equals-sign",
            "c=bad\\value",
        ):
            w.header().add("Set-Cookie", line)

    _, addr = serve(h)
    resp = http.Client(transport=tr).get(f"http://{addr}/")
    resp.body.read()
    a, b = resp.cookies()
    assert (a.name, a.value, a.quoted, a.domain, a.secure, a.same_site) == (
        "a",
        "x y",
        True,
        "example.com",
        True,
        http.SameSite.STRICT,
    )
    assert (b.name, b.value, b.max_age) == ("b", "2", -1)
    assert b.expires is not None
    assert b.expires.isoformat() == "2015-10-21T07:28:00+00:00"

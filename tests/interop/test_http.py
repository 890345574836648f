"""requests/urllib3 and urllib.request through patched sockets and ssl, against a local server.

The server is the stdlib's ThreadingHTTPServer on a plain thread (its sockets behave exactly as
the stdlib's there); `serve` is the one place to swap in gonet.http once it lands.
"""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers import make_cert
from interop_helpers import concurrently

DELAY = 0.2


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: connections are reused

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's hook name
        import time

        if self.path.startswith("/slow"):
            time.sleep(DELAY)  # a plain thread: the stdlib's sleep
        self.server.peers.add(self.client_address)  # type: ignore[attr-defined]
        body = f"path={self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        pass


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    return make_cert(tmp_path_factory.mktemp("interop-http"))


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 256  # socketserver's default of 5 drops bursts of connects
    daemon_threads = False  # server_close() joins the handler threads: no socket outlives a test


def serve(tls: tuple[Path, Path] | None) -> Iterator[tuple[str, set]]:
    srv = Server(("127.0.0.1", 0), Handler)
    srv.peers = set()  # type: ignore[attr-defined]
    if tls is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, name="http-server")
    t.start()
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://127.0.0.1:{srv.server_address[1]}", srv.peers  # type: ignore[attr-defined]
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(10)


@pytest.fixture
def http_url() -> Iterator[tuple[str, set]]:
    yield from serve(None)


@pytest.fixture
def https_url(cert) -> Iterator[tuple[str, set]]:
    yield from serve(cert)


@contextmanager
def _requests_session(n: int) -> Iterator[Any]:
    import requests
    from requests.adapters import HTTPAdapter

    s = requests.Session()
    s.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=n))
    s.mount("https://", HTTPAdapter(pool_connections=1, pool_maxsize=n))
    try:
        yield s
    finally:
        # urllib3 2's PoolManager.clear() (what Session.close() calls) leaves closing the
        # pooled connections to the garbage collector: close them now.
        for adapter in s.adapters.values():
            pools = adapter.poolmanager.pools
            for key in list(pools.keys()):
                pools[key].close()
        s.close()


def test_requests_100_concurrent_gets_reuse_connections(http_url):
    url, peers = http_url
    with _requests_session(100) as s:
        took, ticks, results = concurrently(100, lambda i: s.get(f"{url}/slow/{i}", timeout=10).text)
        assert results[42] == "path=/slow/42"
        assert took < 1.5, f"100 GETs of {DELAY} s took {took:.2f} s"
        assert ticks >= 10
        concurrently(100, lambda i: s.get(f"{url}/again/{i}", timeout=10).text)
    assert len(peers) <= 100  # 200 requests over at most 100 kept-alive connections


def test_requests_tls_with_a_test_ca(https_url, cert):
    url, _ = https_url
    with _requests_session(20) as s:
        took, _, results = concurrently(
            20, lambda i: s.get(f"{url}/slow/{i}", verify=str(cert[0]), timeout=10).text
        )
        assert results == [f"path=/slow/{i}" for i in range(20)]
        assert took < 1.5


def test_requests_tls_rejects_an_untrusted_certificate(https_url):
    import requests

    url, _ = https_url
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.get(url, timeout=10)


def test_urllib_request_plain_and_tls(http_url, https_url, cert):
    import urllib.request

    url, _ = http_url
    took, _, results = concurrently(
        20, lambda i: urllib.request.urlopen(f"{url}/slow/{i}", timeout=10).read()
    )
    assert results[3] == b"path=/slow/3"
    assert took < 1.5
    surl, _ = https_url
    ctx = ssl.create_default_context(cafile=str(cert[0]))
    with urllib.request.urlopen(f"{surl}/x", context=ctx, timeout=10) as resp:
        assert resp.read() == b"path=/x"

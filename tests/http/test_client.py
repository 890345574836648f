# gonet.http's Client against the stdlib's ThreadingHTTPServer (in a plain thread, plain and
# TLS): Go's redirect rules (method and body per status, the 10-redirect limit, check_redirect,
# ErrUseLastResponse, sensitive headers across hosts, Referer), Client.timeout and context
# deadlines with Go's texts, the module-level helpers on default_client, URL credentials.
from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import blackhole, make_cert

import gonet
from gonet import bufio, context, http, net, sync
from gonet.errors import ErrUseLastResponse, URLError


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 20  # a safety net: a test that forgets to close its client cannot hang teardown

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _route(self) -> None:
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if u.path == "/redirect":
            self.send_response(int(q["code"][0]))
            if "to" in q:
                self.send_header("Location", q["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if u.path.startswith("/chain/"):
            i = int(u.path.rsplit("/", 1)[1])
            self.send_response(302)
            self.send_header("Location", f"/chain/{i + 1}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers.items()),
                "body": body.decode(),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _route


class StdServer:
    """The stdlib's ThreadingHTTPServer on 127.0.0.1, serving in a plain thread."""

    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        scheme = "http"
        if tls_context is not None:
            self.srv.socket = tls_context.wrap_socket(self.srv.socket, server_side=True)
            scheme = "https"
        self.port = self.srv.server_address[1]
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.srv.serve_forever, kwargs={"poll_interval": 0.02}, name="stdlib-http", daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.srv.shutdown()
        self.srv.server_close()
        self.thread.join()


@pytest.fixture
def std() -> Iterator[StdServer]:
    s = StdServer()
    yield s
    s.close()


@pytest.fixture
def std2() -> Iterator[StdServer]:
    s = StdServer()
    yield s
    s.close()


@pytest.fixture
def tr() -> Iterator[http.Transport]:
    # Requested after the servers, so torn down first: the servers' threads see EOF and end.
    t = http.Transport(proxy=None)
    yield t
    t.close_idle_connections()


def echo(resp: http.Response) -> dict[str, Any]:
    with resp:
        assert resp.status_code == 200
        data: dict[str, Any] = json.loads(resp.body.read())
        return data


# -- plain requests ---------------------------------------------------------------------------------


def test_get_and_post_against_the_stdlib_server(std: StdServer, tr: http.Transport) -> None:
    c = http.Client(transport=tr)
    got = echo(c.get(std.url + "/x?a=1"))
    assert got["method"] == "GET"
    assert got["path"] == "/x?a=1"
    assert got["headers"]["User-Agent"] == "gonet-http-client/1.1"
    got = echo(c.post(std.url + "/p", "text/plain; charset=utf-8", "héllo"))
    assert got["method"] == "POST"
    assert got["body"] == "héllo"
    assert got["headers"]["Content-Type"] == "text/plain; charset=utf-8"
    got = echo(c.post_form(std.url + "/f", {"a": ["1", "2"], "b": ["x y"]}))
    assert got["body"] == "a=1&a=2&b=x+y"
    assert got["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert tr.idle_conn_count() == 1  # one keep-alive connection served all three


def test_head_against_the_stdlib_server(std: StdServer, tr: http.Transport) -> None:
    resp = http.Client(transport=tr).head(std.url + "/h")
    assert resp.status_code == 200
    assert resp.content_length > 0
    assert resp.body.read() == b""


def test_module_level_helpers_use_default_client(std: StdServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(k, raising=False)
    try:
        assert echo(http.get(std.url + "/g"))["method"] == "GET"
        assert http.head(std.url + "/h").status_code == 200
        assert echo(http.post(std.url + "/p", "text/plain", b"b"))["body"] == "b"
        assert echo(http.post_form(std.url + "/f", {"k": "v"}))["body"] == "k=v"
    finally:
        http.default_transport.close_idle_connections()
    assert http.default_client.transport is None


def test_url_credentials_become_basic_auth_and_are_hidden_in_errors(
    std: StdServer, tr: http.Transport
) -> None:
    c = http.Client(transport=tr)
    got = echo(c.get(f"http://user:pass@127.0.0.1:{std.port}/a"))
    assert got["headers"]["Authorization"] == "Basic dXNlcjpwYXNz"
    with pytest.raises(URLError, match=r'^Get "http://user:\*\*\*@127.0.0.1:1/": dial tcp'):
        c.get("http://user:pass@127.0.0.1:1/")


def test_request_uri_is_refused(tr: http.Transport) -> None:
    req = http.new_request("GET", "http://127.0.0.1:1/")
    req.request_uri = "/"
    with pytest.raises(URLError, match=r"http: Request.RequestURI can't be set in client requests"):
        http.Client(transport=tr).do(req)


# -- redirects ----------------------------------------------------------------------------------------


def test_302_turns_a_post_into_a_get_without_body(std: StdServer, tr: http.Transport) -> None:
    resp = http.Client(transport=tr).post(std.url + "/redirect?code=302&to=/echo", "text/plain", b"data")
    assert resp.request is not None
    assert resp.request.method == "GET"
    assert resp.request.response.status_code == 302
    got = echo(resp)
    assert got["method"] == "GET"
    assert got["body"] == ""
    assert "Content-Length" not in got["headers"]
    assert got["headers"]["Referer"] == std.url + "/redirect?code=302&to=/echo"


@pytest.mark.parametrize("code", [307, 308])
def test_307_and_308_keep_the_method_and_body(std: StdServer, tr: http.Transport, code: int) -> None:
    got = echo(
        http.Client(transport=tr).post(std.url + f"/redirect?code={code}&to=/echo", "text/plain", b"data")
    )
    assert got["method"] == "POST"
    assert got["body"] == "data"


def test_307_with_a_body_that_cannot_be_resent_is_the_answer(std: StdServer, tr: http.Transport) -> None:
    import io

    req = http.new_request("PUT", std.url + "/redirect?code=307&to=/echo", io.BytesIO(b"once"))
    with http.Client(transport=tr).do(req) as resp:
        assert resp.status_code == 307


def test_redirect_without_location_is_the_answer(std: StdServer, tr: http.Transport) -> None:
    with http.Client(transport=tr).get(std.url + "/redirect?code=301") as resp:
        assert resp.status_code == 301


def test_stops_after_10_redirects(std: StdServer, tr: http.Transport) -> None:
    with pytest.raises(URLError, match=r'^Get "/chain/10": stopped after 10 redirects$'):
        http.Client(transport=tr).get(std.url + "/chain/0")


def test_check_redirect_sees_the_chain_and_can_stop_it(std: StdServer, tr: http.Transport) -> None:
    seen: list[tuple[str, list[str]]] = []

    def check(req: http.Request, via: list[http.Request]) -> None:
        seen.append((req.url.path, [r.url.path for r in via]))
        if len(via) == 2:
            raise ValueError("no more")

    with pytest.raises(URLError, match=r'^Get "/chain/2": no more$') as ei:
        http.Client(transport=tr, check_redirect=check).get(std.url + "/chain/0")
    assert isinstance(ei.value.err, ValueError)
    assert seen == [("/chain/1", ["/chain/0"]), ("/chain/2", ["/chain/0", "/chain/1"])]


def test_err_use_last_response_returns_the_redirect(std: StdServer, tr: http.Transport) -> None:
    def check(req: http.Request, via: list[http.Request]) -> None:
        raise ErrUseLastResponse()

    with http.Client(transport=tr, check_redirect=check).get(std.url + "/chain/0") as resp:
        assert resp.status_code == 302
        assert resp.header.get("Location") == "/chain/1"


def test_sensitive_headers_are_dropped_for_another_host(
    std: StdServer, std2: StdServer, tr: http.Transport
) -> None:
    c = http.Client(transport=tr)

    def fetch(target: str) -> dict[str, str]:
        req = http.new_request("GET", std.url + "/redirect?code=302&to=" + target)
        req.header.set("Authorization", "Bearer t")
        req.header.set("Cookie", "a=b")
        req.header.set("X-Custom", "kept")
        headers: dict[str, str] = echo(c.do(req))["headers"]
        return headers

    other_host = fetch(f"http://localhost:{std2.port}/echo")
    assert "Authorization" not in other_host
    assert "Cookie" not in other_host
    assert other_host["X-Custom"] == "kept"
    same_host_other_port = fetch(f"http://127.0.0.1:{std2.port}/echo")
    assert same_host_other_port["Authorization"] == "Bearer t"
    assert same_host_other_port["Cookie"] == "a=b"


# -- timeouts -------------------------------------------------------------------------------------------


class Silent:
    """A TCP server that reads requests and answers `prefix` (maybe nothing), then stalls."""

    def __init__(self, prefix: bytes = b"") -> None:
        self.ln = net.listen("tcp", "127.0.0.1:0")
        self.url = f"http://{self.ln.addr()}"
        self.prefix = prefix
        self.conns: list[Any] = []
        self.wg = sync.WaitGroup()
        self.wg.go(self._accept)

    def _accept(self) -> None:
        while True:
            try:
                c = self.ln.accept()
            except OSError:
                return
            self.conns.append(c)
            self.wg.go(self._stall, c)

    def _stall(self, c: Any) -> None:
        br = bufio.Reader(c)
        try:
            while br.read_bytes(b"\n") != b"\r\n":
                pass
            c.write(self.prefix)
            br.read_bytes(b"\n")  # until the client goes away
        except (OSError, EOFError):
            pass

    def close(self) -> None:
        self.ln.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.wg.wait()


@pytest.fixture
def silent() -> Iterator[Silent]:
    s = Silent()
    yield s
    s.close()


def test_client_timeout_while_awaiting_headers(silent: Silent, tr: http.Transport) -> None:
    with pytest.raises(TimeoutError) as ei:
        http.Client(transport=tr, timeout=0.05).get(silent.url + "/slow")
    assert str(ei.value) == (
        f'Get "{silent.url}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    )
    assert isinstance(ei.value, URLError)
    assert ei.value.timeout()


def test_client_timeout_while_reading_the_body(tr: http.Transport) -> None:
    srv = Silent(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
    try:
        resp = http.Client(transport=tr, timeout=0.1).get(srv.url)
        assert resp.body.read(7) == b"partial"
        with pytest.raises(
            http.HTTPTimeoutError,
            match=r"^context deadline exceeded \(Client.Timeout or context cancellation while reading body\)$",
        ):
            resp.body.read()
        resp.body.close()
    finally:
        srv.close()


def test_context_deadline_is_not_called_a_client_timeout(silent: Silent, tr: http.Transport) -> None:
    ctx, cancel = context.with_timeout(context.background(), 0.05)
    try:
        with pytest.raises(TimeoutError, match=rf'^Get "{silent.url}": context deadline exceeded$'):
            http.Client(transport=tr, timeout=30).get(silent.url, ctx=ctx)
    finally:
        cancel()


def test_client_timeout_that_does_not_fire_keeps_the_connection(std: StdServer, tr: http.Transport) -> None:
    c = http.Client(transport=tr, timeout=30)
    for _ in range(3):
        assert echo(c.get(std.url + "/t"))["method"] == "GET"
    assert tr.idle_conn_count() == 1
    gonet.sleep(0)


# -- TLS -----------------------------------------------------------------------------------------------


@pytest.fixture
def tls_std(tmp_path: Path) -> Iterator[tuple[StdServer, Path]]:
    cert, key = make_cert(tmp_path)
    sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    sctx.load_cert_chain(cert, key)
    sctx.set_alpn_protocols(["http/1.1"])
    s = StdServer(sctx)
    yield s, cert
    s.close()


def test_https_with_a_trusted_certificate(tls_std: tuple[StdServer, Path]) -> None:
    srv, cert = tls_std
    t = http.Transport(proxy=None, tls_context=_client_ctx(cert))
    try:
        c = http.Client(transport=t)
        resp = c.get(srv.url + "/secure")
        assert resp.tls is not None
        assert resp.tls.version().startswith("TLS")
        assert echo(resp)["path"] == "/secure"
        assert echo(c.get(srv.url + "/again"))["path"] == "/again"
        assert t.idle_conn_count() == 1
    finally:
        t.close_idle_connections()


def test_https_default_context_rejects_a_self_signed_certificate(tls_std: tuple[StdServer, Path]) -> None:
    srv, _ = tls_std
    t = http.Transport(proxy=None)
    with pytest.raises(URLError, match=r"certificate verify failed") as ei:
        http.Client(transport=t).get(srv.url)
    assert isinstance(ei.value.err, ssl.SSLCertVerificationError)


def _client_ctx(cert: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cert))
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def test_client_timeout_while_dialing(tr: http.Transport) -> None:
    with blackhole() as port, pytest.raises(TimeoutError) as ei:
        http.Client(transport=tr, timeout=0.05).get(f"http://127.0.0.1:{port}/")
    assert str(ei.value) == (
        f'Get "http://127.0.0.1:{port}/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    )


def test_request_close_sends_connection_close_and_drops_the_conn(std: StdServer, tr: http.Transport) -> None:
    req = http.new_request("GET", std.url + "/c")
    req.close = True
    got = echo(http.Client(transport=tr).do(req))
    assert got["headers"]["Connection"] == "close"
    assert tr.idle_conn_count() == 0


def test_a_host_set_by_the_caller_survives_a_relative_redirect(std: StdServer, tr: http.Transport) -> None:
    c = http.Client(transport=tr)
    req = http.new_request("GET", std.url + "/redirect?code=302&to=/echo")
    req.host = "custom.example"
    assert echo(c.do(req))["headers"]["Host"] == "custom.example"
    req = http.new_request("GET", std.url + f"/redirect?code=302&to={std.url}/echo")
    req.host = "custom.example"
    assert echo(c.do(req))["headers"]["Host"] == f"127.0.0.1:{std.port}"

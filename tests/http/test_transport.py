# gonet.http's Transport against raw-socket servers written here (exact bytes both ways): the
# request on the wire, keep-alive reuse counted by accepted connections, chunked bodies and
# trailers, gzip, HEAD/204, bad and truncated responses, Expect: 100-continue, timeouts, context
# cancellation, the idle pool's limits and timeout, and the retry of a stale keep-alive conn.
from __future__ import annotations

import gzip
import io
import re
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers import make_cert

import gonet
from gonet import bufio, context, http, net, sync, tls
from gonet import io as gio
from gonet.errors import Canceled, HTTPError, URLError
from gonet.io import EOF, ErrUnexpectedEOF, read_full

Handler = Callable[["RawServer", Any, bufio.Reader], None]


def read_request(br: bufio.Reader) -> tuple[bytes, bytes] | None:
    """Read one request off br: (head, body as sent, chunk framing included); None at EOF."""
    head = bytearray()
    while True:
        try:
            line = br.read_bytes(b"\n")
        except EOF:
            if not head:
                return None
            raise
        head += line
        if line == b"\r\n":
            break
    low = bytes(head).lower()
    m = re.search(rb"\r\ncontent-length: *(\d+)", low)
    if m:
        buf = bytearray(int(m.group(1)))
        read_full(br, buf)
        return bytes(head), bytes(buf)
    if b"\r\ntransfer-encoding: chunked" in low:
        body = bytearray()
        while True:
            size_line = br.read_bytes(b"\n")
            body += size_line
            n = int(size_line.strip(), 16)
            if n == 0:
                while True:
                    t = br.read_bytes(b"\n")
                    body += t
                    if t == b"\r\n":
                        return bytes(head), bytes(body)
            buf = bytearray(n + 2)
            read_full(br, buf)
            body += buf
    return bytes(head), b""


def quiet_close(c: Any) -> None:
    try:
        c.close()
    except OSError:
        pass  # closed already


class RawServer:
    """A TCP server on 127.0.0.1 whose connections each run handler(srv, conn, reader) in a goroutine."""

    def __init__(self, handler: Handler) -> None:
        self.ln = net.listen("tcp", "127.0.0.1:0")
        self.addr = str(self.ln.addr())
        self.url = f"http://{self.addr}"
        self.accepted = 0
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []
        self._conns: list[Any] = []
        self._handler = handler
        self._wg = sync.WaitGroup()
        self._wg.add(1)
        gonet.go(self._accept)

    def _accept(self) -> None:
        try:
            while True:
                try:
                    c = self.ln.accept()
                except OSError:
                    return
                self.accepted += 1
                self._conns.append(c)
                self._wg.add(1)
                gonet.go(self._run, c)
        finally:
            self._wg.done()

    def _run(self, c: Any) -> None:
        try:
            self._handler(self, c, bufio.Reader(c))
        except (OSError, EOFError):
            pass
        finally:
            quiet_close(c)
            self._wg.done()

    def next_request(self, br: bufio.Reader) -> bool:
        """Read a request into heads/bodies; False at EOF."""
        got = read_request(br)
        if got is None:
            return False
        self.heads.append(got[0])
        self.bodies.append(got[1])
        return True

    def close(self) -> None:
        self.ln.close()
        for c in self._conns:
            quiet_close(c)
        self._wg.wait()


def answering(*responses: bytes, then_close: bool = False) -> Handler:
    """A handler that answers each request on a connection with the next response (cycling)."""

    def handler(srv: RawServer, c: Any, br: bufio.Reader) -> None:
        i = 0
        while srv.next_request(br):
            c.write(responses[i % len(responses)])
            i += 1
            if then_close:
                return

    return handler


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        s = RawServer(handler)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close()


@pytest.fixture
def tr() -> Iterator[http.Transport]:
    t = http.Transport(proxy=None)
    yield t
    t.close_idle_connections()


def client(t: http.Transport, timeout: float | None = None) -> http.Client:
    return http.Client(transport=t, timeout=timeout)


# -- the request on the wire ------------------------------------------------------------------------


def test_get_writes_go_shaped_request_and_reuses_the_connection(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(OK))
    c = client(tr)
    for path in ("/a", "/b?x=1", "/c"):
        resp = c.get(srv.url + path)
        assert resp.status == "200 OK"
        assert resp.body.read() == b"hello"
    assert (
        srv.heads[0]
        == (
            f"GET /a HTTP/1.1\r\nHost: {srv.addr}\r\nUser-Agent: gonet-http-client/1.1\r\n"
            "Accept-Encoding: gzip\r\n\r\n"
        ).encode()
    )
    assert srv.heads[1].startswith(b"GET /b?x=1 HTTP/1.1\r\n")
    assert srv.accepted == 1
    assert tr.idle_conn_count() == 1


def test_post_bytes_sends_content_length_and_body(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(OK))
    resp = client(tr).post(srv.url + "/p", "text/plain", b"x" * 20000)
    resp.body.close()
    assert b"\r\nContent-Length: 20000\r\n" in srv.heads[0]
    assert b"\r\nContent-Type: text/plain\r\n" in srv.heads[0]
    assert srv.bodies[0] == b"x" * 20000


def test_post_reader_is_sent_chunked_and_empty_put_says_length_zero(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(OK))
    resp = client(tr).post(srv.url + "/p", "application/octet-stream", io.BytesIO(b"abc"))
    resp.body.read()
    assert b"\r\nTransfer-Encoding: chunked\r\n" in srv.heads[0]
    assert b"Content-Length" not in srv.heads[0]
    assert srv.bodies[0] == b"3\r\nabc\r\n0\r\n\r\n"
    resp = client(tr).do(http.new_request("PUT", srv.url + "/q"))
    resp.body.read()
    assert b"\r\nContent-Length: 0\r\n" in srv.heads[1]


def test_request_trailer_follows_the_last_chunk(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(OK))
    req = http.new_request("POST", srv.url + "/t", io.BytesIO(b"data"))
    req.trailer = http.Header({"X-Sum": "42"})
    client(tr).do(req).body.read()
    assert srv.bodies[0] == b"4\r\ndata\r\n0\r\nX-Sum: 42\r\n\r\n"


def test_body_shorter_than_content_length_fails(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(OK))
    req = http.new_request("POST", srv.url + "/p", io.BytesIO(b"abc"))
    req.content_length = 10
    with pytest.raises(URLError, match=r"http: ContentLength=10 with Body length 3"):
        client(tr).do(req)


def test_invalid_requests_are_refused_before_dialing(tr: http.Transport) -> None:
    c = client(tr)
    req = http.new_request("GET", "http://127.0.0.1:1/")
    req.header.set("X-A", "a\r\nInjected: 1")
    with pytest.raises(URLError, match=r"net/http: invalid header field value for \'X-A\'"):
        c.do(req)
    with pytest.raises(URLError, match=r'^Get "ftp://h/": unsupported protocol scheme "ftp"$'):
        c.get("ftp://h/")
    with pytest.raises(URLError, match=r"http: no Host in request URL"):
        c.get("http:///x")


def test_connection_refused_is_a_connection_refused_error(tr: http.Transport) -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    addr = str(ln.addr())
    ln.close()
    with pytest.raises(
        ConnectionRefusedError, match=rf'^Get "http://{addr}/": dial tcp {addr}: connect: connection refused'
    ):
        client(tr).get(f"http://{addr}/")


def test_disable_keep_alives_sends_connection_close(serve: Any) -> None:
    srv = serve(answering(OK))
    t = http.Transport(proxy=None, disable_keep_alives=True)
    for _ in range(2):
        assert client(t).get(srv.url).body.read() == b"hello"
    assert b"\r\nConnection: close\r\n" in srv.heads[0]
    assert srv.accepted == 2
    assert t.idle_conn_count() == 0


# -- reading responses --------------------------------------------------------------------------------


def test_chunked_response_with_trailer(serve: Any, tr: http.Transport) -> None:
    srv = serve(
        answering(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n"
        )
    )
    resp = client(tr).get(srv.url)
    assert resp.content_length == -1
    assert resp.transfer_encoding == ["chunked"]
    assert "Transfer-Encoding" not in resp.header
    assert "Trailer" not in resp.header
    assert resp.body.read(3) == b"hel"
    assert resp.body.read() == b"lo world"
    assert resp.trailer.get("X-Sum") == "11"
    assert client(tr).get(srv.url).body.read() == b"hello world"
    assert srv.accepted == 1


def test_gzip_is_asked_for_and_decoded(serve: Any, tr: http.Transport) -> None:
    data = b"gonet " * 1000
    z = gzip.compress(data)
    srv = serve(
        answering(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(z), z))
    )
    resp = client(tr).get(srv.url)
    assert resp.uncompressed
    assert resp.content_length == -1
    assert "Content-Encoding" not in resp.header
    assert "Content-Length" not in resp.header
    assert resp.body.read() == data
    # The connection went back to the pool once the compressed body ended.
    assert tr.idle_conn_count() == 1


def test_gzip_is_left_alone_when_the_caller_asked_for_it(serve: Any, tr: http.Transport) -> None:
    z = gzip.compress(b"raw")
    srv = serve(
        answering(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(z), z))
    )
    req = http.new_request("GET", srv.url)
    req.header.set("Accept-Encoding", "gzip")
    resp = client(tr).do(req)
    assert not resp.uncompressed
    assert resp.header.get("Content-Encoding") == "gzip"
    assert resp.body.read() == z
    t = http.Transport(proxy=None, disable_compression=True)
    client(t).get(srv.url).body.read()
    t.close_idle_connections()
    assert b"Accept-Encoding" not in srv.heads[1]


def test_bad_gzip_fails_the_read(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!"))
    resp = client(tr).get(srv.url)
    with pytest.raises(HTTPError, match=r"^gzip: invalid header$"):
        resp.body.read()


def test_body_until_eof_is_read_and_the_connection_not_reused(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(b"HTTP/1.1 200 OK\r\n\r\nall of it", then_close=True))
    resp = client(tr).get(srv.url)
    assert resp.content_length == -1
    assert resp.body.read() == b"all of it"
    assert tr.idle_conn_count() == 0


def test_truncated_body_is_an_unexpected_eof(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", then_close=True))
    resp = client(tr).get(srv.url)
    with pytest.raises(ErrUnexpectedEOF, match="^unexpected EOF$"):
        resp.body.read()


def test_malformed_response_names_the_status_line(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(b"garbage\r\n\r\n"))
    with pytest.raises(
        URLError,
        match=r"net/http: HTTP/1.x transport connection broken: malformed HTTP response 'garbage'",
    ):
        client(tr).get(srv.url)


def test_server_closing_without_answer_is_eof(serve: Any, tr: http.Transport) -> None:
    srv = serve(lambda srv, c, br: srv.next_request(br) and None)
    with pytest.raises(URLError, match=rf'^Get "{srv.url}/": EOF$'):
        client(tr).get(srv.url + "/")


def test_head_and_204_have_no_body_and_keep_the_connection(serve: Any, tr: http.Transport) -> None:
    srv = serve(
        answering(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            OK,
        )
    )
    c = client(tr)
    resp = c.head(srv.url)
    assert resp.content_length == 100
    assert resp.body.read() == b""
    resp = c.get(srv.url)
    assert resp.status_code == 204
    assert resp.content_length == 0
    assert resp.body.read() == b""
    assert c.get(srv.url).body.read() == b"hello"
    assert srv.accepted == 1
    assert b"Accept-Encoding" not in srv.heads[0]  # never for HEAD


def test_status_line_without_reason_and_http10(serve: Any, tr: http.Transport) -> None:
    srv = serve(
        answering(
            b"HTTP/1.1 299\r\nContent-Length: 0\r\n\r\n", b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
        )
    )
    resp = client(tr).get(srv.url)
    assert (resp.status, resp.status_code, resp.proto) == ("299", 299, "HTTP/1.1")
    resp = client(tr).get(srv.url)
    assert (resp.proto, resp.proto_major, resp.proto_minor, resp.close) == ("HTTP/1.0", 1, 0, True)
    assert resp.body.read() == b"ok"
    assert tr.idle_conn_count() == 0  # HTTP/1.0 without keep-alive: closed


def test_close_before_the_end_discards_the_connection(serve: Any, tr: http.Transport) -> None:
    big = b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n" + b"z" * 70000
    srv = serve(answering(big))
    resp = client(tr).get(srv.url)
    assert resp.body.read(10) == b"z" * 10
    resp.body.close()
    with pytest.raises(http.ErrBodyReadAfterClose, match="http: invalid Read on closed Body"):
        resp.body.read()
    assert tr.idle_conn_count() == 0


def test_close_after_the_whole_body_arrived_keeps_the_connection(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(OK))
    c = client(tr)
    with c.get(srv.url) as resp:
        assert resp.status_code == 200
    assert c.get(srv.url).body.read() == b"hello"
    assert srv.accepted == 1


def test_bytes_after_the_response_forbid_reuse(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(OK + b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    resp = client(tr).get(srv.url)
    assert resp.body.read() == b"hello"
    client(tr).get(srv.url).body.read()
    assert srv.accepted == 2


def test_stale_keep_alive_connection_is_retried_on_a_new_one(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(OK, then_close=True))  # keep-alive promised, then closed
    c = client(tr)
    assert c.get(srv.url).body.read() == b"hello"
    assert tr.idle_conn_count() == 1
    assert c.get(srv.url).body.read() == b"hello"
    assert srv.accepted == 2


def test_stale_connection_is_not_retried_for_a_post(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(OK, then_close=True))
    c = client(tr)
    c.get(srv.url).body.read()
    req = http.new_request("POST", srv.url, io.BytesIO(b"once"))
    with pytest.raises(URLError, match=rf'^Post "{srv.url}": (EOF|.*connection reset by peer|.*broken pipe)'):
        c.do(req)


# -- 100-continue -------------------------------------------------------------------------------------


def test_expect_continue_sends_the_body_after_100(serve: Any, tr: http.Transport) -> None:
    def handler(srv: RawServer, c: Any, br: bufio.Reader) -> None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += br.read_bytes(b"\n")
        srv.heads.append(head)
        c.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = bytearray(4)
        read_full(br, body)
        c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" + bytes(body))

    srv = serve(handler)
    req = http.new_request("PUT", srv.url, b"body")
    req.header.set("Expect", "100-continue")
    resp = client(tr).do(req)
    assert b"\r\nExpect: 100-continue\r\n" in srv.heads[0]
    assert resp.status_code == 200
    assert resp.body.read() == b"body"


def test_expect_continue_final_answer_skips_the_body(serve: Any, tr: http.Transport) -> None:
    def handler(srv: RawServer, c: Any, br: bufio.Reader) -> None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += br.read_bytes(b"\n")
        c.write(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
        srv.bodies.append(br.read_bytes(b"\n"))  # EOF when the client closes unsent

    srv = serve(handler)
    req = http.new_request("PUT", srv.url, b"body")
    req.header.set("Expect", "100-continue")
    resp = client(tr).do(req)
    assert resp.status_code == 417
    assert tr.idle_conn_count() == 0
    assert srv.bodies == []


# -- timeouts and cancellation -------------------------------------------------------------------------


def silent(srv: RawServer, c: Any, br: bufio.Reader) -> None:
    srv.next_request(br)
    br.read_bytes(b"\n")  # until the client goes away


def test_response_header_timeout(serve: Any) -> None:
    srv = serve(silent)
    t = http.Transport(proxy=None, response_header_timeout=0.05)
    with pytest.raises(
        TimeoutError, match=rf'^Get "{srv.url}": net/http: timeout awaiting response headers$'
    ):
        client(t).get(srv.url)


def test_context_cancel_aborts_the_wait_for_headers(serve: Any, tr: http.Transport) -> None:
    srv = serve(silent)
    ctx, cancel = context.with_cancel(context.background())
    gonet.go(lambda: (gonet.sleep(0.02), cancel()))
    with pytest.raises(URLError, match=rf'^Get "{srv.url}": context canceled$') as ei:
        client(tr).get(srv.url, ctx=ctx)
    assert isinstance(ei.value.err, Canceled)


def test_context_deadline_bounds_the_body_read(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"))
    ctx, cancel = context.with_timeout(context.background(), 0.1)
    try:
        resp = client(tr).get(srv.url, ctx=ctx)
        with pytest.raises(TimeoutError, match="^context deadline exceeded$"):
            resp.body.read()
    finally:
        cancel()
    assert tr.idle_conn_count() == 0


def test_tls_handshake_timeout(serve: Any) -> None:
    srv = serve(silent)
    t = http.Transport(proxy=None, tls_handshake_timeout=0.05)
    with pytest.raises(
        TimeoutError, match=r'^Get "https://127.0.0.1:\d+/": net/http: TLS handshake timeout$'
    ):
        client(t).get(f"https://{srv.addr}/")


# -- the idle pool ----------------------------------------------------------------------------------


def test_idle_connections_per_host_are_capped(serve: Any) -> None:
    srv = serve(answering(OK))
    t = http.Transport(proxy=None, max_idle_conns_per_host=2)
    c = client(t)
    resps = [c.get(srv.url) for _ in range(3)]  # three conns in flight at once
    for r in resps:
        r.body.read()
    assert srv.accepted == 3
    assert t.idle_conn_count() == 2
    t.close_idle_connections()
    assert t.idle_conn_count() == 0


def test_max_idle_conns_evicts_the_oldest(serve: Any) -> None:
    a, b = serve(answering(OK)), serve(answering(OK))
    t = http.Transport(proxy=None, max_idle_conns=1)
    c = client(t)
    c.get(a.url).body.read()
    c.get(b.url).body.read()
    assert t.idle_conn_count() == 1
    c.get(b.url).body.read()
    assert b.accepted == 1
    t.close_idle_connections()


def test_idle_conn_timeout_closes_idle_connections(serve: Any) -> None:
    srv = serve(answering(OK))
    t = http.Transport(proxy=None, idle_conn_timeout=0.02)
    c = client(t)
    c.get(srv.url).body.read()
    assert t.idle_conn_count() == 1
    gonet.sleep(0.1)
    assert t.idle_conn_count() == 0
    c.get(srv.url).body.read()
    assert srv.accepted == 2
    t.close_idle_connections()


# -- proxies ------------------------------------------------------------------------------------------


def test_http_proxy_gets_absolute_form_and_credentials(serve: Any) -> None:
    proxy = serve(answering(OK))
    t = http.Transport(proxy=http.proxy_url(f"http://u:p@{proxy.addr}"))
    try:
        c = client(t)
        assert c.get("http://example.invalid/x?y=1").body.read() == b"hello"
        assert c.get("http://other.invalid:8080/").body.read() == b"hello"
    finally:
        t.close_idle_connections()
    assert proxy.heads[0] == (
        b"GET http://example.invalid/x?y=1 HTTP/1.1\r\nHost: example.invalid\r\n"
        b"User-Agent: gonet-http-client/1.1\r\nAccept-Encoding: gzip\r\n"
        b"Proxy-Authorization: Basic dTpw\r\n\r\n"
    )
    assert proxy.heads[1].startswith(
        b"GET http://other.invalid:8080/ HTTP/1.1\r\nHost: other.invalid:8080\r\n"
    )
    assert proxy.accepted == 1  # every http target shares the proxy's connection


def test_unreachable_proxy_is_a_proxyconnect_error() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    addr = str(ln.addr())
    ln.close()
    t = http.Transport(proxy=http.proxy_url(f"http://{addr}"))
    with pytest.raises(
        ConnectionRefusedError,
        match=rf'^Get "http://example.invalid/": proxyconnect tcp: dial tcp {addr}: connect: connection refused$',
    ):
        client(t).get("http://example.invalid/")


def _tls_server_ctx(tmp_path: Any) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    cert, key = make_cert(tmp_path)
    sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    sctx.load_cert_chain(cert, key)
    sctx.set_alpn_protocols(["http/1.1"])
    cctx = ssl.create_default_context(cafile=str(cert))
    cctx.set_alpn_protocols(["http/1.1"])
    return sctx, cctx


def test_https_directly_with_sni_and_alpn(serve: Any, tmp_path: Any) -> None:
    sctx, cctx = _tls_server_ctx(tmp_path)
    seen: list[tuple[str | None, str | None]] = []

    def handler(srv: RawServer, c: Any, br: bufio.Reader) -> None:
        tc = tls.server(c, sctx)
        tc.handshake()
        seen.append((tc.selected_alpn_protocol(), tc.version()))
        answering(OK)(srv, tc, bufio.Reader(tc))

    srv = serve(handler)
    t = http.Transport(proxy=None, tls_context=cctx)
    try:
        resp = client(t).get(f"https://localhost:{srv.addr.rsplit(':', 1)[1]}/s")
        assert resp.body.read() == b"hello"
        assert resp.tls.selected_alpn_protocol() == "http/1.1"
        assert resp.tls.server_hostname == "localhost"
    finally:
        t.close_idle_connections()
    assert seen[0][0] == "http/1.1"


def test_https_through_a_connect_tunnel(serve: Any, tmp_path: Any) -> None:
    sctx, cctx = _tls_server_ctx(tmp_path)

    def tls_target(srv: RawServer, c: Any, br: bufio.Reader) -> None:
        tc = tls.server(c, sctx)
        answering(OK)(srv, tc, bufio.Reader(tc))

    def tunnel(srv: RawServer, c: Any, br: bufio.Reader) -> None:
        srv.next_request(br)
        target = srv.heads[-1].split()[1].decode()
        up = net.dial("tcp", target)
        c.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        wg = sync.WaitGroup()

        def upstream() -> None:
            try:
                gio.copy(up, br)
                up.close_write()
            except OSError:
                pass  # the server closed the client side at teardown

        wg.go(upstream)
        try:
            gio.copy(c, up)
        finally:
            wg.wait()
            up.close()

    target = serve(tls_target)
    proxy = serve(tunnel)
    t = http.Transport(proxy=http.proxy_url(f"http://u:p@{proxy.addr}"), tls_context=cctx)
    try:
        c = client(t)
        assert c.get(f"https://{target.addr}/a").body.read() == b"hello"
        assert c.get(f"https://{target.addr}/b").body.read() == b"hello"
    finally:
        t.close_idle_connections()
    assert proxy.heads[0] == (
        f"CONNECT {target.addr} HTTP/1.1\r\nHost: {target.addr}\r\nProxy-Authorization: Basic dTpw\r\n\r\n".encode()
    )
    assert proxy.accepted == 1
    assert target.heads[1].startswith(b"GET /b HTTP/1.1\r\n")


def test_refused_connect_reports_the_proxy_status_text(serve: Any) -> None:
    proxy = serve(answering(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))
    t = http.Transport(proxy=http.proxy_url(f"http://{proxy.addr}"))
    with pytest.raises(URLError, match=r'^Get "https://example.invalid/": Forbidden$'):
        client(t).get("https://example.invalid/")


def test_concurrent_requests_each_get_their_own_connection(serve: Any, tr: http.Transport) -> None:
    srv = serve(answering(OK))
    c = client(tr)
    wg = sync.WaitGroup()
    bodies: list[bytes] = []
    resps = [c.get(srv.url + f"/{i}") for i in range(5)]  # five in flight at once
    for r in resps:
        wg.go(lambda r=r: bodies.append(r.body.read()))
    wg.wait()
    assert bodies == [b"hello"] * 5
    assert srv.accepted == 5
    assert tr.idle_conn_count() == 2  # max_idle_conns_per_host
    for _ in range(3):
        wg.go(lambda: bodies.append(c.get(srv.url).body.read()))
    wg.wait()
    assert srv.accepted == 6  # two idle conns reused, one dialed


class Zeros:
    """A request body of n zero bytes, produced as it is read."""

    def __init__(self, n: int) -> None:
        self.left = n

    def read(self, size: int = -1) -> bytes:
        k = self.left if size < 0 else min(size, self.left)
        self.left -= k
        return bytes(k)


def test_context_cancel_aborts_a_blocked_body_write(serve: Any, tr: http.Transport) -> None:
    release: gonet.Chan[None] = gonet.Chan()

    def never_reads(srv: RawServer, c: Any, br: bufio.Reader) -> None:
        br.peek(1)
        release.recv()  # the client's writes fill the socket buffers, then block

    srv = serve(never_reads)
    ctx, cancel = context.with_cancel(context.background())
    gonet.go(lambda: (gonet.sleep(0.05), cancel()))
    req = http.new_request("POST", srv.url, Zeros(1 << 30), ctx=ctx)
    try:
        with pytest.raises(URLError, match=rf'^Post "{srv.url}": context canceled$'):
            client(tr).do(req)
    finally:
        release.close()
    assert tr.idle_conn_count() == 0


def test_lenient_like_go_bare_lf_and_chunked_with_length(serve: Any, tr: http.Transport) -> None:
    srv = serve(
        answering(
            b"HTTP/1.1 200 OK\nContent-Length: 2\nX-A: 1\n\nok",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
        )
    )
    c = client(tr)
    resp = c.get(srv.url)
    assert resp.header.get("X-A") == "1"
    assert resp.body.read() == b"ok"
    resp = c.get(srv.url)
    assert resp.transfer_encoding == ["chunked"]
    assert resp.content_length == -1
    assert "Content-Length" not in resp.header
    assert resp.body.read() == b"hi"
    assert tr.idle_conn_count() == 0  # Content-Length beside chunked: the conn is not reused

# gonet.http._transport: the client's HTTP/1.1 transport — a keep-alive connection pool, dialing
# through gonet.net (and gonet.tls for https), HTTP proxies and CONNECT tunnels, request writing,
# response reading with httptools, transparent gzip (Go: net/http/transport.go, the writer half
# of transfer.go, request.go's Request.write).
#
# The requesting goroutine does all the work of its exchange: it writes the request, reads the
# response head, and reads the body as the caller reads it. Go runs a read and a write goroutine
# per connection; here a connection costs no goroutine, idle or busy.
#
# Invariants:
# - No connection owns a read buffer: reads go to the thread's shared buffer and are parsed at
#   once (httptools copies what it keeps), so an idle pooled connection costs only its socket.
# - A connection serves one request at a time: it is either in the idle pool or owned by exactly
#   one response (until that response's body ends or is closed).
# - Pool keys include the scheduler's thread: a connection is only reused on the thread (the
#   netpoller) that dialed it.
# - A connection goes back to the pool only when its response ended cleanly, both sides want
#   keep-alive, no context abort could still touch it, and no byte beyond the response arrived.
# - A request context's cancellation or deadline reaches a blocked read or write by moving the
#   connection's deadline into the past (context.after_func), and is reported as ctx.err().
# - A request on a reused connection that fails before any response byte arrived is retried once
#   on a new connection when it can be replayed (Go's shouldRetryRequest).
from __future__ import annotations

import copy
import re
import ssl
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httptools

from gonet import tls
from gonet.context import after_func
from gonet.errors import DeadlineExceeded, HTTPError, HTTPTimeoutError, OpError, op_error
from gonet.http._gzip import GzipReader
from gonet.http._header import valid_header_field_name
from gonet.http._proxy import canonical_addr, proxy_from_environment
from gonet.http._request import BytesBody, NoBody
from gonet.http._response import BodyReader, Response, _ResponseState, _StopParsing
from gonet.io import EOF, ErrUnexpectedEOF
from gonet.net import Dialer
from gonet.runtime import now
from gonet.time import Timer
from gonet.time import after_func as time_after_func

if TYPE_CHECKING:
    from gonet.context import Context
    from gonet.http._request import Request
    from gonet.net import Conn
    from gonet.net.url import URL

__all__ = ["Transport", "default_transport", "DEFAULT_USER_AGENT"]

DEFAULT_USER_AGENT = "gonet-http-client/1.1"
"""The User-Agent sent when a request sets none (Go sends "Go-http-client/1.1")."""

_READ_SIZE = 64 * 1024
_WRITE_CHUNK = 32 * 1024
_SMALL_BODY = 16 * 1024  # bodies up to this size go out in the same write as the head
_REQ_EXCLUDE = frozenset({"Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer"})
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NO_BODY_METHODS_CL0 = frozenset({"POST", "PUT", "PATCH"})
_REPLAYABLE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_CONNECT_TIMEOUT = 60.0  # Go: the one-minute bound on a CONNECT without a context deadline
_MAX_HEADER_BYTES = 10 << 20  # Go: the default MaxResponseHeaderBytes


# One receive buffer per thread, shared by its connections: the bytes a read returns are fed to
# the parser (whose callbacks copy out what they keep) before the goroutine can switch, so no
# connection, idle or busy, holds a read buffer of its own.
_shared = threading.local()


class _ConnectMethod:
    """Where a request's connection goes: direct, through an HTTP proxy, or tunnelled. Go: connectMethod."""

    __slots__ = ("proxy", "scheme", "addr", "host", "key", "absolute_form")

    def __init__(self, proxy: URL | None, u: URL) -> None:
        self.proxy = proxy
        self.scheme = u.scheme
        self.addr = canonical_addr(u)
        self.host = u.hostname()
        # http through a proxy: requests name their target in absolute form, so every target
        # shares the proxy's connections (Go: connectMethod.key drops the target address).
        self.absolute_form = proxy is not None and u.scheme == "http"
        self.key = (
            threading.get_ident(),
            str(proxy) if proxy is not None else "",
            u.scheme,
            "" if self.absolute_form else self.addr,
        )


class _Conn:
    """One connection to a server or proxy, with its read buffer. Go: persistConn."""

    __slots__ = ("conn", "key", "tls", "reused", "idle_timer", "idle_at", "eof", "aborted", "closed")

    def __init__(self, conn: Conn, key: tuple[Any, ...]) -> None:
        self.conn = conn
        self.key = key
        self.tls: Any = None
        self.reused = False
        self.idle_timer: Timer | None = None
        self.idle_at = 0.0
        self.eof = False
        self.aborted = False
        self.closed = False

    def fill(self, st: _ResponseState) -> None:
        """Read once from the connection and feed the parser.

        Raises:
            EOF: the connection ended before any byte of the response.
            ErrUnexpectedEOF: it ended inside the response.
            HTTPError: the response is malformed.
            OSError: the read failed (timeout, reset, closed).
        """
        try:
            buf = _shared.buf
        except AttributeError:
            buf = _shared.buf = memoryview(bytearray(_READ_SIZE))
        n = self.conn.read(buf)
        if n == 0:
            self._at_eof(st)
            return
        data = buf[:n]
        st.received += n
        if not st.headers_done:
            if len(st.head) < 1024:
                st.head += data[:1024]
            if st.received > _MAX_HEADER_BYTES:
                raise HTTPError(
                    f"net/http: server response headers exceeded {_MAX_HEADER_BYTES} bytes; aborted"
                )
        try:
            st.parser.feed_data(data)
        except httptools.HttpParserCallbackError as e:
            if not isinstance(e.__context__, _StopParsing):
                raise
        except httptools.HttpParserUpgrade:
            # 101 Switching Protocols: the response ends at its head; the connection is not reused.
            st.complete = True
            st.keep_alive = False
        except httptools.HttpParserError as e:
            if not st.complete:
                raise _malformed(st, e) from e
            st.extra = True  # bytes after the response: do not reuse the connection

    def _at_eof(self, st: _ResponseState) -> None:
        self.eof = True
        if st.headers_done and not st.complete and st.until_eof:
            st.complete = True  # a body delimited by the end of the connection
            st.keep_alive = False
            return
        if st.received == 0:
            raise EOF()
        raise ErrUnexpectedEOF()

    def abort(self) -> None:
        """Fail the blocked read or write now (a context ended); runs in its own goroutine."""
        self.aborted = True
        try:
            self.conn.set_deadline(1.0)  # a moment long past
        except OSError:
            pass  # already closed

    def close(self) -> None:
        """Close the connection (once); never raises."""
        if self.closed:
            return
        self.closed = True
        t = self.idle_timer
        if t is not None:
            t.stop()
        try:
            self.conn.close()
        except OSError:
            pass


class _Retry(Exception):
    """The exchange failed on a reused connection before any response byte: try a new one."""

    def __init__(self, err: BaseException) -> None:
        super().__init__(str(err))
        self.err = err


def _default_tls_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class Transport:
    """The client's HTTP/1.1 round tripper: connection pool, proxies, TLS, gzip. Go: http.Transport.

    Args:
        max_idle_conns: idle connections kept across all hosts (0: no limit).
        max_idle_conns_per_host: idle connections kept per (scheme, host, proxy).
        idle_conn_timeout: seconds an idle connection is kept (None: forever).
        response_header_timeout: seconds to wait for the response head once the request is
            written (None: no limit); expiry fails with "net/http: timeout awaiting response headers".
        tls_handshake_timeout: seconds the TLS handshake may take (None: no limit).
        dialer: the gonet.net.Dialer for new connections (default: 30 s timeout, 30 s keep-alive).
        tls_context: the ssl.SSLContext for https (default: system CAs, hostname checking, ALPN
            http/1.1).
        disable_keep_alives: one request per connection ("Connection: close").
        disable_compression: do not ask for gzip (no automatic "Accept-Encoding: gzip").
        proxy: a function (req) -> URL | None choosing the proxy (proxy_from_environment,
            proxy_url(...)), or None for direct connections.
        expect_continue_timeout: seconds to wait for "100 Continue" before sending the body of a
            request with "Expect: 100-continue" (0: send it at once).
        proxy_connect_header: extra header fields for CONNECT requests.
    """

    def __init__(
        self,
        max_idle_conns: int = 100,
        max_idle_conns_per_host: int = 2,
        idle_conn_timeout: float | None = 90.0,
        response_header_timeout: float | None = None,
        tls_handshake_timeout: float | None = 10.0,
        dialer: Dialer | None = None,
        tls_context: ssl.SSLContext | None = None,
        disable_keep_alives: bool = False,
        disable_compression: bool = False,
        proxy: Callable[[Request], URL | None] | None = proxy_from_environment,
        expect_continue_timeout: float = 1.0,
        proxy_connect_header: dict[str, str] | None = None,
    ) -> None:
        self.max_idle_conns = max_idle_conns
        self.max_idle_conns_per_host = max_idle_conns_per_host
        self.idle_conn_timeout = idle_conn_timeout
        self.response_header_timeout = response_header_timeout
        self.tls_handshake_timeout = tls_handshake_timeout
        self.dialer = dialer if dialer is not None else Dialer(timeout=30.0, keep_alive=30.0)
        self.tls_context = tls_context
        self.disable_keep_alives = disable_keep_alives
        self.disable_compression = disable_compression
        self.proxy = proxy
        self.expect_continue_timeout = expect_continue_timeout
        self.proxy_connect_header = dict(proxy_connect_header or {})
        self._lock = threading.Lock()
        self._idle: dict[tuple[Any, ...], list[_Conn]] = {}
        self._idle_lru: dict[_Conn, None] = {}  # oldest first
        self._default_tls: ssl.SSLContext | None = None

    # -- the round trip -----------------------------------------------------------------------------

    def round_trip(self, req: Request) -> Response:
        """Send req and return the response (its head read, its body still on the wire).

        Redirects, cookies and Client.timeout are the Client's business, not the transport's.

        Raises:
            HTTPError: an invalid request ('unsupported protocol scheme "ftp"', "http: no Host in
                request URL", 'net/http: invalid header field name "a b"'), a malformed response,
                "net/http: timeout awaiting response headers" (also a TimeoutError).
            OSError: dialing, writing or reading failed (an OpError: "dial tcp ...: connect:
                connection refused").
            EOF: the server closed the connection without answering.
            Canceled, DeadlineExceeded: the request's context ended.

        Go: Transport.RoundTrip.
        """
        try:
            _check_request(req)
            proxy = self.proxy(req) if self.proxy is not None else None
        except BaseException:
            req.body.close()
            raise
        cm = _ConnectMethod(proxy, req.url)
        ctx = req._ctx
        while True:
            if ctx is not None:
                err = ctx.err()
                if err is not None:
                    req.body.close()
                    raise err
            pc = self._get_conn(cm, ctx)
            try:
                return self._exchange(pc, req, cm, ctx)
            except _Retry as r:
                if req.body is not NoBody:
                    if req.get_body is None:
                        raise r.err from None
                    req = copy.copy(req)
                    req.body = req.get_body()

    def _exchange(self, pc: _Conn, req: Request, cm: _ConnectMethod, ctx: Context | None) -> Response:
        """Write req on pc and read the response head. Go: persistConn.roundTrip."""
        st = _ResponseState(req.method == "HEAD")
        stop_ctx: Callable[[], bool] | None = None
        ctx_deadline: float | None = None
        header_timer_deadline: float | None = None
        conn = pc.conn
        try:
            if ctx is not None:
                ctx_deadline = ctx.deadline()
                if ctx_deadline is not None:
                    conn.set_deadline(ctx_deadline)
                stop_ctx = after_func(ctx, pc.abort)
            requested_gzip = self._write_request(pc, req, cm, st, ctx_deadline)
            if not st.headers_done and self.response_header_timeout is not None:
                header_timer_deadline = now() + self.response_header_timeout
                if ctx_deadline is None or header_timer_deadline < ctx_deadline:
                    conn.set_read_deadline(header_timer_deadline)
                else:
                    header_timer_deadline = None
            while not st.headers_done:
                pc.fill(st)
            if header_timer_deadline is not None:
                conn.set_read_deadline(ctx_deadline)
        except BaseException as e:
            pc.close()
            if stop_ctx is not None:
                stop_ctx()
            req.body.close()
            err = _ctx_error(ctx, e)
            if err is not None:
                raise err from e
            if header_timer_deadline is not None and isinstance(e, TimeoutError) and not pc.aborted:
                raise HTTPTimeoutError("net/http: timeout awaiting response headers") from e
            if pc.reused and st.received == 0 and isinstance(e, (OSError, EOFError)) and _replayable(req):
                raise _Retry(e) from e
            raise
        return self._response(pc, req, st, requested_gzip, stop_ctx, ctx_deadline is not None)

    def _response(
        self,
        pc: _Conn,
        req: Request,
        st: _ResponseState,
        requested_gzip: bool,
        stop_ctx: Callable[[], bool] | None,
        had_deadline: bool,
    ) -> Response:
        """Build the Response from a parsed head; its body releases pc. Go: persistConn.readResponse."""
        code = st.status_code
        reason = st.reason.decode("latin-1")
        h = st.header
        resp = Response(
            code,
            h,
            status=f"{code} {reason}" if reason else str(code),
            proto="HTTP/" + st.parser.get_http_version(),
            request=req,
        )
        resp.tls = pc.tls
        resp.close = not st.parser.should_keep_alive() if not st.complete else not st.keep_alive
        if st.chunked:
            resp.transfer_encoding = ["chunked"]
            h.delete("Content-Length")
        h.delete("Transfer-Encoding")
        h.delete("Trailer")
        resp.trailer = st.trailer
        cl = h.get("Content-Length")
        if st.head_only:
            resp.content_length = int(cl) if cl.isdigit() else -1
        elif code in (204, 304):
            resp.content_length = 0
        elif st.chunked or not cl.isdigit():
            resp.content_length = -1
        else:
            resp.content_length = int(cl)
        no_reuse = req.close or self.disable_keep_alives or resp.close

        def release(reusable: bool) -> None:
            if stop_ctx is not None and not stop_ctx():
                reusable = False  # the abort may still move the deadline: never reuse
            if reusable and st.keep_alive and not st.extra and not pc.eof and not pc.aborted and not no_reuse:
                if had_deadline:
                    try:
                        pc.conn.set_deadline(None)
                    except OSError:
                        pc.close()
                        return
                self._put_idle(pc)
            else:
                pc.close()

        if st.complete and st.buffered == 0:
            release(True)
            body: Any = NoBody
        else:
            body = BodyReader(st, lambda: pc.fill(st), release, _body_error(req))
        if requested_gzip and h.get("Content-Encoding").lower() == "gzip":
            body = GzipReader(body)
            h.delete("Content-Encoding")
            h.delete("Content-Length")
            resp.content_length = -1
            resp.uncompressed = True
        resp.body = body
        return resp

    # -- writing the request ------------------------------------------------------------------------

    def _write_request(
        self, pc: _Conn, req: Request, cm: _ConnectMethod, st: _ResponseState, ctx_deadline: float | None
    ) -> bool:
        """Write req's head and body; return whether gzip was asked for. Go: Request.write."""
        out, chunked, requested_gzip = self._head(req, cm)
        body = req.body
        conn = pc.conn
        if body is NoBody:
            conn.write(out)
            return requested_gzip
        if req.header.get("Expect").lower() == "100-continue" and self.expect_continue_timeout > 0:
            conn.write(out)
            if not self._await_continue(pc, st, ctx_deadline):
                body.close()
                st.extra = True  # the body we did not send may not be read as a request: close
                return requested_gzip
            out = bytearray()
        cl = req.content_length
        if not chunked and isinstance(body, BytesBody) and cl <= _SMALL_BODY:
            data = body.read()
            if len(data) != cl:
                raise HTTPError(f"http: ContentLength={cl} with Body length {len(data)}")
            out += data
            conn.write(out)
            return requested_gzip
        if out:
            conn.write(out)
        try:
            if chunked:
                _write_chunked(conn, body, req)
            else:
                _write_length(conn, body, cl)
        finally:
            body.close()
        return requested_gzip

    def _head(self, req: Request, cm: _ConnectMethod) -> tuple[bytearray, bool, bool]:
        """Return the request head, whether the body goes chunked, and whether gzip was asked for."""
        host = req.host or req.url.host
        if not host or any(c in host for c in " \t\r\n/"):
            raise HTTPError(f"http: invalid Host header {host!r}")
        ruri = req.url.request_uri()
        if cm.absolute_form and req.url.opaque == "":
            ruri = f"{req.url.scheme}://{host}{ruri}"
        out = bytearray(
            f"{req.method} {ruri} HTTP/1.1\r\nHost: {host}\r\n".encode("utf-8", "surrogateescape")
        )
        h = req.header
        ua = h._m.get("User-Agent")
        if ua is None:
            out += b"User-Agent: " + DEFAULT_USER_AGENT.encode() + b"\r\n"
        elif ua and ua[0]:
            out += b"User-Agent: " + ua[0].encode("latin-1", "replace") + b"\r\n"
        chunked = _framing(req, out)
        if (req.close or self.disable_keep_alives) and "close" not in h.get("Connection").lower():
            out += b"Connection: close\r\n"
        h.write(out, _REQ_EXCLUDE)
        requested_gzip = (
            not self.disable_compression
            and not h.get("Accept-Encoding")
            and not h.get("Range")
            and req.method != "HEAD"
        )
        if requested_gzip:
            out += b"Accept-Encoding: gzip\r\n"
        if cm.absolute_form and cm.proxy is not None and cm.proxy.user is not None:
            out += b"Proxy-Authorization: " + _basic_auth(cm.proxy).encode() + b"\r\n"
        out += b"\r\n"
        return out, chunked, requested_gzip

    def _await_continue(self, pc: _Conn, st: _ResponseState, ctx_deadline: float | None) -> bool:
        """Wait for "100 Continue"; return whether to send the body. Go: the continueCh wait."""
        conn = pc.conn
        wait_until = now() + self.expect_continue_timeout
        if ctx_deadline is not None and ctx_deadline < wait_until:
            wait_until = ctx_deadline
        conn.set_read_deadline(wait_until)
        try:
            while not st.got_100 and not st.headers_done:
                pc.fill(st)
        except TimeoutError:
            if pc.aborted or (ctx_deadline is not None and now() >= ctx_deadline):
                raise
        finally:
            conn.set_read_deadline(ctx_deadline)
        return not st.headers_done or 100 <= st.status_code < 200

    # -- connections --------------------------------------------------------------------------------

    def _get_conn(self, cm: _ConnectMethod, ctx: Context | None) -> _Conn:
        """Return an idle connection for cm, or dial a new one. Go: Transport.getConn."""
        key = cm.key
        stale: list[_Conn] = []
        pc: _Conn | None = None
        t = now()
        timeout = self.idle_conn_timeout
        with self._lock:
            lst = self._idle.get(key)
            while lst:
                c = lst.pop()
                self._idle_lru.pop(c, None)
                if timeout is not None and t - c.idle_at >= timeout:
                    stale.append(c)
                    continue
                pc = c
                break
            if lst is not None and not lst:
                del self._idle[key]
        for c in stale:
            c.close()
        if pc is not None:
            if pc.idle_timer is not None:
                pc.idle_timer.stop()
            return pc
        return self._dial_conn(cm, ctx)

    def _put_idle(self, pc: _Conn) -> None:
        """Keep pc for reuse, or close it if the pool is full. Go: Transport.tryPutIdleConn."""
        if self.disable_keep_alives or self.max_idle_conns_per_host <= 0:
            pc.close()
            return
        pc.reused = True
        pc.idle_at = now()
        evict: _Conn | None = None
        with self._lock:
            lst = self._idle.setdefault(pc.key, [])
            if len(lst) >= self.max_idle_conns_per_host:
                evict = pc
            else:
                lst.append(pc)
                self._idle_lru[pc] = None
                if self.max_idle_conns and len(self._idle_lru) > self.max_idle_conns:
                    evict = next(iter(self._idle_lru))
                    self._remove_idle_locked(evict)
        if evict is not None:
            evict.close()
        if evict is pc:
            return
        d = self.idle_conn_timeout
        if d is not None:
            if pc.idle_timer is None:
                pc.idle_timer = time_after_func(d, lambda: self._idle_expired(pc))
            else:
                pc.idle_timer.reset(d)

    def _remove_idle_locked(self, pc: _Conn) -> bool:
        """Take pc out of the pool; False if it was not there (in use, or already removed)."""
        if pc not in self._idle_lru:
            return False
        del self._idle_lru[pc]
        lst = self._idle.get(pc.key)
        if lst is not None:
            lst.remove(pc)
            if not lst:
                del self._idle[pc.key]
        return True

    def _idle_expired(self, pc: _Conn) -> None:
        with self._lock:
            removed = self._remove_idle_locked(pc)
        if removed:
            pc.close()

    def close_idle_connections(self) -> None:
        """Close every idle connection; connections in use are left alone.

        Go: Transport.CloseIdleConnections.
        """
        with self._lock:
            conns = list(self._idle_lru)
            self._idle.clear()
            self._idle_lru.clear()
        for pc in conns:
            pc.close()

    def idle_conn_count(self) -> int:
        """Return how many idle connections the pool holds (for tests and monitoring)."""
        with self._lock:
            return len(self._idle_lru)

    def _dial_conn(self, cm: _ConnectMethod, ctx: Context | None) -> _Conn:
        """Dial cm's first hop and set up TLS or a tunnel. Go: Transport.dialConn."""
        proxy = cm.proxy
        if proxy is not None and proxy.scheme not in ("http", "https"):
            raise HTTPError(f'proxyconnect: unsupported proxy scheme "{proxy.scheme}"')
        addr = canonical_addr(proxy) if proxy is not None else cm.addr
        try:
            conn: Conn = self.dialer.dial("tcp", addr, ctx)
        except OSError as e:
            err = _ctx_error(ctx, e)
            if err is not None:
                raise err from e  # Go: getConn answers the context's end, not the dial's
            if proxy is not None:
                raise _proxyconnect_error(e) from e
            raise
        pc = _Conn(conn, cm.key)
        stop_ctx = after_func(ctx, pc.abort) if ctx is not None else None
        try:
            if proxy is not None and proxy.scheme == "https":
                pc.conn = self._tls(pc, proxy.hostname(), ctx)
            if cm.scheme == "https":
                if proxy is not None:
                    self._connect_tunnel(pc, cm, ctx)
                pc.tls = pc.conn = self._tls(pc, cm.host, ctx)
            if stop_ctx is not None and not stop_ctx():
                raise _ctx_error(ctx, None) or HTTPError("net/http: request canceled")
        except BaseException as e:
            pc.close()
            if stop_ctx is not None:
                stop_ctx()
            err = _ctx_error(ctx, e)
            if err is not None:
                raise err from e
            raise
        return pc

    def _tls(self, pc: _Conn, host: str, ctx: Context | None) -> tls.TLSConn:
        """Run the TLS client handshake on pc's conn, bounded by tls_handshake_timeout."""
        context = self.tls_context
        if context is None:
            context = self._default_tls
            if context is None:
                context = self._default_tls = _default_tls_context()
        tconn = tls.client(pc.conn, server_hostname=host, context=context)
        deadline = ctx.deadline() if ctx is not None else None
        hs_deadline = None
        if self.tls_handshake_timeout is not None:
            hs_deadline = now() + self.tls_handshake_timeout
            if deadline is None or hs_deadline < deadline:
                deadline = hs_deadline
            else:
                hs_deadline = None
        try:
            if deadline is not None:
                tconn.set_deadline(deadline)
            tconn.handshake()
        except TimeoutError as e:
            if hs_deadline is not None and not pc.aborted:
                raise HTTPTimeoutError("net/http: TLS handshake timeout") from e
            raise
        if deadline is not None:
            tconn.set_deadline(None)
        return tconn

    def _connect_tunnel(self, pc: _Conn, cm: _ConnectMethod, ctx: Context | None) -> None:
        """Ask the proxy for a tunnel to cm.addr. Go: the CONNECT half of dialConn."""
        proxy = cm.proxy
        assert proxy is not None
        out = bytearray(f"CONNECT {cm.addr} HTTP/1.1\r\nHost: {cm.addr}\r\n".encode())
        if proxy.user is not None:
            out += b"Proxy-Authorization: " + _basic_auth(proxy).encode() + b"\r\n"
        for k, v in self.proxy_connect_header.items():
            out += f"{k}: {v}\r\n".encode("latin-1")
        out += b"\r\n"
        deadline = ctx.deadline() if ctx is not None else None
        pc.conn.set_deadline(deadline if deadline is not None else now() + _CONNECT_TIMEOUT)
        pc.conn.write(out)
        st = _ResponseState(True)
        while not st.headers_done:
            pc.fill(st)
        pc.conn.set_deadline(None)
        if st.status_code != 200:
            reason = st.reason.decode("latin-1").strip()
            raise HTTPError(reason or "unknown status code")


def _malformed(st: _ResponseState, e: BaseException) -> HTTPError:
    """Describe a response httptools rejected, with Go's texts."""
    if not st.headers_done:
        line = bytes(st.head).split(b"\r\n", 1)[0].split(b"\n", 1)[0].decode("latin-1")
        return HTTPError(f"net/http: HTTP/1.x transport connection broken: malformed HTTP response {line!r}")
    if st.chunked:
        return HTTPError("malformed chunked encoding")
    return HTTPError(f"net/http: HTTP/1.x transport connection broken: {e}")


def _proxyconnect_error(err: OSError) -> OSError:
    """Wrap a failed dial of the proxy: "proxyconnect tcp: dial tcp ...". Go: the proxyconnect OpError."""
    cause = err.err if isinstance(err, OpError) else err
    e = op_error("proxyconnect", "tcp", None, None, cause)
    e.strerror = str(err)
    e.err = err
    return e


def _check_request(req: Request) -> None:
    """Refuse a request the transport cannot send. Go: the checks at the top of Transport.roundTrip."""
    u = req.url
    if u.scheme not in ("http", "https"):
        raise HTTPError(f'unsupported protocol scheme "{u.scheme}"')
    if not u.host:
        raise HTTPError("http: no Host in request URL")
    for k, vs in req.header._m.items():
        if not valid_header_field_name(k):
            raise HTTPError(f"net/http: invalid header field name {k!r}")
        for v in vs:
            if _BAD_VALUE.search(v):
                # Go leaves the value out of the text: it may be a secret.
                raise HTTPError(f"net/http: invalid header field value for {k!r}")


def _framing(req: Request, out: bytearray) -> bool:
    """Append the body's framing header to out; return whether the body goes chunked.

    Go: transferWriter (Content-Length when known, chunked when not, "Content-Length: 0" for a
    POST, PUT or PATCH without a body).
    """
    cl = req.content_length
    if req.body is not NoBody:
        if cl > 0:
            out += b"Content-Length: %d\r\n" % cl
            return False
        out += b"Transfer-Encoding: chunked\r\n"
        return True
    if cl > 0:
        raise HTTPError(f"http: Request.ContentLength={cl} with nil Body")
    if req.method in _NO_BODY_METHODS_CL0:
        out += b"Content-Length: 0\r\n"
    return False


def _basic_auth(u: URL) -> str:
    import base64

    assert u.user is not None
    cred = f"{u.user.username()}:{u.user.password() or ''}".encode()
    return "Basic " + base64.b64encode(cred).decode("ascii")


def _replayable(req: Request) -> bool:
    """Report whether req may be sent again. Go: Request.isReplayable."""
    if req.body is not NoBody and req.get_body is None:
        return False
    return req.method in _REPLAYABLE or "Idempotency-Key" in req.header or "X-Idempotency-Key" in req.header


def _body_error(req: Request) -> Callable[[BaseException], BaseException]:
    """Map a body read failure: a context that ended reports its own error."""

    def map_err(e: BaseException) -> BaseException:
        return _ctx_error(req._ctx, e) or e

    return map_err


def _ctx_error(ctx: Context | None, e: BaseException | None) -> BaseException | None:
    """Return ctx's error if it has ended (or a timeout hit its deadline), else None."""
    if ctx is None:
        return None
    err = ctx.err()
    if err is not None:
        return err
    if isinstance(e, TimeoutError):
        d = ctx.deadline()
        if d is not None and now() >= d:
            return DeadlineExceeded()
    return None


def _write_length(conn: Conn, body: Any, cl: int) -> None:
    """Copy exactly cl bytes of body. Go: transferWriter.writeBody with a ContentLength."""
    left = cl
    while left > 0:
        chunk = body.read(min(left, _WRITE_CHUNK))
        if not chunk:
            break
        conn.write(chunk)
        left -= len(chunk)
    if left > 0:
        raise HTTPError(f"http: ContentLength={cl} with Body length {cl - left}")
    extra = body.read(1)
    if extra:
        raise HTTPError(f"http: ContentLength={cl} with Body length {cl + len(extra)}")


def _write_chunked(conn: Conn, body: Any, req: Request) -> None:
    """Send body in chunks, then the last chunk and the trailer. Go: internal/chunked.Writer."""
    while True:
        chunk = body.read(_WRITE_CHUNK)
        if not chunk:
            break
        conn.write(b"%x\r\n" % len(chunk) + bytes(chunk) + b"\r\n")
    end = bytearray(b"0\r\n")
    if req.trailer:
        req.trailer.write(end)
    end += b"\r\n"
    conn.write(end)


default_transport = Transport()
"""The Transport of default_client. Go: http.DefaultTransport."""

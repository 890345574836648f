# gonet.http._handlers: the small helper handlers of net/http (Go: server.go's Error, NotFound,
# Redirect, StripPrefix, TimeoutHandler; request.go's MaxBytesReader).
#
# Invariants:
# - error() always answers text/plain with X-Content-Type-Options: nosniff and without any
#   Content-Length set earlier (it may describe other content), as Go does.
# - timeout_handler's inner handler never writes to the real writer: it writes to a buffer
#   that is copied out only if it finished in time; after the timeout its writes raise
#   ErrHandlerTimeout.
# - max_bytes_reader never returns bytes past its limit, and tells the server to close the
#   connection after the response once the limit was hit.
from __future__ import annotations

import copy
import logging
import posixpath
from typing import TYPE_CHECKING, Any

from gonet.errors import ErrHandlerTimeout, MaxBytesError
from gonet.http._header import Header
from gonet.http._status import (
    STATUS_NOT_FOUND,
    STATUS_OK,
    STATUS_SERVICE_UNAVAILABLE,
    status_text,
)
from gonet.net.url import parse

if TYPE_CHECKING:
    from gonet.bufio import Reader
    from gonet.http._iface import Body, Handler, ResponseWriter
    from gonet.http._request import Request
    from gonet.net import Conn

__all__ = [
    "error",
    "not_found",
    "not_found_handler",
    "redirect",
    "redirect_handler",
    "strip_prefix",
    "max_bytes_reader",
    "MaxBytesReader",
    "timeout_handler",
    "html_escape",
]

_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def html_escape(s: str) -> str:
    """Escape &, <, >, " and ' for HTML. Go: htmlReplacer."""
    return s.translate(_HTML_ESCAPES)


def error(w: ResponseWriter, msg: str, code: int) -> None:
    """Reply with msg (plain text, a newline added) and status code. Go: http.Error.

    Any Content-Length already set is deleted; Content-Type becomes text/plain; charset=utf-8
    and X-Content-Type-Options: nosniff is set. The caller should write nothing more.
    """
    h = w.header()
    h.delete("Content-Length")
    h.set("Content-Type", "text/plain; charset=utf-8")
    h.set("X-Content-Type-Options", "nosniff")
    w.write_header(code)
    w.write((msg + "\n").encode("utf-8", "surrogateescape"))


def not_found(w: ResponseWriter, r: Request) -> None:
    """Reply "404 page not found" with status 404. Go: http.NotFound."""
    error(w, "404 page not found", STATUS_NOT_FOUND)


def not_found_handler() -> Handler:
    """Return a handler that replies 404 to every request. Go: http.NotFoundHandler."""
    return not_found


def _hex_escape_non_ascii(s: str) -> str:
    # Go: hexEscapeNonASCII: bytes >= 0x80 of the UTF-8 form become %XX.
    if s.isascii():
        return s
    return "".join(
        c if ord(c) < 0x80 else "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogateescape")) for c in s
    )


def redirect(w: ResponseWriter, r: Request, url: str, code: int) -> None:
    """Reply with a redirect to url, which may be relative to the request's path. Go: http.Redirect.

    A relative url is made absolute against r.url.path and cleaned (a trailing slash kept).
    Unless Content-Type was already set, GET and HEAD get Content-Type text/html and GET a
    small HTML body linking to the target.
    """
    try:
        u = parse(url)
    except ValueError:
        u = None
    if u is not None and not u.scheme and not u.host:
        oldpath = r.url.path or "/"
        if not url.startswith("/"):
            url = oldpath[: oldpath.rfind("/") + 1] + url
        query = ""
        q = url.find("?")
        if q >= 0:
            url, query = url[:q], url[q:]
        trailing = url.endswith("/")
        url = posixpath.normpath(url) if url else "."
        if url.startswith("//"):
            url = "/" + url.lstrip("/")  # posixpath keeps a leading "//"; path.Clean does not
        if trailing and not url.endswith("/"):
            url += "/"
        url += query
    h = w.header()
    had_ct = "Content-Type" in h._m
    h.set("Location", _hex_escape_non_ascii(url))
    if not had_ct and r.method in ("GET", "HEAD"):
        h.set("Content-Type", "text/html; charset=utf-8")
    w.write_header(code)
    if not had_ct and r.method == "GET":
        body = f'<a href="{html_escape(url)}">{status_text(code)}</a>.\n\n'
        w.write(body.encode("utf-8", "surrogateescape"))


class _RedirectHandler:
    """Redirect every request to a fixed URL. Go: redirectHandler."""

    __slots__ = ("url", "code")

    def __init__(self, url: str, code: int) -> None:
        self.url = url
        self.code = code

    def __call__(self, w: ResponseWriter, r: Request) -> None:
        redirect(w, r, self.url, self.code)

    def __repr__(self) -> str:
        return f"redirect_handler({self.url!r}, {self.code})"


def redirect_handler(url: str, code: int) -> Handler:
    """Return a handler that redirects every request to url with code. Go: http.RedirectHandler."""
    return _RedirectHandler(url, code)


def strip_prefix(prefix: str, h: Handler) -> Handler:
    """Return a handler that serves h with prefix removed from the request path. Go: http.StripPrefix.

    A request whose path (and raw_path, when set) does not start with prefix gets a 404.
    """
    if not prefix:
        return h

    def handler(w: ResponseWriter, r: Request) -> None:
        u = r.url
        if u.path.startswith(prefix) and (not u.raw_path or u.raw_path.startswith(prefix)):
            r2 = copy.copy(r)
            r2.url = u.clone()
            r2.url.path = u.path[len(prefix) :]
            r2.url.raw_path = u.raw_path[len(prefix) :] if u.raw_path else ""
            h(w, r2)
        else:
            not_found(w, r)

    return handler


class MaxBytesReader:
    """A request body limited to n bytes. Go: the reader http.MaxBytesReader returns.

    Reading past the limit raises MaxBytesError (every later read too) and asks the server to
    close the connection after the response (the writer's request_too_large(), when it has one).
    """

    __slots__ = ("_w", "_r", "_n", "_limit", "_err")

    def __init__(self, w: ResponseWriter | None, r: Body, n: int) -> None:
        self._w = w
        self._r = r
        self._n = max(n, 0)
        self._limit = self._n
        self._err: BaseException | None = None

    def _hit_limit(self) -> MaxBytesError:
        fn = getattr(self._w, "request_too_large", None)
        if callable(fn):
            fn()
        self._err = MaxBytesError(self._limit)
        return self._err

    def read(self, n: int = -1) -> bytes:
        """Read up to n bytes (all that remain when n < 0); b"" at the end.

        Raises:
            MaxBytesError: the body is longer than the limit ("http: request body too large").
        """
        if self._err is not None:
            raise self._err
        if n == 0:
            return b""
        if n < 0:
            parts: list[bytes] = []
            while True:
                chunk = self.read(65536)
                if not chunk:
                    return b"".join(parts)
                parts.append(chunk)
        # One byte more than remains tells whether the body goes past the limit.
        want = min(n, self._n + 1)
        data = self._r.read(want)
        if len(data) <= self._n:
            self._n -= len(data)
            return data
        keep = data[: self._n]
        self._n = 0
        err = self._hit_limit()
        if not keep:
            raise err
        return keep

    def readinto(self, buf: bytearray | memoryview) -> int:
        """Read into buf; return the count, 0 at the end (MaxBytesError past the limit)."""
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Close the underlying body."""
        self._r.close()


def max_bytes_reader(w: ResponseWriter | None, r: Body, n: int) -> MaxBytesReader:
    """Limit a request body to n bytes. Go: http.MaxBytesReader.

    Args:
        w: the response writer (told to close the connection once the limit is hit); may be None.
        r: the body to read (usually r.body).
        n: the most bytes that may be read.
    """
    return MaxBytesReader(w, r, n)


# -- timeout_handler ----------------------------------------------------------------------------

_TIMEOUT_BODY = "<html><head><title>Timeout</title></head><body><h1>Timeout</h1></body></html>"


class _TimeoutWriter:
    """The writer timeout_handler's inner handler gets: buffers everything. Go: timeoutWriter."""

    __slots__ = ("_h", "_buf", "code", "wrote_header", "err", "_log")

    def __init__(self, log: logging.Logger) -> None:
        self._h = Header()
        self._buf = bytearray()
        self.code = 0
        self.wrote_header = False
        self.err: BaseException | None = None
        self._log = log

    def header(self) -> Header:
        """Return the buffered header map."""
        return self._h

    def write_header(self, code: int) -> None:
        """Record the status (once)."""
        if code < 100 or code > 999:
            raise ValueError(f"invalid WriteHeader code {code}")
        if self.err is not None:
            return
        if self.wrote_header:
            self._log.warning("http: superfluous response.WriteHeader call")
            return
        self.wrote_header = True
        self.code = code

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Buffer data; raise ErrHandlerTimeout after the timeout."""
        if self.err is not None:
            raise self.err
        if not self.wrote_header:
            self.write_header(STATUS_OK)
        self._buf += data
        return len(data)

    def flush(self) -> None:
        """Do nothing: nothing leaves before the handler finishes (Go's timeoutWriter has no Flush)."""
        if self.err is not None:
            raise self.err

    def hijack(self) -> tuple[Conn, Reader]:
        """Refuse: a buffered response cannot hand over its connection."""
        from gonet.errors import ErrHijacked

        raise ErrHijacked("http: Hijack is not supported by timeout_handler's ResponseWriter")


class _TimeoutHandler:
    __slots__ = ("_h", "_dt", "_body", "_log")

    def __init__(self, h: Handler, dt: float, msg: str, log: logging.Logger | None) -> None:
        self._h = h
        self._dt = dt
        self._body = msg or _TIMEOUT_BODY
        self._log = log or logging.getLogger("gonet.http")

    def __call__(self, w: ResponseWriter, r: Request) -> None:
        from gonet import Chan, go, select
        from gonet.context import with_timeout
        from gonet.errors import DeadlineExceeded

        ctx, cancel = with_timeout(r.context(), self._dt)
        try:
            r2 = r.with_context(ctx)
            done: Chan[Any] = Chan(1)
            tw = _TimeoutWriter(self._log)
            inner = self._h

            def run() -> None:
                try:
                    inner(tw, r2)
                except BaseException as e:  # noqa: BLE001 - re-raised in the serving goroutine
                    done.send(e)
                    return
                done.send(None)

            go(run)
            res = select(done.recv_case(), ctx.done().recv_case())
            if res.index == 0:
                if res.value is not None:
                    raise res.value
                dst = w.header()
                for k, vs in tw.header()._m.items():
                    dst._m[k] = list(vs)
                w.write_header(tw.code if tw.wrote_header else STATUS_OK)
                if tw._buf:
                    w.write(bytes(tw._buf))
                return
            err = ctx.err()
            w.write_header(STATUS_SERVICE_UNAVAILABLE)
            if isinstance(err, DeadlineExceeded):
                w.write(self._body.encode("utf-8", "surrogateescape"))
                tw.err = ErrHandlerTimeout()
            else:
                tw.err = err
        finally:
            cancel()


def timeout_handler(
    h: Handler, dt: float, msg: str = "", *, error_log: logging.Logger | None = None
) -> Handler:
    """Return a handler that runs h with a time limit of dt seconds. Go: http.TimeoutHandler.

    h runs in its own goroutine, with a writer that buffers its response and a request whose
    context ends at the limit. If h finishes in time its response is sent; otherwise the client
    gets 503 with msg (Go's small "Timeout" HTML page when msg is ""), and h's later writes
    raise ErrHandlerTimeout. An exception raised by h in time is re-raised here.
    """
    return _TimeoutHandler(h, dt, msg, error_log)

# gonet.http._wsgi: host a PEP 3333 (WSGI) application as a gonet.http Handler.
#
# wsgi(app) returns a Handler that builds the environ from the Request, runs the app on the
# connection's goroutine and writes what it returns through the ResponseWriter, so the server's
# rules apply unchanged: a response that ends within the writer's first buffer gets a
# Content-Length, a longer one is chunked (or sent as is when the app set Content-Length).
#
# Invariants:
# - Headers go out on the first non-empty body block or when the app is done (PEP 3333), never
#   earlier; until then start_response may be called again with exc_info.
# - The app's iterable has close() called exactly once when it has one, whatever happens.
# - An iterable that may block between blocks (no __len__, no Content-Length) is flushed after
#   each non-empty block, so a streaming app's bytes reach the client before it asks for more.
# - The app never sets hop-by-hop headers (PEP 3333): start_response refuses them.
# - An app error before the headers went out is answered 500 (connection closed) and logged; an
#   error after is re-raised, so the server logs it and closes the half-written response.
#
# Per-request cost (compiled with Cython in the default build, _wsgi.pxd; pure Python otherwise):
# the environ is a copy of a prepared template plus the per-request keys; header-name -> environ
# key, status line -> code and response header name -> canonical key are cached; the
# _Response object is itself start_response (no bound method per request); and an app that
# returns a list or tuple of bytes has its whole body written at once. When that body fits in
# the server's first buffer and the app's Content-Length says exactly its size, the server's
# own response writer is left to compute the same Content-Length (its fast path), instead of
# checking the app's.
from __future__ import annotations

import logging
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

from gonet.errors import ErrBodyNotAllowed
from gonet.http._header import Header, canonical_header_key
from gonet.http._request import NoBody
from gonet.http._server import CHUNKING_THRESHOLD, response

if TYPE_CHECKING:
    from gonet.http._iface import ResponseWriter
    from gonet.http._request import Request

__all__ = ["wsgi", "WSGIHandler", "FileWrapper", "WSGIApp"]

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse: TypeAlias = Callable[..., Callable[[bytes], None]]
WSGIApp: TypeAlias = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
"""A PEP 3333 application: app(environ, start_response) -> iterable of bytes."""

# PEP 3333: "Applications and middleware are forbidden from using HTTP/1.1 hop-by-hop features".
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# 1xx is the server's business (100 Continue goes out when the app first reads the body).
_STATUS = re.compile(r"[2-9][0-9]{2} [^\r\n]*\Z")
_INPUT_CHUNK = 64 * 1024
# A list of blocks up to this size is joined and written once; a larger one block by block
# (joining would copy it all).
_JOIN_MAX = 64 * 1024
# The caches below are bounded: their keys come from apps (statuses, header names) and
# clients (header names, hosts); past the bound a miss is computed each time.
_CACHE_MAX = 1024
_LENGTH_LIMIT = 1 << 62


class _Input:
    """wsgi.input: a buffered, streaming reader over the request body (PEP 3333 input stream).

    Reads pull from the body as they need bytes, so a large upload is never held in memory
    unless the app asks for all of it; b"" at the end.
    """

    __slots__ = ("_body", "_buf", "_eof")

    def __init__(self, body: Any) -> None:
        self._body = body
        self._buf = bytearray()
        self._eof = body is NoBody

    def _fill(self, want: int) -> bool:
        """Read one chunk of at least want bytes (or the body's rest) into the buffer."""
        if self._eof:
            return False
        data = self._body.read(max(want, _INPUT_CHUNK))
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Read up to size bytes (all that remain when size is None or negative)."""
        buf = self._buf
        if size is None or size < 0:
            while self._fill(_INPUT_CHUNK):
                pass
            out = bytes(buf)
            buf.clear()
            return out
        if not buf and size and not self._eof:
            # Nothing held: a body read that brings exactly size bytes goes to the app as is.
            data = self._body.read(max(size, _INPUT_CHUNK))
            if not data:
                self._eof = True
                return b""
            if len(data) == size and type(data) is bytes:
                return data
            buf += data
        if len(buf) < size:
            # PEP 3333 lets read(n) return fewer bytes only at the end: keep reading until then.
            while len(buf) < size and self._fill(size - len(buf)):
                pass
        out = bytes(buf[:size])
        del buf[:size]
        return out

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line (up to and with b"\\n"), at most size bytes when size >= 0."""
        buf = self._buf
        limit = -1 if size is None else size
        start = 0
        while True:
            i = buf.find(b"\n", start)
            if i >= 0:
                end = i + 1
                break
            if 0 <= limit <= len(buf):
                end = limit
                break
            start = len(buf)
            if not self._fill(_INPUT_CHUNK):
                end = len(buf)
                break
        if 0 <= limit < end:
            end = limit
        out = bytes(buf[:end])
        del buf[:end]
        return out

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        """Read lines until the end (or until their total size reaches hint, when positive)."""
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


# The wsgi.input of every request without a body: it holds nothing and never reads.
_EMPTY_INPUT = _Input(NoBody)


class FileWrapper:
    """wsgi.file_wrapper: an iterable over a file that the handler sends with sendfile.

    Iterating yields blocks of blksize bytes (for middleware that reads it); when it reaches the
    handler unwrapped, a regular file is sent with the writer's read_from (sendfile) instead.
    """

    __slots__ = ("filelike", "blksize")

    def __init__(self, filelike: BinaryIO, blksize: int = 8192) -> None:
        self.filelike = filelike
        self.blksize = blksize

    def __iter__(self) -> Iterator[bytes]:
        read = self.filelike.read
        while True:
            data = read(self.blksize)
            if not data:
                return
            yield data

    def close(self) -> None:
        """Close the file when it can be closed (PEP 3333)."""
        close = getattr(self.filelike, "close", None)
        if callable(close):
            close()


def _split_host(hostport: str, default_port: str) -> tuple[str, str]:
    """Split "host:port" / "[v6]:port" / "host"; the port defaults to default_port."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end > 0:
            rest = hostport[end + 1 :]
            return hostport[1:end], rest[1:] if rest.startswith(":") and rest[1:] else default_port
    host, colon, port = hostport.rpartition(":")
    if colon and port.isdigit() and ":" not in host:
        return host, port
    return hostport, default_port


# Response header name -> its canonical key, for the names start_response has accepted (valid,
# not hop-by-hop); a name missing here is checked in full.
_header_keys: dict[str, str] = {}
# Status line -> its code, for the status lines start_response has accepted.
_status_codes: dict[str, int] = {}
# Content-Length value -> its number, for values in plain digits (the form the server writes).
_plain_lengths: dict[str, int] = {}


def _header_key(name: str) -> str:
    """Check a response header name of the app; return its canonical key, caching it."""
    if name.lower() in _HOP_BY_HOP:
        raise ValueError(f"wsgi: hop-by-hop header {name!r} not allowed (PEP 3333)")
    key = canonical_header_key(name)
    if len(_header_keys) < _CACHE_MAX:
        _header_keys[name] = key
    return key


def _status_code(status: str) -> int:
    """Check the app's status line ("200 OK"); return its code, caching it."""
    if _STATUS.match(status) is None:
        raise ValueError(f"wsgi: malformed status {status!r} (want e.g. '200 OK'; no 1xx)")
    code = int(status[:3])
    if len(_status_codes) < _CACHE_MAX:
        _status_codes[status] = code
    return code


def _parse_length(value: str) -> int:
    """Parse the app's Content-Length; remember it when in plain digits (see _plain_lengths)."""
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"wsgi: invalid Content-Length {value!r}") from None
    if not -_LENGTH_LIMIT < n < _LENGTH_LIMIT:
        # Larger than any body can be: it only ever compares unequal to real sizes, and a
        # clamped value fits a C integer in the compiled build.
        n = _LENGTH_LIMIT if n > 0 else -_LENGTH_LIMIT
    if value.isascii() and value.isdigit() and (value[0] != "0" or len(value) == 1):
        if len(_plain_lengths) < _CACHE_MAX:
            _plain_lengths[value] = n
        return n
    return n


_cgi_keys: dict[str, str] = {}
# (hostport, default port) -> (host, port), one map per default port.
_hosts: dict[str, dict[str, tuple[str, str]]] = {"": {}, "80": {}, "443": {}}


def _cgi_key(k: str) -> str:
    """Return the environ key of header k ("" for none), caching it."""
    if k == "Content-Type":
        key = "CONTENT_TYPE"
    elif k == "Content-Length":
        key = "CONTENT_LENGTH"
    elif "_" in k:
        # X_Forwarded_For and X-Forwarded-For would both become HTTP_X_FORWARDED_FOR: drop the
        # underscore spelling so a client cannot pass for a proxy's header.
        key = ""
    else:
        key = "HTTP_" + k.upper().replace("-", "_")
    if len(_cgi_keys) < _CACHE_MAX:
        _cgi_keys[k] = key
    return key


def _split_host_cached(hostport: str, default_port: str) -> tuple[str, str]:
    """_split_host, remembered (a server sees the same few hosts and clients again and again)."""
    cache = _hosts[default_port]
    got = cache.get(hostport)
    if got is None:
        got = _split_host(hostport, default_port)
        if len(cache) < _CACHE_MAX:
            cache[hostport] = got
    return got


def _body_allowed(code: int) -> bool:
    """Report whether a response with status code may have a body (not 1xx, 204, 304)."""
    return not (code < 200 or code == 204 or code == 304)


class _ClientGone(Exception):
    """The writer failed with an OSError: the client went away mid-response."""


class _Response:
    """The state of one request's response: what start_response said, whether it went out.

    The object is the app's start_response: calling it is PEP 3333's start_response.
    """

    __slots__ = ("w", "status", "headers", "code", "sent", "length", "plain_length", "body_ok")

    def __init__(self, w: ResponseWriter) -> None:
        self.w = w
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.code = 0
        self.sent = False
        self.length = -1  # the app's Content-Length, -1 when it gave none
        # The app gave exactly one Content-Length, in plain digits (the form the server writes).
        self.plain_length = False
        self.body_ok = True  # False once the writer refused a body (HEAD, 204, 304)

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        """PEP 3333's start_response: record the status and headers; return write()."""
        if exc_info is not None:
            try:
                if self.sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # break the frame <-> traceback cycle, as PEP 3333 asks
        elif self.status is not None:
            raise RuntimeError("wsgi: start_response called a second time without exc_info")
        if type(status) is not str:
            raise TypeError(f"wsgi: status must be str, not {type(status).__name__}")
        code = _status_codes.get(status)
        if code is None:
            code = _status_code(status)
        self._check_headers(headers)
        self.status = status
        self.code = code
        self.headers = headers
        return self.write

    def _check_headers(self, headers: list[tuple[str, str]]) -> None:
        """Validate start_response's headers (PEP 3333); note their Content-Length."""
        if type(headers) is not list:
            raise TypeError(f"wsgi: headers must be a list, not {type(headers).__name__}")
        length = -1
        lengths = 0
        plain = False
        for item in headers:
            if type(item) is not tuple or len(item) != 2:
                raise TypeError(f"wsgi: each header must be a (name, value) tuple, not {item!r}")
            name, value = item
            if type(name) is not str or type(value) is not str:
                raise TypeError(f"wsgi: header name and value must be str: {item!r}")
            key = _header_keys.get(name)
            if key is None:
                key = _header_key(name)
            if key == "Content-Length":
                lengths += 1
                got = _plain_lengths.get(value)
                if got is not None:
                    length = got
                    plain = True
                else:
                    length = _parse_length(value)
                    plain = False
        self.length = length
        self.plain_length = plain and lengths == 1

    def send_headers(self, skip_length: bool = False) -> None:
        """Put the app's headers on the writer and send the status line (once).

        skip_length: leave the app's Content-Length out (the server writes the same one).
        """
        if self.status is None:
            raise RuntimeError("wsgi: the app did not call start_response before its body or its end")
        self.sent = True
        w = self.w
        # The server's own writer is called directly (C calls when compiled); any other
        # ResponseWriter through its methods.
        rw = w if type(w) is response else None
        h = rw._h if rw is not None else w.header()
        if type(h) is not Header:  # a writer's own header type: through its add()
            for name, value in self.headers:
                if not (skip_length and _header_keys.get(name) == "Content-Length"):
                    h.add(name, value)
            self.w.write_header(self.code)
            return
        m = h._m  # Header.add, without its call and canonicalising (cached here)
        for name, value in self.headers:
            key = _header_keys.get(name)
            if key is None:
                key = _header_key(name)
            if skip_length and key == "Content-Length":
                continue
            vs = m.get(key)
            if vs is None:
                m[key] = [value]
            else:
                vs.append(value)
        if rw is not None:
            rw.write_header(self.code)
        else:
            w.write_header(self.code)

    def write(self, data: bytes) -> None:
        """PEP 3333's write() callable: send data now (headers first)."""
        if type(data) is not bytes:
            raise TypeError(f"wsgi: write() takes bytes, not {type(data).__name__}")
        if not self.sent:
            self.send_headers()
        if data and self.body_ok:
            try:
                self.w.write(data)
            except ErrBodyNotAllowed:
                self.body_ok = False
                return
            self.w.flush()


class WSGIHandler:
    """A Handler that runs a WSGI application. Go: none (net/http has no WSGI); see wsgi()."""

    __slots__ = ("app", "script_name", "multiprocess", "error_log", "errors", "_base")

    def __init__(
        self,
        app: WSGIApp,
        *,
        script_name: str = "",
        multiprocess: bool = False,
        errors: Any = None,
        error_log: logging.Logger | None = None,
    ) -> None:
        self.app = app
        self.script_name = script_name.rstrip("/")
        self.multiprocess = multiprocess
        self.errors = errors
        self.error_log = error_log if error_log is not None else logging.getLogger("gonet.http")
        # Each request's environ starts as a copy of this template: the fixed keys, and every
        # key that each request sets (placeholders here). Copying a dict that has all of them
        # clones its table, and setting them then replaces values: no insertion, no resize.
        # HTTP_HOST is in it too (nearly every request has a Host), which also makes the table
        # large enough for the request's own headers.
        self._base: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": multiprocess,
            "wsgi.run_once": False,
            "wsgi.file_wrapper": FileWrapper,
            # The input reads b"" at the end of the body, chunked ones included (the extension
            # Werkzeug and gunicorn use to read bodies without a Content-Length).
            "wsgi.input_terminated": True,
            "SCRIPT_NAME": self.script_name,
            "REQUEST_METHOD": "",
            "PATH_INFO": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "",
            "SERVER_PORT": "",
            "SERVER_PROTOCOL": "",
            "REMOTE_ADDR": "",
            "REMOTE_PORT": "",
            "REQUEST_URI": "",
            "wsgi.url_scheme": "http",
            "wsgi.input": None,
            "wsgi.errors": None,
            "gonet.request": None,
            "HTTP_HOST": "",
        }

    def environ(self, r: Request) -> dict[str, Any]:
        """Build the PEP 3333 environ of request r."""
        tls = r.tls is not None
        path = r.url.path
        if not path.isascii():
            # PEP 3333: the native string holds the request's bytes decoded as latin-1.
            path = path.encode("utf-8", "surrogateescape").decode("latin-1")
        sn = self.script_name
        if sn and (path == sn or path.startswith(sn + "/")):
            path = path[len(sn) :]
        host = r.host
        name, port = _split_host_cached(host, "443" if tls else "80")
        rhost, rport = _split_host_cached(r.remote_addr, "")
        b = r.body
        env = self._base.copy()
        env["REQUEST_METHOD"] = r.method
        env["PATH_INFO"] = path
        env["QUERY_STRING"] = r.url.raw_query
        env["SERVER_NAME"] = name or "localhost"
        env["SERVER_PORT"] = port
        env["SERVER_PROTOCOL"] = r.proto
        env["REMOTE_ADDR"] = rhost
        env["REMOTE_PORT"] = rport
        env["REQUEST_URI"] = r.request_uri
        env["wsgi.url_scheme"] = "https" if tls else "http"
        env["wsgi.input"] = _EMPTY_INPUT if b is NoBody else _Input(b)
        env["wsgi.errors"] = self.errors if self.errors is not None else sys.stderr
        env["gonet.request"] = r
        if host:
            env["HTTP_HOST"] = host
        else:
            del env["HTTP_HOST"]
        m = r.header._m
        for k, vs in m.items():
            key = _cgi_keys.get(k)
            if key is None:
                key = _cgi_key(k)
            # CONTENT_LENGTH comes from the body's real length, below.
            if key and key != "CONTENT_LENGTH":
                if len(vs) == 1 or key == "CONTENT_TYPE":
                    env[key] = vs[0]
                else:  # RFC 9110 5.3: repeated fields join with commas; cookie pairs with "; "
                    env[key] = ("; " if key == "HTTP_COOKIE" else ", ").join(vs)
        n = r.content_length
        if n > 0 or (n == 0 and "Content-Length" in m):
            env["CONTENT_LENGTH"] = str(n)
        return env

    def __call__(self, w: ResponseWriter, r: Request) -> None:
        """Run the app for r and write its response to w."""
        env = self.environ(r)
        resp = _Response(w)
        try:
            result = self.app(env, resp)
        except Exception:
            if resp.sent:  # the app wrote with write() and then failed
                raise
            self._fail(resp, r)
            return
        # A list or tuple: its size is known and it has no close() to call.
        blocks = result if type(result) is list or type(result) is tuple else None
        try:
            if blocks is None or not self._send_blocks(resp, blocks, r):
                self._send(resp, result, r.method == "HEAD")
        except _ClientGone:
            return  # nothing more can be sent; the server closes the connection
        except Exception:
            if resp.sent:
                raise
            self._fail(resp, r)
        finally:
            if blocks is None:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    # Go's Handler.ServeHTTP spelling, as on ServeMux: it also tells `gonet serve` (and anyone
    # inspecting) that this object is a Go-style handler (the compiled __call__ shows no
    # parameter names to inspect.signature).
    serve_http = __call__

    def _send_blocks(self, resp: _Response, blocks: list[bytes] | tuple[bytes, ...], r: Request) -> bool:
        """Write a list or tuple of bytes at once; False (nothing done) when _send must do it."""
        if resp.sent or resp.status is None:
            return False  # after write(), or start_response missing: _send's rules apply
        total = 0
        for data in blocks:
            if type(data) is not bytes:
                return False  # _send writes the blocks before it and then names the bad one
            total += len(data)
        w = resp.w
        # The server's writer adds a Content-Length to a response that ends within its first
        # buffer: the app's, when it says the same in the same form, need not be checked.
        resp.send_headers(
            total == resp.length
            and resp.plain_length
            and total <= CHUNKING_THRESHOLD
            and type(w) is response
            and _body_allowed(resp.code)
            and r.method != "HEAD"
        )
        if not total:
            return True
        try:
            if len(blocks) == 1:
                if type(w) is response:
                    rw = w
                    rw.write(blocks[0])
                else:
                    w.write(blocks[0])
            elif total <= _JOIN_MAX:
                w.write(b"".join(blocks))
            else:
                for data in blocks:
                    if data:
                        w.write(data)
        except ErrBodyNotAllowed:
            resp.body_ok = False
        except OSError as e:
            raise _ClientGone() from e
        return True

    def _send(self, resp: _Response, result: Iterable[bytes], head: bool) -> None:
        """Write the app's iterable: sendfile for a FileWrapper, else block by block."""
        w = resp.w
        if type(result) is FileWrapper and self._sendfile(resp, result, head):
            return
        if isinstance(result, (bytes, str)):
            # Iterating would yield ints or 1-char strings, one block each: name the real bug.
            raise TypeError(
                f"wsgi: the app returned {type(result).__name__}, not an iterable of bytes (return [body])"
            )
        sized = hasattr(result, "__len__")
        stream = resp.sent and resp.length < 0 and not sized  # after the write() callable
        for data in result:
            if type(data) is not bytes:
                raise TypeError(f"wsgi: the app yielded {type(data).__name__}, not bytes")
            if not data:
                continue
            if not resp.sent:
                resp.send_headers()
                # A generator calls start_response on its first step: decide only now.
                stream = resp.length < 0 and not sized
            if not resp.body_ok:
                return
            try:
                w.write(data)
                if stream:
                    w.flush()
            except ErrBodyNotAllowed:
                resp.body_ok = False
                return
            except OSError as e:
                raise _ClientGone() from e
        if not resp.sent:
            resp.send_headers()

    def _sendfile(self, resp: _Response, fw: FileWrapper, head: bool) -> bool:
        """Send fw's regular file with w.read_from; False when it must be iterated instead."""
        read_from = getattr(resp.w, "read_from", None)
        f = fw.filelike
        fileno = getattr(f, "fileno", None)
        if read_from is None or fileno is None:
            return False
        try:
            st = os.fstat(fileno())
            pos = f.tell()
        except (OSError, ValueError):
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        remaining = max(st.st_size - pos, 0)
        if resp.length > remaining or 0 <= resp.length < remaining:
            return False  # the app's Content-Length disagrees: send what it says, block by block
        if resp.status is None:
            raise RuntimeError("wsgi: the app returned a file before calling start_response")
        if resp.length < 0:
            resp.headers = [*resp.headers, ("Content-Length", str(remaining))]
            resp.length = remaining
        resp.send_headers()
        if remaining and resp.body_ok and not head:  # HEAD: the Content-Length says it all
            try:
                # The head leaves first, on its own (with a Content-Length nothing is chunked),
                # so read_from has nothing left to do but sendfile.
                resp.w.flush()
                read_from(f)
            except ErrBodyNotAllowed:
                resp.body_ok = False
            except OSError as e:
                raise _ClientGone() from e
        return True

    def _fail(self, resp: _Response, r: Request) -> None:
        """Answer an app error that happened before the headers went out: log it, send 500."""
        self.error_log.error(
            "wsgi: error in app serving %s %s for %s", r.method, r.request_uri, r.remote_addr, exc_info=True
        )
        resp.sent = True
        h = resp.w.header()
        h._m.clear()
        h.set("Content-Type", "text/plain; charset=utf-8")
        h.set("Connection", "close")
        resp.w.write_header(500)
        try:
            resp.w.write(b"Internal Server Error\n")
        except (OSError, ErrBodyNotAllowed):
            pass


def wsgi(
    app: WSGIApp,
    *,
    script_name: str = "",
    multiprocess: bool = False,
    errors: Any = None,
    error_log: logging.Logger | None = None,
) -> WSGIHandler:
    """Return a Handler that serves the WSGI application app (PEP 3333).

    Args:
        app: app(environ, start_response) -> iterable of bytes.
        script_name: the mount point (SCRIPT_NAME); a request path under it loses the prefix
            in PATH_INFO.
        multiprocess: the value of wsgi.multiprocess (True under `gonet serve --workers`).
        errors: the wsgi.errors stream (default: sys.stderr).
        error_log: where app errors are logged (default: the "gonet.http" logger).

    Returns:
        A Handler (w, r). Headers whose names contain "_" are not passed to the app (they would
        alias the "-" spelling in the environ). The status line carries Go's reason phrase.

    Go: none; the counterpart of wrapping a handler with http.HandlerFunc.
    """
    return WSGIHandler(
        app, script_name=script_name, multiprocess=multiprocess, errors=errors, error_log=error_log
    )

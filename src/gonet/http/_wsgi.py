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


class _Input:
    """wsgi.input: a buffered, streaming reader over the request body (PEP 3333 input stream).

    Reads pull from the body as they need bytes, so a large upload is never held in memory
    unless the app asks for all of it; b"" at the end.
    """

    __slots__ = ("_body", "_buf", "_eof")

    def __init__(self, body: Any) -> None:
        self._body = body
        self._buf = bytearray()
        self._eof = False

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
        if len(buf) < size:
            # One body read: the app gets what has arrived, like a socket read (PEP 3333
            # lets read(n) return fewer bytes only at the end, so keep reading until then).
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


def _check_headers(headers: list[tuple[str, str]]) -> int:
    """Validate start_response's headers (PEP 3333); return their Content-Length or -1."""
    if type(headers) is not list:
        raise TypeError(f"wsgi: headers must be a list, not {type(headers).__name__}")
    length = -1
    for item in headers:
        if type(item) is not tuple or len(item) != 2:
            raise TypeError(f"wsgi: each header must be a (name, value) tuple, not {item!r}")
        name, value = item
        if type(name) is not str or type(value) is not str:
            raise TypeError(f"wsgi: header name and value must be str: {item!r}")
        low = name.lower()
        if low in _HOP_BY_HOP:
            raise ValueError(f"wsgi: hop-by-hop header {name!r} not allowed (PEP 3333)")
        if low == "content-length":
            try:
                length = int(value)
            except ValueError:
                raise ValueError(f"wsgi: invalid Content-Length {value!r}") from None
    return length


_cgi_keys: dict[str, str] = {}
_CGI_KEYS_MAX = 1024
_hosts: dict[tuple[str, str], tuple[str, str]] = {}
_HOSTS_MAX = 1024


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
    if len(_cgi_keys) < _CGI_KEYS_MAX:
        _cgi_keys[k] = key
    return key


def _split_host_cached(hostport: str, default_port: str) -> tuple[str, str]:
    """_split_host, remembered (a server sees the same few hosts and clients again and again)."""
    got = _hosts.get((hostport, default_port))
    if got is None:
        got = _split_host(hostport, default_port)
        if len(_hosts) < _HOSTS_MAX:
            _hosts[(hostport, default_port)] = got
    return got


class _ClientGone(Exception):
    """The writer failed with an OSError: the client went away mid-response."""


class _Response:
    """The state of one request's response: what start_response said, whether it went out."""

    __slots__ = ("w", "status", "headers", "code", "sent", "length", "body_ok")

    def __init__(self, w: ResponseWriter) -> None:
        self.w = w
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.code = 0
        self.sent = False
        self.length = -1  # the app's Content-Length, -1 when it gave none
        self.body_ok = True  # False once the writer refused a body (HEAD, 204, 304)

    def start_response(
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
        if _STATUS.match(status) is None:
            raise ValueError(f"wsgi: malformed status {status!r} (want e.g. '200 OK'; no 1xx)")
        length = _check_headers(headers)
        self.status = status
        self.code = int(status[:3])
        self.headers = headers
        self.length = length
        return self.write

    def send_headers(self) -> None:
        """Put the app's headers on the writer and send the status line (once)."""
        if self.status is None:
            raise RuntimeError("wsgi: the app did not call start_response before its body or its end")
        self.sent = True
        h = self.w.header()
        for name, value in self.headers:
            h.add(name, value)
        self.w.write_header(self.code)

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
        name, port = _split_host_cached(r.host, "443" if tls else "80")
        rhost, rport = _split_host_cached(r.remote_addr, "")
        env = {
            **self._base,
            "REQUEST_METHOD": r.method,
            "PATH_INFO": path,
            "QUERY_STRING": r.url.raw_query,
            "SERVER_NAME": name or "localhost",
            "SERVER_PORT": port,
            "SERVER_PROTOCOL": r.proto,
            "REMOTE_ADDR": rhost,
            "REMOTE_PORT": rport,
            "REQUEST_URI": r.request_uri,
            "wsgi.url_scheme": "https" if tls else "http",
            "wsgi.input": _Input(r.body),
            "wsgi.errors": self.errors if self.errors is not None else sys.stderr,
            "gonet.request": r,
        }
        if r.host:
            env["HTTP_HOST"] = r.host
        for k, vs in r.header._m.items():
            key = _cgi_keys.get(k)
            if key is None:
                key = _cgi_key(k)
            if key:
                if len(vs) == 1 or key == "CONTENT_TYPE":
                    env[key] = vs[0]
                else:  # RFC 9110 5.3: repeated fields join with commas; cookie pairs with "; "
                    env[key] = ("; " if key == "HTTP_COOKIE" else ", ").join(vs)
        env.pop("CONTENT_LENGTH", None)  # the body's real length, from the request, instead
        if r.content_length > 0 or (r.content_length == 0 and "Content-Length" in r.header._m):
            env["CONTENT_LENGTH"] = str(r.content_length)
        return env

    def __call__(self, w: ResponseWriter, r: Request) -> None:
        """Run the app for r and write its response to w."""
        env = self.environ(r)
        resp = _Response(w)
        try:
            result = self.app(env, resp.start_response)
        except Exception:
            if resp.sent:  # the app wrote with write() and then failed
                raise
            self._fail(resp, r)
            return
        try:
            self._send(resp, result, r.method == "HEAD")
        except _ClientGone:
            return  # nothing more can be sent; the server closes the connection
        except Exception:
            if resp.sent:
                raise
            self._fail(resp, r)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

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

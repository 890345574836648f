# gonet.http._server: the HTTP/1.1 server — Server, the per-connection goroutine and the
# response writer (Go: net/http/server.go: Server, conn.serve, response, chunkWriter).
#
# One goroutine per connection reads requests and runs the handler for each in turn, on the
# connection's own goroutine; no goroutine is created per request. The request head and body
# are parsed by httptools (llhttp), fed from one shared receive buffer: each chunk received is
# fed to the parser at once, whose callbacks copy out what they keep, so no connection holds a
# read buffer while idle. Pipelined requests parsed ahead wait in the connection's queue and
# are answered in order.
#
# The response writer keeps the body in one bytearray until the handler returns (then the head,
# with Content-Length, and the body leave in one send) or until the body outgrows
# CHUNKING_THRESHOLD or the handler flushes (then the head leaves with Transfer-Encoding:
# chunked, or the connection closes after an HTTP/1.0 response) — Go's rule.
#
# Invariants:
# - A request is answered exactly once: by its handler's response, by one of Go's error
#   responses (which close the connection), or not at all when the connection dies.
# - An exception escaping a handler is logged ("http: panic serving ADDR: ...") and closes the
#   connection; bytes the handler had not yet sent are dropped; the server goes on.
# - A connection runs on the scheduler (thread) of the serve() that accepted it. The
#   connections of one thread share one receive buffer, which is only touched between a read's
#   return and the end of the parser call it feeds (no goroutine switch can happen in between).
from __future__ import annotations

import logging
import os
import re
import stat
import threading
import time as _time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from httptools import HttpParserUpgrade, HttpRequestParser

from gonet import Chan
from gonet import context as _context
from gonet import time as _gtime
from gonet._select import select
from gonet.errors import (
    ErrAbortHandler,
    ErrBodyNotAllowed,
    ErrContentLength,
    ErrHijacked,
    ErrServerClosed,
)
from gonet.http import _servemux
from gonet.http._header import Header, canonical_header_key, valid_header_field_name
from gonet.http._request import NoBody, Request
from gonet.http._sniff import SNIFF_LEN, detect_content_type
from gonet.http._status import status_text
from gonet.http._transfer import LAST_CHUNK, body, chunk_header
from gonet.io import ErrUnexpectedEOF
from gonet.net._net import SocketConn, poll_fd
from gonet.net.url import URL, parse_request_uri
from gonet.runtime import go, now, sleep

if TYPE_CHECKING:
    import ssl

    from gonet._poll import FD as _FD
    from gonet.bufio import Reader
    from gonet.context import CancelFunc, Context
    from gonet.http._iface import Handler
    from gonet.net import Conn, Listener

__all__ = [
    "Server",
    "listen_and_serve",
    "listen_and_serve_tls",
    "DEFAULT_MAX_HEADER_BYTES",
    "CHUNKING_THRESHOLD",
]

DEFAULT_MAX_HEADER_BYTES = 1 << 20
"""The default limit on a request head (Go: http.DefaultMaxHeaderBytes); Go reads 4096 more."""

CHUNKING_THRESHOLD = 2048
"""A response body that grows past this before the handler returns is sent chunked (Go:
bufferBeforeChunkingSize)."""

_MAX_POST_HANDLER_READ_BYTES = 256 << 10  # Go: maxPostHandlerReadBytes
_SEND_THRESHOLD = 16 << 10  # once the head is out, body bytes leave in sends of about this size
_RECV_SIZE = 64 << 10
_NEW_CONN_IDLE_AFTER = 5.0  # Go: a StateNew conn counts as idle for shutdown after 5 s
_SHUTDOWN_POLL_MAX = 0.5  # Go: shutdownPollIntervalMax

_log = logging.getLogger("gonet.http")

# -- the wire form: cached pieces ---------------------------------------------------------------

_status_lines: dict[tuple[int, bool], bytes] = {}
_status_lines11: dict[int, bytes] = {}


def _status_line(code: int, is11: bool) -> bytes:
    """Return "HTTP/1.1 200 OK\\r\\n". Go: writeStatusLine."""
    if is11:
        line = _status_lines11.get(code)
        if line is not None:
            return line
    line = _status_lines.get((code, is11))
    if line is None:
        proto = "HTTP/1.1" if is11 else "HTTP/1.0"
        text = status_text(code)
        s = f"{proto} {code} {text}\r\n" if text else f"{proto} {code:03d} status code {code}\r\n"
        line = s.encode("ascii")
        if len(_status_lines) < 1024:
            _status_lines[(code, is11)] = line
            if is11:
                _status_lines11[code] = line
    return line


_wall_time = _time.time
_date_sec = -1
_date_line = b""


def _date() -> bytes:
    """Return the "Date: ...\\r\\n" line for now, formatted once per second. Go: appendTime."""
    global _date_sec, _date_line
    sec = int(_wall_time())
    if sec != _date_sec:
        _date_line = _time.strftime("Date: %a, %d %b %Y %H:%M:%S GMT\r\n", _time.gmtime(sec)).encode("ascii")
        _date_sec = sec
    return _date_line


_clen_lines: dict[int, bytes] = {}


def _content_length_line(n: int) -> bytes:
    """Return "Content-Length: n\\r\\n", cached for the lengths a buffered response can have."""
    line = _clen_lines.get(n)
    if line is None:
        line = b"Content-Length: %d\r\n" % n
        if n <= CHUNKING_THRESHOLD:
            _clen_lines[n] = line
    return line


# Canonical keys of incoming header names, by their raw bytes (most clients send the same few).
_names: dict[bytes, str] = {}
_NAMES_MAX = 4096
# Keys known to be valid names on output, with their "Key: " prefix; and whole lines of the
# short values written most (Content-Type: text/plain, ...), by key then value.
_out_keys: dict[str, bytes] = {}
_field_lines: dict[str, dict[str, bytes]] = {}
# A header value may hold no CTL but HTAB (Go: httpguts.ValidHeaderFieldValue).
_bad_value = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]").search
_good_hosts: set[str] = set()  # Host values already found valid
# Short field values already found valid, decoded: clients send the same few (Host, Accept,
# User-Agent...) in every request; one dict lookup replaces the check and the decoding.
_good_values: dict[bytes, str] = {}
_GOOD_VALUE_LEN = 256
_methods: dict[bytes, str] = {}  # method names as str, by the bytes llhttp returns (a fixed set)


def _has_token(v: str, token: str) -> bool:
    """Report whether the comma-separated list v holds token (case-insensitive). Go: hasToken."""
    if not v:
        return False
    for t in v.split(","):  # noqa: SIM110 - no generator expressions in compiled cpdef functions
        if t.strip().lower() == token:
            return True
    return False


def _body_allowed_for_status(code: int) -> bool:
    """Report whether a response with this status may have a body. Go: bodyAllowedForStatus."""
    return not (100 <= code <= 199 or code == 204 or code == 304)


def _valid_host_header(h: str) -> bool:
    """Report whether h is a valid Host header value. Go: httpguts.ValidHostHeader."""
    return all(c in _HOST_OK for c in h)


_HOST_OK = frozenset("!$%&'()*+,-.0123456789:;=ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_abcdefghijklmnopqrstuvwxyz~")


# -- errors answered by the server itself ------------------------------------------------------


class _StatusError(Exception):
    """A request the server answers itself, then closes. Go: statusError / errTooLarge / ..."""

    def __init__(self, code: int, text: str = "") -> None:
        super().__init__(text)
        self.code = code
        self.text = text

    def response(self) -> bytes:
        """Return Go's exact response for this error (Connection: close, no Date)."""
        headers = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
        code = self.code
        if code == 501:
            return f"HTTP/1.1 501 Not Implemented{headers}Unsupported transfer encoding".encode()
        public = f"{code} {status_text(code)}"
        if self.text:
            public += ": " + self.text
        return f"HTTP/1.1 {public}{headers}{public}".encode()


# -- the response writer --------------------------------------------------------------------------


class response:  # noqa: N801 - Go's name
    """The ResponseWriter the server hands to a handler. Go: server.go response + chunkWriter."""

    __slots__ = (
        "_c",
        "_req",
        "_h",
        "status",
        "wrote_header",
        "_buf",
        "written",
        "_clen",
        "_chunking",
        "_head_sent",
        "handler_done",
        "close_after",
        "_wants_close",
        "_wants10_keep_alive",
        "_is11",
        "_trailers",
        "_out",
    )

    def __init__(self, c: conn, req: Request) -> None:
        self._setup(c, req)

    def _setup(self, c: conn, req: Request) -> None:
        # __init__'s body: the server makes its writers with __new__ and this C call, which
        # skips a Python call's argument handling.
        self._c = c
        self._req = req
        h = Header.__new__(Header)
        h._m = {}
        self._h = h
        self.status = 0
        self.wrote_header = False
        self._buf = bytearray()
        self.written = 0
        self._clen = -1
        self._chunking = False
        self._head_sent = False
        self.handler_done = False
        self.close_after = False
        self._wants_close = req.close
        self._wants10_keep_alive = False
        self._is11 = req.proto_minor >= 1 or req.proto_major > 1
        self._trailers: list[str] | None = None
        self._out: bytearray | None = None  # the head, decided but not yet sent

    def header(self) -> Header:
        """Return the header map that write_header (or the first write) sends. Go: Header()."""
        return self._h

    def write_header(self, code: int) -> None:
        """Record the status; the head leaves with the first body bytes or at the end.

        Raises:
            ValueError: code is not a 3-digit status (Go panics).
        """
        if self._c.hijacked:
            self._c.srv._logf("http: response.WriteHeader on hijacked connection")
            return
        if self.wrote_header:
            self._c.srv._logf("http: superfluous response.WriteHeader call")
            return
        if not 100 <= code <= 999:
            raise ValueError(f"invalid WriteHeader code {code}")
        if 100 <= code <= 199 and code != 101:
            # Go: 1xx informational responses leave at once; the real one comes later.
            self._send_informational(code)
            return
        self.wrote_header = True
        self.status = code
        cl = self._h._m.get("Content-Length")
        if cl:
            try:
                v = int(cl[0].strip(" \t"))
            except ValueError:
                v = -1
            if v >= 0 and cl[0].strip(" \t").isdigit():
                self._clen = v
            else:
                self._c.srv._logf(f'http: invalid Content-Length of "{cl[0]}"')
                del self._h._m["Content-Length"]

    def _send_informational(self, code: int) -> None:
        out = bytearray(_status_line(code, self._is11))
        self._h.write(out)
        out += b"\r\n"
        self._c.write(out)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write body bytes (write_header(200) first if needed); return len(data). Go: Write.

        Raises:
            ErrHijacked: the connection was hijacked.
            ErrBodyNotAllowed: the status allows no body (1xx, 204, 304).
            ErrContentLength: more bytes than the declared Content-Length.
            OSError: the connection failed.
        """
        if self._c.hijacked:
            raise ErrHijacked()
        if not self.wrote_header:
            self.write_header(200)
        n = len(data)
        if n == 0:
            return 0
        if not _body_allowed_for_status(self.status):
            raise ErrBodyNotAllowed()
        self.written += n
        if self._clen != -1 and self.written > self._clen:
            self.written -= n
            raise ErrContentLength()
        buf = self._buf
        if not self._head_sent:
            if len(buf) + n <= CHUNKING_THRESHOLD:
                buf += data
                return n
            self._send_head(False)
        if self._req.method == "HEAD":
            return n
        if len(buf) + n < _SEND_THRESHOLD:
            buf += data
            return n
        self._send_body(data)
        return n

    def _send_body(self, data: bytes | bytearray | memoryview) -> None:
        """Send the pending head, the buffered bytes and data, framed as one chunk if chunking."""
        buf = self._buf
        out = self._out
        self._out = None
        n = len(buf) + len(data)
        if n == 0:
            if out:
                self._c.write(out)
            return
        if len(data) >= _SEND_THRESHOLD:
            # A large write goes out without being copied.
            parts: list[Any] = [out] if out else []
            if self._chunking:
                parts.append(chunk_header(n))
            if buf:
                parts.append(bytes(buf))
                buf.clear()
            parts.append(data)
            if self._chunking:
                parts.append(b"\r\n")
            self._c.writev(parts)
            return
        if out is None:
            out = bytearray()
        if self._chunking:
            out += chunk_header(n)
        out += buf
        out += data
        if self._chunking:
            out += b"\r\n"
        buf.clear()
        self._c.write(out)

    def _send_continue(self) -> None:
        """Send "100 Continue" before the first body read. Go: expectContinueReader.Read."""
        if not self.wrote_header and not self._c.hijacked:
            self._c.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def write_string(self, s: str) -> int:
        """Write s encoded as UTF-8; return the byte count. Go: io.WriteString."""
        return self.write(s.encode("utf-8"))

    def flush(self) -> None:
        """Send the head and what is buffered now; the response becomes chunked. Go: Flush."""
        if self._c.hijacked:
            raise ErrHijacked()
        if not self.wrote_header:
            self.write_header(200)
        if not self._head_sent:
            self._send_head(False)
        if self._req.method == "HEAD":
            self._buf.clear()
        self._send_body(b"")

    def hijack(self) -> tuple[Conn, Reader]:
        """Take over the connection: return it and a bufio.Reader holding bytes read ahead.

        The server no longer writes to or closes the connection. Go: Hijacker.Hijack.

        Raises:
            ErrHijacked: called twice.
            RuntimeError: called after the handler returned.
        """
        if self.handler_done:
            raise RuntimeError("net/http: Hijack called after ServeHTTP finished")
        if self._c.hijacked:
            raise ErrHijacked()
        if self.wrote_header:
            if not self._head_sent:
                self._send_head(False)
            self._send_body(b"")
        return self._c.hijack()

    def read_from(self, src: Any) -> int:
        """Copy src to the response body, with sendfile for a regular file. Go: response.ReadFrom.

        As in Go, the first 512 bytes go through write() (they may decide Content-Type and,
        for a short file, Content-Length); then the head leaves, and when the body needs no
        chunking the rest goes by sendfile(2) from the file's current position.

        Returns:
            The number of bytes copied.
        """
        if self._c.hijacked:
            raise ErrHijacked()
        sendfile = getattr(self._c.rwc, "sendfile", None)
        if sendfile is None or not _regular_file(src):
            return self._copy(src)
        n = 0
        if not self._head_sent:
            first = src.read(SNIFF_LEN)
            n += self.write(first) if first else 0
            if len(first) < SNIFF_LEN:
                return n
        if not self.wrote_header:
            self.write_header(200)
        if not self._head_sent:
            self._send_head(False)
        self._send_body(b"")
        if self._chunking or not _body_allowed_for_status(self.status) or self._req.method == "HEAD":
            return n + self._copy(src)
        return n + self._sendfile(src, src.tell(), sendfile)

    def request_too_large(self) -> None:
        """Close the connection after this response: max_bytes_reader's limit was hit.

        Go: response.requestTooLarge.
        """
        self.close_after = True
        if not self.wrote_header:
            self._h.set("Connection", "close")

    def _sendfile(self, src: Any, pos: int, sendfile: Callable[..., int]) -> int:
        remaining = -1 if self._clen == -1 else self._clen - self.written
        count = None if remaining < 0 else remaining
        n = int(sendfile(src, pos, count))
        try:
            src.seek(pos + n)
        except (OSError, AttributeError, ValueError):
            pass
        self.written += n
        return n

    def _copy(self, src: Any) -> int:
        total = 0
        while True:
            chunk = src.read(32 << 10)
            if not chunk:
                return total
            total += self.write(chunk)

    # -- the head (Go: chunkWriter.writeHeader) -------------------------------------------------

    def _send_head(self, final: bool) -> None:  # noqa: C901 - Go's writeHeader, one decision list
        """Decide framing and Connection, then send the head (with the body if final)."""
        self._head_sent = True
        c = self._c
        req = self._req
        m = self._h._m
        code = self.status
        is_head = req.method == "HEAD"
        buf = self._buf
        excl: set[str] = set()
        ctype = ""
        connection = ""
        te_out = ""
        clen_line = b""
        keep_alives = not c.srv._in_shutdown

        trailers = False
        tv = m.get("Trailer")
        if tv:
            self._trailers = [canonical_header_key(k.strip()) for v in tv for k in v.split(",") if k.strip()]
            trailers = bool(self._trailers)
        te = m["Transfer-Encoding"][0] if m.get("Transfer-Encoding") else ""
        has_te = te != ""

        if (
            final
            and not trailers
            and not has_te
            and _body_allowed_for_status(code)
            and "Content-Length" not in m
            and (not is_head or len(buf) > 0)
        ):
            self._clen = len(buf)
            clen_line = _content_length_line(len(buf))

        has_cl = self._clen != -1

        if self._wants10_keep_alive and (is_head or has_cl or not _body_allowed_for_status(code)):
            if "Connection" not in m:
                connection = "keep-alive"
        elif not self._is11 or self._wants_close:
            self.close_after = True

        cv = m.get("Connection")
        if cv and _has_token(cv[0], "close") or not keep_alives:
            self.close_after = True

        b = req.body
        if isinstance(b, body):
            if b._on_first_read is not None and not b.done:
                # 100-continue never sent: the client may or may not send the body now.
                self.close_after = True
            elif final and not self.close_after and not b.done and not self._discard_body(b):
                # Go: requestTooLarge — more than 256 KiB left unread: answer, then close.
                self.close_after = True
                excl.add("Connection")
                connection = "close"

        if _body_allowed_for_status(code):
            if "Content-Type" not in m and not has_te and len(buf) > 0:
                ctype = detect_content_type(bytes(buf[:512]))
        else:
            excl.update(("Content-Type", "Content-Length", "Transfer-Encoding") if code == 304 else ())
            excl.update(("Content-Length", "Transfer-Encoding") if code != 304 else ())

        date = b"" if "Date" in m else _date()

        if has_cl and has_te and te != "identity":
            c.srv._logf(
                f'http: WriteHeader called with both Transfer-Encoding of "{te}" and a Content-Length of {self._clen}'
            )
            excl.add("Content-Length")
            has_cl = False
            self._clen = -1

        if is_head or not _body_allowed_for_status(code):
            pass
        elif code == 204 or has_cl:
            excl.add("Transfer-Encoding")
        elif self._is11:
            if has_te and te == "identity":
                self._chunking = False
                self.close_after = True
            else:
                self._chunking = True
                te_out = "chunked"
                if has_te and te == "chunked":
                    excl.add("Transfer-Encoding")
        else:
            self.close_after = True
            excl.add("Transfer-Encoding")

        if self._chunking:
            excl.add("Content-Length")

        if self.close_after and (not keep_alives or not (cv and _has_token(cv[0], "close"))):
            excl.add("Connection")
            connection = "close" if self._is11 else ""

        out = bytearray(_status_line(code, self._is11))
        _write_header(out, m, excl)
        if date:
            out += date
        if clen_line:
            out += clen_line
        if ctype:
            out += b"Content-Type: " + ctype.encode("latin-1") + b"\r\n"
        if connection:
            out += b"Connection: " + connection.encode("latin-1") + b"\r\n"
        if te_out:
            out += b"Transfer-Encoding: chunked\r\n"
        out += b"\r\n"
        if final:
            if buf and not is_head:
                out += buf
            buf.clear()
            c.write(out)
            return
        self._out = out
        if is_head:
            buf.clear()

    def _discard_body(self, b: body) -> bool:
        """Read and drop what the handler left of the request body, within Go's limit.

        Returns:
            Whether the body ended, so that the connection can serve the next request.
        """
        if b.unread() >= _MAX_POST_HANDLER_READ_BYTES:
            return False
        try:
            return b.discard(_MAX_POST_HANDLER_READ_BYTES)
        except (OSError, EOFError):
            return False

    def _send_simple(self) -> bool:
        """Send a whole response in one write when no rule but Content-Length applies.

        The common case of _send_head(final=True), decided without its rule list: an HTTP/1.1
        keep-alive request without a body, a status that allows a body, and a handler that
        set none of the headers the rules look at. Returns False when the rules are needed.
        """
        req = self._req
        m = self._h._m
        code = self.status
        if (
            req.body is not NoBody
            or not self._is11
            or self._wants_close
            or self.close_after
            or req.method == "HEAD"
            or not _body_allowed_for_status(code)
            or not _RULED_HEADERS.isdisjoint(m)
            or self._c.srv._in_shutdown
        ):
            return False
        self._head_sent = True
        buf = self._buf
        n = len(buf)
        self._clen = n
        head = _simple_head(code, m)
        ctype = b""
        if n and "Content-Type" not in m:
            ctype = b"Content-Type: " + detect_content_type(buf).encode("latin-1") + b"\r\n"
        # One join, one allocation: the head's pieces are cached bytes.
        out = b"".join((head, _date(), _content_length_line(n), ctype, b"\r\n", buf))
        if n:
            buf.clear()
        self._c.write(out)
        return True

    def _finish(self) -> None:
        """Complete the response after the handler returned. Go: response.finishRequest."""
        self.handler_done = True
        if not self.wrote_header:
            self.write_header(200)
        if not self._head_sent:
            if not self._send_simple():
                self._send_head(True)
        else:
            if self._chunking:
                buf = self._buf
                out = self._out or bytearray()
                self._out = None
                if buf:
                    out += chunk_header(len(buf))
                    out += buf
                    out += b"\r\n"
                    buf.clear()
                out += LAST_CHUNK
                if self._trailers:
                    for k in self._trailers:
                        for v in self._h._m.get(k, ()):
                            _write_field(out, k, v)
                out += b"\r\n"
                self._c.write(out)
            else:
                if self._req.method == "HEAD":
                    self._buf.clear()
                self._send_body(b"")
        b = self._req.body
        if isinstance(b, body):
            if not b.done and not self.close_after and not self._discard_body(b):
                self.close_after = True  # the head has left: the close itself says it
            b.close()

    def should_reuse_connection(self) -> bool:
        """Report whether the connection can serve another request. Go: shouldReuseConnection."""
        if self.close_after or self._c.werr:
            return False
        if (
            self._req.method != "HEAD"
            and self._clen != -1
            and _body_allowed_for_status(self.status)
            and self._clen != self.written
        ):
            return False
        b = self._req.body
        return not (isinstance(b, body) and not b.done)


def _simple_head(code: int, m: dict[str, list[str]]) -> bytes:
    """Return the status line and the handler's fields of a simple response, as bytes.

    Cached for the common shapes: no field, or one field with one short value (a
    Content-Type), which most handlers set.
    """
    key: Any = None
    nf = len(m)
    if nf == 0:
        key = code
    elif nf == 1:
        for k, vs in m.items():
            if len(vs) == 1:
                v = vs[0]
                if type(v) is str and len(v) <= 128:
                    key = (code, k, v)
    if key is not None:
        head = _simple_heads.get(key)
        if head is not None:
            return head
    out = bytearray(_status_line(code, True))
    if nf:
        _write_header(out, m, _NO_EXCL)
    head = bytes(out)
    if key is not None and len(_simple_heads) < 256:
        _simple_heads[key] = head
    return head


# Status line and fields of simple responses, by status or by (status, key, value).
_simple_heads: dict[Any, bytes] = {}

# Response headers that _send_head's rules read; without them _send_simple applies.
_RULED_HEADERS = frozenset(("Content-Length", "Transfer-Encoding", "Connection", "Trailer", "Date"))
_NO_EXCL: frozenset[str] = frozenset()


def _regular_file(f: Any) -> bool:
    """Report whether f is a regular file object (sendfile can send it)."""
    fileno = getattr(f, "fileno", None)
    if fileno is None or not callable(getattr(f, "tell", None)):
        return False
    try:
        return stat.S_ISREG(os.fstat(fileno()).st_mode)
    except (OSError, ValueError):
        return False


def _write_field(out: bytearray, k: str, v: str) -> None:
    """Append the sanitised line "k: v\\r\\n" (Go: Header.WriteSubset's sanitising)."""
    lines = _field_lines.get(k)
    if lines is not None:
        line = lines.get(v)
        if line is not None:
            out += line
            return
    prefix = _out_keys.get(k)
    if prefix is None:
        if not valid_header_field_name(k):
            return
        prefix = k.encode("ascii") + b": "
        if len(_out_keys) < 4096:
            _out_keys[k] = prefix
    value = v.replace("\r", " ").replace("\n", " ") if "\r" in v or "\n" in v else v
    try:
        line = prefix + value.strip(" \t").encode("latin-1") + b"\r\n"
    except UnicodeEncodeError:
        line = prefix + value.strip(" \t").encode("utf-8", "surrogateescape") + b"\r\n"
    out += line
    if len(v) <= 128:  # the same few values come back in every response: keep their lines
        if lines is None:
            if len(_field_lines) >= 256:
                return
            lines = _field_lines[k] = {}
        if len(lines) < 64:
            lines[v] = line


def _write_header(out: bytearray, m: dict[str, list[str]], excl: set[str] | frozenset[str]) -> None:
    """Append the handler's header fields, sanitised (Go: Header.WriteSubset)."""
    for k, vs in m.items():
        if k in excl:
            continue
        for v in vs:
            _write_field(out, k, v)


# -- the connection -------------------------------------------------------------------------------


class _Prefixed:
    """A reader that returns some bytes read ahead, then reads the connection."""

    __slots__ = ("_pre", "_rd")

    def __init__(self, pre: bytes, rd: Any) -> None:
        self._pre = pre
        self._rd = rd

    def read(self, buf: bytearray | memoryview) -> int:
        pre = self._pre
        if pre:
            n = min(len(pre), len(buf))
            buf[:n] = pre[:n]
            self._pre = pre[n:]
            return n
        return int(self._rd.read(buf))


class _ServerRequest(Request):
    """A Request whose context is made on first use (most handlers never ask for it)."""

    __slots__ = ("_conn",)
    _conn: conn | None

    def context(self) -> Context:
        """Return the request's context, cancelled when the client goes away, the handler
        returns, or the server is closed. Go: Request.Context."""
        ctx = self._ctx
        if ctx is None:
            c = self._conn
            if c is None:
                return _context.background()
            ctx = c.request_context()
            self._ctx = ctx
        return ctx


# The slots conn._new_request sets; a Request that gained a field must be set there too.
_REQUEST_FIELDS = frozenset(
    (
        "method",
        "url",
        "proto",
        "proto_major",
        "proto_minor",
        "header",
        "body",
        "content_length",
        "transfer_encoding",
        "close",
        "host",
        "remote_addr",
        "request_uri",
        "tls",
        "trailer",
        "pattern",
        "get_body",
        "response",
        "form",
        "post_form",
        "_ctx",
        "_path_values",
    )
)
if frozenset(Request.__slots__) != _REQUEST_FIELDS:  # pragma: no cover - a change in _request.py
    raise ImportError(
        f"gonet.http._server sets Request fields {sorted(_REQUEST_FIELDS)}, not {Request.__slots__}"
    )

# Likewise the URL fields _new_request sets.
_URL_FIELDS = frozenset(("scheme", "opaque", "user", "host", "path", "raw_path", "raw_query", "fragment"))
if frozenset(URL.__slots__) != _URL_FIELDS:  # pragma: no cover - a change in gonet/net/url.py
    raise ImportError(f"gonet.http._server sets URL fields {sorted(_URL_FIELDS)}, not {URL.__slots__}")

_IDLE, _ACTIVE, _NEW = 0, 1, 2
_V11_SCAN = 128  # how far _fill looks for the end of a request line
_PURE = __file__.endswith(".py")  # this module runs as Python code, not compiled
_HTTP11 = b" HTTP/1.1"
_conn_read = SocketConn.read
_conn_write = SocketConn.write


def _head_is_v11(rbuf: bytearray, n: int) -> bool:
    """Report whether the request line at the start of rbuf[:n] ends in " HTTP/1.1" CRLF.

    Such a head is HTTP/1.1: a URL holds no space, so that suffix can only be the version,
    and no CR may come before it (llhttp also takes a bare CR as a line end). Compiled, the
    scan is a C loop (a find() call costs more than it saves); in pure Python, find() is the
    cheaper. Either stops after _V11_SCAN bytes: a longer line takes the parser's answer.
    """
    end = n if n < _V11_SCAN else _V11_SCAN
    if _PURE:
        i = rbuf.find(b"\n", 0, end)
        return (
            i >= 10
            and rbuf[i - 1] == 13
            and rbuf.find(b"\r", 0, i - 1) < 0
            and rbuf.startswith(b" HTTP/1.1", i - 10)
        )
    i = 0
    c = 0
    while i < end:
        c = rbuf[i]
        if c == 13 or c == 10:
            break
        i += 1
    if c != 13 or i < 9 or i >= n - 1 or rbuf[i + 1] != 10:
        return False
    k = 0
    while k < 9 and rbuf[i - 9 + k] == _HTTP11[k]:
        k += 1
    return k == 9


def _op_error(rwc: Any, op: str, e: OSError) -> OSError:
    """Return the OpError that rwc's own read or write would have raised for e."""
    return rwc._error(op, e, getattr(e, "written", 0))  # type: ignore[no-any-return]


# Parsers kept per thread for conns that wake from idle: enough for as many conns to become
# active at once; beyond that, an idle conn's parser is freed (~1 KiB each, 1 MiB at most).
_PARSER_POOL_MAX = 1024

# conn._hdrs between heads: never written to (on_message_begin gives each head a fresh map).
_NO_FIELDS: dict[str, list[str]] = {}


def _global_options(w: Any, r: Request) -> None:
    """Answer "OPTIONS *" for the whole server: 200, no body; read at most 4 KiB of its body.

    Go: globalOptionsHandler (a handler never sees "OPTIONS *").
    """
    w.header().set("Content-Length", "0")
    if r.content_length != 0:
        # Anything past 4 KiB is a waste of the server's time: the connection then closes.
        left = 4 << 10
        while left > 0 and (chunk := r.body.read(min(left, 4096))):
            left -= len(chunk)
        if left <= 0 and r.body.read(1):
            w.request_too_large()


class conn:  # noqa: N801 - Go's name
    """One server connection and its goroutine. Go: server.go conn."""

    __slots__ = (
        "srv",
        "rwc",
        "remote_addr",
        "parser",
        "queue",
        "hijacked",
        "werr",
        "_rbuf",
        "_rview",
        "rerr",
        "_partial",
        "_bg",
        "_bg_abort",
        "state",
        "born",
        "_url",
        "_hdrs",
        "_hsize",
        "_bad_value",
        "_in_head",
        "_head_n",
        "_pbody",
        "_unparsed",
        "_dead",
        "_eof",
        "_rd",
        "_ctx",
        "_cancel",
        "_req_cancel",
        "_tls",
        "_idle_fd",
        "_fd",
        "_v11",
        "_v11_next",
        "_slot",
        "_parsers",
    )

    def __init__(self, srv: Server, rwc: Conn) -> None:
        self.srv = srv
        self.rwc = rwc
        ra = rwc.remote_addr()
        self.remote_addr = str(ra) if ra is not None else ""
        # The parser comes from the thread's pool on the first read (see _take_parser).
        self.parser: HttpRequestParser | None = None
        self._slot: _ParserSlot | None = None
        self._parsers = srv._parser_pool()
        self._rbuf, self._rview = srv._receive_buffer()
        # A list, not a deque (whose first block alone is ~600 bytes an idle conn would keep).
        # Made with room for one item: a list that grows from, or shrinks to, no room at all
        # reallocates, and one request at a time passes through it (CPython keeps a one-slot
        # list's room at size 0).
        self.queue: list[Request | _StatusError] = [None]  # type: ignore[list-item]
        self.queue.pop()
        self.hijacked = False
        self.werr = False
        self.rerr = False
        self._partial: list[bytes] | None = None
        self._bg: Chan[None] | None = None
        self._bg_abort = False
        self.state = _NEW
        self.born = now()
        self._url = b""
        self._hdrs: dict[str, list[str]] = {}
        self._hsize = 0
        self._bad_value = False
        self._in_head = False
        self._head_n = 0
        self._pbody: body | None = None
        self._unparsed = b""
        self._dead = False
        self._eof = False
        self._rd: float | None = None
        self._ctx: Context | None = None
        self._cancel: CancelFunc | None = None
        self._req_cancel: CancelFunc | None = None
        self._tls: Any = None
        # The socket's FD, whose readiness serve() waits for between requests; None for a
        # conn that is no socket of gonet.net (TLS, a pipe): that one waits inside its read.
        self._idle_fd: _FD | None = poll_fd(rwc)
        # The same FD when the conn's read and write are SocketConn's own: the server then reads
        # and writes it directly (a method call less per read and per write), translating a
        # failure into the OpError the conn would raise.
        fd = self._idle_fd
        cls = type(rwc)
        self._fd: _FD | None = fd if cls.read is _conn_read and cls.write is _conn_write else None
        # Whether the head being parsed is HTTP/1.1, known from its request line (see _fill);
        # False: ask the parser.
        self._v11 = False
        self._v11_next = False

    def _take_parser(self) -> HttpRequestParser:
        """Give the conn a parser: one an idle conn gave back to the pool, else a new one."""
        pool = self._parsers
        slot = pool.pop() if pool else _ParserSlot()
        slot.c = self
        self._slot = slot
        p: HttpRequestParser = slot.parser
        self.parser = p
        return p

    def _give_parser_back(self) -> None:
        """Return the conn's parser to the pool while the conn is idle, between messages.

        A parser between two keep-alive messages is as good as a new one; an idle conn that
        held its own would cost ~1 KiB (the llhttp state and its callbacks).
        """
        slot = self._slot
        if slot is None:
            return
        self._slot = None
        self.parser = None
        slot.c = None
        pool = self._parsers
        if len(pool) < _PARSER_POOL_MAX and slot.parser.should_keep_alive():
            pool.append(slot)

    # -- parser callbacks (httptools) -----------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._hdrs = {}
        self._hsize = 0
        self._bad_value = False
        self._in_head = True
        self._v11 = self._v11_next  # only the first head of a chunk was looked at
        self._v11_next = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._in_head:
            k = _names.get(name)
            if k is None:
                k = canonical_header_key(name.decode("latin-1"))
                if len(_names) < _NAMES_MAX:
                    _names[name] = k
            v = _good_values.get(value)
            if v is None:
                v = value.decode("latin-1")
                if _bad_value(value) is not None:
                    self._bad_value = True
                elif len(value) <= _GOOD_VALUE_LEN and len(_good_values) < _NAMES_MAX:
                    _good_values[value] = v
            self._hsize += len(name) + len(value)
            vs = self._hdrs.get(k)
            if vs is None:
                self._hdrs[k] = [v]
            else:
                vs.append(v)
            return
        b = self._pbody
        if b is not None:  # a trailer field of a chunked body: the request's trailer too
            if b.trailer is None:
                b.trailer = Header()
                if b.req is not None:
                    b.req.trailer = b.trailer
            b.trailer.add(name.decode("latin-1"), value.decode("latin-1").strip(" \t"))

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_n = 0
        if self._partial is not None:
            self._partial = None
        try:
            r = self._new_request()
        except _StatusError as e:
            self.queue.append(e)
            raise
        # The request owns its fields and target now: an idle conn keeps neither alive.
        self._hdrs = _NO_FIELDS
        self._url = b""
        self.queue.append(r)

    def on_body(self, data: bytes) -> None:
        b = self._pbody
        if b is not None:
            b._feed(data)

    def on_message_complete(self) -> None:
        b = self._pbody
        if b is not None:
            b.done = True
            self._pbody = None
            if self._req_cancel is not None and self._bg is None and not self.queue:
                go(self.start_background_read)  # after this parse: the queue is then known

    def _new_request(self) -> Request:  # noqa: C901 - Go's readRequest checks, in order
        """Build the Request from the parsed head. Go: readRequest + transfer.go readTransfer."""
        p: Any = self.parser
        m = self._hdrs
        if self._hsize + len(self._url) + 4 * len(m) > self.srv.max_header_bytes + 4096:
            raise _StatusError(431)
        # httptools formats the version as a string on every call (~4 % of a small request).
        version = "1.1" if self._v11 else p.get_http_version()
        if version == "1.1":
            major, minor, proto = 1, 1, "HTTP/1.1"
        elif version == "1.0":
            major, minor, proto = 1, 0, "HTTP/1.0"
        else:
            major_s, _, minor_s = version.partition(".")
            major, minor = int(major_s), int(minor_s)
            proto = f"HTTP/{version}"
        mb = p.get_method()
        method = _methods.get(mb)
        if method is None:
            method = mb.decode("ascii")  # llhttp knows only ASCII method names
            _methods[mb] = method
        raw_url = self._url.decode("latin-1")
        if major != 1:
            if major == 0:
                raise _StatusError(400)
            if not (major == 2 and minor == 0 and method == "PRI" and raw_url == "*"):
                raise _StatusError(505, "unsupported protocol version")
        if self._bad_value:
            raise _StatusError(400, "invalid header value")
        if raw_url[:1] == "/" and "%" not in raw_url and "#" not in raw_url:
            # An origin-form target with nothing to unescape (llhttp refused control bytes):
            # parse_request_uri's own fast path, without its call.
            # The URL is made field by field, as the Request is below (no __init__ call).
            u = URL.__new__(URL)
            u.scheme = ""
            u.opaque = ""
            u.user = None
            u.host = ""
            u.fragment = ""
            u.raw_path = ""
            q = raw_url.find("?")
            if q < 0:
                u.path = raw_url
                u.raw_query = ""
            else:
                u.path = raw_url[:q]
                u.raw_query = raw_url[q + 1 :]
        else:
            try:
                u = parse_request_uri(raw_url)
            except ValueError:
                raise _StatusError(400, "") from None
        hosts = m.pop("Host", None)
        if hosts is None:
            if minor >= 1 and method != "CONNECT":
                raise _StatusError(400, "missing required Host header")
            host = ""
        elif len(hosts) > 1:
            raise _StatusError(400, "too many Host headers")
        else:
            host = hosts[0]
            if host not in _good_hosts:
                if not _valid_host_header(host):
                    raise _StatusError(400, "malformed Host header")
                if len(_good_hosts) < _NAMES_MAX:
                    _good_hosts.add(host)
        # Every slot of the Request, set here rather than through Request.__init__ (a third of
        # the cost of a small request went to its keyword arguments); _REQUEST_FIELDS checks
        # at import that this list and Request's slots agree.
        r = _ServerRequest.__new__(_ServerRequest)
        h = Header.__new__(Header)
        h._m = m
        r.method = method
        r.url = u
        r.proto = proto
        r.proto_major = major
        r.proto_minor = minor
        r.header = h
        r.body = NoBody
        r.content_length = 0
        r.transfer_encoding = []
        r.close = False
        r.host = u.host or host
        r.remote_addr = self.remote_addr
        r.request_uri = raw_url
        r.tls = self._tls
        r.trailer = None
        r.pattern = ""
        r.get_body = None
        r.response = None
        r.form = None
        r.post_form = None
        r._ctx = None
        r._path_values = None
        r._conn = self
        # Connection semantics (Go: shouldClose).
        conn_v = m.get("Connection")
        if minor == 0 and major == 1:
            r.close = not (conn_v is not None and _has_token(conn_v[0], "keep-alive"))
        else:
            r.close = conn_v is not None and _has_token(",".join(conn_v), "close")
        # Body framing (Go: transfer.go readTransfer / fixLength).
        te = m.get("Transfer-Encoding")
        cl = m.get("Content-Length")
        if te is not None:
            if len(te) != 1 or te[0].strip(" \t").lower() != "chunked":
                raise _StatusError(501)
            del m["Transfer-Encoding"]
            r.transfer_encoding = ["chunked"]
            r.content_length = -1
            if cl is not None:
                # RFC 9112 6.3: a message with both must not keep the connection.
                del m["Content-Length"]
                r.close = True
        elif cl is not None:
            first = cl[0].strip(" \t")
            if len(cl) > 1:
                for v in cl:
                    if v.strip(" \t") != first:
                        raise _StatusError(400)
                m["Content-Length"] = [first]
            if not first.isdigit():
                raise _StatusError(400)
            r.content_length = int(first)
        else:
            r.content_length = 0
        if r.content_length != 0:
            b = body(self, r.content_length, r)
            self._pbody = b
            r.body = b
        return r

    # -- reading ----------------------------------------------------------------------------------

    def _feed(self, data: bytes | memoryview) -> None:
        """Feed data to the parser; queue a 400/431/... and stop parsing on a bad request."""
        p = self.parser
        if p is None:
            p = self._take_parser()
        if not self._in_head and self._pbody is None and data and data[0] in (13, 10):
            # Go reads the request line at once: an empty line there is a malformed request
            # (llhttp would skip it).
            self._dead = True
            self.queue.append(_StatusError(400))
            return
        try:
            p.feed_data(data)
        except HttpParserUpgrade as e:
            # Upgrade or CONNECT: the bytes after the head are not HTTP; keep them for hijack
            # (or for parsing again, if the handler does not take the connection).
            off = int(e.args[0]) if e.args else len(data)
            self._unparsed = bytes(data[off:])
            return
        except Exception as e:  # noqa: BLE001 - every parser error is a 400 to the client
            if str(e) == "Duplicate Content-Length" and self._merge_content_lengths(data):
                return
            self._dead = True
            q = self.queue
            if not (q and isinstance(q[-1], _StatusError)):
                q.append(_StatusError(400))
            b = self._pbody
            if b is not None:
                # What was decoded stays readable; reading past it fails.
                self._pbody = None
                b._src = _BrokenSource(e)
            return
        if self._in_head:
            # Keep the bytes of a head split across reads (rare): _merge_content_lengths
            # needs them. The receive buffer they came from is reused by the next read.
            if self._partial is None:
                self._partial = []
            self._partial.append(bytes(data))
            self._head_n += len(data)
            if self._head_n > self.srv.max_header_bytes + 4096:
                self._dead = True
                self.queue.append(_StatusError(431))

    def _merge_content_lengths(self, data: bytes | memoryview) -> bool:
        """Parse a head with identical Content-Length fields again, with only one of them.

        llhttp refuses any repeated Content-Length; Go merges identical ones (conflicting ones
        stay a 400). The head is found again by its request line in the bytes kept since it
        began, the duplicates are dropped, and a fresh parser takes over from there.
        """
        raw = b"".join(self._partial or ()) + bytes(data)
        self._partial = None
        line = self.parser.get_method() + b" " + self._url + b" "  # type: ignore[union-attr]
        start = raw.rfind(line)
        if start < 0:
            return False
        rest = raw[start:]
        end = rest.find(b"\n\r\n")
        end2 = rest.find(b"\n\n")
        if end < 0 or (0 <= end2 < end):
            end = end2
        if end < 0:
            return False  # the head is not complete in one go: answer 400
        lines = rest[: end + 1].split(b"\n")
        kept: list[bytes] = []
        value: bytes | None = None
        dropped = 0
        for ln in lines:
            name, colon, v = ln.partition(b":")
            if colon and name.lower() == b"content-length":
                v = v.strip(b" \t\r")
                if value is None:
                    value = v
                elif v != value:
                    return False
                else:
                    dropped += 1
                    continue
            kept.append(ln)
        if not dropped:
            # llhttp saw a duplicate these lines do not show (a bare CR as a line end): a 400,
            # never a second parse of the same bytes (that would recurse without end).
            return False
        # The old parser stopped in the middle of the head: it goes, not back to the pool.
        self._slot = None
        self.parser = None
        self._feed(b"\n".join(kept) + rest[end + 1 :])
        return True

    def _fill(self) -> bool:
        """Read once from the connection and parse; return False at EOF or once parsing stopped.

        Raises:
            OSError: the read failed (TimeoutError for a deadline).
        """
        if self._dead:
            return False
        pending = self._unparsed
        if pending:
            self._unparsed = b""
            self._v11_next = False
            self._feed(pending)
            return True
        rbuf = self._rbuf
        fd = self._fd
        try:
            if fd is not None:
                try:
                    n = fd.read(rbuf)
                except OSError as e:
                    raise _op_error(self.rwc, "read", e) from e
            else:
                n = self.rwc.read(rbuf)
        except OSError:
            self.rerr = True
            raise
        if n == 0:
            self._eof = True
            return False
        # Only the head that starts this chunk can be known from here.
        self._v11_next = not self._in_head and self._pbody is None and _head_is_v11(rbuf, n)
        self._feed(self._rview[:n])
        return True

    def fill_body(self, b: body) -> None:
        """Read more of the body b (BodySource). Go: body.Read's underlying read."""
        if b is not self._pbody:
            raise ErrUnexpectedEOF()
        try:
            if not self._fill():
                raise ErrUnexpectedEOF()
        except ErrUnexpectedEOF:
            self._pbody = None
            self.rerr = True
            raise
        if b is not self._pbody and not b.done:
            raise ErrUnexpectedEOF()

    def _set_read_deadline(self, t: float | None) -> None:
        if t != self._rd:
            self._rd = t
            self.rwc.set_read_deadline(t)

    def _next_request(self, served: int) -> Request | _StatusError | None:
        """Return the next request (or a bad request to answer); None when the conn is done.

        Deadlines (Go: conn.serve + readRequest): between requests the idle timeout; from the
        first byte of a head (or the start, for the first request) the header timeout; once
        the head is in, the read timeout for the rest of the request.
        """
        q = self.queue
        if q:
            return q.pop(0)
        srv = self.srv
        idle = srv.idle_timeout if srv.idle_timeout is not None else srv.read_timeout
        rht = srv.read_header_timeout
        if not rht:
            rht = srv.read_timeout
        timed = bool(idle) or bool(rht)
        head_started = False
        while not q:
            if self._in_head or not served:
                self.state = _ACTIVE if self._in_head else self.state
                if timed and not head_started:
                    head_started = True
                    self._set_read_deadline(now() + rht if rht else None)
            elif self.state != _IDLE:  # else serve()'s _go_idle did this already
                self._enter_idle(idle, timed)
            try:
                if not self._fill():
                    if self._eof and self._in_head:
                        q.append(_StatusError(400))  # Go: a head cut short is unexpected EOF
                    break
            except OSError:
                return None  # Go: isCommonNetReadError: no reply
        self.state = _ACTIVE
        if q:
            if timed:
                rt = srv.read_timeout
                self._set_read_deadline(now() + rt if rt else None)
            return q.pop(0)
        return None

    # -- writing ------------------------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Write data to the connection; note a failure (werr) and re-raise it."""
        fd = self._fd
        try:
            if fd is not None:
                try:
                    fd.write(data)
                except OSError as e:
                    raise _op_error(self.rwc, "write", e) from e
            else:
                self.rwc.write(data)
        except OSError:
            self.werr = True
            raise

    def writev(self, parts: list[Any]) -> None:
        """Write parts in order with one vectored write when the conn has one."""
        wv = getattr(self.rwc, "writev", None)
        try:
            if wv is not None:
                wv(parts)
            else:
                self.rwc.write(b"".join(bytes(p) for p in parts))
        except OSError:
            self.werr = True
            raise

    # -- context --------------------------------------------------------------------------------------

    def request_context(self) -> Context:
        """Return a new context for the current request, child of the connection's."""
        base = self._ctx
        if base is None:
            base, self._cancel = _context.with_cancel(self.srv._base_ctx())
            self._ctx = base
        ctx, cancel = _context.with_cancel(base)
        self._req_cancel = cancel
        self.start_background_read()
        return ctx

    # -- hijack -----------------------------------------------------------------------------------------

    def hijack(self) -> tuple[Conn, Reader]:
        from gonet.bufio import Reader

        if self._bg is not None:
            self._abort_background_read()
        self.hijacked = True
        self.srv._forget(self)
        pre = self._unparsed
        self._unparsed = b""
        b = self._pbody
        if b is not None and b._buf:
            pre = bytes(b._buf) + pre
        rd = Reader(_Prefixed(pre, self.rwc) if pre else self.rwc)
        return self.rwc, rd

    # -- serving --------------------------------------------------------------------------------------

    def serve(self) -> None:
        """Serve requests until the connection ends. Go: conn.serve."""
        srv = self.srv
        handler = srv._serving
        if handler is None:  # a conn made outside serve(): resolve it now
            handler = srv._handler()
        try:
            if not self._tls_handshake():
                return
            served = 0
            wt = srv.write_timeout
            # Read once per conn, as wt is: the idle wait comes after every request.
            idle = srv.idle_timeout if srv.idle_timeout is not None else srv.read_timeout
            timed = bool(idle or srv.read_header_timeout or srv.read_timeout)
            while True:
                if served and self._go_idle(idle, timed):
                    # Wait for the next request here rather than in the read at the bottom of
                    # _next_request: a parked goroutine's C stack is copied to the heap, and
                    # this is the shallowest place to park (what an idle conn costs: docs/http.md).
                    try:
                        self._idle_fd.wait_read_ready()  # type: ignore[union-attr]  # _go_idle checked it
                    except OSError:
                        return  # closed or idle too long: no reply (Go: isCommonNetReadError)
                item = self._next_request(served)
                if item is None:
                    return
                if wt:
                    self.rwc.set_write_deadline(now() + wt)
                if isinstance(item, _StatusError):
                    self._reply_error(item)
                    return
                if not self._serve_request(handler, item):
                    return
                item = None  # an idle conn keeps no request alive
                served += 1
        except OSError:
            return  # the client went away; nothing to answer
        finally:
            if not self.hijacked:
                self.close()

    def _go_idle(self, idle: float | None, timed: bool) -> bool:
        """Enter the idle state; report whether serve() should wait for the socket to be readable.

        Only when nothing already read waits to be parsed or answered; then the conn is idle,
        its idle timeout armed (Go: conn.serve's SetReadDeadline before it peeks at the next
        request).
        """
        if (
            self._idle_fd is None
            or self.queue
            or self._in_head
            or self._pbody is not None
            or self._unparsed
            or self._dead
            or self._eof
        ):
            return False
        self._enter_idle(idle, timed)
        self._give_parser_back()
        return True

    def _enter_idle(self, idle: float | None, timed: bool) -> None:
        """Mark the conn idle; arm the idle timeout when the server has any read timeout.

        Go: conn.serve's SetReadDeadline(idleDeadline).
        """
        self.state = _IDLE
        if timed:
            self._set_read_deadline(now() + idle if idle else None)

    def _serve_request(self, handler: Handler, r: Request) -> bool:
        """Run the handler for r and complete its response; report whether to go on."""
        srv = self.srv
        w = response.__new__(response)
        w._setup(self, r)
        if r.proto_minor == 0 and r.proto_major == 1 and not r.close:
            w._wants10_keep_alive = True
        expect = r.header._m.get("Expect")
        if expect is not None:
            if expect[0].lower() == "100-continue":
                b = r.body
                if isinstance(b, body) and r.proto_minor >= 1:
                    b._on_first_read = w._send_continue
            else:
                # Go: sendExpectationFailed.
                w._h.set("Connection", "close")
                w.write_header(417)
                w._finish()
                return False
        if r.method == "OPTIONS" and r.request_uri == "*":
            handler = _global_options  # Go: serverHandler.ServeHTTP
        try:
            handler(w, r)
        except ErrAbortHandler:
            return False
        except Exception as e:  # noqa: BLE001 - Go recovers a handler's panic here
            # A failed read or write of this connection, let through by the handler, means the
            # client went away: Go's handlers see that as an error value, not a panic.
            if not (isinstance(e, (OSError, EOFError)) and (self.werr or self.rerr)):
                srv._log_panic(self.remote_addr, e)
            return False
        finally:
            self._end_request()
        if self.hijacked:
            return False
        w._finish()
        return w.should_reuse_connection() and not srv._in_shutdown

    def _end_request(self) -> None:
        """Stop watching the connection and cancel the request's context. Go: w.cancelCtx."""
        if self._bg is not None:
            self._abort_background_read()
        cancel = self._req_cancel
        if cancel is not None:
            self._req_cancel = None
            cancel()

    # -- noticing a client that goes away (Go: connReader.backgroundRead) -------------------------

    def start_background_read(self) -> None:
        """Watch for the client going away while the handler runs; cancel the context if so.

        Started when the request's context is first asked for and its body has been read. The
        read parses whatever arrives (a pipelined request waits in the queue).
        """
        if self._bg is not None or self.hijacked or self.queue or self._dead or self._pbody is not None:
            return
        if self._eof:
            self._cancel_request_ctx()
            return
        self._bg_abort = False
        self._bg = Chan(1)
        go(self._background_read, self._bg)

    def _background_read(self, done: Chan[None]) -> None:
        try:
            if not self._fill() and self._eof:
                self._cancel_request_ctx()
        except OSError:
            if not self._bg_abort:
                self._cancel_request_ctx()
        finally:
            done.send(None)

    def _abort_background_read(self) -> None:
        """End the background read and wait for it. Go: connReader.abortPendingRead."""
        done = self._bg
        if done is None:
            return
        self._bg_abort = True
        try:
            self.rwc.set_read_deadline(now() - 1.0)  # a moment long past: the read fails now
        except OSError:
            pass
        done.recv()
        self._bg = None
        self.rerr = False
        self._rd = None
        try:
            self.rwc.set_read_deadline(None)
        except OSError:
            pass

    def _cancel_request_ctx(self) -> None:
        cancel = self._req_cancel
        if cancel is not None:
            self._req_cancel = None
            cancel()

    def _tls_handshake(self) -> bool:
        """Run the TLS handshake of a TLS conn (others pass). Go: the start of conn.serve."""
        rwc: Any = self.rwc
        hs = getattr(rwc, "handshake", None)
        if hs is None:
            return True
        srv = self.srv
        if srv.read_timeout:
            rwc.set_read_deadline(now() + srv.read_timeout)
        if srv.write_timeout:
            rwc.set_write_deadline(now() + srv.write_timeout)
        try:
            hs()
        except (OSError, ValueError) as e:
            if getattr(e, "reason", None) == "HTTP_REQUEST":
                # Go: a client speaking plain HTTP to an HTTPS server gets told so.
                try:
                    rwc.net_conn().write(
                        b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
                    )
                except OSError:
                    pass
                return False
            srv._logf(f"http: TLS handshake error from {self.remote_addr}: {e}")
            return False
        self._tls = rwc
        rwc.set_deadline(None)
        return True

    def _reply_error(self, e: _StatusError) -> None:
        try:
            self.rwc.write(e.response())
        except OSError:
            return
        if e.code == 431:
            # Go: closeWriteAndWait — FIN first so the client reads the answer before an RST.
            cw = getattr(self.rwc, "close_write", None)
            if cw is not None:
                try:
                    cw()
                except OSError:
                    pass

    def close(self) -> None:
        self.srv._forget(self)
        cancel = self._cancel
        if cancel is not None:
            self._cancel = None
            cancel()
        try:
            self.rwc.close()
        except OSError:
            pass


class _ParserSlot:
    """A parser and the conn it parses for now: its callbacks go to that conn.

    httptools binds a parser to its protocol object for good; this relay is that object, so
    that a parser can pass from conn to conn through the pool.
    """

    __slots__ = ("c", "parser")

    def __init__(self) -> None:
        self.c: conn | None = None
        p = HttpRequestParser(self)
        # Go accepts obs-fold (joined), bare LF line ends, HTTP/1.x of any minor, and both
        # Content-Length and Transfer-Encoding (chunked wins; gonet then closes, RFC 9112 6.3).
        # llhttp names the bare-LF leniencies the other way round: "optional LF after CR"
        # admits a request line ended by LF alone, "optional CR before LF" the header lines.
        p.set_dangerous_leniencies(
            lenient_headers=True,
            lenient_version=True,
            lenient_chunked_length=True,
            lenient_optional_lf_after_cr=True,
            lenient_optional_cr_before_lf=True,
        )
        self.parser = p

    # A callback runs only inside the owner's feed_data call, so c is set.
    def on_message_begin(self) -> None:
        self.c.on_message_begin()  # type: ignore[union-attr]

    def on_url(self, url: bytes) -> None:
        self.c.on_url(url)  # type: ignore[union-attr]

    def on_header(self, name: bytes, value: bytes) -> None:
        self.c.on_header(name, value)  # type: ignore[union-attr]

    def on_headers_complete(self) -> None:
        self.c.on_headers_complete()  # type: ignore[union-attr]

    def on_body(self, data: bytes) -> None:
        self.c.on_body(data)  # type: ignore[union-attr]

    def on_message_complete(self) -> None:
        self.c.on_message_complete()  # type: ignore[union-attr]


class _BrokenSource:
    """The body source after a parse error in the middle of a body."""

    __slots__ = ("_err",)

    def __init__(self, err: BaseException) -> None:
        self._err = err

    def fill_body(self, b: body) -> None:
        raise ErrUnexpectedEOF()


# -- the server -------------------------------------------------------------------------------------


class Server:
    """An HTTP/1.1 server. Go: http.Server.

    Args:
        addr: "host:port" for listen_and_serve ("" means ":http", port 80).
        handler: the handler for every request; None serves default_serve_mux.
        read_timeout: seconds to read a whole request, body included (None: no limit).
        read_header_timeout: seconds to read a request head (None: read_timeout).
        write_timeout: seconds from the end of the head to the end of the response's writes.
        idle_timeout: seconds a keep-alive connection may wait for its next request
            (None: read_timeout).
        max_header_bytes: the most a request head may take (Go reads 4096 more before 431).
        tls_context: an ssl.SSLContext for serve() over TLS (listen_and_serve_tls makes one).
        error_log: where errors and handler panics go (None: the "gonet.http" logger).
    """

    def __init__(
        self,
        addr: str = "",
        handler: Handler | None = None,
        read_timeout: float | None = None,
        read_header_timeout: float | None = None,
        write_timeout: float | None = None,
        idle_timeout: float | None = None,
        max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
        tls_context: ssl.SSLContext | None = None,
        error_log: logging.Logger | None = None,
    ) -> None:
        self.addr = addr
        self.handler = handler
        self.read_timeout = read_timeout
        self.read_header_timeout = read_header_timeout
        self.write_timeout = write_timeout
        self.idle_timeout = idle_timeout
        self.max_header_bytes = max_header_bytes if max_header_bytes > 0 else DEFAULT_MAX_HEADER_BYTES
        self.tls_context = tls_context
        self.error_log = error_log
        self._in_shutdown = False
        self._listeners: set[Any] = set()
        self._conns: set[conn] = set()
        self._on_shutdown: list[Callable[[], Any]] = []
        self._serving: Handler | None = None
        # One receive buffer per thread that serves (see the header: shared by its conns).
        self._rbufs: dict[int, tuple[bytearray, memoryview]] = {}
        # Parsers that idle conns gave back, per serving thread (see conn._give_parser_back).
        # A deque: it keeps its block when emptied, where a list would free and reallocate.
        self._pools: dict[int, deque[_ParserSlot]] = {}
        self._ctx: Context | None = None
        self._cancel_ctx: CancelFunc | None = None

    def __repr__(self) -> str:
        return f"<http.Server addr={self.addr!r} conns={len(self._conns)}>"

    # -- logging ------------------------------------------------------------------------------------

    def _logger(self) -> logging.Logger:
        return self.error_log if self.error_log is not None else _log

    def _logf(self, msg: str) -> None:
        self._logger().error("%s", msg)

    def _log_panic(self, addr: str, e: BaseException) -> None:
        self._logger().error("http: panic serving %s: %s", addr, e, exc_info=e)

    # -- handler and context ---------------------------------------------------------------------------

    def _handler(self) -> Handler:
        h = self.handler
        if h is None:
            mux: Handler = _servemux.default_serve_mux
            return mux
        return h

    def _base_ctx(self) -> Context:
        ctx = self._ctx
        if ctx is None:
            ctx, self._cancel_ctx = _context.with_cancel(_context.background())
            self._ctx = ctx
        return ctx

    # -- serving -------------------------------------------------------------------------------------------

    def listen_and_serve(self) -> None:
        """Listen on addr (TCP) and serve; raise ErrServerClosed after shutdown/close.

        Go: Server.ListenAndServe.

        Raises:
            ErrServerClosed: the server was shut down or closed.
            OpError: listening failed (address in use, ...).
        """
        if self._in_shutdown:
            raise ErrServerClosed()
        from gonet.net import listen

        ln = listen("tcp", self.addr or ":http")
        self.serve(ln)

    def listen_and_serve_tls(self, cert_file: str, key_file: str) -> None:
        """Listen on addr and serve HTTPS with the certificate and key files.

        Go: Server.ListenAndServeTLS.

        Raises:
            ErrServerClosed: the server was shut down or closed.
        """
        if self._in_shutdown:
            raise ErrServerClosed()
        import ssl

        ctx = self.tls_context
        if ctx is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.set_alpn_protocols(["http/1.1"])
        ctx.load_cert_chain(cert_file, key_file)
        self.tls_context = ctx
        from gonet.net import listen

        ln = listen("tcp", self.addr or ":https")
        self.serve(ln)

    def serve(self, ln: Listener) -> None:
        """Accept connections on ln and serve each on its own goroutine. Go: Server.Serve.

        With tls_context set, each connection is served over TLS. Temporary accept errors
        (EMFILE, ...) are logged and retried with a growing delay. ln is closed on return.

        Raises:
            ErrServerClosed: after shutdown() or close().
            OpError: a permanent accept error.
        """
        if self._in_shutdown:
            ln.close()
            raise ErrServerClosed()
        # Resolved once here, so that a missing default mux is serve()'s error, not a panic.
        self._serving = self._handler()
        self._listeners.add(ln)
        tls_ctx = self.tls_context
        try:
            for rwc in ln:
                if tls_ctx is not None:
                    from gonet import tls

                    rwc = tls.server(rwc, tls_ctx)
                c = conn(self, rwc)
                self._conns.add(c)
                go(c.serve)
            if self._in_shutdown:
                raise ErrServerClosed()
            ln.accept()  # the listener was closed elsewhere: raise its error, as Go returns it
        finally:
            self._listeners.discard(ln)
            if not getattr(ln, "closed", False):
                try:
                    ln.close()
                except OSError:
                    pass

    def _receive_buffer(self) -> tuple[bytearray, memoryview]:
        """Return the receive buffer of the calling thread's connections."""
        tid = threading.get_ident()
        b = self._rbufs.get(tid)
        if b is None:
            buf = bytearray(_RECV_SIZE)
            b = self._rbufs[tid] = (buf, memoryview(buf))
        return b

    def _parser_pool(self) -> deque[_ParserSlot]:
        """Return the parser pool of the calling thread's connections."""
        tid = threading.get_ident()
        pool = self._pools.get(tid)
        if pool is None:
            pool = self._pools[tid] = deque()
        return pool

    def _forget(self, c: conn) -> None:
        self._conns.discard(c)

    # -- stopping ------------------------------------------------------------------------------------------

    def register_on_shutdown(self, f: Callable[[], Any]) -> None:
        """Call f in its own goroutine when shutdown() starts. Go: Server.RegisterOnShutdown."""
        self._on_shutdown.append(f)

    def _close_listeners(self) -> None:
        for ln in list(self._listeners):
            try:
                ln.close()
            except OSError:
                pass

    def _close_idle_conns(self) -> bool:
        """Close idle connections; report whether none remain at all. Go: closeIdleConns."""
        quiescent = True
        t = now()
        for c in list(self._conns):
            st = c.state
            if st == _NEW and t - c.born >= _NEW_CONN_IDLE_AFTER:
                st = _IDLE
            if st != _IDLE:
                quiescent = False
                continue
            c.close()
        return quiescent and not self._conns

    def shutdown(self, ctx: Context | None = None) -> None:
        """Stop gracefully: stop accepting, close idle connections, wait for active ones.

        Each connection closes once its current response is written. ctx bounds the wait;
        when it ends first, the connections still open are closed and ctx's error is raised.
        Go: Server.Shutdown.

        Raises:
            CanceledError / DeadlineExceededError: ctx ended before every connection closed.
        """
        self._in_shutdown = True
        self._close_listeners()
        for f in self._on_shutdown:
            go(f)
        interval = 0.001
        done = ctx.done() if ctx is not None else None
        while not self._close_idle_conns():
            if done is not None:
                res = select(done.recv_case(), _gtime.after(interval).recv_case())
                if res.index == 0:
                    self._close_all()
                    err = ctx.err() if ctx is not None else None
                    if err is not None:
                        raise err
                    return
            else:
                sleep(interval)
            interval = min(interval * 2, _SHUTDOWN_POLL_MAX)
        cancel = self._cancel_ctx
        if cancel is not None:
            cancel()

    def _close_all(self) -> None:
        cancel = self._cancel_ctx
        if cancel is not None:
            cancel()
        for c in list(self._conns):
            c.close()

    def close(self) -> None:
        """Close the listeners and every connection now, active or not. Go: Server.Close."""
        self._in_shutdown = True
        self._close_listeners()
        self._close_all()


def listen_and_serve(addr: str, handler: Handler | None = None) -> None:
    """Serve HTTP on addr with handler (None: default_serve_mux). Go: http.ListenAndServe."""
    Server(addr=addr, handler=handler).listen_and_serve()


def listen_and_serve_tls(addr: str, cert_file: str, key_file: str, handler: Handler | None = None) -> None:
    """Serve HTTPS on addr with the certificate and key files. Go: http.ListenAndServeTLS."""
    Server(addr=addr, handler=handler).listen_and_serve_tls(cert_file, key_file)

# gonet.http._transfer: a request body as the server reads it, and the framing of a response
# body (Go: net/http/transfer.go — body, fixLength; chunked.go's writer half).
#
# The connection's httptools parser decodes the body (Content-Length or chunked, trailers
# included) and hands each decoded piece to the body with `_feed`; the body asks the connection
# for more with `_src.fill_body()` only when a reader wants bytes it does not hold. So a handler
# that never reads the body costs nothing, and the connection discards what is left after it.
#
# Invariants:
# - `_buf` holds decoded bytes not yet read; `done` is set once the parser saw the message end.
#   It is the parser's own bytes object while a single piece is held (a small body arrives in
#   one piece and goes to the reader without a copy), a bytearray once pieces are appended or
#   partly read.
# - read() returns b"" only at the end of the body; a connection that ends early raises
#   ErrUnexpectedEOF ("unexpected EOF"), as Go's body does.
# - After close(), reads raise ErrBodyReadAfterClose; what was not read is the connection's to
#   discard (or to close over).
# - close() drops the reference to the request: the body and its Request point at each other,
#   and without that cut every request with a body would be a reference cycle left to the
#   garbage collector (its collections cost more than the rest of reading a small body).
#
# Compiled with Cython in the default build (_transfer.pxd: the body is a C struct, read() a C
# method), pure Python otherwise.
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from gonet.errors import ErrBodyReadAfterClose
from gonet.http._header import Header

__all__ = ["body", "chunk_header", "LAST_CHUNK"]

LAST_CHUNK = b"0\r\n"
"""The last-chunk line of a chunked body (trailers and the final CRLF follow)."""


def chunk_header(n: int) -> bytes:
    """Return the chunk-size line for an n-byte chunk. Go: chunkedWriter.Write."""
    return b"%x\r\n" % n


class BodySource(Protocol):
    """What a body pulls from: the server connection that owns the parser."""

    def fill_body(self, b: body) -> None:
        """Read and parse more of the connection; raise ErrUnexpectedEOF if it ends first."""
        ...


class body:  # noqa: N801 - Go's name
    """The body of a request received by the server. Go: transfer.go body.

    Attributes:
        done: the parser has seen the end of the body (its last byte is in the buffer).
        closed: close() was called.
        trailer: the trailer fields of a chunked body, once it has been read to the end
            (also set as the request's `trailer`, Go's Request.Trailer).
    """

    __slots__ = ("_src", "_buf", "done", "closed", "trailer", "req", "_on_first_read", "_n", "_clen")

    def __init__(self, src: BodySource, content_length: int = -1, req: Any = None) -> None:
        self._src = src
        self._buf: bytes | bytearray = b""
        self.done = False
        self.closed = False
        self.trailer: Header | None = None
        self.req = req  # the Request whose `trailer` the trailer fields also go to
        # The server's 100-continue hook: called once before the first read that needs bytes.
        self._on_first_read: Callable[[], None] | None = None
        self._n = 0  # bytes handed to readers (or discarded)
        self._clen = content_length  # -1: chunked

    # -- fed by the connection's parser --------------------------------------------------------

    def _feed(self, data: bytes) -> None:
        buf = self._buf
        if not buf:
            self._buf = data if type(data) is bytes else bytearray(data)
        elif type(buf) is bytes:
            held = bytearray(buf)
            held += data
            self._buf = held
        else:
            buf += data

    def _mutable(self) -> bytearray:
        """Return _buf as a bytearray (converted once, so partial reads cost no more copies)."""
        buf = self._buf
        if type(buf) is bytearray:
            return buf
        held = bytearray(buf)
        self._buf = held
        return held

    def _take(self) -> bytes:
        """Return everything held as bytes and hold nothing."""
        buf = self._buf
        self._buf = b""
        return buf if type(buf) is bytes else bytes(buf)

    # -- reading -------------------------------------------------------------------------------

    def _need(self) -> bool:
        """Get more bytes into _buf; return False at the end of the body."""
        if self.done:
            return False
        self._src.fill_body(self)
        return True

    def _first_read(self) -> None:
        hook = self._on_first_read
        if hook is not None:
            self._on_first_read = None
            hook()

    def read(self, n: int = -1) -> bytes:
        """Read up to n bytes (all that remain when n < 0); b"" at the end.

        Raises:
            ErrBodyReadAfterClose: the body was closed.
            ErrUnexpectedEOF: the client closed the connection before the end of the body.
            OSError: the connection failed or its read deadline passed (TimeoutError).
        """
        if self.closed:
            raise ErrBodyReadAfterClose()
        if self._on_first_read is not None:
            self._first_read()
        if n < 0:
            while self._need():
                pass
            data = self._take()
            self._n += len(data)
            return data
        if n == 0:
            return b""
        while not self._buf:
            if not self._need():
                return b""
        if n >= len(self._buf):  # the usual read(64 KiB): everything held
            data = self._take()
        else:
            buf = self._mutable()
            data = bytes(buf[:n])
            del buf[:n]
        self._n += len(data)
        return data

    def readinto(self, b: bytearray | memoryview) -> int:
        """Read into b; return the count, 0 at the end. Raises as read() does."""
        if self.closed:
            raise ErrBodyReadAfterClose()
        if self._on_first_read is not None:
            self._first_read()
        want = len(b)
        if want == 0:
            return 0
        while not self._buf:
            if not self._need():
                return 0
        buf = self._mutable()
        k = min(want, len(buf))
        b[:k] = buf[:k]
        del buf[:k]
        self._n += k
        return k

    def readable(self) -> bool:
        """Return True (io protocol)."""
        return True

    def close(self) -> None:
        """Stop reading; later reads raise ErrBodyReadAfterClose. Go: body.Close."""
        self.closed = True
        # Break the Request <-> body cycle: reads end here, so no trailer is for the handler
        # any more. (The 100-continue hook stays: the server reads it to see that the client
        # was never told to send the body.)
        self.req = None

    def unread(self) -> int:
        """Return how many body bytes the handler has not consumed; -1 when unknown (chunked).

        Go: body.unreadDataSizeLocked.
        """
        return -1 if self._clen < 0 else self._clen - self._n

    def buffered(self) -> int:
        """Return how many decoded bytes are held, unread."""
        return len(self._buf)

    def discard(self, limit: int) -> bool:
        """Read and drop the rest of the body, at most limit bytes; report whether it ended.

        Raises as read() does.
        """
        total = 0
        while True:
            held = len(self._buf)
            total += held
            self._n += held
            self._buf = b""
            if total > limit:
                return False
            if not self._need():
                return True

    def __repr__(self) -> str:
        state = "done" if self.done else "open"
        return f"<http body {state} buffered={len(self._buf)}>"

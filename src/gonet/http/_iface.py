# gonet.http._iface: the interfaces of gonet.http, apart from their implementations
# (Go: http.Handler, http.ResponseWriter, http.Flusher, http.Hijacker, io.ReadCloser bodies).
#
# A Handler is any callable (w, r). The server's response writer, the ResponseRecorder and
# wrappers such as timeout_handler's all satisfy ResponseWriter; request and response bodies
# satisfy Body.
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

if TYPE_CHECKING:
    from gonet.bufio import Reader
    from gonet.http._header import Header
    from gonet.http._request import Request
    from gonet.net import Conn

__all__ = ["Body", "ResponseWriter", "Handler"]


@runtime_checkable
class Body(Protocol):
    """A request or response body: read to b"" at the end, then close. Go: io.ReadCloser."""

    def read(self, n: int = -1) -> bytes:
        """Read up to n bytes (all that remain when n < 0); b"" at the end."""
        ...

    def readinto(self, buf: bytearray | memoryview) -> int:
        """Read into buf; return the count, 0 at the end."""
        ...

    def close(self) -> None:
        """Release the body; later reads raise ErrBodyReadAfterClose."""
        ...


@runtime_checkable
class ResponseWriter(Protocol):
    """What a handler writes its response through. Go: http.ResponseWriter (+ Flusher, Hijacker).

    Headers set after the first write or write_header are ignored, as in Go.
    """

    def header(self) -> Header:
        """Return the header map that write_header (or the first write) sends."""
        ...

    def write_header(self, code: int) -> None:
        """Send the status line and headers; a second call is ignored (and logged)."""
        ...

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write body bytes (write_header(200) first if needed); return len(data).

        Raises:
            ErrBodyNotAllowed: the method or status has no body (HEAD, 204, 304).
            ErrHijacked: the connection was hijacked.
            OSError: the connection failed (the client went away).
        """
        ...

    def flush(self) -> None:
        """Send what is buffered now (headers included); the response becomes chunked."""
        ...

    def hijack(self) -> tuple[Conn, Reader]:
        """Take over the connection: return it and the reader holding any bytes read ahead.

        Raises:
            ErrHijacked: called twice, or the writer does not support it.
        """
        ...


Handler: TypeAlias = Callable[["ResponseWriter", "Request"], Any]
"""A request handler: any callable (w, r). Go: http.Handler / http.HandlerFunc."""

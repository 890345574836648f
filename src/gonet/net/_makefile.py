# gonet.net._makefile: file objects over a stream conn — Conn.makefile with the standard
# socket's semantics and Conn.file's duplicate (Go: TCPConn.File; Python: socket.SocketIO).
#
# Why this exists: a gonet socket is non-blocking, and a dup of it shares that flag (it belongs to
# the open file description). A plain io.FileIO over such a descriptor returns None from
# readinto when no data is there yet, and io.BufferedReader.readline takes that None for "no more
# data" and returns b"" long before EOF. ConnIO reads through a gonet conn instead, so a read
# parks the goroutine on the netpoller, and only a real EOF reads as b"".
#
# Invariants:
# - ConnIO.readinto returns 0 only at EOF (or for an empty buffer), never None.
# - makefile() files do not own the conn: closing one leaves the conn open; closing the conn
#   makes the file's later reads and writes raise the conn's ErrClosed. (The standard socket
#   instead defers its close until every makefile file is closed; a gonet close must wake the
#   goroutines blocked on the conn at once, as Go's does.)
# - file() returns a ConnIO that owns a fresh conn over a duplicate descriptor, registered with
#   this thread's netpoller: closing either one leaves the other open.
from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Literal, overload

from gonet._poll import FD

if TYPE_CHECKING:
    from gonet.net._iface import Conn
    from gonet.net._net import SocketConn

__all__ = ["ConnIO", "makefile", "dup_file"]

_text_encoding: Any = getattr(io, "text_encoding", lambda e: e or "locale")


class ConnIO(io.RawIOBase):
    """A raw binary file whose reads and writes go through a gonet conn (they park, never fail
    with EAGAIN). Python: socket.SocketIO.
    """

    def __init__(self, conn: Any, mode: str, owns: bool = False) -> None:
        if mode not in ("rb", "wb", "rwb", "rb+"):
            raise ValueError(f"invalid mode: {mode!r}")
        super().__init__()
        self._conn = conn
        self._reading = "r" in mode
        self._writing = "w" in mode or "+" in mode
        self._owns = owns
        self.mode = mode

    @property
    def name(self) -> int:
        """The descriptor number (-1 once closed or without one), as socket.SocketIO names itself."""
        fileno = getattr(self._conn, "fileno", None)
        if self.closed or fileno is None:
            return -1
        fd: int = fileno()
        return fd

    def readinto(self, b: Any) -> int:
        """Read once into b, parking until data arrives; return the count, 0 only at EOF."""
        self._checkClosed()
        if not self._reading:
            raise io.UnsupportedOperation("File not open for reading")
        n: int = self._conn.read(b)
        return n

    def write(self, b: Any) -> int:
        """Write all of b, parking while the send buffer is full; return its length."""
        self._checkClosed()
        if not self._writing:
            raise io.UnsupportedOperation("File not open for writing")
        n: int = self._conn.write(b)
        return n

    def readable(self) -> bool:
        self._checkClosed()
        return self._reading

    def writable(self) -> bool:
        self._checkClosed()
        return self._writing

    def seekable(self) -> bool:
        self._checkClosed()
        return False

    def fileno(self) -> int:
        self._checkClosed()
        fileno = getattr(self._conn, "fileno", None)
        if fileno is None:  # a pipe, a TLS conn over a pipe: no descriptor, as io's files say
            raise io.UnsupportedOperation(f"{type(self._conn).__name__} has no file descriptor")
        fd: int = fileno()
        return fd

    def __del__(self) -> None:
        # A finalizer must not park (a conn's close may wait for in-flight operations): an
        # owned conn is left to its FD's own finalizer, which closes the socket.
        self._owns = False
        super().__del__()

    def close(self) -> None:
        """Close the file; the conn too if this file owns it (file()'s duplicate)."""
        if self.closed:
            return
        super().close()
        if self._owns and not self._conn.closed:
            self._conn.close()


_ReadB = Literal["rb", "br", "b"]
_WriteB = Literal["wb", "bw"]
_RWB = Literal["rwb", "rbw", "wrb", "wbr", "brw", "bwr"]
_Text = Literal["r", "w", "rw", "wr"]


# The overloads give each mode its file type, as typeshed does for socket.makefile; SocketConn
# uses this very function as its makefile method.
@overload
def makefile(  # type: ignore[overload-overlap]  # buffering=0 wins, as in typeshed's socket
    conn: Conn,
    mode: _ReadB | _WriteB | _RWB,
    buffering: Literal[0],
    *,
    encoding: None = None,
    errors: None = None,
    newline: None = None,
) -> ConnIO: ...
@overload
def makefile(
    conn: Conn,
    mode: _ReadB,
    buffering: int | None = None,
    *,
    encoding: None = None,
    errors: None = None,
    newline: None = None,
) -> io.BufferedReader: ...
@overload
def makefile(
    conn: Conn,
    mode: _WriteB,
    buffering: int | None = None,
    *,
    encoding: None = None,
    errors: None = None,
    newline: None = None,
) -> io.BufferedWriter: ...
@overload
def makefile(
    conn: Conn,
    mode: _RWB,
    buffering: int | None = None,
    *,
    encoding: None = None,
    errors: None = None,
    newline: None = None,
) -> io.BufferedRWPair: ...
@overload
def makefile(
    conn: Conn,
    mode: _Text = "r",
    buffering: int | None = None,
    *,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
) -> io.TextIOWrapper: ...
def makefile(
    conn: Conn,
    mode: str = "r",
    buffering: int | None = None,
    *,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
) -> ConnIO | io.BufferedIOBase | io.TextIOWrapper:
    """Return a file object over conn, with socket.makefile's modes, buffering and text layer.

    Reads park on the netpoller; b"" is EOF. Closing the file does not close the conn.

    Raises:
        ValueError: a mode with characters other than r, w, b; unbuffered text.

    Python: socket.makefile.
    """
    if not set(mode) <= {"r", "w", "b"}:
        raise ValueError(f"invalid mode {mode!r} (only r, w, b allowed)")
    writing = "w" in mode
    reading = "r" in mode or not writing
    binary = "b" in mode
    raw = ConnIO(conn, ("r" if reading else "") + ("w" if writing else "") + "b")
    if buffering is None or buffering < 0:
        buffering = io.DEFAULT_BUFFER_SIZE
    if buffering == 0:
        if not binary:
            raise ValueError("unbuffered streams must be binary")
        return raw
    buffer: io.BufferedIOBase
    if reading and writing:
        buffer = io.BufferedRWPair(raw, raw, buffering)
    elif reading:
        buffer = io.BufferedReader(raw, buffering)
    else:
        buffer = io.BufferedWriter(raw, buffering)
    if binary:
        return buffer
    text: io.TextIOWrapper = io.TextIOWrapper(
        buffer,  # type: ignore[arg-type]  # typeshed's buffer protocol wants a name attribute
        encoding if encoding is not None else _text_encoding(None),
        errors,
        newline,
    )
    text.mode = mode  # type: ignore[misc]
    return text


def dup_file(conn: SocketConn) -> ConnIO:
    """Return an unbuffered binary file over a duplicate of conn's descriptor. Go: TCPConn.File."""
    # Imported here: gonet.net._net imports this module (SocketConn.file, SocketConn.makefile).
    from gonet.net._net import SocketConn

    s = conn.dup()
    try:
        fd = FD(s)
    except BaseException:
        s.close()
        raise
    dup = SocketConn(fd, conn._net, conn.local_addr(), conn.remote_addr())
    return ConnIO(dup, "rb+", owns=True)

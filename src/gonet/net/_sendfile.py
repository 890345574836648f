# gonet.net._sendfile: Conn.sendfile, a file copied to a stream socket (Go: net/sendfile_linux.go,
# TCPConn.ReadFrom).
#
# sendfile(2) moves the bytes inside the kernel; where it cannot (no descriptor, a pipe, a
# socket type or file system that refuses it) the copy falls back to read + write, exactly
# where sendfile stopped. Either way the file position ends just after the last byte sent, as
# socket.sendfile leaves it.
#
# Reading a regular file happens on the scheduler's thread, as in Go: it is served from the
# page cache in the common case, and files cannot be polled.
from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from gonet._poll import _sendfile
from gonet.errors import op_error

if TYPE_CHECKING:  # a type only: gonet.net._net imports this module
    from gonet.net._net import SocketConn

__all__ = ["sendfile"]

_CHUNK = 1 << 16


def _check(file: Any, offset: Any, count: Any) -> None:
    if isinstance(file, io.TextIOBase):
        raise ValueError("sendfile needs a file opened in binary mode")
    if not hasattr(file, "read"):
        raise TypeError(f"sendfile needs a file object, not {type(file).__name__}")
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise TypeError(f"offset must be int, not {type(offset).__name__}")
    if offset < 0:
        raise ValueError(f"negative offset {offset}")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"count must be int or None, not {type(count).__name__}")
        if count <= 0:
            raise ValueError(f"count must be a positive integer (got {count})")


def sendfile(conn: SocketConn, file: Any, offset: int = 0, count: int | None = None) -> int:
    """Send count bytes (None: to EOF) of file from offset over conn; return the bytes sent.

    Go: TCPConn.ReadFrom / genericReadFrom.
    """
    _check(file, offset, count)
    sent = 0
    if conn._fd.stream:
        try:
            src = file.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            src = -1
        if src >= 0:
            try:
                sent, handled = _sendfile.sendfile(conn._fd, src, offset, count)
            except OSError as e:
                _seek(file, offset + getattr(e, "written", 0))
                raise _error(conn, e, "sendfile", getattr(e, "written", 0)) from e
            if handled:
                _seek(file, offset + sent)
                return sent
    return _copy(conn, file, offset, count)


def _seek(file: Any, pos: int) -> None:
    try:
        file.seek(pos)
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass


def _copy(conn: SocketConn, file: Any, offset: int, count: int | None) -> int:
    """The fallback: read chunks from file and write them, from offset. Go: genericReadFrom."""
    if offset:
        file.seek(offset)
    sent = 0
    while count is None or sent < count:
        want = _CHUNK if count is None else min(_CHUNK, count - sent)
        data = file.read(want)
        if not data:
            break
        try:
            conn._fd.write(data)
        except OSError as e:
            raise _error(conn, e, "write", sent + getattr(e, "written", 0)) from e
        sent += len(data)
    return sent


def _error(conn: SocketConn, e: OSError, syscall: str, written: int) -> OSError:
    return op_error(
        "readfrom",
        conn._net,
        conn._laddr_or_none(),
        conn._raddr_or_none(),
        e,
        syscall=syscall,
        written=written,
    )

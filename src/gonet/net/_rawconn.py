# gonet.net._rawconn: RawConn, raw access to a conn's socket (Go: net/rawconn.go).
#
# For protocols gonet does not wrap (ancillary data, MSG_PEEK, socket options it has no method
# for): control(fn) runs fn(fd) while the fd is held open; read(fn)/write(fn) call fn(fd) until
# it returns True, parking on the netpoller whenever it returns False (it met EAGAIN).
# Errors from the fd layer become OpError("raw-control" / "raw-read" / "raw-write").
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from gonet._poll import _fd_raw
from gonet._poll._fd_raw import FD_ERRORS
from gonet.errors import op_error

if TYPE_CHECKING:  # a type only: gonet.net._net imports this module
    from gonet.net._net import SocketConn

__all__ = ["RawConn"]

_T = TypeVar("_T")


class RawConn:
    """Raw access to the socket of a SocketConn. Go: syscall.RawConn (net.rawConn)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: SocketConn) -> None:
        self._conn = conn

    def control(self, fn: Callable[[int], _T]) -> _T:
        """Call fn(fd) while the descriptor is guaranteed open; return its result.

        Raises:
            OpError ("raw-control"): the conn is closed.

        Go: RawConn.Control.
        """
        c = self._conn
        try:
            return _fd_raw.raw_control(c._fd, fn)
        except FD_ERRORS as e:
            raise op_error("raw-control", c._net, c._laddr_or_none(), c._raddr_or_none(), e) from e

    def read(self, fn: Callable[[int], bool]) -> None:
        """Call fn(fd) until it returns True, parking for readability between calls.

        Go: RawConn.Read.
        """
        self._conn.raw_read(fn)

    def write(self, fn: Callable[[int], bool]) -> None:
        """Call fn(fd) until it returns True, parking for writability between calls.

        Go: RawConn.Write.
        """
        self._conn.raw_write(fn)

# gonet.net._net: the generic stream Conn and Listener (Go: net/net.go's conn and Listener).
#
# The one place where fd-layer causes become OpError: each public method calls the FD and, on
# failure, raises op_error(op, net, local, remote, cause). Addresses are computed lazily (a
# getsockname per accepted connection would cost a syscall on the churn path) but are pinned
# before the fd is closed, so error messages after close still name both ends.
from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from gonet._poll import FD
from gonet.errors import ErrClosed, op_error

__all__ = ["Conn", "Listener", "check_deadline"]


def check_deadline(t: Any) -> float | None:
    """Validate a deadline argument: None or an absolute time on gonet.now()'s clock."""
    if t is None:
        return None
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise TypeError(f"deadline must be a float (absolute time from gonet.now()) or None, "
                        f"not {type(t).__name__}")
    return float(t)


class Conn:
    """A stream connection: blocking-style read/write over a non-blocking socket.

    Go: net.Conn (the methods shared by TCPConn and UnixConn).
    """

    __slots__ = ("_fd", "_net", "_laddr", "_raddr", "_raw_raddr", "_addr_of")

    def __init__(self, fd: FD, net: str, laddr: Any = None, raddr: Any = None,
                 raw_raddr: Any = None, addr_of: Callable[[Any], Any] | None = None) -> None:
        self._fd = fd
        self._net = net
        self._laddr = laddr
        self._raddr = raddr
        self._raw_raddr = raw_raddr
        self._addr_of = addr_of

    # -- I/O -----------------------------------------------------------------------------------

    def read(self, buf: bytearray | memoryview) -> int:
        """Read into buf, parking until data arrives; return the byte count, 0 at EOF.

        One successful read returns: the count may be less than len(buf).

        Raises:
            OpError: also an ErrClosed, DeadlineExceededError (TimeoutError),
                ConnectionResetError, ... according to the cause.

        Go: Conn.Read.
        """
        try:
            return self._fd.read(buf)
        except OSError as e:
            raise self._error("read", e) from e

    def recv(self, n: int) -> bytes:
        """Read up to n bytes and return them; b"" at EOF. Like socket.recv, but parks."""
        if not isinstance(n, int):
            raise TypeError(f"recv size must be int, not {type(n).__name__}")
        if n < 0:
            raise ValueError(f"negative buffer size {n}")
        try:
            return self._fd.recv(n)
        except OSError as e:
            raise self._error("read", e) from e

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write all of data, parking while the send buffer is full; return len(data).

        Raises:
            OpError: with ``.written`` = bytes sent before a timeout or reset.

        Go: Conn.Write.
        """
        try:
            return self._fd.write(data)
        except OSError as e:
            raise self._error("write", e, getattr(e, "written", 0)) from e

    sendall = write

    def close(self) -> None:
        """Close the connection; goroutines blocked on it fail with ErrClosed.

        Raises:
            OpError (ErrClosed): already closed.

        Go: Conn.Close.
        """
        self._pin_addrs()
        try:
            self._fd.close()
        except OSError as e:
            raise self._error("close", e) from e

    @property
    def closed(self) -> bool:
        """Whether close() has been called."""
        return self._fd.closing

    def __enter__(self) -> Conn:
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._fd.closing:
            self.close()

    def __repr__(self) -> str:
        state = " closed" if self._fd.closing else ""
        return f"<{type(self).__name__} {self._net} {self._laddr_or_none()}->{self._raddr_or_none()}{state}>"

    # -- addresses -----------------------------------------------------------------------------

    def local_addr(self) -> Any:
        """Return the local address. Go: Conn.LocalAddr."""
        return self._laddr_or_none()

    def remote_addr(self) -> Any:
        """Return the remote address. Go: Conn.RemoteAddr."""
        return self._raddr_or_none()

    def _laddr_or_none(self) -> Any:
        if self._laddr is None and not self._fd.destroyed and self._addr_of is not None:
            try:
                self._laddr = self._addr_of(self._fd.sock.getsockname())
            except OSError:
                return None
        return self._laddr

    def _raddr_or_none(self) -> Any:
        if self._raddr is None:
            raw = self._raw_raddr
            if raw is None and not self._fd.destroyed:
                try:
                    raw = self._fd.sock.getpeername()
                except OSError:
                    return None
            if raw is not None and self._addr_of is not None:
                self._raddr = self._addr_of(raw)
        return self._raddr

    def _pin_addrs(self) -> None:
        if not self._fd.closing:
            self._laddr_or_none()
            self._raddr_or_none()

    def _error(self, op: str, e: OSError, written: int = 0) -> OSError:
        return op_error(op, self._net, self._laddr_or_none(), self._raddr_or_none(), e,
                        syscall=op, written=written)

    # -- deadlines and options -----------------------------------------------------------------

    def set_deadline(self, t: float | None) -> None:
        """Set the absolute read and write deadline (gonet.now() clock); None clears.

        Go: Conn.SetDeadline.
        """
        self._set_deadline(t, True, True)

    def set_read_deadline(self, t: float | None) -> None:
        """Set the absolute read deadline; None clears. Go: Conn.SetReadDeadline."""
        self._set_deadline(t, True, False)

    def set_write_deadline(self, t: float | None) -> None:
        """Set the absolute write deadline; None clears. Go: Conn.SetWriteDeadline."""
        self._set_deadline(t, False, True)

    def _set_deadline(self, t: Any, read: bool, write: bool) -> None:
        when = check_deadline(t)
        try:
            self._fd.set_deadline(when, read, write)
        except OSError as e:
            raise op_error("set", self._net, None, self._laddr_or_none(), e) from e

    def _setsockopt(self, level: int, opt: int, value: Any) -> None:
        try:
            self._fd.setsockopt(level, opt, value)
        except OSError as e:
            raise op_error("set", self._net, self._laddr_or_none(), self._raddr_or_none(), e,
                           syscall="setsockopt") from e

    def close_read(self) -> None:
        """Shut down the reading side. Go: TCPConn.CloseRead."""
        self._shutdown(socket.SHUT_RD)

    def close_write(self) -> None:
        """Shut down the writing side: the peer reads EOF. Go: TCPConn.CloseWrite."""
        self._shutdown(socket.SHUT_WR)

    def _shutdown(self, how: int) -> None:
        try:
            self._fd.shutdown(how)
        except OSError as e:
            raise op_error("close", self._net, self._laddr_or_none(), self._raddr_or_none(), e,
                           syscall="shutdown") from e

    def set_read_buffer(self, nbytes: int) -> None:
        """Set the kernel receive buffer size. Go: SetReadBuffer."""
        if nbytes < 0:
            raise ValueError(f"negative buffer size {nbytes}")
        self._setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, nbytes)

    def set_write_buffer(self, nbytes: int) -> None:
        """Set the kernel send buffer size. Go: SetWriteBuffer."""
        if nbytes < 0:
            raise ValueError(f"negative buffer size {nbytes}")
        self._setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, nbytes)

    def fileno(self) -> int:
        """Return the OS file descriptor (-1 once closed)."""
        return self._fd.fileno()


class Listener:
    """A stream listener. Go: net.Listener."""

    __slots__ = ("_fd", "_net", "_laddr", "_addr_of")

    def __init__(self, fd: FD, net: str, laddr: Any, addr_of: Callable[[Any], Any]) -> None:
        self._fd = fd
        self._net = net
        self._laddr = laddr
        self._addr_of = addr_of

    def addr(self) -> Any:
        """Return the address the listener is bound to. Go: Listener.Addr."""
        return self._laddr

    def accept(self) -> Conn:
        """Wait for and return the next connection. Go: Listener.Accept."""
        try:
            fd, raw = self._fd.accept()
        except OSError as e:
            raise op_error("accept", self._net, None, self._laddr, e, syscall="accept") from e
        return self._new_conn(fd, raw)

    def _new_conn(self, fd: int, raw: Any) -> Conn:
        raise TypeError(f"{type(self).__name__} does not create connections")

    def close(self) -> None:
        """Close the listener; a pending accept fails with ErrClosed. Go: Listener.Close."""
        try:
            self._fd.close()
        except OSError as e:
            raise op_error("close", self._net, None, self._laddr, e) from e

    @property
    def closed(self) -> bool:
        """Whether close() has been called."""
        return self._fd.closing

    def set_deadline(self, t: float | None) -> None:
        """Set the absolute deadline for accept; None clears. Go: TCPListener.SetDeadline."""
        when = check_deadline(t)
        try:
            self._fd.set_deadline(when, True, True)
        except OSError as e:
            raise op_error("set", self._net, None, self._laddr, e) from e

    def fileno(self) -> int:
        """Return the OS file descriptor (-1 once closed)."""
        return self._fd.fileno()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._fd.closing:
            self.close()

    def __iter__(self) -> Listener:
        return self

    def __next__(self) -> Conn:
        """Accept the next connection; stop iterating when the listener is closed."""
        try:
            return self.accept()
        except ErrClosed:
            raise StopIteration from None

    def __repr__(self) -> str:
        state = " closed" if self._fd.closing else ""
        return f"<{type(self).__name__} {self._net} {self._laddr}{state}>"

# gonet.net._net: SocketConn, SocketPacketConn and SocketListener, the socket-backed
# implementations of net's Conn, PacketConn and Listener interfaces (Go: net/net.go's conn).
#
# The interfaces themselves are Protocols in _iface; these classes are what TCPConn, UDPConn,
# UnixConn, TCPListener and UnixListener derive from, as Go's types embed its unexported conn.
#
# The one place where fd-layer causes become OpError: each public method calls the FD and, on
# failure, raises op_error(op, net, local, remote, cause). Addresses are computed lazily (a
# getsockname per accepted connection would cost a syscall on the churn path) but are pinned
# before the fd is closed, so error messages after close still name both ends.
#
# Iterating a SocketListener is net/http's accept loop: temporary errors (EMFILE, ...) are logged and
# retried after a doubling delay, so no server loop dies when descriptors run out for a while.
#
# Invariants:
# - SocketConn.read/recv/write stay a bare call into the FD inside a try — benchmarks measure them;
#   a misused argument (read(100)) is explained only after the call failed.
# - The pollDesc (kept by the scheduler's fd table) refers to its conn or listener only weakly
#   (pd.info, for goroutine dumps), so a conn nobody references is collected and its FD's
#   finalizer closes the socket, as Go's netFD finalizer does.
# - Everything else (vectored and zero-copy writes, raw access, datagrams) lives in its own
#   _poll module and is reached through methods off that path.
from __future__ import annotations

import io
import logging
import socket
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from gonet._poll import _fd_dgram, _fd_raw, _writev
from gonet._poll._fd_raw import FD_ERRORS as _FD_ERRORS
from gonet.errors import (
    ErrClosed,
    ErrWriteToConnected,
    OpError,
    op_error,
)
from gonet.net._makefile import dup_file, makefile
from gonet.net._rawconn import RawConn
from gonet.net._sendfile import sendfile as _sendfile
from gonet.runtime import sleep

if TYPE_CHECKING:  # a type only; the compiled build cimports FD's C type in _net.pxd, hence the alias
    from gonet._poll import FD as _FD
    from gonet.net._iface import Addr
    from gonet.net._rawconn import RawConn

__all__ = [
    "SocketConn",
    "SocketPacketConn",
    "SocketListener",
    "check_deadline",
    "buffer_error",
    "ErrWriteToConnected",
    "byte_views",
    "ConnInfo",
    "ListenerInfo",
    "poll_fd",
]


class ListenerInfo:
    """What a goroutine dump shows for a listener's fd (pd.info), without keeping it alive."""

    __slots__ = ("_ref",)

    def __init__(self, obj: Any) -> None:
        self._ref = weakref.ref(obj)

    def __repr__(self) -> str:
        obj = self._ref()
        return repr(obj) if obj is not None else "<collected>"


class ConnInfo(ListenerInfo):
    """What a goroutine dump shows for a conn's fd (pd.info), without keeping it alive."""

    __slots__ = ()

    def remote_addr(self) -> Addr | None:
        """Return the conn's remote address (None once it is gone)."""
        obj = self._ref()
        return obj.remote_addr() if obj is not None else None


_log = logging.getLogger("gonet.net")

# net/http's backoff between accept retries after a temporary error.
_MIN_ACCEPT_DELAY = 0.005
_MAX_ACCEPT_DELAY = 1.0


def _duration(seconds: float) -> str:
    """Format a delay as Go prints a time.Duration of whole milliseconds: "5ms", "1s"."""
    ms = round(seconds * 1000)
    return f"{ms}ms" if ms < 1000 else f"{ms / 1000:g}s"


def byte_views(buffers: Iterable[Any]) -> list[memoryview]:
    """Return flat byte memoryviews of the non-empty buffers; reject non-bytes-like items."""
    if isinstance(buffers, (bytes, bytearray, memoryview, str)):
        raise TypeError(
            f"writev needs an iterable of bytes-like buffers, not a single {type(buffers).__name__}"
        )
    out = []
    for b in buffers:
        try:
            v = memoryview(b)
        except TypeError:
            raise TypeError(f"writev buffers must be bytes-like, not {type(b).__name__}") from None
        if v.nbytes:
            out.append(v if v.format == "B" and v.ndim == 1 else v.cast("B"))
    return out


def buffer_error(op: str, alt: str, buf: Any, err: TypeError) -> TypeError:
    """Explain a read given something other than a writable buffer (often a size, as for recv).

    Returns err itself when buf is a writable buffer after all (the TypeError came from
    elsewhere).
    """
    if isinstance(buf, int) and not isinstance(buf, bool):
        return TypeError(f"{op} needs a writable buffer such as bytearray({buf}); use {alt}({buf}) for bytes")
    try:
        if not memoryview(buf).readonly:
            return err
    except TypeError:
        pass
    return TypeError(
        f"{op} needs a writable buffer such as bytearray(n), not {type(buf).__name__}; use {alt}(n) for bytes"
    )


def check_deadline(t: Any) -> float | None:
    """Validate a deadline argument: None or an absolute time on gonet.now()'s clock."""
    if t is None:
        return None
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise TypeError(
            f"deadline must be a float (absolute time from gonet.now()) or None, not {type(t).__name__}"
        )
    return float(t)


def poll_fd(c: Any) -> _FD | None:
    """Return the FD under c when c is this package's socket conn, else None (TLS, a pipe).

    For a layer above that waits on the fd itself (gonet.http's idle conns park in
    FD.wait_read_ready with the least stack); everything else reads through the conn.
    """
    return c._fd if isinstance(c, SocketConn) else None


class SocketConn:
    """A stream connection: blocking-style read/write over a non-blocking socket.

    Go: net's conn (the methods shared by TCPConn, UDPConn and UnixConn).
    """

    __slots__ = ("_fd", "_net", "_laddr", "_raddr", "_raw_raddr", "_addr_of", "__weakref__")

    def __init__(
        self,
        fd: _FD,
        net: str,
        laddr: Addr | None = None,
        raddr: Addr | None = None,
        raw_raddr: Any = None,
        addr_of: Callable[[Any], Any] | None = None,
    ) -> None:
        self._fd = fd
        self._net = net
        self._laddr = laddr
        self._raddr = raddr
        self._raw_raddr = raw_raddr
        self._addr_of = addr_of
        pd = fd.pd
        if pd is not None:
            pd.info = ConnInfo(self)

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
        except TypeError as e:  # explained here, off the success path
            raise buffer_error("read", "recv", buf, e) from None

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

    def __enter__(self) -> SocketConn:
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._fd.closing:
            self.close()

    def __repr__(self) -> str:
        state = " closed" if self._fd.closing else ""
        return f"<{type(self).__name__} {self._net} {self._laddr_or_none()}->{self._raddr_or_none()}{state}>"

    # -- addresses -----------------------------------------------------------------------------

    def local_addr(self) -> Addr | None:
        """Return the local address. Go: Conn.LocalAddr."""
        return self._laddr_or_none()

    def remote_addr(self) -> Addr | None:
        """Return the remote address. Go: Conn.RemoteAddr."""
        return self._raddr_or_none()

    def _laddr_or_none(self) -> Addr | None:
        if self._laddr is None and not self._fd.destroyed and self._addr_of is not None:
            try:
                self._laddr = self._addr_of(self._fd.sock.getsockname())
            except OSError:
                return None
        return self._laddr

    def _raddr_or_none(self) -> Addr | None:
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
        return op_error(
            op, self._net, self._laddr_or_none(), self._raddr_or_none(), e, syscall=op, written=written
        )

    # -- deadlines and options -----------------------------------------------------------------

    def set_deadline(self, t: float | None) -> None:
        """Set the read and write deadline: an absolute time on gonet.now()'s clock; None clears.

        A deadline is a point in time, not a duration: ``conn.set_deadline(gonet.now() + 5)``
        makes reads and writes that are still blocked 5 s from now fail with "i/o timeout"
        (a small number such as 5 is a moment long past, so every call fails at once).

        Go: Conn.SetDeadline.
        """
        self._set_deadline(t, True, True)

    def set_read_deadline(self, t: float | None) -> None:
        """Set the absolute read deadline, e.g. ``gonet.now() + 5``; None clears.

        Go: Conn.SetReadDeadline.
        """
        self._set_deadline(t, True, False)

    def set_write_deadline(self, t: float | None) -> None:
        """Set the absolute write deadline, e.g. ``gonet.now() + 5``; None clears.

        Go: Conn.SetWriteDeadline.
        """
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
            raise op_error(
                "set", self._net, self._laddr_or_none(), self._raddr_or_none(), e, syscall="setsockopt"
            ) from e

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
            raise op_error(
                "close", self._net, self._laddr_or_none(), self._raddr_or_none(), e, syscall="shutdown"
            ) from e

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

    # -- vectored, zero-copy and raw I/O (off the hot path) ---------------------------------------

    def writev(self, buffers: Iterable[bytes | bytearray | memoryview]) -> int:
        """Write every buffer, in order, with as few sendmsg calls as possible; return the total.

        At most 1024 buffers go into one sendmsg; a partly sent buffer is resumed where it
        stopped. Like write(), it writes everything or raises.

        Args:
            buffers: an iterable of bytes-like objects (bytes, bytearray, memoryview, ...).

        Raises:
            TypeError: an item is not bytes-like.
            OpError: with ``.written`` = bytes sent before a timeout or reset.

        Go: net.Buffers.WriteTo (writev on a TCPConn or UnixConn).
        """
        bufs = byte_views(buffers)
        try:
            return _writev.writev(self._fd, bufs)
        except OSError as e:
            raise op_error(
                "writev",
                self._net,
                self._laddr_or_none(),
                self._raddr_or_none(),
                e,
                syscall="writev",
                written=getattr(e, "written", 0),
            ) from e

    def sendfile(self, file: BinaryIO, offset: int = 0, count: int | None = None) -> int:
        """Send count bytes (None: to the end) of file from offset; return the bytes sent.

        Uses sendfile(2) when file is a regular file with a descriptor, else reads and writes.
        Like socket.sendfile, the file position is left just after the last byte sent.

        Args:
            file: a file object opened in binary mode.
            offset: where to start in the file.
            count: how many bytes at most; None sends to end of file.

        Raises:
            ValueError: text-mode file, negative offset, non-positive count.
            OpError: with ``.written`` = bytes sent before the failure.

        Go: TCPConn.ReadFrom (with an *os.File source).
        """
        return _sendfile(self, file, offset, count)

    def dup(self) -> socket.socket:
        """Return an independent duplicate of the socket as a standard socket.socket.

        Closing either does not close the other. The duplicate shares the open file
        description, so it stays non-blocking: do not make it blocking while this conn is used.

        Go: TCPConn.File (as a socket object).
        """
        try:
            nfd = _fd_raw.dup(self._fd)
        except OSError as e:
            raise self._error("dup", e) from e
        s = self._fd.sock
        return socket.socket(s.family, s.type, s.proto, fileno=nfd)

    def file(self) -> io.RawIOBase:
        """Return a duplicate of the descriptor as an unbuffered binary file ("rb+").

        Its reads park on the netpoller like the conn's (a plain FileIO over the shared
        non-blocking description would return None, which io.BufferedReader takes for EOF).
        Closing either one leaves the other open.

        Go: TCPConn.File.
        """
        return dup_file(self)

    # Python: socket.makefile (the function's overloads type each mode's file).
    makefile = makefile

    def syscall_conn(self) -> RawConn:
        """Return a RawConn for raw access to the socket. Go: TCPConn.SyscallConn."""
        return RawConn(self)

    def raw_read(self, fn: Callable[[int], bool]) -> None:
        """Call fn(fd) until it returns True, parking for readability whenever it returns False.

        fn must do non-blocking I/O on the descriptor and return False when it met EAGAIN.
        Deadlines and close apply as to read().

        Raises:
            OpError ("raw-read"): closed, timed out, ...; exceptions from fn propagate as-is.

        Go: RawConn.Read.
        """
        try:
            _fd_raw.raw_read(self._fd, fn)
        except _FD_ERRORS as e:
            raise self._error("raw-read", e) from e

    def raw_write(self, fn: Callable[[int], bool]) -> None:
        """Call fn(fd) until it returns True, parking for writability whenever it returns False.

        Go: RawConn.Write.
        """
        try:
            _fd_raw.raw_write(self._fd, fn)
        except _FD_ERRORS as e:
            raise self._error("raw-write", e) from e


class SocketPacketConn(SocketConn):
    """A message-oriented connection: datagrams with their sender's address.

    Shared by UDPConn and UnixConn ("unixgram"). Each read returns one datagram: a zero-byte
    datagram reads as 0 (not EOF), a longer one than the buffer is truncated, as the OS does.

    Go: the net.PacketConn methods of UDPConn and UnixConn.
    """

    __slots__ = ("_connected", "_last_raw", "_last_addr")

    def __init__(
        self,
        fd: _FD,
        net: str,
        laddr: Addr | None = None,
        raddr: Addr | None = None,
        raw_raddr: Any = None,
        addr_of: Callable[[Any], Any] | None = None,
        connected: bool = False,
    ) -> None:
        super().__init__(fd, net, laddr, raddr, raw_raddr, addr_of)
        self._connected = connected
        self._last_raw: Any = None
        self._last_addr: Addr | None = None

    if TYPE_CHECKING:  # a narrower type for the inherited method; nothing changes at run time

        def __enter__(self) -> SocketPacketConn: ...

    def _peer(self, raw: Any) -> Addr | None:
        # Consecutive datagrams usually come from one peer: reuse its address object.
        if raw == self._last_raw and raw is not None:
            return self._last_addr
        addr = self._addr_of(raw) if (self._addr_of is not None and raw is not None) else None
        self._last_raw = raw
        self._last_addr = addr
        return addr

    def read_from(self, buf: bytearray | memoryview) -> tuple[int, Addr | None]:
        """Read one datagram into buf; return (byte count, sender address).

        Raises:
            OpError: closed, timed out, ... (ICMP errors on a connected socket, too).

        Go: UDPConn.ReadFrom.
        """
        try:
            n, raw = _fd_dgram.recvfrom_into(self._fd, buf)
        except OSError as e:
            raise op_error(
                "read", self._net, self._laddr_or_none(), self._raddr_or_none(), e, syscall="recvfrom"
            ) from e
        except TypeError as e:
            raise buffer_error("read_from", "recv_from", buf, e) from None
        return n, self._peer(raw)

    def recv_from(self, size: int) -> tuple[bytes, Addr | None]:
        """Read one datagram of at most size bytes; return (data, sender address)."""
        if not isinstance(size, int):
            raise TypeError(f"recv_from size must be int, not {type(size).__name__}")
        if size < 0:
            raise ValueError(f"negative buffer size {size}")
        try:
            data, raw = _fd_dgram.recvfrom(self._fd, size)
        except OSError as e:
            raise op_error(
                "read", self._net, self._laddr_or_none(), self._raddr_or_none(), e, syscall="recvfrom"
            ) from e
        return data, self._peer(raw)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Send data as one datagram to the connected peer; b"" sends an empty datagram.

        Raises:
            OpError: e.g. "destination address required" on an unconnected socket,
                "message too long" for a datagram over the limit.

        Go: UDPConn.Write.
        """
        if self._fd.stream:
            return SocketConn.write(self, data)
        try:
            return _fd_dgram.send(self._fd, data)
        except OSError as e:
            raise self._error("write", e) from e

    sendall = write

    def write_to(
        self, data: bytes | bytearray | memoryview, addr: Addr | tuple[str, int] | str | bytes
    ) -> int:
        """Send data as one datagram to addr; return len(data).

        Raises:
            TypeError: addr is not an address of this connection's kind.
            OpError: ErrWriteToConnected on a dialled (connected) conn; AddrError for an
                unusable address; the kernel's error otherwise.

        Go: UDPConn.WriteTo.
        """
        if self._connected:
            raise op_error("write", self._net, self._laddr_or_none(), addr, ErrWriteToConnected())
        addr = self._as_addr(addr)
        try:
            sa = self._sockaddr(addr)
        except ValueError as e:  # AddrError: e.g. an IPv6 address for an IPv4 socket
            raise op_error("write", self._net, self._laddr_or_none(), addr, e) from e
        try:
            return _fd_dgram.sendto(self._fd, data, sa)
        except OSError as e:
            raise op_error("write", self._net, self._laddr_or_none(), addr, e, syscall="sendto") from e

    def writev(self, buffers: Iterable[bytes | bytearray | memoryview]) -> int:
        """Send the concatenation of buffers as ONE datagram to the connected peer."""
        if self._fd.stream:
            return SocketConn.writev(self, buffers)
        bufs = byte_views(buffers)
        if len(bufs) > _writev.IOV_MAX:
            raise ValueError(f"a datagram takes at most {_writev.IOV_MAX} buffers, got {len(bufs)}")
        try:
            return _fd_dgram.sendmsg(self._fd, bufs)
        except OSError as e:
            raise self._error("write", e) from e

    def _as_addr(self, addr: Any) -> Addr:
        """Return addr as this conn's address class; TypeError if it is not one. Per type."""
        raise TypeError(f"{type(self).__name__} cannot send to {addr!r}")

    def _sockaddr(self, addr: Any) -> Any:
        """Return the socket-module address of an address object; AddrError if unusable."""
        raise TypeError(f"{type(self).__name__} cannot send to {addr!r}")


class SocketListener:
    """A stream listener over a listening socket. Go: the net.Listener methods of TCPListener."""

    __slots__ = ("_fd", "_net", "_laddr", "_addr_of", "__weakref__")

    def __init__(self, fd: _FD, net: str, laddr: Addr, addr_of: Callable[[Any], Any]) -> None:
        self._fd = fd
        self._net = net
        self._laddr = laddr
        self._addr_of = addr_of
        if fd.pd is not None:
            fd.pd.info = ListenerInfo(self)

    def addr(self) -> Addr:
        """Return the address the listener is bound to. Go: Listener.Addr."""
        return self._laddr

    def accept(self) -> SocketConn:
        """Wait for and return the next connection. Go: Listener.Accept."""
        try:
            fd, raw = self._fd.accept()
        except OSError as e:
            raise op_error("accept", self._net, None, self._laddr, e, syscall="accept") from e
        return self._new_conn(fd, raw)

    def _new_conn(self, fd: int, raw: Any) -> SocketConn:
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
        """Set the absolute deadline for accept, e.g. ``gonet.now() + 5``; None clears.

        Go: TCPListener.SetDeadline.
        """
        when = check_deadline(t)
        try:
            self._fd.set_deadline(when, True, True)
        except OSError as e:
            raise op_error("set", self._net, None, self._laddr, e) from e

    def fileno(self) -> int:
        """Return the OS file descriptor (-1 once closed)."""
        return self._fd.fileno()

    def dup(self) -> socket.socket:
        """Return an independent duplicate of the listening socket. Go: TCPListener.File."""
        try:
            nfd = _fd_raw.dup(self._fd)
        except OSError as e:
            raise op_error("dup", self._net, None, self._laddr, e) from e
        s = self._fd.sock
        return socket.socket(s.family, s.type, s.proto, fileno=nfd)

    def file(self) -> io.FileIO:
        """Return a duplicate of the descriptor as an unbuffered binary file. Go: Listener.File."""
        try:
            nfd = _fd_raw.dup(self._fd)
        except OSError as e:
            raise op_error("dup", self._net, None, self._laddr, e) from e
        return io.FileIO(nfd, "r+", closefd=True)

    def __enter__(self) -> SocketListener:
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._fd.closing:
            self.close()

    def __iter__(self) -> Iterator[SocketConn]:
        """Iterate over accepted connections: ``for conn in ln: go(handle, conn)``."""
        return self

    def __next__(self) -> SocketConn:
        """Accept the next connection, riding out temporary errors; stop once ln is closed.

        This is the accept loop of net/http's Server.Serve, so that no server loop dies on
        EMFILE: a temporary error (see OpError.temporary) is logged as a warning on the
        "gonet.net" logger and accept is retried after 5 ms, doubling up to 1 s; the delay
        starts again at 5 ms after a success. Retrying at once instead would spin at full CPU
        while the process is out of descriptors. An expired deadline is raised, not retried
        (it stays expired), as is every other error. accept() itself reports every error.

        Raises:
            OpError: a permanent accept error, or the deadline's DeadlineExceededError.

        Go: the accept loop of net/http.Server.Serve.
        """
        delay = 0.0
        while True:
            try:
                return self.accept()
            except ErrClosed:
                raise StopIteration from None
            except OpError as e:
                if not e.temporary() or e.timeout():
                    raise
                delay = min(delay * 2, _MAX_ACCEPT_DELAY) if delay else _MIN_ACCEPT_DELAY
                _log.warning("gonet: accept error: %s; retrying in %s", e, _duration(delay))
                sleep(delay)

    def __repr__(self) -> str:
        state = " closed" if self._fd.closing else ""
        return f"<{type(self).__name__} {self._net} {self._laddr}{state}>"

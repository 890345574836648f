# gonet.net._iface: the interfaces Addr, Conn, PacketConn and Listener (Go: net/net.go's
# interface types), apart from the socket classes that implement them.
#
# They are typing.Protocols: a class satisfies one by having its methods, as a Go type does,
# so PipeConn and tls.TLSConn are Conns without deriving from anything. Each is
# runtime-checkable: isinstance() tests that the methods exist (not their signatures) and costs
# a few attribute look-ups, so nothing on a hot path asks it.
#
# Invariants:
# - Only Go's methods, plus Python's protocols every implementation has: `with` (closing at the
#   end) and, on a Listener, iteration (the accept loop). __enter__ returns the interface, not
#   "Self": an implementation's own __enter__ may return a base class that still satisfies it.
# - Nothing here is imported by the implementations at run time; this module imports no other
#   net module, so it can be imported from anywhere below net's package.
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

__all__ = ["Addr", "Conn", "PacketConn", "Listener"]


@runtime_checkable
class Addr(Protocol):
    """A network end point address: TCPAddr, UDPAddr, UnixAddr, PipeAddr.

    str(addr) is its text form ("127.0.0.1:80", "/tmp/sock", "pipe").

    Go: net.Addr.
    """

    def network(self) -> str:
        """Return the name of the network ("tcp", "udp", "unix", "pipe", ...). Go: Addr.Network."""
        ...

    def __str__(self) -> str:
        """Return the address's text form. Go: Addr.String."""
        ...


@runtime_checkable
class Conn(Protocol):
    """A generic stream-oriented network connection: TCPConn, UnixConn, PipeConn, TLSConn, ...

    Go: net.Conn.
    """

    def read(self, buf: bytearray | memoryview) -> int:
        """Read into buf, parking until data arrives; return the byte count, 0 at EOF. Go: Read."""
        ...

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write all of data, parking while needed; return len(data). Go: Conn.Write."""
        ...

    def close(self) -> None:
        """Close the connection; blocked reads and writes fail with ErrClosed. Go: Conn.Close."""
        ...

    def local_addr(self) -> Addr | None:
        """Return the local address (None when unknown, e.g. once closed). Go: Conn.LocalAddr."""
        ...

    def remote_addr(self) -> Addr | None:
        """Return the remote address (None when unknown). Go: Conn.RemoteAddr."""
        ...

    def set_deadline(self, t: float | None) -> None:
        """Set the absolute read and write deadline (gonet.now()'s clock); None clears.

        Go: Conn.SetDeadline.
        """
        ...

    def set_read_deadline(self, t: float | None) -> None:
        """Set the absolute read deadline; None clears. Go: Conn.SetReadDeadline."""
        ...

    def set_write_deadline(self, t: float | None) -> None:
        """Set the absolute write deadline; None clears. Go: Conn.SetWriteDeadline."""
        ...

    def __enter__(self) -> Conn:
        """Return the conn itself; the with block's end closes it."""
        ...

    def __exit__(self, *exc: Any) -> None:
        """Close it unless it already is."""
        ...


@runtime_checkable
class PacketConn(Protocol):
    """A generic packet-oriented network connection: UDPConn, UnixConn ("unixgram").

    Go: net.PacketConn.
    """

    def read_from(self, buf: bytearray | memoryview) -> tuple[int, Addr | None]:
        """Read one datagram into buf; return (byte count, sender). Go: PacketConn.ReadFrom."""
        ...

    def write_to(self, data: bytes | bytearray | memoryview, addr: Addr) -> int:
        """Send data as one datagram to addr; return len(data). Go: PacketConn.WriteTo."""
        ...

    def close(self) -> None:
        """Close the connection; blocked reads and writes fail with ErrClosed. Go: Close."""
        ...

    def local_addr(self) -> Addr | None:
        """Return the local address (None when unknown). Go: PacketConn.LocalAddr."""
        ...

    def set_deadline(self, t: float | None) -> None:
        """Set the absolute read and write deadline; None clears. Go: PacketConn.SetDeadline."""
        ...

    def set_read_deadline(self, t: float | None) -> None:
        """Set the absolute read deadline; None clears. Go: PacketConn.SetReadDeadline."""
        ...

    def set_write_deadline(self, t: float | None) -> None:
        """Set the absolute write deadline; None clears. Go: PacketConn.SetWriteDeadline."""
        ...

    def __enter__(self) -> PacketConn:
        """Return the conn itself; the with block's end closes it."""
        ...

    def __exit__(self, *exc: Any) -> None:
        """Close it unless it already is."""
        ...


@runtime_checkable
class Listener(Protocol):
    """A generic network listener for stream-oriented protocols: TCPListener, UnixListener.

    Go: net.Listener.
    """

    def accept(self) -> Conn:
        """Wait for and return the next connection. Go: Listener.Accept."""
        ...

    def close(self) -> None:
        """Close the listener; a blocked accept fails with ErrClosed. Go: Listener.Close."""
        ...

    def addr(self) -> Addr:
        """Return the listener's network address. Go: Listener.Addr."""
        ...

    def __iter__(self) -> Iterator[Conn]:
        """Iterate over accepted connections, riding out temporary accept errors."""
        ...

    def __enter__(self) -> Listener:
        """Return the listener itself; the with block's end closes it."""
        ...

    def __exit__(self, *exc: Any) -> None:
        """Close it unless it already is."""
        ...

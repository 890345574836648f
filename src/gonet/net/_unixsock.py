# gonet.net._unixsock: Unix domain sockets (Go: net/unixsock.go, unixsock_posix.go).
#
# "unix" is SOCK_STREAM, "unixpacket" SOCK_SEQPACKET, "unixgram" SOCK_DGRAM. A name starting with
# "@" is in Linux's abstract namespace (no file). A listener created by listen() unlinks its
# socket file when closed, once; abstract names have no file to unlink. A "unixgram" conn from
# listen_packet is not a listener and, as in Go, leaves its socket file in place.
from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gonet._poll import FD
from gonet.net._net import SocketListener, SocketPacketConn
from gonet.net._sock_posix import StdSocket

__all__ = ["UnixAddr", "UnixConn", "UnixListener", "unix_sockaddr", "unix_addr_of", "UNIX_TYPES"]

UNIX_TYPES = {
    "unix": socket.SOCK_STREAM,
    "unixpacket": socket.SOCK_SEQPACKET,
    "unixgram": socket.SOCK_DGRAM,
}


@dataclass(frozen=True, slots=True)
class UnixAddr:
    """The address of a Unix domain socket end point. Go: net.UnixAddr."""

    name: str
    net: str = "unix"

    def network(self) -> str:
        """Return the network name ("unix", "unixgram" or "unixpacket")."""
        return self.net

    def __str__(self) -> str:
        return self.name


def unix_sockaddr(name: str) -> str | bytes:
    """Convert a gonet Unix name to a socket address ("@x" -> abstract "\\0x")."""
    if name.startswith("@"):
        return b"\0" + name[1:].encode()
    return name


def unix_addr_of(net: str) -> Callable[[Any], UnixAddr | None]:
    """Return a converter from socket addresses to UnixAddr for network net."""

    def conv(sa: Any) -> UnixAddr | None:
        if isinstance(sa, bytes):
            if not sa:
                return None
            name = "@" + sa[1:].decode(errors="replace") if sa[:1] == b"\0" else sa.decode()
        else:
            name = sa
        if not name:
            return None
        return UnixAddr(name, net)

    return conv


class UnixConn(SocketPacketConn):
    """A Unix domain socket connection: stream, seqpacket or datagram. Go: net.UnixConn.

    read_from/write_to work as for UDPConn; write_to takes a UnixAddr or a path.
    """

    __slots__ = ()

    if TYPE_CHECKING:  # narrower types for the inherited methods; nothing changes at run time

        def local_addr(self) -> UnixAddr | None: ...
        def remote_addr(self) -> UnixAddr | None: ...
        def read_from(self, buf: bytearray | memoryview) -> tuple[int, UnixAddr | None]: ...
        def recv_from(self, size: int) -> tuple[bytes, UnixAddr | None]: ...

    def _as_addr(self, addr: Any) -> UnixAddr:
        if isinstance(addr, UnixAddr):
            return addr
        if isinstance(addr, (str, bytes)) and addr:
            ua = unix_addr_of(self._net)(addr)
            if ua is not None:
                return ua
        raise TypeError(f"write_to needs a UnixAddr or a socket path, not {type(addr).__name__} {addr!r}")

    def _sockaddr(self, addr: UnixAddr) -> Any:
        return unix_sockaddr(addr.name)


class UnixListener(SocketListener):
    """A Unix domain socket listener. Go: net.UnixListener."""

    __slots__ = ("_sotype", "_path", "_unlink")

    def __init__(self, fd: FD, net: str, laddr: UnixAddr) -> None:
        super().__init__(fd, net, laddr, unix_addr_of(net))
        self._sotype = fd.sock.type
        self._path = laddr.name
        self._unlink = not laddr.name.startswith("@")
        fd.on_destroy = self._unlink_once

    def set_unlink_on_close(self, unlink: bool) -> None:
        """Choose whether close() removes the socket file. Go: UnixListener.SetUnlinkOnClose."""
        self._unlink = unlink and not self._path.startswith("@")

    def _unlink_once(self) -> None:
        if self._unlink:
            self._unlink = False
            try:
                os.unlink(self._path)
            except FileNotFoundError:
                pass

    def accept(self) -> UnixConn:
        """Wait for and return the next connection. Go: UnixListener.AcceptUnix."""
        return super().accept()  # type: ignore[return-value]

    if TYPE_CHECKING:  # narrower types for the inherited methods; nothing changes at run time

        def addr(self) -> UnixAddr: ...
        def __iter__(self) -> Iterator[UnixConn]: ...
        def __next__(self) -> UnixConn: ...

    def _new_conn(self, fd: int, raw: Any) -> UnixConn:
        sock = StdSocket(socket.AF_UNIX, self._sotype, 0, fileno=fd)
        try:
            nfd = FD(sock)
        except BaseException:
            sock.close()
            raise
        return UnixConn(
            nfd, self._net, self._laddr, None, raw or b"", unix_addr_of(self._net), connected=True
        )

# gonet.net._udpsock: UDPConn (Go: net/udpsock.go, udpsock_posix.go).
#
# A UDPConn from listen_packet is unconnected: read_from/write_to name the peer of each
# datagram. One from dial("udp", ...) is connected: read/write talk to the dialled peer only,
# and write_to is refused with ErrWriteToConnected, as in Go (the kernel would accept it).
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gonet.errors import AddrError
from gonet.net._ipsock import UDPAddr, ip_sockaddr, parse_ip, sockaddr_to_ip_port
from gonet.net._net import SocketPacketConn

__all__ = ["UDPConn", "udp_addr_of"]


def udp_addr_of(sa: Any) -> UDPAddr:
    """Convert a socket address tuple to a UDPAddr."""
    ip, port, zone = sockaddr_to_ip_port(sa)
    return UDPAddr(ip, port, zone)


class UDPConn(SocketPacketConn):
    """A UDP socket, connected (dialled) or not (listen_packet). Go: net.UDPConn."""

    __slots__ = ()

    if TYPE_CHECKING:  # narrower types for the inherited methods; nothing changes at run time

        def local_addr(self) -> UDPAddr | None: ...
        def remote_addr(self) -> UDPAddr | None: ...
        def read_from(self, buf: bytearray | memoryview) -> tuple[int, UDPAddr]: ...
        def recv_from(self, size: int) -> tuple[bytes, UDPAddr]: ...

    def _as_addr(self, addr: Any) -> UDPAddr:
        if isinstance(addr, UDPAddr):
            return addr
        if (
            isinstance(addr, tuple)
            and len(addr) >= 2
            and isinstance(addr[0], str)
            and isinstance(addr[1], int)
            and not isinstance(addr[1], bool)
        ):
            return UDPAddr(addr[0], addr[1])
        raise TypeError(
            f"write_to needs a UDPAddr or an (ip, port) tuple, not {type(addr).__name__} {addr!r}"
        )

    def _sockaddr(self, addr: UDPAddr) -> Any:
        if addr.ip and parse_ip(addr.ip) is None:
            raise AddrError("not an IP address (resolve names first: net.resolve_udp_addr)", addr.ip)
        return ip_sockaddr(self._fd.sock.family, addr.ip, addr.port, addr.zone)

# gonet.net._listen: listen and listen_packet (Go: net/dial.go ListenConfig, sock_posix.go
# listenStream/listenDatagram).
#
# Turns (network, address) into a bound socket: validate the network, resolve the address (IPv4
# first, as Go), create a non-blocking close-on-exec socket, then bind (+listen for streams) and
# register it with the netpoller. A wildcard "tcp"/"udp" address ("", "0.0.0.0", "::") is one
# dual-stack IPv6 socket when the host can map IPv4 into IPv6 (Go's favoriteAddrFamily). Every failure leaves as one OpError("listen", ...) and closes whatever
# socket was half made.
from __future__ import annotations

import socket
from typing import Any, Literal, overload

from gonet._poll import FD
from gonet.errors import AddrError, UnknownNetworkError, op_error
from gonet.net._iface import Listener, PacketConn
from gonet.net._ipsock import TCPAddr, UDPAddr, addr_sockaddr, ipv6_supported
from gonet.net._resolve import KNOWN_NETS, TCP_NETS, UDP_NETS, internet_addr_list
from gonet.net._sock_posix import new_socket, set_default_sockopts
from gonet.net._tcpsock import DEFAULT_KEEP_ALIVE, TCPListener, tcp_addr_of
from gonet.net._udpsock import UDPConn, udp_addr_of
from gonet.net._unixsock import UNIX_TYPES, UnixAddr, UnixConn, UnixListener, unix_addr_of, unix_sockaddr

__all__ = ["listen", "listen_packet", "max_listener_backlog", "check_network"]

_backlog: int | None = None


def max_listener_backlog() -> int:
    """Return the kernel's listen backlog limit (somaxconn), as Go does. Go: maxListenerBacklog."""
    global _backlog
    if _backlog is None:
        try:
            with open("/proc/sys/net/core/somaxconn") as f:
                n = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            n = socket.SOMAXCONN
        _backlog = max(1, min(n, 65535))
    return _backlog


def check_network(op: str, network: Any, address: Any) -> None:
    """Reject non-str arguments (TypeError) and unknown networks (OpError UnknownNetworkError)."""
    if not isinstance(network, str):
        raise TypeError(f"network must be str, not {type(network).__name__}")
    if not isinstance(address, str):
        raise TypeError(f"address must be str, not {type(address).__name__}")
    if network not in KNOWN_NETS:
        raise op_error(op, network, None, None, UnknownNetworkError(network))


@overload
def listen(
    network: Literal["tcp", "tcp4", "tcp6"],
    address: str,
    *,
    backlog: int | None = None,
    keep_alive: float = DEFAULT_KEEP_ALIVE,
) -> TCPListener: ...
@overload
def listen(
    network: Literal["unix", "unixpacket"],
    address: str,
    *,
    backlog: int | None = None,
    keep_alive: float = DEFAULT_KEEP_ALIVE,
) -> UnixListener: ...
@overload
def listen(
    network: str, address: str, *, backlog: int | None = None, keep_alive: float = DEFAULT_KEEP_ALIVE
) -> Listener: ...


def listen(
    network: str, address: str, *, backlog: int | None = None, keep_alive: float = DEFAULT_KEEP_ALIVE
) -> Listener:
    """Announce on a local address: "tcp", "tcp4", "tcp6", "unix" or "unixpacket".

    Args:
        network: the network name.
        address: "host:port" (":0" picks a free port; an empty host, "0.0.0.0" or "[::]"
            listens on every address, IPv4 and IPv6 alike for "tcp"), or a socket path for
            Unix ("@name": abstract).
        backlog: listen queue length; default the kernel's somaxconn.
        keep_alive: keep-alive period for accepted TCP conns in seconds; negative disables.

    Raises:
        OpError: e.g. "listen tcp 127.0.0.1:80: bind: address already in use"; also an
            UnknownNetworkError/AddrError/DNSError/OSError according to the cause.

    Go: net.Listen.
    """
    check_network("listen", network, address)
    if backlog is None:
        backlog = max_listener_backlog()
    elif isinstance(backlog, bool) or not isinstance(backlog, int) or backlog < 0:
        raise ValueError(f"backlog must be a non-negative int, got {backlog!r}")
    if network in TCP_NETS:
        return _listen_tcp(network, address, backlog, keep_alive)
    if network in ("unix", "unixpacket"):
        return _listen_unix(network, address, backlog)
    raise op_error("listen", network, None, None, AddrError("unexpected address type", address))


@overload
def listen_packet(network: Literal["udp", "udp4", "udp6"], address: str) -> UDPConn: ...
@overload
def listen_packet(network: Literal["unixgram"], address: str) -> UnixConn: ...
@overload
def listen_packet(network: str, address: str) -> PacketConn: ...


def listen_packet(network: str, address: str) -> PacketConn:
    """Announce on a local address for datagrams: "udp", "udp4", "udp6" or "unixgram".

    Returns:
        An unconnected UDPConn or UnixConn: use read_from/write_to.

    Raises:
        OpError: as for listen().

    Go: net.ListenPacket.
    """
    check_network("listen", network, address)
    if network in UDP_NETS:
        return _listen_udp(network, address)
    if network == "unixgram":
        return _listen_unixgram(network, address)
    raise op_error("listen", network, None, None, AddrError("unexpected address type", address))


def _favorite_addr(network: str, la: Any, cls: type[Any]) -> tuple[Any, bool]:
    """Return the address to bind and whether its socket is dual-stack (IPV6_V6ONLY off).

    "tcp"/"udp" with any wildcard ("", "0.0.0.0", "::") is one dual-stack "[::]" socket when
    the host can map IPv4 into IPv6, so IPv4 and IPv6 clients both reach it; "tcp4"/"udp4"
    bind IPv4 only, "tcp6"/"udp6" IPv6 only; a specific address binds that family alone.

    Go: favoriteAddrFamily (mode "listen").
    """
    wildcard = la.ip in ("", "0.0.0.0", "::")
    if network[-1] == "4":
        return (cls("0.0.0.0", la.port) if la.ip == "" else la), False
    if network[-1] == "6":
        return (cls("::", la.port) if la.ip == "" else la), False
    if wildcard and ipv6_supported():
        return cls("::", la.port), True
    return (cls("0.0.0.0", la.port) if la.ip == "" else la), False


def _bind_ip(network: str, address: str, cls: type[Any], sotype: int) -> tuple[socket.socket, Any]:
    """Resolve and bind an IP socket for listening; return (socket, requested address)."""
    try:
        la = internet_addr_list("listen", network, address, cls)[0]
    except (AddrError, OSError) as e:
        raise op_error("listen", network, None, None, e) from e
    bind_to, dual = _favorite_addr(network, la, cls)
    family, sa = addr_sockaddr(bind_to)
    syscall = "socket"
    sock = None
    try:
        sock = new_socket(family, sotype)
        syscall = "setsockopt"
        if sotype == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        set_default_sockopts(sock, family, sotype, ipv6only=not dual)
        syscall = "bind"
        sock.bind(sa)
    except OSError as e:
        if sock is not None:
            sock.close()
        raise op_error("listen", network, None, la, e, syscall=syscall) from e
    return sock, la


def _listen_tcp(network: str, address: str, backlog: int, keep_alive: float) -> TCPListener:
    sock, la = _bind_ip(network, address, TCPAddr, socket.SOCK_STREAM)
    try:
        sock.listen(backlog)
        bound = tcp_addr_of(sock.getsockname())
        fd = FD(sock)
    except OSError as e:
        sock.close()
        raise op_error("listen", network, None, la, e, syscall="listen") from e
    return TCPListener(fd, network, bound, keep_alive)


def _listen_udp(network: str, address: str) -> UDPConn:
    sock, la = _bind_ip(network, address, UDPAddr, socket.SOCK_DGRAM)
    try:
        bound = udp_addr_of(sock.getsockname())
        fd = FD(sock)
    except OSError as e:
        sock.close()
        raise op_error("listen", network, None, la, e, syscall="getsockname") from e
    return UDPConn(fd, network, bound, None, None, udp_addr_of)


def _bind_unix(network: str, address: str) -> tuple[socket.socket, UnixAddr]:
    la = UnixAddr(address, network)
    if address == "":
        raise op_error("listen", network, None, None, AddrError("missing address"))
    syscall = "socket"
    sock = None
    try:
        sock = new_socket(socket.AF_UNIX, UNIX_TYPES[network])
        syscall = "bind"
        sock.bind(unix_sockaddr(address))
    except OSError as e:
        if sock is not None:
            sock.close()
        raise op_error("listen", network, None, la, e, syscall=syscall) from e
    return sock, la


def _listen_unix(network: str, address: str, backlog: int) -> UnixListener:
    sock, la = _bind_unix(network, address)
    try:
        sock.listen(backlog)
        fd = FD(sock)
    except OSError as e:
        sock.close()
        raise op_error("listen", network, None, la, e, syscall="listen") from e
    return UnixListener(fd, network, la)


def _listen_unixgram(network: str, address: str) -> UnixConn:
    sock, la = _bind_unix(network, address)
    try:
        fd = FD(sock)
    except OSError as e:
        sock.close()
        raise op_error("listen", network, None, la, e) from e
    return UnixConn(fd, network, la, None, None, unix_addr_of(network))

# gonet.net._resolve: network + address strings -> address objects (Go: net/dial.go
# resolveAddrList, ipsock.go internetAddrList, and the Resolve{TCP,UDP,Unix}Addr functions).
#
# IP literals never touch the resolver; names go to the (thread-pool) Resolver, bounded by the
# caller's deadline and abort. An empty host means every local address when listening and
# this host (loopback) when dialling, as in Go.
from __future__ import annotations

import socket
from typing import TypeVar

from gonet.errors import AddrError, UnknownNetworkError
from gonet.net._ctx import Abort
from gonet.net._ipsock import TCPAddr, UDPAddr, is_ipv4, parse_ip, split_host_port
from gonet.net._lookup import Resolver, default_resolver
from gonet.net._unixsock import UnixAddr

_A = TypeVar("_A", bound="TCPAddr | UDPAddr")  # the address class a lookup builds

__all__ = [
    "TCP_NETS",
    "UDP_NETS",
    "UNIX_NETS",
    "KNOWN_NETS",
    "family_for",
    "internet_addr_list",
    "resolve_tcp_addr",
    "resolve_udp_addr",
    "resolve_unix_addr",
]

TCP_NETS = ("tcp", "tcp4", "tcp6")
UDP_NETS = ("udp", "udp4", "udp6")
UNIX_NETS = ("unix", "unixgram", "unixpacket")
KNOWN_NETS = TCP_NETS + UDP_NETS + UNIX_NETS + ("ip", "ip4", "ip6")


def family_for(network: str) -> int:
    """Return the address family a network name insists on (AF_UNSPEC for "tcp"/"udp")."""
    if network.endswith("4"):
        return socket.AF_INET
    if network.endswith("6"):
        return socket.AF_INET6
    return socket.AF_UNSPEC


def internet_addr_list(
    op: str,
    network: str,
    address: str,
    cls: type[_A],
    deadline: float | None = None,
    abort: Abort | None = None,
    resolver: Resolver | None = None,
) -> list[_A]:
    """Resolve "host:port" to candidate addresses of class cls (TCPAddr or UDPAddr).

    Args:
        op: "listen" (empty host = wildcard; IPv4 addresses first), "dial" (empty host =
            loopback) or "resolve" (empty host kept empty).

    Raises:
        AddrError ("missing port in address", "no suitable address found", ...), DNSError, or
        abort's error.

    Go: Resolver.internetAddrList.
    """
    r = resolver or default_resolver
    host, port_s = split_host_port(address)
    port = r._lookup_port(network, port_s, deadline, abort)
    want = family_for(network)
    if host == "":
        if op == "dial":  # dial ":80" means this host
            return [cls("::1" if want == socket.AF_INET6 else "127.0.0.1", port)]
        if op == "listen" and want != socket.AF_UNSPEC:
            return [cls("0.0.0.0" if want == socket.AF_INET else "::", port)]
        return [cls("", port)]
    lit = parse_ip(host)
    if lit is not None:
        fam, ip, zone = lit
        if want != socket.AF_UNSPEC and fam != want:
            raise AddrError("no suitable address found", host)
        if op == "dial" and ip in ("0.0.0.0", "::"):
            ip = "127.0.0.1" if fam == socket.AF_INET else "::1"
        return [cls(ip, port, zone)]
    found = r.lookup_ip_addrs(host, want, deadline, abort)
    out = [cls(ip, port, zone) for _fam, ip, zone in found]
    if op == "listen":  # Go listens on the first IPv4 address, if any
        out.sort(key=lambda a: not is_ipv4(a))
    return out


def _for_resolve(network: str, address: str, addrs: list[_A]) -> _A:
    # Go: addrList.forResolve — "[...]" in the address asks for IPv6, else IPv4 is preferred.
    want6 = network in ("tcp", "udp") and "[" in address
    for a in addrs:
        if is_ipv4(a) != want6:
            return a
    return addrs[0]


def resolve_tcp_addr(network: str, address: str, *, deadline: float | None = None) -> TCPAddr:
    """Resolve "host:port" to one TCPAddr (names via the resolver, IPv4 preferred).

    Raises:
        UnknownNetworkError: network is not "tcp", "tcp4" or "tcp6".
        AddrError, DNSError: a malformed address or a failed lookup.

    Go: net.ResolveTCPAddr.
    """
    if network == "":
        network = "tcp"
    if network not in TCP_NETS:
        raise UnknownNetworkError(str(network))
    return _for_resolve(network, address, internet_addr_list("resolve", network, address, TCPAddr, deadline))


def resolve_udp_addr(network: str, address: str, *, deadline: float | None = None) -> UDPAddr:
    """Resolve "host:port" to one UDPAddr, e.g. for UDPConn.write_to. Go: net.ResolveUDPAddr."""
    if network == "":
        network = "udp"
    if network not in UDP_NETS:
        raise UnknownNetworkError(str(network))
    return _for_resolve(network, address, internet_addr_list("resolve", network, address, UDPAddr, deadline))


def resolve_unix_addr(network: str, address: str) -> UnixAddr:
    """Return the UnixAddr of a socket path ("@name": abstract). Go: net.ResolveUnixAddr."""
    if network not in UNIX_NETS:
        raise UnknownNetworkError(str(network))
    if not isinstance(address, str):
        raise TypeError(f"address must be str, not {type(address).__name__}")
    return UnixAddr(address, network)

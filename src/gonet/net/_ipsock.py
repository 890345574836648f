# gonet.net._ipsock: IP addresses and host:port strings (Go: net/ipsock.go, tcpsock.go's TCPAddr).
#
# Pure functions, no I/O except getservbyname for named ports and a one-time IPv6 probe. Errors
# are AddrError with Go's texts, so "dial tcp: address 127.0.0.1: missing port in address"
# reads as in Go.
from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from gonet.errors import AddrError

__all__ = [
    "split_host_port",
    "join_host_port",
    "TCPAddr",
    "UDPAddr",
    "parse_port",
    "parse_ip",
    "sockaddr_to_ip_port",
    "ip_sockaddr",
    "addr_sockaddr",
    "ipv6_supported",
    "partition",
    "is_ipv4",
    "IPAddrT",
]


def split_host_port(hostport: str) -> tuple[str, str]:
    """Split "host:port", "[v6]:port" or ":port" into host and port (both strings).

    Raises:
        AddrError: "missing port in address", "too many colons in address", ...

    Go: net.SplitHostPort.
    """
    if not isinstance(hostport, str):
        raise TypeError(f"address must be str, not {type(hostport).__name__}")
    i = hostport.rfind(":")
    if i < 0:
        raise AddrError("missing port in address", hostport)
    j = k = 0
    if hostport[0] == "[":
        end = hostport.find("]")
        if end < 0:
            raise AddrError("missing ']' in address", hostport)
        if end + 1 == len(hostport):
            raise AddrError("missing port in address", hostport)
        if end + 1 != i:
            if hostport[end + 1] == ":":
                raise AddrError("too many colons in address", hostport)
            raise AddrError("missing port in address", hostport)
        host = hostport[1:end]
        j, k = 1, end + 1
    else:
        host = hostport[:i]
        if ":" in host:
            raise AddrError("too many colons in address", hostport)
    if "[" in hostport[j:]:
        raise AddrError("unexpected '[' in address", hostport)
    if "]" in hostport[k:]:
        raise AddrError("unexpected ']' in address", hostport)
    return host, hostport[i + 1 :]


def join_host_port(host: str, port: str | int) -> str:
    """Join host and port into "host:port", bracketing IPv6 literals. Go: net.JoinHostPort."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def parse_port(network: str, port: str) -> int:
    """Return the port number of a decimal or service-name port.

    Go: net.LookupPort / parsePort (for the local services database).
    """
    if port == "":
        return 0
    if port.isdigit() or (port[:1] in "+-" and port[1:].isdigit()):
        n = int(port)
        if n < 0 or n > 65535:
            raise AddrError("invalid port", port)
        return n
    proto = "udp" if network.startswith("udp") else "tcp"
    try:
        return socket.getservbyname(port, proto)
    except OSError:
        raise AddrError("unknown port", f"{network}/{port}") from None


def parse_ip(host: str) -> tuple[int, str, str] | None:
    """Return (family, ip, zone) if host is an IP literal ("1.2.3.4", "::1", "fe80::1%eth0")."""
    try:
        socket.inet_pton(socket.AF_INET, host)
        return socket.AF_INET, host, ""
    except (OSError, ValueError):
        pass
    ip, _, zone = host.partition("%")
    try:
        packed = socket.inet_pton(socket.AF_INET6, ip)
    except (OSError, ValueError):
        return None
    if packed[:12] == b"\0" * 10 + b"\xff\xff":  # IPv4-mapped: Go treats it as IPv4
        return socket.AF_INET, socket.inet_ntop(socket.AF_INET, packed[12:]), ""
    return socket.AF_INET6, socket.inet_ntop(socket.AF_INET6, packed), zone


def sockaddr_to_ip_port(sa: Any) -> tuple[str, int, str]:
    """Convert a socket module address tuple to (ip, port, zone), unmapping IPv4-in-IPv6."""
    ip, port = sa[0], sa[1]
    zone = ""
    if ip.startswith("::ffff:") and "." in ip:
        ip = ip[7:]
    elif len(sa) >= 4 and sa[3]:
        ip, _, zone = ip.partition("%")
        if not zone:
            try:
                zone = socket.if_indextoname(sa[3])
            except OSError:
                zone = str(sa[3])
    return ip, port, zone


@dataclass(frozen=True, slots=True)
class TCPAddr:
    """The address of a TCP end point. Go: net.TCPAddr."""

    ip: str
    port: int
    zone: str = ""

    def network(self) -> str:
        """Return "tcp"."""
        return "tcp"

    def __str__(self) -> str:
        host = self.ip + ("%" + self.zone if self.zone else "")
        return join_host_port(host, self.port)


@dataclass(frozen=True, slots=True)
class UDPAddr:
    """The address of a UDP end point. Go: net.UDPAddr."""

    ip: str
    port: int
    zone: str = ""

    def network(self) -> str:
        """Return "udp"."""
        return "udp"

    def __str__(self) -> str:
        host = self.ip + ("%" + self.zone if self.zone else "")
        return join_host_port(host, self.port)


IPAddrT = TCPAddr | UDPAddr


def is_ipv4(a: Any) -> bool:
    """Report whether an address's IP is IPv4 (the empty wildcard counts as IPv4)."""
    return ":" not in a.ip


def _scope_id(zone: str) -> int:
    if not zone:
        return 0
    try:
        return socket.if_nametoindex(zone)
    except OSError:
        return int(zone) if zone.isdigit() else 0


def ip_sockaddr(family: int, ip: str, port: int, zone: str = "") -> Any:
    """Return the socket-module address of ip:port for a socket of the given family.

    An IPv4 address on an AF_INET6 socket becomes IPv4-mapped ("::ffff:1.2.3.4"); an empty ip
    is the wildcard.

    Raises:
        AddrError: "non-IPv4 address" (IPv6 on AF_INET), "invalid port", "non-IP address".

    Go: ipToSockaddr.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise AddrError("invalid port", str(port))
    if ip == "":
        return ("0.0.0.0", port) if family == socket.AF_INET else ("::", port, 0, 0)
    parsed = parse_ip(ip)
    if parsed is None:
        raise AddrError("non-IP address", ip)
    fam, ip, z = parsed
    zone = zone or z
    if family == socket.AF_INET:
        if fam != socket.AF_INET:
            raise AddrError("non-IPv4 address", ip)
        return (ip, port)
    if fam == socket.AF_INET:
        if ip == "0.0.0.0":
            return ("::", port, 0, 0)
        return ("::ffff:" + ip, port, 0, 0)
    return (ip, port, 0, _scope_id(zone))


def addr_sockaddr(a: Any) -> tuple[int, Any]:
    """Return (family, socket-module address) for a TCPAddr/UDPAddr, the family from its IP."""
    family = socket.AF_INET6 if ":" in a.ip else socket.AF_INET
    return family, ip_sockaddr(family, a.ip, a.port, a.zone)


_v6: bool | None = None


def ipv6_supported() -> bool:
    """Report (probing once) whether this host can bind a dual-stack IPv6 socket."""
    global _v6
    if _v6 is None:
        _v6 = False
        if socket.has_ipv6:
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                    s.bind(("::", 0))
                _v6 = True
            except OSError:
                pass
    return _v6


def partition(addrs: list[Any]) -> tuple[list[Any], list[Any]]:
    """Split addresses into primaries (the first address's family) and fallbacks (the other).

    Go: addrList.partition (the two lists Happy Eyeballs races).
    """
    if not addrs:
        return [], []
    first_v4 = is_ipv4(addrs[0])
    primaries = [a for a in addrs if is_ipv4(a) == first_v4]
    fallbacks = [a for a in addrs if is_ipv4(a) != first_v4]
    return primaries, fallbacks

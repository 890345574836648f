# gonet.net._ipsock: IP addresses and host:port strings (Go: net/ipsock.go, tcpsock.go's TCPAddr).
#
# Pure functions, no I/O except getservbyname for named ports. Errors are AddrError with Go's
# texts, so "dial tcp: address 127.0.0.1: missing port in address" reads as in Go.
from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from gonet.errors import AddrError

__all__ = [
    "split_host_port", "join_host_port", "TCPAddr", "UDPAddr", "parse_port", "parse_ip",
    "sockaddr_to_ip_port",
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
    return host, hostport[i + 1:]


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

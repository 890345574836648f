# gonet.socket._dns: the stdlib's name-lookup functions on gonet's lookup thread pool
# (Go: net.Resolver's cgo path, which runs getaddrinfo on a thread while the goroutine parks).
#
# In a goroutine a lookup runs on the lookup pool (its own threads, so blocking calls never
# delay it) and only the calling goroutine waits; in a plain thread it is the stdlib call.
# Numeric hosts skip the pool: getaddrinfo answers them without I/O.
#
# Invariant: the functions called are the stdlib's, captured at import, so gonet.patch.dns()
# replacing socket.getaddrinfo cannot make a lookup call itself.
from __future__ import annotations

import _socket
import socket as _std
from typing import Any

from gonet.runtime._threadpool import lookup_pool
from gonet.socket._wait import goroutine_sched

__all__ = ["getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo", "getfqdn"]

_getaddrinfo = _std.getaddrinfo
_gethostbyname = _std.gethostbyname
_gethostbyname_ex = _std.gethostbyname_ex
_gethostbyaddr = _std.gethostbyaddr
_getnameinfo = _std.getnameinfo


def _numeric(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.partition("%")[0]
    for fam in (_std.AF_INET, _std.AF_INET6):
        try:
            _socket.inet_pton(fam, host)
            return True
        except OSError:
            pass
    return False


def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
    """Resolve host and port into socket addresses. Python: socket.getaddrinfo; Go: LookupIPAddr."""
    if _numeric(host) or goroutine_sched() is None:
        return _getaddrinfo(host, port, family, type, proto, flags)
    return lookup_pool.run(_getaddrinfo, host, port, family, type, proto, flags)


def gethostbyname(hostname: str) -> str:
    """Return one IPv4 address of hostname. Python: socket.gethostbyname."""
    if _numeric(hostname) or goroutine_sched() is None:
        return _gethostbyname(hostname)
    return lookup_pool.run(_gethostbyname, hostname)


def gethostbyname_ex(hostname: str) -> tuple[str, list[str], list[str]]:
    """Return (name, aliases, IPv4 addresses) of hostname. Python: socket.gethostbyname_ex."""
    if goroutine_sched() is None:
        return _gethostbyname_ex(hostname)
    return lookup_pool.run(_gethostbyname_ex, hostname)


def gethostbyaddr(ip_address: str) -> tuple[str, list[str], list[str]]:
    """Return (name, aliases, addresses) for an address. Python: socket.gethostbyaddr."""
    if goroutine_sched() is None:
        return _gethostbyaddr(ip_address)
    return lookup_pool.run(_gethostbyaddr, ip_address)


def getnameinfo(sockaddr: Any, flags: int) -> tuple[str, str]:
    """Return (host, port) names of a socket address. Python: socket.getnameinfo."""
    if goroutine_sched() is None:
        return _getnameinfo(sockaddr, flags)
    return lookup_pool.run(_getnameinfo, sockaddr, flags)


def getfqdn(name: str = "") -> str:
    """Return the fully qualified name of name (default: this host). Python: socket.getfqdn."""
    name = name.strip()
    if not name or name in ("0.0.0.0", "::"):
        name = _std.gethostname()
    try:
        hostname, aliases, _ = gethostbyaddr(name)
    except OSError:
        return name
    for candidate in [hostname, *aliases]:
        if "." in candidate:
            return candidate
    return hostname

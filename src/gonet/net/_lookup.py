# gonet.net._lookup: name resolution off the scheduler thread (Go: net/lookup.go, cgo_unix.go).
#
# getaddrinfo blocks the calling OS thread for as long as DNS takes; it runs on the runtime's
# thread pool while the goroutine parks, so every other goroutine keeps running. Results are not
# cached here: the system resolver (nscd, systemd-resolved) owns freshness.
from __future__ import annotations

import socket
from typing import Any

from gonet.errors import DeadlineExceededError, DNSError
from gonet.runtime import run_in_thread

__all__ = ["lookup_ip_addrs"]

# Indirection so tests can substitute a slow or failing resolver.
_getaddrinfo = socket.getaddrinfo

_NOT_FOUND = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, n)}


def _gai(host: str, family: int) -> list[Any]:
    return _getaddrinfo(host, None, family, socket.SOCK_STREAM)


def lookup_ip_addrs(host: str, family: int = socket.AF_UNSPEC,
                    deadline: float | None = None) -> list[tuple[int, str, str]]:
    """Resolve host to a list of (family, ip, zone), in the resolver's order, without duplicates.

    Raises:
        DNSError: not found ("no such host"), timed out ("i/o timeout"), or another failure.
    """
    try:
        infos = run_in_thread(_gai, host, family, deadline=deadline)
    except DeadlineExceededError:
        raise DNSError("i/o timeout", host, is_timeout=True) from None
    except socket.gaierror as e:
        if e.errno in _NOT_FOUND:
            raise DNSError("no such host", host, is_not_found=True) from None
        raise DNSError(str(e.strerror or e).lower(), host) from None
    out: list[tuple[int, str, str]] = []
    seen = set()
    for fam, _type, _proto, _canon, sa in infos:
        if fam not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = sa[0]
        zone = ""
        if "%" in ip:
            ip, _, zone = ip.partition("%")
        key = (fam, ip, zone)
        if key not in seen:
            seen.add(key)
            out.append(key)
    if not out:
        raise DNSError("no suitable address found", host, is_not_found=True)
    return out

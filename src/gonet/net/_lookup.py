# gonet.net._lookup: name and service resolution off the scheduler thread (Go: net/lookup.go,
# cgo_unix.go).
#
# getaddrinfo blocks its OS thread for as long as DNS takes; it runs on the runtime's thread
# pool while the goroutine parks, so every other goroutine keeps running. A deadline (the
# Dialer's timeout covers DNS) or a context bounds the wait: the goroutine stops waiting and
# the worker's late answer is dropped.
#
# No cache: the system resolver (nscd, systemd-resolved, /etc/hosts) owns freshness, so a
# result is never staler than what it returns.
#
# Errors are DNSError with Go's texts: "lookup x: no such host" (is_not_found), "lookup x: i/o
# timeout" (is_timeout, and also a TimeoutError); a cancelled context raises its own err()'s
# class in Go's words ("lookup x: operation was canceled").
from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

from gonet.errors import AddrError, DeadlineExceededError, DNSError, DNSTimeoutError, UnknownNetworkError
from gonet.net._ctx import Abort, context_deadline, link_context, lookup_err
from gonet.net._ipsock import parse_ip
from gonet.runtime import current, now
from gonet.runtime._threadpool import lookup_pool

if TYPE_CHECKING:  # a type only: net does not import gonet.context at run time (see _ctx.py)
    from gonet.context import Context

__all__ = [
    "Resolver",
    "default_resolver",
    "lookup_host",
    "lookup_ip",
    "lookup_port",
    "lookup_addr",
    "lookup_ip_addrs",
    "DNSTimeoutError",
    "AddrInfo",
    "GetAddrInfo",
]

_T = TypeVar("_T")

AddrInfo: TypeAlias = tuple[
    socket.AddressFamily,
    socket.SocketKind,
    int,
    str,
    "tuple[str, int] | tuple[str, int, int, int] | tuple[int, bytes]",
]
"""One getaddrinfo result: (family, type, proto, canonname, sockaddr)."""


class GetAddrInfo(Protocol):
    """The blocking lookup a Resolver runs on the thread pool: socket.getaddrinfo's signature."""

    def __call__(
        self, host: str | None, port: str | int | None, family: int = 0, type: int = 0, /
    ) -> Sequence[AddrInfo]:
        """Return the addresses for host (and port)."""
        ...


# Indirection so tests can substitute a slow or failing resolver for the default one.
_getaddrinfo = socket.getaddrinfo

_NOT_FOUND = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, n)}


class _Aborted(Exception):
    """Delivered into a goroutine parked on the thread pool when its Abort fires."""


def _earliest(*ds: float | None) -> float | None:
    live = [d for d in ds if d is not None]
    return min(live) if live else None


def _check_host(host: Any) -> str:
    if not isinstance(host, str):
        raise TypeError(f"host must be str, not {type(host).__name__}")
    if host == "" or "\0" in host:
        raise DNSError("no such host", host, is_not_found=True)
    return host


class Resolver:
    """Looks up names, addresses and services without blocking other goroutines.

    Args:
        getaddrinfo: the blocking lookup to run on the thread pool; default socket.getaddrinfo.
            Anything with its signature works (a stub in tests, a custom DNS client).
        timeout: seconds each lookup may take at most; None: only deadlines/contexts bound it.

    Subclasses may override the blocking methods ``_gai``, ``_gethostbyaddr`` and
    ``_getservbyname``; they run on a pool thread.

    Go: net.Resolver.
    """

    def __init__(self, getaddrinfo: GetAddrInfo | None = None, timeout: float | None = None) -> None:
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise TypeError(f"timeout must be a number of seconds or None, not {type(timeout).__name__}")
        self._getaddrinfo = getaddrinfo
        self.timeout = timeout

    # -- the blocking calls (run on a pool thread) ---------------------------------------------

    def _gai(self, host: str, family: int) -> Sequence[AddrInfo]:
        gai = self._getaddrinfo if self._getaddrinfo is not None else _getaddrinfo
        return gai(host, None, family, socket.SOCK_STREAM)

    def _gethostbyaddr(self, ip: str) -> tuple[str, list[str], list[str]]:
        return socket.gethostbyaddr(ip)

    def _getservbyname(self, service: str, proto: str) -> int:
        return socket.getservbyname(service, proto)

    def _service_port(self, service: str, proto: str) -> int | None:
        try:
            return self._getservbyname(service, proto)
        except OSError:
            return None

    # -- running them ------------------------------------------------------------------------

    def _deadline(self, deadline: float | None, ctx: Context | None) -> float | None:
        t = None if self.timeout is None else now() + self.timeout
        return _earliest(deadline, context_deadline(ctx), t)

    def _blocking(
        self,
        name: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        deadline: float | None,
        abort: Abort | None,
    ) -> Any:
        """Run fn(*args) on the pool; map a timeout to DNSError and an abort to its error."""
        if abort is not None and abort.err is not None:
            raise lookup_err(abort.err, name)
        stop = None
        parked = [False]
        if abort is not None:
            sched = current()
            g = sched.running()

            def interrupt() -> None:
                if parked[0]:
                    sched.interrupt(g, _Aborted())

            stop = abort.on_cancel(interrupt)
        try:
            parked[0] = True
            return lookup_pool.run(fn, *args, deadline=deadline)
        except DeadlineExceededError:
            raise DNSTimeoutError("i/o timeout", name, is_timeout=True) from None
        except _Aborted:
            assert abort is not None
            assert abort.err is not None
            raise lookup_err(abort.err, name) from None
        finally:
            parked[0] = False
            if stop is not None:
                stop()

    def _with_ctx(self, ctx: Context | None, fn: Callable[[Abort | None], _T]) -> _T:
        if ctx is None:
            return fn(None)
        abort = Abort()
        stop = link_context(ctx, abort)
        try:
            return fn(abort)
        finally:
            if stop is not None:
                stop()

    # -- lookups -------------------------------------------------------------------------------

    def lookup_ip_addrs(
        self,
        host: str,
        family: int = socket.AF_UNSPEC,
        deadline: float | None = None,
        abort: Abort | None = None,
    ) -> list[tuple[int, str, str]]:
        """Resolve host to (family, ip, zone) triples in the resolver's order, no duplicates.

        Raises:
            DNSError: not found ("no such host"), timed out ("i/o timeout"), or another failure.
            BaseException: abort's error, if it fires first.

        Go: Resolver.lookupIPAddr.
        """
        host = _check_host(host)
        lit = parse_ip(host)
        if lit is not None:
            if family not in (socket.AF_UNSPEC, lit[0]):
                raise DNSError("no suitable address found", host, is_not_found=True)
            return [lit]
        try:
            infos = self._blocking(host, self._gai, (host, family), self._deadline(deadline, None), abort)
        except socket.gaierror as e:
            if e.errno in _NOT_FOUND:
                raise DNSError("no such host", host, is_not_found=True) from None
            text = str(e.strerror or e)
            raise DNSError(
                text[:1].lower() + text[1:], host, is_temporary=e.errno == socket.EAI_AGAIN
            ) from None
        except (UnicodeError, ValueError):  # not encodable as a domain name (idna)
            raise DNSError("no such host", host, is_not_found=True) from None
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

    def lookup_host(
        self, host: str, *, ctx: Context | None = None, deadline: float | None = None
    ) -> list[str]:
        """Return the IP addresses (as strings) of host, IPv4 and IPv6, in the resolver's order.

        Args:
            host: a name or an IP literal (returned as is).
            ctx: a gonet.context Context: its deadline bounds the lookup, its cancellation
                aborts it (raising ctx.err()).
            deadline: absolute time (gonet.now() clock) to give up by.

        Raises:
            DNSError: "no such host" (is_not_found) or "i/o timeout" (is_timeout; also a
                TimeoutError).

        Go: Resolver.LookupHost.
        """
        d = self._deadline(deadline, ctx)
        addrs = self._with_ctx(ctx, lambda a: self.lookup_ip_addrs(host, socket.AF_UNSPEC, d, a))
        return [ip + ("%" + zone if zone else "") for _f, ip, zone in addrs]

    def lookup_ip(
        self, network: str, host: str, *, ctx: Context | None = None, deadline: float | None = None
    ) -> list[str]:
        """Return host's addresses for network "ip", "ip4" (IPv4 only) or "ip6" (IPv6 only).

        Raises:
            UnknownNetworkError: another network name.
            DNSError: as for lookup_host.

        Go: Resolver.LookupIP.
        """
        fams = {"ip": socket.AF_UNSPEC, "ip4": socket.AF_INET, "ip6": socket.AF_INET6}
        if network not in fams:
            raise UnknownNetworkError(str(network))
        d = self._deadline(deadline, ctx)
        addrs = self._with_ctx(ctx, lambda a: self.lookup_ip_addrs(host, fams[network], d, a))
        return [ip + ("%" + zone if zone else "") for _f, ip, zone in addrs]

    def lookup_port(self, network: str, service: str, *, ctx: Context | None = None) -> int:
        """Return the port number of service ("80", "http") for network ("tcp", "udp", ...).

        Raises:
            DNSError: "unknown port" (is_not_found) for an unknown service name.
            AddrError: "invalid port" (out of range), "unknown network".

        Go: Resolver.LookupPort.
        """
        if not isinstance(network, str):
            raise TypeError(f"network must be str, not {type(network).__name__}")
        d = self._deadline(None, ctx)
        return self._with_ctx(ctx, lambda a: self._lookup_port(network, service, d, a))

    def _lookup_port(self, network: str, service: str, deadline: float | None, abort: Abort | None) -> int:
        if not isinstance(service, str):
            raise TypeError(f"service must be str, not {type(service).__name__}")
        body = service[1:] if service[:1] in "+-" else service
        if body.isdigit() and body.isascii():
            port = int(service)
        elif service == "":
            port = 0
        else:
            if network in ("", "tcp", "tcp4", "tcp6", "ip"):
                proto = "tcp"
            elif network in ("udp", "udp4", "udp6"):
                proto = "udp"
            else:
                raise AddrError("unknown network", network)
            found = self._blocking(
                f"{network}/{service}",
                self._service_port,
                (service, proto),
                self._deadline(deadline, None),
                abort,
            )
            if found is None:
                raise DNSError("unknown port", f"{network}/{service}", is_not_found=True)
            port = found
        if not 0 <= port <= 65535:
            raise AddrError("invalid port", service)
        return port

    def lookup_addr(
        self, addr: str, *, ctx: Context | None = None, deadline: float | None = None
    ) -> list[str]:
        """Return the names of an IP address (reverse lookup).

        Raises:
            DNSError: "unrecognized address" for a non-IP, "no such host" if it has no name.

        Go: Resolver.LookupAddr.
        """
        if not isinstance(addr, str):
            raise TypeError(f"addr must be str, not {type(addr).__name__}")
        lit = parse_ip(addr)
        if lit is None:
            raise DNSError("unrecognized address", addr)
        ip = lit[1] + ("%" + lit[2] if lit[2] else "")
        d = self._deadline(deadline, ctx)
        try:
            name, aliases, _ = self._with_ctx(
                ctx, lambda a: self._blocking(addr, self._gethostbyaddr, (ip,), d, a)
            )
        except (socket.herror, socket.gaierror):
            raise DNSError("no such host", addr, is_not_found=True) from None
        out = [name]
        out.extend(a for a in aliases if a != name)
        return out


default_resolver = Resolver()


def lookup_ip_addrs(
    host: str, family: int = socket.AF_UNSPEC, deadline: float | None = None
) -> list[tuple[int, str, str]]:
    """Resolve host with the default resolver. See Resolver.lookup_ip_addrs."""
    return default_resolver.lookup_ip_addrs(host, family, deadline)


def lookup_host(host: str, *, ctx: Context | None = None, deadline: float | None = None) -> list[str]:
    """Return the IP addresses of host. Go: net.LookupHost."""
    return default_resolver.lookup_host(host, ctx=ctx, deadline=deadline)


def lookup_ip(
    network: str, host: str, *, ctx: Context | None = None, deadline: float | None = None
) -> list[str]:
    """Return host's addresses for network "ip", "ip4" or "ip6". Go: net.LookupIP."""
    return default_resolver.lookup_ip(network, host, ctx=ctx, deadline=deadline)


def lookup_port(network: str, service: str, *, ctx: Context | None = None) -> int:
    """Return the port number of a service for a network. Go: net.LookupPort."""
    return default_resolver.lookup_port(network, service, ctx=ctx)


def lookup_addr(addr: str, *, ctx: Context | None = None, deadline: float | None = None) -> list[str]:
    """Return the names of an IP address. Go: net.LookupAddr."""
    return default_resolver.lookup_addr(addr, ctx=ctx, deadline=deadline)

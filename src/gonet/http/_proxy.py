# gonet.http._proxy: which proxy a request goes through, from the environment or a fixed URL
# (Go: golang.org/x/net/http/httpproxy, net/http's ProxyFromEnvironment and ProxyURL).
#
# Rules (Go's): HTTPS_PROXY for https URLs, HTTP_PROXY for http ones (the upper-case name wins
# over the lower-case one when both are set); NO_PROXY is a comma-separated list of "*", IP
# addresses, CIDR ranges, and domain names with an optional port ("example.com" matches the
# domain and its subdomains, ".example.com" and "*.example.com" only the subdomains); localhost
# and loopback addresses never use a proxy; a proxy value without a scheme means http://;
# HTTP_PROXY is refused in a CGI environment (REQUEST_METHOD set).
#
# Invariant: the environment is parsed again only when one of the variables changed.
from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from gonet.errors import HTTPError, URLParseError
from gonet.net.url import URL, parse

if TYPE_CHECKING:
    from gonet.http._request import Request

__all__ = ["ProxyConfig", "proxy_from_environment", "proxy_url", "canonical_addr"]

_DEFAULT_PORTS = {"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}

ProxyFunc = Callable[["Request"], "URL | None"]


def canonical_addr(u: URL) -> str:
    """Return u's "host:port", with the scheme's default port when u names none.

    Go: canonicalAddr.
    """
    host = u.hostname()
    port = u.port() or _DEFAULT_PORTS.get(u.scheme, "")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _split(addr: str) -> tuple[str, str] | None:
    """Split "host:port" ("[v6]:port"); None if it has no port."""
    if addr.startswith("["):
        end = addr.find("]")
        if end < 0 or not addr[end + 1 :].startswith(":"):
            return None
        return addr[1:end], addr[end + 2 :]
    host, colon, port = addr.rpartition(":")
    if not colon or ":" in host:
        return None
    return host, port


def _ip(s: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(s)
    except ValueError:
        return None


def _parse_proxy(value: str) -> URL | None:
    """Parse a proxy setting; "host:port" without a scheme means http://. Go: httpproxy.parseProxy."""
    if not value:
        return None
    try:
        u = parse(value)
        if u.scheme and u.host:
            return u
    except URLParseError:
        pass
    try:
        return parse("http://" + value)
    except URLParseError as e:
        raise HTTPError(f"invalid proxy address {value!r}: {e}") from e


class ProxyConfig:
    """Proxy settings and the NO_PROXY rules. Go: httpproxy.Config.

    Args:
        http_proxy: the proxy for http URLs ("" for none).
        https_proxy: the proxy for https URLs ("" for none).
        no_proxy: the NO_PROXY list.
        cgi: refuse http_proxy (a CGI request can set HTTP_PROXY through a "Proxy:" header).
    """

    def __init__(
        self, http_proxy: str = "", https_proxy: str = "", no_proxy: str = "", cgi: bool = False
    ) -> None:
        self.http_proxy = http_proxy
        self.https_proxy = https_proxy
        self.no_proxy = no_proxy
        self.cgi = cgi
        self._http = _parse_proxy(http_proxy)
        self._https = _parse_proxy(https_proxy)
        self._all = False
        self._ips: list[tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, str]] = []
        self._nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self._domains: list[tuple[str, str, bool]] = []  # (".suffix", port, match the bare host too)
        self._init_no_proxy()

    @classmethod
    def from_environment(cls) -> ProxyConfig:
        """Read HTTP_PROXY, HTTPS_PROXY, NO_PROXY (or their lower-case names) and REQUEST_METHOD.

        Go: httpproxy.FromEnvironment.
        """
        return cls(*_environ())

    def _init_no_proxy(self) -> None:
        for raw in self.no_proxy.split(","):
            p = raw.strip().lower()
            if not p:
                continue
            if p == "*":
                self._all = True
                return
            if "/" in p:
                try:
                    self._nets.append(ipaddress.ip_network(p, strict=False))
                    continue
                except ValueError:
                    pass
            hp = _split(p)
            if hp is not None:
                host, port = hp
                if not host:
                    continue  # ":80" names no host
            else:
                host, port = p.removeprefix("[").removesuffix("]"), ""
            ip = _ip(host)
            if ip is not None:
                self._ips.append((ip, port))
                continue
            if host.startswith("*."):
                host = host[1:]
            match_host = not host.startswith(".")
            if match_host:
                host = "." + host
            self._domains.append((host, port, match_host))

    def use_proxy(self, addr: str) -> bool:
        """Report whether a request to addr ("host:port") goes through the proxy. Go: Config.useProxy."""
        if not addr:
            return True
        hp = _split(addr)
        host, port = hp if hp is not None else (addr, "")
        if host == "localhost":
            return False
        ip = _ip(host)
        if ip is not None and ip.is_loopback:
            return False
        if self._all:
            return False
        host = host.strip().lower()
        if ip is not None:
            for net in self._nets:
                if ip.version == net.version and ip in net:
                    return False
            for mip, mport in self._ips:
                if mip == ip and (not mport or mport == port):
                    return False
        for suffix, mport, match_host in self._domains:
            if (host.endswith(suffix) or (match_host and host == suffix[1:])) and (
                not mport or mport == port
            ):
                return False
        return True

    def proxy_for_url(self, u: URL) -> URL | None:
        """Return the proxy for a request to u, or None for a direct connection.

        Raises:
            HTTPError: HTTP_PROXY in a CGI environment.

        Go: Config.ProxyFunc()(u).
        """
        if u.scheme == "https":
            proxy = self._https
        elif u.scheme == "http":
            proxy = self._http
            if proxy is not None and self.cgi:
                raise HTTPError(
                    "refusing to use HTTP_PROXY value in CGI environment (a request header can set it)"
                )
        else:
            return None
        if proxy is None or not self.use_proxy(canonical_addr(u)):
            return None
        return proxy


def _getenv(*names: str) -> str:
    for n in names:
        v = os.environ.get(n)
        if v:
            return v
    return ""


def _environ() -> tuple[str, str, str, bool]:
    return (
        _getenv("HTTP_PROXY", "http_proxy"),
        _getenv("HTTPS_PROXY", "https_proxy"),
        _getenv("NO_PROXY", "no_proxy"),
        os.environ.get("REQUEST_METHOD", "") != "",
    )


_env_cache: tuple[tuple[str, str, str, bool], ProxyConfig] | None = None


def proxy_from_environment(req: Request) -> URL | None:
    """Return the proxy the environment names for req, or None. Go: http.ProxyFromEnvironment.

    Raises:
        HTTPError: an unusable setting (HTTP_PROXY under CGI, a proxy that does not parse).
    """
    global _env_cache
    env = _environ()
    cached = _env_cache
    if cached is None or cached[0] != env:
        cached = _env_cache = (env, ProxyConfig(*env))
    return cached[1].proxy_for_url(req.url)


def proxy_url(fixed: str | URL) -> ProxyFunc:
    """Return a Transport.proxy function that always answers `fixed`. Go: http.ProxyURL."""
    u = parse(fixed) if isinstance(fixed, str) else fixed

    def proxy(req: Request) -> URL | None:
        return u

    return proxy

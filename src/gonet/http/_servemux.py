# gonet.http._servemux: ServeMux, the request router with Go 1.22 patterns, and the default mux
# (Go: net/http/server.go's ServeMux).
#
# A ServeMux is itself a handler: for each request it cleans the path, finds the most specific
# pattern for the host, method and path in its routing tree, sets r.pattern and the path values,
# and calls that pattern's handler. Requests it cannot route get Go's answers: 307 to the
# cleaned path or to the path with a trailing slash, 405 with Allow, or 404.
#
# Invariants:
# - Registration is serialised by a lock and validated completely (syntax, then conflicts with
#   every registered pattern that could match the same request) before the tree changes, so a
#   rejected pattern leaves the mux as it was.
# - Matching takes no lock and allocates only the segment list and the wildcard values.
#
# The directive below matters only when the module is compiled: a subclass whose __init__ skips
# ServeMux.__init__ leaves the typed _tree None, and calling into it must raise AttributeError
# (as the pure module does) rather than crash.
# cython: nonecheck=True
from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from gonet.http._handlers import error, not_found, redirect
from gonet.http._pattern import clean_path, describe_conflict, go_quote, parse_pattern
from gonet.http._routing_tree import RoutingIndex, RoutingNode, split_path
from gonet.http._status import STATUS_BAD_REQUEST, STATUS_METHOD_NOT_ALLOWED, STATUS_TEMPORARY_REDIRECT
from gonet.net.url import URL, path_unescape

if TYPE_CHECKING:
    from gonet.http._iface import Handler, ResponseWriter
    from gonet.http._pattern import Pattern
    from gonet.http._request import Request

__all__ = ["ServeMux", "new_serve_mux", "default_serve_mux", "handle", "handle_func"]

# The characters an escaped path keeps as they are (Go's shouldEscape for encodePath).
_PATH_KEEP = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/;,$&+=:@!*'()~-._")
# Host header -> host without its port, for the hosts served so far (a server sees few).
_hosts: dict[str, str] = {}
_HOSTS_MAX = 256
# This module's source, whichever implementation runs: compiled, __file__ is the extension.
_HERE = os.path.normcase(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_servemux.py"))


def _escaped_path(u: URL) -> str:
    # URL.escaped_path(), with the common case (nothing to escape) answered without quoting.
    p = u.path
    if not u.raw_path and _PATH_KEEP.issuperset(p):
        return p
    return u.escaped_path()


def _strip_host_port(h: str) -> str:
    # Go: stripHostPort: "example.com:8080" -> "example.com"; unchanged if it does not split.
    if ":" not in h:
        return h
    if h.startswith("["):
        end = h.find("]")
        if end < 0 or end + 1 >= len(h) or h[end + 1] != ":":
            return h  # no port after the brackets: SplitHostPort fails, h stays
        if ":" in h[end + 2 :]:
            return h
        return h[1:end]
    host, _, port = h.rpartition(":")
    if ":" in host:
        return h  # an IPv6 address without brackets: "too many colons"
    return host


def _plain_segments(p: str) -> list[str] | None:
    # split_path(p) when p is already clean and escaped as it stands (so no redirect to a
    # canonical form) and has no %-escape to undo in its segments; else None.
    if not p or p[0] != "/" or "//" in p or "/." in p or not _PATH_KEEP.issuperset(p):
        return None
    segs = p[1:].split("/")
    if segs[-1] == "":
        segs[-1] = "/"
    return segs


def _strip_host_port_cached(h: str) -> str:
    # _strip_host_port, remembered for the first _HOSTS_MAX hosts.
    got = _hosts.get(h)
    if got is None:
        got = _strip_host_port(h)
        if len(_hosts) < _HOSTS_MAX:
            _hosts[h] = got
    return got


def _url_from_escaped(escaped: str, raw_query: str) -> URL:
    # Go: urlFromEscaped: keep path and raw_path in sync so str() neither re-escapes nor unescapes.
    try:
        unescaped = path_unescape(escaped)
    except ValueError:
        unescaped = escaped
    return URL(path=unescaped, raw_path=escaped, raw_query=raw_query)


def _caller_location() -> str:
    # "file:line" of the first frame outside this module: the user's registration call. The
    # walk starts at the innermost Python frame: compiled, this module's functions push no
    # frames, so that is already the caller's; pure, it skips this module's own frames.
    f = sys._getframe(0)
    while f is not None and os.path.normcase(os.path.abspath(f.f_code.co_filename)) == _HERE:
        f = f.f_back  # type: ignore[assignment]
    if f is None:
        return "unknown location"
    return f"{f.f_code.co_filename}:{f.f_lineno}"


def _exact_match(n: RoutingNode | None, path: str) -> bool:
    # Go: exactMatch: no multi wildcard matched a non-empty rest of the path.
    if n is None:
        return False
    pat = n.pattern
    if pat is None:
        return False
    segs = pat.segments
    last = segs[-1]
    if not last.multi:
        return True
    if path and path[-1] != "/":
        return False
    return len(segs) == path.count("/")


class _MethodNotAllowed:
    """Reply 405 with the Allow header naming the methods that would match."""

    __slots__ = ("allow",)

    def __init__(self, allow: str) -> None:
        self.allow = allow

    def __call__(self, w: ResponseWriter, r: Request) -> None:
        w.header().set("Allow", self.allow)
        error(w, "Method Not Allowed", STATUS_METHOD_NOT_ALLOWED)


class _Redirect:
    """Reply 307 to the canonical URL (Go uses RedirectHandler(u.String(), 307))."""

    __slots__ = ("url",)

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, w: ResponseWriter, r: Request) -> None:
        redirect(w, r, self.url, STATUS_TEMPORARY_REDIRECT)


class ServeMux:
    """An HTTP request router matching Go 1.22 patterns. Go: http.ServeMux.

    Patterns are "[METHOD ][HOST]/[PATH]": "GET /items/{id}", "example.com/static/",
    "/files/{path...}", "/{$}". The most specific matching pattern wins; a pattern with a host
    wins over one without. A ServeMux is a handler: call it with (w, r).
    """

    __slots__ = ("_tree", "_index", "_lock", "_patterns")

    def __init__(self) -> None:
        self._tree = RoutingNode()
        self._index = RoutingIndex()
        self._lock = threading.Lock()
        self._patterns: list[Pattern] = []

    # -- registration -------------------------------------------------------------------------

    def handle(self, pattern: str, handler: Handler) -> None:
        """Register handler for pattern. Go: ServeMux.Handle.

        Raises:
            ValueError: the pattern is invalid ('parsing "GET /{": at offset 4: bad wildcard
                segment (must end with \'}\')') or conflicts with a registered one
                ('pattern "GET /a/{x}" (registered at f.py:3) conflicts with pattern
                "GET /a/{y}" (registered at f.py:2):\\nGET /a/{x} matches the same requests
                as GET /a/{y}'), or handler is None ("http: nil handler").
            TypeError: handler is not callable.
        """
        self._register(pattern, handler)

    def handle_func(self, pattern: str, handler: Handler) -> None:
        """Register the function handler(w, r) for pattern. Go: ServeMux.HandleFunc.

        Raises:
            ValueError, TypeError: as handle().
        """
        self._register(pattern, handler)

    def _register(self, patstr: str, handler: Handler) -> None:
        if patstr == "":
            raise ValueError("http: invalid pattern")
        if handler is None:
            raise ValueError("http: nil handler")
        if not callable(handler):
            raise TypeError(f"http: handler for {go_quote(patstr)} is not callable: {handler!r}")
        try:
            pat = parse_pattern(patstr)
        except ValueError as e:
            raise ValueError(f"parsing {go_quote(patstr)}: {e}") from None
        pat.loc = _caller_location()
        with self._lock:
            for pat2 in self._index.possibly_conflicting(pat):
                if pat.conflicts_with(pat2):
                    raise ValueError(
                        f"pattern {go_quote(str(pat))} (registered at {pat.loc}) conflicts with pattern "
                        f"{go_quote(str(pat2))} (registered at {pat2.loc}):\n{describe_conflict(pat, pat2)}"
                    )
            self._tree.add_pattern(pat, handler)
            self._index.add_pattern(pat)
            self._patterns.append(pat)

    # -- lookup -------------------------------------------------------------------------------

    def handler(self, r: Request) -> tuple[Handler, str]:
        """Return the handler for r and the pattern that matched. Go: ServeMux.Handler.

        Always returns a handler: a redirect to the canonical path (its pattern is the one
        that will match after the redirect), a 405 or 404 handler with the pattern "".
        Path values are not set on r.
        """
        h, pat, _, _ = self._find_handler(r)
        return h, pat

    def _match_or_redirect(
        self, host: str, method: str, path: str, u: URL | None
    ) -> tuple[RoutingNode | None, list[str], URL | None]:
        # Go: matchOrRedirect: the match, or the URL with a trailing slash that matches exactly.
        matches: list[str] = []
        n = self._tree.match(host, method, split_path(path), path, matches)
        if u is not None and path and path[-1] != "/" and not _exact_match(n, path):
            path += "/"
            n2 = self._tree.match(host, method, split_path(path), path, [])
            if n2 is not None and _exact_match(n2, path):
                return n2, [], _url_from_escaped(path, u.raw_query)
        return n, matches, None

    def _find_handler(self, r: Request) -> tuple[Handler, str, Pattern | None, list[str]]:
        # Go: ServeMux.findHandler.
        u = r.url
        escaped = _escaped_path(u)
        path = escaped
        if r.method == "CONNECT":
            # CONNECT paths are not cleaned; the trailing-slash redirect still applies.
            _, _, to = self._match_or_redirect(u.host, r.method, path, u)
            if to is not None:
                return _Redirect(str(to)), to.path, None, []
            host = r.host
            n, matches, _ = self._match_or_redirect(host, r.method, path, None)
        else:
            host = _strip_host_port(r.host)
            path = clean_path(path)
            n, matches, to = self._match_or_redirect(host, r.method, path, u)
            if to is not None:
                assert n is not None
                assert n.pattern is not None
                return _Redirect(str(to)), n.pattern.str, None, []
            if path != escaped:
                pat = n.pattern.str if n is not None and n.pattern is not None else ""
                return _Redirect(str(_url_from_escaped(path, u.raw_query))), pat, None, []
        if n is None or n.pattern is None:
            allowed = self._matching_methods(host, path)
            if allowed:
                return _MethodNotAllowed(", ".join(allowed)), "", None, []
            return not_found, "", None, []
        return n.handler, n.pattern.str, n.pattern, matches

    def _matching_methods(self, host: str, path: str) -> list[str]:
        # Go: ServeMux.matchingMethods: sorted; the trailing-slash redirect counts too.
        out: set[str] = set()
        self._tree.matching_methods(host, split_path(path), path, out)
        p2 = path + "/"
        self._tree.matching_methods(host, split_path(p2), p2, out)
        return sorted(out)

    def __call__(self, w: ResponseWriter, r: Request) -> None:
        """Route r to the handler of the most specific matching pattern. Go: ServeMux.ServeHTTP."""
        self._route(w, r)

    def _route(self, w: ResponseWriter, r: Request) -> None:
        # __call__'s body: compiled, r and its URL are typed, so their fields are C reads.
        if r.request_uri == "*":
            if r.proto_at_least(1, 1):
                w.header().set("Connection", "close")
            w.write_header(STATUS_BAD_REQUEST)
            return
        u = r.url
        p = u.path
        method = r.method
        # The common case, answered without the general lookup (which gives the same answer
        # slower): a plain str path, already clean and escaped as it stands.
        segs = _plain_segments(p) if type(p) is str and method != "CONNECT" and not u.raw_path else None
        if segs is not None:
            host = r.host
            if ":" in host:
                host = _strip_host_port_cached(host)
            matches: list[str] = []
            n = self._tree.match(host, method, segs, p, matches)
            if n is not None:
                pat = n.pattern
                if pat is not None and (segs[-1] == "/" or _exact_match(n, p)):
                    r.pattern = pat.str
                    if matches:
                        for name, value in zip(pat.names, matches, strict=False):
                            r.set_path_value(name, value)
                    n.handler(w, r)
                    return
        h, pat_str, pat2, matches2 = self._find_handler(r)
        r.pattern = pat_str
        if matches2 and pat2 is not None:
            for name, value in zip(pat2.names, matches2, strict=False):
                r.set_path_value(name, value)
        h(w, r)

    serve_http = __call__

    def __repr__(self) -> str:
        return f"<ServeMux {len(self._patterns)} patterns>"


def new_serve_mux() -> ServeMux:
    """Return a new, empty ServeMux. Go: http.NewServeMux."""
    return ServeMux()


default_serve_mux = ServeMux()
"""The ServeMux that Server(handler=None) serves and handle/handle_func register on.

Go: http.DefaultServeMux.
"""


def handle(pattern: str, handler: Handler) -> None:
    """Register handler for pattern on default_serve_mux. Go: http.Handle."""
    default_serve_mux._register(pattern, handler)


def handle_func(pattern: str, handler: Any) -> None:
    """Register the function handler(w, r) for pattern on default_serve_mux. Go: http.HandleFunc."""
    default_serve_mux._register(pattern, handler)

# gonet.net.url: URLs, queries and escaping (Go: net/url/url.go).
#
# One job: turn a URL string into its parts and back, the way Go's net/url does, so that the
# HTTP server (request targets), the client (absolute URLs, redirects) and handlers agree.
#
# Invariants:
# - `path` is always unescaped; `raw_path` keeps the original escaping only when it differs from
#   the default escaping of `path` (Go's rule), so str(parse(s)) gives back s for sane URLs.
# - `raw_query` is kept as sent; query() parses it on demand (never on the server's hot path).
# - An ASCII control character anywhere, or a bad %-escape, raises URLParseError with Go's text.
# - Pure: no I/O and no gonet import beyond gonet.errors, so every layer may use it.
from __future__ import annotations

import re
from urllib.parse import quote, unquote_to_bytes

from gonet.errors import URLParseError

__all__ = [
    "URL",
    "Userinfo",
    "parse",
    "parse_request_uri",
    "parse_query",
    "query_escape",
    "query_unescape",
    "path_escape",
    "path_unescape",
    "encode_query",
]

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CTL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")
# Go's shouldEscape(c, encodePath): what a path segment keeps unescaped.
_PATH_SAFE = "/;,$&+=:@!*'()~-._"


class Userinfo:
    """A URL's user name and optional password. Go: url.Userinfo."""

    __slots__ = ("_username", "_password")

    def __init__(self, username: str, password: str | None = None) -> None:
        self._username = username
        self._password = password

    def username(self) -> str:
        """Return the user name. Go: Userinfo.Username."""
        return self._username

    def password(self) -> str | None:
        """Return the password, or None when none was given. Go: Userinfo.Password."""
        return self._password

    def __str__(self) -> str:
        s = quote(self._username, safe="!$&'()*+,;=-._~")
        if self._password is not None:
            s += ":" + quote(self._password, safe="!$&'()*+,;=-._~")
        return s

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Userinfo)
            and self._username == other._username
            and self._password == other._password
        )

    def __hash__(self) -> int:
        return hash((self._username, self._password))

    def __repr__(self) -> str:
        return f"Userinfo({self._username!r}{', ***' if self._password is not None else ''})"


class URL:
    """A parsed URL. Go: url.URL.

    Attributes:
        scheme: "http", "https", ... ("" for a request path).
        opaque: the opaque part of "scheme:opaque" URLs (rare).
        user: the Userinfo, or None.
        host: "host" or "host:port" ("[::1]:80" for IPv6).
        path: the unescaped path.
        raw_path: the path as sent, when its escaping is not the default one; else "".
        raw_query: the query without "?", as sent.
        fragment: the unescaped fragment.
    """

    __slots__ = ("scheme", "opaque", "user", "host", "path", "raw_path", "raw_query", "fragment")

    def __init__(
        self,
        scheme: str = "",
        host: str = "",
        path: str = "",
        raw_query: str = "",
        fragment: str = "",
        *,
        opaque: str = "",
        user: Userinfo | None = None,
        raw_path: str = "",
    ) -> None:
        self.scheme = scheme
        self.opaque = opaque
        self.user = user
        self.host = host
        self.path = path
        self.raw_path = raw_path
        self.raw_query = raw_query
        self.fragment = fragment

    def query(self) -> dict[str, list[str]]:
        """Parse raw_query into a dict of value lists, ignoring malformed pairs. Go: URL.Query."""
        return parse_query(self.raw_query, strict=False)

    def hostname(self) -> str:
        """Return host without its port and without IPv6 brackets. Go: URL.Hostname."""
        host, _ = _split_host_port(self.host)
        return host

    def port(self) -> str:
        """Return the port part of host, or "". Go: URL.Port."""
        _, port = _split_host_port(self.host)
        return port

    def escaped_path(self) -> str:
        """Return the escaped form of path (raw_path when it is a valid encoding of it).

        Go: URL.EscapedPath.
        """
        if self.raw_path and _valid_encoded(self.raw_path) and _unescape(self.raw_path) == self.path:
            return self.raw_path
        if self.path == "*":
            return "*"
        return path_escape_all(self.path)

    def request_uri(self) -> str:
        """Return the "path?query" (or opaque) form used in a request line. Go: URL.RequestURI."""
        result = self.opaque
        if not result:
            result = self.escaped_path() or "/"
        elif result.startswith("//"):
            result = self.scheme + ":" + result
        if self.raw_query:
            result += "?" + self.raw_query
        return result

    def is_abs(self) -> bool:
        """Report whether the URL has a scheme. Go: URL.IsAbs."""
        return self.scheme != ""

    def resolve_reference(self, ref: URL) -> URL:
        """Resolve ref against this URL as a base (RFC 3986 5.2). Go: URL.ResolveReference."""
        u = ref.clone()
        if not ref.scheme:
            u.scheme = self.scheme
        if ref.scheme or ref.host or ref.user is not None:
            u.path = _remove_dot_segments(ref.path) if ref.path else ref.path
            u.raw_path = ""
            return u
        if ref.opaque:
            u.user = None
            u.host = ""
            u.path = ""
            return u
        if not ref.path and not ref.raw_query:
            u.raw_query = self.raw_query
            if not ref.fragment:
                u.fragment = self.fragment
        u.host = self.host
        u.user = self.user
        if ref.path.startswith("/"):
            u.path = _remove_dot_segments(ref.path)
        elif ref.path:
            base = self.path if self.path else "/"
            u.path = _remove_dot_segments(base[: base.rfind("/") + 1] + ref.path)
        else:
            u.path = self.path
        u.raw_path = ""
        return u

    def clone(self) -> URL:
        """Return a copy."""
        return URL(
            self.scheme,
            self.host,
            self.path,
            self.raw_query,
            self.fragment,
            opaque=self.opaque,
            user=self.user,
            raw_path=self.raw_path,
        )

    def redacted(self) -> str:
        """Return str(self) with the password replaced by "xxxxx". Go: URL.Redacted."""
        if self.user is None or self.user.password() is None:
            return str(self)
        c = self.clone()
        c.user = Userinfo(self.user.username(), "xxxxx")
        return str(c)

    def __str__(self) -> str:
        out: list[str] = []
        if self.scheme:
            out.append(self.scheme + ":")
        if self.opaque:
            out.append(self.opaque)
        else:
            if self.scheme or self.host or self.user is not None:
                if self.host or self.path or self.user is not None:
                    out.append("//")
                if self.user is not None:
                    out.append(str(self.user) + "@")
                if self.host:
                    out.append(self.host)
            path = self.escaped_path()
            if path and not path.startswith("/") and self.host:
                out.append("/")
            out.append(path)
        if self.raw_query:
            out.append("?" + self.raw_query)
        if self.fragment:
            out.append("#" + quote(self.fragment, safe="!$&'()*+,;=:@/?-._~"))
        return "".join(out)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, URL) and all(getattr(self, k) == getattr(other, k) for k in URL.__slots__)

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"URL({str(self)!r})"


def _split_host_port(hostport: str) -> tuple[str, str]:
    host, port = hostport, ""
    colon = host.rfind(":")
    if colon != -1 and host[colon + 1 :].isdigit() and ("]" not in host[colon:]):
        host, port = host[:colon], host[colon + 1 :]
    elif colon != -1 and colon == len(host) - 1:
        host = host[:colon]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, port


def _valid_encoded(s: str) -> bool:
    return _BAD_ESCAPE.search(s) is None


def _unescape(s: str) -> str:
    return unquote_to_bytes(s).decode("utf-8", "surrogateescape")


def _check_escapes(op: str, raw: str, s: str) -> None:
    m = _BAD_ESCAPE.search(s)
    if m is not None:
        bad = s[m.start() : m.start() + 3]
        raise URLParseError(op, raw, f'invalid URL escape "{bad}"')


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 5.2.4, keeping a trailing slash as Go's resolvePath does.
    if not path:
        return ""
    out: list[str] = []
    segs = path.split("/")
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        if seg == ".":
            if last:
                out.append("")
        elif seg == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(seg)
    res = "/".join(out)
    if not res.startswith("/"):
        res = "/" + res
    return res


def path_escape_all(path: str) -> str:
    """Escape a whole path, keeping "/" (Go: escape(path, encodePath))."""
    return quote(path.encode("utf-8", "surrogateescape"), safe=_PATH_SAFE)


def parse(rawurl: str) -> URL:
    """Parse an absolute or relative URL. Go: url.Parse.

    Raises:
        URLParseError: control characters, a bad %-escape, a bad port or a missing scheme
            before ":" — with Go's text, e.g. 'parse "h%zz": invalid URL escape "%zz"'.
    """
    u, frag = rawurl, ""
    hash_at = rawurl.find("#")
    if hash_at != -1:
        u, frag = rawurl[:hash_at], rawurl[hash_at + 1 :]
    url = _parse(rawurl, u, via_request=False)
    if frag:
        _check_escapes("parse", rawurl, frag)
        url.fragment = _unescape(frag)
    return url


def parse_request_uri(rawurl: str) -> URL:
    """Parse a request target: an absolute URL, an absolute path, or "*". Go: url.ParseRequestURI.

    Raises:
        URLParseError: as parse(), and for a relative reference ('invalid URI for request').
    """
    # The server's hot path: a plain "/path" or "/path?query" with nothing to unescape.
    if rawurl[:1] == "/" and "%" not in rawurl and "#" not in rawurl and _CTL.search(rawurl) is None:
        q = rawurl.find("?")
        if q == -1:
            return URL(path=rawurl)
        return URL(path=rawurl[:q], raw_query=rawurl[q + 1 :])
    return _parse(rawurl, rawurl, via_request=True)


def _parse(raw: str, rawurl: str, via_request: bool) -> URL:
    op = "parse"
    if _CTL.search(rawurl) is not None:
        raise URLParseError(op, raw, "net/url: invalid control character in URL")
    if rawurl == "" and via_request:
        raise URLParseError(op, raw, "empty url")
    url = URL()
    if rawurl == "*":
        url.path = "*"
        return url
    url.scheme, rest = _get_scheme(raw, rawurl, via_request)
    if rest.endswith("?") and rest.count("?") == 1:
        rest = rest[:-1]
    elif "?" in rest:
        rest, url.raw_query = rest.split("?", 1)
    if not rest.startswith("/"):
        if url.scheme:
            url.opaque = rest
            return url
        if via_request:
            raise URLParseError(op, raw, "invalid URI for request")
        seg = rest.split("/", 1)[0]
        if ":" in seg:
            raise URLParseError(op, raw, "first path segment in URL cannot contain colon")
    if (url.scheme or not via_request and not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, rest = rest[2:].partition("/")
        rest = slash + rest
        _parse_authority(raw, url, authority)
    _check_escapes(op, raw, rest)
    url.path = _unescape(rest)
    if path_escape_all(url.path) != rest:
        url.raw_path = rest
    return url


def _get_scheme(raw: str, rawurl: str, via_request: bool) -> tuple[str, str]:
    # Go's getScheme: a scheme is letters first, then letters, digits, "+-." up to ":".
    colon = rawurl.find(":")
    first_special = min((i for i in (rawurl.find("/"), rawurl.find("?")) if i != -1), default=-1)
    if colon == 0:
        raise URLParseError("parse", raw, "missing protocol scheme")
    if colon > 0 and (first_special == -1 or colon < first_special):
        scheme = rawurl[:colon]
        if _SCHEME.match(scheme):
            return scheme.lower(), rawurl[colon + 1 :]
        if not via_request:
            raise URLParseError("parse", raw, "first path segment in URL cannot contain colon")
    return "", rawurl


def _parse_authority(raw: str, url: URL, authority: str) -> None:
    userinfo, at, host = authority.rpartition("@")
    if at:
        _check_escapes("parse", raw, userinfo)
        name, has_pw, password = userinfo.partition(":")
        url.user = Userinfo(_unescape(name), _unescape(password) if has_pw else None)
    if host.startswith("["):
        end = host.find("]")
        if end == -1:
            raise URLParseError("parse", raw, "missing ']' in host")
        port = host[end + 1 :]
        if port and (not port.startswith(":") or not port[1:].isdigit() and port != ":"):
            raise URLParseError("parse", raw, f'invalid port "{port}" after host')
    else:
        colon = host.rfind(":")
        if colon != -1:
            port = host[colon + 1 :]
            if port and not port.isdigit():
                raise URLParseError("parse", raw, f'invalid port ":{port}" after host')
    _check_escapes("parse", raw, host)
    url.host = _unescape(host)


def parse_query(query: str, *, strict: bool = True) -> dict[str, list[str]]:
    """Parse "a=1&b=2&a=3" into {"a": ["1", "3"], "b": ["2"]}. Go: url.ParseQuery.

    Args:
        strict: raise on a malformed pair (a ";" or a bad escape); False skips it, as URL.query().

    Raises:
        URLParseError: in strict mode, 'invalid semicolon separator in query' or a bad escape.
    """
    out: dict[str, list[str]] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        if ";" in pair:
            if strict:
                raise URLParseError("parse", query, "invalid semicolon separator in query")
            continue
        k, _, v = pair.partition("=")
        try:
            key = query_unescape(k)
            val = query_unescape(v)
        except URLParseError:
            if strict:
                raise
            continue
        out.setdefault(key, []).append(val)
    return out


def encode_query(values: dict[str, list[str]] | dict[str, str]) -> str:
    """Encode values as "a=1&b=2", sorted by key. Go: url.Values.Encode."""
    parts: list[str] = []
    for k in sorted(values):
        v = values[k]
        for item in [v] if isinstance(v, str) else v:
            parts.append(query_escape(k) + "=" + query_escape(item))
    return "&".join(parts)


def query_escape(s: str) -> str:
    """Escape s for a query component (space as "+"). Go: url.QueryEscape."""
    return quote(s.encode("utf-8", "surrogateescape"), safe="-._~").replace("%20", "+")


def query_unescape(s: str) -> str:
    """Undo query_escape ("+" is a space). Go: url.QueryUnescape.

    Raises:
        URLParseError: a bad %-escape ('invalid URL escape "%zz"').
    """
    m = _BAD_ESCAPE.search(s)
    if m is not None:
        raise URLParseError("parse", s, f'invalid URL escape "{s[m.start() : m.start() + 3]}"')
    return _unescape(s.replace("+", " "))


def path_escape(s: str) -> str:
    """Escape s for one path segment ("/" escaped too). Go: url.PathEscape."""
    return quote(s.encode("utf-8", "surrogateescape"), safe="$&+,:;=@!*'()~-._")


def path_unescape(s: str) -> str:
    """Undo path_escape ("+" stays "+"). Go: url.PathUnescape.

    Raises:
        URLParseError: a bad %-escape.
    """
    m = _BAD_ESCAPE.search(s)
    if m is not None:
        raise URLParseError("parse", s, f'invalid URL escape "{s[m.start() : m.start() + 3]}"')
    return _unescape(s)

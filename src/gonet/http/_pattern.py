# gonet.http._pattern: ServeMux patterns, their parsing and how two of them relate
# (Go: net/http/pattern.go).
#
# A pattern is "[METHOD ][HOST]/[PATH]". The path is kept as segments, Go's representation:
# a trailing "/" is an anonymous multi wildcard, "{$}" is the literal segment "/", "{x}" a single
# wildcard and "{x...}" a multi wildcard (always last).
#
# Invariants:
# - A parsed Pattern never changes; `str` is the text it was registered with.
# - Literal segments are stored unescaped (the request path is unescaped segment by segment
#   before matching, so "/%61" matches "/a", as in Go 1.22+).
# - Two registered patterns with the same host never "conflict": for every request they both
#   match, one is strictly more specific (checked by conflicts_with at registration).
from __future__ import annotations

from gonet.net.url import path_unescape

__all__ = [
    "Pattern",
    "Segment",
    "parse_pattern",
    "describe_conflict",
    "clean_path",
    "go_quote",
    "path_unescape_or_keep",
    "valid_method",
]

_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

# The relationships between two patterns p1 and p2 (Go's relationship strings).
EQUIVALENT = "equivalent"  # both match the same requests
MORE_GENERAL = "moreGeneral"  # p1 matches everything p2 does and more
MORE_SPECIFIC = "moreSpecific"  # p2 matches everything p1 does and more
DISJOINT = "disjoint"  # no request matches both
OVERLAPS = "overlaps"  # some request matches both, neither is more specific


def valid_method(method: str) -> bool:
    """Report whether method is a non-empty token. Go: validMethod."""
    return bool(method) and all(c in _TOKEN for c in method)


def go_quote(s: str) -> str:
    """Return s double-quoted with Go's escapes (enough of strconv.Quote for messages)."""
    out = ['"']
    for c in s:
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif c.isprintable():
            out.append(c)
        elif ord(c) < 0x80:
            out.append(f"\\x{ord(c):02x}")
        elif ord(c) < 0x10000:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    out.append('"')
    return "".join(out)


def path_unescape_or_keep(s: str) -> str:
    """Unescape one path segment; return it unchanged if it has a bad %-escape. Go: pathUnescape."""
    if "%" not in s:
        return s
    try:
        return path_unescape(s)
    except ValueError:
        return s


def clean_rooted(p: str) -> str:
    """Return Go's path.Clean("/" + p): a rooted path without empty, "." or ".." elements."""
    out: list[str] = []
    for el in p.split("/"):
        if el == "" or el == ".":
            continue
        if el == "..":
            if out:
                out.pop()
            continue
        out.append(el)
    return "/" + "/".join(out)


def clean_path(p: str) -> str:
    """Return the canonical form of p: rooted, without ".", ".." or "//"; a trailing "/" kept.

    Go: cleanPath in server.go.
    """
    if p == "":
        return "/"
    if p[0] != "/":
        p = "/" + p
    # Fast path: a path without "//" and without a "." element is already clean.
    if "//" not in p and "/." not in p:
        return p
    np = clean_rooted(p)
    if p[-1] == "/" and np != "/":
        np += "/"
    return np


class Segment:
    """One piece of a pattern's path. Go: segment.

    Attributes:
        s: the literal (unescaped), the wildcard's name, or "/" for "{$}"; "" for the anonymous
            multi wildcard of a trailing slash.
        wild: a wildcard ("{x}" or "{x...}" or a trailing slash).
        multi: matches all remaining segments ("{x...}" or a trailing slash).
    """

    __slots__ = ("s", "wild", "multi")

    def __init__(self, s: str, wild: bool = False, multi: bool = False) -> None:
        self.s = s
        self.wild = wild
        self.multi = multi

    def __repr__(self) -> str:
        return f"Segment({self.s!r}, wild={self.wild}, multi={self.multi})"


class Pattern:
    """A parsed ServeMux pattern. Go: pattern.

    Attributes:
        str: the pattern as registered.
        method: "" (any method), or a method ("GET" matches HEAD too).
        host: "" (any host) or the host to match.
        segments: the path, as Segments.
        loc: where it was registered ("file:line"), for conflict messages.
        names: the wildcard names in order (the values a match returns follow this order).
    """

    __slots__ = ("str", "method", "host", "segments", "loc", "names")

    def __init__(self, s: str, method: str, host: str, segments: list[Segment]) -> None:
        self.str = s
        self.method = method
        self.host = host
        self.segments = segments
        self.loc = ""
        self.names = tuple(seg.s for seg in segments if seg.wild and seg.s)

    def __str__(self) -> str:
        return self.str

    def __repr__(self) -> str:
        return f"Pattern({self.str!r})"

    def last_segment(self) -> Segment:
        """Return the last path segment. Go: pattern.lastSegment."""
        return self.segments[-1]

    # -- relationships ------------------------------------------------------------------------

    def conflicts_with(self, p2: Pattern) -> bool:
        """Report whether some request matches both with neither taking precedence.

        A pattern with a host beats one without, so patterns with different hosts never
        conflict. Go: pattern.conflictsWith.
        """
        if self.host != p2.host:
            return False
        rel = self.compare_paths_and_methods(p2)
        return rel in (EQUIVALENT, OVERLAPS)

    def compare_paths_and_methods(self, p2: Pattern) -> str:
        """Return the relationship of self to p2 on methods and paths together."""
        mrel = self.compare_methods(p2)
        if mrel == DISJOINT:
            return DISJOINT
        return combine_relationships(mrel, self.compare_paths(p2))

    def compare_methods(self, p2: Pattern) -> str:
        """Return the relationship of the method parts ("" is any method; GET covers HEAD)."""
        m1, m2 = self.method, p2.method
        if m1 == m2:
            return EQUIVALENT
        if m1 == "":
            return MORE_GENERAL
        if m2 == "":
            return MORE_SPECIFIC
        if m1 == "GET" and m2 == "HEAD":
            return MORE_GENERAL
        if m2 == "GET" and m1 == "HEAD":
            return MORE_SPECIFIC
        return DISJOINT

    def compare_paths(self, p2: Pattern) -> str:
        """Return the relationship of the path parts. Go: pattern.comparePaths."""
        s1, s2 = self.segments, p2.segments
        multi1, multi2 = s1[-1].multi, s2[-1].multi
        if len(s1) != len(s2) and not multi1 and not multi2:
            return DISJOINT
        rel = EQUIVALENT
        n = min(len(s1), len(s2))
        for i in range(n):
            rel = combine_relationships(rel, compare_segments(s1[i], s2[i]))
            if rel == DISJOINT:
                return rel
        if len(s1) == len(s2):
            return rel
        if len(s1) < len(s2) and multi1:
            return combine_relationships(rel, MORE_GENERAL)
        if len(s2) < len(s1) and multi2:
            return combine_relationships(rel, MORE_SPECIFIC)
        return DISJOINT


def compare_segments(a: Segment, b: Segment) -> str:
    """Return the relationship of two segments. Go: compareSegments."""
    if a.multi and b.multi:
        return EQUIVALENT
    if a.multi:
        return MORE_GENERAL
    if b.multi:
        return MORE_SPECIFIC
    if a.wild and b.wild:
        return EQUIVALENT
    if a.wild:
        # A single wildcard never matches a trailing slash.
        return DISJOINT if b.s == "/" else MORE_GENERAL
    if b.wild:
        return DISJOINT if a.s == "/" else MORE_SPECIFIC
    return EQUIVALENT if a.s == b.s else DISJOINT


_INVERSE = {MORE_SPECIFIC: MORE_GENERAL, MORE_GENERAL: MORE_SPECIFIC}


def combine_relationships(r1: str, r2: str) -> str:
    """Combine the relationships of two parts of a pattern. Go: combineRelationships."""
    if r1 == EQUIVALENT:
        return r2
    if r1 == DISJOINT:
        return DISJOINT
    if r1 == OVERLAPS:
        return DISJOINT if r2 == DISJOINT else OVERLAPS
    # r1 is MORE_GENERAL or MORE_SPECIFIC.
    if r2 == EQUIVALENT:
        return r1
    if r2 == _INVERSE[r1]:
        return OVERLAPS
    return r2


def _write_segment(b: list[str], s: Segment) -> None:
    b.append("/")
    if not s.multi and s.s != "/":
        b.append(s.s)


def _common_path(p1: Pattern, p2: Pattern) -> str:
    # A path both patterns match (they are known to overlap).
    b: list[str] = []
    s1, s2 = p1.segments, p2.segments
    n = min(len(s1), len(s2))
    for i in range(n):
        _write_segment(b, s2[i] if s1[i].wild else s1[i])
    for seg in s1[n:] if len(s1) > n else s2[n:]:
        _write_segment(b, seg)
    return "".join(b)


def _difference_path(p1: Pattern, p2: Pattern) -> str:
    # A path p1 matches and p2 does not (one is known to exist). Go: differencePath.
    b: list[str] = []
    s1s, s2s = p1.segments, p2.segments
    n = min(len(s1s), len(s2s))
    for i in range(n):
        s1, s2 = s1s[i], s2s[i]
        if s1.multi and s2.multi:
            b.append("/")
            return "".join(b)
        if s1.multi and not s2.multi:
            b.append("/")
            if s2.s == "/":
                b.append(s1.s if s1.s else "x")
            return "".join(b)
        if (not s1.multi and s2.multi) or (s1.wild and s2.wild):
            _write_segment(b, s1)
        elif s1.wild and not s2.wild:
            if s1.s != s2.s:
                _write_segment(b, s1)
            else:
                b.append("/" + s2.s + "x")
        else:
            _write_segment(b, s1)
    for seg in s1s[n:] if len(s1s) > n else s2s[n:]:
        _write_segment(b, seg)
    return "".join(b)


def describe_conflict(p1: Pattern, p2: Pattern) -> str:
    """Explain why two patterns conflict, in Go's words. Go: describeConflict."""
    mrel = p1.compare_methods(p2)
    prel = p1.compare_paths(p2)
    rel = combine_relationships(mrel, prel)
    if rel == EQUIVALENT:
        return f"{p1} matches the same requests as {p2}"
    if prel == OVERLAPS:
        return (
            f"{p1} and {p2} both match some paths, like {go_quote(_common_path(p1, p2))}.\n"
            "But neither is more specific than the other.\n"
            f"{p1} matches {go_quote(_difference_path(p1, p2))}, but {p2} doesn't.\n"
            f"{p2} matches {go_quote(_difference_path(p2, p1))}, but {p1} doesn't."
        )
    if mrel == MORE_GENERAL and prel == MORE_SPECIFIC:
        return f"{p1} matches more methods than {p2}, but has a more specific path pattern"
    if mrel == MORE_SPECIFIC and prel == MORE_GENERAL:
        return f"{p1} matches fewer methods than {p2}, but has a more general path pattern"
    return f"bug: unexpected way for two patterns {p1} and {p2} to conflict: methods {mrel}, paths {prel}"


def _valid_wildcard_name(s: str) -> bool:
    # A Go identifier: a letter or "_" first, then letters, digits and "_".
    return bool(s) and all(c.isalpha() or c == "_" or (i > 0 and c.isdigit()) for i, c in enumerate(s))


class _PatternError(ValueError):
    def __init__(self, off: int, msg: str) -> None:
        super().__init__(f"at offset {off}: {msg}")


def parse_pattern(s: str) -> Pattern:  # noqa: C901 - Go's parsePattern, check by check
    """Parse "[METHOD ][HOST]/[PATH]" into a Pattern. Go: parsePattern.

    Raises:
        ValueError: the pattern is malformed, with Go's text ("at offset 4: bad wildcard
            segment (must end with '}')", "empty pattern", ...).
    """
    if not s:
        raise ValueError("empty pattern")
    method, rest, found = s, "", False
    i = min((j for j in (s.find(" "), s.find("\t")) if j >= 0), default=-1)
    if i >= 0:
        method, rest, found = s[:i], s[i + 1 :].strip(" \t\r\n\v\f"), True
    if not found:
        rest, method = method, ""
    if method and not valid_method(method):
        raise _PatternError(0, f"invalid method {go_quote(method)}")
    off = len(method) + 1 if found else 0
    i = rest.find("/")
    if i < 0:
        raise _PatternError(off, "host/path missing /")
    host, rest = rest[:i], rest[i:]
    j = host.find("{")
    if j >= 0:
        raise _PatternError(off + j, "host contains '{' (missing initial '/'?)")
    off += i
    # Request paths are cleaned before matching, so an unclean path could never match.
    if method and method != "CONNECT" and rest != clean_path(rest):
        raise _PatternError(off, "non-CONNECT pattern with unclean path can never match")
    segments: list[Segment] = []
    seen: set[str] = set()
    while rest:
        rest = rest[1:]
        off = len(s) - len(rest)
        if not rest:
            segments.append(Segment("", wild=True, multi=True))
            break
        i = rest.find("/")
        if i < 0:
            i = len(rest)
        seg, rest = rest[:i], rest[i:]
        brace = seg.find("{")
        if brace < 0:
            segments.append(Segment(path_unescape_or_keep(seg)))
            continue
        if brace != 0:
            raise _PatternError(off, "bad wildcard segment (must start with '{')")
        if seg[-1] != "}":
            raise _PatternError(off, "bad wildcard segment (must end with '}')")
        name = seg[1:-1]
        if name == "$":
            if rest:
                raise _PatternError(off, "{$} not at end")
            segments.append(Segment("/"))
            break
        multi = name.endswith("...")
        if multi:
            name = name[:-3]
            if rest:
                raise _PatternError(off, "{...} wildcard not at end")
        if not name:
            raise _PatternError(off, "empty wildcard")
        if not _valid_wildcard_name(name):
            raise _PatternError(off, f"bad wildcard name {go_quote(name)}")
        if name in seen:
            raise _PatternError(off, f"duplicate wildcard name {go_quote(name)}")
        seen.add(name)
        segments.append(Segment(name, wild=True, multi=multi))
    return Pattern(s, method, host, segments)

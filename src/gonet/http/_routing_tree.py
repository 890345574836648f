# gonet.http._routing_tree: the decision tree that matches requests to patterns, and the index
# that finds the registered patterns a new one might conflict with (Go: net/http/routing_tree.go,
# routing_index.go).
#
# The tree's first level branches on the host, the second on the method, the rest on path
# segments: a lookup is a few dict gets per segment, never a regex. "More specific wins" is
# kept by trying, at each segment, the literal child first, then the single wildcard, then the
# multi wildcard; registration rejected every pair of patterns where that order could be wrong.
#
# Invariants:
# - A node with `pattern` set is a leaf for that pattern (it may also have children).
# - Path keys are unescaped segments; "/" is the trailing slash of "{$}"; single wildcards live
#   in `wild`, the (at most one) multi wildcard in `multi`.
# - Matching reads the tree without a lock: registration adds a leaf's pattern last, so a
#   concurrent reader sees either no match or a complete one.
from __future__ import annotations

from typing import Any

from gonet.http._pattern import Pattern, path_unescape_or_keep

__all__ = ["RoutingNode", "RoutingIndex", "split_path"]


def split_path(path: str) -> list[str]:
    """Split a rooted path into the segments the tree matches: unescaped, "/" for a trailing slash.

    "/a/b%2Fc/" -> ["a", "b/c", "/"]; "/" -> ["/"]. Go: firstSegment, applied repeatedly.
    """
    raw = path[1:].split("/")
    if raw[-1] == "":
        raw[-1] = "/"
    if "%" in path:
        return [path_unescape_or_keep(s) for s in raw]
    return raw


class RoutingNode:
    """A node of the routing tree: interior (children) and/or a leaf (pattern, handler). Go: routingNode."""

    __slots__ = ("pattern", "handler", "children", "wild", "multi")

    def __init__(self) -> None:
        self.pattern: Pattern | None = None
        self.handler: Any = None
        self.children: dict[str, RoutingNode] = {}
        self.wild: RoutingNode | None = None  # "" key: host/method absent, or a single wildcard
        self.multi: RoutingNode | None = None  # a multi wildcard ("{x...}" or trailing slash)

    # -- building -----------------------------------------------------------------------------

    def add_pattern(self, p: Pattern, handler: Any) -> None:
        """Add p and its handler to the tree rooted here. Go: routingNode.addPattern."""
        n = self._child(p.host)._child(p.method)
        for seg in p.segments:
            if seg.multi:
                if n.multi is None:
                    n.multi = RoutingNode()
                n = n.multi
            elif seg.wild:
                n = n._child("")
            else:
                n = n._child(seg.s)
        n.handler = handler
        n.pattern = p  # last: a concurrent match sees a leaf only once it is complete

    def _child(self, key: str) -> RoutingNode:
        if key == "":
            if self.wild is None:
                self.wild = RoutingNode()
            return self.wild
        c = self.children.get(key)
        if c is None:
            c = self.children[key] = RoutingNode()
        return c

    # -- matching -----------------------------------------------------------------------------

    def match(
        self, host: str, method: str, segs: list[str], raw: str, matches: list[str]
    ) -> RoutingNode | None:
        """Return the leaf matching host, method and the path; append the wildcard values to matches.

        A pattern with the request's host wins over patterns without a host. matches is left
        as it was when nothing matches. Go: routingNode.match.

        Args:
            segs: split_path(raw).
            raw: the cleaned, escaped path.
        """
        if host and self.children:
            h = self.children.get(host)
            if h is not None:
                n = h._match_method_and_path(method, segs, raw, matches)
                if n is not None:
                    return n
        w = self.wild
        if w is None:
            return None
        return w._match_method_and_path(method, segs, raw, matches)

    def _match_method_and_path(
        self, method: str, segs: list[str], raw: str, matches: list[str]
    ) -> RoutingNode | None:
        c = self.children.get(method)
        if c is not None:
            n = c.match_path(segs, 0, matches, raw)
            if n is not None:
                return n
        if method == "HEAD":
            c = self.children.get("GET")
            if c is not None:
                n = c.match_path(segs, 0, matches, raw)
                if n is not None:
                    return n
        c = self.wild
        if c is None:
            return None
        return c.match_path(segs, 0, matches, raw)

    def match_path(self, segs: list[str], i: int, matches: list[str], raw: str) -> RoutingNode | None:
        """Match segs[i:] below this node (backtracking); return the leaf or None.

        matches collects the wildcard values; a failed match leaves it as it was.
        Go: routingNode.matchPath.
        """
        if i == len(segs):
            return self if self.pattern is not None else None
        seg = segs[i]
        c = self.children.get(seg)
        if c is not None:
            n = c.match_path(segs, i + 1, matches, raw)
            if n is not None:
                return n
        c = self.wild
        if c is not None and seg != "/":
            matches.append(seg)
            n = c.match_path(segs, i + 1, matches, raw)
            if n is not None:
                return n
            matches.pop()
        c = self.multi
        if c is not None:
            p = c.pattern
            if p is not None:
                last = p.segments[-1]
                if last.s:
                    # The rest of the raw path after the i-th "/", unescaped as a whole.
                    matches.append(path_unescape_or_keep(_rest(raw, i)))
            return c
        return None

    def matching_methods(self, host: str, segs: list[str], raw: str, out: set[str]) -> None:
        """Add to out every method that would match host and path. Go: routingNode.matchingMethods."""
        if host:
            h = self.children.get(host)
            if h is not None:
                h._matching_methods_path(segs, raw, out)
        if self.wild is not None:
            self.wild._matching_methods_path(segs, raw, out)
        if "GET" in out:
            out.add("HEAD")

    def _matching_methods_path(self, segs: list[str], raw: str, out: set[str]) -> None:
        # The method-less child is left out: it would have matched any method already.
        for method, c in self.children.items():
            if c.match_path(segs, 0, [], raw) is not None:
                out.add(method)


def _rest(raw: str, i: int) -> str:
    # raw[1:] with its first i segments removed ("/a/b/c", 1 -> "b/c").
    pos = 0
    for _ in range(i):
        pos = raw.index("/", pos + 1)
    return raw[pos + 1 :]


class RoutingIndex:
    """The patterns registered so far, indexed to find possible conflicts fast. Go: routingIndex.

    Patterns that end in a multi wildcard are kept in a list (any may conflict); the others are
    indexed by (position, literal) and (position, "") for a wildcard, so a new pattern is compared
    only with those that share a literal or a wildcard at its most selective position.
    """

    __slots__ = ("segments", "multis")

    def __init__(self) -> None:
        self.segments: dict[tuple[int, str], list[Pattern]] = {}
        self.multis: list[Pattern] = []

    def add_pattern(self, p: Pattern) -> None:
        """Index p. Go: routingIndex.addPattern."""
        if p.last_segment().multi:
            self.multis.append(p)
            return
        for pos, seg in enumerate(p.segments):
            key = (pos, "" if seg.wild else seg.s)
            self.segments.setdefault(key, []).append(p)

    def possibly_conflicting(self, p: Pattern) -> list[Pattern]:
        """Return the registered patterns that might conflict with p (a superset of those that do).

        Go: routingIndex.possiblyConflictingPatterns.
        """
        out = list(self.multis)
        segs = p.segments
        if segs[-1].s == "/" and not segs[-1].wild:
            # A "{$}" pattern can only conflict with multis or a "{$}" at the same position.
            out.extend(self.segments.get((len(segs) - 1, "/"), ()))
            return out
        best: tuple[list[Pattern], list[Pattern]] | None = None
        least = -1
        for i, seg in enumerate(segs):
            if seg.multi:
                break
            if not seg.wild:
                lits = self.segments.get((i, seg.s), [])
                wilds = self.segments.get((i, ""), [])
                if best is None or len(lits) + len(wilds) < least:
                    best, least = (lits, wilds), len(lits) + len(wilds)
        if best is not None:
            out.extend(best[0])
            out.extend(best[1])
            return out
        # All wildcards: compare with everything.
        for pats in self.segments.values():
            out.extend(pats)
        return out

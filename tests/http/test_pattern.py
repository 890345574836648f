# Pattern parsing and the relationships between patterns (Go: pattern_test.go's cases).
from __future__ import annotations

import re

import pytest

from gonet.http._pattern import clean_path, describe_conflict, parse_pattern


@pytest.mark.parametrize(
    ("text", "method", "host", "segs"),
    [
        ("/", "", "", [("", True, True)]),
        ("GET /a/{x}", "GET", "", [("a", False, False), ("x", True, False)]),
        ("example.com/b/", "", "example.com", [("b", False, False), ("", True, True)]),
        ("/a/{rest...}", "", "", [("a", False, False), ("rest", True, True)]),
        ("/a/{$}", "", "", [("a", False, False), ("/", False, False)]),
        ("/%61%2Fb", "", "", [("a/b", False, False)]),
        ("POST\t/p", "POST", "", [("p", False, False)]),
    ],
)
def test_parse(text, method, host, segs) -> None:
    p = parse_pattern(text)
    assert p.method == method
    assert p.host == host
    assert [(s.s, s.wild, s.multi) for s in p.segments] == segs
    assert str(p) == text


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        ("", "empty pattern"),
        ("GET", "at offset 0: host/path missing /"),
        ("GET /a/..", "at offset 4: non-CONNECT pattern with unclean path can never match"),
        ("/{x", "at offset 1: bad wildcard segment (must end with '}')"),
        ("/a{x}", "at offset 1: bad wildcard segment (must start with '{')"),
        ("/{a}/{a}", 'at offset 5: duplicate wildcard name "a"'),
        ("/{$}/x", "at offset 1: {$} not at end"),
        ("/{x...}/y", "at offset 1: {...} wildcard not at end"),
        ("/{1a}", 'at offset 1: bad wildcard name "1a"'),
        ("a{b/", "at offset 1: host contains '{' (missing initial '/'?)"),
        ("G(T /", 'at offset 0: invalid method "G(T"'),
    ],
)
def test_parse_errors(text, msg) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
        parse_pattern(text)


def test_connect_may_have_unclean_path() -> None:
    assert parse_pattern("CONNECT /a/../b").method == "CONNECT"


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        ("/a", "/a", True),
        ("/a/{x}", "/a/{y}", True),
        ("/a/b", "/a/{x}", False),
        ("GET /", "/index.html", True),
        ("/images/", "/images/thumbnails/", False),
        ("GET /a", "HEAD /a", False),
        ("GET /a", "POST /a", False),
        ("h.com/a", "/a", False),
        ("/{x}/b", "/a/{y}", True),
        ("/a/{$}", "/a/", False),
        ("/a/{x...}", "/a/", True),
    ],
)
def test_conflicts(a, b, conflict) -> None:
    assert parse_pattern(a).conflicts_with(parse_pattern(b)) is conflict
    assert parse_pattern(b).conflicts_with(parse_pattern(a)) is conflict


def test_describe_overlap() -> None:
    d = describe_conflict(parse_pattern("/{x}/b"), parse_pattern("/a/{y}"))
    assert d == (
        '/{x}/b and /a/{y} both match some paths, like "/a/b".\n'
        "But neither is more specific than the other.\n"
        '/{x}/b matches "/x/b", but /a/{y} doesn\'t.\n'
        '/a/{y} matches "/a/y", but /{x}/b doesn\'t.'
    )


@pytest.mark.parametrize(
    ("p", "want"),
    [
        ("", "/"),
        ("a/b", "/a/b"),
        ("/a//b/", "/a/b/"),
        ("/a/./b/../c", "/a/c"),
        ("/../x", "/x"),
        ("/a/..", "/"),
        ("/.well-known/x", "/.well-known/x"),
    ],
)
def test_clean_path(p, want) -> None:
    assert clean_path(p) == want

# gonet.net.url: request targets and absolute URLs parse as Go's net/url parses them.
from __future__ import annotations

import pytest

from gonet.errors import URLParseError
from gonet.net import url


def test_request_target_fast_path() -> None:
    u = url.parse_request_uri("/a/b?x=1&y=2&x=3")
    assert (u.path, u.raw_query, u.scheme, u.host) == ("/a/b", "x=1&y=2&x=3", "", "")
    assert u.query() == {"x": ["1", "3"], "y": ["2"]}
    assert u.request_uri() == "/a/b?x=1&y=2&x=3"


def test_request_target_unescapes_the_path_and_keeps_raw_path() -> None:
    u = url.parse_request_uri("/a%2Fb/c%20d")
    assert u.path == "/a/b/c d"
    assert u.raw_path == "/a%2Fb/c%20d"
    assert u.escaped_path() == "/a%2Fb/c%20d"


def test_star_and_absolute_form() -> None:
    assert url.parse_request_uri("*").path == "*"
    u = url.parse_request_uri("http://example.com:8080/p?q=1")
    assert (u.scheme, u.host, u.path, u.raw_query) == ("http", "example.com:8080", "/p", "q=1")
    assert (u.hostname(), u.port()) == ("example.com", "8080")


@pytest.mark.parametrize(
    ("raw", "msg"),
    [
        ("/a%zzb", 'parse "/a%zzb": invalid URL escape "%zz"'),
        ("/a\x01b", 'parse "/a\x01b": net/url: invalid control character in URL'),
        ("a/b", 'parse "a/b": invalid URI for request'),
        ("", 'parse "": empty url'),
    ],
)
def test_bad_request_targets_raise_with_gos_text(raw: str, msg: str) -> None:
    with pytest.raises(URLParseError) as ei:
        url.parse_request_uri(raw)
    assert str(ei.value) == msg


def test_parse_absolute_url_with_user_ipv6_and_fragment() -> None:
    u = url.parse("https://bob:pw@[::1]:8443/x/y?z=1#frag%20ment")
    assert u.scheme == "https"
    assert u.user is not None
    assert (u.user.username(), u.user.password()) == ("bob", "pw")
    assert (u.host, u.hostname(), u.port()) == ("[::1]:8443", "::1", "8443")
    assert u.fragment == "frag ment"
    assert str(u) == "https://bob:pw@[::1]:8443/x/y?z=1#frag%20ment"
    assert u.redacted() == "https://bob:xxxxx@[::1]:8443/x/y?z=1#frag%20ment"


def test_parse_rejects_bad_port_and_missing_scheme() -> None:
    with pytest.raises(URLParseError, match=r'invalid port ":x" after host'):
        url.parse("http://h:x/")
    with pytest.raises(URLParseError, match="missing protocol scheme"):
        url.parse("://h/")


@pytest.mark.parametrize(
    ("base", "ref", "want"),
    [
        ("http://h/a/b", "c", "http://h/a/c"),
        ("http://h/a/b", "/c", "http://h/c"),
        ("http://h/a/b", "../c", "http://h/c"),
        ("http://h/a/b?q=1", "?r=2", "http://h/a/b?r=2"),
        ("http://h/a/b", "https://o/x", "https://o/x"),
        ("http://h/a/", "./", "http://h/a/"),
    ],
)
def test_resolve_reference(base: str, ref: str, want: str) -> None:
    assert str(url.parse(base).resolve_reference(url.parse(ref))) == want


def test_query_escaping_round_trips() -> None:
    assert url.query_escape("a b&c=d/é") == "a+b%26c%3Dd%2F%C3%A9"
    assert url.query_unescape("a+b%26c%3Dd%2F%C3%A9") == "a b&c=d/é"
    assert url.path_escape("a b/c") == "a%20b%2Fc"
    assert url.encode_query({"b": ["2"], "a": ["1", "x y"]}) == "a=1&a=x+y&b=2"
    with pytest.raises(URLParseError, match="invalid semicolon separator in query"):
        url.parse_query("a=1;b=2")
    assert url.parse("/p?a=1;b=2&c=3").query() == {"c": ["3"]}

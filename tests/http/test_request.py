# Request and new_request: Go's fields and rules, cookies, basic auth, forms, path values.
from __future__ import annotations

import pytest

from gonet import context
from gonet.errors import ErrNoCookie, URLParseError
from gonet.http import Cookie, NoBody, Request, SameSite, new_request
from gonet.net.url import URL


def test_new_request_with_bytes_body_knows_its_length_and_can_resend() -> None:
    r = new_request("POST", "http://example.com:80/x?y=1", b"hello")
    assert (r.method, r.host, r.url.path, r.url.raw_query) == ("POST", "example.com:80", "/x", "y=1")
    assert r.content_length == 5
    assert r.body.read(2) == b"he"
    assert r.body.read() == b"llo"
    assert r.body.read() == b""
    assert r.get_body().read() == b"hello"


def test_new_request_defaults() -> None:
    r = new_request("", "http://h/")
    assert r.method == "GET"
    assert r.body is NoBody
    assert r.content_length == 0
    assert r.proto == "HTTP/1.1"
    assert r.context() is context.background()


def test_new_request_rejects_bad_method_and_url() -> None:
    with pytest.raises(ValueError, match='net/http: invalid method "G T"'):
        new_request("G T", "http://h/")
    with pytest.raises(URLParseError, match="invalid URL escape"):
        new_request("GET", "http://h/%zz")


def test_new_request_with_a_reader_body_is_chunked() -> None:
    import io

    r = new_request("PUT", "http://h/", io.BytesIO(b"abc"))
    assert r.content_length == -1
    buf = bytearray(8)
    assert r.body.readinto(buf) == 3
    assert bytes(buf[:3]) == b"abc"


def test_cookie_lookup_and_missing_cookie() -> None:
    r = Request("GET", URL(path="/"))
    r.header.add("Cookie", 'a=1; b="two"; bad name=3;  c=3 ')
    assert r.cookie("b").value == "two"
    assert [(c.name, c.value) for c in r.cookies()] == [("a", "1"), ("b", "two"), ("c", "3")]
    with pytest.raises(ErrNoCookie, match="http: named cookie not present"):
        r.cookie("zzz")


def test_set_cookie_string_follows_go() -> None:
    c = Cookie("sid", "a b", path="/x", max_age=-1, http_only=True, secure=True, same_site=SameSite.LAX)
    assert str(c) == 'sid="a b"; Path=/x; Max-Age=0; HttpOnly; Secure; SameSite=Lax'
    assert str(Cookie("bad name", "v")) == ""
    assert str(Cookie("v", 'x;"\\y')) == "v=xy"


def test_basic_auth_round_trip() -> None:
    r = new_request("GET", "http://h/")
    assert r.basic_auth() is None
    r.set_basic_auth("alice", "s:ecret")
    assert r.basic_auth() == ("alice", "s:ecret")
    r.header.set("Authorization", "Basic !!!")
    assert r.basic_auth() is None


def test_path_values_and_context_copy() -> None:
    r = Request("GET", URL(path="/u/7"))
    assert r.path_value("id") == ""
    r.set_path_value("id", "7")
    ctx, cancel = context.with_cancel(context.background())
    r2 = r.with_context(ctx)
    assert r2.path_value("id") == "7"
    assert r2.context() is ctx
    assert r.context() is context.background()
    r3 = r2.clone(context.background())
    r3.header.set("X", "1")
    assert r2.header.get("X") == ""
    cancel()


def test_parse_form_merges_body_and_query() -> None:
    r = new_request("POST", "http://h/?a=q&z=9", b"a=b1&c=d+e")
    r.header.set("Content-Type", "application/x-www-form-urlencoded")
    assert r.form_value("a") == "b1"
    assert r.form == {"a": ["b1", "q"], "c": ["d e"], "z": ["9"]}
    assert r.post_form == {"a": ["b1"], "c": ["d e"]}
    assert r.post_form_value("z") == ""

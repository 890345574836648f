# Header: Go's canonical keys, multi-values, and a wire form that never carries a line break.
from __future__ import annotations

import copy
import pickle

import pytest

from gonet.http import Header, canonical_header_key


@pytest.mark.parametrize(
    ("key", "want"),
    [
        ("content-type", "Content-Type"),
        ("CONTENT-LENGTH", "Content-Length"),
        ("x-forwarded-for", "X-Forwarded-For"),
        ("www-authenticate", "Www-Authenticate"),
        ("foo bar", "foo bar"),  # not a token: unchanged (Go)
        ("", ""),
    ],
)
def test_canonical_header_key_follows_go(key: str, want: str) -> None:
    assert canonical_header_key(key) == want


def test_get_is_case_insensitive_and_empty_when_missing() -> None:
    h = Header()
    h.set("content-type", "text/plain")
    assert h.get("CONTENT-TYPE") == "text/plain"
    assert h.get("Accept") == ""
    assert "content-type" in h
    assert "accept" not in h


def test_add_keeps_order_and_set_replaces() -> None:
    h = Header()
    h.add("Set-Cookie", "a=1")
    h.add("set-cookie", "b=2")
    assert h.values("SET-COOKIE") == ["a=1", "b=2"]
    h.set("Set-Cookie", "c=3")
    assert h.values("Set-Cookie") == ["c=3"]
    h.delete("set-cookie")
    assert h.values("Set-Cookie") == []
    assert len(h) == 0


def test_items_yields_each_key_once_with_its_first_value() -> None:
    h = Header({"X-A": ["1", "2"], "x-b": "3"})
    assert list(h.items()) == [("X-A", "1"), ("X-B", "3")]
    assert h.keys() == ["X-A", "X-B"]


def test_clone_is_deep() -> None:
    h = Header({"X-A": "1"})
    c = h.clone()
    c.add("X-A", "2")
    assert h.values("X-A") == ["1"]
    assert c == Header({"X-A": ["1", "2"]})


def test_write_replaces_cr_lf_with_spaces_and_drops_invalid_names() -> None:
    h = Header()
    h.set("X-Evil", "a\r\nInjected: yes")
    h.set("Bad Name", "x")
    h.set("X-Trim", "  padded \t")
    out = bytearray()
    h.write(out)
    assert bytes(out) == b"X-Evil: a  Injected: yes\r\nX-Trim: padded\r\n"


def test_write_encodes_latin1_and_falls_back_to_utf8() -> None:
    h = Header({"X-L": "caf\u00e9", "X-U": "\u20ac"})
    out = bytearray()
    h.write(out, exclude=frozenset())
    assert bytes(out) == b"X-L: caf\xe9\r\nX-U: \xe2\x82\xac\r\n"


def test_header_is_a_mutable_unhashable_value_that_copies_pickles_and_subclasses() -> None:
    # Header is compiled to an extension type; it must behave as the plain class it is in
    # pure Python.
    h = Header({"X-A": ["1", "2"]})
    with pytest.raises(TypeError, match="unhashable"):
        hash(h)
    c = copy.copy(h)
    assert c == h
    assert c is not h
    p = pickle.loads(pickle.dumps(h))
    assert p == h
    assert p.values("X-A") == ["1", "2"]

    class Traced(Header):
        __slots__ = ("sets",)

        def set(self, key: str, value: str) -> None:
            self.sets = getattr(self, "sets", 0) + 1
            super().set(key, value)

    t = Traced({"a": "b"})
    t.set("c", "d")
    assert isinstance(t, Header)
    assert t.sets == 1
    assert t.get("C") == "d"
    assert t.get("a") == "b"

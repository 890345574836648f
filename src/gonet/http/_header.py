# gonet.http._header: the header multi-map and its wire form (Go: net/http/header.go,
# net/textproto's CanonicalMIMEHeaderKey).
#
# Invariants:
# - Keys are stored canonicalised ("content-type" -> "Content-Type"); a key that is not a valid
#   token is stored as given (Go's rule), so it can be looked up but is never written.
# - Values are str; bytes read off the wire are latin-1 decoded (every octet maps to one char).
# - Writing never puts a line break on the wire: CR and LF in a value become spaces, values are
#   trimmed of surrounding blanks, and keys that are not valid header names are dropped (Go's
#   Header.Write sanitising).
# - `_m` (canonical key -> list of values, insertion order) is the storage; the server's and the
#   client's hot paths read and fill it directly.
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

__all__ = ["Header", "canonical_header_key", "valid_header_field_name"]

_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_TOKEN_STR = frozenset(chr(c) for c in _TOKEN)
_canon_cache: dict[str, str] = {}
_CANON_CACHE_MAX = 1024
_SANITIZE = str.maketrans("\r\n", "  ")


def valid_header_field_name(name: str) -> bool:
    """Report whether name is a non-empty token (RFC 9110 5.1). Go: httpguts.ValidHeaderFieldName."""
    return bool(name) and _TOKEN_STR.issuperset(name)


def canonical_header_key(key: str) -> str:
    """Return key in canonical form: "accept-encoding" -> "Accept-Encoding".

    A key with a space or another non-token character is returned unchanged.
    Go: http.CanonicalHeaderKey (textproto.CanonicalMIMEHeaderKey).
    """
    c = _canon_cache.get(key)
    if c is not None:
        return c
    if not valid_header_field_name(key):
        return key
    c = "-".join([p[:1].upper() + p[1:].lower() for p in key.split("-")])
    if len(_canon_cache) < _CANON_CACHE_MAX:
        _canon_cache[key] = c
    return c


def _encode(v: str) -> bytes:
    try:
        return v.encode("latin-1")
    except UnicodeEncodeError:
        return v.encode("utf-8", "surrogateescape")


class Header:
    """A case-insensitive multi-map of header fields. Go: http.Header.

    `get` returns the first value or "" (Go's Get); `values` returns all of them. Iterating
    yields each canonical key once.
    """

    __slots__ = ("_m",)

    def __init__(self, init: Mapping[str, str | Iterable[str]] | None = None) -> None:
        self._m: dict[str, list[str]] = {}
        if init:
            for k, v in init.items():
                if isinstance(v, str):
                    self.add(k, v)
                else:
                    for item in v:
                        self.add(k, item)

    def get(self, key: str) -> str:
        """Return the first value for key, or "" when there is none. Go: Header.Get."""
        v = self._m.get(key) or self._m.get(canonical_header_key(key))
        return v[0] if v else ""

    def values(self, key: str) -> list[str]:
        """Return every value for key, in order (a new list). Go: Header.Values."""
        v = self._m.get(key) or self._m.get(canonical_header_key(key))
        return list(v) if v else []

    def set(self, key: str, value: str) -> None:
        """Replace every value for key with value. Go: Header.Set."""
        self._m[canonical_header_key(key)] = [value]

    def add(self, key: str, value: str) -> None:
        """Append value to key's values. Go: Header.Add."""
        k = canonical_header_key(key)
        v = self._m.get(k)
        if v is None:
            self._m[k] = [value]
        else:
            v.append(value)

    def delete(self, key: str) -> None:
        """Remove key and all its values. Go: Header.Del."""
        self._m.pop(canonical_header_key(key), None)

    def has(self, key: str) -> bool:
        """Report whether key is present (even with an empty value)."""
        return canonical_header_key(key) in self._m

    def keys(self) -> list[str]:
        """Return the canonical keys, in insertion order."""
        return list(self._m)

    def items(self) -> Iterator[tuple[str, str]]:
        """Yield (key, first value) once per key; values(key) gives all of them."""
        for k, v in self._m.items():
            yield k, (v[0] if v else "")

    def clone(self) -> Header:
        """Return a deep copy. Go: Header.Clone."""
        h = Header()
        h._m = {k: list(v) for k, v in self._m.items()}
        return h

    def write(self, out: bytearray, exclude: frozenset[str] = frozenset()) -> None:
        """Append the wire form ("Key: value\\r\\n" per value) to out, sanitised.

        CR/LF in values become spaces, values are trimmed, invalid keys are dropped.
        Go: Header.WriteSubset.
        """
        for k, vs in self._m.items():
            if k in exclude or not valid_header_field_name(k):
                continue
            kb = k.encode("ascii")
            for v in vs:
                out += kb
                out += b": "
                out += _encode(v.translate(_SANITIZE).strip(" \t"))
                out += b"\r\n"

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and canonical_header_key(key) in self._m

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._m))

    def __len__(self) -> int:
        return len(self._m)

    def __bool__(self) -> bool:
        return bool(self._m)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Header) and self._m == other._m

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Header({self._m!r})"

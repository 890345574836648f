# gonet.http._cookie: cookies in requests and Set-Cookie in responses (Go: net/http/cookie.go).
#
# Invariants:
# - Reading is lenient like Go's readCookies: malformed pairs are skipped, never raised.
# - Writing is safe like Go's Cookie.String: invalid names give "" (nothing is set), invalid
#   value bytes are dropped, so a cookie never breaks a header line.
from __future__ import annotations

import datetime as _dt
import email.utils
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gonet.http._header import Header, valid_header_field_name

if TYPE_CHECKING:
    from gonet.http._iface import ResponseWriter

__all__ = ["Cookie", "SameSite", "read_cookies", "set_cookie"]


class SameSite:
    """The SameSite attribute's values. Go: http.SameSite."""

    DEFAULT = 0
    LAX = 1
    STRICT = 2
    NONE = 3


def _valid_value_byte(c: str) -> bool:
    return "\x20" <= c < "\x7f" and c not in '";\\'


@dataclass
class Cookie:
    """An HTTP cookie, as sent in Set-Cookie or read from Cookie. Go: http.Cookie.

    expires: an aware or naive-UTC datetime, or None. max_age: >0 seconds, <0 "delete now"
    (written as Max-Age=0), 0 unset.
    """

    name: str
    value: str = ""
    quoted: bool = False
    path: str = ""
    domain: str = ""
    expires: _dt.datetime | None = None
    max_age: int = 0
    secure: bool = False
    http_only: bool = False
    same_site: int = SameSite.DEFAULT
    partitioned: bool = False

    def __str__(self) -> str:
        """Return the Set-Cookie value, or "" when the name is invalid. Go: Cookie.String."""
        if not valid_header_field_name(self.name):
            return ""
        value = "".join(c for c in self.value if _valid_value_byte(c))
        if self.quoted or (" " in value or "," in value):
            value = f'"{value}"'
        parts = [f"{self.name}={value}"]
        if self.path:
            parts.append("Path=" + "".join(c for c in self.path if "\x20" <= c < "\x7f" and c != ";"))
        if self.domain and _valid_domain(self.domain):
            parts.append("Domain=" + self.domain.lstrip("."))
        if self.expires is not None and self.expires.year >= 1601:
            exp = self.expires
            if exp.tzinfo is None:
                exp = exp.replace(tzinfo=_dt.timezone.utc)
            parts.append(
                "Expires=" + email.utils.format_datetime(exp.astimezone(_dt.timezone.utc), usegmt=True)
            )
        self._flags(parts)
        return "; ".join(parts)

    def _flags(self, parts: list[str]) -> None:
        if self.max_age > 0:
            parts.append(f"Max-Age={self.max_age}")
        elif self.max_age < 0:
            parts.append("Max-Age=0")
        if self.http_only:
            parts.append("HttpOnly")
        if self.secure:
            parts.append("Secure")
        same_site = _SAME_SITE.get(self.same_site)
        if same_site:
            parts.append("SameSite=" + same_site)
        if self.partitioned:
            parts.append("Partitioned")


_SAME_SITE = {SameSite.NONE: "None", SameSite.LAX: "Lax", SameSite.STRICT: "Strict"}


def _valid_domain(d: str) -> bool:
    d = d.lstrip(".")
    return bool(d) and len(d) <= 255 and all(c.isalnum() or c in "-." for c in d)


def read_cookies(h: Header, name: str = "") -> list[Cookie]:
    """Parse the Cookie header lines into cookies, keeping only `name` when given.

    Go: readCookies.
    """
    out: list[Cookie] = []
    for line in h.values("Cookie"):
        for part in line.split(";"):
            part = part.strip(" \t")
            if not part:
                continue
            k, _, v = part.partition("=")
            k = k.strip(" \t")
            if not valid_header_field_name(k) or (name and k != name):
                continue
            quoted = len(v) > 1 and v[0] == '"' and v[-1] == '"'
            if quoted:
                v = v[1:-1]
            if not all(_valid_value_byte(c) for c in v):
                continue
            out.append(Cookie(k, v, quoted=quoted))
    return out


def set_cookie(w: ResponseWriter, cookie: Cookie) -> None:
    """Add a Set-Cookie header for cookie (nothing when its name is invalid). Go: http.SetCookie."""
    v = str(cookie)
    if v:
        w.header().add("Set-Cookie", v)

# gonet.http._response: the client's Response, the parse of a response off the wire with
# httptools' HttpResponseParser, and the response body reader (Go: net/http/response.go, the
# reader half of transfer.go, transport.go's bodyEOFSignal).
#
# Invariants:
# - One _ResponseState per response: the parser feeds it through callbacks; 1xx interim
#   responses are consumed (100 is remembered for Expect: 100-continue) and only the final
#   response's head and body are kept.
# - Body bytes live in `chunks` (a deque) until read; `complete` says the message ended.
# - A response body releases its connection exactly once: at its end (the connection goes back
#   to the pool if it may be reused) or at close() (reused only when the rest of the message has
#   already arrived; otherwise closed, so close() never waits on the network).
from __future__ import annotations

import datetime as _dt
import email.utils
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httptools

from gonet.errors import ErrBodyReadAfterClose
from gonet.http._cookie import Cookie, SameSite
from gonet.http._header import Header, canonical_header_key, valid_header_field_name
from gonet.http._status import status_text

if TYPE_CHECKING:
    from gonet.http._request import Request

__all__ = ["Response", "read_set_cookies"]


class Response:
    """The response to a client request. Go: http.Response.

    Attributes:
        status: "200 OK" (the code and the reason as the server sent them).
        status_code: 200.
        proto, proto_major, proto_minor: "HTTP/1.1", 1, 1.
        header: the response's header fields (Transfer-Encoding and Trailer moved out).
        body: read(n=-1), readinto(buf), close(); reading to b"" returns the connection to the
            pool. Always close it (or use the Response as a context manager).
        content_length: the body's length, or -1 when unknown (chunked, until EOF, gzip).
        transfer_encoding: ["chunked"] or [].
        close: the server asked to close the connection after this response.
        uncompressed: the body was gzip-compressed on the wire and is decompressed on read.
        trailer: the trailer fields, filled when the body has been read to its end.
        request: the request that was sent for this response (the last one after redirects).
        tls: the gonet.tls.TLSConn of an https connection (its version(), cipher(),
            getpeercert(), selected_alpn_protocol() describe the session), else None.
    """

    __slots__ = (
        "status",
        "status_code",
        "proto",
        "proto_major",
        "proto_minor",
        "header",
        "body",
        "content_length",
        "transfer_encoding",
        "close",
        "uncompressed",
        "trailer",
        "request",
        "tls",
    )

    def __init__(
        self,
        status_code: int = 200,
        header: Header | None = None,
        body: Any = None,
        *,
        status: str = "",
        proto: str = "HTTP/1.1",
        content_length: int = -1,
        request: Request | None = None,
    ) -> None:
        from gonet.http._request import NoBody

        self.status_code = status_code
        self.status = status or f"{status_code} {status_text(status_code)}"
        self.proto = proto
        major, _, minor = proto.removeprefix("HTTP/").partition(".")
        self.proto_major = int(major) if major.isdigit() else 1
        self.proto_minor = int(minor) if minor.isdigit() else 1
        self.header = Header() if header is None else header
        self.body: Any = NoBody if body is None else body
        self.content_length = content_length
        self.transfer_encoding: list[str] = []
        self.close = False
        self.uncompressed = False
        self.trailer = Header()
        self.request = request
        self.tls: Any = None

    def location(self) -> str:
        """Return the Location header, resolved against the request's URL ("" if none).

        Go: Response.Location (which fails with ErrNoLocation; gonet returns "").
        """
        loc = self.header.get("Location")
        if not loc or self.request is None:
            return loc
        from gonet.net.url import parse

        return str(self.request.url.resolve_reference(parse(loc)))

    def cookies(self) -> list[Cookie]:
        """Parse the Set-Cookie header lines; malformed ones are skipped. Go: Response.Cookies."""
        return read_set_cookies(self.header)

    def proto_at_least(self, major: int, minor: int) -> bool:
        """Report whether the response's protocol is at least major.minor. Go: Response.ProtoAtLeast."""
        return (self.proto_major, self.proto_minor) >= (major, minor)

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.body.close()

    def __repr__(self) -> str:
        return f"<Response {self.proto} {self.status}>"


_SAME_SITE_VALUES = {"lax": SameSite.LAX, "strict": SameSite.STRICT, "none": SameSite.NONE}


def _cookie_value(raw: str, allow_quotes: bool) -> tuple[str, bool] | None:
    """Return (value, quoted), or None when a byte is not allowed. Go: parseCookieValue."""
    quoted = allow_quotes and len(raw) > 1 and raw[0] == '"' and raw[-1] == '"'
    if quoted:
        raw = raw[1:-1]
    if any(not ("\x20" <= c < "\x7f") or c in '";\\' for c in raw):
        return None
    return raw, quoted


def _cookie_attr(c: Cookie, attr: str, val: str) -> None:
    """Apply one Set-Cookie attribute to c (unknown attributes are ignored)."""
    if attr == "samesite":
        c.same_site = _SAME_SITE_VALUES.get(val.lower(), SameSite.DEFAULT)
    elif attr == "secure":
        c.secure = True
    elif attr == "httponly":
        c.http_only = True
    elif attr == "partitioned":
        c.partitioned = True
    elif attr == "domain":
        c.domain = val
    elif attr == "path":
        c.path = val
    elif attr == "max-age":
        if val.lstrip("-").isdigit() and not (val[0] == "0" and int(val) != 0):
            secs = int(val)
            c.max_age = secs if secs > 0 else -1
    elif attr == "expires":
        try:
            t = email.utils.parsedate_to_datetime(val.replace("-", " "))
        except (TypeError, ValueError):
            return
        c.expires = (
            t.astimezone(_dt.timezone.utc) if t.tzinfo is not None else t.replace(tzinfo=_dt.timezone.utc)
        )


def read_set_cookies(h: Header) -> list[Cookie]:
    """Parse every Set-Cookie line of h; malformed lines and attributes are skipped.

    Go: readSetCookies.
    """
    out: list[Cookie] = []
    for line in h.values("Set-Cookie"):
        parts = line.strip(" \t").split(";")
        name, eq, raw = parts[0].strip(" \t").partition("=")
        name = name.strip(" \t")
        if not eq or not valid_header_field_name(name):
            continue
        v = _cookie_value(raw, True)
        if v is None:
            continue
        c = Cookie(name, v[0], quoted=v[1])
        for part in parts[1:]:
            attr, _, val = part.strip(" \t").partition("=")
            if not attr or not attr.isascii():
                continue
            av = _cookie_value(val, False)
            if av is not None:
                _cookie_attr(c, attr.lower(), av[0])
        out.append(c)
    return out


class _StopParsing(Exception):
    """Raised from a parser callback to make feed_data return early (HEAD, data after the end)."""


class _ResponseState:
    """The httptools callbacks for one response and what they collected.

    Go: ReadResponse + readTransfer, done incrementally as bytes arrive.
    """

    __slots__ = (
        "parser",
        "head_only",
        "status_code",
        "reason",
        "header",
        "trailer",
        "headers_done",
        "complete",
        "got_100",
        "extra",  # the connection must not be reused (bytes beyond the response, ...)
        "chunked",
        "until_eof",
        "keep_alive",
        "chunks",
        "buffered",
        "received",
        "head",
    )

    def __init__(self, head_only: bool) -> None:
        self.head_only = head_only
        self.status_code = 0
        self.reason = b""
        self.header = Header()
        self.trailer = Header()
        self.headers_done = False
        self.complete = False
        self.got_100 = False
        self.extra = False
        self.chunked = False
        self.until_eof = False
        self.keep_alive = False
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.received = 0
        self.head = bytearray()  # the first bytes, for the "malformed HTTP response" text
        p = httptools.HttpResponseParser(self)
        # Go's client reads what its textproto reader reads: bare LF line endings, and a
        # response with both Transfer-Encoding and Content-Length (chunked wins).
        p.set_dangerous_leniencies(lenient_chunked_length=True, lenient_optional_cr_before_lf=True)
        self.parser = p

    # -- httptools callbacks ---------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.headers_done:
            # A second response on a connection we sent one request on: never reuse it.
            self.extra = True
            raise _StopParsing
        self.reason = b""
        self.header = Header()

    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        key = canonical_header_key(name.decode("latin-1"))
        v = value.decode("latin-1").strip(" \t")
        m = (self.trailer if self.headers_done else self.header)._m
        lst = m.get(key)
        if lst is None:
            m[key] = [v]
        else:
            lst.append(v)

    def on_headers_complete(self) -> None:
        code = self.parser.get_status_code()
        if 100 <= code < 200 and code != 101:
            if code == 100:
                self.got_100 = True
            return
        self.status_code = code
        self.headers_done = True
        te = self.header._m.get("Transfer-Encoding")
        self.chunked = te is not None and te[-1].lower().rsplit(",", 1)[-1].strip() == "chunked"
        if self.chunked and "Content-Length" in self.header._m:
            self.extra = True  # a smuggling attempt, or a confused server: never reuse the conn
        self.until_eof = (
            not self.chunked and "Content-Length" not in self.header._m and code not in (204, 304, 101)
        )
        if self.head_only:
            self.complete = True
            self.keep_alive = self.parser.should_keep_alive()
            raise _StopParsing

    def on_body(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)

    def on_message_complete(self) -> None:
        if self.headers_done:
            self.complete = True
            self.keep_alive = self.parser.should_keep_alive()

    # -- reading ---------------------------------------------------------------------------------

    def take(self, n: int) -> bytes:
        """Remove and return up to n buffered body bytes (all of them when n < 0)."""
        chunks = self.chunks
        if n < 0 or n >= self.buffered:
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            chunks.clear()
            self.buffered = 0
            return data
        first = chunks[0]
        if len(first) > n:
            chunks[0] = first[n:]
            self.buffered -= n
            return first[:n]
        out = bytearray()
        while len(out) < n:
            c = chunks.popleft()
            need = n - len(out)
            if len(c) > need:
                chunks.appendleft(c[need:])
                c = c[:need]
            out += c
        self.buffered -= len(out)
        return bytes(out)


class BodyReader:
    """The body of a client response. Go: body (transfer.go) wrapped in bodyEOFSignal.

    Reads pull bytes from the connection as needed; the end of the message (or close())
    hands the connection back through `release(reusable)` exactly once.
    """

    __slots__ = ("_st", "_fill", "_release", "_closed", "_done", "_map_err")

    def __init__(
        self,
        st: _ResponseState,
        fill: Callable[[], None],
        release: Callable[[bool], None],
        map_err: Callable[[BaseException], BaseException],
    ) -> None:
        self._st = st
        self._fill = fill
        self._release = release
        self._map_err = map_err
        self._closed = False
        self._done = False

    def read(self, n: int = -1) -> bytes:
        """Read up to n bytes (all the rest when n < 0); b"" at the end.

        Raises:
            ErrBodyReadAfterClose: the body was closed.
            ErrUnexpectedEOF: the connection ended inside the body.
            OSError: the connection failed or a deadline/timeout ended the read.
        """
        if self._closed:
            raise ErrBodyReadAfterClose()
        if n == 0 or self._done:
            return b""
        st = self._st
        try:
            if n < 0:
                while not st.complete:
                    self._fill()
            else:
                while st.buffered == 0 and not st.complete:
                    self._fill()
        except BaseException as e:
            self._finish(False)
            raise self._map_err(e) from e
        data = st.take(n)
        if st.complete and st.buffered == 0:
            self._finish(True)
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        """Read into buf; return the count, 0 at the end."""
        data = self.read(len(buf))
        n = len(data)
        buf[:n] = data
        return n

    def close(self) -> None:
        """Release the body: the connection is reused if the whole message has arrived, else closed.

        Go: bodyEOFSignal.Close (an early close discards the connection).
        """
        if self._closed:
            return
        self._closed = True
        if not self._done:
            st = self._st
            st.chunks.clear()
            st.buffered = 0
            self._finish(st.complete)

    def _finish(self, reusable: bool) -> None:
        if not self._done:
            self._done = True
            self._release(reusable)

    def __iter__(self) -> BodyReader:
        return self

    def __next__(self) -> bytes:
        data = self.read(64 * 1024)
        if not data:
            raise StopIteration
        return data

    def __repr__(self) -> str:
        return "<response body done>" if self._done else "<response body>"

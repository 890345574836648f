# gonet.http._request: the Request, server side and client side (Go: net/http/request.go).
#
# One class serves both directions, as in Go: the server fills it from a parsed request head
# (its body reads from the connection), the client builds it with new_request() and writes it.
#
# Invariants:
# - `body` is never None: a request without a body has NoBody, which reads b"".
# - `content_length` is -1 when unknown (chunked or until EOF), else the exact body length.
# - `header` never holds Host: the host is `host` (Go's rule for incoming requests).
# - `context()` is never None: background() until a server or with_context() sets one.
from __future__ import annotations

import base64
import copy
from typing import TYPE_CHECKING, Any

from gonet.errors import ErrNoCookie
from gonet.http._cookie import Cookie, read_cookies
from gonet.http._header import Header, valid_header_field_name
from gonet.net.url import URL, parse, parse_query

if TYPE_CHECKING:
    import ssl

    from gonet.context import Context
    from gonet.http._iface import Body

__all__ = ["Request", "new_request", "NoBody", "BytesBody", "MAX_FORM_SIZE"]

MAX_FORM_SIZE = 10 << 20
"""The most a urlencoded form body parse_form() reads (Go: 10 MB in parsePostForm)."""


class _NoBody:
    """The empty body: reads b"" at once. Go: http.NoBody."""

    __slots__ = ()

    def read(self, n: int = -1) -> bytes:
        """Return b""."""
        return b""

    def readinto(self, buf: bytearray | memoryview) -> int:
        """Return 0."""
        return 0

    def close(self) -> None:
        """Do nothing."""

    def __repr__(self) -> str:
        return "NoBody"


NoBody = _NoBody()


class BytesBody:
    """A body over bytes held in memory (the client's body for bytes and str).

    Go: the io.NopCloser(bytes.NewReader(b)) that NewRequest builds.
    """

    __slots__ = ("_data", "_off")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._data = bytes(data)
        self._off = 0

    def read(self, n: int = -1) -> bytes:
        """Read up to n bytes (all when n < 0); b"" at the end."""
        start = self._off
        end = len(self._data) if n < 0 else min(len(self._data), start + n)
        self._off = end
        return self._data[start:end]

    def readinto(self, buf: bytearray | memoryview) -> int:
        """Read into buf; return the count, 0 at the end."""
        chunk = self.read(len(buf))
        buf[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        """Do nothing: the bytes stay readable for a retry via get_body."""

    def __len__(self) -> int:
        return len(self._data) - self._off


class Request:
    """An HTTP request received by a server or sent by a client. Go: http.Request.

    Attributes:
        method: "GET", "POST", ... (case-sensitive).
        url: the parsed request target (server) or the URL to fetch (client).
        proto, proto_major, proto_minor: "HTTP/1.1", 1, 1.
        header: the request's header fields (without Host).
        body: the body (NoBody when there is none); read(n=-1), readinto(buf), close().
        content_length: the body's length, or -1 when unknown (chunked).
        transfer_encoding: the transfer codings, outermost first (["chunked"] or []).
        close: the connection closes after this request (Connection: close, HTTP/1.0).
        host: the Host header (server) or the host to send (client; url.host when "").
        remote_addr: "ip:port" of the client (server side).
        request_uri: the unmodified request target from the request line (server side).
        tls: the ssl.SSLObject of a TLS connection (server side), else None.
        trailer: trailer fields, filled once the body has been read to its end.
        pattern: the ServeMux pattern that matched ("" if none).
        get_body: a function returning a fresh copy of the body (client redirects), or None.
        response: the redirect response that caused this request (client side), or None.
        form, post_form: parsed form values after parse_form(), else None.
    """

    __slots__ = (
        "method",
        "url",
        "proto",
        "proto_major",
        "proto_minor",
        "header",
        "body",
        "content_length",
        "transfer_encoding",
        "close",
        "host",
        "remote_addr",
        "request_uri",
        "tls",
        "trailer",
        "pattern",
        "get_body",
        "response",
        "form",
        "post_form",
        "_ctx",
        "_path_values",
    )

    def __init__(
        self,
        method: str = "GET",
        url: URL | None = None,
        header: Header | None = None,
        body: Body | None = None,
        *,
        proto: str = "HTTP/1.1",
        proto_major: int = 1,
        proto_minor: int = 1,
        content_length: int = 0,
        host: str = "",
        remote_addr: str = "",
        request_uri: str = "",
        close: bool = False,
        ctx: Context | None = None,
    ) -> None:
        self.method = method
        self.url = URL(path="/") if url is None else url
        self.proto = proto
        self.proto_major = proto_major
        self.proto_minor = proto_minor
        self.header = Header() if header is None else header
        self.body: Body = NoBody if body is None else body
        self.content_length = content_length
        self.transfer_encoding: list[str] = []
        self.close = close
        self.host = host
        self.remote_addr = remote_addr
        self.request_uri = request_uri
        self.tls: ssl.SSLObject | ssl.SSLSocket | None = None
        self.trailer: Header | None = None
        self.pattern = ""
        self.get_body: Any = None
        self.response: Any = None
        self.form: dict[str, list[str]] | None = None
        self.post_form: dict[str, list[str]] | None = None
        self._ctx = ctx
        self._path_values: dict[str, str] | None = None

    # -- context ------------------------------------------------------------------------------

    def context(self) -> Context:
        """Return the request's context (background() if none was set). Go: Request.Context.

        On a server it is cancelled when the client goes away, the handler returns, or the
        server shuts down.
        """
        ctx = self._ctx
        if ctx is None:
            from gonet.context import background

            ctx = background()
        return ctx

    def with_context(self, ctx: Context) -> Request:
        """Return a shallow copy of the request with ctx as its context. Go: Request.WithContext."""
        r = copy.copy(self)
        r._ctx = ctx
        return r

    def clone(self, ctx: Context) -> Request:
        """Return a deep copy (header, URL, path values) with ctx as its context. Go: Request.Clone."""
        r = copy.copy(self)
        r._ctx = ctx
        r.url = self.url.clone()
        r.header = self.header.clone()
        r.transfer_encoding = list(self.transfer_encoding)
        if self.trailer is not None:
            r.trailer = self.trailer.clone()
        if self._path_values is not None:
            r._path_values = dict(self._path_values)
        return r

    # -- routing ------------------------------------------------------------------------------

    def path_value(self, name: str) -> str:
        """Return the value of the ServeMux wildcard `{name}`, or "" if it did not match.

        Go: Request.PathValue.
        """
        pv = self._path_values
        if pv is None:
            return ""
        return pv.get(name, "")

    def set_path_value(self, name: str, value: str) -> None:
        """Set the value path_value(name) returns. Go: Request.SetPathValue."""
        if self._path_values is None:
            self._path_values = {}
        self._path_values[name] = value

    # -- fields -------------------------------------------------------------------------------

    def cookie(self, name: str) -> Cookie:
        """Return the named cookie of the Cookie header. Go: Request.Cookie.

        Raises:
            ErrNoCookie: there is no cookie of that name ("http: named cookie not present").
        """
        found = read_cookies(self.header, name)
        if not found:
            raise ErrNoCookie()
        return found[0]

    def cookies(self) -> list[Cookie]:
        """Return every cookie of the Cookie header. Go: Request.Cookies."""
        return read_cookies(self.header)

    def add_cookie(self, c: Cookie) -> None:
        """Append c to the Cookie header (client side). Go: Request.AddCookie."""
        value = c.value
        pair = f'{c.name}="{value}"' if c.quoted or " " in value or "," in value else f"{c.name}={value}"
        old = self.header.get("Cookie")
        self.header.set("Cookie", f"{old}; {pair}" if old else pair)

    def user_agent(self) -> str:
        """Return the User-Agent header. Go: Request.UserAgent."""
        return self.header.get("User-Agent")

    def referer(self) -> str:
        """Return the Referer header. Go: Request.Referer."""
        return self.header.get("Referer")

    def proto_at_least(self, major: int, minor: int) -> bool:
        """Report whether the request's protocol is at least major.minor. Go: Request.ProtoAtLeast."""
        return (self.proto_major, self.proto_minor) >= (major, minor)

    def basic_auth(self) -> tuple[str, str] | None:
        """Return (user, password) from "Authorization: Basic ...", or None. Go: Request.BasicAuth."""
        auth = self.header.get("Authorization")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "basic" or not token:
            return None
        try:
            raw = base64.b64decode(token, validate=True).decode("utf-8", "surrogateescape")
        except ValueError:
            return None
        user, colon, password = raw.partition(":")
        return (user, password) if colon else None

    def set_basic_auth(self, username: str, password: str) -> None:
        """Set "Authorization: Basic ..." (client side). Go: Request.SetBasicAuth."""
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self.header.set("Authorization", "Basic " + token)

    # -- forms --------------------------------------------------------------------------------

    def parse_form(self) -> None:
        """Fill form (query + urlencoded body) and post_form (body only). Go: Request.ParseForm.

        The body is read only for POST, PUT and PATCH with
        Content-Type application/x-www-form-urlencoded, up to MAX_FORM_SIZE bytes.

        Raises:
            MaxBytesError: the form body is larger than MAX_FORM_SIZE.
            URLParseError: the query or the body has a malformed pair.
        """
        if self.form is not None:
            return
        post: dict[str, list[str]] = {}
        ctype = self.header.get("Content-Type").split(";", 1)[0].strip().lower()
        if self.method in ("POST", "PUT", "PATCH") and ctype == "application/x-www-form-urlencoded":
            from gonet.errors import MaxBytesError

            data = self.body.read(MAX_FORM_SIZE + 1)
            if len(data) > MAX_FORM_SIZE:
                raise MaxBytesError(MAX_FORM_SIZE)
            post = parse_query(data.decode("utf-8", "surrogateescape"))
        form = {k: list(v) for k, v in post.items()}
        for k, vs in parse_query(self.url.raw_query).items():
            form.setdefault(k, []).extend(vs)
        self.post_form = post
        self.form = form

    def form_value(self, key: str) -> str:
        """Return the first value for key from the body form or the query, or "". Go: Request.FormValue."""
        if self.form is None:
            try:
                self.parse_form()
            except ValueError:
                pass
        vs = (self.form or {}).get(key)
        return vs[0] if vs else ""

    def post_form_value(self, key: str) -> str:
        """Return the first value for key from the body form only, or "". Go: Request.PostFormValue."""
        if self.post_form is None:
            try:
                self.parse_form()
            except ValueError:
                pass
        vs = (self.post_form or {}).get(key)
        return vs[0] if vs else ""

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url} {self.proto}>"


_BODY_TYPES = (bytes, bytearray, memoryview, str)


def new_request(
    method: str,
    url: str | URL,
    body: bytes | bytearray | memoryview | str | Body | Any | None = None,
    *,
    ctx: Context | None = None,
) -> Request:
    """Build a client request. Go: http.NewRequestWithContext.

    Args:
        method: "GET", "POST", ... ("" means GET); must be a token.
        url: an absolute URL ("http://host/path?q").
        body: bytes or str (content_length known; get_body lets redirects resend it), or a
            readable object (read(n) -> bytes; sent chunked), or None for no body.
        ctx: the context that bounds the whole exchange (dial, write, headers, body).

    Raises:
        ValueError: an invalid method ('net/http: invalid method "G T"').
        URLParseError: the URL does not parse.
    """
    if method == "":
        method = "GET"
    if not valid_header_field_name(method):
        raise ValueError(f'net/http: invalid method "{method}"')
    u = parse(url) if isinstance(url, str) else url.clone()
    if u.host.endswith(":"):
        u.host = u.host[:-1]
    r = Request(method, u, Header(), host=u.host, ctx=ctx)
    if body is None:
        return r
    if isinstance(body, _BODY_TYPES):
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        r.content_length = len(data)
        if data:
            r.body = BytesBody(data)
            r.get_body = lambda: BytesBody(data)
        else:
            r.get_body = lambda: NoBody
        return r
    if not callable(getattr(body, "read", None)):
        raise TypeError(f"body must be bytes, str or a readable object, not {type(body).__name__}")
    r.body = body if hasattr(body, "readinto") and hasattr(body, "close") else _ReaderBody(body)
    r.content_length = -1
    return r


class _ReaderBody:
    """Adapt any object with read(n) -> bytes to Body (readinto, close)."""

    __slots__ = ("_r",)

    def __init__(self, r: Any) -> None:
        self._r = r

    def read(self, n: int = -1) -> bytes:
        """Read up to n bytes from the wrapped object."""
        return bytes(self._r.read(n))

    def readinto(self, buf: bytearray | memoryview) -> int:
        """Read into buf from the wrapped object."""
        chunk = self.read(len(buf))
        buf[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        """Close the wrapped object if it can be closed."""
        close = getattr(self._r, "close", None)
        if callable(close):
            close()

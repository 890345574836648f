# gonet.http._client: the HTTP client — requests, redirects, the whole-exchange timeout
# (Go: net/http/client.go).
#
# Invariants:
# - Every error leaves do() as a URLError ('Get "http://h/p": <cause>') that is also an
#   instance of its cause's built-in class (TimeoutError, ConnectionRefusedError, ...).
# - Client.timeout bounds the exchange from the first dial to the end of the last body read: it
#   is a context deadline on the request, released when the body ends or is closed.
# - Redirects follow Go: 301/302/303 turn into GET without a body (HEAD stays HEAD), 307/308
#   keep the method and resend the body through get_body; Authorization, Cookie and the other
#   sensitive headers are dropped (for good) once a redirect leaves the first host's domain.
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from gonet.context import with_deadline
from gonet.errors import ErrUseLastResponse, HTTPError, HTTPTimeoutError, URLError, URLParseError, url_error
from gonet.http._header import Header
from gonet.http._request import NoBody, Request, new_request
from gonet.net.url import URL, encode_query, parse
from gonet.runtime import now

if TYPE_CHECKING:
    from gonet.context import Context
    from gonet.http._cookie import Cookie
    from gonet.http._response import Response
    from gonet.http._transport import Transport

__all__ = ["Client", "CookieJar", "default_client", "get", "head", "post", "post_form"]

_SENSITIVE = (
    "Authorization",
    "Www-Authenticate",
    "Cookie",
    "Cookie2",
    "Proxy-Authorization",
    "Proxy-Authenticate",
)
_MAX_BODY_SLURP = 2 << 10  # Go: maxBodySlurpSize, read from a redirect's body so its conn is reused

CheckRedirect = Callable[[Request, list[Request]], Any]


class CookieJar(Protocol):
    """Where a Client keeps cookies between requests. Go: http.CookieJar."""

    def set_cookies(self, u: URL, cookies: list[Cookie]) -> None:
        """Store the cookies a response to u set (it may ignore them, per its policy)."""
        ...

    def cookies(self, u: URL) -> list[Cookie]:
        """Return the cookies to send in a request to u."""
        ...


def _default_check_redirect(req: Request, via: list[Request]) -> None:
    """Stop after 10 redirects. Go: defaultCheckRedirect."""
    if len(via) >= 10:
        raise HTTPError("stopped after 10 redirects")


def _strip_password(u: URL) -> str:
    """Return u as a string with its password replaced by "***". Go: stripPassword."""
    if u.user is None or u.user.password() is None:
        return str(u)
    return str(u).replace(str(u.user) + "@", u.user.username() + ":***@", 1)


def _redirect_behavior(method: str, resp: Response, ireq: Request) -> tuple[str, bool, bool]:
    """Return (method of the next request, follow it, resend the body). Go: redirectBehavior."""
    code = resp.status_code
    if code in (301, 302, 303):
        return (method if method in ("GET", "HEAD") else "GET"), True, False
    if code in (307, 308):
        # The body must be resent, which needs get_body; without it the 307/308 is the answer.
        follow = not (ireq.get_body is None and ireq.body is not NoBody)
        return method, follow, True
    return "", False, False


def _is_domain_or_subdomain(sub: str, parent: str) -> bool:
    """Report whether sub is parent or one of its subdomains. Go: isDomainOrSubdomain."""
    if sub == parent:
        return True
    if ":" in sub or "%" in sub:
        return False  # an IPv6 address has no subdomains
    return sub.endswith(parent) and sub[len(sub) - len(parent) - 1 : len(sub) - len(parent)] == "."


def _referer(last: URL, new: URL, explicit: str) -> str:
    """Return the Referer for a redirect from last to new. Go: refererForURL."""
    if last.scheme == "https" and new.scheme == "http":
        return ""
    if explicit:
        return explicit
    if last.user is not None:
        return str(last).replace(str(last.user) + "@", "", 1)
    return str(last)


class _TimeoutBody:
    """A response body under Client.timeout: ends the timeout at its end or close. Go: cancelTimerBody."""

    __slots__ = ("_body", "_stop", "_did_timeout")

    def __init__(self, body: Any, stop: Callable[[], None], did_timeout: Callable[[], bool]) -> None:
        self._body = body
        self._stop = stop
        self._did_timeout = did_timeout

    def read(self, n: int = -1) -> bytes:
        """Read from the body; a timeout says "(Client.Timeout or context cancellation while reading body)"."""
        try:
            data: bytes = self._body.read(n)
        except BaseException as e:
            self._stop()
            if self._did_timeout():
                raise HTTPTimeoutError(
                    f"{e} (Client.Timeout or context cancellation while reading body)"
                ) from e
            raise
        if not data and n != 0:
            self._stop()
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        """Read into buf; return the count, 0 at the end."""
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Close the body and end the timeout."""
        try:
            self._body.close()
        finally:
            self._stop()

    def __iter__(self) -> _TimeoutBody:
        return self

    def __next__(self) -> bytes:
        data = self.read(64 * 1024)
        if not data:
            raise StopIteration
        return data


class _Hops:
    """What carries over from one redirect to the next. Go: the loop state of Client.do."""

    __slots__ = ("include_body", "strip_sensitive")

    def __init__(self) -> None:
        self.include_body = True
        self.strip_sensitive = False

    def next_request(self, reqs: list[Request], resp: Response, method: str, loc: str) -> Request:
        """Build the request that follows resp's Location.

        Raises:
            URLParseError: the Location does not parse.
        """
        req = reqs[-1]
        ref_url = parse(loc)
        u = req.url.resolve_reference(ref_url)
        ireq = reqs[0]
        host = ""
        if ireq.host and ireq.host != ireq.url.host and not ref_url.is_abs():
            host = ireq.host  # a relative redirect keeps a Host the caller set
        nreq = Request(method, u, Header(), host=host or u.host, ctx=ireq._ctx)
        nreq.response = resp
        if self.include_body and ireq.get_body is not None:
            nreq.body = ireq.get_body()
            nreq.get_body = ireq.get_body
            nreq.content_length = ireq.content_length
        if not self.strip_sensitive and ireq.url.host != u.host:
            self.strip_sensitive = not _is_domain_or_subdomain(
                u.hostname().lower(), ireq.url.hostname().lower()
            )
        for k, vs in ireq.header._m.items():
            if not (self.strip_sensitive and k in _SENSITIVE):
                nreq.header._m[k] = list(vs)
        ref = _referer(req.url, u, ireq.header.get("Referer"))
        if ref:
            nreq.header.set("Referer", ref)
        return nreq


class Client:
    """An HTTP client: redirects, a whole-exchange timeout, a Transport underneath. Go: http.Client.

    Args:
        transport: the Transport (default: default_transport, shared by every Client).
        timeout: seconds the whole exchange may take — dial, request, response head and body
            reads; None: no limit.
        check_redirect: called as check_redirect(req, via) before following a redirect (via:
            the requests made so far, oldest first); raise (or return) an exception to stop with
            that error, ErrUseLastResponse to return the redirect response itself. Default:
            stop after 10 redirects.
        jar: a CookieJar: its cookies for each request's URL are added to the request, and the
            Set-Cookie lines of each response (redirects included) are handed to it. None: no
            cookies are kept.
    """

    def __init__(
        self,
        transport: Transport | None = None,
        timeout: float | None = None,
        check_redirect: CheckRedirect | None = None,
        jar: CookieJar | None = None,
    ) -> None:
        self.transport = transport
        self.timeout = timeout
        self.check_redirect = check_redirect
        self.jar = jar

    def _transport(self) -> Transport:
        if self.transport is not None:
            return self.transport
        from gonet.http._transport import default_transport

        return default_transport

    # -- the helpers ------------------------------------------------------------------------------

    def get(self, url: str, *, ctx: Context | None = None) -> Response:
        """GET url, following redirects. Go: Client.Get.

        Raises:
            URLError: the request failed ('Get "http://h/": ...'); see do().
        """
        return self.do(new_request("GET", url, ctx=ctx))

    def head(self, url: str, *, ctx: Context | None = None) -> Response:
        """HEAD url, following redirects. Go: Client.Head."""
        return self.do(new_request("HEAD", url, ctx=ctx))

    def post(self, url: str, content_type: str, body: Any = None, *, ctx: Context | None = None) -> Response:
        """POST body (bytes, str or a readable object) to url with that Content-Type. Go: Client.Post."""
        req = new_request("POST", url, body, ctx=ctx)
        req.header.set("Content-Type", content_type)
        return self.do(req)

    def post_form(
        self, url: str, data: Mapping[str, str] | Mapping[str, list[str]], *, ctx: Context | None = None
    ) -> Response:
        """POST data URL-encoded (application/x-www-form-urlencoded) to url. Go: Client.PostForm."""
        values = {k: [v] if isinstance(v, str) else list(v) for k, v in data.items()}
        return self.post(url, "application/x-www-form-urlencoded", encode_query(values), ctx=ctx)

    def close_idle_connections(self) -> None:
        """Close the transport's idle connections. Go: Client.CloseIdleConnections."""
        self._transport().close_idle_connections()

    # -- do ---------------------------------------------------------------------------------------

    def do(self, req: Request) -> Response:
        """Send req, follow redirects, and return the final response. Go: Client.Do.

        The caller must close the response's body (or read it to the end), or use the response
        as a context manager.

        Raises:
            URLError: the request failed: 'Get "http://h/": <cause>'. It is also an instance of
                the cause's built-in class: TimeoutError for Client.timeout ('... (Client.Timeout
                exceeded while awaiting headers)'), response_header_timeout and context
                deadlines; ConnectionRefusedError...; 'Get "/r": stopped after 10 redirects'.
        """
        deadline = now() + self.timeout if self.timeout is not None else None
        reqs: list[Request] = []
        hops = _Hops()
        while True:
            reqs.append(req)
            try:
                resp = self._send(req, deadline)
            except Exception as e:
                raise self._uerr(reqs, req, e) from e
            method, follow, hop_body = _redirect_behavior(req.method, resp, reqs[0])
            if not follow:
                return resp
            if not hop_body:
                hops.include_body = False  # once dropped, a body is never resent (Go 1.21)
            loc = resp.header.get("Location")
            if not loc:
                return resp  # Go: a 3xx without Location is the answer
            try:
                nreq = hops.next_request(reqs, resp, method, loc)
            except URLParseError as e:
                resp.body.close()
                raise self._uerr(reqs, req, HTTPError(f"failed to parse Location header {loc!r}: {e}")) from e
            err = self._check_redirect(nreq, reqs)
            if isinstance(err, ErrUseLastResponse):
                return resp
            _drain(resp)
            if err is not None:
                ue = self._uerr(reqs, nreq, err)
                ue.url = loc  # Go: the error names the Location it refused to follow
                raise ue from err
            req = nreq

    def _check_redirect(self, req: Request, via: list[Request]) -> BaseException | None:
        check = self.check_redirect or _default_check_redirect
        try:
            result = check(req, via)
        except Exception as e:  # noqa: BLE001 - the hook reports by raising; do() wraps it
            return e
        return result if isinstance(result, BaseException) else None

    def _uerr(self, reqs: list[Request], req: Request, err: BaseException) -> URLError:
        method = reqs[0].method if reqs else req.method
        method = method or "GET"
        return url_error(method[:1] + method[1:].lower(), _strip_password(req.url), err)

    def _send(self, req: Request, deadline: float | None) -> Response:
        """Send one request through the transport under the client's deadline. Go: Client.send."""
        if req.request_uri:
            raise HTTPError("http: Request.RequestURI can't be set in client requests")
        u = req.url
        jar = self.jar
        cookies = jar.cookies(u) if jar is not None else []
        if cookies or (u.user is not None and not req.header.get("Authorization")):
            ctx = req._ctx
            req = req.clone(req.context())  # the caller's request stays as it was
            req._ctx = ctx  # None stays None: the transport then watches no context
            for c in cookies:
                req.add_cookie(c)
            if u.user is not None and not req.header.get("Authorization"):
                req.set_basic_auth(u.user.username(), u.user.password() or "")
        resp = self._round_trip(req, deadline)
        if jar is not None:
            set_cookies = resp.cookies()
            if set_cookies:
                jar.set_cookies(u, set_cookies)
        return resp

    def _round_trip(self, req: Request, deadline: float | None) -> Response:
        t = self._transport()
        if deadline is None:
            return t.round_trip(req)
        parent = req.context()
        ctx, cancel = with_deadline(parent, deadline)

        def did_timeout() -> bool:
            return ctx.err() is not None and parent.err() is None and now() >= deadline

        try:
            resp = t.round_trip(req.with_context(ctx))
        except BaseException as e:
            cancel()
            if isinstance(e, Exception) and did_timeout():
                raise HTTPTimeoutError(f"{e} (Client.Timeout exceeded while awaiting headers)") from e
            raise
        if resp.body is NoBody:
            cancel()
        else:
            resp.body = _TimeoutBody(resp.body, cancel, did_timeout)
        return resp


def _drain(resp: Response) -> None:
    """Read a little of a redirect's body so a small one frees its conn, then close it."""
    body = resp.body
    if resp.content_length == -1 or resp.content_length <= _MAX_BODY_SLURP:
        got = 0
        try:
            while got < _MAX_BODY_SLURP:
                data = body.read(_MAX_BODY_SLURP - got)
                if not data:
                    break
                got += len(data)
        except Exception:  # noqa: BLE001, S110 - the transport will not reuse a failed conn
            pass
    body.close()


default_client = Client()
"""The Client behind the module-level get/head/post/post_form. Go: http.DefaultClient."""


def get(url: str, *, ctx: Context | None = None) -> Response:
    """GET url with default_client. Go: http.Get."""
    return default_client.get(url, ctx=ctx)


def head(url: str, *, ctx: Context | None = None) -> Response:
    """HEAD url with default_client. Go: http.Head."""
    return default_client.head(url, ctx=ctx)


def post(url: str, content_type: str, body: Any = None, *, ctx: Context | None = None) -> Response:
    """POST body to url with default_client. Go: http.Post."""
    return default_client.post(url, content_type, body, ctx=ctx)


def post_form(
    url: str, data: Mapping[str, str] | Mapping[str, list[str]], *, ctx: Context | None = None
) -> Response:
    """POST data URL-encoded to url with default_client. Go: http.PostForm."""
    return default_client.post_form(url, data, ctx=ctx)

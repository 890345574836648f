# gonet.http.httptest: utilities for HTTP testing (Go: net/http/httptest).
#
# ResponseRecorder records what a handler writes, for unit tests without a network;
# new_request builds a server-side request as the server would; Server runs a real gonet
# http.Server on 127.0.0.1 with an ephemeral port (plain or TLS) for end-to-end tests.
#
# Invariants:
# - A recorder's header() map is the live map until the first write_header/write; `snapshot`
#   freezes a copy at that moment (what a server would have sent), as Go's recorder does.
# - Server.close() stops the listener, closes every connection and waits for serve() to
#   return: no goroutine or fd of the server outlives it.
from __future__ import annotations

import os
import ssl
import tempfile
from typing import TYPE_CHECKING, Any

from gonet.http._header import Header
from gonet.http._request import BytesBody, NoBody, Request
from gonet.http._server import Server as HTTPServer
from gonet.http._sniff import detect_content_type
from gonet.net.url import parse_request_uri

if TYPE_CHECKING:
    from gonet.bufio import Reader
    from gonet.http._iface import Handler
    from gonet.net import Conn, Listener

__all__ = [
    "ResponseRecorder",
    "RecordedResponse",
    "new_recorder",
    "new_request",
    "Server",
    "new_server",
    "new_unstarted_server",
    "new_tls_server",
    "DEFAULT_REMOTE_ADDR",
    "LOCALHOST_CERT",
    "LOCALHOST_KEY",
]

DEFAULT_REMOTE_ADDR = "1.2.3.4"
"""The remote_addr a recorder-style request gets. Go: httptest.DefaultRemoteAddr."""

# A self-signed certificate for 127.0.0.1, ::1, localhost and example.com, valid until 2126
# (Go's httptest uses a fixed certificate too: internal/testcert). Never use it outside tests.
LOCALHOST_CERT = """\
-----BEGIN CERTIFICATE-----
MIIBxzCCAWygAwIBAgIUKBwFBCufm2EZcWpKRRnIWxb02BEwCgYIKoZIzj0EAwIw
GTEXMBUGA1UECgwOZ29uZXQgaHR0cHRlc3QwIBcNMjYxMTI5MjE0MjM4WhgPMjEy
NjExMDUyMTQyMzhaMBkxFzAVBgNVBAoMDmdvbmV0IGh0dHB0ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEiPBtutY8TjFlR2V12w19HrhMm0VQXRvEkrkQrsVk
9jDPM0xj7U0J2pyZFNCQFRFfJTOxzvmGEDydk+6HsdHkuKOBjzCBjDAdBgNVHQ4E
FgQULMIStDmIbrxdTuP/FIUC5rPcHzgwHwYDVR0jBBgwFoAULMIStDmIbrxdTuP/
FIUC5rPcHzgwDwYDVR0TAQH/BAUwAwEB/zA5BgNVHREEMjAwgglsb2NhbGhvc3SC
C2V4YW1wbGUuY29thwR/AAABhxAAAAAAAAAAAAAAAAAAAAABMAoGCCqGSM49BAMC
A0kAMEYCIQDdDIrxMDewxUaIWAxoemboiQaTHvsNYvGl0/Qi529OnAIhAM+7Y3dn
emvAMLwOKatAef24+dSuPBF65z/NgBlfpIe5
-----END CERTIFICATE-----
"""
LOCALHOST_KEY = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpi8NXiCAZfde/0FB
ovTHFBAewtyvC27DVe3NzeKAi4GhRANCAASI8G261jxOMWVHZXXbDX0euEybRVBd
G8SSuRCuxWT2MM8zTGPtTQnanJkU0JAVEV8lM7HO+YYQPJ2T7oex0eS4
-----END PRIVATE KEY-----
"""


class RecordedResponse:
    """The response a recorder saw, shaped like a client Response. Go: ResponseRecorder.Result()."""

    __slots__ = ("status_code", "status", "proto", "header", "body", "content_length", "trailer")

    def __init__(self, status_code: int, header: Header, body: bytes) -> None:
        from gonet.http._status import status_text

        self.status_code = status_code
        self.status = f"{status_code} {status_text(status_code)}".rstrip()
        self.proto = "HTTP/1.1"
        self.header = header
        self.body = BytesBody(body)
        cl = header.get("Content-Length")
        self.content_length = int(cl) if cl.isdigit() else -1
        self.trailer: Header | None = None


class ResponseRecorder:
    """A ResponseWriter that records the response. Go: httptest.ResponseRecorder.

    Attributes:
        code: the status written (200 until write_header or write).
        header_map: the header map the handler fills (header() returns it).
        body: the bytes written.
        flushed: flush() was called.
        wrote_header: write_header (or write) was called.
        snapshot: a copy of header_map taken when the header was written, or None.
    """

    def __init__(self) -> None:
        self.code = 200
        self.header_map = Header()
        self.body = bytearray()
        self.flushed = False
        self.wrote_header = False
        self.snapshot: Header | None = None
        self.closed_after_response = False

    def header(self) -> Header:
        """Return the header map (changes after the header is written are not in snapshot)."""
        return self.header_map

    def write_header(self, code: int) -> None:
        """Record the status code; a second call is ignored.

        Raises:
            ValueError: code is outside 100..999 ("invalid WriteHeader code 42").
        """
        if code < 100 or code > 999:
            raise ValueError(f"invalid WriteHeader code {code}")
        if self.wrote_header:
            return
        self.code = code
        self.wrote_header = True
        self.snapshot = self.header_map.clone()

    def _write_header_for(self, data: bytes) -> None:
        if self.wrote_header:
            return
        m = self.header_map._m
        if "Content-Type" not in m and not self.header_map.get("Transfer-Encoding"):
            self.header_map.set("Content-Type", detect_content_type(data))
        self.write_header(200)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Record body bytes (writing the header first, sniffing Content-Type, if needed)."""
        b = bytes(data)
        self._write_header_for(b)
        self.body += b
        return len(b)

    def write_string(self, s: str) -> int:
        """Record s, UTF-8 encoded."""
        return self.write(s.encode("utf-8", "surrogateescape"))

    def flush(self) -> None:
        """Mark the response flushed (writing the header if needed)."""
        if not self.wrote_header:
            self.write_header(200)
        self.flushed = True

    def hijack(self) -> tuple[Conn, Reader]:
        """Refuse: a recorder has no connection."""
        from gonet.errors import ErrHijacked

        raise ErrHijacked("http: Hijack is not supported by ResponseRecorder")

    def read_from(self, src: Any) -> int:
        """Copy src (a file or any object with read(n)) into the body; return the count."""
        n = 0
        while True:
            chunk = src.read(65536)
            if not chunk:
                return n
            n += self.write(chunk)

    def request_too_large(self) -> None:
        """Record that the server would close the connection after this response."""
        self.closed_after_response = True

    def result(self) -> RecordedResponse:
        """Return the response as a client would see it. Go: ResponseRecorder.Result."""
        h = (self.snapshot if self.snapshot is not None else self.header_map).clone()
        return RecordedResponse(self.code, h, bytes(self.body))


def new_recorder() -> ResponseRecorder:
    """Return a new ResponseRecorder. Go: httptest.NewRecorder."""
    return ResponseRecorder()


def new_request(method: str, target: str, body: bytes | str | Any | None = None) -> Request:
    """Return a server-side request for a handler under test. Go: httptest.NewRequest.

    target is a request target ("/path?q=1") or an absolute URL (its host becomes r.host); the
    host defaults to "example.com", remote_addr to "192.0.2.1:1234", proto to HTTP/1.1.

    Raises:
        ValueError: target does not parse, or method is empty.
    """
    if not method:
        method = "GET"
    u = parse_request_uri(target)
    r = Request(method, u, Header(), proto="HTTP/1.1", request_uri=target)
    r.host = u.host or "example.com"
    r.remote_addr = "192.0.2.1:1234"
    if body is None:
        r.body = NoBody
        r.content_length = 0
    elif isinstance(body, (bytes, bytearray, str)):
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        r.body = BytesBody(data) if data else NoBody
        r.content_length = len(data)
    else:
        r.body = body
        r.content_length = -1
    return r


class Server:
    """A real gonet HTTP server on 127.0.0.1 with an ephemeral port. Go: httptest.Server.

    Attributes:
        url: "http://127.0.0.1:PORT" (or "https://..." for a TLS server).
        listener: the listening socket.
        config: the gonet.http.Server that serves it.
        certificate: the PEM file of the TLS certificate (TLS servers only), else "".
    """

    def __init__(self, handler: Handler | None, *, start: bool = True, tls: bool = False) -> None:
        from gonet import net

        self.listener: Listener = net.listen("tcp", "127.0.0.1:0")
        self.config = HTTPServer(handler=handler)
        self.url = ""
        self.certificate = ""
        self._done: Any = None
        self._closed = False
        self._certdir: tempfile.TemporaryDirectory[str] | None = None
        if start:
            self.start_tls() if tls else self.start()

    def _serve(self, ln: Listener, scheme: str) -> None:
        from gonet import Chan, go
        from gonet.errors import ErrServerClosed

        if self._done is not None:
            raise RuntimeError("httptest: Server already started")
        self.url = f"{scheme}://{self.listener.addr()}"
        done: Chan[BaseException | None] = Chan(1)
        self._done = done
        srv = self.config

        def run() -> None:
            try:
                srv.serve(ln)
            except ErrServerClosed:
                done.send(None)
            except BaseException as e:  # noqa: BLE001 - handed to close()
                done.send(e)
            else:
                done.send(None)

        go(run)

    def start(self) -> None:
        """Start serving plain HTTP (for a server made with new_unstarted_server)."""
        self._serve(self.listener, "http")

    def start_tls(self) -> None:
        """Start serving HTTPS with LOCALHOST_CERT. Go: Server.StartTLS."""
        self._certdir = tempfile.TemporaryDirectory(prefix="gonet-httptest-")
        cert = os.path.join(self._certdir.name, "cert.pem")
        key = os.path.join(self._certdir.name, "key.pem")
        with open(cert, "w") as f:
            f.write(LOCALHOST_CERT)
        with open(key, "w") as f:
            f.write(LOCALHOST_KEY)
        self.certificate = cert
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        self.config.tls_context = ctx
        self._serve(self.listener, "https")

    def client_tls_context(self) -> ssl.SSLContext:
        """Return an ssl.SSLContext that trusts this server's certificate (for clients)."""
        return ssl.create_default_context(cadata=LOCALHOST_CERT)

    def close(self) -> None:
        """Stop the server, close its connections and wait until it has stopped. Go: Server.Close.

        Raises:
            BaseException: whatever serve() raised other than ErrServerClosed.
        """
        if self._closed:
            return
        self._closed = True
        done, self._done = self._done, None
        if done is None:
            self.listener.close()
        else:
            self.config.close()
            err = done.recv()
            if err is not None:
                raise err
        if self._certdir is not None:
            self._certdir.cleanup()
            self._certdir = None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def new_server(handler: Handler | None) -> Server:
    """Start and return a Server serving handler over HTTP. Go: httptest.NewServer."""
    return Server(handler)


def new_unstarted_server(handler: Handler | None) -> Server:
    """Return a Server that listens but serves only after start()/start_tls(). Go: NewUnstartedServer."""
    return Server(handler, start=False)


def new_tls_server(handler: Handler | None) -> Server:
    """Start and return a Server serving handler over HTTPS (LOCALHOST_CERT). Go: httptest.NewTLSServer."""
    return Server(handler, tls=True)

"""gonet.ssl: stdlib SSLContext/SSLSocket over gonet.socket (handshake, ALPN, SNI, timeouts)."""

from __future__ import annotations

import ssl as std
from pathlib import Path

import pytest
from helpers import make_cert, spawn

import gonet
from gonet import socket as gs
from gonet import ssl as gssl


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    return make_cert(tmp_path_factory.mktemp("gssl"))


def _server(cert, handler, alpn=("h2", "http/1.1")):
    ctx = gssl.SSLContext(std.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    ctx.set_alpn_protocols(list(alpn))
    seen: dict = {}

    def sni(sslobj, name, _ctx) -> None:
        seen["sni"] = name

    ctx.sni_callback = sni
    srv = gs.create_server(("127.0.0.1", 0))

    def run():
        c, _ = srv.accept()
        try:
            with ctx.wrap_socket(c, server_side=True) as t:
                seen["alpn"] = t.selected_alpn_protocol()
                return handler(t)
        finally:
            srv.close()

    return srv.getsockname()[1], spawn(run), seen


def test_handshake_alpn_sni_echo_and_peer_cert(cert):
    def echo(t):
        while data := t.recv(1000):
            t.sendall(data[::-1])

    port, fut, seen = _server(cert, echo)
    ctx = gssl.create_default_context(cafile=str(cert[0]))
    assert type(ctx) is gssl.SSLContext
    ctx.set_alpn_protocols(["http/1.1"])
    with (
        gs.create_connection(("127.0.0.1", port)) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as t,
    ):
        assert type(t) is gssl.SSLSocket
        assert t.selected_alpn_protocol() == "http/1.1"
        assert t.getpeercert()["subject"] == ((("commonName", "localhost"),),)
        t.sendall(b"abc")
        assert t.recv(10) == b"cba"
    fut.result()
    assert seen == {"sni": "localhost", "alpn": "http/1.1"}


def test_read_timeout_message_and_large_transfer(cert):
    blob = bytes(range(256)) * 4096  # 1 MiB

    def serve(t):
        gonet.sleep(0.1)
        t.sendall(blob)
        return t.recv(1)

    port, fut, _ = _server(cert, serve)
    ctx = gssl.create_default_context(cafile=str(cert[0]))
    with (
        gs.create_connection(("127.0.0.1", port)) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as t,
    ):
        t.settimeout(0.02)
        with pytest.raises(TimeoutError, match="^The read operation timed out$"):
            t.recv(1)
        t.settimeout(None)
        got = bytearray()
        while len(got) < len(blob):
            got += t.recv(65536)
        assert bytes(got) == blob
        t.sendall(b"!")
    assert fut.result() == b"!"


def test_unwrap_returns_the_plain_socket(cert):
    def serve(t):
        assert t.recv(5) == b"hello"
        plain = t.unwrap()
        return plain.recv(5)

    port, fut, _ = _server(cert, serve)
    ctx = gssl.create_default_context(cafile=str(cert[0]))
    with gs.create_connection(("127.0.0.1", port)) as raw:
        t = ctx.wrap_socket(raw, server_hostname="localhost")
        t.sendall(b"hello")
        plain = t.unwrap()
        assert type(plain) is gssl.SSLSocket or isinstance(plain, gs.socket)
        plain.sendall(b"clear")
        plain.close()
    assert fut.result() == b"clear"


def test_bad_certificate_fails_with_the_stdlib_error(cert):
    port, fut, _ = _server(cert, lambda t: None)
    ctx = gssl.create_default_context()  # system CAs: the self-signed cert is untrusted
    with (
        gs.create_connection(("127.0.0.1", port)) as raw,
        pytest.raises(std.SSLCertVerificationError, match="certificate verify failed"),
    ):
        ctx.wrap_socket(raw, server_hostname="localhost")
    with pytest.raises(std.SSLError):
        fut.result()


def test_context_properties_work(cert):
    ctx = gssl.create_default_context()
    ctx.verify_mode = std.CERT_REQUIRED
    ctx.minimum_version = std.TLSVersion.TLSv1_2
    ctx.options |= std.OP_NO_COMPRESSION
    assert ctx.verify_mode == std.CERT_REQUIRED
    assert ctx.minimum_version == std.TLSVersion.TLSv1_2
    assert ctx.options & std.OP_NO_COMPRESSION


def test_a_tls_send_yields_to_runnable_goroutines(cert):
    port, fut, _ = _server(cert, lambda t: t.recv(4))
    ctx = gssl.create_default_context(cafile=str(cert[0]))
    with (
        gs.create_connection(("127.0.0.1", port)) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as t,
    ):
        events: list[str] = []
        gonet.go(events.append, "sibling")
        t.sendall(b"ping")
        events.append("sender")
        assert fut.result() == b"ping"
    assert events == ["sibling", "sender"]

"""gonet.tls over gonet conns, against Python's own blocking ssl module as the peer."""

from __future__ import annotations

import os
import socket
import ssl
import threading
from pathlib import Path

import pytest
from helpers import make_cert, spawn, tcp_pair

import gonet
from gonet import net, tls


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1, made for this test run."""
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server_ctx(cert) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    return ctx


@pytest.fixture
def client_ctx(cert) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert[0]))


class SslPeer:
    """Python's blocking ssl module on a thread: accepts one TLS connection and runs handler."""

    def __init__(self, ctx: ssl.SSLContext, handler) -> None:
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen()
        self.port = self.ls.getsockname()[1]
        self.events: list = []
        self.thread = threading.Thread(target=self._run, args=(ctx, handler), name="ssl-peer")
        self.thread.start()

    def _run(self, ctx, handler) -> None:
        try:
            s, _ = self.ls.accept()
            s.settimeout(20)
            with ctx.wrap_socket(s, server_side=True) as t:
                handler(t, self.events)
        except Exception as e:  # noqa: BLE001 - reported to the test through events
            self.events.append(e)
        finally:
            self.ls.close()

    def join(self) -> list:
        self.thread.join(20)
        assert not self.thread.is_alive()
        return self.events


def echo_until_eof(t: ssl.SSLSocket, events: list) -> None:
    total = 0
    while True:
        d = t.recv(65536)
        if not d:
            events.append(("eof", total))  # a clean close_notify
            return
        total += len(d)
        t.sendall(d)


def read_exactly(conn, n: int) -> bytes:
    out = bytearray()
    buf = bytearray(65536)
    while len(out) < n:
        k = conn.read(buf)
        assert k, "unexpected EOF"
        out += buf[:k]
    return bytes(out)


def test_client_against_python_ssl_server(server_ctx, client_ctx) -> None:
    peer = SslPeer(server_ctx, echo_until_eof)
    c = tls.client(net.dial("tcp", f"127.0.0.1:{peer.port}"), server_hostname="localhost", context=client_ctx)
    payload = os.urandom(1 << 20)
    try:
        c.handshake()
        assert c.version() in ("TLSv1.2", "TLSv1.3")
        assert c.getpeercert()["subject"] == ((("commonName", "localhost"),),)
        w = spawn(c.write, payload)  # write and read at once: the echo needs both
        assert read_exactly(c, len(payload)) == payload
        assert w.result() == len(payload)
        assert c.remote_addr() == net.TCPAddr("127.0.0.1", peer.port)
    finally:
        c.close()
    assert peer.join() == [("eof", len(payload))]  # close() sent close_notify


def test_server_against_python_ssl_client(server_ctx, client_ctx) -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    seen: list = []

    def client_thread() -> None:
        try:
            with (
                socket.create_connection(("127.0.0.1", ln.addr().port), timeout=20) as s,
                client_ctx.wrap_socket(s, server_hostname="localhost") as t,
            ):
                t.sendall(b"ping")
                seen.append(t.recv(100))
                seen.append(t.recv(100))  # b"" after the server's close_notify
        except Exception as e:  # noqa: BLE001 - reported to the test
            seen.append(e)

    th = threading.Thread(target=client_thread, name="ssl-client")
    th.start()
    try:
        with tls.server(ln.accept(), server_ctx) as s:
            assert s.recv(100) == b"ping"
            s.write(b"PONG")
    finally:
        ln.close()
    th.join(20)
    assert seen == [b"PONG", b""]


def test_both_ends_gonet_over_a_pipe(server_ctx, client_ctx) -> None:
    a, b = net.pipe()
    srv = tls.server(a, server_ctx)
    cli = tls.client(b, server_hostname="localhost", context=client_ctx)

    def serve() -> None:
        with srv:
            while True:
                data = srv.recv(1000)
                if not data:
                    return
                srv.write(data.upper())

    fut = spawn(serve)
    w = spawn(cli.write, b"hello over a pipe")
    assert read_exactly(cli, 17) == b"HELLO OVER A PIPE"
    w.result()
    cli.close_write()
    assert cli.recv(10) == b""  # the server closed after our close_notify
    fut.result()
    cli.close()


def test_full_duplex_bulk_both_ways(server_ctx, client_ctx) -> None:
    up, down = os.urandom(3 << 20), os.urandom(2 << 20)
    with tcp_pair() as (c, s):
        cli = tls.client(c, "localhost", client_ctx)
        srv = tls.server(s, server_ctx)
        sw = spawn(srv.write, down)
        cw = spawn(cli.write, up)
        got_up = spawn(read_exactly, srv, len(up))
        assert read_exactly(cli, len(down)) == down
        assert got_up.result() == up
        assert sw.result() == len(down)
        assert cw.result() == len(up)


def test_handshake_honours_deadline(client_ctx) -> None:
    with tcp_pair() as (c, s):  # s never answers the ClientHello
        t = tls.client(c, "localhost", client_ctx)
        t.set_deadline(gonet.now() + 0.1)
        with pytest.raises(TimeoutError) as ei:
            t.handshake()
        assert isinstance(ei.value, net.OpError)
        assert "i/o timeout" in str(ei.value)
        t.set_deadline(None)
        with pytest.raises(TimeoutError):
            t.write(b"x")  # a failed handshake stays failed


def test_untrusted_certificate_is_rejected_and_server_sees_alert(server_ctx) -> None:
    with tcp_pair() as (c, s):
        srv = tls.server(s, server_ctx)
        fut = spawn(srv.handshake)
        cli = tls.client(c, "localhost", ssl.create_default_context())  # system CAs only
        with pytest.raises(ssl.SSLCertVerificationError):
            cli.handshake()
        assert isinstance(fut.exception(), ssl.SSLError)


def test_hostname_mismatch_is_rejected(server_ctx, client_ctx) -> None:
    with tcp_pair() as (c, s):
        fut = spawn(tls.server(s, server_ctx).handshake)
        with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
            tls.client(c, "example.com", client_ctx).handshake()
        fut.exception()


def test_close_write_half_closes(server_ctx, client_ctx) -> None:
    def handler(t: ssl.SSLSocket, events: list) -> None:
        got = b""
        while True:
            d = t.recv(100)
            if not d:
                break
            got += d
        events.append(got)
        t.sendall(b"bye")
        t.unwrap()

    peer = SslPeer(server_ctx, handler)
    with tls.client(net.dial("tcp", f"127.0.0.1:{peer.port}"), "localhost", client_ctx) as c:
        with pytest.raises(ssl.SSLError, match="before handshake complete"):
            c.close_write()
        c.write(b"request")
        c.close_write()
        with pytest.raises(ssl.SSLError):
            c.write(b"more")  # writing after close_notify fails
        assert read_exactly(c, 3) == b"bye"
        assert c.recv(10) == b""
    assert peer.join() == [b"request"]


def test_read_deadline_then_data(server_ctx, client_ctx) -> None:
    with tcp_pair() as (c, s):
        cli = tls.client(c, "localhost", client_ctx)
        srv = tls.server(s, server_ctx)
        fut = spawn(srv.handshake)
        cli.handshake()
        fut.result()
        cli.set_read_deadline(gonet.now() + 0.05)
        with pytest.raises(TimeoutError):
            cli.recv(10)
        cli.set_read_deadline(None)
        srv.write(b"late data")
        assert cli.recv(100) == b"late data"


def test_close_semantics(server_ctx, client_ctx) -> None:
    with tcp_pair() as (c, s):
        cli = tls.client(c, "localhost", client_ctx)
        srv = tls.server(s, server_ctx)
        fut = spawn(srv.handshake)
        cli.handshake()
        fut.result()
        cli.close()
        assert cli.closed
        assert srv.recv(10) == b""  # close_notify arrived
        with pytest.raises(net.ErrClosed) as ei:
            cli.close()
        assert "use of closed network connection" in str(ei.value)
        with pytest.raises(net.ErrClosed):
            cli.read(bytearray(10))
        with pytest.raises(net.ErrClosed):
            cli.write(b"x")
        srv.close()


def test_alpn_and_state(server_ctx, client_ctx) -> None:
    server_ctx.set_alpn_protocols(["h2", "http/1.1"])
    client_ctx.set_alpn_protocols(["http/1.1"])
    with tcp_pair() as (c, s):
        cli = tls.client(c, "localhost", client_ctx)
        srv = tls.server(s, server_ctx)
        assert cli.version() is None
        assert cli.server_hostname == "localhost"
        fut = spawn(srv.handshake)
        cli.handshake()
        fut.result()
        assert cli.selected_alpn_protocol() == "http/1.1" == srv.selected_alpn_protocol()
        assert cli.cipher() is not None
        assert cli.net_conn() is c
        assert cli.local_addr() == c.local_addr()


def test_bad_arguments(client_ctx) -> None:
    a, b = net.pipe()
    with a, b:
        with pytest.raises(ValueError, match="server_hostname"):
            tls.client(a)  # the default context checks host names
        with pytest.raises(TypeError, match="must be an ssl.SSLContext"):
            tls.server(a, context="cert.pem")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            tls.client(a, "localhost", client_ctx).recv("10")  # type: ignore[arg-type]


def test_makefile_over_tls_over_a_pipe_reads_lines(server_ctx, client_ctx) -> None:
    # A TLS conn and a pipe conn have makefile() as a socket conn does; neither has a descriptor.
    import io as stdio

    a, b = net.pipe()
    srv = tls.server(a, server_ctx)
    cli = tls.client(b, server_hostname="localhost", context=client_ctx)

    def serve() -> None:
        with srv, srv.makefile("rwb") as f:
            for line in f:
                f.write(line.upper())
                f.flush()

    fut = spawn(serve)
    with cli.makefile("rw", encoding="utf-8", newline="") as f:
        # Written from another goroutine: a pipe is synchronous, and the TLS 1.3 server sends
        # its session tickets while the client writes (as in test_both_ends_gonet_over_a_pipe).
        w = spawn(lambda: (f.write("first line\r\nsecond\n"), f.flush()))
        assert f.readline() == "FIRST LINE\r\n"
        assert f.readline() == "SECOND\n"
        raw = cli.makefile("rb", 0)
        assert raw.name == -1
        with pytest.raises(stdio.UnsupportedOperation, match="TLSConn has no file descriptor"):
            raw.fileno()
        w.result()
    cli.close_write()
    assert cli.recv(10) == b""  # a pipe is synchronous: read the server's close_notify
    fut.result()
    cli.close()

"""net's public signatures are precise enough for a type checker: listen("tcp") gives a
TCPListener whose accept() is a TCPConn, addresses are TCPAddr/UDPAddr/UnixAddr, not Any.
Conn, PacketConn, Listener and Addr are interfaces (Protocols) that every implementation
satisfies, at run time (isinstance) and for mypy. Type checks run mypy on snippets (in a
subprocess, off the test's goroutine)."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import gonet
from gonet import net, tls

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def unix_dir() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="gonet-iface-") as d:
        yield d


def test_every_conn_is_a_conn(unix_dir: str) -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    c = net.dial("tcp", str(ln.addr()))
    s = ln.accept()
    uln = net.listen("unix", os.path.join(unix_dir, "s"))
    uc = net.dial("unix", str(uln.addr()))
    us = uln.accept()
    a, b = net.pipe()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    t = tls.client(a, context=ctx)  # no handshake until first use: the type is what is tested
    udp = net.listen_packet("udp", "127.0.0.1:0")
    try:
        for conn in (c, s, uc, us, a, b, t):
            assert isinstance(conn, net.Conn), conn
            assert not isinstance(conn, net.Listener), conn
        for listener in (ln, uln):
            assert isinstance(listener, net.Listener), listener
            assert not isinstance(listener, net.Conn), listener
        # Stream-only conns have no datagram methods: they are not PacketConns.
        for conn in (c, s, a, t):
            assert not isinstance(conn, net.PacketConn), conn
            assert not hasattr(conn, "read_from"), conn
            assert not hasattr(conn, "write_to"), conn
        # As in Go, UDPConn is both a Conn (dialled use) and a PacketConn, and UnixConn keeps
        # both method sets whatever its socket type.
        for conn in (udp, uc, us):
            assert isinstance(conn, net.PacketConn), conn
        assert isinstance(udp, net.Conn)
        # On a stream UnixConn the datagram methods behave as Go's: read_from is a read whose
        # sender is unknown, write_to is refused on the connected socket.
        uc.write(b"hi")
        assert us.read_from(bytearray(8)) == (2, None)
        with pytest.raises(net.ErrWriteToConnected):
            uc.write_to(b"x", uln.addr())
    finally:
        for x in (c, s, uc, us, a, b, udp, ln, uln):
            x.close()


def test_every_addr_is_an_addr(unix_dir: str) -> None:
    a, b = net.pipe()
    try:
        addrs = [
            net.TCPAddr("127.0.0.1", 80),
            net.UDPAddr("::1", 53),
            net.UnixAddr("/tmp/s"),
            net.UnixAddr("@x", "unixgram"),
            a.local_addr(),
            net.resolve_tcp_addr("tcp", "127.0.0.1:1"),
        ]
        for addr in addrs:
            assert isinstance(addr, net.Addr), addr
            assert isinstance(addr.network(), str)
            assert str(addr)
        assert not isinstance("127.0.0.1:80", net.Addr)
        assert not isinstance(("127.0.0.1", 80), net.Addr)
    finally:
        a.close()
        b.close()


def test_the_interfaces_are_go_s_methods() -> None:
    def methods(proto: type) -> set[str]:
        return {m for m in vars(proto) if not m.startswith("_") and callable(getattr(proto, m))}

    assert methods(net.Conn) == {
        "read",
        "write",
        "close",
        "local_addr",
        "remote_addr",
        "set_deadline",
        "set_read_deadline",
        "set_write_deadline",
    }
    assert methods(net.PacketConn) == {
        "read_from",
        "write_to",
        "close",
        "local_addr",
        "set_deadline",
        "set_read_deadline",
        "set_write_deadline",
    }
    assert methods(net.Listener) == {"accept", "close", "addr"}
    assert methods(net.Addr) == {"network"}


def mypy(tmp: Path, snippet: str) -> subprocess.CompletedProcess[str]:
    """Type-check snippet with the project's mypy settings; return the finished process."""
    path = tmp / "snippet.py"
    path.write_text(textwrap.dedent(snippet))
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        "--no-error-summary",
        "--hide-error-context",
        "--no-pretty",
        str(path),
    ]
    return gonet.run_in_thread(subprocess.run, cmd, capture_output=True, text=True, timeout=50, cwd=str(ROOT))


def test_net_types_are_narrow(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is not installed")
    r = mypy(
        tmp_path,
        """
        from typing_extensions import assert_type
        from gonet import context, net

        ln = net.listen("tcp", "127.0.0.1:0")
        assert_type(ln, net.TCPListener)
        assert_type(ln.addr(), net.TCPAddr)
        conn = ln.accept()
        assert_type(conn, net.TCPConn)
        conn.set_keep_alive(True)
        conn.set_keep_alive_period(30.0)
        assert_type(conn.remote_addr(), net.TCPAddr | None)
        for c in ln:
            assert_type(c, net.TCPConn)

        assert_type(net.dial("tcp", "example.com:80"), net.TCPConn)
        assert_type(net.dial("tcp6", "[::1]:80", timeout=1.0), net.TCPConn)
        assert_type(net.Dialer(timeout=1.0).dial("tcp4", "127.0.0.1:80"), net.TCPConn)
        assert_type(net.dial("udp", "127.0.0.1:53"), net.UDPConn)
        assert_type(net.dial("unix", "/tmp/s"), net.UnixConn)
        ctx, cancel = context.with_timeout(context.background(), 5.0)
        assert_type(net.Dialer().dial("tcp", "127.0.0.1:80", ctx), net.TCPConn)

        pc = net.listen_packet("udp", ":0")
        assert_type(pc, net.UDPConn)
        n, peer = pc.read_from(bytearray(512))
        assert_type(peer, net.UDPAddr)
        assert_type(pc.local_addr(), net.UDPAddr | None)

        un = net.listen("unix", "/tmp/s")
        assert_type(un, net.UnixListener)
        assert_type(un.accept(), net.UnixConn)
        assert_type(un.addr(), net.UnixAddr)

        import io
        from gonet.net._makefile import ConnIO
        assert_type(conn.makefile("rb"), io.BufferedReader)
        assert_type(conn.makefile("wb"), io.BufferedWriter)
        assert_type(conn.makefile("rwb"), io.BufferedRWPair)
        assert_type(conn.makefile("rb", 0), ConnIO)
        assert_type(conn.makefile(), io.TextIOWrapper)
        assert_type(conn.makefile("w", encoding="utf-8"), io.TextIOWrapper)
        def fake_gai(host: str | None, port: str | int | None, family: int = 0, type: int = 0, /) -> list[net.AddrInfo]:
            return []
        net.Resolver(getaddrinfo=fake_gai)

        network: str = "tcp"
        assert_type(net.listen(network, ":0"), net.Listener)
        assert_type(net.listen(network, ":0").accept(), net.Conn)
    """,
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stdout
    assert r.stdout == ""


def test_common_mistakes_are_type_errors(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is not installed")
    r = mypy(
        tmp_path,
        """
        from gonet import net

        conn = net.dial("tcp", "127.0.0.1:80")
        conn.read(100)
        conn.set_read_deadline("5")
        net.dial("tcp", "127.0.0.1:80", ctx=5.0)
    """,
    )
    assert r.returncode == 1
    lines = [ln for ln in r.stdout.splitlines() if ": error: " in ln]  # notes follow overloads
    where = str(tmp_path / "snippet.py")
    assert [ln.split(": ")[0:2] for ln in lines] == [[f"{where}:{n}", "error"] for n in (5, 6, 7)]
    assert '"read" of "SocketConn" has incompatible type "int"' in lines[0]
    assert '"set_read_deadline" of "SocketConn" has incompatible type "str"' in lines[1]
    assert 'No overload variant of "dial" matches argument types "str", "str", "float"' in lines[2]


def test_implementations_satisfy_the_interfaces(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is not installed")
    r = mypy(
        tmp_path,
        """
        import ssl
        from gonet import net, tls

        def use_conn(c: net.Conn) -> net.Addr | None:
            with c:
                return c.remote_addr()

        def use_packet_conn(pc: net.PacketConn) -> net.Addr | None:
            return pc.read_from(bytearray(64))[1]

        def use_listener(ln: net.Listener) -> net.Addr:
            for c in ln:
                use_conn(c)
            return ln.addr()

        def use_addr(a: net.Addr) -> str:
            return a.network() + " " + str(a)

        a, b = net.pipe()
        use_conn(a)
        use_conn(tls.client(a, "example.com"))
        use_conn(tls.server(b, ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)))
        use_conn(tls.client(tls.server(b, ssl.SSLContext()), "x"))
        use_conn(net.dial("tcp", "127.0.0.1:80"))
        use_conn(net.dial("udp", "127.0.0.1:53"))
        use_conn(net.dial("unix", "/tmp/s"))
        use_conn(net.listen("tcp", ":0").accept())
        use_packet_conn(net.listen_packet("udp", ":0"))
        use_packet_conn(net.listen_packet("unixgram", "/tmp/g"))
        use_packet_conn(net.dial("unix", "/tmp/s"))
        use_listener(net.listen("tcp", ":0"))
        use_listener(net.listen("unix", "/tmp/s"))
        use_addr(net.TCPAddr("127.0.0.1", 80))
        use_addr(net.UDPAddr("127.0.0.1", 53))
        use_addr(net.UnixAddr("/tmp/s"))
        use_addr(a.local_addr())
        net.listen_packet("udp", ":0").write_to(b"x", net.UDPAddr("127.0.0.1", 9))
    """,
    )
    assert (r.returncode, r.stderr) == (0, ""), r.stdout
    assert r.stdout == ""


def test_stream_types_are_not_packet_conns(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is not installed")
    r = mypy(
        tmp_path,
        """
        from gonet import net

        def use_packet_conn(pc: net.PacketConn) -> None: ...
        def use_conn(c: net.Conn) -> None: ...

        use_packet_conn(net.dial("tcp", "127.0.0.1:80"))
        use_packet_conn(net.pipe()[0])
        use_conn(net.listen("tcp", ":0"))
        use_conn(net.TCPAddr("127.0.0.1", 80))
    """,
    )
    assert r.returncode == 1
    lines = [ln for ln in r.stdout.splitlines() if ": error: " in ln]
    where = str(tmp_path / "snippet.py")
    assert [ln.split(": ")[0] for ln in lines] == [f"{where}:{n}" for n in (7, 8, 9, 10)], r.stdout
    assert all("incompatible type" in ln for ln in lines), r.stdout

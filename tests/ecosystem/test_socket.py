"""gonet.socket: the stdlib socket surface, parking goroutines, and stdlib behaviour in threads."""

from __future__ import annotations

import errno
import socket as std
import threading

import pytest
from helpers import spawn

import gonet
from gonet import socket as gs
from gonet.runtime import go


def _ticker(n: int, period: float = 0.01) -> list[int]:
    ticks = [0]

    def tick() -> None:
        for _ in range(n):
            gonet.sleep(period)
            ticks[0] += 1

    go(tick)
    return ticks


def test_is_a_stdlib_socket_and_reexports_the_module_surface():
    with gs.socket() as s:
        assert isinstance(s, std.socket)
        assert repr(s).startswith("<gonet.socket.socket fd=")
    assert gs.AF_INET == std.AF_INET
    assert gs.timeout is TimeoutError
    assert gs.gaierror is std.gaierror


def test_echo_in_goroutines_while_a_sibling_ticks():
    srv = gs.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def serve() -> None:
        c, _ = srv.accept()
        with c:
            gonet.sleep(0.1)  # the client's recv must park meanwhile
            while data := c.recv(100):
                c.sendall(data.upper())

    server = spawn(serve)
    ticks = _ticker(5)
    with gs.create_connection(("127.0.0.1", port)) as c:
        c.sendall(b"hello")
        assert c.recv(100) == b"HELLO"
        assert ticks[0] >= 5  # the ticker ran while recv waited 0.1 s
    server.result()
    srv.close()


def test_timeout_raises_stdlib_timeout_in_goroutine_and_thread():
    a, b = gs.socketpair()
    with a, b:
        b.settimeout(0.05)
        with pytest.raises(TimeoutError, match="^timed out$"):
            b.recv(1)
        errs: list[BaseException] = []

        def in_thread() -> None:
            try:
                b.recv(1)
            except BaseException as e:  # noqa: BLE001 - handed to the test
                errs.append(e)

        t = threading.Thread(target=in_thread)
        t.start()
        t.join(5)
        assert type(errs[0]) is TimeoutError
        assert str(errs[0]) == "timed out"
        a.sendall(b"x")
        assert b.recv(1) == b"x"


def test_non_blocking_mode_raises_blocking_io_error():
    a, b = gs.socketpair()
    with a, b:
        b.setblocking(False)
        assert b.gettimeout() == 0.0
        assert not b.getblocking()
        with pytest.raises(BlockingIOError, match="Resource temporarily unavailable"):
            b.recv(1)


def test_settimeout_validates_like_the_stdlib():
    with gs.socket() as s:
        with pytest.raises(ValueError, match="Timeout value out of range"):
            s.settimeout(-1)
        with pytest.raises(TypeError, match="cannot be interpreted as an integer"):
            s.settimeout("1")
        s.settimeout(2)
        assert s.gettimeout() == 2.0
        assert s.timeout == 2.0
        s.setblocking(True)
        assert s.gettimeout() is None


def test_connect_refused_and_connect_ex():
    probe = std.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with gs.socket() as s, pytest.raises(ConnectionRefusedError, match="Connection refused"):
        s.connect(("127.0.0.1", port))
    with gs.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED


def test_connect_resolves_names_on_the_pool():
    srv = gs.create_server(("127.0.0.1", 0))
    with srv, gs.socket() as c:
        c.connect(("localhost", srv.getsockname()[1]))
        peer, _ = srv.accept()
        with peer:
            assert c.getpeername() == peer.getsockname()


def test_close_from_another_goroutine_wakes_the_reader_with_ebadf():
    a, b = gs.socketpair()
    with a:
        reader = spawn(b.recv, 10)
        gonet.sleep(0.05)
        b.close()
        with pytest.raises(OSError, match="Bad file descriptor") as ei:
            reader.result()
        assert ei.value.errno == errno.EBADF


@pytest.mark.parametrize("timeout", [None, 10.0])
def test_sendall_large_with_a_slow_reader_and_recv_into(timeout: float | None):
    # 2 MiB: the first send is short, so a timed sendall goes on from where it stopped.
    a, b = gs.socketpair()
    a.settimeout(timeout)
    b.settimeout(timeout)
    payload = bytes(range(256)) * 8192

    def read_all() -> bytes:
        buf = bytearray(65536)
        out = bytearray()
        while len(out) < len(payload):
            n = b.recv_into(buf)
            out += buf[:n]
        return bytes(out)

    with a, b:
        r = spawn(read_all)
        a.sendall(payload)
        assert r.result() == payload


def test_makefile_reads_lines():
    a, b = gs.socketpair()
    with a, b:
        f = b.makefile("rb")
        w = spawn(lambda: (gonet.sleep(0.02), a.sendall(b"one\ntwo\n")))
        assert f.readline() == b"one\n"
        assert f.readline() == b"two\n"
        w.result()
        f.close()


def test_udp_sendto_recvfrom():
    with gs.socket(gs.AF_INET, gs.SOCK_DGRAM) as r, gs.socket(gs.AF_INET, gs.SOCK_DGRAM) as w:
        r.bind(("127.0.0.1", 0))
        got = spawn(r.recvfrom, 100)
        gonet.sleep(0.01)
        w.sendto(b"dgram", r.getsockname())
        data, addr = got.result()
        assert data == b"dgram"
        assert addr[1] == w.getsockname()[1]


def test_detach_keeps_the_descriptor_open():
    a, b = gs.socketpair()
    with a:
        b.settimeout(0.01)
        with pytest.raises(TimeoutError, match="timed out"):
            b.recv(1)  # b now has a netpoller registration
        n = b.detach()
        assert b.fileno() == -1
        with std.socket(fileno=n) as c:
            a.sendall(b"z")
            c.settimeout(5)
            assert c.recv(1) == b"z"


def test_dup_and_fromfd_are_gonet_sockets():
    a, b = gs.socketpair()
    with a, b:
        d = b.dup()
        f = gs.fromfd(b.fileno(), gs.AF_UNIX, gs.SOCK_STREAM)
        with d, f:
            assert type(d) is gs.socket
            assert type(f) is gs.socket
            a.sendall(b"q")
            assert d.recv(1) == b"q"


def test_getaddrinfo_in_goroutine_and_numeric_hosts():
    infos = gs.getaddrinfo("localhost", 80, gs.AF_INET, gs.SOCK_STREAM)
    assert infos[0][4] == ("127.0.0.1", 80)
    assert gs.gethostbyname("127.0.0.1") == "127.0.0.1"
    with pytest.raises(gs.gaierror, match="Name or service not known|not known"):
        gs.getaddrinfo("no-such-host.invalid", 80)


def test_accept_timeout():
    with gs.create_server(("127.0.0.1", 0)) as srv:
        srv.settimeout(0.02)
        with pytest.raises(TimeoutError, match="timed out"):
            srv.accept()


def test_sendfile_in_goroutine(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"abc" * 1000)
    a, b = gs.socketpair()
    with a, b, open(p, "rb") as f:
        r = spawn(lambda: b"".join(iter(lambda: b.recv(65536) if True else b"", b"")))
        assert a.sendfile(f) == 3000
        a.shutdown(gs.SHUT_WR)
        assert r.result() == b"abc" * 1000

"""TCP conns and listeners: socket options (TCP_NODELAY, SO_REUSEADDR, backlog), dual-stack
wildcard, big writes to a slow reader, half-close, unreachable conns."""

from __future__ import annotations

import errno
import gc
import os
import random
import socket
import struct
from typing import Any

import pytest
from helpers import ipv6_loopback, parked, spawn, tcp_pair, wait_until

import gonet
from gonet import net
from gonet._poll import FD


def _opt(o: Any, level: int, opt: int) -> int:
    return o._fd.getsockopt(level, opt)


def _somaxconn() -> int:
    with open("/proc/sys/net/core/somaxconn") as f:
        return int(f.read().split()[0])


def _listen_backlog(ln: Any) -> int:
    """The backlog the kernel holds for a TCP listener: tcp_info.tcpi_sacked while listening
    (Linux reports sk_max_ack_backlog there, which is also ss's Send-Q)."""
    raw = ln._fd.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    state = raw[0]
    assert state == 10, f"not listening: tcp state {state}"  # TCP_LISTEN
    return struct.unpack_from("I", raw, 28)[0]


def test_tcp_nodelay_on_dialled_and_accepted_conns() -> None:
    with tcp_pair() as (c, s):
        assert _opt(c, socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert _opt(s, socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        c.set_no_delay(False)
        assert _opt(c, socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0


def test_keep_alive_is_on_by_default() -> None:
    with tcp_pair() as (c, s):
        for conn in (c, s):
            assert _opt(conn, socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
            assert _opt(conn, socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 15


def test_listener_has_so_reuseaddr_and_a_somaxconn_backlog() -> None:
    with net.listen("tcp", "127.0.0.1:0") as ln:
        assert _opt(ln, socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0
        assert _listen_backlog(ln) == _somaxconn()
    with net.listen("tcp", "127.0.0.1:0", backlog=7) as ln:
        assert _listen_backlog(ln) == 7


def test_bind_error_names_the_syscall() -> None:
    with net.listen("tcp", "127.0.0.1:0") as ln:
        port = ln.addr().port
        with pytest.raises(OSError, match="address already in use") as ei:
            net.listen("tcp", f"127.0.0.1:{port}")
        e = ei.value
        assert e.errno == errno.EADDRINUSE
        assert isinstance(e, net.OpError)
        assert e.op == "listen"
        assert str(e) == f"listen tcp 127.0.0.1:{port}: bind: address already in use"


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 on the loopback interface")
@pytest.mark.parametrize("address", [":0", "0.0.0.0:0", "[::]:0"])
def test_tcp_wildcard_listens_dual_stack(address: str) -> None:
    # Go's favoriteAddrFamily: every wildcard on plain "tcp" is one [::] socket, V6ONLY off.
    with net.listen("tcp", address) as ln:
        sock = ln._fd.sock
        assert sock.family == socket.AF_INET6
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
        assert ln.addr().ip == "::"
        port = ln.addr().port
        for host in ("127.0.0.1", "[::1]"):
            c = net.dial("tcp", f"{host}:{port}")
            s = ln.accept()
            with c, s:
                c.write(host.encode())
                assert s.recv(100) == host.encode()
                assert s.remote_addr().ip == host.strip("[]")  # v4-mapped shown as plain IPv4


def test_tcp4_and_tcp6_listen_on_one_family() -> None:
    for address in (":0", "0.0.0.0:0"):
        with net.listen("tcp4", address) as ln:
            assert ln._fd.sock.family == socket.AF_INET
            assert str(ln.addr()) == f"0.0.0.0:{ln.addr().port}"
    if ipv6_loopback():
        with net.listen("tcp6", "[::1]:0") as ln:
            assert ln._fd.sock.family == socket.AF_INET6
            assert ln._fd.sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
            assert str(ln.addr()) == f"[::1]:{ln.addr().port}"
        for address in (":0", "[::]:0"):
            with net.listen("tcp6", address) as ln:
                assert ln._fd.sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
                with pytest.raises(ConnectionRefusedError):  # IPv6 only: no IPv4 client
                    net.dial("tcp4", f"127.0.0.1:{ln.addr().port}")


def test_wildcard_bind_error_names_the_address_asked_for() -> None:
    with net.listen("tcp", "0.0.0.0:0") as ln:
        port = ln.addr().port
        with pytest.raises(OSError, match="address already in use") as ei:
            net.listen("tcp", f"0.0.0.0:{port}")
        assert str(ei.value) == f"listen tcp 0.0.0.0:{port}: bind: address already in use"


def test_write_8_mib_to_a_slow_reader_every_byte_arrives() -> None:
    rng = random.Random(1234)
    payload = rng.randbytes(8 << 20)
    with tcp_pair() as (c, s):
        c.set_write_buffer(65536)
        s.set_read_buffer(65536)
        w = spawn(c.write, payload)
        wait_until(parked(w, "IO wait"), what="writer blocked on the full send buffer")
        got = bytearray()
        reads = 0
        while len(got) < len(payload):
            d = s.recv(rng.randint(1, 8192))  # small, irregular reads
            assert d
            got += d
            reads += 1
            if reads % 256 == 0:
                gonet.sleep(0.001)  # and pauses: the writer keeps parking and resuming
        assert w.result() == len(payload)
        assert bytes(got) == payload
        c.close()
        assert s.recv(1) == b""


def test_close_write_half_closes() -> None:
    with tcp_pair() as (c, s):
        c.write(b"request")
        c.close_write()
        got = bytearray()
        while True:
            d = s.recv(100)
            if not d:
                break
            got += d
        assert bytes(got) == b"request"
        s.write(b"response after the peer's EOF")
        assert c.recv(100) == b"response after the peer's EOF"


def test_addresses_of_both_ends() -> None:
    with net.listen("tcp", "127.0.0.1:0") as ln:
        c = net.dial("tcp", str(ln.addr()))
        s = ln.accept()
        with c, s:
            assert c.remote_addr() == ln.addr() == s.local_addr()
            assert s.remote_addr() == c.local_addr()
            assert c.local_addr().ip == "127.0.0.1"
            assert c.local_addr().port > 0
            assert str(c.remote_addr()) == f"127.0.0.1:{ln.addr().port}"
            assert c.remote_addr().network() == "tcp"


# -- unreachable conns are closed (Go: the finalizer on netFD) ---------------------------------------


def _fd_target(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def test_an_unreachable_dialled_fd_is_closed() -> None:
    with net.listen("tcp", "127.0.0.1:0") as ln:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        fd = FD(sock, register=False)
        fd.connect(("127.0.0.1", ln.addr().port), None)
        num = fd.sysfd
        target = _fd_target(num)
        assert target.startswith("socket:")
        del fd, sock
        gc.collect()
        assert _fd_target(num) != target, "a dropped FD kept its socket open"
        ln.accept().close()


def test_an_unreachable_conn_and_listener_are_closed() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    c = net.dial("tcp", str(ln.addr()))
    s = ln.accept()
    nums = [(o.fileno(), _fd_target(o.fileno())) for o in (c, s, ln)]
    del c, s, ln
    gc.collect()
    still_open = [n for n, t in nums if _fd_target(n) == t]
    assert not still_open, f"dropped conns/listener kept fds {still_open} open"
    assert all(n not in gonet.runtime.current().pds for n, _ in nums)


def test_an_unreachable_conn_does_not_leave_its_deadline_timer_armed() -> None:
    # The deadlock detector relies on the count of live timers being exact: a dropped conn's
    # deadline must not keep a timer (and its pollDesc) alive until it would have fired.
    s_ = gonet.runtime.current()
    with net.listen("tcp", "127.0.0.1:0") as ln:
        c = net.dial("tcp", str(ln.addr()))
        s = ln.accept()
        before = s_.timers.active
        c.set_deadline(gonet.now() + 3600)
        assert s_.timers.active == before + 2  # read and write deadline timers
        del c
        gc.collect()
        assert s_.timers.active == before
        assert s.recv(1) == b""  # and the dropped conn was closed
        s.close()

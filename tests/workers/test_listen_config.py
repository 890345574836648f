# ListenConfig and Dialer(control=...): the control hook runs before bind/connect with Go's
# arguments, SO_REUSEPORT lets sockets share a port, and failures are OpErrors naming the cause.
from __future__ import annotations

import socket

import pytest
from helpers import wait_until

from gonet import context, go, net
from gonet.errors import Canceled, OpError


def _rcvbuf(fd: int) -> int:
    s = socket.socket(fileno=fd)
    try:
        return s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    finally:
        s.detach()


def _set_rcvbuf(size: int):
    def ctl(network: str, address: str, rc: net.SockRawConn) -> None:
        def f(fd: int) -> None:
            s = socket.socket(fileno=fd)
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
            finally:
                s.detach()

        rc.control(f)

    return ctl


def test_control_runs_before_bind_with_family_network_and_address() -> None:
    seen: list[tuple[str, str, int]] = []

    def ctl(network: str, address: str, rc: net.SockRawConn) -> None:
        # Not bound yet: the kernel reports port 0.
        port = rc.control(_port)
        seen.append((network, address, port))

    with net.ListenConfig(control=ctl).listen("tcp", "127.0.0.1:0") as ln:
        assert ln.addr().port != 0
    assert seen == [("tcp4", "127.0.0.1:0", 0)]


def _port(fd: int) -> int:
    s = socket.socket(fileno=fd)
    try:
        return int(s.getsockname()[1])
    finally:
        s.detach()


def test_control_sets_a_socket_option_that_the_listener_keeps() -> None:
    with net.ListenConfig(control=_set_rcvbuf(65536)).listen("tcp", "127.0.0.1:0") as ln:
        # Linux doubles the value for bookkeeping.
        assert _rcvbuf(ln.fileno()) == 131072


def test_control_for_udp_and_unix() -> None:
    seen: list[tuple[str, str]] = []

    def ctl(network: str, address: str, rc: net.SockRawConn) -> None:
        seen.append((network, address))

    cfg = net.ListenConfig(control=ctl)
    with cfg.listen_packet("udp4", "127.0.0.1:0"):
        pass
    name = f"@gonet-lc-{id(cfg)}"
    with cfg.listen("unix", name):
        pass
    with cfg.listen_packet("unixgram", name + "-g"):
        pass
    assert seen == [("udp4", "127.0.0.1:0"), ("unix", name), ("unixgram", name + "-g")]


def test_control_error_fails_the_listen_and_closes_the_socket() -> None:
    fds: list[int] = []

    def ctl(network: str, address: str, rc: net.SockRawConn) -> None:
        fds.append(rc.control(lambda fd: fd))
        raise PermissionError(1, "not allowed here")

    with pytest.raises(OpError, match=r"^listen tcp 127\.0\.0\.1:0: not allowed here$") as ei:
        net.ListenConfig(control=ctl).listen("tcp", "127.0.0.1:0")
    assert isinstance(ei.value, PermissionError)
    with pytest.raises(OSError, match="Bad file descriptor"):
        socket.socket(fileno=fds[0])


def test_reuse_port_lets_two_listeners_share_a_port_and_both_accept() -> None:
    cfg = net.ListenConfig(reuse_port=True)
    a = cfg.listen("tcp", "127.0.0.1:0")
    b = cfg.listen("tcp", f"127.0.0.1:{a.addr().port}")
    got: dict[str, int] = {"a": 0, "b": 0}

    def acc(name: str, ln: net.TCPListener) -> None:
        for c in ln:
            got[name] += 1
            c.close()

    go(acc, "a", a)
    go(acc, "b", b)
    try:
        for _ in range(64):  # distinct source ports: the kernel hashes them over both sockets
            net.dial("tcp", str(a.addr())).close()
        wait_until(lambda: got["a"] + got["b"] == 64, what="every connection accepted")
    finally:
        a.close()
        b.close()
    assert b.addr().port == a.addr().port
    assert got["a"] > 0
    assert got["b"] > 0


def test_without_reuse_port_the_second_bind_fails() -> None:
    a = net.listen("tcp", "127.0.0.1:0")
    try:
        with pytest.raises(OpError, match=r"^listen tcp 127\.0\.0\.1:\d+: bind: address already in use$"):
            net.ListenConfig().listen("tcp", f"127.0.0.1:{a.addr().port}")
    finally:
        a.close()


def test_backlog_and_argument_checks() -> None:
    with pytest.raises(ValueError, match="backlog must be a non-negative int, got -1"):
        net.ListenConfig(backlog=-1)
    with pytest.raises(TypeError, match="control must be callable or None, not int"):
        net.ListenConfig(control=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keep_alive must be a number of seconds or None, not str"):
        net.ListenConfig(keep_alive="x")  # type: ignore[arg-type]
    with net.ListenConfig(backlog=1).listen("tcp", "127.0.0.1:0") as ln:
        assert isinstance(ln, net.TCPListener)


def test_a_canceled_context_fails_the_listen() -> None:
    ctx, cancel = context.with_cancel(context.background())
    cancel()
    with pytest.raises(OpError, match=r"^listen tcp: operation was canceled$") as ei:
        net.ListenConfig().listen("tcp", "127.0.0.1:0", ctx)
    assert isinstance(ei.value, Canceled)


def test_dialer_control_sees_the_remote_address_before_connect() -> None:
    seen: list[tuple[str, str]] = []

    def ctl(network: str, address: str, rc: net.SockRawConn) -> None:
        seen.append((network, address))
        _set_rcvbuf(32768)(network, address, rc)

    with net.listen("tcp", "127.0.0.1:0") as ln:
        c = net.Dialer(control=ctl).dial("tcp", str(ln.addr()))
        s = ln.accept()
        try:
            assert _rcvbuf(c.fileno()) == 65536
            c.write(b"x")
            assert s.recv(1) == b"x"
        finally:
            c.close()
            s.close()
    assert seen == [("tcp4", str(ln.addr()))]


def test_dialer_control_error_fails_the_dial_without_a_syscall_name() -> None:
    def ctl(network: str, address: str, rc: net.SockRawConn) -> None:
        raise PermissionError(1, "policy says no")

    ln = net.listen("tcp", "127.0.0.1:0")
    try:
        with pytest.raises(OpError, match=rf"^dial tcp {ln.addr()}: policy says no$"):
            net.Dialer(control=ctl).dial("tcp", str(ln.addr()))
    finally:
        ln.close()
    with pytest.raises(TypeError, match="control must be callable or None, not str"):
        net.Dialer(control="x")  # type: ignore[arg-type]


def test_dialer_control_for_udp_and_unix() -> None:
    seen: list[tuple[str, str]] = []

    def ctl(network: str, address: str, rc: net.SockRawConn) -> None:
        seen.append((network, address))

    d = net.Dialer(control=ctl)
    with net.listen_packet("udp", "127.0.0.1:0") as pc, d.dial("udp", str(pc.local_addr())):
        pass
    name = "@gonet-dc-unix"
    with net.listen("unix", name) as ln:
        c = d.dial("unix", name)
        ln.accept().close()
        c.close()
    assert seen == [("udp4", str(pc.local_addr())), ("unix", name)]

"""Contexts on the net side: dial(ctx=...) aborts, deadlines, and the cancel/success race."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from helpers import blackhole, ipv6_loopback, parked, spawn, wait_until

import gonet
from gonet import net
from gonet.net import _sock_posix

context = pytest.importorskip("gonet.context", reason="gonet.context has not landed yet")

HAS_V6 = ipv6_loopback()  # checked once: is ::1 usable on this machine's lo?


@pytest.fixture
def listener():
    ln = net.listen("tcp", "127.0.0.1:0")
    yield ln
    ln.close()


def gated_resolver(gate: threading.Event) -> net.Resolver:
    def gai(host, port, family=0, type=0, proto=0, flags=0):
        gate.wait(10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]

    return net.Resolver(getaddrinfo=gai)


def test_already_cancelled_context_fails_at_once(listener) -> None:
    ctx, cancel = context.with_cancel(context.background())
    cancel()
    with pytest.raises(context.Canceled) as ei:
        net.dial("tcp", str(listener.addr()), ctx=ctx)
    assert isinstance(ei.value, net.OpError)
    # Go's text (mapErr): the address is named, the cause is worded as net words it.
    assert str(ei.value) == f"dial tcp {listener.addr()}: operation was canceled"


def test_context_already_past_its_deadline_fails_with_go_s_timeout_text(listener) -> None:
    ctx, cancel = context.with_deadline(context.background(), gonet.now() - 1)
    try:
        with pytest.raises(context.DeadlineExceeded) as ei:
            net.dial("tcp", str(listener.addr()), ctx=ctx)
        assert isinstance(ei.value, net.OpError)
        assert isinstance(ei.value, TimeoutError)
        assert ei.value.timeout() is True
        assert str(ei.value) == f"dial tcp {listener.addr()}: i/o timeout"
    finally:
        cancel()


def test_cancelled_context_and_a_host_name_fail_in_the_lookup() -> None:
    ctx, cancel = context.with_cancel(context.background())
    cancel()
    with pytest.raises(context.Canceled) as ei:
        net.dial("tcp", "never.test:80", ctx=ctx)
    assert str(ei.value) == "dial tcp: lookup never.test: operation was canceled"


def test_background_context_dials_normally(listener) -> None:
    with net.Dialer().dial("tcp", str(listener.addr()), ctx=context.background()) as c:
        assert c.remote_addr() == listener.addr()


def test_cancel_aborts_a_connect_in_progress_and_closes_the_socket() -> None:
    ctx, cancel = context.with_cancel(context.background())
    with blackhole() as port:
        t0 = time.monotonic()
        fut = spawn(net.Dialer(timeout=30).dial, "tcp", f"127.0.0.1:{port}", ctx)
        wait_until(parked(fut, "IO wait"), what="dial parked in connect")
        cancel()
        e = fut.exception()
        assert isinstance(e, context.Canceled)
        assert isinstance(e, net.OpError)
        assert str(e) == f"dial tcp 127.0.0.1:{port}: operation was canceled"
        assert time.monotonic() - t0 < 20  # aborted, not timed out after 30 s
    # The half-made socket was closed: the leak check of the test fixture would see it.


def test_context_deadline_bounds_the_dial() -> None:
    ctx, cancel = context.with_timeout(context.background(), 0.1)
    try:
        with blackhole() as port:
            t0 = time.monotonic()
            with pytest.raises(TimeoutError) as ei:
                net.Dialer(timeout=30).dial("tcp", f"127.0.0.1:{port}", ctx=ctx)
            assert isinstance(ei.value, net.OpError)
            assert str(ei.value) == f"dial tcp 127.0.0.1:{port}: i/o timeout"
            assert time.monotonic() - t0 < 20
    finally:
        cancel()


@pytest.mark.parametrize(("timeout", "ctx_timeout"), [(0.1, 30.0), (30.0, 0.1)])
def test_earliest_of_timeout_and_context_deadline_wins(timeout, ctx_timeout) -> None:
    ctx, cancel = context.with_timeout(context.background(), ctx_timeout)
    try:
        with blackhole() as port:
            t0 = time.monotonic()
            with pytest.raises(TimeoutError):
                net.Dialer(timeout=timeout).dial("tcp", f"127.0.0.1:{port}", ctx=ctx)
            assert time.monotonic() - t0 < 20
    finally:
        cancel()


def test_context_ending_after_the_dial_leaves_the_conn_alone(listener) -> None:
    ctx, cancel = context.with_cancel(context.background())
    c = net.dial("tcp", str(listener.addr()), ctx=ctx)
    s = listener.accept()
    try:
        cancel()
        gonet.gosched()  # let any goroutine the cancel started run before the conn is used
        c.write(b"still fine")
        assert s.recv(100) == b"still fine"
        s.write(b"both ways")
        assert c.recv(100) == b"both ways"
    finally:
        c.close()
        s.close()


def test_conn_made_just_as_the_context_was_cancelled_is_closed(monkeypatch, listener) -> None:
    ctx, cancel = context.with_cancel(context.background())
    made = []

    class RacyFD(_sock_posix.FD):
        """Connects, then the context is cancelled before the dial can return (Go 16523)."""

        def connect(self, sockaddr, deadline):
            super().connect(sockaddr, deadline)
            made.append(self)
            cancel()
            # Let the context's after_func goroutine run: it poisons this fd.
            wait_until(lambda: self.pd.wd < 0, what="connected fd poisoned by the cancel")

    monkeypatch.setattr(_sock_posix, "FD", RacyFD)
    with pytest.raises(context.Canceled) as ei:
        net.dial("tcp", str(listener.addr()), ctx=ctx)
    assert isinstance(ei.value, net.OpError)
    assert str(ei.value) == f"dial tcp {listener.addr()}: operation was canceled"
    assert len(made) == 1
    assert made[0].closing


def test_cancel_aborts_a_name_lookup() -> None:
    gate = threading.Event()
    ctx, cancel = context.with_cancel(context.background())
    try:
        d = net.Dialer(timeout=30, resolver=gated_resolver(gate))
        fut = spawn(d.dial, "tcp", "slow.test:80", ctx)
        wait_until(parked(fut, "thread pool"), what="dial parked in the lookup")
        cancel()
        e = fut.exception()
        assert isinstance(e, context.Canceled)
        assert isinstance(e, net.OpError)
        assert str(e) == "dial tcp: lookup slow.test: operation was canceled"
    finally:
        gate.set()


def test_resolver_lookup_with_context() -> None:
    gate = threading.Event()
    r = gated_resolver(gate)
    ctx, cancel = context.with_cancel(context.background())
    try:
        fut = spawn(r.lookup_host, "slow.test", ctx=ctx)
        wait_until(parked(fut, "thread pool"))
        cancel()
        e = fut.exception()
        assert isinstance(e, context.Canceled)
        assert str(e) == "lookup slow.test: operation was canceled"
        tctx, tcancel = context.with_timeout(context.background(), 0.05)
        with pytest.raises(TimeoutError):
            r.lookup_host("slow.test", ctx=tctx)
        tcancel()
    finally:
        gate.set()


@pytest.mark.skipif(not HAS_V6, reason="no IPv6 on the loopback interface")
def test_cancel_aborts_both_happy_eyeballs_racers() -> None:
    with blackhole(socket.AF_INET, "127.0.0.1") as port:
        try:
            bh6 = blackhole(socket.AF_INET6, "::1", port)
            bh6.__enter__()
        except OSError:
            pytest.skip("port not free on ::1")
        try:

            def gai(host, p, family=0, type=0, proto=0, flags=0):
                return [
                    (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 0, 0, 0)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0)),
                ]

            ctx, cancel = context.with_cancel(context.background())
            d = net.Dialer(timeout=30, fallback_delay=0.01, resolver=net.Resolver(getaddrinfo=gai))
            fut = spawn(d.dial, "tcp", f"dual.test:{port}", ctx)
            wait_until(parked(fut, "select"), what="dialer waiting on its racers")
            wait_until(lambda: gonet.runtime.stats()["io_waiters"] >= 2, what="both families connecting")
            cancel()
            e = fut.exception()
            assert isinstance(e, context.Canceled)
            assert str(e) == f"dial tcp [::1]:{port}: operation was canceled"  # the primary's
        finally:
            bh6.__exit__(None, None, None)


def test_udp_and_unix_dials_accept_a_context(tmp_path) -> None:
    ctx, cancel = context.with_cancel(context.background())
    srv = net.listen_packet("udp", "127.0.0.1:0")
    path = str(tmp_path / "s.sock")
    ln = net.listen("unix", path)
    try:
        with net.dial("udp", str(srv.local_addr()), ctx=ctx) as c:
            c.write(b"u")
            assert srv.recv_from(4)[0] == b"u"
        with net.dial("unix", path, ctx=ctx) as c:
            assert c.remote_addr() == net.UnixAddr(path, "unix")
            ln.accept().close()
        cancel()
        with pytest.raises(context.Canceled):
            net.dial("unix", path, ctx=ctx)
    finally:
        srv.close()
        ln.close()

"""The netpoller and the fd layer's syscall loops: registration once, edge-triggered, with the
right mask; syscall first, park on EAGAIN; trusting the edge; accept and connect edge cases."""

from __future__ import annotations

import errno
import fcntl
import os
import select
import socket
from collections.abc import Callable
from typing import Any

import pytest
from helpers import parked, sched, spawn, tcp_pair, unix_pair, wait_until

import gonet
from gonet import net
from gonet.runtime._netpoll_epoll import EpollBackend

# What gonet asks for; the kernel always adds EPOLLERR|EPOLLHUP to a registration.
WANT = select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP | select.EPOLLET
KERNEL_ADDS = select.EPOLLERR | select.EPOLLHUP


def epoll_registrations() -> dict[int, int]:
    """Return {fd: event mask} registered in this scheduler's epoll, from /proc fdinfo."""
    ep = sched().poller.ep.fileno()
    regs: dict[int, int] = {}
    with open(f"/proc/self/fdinfo/{ep}") as f:
        for line in f:
            if line.startswith("tfd:"):
                parts = line.split()
                fd, mask = int(parts[1]), int(parts[3], 16)
                assert fd not in regs, f"fd {fd} registered twice"
                regs[fd] = mask
    return regs


def _conns_of_every_kind() -> Any:
    ln = net.listen("tcp", "127.0.0.1:0")
    c = net.dial("tcp", str(ln.addr()))
    s = ln.accept()
    uln = net.listen("unix", f"@gonet-netpoll-{os.getpid()}")
    uc = net.dial("unix", f"@gonet-netpoll-{os.getpid()}")
    us = uln.accept()
    return {
        "tcp listener": ln,
        "tcp dialled": c,
        "tcp accepted": s,
        "unix listener": uln,
        "unix dialled": uc,
        "unix accepted": us,
    }


def test_every_socket_is_registered_once_edge_triggered_for_both_directions() -> None:
    objs = _conns_of_every_kind()
    try:
        regs = epoll_registrations()
        for name, o in objs.items():
            mask = regs.get(o.fileno())
            assert mask is not None, f"{name} is not registered"
            assert mask & ~KERNEL_ADDS == WANT, (name, hex(mask), hex(WANT))
        assert hex(WANT | KERNEL_ADDS) == "0x8000201d"  # the mask as fdinfo prints it
        # The wake-up eventfd is registered level-triggered, for reading only.
        assert regs[sched().poller.wakefd] & ~KERNEL_ADDS == select.EPOLLIN
    finally:
        for o in objs.values():
            o.close()


def test_every_socket_is_nonblocking_and_close_on_exec() -> None:
    objs = _conns_of_every_kind()
    try:
        for name, o in objs.items():
            fd = o.fileno()
            assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK, name
            assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC, name
            assert not os.get_inheritable(fd), name
    finally:
        for o in objs.values():
            o.close()


def test_a_thousand_reads_and_writes_cost_no_extra_registration() -> None:
    before = gonet.runtime.stats()["registrations"]
    with tcp_pair() as (c, s):
        assert gonet.runtime.stats()["registrations"] == before + 3  # listener, dialled, accepted
        buf = bytearray(64)

        def echo() -> None:
            for _ in range(1000):
                n = s.read(buf)
                s.write(buf[:n])

        e = spawn(echo)
        for i in range(1000):
            msg = b"%05d" % i
            c.write(msg)
            assert c.recv(64) == msg
        e.result()
        assert gonet.runtime.stats()["registrations"] == before + 3
        assert sched().poller.registrations == before + 3


def test_socket_is_unregistered_before_close(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, bool, bool]] = []
    real = EpollBackend.close

    def spy(self: EpollBackend, fd: int) -> None:
        try:
            os.fstat(fd)
            still_open = True
        except OSError:
            still_open = False
        registered_before = fd in epoll_registrations()
        real(self, fd)
        seen.append((fd, still_open, registered_before and fd not in epoll_registrations()))

    with tcp_pair() as (c, s):
        fd = s.fileno()
        monkeypatch.setattr(EpollBackend, "close", spy)
        s.close()
        monkeypatch.undo()
        assert seen == [(fd, True, True)]  # EPOLL_CTL_DEL on an open fd, then close(2)
        assert fd not in sched().pds
        assert c.recv(10) == b""  # and the socket really was closed


# -- syscall first, park on EAGAIN, trust the edge -------------------------------------------------


def _count_calls(fd: Any, attr: str) -> list[Any]:
    calls: list[Any] = []
    real: Callable[..., Any] = getattr(fd, attr)

    def wrapper(*args: Any) -> Any:
        try:
            r = real(*args)
        except BlockingIOError:
            calls.append("EAGAIN")
            raise
        calls.append(r if isinstance(r, int) else len(r))
        return r

    setattr(fd, attr, wrapper)
    return calls


def _peek(conn: Any) -> bytes:
    try:
        return conn._fd.sock.recv(64, socket.MSG_PEEK)
    except BlockingIOError:
        return b""


def test_buffered_data_is_read_without_parking() -> None:
    with tcp_pair() as (c, s):
        c.write(b"already here")
        wait_until(lambda: _peek(s) == b"already here")
        parks = sched().n_parks
        assert s.recv(100) == b"already here"
        assert c.write(b"fresh conn: writable") == 20
        assert sched().n_parks == parks


def _primed(c: Any, s: Any, first: bytes) -> list[Any]:
    """Count s's recv_into calls, after a first read that parked and was woken by an edge
    (so that no readiness event from before is still waiting to be collected)."""
    calls = _count_calls(s._fd, "_recv_into")
    buf = bytearray(len(first))
    r0 = spawn(s.read, buf)
    wait_until(parked(r0, "IO wait"))
    c.write(first)
    assert r0.result() == len(first)
    assert bytes(buf) == first
    assert calls == ["EAGAIN", len(first)]
    del calls[:]
    return calls


def test_a_short_read_trusts_the_edge_instead_of_retrying_the_syscall() -> None:
    with tcp_pair() as (c, s):
        calls = _primed(c, s, b"abcd")
        c.write(b"abc")
        wait_until(lambda: _peek(s) == b"abc")
        buf = bytearray(100)
        assert s.read(buf) == 3
        assert calls == [3]
        # 3 < 100: the socket was empty afterwards, so the next read parks without a recv that
        # would fail with EAGAIN; the next edge wakes it.
        r = spawn(s.read, buf)
        wait_until(parked(r, "IO wait"))
        assert calls == [3]
        c.write(b"defg")
        assert r.result() == 4
        assert calls == [3, 4]
        assert bytes(buf[:4]) == b"defg"


def test_an_edge_with_no_waiter_is_latched() -> None:
    with tcp_pair() as (c, s):
        calls = _primed(c, s, b"abcd")
        buf = bytearray(100)
        c.write(b"ab")
        wait_until(lambda: _peek(s) == b"ab")
        assert s.read(buf) == 2  # short: the socket is known empty now
        pd = s._fd.pd
        assert pd.rready is False
        c.write(b"cd")  # nobody waits: the edge must be remembered
        wait_until(lambda: pd.rready, what="the edge was latched by the netpoller")
        parks = sched().n_parks
        assert s.read(buf) == 2
        assert bytes(buf[:2]) == b"cd"
        assert sched().n_parks == parks  # no wait: the latched readiness let it read at once
        assert calls == [2, 2]


def test_more_ready_fds_than_one_epoll_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    from gonet._poll import FD

    batches: list[int] = []
    real = EpollBackend.poll

    def spy(self: EpollBackend, timeout: float) -> list[tuple[int, int]]:
        events = real(self, timeout)
        batches.append(len(events))
        return events

    pairs = [socket.socketpair() for _ in range(300)]
    fds = [FD(a) for a, _ in pairs]
    try:
        readers = [spawn(fd.recv, 10) for fd in fds]
        for r in readers:
            wait_until(parked(r, "IO wait"))
        monkeypatch.setattr(EpollBackend, "poll", spy)
        for i, (_, b) in enumerate(pairs):
            b.send(b"%d" % i)
        assert [r.result() for r in readers] == [b"%d" % i for i in range(300)]
        monkeypatch.undo()
        assert max(batches) <= 128  # one epoll_wait returns at most a batch...
        assert sum(batches) >= 300  # ...and the rest come in the next ones
    finally:
        for fd in fds:
            fd.close()
        for _, b in pairs:
            b.close()


def test_a_full_read_tries_the_syscall_again_and_parks_on_eagain() -> None:
    with tcp_pair() as (c, s):
        calls = _primed(c, s, b"abcd")  # a full read: the socket may hold more
        r = spawn(s.read, bytearray(4))
        wait_until(parked(r, "IO wait"))
        assert calls == ["EAGAIN"]
        c.write(b"e")
        assert r.result() == 1
        assert calls == ["EAGAIN", 1]


@pytest.mark.parametrize("pair", [tcp_pair, unix_pair], ids=["tcp", "unix"])
def test_eof_after_a_short_read_is_not_lost(pair: Any) -> None:
    # The peer's data and FIN arrive in one epoll event collected before the short read that
    # consumes them both: no later edge will come, so the next read must ask the kernel.
    with pair() as (c, s):
        s.set_read_deadline(gonet.now() + 10)  # a bug would show as a timeout, not a hang
        first = spawn(s.recv, 1)
        wait_until(parked(first, "IO wait"))
        c.write(b"hello")
        c.close()
        assert first.result() == b"h"
        assert s.recv(100) == b"ello"
        assert s.recv(100) == b""
        assert s.recv(100) == b""


def test_reader_is_woken_by_hangup_and_writer_by_reset() -> None:
    with tcp_pair() as (c, s):
        r = spawn(s.recv, 10)
        wait_until(parked(r, "IO wait"))
        c.close_write()  # FIN: EPOLLIN|EPOLLRDHUP wakes the reader with EOF
        assert r.result() == b""
        s.set_write_buffer(65536)
        c.set_read_buffer(65536)
        w = spawn(s.write, b"x" * (8 << 20))
        wait_until(parked(w, "IO wait"))
        c.set_linger(0)
        c.close()  # RST: EPOLLOUT|EPOLLERR|EPOLLHUP wakes the writer with the error
        e = w.exception()
        assert isinstance(e, (ConnectionResetError, BrokenPipeError)), repr(e)
        assert isinstance(e, net.OpError)
        assert e.op == "write"
        assert 0 < e.written < 8 << 20


def test_write_loops_over_partial_writes_until_everything_is_sent() -> None:
    with tcp_pair() as (c, s):
        c.set_write_buffer(65536)
        s.set_read_buffer(65536)
        sends = _count_calls(c._fd, "_send")
        payload = os.urandom(4 << 20)
        w = spawn(c.write, memoryview(payload))
        got = bytearray()
        while len(got) < len(payload):
            got += s.recv(1 << 16)
        assert w.result() == len(payload)
        assert bytes(got) == payload
        sizes = [k for k in sends if k != "EAGAIN"]
        assert len(sizes) > 1
        assert sum(sizes) == len(payload)


@pytest.mark.parametrize("kind", ["array", "memoryview-of-ints"])
def test_write_of_a_non_byte_buffer_sends_every_byte(kind: str) -> None:
    import array

    items = array.array("i", range(1 << 20))  # 4 MiB in 4-byte items
    data: Any = items if kind == "array" else memoryview(items)
    with tcp_pair() as (c, s):
        c.set_write_buffer(65536)  # the first send is partial: the loop must continue
        s.set_read_buffer(65536)

        def writer() -> int:
            try:
                return c.write(data)
            finally:
                c.close_write()

        w = spawn(writer)
        got = bytearray()
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            got += d
        assert w.result() == len(items) * items.itemsize  # a byte count, as Go's Write
        assert bytes(got) == items.tobytes()


def test_events_for_unknown_fds_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    real = EpollBackend.poll
    injected: list[int] = []

    def poll(self: EpollBackend, timeout: float) -> list[tuple[int, int]]:
        events = real(self, timeout)
        if not injected:
            injected.append(1)
            return [(999999, select.EPOLLIN | select.EPOLLOUT)] + list(events)
        return events

    monkeypatch.setattr(EpollBackend, "poll", poll)
    with tcp_pair() as (c, s):
        c.write(b"x")
        assert s.recv(1) == b"x"
    monkeypatch.undo()
    assert injected == [1]


def test_an_epollerr_alone_makes_later_waits_fail_not_pollable(monkeypatch: pytest.MonkeyPatch) -> None:
    with tcp_pair() as (c, s):
        target = s.fileno()
        real = EpollBackend.poll
        sent: list[int] = []

        def poll(self: EpollBackend, timeout: float) -> list[tuple[int, int]]:
            events = real(self, timeout)
            if not sent:
                sent.append(1)
                return [(target, select.EPOLLERR)] + list(events)
            return events

        monkeypatch.setattr(EpollBackend, "poll", poll)
        gonet.sleep(0.001)
        monkeypatch.undo()
        with pytest.raises(net.OpError, match="not pollable"):
            s.recv(10)


# -- accept and connect ----------------------------------------------------------------------------


def test_accept_retries_eintr_and_econnaborted_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    import _socket

    failures = [
        InterruptedError(errno.EINTR, "Interrupted system call"),
        ConnectionAbortedError(errno.ECONNABORTED, "Software caused connection abort"),
    ]
    calls: list[str] = []

    def flaky(self: socket.socket) -> Any:
        if failures:
            e = failures.pop(0)
            calls.append(type(e).__name__)
            raise e
        r = _socket.socket._accept(self)  # type: ignore[attr-defined]
        calls.append("ok")
        return r

    ln = net.listen("tcp", "127.0.0.1:0")
    with ln:
        c = net.dial("tcp", str(ln.addr()))
        monkeypatch.setattr(socket.socket, "_accept", flaky)
        s = ln.accept()
        monkeypatch.undo()
        with c, s:
            assert calls == ["InterruptedError", "ConnectionAbortedError", "ok"]
            c.write(b"through")
            assert s.recv(10) == b"through"


def test_accept_parks_until_a_client_arrives() -> None:
    with net.listen("tcp", "127.0.0.1:0") as ln:
        a = spawn(ln.accept)
        wait_until(parked(a, "IO wait"))
        c = net.dial("tcp", str(ln.addr()))
        s = a.result()
        with c, s:
            assert s.remote_addr() == c.local_addr()
            assert s.local_addr() == c.remote_addr() == ln.addr()


def test_connect_in_progress_completes_through_the_poller(monkeypatch: pytest.MonkeyPatch) -> None:
    rets: list[int] = []
    real = socket.socket.connect_ex

    def spy(self: socket.socket, addr: Any) -> int:
        r = real(self, addr)
        rets.append(r)
        return r

    with net.listen("tcp", "127.0.0.1:0") as ln:
        monkeypatch.setattr(socket.socket, "connect_ex", spy)
        c = net.dial("tcp", str(ln.addr()))
        monkeypatch.undo()
        s = ln.accept()
        with c, s:
            assert rets == [errno.EINPROGRESS]
            c.write(b"ok")
            assert s.recv(2) == b"ok"


@pytest.mark.parametrize("first_result", ["EINTR", "EISCONN"])
def test_connect_eintr_waits_and_eisconn_succeeds(first_result: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.socket.connect_ex
    seen: list[int] = []

    def connect_ex(self: socket.socket, addr: Any) -> int:
        r = real(self, addr)
        assert r == errno.EINPROGRESS
        if first_result == "EINTR":
            r = errno.EINTR  # interrupted: the kernel carries on connecting
        else:
            select.select([], [self], [], 10)  # wait for the handshake, then connect again:
            real(self, addr)  # completes it (0)...
            r = real(self, addr)  # ...and once more is EISCONN
        seen.append(r)
        return r

    with net.listen("tcp", "127.0.0.1:0") as ln:
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        c = net.dial("tcp", str(ln.addr()))
        monkeypatch.undo()
        s = ln.accept()
        with c, s:
            assert seen == [getattr(errno, first_result)]
            c.write(b"connected")
            assert s.recv(100) == b"connected"


def test_connect_refused_is_reported_from_so_error() -> None:
    holder, port = socket.socket(), 0
    with holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        with pytest.raises(ConnectionRefusedError) as ei:
            net.dial("tcp", f"127.0.0.1:{port}")
        assert str(ei.value) == f"dial tcp 127.0.0.1:{port}: connect: connection refused"


def _full_listener() -> tuple[socket.socket, socket.socket, str]:
    """A listener whose accept queue is full: a further SYN is dropped and connect stays
    pending until a retransmission after the queue has room (1 s on Linux)."""
    raw = socket.socket()
    raw.bind(("127.0.0.1", 0))
    raw.listen(0)
    addr = "{}:{}".format(*raw.getsockname())
    first = socket.create_connection(raw.getsockname())  # fills the queue
    return raw, first, addr


def test_connect_survives_a_spurious_wakeup() -> None:
    raw, first, addr = _full_listener()
    with raw, first:
        d = spawn(net.dial, "tcp", addr, 20)
        wait_until(parked(d, "IO wait"))
        s = sched()
        (pd,) = [pd for pd in s.pds.values() if pd.wg is d.g]
        # Pretend an EPOLLOUT edge arrived: the connect loop must check SO_ERROR and the peer
        # name, find the socket not connected yet, and wait again.
        io_parks = s.parks_by.get("IO wait", 0)
        pd.wready = True
        s.ready(d.g)  # type: ignore[arg-type]
        wait_until(lambda: s.parks_by.get("IO wait", 0) > io_parks and parked(d, "IO wait")())
        assert not pd.wready
        assert pd.wg is d.g
        a, _ = raw.accept()  # make room; the retransmitted SYN completes the handshake
        a.close()
        conn = d.result()
        acc2, _ = raw.accept()
        with conn, acc2:
            conn.write(b"after the spurious wakeup")
            assert acc2.recv(100) == b"after the spurious wakeup"


# -- the backend boundary: netpollready and the special fds ----------------------------------------


def _lone_pd() -> Any:
    """A pollDesc in a private fd table, never registered: events are fed to it by hand."""
    from gonet.runtime._netpoll import PollDesc

    return PollDesc(sched(), 1_000_000)


@pytest.mark.parametrize(
    ("word", "rready", "wready", "trust", "everr"),
    [
        ("POLLIN", True, False, True, False),
        ("POLLOUT", False, True, True, False),
        ("POLLRDHUP", True, False, False, False),
        ("POLLHUP", True, True, False, False),
        ("POLLERR", True, True, False, True),
    ],
)
def test_netpollready_applies_the_readiness_table(
    word: str, rready: bool, wready: bool, trust: bool, everr: bool
) -> None:
    from gonet.runtime import _netpoll

    pd = _lone_pd()
    pd.rready = pd.wready = False
    pd.trust = True
    queue: list[Any] = []
    woken = _netpoll.netpollready({pd.fd: pd}, [(pd.fd, getattr(_netpoll, word))], queue, {})
    assert (woken, queue) == (0, [])
    assert (pd.rready, pd.wready, pd.trust, pd.everr) == (rready, wready, trust, everr)


def test_netpollready_queues_the_parked_reader_runnable() -> None:
    from gonet.runtime._gstatus import RUNNABLE
    from gonet.runtime._netpoll import POLLIN, netpollready

    pd = _lone_pd()
    pd.rready = False
    done: list[bool] = []
    g = gonet.go(lambda: done.append(pd.wait_read() is None))
    gonet.gosched()
    assert pd.rg is g
    s = sched()
    woken = netpollready({pd.fd: pd}, [(pd.fd, POLLIN)], s.runq, {})
    assert (woken, pd.rg, g.status, g in s.runq) == (1, None, RUNNABLE, True)
    gonet.gosched()
    assert done == [True]
    # A second edge finds no waiter: only the flag is latched.
    pd.rready = False
    assert netpollready({pd.fd: pd}, [(pd.fd, POLLIN)], s.runq, {}) == 0
    assert pd.rready


def test_netpollready_hands_special_fds_to_their_handler_and_drops_unknown_fds() -> None:
    from gonet.runtime._netpoll import POLLIN, netpollready

    calls: list[int] = []
    woken = netpollready({}, [(7, POLLIN), (8, POLLIN), (7, POLLIN)], [], {7: lambda: calls.append(7)})
    assert (woken, calls) == (0, [7, 7])


def test_backend_special_fd_is_registered_once_edge_triggered_with_its_handler() -> None:
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    ep = EpollBackend()
    try:
        assert list(ep.specials) == [ep.wakefd]  # the eventfd is the backend's own special
        seen: list[int] = []
        ep.open_special(r, lambda: seen.append(len(os.read(r, 64))))
        assert ep.registrations == 1
        os.write(w, b"xy")
        events = ep.poll(1.0)
        assert [fd for fd, _ in events] == [r]
        from gonet.runtime._netpoll import netpollready

        netpollready({}, events, [], ep.specials)
        assert seen == [2]
        ep.wakeup()
        events = ep.poll(1.0)
        netpollready({}, events, [], ep.specials)
        assert ep.poll(0) == []  # the wakeup was drained by its special handler
    finally:
        ep.shutdown()
        os.close(r)
        os.close(w)
    assert ep.specials == {}

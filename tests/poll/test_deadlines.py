"""Deadlines: absolute, per direction, checked before the syscall. Real clock; short deadlines;
only order and outcome are asserted, never how
long something took beyond "not earlier than the deadline"."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import pytest
from helpers import fixed_order, parked, sched, spawn, tcp_pair, unix_pair, wait_until

import gonet
from gonet import net


def _is_timeout(e: BaseException | None, op: str) -> bool:
    return (
        isinstance(e, TimeoutError)
        and isinstance(e, net.DeadlineExceededError)
        and isinstance(e, net.OpError)
        and e.op == op
        and str(e).endswith(": i/o timeout")
        and e.timeout()
    )


def _peek(conn: Any) -> bytes:
    try:
        return conn._fd.sock.recv(64, socket.MSG_PEEK)
    except BlockingIOError:
        return b""


def test_expired_deadline_fails_at_once_even_with_data_buffered() -> None:
    with tcp_pair() as (c, s):
        c.write(b"buffered")
        wait_until(lambda: _peek(s) == b"buffered")
        s.set_read_deadline(gonet.now() - 1)
        parks = sched().n_parks
        with pytest.raises(TimeoutError) as ei:
            s.recv(100)
        assert _is_timeout(ei.value, "read")
        assert str(ei.value) == f"read tcp {s.local_addr()}->{s.remote_addr()}: i/o timeout"
        assert sched().n_parks == parks  # failed at once, without waiting
        with pytest.raises(TimeoutError):  # every later read fails too, until reset
            s.read(bytearray(10))
        s.set_read_deadline(None)
        assert s.recv(100) == b"buffered"  # the data was never consumed


def test_zero_length_read_returns_0_under_an_expired_deadline_but_a_write_fails() -> None:
    with tcp_pair() as (c, s):
        s.set_deadline(gonet.now() - 1)
        assert s.read(bytearray(0)) == 0
        assert s.recv(0) == b""
        with pytest.raises(TimeoutError) as ei:
            s.write(b"")
        assert _is_timeout(ei.value, "write")
        s.close()
        with pytest.raises(net.ErrClosed):  # a closed conn still fails
            s.read(bytearray(0))


def test_deadline_expiring_while_parked_wakes_the_reader_with_timeout() -> None:
    with tcp_pair() as (c, s):
        t0 = time.monotonic()
        s.set_read_deadline(gonet.now() + 0.05)
        with pytest.raises(TimeoutError) as ei:
            s.recv(10)
        assert time.monotonic() - t0 >= 0.05
        assert _is_timeout(ei.value, "read")
        assert s._fd.pd.rready is False  # a timeout never marks the fd ready
        # Writes are unaffected by the read deadline.
        assert s.write(b"w") == 1
        assert c.recv(1) == b"w"


def test_setting_a_past_deadline_wakes_a_parked_reader_at_once() -> None:
    with tcp_pair() as (c, s):
        r = spawn(s.recv, 10)
        wait_until(parked(r, "IO wait"))
        s.set_read_deadline(gonet.now() - 1)
        assert _is_timeout(r.exception(), "read")


def test_extending_a_deadline_while_blocked_keeps_waiting_under_the_new_one() -> None:
    with tcp_pair() as (c, s):
        s.set_read_deadline(gonet.now() + 0.1)
        r = spawn(s.recv, 10)
        wait_until(parked(r, "IO wait"))
        s.set_read_deadline(gonet.now() + 30)
        gonet.sleep(0.3)  # well past the first deadline
        assert parked(r, "IO wait")()
        c.write(b"late data")
        assert r.result() == b"late data"


def test_extension_after_the_timer_fired_but_before_the_reader_ran_re_parks_silently() -> None:
    with tcp_pair() as (c, s):
        r = spawn(s.recv, 10)
        wait_until(parked(r, "IO wait"))
        pd = s._fd.pd

        def fire_then_extend(_: Any) -> None:
            # Runs on the hub: the old deadline expires (the reader is readied "not ready")...
            s.set_read_deadline(gonet.now() - 1)
            # ...and is extended again before the reader gets to run.
            s.set_read_deadline(gonet.now() + 30)

        t = sched().timers.new(fire_then_extend)
        t.reset(gonet.now() + 0.01)
        io_parks = sched().parks_by.get("IO wait", 0)
        wait_until(lambda: sched().parks_by.get("IO wait", 0) > io_parks and parked(r, "IO wait")())
        assert pd.rd > 0
        c.write(b"waiting")
        assert r.result() == b"waiting"


def test_clearing_the_deadline_while_blocked_waits_for_data() -> None:
    with tcp_pair() as (c, s):
        s.set_read_deadline(gonet.now() + 0.1)
        r = spawn(s.recv, 10)
        wait_until(parked(r, "IO wait"))
        s.set_read_deadline(None)
        gonet.sleep(0.3)
        assert parked(r, "IO wait")()
        c.write(b"eventually")
        assert r.result() == b"eventually"


def test_deadline_is_absolute_not_per_operation() -> None:
    with unix_pair() as (c, s):
        s.set_read_deadline(gonet.now() + 0.2)
        n = 0
        with pytest.raises(TimeoutError):  # noqa: PT012 - the loop runs until the deadline
            while True:  # each read is quick; the deadline still arrives
                c.write(b"x")
                assert s.recv(1) == b"x"
                n += 1
                gonet.sleep(0.01)
        assert n >= 1
        s.set_read_deadline(gonet.now() + 5)  # re-armed: reads work again
        c.write(b"y")
        got = s.recv(2)  # the "x" the expired read did not consume, then "y"
        if got == b"x":
            got += s.recv(1)
        assert got == b"xy"


def test_a_write_timing_out_part_way_reports_the_bytes_written() -> None:
    with tcp_pair() as (c, s):
        c.set_write_buffer(65536)
        s.set_read_buffer(65536)
        payload = os.urandom(8 << 20)
        c.set_write_deadline(gonet.now() + 0.2)
        with pytest.raises(TimeoutError) as ei:
            c.write(payload)  # the peer does not read
        e = ei.value
        assert _is_timeout(e, "write")
        assert 0 < e.written < len(payload)  # type: ignore[attr-defined]
        c.close_write()
        got = bytearray()
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            got += d
        assert bytes(got) == payload[: e.written]  # type: ignore[attr-defined]


def test_write_deadline_does_not_affect_reads() -> None:
    with tcp_pair() as (c, s):
        s.set_write_deadline(gonet.now() - 1)
        c.write(b"r")
        assert s.recv(1) == b"r"
        with pytest.raises(TimeoutError):
            s.write(b"w")


def test_listener_deadline_makes_accept_time_out() -> None:
    with net.listen("tcp", "127.0.0.1:0") as ln:
        ln.set_deadline(gonet.now() + 0.05)
        with pytest.raises(TimeoutError) as ei:
            ln.accept()
        assert _is_timeout(ei.value, "accept")
        assert str(ei.value) == f"accept tcp {ln.addr()}: i/o timeout"
        ln.set_deadline(None)
        c = net.dial("tcp", str(ln.addr()))
        s = ln.accept()
        c.close()
        s.close()


def test_set_deadline_on_a_closed_conn_or_listener_fails_with_closed() -> None:
    with tcp_pair() as (c, s):
        laddr = c.local_addr()
        c.close()
        for setter in (c.set_deadline, c.set_read_deadline, c.set_write_deadline):
            with pytest.raises(net.ErrClosed) as ei:
                setter(gonet.now() + 1)
            assert str(ei.value) == f"set tcp {laddr}: use of closed network connection"
    ln = net.listen("tcp", "127.0.0.1:0")
    ln.close()
    with pytest.raises(net.ErrClosed, match="use of closed network connection"):
        ln.set_deadline(gonet.now() + 1)


def test_deadline_argument_types() -> None:
    with tcp_pair() as (c, s):
        with pytest.raises(TypeError):
            c.set_deadline("soon")
        with pytest.raises(TypeError):
            c.set_read_deadline(True)
        c.set_deadline(int(gonet.now()) + 100)  # an int is a time too


def test_an_op_parked_when_close_runs_fails_with_closed_not_timeout() -> None:
    with tcp_pair() as (c, s):
        s.set_read_deadline(gonet.now() + 0.05)
        r = spawn(s.recv, 10)
        wait_until(parked(r, "IO wait"))
        s.close()
        e = r.exception()
        assert isinstance(e, net.ErrClosed)
        assert not isinstance(e, TimeoutError)


@fixed_order
def test_closed_wins_over_a_timeout_that_fired_just_before() -> None:
    with tcp_pair() as (c, s):
        r = spawn(s.recv, 10)
        wait_until(parked(r, "IO wait"))

        closer: list[Any] = []

        def expire_then_close(_: Any) -> None:
            s.set_read_deadline(gonet.now() - 1)  # the reader is readied with "timed out"...
            closer.append(spawn(s.close))  # ...and a closer runs first (runnext)

        t = sched().timers.new(expire_then_close)
        t.reset(gonet.now() + 0.01)
        e = r.exception()
        assert isinstance(e, net.ErrClosed)
        assert not isinstance(e, TimeoutError)
        assert closer[0].result() is None
        assert s._fd.destroyed


def test_dial_timeout_while_connect_is_pending() -> None:
    raw = socket.socket()
    raw.bind(("127.0.0.1", 0))
    raw.listen(0)
    addr = "{}:{}".format(*raw.getsockname())
    with raw, socket.create_connection(raw.getsockname()):  # fills the accept queue
        with pytest.raises(TimeoutError) as ei:
            net.dial("tcp", addr, timeout=0.1)
        assert _is_timeout(ei.value, "dial")
        assert str(ei.value) == f"dial tcp {addr}: i/o timeout"
        with pytest.raises(TimeoutError):
            net.dial("tcp", addr, deadline=gonet.now() - 1)

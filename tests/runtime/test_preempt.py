"""Cooperative preemption: a goroutine that has run past its time slice yields at gonet's next
yield point (go, channel and sync operations, fd reads/writes/accepts), so a goroutine that
never parks — an accept loop under a connection flood — cannot starve the others."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from helpers import sched

import gonet
from gonet import Chan, go, net, sync
from gonet.runtime import _debugvars, set_time_slice, stats, time_slice

# A generous bound for "forever" on a loaded machine: the loops below end far sooner when
# preemption works, and fail (instead of hanging) when it does not.
BUDGET = 10.0


@pytest.fixture
def short_slice() -> Iterator[None]:
    old = set_time_slice(0.002)
    try:
        yield
    finally:
        set_time_slice(old)


def _spin_until(stop: list[str], op: object) -> None:
    deadline = time.monotonic() + BUDGET
    while not stop and time.monotonic() < deadline:
        op()  # type: ignore[operator]


def test_a_goroutine_spinning_on_channel_operations_is_preempted(short_slice: None) -> None:
    stop: list[str] = []
    ch: Chan[int] = Chan(1)

    def sleeper() -> None:
        gonet.sleep(0.001)  # its timer fires only if the spinner lets the hub run
        stop.append("set by the sleeper")

    go(sleeper)

    def op() -> None:
        ch.send(1)  # buffered: never blocks
        ch.recv()

    before = stats()["watchdog"]["preemptions"]
    _spin_until(stop, op)
    assert stop == ["set by the sleeper"]
    assert stats()["watchdog"]["preemptions"] > before


def test_a_goroutine_spinning_on_an_uncontended_mutex_is_preempted(short_slice: None) -> None:
    stop: list[str] = []
    mu = sync.Mutex()
    go(lambda: stop.append("ran"))

    def op() -> None:
        mu.lock()
        mu.unlock()

    _spin_until(stop, op)
    assert stop == ["ran"]


def test_an_accept_loop_that_never_parks_lets_other_goroutines_run(short_slice: None) -> None:
    # Every connection is already in the listen queue, so accept() never parks: without
    # preemption the other goroutine would run only after the last accept.
    n = 1000  # many slices long: a scheduler shuffle (GONET_SCHED_SEED) may pick us again
    ln = net.listen("tcp", "127.0.0.1:0")
    host, port = "127.0.0.1", ln.addr().port
    clients = [socket.create_connection((host, port)) for _ in range(n)]
    accepted = [0]
    seen_at: list[int] = []
    go(lambda: seen_at.append(accepted[0]))
    try:
        for _ in range(n):
            c = ln.accept()
            sum(range(2000))  # a little work per connection, as a real server does
            c.close()
            accepted[0] += 1
    finally:
        ln.close()
        for s in clients:
            s.close()
    assert accepted[0] == n
    assert len(seen_at) == 1
    assert seen_at[0] < n


def test_go_is_a_yield_point(short_slice: None) -> None:
    stop: list[str] = []
    go(lambda: stop.append("ran"))
    _spin_until(stop, lambda: go(lambda: None))
    assert stop == ["ran"]


def test_preemption_can_be_turned_off(caplog: pytest.LogCaptureFixture) -> None:
    old = set_time_slice(None)
    try:
        assert time_slice() is None
        ran: list[str] = []
        go(lambda: ran.append("ran"))
        ch: Chan[int] = Chan(1)
        deadline = time.monotonic() + 0.05
        while time.monotonic() < deadline:
            ch.send(1)
            ch.recv()
        assert ran == []  # nothing yielded: the other goroutine has not run yet
        gonet.sleep(0.001)
        assert ran == ["ran"]
    finally:
        set_time_slice(old)
    with pytest.raises(ValueError, match=r"^time slice must be >= 0, got -1$"):
        set_time_slice(-1)


def test_the_watchdog_does_not_count_new_goroutines_as_progress(caplog: pytest.LogCaptureFixture) -> None:
    # A loop that only creates goroutines never lets one run: with preemption off, the
    # watchdog reports it, as it reports any goroutine that runs without yielding.
    caplog.set_level(logging.WARNING, logger="gonet.runtime")
    old_slice = set_time_slice(None)
    old_threshold = gonet.runtime.set_block_threshold(0.05)
    try:
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            go(lambda: None)
            sum(range(2000))  # some work per goroutine created, as in an accept loop
    finally:
        set_time_slice(old_slice)
        gonet.runtime.set_block_threshold(old_threshold)
    gonet.sleep(0.001)
    reports = [r for r in caplog.records if "without yielding" in r.getMessage()]
    assert len(reports) == 1
    assert reports[0].goroutine == sched().running().id  # type: ignore[attr-defined]


def test_timeslice_is_a_gonet_debug_setting() -> None:
    assert _debugvars.parse_gonet_debug("timeslice=5ms").timeslice == pytest.approx(0.005)
    assert _debugvars.parse_gonet_debug("timeslice=off").timeslice is None
    assert _debugvars.parse_gonet_debug("").timeslice == pytest.approx(0.01)

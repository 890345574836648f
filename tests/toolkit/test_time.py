"""gonet.time: sleep, after, tick, Timer and Ticker with Go 1.23 channel semantics
(no stale value after stop/reset), dropped ticks for a slow receiver, after_func.

Timer logic runs on the virtual clock (gonet.testing's `virtual_clock`): time jumps to the next
timer when every goroutine is blocked, so the times asserted are exact and nothing waits.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import no_timer_left, settle  # noqa: F401 - no_timer_left is a fixture

import gonet
from gonet import DEFAULT, Chan, nil_chan, select
from gonet import time as gtime
from gonet.runtime import _proc

# Every test disarms what it armed: a leftover timer would delay later deadlock verdicts.
pytestmark = pytest.mark.usefixtures("no_timer_left")


def empty(c: Chan[Any]) -> bool:
    """Report whether a receive from c would block now."""
    return select(c.recv_case(), default=True).index == DEFAULT


# -- sleep ----------------------------------------------------------------------------------------


def test_sleep_waits_the_duration(virtual_clock: Any) -> None:
    t0 = gonet.now()
    gtime.sleep(2.5)
    assert gonet.now() == t0 + 2.5


@pytest.mark.parametrize("d", [0, -1.0])
def test_sleep_of_zero_or_less_returns_without_yielding(d: float) -> None:
    ran: list[int] = []
    gonet.go(ran.append, 1)
    gtime.sleep(d)
    assert ran == []  # did not park, so the new goroutine has not run
    settle()
    assert ran == [1]


def test_durations_are_seconds() -> None:
    assert gtime.SECOND == 1.0
    assert gtime.MILLISECOND == 1e-3
    assert gtime.MINUTE == 60.0
    assert gtime.HOUR == 3600.0
    assert gtime.MICROSECOND == 1e-6
    assert gtime.NANOSECOND == 1e-9


def test_since_and_until(virtual_clock: Any) -> None:
    t0 = gonet.now()
    gtime.sleep(1.0)
    assert gtime.since(t0) == 1.0
    assert gtime.until(t0 + 3.0) == 2.0


# -- after / Timer ----------------------------------------------------------------------------------


def test_after_sends_the_time_once(virtual_clock: Any) -> None:
    t0 = gonet.now()
    c = gtime.after(3.0)
    assert c.recv() == t0 + 3.0
    assert empty(c)


def test_timer_fires_once_with_the_time(virtual_clock: Any) -> None:
    t0 = gonet.now()
    t = gtime.Timer(1.5)
    assert t.c.recv() == t0 + 1.5
    assert t.stop() is False  # already fired and received


def test_timer_stop_before_it_fires_prevents_the_send(virtual_clock: Any) -> None:
    t = gtime.Timer(1.0)
    assert t.stop() is True
    assert t.stop() is False
    gtime.sleep(5.0)
    assert empty(t.c)


def test_timer_stop_discards_an_unreceived_value(virtual_clock: Any) -> None:
    # Go 1.23: after Stop returns, no stale value can be received, and a value that had been
    # sent but not received counts as the timer still pending (Stop returns true).
    t = gtime.Timer(1.0)
    gtime.sleep(2.0)
    assert len(t.c) == 1  # fired, not yet received
    assert t.stop() is True
    assert empty(t.c)


def test_timer_reset_gives_no_stale_value(virtual_clock: Any) -> None:
    t0 = gonet.now()
    t = gtime.Timer(1.0)
    gtime.sleep(2.0)  # fired at t0+1, unreceived
    assert t.reset(3.0) is True  # the unreceived value counted as pending
    assert t.c.recv() == t0 + 5.0  # the first value received is the new one
    assert t.reset(1.0) is False  # fired and received: not pending
    assert t.c.recv() == t0 + 6.0


def test_timer_reset_of_a_pending_timer_moves_it(virtual_clock: Any) -> None:
    t0 = gonet.now()
    t = gtime.Timer(10.0)
    assert t.reset(1.0) is True
    assert t.c.recv() == t0 + 1.0
    gtime.sleep(20.0)
    assert empty(t.c)  # the original deadline does not fire as well


def test_timer_of_zero_fires_at_the_next_scheduling_point() -> None:
    t = gtime.Timer(0)
    assert t.c.recv() <= gonet.now()


def test_timer_argument_checks() -> None:
    with pytest.raises(TypeError):
        gtime.Timer("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timer duration is NaN"):
        gtime.Timer(float("nan"))


# -- Ticker / tick ----------------------------------------------------------------------------------


def test_ticker_ticks_every_period(virtual_clock: Any) -> None:
    t0 = gonet.now()
    tk = gtime.Ticker(0.5)
    assert [tk.c.recv() - t0 for _ in range(4)] == [0.5, 1.0, 1.5, 2.0]
    tk.stop()


def test_ticker_drops_ticks_for_a_slow_receiver(virtual_clock: Any) -> None:
    t0 = gonet.now()
    tk = gtime.Ticker(1.0)
    gtime.sleep(5.5)  # ticks at 1..5 were due; the channel holds one, the rest are dropped
    assert len(tk.c) == 1
    assert tk.c.recv() == t0 + 1.0
    assert empty(tk.c)
    assert tk.c.recv() == t0 + 6.0  # the phase is kept
    tk.stop()


def test_ticker_stop_discards_the_pending_tick_and_stops(virtual_clock: Any) -> None:
    tk = gtime.Ticker(1.0)
    gtime.sleep(1.5)
    tk.stop()
    assert empty(tk.c)
    gtime.sleep(10.0)
    assert empty(tk.c)


def test_ticker_reset_changes_the_period(virtual_clock: Any) -> None:
    t0 = gonet.now()
    tk = gtime.Ticker(1.0)
    assert tk.c.recv() == t0 + 1.0
    tk.reset(0.25)
    assert tk.c.recv() == t0 + 1.25
    assert tk.c.recv() == t0 + 1.5
    tk.stop()


@pytest.mark.parametrize("d", [0, -1.0])
def test_ticker_rejects_a_non_positive_period(d: float) -> None:
    with pytest.raises(ValueError, match="non-positive interval for NewTicker"):
        gtime.Ticker(d)
    tk = gtime.Ticker(1.0)
    with pytest.raises(ValueError, match="non-positive interval for Ticker.Reset"):
        tk.reset(d)
    tk.stop()


def test_tick_returns_a_ticker_channel_or_nil_for_a_non_positive_period(virtual_clock: Any) -> None:
    assert gtime.tick(0) is nil_chan
    assert gtime.tick(-5) is nil_chan
    t0 = gonet.now()
    c = gtime.tick(2.0)
    assert c.recv() == t0 + 2.0
    assert c.recv() == t0 + 4.0
    del c
    gtime.sleep(2.0)  # the next tick finds the channel gone and ends the ticking


def test_an_unreferenced_ticker_stops_ticking(virtual_clock: Any) -> None:
    timers = _proc.current().timers
    base = timers.active
    c = gtime.tick(1.0)  # tick() gives no way to stop: dropping the channel must
    assert c.recv() > 0
    assert timers.active == base + 1
    del c
    gtime.sleep(3.0)  # the next tick finds nobody to send to and does not re-arm
    assert timers.active == base


# -- after_func -------------------------------------------------------------------------------------


def test_after_func_runs_f_in_its_own_goroutine(virtual_clock: Any) -> None:
    me = _proc.current().running()
    ran: Chan[tuple[int, float]] = Chan(1)
    t0 = gonet.now()
    tm = gtime.after_func(2.0, lambda: ran.send((_proc.current().running().id, gonet.now())))
    assert tm.c is nil_chan  # as in Go, C is unused
    gid, when = ran.recv()
    assert gid != me.id
    assert when == t0 + 2.0
    assert tm.stop() is False  # it already ran


def test_after_func_stop_prevents_the_call(virtual_clock: Any) -> None:
    ran: list[int] = []
    tm = gtime.after_func(1.0, lambda: ran.append(1))
    assert tm.stop() is True
    gtime.sleep(3.0)
    assert ran == []


def test_after_func_reset_reschedules(virtual_clock: Any) -> None:
    t0 = gonet.now()
    ran: Chan[float] = Chan(1)
    tm = gtime.after_func(1.0, lambda: ran.send(gonet.now()))
    tm.reset(4.0)
    assert ran.recv() == t0 + 4.0


def test_timers_work_on_the_real_clock_too() -> None:
    # One wall-clock check with a generous bound: the order of events, not their duration.
    t0 = gonet.now()
    fast = gtime.after(0.01)
    slow = gtime.Timer(5.0)
    i, v, ok = select(slow.c.recv_case(), fast.recv_case())
    assert i == 1
    assert v >= t0 + 0.01
    assert slow.stop() is True

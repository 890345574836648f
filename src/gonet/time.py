# gonet.time: Go's time package for goroutines — sleep, after, tick, Timer, Ticker, after_func.
#
# Durations and times are float seconds; times are on gonet.now()'s clock (monotonic, or the
# test's virtual clock). Timers live on the scheduler of the thread that creates them, and their
# callbacks run on its hub between goroutines: a channel timer does a non-blocking send, an
# after_func timer starts a goroutine.
#
# Go 1.23 channel semantics: a Timer's or Ticker's channel holds at most one value, and stop()
# and reset() discard a value that was sent but not yet received, so no stale tick is seen after
# they return; a value discarded that way counts as "the timer was still pending" (stop() returns
# True). A Ticker whose receiver is slow drops ticks rather than queueing them.
#
# Timer state machine (Go: runtime/time.go, simplified by the single-threaded hub):
#
#   idle ──reset(d)──> armed ──fires──> fired (value buffered, or goroutine started)
#     ^                  │                 │
#     └────stop()────────┴─────────────────┘   stop/reset drain the buffered value
from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from gonet._chan import Chan, nil_chan
from gonet.runtime import _proc, now, sleep

__all__ = [
    "sleep",
    "now",
    "after",
    "tick",
    "Timer",
    "Ticker",
    "after_func",
    "since",
    "until",
    "NANOSECOND",
    "MICROSECOND",
    "MILLISECOND",
    "SECOND",
    "MINUTE",
    "HOUR",
]

NANOSECOND = 1e-9
MICROSECOND = 1e-6
MILLISECOND = 1e-3
SECOND = 1.0
MINUTE = 60.0
HOUR = 3600.0


def _check(d: Any, what: str) -> float:
    if isinstance(d, bool) or not isinstance(d, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, not {type(d).__name__}")
    if d != d:
        raise ValueError(f"{what} is NaN")
    return float(d)


class Timer:
    """A single event: after d seconds, send the time on ``c`` (or run f in a goroutine).

    Go: time.Timer (``time.NewTimer(d)``: ``Timer(d)``).
    """

    __slots__ = ("c", "_f", "_t", "_sched")

    def __init__(self, d: float, f: Callable[[], Any] | None = None) -> None:
        """Start a timer of d seconds (<= 0 fires at the next scheduling point).

        Args:
            d: the delay in seconds.
            f: run f() in its own goroutine when the timer fires, instead of sending on ``c``
                (``c`` is then the nil channel, as in Go; see after_func).
        """
        d = _check(d, "timer duration")
        s = _proc.current()
        self._sched = s
        self._f = f
        self.c: Chan[float] = Chan(1) if f is None else nil_chan
        self._t = s.timers.new(_fire, self)
        self._t.reset(s.clock() + d)

    def stop(self) -> bool:
        """Stop the timer; return True if that prevented it from firing (for a channel timer:
        also if it had fired but its value was not received — the value is discarded).

        Go: Timer.Stop (Go 1.23 semantics).
        """
        was = self._t.stop()
        if self.c._drain():
            was = True
        return was

    def reset(self, d: float) -> bool:
        """Re-arm the timer for d seconds from now, discarding an unreceived value; return
        whether it had been pending (as stop() would).

        Go: Timer.Reset (Go 1.23 semantics).
        """
        d = _check(d, "timer duration")
        s = self._sched
        was = self._t.reset(s.clock() + d)
        if self.c._drain():
            was = True
        return was

    def __repr__(self) -> str:
        state = "armed" if self._t.pending else "idle"
        return f"<Timer {state} at {self._t.when:.6f}>" if self._t.pending else f"<Timer {state}>"


def _fire(tm: Timer) -> None:
    # On the hub: must not block.
    f = tm._f
    if f is None:
        tm.c._try_send(tm._sched.clock())
    else:
        tm._sched.go(f, (), {})


def after(d: float) -> Chan[float]:
    """Return a channel that receives the time once, after d seconds. Go: time.After."""
    return Timer(d).c


def after_func(d: float, f: Callable[[], Any]) -> Timer:
    """Run f() in its own goroutine after d seconds; stop() the returned Timer to cancel.

    Go: time.AfterFunc.
    """
    return Timer(d, f)


class Ticker:
    """Send the time on ``c`` every ``period`` seconds; a slow receiver misses ticks instead of
    falling behind. Go: time.Ticker (``time.NewTicker(d)``: ``Ticker(d)``).

    The timer refers to the channel weakly: once nothing else refers to ``c`` (the Ticker
    included), the ticking ends by itself, as Go 1.23 recovers unreferenced tickers.
    """

    __slots__ = ("c", "_st")

    def __init__(self, period: float) -> None:
        """Start ticking.

        Raises:
            ValueError: period <= 0 ("non-positive interval for NewTicker").
        """
        period = _check(period, "ticker period")
        if period <= 0:
            raise ValueError("non-positive interval for NewTicker")
        s = _proc.current()
        self.c: Chan[float] = Chan(1)
        st = self._st = _TickState(weakref.ref(self.c), period, s)
        st.when = s.clock() + period
        st.t.reset(st.when)

    @property
    def period(self) -> float:
        """The interval between ticks, in seconds."""
        return self._st.period

    def stop(self) -> None:
        """Stop ticking and discard an unreceived tick. Go: Ticker.Stop."""
        self._st.t.stop()
        self.c._drain()

    def reset(self, period: float) -> None:
        """Stop, then tick every ``period`` seconds from now.

        Raises:
            ValueError: period <= 0 ("non-positive interval for Ticker.Reset").

        Go: Ticker.Reset.
        """
        period = _check(period, "ticker period")
        if period <= 0:
            raise ValueError("non-positive interval for Ticker.Reset")
        st = self._st
        st.period = period
        st.when = st.sched.clock() + period
        st.t.reset(st.when)
        self.c._drain()

    def __repr__(self) -> str:
        return f"<Ticker every {self.period}s>"


class _TickState:
    """What the ticker's timer needs: the channel (weakly), the period, the next tick."""

    __slots__ = ("cref", "period", "when", "sched", "t")

    def __init__(self, cref: weakref.ref[Chan[float]], period: float, sched: Any) -> None:
        self.cref = cref
        self.period = period
        self.when = 0.0
        self.sched = sched
        self.t = sched.timers.new(_tick, self)


def _tick(st: _TickState) -> None:
    c = st.cref()
    if c is None:
        return  # nobody can receive any more: stop ticking
    now_ = st.sched.clock()
    c._try_send(now_)  # full: the receiver has not taken the last tick; drop this one
    p = st.period
    when = st.when + p
    if when <= now_:  # fell behind (a long stall): skip the missed ticks, keep the phase
        when += ((now_ - when) // p + 1) * p
    st.when = when
    st.t.reset(when)


def tick(period: float) -> Chan[float]:
    """Return a Ticker's channel; the nil channel for period <= 0 (as Go). The ticking ends
    once the channel is no longer referenced. Go: time.Tick."""
    period = _check(period, "ticker period")
    if period <= 0:
        return nil_chan
    return Ticker(period).c


def since(t: float) -> float:
    """Return the seconds elapsed since t (a gonet.now() time). Go: time.Since."""
    return now() - t


def until(t: float) -> float:
    """Return the seconds until t (a gonet.now() time). Go: time.Until."""
    return t - now()

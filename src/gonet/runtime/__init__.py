# gonet.runtime: goroutines, the scheduler, timers, the netpoller and the thread pool.
#
# The public surface of the runtime (Go: package runtime): go, gosched, sleep, num_goroutine,
# run_in_thread, stats. Implementation modules are underscore-private; `gonet._poll` is the only
# other layer that uses the pollDesc API.
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gonet.errors import DeadlockError
from gonet.runtime import _proc
from gonet.runtime._proc import G, Scheduler, all_schedulers, current
from gonet.runtime._threadpool import pool, run_in_thread

__all__ = [
    "go", "gosched", "sleep", "num_goroutine", "now", "run_in_thread", "stats", "current",
    "G", "Scheduler", "DeadlockError", "Goroutine",
]

Goroutine = G


def go(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> G:
    """Start fn(*args, **kwargs) in a new goroutine and return its handle (with ``.id``).

    The new goroutine runs when the caller next blocks or yields; an exception escaping it is a
    panic that ends the program with status 2.

    Go: the go statement.
    """
    if not callable(fn):
        raise TypeError(f"go() needs a callable, got {type(fn).__name__}")
    try:
        s = _proc._tls.sched
    except AttributeError:
        s = current()
    return s.go(fn, args, kwargs)


def gosched() -> None:
    """Yield the processor, letting other runnable goroutines run. Go: runtime.Gosched."""
    current().gosched()


def _wake_sleeper(g: G) -> None:
    g.sched.ready(g, None)


def sleep(seconds: float) -> None:
    """Park the current goroutine for at least ``seconds``; <= 0 returns at once.

    Go: time.Sleep.
    """
    if seconds != seconds:  # NaN
        raise ValueError("sleep duration is NaN")
    if seconds <= 0:
        return
    s = current()
    t = s.timers.new(_wake_sleeper, s.cur)
    t.reset(s.clock() + seconds)
    try:
        s.park("sleep", t)
    finally:
        t.stop()


def now() -> float:
    """Return the current time on the clock deadlines use (time.monotonic, or a virtual clock)."""
    try:
        s = _proc._tls.sched
    except AttributeError:
        import time

        return time.monotonic()
    return s.clock()


def num_goroutine() -> int:
    """Return the number of goroutines that exist, across all threads. Go: runtime.NumGoroutine."""
    scheds = all_schedulers()
    if not scheds:
        return 1
    return sum(len(s.gs) for s in scheds)


def stats() -> dict[str, Any]:
    """Return the runtime's counters for this thread's scheduler and the thread pool.

    Keys: goroutines, goroutines_peak, goroutines_created, parks, epoll_waits, events,
    wakeups (goroutines readied by the netpoller), registrations, fds, io_waiters,
    timers_active, timers_fired, deadlocks, thread_pool.
    """
    s = current()
    return {
        "goroutines": len(s.gs),
        "goroutines_peak": s.n_peak,
        "goroutines_created": s.n_created,
        "parks": s.n_parks,
        "epoll_waits": s.n_polls,
        "events": s.n_events,
        "wakeups": s.n_wakeups,
        "registrations": s.poller.registrations,
        "fds": len(s.pds),
        "io_waiters": s.io_waiters,
        "timers_active": s.timers.active,
        "timers_fired": s.timers.fired,
        "deadlocks": s.n_deadlocks,
        "thread_pool": pool.stats(),
    }

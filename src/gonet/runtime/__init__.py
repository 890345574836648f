# gonet.runtime: goroutines, the scheduler, timers, the netpoller and the thread pool.
#
# The public surface of the runtime (Go: package runtime): go, gosched, sleep, num_goroutine,
# run_in_thread, and the tools to see inside — stack (goroutine dump), stats, the watchdog
# settings, SIGQUIT handling, the seeded scheduler shuffle. Implementation modules are
# underscore-private; `gonet._poll` is the only other layer that uses the pollDesc API.
#
# Every new scheduler passes through `_on_new_scheduler` (appended below to
# `_proc.on_new_scheduler`, the runtime's one new-scheduler hook): that is where the watchdog
# thread is started lazily, the SIGQUIT handler installed on the main thread, and
# GONET_SCHED_SEED applied — so importing gonet does none of these.
from __future__ import annotations

import inspect
import logging
import os
import random
import sys
from collections import deque
from collections.abc import Callable
from typing import Any, ParamSpec

from gonet.errors import DeadlockError
from gonet.runtime import _proc, _signals
from gonet.runtime._proc import TICK_LIMIT, WAITING, G, Scheduler, current, live_schedulers
from gonet.runtime._signals import set_sigquit, sigquit_mode
from gonet.runtime._sysmon import (
    block_threshold,
    set_block_threshold,
    set_time_slice,
    sysmon,
    time_slice,
)
from gonet.runtime._threadpool import lookup_pool, pool, run_in_thread
from gonet.runtime._traceback import stack

__all__ = [
    "go",
    "gosched",
    "sleep",
    "num_goroutine",
    "now",
    "run_in_thread",
    "stats",
    "current",
    "G",
    "Scheduler",
    "DeadlockError",
    "Goroutine",
    "stack",
    "set_block_threshold",
    "block_threshold",
    "set_sigquit",
    "sigquit_mode",
    "set_sched_seed",
    "set_time_slice",
    "time_slice",
    "workers",
]

log = logging.getLogger("gonet.runtime")

Goroutine = G
P = ParamSpec("P")


def go(fn: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> G:
    """Start fn(*args, **kwargs) in a new goroutine and return its handle (with ``.id``).

    The new goroutine runs when the caller next blocks or yields; an exception escaping it is a
    panic that ends the program with status 2. It starts in a copy of the caller's
    ``contextvars`` context: what it sets is seen by neither its creator nor its siblings.

    The handle describes the goroutine while it lives (``.id``, ``.status``, ``.waitreason``).
    Once it has finished, the object is recycled for a later goroutine (Go reuses its g structs
    the same way), so it must not be kept to identify a finished goroutine: wait for one with a
    channel or ``gonet.sync.WaitGroup``.

    Raises:
        TypeError: fn is not callable, or is a coroutine function or coroutine object.

    Go: the go statement.
    """
    global _last_plain
    code = getattr(fn, "__code__", None)
    if code is not _last_plain:  # a loop spawning one function checks it once
        if code is not None:
            if code.co_flags & _CO_ASYNC:
                raise TypeError(_async_message(fn))
            _last_plain = code
        elif not callable(fn):
            raise TypeError(_not_callable_message(fn))
    s: Scheduler  # a bare annotation: no bytecode on this path
    try:
        s = _proc._tls.sched
    except AttributeError:
        s = current()
    try:
        f = _getframe(1)  # the go statement's function (its frame object usually exists already)
    except ValueError:  # go() called by compiled code at the bottom of a goroutine: no frame
        return s.spawn(fn, args, kwargs, None, -1)
    return s.spawn(fn, args, kwargs, f.f_code, f.f_lasti)


_getframe = sys._getframe
_last_plain: Any = object()  # the code of the last function go() found not to be async
# CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR: calling such a function only
# creates an object, so its body would never run as a goroutine.
_CO_ASYNC = inspect.CO_COROUTINE | inspect.CO_ITERABLE_COROUTINE | inspect.CO_ASYNC_GENERATOR


def _async_message(fn: Any) -> str:
    name = getattr(fn, "__qualname__", None) or repr(fn)
    kind = (
        "an async generator function (async def with yield)"
        if fn.__code__.co_flags & inspect.CO_ASYNC_GENERATOR
        else "a coroutine function (async def)"
    )
    return (
        f"go() needs a plain function; {name} is {kind}. Goroutines run plain functions "
        "that block: define it with def and call gonet's blocking APIs instead of awaiting"
    )


def _not_callable_message(fn: Any) -> str:
    if inspect.iscoroutine(fn) or inspect.isawaitable(fn):
        close = getattr(fn, "close", None)
        if close is not None:
            close()  # it will never run: no "was never awaited" warning on top of this error
        name = getattr(fn, "__qualname__", None) or type(fn).__name__
        return (
            f"go() needs a plain function; got the coroutine object {name}(), which only an "
            "event loop can run. Pass a function defined with def and its arguments: "
            "go(f, arg) rather than go(f(arg))"
        )
    return f"go() needs a callable, got {type(fn).__name__}"


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
    s: Scheduler
    try:
        s = _proc._tls.sched
    except AttributeError:
        import time

        return time.monotonic()
    return s.clock()


def num_goroutine() -> int:
    """Return the number of goroutines that exist, across all threads. Go: runtime.NumGoroutine."""
    scheds = live_schedulers()
    if not scheds:
        return 1
    return sum(len(s.gs) for s in scheds)


# -- statistics --------------------------------------------------------------------------------

_SUMMED = (
    "goroutines",
    "goroutines_peak",
    "goroutines_created",
    "parks",
    "epoll_waits",
    "events",
    "wakeups",
    "registrations",
    "fds",
    "io_waiters",
    "runq",
    "timers_active",
    "timers_fired",
    "deadlocks",
    "goroutines_free",
)
_MERGED = ("goroutines_by_state", "parks_by_reason", "waiting_by_reason", "wakeups_by_reason")


def _sched_stats(s: Scheduler) -> dict[str, Any]:
    gs = list(s.gs.values())
    parks_by = dict(s.parks_by)
    by_state: dict[str, int] = {}
    waiting: dict[str, int] = {}
    for g in gs:
        st = g.status
        by_state[st] = by_state.get(st, 0) + 1
        if st is WAITING:
            waiting[g.waitreason] = waiting.get(g.waitreason, 0) + 1
    # Every park ends in exactly one wake-up (ready, a deadline, close, interrupt), so the
    # wake-ups per reason are the parks that are over; no counter on the hot path needed.
    wakeups = {r: n - waiting.get(r, 0) for r, n in parks_by.items()}
    return {
        "goroutines": len(gs),
        "goroutines_peak": s.n_peak,
        "goroutines_created": s.n_created,
        "goroutines_by_state": by_state,
        "parks": s.n_parks,
        "parks_by_reason": parks_by,
        "waiting_by_reason": waiting,
        "wakeups_by_reason": wakeups,
        "epoll_waits": s.n_polls,
        "events": s.n_events,
        "wakeups": s.n_wakeups,
        "registrations": s.poller.registrations,
        "fds": len(s.pds),
        "io_waiters": s.io_waiters,
        "runq": len(s.runq),
        "timers_active": s.timers.active,
        "timers_fired": s.timers.fired,
        "deadlocks": s.n_deadlocks,
        "goroutines_free": len(s.gfree),
    }


def stats(all_threads: bool = False) -> dict[str, Any]:
    """Return the runtime's counters, for this thread's scheduler or summed over all threads.

    Args:
        all_threads: sum over every thread's scheduler (``goroutines_peak`` is then the sum of
            the per-thread peaks, an upper bound); False: this thread's scheduler only
            (created if the thread has none yet).

    Returns:
        A JSON-ready dict. Goroutines: ``goroutines`` (now), ``goroutines_peak``,
        ``goroutines_created``, ``goroutines_by_state`` (running/runnable/waiting).
        Parking: ``parks``, ``parks_by_reason``, ``waiting_by_reason`` (parked now),
        ``wakeups_by_reason`` (parks that ended). Netpoller: ``epoll_waits`` (epoll_wait
        calls), ``events`` (events they returned), ``wakeups`` (goroutines the netpoller
        readied), ``registrations`` (fds ever registered), ``fds`` (registered now),
        ``io_waiters``. Also ``runq``, ``timers_active``, ``timers_fired``, ``deadlocks``,
        ``schedulers``, ``thread_pool`` (workers, idle, queued, submitted, max_workers),
        ``lookup_pool`` (the same for name lookups) and
        ``watchdog`` (threshold_ms, block_reports, forced_polls, samples, preemptions,
        timeslice_ms); ``goroutines_free`` (finished goroutines kept for reuse).

    Go: runtime.ReadMemStats / runtime/metrics, for the scheduler.
    """
    scheds = live_schedulers() if all_threads else [current()]
    out: dict[str, Any] = dict.fromkeys(_SUMMED, 0)
    for k in _MERGED:
        out[k] = {}
    for s in scheds:
        one = _sched_stats(s)
        for k in _SUMMED:
            out[k] += one[k]
        for k in _MERGED:
            merged = out[k]
            for reason, n in one[k].items():
                merged[reason] = merged.get(reason, 0) + n
    out["schedulers"] = len(scheds)
    out["thread_pool"] = pool.stats()
    out["lookup_pool"] = lookup_pool.stats()
    th = sysmon.threshold
    out["watchdog"] = {
        "threshold_ms": None if th is None else th * 1000,
        "block_reports": sysmon.block_reports,
        "forced_polls": sysmon.forced_polls,
        "samples": sysmon.samples,
        "preemptions": sysmon.preemptions,
        "timeslice_ms": None if sysmon.timeslice is None else sysmon.timeslice * 1000,
    }
    return out


# -- scheduler shuffle (GONET_SCHED_SEED) ----------------------------------------------------


def _make_shuffle(s: Scheduler, seed: int) -> Callable[[deque[G]], None]:
    randrange = random.Random(seed).randrange

    def shuffle(runq: deque[G]) -> None:
        n = len(runq)
        if n > 1:
            i = randrange(n)
            if i:
                runq[0], runq[i] = runq[i], runq[0]
        # park() hands the CPU straight to runq[0] while ticks < TICK_LIMIT, bypassing this
        # hook; pinning ticks at the limit sends every scheduling point back through the hub.
        s.ticks = TICK_LIMIT

    return shuffle


def set_sched_seed(seed: int | None) -> None:
    """Shuffle this thread's run queue with a seeded random order, or stop shuffling.

    Every scheduling point then picks a random runnable goroutine (and goes through the hub,
    which costs speed), so code that silently relies on an order — "the goroutine I started
    runs first", "readied goroutines run in FIFO order" — fails in tests. The same seed and the
    same inputs give the same interleaving. GONET_SCHED_SEED=N does this for every scheduler
    (GONET_SCHED_SEED=random picks a seed and logs it).

    Args:
        seed: the seed; None restores the normal order.
    """
    s = current()
    s.shuffle = None if seed is None else _make_shuffle(s, seed)
    s.ticks = TICK_LIMIT  # the next scheduling point already goes through the shuffle


_env_seed: int | None = None


def _seed_from_env() -> int | None:
    global _env_seed
    raw = os.environ.get("GONET_SCHED_SEED", "").strip()
    if not raw:
        return None
    if _env_seed is None:
        if raw.lower() == "random":
            _env_seed = random.SystemRandom().randrange(1 << 32)
            # Printed, not only logged: a failure must be reproducible from the output.
            sys.stderr.write(f"gonet: scheduler shuffle GONET_SCHED_SEED={_env_seed}\n")
        else:
            try:
                _env_seed = int(raw, 0)
            except ValueError:
                log.warning("GONET_SCHED_SEED=%r is not an integer or 'random': ignored", raw)
                return None
    return _env_seed


# -- new schedulers ------------------------------------------------------------------------------


def _on_new_scheduler(s: Scheduler) -> None:
    seed = _seed_from_env()
    if seed is not None:
        s.shuffle = _make_shuffle(s, seed)
        s.ticks = TICK_LIMIT
    sysmon.ensure_started()
    _signals.install_default(s)


_proc.on_new_scheduler.append(_on_new_scheduler)


def workers(n: int | None, main: Callable[[list[int]], Any] | str, /, **options: Any) -> int:
    """Run main(listener_fds) in n supervised worker processes; return the exit status.

    The calling process becomes the supervisor (gonet.supervisor.Supervisor): it opens the
    listeners, forks the workers, restarts the dead, reloads on SIGHUP and drains on SIGTERM.
    Each worker is a fresh gonet program that adopts its listeners with
    ``gonet.net.file_listener(fd)`` and stops gracefully on SIGTERM (docs/deployment.md).

    Args:
        n: how many workers; None: the usable CPUs.
        main: the worker's main, or "module:function" imported in each worker.
        options: the Supervisor's keyword arguments (listeners, reuse_port,
            graceful_timeout, max_requests, max_requests_jitter, debug_addr, worker_init...).

    Returns:
        0 after a graceful shutdown, 1 after a forced one.

    Raises:
        RuntimeError: this process already runs a gonet scheduler (the supervisor must not:
            call workers() before anything else in the program uses gonet).

    Go: none (Go uses every core in one process); gunicorn's arbiter.
    """
    if live_schedulers():
        raise RuntimeError(
            "gonet.runtime.workers: this process already runs a gonet scheduler; call workers() "
            "before the program uses gonet (the supervisor must run no gonet runtime)"
        )
    from gonet.supervisor import Supervisor

    return Supervisor(main, n, **options).run()

# gonet.runtime._sysmon: the watchdog thread (Go: runtime.sysmon).
#
# Python cannot preempt a goroutine, so a goroutine that computes (or makes a blocking call)
# without yielding stops every other goroutine of its thread. The watchdog is one daemon OS
# thread, "gonet-sysmon", started with the first scheduler, that samples each scheduler every
# `pollguarantee` (10 ms) and:
#   - reports a goroutine that has run for longer than `watchdog` (100 ms) without reaching a
#     scheduling point: one WARNING on logger "gonet.runtime" per incident, with its goroutine
#     id and current Python stack;
#   - keeps I/O flowing: if goroutines keep handing the CPU to each other and the hub has not
#     polled for `pollguarantee` while goroutines wait on I/O, it sets `sched.ticks` to
#     TICK_LIMIT so that the next park or yield goes through the hub, which polls;
#   - preempts (cooperatively): a goroutine that has run for a `timeslice` (10 ms) without a
#     scheduling point gets `sched.preempt` set, and gonet's next yield point (go, channel and
#     sync operations, fd reads, writes and accepts) yields first (Go: sysmon's retake).
#
# Detection is by sampling, not tracing: a goroutine is "still running" when the scheduler's
# signature — (current goroutine id, parks, hand-off ticks, polls, hub clock) — is unchanged at
# every sample across the threshold. Any scheduling point changes it (park bumps `n_parks`; a
# yield bumps `ticks`, and every TICK_LIMIT of those pass the hub, which resets `ticks` and
# re-reads the clock); creating goroutines does not (an accept loop under a flood creates one
# per connection without ever letting another run). So the hot path pays one flag test at its
# yield points and nothing else: no trace hook, no counter added.
#
# Invariants:
# - The thread only reads scheduler state, except the stores `sched.ticks = TICK_LIMIT` and
#   `sched.preempt = True`, which the owner thread may overwrite harmlessly (the next sample
#   stores them again).
# - The thread is a daemon: it never keeps the process alive. After fork() it is restarted by
#   the first scheduler of the child.
# - An idle process is sampled less often (back-off to `IDLE_MAX`), never not at all.
from __future__ import annotations

import logging
import os
import sys
import threading
import time
import weakref
from typing import Any

from gonet.runtime import _proc
from gonet.runtime._debugvars import settings
from gonet.runtime._proc import TICK_LIMIT, Scheduler, all_schedulers, live_schedulers
from gonet.runtime._traceback import format_frames, frames_of

__all__ = ["Sysmon", "sysmon", "set_block_threshold", "block_threshold", "set_time_slice", "time_slice"]

log = logging.getLogger("gonet.runtime")

# Longest sleep between samples when every scheduler sits in epoll_wait.
IDLE_MAX = 0.05
THREAD_NAME = "gonet-sysmon"


class _Watch:
    """What the watchdog remembers about one scheduler between samples."""

    __slots__ = ("sig", "since", "reported", "polls", "polls_at")

    def __init__(self, now: float) -> None:
        self.sig: tuple[Any, ...] | None = None
        self.since = now
        self.reported = False
        self.polls = -1
        self.polls_at = now


class Sysmon:
    """The watchdog: one daemon thread sampling every scheduler. Go: runtime.sysmon."""

    def __init__(
        self, threshold: float | None, poll_every: float | None, timeslice: float | None = None
    ) -> None:
        self.threshold = threshold
        self.poll_every = poll_every
        self.timeslice = timeslice
        self.block_reports = 0
        self.forced_polls = 0
        self.preemptions = 0
        self.samples = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._watch: weakref.WeakKeyDictionary[Scheduler, _Watch] = weakref.WeakKeyDictionary()

    @property
    def enabled(self) -> bool:
        """Whether there is anything to watch for (block reports or the poll guarantee)."""
        return self.threshold is not None or self.poll_every is not None or self.timeslice is not None

    def ensure_started(self) -> None:
        """Start the thread unless it runs or is disabled. Called for each new scheduler."""
        if not self.enabled:
            return
        t = self._thread
        if t is not None and t.is_alive():
            return
        with self._lock:
            t = self._thread
            if t is not None and t.is_alive():
                return
            t = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
            self._thread = t
            t.start()

    def _after_fork(self) -> None:
        # The thread did not survive fork; the child's first scheduler starts a new one.
        self._thread = None
        self._lock = threading.Lock()
        self._watch = weakref.WeakKeyDictionary()

    def _interval(self) -> float:
        step = [0.01]
        if self.poll_every is not None:
            step.append(self.poll_every)
        if self.threshold is not None:
            step.append(self.threshold / 4)
        if self.timeslice is not None:
            # Sampling at the slice, as Go's sysmon does at most every 10 ms: a goroutine is
            # preempted after one to two slices, and the default costs no extra samples.
            step.append(self.timeslice)
        return max(0.001, min(step))

    def _run(self) -> None:
        delay = self._interval()
        while True:
            time.sleep(delay)
            if not self.enabled:
                delay = IDLE_MAX
                continue
            try:
                busy = self.check(time.monotonic())
            except Exception:  # noqa: BLE001 - the watchdog must outlive its own bugs
                log.exception("gonet watchdog: sample failed")
                busy = True
            base = self._interval()
            # Back off while every scheduler idles in epoll_wait; sample fast again at once
            # when one runs goroutines.
            delay = base if busy else min(delay * 2, max(base, min(IDLE_MAX, base * 8)))

    def check(self, now: float) -> bool:
        """Take one sample of every scheduler at monotonic time ``now``.

        Returns:
            Whether any scheduler was running a goroutine (not idle in its hub).
        """
        self.samples += 1
        busy = False
        pending = False
        threads: dict[int, Any] | None = None
        for s in live_schedulers():
            w = self._watch.get(s)
            if w is None:
                w = self._watch[s] = _Watch(now)
            g = s.cur
            if g is not None and threads is None:
                threads = sys._current_frames()  # ~10 us: only when something runs
            if g is None or threads is None or s.thread_ident not in threads:
                # The hub runs (idle in epoll_wait, or dispatching): not a stall. Or the thread
                # has exited and its scheduler awaits collection: nothing runs there.
                w.sig = None
                w.polls = s.n_polls
                w.polls_at = now
                continue
            busy = True
            self._check_poll(s, w, now)
            self._check_block(s, g, w, now)
            pending = pending or s.preempt
        _proc.preempt_requested[0] = pending
        return busy

    def _check_poll(self, s: Scheduler, w: _Watch, now: float) -> None:
        every = self.poll_every
        polls = s.n_polls
        if polls != w.polls:
            w.polls = polls
            w.polls_at = now
        elif every is not None and s.io_waiters and now - w.polls_at >= every:
            if s.ticks < TICK_LIMIT:
                s.ticks = TICK_LIMIT  # the next park/yield goes through the hub, which polls
                self.forced_polls += 1
            w.polls_at = now

    def _check_block(self, s: Scheduler, g: Any, w: _Watch, now: float) -> None:
        sig = (g.id, s.n_parks, s.ticks, s.n_polls, s.now)
        if sig != w.sig:
            w.sig = sig
            w.since = now
            w.reported = False
            return
        slice_ = self.timeslice
        if slice_ is not None and now - w.since >= slice_ and not s.preempt and len(s.gs) > 1:
            s.preempt = True  # the next yield point yields (Go: preemptone)
            self.preemptions += 1
        threshold = self.threshold
        if w.reported or threshold is None or now - w.since < threshold:
            return
        others = len(s.gs) - 1
        if others < 1:
            return  # a lone goroutine blocks nobody (e.g. a test runner between tests)
        w.reported = True
        self.block_reports += 1
        self._report(s, g, now - w.since, others)

    def _report(self, s: Scheduler, g: Any, ran: float, others: int) -> None:

        frame = sys._current_frames().get(s.thread_ident)
        text = format_frames(frames_of(frame)) if frame is not None else "(stack unavailable)\n"
        thread = next(
            (t.name for t in threading.enumerate() if t.ident == s.thread_ident), str(s.thread_ident)
        )
        assert self.threshold is not None
        log.warning(
            "goroutine %d has been running for %d ms without yielding (watchdog threshold "
            "%d ms); the %d other goroutine(s) of thread %s cannot run meanwhile. A blocking "
            "call or a long computation? Move it to gonet.run_in_thread().\ngoroutine %d "
            "[running]:\n%s",
            g.id,
            round(ran * 1000),
            round(self.threshold * 1000),
            others,
            thread,
            g.id,
            text.rstrip("\n"),
            extra={"goroutine": g.id, "stack": text},
        )


sysmon = Sysmon(settings.watchdog, settings.pollguarantee, settings.timeslice)
os.register_at_fork(after_in_child=sysmon._after_fork)


def _swap(attr: str, what: str, seconds: float | None) -> float | None:
    # One setter for the watchdog's durations: validate, swap, and make sure the thread runs.
    if seconds is not None and not seconds >= 0:
        raise ValueError(f"{what} must be >= 0, got {seconds!r}")
    old: float | None = getattr(sysmon, attr)
    setattr(sysmon, attr, seconds or None)
    if all_schedulers():
        sysmon.ensure_started()
    return old


def set_block_threshold(seconds: float | None) -> float | None:
    """Set how long a goroutine may run without yielding before the watchdog reports it.

    Args:
        seconds: the threshold; None or 0 turns reports off (the poll guarantee stays on).

    Returns:
        The previous threshold.

    Raises:
        ValueError: a negative or NaN threshold.

    Go: no equivalent (Go preempts); compare GODEBUG settings.
    """
    return _swap("threshold", "watchdog threshold", seconds)


def block_threshold() -> float | None:
    """Return the watchdog's threshold in seconds, or None when reports are off."""
    return sysmon.threshold


def set_time_slice(seconds: float | None) -> float | None:
    """Set how long a goroutine may run before gonet's next yield point makes it yield.

    Args:
        seconds: the time slice (default 10 ms, or GONET_DEBUG=timeslice=...); None or 0
            turns preemption off.

    Returns:
        The previous time slice.

    Raises:
        ValueError: a negative or NaN time slice.

    Go: forcePreemptNS (10 ms); Go's GODEBUG=asyncpreemptoff=1 is the closest "off".
    """
    return _swap("timeslice", "time slice", seconds)


def time_slice() -> float | None:
    """Return the time slice in seconds, or None when preemption is off."""
    return sysmon.timeslice

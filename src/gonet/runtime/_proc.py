# gonet.runtime._proc: goroutines and the per-thread scheduler (Go: runtime/proc.go).
#
# A goroutine (G) is a greenlet plus an id, a status and a wait reason. Each OS thread that uses
# gonet gets one Scheduler, created lazily by the first gonet call on that thread; the code the
# thread was already running becomes its main goroutine, so no run() wrapper is needed.
#
# Switching. The scheduler's loop runs in its own greenlet, the hub. A goroutine that parks hands
# the CPU straight to the next runnable goroutine (one greenlet switch, not two through the hub)
# until TICK_LIMIT hand-offs in a row; then it goes through the hub, which fires timers and polls
# the network without blocking, so a busy run queue cannot starve I/O. When nothing is runnable the
# hub blocks in epoll_wait until the next timer. Polling is the backend's (_netpoll_epoll.py) and
# the readiness table _netpoll's: its netpollready appends the goroutines an event unblocks to
# the run queue, so the scheduler decodes no event and touches no pollDesc (Go: proc.go gets a
# gList from netpoll).
#
# The one primitive: park(reason) suspends the current goroutine; ready(g, value) makes it
# runnable and park() then returns value (or raises g.wakeexc). Everything that blocks — the
# netpoller, sleep, channels, mutexes, thread hand-off — is built on these two.
#
# Status state machine of a G (Go: _Grunnable, _Grunning, _Gwaiting, _Gdead; the values live in
# _gstatus.py, shared with the netpoller):
#
#   go() ──> RUNNABLE ──switch──> RUNNING ──park()──> WAITING ──ready()──> RUNNABLE
#                                    │
#                                    └──fn returns──> DEAD ──(reused by go())──> RUNNABLE
#
# Around the body: each goroutine runs in its own copy of its creator's contextvars context and
# records the go statement that created it. The watchdog may set `preempt` on a scheduler whose
# goroutine has run past its time slice; yield points (go, channels, sync, fd I/O) then call
# preempt_yield(). After fork() the child retires every scheduler of the parent (see
# _after_fork_in_child) and the forking goroutine becomes the main goroutine of a new one.
#
# Invariants:
# - Only this module switches greenlets.
# - cur is None whenever the hub runs (a greenlet that ends hands the CPU to the hub).
# - From the hub's last run-queue check until epoll_wait returns, `sleeping` is set, and a
#   goroutine readied on this thread meanwhile (by a finalizer, say) writes the eventfd.
# - A G is in the run queue at most once: ready() (and netpollready) is called only for WAITING
#   goroutines, by whoever removed the G from the wait structure it was parked on.
# - Whoever parks must undo its wait registration if park() raises (DeadlockError,
#   KeyboardInterrupt forwarded to main, GreenletExit at thread death).
from __future__ import annotations

import contextvars
import itertools
import os
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import greenlet

from gonet.errors import DeadlockError, WrongThreadError
from gonet.runtime._gstatus import DEAD, RUNNABLE, RUNNING, WAITING
from gonet.runtime._netpoll import netpollready
from gonet.runtime._netpoll_epoll import EpollBackend
from gonet.runtime._panic import default_panic
from gonet.runtime._time import TimerHeap
from gonet.runtime._waitreason import IO_WAIT

__all__ = ["G", "Scheduler", "current", "RUNNABLE", "RUNNING", "WAITING", "DEAD", "IO_WAIT"]


# Hand-offs between goroutines before the hub must poll the network (Go: schedtick % 61).
TICK_LIMIT = 61
# Finished goroutines kept for reuse (Go: gfree list); creating a greenlet costs ~9 us.
GFREE_MAX = 4096
# The free list is trimmed by the idle hub: goroutines that sat unused on it for a whole period
# of this many seconds are released (Go frees idle stacks at GC), at most GFREE_TRIM_BATCH per
# idle round so that releasing thousands of greenlets never stalls the hub for long.
GFREE_TRIM_EVERY = 1.0
GFREE_TRIM_BATCH = 512

_goids = itertools.count(1)
# Consulted before a deadlock is declared: a veto returning True says a wake-up may still come
# from another OS thread, and has queued work or raised Scheduler.external so the hub waits
# for it (the channels register one for objects shared between threads).
deadlock_vetoes: list[Callable[[Scheduler], bool]] = []
# The one new-scheduler hook: called with each new Scheduler at the end of its construction, on
# its thread, before its hub first runs. gonet.runtime starts the watchdog, installs the SIGQUIT
# handler and applies GONET_SCHED_SEED here; _sigqueue registers the signal pipe.
on_new_scheduler: list[Callable[[Scheduler], None]] = []
_schedulers: weakref.WeakSet[Scheduler] = weakref.WeakSet()
_getcurrent = greenlet.getcurrent
_GreenletExit = greenlet.GreenletExit
_copy_context = contextvars.copy_context
_getframe = sys._getframe


def _probe_frame() -> Any:
    return _getframe(0)


# How far up Scheduler.go finds its caller's frame: compiled functions push no Python frame.
_CALLER_DEPTH = 1 if _probe_frame().f_code is _probe_frame.__code__ else 0
# One cell, set by the watchdog while some scheduler has `preempt` set: the yield points of
# modules that do not hold a scheduler at hand (channels, sync) test it before looking one up.
preempt_requested = [False]
# In a forked child, the greenlet of the goroutine that called fork() when it was not its
# thread's main goroutine: it is the child's main goroutine, and its end ends the child.
_forked_glet: Any = None


class G:
    """A goroutine: a greenlet plus its scheduling state. Go: runtime.g."""

    __slots__ = (
        "id",
        "glet",
        "sched",
        "fn",
        "args",
        "kwargs",
        "status",
        "waitreason",
        "waitsince",
        "waitobj",
        "wakeval",
        "wakeexc",
        "parent_id",
        "created_by",
        "created_lasti",
        "ctx",
        "__weakref__",
    )
    glet: Any

    def __init__(self, sched: Scheduler, glet: greenlet.greenlet | None) -> None:
        self.id = next(_goids)
        self.sched = sched
        self.glet = glet
        self.fn: Callable[..., Any] | None = None
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {}
        self.status = RUNNABLE
        self.waitreason = ""
        self.waitsince = 0.0
        self.waitobj: Any = None
        self.wakeval: Any = None
        self.wakeexc: BaseException | None = None
        self.parent_id = 0
        # The code object of the function that executed go() and the offset of that call in
        # its bytecode (Go's "created by"); None for a thread's main goroutine. The offset, not
        # the line: frame.f_lineno scans the line table from the start on every call.
        self.created_by: Any = None
        self.created_lasti = -1
        self.ctx: Any = None  # the contextvars context its body runs in (from go())

    def __repr__(self) -> str:
        return f"<goroutine {self.id} [{self.waitreason or self.status}]>"

    @property
    def created_line(self) -> int:
        """Return the line of the go statement that created this goroutine (0: none)."""
        code = self.created_by
        if code is None:
            return 0
        lasti = self.created_lasti
        if lasti >= 0:
            for start, end, line in code.co_lines():
                if start <= lasti < end and line is not None:
                    return int(line)
        return int(code.co_firstlineno)

    def _loop(self) -> None:
        """Run goroutine bodies forever; between bodies, wait on the free list for reuse."""
        sched = self.sched
        while True:
            sched.cur = self
            self.status = RUNNING
            if sched.runnext is self:
                sched.runnext = None  # the slot is free again
            fn, args, kwargs, ctx = self.fn, self.args, self.kwargs, self.ctx
            self.fn = None
            self.args = ()
            self.kwargs = {}
            self.ctx = None
            try:
                ctx.run(fn, *args, **kwargs)
            except _GreenletExit:
                # This greenlet ends here: take it back out of gfree, or the next go() would
                # give a dead greenlet a goroutine that never runs.
                if sched._goexit(self):
                    sched.gfree.pop()
                sched.cur = None  # the hub runs next, not a finished goroutine
                return
            except BaseException as e:  # noqa: BLE001 - a goroutine's exception is a panic
                if self.glet is _forked_glet:
                    _forked_child_exit(e)
                sched._panic(self, e)
            # Drop the finished body's references now: on the free list they would keep its
            # arguments (a conn, and so its fd) alive until this G is reused.
            del fn, args, kwargs, ctx
            if not sched._goexit(self):
                if self.glet is _forked_glet:
                    _forked_child_exit(None)
                # The greenlet ends and its parent, the hub, runs: no goroutine is current
                # (the watchdog would blame this finished one for the hub's epoll_wait).
                sched.cur = None
                return
            sched._switch_away()


class Scheduler:
    """The run queue, timers and netpoller of one OS thread. Go: an M with its P."""

    __slots__ = (
        "thread_ident",
        "runq",
        "timers",
        "poller",
        "pds",
        "io_waiters",
        "external",
        "inbox",
        "inbox_lock",
        "wake_pending",
        "gfree",
        "gs",
        "ticks",
        "clock",
        "now",
        "main",
        "cur",
        "hub",
        "closed",
        "runnext",
        "runnext_streak",
        "shuffle",
        "autojump",
        "preempt",
        "sleeping",
        "gfree_low",
        "gfree_trim_at",
        # statistics (Go: runtime/metrics); plain ints, bumped on the hot path where cheap
        "n_created",
        "n_peak",
        "n_parks",
        "n_polls",
        "n_events",
        "n_wakeups",
        "n_deadlocks",
        "_parks_by",
        "__weakref__",
    )

    def __init__(self) -> None:
        self.thread_ident = threading.get_ident()
        self.runq: deque[G] = deque()
        self.timers = TimerHeap()
        self.poller = EpollBackend()
        self.pds: dict[int, Any] = {}
        self.io_waiters = 0
        self.external = 0
        self.inbox: list[Any] = []
        self.inbox_lock = threading.Lock()
        self.wake_pending = False
        self.gfree: list[G] = []
        self.clock: Callable[[], float] = time.monotonic
        self.now = self.clock()
        self.ticks = 0
        self.runnext: G | None = None
        self.runnext_streak = 0
        # Set by the watchdog thread when the current goroutine has run past its time slice;
        # the next yield point (go, channel/sync operations, fd I/O) yields (Go: g.preempt).
        self.preempt = False
        # True while the hub is between its last run-queue check and the end of a blocking
        # epoll_wait: a goroutine readied then (by a finalizer or a GC callback) must wake it.
        self.sleeping = False
        # Lowest length of gfree since the last trim: that many sat unused for the period.
        self.gfree_low = 0
        self.gfree_trim_at = self.now + GFREE_TRIM_EVERY
        # Hooks (None = off): shuffle(runq) reorders the run queue before each hub dispatch
        # (GONET_SCHED_SEED); autojump(when) advances a virtual clock to the next timer instead
        # of sleeping when no goroutine can run (trio's autojump clock).
        self.shuffle: Callable[[deque[G]], None] | None = None
        self.autojump: Callable[[float], None] | None = None
        self._parks_by: dict[str, int] = {}  # every reason but IO_WAIT, the hot one
        self.closed = False
        self.n_created = 1
        self.n_peak = 1
        self.n_parks = 0
        self.n_polls = 0
        self.n_events = 0
        self.n_wakeups = 0
        self.n_deadlocks = 0
        main = G(self, _getcurrent())
        main.status = RUNNING
        self.main = main
        self.cur: G | None = main
        self.gs: dict[int, G] = {main.id: main}
        self.hub = greenlet.greenlet(self._hub_run, parent=main.glet)
        _schedulers.add(self)
        for hook in on_new_scheduler:
            hook(self)

    # -- goroutine lifecycle -------------------------------------------------------------------

    def go(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> G:
        """Create a goroutine running fn(*args, **kwargs); it runs when the caller next yields.

        The goroutine starts in a copy of the caller's contextvars context, and records the
        function that called go and the line of that call as its creator.

        Go: runtime.newproc.
        """
        f: Any = _getframe(_CALLER_DEPTH)
        return self.spawn(fn, args, kwargs, f.f_code, f.f_lasti)

    def spawn(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], creator: Any, lasti: int
    ) -> G:
        """Create a goroutine as go() does, created by the go statement at bytecode offset
        ``lasti`` of code object ``creator``."""
        if self.preempt:
            self.preempt_yield()
        gfree = self.gfree
        if gfree:
            g = gfree.pop()
            g.id = next(_goids)
            g.wakeval = None
            if len(gfree) < self.gfree_low:
                self.gfree_low = len(gfree)
        else:
            g = G(self, None)
            g.glet = greenlet.greenlet(g._loop, parent=self.hub)
        # A fresh copy each time: nothing a previous body set on this greenlet carries over,
        # and what the new goroutine sets is never seen by its creator or its siblings. (Run
        # by _loop with Context.run: a compiled _loop leaves a suspended greenlet without a
        # Python frame, and greenlet then refuses a gr_context assignment from outside.)
        g.ctx = _copy_context()
        g.fn = fn
        g.args = args
        g.kwargs = kwargs
        g.status = RUNNABLE
        cur = self.cur
        g.parent_id = cur.id if cur is not None else 0
        g.created_by = creator
        g.created_lasti = lasti
        gs = self.gs
        gs[g.id] = g
        self.n_created += 1
        if len(gs) > self.n_peak:
            self.n_peak = len(gs)
        # runnext (Go's P.runnext): one slot, at the head of the run queue. The new goroutine
        # runs next; a goroutine it displaces from the slot moves to the back, so goroutines
        # started in a row run newest first, then in FIFO order (as in Go). Bounded per hub
        # round so that goroutines spawning each other cannot starve the queue.
        runq = self.runq
        if self.runnext_streak < 8:
            self.runnext_streak += 1
            prev = self.runnext
            if prev is not None and runq and runq[0] is prev:
                runq.popleft()
                runq.append(prev)
            runq.appendleft(g)
            self.runnext = g
        else:
            runq.append(g)
        if self.sleeping:
            self._wake_sleeping_hub()
        return g

    def _goexit(self, g: G) -> bool:
        """Retire a finished goroutine; return True if its greenlet was kept for reuse."""
        g.status = DEAD
        g.waitreason = ""
        g.waitobj = None
        g.wakeexc = None  # an interrupt that never met a park dies with its goroutine
        g.created_by = None
        self.gs.pop(g.id, None)
        if len(self.gfree) < GFREE_MAX and not self.closed:
            self.gfree.append(g)
            return True
        return False

    def _panic(self, g: G, exc: BaseException) -> None:
        """Handle an exception that escaped goroutine g (Go: a panic)."""
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            # Ctrl-C or sys.exit() in any goroutine ends the program through main, as Python users expect.
            self.interrupt(self.main, exc)
            return
        panic_handler(g, exc)

    # -- park / ready --------------------------------------------------------------------------

    def park(self, reason: str, waitobj: Any = None) -> Any:
        """Suspend the current goroutine until ready() is called for it; return its wake value.

        Raises:
            RuntimeError: called from a thread other than this scheduler's.
            BaseException: whatever was passed as ``exc`` to ready()/interrupt().

        Go: runtime.gopark.
        """
        g = self.cur
        if g is None or _getcurrent() is not g.glet:
            raise WrongThreadError(in_hub=g is None)
        g.status = WAITING
        g.waitreason = reason
        g.waitobj = waitobj
        g.waitsince = self.now
        self.n_parks += 1
        if reason is not IO_WAIT:  # the netpoller's parks are counted as the remainder
            by = self._parks_by
            by[reason] = by.get(reason, 0) + 1
        runq = self.runq
        if runq and self.ticks < TICK_LIMIT and runq[0].glet:
            self.ticks += 1
            runq.popleft().glet.switch()
        else:
            self.cur = None  # the hub runs: no goroutine is current (the watchdog relies on it)
            self.hub.switch()
        self.cur = g
        g.status = RUNNING
        exc = g.wakeexc
        if exc is not None:
            g.wakeexc = None
            raise exc
        return g.wakeval

    @property
    def parks_by(self) -> dict[str, int]:
        """Return how many times goroutines parked, by wait reason."""
        by = dict(self._parks_by)
        io = self.n_parks - sum(by.values())
        if io:
            by[IO_WAIT] = io
        return by

    def running(self) -> G:
        """Return the goroutine now running on this scheduler.

        Raises:
            WrongThreadError (a RuntimeError): called from the hub (a timer callback), where no
                goroutine runs.
        """
        g = self.cur
        if g is None:
            raise WrongThreadError(in_hub=True)
        return g

    def ready(self, g: G, value: Any = None) -> None:
        """Make parked goroutine g runnable; its park() returns value. Go: runtime.goready.

        A no-op if g is not parked (it was already woken, e.g. by interrupt()).
        """
        if g.status is not WAITING:
            return
        g.wakeval = value
        g.status = RUNNABLE
        self.runq.append(g)
        if self.sleeping:
            self._wake_sleeping_hub()

    def ready_exc(self, g: G, exc: BaseException) -> None:
        """Make parked goroutine g runnable; its park() raises exc. No-op if g is not parked."""
        if g.status is not WAITING:
            return
        g.wakeexc = exc
        g.status = RUNNABLE
        self.runq.append(g)
        if self.sleeping:
            self._wake_sleeping_hub()

    def interrupt(self, g: G, exc: BaseException) -> None:
        """Deliver exc to g at its current or next park(), waking it if it is parked."""
        g.wakeexc = exc
        if g.status is WAITING:
            g.status = RUNNABLE
            self.runq.append(g)
            if self.sleeping:
                self._wake_sleeping_hub()

    def _wake_sleeping_hub(self) -> None:
        # Python code ran on the hub after its last run-queue check (a finalizer, a GC
        # callback) and readied a goroutine: make the epoll_wait about to start return at once.
        self.sleeping = False
        self.poller.wakeup()

    def gosched(self) -> None:
        """Yield: put the current goroutine at the back of the run queue. Go: runtime.Gosched."""
        g = self.cur
        if g is None:
            return  # called from the hub (a timer callback): nothing to yield
        if not self.runq:
            self.ticks += 1  # (a hand-off counts its own tick in _switch_away)
            if self.ticks < TICK_LIMIT:
                return  # nobody else to run; every TICK_LIMIT yields the hub polls timers and I/O
        g.status = RUNNABLE
        self.runq.append(g)
        self._switch_away()
        self.cur = g
        g.status = RUNNING

    def preempt_yield(self) -> None:
        """Yield at a yield point because the current goroutine used up its time slice.

        Unlike gosched(), the goroutine goes behind whatever the network has made ready
        meanwhile, and the switch passes through the hub (timers, other threads' wake-ups), so
        a goroutine that never parks (an accept loop under a connection flood) cannot starve
        the rest. Go: the preemption that sysmon's retake requests.
        """
        self.preempt = False
        g = self.cur
        if g is None:
            return  # the hub (a timer callback): nothing to preempt
        if _getcurrent() is not g.glet:
            return  # another thread's goroutine touched our object: not ours to yield
        if self.io_waiters:
            self._netpoll(0)
        g.status = RUNNABLE
        self.runq.append(g)
        self.ticks = TICK_LIMIT
        self._switch_away()
        self.cur = g
        g.status = RUNNING

    def _switch_away(self) -> None:
        # A greenlet not yet started (falsy) is started by the hub: a new greenlet inherits the
        # recursion depth of whoever first switches into it, so starting it from deep inside
        # another goroutine would compound depth along a chain of hand-offs.
        runq = self.runq
        if runq and self.ticks < TICK_LIMIT and runq[0].glet:
            self.ticks += 1
            runq.popleft().glet.switch()
        else:
            self.cur = None
            self.hub.switch()

    # -- cross-thread --------------------------------------------------------------------------

    def inject(self, waker: Any) -> None:
        """Queue a completion from another OS thread and wake the hub. Thread-safe.

        ``waker`` has ``deliver(sched)``, called on the scheduler's thread by the hub.
        """
        with self.inbox_lock:
            if self.closed:
                return  # the scheduler's thread has ended: nobody will deliver it
            self.inbox.append(waker)
            if not self.wake_pending:
                self.wake_pending = True
                # Under the lock, so that shutdown() cannot close the eventfd (and the number
                # be reused) between the check above and this write.
                self.poller.wakeup()

    def shutdown(self) -> None:
        """Release the poller (epoll fd, eventfd) and stop counting this scheduler. Idempotent.

        Runs when the scheduler's thread ends (see _ThreadExit) and in a forked child. The
        thread's goroutines are abandoned, as when main returns.
        """
        with self.inbox_lock:
            self.closed = True
            self.inbox = []
        _schedulers.discard(self)
        self.poller.shutdown()

    def _drain_inbox(self) -> None:
        with self.inbox_lock:
            items = self.inbox
            self.inbox = []
            self.wake_pending = False
        for w in items:
            w.deliver(self)

    # -- the hub -------------------------------------------------------------------------------

    def _hub_run(self) -> None:
        while True:
            try:
                self._hub_loop()
            except _GreenletExit:
                raise
            except BaseException as e:  # noqa: BLE001 - a timer callback or poll failed: main decides
                self.interrupt(self.main, e)

    def _hub_loop(self) -> None:  # noqa: C901 - the measured hub loop, kept inline
        runq = self.runq
        timers = self.timers
        polled = False  # did the previous round just poll? then don't poll again before running
        while True:
            self.ticks = 0
            self.runnext_streak = 0
            self.preempt = False  # a request for a goroutine that has parked since is void
            now = self.now = self.clock()  # not bound once: a virtual clock may be installed later
            if timers.active:
                timers.fire(now)
            if self.inbox:
                self._drain_inbox()
            if runq:
                if self.io_waiters and not polled:
                    self._netpoll(0)
                polled = False
                if self.shuffle is not None:
                    self.shuffle(runq)
                runq.popleft().glet.switch()
                continue
            if self.gfree and now >= self.gfree_trim_at:
                self._trim_gfree(now)
                continue  # releasing greenlets ran Python code: look at the queues again
            when = timers.next_when()
            if when is None:
                if not (self.io_waiters or self.external or self.inbox):
                    self._deadlock()
                    continue
                timeout = -1.0
            else:
                timeout = when - now
                if timeout < 0:
                    timeout = 0.0
                elif self.autojump is not None:
                    self._netpoll(0)
                    polled = True
                    if not runq and not self.inbox:
                        self.autojump(when)
                    continue
            if self.gfree:
                # Wake for the free list's next trim: an idle process gives its cached
                # goroutines back, a busy one never reaches here with them unused.
                trim = self.gfree_trim_at - now
                if trim < 0:
                    trim = 0.0
                if timeout < 0 or trim < timeout:
                    timeout = trim
            self._netpoll(timeout)
            polled = True

    def _trim_gfree(self, now: float) -> None:
        """Release free goroutines that sat unused for a whole trim period (oldest first)."""
        gfree = self.gfree
        n = min(self.gfree_low, len(gfree), GFREE_TRIM_BATCH)
        if n:
            # The bottom of the stack is the least recently used. Each is ended explicitly
            # with GreenletExit (which leaves its _loop without touching the scheduler): a
            # compiled _loop keeps its G on the C stack, a cycle the collector cannot see.
            victims = gfree[:n]
            del gfree[:n]
            for g in victims:
                glet = g.glet
                g.glet = None
                glet.throw()
        if n < self.gfree_low:
            self.gfree_trim_at = now  # more to release: the next idle round goes on
            self.gfree_low -= n
        else:
            self.gfree_trim_at = now + GFREE_TRIM_EVERY
            self.gfree_low = len(gfree)

    def _netpoll(self, timeout: float) -> None:
        """Wait for I/O up to timeout and queue the goroutines it unblocks (Go: netpoll).

        The readiness table is _netpoll's: the scheduler only polls and runs what is queued.
        """
        if timeout != 0:
            # From here to the end of epoll_wait, a ready() on this thread (a finalizer run by
            # GC, a GC callback) writes the eventfd so that the wait does not block.
            self.sleeping = True
            if self.runq or self.inbox:
                timeout = 0  # already happened since the hub's check
        try:
            events = self.poller.poll(timeout)
        finally:
            self.sleeping = False
        self.n_polls += 1
        if events:
            self.n_wakeups += netpollready(self.pds, events, self.runq, self.poller.specials)
            self.n_events += len(events)

    def _deadlock(self) -> None:
        main = self.main
        self.n_deadlocks += 1
        if main.status is not WAITING:
            # Cannot happen while main is alive; fail loudly rather than spin.
            raise RuntimeError("gonet: scheduler idle but main goroutine is not parked")
        for veto in deadlock_vetoes:
            # A veto that says "not yet" must have given the hub something to wait for (an inbox
            # item, an external count); one that did not is ignored rather than spun on.
            if veto(self) and (self.inbox or self.external or self.runq or self.timers.active):
                self.n_deadlocks -= 1
                return
        self.ready_exc(main, DeadlockError())


# The action taken for a panic; replaceable (the pytest plugin turns panics into test failures).
panic_handler: Callable[[G, BaseException], None] = default_panic

_tls = threading.local()


class _ThreadExit:
    """Shuts a thread's scheduler down when the thread ends.

    Kept only in the thread's local storage, so it is freed (by reference count, not by the
    cycle collector: the scheduler and its goroutines form cycles) when the thread's locals are
    cleared at its exit; without it every thread that used gonet leaked an epoll fd and an
    eventfd, and num_goroutine() kept counting its goroutines.
    """

    __slots__ = ("sched",)

    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched

    def __del__(self) -> None:
        try:
            self.sched.shutdown()
        except BaseException:  # noqa: BLE001 - nothing to report to at thread or interpreter exit
            pass


def current() -> Scheduler:
    """Return this OS thread's scheduler, creating it (and the main goroutine) on first use."""
    try:
        s: Scheduler = _tls.sched
        return s
    except AttributeError:
        s = _tls.sched = Scheduler()
        _tls.exit_hook = _ThreadExit(s)  # replacing an older hook shuts its scheduler down
        return s


def all_schedulers() -> list[Scheduler]:
    """Return every live scheduler (one per OS thread that has used gonet)."""
    return list(_schedulers)


def live_schedulers() -> list[Scheduler]:
    """Return every scheduler not shut down, oldest main goroutine first. Safe from any thread."""
    for _ in range(5):
        try:
            scheds = all_schedulers()
        except RuntimeError:  # the WeakSet changed size while another thread added to it
            continue
        return sorted((s for s in scheds if not s.closed), key=lambda s: s.main.id)
    return []


# Schedulers of the parent, kept alive forever in a forked child: their goroutines do not exist
# there (as in Go and POSIX: only the forking thread survives fork), so their greenlets must
# never be collected — collecting one would run its finally blocks in the child.
_abandoned: list[Any] = []


def _forked_child_exit(exc: BaseException | None) -> None:
    """End a forked child whose main goroutine (the one that called fork) has returned.

    As when main returns in Go, the process exits at once: status 0, or the status of a
    SystemExit; any other exception is left to the panic handler.
    """
    if exc is not None and not isinstance(exc, SystemExit):
        return
    status = 0
    code = exc.code if isinstance(exc, SystemExit) else None
    if isinstance(code, int):
        status = code
    elif code is not None:
        try:
            sys.stderr.write(f"{code}\n")
        except Exception:  # noqa: BLE001 - stderr may be closed; exit anyway
            pass
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - as at interpreter exit: a closed stream is ignored
            pass
    os._exit(status)


def _after_fork_in_child() -> None:
    """Give the child a fresh scheduler (created on its next gonet call) and netpoller.

    The forking goroutine continues as the main goroutine of the child's new scheduler; the
    parent's other goroutines do not exist in the child. Fds inherited from the parent are
    adopted by the new scheduler on first use (see FdMutex.yield_point, PollDesc.wait_read).
    """
    global _forked_glet
    s = getattr(_tls, "sched", None)
    if s is not None:
        glet = _getcurrent()
        if glet.parent is not None and glet is not s.main.glet:
            _forked_glet = glet  # a goroutine forked: its end is the child's end
        del _tls.sched
    olds = list(_schedulers)  # the other threads' schedulers too: their threads are gone
    if s is not None and s not in olds:
        olds.append(s)
    for old in olds:
        # Not shutdown(): its lock may have been held by another thread at the fork.
        old.closed = True
        old.inbox = []
        old.inbox_lock = threading.Lock()
        try:
            old.poller.shutdown()  # the child's copies of the epoll fd and the eventfd
        except OSError:
            pass
        # Every yield point of an fd bound to an old scheduler now takes its slow path, which
        # moves the fd to the child's scheduler.
        old.preempt = True
        old.cur = None
        _abandoned.append(old)
    _tls.__dict__.pop("exit_hook", None)  # its shutdown() finds the work done
    _schedulers.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)

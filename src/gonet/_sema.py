# gonet._sema: the waiting layer under channels, sync and select — waiters (sudogs), parking and
# waking them, blocking plain threads, exclusive access to shareable objects, and the cross-thread
# watch that keeps the deadlock detector honest (Go: runtime/sema.go's sudog and semacquire/
# semrelease, proc.go's checkdead; trio: _core/_parking_lot.py).
#
# Who waits how. A blocking operation parks the calling goroutine on its thread's scheduler.
# The main thread always has one, created by its first blocking operation if need be (main's
# code is goroutine 1, so `Chan().recv()` there is Go's canonical deadlock, not a hang). Any
# other thread that has never used gonet is a plain thread: it blocks on a private lock.
#
# Thread mode. Most objects are used by the goroutines of one OS thread only, and greenlets
# switch only at park points, so no lock is needed. Each Shareable (Chan, sync primitives)
# therefore carries an owner; operations by the owner thread take no lock:
#
#   unowned ──first op──> owned by thread T ──op by another thread──> transit ──> shared
#   (_owner 0)            (_owner == T: lock-free)                    (TRANSIT)   (SHARED: lock)
#
# The transition makes sure T is not half-way through a lock-free operation: the newcomer
# publishes TRANSIT, then inspects T's current Python stack (sys._current_frames) until no
# frame of a @critical function is active above a @safe point (Shareable._enter, thread_wait,
# select's lock_all: places where the object is consistent). With the GIL, T either read the
# owner before the store (and is seen in a critical frame) or reads TRANSIT after it. From then
# on every thread, T included, takes the object's lock. (So this module and its users must stay
# interpreted: a compiled critical function would have no Python frame to be seen in. They are
# deliberately not in gonet._accel_modules.ACCELERATED.) A goroutine woken from another thread
# is readied through its scheduler's inject() (the eventfd wakes the hub); a plain thread
# through its private lock.
#
# Exclusive access has one structural form: `with self._exclusive():` around the code that reads
# or changes the object's state; the block never parks. The hottest operations (channel
# send/receive, Mutex lock/unlock, ...) spell the same thing out as `lk = ... _enter()` plus
# try/finally (a context manager's calls would cost more than the operation itself); when such
# an operation must wait it hands its exclusive access over to _wait (`held, lk = lk, None`),
# which queues the waiter, gives the access up, and parks, all in one call.
#
# Deadlock. The hub declares a deadlock when nothing on its thread can run, but another OS
# thread may still wake us. The one mechanism is the scheduler's deadlock veto (registered
# below): before any verdict it asks whether another thread is awake (alive, not a runtime
# worker, not itself blocked in a gonet wait — judged at one instant); if so a watcher on the
# thread pool holds Scheduler.external at +1 for as long as that stays true, hands the count
# back exactly once, and the detector looks again. A goroutine about to wait on a shared object
# starts the watch at once (ensure_watch), so the hub does not even try a verdict meanwhile.
#
# Invariants:
# - A sudog is in at most one queue; whoever dequeues it completes it (for a select, only after
#   winning its shared claim token) and wakes its waiter exactly once.
# - Parked waiters that fail (exception) unlink themselves; if a partner completed them first,
#   the object's _abandon() undoes what they were given (a mutex handed over is passed on).
from __future__ import annotations

import sys
import threading
import weakref
from _thread import LockType, allocate_lock
from _thread import get_ident as _get_ident
from collections import deque
from collections.abc import Callable
from time import sleep as _thread_sleep  # bound at import: gonet.patch.time() may replace time.sleep
from typing import Any, TypeVar, cast

from gonet.runtime import _proc
from gonet.runtime._proc import WAITING, Scheduler
from gonet.runtime._threadpool import pool

__all__ = [
    "SHARED",
    "TRANSIT",
    "Shareable",
    "Sudog",
    "critical",
    "safe",
    "preempt_requested",
    "preempt_point",
    "current_sched",
    "new_waiter",
    "wake",
    "thread_wait",
    "block_forever",
    "ensure_watch",
    "asleep",
    "wait_quiescent",
]

F = TypeVar("F", bound=Callable[..., Any])

SHARED = -1
TRANSIT = -2
_tls = _proc._tls

# Code objects of functions that mutate shareable objects lock-free, and of safe points.
_CRITICAL: set[Any] = set()
_SAFE: set[Any] = set()
_mode_lock = allocate_lock()


def critical(fn: F) -> F:
    """Mark fn as mutating shareable state; a mode transition waits while it runs."""
    _CRITICAL.add(fn.__code__)
    return fn


def safe(fn: F) -> F:
    """Mark fn as a point where the caller's shareable objects are consistent."""
    _SAFE.add(fn.__code__)
    return fn


preempt_requested = _proc.preempt_requested


def preempt_point() -> None:
    """Yield if this thread's goroutine has used up its time slice (channel and sync ops)."""
    s: Scheduler | None = getattr(_tls, "sched", None)
    if s is not None and s.preempt:
        s.preempt_yield()


def current_sched() -> Scheduler | None:
    """Return the scheduler a blocking operation parks on, or None for a plain thread.

    The main thread always gets one (its code is goroutine 1, as main is in Go, so blocking
    forever there is a deadlock, not a hang); another thread that never used gonet stays a
    plain thread and blocks on a private lock.
    """
    s: Scheduler | None = getattr(_tls, "sched", None)
    if s is None and _get_ident() == threading.main_thread().ident:
        s = _proc.current()
    return s


def _mid_op(f: Any) -> bool:
    # The innermost safe point or critical frame decides.
    while f is not None:
        code = f.f_code
        if code in _SAFE:
            return False
        if code in _CRITICAL:
            return True
        f = f.f_back
    return False


def wait_quiescent(ident: int) -> None:
    """Wait until thread ident is not inside a lock-free critical section."""
    delay = 1e-6
    while True:
        f = sys._current_frames().get(ident)
        if f is None or not _mid_op(f):
            return
        del f
        _thread_sleep(delay)
        delay = min(delay * 2, 1e-3)


class _Owned:
    """Exclusive access of the owner thread: nothing to release."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _Held:
    """Exclusive access through an acquired lock: release it on leaving the block."""

    __slots__ = ("lock",)

    def __init__(self, lock: LockType) -> None:
        self.lock = lock

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


_OWNED = _Owned()


class Shareable:
    """Base of objects usable lock-free by one thread and with a lock by several.

    Subclasses keep FIFO queues of Sudogs and use _exclusive, _wait (or _enqueue and _block).
    """

    __slots__ = ("_owner", "_lock")

    def __init__(self) -> None:
        self._owner = 0
        self._lock: LockType | None = None

    @safe
    def _enter(self) -> LockType | None:
        """Gain exclusive access as a non-owner: return the acquired lock, or None if the
        caller became the owner (lock-free)."""
        me = _get_ident()
        while True:
            owner = self._owner
            if owner == SHARED:
                lk = cast(LockType, self._lock)
                lk.acquire()
                return lk
            if owner == me:
                return None
            if owner == TRANSIT:
                _thread_sleep(1e-5)
                continue
            with _mode_lock:
                if self._owner != owner:
                    continue
                if owner == 0:
                    self._owner = me
                    return None
                self._lock = allocate_lock()
                self._owner = TRANSIT
            wait_quiescent(owner)
            self._owner = SHARED

    def _exclusive(self) -> _Owned | _Held:
        """Gain exclusive access for a ``with`` block (the block must not park)."""
        if self._owner == _get_ident():
            return _OWNED
        lk = self._enter()
        return _OWNED if lk is None else _Held(lk)

    @critical
    def _unlink(self, q: deque[Sudog], w: Sudog) -> bool:
        """Remove waiter w from q; return False if a partner had already dequeued it."""
        with self._exclusive():
            try:
                q.remove(w)
                return True
            except ValueError:
                return False

    def _abandon(self, w: Sudog) -> None:
        """Undo what a completed waiter received when its goroutine leaves with an exception."""

    @critical
    def _wait(self, q: deque[Sudog], elem: Any, reason: str, lk: LockType | None) -> Any:
        """Enqueue the caller on q (carrying elem) and block until a partner completes it.

        Takes over the caller's exclusive access (lk, or ownership) and gives it up before
        blocking: the caller hands it over with ``held, lk = lk, None``.

        Returns:
            The value the partner passed.

        Raises:
            RuntimeError: the caller is a scheduler's hub, which cannot block (a timer callback).
        """
        try:
            try:
                s: Scheduler | None = _tls.sched
            except AttributeError:
                s = None
            if s is None or s.cur is None:
                w = new_waiter(elem)
                s = w.g.sched if w.g is not None else None
            else:
                try:
                    w = _free.pop()
                    w.g = s.cur
                    w.elem = elem
                except IndexError:
                    w = Sudog(s.cur, elem)
            w.chan = self  # what a goroutine dump shows this waiter waits on
            q.append(w)
        finally:
            if lk is not None:
                lk.release()
        try:
            if s is None:
                thread_wait(w)
                return w.elem
            if lk is not None:
                ensure_watch(s)  # shared: another thread may be the one to wake us
            v = s.park(reason, w)
            if not w.done and len(_free) < 256:
                # Completed on this thread: nothing refers to w any more, so reuse it.
                w.g = w.elem = w.chan = None
                _free.append(w)
            return v
        except BaseException:
            if not self._unlink(q, w):
                self._abandon(w)
            raise

    def _enqueue(self, q: deque[Sudog], elem: Any) -> Sudog:
        """Queue a fresh waiter for the caller on q, carrying elem (exclusive access held);
        wait for it with _block.

        Raises:
            RuntimeError: the caller is a scheduler's hub, which cannot block (a timer callback).
        """
        w = new_waiter(elem)
        w.chan = self  # what a goroutine dump shows this waiter waits on
        q.append(w)
        return w

    def _block(self, q: deque[Sudog], w: Sudog, reason: str) -> Any:
        """Wait, after leaving exclusive access, until a partner completes w (from _enqueue);
        return the value passed. For waits with a step between queueing and blocking (Cond.wait
        unlocks L); w is not recycled, as something else may still refer to it.

        On an exception w is unlinked from q first, or, if already completed, abandoned.
        """
        g = w.g
        try:
            if g is None:
                thread_wait(w)
                return w.elem
            s: Scheduler = g.sched
            if self._owner == SHARED:
                ensure_watch(s)  # another thread may be the one to wake us
            return s.park(reason, w)
        except BaseException:
            if not self._unlink(q, w):
                self._abandon(w)
            raise


# -- waiters ---------------------------------------------------------------------------------


class Sudog:
    """A waiter in a queue: a parked goroutine or a blocked plain thread. Go: runtime.sudog.

    For a select, each case has a sudog (sel: the shared record, index: the case) and the record
    is a Sudog too, holding the waiter, the claim token (a one-entry dict whose pop decides the
    winner atomically across threads), the winning index and the value.
    """

    __slots__ = ("g", "elem", "sel", "done", "tlock", "index", "chan", "token")
    # Set only where used: index on select cases and on the record (for the winner), token on a
    # select record. chan: the channel of a select case; on a waiter, the object it waits on
    # (a channel, a sync primitive) or, on a select record, the select's cases: a goroutine
    # dump shows it.
    index: int
    chan: Any
    token: dict[int, bool]

    def __init__(self, g: Any, elem: Any) -> None:
        self.g = g
        self.elem = elem
        self.sel: Sudog | None = None
        self.done = False
        self.tlock: LockType | None = None

    def deliver(self, s: Scheduler) -> None:
        """Ready the goroutine on its own thread (called by the hub for a cross-thread wake)."""
        g = self.g
        if g.status is WAITING and g.waitobj is self:
            s.ready(g, self.elem)

    def __repr__(self) -> str:
        ch = getattr(self, "chan", None)
        return f"<waiter on {ch!r}>" if ch is not None else "<waiter>"

    def describe_wait(self, g: Any, now: float) -> str:
        """Say what the parked goroutine waits on, for a goroutine dump (the runtime's WaitObject)."""
        on = getattr(self, "chan", None)
        if on is None:
            return "nothing can wake it: blocked forever" if self.g is None else ""
        if isinstance(on, tuple):  # a select record: its cases
            return "select on " + ", ".join(f"{'send' if c.send else 'recv'} {c.chan!r}" for c in on)
        return repr(on)


def new_waiter(elem: Any) -> Sudog:
    """Return a fresh waiter for the caller: its goroutine, or (g None) this plain thread.

    Raises:
        RuntimeError: the caller is a scheduler's hub, which cannot block (a timer callback).
    """
    s = current_sched()
    if s is None:
        w = Sudog(None, elem)
        tl = w.tlock = allocate_lock()
        tl.acquire()
        return w
    g = s.cur
    if g is None:
        raise RuntimeError("gonet: cannot block outside a goroutine (e.g. in a timer callback)")
    return Sudog(g, elem)


def wake(w: Sudog, v: Any, me: int) -> None:
    """Complete waiter w with value v (caller has exclusive access to w's queue; me: its thread)."""
    g = w.g
    if g is not None:
        s = g.sched
        if s.thread_ident == me:
            s.ready(g, v)
            return
        w.elem = v
        w.done = True
        s.inject(w)
        return
    w.elem = v
    _wakes[0] += 1  # before done: a snapshot that saw this thread asleep is retaken
    w.done = True
    cast(LockType, w.tlock).release()


# Recycled goroutine waiters (Go: the P's sudogcache); list.pop/append are atomic under the GIL.
_free: list[Sudog] = []

# Plain threads blocked in a gonet wait, by thread ident: such a thread cannot wake anyone
# until completed; _wakes[0] changes whenever one is completed (a consistent-snapshot check).
_blocked: dict[int, Sudog] = {}
_wakes = [0]
_wcond = threading.Condition(threading.Lock())


@safe
def thread_wait(w: Sudog) -> None:
    """Block this plain OS thread until w (made by new_waiter) is completed."""
    ident = _get_ident()
    _blocked[ident] = w
    with _wcond:
        _wcond.notify_all()
    try:
        cast(LockType, w.tlock).acquire()
    finally:
        _blocked.pop(ident, None)


def block_forever(reason: str) -> None:
    """Block the caller forever (nil channel, empty select): only a deadlock verdict ends it."""
    w = Sudog(None, None)
    s = current_sched()
    if s is None:
        tl = w.tlock = allocate_lock()
        tl.acquire()
        thread_wait(w)
    else:
        while True:
            s.park(reason, w)


# The runtime's own threads: idle pool workers wake nobody (a busy one holds its scheduler's
# external count), nor does the watchdog.
_RUNTIME_THREADS = ("gonet-pool-", "gonet-sysmon")


def _awake_threads(me: int) -> bool:
    """Report whether some other thread may still wake a goroutine of thread me: a live
    thread (not a runtime worker) that is not blocked in a gonet wait, judged at one instant."""
    dummy = _DummyThread
    while True:
        seq = _wakes[0]
        for t in threading.enumerate():  # started and not yet ended
            ident = t.ident
            if ident == me or ident is None or asleep(ident):
                continue
            if not t.name.startswith(_RUNTIME_THREADS) and not isinstance(t, dummy):
                return True
        if _wakes[0] == seq:  # nobody was woken while we looked: a consistent snapshot
            return False


_DummyThread: Any = getattr(threading, "_DummyThread", ())


def asleep(ident: int | None) -> bool:
    """Report whether thread ident is a plain thread blocked in a gonet wait."""
    w = _blocked.get(ident) if ident is not None else None
    return w is not None and not w.done


# The active watch of each scheduler, by id(scheduler) (the watch checks it is the same one);
# read and written only on that scheduler's thread.
_watches: dict[int, _Watch] = {}


_threads_active: Any = getattr(threading, "_active", None)  # CPython's registry: len() is cheap
_nobody_awake: tuple[int, int, int] | None = None  # (thread, thread count, _wakes) last seen


def ensure_watch(s: Scheduler, sure: bool = False) -> bool:
    """Hold s.external while another thread that may wake s's goroutines is awake.

    Called when a goroutine of s is about to wait on a shared object (cheap once a watch is
    running, or while the threads are as they were when nobody else was awake) and, with
    sure=True (no shortcut), when a deadlock verdict needs checking. Returns whether a watch
    is running.
    """
    global _nobody_awake
    w = _watches.get(id(s))
    if w is not None and not w.finished and w.sched() is s:
        return True
    me = s.thread_ident
    n = len(_threads_active) if _threads_active is not None else threading.active_count()
    key = (me, n, _wakes[0])
    if not sure and key == _nobody_awake:
        # A thread that started since would still be caught by the deadlock verdict's check.
        return False
    if not _awake_threads(me):
        _nobody_awake = key
        return False
    w = _watches[id(s)] = _Watch(s)
    s.external += 1  # released by this watch's deliver(), exactly once
    pool.submit(cast(Any, w))
    return True


class _Watch:
    """Runs on the thread pool until no other thread is awake (all have ended or are blocked
    in gonet waits), then hands back to the scheduler so its deadlock detector looks again."""

    __slots__ = ("sched", "me", "finished")

    def __init__(self, sched: Scheduler) -> None:
        self.sched = weakref.ref(sched)
        self.me = sched.thread_ident
        self.finished = False  # set before the hand-back: a goroutine parking meanwhile
        #                        must start a new watch rather than count on this one

    def run(self) -> None:
        delay = 0.005
        with _wcond:
            while _awake_threads(self.me) and self.sched() is not None:
                # Entering a gonet wait notifies; a thread's end does not, hence the timeout.
                _wcond.wait(delay)
                delay = min(delay * 2, 0.25)
        self.finished = True
        s = self.sched()
        if s is not None:
            s.inject(self)

    def deliver(self, s: Scheduler) -> None:
        s.external -= 1
        if _watches.get(id(s)) is self:
            del _watches[id(s)]


def _veto(s: Scheduler) -> bool:
    """The runtime's deadlock veto: a verdict on s is premature while another thread may wake
    one of its goroutines; then arrange to be asked again (a watch holds s.external)."""
    if s.inbox:
        return True  # a wake-up from another thread is already queued
    return ensure_watch(s, sure=True)


if _veto not in _proc.deadlock_vetoes:
    _proc.deadlock_vetoes.append(_veto)

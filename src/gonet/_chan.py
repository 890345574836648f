# gonet._chan: channels, and the waiting machinery that gonet.sync shares (Go: runtime/chan.go,
# sema.go's sudog, proc.go's checkdead).
#
# A Chan is a FIFO buffer plus two FIFO queues of waiters (sudogs): blocked receivers and blocked
# senders. A waiter is a goroutine (parked on its scheduler) or a plain OS thread that runs no
# scheduler (blocked on a private lock). Every operation completes a waiting partner directly:
# a sender that finds a receiver hands the value over and readies it; it never goes through the
# buffer, so values and waiters are both served first-come first-served.
#
# Who waits how. A blocking operation parks the calling goroutine on its thread's scheduler.
# The main thread always has one, created by its first blocking operation if need be (main's
# code is goroutine 1, so `Chan().recv()` there is Go's canonical deadlock, not a hang). Any
# other thread that has never used gonet is a plain thread: it blocks on a private lock.
#
# Thread mode. Most objects are used by the goroutines of one OS thread only, and greenlets
# switch only at park points, so no lock is needed. Each shareable object (Chan, sync
# primitives) therefore carries an owner; operations by the owner thread take no lock:
#
#   unowned ──first op──> owned by thread T ──op by another thread──> transit ──> shared
#   (_owner 0)            (_owner == T: lock-free)                    (_TRANSIT)  (SHARED: lock)
#
# The transition makes sure T is not half-way through a lock-free operation: the newcomer
# publishes _TRANSIT, then inspects T's current Python stack (sys._current_frames) until no
# frame of a @_critical function is active above a safe point (_enter, _thread_wait,
# _lock_all: places where the object is consistent). With the GIL, T either read the owner
# before the store (and is seen in a critical frame) or reads _TRANSIT after it. From then on
# every thread, T included, takes the object's lock. (So this module must stay interpreted: a
# compiled _critical function would have no Python frame to be seen in. It is deliberately not
# in gonet._accel.ACCELERATED.) A goroutine woken from another thread is
# readied through its scheduler's inject() (the eventfd wakes the hub); a plain thread through
# its private lock.
#
# Deadlock. The hub declares a deadlock when nothing on its thread can run, but another OS
# thread may still wake us. So while a goroutine waits on a shared object, a watcher on the
# thread pool holds Scheduler.external at +1 for as long as some other thread is awake (alive,
# not a runtime worker, not itself blocked in a gonet wait — judged at one instant); it hands
# the count back exactly once, and the detector looks again. A goroutine that parked before the
# other thread first touched the object gets a verdict instead: its park site (_park) checks
# the same thing and, if another thread is awake, starts a watch and keeps waiting. Where the
# runtime offers deadlock vetoes, that check runs before any verdict is given.
#
# Invariants:
# - A sudog is in at most one queue; whoever dequeues it completes it (for a select, only after
#   winning its shared claim token) and wakes its waiter exactly once.
# - Parked waiters that fail (exception) unlink themselves; if a partner completed them first,
#   the object's _abandon() undoes what they were given (a mutex handed over is passed on).
# - Buffer non-empty => no waiting receivers; buffer not full => no waiting senders; closed =>
#   no waiting senders.
from __future__ import annotations

import sys
import threading
import time as _time
import weakref
from _thread import LockType, allocate_lock
from _thread import get_ident as _get_ident
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar, cast

from gonet.errors import ClosedChannelError, DeadlockError, NilChannelError
from gonet.runtime import _proc
from gonet.runtime._proc import WAITING, Scheduler
from gonet.runtime._threadpool import pool
from gonet.runtime._waitreason import CHAN_RECEIVE, CHAN_SEND

__all__ = ["Chan", "Case", "nil_chan"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

SHARED = -1
_TRANSIT = -2
_CLOSED: Any = type("_Closed", (), {"__repr__": lambda self: "<closed>"})()
_tls = _proc._tls

# Code objects of functions that mutate shareable objects lock-free, and of safe points.
_CRITICAL: set[Any] = set()
_SAFE: set[Any] = set()
_mode_lock = allocate_lock()


def _critical(fn: F) -> F:
    """Mark fn as mutating shareable state; a mode transition waits while it runs."""
    _CRITICAL.add(fn.__code__)
    return fn


def _safe(fn: F) -> F:
    """Mark fn as a point where the caller's shareable objects are consistent."""
    _SAFE.add(fn.__code__)
    return fn


_preempt_requested = _proc.preempt_requested


def _preempt_point() -> None:
    """Yield if this thread's goroutine has used up its time slice (channel and sync ops)."""
    s: Scheduler | None = getattr(_tls, "sched", None)
    if s is not None and s.preempt:
        s.preempt_yield()


def _sched() -> Scheduler | None:
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


def _wait_quiescent(ident: int) -> None:
    """Wait until thread ident is not inside a lock-free critical section."""
    delay = 1e-6
    while True:
        f = sys._current_frames().get(ident)
        if f is None or not _mid_op(f):
            return
        del f
        _time.sleep(delay)
        delay = min(delay * 2, 1e-3)


class _Shareable:
    """Base of objects usable lock-free by one thread and with a lock by several."""

    __slots__ = ("_owner", "_lock")

    def __init__(self) -> None:
        self._owner = 0
        self._lock: LockType | None = None

    @_safe
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
            if owner == _TRANSIT:
                _time.sleep(1e-5)
                continue
            with _mode_lock:
                if self._owner != owner:
                    continue
                if owner == 0:
                    self._owner = me
                    return None
                self._lock = allocate_lock()
                self._owner = _TRANSIT
            _wait_quiescent(owner)
            self._owner = SHARED

    @_critical
    def _unlink(self, q: deque[Sudog], w: Sudog) -> bool:
        """Remove waiter w from q; return False if a partner had already dequeued it."""
        lk = None if self._owner == _get_ident() else self._enter()
        try:
            q.remove(w)
            return True
        except ValueError:
            return False
        finally:
            if lk is not None:
                lk.release()

    def _abandon(self, w: Sudog) -> None:
        """Undo what a completed waiter received when its goroutine leaves with an exception."""

    @_critical
    def _wait(self, q: deque[Sudog], elem: Any, reason: str, lk: LockType | None) -> Any:
        """Enqueue the caller on q (with elem) and block until a partner completes it.

        Call with exclusive access held (lk, or ownership); it is released here. Returns the
        value the partner passed; on an exception the waiter is unlinked first.
        """
        try:
            s: Scheduler | None = _tls.sched
        except AttributeError:
            s = None
        if s is None or s.cur is None:
            w, s = _new_waiter(elem, lk)
        else:
            try:
                w = _free.pop()
                w.g = s.cur
                w.elem = elem
            except IndexError:
                w = Sudog(s.cur, elem)
        w.chan = self  # what a goroutine dump shows this waiter waits on
        q.append(w)
        if lk is not None:
            lk.release()
            if s is not None:
                _ensure_watch(s)  # shared: another thread may be the one to wake us
        try:
            if s is None:
                _thread_wait(w)
                return w.elem
            try:
                v = s.park(reason, w)
                if not w.done and len(_free) < 256:
                    # Completed on this thread: nothing refers to w any more, so reuse it.
                    w.g = w.elem = w.chan = None
                    _free.append(w)
                return v
            except DeadlockError:
                if w.done:
                    return w.elem
                if not _others_may_wake(s):
                    raise
                return _park(s, reason, w)
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
            return "select on " + ", ".join(
                f"{'send' if c.send else 'recv'} {c.chan!r}" for c in on)
        return repr(on)


def _new_waiter(elem: Any, lk: LockType | None) -> tuple[Sudog, Scheduler | None]:
    s = _sched()
    if s is None:
        w = Sudog(None, elem)
        tl = w.tlock = allocate_lock()
        tl.acquire()
        return w, None
    g = s.cur
    if g is None:
        if lk is not None:
            lk.release()
        raise RuntimeError("gonet: cannot block outside a goroutine (e.g. in a timer callback)")
    return Sudog(g, elem), s


def _wake(w: Sudog, v: Any, me: int) -> None:
    """Complete waiter w with value v (caller has exclusive access to w's queue)."""
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


# Recycled plain waiters (Go: the P's sudogcache); list.pop/append are atomic under the GIL.
_free: list[Sudog] = []

# Plain threads blocked in a gonet wait, by thread ident: such a thread cannot wake anyone
# until completed; _wakes[0] changes whenever one is completed (a consistent-snapshot check).
_blocked: dict[int, Sudog] = {}
_wakes = [0]
_wcond = threading.Condition(threading.Lock())


@_safe
def _thread_wait(w: Sudog) -> None:
    """Block this plain OS thread until w is completed."""
    ident = _get_ident()
    _blocked[ident] = w
    with _wcond:
        _wcond.notify_all()
    try:
        cast(LockType, w.tlock).acquire()
    finally:
        _blocked.pop(ident, None)


def _park(s: Scheduler, reason: str, w: Sudog) -> Any:
    """Park the current goroutine on w; ignore a deadlock verdict while another thread may wake us."""
    while True:
        try:
            return s.park(reason, w)
        except DeadlockError:
            if w.done:  # a partner on another thread completed us as the detector ran
                return w.elem
            if not _others_may_wake(s):
                raise


def _block_forever(reason: str) -> None:
    """Block the caller forever (nil channel, empty select): only a deadlock verdict ends it."""
    w = Sudog(None, None)
    s = _sched()
    if s is None:
        tl = w.tlock = allocate_lock()
        tl.acquire()
        _thread_wait(w)
    else:
        while True:
            _park(s, reason, w)


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
            if ident == me or ident is None or _asleep(ident):
                continue
            if not t.name.startswith(_RUNTIME_THREADS) and not isinstance(t, dummy):
                return True
        if _wakes[0] == seq:  # nobody was woken while we looked: a consistent snapshot
            return False


_DummyThread: Any = getattr(threading, "_DummyThread", ())


def _asleep(ident: int | None) -> bool:
    w = _blocked.get(ident) if ident is not None else None
    return w is not None and not w.done


def _others_may_wake(s: Scheduler) -> bool:
    """Decide whether a deadlock verdict on s is premature; if so arrange to be asked again."""
    if s.inbox:
        return True  # a wake-up from another thread is already queued
    return _ensure_watch(s, sure=True)


# The active watch of each scheduler, by id(scheduler) (the watch checks it is the same one);
# read and written only on that scheduler's thread.
_watches: dict[int, _Watch] = {}


_threads_active: Any = getattr(threading, "_active", None)  # CPython's registry: len() is cheap
_nobody_awake: tuple[int, int, int] | None = None  # (thread, thread count, _wakes) last seen


def _ensure_watch(s: Scheduler, sure: bool = False) -> bool:
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
    """The runtime's deadlock veto, where the runtime offers one: never a false verdict."""
    return _others_may_wake(s)


# A runtime that consults vetoes before declaring a deadlock (Scheduler._deadlock) needs no
# interception at park sites; register where supported.
_vetoes = getattr(_proc, "deadlock_vetoes", None)
if isinstance(_vetoes, list) and _veto not in _vetoes:
    _vetoes.append(_veto)


# -- channels --------------------------------------------------------------------------------

class Chan(_Shareable, Generic[T]):
    """A Go channel: ``Chan()`` is unbuffered (a rendezvous), ``Chan(n)`` buffers n values.

    ``send(v)`` / ``recv()`` block the calling goroutine (or plain thread) as needed;
    ``recv_ok()`` also reports whether the channel was still open; ``close()`` ends it;
    ``for v in ch`` receives until closed and drained; ``len(ch)`` counts buffered values and
    ``ch.cap`` is the capacity. ``ch.recv_case()`` / ``ch.send_case(v)`` build select cases.
    A channel may be shared between OS threads, with or without schedulers.

    Go: chan T, make(chan T, n).
    """

    __slots__ = ("_buf", "_cap", "_closed", "_recvq", "_sendq", "__weakref__")
    _nil = False

    def __init__(self, capacity: int = 0) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise TypeError(f"channel capacity must be an int, not {type(capacity).__name__}")
        if capacity < 0:
            raise ValueError("makechan: size out of range")
        self._owner = 0
        self._lock = None
        self._buf: deque[Any] = deque()
        self._cap = capacity
        self._closed = False
        self._recvq: deque[Sudog] = deque()
        self._sendq: deque[Sudog] = deque()

    @staticmethod
    def nil() -> Chan[Any]:
        """Return the nil channel: sends and receives block forever, close panics."""
        return nil_chan

    @property
    def cap(self) -> int:
        """The buffer capacity (0: unbuffered). Go: cap(ch)."""
        return self._cap

    def __len__(self) -> int:
        """Return the number of buffered values. Go: len(ch)."""
        return len(self._buf)

    def __bool__(self) -> bool:
        # Only the nil channel is falsy (a Go `ch != nil` test); an empty channel is still a channel.
        return True

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<Chan cap={self._cap} len={len(self._buf)}{state} at {id(self):#x}>"

    @_critical
    def send(self, v: T) -> None:
        """Send v, blocking until a receiver takes it (unbuffered) or there is buffer room.

        Raises:
            ClosedChannelError: "send on closed channel" (also if closed while blocked).

        Go: ch <- v.
        """
        if _preempt_requested[0]:
            _preempt_point()
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        if self._closed:
            if lk is not None:
                lk.release()
            raise ClosedChannelError("send on closed channel")
        q = self._recvq
        while q:
            sd = q.popleft()
            w = sd.sel
            if w is None:
                w = sd
            elif w.token.pop(0, None) is None:
                continue  # that select already fired on another case
            else:
                w.index = sd.index
            g = w.g
            if g is not None and (gs := g.sched).thread_ident == me:
                gs.ready(g, v)
            else:
                _wake(w, v, me)
            if lk is not None:
                lk.release()
            return
        buf = self._buf
        if len(buf) < self._cap:
            buf.append(v)
            if lk is not None:
                lk.release()
            return
        if self._wait(self._sendq, v, CHAN_SEND, lk) is _CLOSED:
            raise ClosedChannelError("send on closed channel")

    @_critical
    def _recv(self) -> Any:
        """Receive one value, or _CLOSED once closed and drained. Go: chanrecv."""
        if _preempt_requested[0]:
            _preempt_point()
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        q = self._sendq
        while q:
            sd = q.popleft()
            w = sd.sel
            if w is None:
                w = sd
            elif w.token.pop(0, None) is None:
                continue
            else:
                w.index = sd.index
            buf = self._buf
            if buf:  # full buffer: take its head, the sender's value joins the tail
                v = buf.popleft()
                buf.append(sd.elem)
            else:
                v = sd.elem
            g = w.g
            if g is not None and (gs := g.sched).thread_ident == me:
                gs.ready(g, None)
            else:
                _wake(w, None, me)
            if lk is not None:
                lk.release()
            return v
        buf = self._buf
        if buf:
            v = buf.popleft()
            if lk is not None:
                lk.release()
            return v
        if self._closed:
            if lk is not None:
                lk.release()
            return _CLOSED
        return self._wait(self._recvq, None, CHAN_RECEIVE, lk)

    def recv(self) -> T | None:
        """Receive a value, blocking until one is available; None once closed and drained.

        Go: v := <-ch.
        """
        v = self._recv()
        return None if v is _CLOSED else cast(T, v)

    def recv_ok(self) -> tuple[T | None, bool]:
        """Receive a value and whether it came from a send: (None, False) once closed and drained.

        Go: v, ok := <-ch.
        """
        v = self._recv()
        if v is _CLOSED:
            return None, False
        return v, True

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        """Receive the next value; stop when the channel is closed and drained. Go: for v := range ch."""
        v = self._recv()
        if v is _CLOSED:
            raise StopIteration
        return cast(T, v)

    @_critical
    def close(self) -> None:
        """Close the channel: receivers drain the buffer, then get (None, False); blocked
        senders panic.

        Raises:
            ClosedChannelError: "close of closed channel".

        Go: close(ch).
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        if self._closed:
            if lk is not None:
                lk.release()
            raise ClosedChannelError("close of closed channel")
        self._closed = True
        for q in (self._recvq, self._sendq):
            while q:
                sd = q.popleft()
                w = sd.sel
                if w is None:
                    w = sd
                elif w.token.pop(0, None) is None:
                    continue
                else:
                    w.index = sd.index
                _wake(w, _CLOSED, me)
        if lk is not None:
            lk.release()

    @_critical
    def _try_send(self, v: Any) -> bool:
        """Send v if that needs no waiting; False if full or closed. For timer callbacks."""
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        try:
            if self._closed:
                return False
            return self._nb_send(v, me)
        finally:
            if lk is not None:
                lk.release()

    @_critical
    def _drain(self) -> bool:
        """Discard buffered values; return whether there were any (Go 1.23 timer channels)."""
        lk = None if self._owner == _get_ident() else self._enter()
        had = bool(self._buf)
        self._buf.clear()
        if lk is not None:
            lk.release()
        return had

    # Non-blocking halves, for select: the caller holds exclusive access.

    def _nb_send(self, v: Any, me: int) -> bool:
        q = self._recvq
        while q:
            sd = q.popleft()
            w = sd.sel
            if w is None:
                w = sd
            elif w.token.pop(0, None) is None:
                continue
            else:
                w.index = sd.index
            _wake(w, v, me)
            return True
        buf = self._buf
        if len(buf) < self._cap:
            buf.append(v)
            return True
        return False

    def _nb_recv(self, me: int) -> Any:
        """Receive without waiting: a value, _CLOSED, or _EMPTY."""
        q = self._sendq
        while q:
            sd = q.popleft()
            w = sd.sel
            if w is None:
                w = sd
            elif w.token.pop(0, None) is None:
                continue
            else:
                w.index = sd.index
            buf = self._buf
            if buf:
                v = buf.popleft()
                buf.append(sd.elem)
            else:
                v = sd.elem
            _wake(w, None, me)
            return v
        if self._buf:
            return self._buf.popleft()
        if self._closed:
            return _CLOSED
        return _EMPTY

    def recv_case(self) -> Case:
        """Return a select case receiving from this channel. Go: case v, ok := <-ch."""
        return Case(self, False, None)

    def send_case(self, v: T) -> Case:
        """Return a select case sending v on this channel. Go: case ch <- v."""
        return Case(self, True, v)


_EMPTY: Any = type("_Empty", (), {"__repr__": lambda self: "<empty>"})()


class _NilChan(Chan[Any]):
    """The nil channel: every send and receive blocks forever; close panics."""

    __slots__ = ()
    _nil = True

    def send(self, v: Any) -> None:
        _block_forever("chan send (nil chan)")

    def _recv(self) -> Any:
        _block_forever("chan receive (nil chan)")

    def close(self) -> None:
        raise NilChannelError("close of nil channel")

    def _try_send(self, v: Any) -> bool:
        return False

    def _drain(self) -> bool:
        return False

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "nil_chan"


nil_chan: Chan[Any] = _NilChan()


class Case:
    """One arm of a select: a receive from, or a send of ``value`` on, ``chan``.

    Build with ``ch.recv_case()`` / ``ch.send_case(v)``.
    """

    __slots__ = ("chan", "send", "value")

    def __init__(self, chan: Chan[Any], send: bool, value: Any) -> None:
        if not isinstance(chan, Chan):
            raise TypeError(f"select case needs a Chan, not {type(chan).__name__}")
        self.chan = chan
        self.send = send
        self.value = value

    def __repr__(self) -> str:
        return f"<send case {self.chan!r}>" if self.send else f"<recv case {self.chan!r}>"

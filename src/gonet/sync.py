# gonet.sync: Go's sync package for goroutines — WaitGroup, Mutex, RWMutex, Once, Cond — plus
# a weighted Semaphore (golang.org/x/sync/semaphore).
#
# Every primitive is a FIFO queue of waiters on the channel machinery (gonet._chan): lock-free
# while one OS thread uses it, locked once a second thread does, and a waiter is a parked
# goroutine or a blocked plain thread. Wake-up is fair: a release hands the resource straight
# to the first waiter (the lock stays held across the hand-off), so a newcomer cannot barge
# ahead of a goroutine that has been waiting (Go's starvation mode, always on).
#
# Misuse raises gonet.errors.SyncError (a PanicError) with Go's message. A Mutex is not
# reentrant: locking it twice from one goroutine blocks (a deadlock if nothing else runs).
from __future__ import annotations

from _thread import LockType
from _thread import get_ident as _get_ident
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from gonet._chan import (
    Sudog,
    _block_forever,
    _critical,
    _ensure_watch,
    _new_waiter,
    _park,
    _preempt_point,
    _preempt_requested,
    _Shareable,
    _thread_wait,
    _wake,
)
from gonet.errors import SyncError
from gonet.runtime import go as _go
from gonet.runtime._waitreason import SEMACQUIRE

if TYPE_CHECKING:
    from gonet.context import Context

__all__ = ["WaitGroup", "Mutex", "RWMutex", "Once", "Cond", "Semaphore", "Locker",
           "once_func", "once_value"]

T = TypeVar("T")


class Locker(ABC):
    """Anything with lock() and unlock() (Mutex, RWMutex, RWMutex.rlocker()). Go: sync.Locker."""

    __slots__ = ()

    @abstractmethod
    def lock(self) -> None:
        """Acquire the lock, parking until it is free."""

    @abstractmethod
    def unlock(self) -> None:
        """Release the lock."""


class WaitGroup(_Shareable):
    """Wait for a collection of goroutines to finish. Go: sync.WaitGroup.

    ``add(n)`` before starting work, ``done()`` when each piece ends, ``wait()`` blocks until
    the counter is zero; ``go(fn, *args)`` does all three for one goroutine.
    """

    __slots__ = ("_n", "_waitq")

    def __init__(self) -> None:
        super().__init__()
        self._n = 0
        self._waitq: deque[Sudog] = deque()

    @_critical
    def add(self, delta: int) -> None:
        """Add delta (may be negative) to the counter; at zero, release every waiter.

        Raises:
            SyncError: "sync: negative WaitGroup counter" (the counter is left unchanged).

        Go: WaitGroup.Add.
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        n = self._n + delta
        if n < 0:
            if lk is not None:
                lk.release()
            raise SyncError("sync: negative WaitGroup counter")
        self._n = n
        if n == 0:
            q = self._waitq
            while q:
                _wake(q.popleft(), None, me)
        if lk is not None:
            lk.release()

    def done(self) -> None:
        """Decrement the counter by one. Go: WaitGroup.Done."""
        self.add(-1)

    @_critical
    def wait(self) -> None:
        """Block until the counter is zero. Go: WaitGroup.Wait."""
        lk = None if self._owner == _get_ident() else self._enter()
        if self._n == 0:
            if lk is not None:
                lk.release()
            return
        self._wait(self._waitq, None, "sync.WaitGroup.Wait", lk)

    def go(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Run fn(*args, **kwargs) in a new goroutine counted by this group.

        An exception escaping fn is still a panic; the group is marked done first.

        Go: WaitGroup.Go (Go 1.25).
        """
        self.add(1)
        _go(self._run, fn, args, kwargs)

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            fn(*args, **kwargs)
        finally:
            self.done()

    def __repr__(self) -> str:
        return f"<WaitGroup n={self._n} waiters={len(self._waitq)}>"


class Mutex(_Shareable, Locker):
    """A mutual exclusion lock, FIFO-fair, not reentrant; also a context manager.

    Go: sync.Mutex.
    """

    __slots__ = ("_locked", "_waitq")

    def __init__(self) -> None:
        super().__init__()
        self._locked = False
        self._waitq: deque[Sudog] = deque()

    @_critical
    def lock(self) -> None:
        """Acquire the lock, waiting in FIFO order if it is held. Go: Mutex.Lock."""
        if _preempt_requested[0]:
            _preempt_point()
        lk = None if self._owner == _get_ident() else self._enter()
        if not self._locked:
            self._locked = True
            if lk is not None:
                lk.release()
            return
        self._wait(self._waitq, None, "sync.Mutex.Lock", lk)  # woken = the lock handed to us

    @_critical
    def try_lock(self) -> bool:
        """Acquire the lock if it is free; report whether it was. Go: Mutex.TryLock."""
        lk = None if self._owner == _get_ident() else self._enter()
        ok = not self._locked
        if ok:
            self._locked = True
        if lk is not None:
            lk.release()
        return ok

    @_critical
    def unlock(self) -> None:
        """Release the lock, handing it to the longest waiter if any.

        Raises:
            SyncError: "sync: unlock of unlocked mutex".

        Go: Mutex.Unlock.
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        if not self._locked:
            if lk is not None:
                lk.release()
            raise SyncError("sync: unlock of unlocked mutex")
        q = self._waitq
        if q:
            _wake(q.popleft(), None, me)  # still locked: ownership passes to the waiter
        else:
            self._locked = False
        if lk is not None:
            lk.release()

    def _abandon(self, w: Sudog) -> None:
        self.unlock()  # handed the lock but leaving with an exception: pass it on

    def locked(self) -> bool:
        """Report whether the lock is held (for assertions and debugging)."""
        return self._locked

    def __enter__(self) -> Mutex:
        self.lock()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.unlock()

    def __repr__(self) -> str:
        return f"<Mutex {'locked' if self._locked else 'unlocked'} waiters={len(self._waitq)}>"


class RWMutex(_Shareable, Locker):
    """A reader/writer lock: many readers or one writer, granted in FIFO order.

    A waiting writer blocks later readers, so writers are not starved; when a writer
    unlocks, the readers queued behind it enter together.

    Go: sync.RWMutex.
    """

    __slots__ = ("_readers", "_writer", "_waitq")

    def __init__(self) -> None:
        super().__init__()
        self._readers = 0
        self._writer = False
        self._waitq: deque[Sudog] = deque()  # elem: True for a writer

    @_critical
    def lock(self) -> None:
        """Acquire for writing. Go: RWMutex.Lock."""
        if _preempt_requested[0]:
            _preempt_point()
        lk = None if self._owner == _get_ident() else self._enter()
        if not self._writer and self._readers == 0 and not self._waitq:
            self._writer = True
            if lk is not None:
                lk.release()
            return
        self._wait(self._waitq, True, "sync.RWMutex.Lock", lk)

    @_critical
    def rlock(self) -> None:
        """Acquire for reading. Go: RWMutex.RLock."""
        if _preempt_requested[0]:
            _preempt_point()
        lk = None if self._owner == _get_ident() else self._enter()
        if not self._writer and not self._waitq:
            self._readers += 1
            if lk is not None:
                lk.release()
            return
        self._wait(self._waitq, False, "sync.RWMutex.RLock", lk)

    @_critical
    def try_lock(self) -> bool:
        """Acquire for writing if free; report whether it was. Go: RWMutex.TryLock."""
        lk = None if self._owner == _get_ident() else self._enter()
        ok = not self._writer and self._readers == 0 and not self._waitq
        if ok:
            self._writer = True
        if lk is not None:
            lk.release()
        return ok

    @_critical
    def try_rlock(self) -> bool:
        """Acquire for reading if no writer holds or awaits it. Go: RWMutex.TryRLock."""
        lk = None if self._owner == _get_ident() else self._enter()
        ok = not self._writer and not self._waitq
        if ok:
            self._readers += 1
        if lk is not None:
            lk.release()
        return ok

    @_critical
    def unlock(self) -> None:
        """Release the write lock.

        Raises:
            SyncError: "sync: Unlock of unlocked RWMutex".

        Go: RWMutex.Unlock.
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        if not self._writer:
            if lk is not None:
                lk.release()
            raise SyncError("sync: Unlock of unlocked RWMutex")
        self._writer = False
        self._grant(me)
        if lk is not None:
            lk.release()

    @_critical
    def runlock(self) -> None:
        """Release one read lock.

        Raises:
            SyncError: "sync: RUnlock of unlocked RWMutex".

        Go: RWMutex.RUnlock.
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        if self._readers <= 0:
            if lk is not None:
                lk.release()
            raise SyncError("sync: RUnlock of unlocked RWMutex")
        self._readers -= 1
        if self._readers == 0:
            self._grant(me)
        if lk is not None:
            lk.release()

    def _grant(self, me: int) -> None:
        """Admit waiters from the head: one writer, or a run of readers."""
        q = self._waitq
        while q:
            w = q[0]
            if w.elem:  # a writer
                if self._readers or self._writer:
                    return
                self._writer = True
                _wake(q.popleft(), True, me)  # the value keeps elem meaningful for _abandon
                return
            if self._writer:
                return
            self._readers += 1
            _wake(q.popleft(), False, me)

    def _abandon(self, w: Sudog) -> None:
        if w.elem:
            self.unlock()
        else:
            self.runlock()

    def rlocker(self) -> Locker:
        """Return a Locker whose lock/unlock are rlock/runlock. Go: RWMutex.RLocker."""
        return _RLocker(self)

    @contextmanager
    def rlocked(self) -> Iterator[None]:
        """Hold a read lock for a ``with`` block."""
        self.rlock()
        try:
            yield
        finally:
            self.runlock()

    def __enter__(self) -> RWMutex:
        self.lock()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.unlock()

    def __repr__(self) -> str:
        state = "writer" if self._writer else f"readers={self._readers}"
        return f"<RWMutex {state} waiters={len(self._waitq)}>"


class _RLocker(Locker):
    __slots__ = ("rw",)

    def __init__(self, rw: RWMutex) -> None:
        self.rw = rw

    def lock(self) -> None:
        self.rw.rlock()

    def unlock(self) -> None:
        self.rw.runlock()

    def __enter__(self) -> _RLocker:
        self.rw.rlock()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.rw.runlock()


class Once:
    """Run a function exactly once, however many goroutines call do().

    Callers that arrive while f runs wait for it to finish. If f raises, the exception
    propagates to that caller, and the Once still counts as done: f is never retried.

    Go: sync.Once.
    """

    __slots__ = ("_done", "_m")

    def __init__(self) -> None:
        self._done = False
        self._m = Mutex()

    def do(self, f: Callable[[], Any]) -> None:
        """Call f if no call of do() has yet; otherwise wait until that call has returned.

        Go: Once.Do.
        """
        if self._done:
            return
        m = self._m
        m.lock()
        try:
            if not self._done:
                try:
                    f()
                finally:
                    self._done = True
        finally:
            m.unlock()

    def __repr__(self) -> str:
        return f"<Once done={self._done}>"


def once_func(f: Callable[[], Any]) -> Callable[[], None]:
    """Return a function that calls f only once; if f raised, every call raises the same
    exception. Go: sync.OnceFunc (Go 1.21)."""
    once = Once()
    failure: list[BaseException] = []

    def call() -> None:
        try:
            f()
        except BaseException as e:
            failure.append(e)
            raise

    def g() -> None:
        once.do(call)
        if failure:
            raise failure[0]

    return g


def once_value(f: Callable[[], T]) -> Callable[[], T]:
    """Return a function that calls f only once and returns its value on every call; if f
    raised, every call raises the same exception. Go: sync.OnceValue (Go 1.21)."""
    once = Once()
    result: list[Any] = []
    failure: list[BaseException] = []

    def call() -> None:
        try:
            result.append(f())
        except BaseException as e:
            failure.append(e)
            raise

    def g() -> T:
        once.do(call)
        if failure:
            raise failure[0]
        out: T = result[0]
        return out

    return g


class Cond(_Shareable):
    """A condition variable over a Locker L: wait() releases L, sleeps until signalled, and
    re-acquires L. Waiters are woken in the order they started waiting.

    Go: sync.Cond (``sync.NewCond(l)``: ``Cond(l)``).
    """

    __slots__ = ("L", "_waitq")

    def __init__(self, L: Any) -> None:
        super().__init__()
        self.L = L
        self._waitq: deque[Sudog] = deque()

    def __repr__(self) -> str:
        return f"<Cond waiters={len(self._waitq)}>"

    def wait(self) -> None:
        """Unlock L, wait for signal() or broadcast(), then lock L again. Go: Cond.Wait."""
        # Enqueue before unlocking L, so a signal sent right after the unlock is not missed.
        w, s = self._enqueue()
        self.L.unlock()
        try:
            self._await(w, s)
        finally:
            self.L.lock()

    @_critical
    def _enqueue(self) -> tuple[Sudog, Any]:
        lk = None if self._owner == _get_ident() else self._enter()
        w, s = _new_waiter(None, lk)
        w.chan = self  # for a goroutine dump
        self._waitq.append(w)
        if lk is not None:
            lk.release()
            if s is not None:
                _ensure_watch(s)
        return w, s

    def _await(self, w: Sudog, s: Any) -> None:
        try:
            if s is None:
                _thread_wait(w)
            else:
                _park(s, "sync.Cond.Wait", w)
        except BaseException:
            self._unlink(self._waitq, w)
            raise

    @_critical
    def signal(self) -> None:
        """Wake the longest-waiting goroutine, if any. Go: Cond.Signal."""
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        q = self._waitq
        if q:
            _wake(q.popleft(), None, me)
        if lk is not None:
            lk.release()

    @_critical
    def broadcast(self) -> None:
        """Wake every waiting goroutine. Go: Cond.Broadcast."""
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        q = self._waitq
        while q:
            _wake(q.popleft(), None, me)
        if lk is not None:
            lk.release()


class Semaphore(_Shareable):
    """A weighted semaphore of ``size`` units, granted in FIFO order: a large request at the
    head of the queue is not overtaken by smaller ones behind it.

    Go: golang.org/x/sync/semaphore.Weighted (``NewWeighted(n)``: ``Semaphore(n)``).
    """

    __slots__ = ("_size", "_cur", "_waitq")

    def __init__(self, size: int = 1) -> None:
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"semaphore size must be a non-negative int, got {size!r}")
        self._size = size
        self._cur = 0
        self._waitq: deque[Sudog] = deque()  # elem: units wanted

    @_critical
    def acquire(self, n: int = 1, ctx: Context | None = None) -> None:
        """Acquire n units, waiting in FIFO order; with ctx, give up when it is done.

        A request larger than the size can never succeed: it waits for ctx (forever without).

        Raises:
            ctx.err(): the context ended first (nothing is held then).

        Go: Weighted.Acquire.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"semaphore: cannot acquire {n!r} units")
        me = _get_ident()
        if ctx is not None:
            err = ctx.err()
            if err is not None:
                raise err
        lk = None if self._owner == me else self._enter()
        if self._size - self._cur >= n and not self._waitq:
            self._cur += n
            if lk is not None:
                lk.release()
            return
        if n > self._size:
            if lk is not None:
                lk.release()
            if ctx is None:
                _block_forever(SEMACQUIRE)
            else:
                ctx.done().recv()
                raise ctx.err()  # type: ignore[misc]
        if ctx is None:
            self._wait(self._waitq, n, SEMACQUIRE, lk)
            return
        self._acquire_ctx(n, ctx, lk)

    def _acquire_ctx(self, n: int, ctx: Context, lk: LockType | None) -> None:
        from gonet.context import after_func

        w, s = _new_waiter(n, lk)
        w.chan = self  # for a goroutine dump
        self._waitq.append(w)
        if lk is not None:
            lk.release()
            if s is not None:
                _ensure_watch(s)
        stop = after_func(ctx, lambda: self._cancel_waiter(w))
        try:
            if s is None:
                _thread_wait(w)
                v = w.elem
            else:
                v = _park(s, SEMACQUIRE, w)
        except BaseException:
            stop()
            if not self._unlink(self._waitq, w):
                self.release(n)
            raise
        stop()
        if v is _CANCELED:
            raise ctx.err()  # type: ignore[misc]
        if ctx.err() is not None:  # granted, but the context ended too: give it back (as Go)
            self.release(n)
            raise ctx.err()  # type: ignore[misc]

    @_critical
    def _cancel_waiter(self, w: Sudog) -> None:
        """after_func callback: withdraw w if it is still queued and wake it empty-handed."""
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        q = self._waitq
        try:
            front = bool(q) and q[0] is w
            q.remove(w)
        except ValueError:
            pass  # already granted
        else:
            if front:
                self._notify(me)  # removing the head may let smaller requests behind it in
            _wake(w, _CANCELED, me)
        if lk is not None:
            lk.release()

    @_critical
    def try_acquire(self, n: int = 1) -> bool:
        """Acquire n units if available without waiting; report success. Go: Weighted.TryAcquire."""
        lk = None if self._owner == _get_ident() else self._enter()
        ok = self._size - self._cur >= n and not self._waitq
        if ok:
            self._cur += n
        if lk is not None:
            lk.release()
        return ok

    @_critical
    def release(self, n: int = 1) -> None:
        """Release n units, admitting waiters from the head of the queue.

        Raises:
            SyncError: "semaphore: released more than held".

        Go: Weighted.Release.
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        if self._cur - n < 0:
            if lk is not None:
                lk.release()
            raise SyncError("semaphore: released more than held")
        self._cur -= n
        self._notify(me)
        if lk is not None:
            lk.release()

    def _notify(self, me: int) -> None:
        q = self._waitq
        while q:
            want = q[0].elem
            if self._size - self._cur < want:
                return  # FIFO: the head waits, and so does everyone behind it
            self._cur += want
            _wake(q.popleft(), want, me)  # the value keeps elem meaningful for _abandon

    def _abandon(self, w: Sudog) -> None:
        self.release(w.elem)

    def __enter__(self) -> Semaphore:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<Semaphore {self._cur}/{self._size} waiters={len(self._waitq)}>"


_CANCELED: Any = type("_Canceled", (), {"__repr__": lambda self: "<canceled>"})()

# gonet.sync: Go's sync package for goroutines — WaitGroup, Mutex, RWMutex, Once, Cond — plus
# a weighted Semaphore (golang.org/x/sync/semaphore).
#
# Every primitive is a FIFO queue of waiters on the waiting layer (gonet._sema): lock-free
# while one OS thread uses it, locked once a second thread does, and a waiter is a parked
# goroutine or a blocked plain thread. State is read and changed only with exclusive access
# (`with self._exclusive():`; the hottest operations spell it out as an owner test plus
# try/finally, which costs no more than the lock-free path). Wake-up is fair: a release hands the resource straight
# to the first waiter (the lock stays held across the hand-off), so a newcomer cannot barge
# ahead of a goroutine that has been waiting (Go's starvation mode, always on).
#
# Misuse raises gonet.errors.SyncError (a PanicError) with Go's message. A Mutex is not
# reentrant: locking it twice from one goroutine blocks (a deadlock if nothing else runs).
from __future__ import annotations

from _thread import get_ident as _get_ident
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from gonet._sema import (
    Shareable,
    Sudog,
    block_forever,
    critical,
    preempt_point,
    preempt_requested,
    wake,
)
from gonet.errors import SyncError
from gonet.runtime import go as _go
from gonet.runtime._waitreason import SEMACQUIRE

if TYPE_CHECKING:
    from gonet.context import Context

__all__ = ["WaitGroup", "Mutex", "RWMutex", "Once", "Cond", "Semaphore", "Locker", "once_func", "once_value"]

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


class WaitGroup(Shareable):
    """Wait for a collection of goroutines to finish. Go: sync.WaitGroup.

    ``add(n)`` before starting work, ``done()`` when each piece ends, ``wait()`` blocks until
    the counter is zero; ``go(fn, *args)`` does all three for one goroutine.
    """

    __slots__ = ("_n", "_waitq")

    def __init__(self) -> None:
        super().__init__()
        self._n = 0
        self._waitq: deque[Sudog] = deque()

    @critical
    def add(self, delta: int) -> None:
        """Add delta (may be negative) to the counter; at zero, release every waiter.

        Raises:
            SyncError: "sync: negative WaitGroup counter" (the counter is left unchanged).

        Go: WaitGroup.Add.
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()  # hot: `with self._exclusive()`
        try:
            n = self._n + delta
            if n < 0:
                raise SyncError("sync: negative WaitGroup counter")
            self._n = n
            if n == 0:
                q = self._waitq
                while q:
                    wake(q.popleft(), None, me)
        finally:
            if lk is not None:
                lk.release()

    def done(self) -> None:
        """Decrement the counter by one. Go: WaitGroup.Done."""
        self.add(-1)

    @critical
    def wait(self) -> None:
        """Block until the counter is zero. Go: WaitGroup.Wait."""
        lk = None if self._owner == _get_ident() else self._enter()  # hot: `with self._exclusive()`
        try:
            if self._n == 0:
                return
            held, lk = lk, None  # _wait takes over exclusive access
            self._wait(self._waitq, None, "sync.WaitGroup.Wait", held)
        finally:
            if lk is not None:
                lk.release()

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


class Mutex(Shareable, Locker):
    """A mutual exclusion lock, FIFO-fair, not reentrant; also a context manager.

    Go: sync.Mutex.
    """

    __slots__ = ("_locked", "_waitq")

    def __init__(self) -> None:
        super().__init__()
        self._locked = False
        self._waitq: deque[Sudog] = deque()

    @critical
    def lock(self) -> None:
        """Acquire the lock, waiting in FIFO order if it is held. Go: Mutex.Lock."""
        if preempt_requested[0]:
            preempt_point()
        lk = None if self._owner == _get_ident() else self._enter()  # hot: `with self._exclusive()`
        try:
            if not self._locked:
                self._locked = True
                return
            held, lk = lk, None  # _wait takes over exclusive access
            self._wait(self._waitq, None, "sync.Mutex.Lock", held)  # woken = the lock is ours
        finally:
            if lk is not None:
                lk.release()

    @critical
    def try_lock(self) -> bool:
        """Acquire the lock if it is free; report whether it was. Go: Mutex.TryLock."""
        with self._exclusive():
            ok = not self._locked
            if ok:
                self._locked = True
            return ok

    @critical
    def unlock(self) -> None:
        """Release the lock, handing it to the longest waiter if any.

        Raises:
            SyncError: "sync: unlock of unlocked mutex".

        Go: Mutex.Unlock.
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()  # hot: `with self._exclusive()`
        try:
            if not self._locked:
                raise SyncError("sync: unlock of unlocked mutex")
            q = self._waitq
            if q:
                wake(q.popleft(), None, me)  # still locked: ownership passes to the waiter
            else:
                self._locked = False
        finally:
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


class RWMutex(Shareable, Locker):
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

    @critical
    def lock(self) -> None:
        """Acquire for writing. Go: RWMutex.Lock."""
        if preempt_requested[0]:
            preempt_point()
        lk = None if self._owner == _get_ident() else self._enter()  # hot: `with self._exclusive()`
        try:
            if not self._writer and self._readers == 0 and not self._waitq:
                self._writer = True
                return
            held, lk = lk, None  # _wait takes over exclusive access
            self._wait(self._waitq, True, "sync.RWMutex.Lock", held)
        finally:
            if lk is not None:
                lk.release()

    @critical
    def rlock(self) -> None:
        """Acquire for reading. Go: RWMutex.RLock."""
        if preempt_requested[0]:
            preempt_point()
        lk = None if self._owner == _get_ident() else self._enter()  # hot: `with self._exclusive()`
        try:
            if not self._writer and not self._waitq:
                self._readers += 1
                return
            held, lk = lk, None  # _wait takes over exclusive access
            self._wait(self._waitq, False, "sync.RWMutex.RLock", held)
        finally:
            if lk is not None:
                lk.release()

    @critical
    def try_lock(self) -> bool:
        """Acquire for writing if free; report whether it was. Go: RWMutex.TryLock."""
        with self._exclusive():
            ok = not self._writer and self._readers == 0 and not self._waitq
            if ok:
                self._writer = True
            return ok

    @critical
    def try_rlock(self) -> bool:
        """Acquire for reading if no writer holds or awaits it. Go: RWMutex.TryRLock."""
        with self._exclusive():
            ok = not self._writer and not self._waitq
            if ok:
                self._readers += 1
            return ok

    @critical
    def unlock(self) -> None:
        """Release the write lock.

        Raises:
            SyncError: "sync: Unlock of unlocked RWMutex".

        Go: RWMutex.Unlock.
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()  # hot: `with self._exclusive()`
        try:
            if not self._writer:
                raise SyncError("sync: Unlock of unlocked RWMutex")
            self._writer = False
            self._grant(me)
        finally:
            if lk is not None:
                lk.release()

    @critical
    def runlock(self) -> None:
        """Release one read lock.

        Raises:
            SyncError: "sync: RUnlock of unlocked RWMutex".

        Go: RWMutex.RUnlock.
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()  # hot: `with self._exclusive()`
        try:
            if self._readers <= 0:
                raise SyncError("sync: RUnlock of unlocked RWMutex")
            self._readers -= 1
            if self._readers == 0:
                self._grant(me)
        finally:
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
                wake(q.popleft(), True, me)  # the value keeps elem meaningful for _abandon
                return
            if self._writer:
                return
            self._readers += 1
            wake(q.popleft(), False, me)

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


class Cond(Shareable):
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

    @critical
    def wait(self) -> None:
        """Unlock L, wait for signal() or broadcast(), then lock L again. Go: Cond.Wait."""
        # Enqueue before unlocking L, so a signal sent right after the unlock is not missed.
        with self._exclusive():
            w = self._enqueue(self._waitq, None)
        self.L.unlock()
        try:
            self._block(self._waitq, w, "sync.Cond.Wait")
        finally:
            self.L.lock()

    @critical
    def signal(self) -> None:
        """Wake the longest-waiting goroutine, if any. Go: Cond.Signal."""
        me = _get_ident()
        with self._exclusive():
            q = self._waitq
            if q:
                wake(q.popleft(), None, me)

    @critical
    def broadcast(self) -> None:
        """Wake every waiting goroutine. Go: Cond.Broadcast."""
        me = _get_ident()
        with self._exclusive():
            q = self._waitq
            while q:
                wake(q.popleft(), None, me)


class Semaphore(Shareable):
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

    @critical
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
        w = None
        lk = None if self._owner == me else self._enter()  # hot: `with self._exclusive()`
        try:
            if self._size - self._cur >= n and not self._waitq:
                self._cur += n
                return
            if n <= self._size:
                if ctx is None:
                    held, lk = lk, None  # _wait takes over exclusive access
                    self._wait(self._waitq, n, SEMACQUIRE, held)
                    return
                w = self._enqueue(self._waitq, n)
        finally:
            if lk is not None:
                lk.release()
        if w is None:  # more than the size: only the context can end the wait
            if ctx is None:
                block_forever(SEMACQUIRE)
                return
            ctx.done().recv()
            raise ctx.err()  # type: ignore[misc]
        assert ctx is not None  # w is queued here only with a context
        self._block_ctx(w, n, ctx)

    def _block_ctx(self, w: Sudog, n: int, ctx: Context) -> None:
        """Wait for the queued w until granted or ctx is done (then w is withdrawn)."""
        from gonet.context import after_func

        stop = after_func(ctx, lambda: self._cancel_waiter(w))
        try:
            v = self._block(self._waitq, w, SEMACQUIRE)
        finally:
            stop()
        if v is _CANCELED:
            raise ctx.err()  # type: ignore[misc]
        if ctx.err() is not None:  # granted, but the context ended too: give it back (as Go)
            self.release(n)
            raise ctx.err()  # type: ignore[misc]

    @critical
    def _cancel_waiter(self, w: Sudog) -> None:
        """after_func callback: withdraw w if it is still queued and wake it empty-handed."""
        me = _get_ident()
        with self._exclusive():
            q = self._waitq
            try:
                front = bool(q) and q[0] is w
                q.remove(w)
            except ValueError:
                return  # already granted
            if front:
                self._notify(me)  # removing the head may let smaller requests behind it in
            wake(w, _CANCELED, me)

    @critical
    def try_acquire(self, n: int = 1) -> bool:
        """Acquire n units if available without waiting; report success. Go: Weighted.TryAcquire."""
        with self._exclusive():
            ok = self._size - self._cur >= n and not self._waitq
            if ok:
                self._cur += n
            return ok

    @critical
    def release(self, n: int = 1) -> None:
        """Release n units, admitting waiters from the head of the queue.

        Raises:
            SyncError: "semaphore: released more than held".

        Go: Weighted.Release.
        """
        me = _get_ident()
        lk = None if self._owner == me else self._enter()  # hot: `with self._exclusive()`
        try:
            if self._cur - n < 0:
                raise SyncError("semaphore: released more than held")
            self._cur -= n
            self._notify(me)
        finally:
            if lk is not None:
                lk.release()

    def _notify(self, me: int) -> None:
        q = self._waitq
        while q:
            want = q[0].elem
            if self._size - self._cur < want:
                return  # FIFO: the head waits, and so does everyone behind it
            self._cur += want
            wake(q.popleft(), want, me)  # the value keeps elem meaningful for _abandon

    def _abandon(self, w: Sudog) -> None:
        if w.elem is not _CANCELED:  # granted: give the units back
            self.release(w.elem)

    def __enter__(self) -> Semaphore:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<Semaphore {self._cur}/{self._size} waiters={len(self._waitq)}>"


_CANCELED: Any = type("_Canceled", (), {"__repr__": lambda self: "<canceled>"})()

# gonet._poll._fd_mutex: the fd's reference count and read/write locks (Go: internal/poll/fd_mutex.go).
#
# Go packs this into one atomic word because its goroutines run on many threads; a gonet fd
# belongs to one scheduler (one OS thread), so plain fields suffice and no atomics are needed.
#
#   refs     operations in flight (each lock holder, plus short incref users such as setsockopt)
#   rlocked  a read-side operation holds the fd (reads are serialised: "semacquire" for others)
#   wlocked  a write-side operation holds the fd (a reader and a writer run at once: full duplex)
#   closing  close() has begun: new operations fail with ErrClosed at once
#
# Hand-off is direct and FIFO: unlock passes the lock (and its ref) to the first waiter, so a
# stream of readers cannot starve a queued one. close() wakes every lock waiter with ErrClosed;
# the real close(2) runs in destroy(), exactly once, when the last ref is dropped.
#
# Invariants: refs >= 0; destroy() runs once; a woken waiter that finds `closing` gives the
# lock back before raising.
from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent as _getcurrent

from gonet.errors import ErrClosed, WrongThreadError
from gonet.runtime._proc import current

if TYPE_CHECKING:
    from gonet.runtime._proc import G, Scheduler

__all__ = ["FdMutex"]

_get_ident = threading.get_ident


class FdMutex:
    """Reference count plus FIFO read and write locks of one fd. Go: poll.fdMutex."""

    __slots__ = ("closing", "refs", "rlocked", "wlocked", "rwait", "wwait", "closer", "destroyed", "sched")

    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched
        self.closing = False
        self.refs = 0
        self.rlocked = False
        self.wlocked = False
        # Created on first contention: an empty deque is ~760 bytes, and an idle server holds
        # one fd per connection whose lock queues are almost always empty.
        self.rwait: deque[G] | None = None
        self.wwait: deque[G] | None = None
        self.closer: G | None = None
        self.destroyed = False

    def incref(self) -> None:
        """Take a reference for a short operation. Go: fdMutex.incref."""
        if self.closing:
            raise ErrClosed()
        self.refs += 1

    def decref(self) -> None:
        """Drop a reference; the last one after close() destroys the fd. Go: fdMutex.decref."""
        self.refs -= 1
        if self.closing and self.refs == 0:
            self._destroy_and_notify()

    def yield_point(self) -> None:
        """Take the slow path of a yield point: the scheduler's ``preempt`` flag is set.

        Either the running goroutine used up its time slice (yield now), or this fd's
        scheduler was left behind by fork() (move the fd to the child's scheduler first).
        """
        sched = self.sched
        if sched.closed:
            self.adopt()
        else:
            sched.preempt_yield()

    def adopt(self) -> None:
        """Move the fd to this thread's scheduler; its old scheduler's goroutines are gone.

        Called in a forked child on the fd's first use: locks held or awaited by goroutines
        of the parent are released, since those goroutines do not exist in the child.
        """
        self.sched = current()
        self.rlocked = False
        self.wlocked = False
        self.rwait = None
        self.wwait = None
        self.closer = None
        self.refs = 0

    def lock_slow(self, read: bool) -> None:
        """Wait, FIFO, for the read or write lock; on return the caller holds it and a ref."""
        if self.closing:
            raise ErrClosed()
        if not (self.rlocked if read else self.wlocked):
            if read:
                self.rlocked = True
            else:
                self.wlocked = True
            self.refs += 1
            return
        sched = self.sched
        if sched.thread_ident != _get_ident():
            raise WrongThreadError()  # before touching the owning thread's lock state
        q = self.rwait if read else self.wwait
        if q is None:
            q = deque()
            if read:
                self.rwait = q
            else:
                self.wwait = q
        g = sched.running()
        q.append(g)
        # park() leaves the last wake value in g.wakeval; clear it so that only a hand-off
        # during THIS wait can mark the lock as ours (see _holds_after_handoff).
        g.wakeval = None
        try:
            sched.park("semacquire", self)
        except BaseException:
            if g in q:
                q.remove(g)
            elif self._holds_after_handoff(g):
                self.unlock_slow(read)
            raise
        # The lock and its ref were handed to us by unlock_slow.
        if self.closing:
            self.unlock_slow(read)
            raise ErrClosed()

    def lock_wait(self, g: Any) -> str:
        """Say which of this fd's locks g is queued on, for a goroutine dump."""
        if self.closer is g:
            return "close, waiting for in-flight operations to leave"
        # The queues exist only once contended: a writer may queue while rwait is still None.
        rq, wq = self.rwait, self.wwait
        if rq is not None and g in rq:
            return "read lock"
        if wq is not None and g in wq:
            return "write lock"
        return "lock"

    def _holds_after_handoff(self, g: G) -> bool:
        # Interrupted after a hand-off was queued: we own the lock (wakeval marks the hand-off).
        return g.wakeval is _HANDOFF

    def unlock_slow(self, read: bool) -> None:
        """Release the read or write lock: hand it to the next waiter, or drop it."""
        q = self.rwait if read else self.wwait
        if q and not self.closing:
            self.sched.ready(q.popleft(), _HANDOFF)
            return
        if read:
            self.rlocked = False
        else:
            self.wlocked = False
        self.refs -= 1
        if self.closing and self.refs == 0:
            self._destroy_and_notify()

    def begin_close(self) -> bool:
        """Mark closing and fail every lock waiter; return False if already closing.

        Go: fdMutex.increfAndClose.
        """
        if self.closing:
            return False
        self.closing = True
        sched = self.sched
        for q in (self.rwait, self.wwait):
            while q:
                sched.ready_exc(q.popleft(), ErrClosed())
        return True

    def wait_destroyed(self) -> None:
        """Park the closing goroutine until the last in-flight operation has left."""
        if self.destroyed:
            return
        if self.refs == 0:
            self._destroy_and_notify()
            return
        sched = self.sched
        g = sched.cur
        if g is None or g.glet is not _getcurrent():
            return  # called outside a goroutine (e.g. a finalizer): the last decref destroys
        self.closer = g
        try:
            sched.park("semacquire", self)
        finally:
            self.closer = None

    def _destroy_and_notify(self) -> None:
        if self.destroyed:
            return
        self.destroyed = True
        self.destroy()
        g = self.closer
        if g is not None:
            self.closer = None
            self.sched.ready(g)

    def destroy(self) -> None:
        """Release the OS resource; called exactly once, after close and the last ref.

        FD overrides this; the mutex itself owns nothing to release.
        """
        raise TypeError(f"{type(self).__name__} must override destroy()")


class _Handoff:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<lock hand-off>"


_HANDOFF: Any = _Handoff()

# gonet.net._mutex: a goroutine mutex with FIFO hand-off whose waiters can give up
# (Go: the sync.Mutex inside net.Pipe and crypto/tls's in/out/handshake locks).
#
# Built on the runtime's park/ready. release() hands the lock straight to the first waiter, so
# waiters are served in arrival order and a newcomer cannot barge in. A waiter woken by
# wake_all() (close, an expired deadline) runs its check(), which may raise to abandon the
# wait; if the lock was handed to it meanwhile it passes the lock on before raising.
#
# Invariant: owner is the goroutine holding the lock, or None; a goroutine is in `waiters` only
# while it is parked in acquire().
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from gonet.runtime import current

__all__ = ["FifoLock"]


class FifoLock:
    """A non-reentrant goroutine lock with FIFO hand-off. Belongs to one scheduler."""

    __slots__ = ("sched", "owner", "waiters")

    def __init__(self) -> None:
        self.sched = current()
        self.owner: Any = None
        self.waiters: deque[Any] = deque()

    @property
    def locked(self) -> bool:
        """Whether some goroutine holds the lock."""
        return self.owner is not None

    def acquire(self, check: Callable[[], None] | None = None, reason: str = "sync.Mutex.Lock") -> None:
        """Take the lock, parking FIFO while another goroutine holds it.

        Args:
            check: called after each wake-up that did not hand us the lock; raise to give up.
        """
        sched = self.sched
        g = sched.running()
        if self.owner is None:
            self.owner = g
            return
        self.waiters.append(g)
        try:
            while self.owner is not g:
                sched.park(reason, self)
                if self.owner is not g and check is not None:
                    check()
        except BaseException:
            if self.owner is g:
                self.release()
            else:
                try:
                    self.waiters.remove(g)
                except ValueError:
                    pass
            raise

    def release(self) -> None:
        """Release the lock, handing it to the longest waiter if there is one."""
        if self.waiters:
            g = self.waiters.popleft()
            self.owner = g
            self.sched.ready(g)
        else:
            self.owner = None

    def wake_all(self) -> None:
        """Wake every waiter so it re-runs its check (after a close or deadline)."""
        for g in list(self.waiters):
            self.sched.ready(g)

    def describe_wait(self, g: Any, now: float) -> str:
        """Say who holds the lock g queues for, for a goroutine dump (the runtime's WaitObject)."""
        owner = self.owner
        waiters = list(self.waiters)
        held = f"held by goroutine {owner.id}" if owner is not None else "free"
        place = f", {waiters.index(g) + 1} of {len(waiters)} in line" if g in waiters else ""
        return f"lock {held}{place}"

    def __enter__(self) -> FifoLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

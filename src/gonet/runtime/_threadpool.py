# gonet.runtime._threadpool: run blocking calls on OS threads while the goroutine parks.
#
# getaddrinfo, file I/O and CPU-heavy C code would stop every goroutine of the thread; here they
# run on a small bounded pool instead (Go runs such calls on a separate M). The calling goroutine
# parks with reason "thread pool"; the worker posts the job back to the scheduler's inbox and
# wakes its epoll_wait through the eventfd.
#
# Invariants:
# - Scheduler.external counts jobs submitted and not yet delivered back, so the deadlock
#   detector never fires while a thread is still working for us.
# - A job whose waiter gave up (deadline, interrupt) is still delivered, and then dropped.
# - Workers are daemon threads named "gonet-pool-N" and exit after IDLE_EXIT seconds idle.
from __future__ import annotations

import itertools
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from gonet.errors import DeadlineExceededError

if TYPE_CHECKING:
    from gonet.runtime._proc import G, Scheduler

__all__ = ["ThreadPool", "run_in_thread", "pool"]

T = TypeVar("T")
IDLE_EXIT = 10.0


class Job:
    """One blocking call, travelling from a goroutine to a worker thread and back."""

    __slots__ = ("sched", "g", "fn", "args", "kwargs", "result", "exc", "cancelled", "delivered")

    def __init__(self, sched: Scheduler, g: G, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        self.sched = sched
        self.g = g
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.result: Any = None
        self.exc: BaseException | None = None
        self.cancelled = False
        self.delivered = False

    def run(self) -> None:
        try:
            self.result = self.fn(*self.args, **self.kwargs)
        except BaseException as e:  # noqa: BLE001 - carried back to the goroutine
            self.exc = e
        self.fn = self.args = self.kwargs = None  # type: ignore[assignment]
        self.sched.inject(self)

    def deliver(self, sched: Scheduler) -> None:
        """Wake the waiting goroutine with the result (runs on the scheduler's thread)."""
        sched.external -= 1
        if self.cancelled:
            return
        self.delivered = True
        if self.exc is not None:
            sched.ready_exc(self.g, self.exc)
        else:
            sched.ready(self.g, self.result)

    def describe_wait(self, g: Any, now: float) -> str:
        """Name the call g waits for, for a goroutine dump (the runtime's WaitObject)."""
        from gonet.runtime._traceback import callable_name

        fn = self.fn  # cleared by the worker when the call has returned
        if fn is None:
            return "thread pool call (done, result on its way back)"
        return f"thread pool call {callable_name(fn)}"

    def expire(self, _arg: Any = None) -> None:
        """Timer callback: give up waiting; the worker's result will be dropped."""
        if not self.delivered and not self.cancelled:
            self.cancelled = True
            self.sched.ready_exc(self.g, DeadlineExceededError())


class ThreadPool:
    """A bounded set of worker threads, started on demand."""

    def __init__(self, max_workers: int) -> None:
        if max_workers < 1:
            raise ValueError(f"thread pool needs at least one worker, got {max_workers}")
        self.max_workers = max_workers
        self._cond = threading.Condition(threading.Lock())
        self._jobs: deque[Job] = deque()
        self._idle = 0
        self._threads: set[threading.Thread] = set()
        self._names = itertools.count(1)
        self.submitted = 0

    def submit(self, job: Job) -> None:
        """Queue job; start a worker if no idle one is left for it and the bound allows."""
        with self._cond:
            self._jobs.append(job)
            self.submitted += 1
            # An idle worker that was notified counts as idle until it wakes and takes the
            # lock, so compare queued jobs with idle workers, not idle workers with zero: two
            # jobs submitted before one notified worker wakes need two workers.
            if len(self._jobs) > self._idle and len(self._threads) < self.max_workers:
                t = threading.Thread(target=self._worker, name=f"gonet-pool-{next(self._names)}",
                                     daemon=True)
                self._threads.add(t)
                t.start()
            else:
                self._cond.notify()

    def _worker(self) -> None:
        me = threading.current_thread()
        while True:
            with self._cond:
                while not self._jobs:
                    self._idle += 1
                    woke = self._cond.wait(IDLE_EXIT)
                    self._idle -= 1
                    if not woke and not self._jobs:
                        self._threads.discard(me)
                        return
                job = self._jobs.popleft()
            job.run()

    def stats(self) -> dict[str, int]:
        """Return workers alive, idle, queued jobs and jobs submitted so far."""
        with self._cond:
            return {"workers": len(self._threads), "idle": self._idle, "queued": len(self._jobs),
                    "submitted": self.submitted, "max_workers": self.max_workers}


pool = ThreadPool(int(os.environ.get("GONET_MAX_THREADS", "8")))


def run_in_thread(fn: Callable[..., T], *args: Any, deadline: float | None = None,
                  **kwargs: Any) -> T:
    """Run fn(*args, **kwargs) on a pool thread while the calling goroutine parks.

    Other goroutines keep running meanwhile. Returns fn's result or raises its exception.

    Args:
        deadline: absolute monotonic time after which to stop waiting and raise
            DeadlineExceededError (the call itself still finishes on its thread).

    Go: what the runtime does for a blocking syscall or cgo call (entersyscall/exitsyscall).
    """
    from gonet.runtime._proc import current

    sched = current()
    job = Job(sched, sched.running(), fn, args, kwargs)
    timer = None
    if deadline is not None:
        timer = sched.timers.new(job.expire)
        timer.reset(deadline)
    sched.external += 1
    pool.submit(job)
    try:
        result: T = sched.park("thread pool", job)
        return result
    except BaseException:
        job.cancelled = True
        raise
    finally:
        if timer is not None:
            timer.stop()

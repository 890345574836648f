# gonet.runtime._threadpool: run blocking calls on OS threads while the goroutine parks.
#
# getaddrinfo, file I/O and CPU-heavy C code would stop every goroutine of the thread; here they
# run on worker threads instead (Go runs such calls on a separate M). The calling goroutine parks
# with reason "thread pool"; the worker posts the job back to the scheduler's inbox and wakes its
# epoll_wait through the eventfd.
#
# Two pools, so that one kind of blocking work cannot starve the other:
# - `pool` runs run_in_thread calls. Like Go, which starts another M whenever a goroutine enters
#   a blocking syscall, it grows to a large cap (GONET_MAX_THREADS, default MAX_THREADS); past
#   the cap, calls queue instead of crashing (Go's limit of 10,000 threads is a fatal error).
# - `lookup_pool` runs name lookups (gonet.net's resolver). Its cap mirrors Go's
#   concurrentThreadsLimit (500, or fewer when RLIMIT_NOFILE is low: a lookup may need an fd);
#   GONET_MAX_LOOKUP_THREADS overrides it.
#
# Invariants:
# - Scheduler.external counts jobs submitted and not yet delivered back, so the deadlock
#   detector never fires while a thread is still working for us.
# - A job whose waiter gave up (deadline, interrupt) is still delivered, and then dropped; if no
#   worker had started it yet, it is never started. A call already running cannot be stopped.
# - Workers are daemon threads named "gonet-pool-N" / "gonet-pool-lookup-N" and exit after
#   IDLE_EXIT seconds idle, so a burst of blocking calls does not leave its threads behind.
# - After os.fork() the child's pools are empty and unlocked: the parent's workers do not exist
#   there, and their jobs belonged to schedulers the child does not have.
from __future__ import annotations

import itertools
import os
import resource
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from gonet.errors import DeadlineExceededError

if TYPE_CHECKING:
    from gonet.runtime._proc import G, Scheduler

__all__ = ["ThreadPool", "run_in_thread", "pool", "lookup_pool", "MAX_THREADS"]

T = TypeVar("T")
IDLE_EXIT = 10.0
# run_in_thread's cap. Each thread costs a stack of virtual memory, touched only as deep as it
# runs, and one pid: 1000 blocking calls at once is far beyond what a Python program sustains
# usefully, and well under common pid limits of containers.
MAX_THREADS = 1000
MAX_LOOKUP_THREADS = 500  # Go: net.concurrentThreadsLimit


class Job:
    """One blocking call, travelling from a goroutine to a worker thread and back."""

    __slots__ = ("sched", "g", "fn", "args", "kwargs", "result", "exc", "cancelled", "delivered")

    def __init__(
        self, sched: Scheduler, g: G, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
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
        # A caller that gave up before a worker got here wants nothing: skip the call.
        if not self.cancelled:
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


_pools: weakref.WeakSet[ThreadPool] = weakref.WeakSet()


class ThreadPool:
    """A bounded set of worker threads, started on demand and retired when idle.

    Args:
        max_workers: the most threads running jobs at once; more jobs wait in a queue.
        name: the thread name prefix (names must start with "gonet-pool-": the leak checker and
            the deadlock detector recognise the runtime's workers by it).
    """

    def __init__(self, max_workers: int, name: str = "gonet-pool-") -> None:
        if max_workers < 1:
            raise ValueError(f"thread pool needs at least one worker, got {max_workers}")
        self.max_workers = max_workers
        self.name = name
        self.submitted = 0
        self._names = itertools.count(1)
        self._reset()
        _pools.add(self)

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._jobs: deque[Job] = deque()
        self._idle = 0
        self._threads: set[threading.Thread] = set()

    def submit(self, job: Job) -> None:
        """Queue job; start a worker if no idle one is left for it and the bound allows.

        Raises:
            RuntimeError: the pool has no thread at all and the OS refuses to start one.
        """
        with self._cond:
            self._jobs.append(job)
            self.submitted += 1
            # An idle worker that was notified counts as idle until it wakes and takes the
            # lock, so compare queued jobs with idle workers, not idle workers with zero: two
            # jobs submitted before one notified worker wakes need two workers.
            if len(self._jobs) <= self._idle or len(self._threads) >= self.max_workers:
                self._cond.notify()
                return
            t = threading.Thread(target=self._worker, name=f"{self.name}{next(self._names)}", daemon=True)
            self._threads.add(t)
            try:
                t.start()
            except RuntimeError:  # "can't start new thread": a pid or memory limit
                self._threads.discard(t)
                if self._threads:
                    return  # a running worker will get to the job: queue, as past the cap
                self._jobs.pop()
                self.submitted -= 1
                raise

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

    def run(self, fn: Callable[..., T], *args: Any, deadline: float | None = None, **kwargs: Any) -> T:
        """Run fn(*args, **kwargs) on one of this pool's threads while the goroutine parks.

        See run_in_thread, which is this method of the default pool.
        """
        from gonet.runtime._proc import current

        sched = current()
        job = Job(sched, sched.running(), fn, args, kwargs)
        self.submit(job)
        sched.external += 1
        timer = None
        if deadline is not None:
            timer = sched.timers.new(job.expire)
            timer.reset(deadline)
        try:
            result: T = sched.park("thread pool", job)
            return result
        except BaseException:
            job.cancelled = True
            raise
        finally:
            if timer is not None:
                timer.stop()

    def stats(self) -> dict[str, int]:
        """Return workers alive, idle, queued jobs, jobs submitted so far and the cap."""
        with self._cond:
            return {
                "workers": len(self._threads),
                "idle": self._idle,
                "queued": len(self._jobs),
                "submitted": self.submitted,
                "max_workers": self.max_workers,
            }


def _after_fork_in_child() -> None:
    # The parent's workers do not exist here, and one may have held a pool's lock at the fork.
    for p in list(_pools):
        p._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _cap_from_env(var: str, default: int) -> int:
    raw = os.environ.get(var, "").strip()
    if not raw:
        return default
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{var} must be a positive integer, got {raw!r}")
    return n


def _lookup_cap() -> int:
    # Go: net.concurrentThreadsLimit. A lookup may open a file (resolv.conf, a socket), so stay
    # below the fd limit: some resolvers report a failed open as "no such host".
    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (OSError, ValueError):
        return MAX_LOOKUP_THREADS
    if soft == resource.RLIM_INFINITY or soft > MAX_LOOKUP_THREADS:
        return MAX_LOOKUP_THREADS
    return soft - 30 if soft > 30 else max(1, soft)


pool = ThreadPool(_cap_from_env("GONET_MAX_THREADS", MAX_THREADS))
lookup_pool = ThreadPool(_cap_from_env("GONET_MAX_LOOKUP_THREADS", _lookup_cap()), name="gonet-pool-lookup-")


def run_in_thread(fn: Callable[..., T], *args: Any, deadline: float | None = None, **kwargs: Any) -> T:
    """Run fn(*args, **kwargs) on a worker thread while the calling goroutine parks.

    Other goroutines keep running meanwhile. A worker is started for each call that finds none
    idle, up to GONET_MAX_THREADS (default 1000) at once; past that, calls wait their turn.
    Name lookups use a pool of their own, so blocking calls never delay them.

    Args:
        deadline: absolute monotonic time (gonet.now() + seconds) after which to stop waiting
            and raise DeadlineExceededError. A Python thread cannot be interrupted: a call that
            has started runs to completion and its result is dropped; one still queued is
            never started.

    Returns:
        fn's result.

    Raises:
        BaseException: whatever fn raised, re-raised in the calling goroutine.
        DeadlineExceededError: the deadline passed first.

    Go: what the runtime does for a blocking syscall or cgo call (entersyscall/exitsyscall).
    """
    return pool.run(fn, *args, deadline=deadline, **kwargs)

# gonet.socket._wait: which way a socket call waits, and the plain-thread wait (no Go counterpart:
# the bridge between Python's blocking-socket model and the netpoller).
#
# A call that would block parks its goroutine when the calling thread runs a gonet scheduler and
# the caller is a goroutine (not the hub); anywhere else — a plain thread, a thread-pool worker —
# it waits in poll(2) on this thread, exactly as the stdlib's C socket does for a socket with a
# timeout. The OS socket is non-blocking in both cases, so one object serves both worlds.
#
# Invariants:
# - The plain-thread wait uses the poll and clock captured at import: gonet.patch may replace
#   select.poll and time.sleep later, and a plain thread must never reach the netpoller.
# - Timeouts raise the stdlib's exception, TimeoutError("timed out"); a closed socket the
#   stdlib's OSError(EBADF).
from __future__ import annotations

import errno
import math
import os
import select
import time
from typing import TYPE_CHECKING

from gonet._sema import current_sched

if TYPE_CHECKING:
    from gonet.runtime._proc import Scheduler

__all__ = ["goroutine_sched", "poll_wait", "timed_out", "bad_fd", "monotonic"]

_poll = select.poll
monotonic = time.monotonic
_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT


def goroutine_sched() -> Scheduler | None:
    """Return the scheduler to park on, or None when the caller must block its thread."""
    s = current_sched()
    if s is None or s.cur is None or s.closed:
        return None
    return s


def timed_out() -> TimeoutError:
    """Return the stdlib's timeout exception (socket.timeout is TimeoutError)."""
    return TimeoutError("timed out")


def bad_fd() -> OSError:
    """Return the stdlib's error for an operation on a socket closed meanwhile."""
    return OSError(errno.EBADF, os.strerror(errno.EBADF))


def poll_wait(fileno: int, read: bool, deadline: float | None) -> None:
    """Block this thread until fileno is readable (writable) or the deadline passes.

    Raises:
        TimeoutError: the deadline (a time.monotonic() value) has passed.
    """
    if deadline is None:
        ms = -1
    else:
        left = deadline - monotonic()
        if left <= 0:
            raise timed_out()
        ms = math.ceil(left * 1000)
    p = _poll()
    p.register(fileno, _POLLIN if read else _POLLOUT)
    if not p.poll(ms) and deadline is not None and deadline <= monotonic():
        raise timed_out()

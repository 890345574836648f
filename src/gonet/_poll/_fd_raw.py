# gonet._poll._fd_raw: raw access to an FD for protocols gonet does not wrap
# (Go: internal/poll/fd_unix.go RawControl/RawRead/RawWrite, fd_unix.go Dup).
#
# raw_read/raw_write hold the read (write) lock, then call the user's fn(fd) until it returns
# True; when it returns False it has met EAGAIN, so the socket is known not ready (the same
# proof a BlockingIOError gives the built-in loops) and the loop parks on the pollDesc until the
# next edge, a deadline or close.
#
# Invariant: fn runs while the fd is referenced, so the descriptor number cannot be closed and
# reused under it; it must not close the fd itself, nor block (the socket is non-blocking).
from __future__ import annotations

import fcntl
from collections.abc import Callable
from typing import TypeVar

from gonet._poll._fd_posix import raw_loop
from gonet._poll._fd_unix import FD
from gonet.errors import DeadlineExceededError, ErrClosed, NotPollableError

__all__ = ["raw_control", "raw_read", "raw_write", "dup", "FD_ERRORS"]

# What the fd layer itself raises around a raw fn call; anything else came from fn and passes.
FD_ERRORS = (ErrClosed, DeadlineExceededError, NotPollableError)

_T = TypeVar("_T")


def raw_control(fd: FD, fn: Callable[[int], _T]) -> _T:
    """Call fn(fd number) while the fd is referenced; return its result. Go: FD.RawControl."""
    fd.incref()
    try:
        return fn(fd.sysfd)
    finally:
        fd.decref()


def raw_read(fd: FD, fn: Callable[[int], bool]) -> None:
    """Call fn(fd number) until it returns True, parking for readability between calls.

    Go: FD.RawRead.
    """
    raw_loop(fd, True, fn)


def raw_write(fd: FD, fn: Callable[[int], bool]) -> None:
    """Call fn(fd number) until it returns True, parking for writability between calls.

    Go: FD.RawWrite.
    """
    raw_loop(fd, False, fn)


def dup(fd: FD) -> int:
    """Return a close-on-exec duplicate of the descriptor. Go: FD.Dup.

    The duplicate shares the open file description, hence the O_NONBLOCK flag: it stays
    non-blocking, and making it blocking would make the original block the scheduler.
    """
    fd.incref()
    try:
        return fcntl.fcntl(fd.sysfd, fcntl.F_DUPFD_CLOEXEC, 0)
    finally:
        fd.decref()

# gonet._poll._fd_posix: the one syscall loop the cold FD operations share
# (Go: internal/poll/fd_posix.go ignoringEINTRIO, fd_poll_runtime.go prepareRead/waitRead).
#
# Every operation on an FD has the same shape: take the read (write) lock -> prepare (fail on an
# expired deadline) -> try the syscall, parking on the pollDesc while the socket is not ready ->
# EAGAIN proves "not ready", EINTR retries -> unlock. FD.read/recv/write/accept are hot and keep
# that loop inlined in _fd_unix; every other operation (datagrams, raw access, writev, sendfile)
# goes through the helpers here, so the loop is written once. `read` picks the direction: the
# read lock, deadline, readiness flag and wait, or the write ones.
#
# Invariants:
# - `rready`/`wready` are cleared only on proof of emptiness (EAGAIN, or a raw callback saying it
#   met EAGAIN), never on a successful call: callers add any short-transfer inference.
# - Errors of a write that may already have made progress carry `.written` (try_write,
#   prepare_counted); io_loop and raw_loop raise raw causes unchanged.
# - The lock is released on every exit path; closing wakes a parked waiter with ErrClosed.
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gonet._poll._fd_unix import FD, with_written
from gonet.errors import DeadlineExceededError
from gonet.runtime._netpoll import PollDesc

__all__ = ["prepare", "prepare_counted", "io_loop", "raw_loop", "try_write"]

T = TypeVar("T")


def prepare(fd: FD, read: bool) -> PollDesc:
    """Take fd's read (write) lock and check that direction's deadline; return the pollDesc.

    The caller owns the lock on return and must release it with ``fd.unlock_slow(read)``.

    Raises:
        ErrClosed: fd is closed (the lock is not taken).
        DeadlineExceededError: the deadline has passed (the lock is released).

    Go: FD.readLock/writeLock + pollDesc.prepareRead/prepareWrite.
    """
    fd.lock_slow(read)
    pd = fd.pd
    if (pd.rd if read else pd.wd) < 0:
        fd.unlock_slow(read)
        raise DeadlineExceededError()
    return pd


def prepare_counted(fd: FD) -> PollDesc:
    """Prepare a write that reports progress: an expired deadline has ``.written`` = 0."""
    try:
        return prepare(fd, False)
    except DeadlineExceededError as e:
        raise with_written(e, 0) from None


def _wait(pd: PollDesc, read: bool, known_empty: bool) -> None:
    # Park for the next edge of one direction unless the socket may be ready; known_empty
    # records a proof (EAGAIN) that it is not, which only a new edge can change.
    if read:
        if known_empty:
            pd.rready = False
        if not pd.rready:
            pd.wait_read()
    else:
        if known_empty:
            pd.wready = False
        if not pd.wready:
            pd.wait_write()


def io_loop(fd: FD, read: bool, call: Callable[..., T], *args: Any) -> T:
    """Call call(*args) under the read (write) lock until it does not meet EAGAIN.

    For operations without partial progress (one datagram per call). Parks before a call while
    the socket is not known to be ready.

    Returns:
        call's result.

    Go: the ReadFrom/WriteTo loops of internal/poll/fd_unix.go.
    """
    pd = prepare(fd, read)
    try:
        empty = False
        while True:
            _wait(pd, read, empty)
            try:
                return call(*args)
            except BlockingIOError:
                empty = True
            except InterruptedError:
                empty = False
    finally:
        fd.unlock_slow(read)


def raw_loop(fd: FD, read: bool, fn: Callable[[int], bool]) -> None:
    """Call fn(fd number) under the read (write) lock until it returns True.

    fn runs first without waiting; False means it met EAGAIN, so the loop parks for the next
    edge, a deadline or close.

    Go: FD.RawRead, FD.RawWrite.
    """
    pd = prepare(fd, read)
    try:
        sysfd = fd.sysfd
        while not fn(sysfd):
            _wait(pd, read, True)
    finally:
        fd.unlock_slow(read)


def try_write(pd: PollDesc, written: int, call: Callable[..., int], *args: Any) -> int:
    """Park until pd may be writable, then call call(*args) once; return its count, -1 to retry.

    One step of a write that makes partial progress (writev, sendfile): the caller holds the
    write lock (prepare_counted) and accounts for the bytes. -1 means the call met EAGAIN (wready
    is cleared, so the next step parks) or EINTR.

    Raises:
        OSError (incl. ErrClosed, DeadlineExceededError) with ``.written`` = written.

    Go: ignoringEINTRIO + pollDesc.waitWrite.
    """
    try:
        _wait(pd, False, False)
    except OSError as e:
        raise with_written(e, written) from None
    try:
        return call(*args)
    except BlockingIOError:
        pd.wready = False
    except InterruptedError:
        pass
    except OSError as e:
        raise with_written(e, written) from None
    return -1

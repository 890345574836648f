# gonet._poll._fd_posix: the one syscall loop the cold FD operations share
# (Go: internal/poll/fd_posix.go ignoringEINTRIO, fd_poll_runtime.go prepareRead/waitRead).
#
# Every operation on an FD has the same shape: take the read (write) lock -> prepare (fail on an
# expired deadline) -> try the syscall, parking on the pollDesc while the socket is not ready ->
# EAGAIN proves "not ready", EINTR retries -> unlock. FD.read/recv/write/accept are hot and keep
# that loop inlined in _fd_unix; every other operation (datagrams, raw access, writev, sendfile)
# goes through the helpers here, so the loop is written once.
#
# Invariants:
# - `rready`/`wready` are cleared only on proof of emptiness (EAGAIN, or a raw callback saying it
#   met EAGAIN), never on a successful call: the callers add any short-transfer inference.
# - Errors of a write that may already have made progress carry `.written` (try_write); the
#   one-shot loops raise raw causes unchanged.
# - Closing wakes a parked waiter with ErrClosed from the pollDesc wait; the lock is released
#   on every exit path.
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gonet._poll._fd_unix import FD, with_written
from gonet.errors import DeadlineExceededError
from gonet.runtime._netpoll import PollDesc

__all__ = ["prepare_read", "prepare_write", "prepare_write_counted", "read_loop", "write_loop", "raw_loop", "try_write"]

T = TypeVar("T")


def prepare_read(fd: FD) -> PollDesc:
    """Take fd's read lock and check the read deadline; return the pollDesc.

    The caller owns the lock on return and must release it with ``fd.unlock_slow(True)``.

    Raises:
        ErrClosed: fd is closed (the lock is not taken).
        DeadlineExceededError: the read deadline has passed (the lock is released).

    Go: FD.readLock + pollDesc.prepareRead.
    """
    fd.lock_slow(True)
    pd = fd.pd
    if pd.rd < 0:
        fd.unlock_slow(True)
        raise DeadlineExceededError()
    return pd


def prepare_write(fd: FD) -> PollDesc:
    """Take fd's write lock and check the write deadline; return the pollDesc.

    The caller owns the lock on return and must release it with ``fd.unlock_slow(False)``.

    Raises:
        ErrClosed: fd is closed (the lock is not taken).
        DeadlineExceededError: the write deadline has passed (the lock is released).

    Go: FD.writeLock + pollDesc.prepareWrite.
    """
    fd.lock_slow(False)
    pd = fd.pd
    if pd.wd < 0:
        fd.unlock_slow(False)
        raise DeadlineExceededError()
    return pd


def prepare_write_counted(fd: FD) -> PollDesc:
    """Like prepare_write, for a write that reports progress: an expired deadline has ``.written`` = 0."""
    try:
        return prepare_write(fd)
    except DeadlineExceededError as e:
        raise with_written(e, 0) from None


def read_loop(fd: FD, call: Callable[..., T], *args: Any) -> T:
    """Call call(*args) under the read lock until it does not meet EAGAIN; return its result.

    Parks for readability before a call while the socket is not known to be readable.

    Go: the ReadFrom loop of internal/poll/fd_unix.go.
    """
    pd = prepare_read(fd)
    try:
        while True:
            if not pd.rready:
                pd.wait_read()
            try:
                return call(*args)
            except BlockingIOError:
                pd.rready = False
            except InterruptedError:
                pass
    finally:
        fd.unlock_slow(True)


def write_loop(fd: FD, call: Callable[..., T], *args: Any) -> T:
    """Call call(*args) under the write lock until it does not meet EAGAIN; return its result.

    For all-or-nothing sends (one datagram): there is no partial progress to account for.

    Go: the WriteTo loop of internal/poll/fd_unix.go.
    """
    pd = prepare_write(fd)
    try:
        while True:
            if not pd.wready:
                pd.wait_write()
            try:
                return call(*args)
            except BlockingIOError:
                pd.wready = False  # the send buffer is full: wait for EPOLLOUT
            except InterruptedError:
                pass
    finally:
        fd.unlock_slow(False)


def raw_loop(fd: FD, read: bool, fn: Callable[[int], bool]) -> None:
    """Call fn(fd number) under the read (write) lock until it returns True.

    fn runs first without waiting; False means it met EAGAIN, so the socket is known not ready
    and the loop parks for the next edge, a deadline or close.

    Go: FD.RawRead, FD.RawWrite.
    """
    pd = prepare_read(fd) if read else prepare_write(fd)
    try:
        sysfd = fd.sysfd
        while not fn(sysfd):
            # fn met EAGAIN: only a new edge can change that.
            if read:
                pd.rready = False
                pd.wait_read()
            else:
                pd.wready = False
                pd.wait_write()
    finally:
        fd.unlock_slow(read)


def try_write(pd: PollDesc, written: int, call: Callable[..., int], *args: Any) -> int:
    """Park until pd may be writable, then call call(*args) once; return its count, -1 to retry.

    One step of a write that makes partial progress (writev, sendfile): the caller holds the
    write lock (prepare_write_counted) and accounts for the bytes. -1 means the call met EAGAIN (wready
    is cleared, so the next step parks) or EINTR.

    Raises:
        OSError (incl. ErrClosed, DeadlineExceededError) with ``.written`` = written.

    Go: ignoringEINTRIO + pollDesc.waitWrite.
    """
    if not pd.wready:
        try:
            pd.wait_write()
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

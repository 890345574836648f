# gonet.exec._wait: wait for a child process to exit without blocking the scheduler
# (Go: os/pidfd_linux.go, os/wait_waitid.go).
#
# The waiting goroutine parks; the child is reaped (wait4) only once it is known to have exited,
# so a wait that gives up (a deadline) leaves the child to a later wait. Three ways to learn of
# the exit, chosen per wait:
#
#   pidfd    (Linux >= 5.3) pidfd_open(pid) is registered with the netpoller like any fd; it
#            becomes readable when the process exits. One registration per process, no signal.
#   sigchld  (no pidfd; main thread only) the goroutine takes SIGCHLD through gonet.signal (the
#            runtime's one signal pipe, relayed by the hub) and, after each one, peeks with
#            waitid(WNOHANG|WNOWAIT) whether its own child is done. Checking after subscribing
#            closes the race with an exit that happened before.
#   thread   (no pidfd, another thread) a worker of the thread pool blocks in
#            waitid(WEXITED|WNOWAIT) — it does not reap, so a dropped wait loses nothing.
#
# WAIT_MODE ("auto", or one of the three to force it; from GONET_EXEC_WAIT) selects; "auto"
# uses pidfd when the kernel has it, then sigchld on the main thread, else thread.
#
# Invariant: wait_exited never reaps; reap() is called only after it returned True.
from __future__ import annotations

import os
import signal
from typing import Any

from gonet import signal as gsignal
from gonet import time as gtime
from gonet._chan import Chan
from gonet._poll import FD
from gonet._poll._fd_raw import raw_read
from gonet._select import select
from gonet.errors import DeadlineExceededError
from gonet.os import _PollFile
from gonet.runtime import now
from gonet.runtime._sigqueue import is_main_thread
from gonet.runtime._threadpool import run_in_thread

__all__ = ["WAIT_MODE", "open_pidfd", "wait_exited", "reap", "mode_for"]

_MODES = ("auto", "pidfd", "sigchld", "thread")


def _mode_from_env() -> str:
    raw = os.environ.get("GONET_EXEC_WAIT", "").strip() or "auto"
    if raw not in _MODES:
        raise ValueError(f"GONET_EXEC_WAIT must be one of {', '.join(_MODES)}; got {raw!r}")
    return raw


WAIT_MODE = _mode_from_env()
_has_pidfd = hasattr(os, "pidfd_open")


def open_pidfd(pid: int) -> FD | None:
    """Return a netpoller-registered pidfd for pid, or None (mode not pidfd, or no kernel support).

    Raises:
        OSError: pidfd_open failed for a reason other than a kernel without it.
    """
    global _has_pidfd
    if WAIT_MODE not in ("auto", "pidfd") or not _has_pidfd:
        return None
    try:
        fd = os.pidfd_open(pid)
    except OSError as e:
        if e.errno in (38, 1):  # ENOSYS (kernel < 5.3), EPERM (a seccomp filter)
            _has_pidfd = False
            return None
        raise
    return FD(_PollFile(fd))  # type: ignore[arg-type]


def mode_for(pidfd: FD | None) -> str:
    """Name the way the next wait will use: pidfd, sigchld or thread."""
    if pidfd is not None:
        return "pidfd"
    if WAIT_MODE in ("auto", "sigchld") and is_main_thread():
        return "sigchld"
    return "thread"


def _exited(pid: int) -> bool:
    # Peek without reaping. ECHILD (someone else reaped it) counts as done: reap() reports it.
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def wait_exited(pid: int, pidfd: FD | None, deadline: float | None = None) -> bool:
    """Park until child pid has exited (not reaping it); False if the deadline came first.

    Args:
        pid: a child of this process, not yet reaped.
        pidfd: its pidfd from open_pidfd, or None.
        deadline: absolute gonet.now() time, or None to wait for ever.
    """
    mode = mode_for(pidfd)
    if mode == "pidfd":
        assert pidfd is not None
        return _wait_pidfd(pid, pidfd, deadline)
    if mode == "sigchld":
        return _wait_sigchld(pid, deadline)
    return _wait_thread(pid, deadline)


def _wait_pidfd(pid: int, pidfd: FD, deadline: float | None) -> bool:
    if deadline is not None:
        pidfd.set_deadline(deadline, read=True, write=False)
    try:
        # The pidfd is readable once the process has exited; before that raw_read parks.
        raw_read(pidfd, lambda _fd: _exited(pid))
        return True
    except DeadlineExceededError:
        return False
    finally:
        if deadline is not None:
            pidfd.set_deadline(None, read=True, write=False)


def _wait_sigchld(pid: int, deadline: float | None) -> bool:
    ch: Chan[Any] = Chan(1)  # one slot: a SIGCHLD during the check below is kept, not lost
    gsignal.notify(ch, signal.SIGCHLD)
    timer = None
    try:
        if deadline is not None:
            timer = gtime.Timer(max(0.0, deadline - now()))
        while not _exited(pid):
            if timer is None:
                ch.recv()
            elif select(ch.recv_case(), timer.c.recv_case()).index == 1:
                return _exited(pid)
        return True
    finally:
        if timer is not None:
            timer.stop()
        gsignal.stop(ch)


def _wait_thread(pid: int, deadline: float | None) -> bool:
    try:
        run_in_thread(_block_until_exit, pid, deadline=deadline)
    except DeadlineExceededError:
        return False
    return True


def _block_until_exit(pid: int) -> None:
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    except ChildProcessError:
        pass  # reaped elsewhere: reap() reports it


def reap(pid: int) -> tuple[int, Any]:
    """Collect an exited child: return (wait status, resource usage). Go: wait4.

    Raises:
        ChildProcessError: "wait: no child processes" (someone else reaped it).
    """
    try:
        _, status, usage = os.wait4(pid, 0)
    except ChildProcessError as e:
        raise ChildProcessError(e.errno, "wait: no child processes") from None
    return status, usage

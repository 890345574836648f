# gonet.patch._subprocess: make the stdlib's subprocess cooperative in goroutines.
#
# patch_subprocess() replaces three attributes of the subprocess module (never a C type):
#   Popen._wait        behind wait(), run(), call(), check_output(), the context manager: in a
#                      goroutine it parks until the child has exited (gonet.exec's waits: a
#                      pidfd on the netpoller, SIGCHLD, or a pool thread), then lets the
#                      original reap it at once. wait(timeout) raises TimeoutExpired as before.
#   Popen.communicate  in a goroutine it always takes the selector path (the stdlib reads a
#                      single pipe with a blocking read()), then waits as above.
#   _PopenSelector     the selector communicate() uses: an epoll selector whose select(), in a
#                      goroutine, parks on the netpoller (its epoll fd is itself registered there)
#                      instead of blocking in epoll_wait.
# In a thread without a gonet scheduler each patched call runs the original code (or, for the
# selector, the stdlib's own EpollSelector), so libraries used from plain threads keep working.
#
# Not made cooperative: the fork/exec in Popen() itself (it waits on the exec error pipe, which
# the kernel answers as soon as the child has exec'd), os.system, os.wait*/waitpid called
# directly, and reads of proc.stdout/proc.stderr outside communicate() (use gonet.exec).
#
# Invariants: patching twice patches nothing new; unpatch restores exactly what was saved.
from __future__ import annotations

import os
import selectors
import subprocess
import time
from typing import Any

from gonet._poll import FD
from gonet._poll._fd_raw import raw_read
from gonet._sema import current_sched
from gonet.errors import DeadlineExceededError
from gonet.exec import _wait
from gonet.os import _PollFile
from gonet.runtime import now

__all__ = ["patch_subprocess", "unpatch_subprocess", "is_patched", "GoSelector"]

_saved: dict[str, Any] = {}
_NAMES = ("subprocess.Popen._wait", "subprocess.Popen.communicate", "subprocess._PopenSelector")


class GoSelector(selectors.EpollSelector):
    """An epoll selector whose select() parks the calling goroutine on the netpoller.

    The selector's own epoll fd (a duplicate of it) is registered with the scheduler's epoll:
    it turns readable whenever one of the selector's fds has an event.
    """

    def __init__(self) -> None:
        super().__init__()
        self._gofd: FD | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """Return the ready (key, events) pairs, waiting up to timeout seconds (None: forever)."""
        if current_sched() is None or (timeout is not None and timeout <= 0):
            return super().select(timeout)
        fd = self._gofd
        if fd is None:
            fd = self._gofd = FD(_PollFile(os.dup(self.fileno())))  # type: ignore[arg-type]
        ready: list[tuple[selectors.SelectorKey, int]] = []

        def poll(_fd: int) -> bool:
            nonlocal ready
            ready = selectors.EpollSelector.select(self, 0)
            return bool(ready)

        if timeout is not None:
            fd.set_deadline(now() + timeout, read=True, write=False)
        try:
            raw_read(fd, poll)
        except DeadlineExceededError:
            return []
        finally:
            if timeout is not None:
                fd.set_deadline(None, read=True, write=False)
        return ready

    def close(self) -> None:
        """Close the selector and its netpoller registration."""
        fd, self._gofd = self._gofd, None
        if fd is not None:
            fd.close()
        super().close()


def _make_wait(orig: Any) -> Any:
    def _wait_cooperative(self: subprocess.Popen[Any], timeout: float | None) -> int | None:
        if self.returncode is not None or current_sched() is None:
            return orig(self, timeout)  # type: ignore[no-any-return]
        deadline = None if timeout is None else now() + timeout
        try:
            pidfd = _wait.open_pidfd(self.pid)
        except ProcessLookupError:  # reaped behind our back: the original finds out
            return orig(self, timeout)  # type: ignore[no-any-return]
        try:
            done = _wait.wait_exited(self.pid, pidfd, deadline)
        finally:
            if pidfd is not None:
                pidfd.close()
        if not done:
            raise subprocess.TimeoutExpired(self.args, timeout)  # type: ignore[arg-type]
        return orig(self, None)  # type: ignore[no-any-return]  # exited: reaps without blocking

    _wait_cooperative.__doc__ = "Wait for the child (parking the goroutine); gonet.patch.subprocess."
    return _wait_cooperative


def _make_communicate(orig: Any) -> Any:
    def communicate(self: Any, input: Any = None, timeout: float | None = None) -> tuple[Any, Any]:  # noqa: A002
        if current_sched() is None:
            return orig(self, input, timeout)  # type: ignore[no-any-return]
        if self._communication_started and input:
            raise ValueError("Cannot send input after starting communication")
        endtime = None if timeout is None else time.monotonic() + timeout
        try:
            stdout, stderr = self._communicate(input, endtime, timeout)
        finally:
            self._communication_started = True
        self.wait(timeout=self._remaining_time(endtime))
        return (stdout, stderr)

    communicate.__doc__ = orig.__doc__
    return communicate


def is_patched() -> bool:
    """Report whether patch_subprocess() is in effect."""
    return bool(_saved)


def patch_subprocess() -> list[str]:
    """Make subprocess's waits and communicate() park the calling goroutine.

    Returns:
        The attributes replaced ("subprocess.Popen._wait", ...); empty if already patched.

    Go: none; gonet.exec is the Go-shaped API, this keeps stdlib callers cooperative.
    """
    if _saved:
        return []
    popen = subprocess.Popen
    _saved["_wait"] = popen.__dict__["_wait"]
    _saved["communicate"] = popen.__dict__["communicate"]
    _saved["_PopenSelector"] = subprocess._PopenSelector  # type: ignore[attr-defined]
    popen._wait = _make_wait(_saved["_wait"])  # type: ignore[attr-defined]
    popen.communicate = _make_communicate(_saved["communicate"])  # type: ignore[method-assign]
    subprocess._PopenSelector = GoSelector  # type: ignore[attr-defined]
    return list(_NAMES)


def unpatch_subprocess() -> list[str]:
    """Restore what patch_subprocess() replaced; return the attributes restored."""
    if not _saved:
        return []
    popen = subprocess.Popen
    popen._wait = _saved.pop("_wait")  # type: ignore[attr-defined]
    popen.communicate = _saved.pop("communicate")  # type: ignore[method-assign]
    subprocess._PopenSelector = _saved.pop("_PopenSelector")  # type: ignore[attr-defined]
    return list(_NAMES)

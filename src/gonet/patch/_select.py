# gonet.patch._select: select.select, select.poll and select.epoll that park the calling goroutine
# (no Go counterpart: Go has no select(2) API; this bridges libraries written around one).
#
# Each call first asks the kernel without waiting (the stdlib call with timeout 0), so its
# answer is exactly the stdlib's. When nothing is ready it waits for an epoll descriptor that
# becomes readable once any watched fd is ready: for epoll objects their own descriptor, for
# select and poll a private epoll built for the call. That descriptor is registered with the
# netpoller through a gonet._poll FD (its read deadline is the timeout), and the goroutine
# parks; then the kernel is asked again. In a plain thread (no scheduler) every call is the
# stdlib's, unchanged.
#
# Invariants: the originals are captured at import (before any patching); a private epoll is
# closed on every path; a wait never outlives its timeout.
from __future__ import annotations

import errno
import math
import select as _std
import socket as _stdsock
from collections.abc import Iterable
from typing import Any

from gonet._poll import FD
from gonet._poll._fd_raw import raw_read
from gonet.errors import DeadlineExceededError, ErrClosed
from gonet.runtime._proc import Scheduler
from gonet.socket._wait import goroutine_sched

__all__ = ["select", "poll", "epoll", "orig_select", "orig_poll", "orig_epoll"]

orig_select = _std.select
orig_poll = _std.poll
orig_epoll = _std.epoll
_EPOLLIN = _std.EPOLLIN


class _EpollFile:
    """What gonet._poll.FD needs of an epoll descriptor (it never reads or closes it)."""

    __slots__ = ("_fd",)
    type = _stdsock.SOCK_RAW  # not a stream: no short-read inference

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd

    def setblocking(self, flag: bool) -> None:
        """epoll descriptors never block on read readiness checks; nothing to change."""

    def close(self) -> None:
        """The epoll object owns the descriptor and closes it itself."""

    def _no_io(self, *args: Any) -> Any:
        raise OSError(errno.EBADF, "an epoll descriptor is only waited on, never read or written")

    recv_into = recv = send = _no_io


def _wait_ready(s: Scheduler, ep: Any, fd: FD | None, timeout: float | None, maxevents: int) -> list[Any]:
    """Park until ep has events or the timeout passes; return ep.poll's answer."""
    own = fd is None
    if fd is None:
        fd = FD(_EpollFile(ep.fileno()))  # type: ignore[arg-type]
    got: list[Any] = []

    def attempt(_: int) -> bool:
        got[:] = orig_epoll.poll(ep, 0, maxevents)
        return bool(got)

    try:
        if timeout is not None:
            fd.set_deadline(s.clock() + timeout, True, False)
        raw_read(fd, attempt)
    except DeadlineExceededError:
        return []
    finally:
        if own:
            fd.close()
        elif timeout is not None and not fd.closing:
            fd.set_deadline(None, True, False)
    return got


def _seconds(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    t = float(timeout)
    return None if t < 0 else t


class epoll:  # noqa: N801 - the stdlib's name
    """select.epoll whose poll() parks the calling goroutine. Python: select.epoll.

    select.epoll cannot be subclassed, so this holds one and forwards each method explicitly.
    """

    __module__ = "gonet.patch"
    __slots__ = ("_ep", "_gfd")

    def __init__(self, sizehint: int = -1, flags: int = 0) -> None:
        self._ep = orig_epoll(sizehint, flags)
        self._gfd: FD | None = None

    @classmethod
    def fromfd(cls, fd: int) -> epoll:
        """Wrap an existing epoll descriptor."""
        self = cls.__new__(cls)
        self._ep = orig_epoll.fromfd(fd)
        self._gfd = None
        return self

    @property
    def closed(self) -> bool:
        """True once closed."""
        return bool(self._ep.closed)

    def fileno(self) -> int:
        """Return the epoll descriptor."""
        return int(self._ep.fileno())

    def register(self, fd: Any, eventmask: int = _std.EPOLLIN | _std.EPOLLPRI | _std.EPOLLOUT) -> None:
        """Watch fd for eventmask."""
        self._ep.register(fd, eventmask)

    def modify(self, fd: Any, eventmask: int) -> None:
        """Change the mask of a watched fd."""
        self._ep.modify(fd, eventmask)

    def unregister(self, fd: Any) -> None:
        """Stop watching fd."""
        self._ep.unregister(fd)

    def poll(self, timeout: float | None = None, maxevents: int = -1) -> list[tuple[int, int]]:
        """Wait for events (timeout in seconds; None or negative: forever)."""
        ep = self._ep
        s = goroutine_sched()
        fd = self._gfd
        if s is None or (fd is not None and fd.sched is not s):
            return ep.poll(timeout, maxevents)
        got: list[tuple[int, int]] = ep.poll(0, maxevents)
        t = _seconds(timeout)
        if got or t == 0:
            return got
        if fd is None:
            fd = self._gfd = FD(_EpollFile(ep.fileno()))  # type: ignore[arg-type]
        try:
            return _wait_ready(s, ep, fd, t, maxevents)
        except ErrClosed:
            raise ValueError("I/O operation on closed epoll object") from None

    def close(self) -> None:
        """Close the epoll descriptor (after releasing its netpoller registration)."""
        fd = self._gfd
        if fd is not None and not fd.closing:
            self._gfd = None
            try:
                fd.close()
            except ErrClosed:
                pass
        self._ep.close()

    def __enter__(self) -> epoll:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fileno(obj: Any) -> int:
    if isinstance(obj, int):
        return obj
    return int(obj.fileno())


def select(
    rlist: Iterable[Any], wlist: Iterable[Any], xlist: Iterable[Any], timeout: float | None = None
) -> Any:
    """select.select that parks the calling goroutine. Python: select.select."""
    s = goroutine_sched()
    if s is None:
        return orig_select(rlist, wlist, xlist, timeout)
    rlist, wlist, xlist = list(rlist), list(wlist), list(xlist)
    if timeout is not None and timeout < 0:
        raise ValueError("timeout must be non-negative")
    got = orig_select(rlist, wlist, xlist, 0)
    if got[0] or got[1] or got[2] or timeout == 0:
        return got
    masks: dict[int, int] = {}
    for objs, bit in ((rlist, _std.EPOLLIN), (wlist, _std.EPOLLOUT), (xlist, _std.EPOLLPRI)):
        for o in objs:
            n = _fileno(o)
            masks[n] = masks.get(n, 0) | bit
    if not masks:
        from gonet.runtime import sleep

        sleep(timeout if timeout is not None else math.inf)
        return [], [], []
    _wait_masks(s, masks, timeout)
    return orig_select(rlist, wlist, xlist, 0)


def _wait_masks(s: Scheduler, masks: dict[int, int], timeout: float | None) -> None:
    ep = orig_epoll()
    try:
        for n, m in masks.items():
            try:
                ep.register(n, m)
            except PermissionError:
                return  # a regular file: always ready, as select(2) and poll(2) report it
        _wait_ready(s, ep, None, timeout, -1)
    finally:
        ep.close()


class poll:  # noqa: N801 - the stdlib's name
    """select.poll's object whose poll() parks the calling goroutine. Python: select.poll()."""

    __module__ = "gonet.patch"
    __slots__ = ("_p", "_masks")

    def __init__(self) -> None:
        self._p = orig_poll()
        self._masks: dict[int, int] = {}

    def register(self, fd: Any, eventmask: int = _std.POLLIN | _std.POLLPRI | _std.POLLOUT) -> None:
        """Watch fd for eventmask (replacing an earlier mask)."""
        n = _fileno(fd)
        self._p.register(n, eventmask)
        self._masks[n] = eventmask

    def modify(self, fd: Any, eventmask: int) -> None:
        """Change the mask of a watched fd; OSError(ENOENT) if it is not watched."""
        n = _fileno(fd)
        self._p.modify(n, eventmask)
        self._masks[n] = eventmask

    def unregister(self, fd: Any) -> None:
        """Stop watching fd; KeyError if it is not watched."""
        n = _fileno(fd)
        self._p.unregister(n)
        del self._masks[n]

    def poll(self, timeout: float | None = None) -> list[tuple[int, int]]:
        """Wait for events; timeout in milliseconds (None or negative: forever)."""
        s = goroutine_sched()
        if s is None:
            return self._p.poll(timeout)
        got = self._p.poll(0)
        if got or timeout == 0:
            return got
        t = None if timeout is None or timeout < 0 else timeout / 1000.0
        masks = {n: m & (_std.POLLIN | _std.POLLOUT | _std.POLLPRI) for n, m in self._masks.items()}
        if masks:
            _wait_masks(s, masks, t)
        else:
            from gonet.runtime import sleep

            sleep(t if t is not None else math.inf)
        return self._p.poll(0)

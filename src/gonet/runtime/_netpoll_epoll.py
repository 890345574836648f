# gonet.runtime._netpoll_epoll: the Linux epoll backend of the netpoller (Go: netpoll_epoll.go).
#
# Why edge-triggered, registered once: a level-triggered poller must be told, before every wait,
# which fds we care about (epoll_ctl MOD per park, or a readiness storm for idle sockets). With
# EPOLLET we register IN|OUT|RDHUP at open and never touch the registration again: the kernel
# reports each *transition* to readable or writable once. The price is that an edge that arrives
# while nobody waits must be remembered — pollDesc latches it (see _netpoll.py) — and that after
# an edge the reader must drain until EAGAIN or until a short read proves the buffer empty.
#
# The backend's interface is small on purpose (open, close, poll, wakeup, open_special) so that
# a poll(2), kqueue or io_uring backend can stand beside it. Its boundary with the portable
# netpoller (Go: netpoll_epoll.go's netpoll calling netpollready in netpoll.go): `poll` returns
# (fd, event word) pairs, the word in the portable bits of _netpoll.py — epoll's own layout, so
# this backend hands its events over untranslated — and `specials` says what to do for the fds
# that are not pollDescs (the wakeup eventfd, the signal pipe).
#
# Invariants:
# - The epoll fd and the wakeup eventfd are close-on-exec.
# - The wakeup eventfd is registered level-triggered and is drained (its `specials` entry) when it
#   fires, so a wakeup is never lost and never spins.
from __future__ import annotations

import functools
import os
import select
from collections.abc import Callable

from gonet.runtime import _netpoll

__all__ = ["EpollBackend", "STREAM_EVENTS"]

EPOLLIN = select.EPOLLIN
EPOLLOUT = select.EPOLLOUT
EPOLLERR = select.EPOLLERR
EPOLLHUP = select.EPOLLHUP
EPOLLRDHUP = select.EPOLLRDHUP
EPOLLET = select.EPOLLET
# Bound at import: gonet.patch.select() may replace select.epoll with its parking version.
_epoll = select.epoll

STREAM_EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET

# The portable event word is epoll's layout: checked once here rather than translated per event.
if (_netpoll.POLLIN, _netpoll.POLLOUT, _netpoll.POLLERR, _netpoll.POLLHUP, _netpoll.POLLRDHUP) != (
    EPOLLIN,
    EPOLLOUT,
    EPOLLERR,
    EPOLLHUP,
    EPOLLRDHUP,
):
    raise ImportError("gonet: epoll's event bits differ from the netpoller's event word")

MAX_EVENTS = 128
# Longest single wait, in seconds: epoll_wait takes an int of milliseconds. A timer further away
# (a far deadline, sleep(inf)) just means waking once in ~11.6 days to wait again. Go: 1e9 ms.
MAX_WAIT = 1e6


class EpollBackend:
    """One epoll instance plus an eventfd used to interrupt a blocking wait from other threads."""

    __slots__ = ("ep", "wakefd", "registrations", "specials")

    def __init__(self) -> None:
        self.ep = _epoll()  # epoll_create1(EPOLL_CLOEXEC)
        self.wakefd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        self.ep.register(self.wakefd, EPOLLIN)
        self.registrations = 0
        # The registered fds that are not pollDescs, each with what to call when it fires (on
        # the hub, with the batch's other events). Go: netpoll_epoll.go's netpollEventFd check.
        self.specials: dict[int, Callable[[], None]] = {
            self.wakefd: functools.partial(_drain_eventfd, self.wakefd)
        }  # no cycle through self

    def open(self, fd: int) -> None:
        """Register ``fd`` once, edge-triggered, for both directions."""
        self.ep.register(fd, STREAM_EVENTS)
        self.registrations += 1

    def open_special(self, fd: int, on_event: Callable[[], None]) -> None:
        """Register ``fd`` as `open` does, for ``on_event`` rather than a pollDesc.

        Args:
            fd: an fd no pollDesc holds, such as the signal pipe's read end.
            on_event: called on the hub for each event of the fd; it must not park, and must
                drain the fd (the registration is edge-triggered).
        """
        self.open(fd)
        self.specials[fd] = on_event

    def close(self, fd: int) -> None:
        """Unregister ``fd``; must run before the fd is closed."""
        try:
            self.ep.unregister(fd)
        except (FileNotFoundError, ValueError, OSError):
            pass

    def poll(self, timeout: float) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` seconds (-1: forever, 0: don't block) for events.

        CPython rounds the timeout up to whole milliseconds and retries EINTR with the
        remaining time, as Go's netpoll does by hand. Waits longer than MAX_WAIT are capped.
        """
        if timeout > MAX_WAIT:
            timeout = MAX_WAIT
        return self.ep.poll(timeout, MAX_EVENTS)

    def wakeup(self) -> None:
        """Interrupt a concurrent or the next `poll`. Safe from any thread."""
        fd = self.wakefd
        if fd < 0:
            return  # shut down
        try:
            os.eventfd_write(fd, 1)
        except BlockingIOError:  # counter saturated: a wakeup is pending anyway
            pass

    def drain_wakeup(self) -> None:
        """Consume pending wakeups so the level-triggered eventfd stops reporting."""
        _drain_eventfd(self.wakefd)

    def shutdown(self) -> None:
        """Close the epoll instance and the eventfd. Idempotent."""
        self.ep.close()
        self.specials.clear()
        fd, self.wakefd = self.wakefd, -1
        if fd >= 0:
            os.close(fd)


def _drain_eventfd(fd: int) -> None:
    try:
        os.eventfd_read(fd)
    except BlockingIOError:
        pass

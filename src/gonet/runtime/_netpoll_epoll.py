# gonet.runtime._netpoll_epoll: the Linux epoll backend of the netpoller (Go: netpoll_epoll.go).
#
# Why edge-triggered, registered once: a level-triggered poller must be told, before every wait,
# which fds we care about (epoll_ctl MOD per park, or a readiness storm for idle sockets). With
# EPOLLET we register IN|OUT|RDHUP at open and never touch the registration again: the kernel
# reports each *transition* to readable or writable once. The price is that an edge that arrives
# while nobody waits must be remembered — pollDesc latches it (see _netpoll.py) — and that after
# an edge the reader must drain until EAGAIN or until a short read proves the buffer empty.
#
# The backend's interface is small on purpose (open, close, poll, wakeup) so that a poll(2),
# kqueue or io_uring backend can stand beside it.
#
# Invariants:
# - The epoll fd and the wakeup eventfd are close-on-exec.
# - The wakeup eventfd is registered level-triggered and is drained by `poll` when it fires, so
#   a wakeup is never lost and never spins.
from __future__ import annotations

import os
import select

__all__ = ["EpollBackend", "EV_READ", "EV_WRITE", "EV_ERR", "EV_HUP", "STREAM_EVENTS"]

EPOLLIN = select.EPOLLIN
EPOLLOUT = select.EPOLLOUT
EPOLLERR = select.EPOLLERR
EPOLLHUP = select.EPOLLHUP
EPOLLRDHUP = select.EPOLLRDHUP
EPOLLET = select.EPOLLET

# Which epoll bits wake which side (Go: netpoll_epoll.go netpoll()).
EV_READ = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR
EV_WRITE = EPOLLOUT | EPOLLHUP | EPOLLERR
EV_ERR = EPOLLERR
# The peer hung up or the socket failed: no further edges may come for data already signalled.
EV_HUP = EPOLLRDHUP | EPOLLHUP | EPOLLERR
STREAM_EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET

MAX_EVENTS = 128
# Longest single wait, in seconds: epoll_wait takes an int of milliseconds. A timer further away
# (a far deadline, sleep(inf)) just means waking once in ~11.6 days to wait again. Go: 1e9 ms.
MAX_WAIT = 1e6


class EpollBackend:
    """One epoll instance plus an eventfd used to interrupt a blocking wait from other threads."""

    __slots__ = ("ep", "wakefd", "registrations")

    def __init__(self) -> None:
        self.ep = select.epoll()  # epoll_create1(EPOLL_CLOEXEC)
        self.wakefd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        self.ep.register(self.wakefd, EPOLLIN)
        self.registrations = 0

    def open(self, fd: int) -> None:
        """Register ``fd`` once, edge-triggered, for both directions."""
        self.ep.register(fd, STREAM_EVENTS)
        self.registrations += 1

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
        try:
            os.eventfd_read(self.wakefd)
        except BlockingIOError:
            pass

    def shutdown(self) -> None:
        """Close the epoll instance and the eventfd. Idempotent."""
        self.ep.close()
        fd, self.wakefd = self.wakefd, -1
        if fd >= 0:
            os.close(fd)

# gonet.runtime._netpoll: pollDesc, the netpoller's per-fd state (Go: runtime/netpoll.go).
#
# Each direction (read, write) of a pollDesc has a readiness flag and at most one waiter:
#
#   rready  True:  the fd may be readable — try the syscall. Set by an epoll edge, and initially
#                  (a new registration's readiness is unknown, so the first syscall finds out).
#           False: the last syscall proved the socket empty (EAGAIN, or a short stream read) and
#                  no edge has arrived since — parking without a syscall is safe, because any
#                  later arrival raises a fresh edge. This is how gonet "trusts the edge" and
#                  avoids Go's failed recv()+EAGAIN per message (~1.6 us in Python).
#   trust   True while the short-read inference is valid: a stream socket whose peer has not
#           hung up. Cleared for good by an RDHUP/HUP/ERR event: a FIN or RST that arrived in
#           an event the hub collected BEFORE a short read raises no later edge, so after it
#           every read must go to the kernel (which returns 0 or the error at once).
#   rg      None or the goroutine parked waiting for the read side. Only one: the fd mutex
#           serialises readers, so a second waiter would be a bug ("double wait").
#
# Transitions (Go's pdNil / pdReady / pdWait / G, with the flag kept apart from the waiter):
#
#   event (ioready):  rready = True; if rg: ready(rg, True), rg = None
#   deadline/close:   rready unchanged (a timeout never makes the fd "ready");
#                     if rg: ready(rg, False), rg = None — the waiter re-checks errors
#   wait():           closing -> ErrClosed; rd < 0 -> timeout; everr -> not pollable;
#                     rready -> return; else park. Woken without readiness and without an
#                     error (the deadline was extended meanwhile) -> park again silently.
#
# Deadlines are absolute monotonic times encoded as Go does: 0.0 none, -1.0 expired (set by
# the timer or by a deadline already in the past), > 0 pending. So the hot path checks
# `rd < 0` — one comparison, no clock read.
#
# The boundary with the backend (Go: netpoll_epoll.go's netpoll -> netpollready here): a backend
# reports each event as (fd, event word), the word made of the POLL* bits below; netpollready
# applies the table above to the fd's pollDesc and appends the goroutines it unblocks straight to
# the scheduler's run queue (Go returns a gList; a list built per poll and re-queued would cost
# the hot loop an allocation and a second pass). The scheduler only polls and runs what is queued.
#
# Invariants:
# - A pollDesc is in its scheduler's fd table from open() to close(); an event for an fd not in
#   the table goes to the backend's `specials` entry for it (the wakeup eventfd, the signal
#   pipe), or is dropped (a closed fd's stale event).
# - netpollready runs no user code between reading the batch and queueing its goroutines (a
#   special's handler is the runtime's own), so a stale event cannot reach a reused fd number's
#   new pollDesc.
# - evict() (close) wakes both waiters; close() unregisters from epoll before the fd is closed.
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gonet.errors import DeadlineExceededError, ErrClosed, NotPollableError, WrongThreadError
from gonet.runtime._gstatus import RUNNABLE, WAITING
from gonet.runtime._waitreason import IO_WAIT

_get_ident = threading.get_ident

if TYPE_CHECKING:
    from gonet.runtime._proc import G, Scheduler
    from gonet.runtime._time import Timer

__all__ = ["PollDesc", "netpollready", "POLLIN", "POLLOUT", "POLLERR", "POLLHUP", "POLLRDHUP"]

# The event word of a backend (poll(2)'s revents bits, and Linux's POLLRDHUP; epoll's are equal).
POLLIN = 0x001  # readable
POLLOUT = 0x004  # writable
POLLERR = 0x008  # the socket failed (alone: the fd cannot be polled at all)
POLLHUP = 0x010  # both directions hung up
POLLRDHUP = 0x2000  # the peer shut down its writing side (FIN)

# Which bits wake which side (Go: netpoll_epoll.go's netpoll decoding into mode 'r' / 'w').
EV_READ = POLLIN | POLLRDHUP | POLLHUP | POLLERR
EV_WRITE = POLLOUT | POLLHUP | POLLERR
# The peer hung up or the socket failed: no further edges may come for data already signalled.
EV_HUP = POLLRDHUP | POLLHUP | POLLERR


def deadline_text(when: float, now: float) -> str:
    """Say when a deadline encoded as pollDesc does it (0 none, -1 expired, else a time) falls."""
    if when < 0:
        return "deadline expired"
    if when > 0:
        return f"deadline in {when - now:.3f}s"
    return ""


class PollDesc:
    """Readiness, waiters and deadlines of one registered fd. Go: runtime.pollDesc."""

    __slots__ = (
        "fd",
        "sched",
        "closing",
        "everr",
        "rready",
        "wready",
        "trust",
        "rg",
        "wg",
        "rd",
        "wd",
        "rt",
        "wt",
        "info",
    )

    def __init__(self, sched: Scheduler, fd: int, info: Any = None) -> None:
        self.sched = sched
        self.fd = fd
        self.closing = False
        self.everr = False
        self.rready = True
        self.wready = True
        self.trust = False  # set by the fd layer for stream sockets
        self.rg: G | None = None
        self.wg: G | None = None
        self.rd = 0.0
        self.wd = 0.0
        self.rt: Timer | None = None
        self.wt: Timer | None = None
        self.info = info  # what a goroutine dump shows for "IO wait" (e.g. the conn)

    @classmethod
    def open(cls, sched: Scheduler, fd: int, info: Any = None) -> PollDesc:
        """Register fd with the scheduler's poller, once. Go: poll_runtime_pollOpen."""
        pd = cls(sched, fd, info)
        sched.poller.open(fd)
        sched.pds[fd] = pd
        return pd

    def close(self) -> None:
        """Unregister the fd; call after evict(), before close(2). Go: poll_runtime_pollClose."""
        sched = self.sched
        if sched.pds.get(self.fd) is self:
            del sched.pds[self.fd]
            sched.poller.close(self.fd)

    def adopt(self, sched: Scheduler) -> None:
        """Register the fd with sched's poller (in a forked child, whose epoll is new).

        Readiness is unknown again and deadline timers move to sched's heap; waiters of the
        old scheduler do not exist any more.
        """
        old = self.sched
        if old is sched:
            return
        if old.pds.get(self.fd) is self:
            del old.pds[self.fd]
        self.sched = sched
        self.rg = None
        self.wg = None
        self.rready = True
        self.wready = True
        if not self.closing:
            sched.poller.open(self.fd)
            sched.pds[self.fd] = self
        self.rt = None
        self.wt = None
        if self.rd > 0 or self.wd > 0:
            rd, wd = self.rd, self.wd
            if rd > 0:
                self.set_deadline(rd, True, False)
            if wd > 0:
                self.set_deadline(wd, False, True)

    def evict(self) -> None:
        """Mark closing and wake both waiters; they fail with ErrClosed. Go: poll_runtime_pollUnblock."""
        self.closing = True
        if self.rt is not None:
            self.rt.stop()
        if self.wt is not None:
            self.wt.stop()
        self._unblock_read()
        self._unblock_write()

    # -- waiting -------------------------------------------------------------------------------

    def wait_read(self) -> None:
        """Park until the fd may be readable. Go: poll_runtime_pollWait(pd, 'r').

        Raises:
            ErrClosed, DeadlineExceededError, NotPollableError.
        """
        sched = self.sched
        if sched.closed and sched.preempt:
            sched = self._adopt_current()  # first wait in a forked child
        if sched.thread_ident != _get_ident():
            raise WrongThreadError()  # before touching the owner's state
        while True:
            if self.closing:
                raise ErrClosed()
            if self.rd < 0:
                raise DeadlineExceededError()
            if self.everr:
                raise NotPollableError()
            if self.rready:
                return
            self.rg = sched.cur
            sched.io_waiters += 1
            try:
                sched.park(IO_WAIT, self)
            finally:
                sched.io_waiters -= 1
                self.rg = None

    def wait_write(self) -> None:
        """Park until the fd may be writable. Go: poll_runtime_pollWait(pd, 'w')."""
        sched = self.sched
        if sched.closed and sched.preempt:
            sched = self._adopt_current()
        if sched.thread_ident != _get_ident():
            raise WrongThreadError()
        while True:
            if self.closing:
                raise ErrClosed()
            if self.wd < 0:
                raise DeadlineExceededError()
            if self.wready:
                return
            self.wg = sched.cur
            sched.io_waiters += 1
            try:
                sched.park(IO_WAIT, self)
            finally:
                sched.io_waiters -= 1
                self.wg = None

    def describe_wait(self, g: Any, now: float) -> str:
        """Say what g waits for on this fd, for a goroutine dump (gonet.runtime's WaitObject)."""
        info = self.info
        if self.rg is g:
            # A listener's info has no remote address: its read side is accept().
            op = "read" if info is None or hasattr(info, "remote_addr") else "accept"
            dl = deadline_text(self.rd, now)
        elif self.wg is g:
            op, dl = "write", deadline_text(self.wd, now)
        else:
            op, dl = "woken", ""  # readied, not yet running
        parts = [f"fd {self.fd} {op}"]
        if info is not None:
            parts.append(repr(info))
        if dl:
            parts.append(dl)
        return ", ".join(parts)

    def _adopt_current(self) -> Scheduler:
        from gonet.runtime._proc import current

        sched = current()
        self.adopt(sched)
        return sched

    def _unblock_read(self) -> None:
        g = self.rg
        if g is not None:
            self.rg = None
            self.sched.ready(g, False)

    def _unblock_write(self) -> None:
        g = self.wg
        if g is not None:
            self.wg = None
            self.sched.ready(g, False)

    # -- deadlines -----------------------------------------------------------------------------

    def set_deadline(self, when: float | None, read: bool, write: bool) -> None:  # noqa: C901 - hot path, kept inline
        """Set the absolute deadline of one or both directions; None clears it.

        A deadline in the past expires at once and wakes a parked waiter; a later one arms a
        timer; a waiter parked under an older deadline keeps waiting under the new one.

        Go: poll_runtime_pollSetDeadline.
        """
        if self.closing:
            raise ErrClosed()
        sched = self.sched
        if when is None:
            d = 0.0
        elif when <= sched.clock():
            d = -1.0
        else:
            d = float(when)
        if read:
            self.rd = d
            t = self.rt
            if d > 0:
                if t is None:
                    t = self.rt = sched.timers.new(_read_deadline_fired, self)
                t.reset(d)
            elif t is not None:
                t.stop()
            if d < 0:
                self._unblock_read()
        if write:
            self.wd = d
            t = self.wt
            if d > 0:
                if t is None:
                    t = self.wt = sched.timers.new(_write_deadline_fired, self)
                t.reset(d)
            elif t is not None:
                t.stop()
            if d < 0:
                self._unblock_write()


def netpollready(
    pds: dict[int, PollDesc],
    events: list[tuple[int, int]],
    runq: Any,
    specials: dict[int, Callable[[], None]],
) -> int:
    """Apply one poll's events to their pollDescs; queue the goroutines they unblock.

    Args:
        pds: the scheduler's fd table.
        events: (fd, event word) pairs from the backend's poll.
        runq: the scheduler's run queue; unblocked goroutines are appended to it, runnable.
        specials: the backend's handlers of registered fds that are not pollDescs.

    Returns:
        How many goroutines were queued.

    Go: the event loop of netpoll (netpoll_epoll.go) with netpollready and netpollunblock.
    """
    woken = 0
    for fd, ev in events:
        pd = pds.get(fd)
        if pd is None:
            on_event = specials.get(fd)
            if on_event is not None:
                on_event()  # a signal's handler: what it readied runs next
            continue
        if ev & EV_HUP:
            pd.trust = False
        # The two directions are written out, not shared in a helper: a call per event would
        # cost the hottest loop of the pure-Python build more than the repetition costs here.
        if ev & EV_READ:
            pd.rready = True
            g = pd.rg
            if g is not None and g.status is WAITING:
                pd.rg = None
                g.wakeval = True
                g.status = RUNNABLE
                runq.append(g)
                woken += 1
        if ev & EV_WRITE:
            pd.wready = True
            g = pd.wg
            if g is not None and g.status is WAITING:
                pd.wg = None
                g.wakeval = True
                g.status = RUNNABLE
                runq.append(g)
                woken += 1
        if ev == POLLERR:
            pd.everr = True
    return woken


def _read_deadline_fired(pd: PollDesc) -> None:
    # A stopped or re-armed timer never gets here (its heap entry is stale), so no sequence
    # check is needed as in Go's netpolldeadlineimpl.
    pd.rd = -1.0
    pd._unblock_read()


def _write_deadline_fired(pd: PollDesc) -> None:
    pd.wd = -1.0
    pd._unblock_write()

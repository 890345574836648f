# gonet.runtime._sigqueue: signals delivered through the netpoller (Go: runtime/sigqueue.go).
#
# CPython runs a Python signal handler on the main thread between bytecodes. When the signal
# interrupts the hub's epoll_wait, the handler runs inside the wait (EINTR) and the wait is then
# retried: whatever the handler made runnable (a cancel(), a close(), a channel send) would sit
# in the run queue while the hub sleeps on. So the process gets one non-blocking pipe, whose
# write end is the interpreter's `signal.set_wakeup_fd` (its C-level handler writes the signal
# number there for every signal that has a Python handler) and whose read end the main thread's
# scheduler registers with its epoll, as one of the poller's special fds (not a pollDesc).
# epoll_wait returns, the hub drains the pipe and loops, and sees what the handler did.
#
# gonet.signal's channels are fed the same way, never by user code in a handler: `enable(sig)`
# installs `_handler`, which only marks the signal pending (coalescing repeats, as Go's sig.mask
# does) and writes a byte to the pipe; the hub, on the pipe's edge, hands each pending signal to
# `process` (gonet.signal's dispatcher), which does non-blocking channel sends.
#
# A wakeup fd the program set before gonet's first scheduler (an asyncio loop's, say) is left in
# place, with a RuntimeWarning: Python handlers then do not wake a sleeping hub, while
# gonet.signal still works because `_handler` writes to gonet's pipe itself. A wakeup fd set
# after gonet's replaces gonet's the same way.
#
# Invariants:
# - One pipe per process, created by the first scheduler of the main thread (Python handles
#   signals only there); each main-thread scheduler registers its read end once.
# - After fork the child closes the inherited pipe and makes its own (a child reading the
#   parent's pipe would steal the parent's signals); the parent is untouched.
# - While gonet.signal has a channel notified, the main thread's scheduler counts the pipe as
#   one I/O waiter (never more): no deadlock is declared, and a busy run queue still polls.
# - `_handler` touches only a bytearray, a deque and os.write: it may interrupt any code,
#   including the hub and a channel operation, without meeting a lock or a half-made update.
from __future__ import annotations

import os
import signal
import threading
import warnings
import weakref
from collections import deque
from collections.abc import Callable
from types import FrameType
from typing import Any

from gonet.runtime import _proc

__all__ = ["enable", "disable", "ignore", "set_active", "is_main_thread", "sigq"]

_NSIG = getattr(signal, "NSIG", 65)


def is_main_thread() -> bool:
    """Report whether the caller runs on the thread that handles signals."""
    return threading.current_thread() is threading.main_thread()


class SigQueue:
    """The process's signal pipe and pending set. Go: runtime.sig (sigqueue.go)."""

    def __init__(self) -> None:
        self.fd = -1  # read end, registered with the main thread's epoll
        self.wfd = -1
        self.pid = 0  # the process the pipe belongs to
        self.foreign = -1  # a wakeup fd the program had set, left in place
        self.pending: deque[int] = deque()
        self.flagged = bytearray(_NSIG + 1)
        # gonet.signal's dispatcher: called on the hub with each pending signal number.
        self.process: Callable[[int], None] | None = None
        self.active = False  # some channel is notified: the pipe counts as an I/O waiter
        self.sched: weakref.ref[Any] | None = None  # the scheduler attached to the pipe
        self.bumped: weakref.ref[Any] | None = None  # the scheduler whose io_waiters we raised
        self.poller: Any = None  # the poller the pipe is registered with, and the fd number
        self.registered = -1

    # -- the pipe -----------------------------------------------------------------------------

    def open(self) -> None:
        """Create the pipe and make it the wakeup fd, unless one is in place. Main thread only."""
        if self.fd >= 0:
            if self.pid == os.getpid():
                return
            self._forget_inherited()  # a forked child got here before after_fork_in_child
        r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            old = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        except BaseException:
            os.close(r)
            os.close(w)
            raise
        self.fd, self.wfd, self.pid = r, w, os.getpid()
        if old in (-1, w):
            self.foreign = -1
            return
        signal.set_wakeup_fd(old)
        if old != self.foreign:  # warned once per fd (a forked child inherits the warning)
            self.foreign = old
            warnings.warn(
                f"gonet: a signal wakeup fd ({old}) was already set, e.g. by an asyncio event loop; "
                "gonet leaves it in place, so a Python signal handler that wakes a goroutine takes "
                "effect only at the scheduler's next event (gonet.signal.notify is not affected)",
                RuntimeWarning,
                stacklevel=2,
            )

    def attach(self, s: Any) -> None:
        """Register the pipe with s, a scheduler of the main thread. Idempotent."""
        self.open()
        if self.poller is s.poller and self.registered == self.fd:
            return
        s.poller.open_special(self.fd, self.drain)
        self.poller, self.registered = s.poller, self.fd
        self.sched = weakref.ref(s)
        if self.active:
            self._bump(s)

    def _forget_inherited(self) -> None:
        # Never read or unregister the parent's pipe: epoll instances and pipes are shared.
        if self.foreign < 0 and is_main_thread():
            signal.set_wakeup_fd(-1)  # the parent's pipe: the child's own replaces it
        for fd in (self.fd, self.wfd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.fd = self.wfd = self.registered = -1
        self.poller = None
        self.pending.clear()  # the parent's signals, not the child's
        self.flagged[:] = bytes(len(self.flagged))
        self.sched = self.bumped = None

    def after_fork_in_child(self) -> None:
        if self.fd < 0 or self.pid == os.getpid():
            return  # no pipe, or the child's scheduler already made the child's own
        self._forget_inherited()
        s = getattr(_proc._tls, "sched", None)
        if s is not None and not s.closed and is_main_thread():
            self.attach(s)  # the child's scheduler already exists: give it the new pipe

    # -- the hub side -------------------------------------------------------------------------

    def drain(self) -> None:
        """Empty the pipe and dispatch the pending signals. Called by the hub on the pipe's edge.

        Pure Python on purpose, also in the compiled build: a signal that wrote the bytes just
        read has already flagged the eval loop, which runs the Python handlers in this frame
        (after the os.read call, at the latest on entering flush) — so what they made runnable
        is in the run queue before the hub looks at it again.
        """
        fd = self.fd
        while True:
            try:
                if len(os.read(fd, 512)) < 512:
                    break  # a short read: the pipe is empty, the next byte raises a new edge
            except BlockingIOError:
                break
            except OSError:
                return
        self.flush()

    def flush(self) -> None:
        """Dispatch what is pending now (gonet.signal.stop: before a channel goes away)."""
        pending = self.pending
        flagged = self.flagged
        process = self.process
        while pending:
            n = pending.popleft()
            flagged[n] = 0
            if process is not None:
                process(n)

    # -- keeping the deadlock detector quiet ----------------------------------------------------

    def set_active(self, active: bool) -> None:
        if active == self.active:
            return
        self.active = active
        if active:
            ref = self.sched
            s = ref() if ref is not None else None
            if s is not None and not s.closed:
                self._bump(s)
        else:
            ref = self.bumped
            s = ref() if ref is not None else None
            self.bumped = None
            if s is not None:
                s.io_waiters -= 1

    def _bump(self, s: Any) -> None:
        # The pipe counts as one I/O waiter: a program waiting only for a signal is not
        # deadlocked (Go reports nothing either), and the hub (and the watchdog's poll
        # guarantee) polls between rounds of a busy run queue, so a signal is relayed even
        # while other goroutines keep the CPU.
        ref = self.bumped
        old = ref() if ref is not None else None
        if old is s:
            return
        if old is not None:
            old.io_waiters -= 1  # a newer scheduler of the main thread takes over the pipe
        s.io_waiters += 1
        self.bumped = weakref.ref(s)


sigq = SigQueue()


def _handler(signum: int, frame: FrameType | None) -> None:
    # Go's sighandler -> sigsend: record and wake, nothing else (see the invariants above).
    q = sigq
    if not q.flagged[signum]:
        q.flagged[signum] = 1
        q.pending.append(signum)
    try:
        os.write(q.wfd, b"\0")
    except OSError:
        pass  # full (a wakeup is pending anyway) or not open yet


# The handler each signal had before gonet first took it over, restored by disable().
_saved: dict[int, Any] = {}


def enable(sig: int) -> None:
    """Deliver sig to the pending set from now on (Go: signal_enable). Main thread only."""
    cur = signal.getsignal(sig)
    if cur is _handler:
        return
    if sig not in _saved:
        _saved[sig] = cur
    signal.signal(sig, _handler)


def disable(sig: int) -> None:
    """Give sig back the handler it had before gonet took it (Go: signal_disable)."""
    if sig not in _saved:
        return  # never taken over: leave the program's own handler alone
    old = _saved.pop(sig)
    # A None (a handler not installed from Python) is best approximated by the default.
    signal.signal(sig, old if old is not None else signal.SIG_DFL)


def ignore(sig: int) -> None:
    """Ignore sig (Go: signal_ignore); disable() later restores the handler from before."""
    cur = signal.getsignal(sig)
    if sig not in _saved and cur is not _handler:
        _saved[sig] = cur
    signal.signal(sig, signal.SIG_IGN)


def set_active(active: bool) -> None:
    """Tell the main thread's scheduler whether a signal may still wake it (notify in use)."""
    sigq.set_active(active)


def _on_new_scheduler(s: Any) -> None:
    if s.thread_ident != threading.main_thread().ident:
        return
    try:
        sigq.attach(s)
    except (ValueError, OSError):
        pass  # not the main interpreter, or signals unavailable


_proc.on_new_scheduler.append(_on_new_scheduler)
os.register_at_fork(after_in_child=sigq.after_fork_in_child)

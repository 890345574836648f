# gonet._poll._fd_unix: FD, the syscall loops over a non-blocking socket (Go: internal/poll/fd_unix.go).
#
# Every operation has the same shape: take the fd lock -> check errors and deadline (prepare) ->
# try the syscall -> on EAGAIN wait on the pollDesc -> retry. This layer raises raw causes:
# OSError from the kernel, ErrClosed, DeadlineExceededError. The net layer above wraps them in
# OpError, once.
#
# The hot paths (read, recv, write) inline the fd-mutex fast path and consult the pollDesc's
# readiness flag before the syscall, so that a socket known to be empty costs a park, not a
# failed recv() and a Python exception.
#
# Invariants:
# - The socket is non-blocking and close-on-exec from construction; registered with the
#   netpoller exactly once (init), unregistered before close(2) (destroy).
# - write() never returns a short count: it writes everything or raises with `.written` set on
#   the exception to the bytes already sent.
from __future__ import annotations

import errno as _errno
import os
import socket
from typing import Any

from gonet._poll._fd_mutex import FdMutex
from gonet.errors import DeadlineExceededError, ErrClosed
from gonet.runtime._netpoll import PollDesc
from gonet.runtime._proc import current

__all__ = ["FD", "MAX_RW", "with_written"]

# Cap one read/write syscall, as Go does (maxRW): very large sends are split.
MAX_RW = 1 << 30

_CONNECT_PENDING = (_errno.EINPROGRESS, _errno.EALREADY, _errno.EINTR)
_NOT_CONNECTED = (_errno.ENOTCONN, _errno.EINVAL)


def with_written(exc: BaseException, written: int) -> BaseException:
    """Record on exc how many bytes a failed write had already sent (read by the net layer)."""
    exc.written = written  # type: ignore[attr-defined]
    return exc


class FD(FdMutex):
    """A non-blocking socket bound to this thread's netpoller. Go: poll.FD."""

    __slots__ = ("sock", "sysfd", "pd", "stream", "_recv_into", "_recv", "_send", "on_destroy", "__weakref__")

    def __init__(self, sock: socket.socket, info: Any = None, register: bool = True) -> None:
        """Wrap sock (made non-blocking here) and, unless register is False, register it."""
        super().__init__(current())
        sock.setblocking(False)
        self.sock = sock
        self.sysfd = sock.fileno()
        self.stream = sock.type == socket.SOCK_STREAM
        self._recv_into = sock.recv_into
        self._recv = sock.recv
        self._send = sock.send
        self.on_destroy: Any = None
        self.pd: PollDesc = None  # type: ignore[assignment]
        if register:
            self.init(info)

    def init(self, info: Any = None) -> None:
        """Register with the netpoller (once). Go: FD.Init."""
        pd = self.pd = PollDesc.open(self.sched, self.sysfd, info)
        pd.trust = self.stream

    def describe_wait(self, g: Any, now: float) -> str:
        """Say which lock of this fd g waits for, for a goroutine dump (the runtime's WaitObject)."""
        return f"fd {self.sysfd} {self.lock_wait(g)}"

    def adopt(self) -> None:
        """Move the fd, and its pollDesc, to this thread's scheduler (in a forked child)."""
        FdMutex.adopt(self)
        if self.pd is not None:
            self.pd.adopt(self.sched)

    def fileno(self) -> int:
        """Return the OS file descriptor (-1 once closed)."""
        return -1 if self.destroyed else self.sysfd

    # -- close ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Close: fail and wake every waiter, then close(2) once the last operation has left.

        Raises:
            ErrClosed: already closed.

        Go: FD.Close.
        """
        if not self.begin_close():
            raise ErrClosed()
        if self.pd is not None:
            self.pd.evict()
        self.wait_destroyed()

    def destroy(self) -> None:
        pd = self.pd
        if pd is not None:
            pd.close()
        try:
            self.sock.close()
        finally:
            cb = self.on_destroy
            if cb is not None:
                self.on_destroy = None
                cb()

    def __del__(self) -> None:
        # An unreachable conn is closed (Go: the finalizer on netFD), so no fd leaks.
        if not self.destroyed:
            self.closing = True
            self.destroyed = True
            try:
                pd = self.pd
                if pd is not None:
                    # Stop the deadline timers: armed, they would stay counted as live (the
                    # deadlock detector trusts that count) and keep the pollDesc alive until
                    # they fired. No goroutine waits on an unreachable FD, so nobody is woken.
                    pd.evict()
                self.destroy()
            except Exception:  # noqa: BLE001 - nothing to report to in a finalizer
                pass

    # -- reads ---------------------------------------------------------------------------------

    def wait_read_ready(self) -> None:
        """Park until the fd may be readable, without reading or taking the read lock.

        For a caller that is the fd's only reader and parks between messages with as little
        stack as possible (an idle HTTP keep-alive conn): what it waits through is the read
        deadline and close, as read() would.

        Raises:
            ErrClosed, DeadlineExceededError.

        Go: the pollDesc.waitRead an idle net/http conn reaches through bufio.Reader.Peek.
        """
        self.pd.wait_read()  # it checks close and the deadline before the readiness flag

    def read(self, buf: Any) -> int:
        """Read into buf once; return the byte count, 0 at EOF (or for an empty buf).

        Go: FD.Read.
        """
        if self.sched.preempt:
            self.yield_point()
        if self.closing:
            raise ErrClosed()
        if self.rlocked:
            self.lock_slow(True)
        else:
            self.rlocked = True
            self.refs += 1
        try:
            size = len(buf)
            if not size:
                return 0
            pd = self.pd
            if pd.rd < 0:
                raise DeadlineExceededError()
            recv_into = self._recv_into
            while True:
                if not pd.rready:
                    pd.wait_read()
                try:
                    n = recv_into(buf)
                except BlockingIOError:
                    pd.rready = False
                    continue
                except InterruptedError:
                    continue
                if n < size and n and pd.trust:
                    pd.rready = False  # a short stream read drained the socket: trust the edge
                return n
        finally:
            if self.rwait or self.closing:
                self.unlock_slow(True)
            else:
                self.rlocked = False
                self.refs -= 1

    def recv(self, size: int) -> bytes:
        """Read up to size bytes once and return them; b"" at EOF."""
        if self.sched.preempt:
            self.yield_point()
        if self.closing:
            raise ErrClosed()
        if self.rlocked:
            self.lock_slow(True)
        else:
            self.rlocked = True
            self.refs += 1
        try:
            if not size:
                return b""
            pd = self.pd
            if pd.rd < 0:
                raise DeadlineExceededError()
            recv = self._recv
            while True:
                if not pd.rready:
                    pd.wait_read()
                try:
                    data = recv(size)
                except BlockingIOError:
                    pd.rready = False
                    continue
                except InterruptedError:
                    continue
                if len(data) < size and data and pd.trust:
                    pd.rready = False
                return data
        finally:
            if self.rwait or self.closing:
                self.unlock_slow(True)
            else:
                self.rlocked = False
                self.refs -= 1

    # -- writes --------------------------------------------------------------------------------

    def write(self, data: Any) -> int:  # noqa: C901 - measured hot path, kept inline
        """Write all of data, parking while the send buffer is full; return len(data).

        Raises:
            OSError (incl. ErrClosed, DeadlineExceededError) with ``.written`` set to the bytes
            sent before the failure.

        Go: FD.Write.
        """
        if self.sched.preempt:
            self.yield_point()
        if self.closing:
            raise ErrClosed()
        if self.wlocked:
            self.lock_slow(False)
        else:
            self.wlocked = True
            self.refs += 1
        try:
            pd = self.pd
            if pd.wd < 0:
                raise with_written(DeadlineExceededError(), 0)
            t = type(data)
            if t is bytes or t is bytearray:
                n = len(data)
            elif t is memoryview:
                n = data.nbytes
            else:  # array.array, ...: len() counts items, not bytes
                n = memoryview(data).nbytes
            if not n:
                return 0
            send = self._send
            written = 0
            view = None
            while True:
                if not pd.wready:
                    try:
                        pd.wait_write()
                    except OSError as e:
                        raise with_written(e, written) from None
                try:
                    if not written and n <= MAX_RW:
                        k = send(data)
                    else:
                        if view is None:
                            view = memoryview(data).cast("B")
                        k = send(view[written : written + MAX_RW])
                except BlockingIOError:
                    pd.wready = False
                    continue
                except InterruptedError:
                    continue
                except OSError as e:
                    raise with_written(e, written) from None
                written += k
                if written >= n:
                    return n
                if pd.trust:
                    pd.wready = False  # a short write filled the send buffer: wait for EPOLLOUT
        finally:
            if self.wwait or self.closing:
                self.unlock_slow(False)
            else:
                self.wlocked = False
                self.refs -= 1

    # -- accept / connect ----------------------------------------------------------------------

    def accept(self) -> tuple[int, Any]:
        """Accept one connection; return (new fd, peer address).

        EINTR and ECONNABORTED are retried silently. Go: FD.Accept.
        """
        if self.sched.preempt:
            self.yield_point()
        if self.closing:
            raise ErrClosed()
        self.lock_slow(True)
        try:
            pd = self.pd
            if pd.rd < 0:
                raise DeadlineExceededError()
            accept = self.sock._accept  # type: ignore[attr-defined]
            while True:
                if not pd.rready:
                    pd.wait_read()
                try:
                    return accept()  # type: ignore[no-any-return,unused-ignore]
                except BlockingIOError:
                    pd.rready = False
                except (InterruptedError, ConnectionAbortedError):
                    pass
        finally:
            self.unlock_slow(True)

    def connect(self, sockaddr: Any, deadline: float | None) -> None:
        """Connect the (unregistered) socket, registering it and waiting as needed.

        Go: netFD.connect.
        """
        sock = self.sock
        err = sock.connect_ex(sockaddr)
        if err not in (0, _errno.EISCONN) and err not in _CONNECT_PENDING:
            raise OSError(err, _strerror(err))
        # No info: the pollDesc sits in the scheduler's fd table, so pointing it back at this FD
        # would keep an unreachable FD alive forever (its finalizer never closes the socket).
        self.init()
        if err in (0, _errno.EISCONN):
            return
        self.incref()
        try:
            pd = self.pd
            pd.wready = False  # registration may latch readiness from before the connect
            if deadline is not None:
                pd.set_deadline(deadline, read=False, write=True)
            while True:
                pd.wait_write()
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err == 0 or err == _errno.EISCONN:
                    try:
                        sock.getpeername()
                    except OSError as e:
                        if e.errno not in _NOT_CONNECTED:
                            raise
                        pd.wready = False  # spurious wakeup: not connected yet
                        continue
                    break
                if err in _CONNECT_PENDING:
                    pd.wready = False
                    continue
                raise OSError(err, _strerror(err))
            if deadline is not None:
                pd.set_deadline(None, read=False, write=True)
        finally:
            self.decref()

    # -- misc ----------------------------------------------------------------------------------

    def set_deadline(self, when: float | None, read: bool, write: bool) -> None:
        """Set the absolute read and/or write deadline; None clears."""
        self.incref()
        try:
            self.pd.set_deadline(when, read, write)
        finally:
            self.decref()

    def setsockopt(self, level: int, opt: int, value: Any) -> None:
        """Set a socket option. Go: FD.SetsockoptInt."""
        self.incref()
        try:
            self.sock.setsockopt(level, opt, value)
        finally:
            self.decref()

    def getsockopt(self, level: int, opt: int) -> int:
        """Read an integer socket option."""
        self.incref()
        try:
            return self.sock.getsockopt(level, opt)
        finally:
            self.decref()

    def shutdown(self, how: int) -> None:
        """Shut down one or both directions. Go: FD.Shutdown."""
        self.incref()
        try:
            self.sock.shutdown(how)
        finally:
            self.decref()


def _strerror(err: int) -> str:
    return os.strerror(err)

# gonet.net._pipe: pipe(), a synchronous, in-memory, full-duplex pair of conns (Go: net/pipe.go).
#
# No buffering: a write offers its bytes to the other end and parks until readers have taken
# all of them; each read takes at most what the current write still offers. So write() returns
# only once the peer has read everything — the rendezvous Go's net.Pipe gives, built here on
# the runtime's park/ready instead of channels.
#
# One direction ("_Half") holds the writer's remaining bytes (`offer`), the parked writer, the
# parked readers and a FIFO write lock (Go's wrMu: writes are not interleaved, and are served
# in arrival order). Every state
# change (an offer, its consumption, close, a deadline) wakes whoever may care; a woken
# goroutine always re-checks, in Go's order: local close -> remote close -> deadline -> data.
#
# Semantics (Go's): after close(), this end's read/write raise ErrClosedPipe ("io: read/write
# on closed pipe"); the other end reads EOF (0) and its writes raise ErrClosedPipe; close() is
# idempotent. Deadlines are absolute per direction; an expired one fails at once even with data
# waiting. Deliberate departure: a zero-length write returns 0 at once instead of pairing with
# a read, since a read returning 0 means EOF in Python.
#
# Invariant: a pipe belongs to the scheduler (OS thread) that created it.
from __future__ import annotations

from collections import deque
from typing import Any

from gonet.errors import DeadlineExceededError, ErrClosedPipe, op_error
from gonet.net._makefile import makefile as _makefile
from gonet.net._mutex import FifoLock
from gonet.net._net import buffer_error, check_deadline
from gonet.runtime import current

__all__ = ["pipe", "PipeConn", "PipeAddr", "ErrClosedPipe"]


class PipeAddr:
    """The address of both ends of a pipe. Go: net.pipeAddr."""

    __slots__ = ()

    def network(self) -> str:
        """Return "pipe"."""
        return "pipe"

    def __str__(self) -> str:
        return "pipe"

    def __repr__(self) -> str:
        return "PipeAddr()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PipeAddr)

    def __hash__(self) -> int:
        return hash("pipe")


_ADDR = PipeAddr()


class _Half:
    """One direction of a pipe: bytes written at one end, read at the other."""

    __slots__ = ("offer", "writer", "readers", "wlock")

    def __init__(self) -> None:
        self.offer: memoryview | None = None
        self.writer: Any = None
        self.readers: deque[Any] = deque()
        self.wlock = FifoLock()


def _wake(sched: Any, gs: Any) -> None:
    for g in list(gs):
        sched.ready(g)


class PipeConn:
    """One end of a pipe(): read, write, deadlines and close like any Conn. Go: net.Pipe's conn."""

    __slots__ = (
        "_sched",
        "_rx",
        "_tx",
        "_peer",
        "_closed",
        "_rd",
        "_wd",
        "_rtimer",
        "_wtimer",
        "__weakref__",
    )

    def __init__(self, sched: Any, rx: _Half, tx: _Half) -> None:
        self._sched = sched
        self._rx = rx
        self._tx = tx
        self._peer: PipeConn = None  # type: ignore[assignment]
        self._closed = False
        self._rd = 0.0  # 0: none; -1: expired; > 0: pending (absolute), as pollDesc encodes it
        self._wd = 0.0
        self._rtimer: Any = None
        self._wtimer: Any = None

    # -- waking --------------------------------------------------------------------------------

    def _park_in(self, q: deque[Any]) -> None:
        sched = self._sched
        g = sched.running()
        q.append(g)
        try:
            sched.park("select", self)
        finally:
            try:
                q.remove(g)
            except ValueError:
                pass

    def _wake_writers(self, half: _Half) -> None:
        if half.writer is not None:
            self._sched.ready(half.writer)
        half.wlock.wake_all()

    # Python: socket.makefile — a file over the conn whose reads park (the function's overloads
    # type each mode's file).
    makefile = _makefile

    # -- I/O -----------------------------------------------------------------------------------

    def read(self, buf: bytearray | memoryview) -> int:
        """Read into buf what the other end's current write offers; return the count, 0 at EOF.

        Raises:
            ErrClosedPipe: this end was closed.
            OpError (a TimeoutError): the read deadline passed.

        Go: net.Pipe conn Read.
        """
        try:
            mv = memoryview(buf)
            if mv.readonly:
                raise TypeError("read-only buffer")
        except TypeError as e:
            raise buffer_error("read", "recv", buf, e) from None
        if mv.format != "B" or mv.ndim != 1:
            mv = mv.cast("B")
        n = mv.nbytes
        half = self._rx
        while True:
            if self._closed:
                raise ErrClosedPipe()
            if self._peer._closed:
                return 0
            if self._rd < 0:
                raise op_error("read", "pipe", None, None, DeadlineExceededError())
            if not n:
                return 0
            offer = half.offer
            if offer is not None:
                k = min(n, offer.nbytes)
                mv[:k] = offer[:k]
                self._consume(half, offer, k)
                return k
            self._park_in(half.readers)

    def recv(self, n: int) -> bytes:
        """Read up to n bytes and return them; b"" at EOF."""
        if not isinstance(n, int):
            raise TypeError(f"recv size must be int, not {type(n).__name__}")
        if n < 0:
            raise ValueError(f"negative buffer size {n}")
        buf = bytearray(n)
        k = self.read(buf)
        return bytes(buf[:k])

    def _consume(self, half: _Half, offer: memoryview, k: int) -> None:
        if k == offer.nbytes:
            half.offer = None
            if half.writer is not None:
                self._sched.ready(half.writer)
        else:
            half.offer = offer[k:]
            _wake(self._sched, half.readers)  # the rest is for the next reader

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write all of data, parking until the other end has read every byte; return len(data).

        Raises:
            ErrClosedPipe: either end was closed (``.written`` = bytes already read).
            OpError (a TimeoutError): the write deadline passed, with ``.written`` set.

        Go: net.Pipe conn Write.
        """
        view = memoryview(data)
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        total = view.nbytes
        half = self._tx
        self._check_write(0)
        if not total:
            return 0
        half.wlock.acquire(lambda: self._check_write(0), "semacquire")
        try:
            self._check_write(0)
            half.offer = view
            half.writer = self._sched.running()
            _wake(self._sched, half.readers)
            while True:
                self._sched.park("select", self)
                offer = half.offer
                if offer is None:
                    return total
                self._check_write(total - offer.nbytes)
        finally:
            half.offer = None
            half.writer = None
            half.wlock.release()

    sendall = write

    def _check_write(self, written: int) -> None:
        if self._closed or self._peer._closed:
            e = ErrClosedPipe()
            e.written = written  # type: ignore[attr-defined]
            raise e
        if self._wd < 0:
            raise op_error("write", "pipe", None, None, DeadlineExceededError(), written=written)

    # -- close ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Close this end: its blocked and later operations fail, the other end reads EOF.

        Idempotent, as Go's pipe Close.
        """
        if self._closed:
            return
        self._closed = True
        for t in (self._rtimer, self._wtimer):
            if t is not None:
                t.stop()
        sched = self._sched
        _wake(sched, self._rx.readers)  # our readers: ErrClosedPipe
        _wake(sched, self._tx.readers)  # the peer's readers: EOF
        self._wake_writers(self._tx)  # our writer: ErrClosedPipe
        self._wake_writers(self._rx)  # the peer's writer: ErrClosedPipe

    @property
    def closed(self) -> bool:
        """Whether close() has been called on this end."""
        return self._closed

    def __enter__(self) -> PipeConn:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PipeConn{' closed' if self._closed else ''}>"

    def describe_wait(self, g: Any, now: float) -> str:
        """Say which side of the pipe g waits on, for a goroutine dump (the runtime's WaitObject)."""
        from gonet.runtime._netpoll import deadline_text

        offer = self._tx.offer
        if g in self._rx.readers:
            what, dl = "read, waiting for the other end to write", deadline_text(self._rd, now)
        elif self._tx.writer is g and offer is not None:
            what = f"write, {offer.nbytes} byte(s) not yet read by the other end"
            dl = deadline_text(self._wd, now)
        else:
            what, dl = "woken", ""
        return ", ".join(p for p in (f"pipe {what}", repr(self), dl) if p)

    # -- addresses and deadlines ---------------------------------------------------------------

    def local_addr(self) -> PipeAddr:
        """Return the pipe's address ("pipe")."""
        return _ADDR

    def remote_addr(self) -> PipeAddr:
        """Return the pipe's address ("pipe")."""
        return _ADDR

    def set_deadline(self, t: float | None) -> None:
        """Set the absolute read and write deadline (gonet.now() clock); None clears."""
        self._set_deadline(t, True, True)

    def set_read_deadline(self, t: float | None) -> None:
        """Set the absolute read deadline; None clears."""
        self._set_deadline(t, True, False)

    def set_write_deadline(self, t: float | None) -> None:
        """Set the absolute write deadline; None clears."""
        self._set_deadline(t, False, True)

    def _set_deadline(self, t: Any, read: bool, write: bool) -> None:
        when = check_deadline(t)
        if self._closed or self._peer._closed:
            raise ErrClosedPipe()
        sched = self._sched
        if when is None:
            d = 0.0
        elif when <= sched.clock():
            d = -1.0
        else:
            d = when
        if read:
            self._rd = d
            self._rtimer = self._arm(self._rtimer, d, _read_deadline_fired)
            if d < 0:
                _wake(sched, self._rx.readers)
        if write:
            self._wd = d
            self._wtimer = self._arm(self._wtimer, d, _write_deadline_fired)
            if d < 0:
                self._wake_writers(self._tx)

    def _arm(self, timer: Any, d: float, fn: Any) -> Any:
        if d > 0:
            if timer is None:
                timer = self._sched.timers.new(fn, self)
            timer.reset(d)
        elif timer is not None:
            timer.stop()
        return timer


def _read_deadline_fired(c: PipeConn) -> None:
    # Runs on the hub: mark expired and wake this end's readers; they raise the timeout.
    c._rd = -1.0
    _wake(c._sched, c._rx.readers)


def _write_deadline_fired(c: PipeConn) -> None:
    c._wd = -1.0
    c._wake_writers(c._tx)


def pipe() -> tuple[PipeConn, PipeConn]:
    """Return the two ends of a synchronous, in-memory, full-duplex connection.

    What one end writes the other reads, with no buffering: write() returns once the other
    end has read all of it. Handy for tests and for wiring in-process protocol stacks.

    Go: net.Pipe.
    """
    sched = current()
    a_to_b, b_to_a = _Half(), _Half()
    a = PipeConn(sched, b_to_a, a_to_b)
    b = PipeConn(sched, a_to_b, b_to_a)
    a._peer = b
    b._peer = a
    return a, b

# gonet._chan: channels (Go: runtime/chan.go).
#
# A Chan is a FIFO buffer plus two FIFO queues of waiters (sudogs): blocked receivers and blocked
# senders. Every operation completes a waiting partner directly: a sender that finds a receiver
# hands the value over and readies it; it never goes through the buffer, so values and waiters
# are both served first-come first-served. How waiters park and wake, how a channel becomes
# shared between OS threads and what keeps the deadlock detector honest is gonet._sema's job.
#
# Invariants:
# - Buffer non-empty => no waiting receivers; buffer not full => no waiting senders; closed =>
#   no waiting senders.
# - A dequeued select sudog counts only if its select's claim token is won (else it is dropped).
from __future__ import annotations

from _thread import get_ident as _get_ident
from collections import deque
from collections.abc import Iterator
from typing import Any, Generic, TypeVar, cast

from gonet._sema import (
    Shareable,
    Sudog,
    block_forever,
    critical,
    preempt_point,
    preempt_requested,
    wake,
)
from gonet.errors import ClosedChannelError, NilChannelError
from gonet.runtime._waitreason import CHAN_RECEIVE, CHAN_SEND

__all__ = ["Chan", "Case", "nil_chan"]

T = TypeVar("T")

# The value a waiter is completed with when its channel closes; a receive's "closed and drained".
CLOSED: Any = type("_Closed", (), {"__repr__": lambda self: "<closed>"})()


# -- channels --------------------------------------------------------------------------------


class Chan(Shareable, Generic[T]):
    """A Go channel: ``Chan()`` is unbuffered (a rendezvous), ``Chan(n)`` buffers n values.

    ``send(v)`` / ``recv()`` block the calling goroutine (or plain thread) as needed;
    ``recv_ok()`` also reports whether the channel was still open; ``close()`` ends it;
    ``for v in ch`` receives until closed and drained; ``len(ch)`` counts buffered values and
    ``ch.cap`` is the capacity. ``ch.recv_case()`` / ``ch.send_case(v)`` build select cases.
    A channel may be shared between OS threads, with or without schedulers.

    Go: chan T, make(chan T, n).
    """

    __slots__ = ("_buf", "_cap", "_closed", "_recvq", "_sendq", "__weakref__")
    _nil = False

    def __init__(self, capacity: int = 0) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise TypeError(f"channel capacity must be an int, not {type(capacity).__name__}")
        if capacity < 0:
            raise ValueError("makechan: size out of range")
        self._owner = 0
        self._lock = None
        self._buf: deque[Any] = deque()
        self._cap = capacity
        self._closed = False
        self._recvq: deque[Sudog] = deque()
        self._sendq: deque[Sudog] = deque()

    @staticmethod
    def nil() -> Chan[Any]:
        """Return the nil channel: sends and receives block forever, close panics."""
        return nil_chan

    @property
    def cap(self) -> int:
        """The buffer capacity (0: unbuffered). Go: cap(ch)."""
        return self._cap

    def __len__(self) -> int:
        """Return the number of buffered values. Go: len(ch)."""
        return len(self._buf)

    def __bool__(self) -> bool:
        # Only the nil channel is falsy (a Go `ch != nil` test); an empty channel is still a channel.
        return True

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<Chan cap={self._cap} len={len(self._buf)}{state} at {id(self):#x}>"

    # send and _recv are the hot paths: they spell out `with self._exclusive():` as an inline
    # owner test plus try/finally (a context manager would cost more than the hand-off), and
    # hand exclusive access over to _wait when they must block.

    @critical
    def send(self, v: T) -> None:
        """Send v, blocking until a receiver takes it (unbuffered) or there is buffer room.

        Raises:
            ClosedChannelError: "send on closed channel" (also if closed while blocked).

        Go: ch <- v.
        """
        if preempt_requested[0]:
            preempt_point()
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        try:
            if self._closed:
                raise ClosedChannelError("send on closed channel")
            q = self._recvq
            while q:
                sd = q.popleft()
                w = sd.sel
                if w is None:
                    w = sd
                elif w.token.pop(0, None) is None:
                    continue  # that select already fired on another case
                else:
                    w.index = sd.index
                g = w.g
                if g is not None and (gs := g.sched).thread_ident == me:
                    gs.ready(g, v)
                else:
                    wake(w, v, me)
                return
            buf = self._buf
            if len(buf) < self._cap:
                buf.append(v)
                return
            held, lk = lk, None  # _wait takes over exclusive access
            if self._wait(self._sendq, v, CHAN_SEND, held) is CLOSED:
                raise ClosedChannelError("send on closed channel")
        finally:
            if lk is not None:
                lk.release()

    @critical
    def _recv(self) -> Any:
        """Receive one value, or CLOSED once closed and drained. Go: chanrecv."""
        if preempt_requested[0]:
            preempt_point()
        me = _get_ident()
        lk = None if self._owner == me else self._enter()
        try:
            q = self._sendq
            while q:
                sd = q.popleft()
                w = sd.sel
                if w is None:
                    w = sd
                elif w.token.pop(0, None) is None:
                    continue
                else:
                    w.index = sd.index
                buf = self._buf
                if buf:  # full buffer: take its head, the sender's value joins the tail
                    v = buf.popleft()
                    buf.append(sd.elem)
                else:
                    v = sd.elem
                g = w.g
                if g is not None and (gs := g.sched).thread_ident == me:
                    gs.ready(g, None)
                else:
                    wake(w, None, me)
                return v
            buf = self._buf
            if buf:
                return buf.popleft()
            if self._closed:
                return CLOSED
            held, lk = lk, None  # _wait takes over exclusive access
            return self._wait(self._recvq, None, CHAN_RECEIVE, held)
        finally:
            if lk is not None:
                lk.release()

    def recv(self) -> T | None:
        """Receive a value, blocking until one is available; None once closed and drained.

        Go: v := <-ch.
        """
        v = self._recv()
        return None if v is CLOSED else cast(T, v)

    def recv_ok(self) -> tuple[T | None, bool]:
        """Receive a value and whether it came from a send: (None, False) once closed and drained.

        Go: v, ok := <-ch.
        """
        v = self._recv()
        if v is CLOSED:
            return None, False
        return v, True

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        """Receive the next value; stop when the channel is closed and drained. Go: for v := range ch."""
        v = self._recv()
        if v is CLOSED:
            raise StopIteration
        return cast(T, v)

    @critical
    def close(self) -> None:
        """Close the channel: receivers drain the buffer, then get (None, False); blocked
        senders panic.

        Raises:
            ClosedChannelError: "close of closed channel".

        Go: close(ch).
        """
        me = _get_ident()
        with self._exclusive():
            if self._closed:
                raise ClosedChannelError("close of closed channel")
            self._closed = True
            for q in (self._recvq, self._sendq):
                while q:
                    sd = q.popleft()
                    w = sd.sel
                    if w is None:
                        w = sd
                    elif w.token.pop(0, None) is None:
                        continue
                    else:
                        w.index = sd.index
                    wake(w, CLOSED, me)

    @critical
    def _try_send(self, v: Any) -> bool:
        """Send v if that needs no waiting; False if full or closed. For timer callbacks."""
        with self._exclusive():
            return not self._closed and self.nb_send(v, _get_ident())

    @critical
    def _drain(self) -> bool:
        """Discard buffered values; return whether there were any (Go 1.23 timer channels)."""
        with self._exclusive():
            had = bool(self._buf)
            self._buf.clear()
            return had

    # Non-blocking halves, for select: the caller holds exclusive access (me: its thread).

    def nb_send(self, v: Any, me: int) -> bool:
        """Send v without waiting: to a waiting receiver or into the buffer; report success."""
        q = self._recvq
        while q:
            sd = q.popleft()
            w = sd.sel
            if w is None:
                w = sd
            elif w.token.pop(0, None) is None:
                continue
            else:
                w.index = sd.index
            wake(w, v, me)
            return True
        buf = self._buf
        if len(buf) < self._cap:
            buf.append(v)
            return True
        return False

    def nb_recv(self, me: int) -> Any:
        """Receive without waiting: a value, CLOSED, or EMPTY."""
        q = self._sendq
        while q:
            sd = q.popleft()
            w = sd.sel
            if w is None:
                w = sd
            elif w.token.pop(0, None) is None:
                continue
            else:
                w.index = sd.index
            buf = self._buf
            if buf:
                v = buf.popleft()
                buf.append(sd.elem)
            else:
                v = sd.elem
            wake(w, None, me)
            return v
        if self._buf:
            return self._buf.popleft()
        if self._closed:
            return CLOSED
        return EMPTY

    def recv_case(self) -> Case:
        """Return a select case receiving from this channel. Go: case v, ok := <-ch."""
        return Case(self, False, None)

    def send_case(self, v: T) -> Case:
        """Return a select case sending v on this channel. Go: case ch <- v."""
        return Case(self, True, v)


# What nb_recv returns when nothing is ready.
EMPTY: Any = type("_Empty", (), {"__repr__": lambda self: "<empty>"})()


class _NilChan(Chan[Any]):
    """The nil channel: every send and receive blocks forever; close panics."""

    __slots__ = ()
    _nil = True

    def send(self, v: Any) -> None:
        block_forever("chan send (nil chan)")

    def _recv(self) -> Any:
        block_forever("chan receive (nil chan)")

    def close(self) -> None:
        raise NilChannelError("close of nil channel")

    def _try_send(self, v: Any) -> bool:
        return False

    def _drain(self) -> bool:
        return False

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "nil_chan"


nil_chan: Chan[Any] = _NilChan()


class Case:
    """One arm of a select: a receive from, or a send of ``value`` on, ``chan``.

    Build with ``ch.recv_case()`` / ``ch.send_case(v)``.
    """

    __slots__ = ("chan", "send", "value")

    def __init__(self, chan: Chan[Any], send: bool, value: Any) -> None:
        if not isinstance(chan, Chan):
            raise TypeError(f"select case needs a Chan, not {type(chan).__name__}")
        self.chan = chan
        self.send = send
        self.value = value

    def __repr__(self) -> str:
        return f"<send case {self.chan!r}>" if self.send else f"<recv case {self.chan!r}>"

# gonet._select: select over channel cases (Go: runtime/select.go).
#
# Three passes, as in Go's selectgo:
#   1. With every involved channel held (owned, or its lock taken in a global order), collect
#      the ready cases and fire one chosen uniformly at random (a ready send on a closed channel
#      fires too, and panics). Nothing ready and `default` -> return at once.
#   2. Otherwise enqueue one sudog per case, all pointing to one shared record (the waiter, a
#      one-shot claim token, the winning index and value), release the channels, and park once.
#      A partner that dequeues a case sudog must first win the token (dict.pop, atomic under the
#      GIL); a sudog whose select already fired is dropped. No polling, no retry loop.
#   3. Woken: take the channels again and unlink the losing sudogs from their queues.
#
# Invariants: exactly one case fires per select; the record is woken at most once; after
# select returns none of its sudogs remain queued (a long-lived channel does not accumulate
# stale waiters from repeated selects).
from __future__ import annotations

import random
from _thread import LockType
from _thread import get_ident as _get_ident
from typing import Any, NamedTuple

from gonet._chan import CLOSED, EMPTY, Case
from gonet._sema import (
    Sudog,
    block_forever,
    critical,
    ensure_watch,
    new_waiter,
    preempt_point,
    preempt_requested,
    safe,
    thread_wait,
)
from gonet.errors import ClosedChannelError
from gonet.runtime._waitreason import SELECT, SELECT_NO_CASES

__all__ = ["select", "SelectResult", "DEFAULT"]

# Index reported when the default case runs.
DEFAULT = -1

_rng = random.Random()
_random = _rng.random


class SelectResult(NamedTuple):
    """Which case fired: ``index`` into the cases (DEFAULT, -1, for the default case), the
    received ``value`` (None for a send, or for a receive from a closed channel), and ``ok``
    (False only for a receive from a closed channel, and for the default case)."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, like Go's `chosen`
    value: Any
    ok: bool


_mk = tuple.__new__
_DEFAULT_RESULT = _mk(SelectResult, (DEFAULT, None, False))


def seed(n: int) -> None:
    """Seed the generator that picks among ready cases (for reproducible tests)."""
    _rng.seed(n)


@safe
def _lock_all(cases: tuple[Case, ...], me: int) -> list[LockType]:
    """Gain exclusive access to every case's channel; return the locks taken (Go: sellock)."""
    locks: dict[int, LockType] = {}
    for c in cases:
        ch = c.chan
        if ch._owner == me or ch._nil:
            continue
        lk = ch._enter()  # transition if needed; we re-take all locks below in a global order
        if lk is not None:
            lk.release()
            locks[id(lk)] = lk
    out = [locks[k] for k in sorted(locks)]
    for lk in out:
        lk.acquire()
    return out


def _unlock_all(locks: list[LockType]) -> None:
    for lk in reversed(locks):
        lk.release()


def _live(q: Any) -> bool:
    """Report whether q holds a waiter that can still be completed, dropping dead selects."""
    while q:
        sel = q[0].sel
        if sel is None or sel.token:
            return True
        q.popleft()
    return False


def _not_a_case(c: Any) -> TypeError:
    """Explain a select argument that is not a case (the common slip: passing the channel)."""
    kind = "a Chan" if hasattr(c, "recv_case") else type(c).__name__
    return TypeError(f"select takes cases such as ch.recv_case() or ch.send_case(v), not {kind}")


@critical
def select(*cases: Case, default: bool = False) -> SelectResult:  # noqa: C901 - hot path, kept inline
    """Wait until one of the cases can proceed, perform it, and report which.

    Cases are built with ``ch.recv_case()`` and ``ch.send_case(v)``. When several are ready,
    one is chosen uniformly at random. With ``default=True`` and no case ready, return
    ``(DEFAULT, None, False)`` at once. With no cases and no default, block forever. Cases on
    the nil channel are never ready.

    Returns:
        SelectResult(index, value, ok): unpack as ``i, v, ok = select(...)``.

    Raises:
        ClosedChannelError: the chosen case sends on a closed channel.

    Go: the select statement (reflect.Select's chosen, recv, recvOK).
    """
    if not cases:
        if default:
            return _DEFAULT_RESULT
        block_forever(SELECT_NO_CASES)
    if preempt_requested[0]:
        preempt_point()
    me = _get_ident()
    locks: list[LockType] | None = None
    try:
        for c in cases:
            ch = c.chan
            if ch._owner != me and not ch._nil:
                locks = _lock_all(cases, me)
                break
    except AttributeError:
        bad = [c for c in cases if not isinstance(c, Case)]
        if bad:
            raise _not_a_case(bad[0]) from None
        raise
    try:
        # Pass 1: the ready cases.
        ready = None
        for i, c in enumerate(cases):
            ch = c.chan
            if ch._nil:
                continue
            if c.send:
                ok = ch._closed or _live(ch._recvq) or len(ch._buf) < ch._cap
            else:
                ok = bool(ch._buf) or _live(ch._sendq) or ch._closed
            if ok:
                if ready is None:
                    ready = [i]
                else:
                    ready.append(i)
        while ready:
            k = len(ready)
            i = ready.pop(int(_random() * k)) if k > 1 else ready.pop()
            c = cases[i]
            ch = c.chan
            if c.send:
                if ch._closed:
                    raise ClosedChannelError("send on closed channel")
                if ch.nb_send(c.value, me):
                    return _mk(SelectResult, (i, None, True))
            else:
                v = ch.nb_recv(me)
                if v is CLOSED:
                    return _mk(SelectResult, (i, None, False))
                if v is not EMPTY:
                    return _mk(SelectResult, (i, v, True))
            # Lost a race with another thread for a waiting select: not ready after all.
        if default:
            return _DEFAULT_RESULT

        # Pass 2: enqueue on every channel and park once.
        w = new_waiter(None)
        w.token = {0: True}
        w.chan = cases  # for a goroutine dump
        sds: list[Sudog] = []
        for i, c in enumerate(cases):
            ch = c.chan
            if ch._nil:
                continue
            sd = Sudog(None, c.value)
            sd.sel = w
            sd.index = i
            sd.chan = ch
            (ch._sendq if c.send else ch._recvq).append(sd)
            sds.append(sd)
    finally:
        if locks:
            _unlock_all(locks)
    if not sds:
        block_forever(SELECT)  # only nil channels
    g = w.g
    try:
        if g is None:
            thread_wait(w)
            v = w.elem
        else:
            s = g.sched
            if locks:
                ensure_watch(s)  # a shared channel: another thread may be the one to wake us
            v = s.park(SELECT, w)
    except BaseException:
        w.token.pop(0, None)  # nobody may complete a case from now on
        _unlink(sds, cases, me)
        raise
    _unlink(sds, cases, me)
    i = w.index
    if cases[i].send:
        if v is CLOSED:
            raise ClosedChannelError("send on closed channel")
        return _mk(SelectResult, (i, None, True))
    if v is CLOSED:
        return _mk(SelectResult, (i, None, False))
    return _mk(SelectResult, (i, v, True))


def _unlink(sds: list[Sudog], cases: tuple[Case, ...], me: int) -> None:
    """Remove the select's sudogs that are still queued (Go: selectgo's pass 3)."""
    locks = None
    for sd in sds:
        if sd.chan._owner != me:
            locks = _lock_all(cases, me)
            break
    try:
        for sd in sds:
            ch = sd.chan
            q = ch._sendq if cases[sd.index].send else ch._recvq
            try:
                q.remove(sd)
            except ValueError:
                pass  # dequeued by a partner: the winner, or dropped as stale
    finally:
        if locks:
            _unlock_all(locks)

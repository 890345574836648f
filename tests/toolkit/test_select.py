"""select: which case fires and what it returns, default, the empty select, uniform
choice among ready cases, a ready send on a closed channel, nil-channel cases, and that a
blocked select leaves no waiter behind on the channels that did not fire."""

from __future__ import annotations

from collections import Counter
from typing import Any

import greenlet
import pytest
from helpers import Task, settle

import gonet
from gonet import DEFAULT, Chan, ClosedChannelError, nil_chan, select
from gonet import _select as select_mod
from gonet.runtime import _proc


def no_waiters(*chans: Chan[Any]) -> bool:
    return all(not c._recvq and not c._sendq for c in chans)


# -- what fires, and what select returns ------------------------------------------------------------


def test_a_ready_receive_fires_and_reports_index_value_ok() -> None:
    a: Chan[int] = Chan(1)
    b: Chan[str] = Chan(1)
    b.send("x")
    r = select(a.recv_case(), b.recv_case())
    assert r == (1, "x", True)
    assert (r.index, r.value, r.ok) == (1, "x", True)
    i, v, ok = r  # also unpacks like Go's (chosen, recv, recvOK)
    assert (i, v, ok) == (1, "x", True)


def test_a_ready_send_fires_when_a_receiver_waits() -> None:
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    t = Task(b.recv)
    settle()
    assert select(a.send_case(1), b.send_case(2)) == (1, None, True)
    settle()
    assert t.result == 2
    assert no_waiters(a, b)


def test_a_send_case_fires_on_buffer_room() -> None:
    a: Chan[int] = Chan(1)
    assert select(a.send_case(5)) == (0, None, True)
    assert select(a.send_case(6), default=True) == (DEFAULT, None, False)  # full now
    assert a.recv() == 5


def test_a_receive_from_a_closed_channel_fires_with_not_ok() -> None:
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    a.close()
    assert select(a.recv_case(), b.recv_case()) == (0, None, False)


def test_a_receive_takes_the_buffer_head_and_admits_a_blocked_sender() -> None:
    a: Chan[int] = Chan(1)
    a.send(1)
    t = Task(a.send, 2)
    settle()
    assert select(a.recv_case()) == (0, 1, True)
    assert len(a) == 1
    settle()
    assert t.finished
    assert a.recv() == 2


# -- default and the empty select -------------------------------------------------------------------


def test_default_runs_only_when_no_case_is_ready() -> None:
    a: Chan[int] = Chan(1)
    assert select(a.recv_case(), default=True) == (DEFAULT, None, False)
    a.send(1)
    assert select(a.recv_case(), default=True) == (0, 1, True)


def test_empty_select_with_default_returns_default() -> None:
    assert select(default=True) == (-1, None, False)


def test_empty_select_blocks_forever() -> None:
    t = Task(select)
    settle()
    assert t.reason() == "select (no cases)"
    _proc.current().ready(t.g)  # a stray wake-up does not end it
    settle()
    assert t.reason() == "select (no cases)"
    _proc.current().interrupt(t.g, greenlet.GreenletExit())
    settle()
    assert t.finished


def test_empty_select_alone_is_a_deadlock() -> None:
    with pytest.raises(gonet.DeadlockError):
        select()


# -- blocking select ----------------------------------------------------------------------------------


def test_blocked_select_is_woken_by_a_later_send_and_unlinks_from_the_rest() -> None:
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    c: Chan[int] = Chan(1)
    t = Task(select, a.recv_case(), b.recv_case(), c.recv_case())
    settle()
    assert t.reason() == "select"
    assert len(a._recvq) == len(b._recvq) == len(c._recvq) == 1  # one waiter on each channel
    b.send(42)
    settle()
    assert t.result == (1, 42, True)
    assert no_waiters(a, b, c)


def test_blocked_select_on_a_send_case_delivers_to_a_later_receiver() -> None:
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    t = Task(select, a.send_case(10), b.recv_case())
    settle()
    assert a.recv() == 10
    settle()
    assert t.result == (0, None, True)
    assert no_waiters(a, b)


def test_close_of_a_recv_case_channel_fires_it_with_not_ok() -> None:
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    t = Task(select, a.recv_case(), b.recv_case())
    settle()
    b.close()
    settle()
    assert t.result == (1, None, False)
    assert no_waiters(a, b)


def test_close_of_a_blocked_send_case_channel_panics_the_select() -> None:
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    t = Task(select, a.send_case(1), b.recv_case())
    settle()
    a.close()
    settle()
    assert isinstance(t.exc, ClosedChannelError)
    assert str(t.exc) == "send on closed channel"
    assert no_waiters(a, b)


def test_exactly_one_case_fires_and_its_stale_waiters_are_skipped() -> None:
    # The send on a completes the select; until the select runs again, its waiters on b and c
    # are stale: a later send on b or c must skip them (the select's claim is taken) rather
    # than hand its value to a select that already fired.
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    c: Chan[int] = Chan()
    t = Task(select, a.recv_case(), b.recv_case(), c.recv_case())
    settle()
    a.send(1)  # readies the select; it has not run yet (this body has not yielded)
    assert not t.finished
    assert len(b._recvq) == len(c._recvq) == 1
    assert select(b.send_case(2), default=True) == (DEFAULT, None, False)
    assert c._try_send(3) is False  # the non-blocking send path skips it too
    assert no_waiters(b, c)  # both dropped the dead waiter on the way
    sb = Task(b.send, 2)
    settle()
    assert t.result == (0, 1, True)
    assert sb.reason() == "chan send"  # 2 was not swallowed by the select
    assert b.recv() == 2
    settle()
    assert sb.finished
    assert no_waiters(a, b, c)


def test_the_same_channel_may_appear_in_several_cases() -> None:
    a: Chan[int] = Chan()
    t = Task(select, a.recv_case(), a.recv_case())
    settle()
    assert len(a._recvq) == 2
    a.send(3)
    settle()
    assert t.result in ((0, 3, True), (1, 3, True))
    assert no_waiters(a)


def test_repeated_selects_do_not_accumulate_waiters_on_a_quiet_channel() -> None:
    quiet: Chan[int] = Chan()
    busy: Chan[int] = Chan()

    def feeder() -> None:
        for i in range(200):
            busy.send(i)

    Task(feeder)
    got = [select(quiet.recv_case(), busy.recv_case()).value for _ in range(200)]
    assert got == list(range(200))
    assert no_waiters(quiet, busy)


def test_an_interrupted_select_unlinks_every_case() -> None:
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    t = Task(select, a.recv_case(), b.send_case(1))
    settle()

    class Stop(Exception):
        pass

    _proc.current().interrupt(t.g, Stop())
    settle()
    assert isinstance(t.exc, Stop)
    assert no_waiters(a, b)


def test_a_blocked_select_alone_is_a_deadlock_and_unlinks() -> None:
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    with pytest.raises(gonet.DeadlockError):
        select(a.recv_case(), b.send_case(1))
    assert no_waiters(a, b)


# -- random choice -------------------------------------------------------------------------------


def test_choice_among_ready_cases_is_uniform() -> None:
    # Two always-ready cases, 4000 selects: each count is Binomial(4000, 1/2), sd ~ 32; the
    # bounds are 12 sd away, so the test cannot flake (p < 1e-30).
    a: Chan[int] = Chan(1)
    b: Chan[int] = Chan(1)
    counts: Counter[int] = Counter()
    for _ in range(4000):
        a.send(0) if not len(a) else None
        b.send(1) if not len(b) else None
        counts[select(a.recv_case(), b.recv_case()).index] += 1
    assert 1600 <= counts[0] <= 2400
    assert 1600 <= counts[1] <= 2400


def test_choice_is_uniform_over_many_cases_and_ignores_unready_ones() -> None:
    # Five ready cases among eight (three are never ready): each ready one is chosen with
    # p = 1/5 over 5000 selects, sd ~ 28; bounds of +-300 are > 10 sd.
    ready = [Chan(1) for _ in range(5)]
    idle = [Chan() for _ in range(2)] + [nil_chan]
    cases = []
    for i in range(5):
        cases.append(ready[i].recv_case())
        if i < 3:
            cases.append(idle[i].recv_case())
    counts: Counter[int] = Counter()
    for _ in range(5000):
        for ch in ready:
            if not len(ch):
                ch.send(0)
        counts[select(*cases).index] += 1
    chosen = {cases[i].chan for i in counts}
    assert chosen <= set(ready)
    assert all(700 <= n <= 1300 for n in counts.values())
    assert len(counts) == 5


def test_choice_is_reproducible_with_a_seed() -> None:
    a: Chan[int] = Chan(1)
    b: Chan[int] = Chan(1)

    def run() -> list[int]:
        out = []
        for _ in range(50):
            if not len(a):
                a.send(0)
            if not len(b):
                b.send(1)
            out.append(select(a.recv_case(), b.recv_case()).index)
        return out

    select_mod.seed(1234)
    first = run()
    select_mod.seed(1234)
    assert run() == first
    assert 0 in first
    assert 1 in first


# -- closed channels and nil channels ---------------------------------------------------------------


def test_a_ready_send_on_a_closed_channel_panics_even_with_default() -> None:
    a: Chan[int] = Chan(1)
    a.close()
    with pytest.raises(ClosedChannelError, match="^send on closed channel$"):
        select(a.send_case(1), default=True)


def test_a_closed_send_case_is_ready_among_others_and_panics_when_chosen() -> None:
    # A send on a closed channel counts as ready: against a never-ready receive it always wins.
    a: Chan[int] = Chan()
    b: Chan[int] = Chan()
    a.close()
    for _ in range(20):
        with pytest.raises(ClosedChannelError):
            select(b.recv_case(), a.send_case(1))


def test_nil_channel_cases_never_fire() -> None:
    assert select(nil_chan.recv_case(), nil_chan.send_case(1), default=True) == (DEFAULT, None, False)
    a: Chan[int] = Chan(1)
    a.send(1)
    for _ in range(20):
        assert select(nil_chan.recv_case(), a.recv_case(), nil_chan.send_case(0)).index == 1
        a.send(1)


def test_a_select_of_only_nil_channels_blocks_forever() -> None:
    t = Task(select, nil_chan.recv_case(), nil_chan.send_case(1))
    settle()
    assert t.reason() == "select"
    _proc.current().interrupt(t.g, greenlet.GreenletExit())
    settle()
    assert t.finished


def test_cases_need_channels() -> None:
    from gonet import Case

    with pytest.raises(TypeError):
        Case("not a chan", False, None)  # type: ignore[arg-type]
    assert "recv case" in repr(Chan().recv_case())
    assert "send case" in repr(Chan().send_case(1))


def test_timeout_pattern_with_time_after(virtual_clock: Any) -> None:
    from gonet import time as gtime

    work: Chan[str] = Chan()
    t0 = gonet.now()
    i, v, ok = select(work.recv_case(), gtime.after(5.0).recv_case())
    assert i == 1
    assert ok
    assert v == t0 + 5.0
    assert no_waiters(work)

"""gonet.context: background/todo, with_cancel, with_timeout/with_deadline,
with_value, after_func — propagation down (never up), the earlier deadline wins, a past deadline
cancels at once, errors and their messages. Deadline logic runs on the virtual clock."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from helpers import no_timer_left, settle  # noqa: F401 - no_timer_left is a fixture

import gonet
from gonet import DEFAULT, Chan, nil_chan, select
from gonet import context as ctxmod
from gonet.context import Canceled, DeadlineExceeded, background, todo
from gonet.errors import GonetError
from gonet.runtime import _proc

# Every test disarms what it armed: a leftover timer would delay later deadlock verdicts.
pytestmark = pytest.mark.usefixtures("no_timer_left")


def is_done(ctx: ctxmod.Context) -> bool:
    return select(ctx.done().recv_case(), default=True).index == 0


# -- the empty contexts ---------------------------------------------------------------------------


@pytest.mark.parametrize(("ctx", "name"), [(background(), "context.Background"), (todo(), "context.TODO")])
def test_empty_contexts_are_never_done(ctx: ctxmod.Context, name: str) -> None:
    assert ctx.done() is nil_chan
    assert ctx.err() is None
    assert ctx.deadline() is None
    assert ctx.value("k") is None
    assert repr(ctx) == name
    assert isinstance(ctx, ctxmod.Context)


# -- with_cancel ------------------------------------------------------------------------------------


def test_cancel_closes_done_and_sets_err() -> None:
    ctx, cancel = ctxmod.with_cancel(background())
    assert ctx.err() is None
    assert not is_done(ctx)
    waiter = Chan[Any](1)
    gonet.go(lambda: waiter.send(ctx.done().recv_ok()))
    settle()
    cancel()
    assert waiter.recv() == (None, False)  # done() was closed, waking the waiter
    err = ctx.err()
    assert isinstance(err, Canceled)
    assert str(err) == "context canceled"
    assert isinstance(err, GonetError)
    assert not isinstance(err, TimeoutError)
    assert err.timeout() is False


def test_cancel_is_idempotent_and_the_first_cause_wins() -> None:
    ctx, cancel = ctxmod.with_cancel(background())
    cancel()
    err = ctx.err()
    cancel()
    cancel()
    assert ctx.err() is err


def test_done_asked_after_cancel_is_already_closed() -> None:
    ctx, cancel = ctxmod.with_cancel(background())
    cancel()
    assert ctx.done().recv_ok() == (None, False)


def test_parent_cancel_propagates_to_children_and_grandchildren() -> None:
    parent, cancel = ctxmod.with_cancel(background())
    child, cancel_child = ctxmod.with_cancel(parent)
    grandchild, _ = ctxmod.with_cancel(ctxmod.with_value(child, "k", 1))
    cancel()
    assert isinstance(child.err(), Canceled)
    assert isinstance(grandchild.err(), Canceled)
    assert is_done(child)
    assert is_done(grandchild)
    assert child.err() is not parent.err()  # each context raises its own instance
    cancel_child()


def test_child_cancel_does_not_propagate_upward() -> None:
    parent, cancel = ctxmod.with_cancel(background())
    child, cancel_child = ctxmod.with_cancel(parent)
    sibling, cancel_sibling = ctxmod.with_cancel(parent)
    cancel_child()
    assert child.err() is not None
    assert parent.err() is None
    assert sibling.err() is None
    assert not is_done(parent)
    cancel_sibling()
    cancel()


def test_a_canceled_child_is_detached_from_its_parent() -> None:
    parent, cancel = ctxmod.with_cancel(background())
    kids = [ctxmod.with_cancel(parent) for _ in range(3)]
    assert len(parent._children) == 3  # type: ignore[attr-defined]
    for _, c in kids:
        c()
    assert parent._children == {}  # type: ignore[attr-defined]  # no build-up
    cancel()


def test_child_of_a_canceled_parent_is_born_canceled() -> None:
    parent, cancel = ctxmod.with_cancel(background())
    cancel()
    child, _ = ctxmod.with_cancel(parent)
    assert isinstance(child.err(), Canceled)
    assert is_done(child)


def test_cancel_from_a_plain_thread_wakes_a_goroutine_waiting_on_done() -> None:
    ctx, cancel = ctxmod.with_cancel(background())
    t = threading.Thread(target=cancel)
    got = Chan[Any](1)
    gonet.go(lambda: got.send(ctx.done().recv_ok()))
    settle()
    t.start()
    assert got.recv() == (None, False)
    t.join()
    assert isinstance(ctx.err(), Canceled)


def test_a_foreign_context_implementation_is_watched() -> None:
    class Mine(ctxmod.Context):
        def __init__(self) -> None:
            self.ch: Chan[None] = Chan()
            self.error: BaseException | None = None

        def deadline(self) -> float | None:
            return None

        def done(self) -> Chan[Any]:
            return self.ch

        def err(self) -> BaseException | None:
            return self.error

        def value(self, key: Any) -> Any:
            return "mine" if key == "who" else None

    parent = Mine()
    child, cancel = ctxmod.with_cancel(parent)
    assert child.value("who") == "mine"
    settle()
    parent.error = Canceled()
    parent.ch.close()
    settle()
    assert isinstance(child.err(), Canceled)
    cancel()


# -- deadlines ------------------------------------------------------------------------------------


def test_with_timeout_expires_with_deadline_exceeded(virtual_clock: Any) -> None:
    t0 = gonet.now()
    ctx, cancel = ctxmod.with_timeout(background(), 2.0)
    assert ctx.deadline() == t0 + 2.0
    assert ctx.err() is None
    ctx.done().recv()
    assert gonet.now() == t0 + 2.0
    err = ctx.err()
    assert isinstance(err, DeadlineExceeded)
    assert isinstance(err, TimeoutError)
    assert str(err) == "context deadline exceeded"
    assert err.timeout() is True
    cancel()
    assert ctx.err() is err  # a later cancel does not change the cause


def test_with_deadline_is_absolute_on_gonet_now(virtual_clock: Any) -> None:
    when = gonet.now() + 1.25
    ctx, cancel = ctxmod.with_deadline(background(), when)
    assert ctx.deadline() == when
    ctx.done().recv()
    assert gonet.now() == when
    cancel()


def test_the_parents_earlier_deadline_wins(virtual_clock: Any) -> None:
    t0 = gonet.now()
    parent, pcancel = ctxmod.with_timeout(background(), 1.0)
    child, ccancel = ctxmod.with_timeout(parent, 10.0)
    assert child.deadline() == t0 + 1.0
    child.done().recv()
    assert gonet.now() == t0 + 1.0
    assert isinstance(child.err(), DeadlineExceeded)
    ccancel()
    pcancel()


def test_a_childs_earlier_deadline_is_its_own(virtual_clock: Any) -> None:
    t0 = gonet.now()
    parent, pcancel = ctxmod.with_timeout(background(), 10.0)
    child, ccancel = ctxmod.with_timeout(parent, 1.0)
    assert child.deadline() == t0 + 1.0
    child.done().recv()
    assert isinstance(child.err(), DeadlineExceeded)
    assert parent.err() is None
    ccancel()
    pcancel()


@pytest.mark.parametrize("timeout", [0.0, -5.0])
def test_a_past_deadline_cancels_at_once(timeout: float) -> None:
    ctx, cancel = ctxmod.with_timeout(background(), timeout)
    assert isinstance(ctx.err(), DeadlineExceeded)  # before anything else ran
    assert is_done(ctx)
    cancel()


def test_cancel_before_the_deadline_stops_the_timer(virtual_clock: Any) -> None:
    timers = _proc.current().timers
    base = timers.active
    ctx, cancel = ctxmod.with_timeout(background(), 100.0)
    assert timers.active == base + 1
    cancel()
    assert timers.active == base
    assert isinstance(ctx.err(), Canceled)


def test_deadline_propagates_deadline_exceeded_to_children(virtual_clock: Any) -> None:
    parent, pcancel = ctxmod.with_timeout(background(), 1.0)
    child, ccancel = ctxmod.with_cancel(parent)
    child.done().recv()
    assert isinstance(child.err(), DeadlineExceeded)
    ccancel()
    pcancel()


def test_select_on_done_is_the_cancellation_pattern(virtual_clock: Any) -> None:
    ctx, cancel = ctxmod.with_timeout(background(), 3.0)
    work: Chan[int] = Chan()
    i, _, ok = select(work.recv_case(), ctx.done().recv_case())
    assert (i, ok) == (1, False)
    assert isinstance(ctx.err(), DeadlineExceeded)
    assert not work._recvq
    cancel()


def test_repr_describes_the_chain(virtual_clock: Any) -> None:
    c1, cancel1 = ctxmod.with_cancel(background())
    c2 = ctxmod.with_value(c1, "k", "v")
    c3, cancel3 = ctxmod.with_timeout(c2, 5.0)
    assert repr(c1) == "context.Background.WithCancel"
    assert repr(c2) == "context.Background.WithCancel.WithValue('k', 'v')"
    assert repr(c3).startswith("context.Background.WithCancel.WithValue('k', 'v').WithDeadline(")
    cancel3()
    cancel1()


# -- values ---------------------------------------------------------------------------------------


def test_values_are_found_up_the_chain_and_shadowed_by_nearer_ones() -> None:
    k1, k2 = object(), object()
    c = ctxmod.with_value(background(), k1, "a")
    c, cancel = ctxmod.with_cancel(c)
    c = ctxmod.with_value(c, k2, "b")
    c2 = ctxmod.with_value(c, k1, "shadow")
    assert (c.value(k1), c.value(k2), c2.value(k1), c.value(object())) == ("a", "b", "shadow", None)
    assert c.err() is None
    assert c.done() is not nil_chan
    cancel()
    assert isinstance(c.err(), Canceled)


def test_with_value_rejects_a_none_key() -> None:
    with pytest.raises(ValueError, match="nil key"):
        ctxmod.with_value(background(), None, 1)


def test_a_deep_chain_needs_no_recursion(virtual_clock: Any) -> None:
    root, cancel = ctxmod.with_timeout(background(), 100.0)
    c: ctxmod.Context = root
    for i in range(3000):  # deeper than Python's recursion limit
        c = ctxmod.with_value(c, i, i)
        c, _ = ctxmod.with_cancel(c)
    assert c.value(0) == 0
    assert c.value("missing") is None
    assert c.deadline() == root.deadline()
    assert c.err() is None
    assert not is_done(c)
    cancel()
    assert isinstance(c.err(), Canceled)
    assert is_done(c)


# -- after_func -----------------------------------------------------------------------------------


def test_after_func_runs_f_in_its_own_goroutine_once_done() -> None:
    ctx, cancel = ctxmod.with_cancel(background())
    ran: Chan[int] = Chan(1)
    stop = ctxmod.after_func(ctx, lambda: ran.send(_proc.current().running().id))
    me = _proc.current().running().id
    cancel()
    assert len(ran) == 0  # not called inside cancel(): it gets a goroutine
    assert ran.recv() != me
    assert stop() is False  # f already started


def test_after_func_on_a_done_context_runs_at_once() -> None:
    ctx, cancel = ctxmod.with_cancel(background())
    cancel()
    ran: Chan[str] = Chan(1)
    stop = ctxmod.after_func(ctx, lambda: ran.send("ran"))
    assert ran.recv() == "ran"
    assert stop() is False


def test_after_func_stop_prevents_f_and_detaches(virtual_clock: Any) -> None:
    ctx, cancel = ctxmod.with_timeout(background(), 1.0)
    ran: list[int] = []
    stop = ctxmod.after_func(ctx, lambda: ran.append(1))
    assert stop() is True
    assert stop() is False  # only the first stop prevents anything
    assert ctx._children == {}  # type: ignore[attr-defined]
    ctx.done().recv()
    settle()
    assert ran == []
    cancel()


def test_after_func_on_background_never_runs() -> None:
    stop = ctxmod.after_func(background(), lambda: None)
    assert stop() is True
    assert stop() is False


def test_after_func_started_by_a_cancel_on_another_thread_runs_on_the_registering_thread() -> None:
    ctx, cancel = ctxmod.with_cancel(background())
    ran: Chan[int] = Chan(1)
    ctxmod.after_func(ctx, lambda: ran.send(threading.get_ident()))
    t = threading.Thread(target=cancel)
    t.start()
    assert ran.recv() == threading.get_ident()
    t.join()


def test_after_func_runs_on_deadline(virtual_clock: Any) -> None:
    t0 = gonet.now()
    ctx, cancel = ctxmod.with_timeout(background(), 2.0)
    ran: Chan[float] = Chan(1)
    ctxmod.after_func(ctx, lambda: ran.send(gonet.now()))
    assert ran.recv() == t0 + 2.0
    cancel()


def test_done_channel_is_the_same_each_time() -> None:
    ctx, cancel = ctxmod.with_cancel(background())
    assert ctx.done() is ctx.done()
    assert select(ctx.done().recv_case(), default=True).index == DEFAULT
    cancel()

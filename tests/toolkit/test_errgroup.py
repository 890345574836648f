"""gonet.errgroup: first error kept and raised by wait(), the derived context canceled by it (with
the error as cause) or by wait(), the limit (go blocks, try_go refuses, set_limit's panic text),
and a member panic staying a panic (in a subprocess)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from helpers import Task, settle

from gonet import DEFAULT, Chan, select
from gonet import context as ctxmod
from gonet.context import Canceled, background
from gonet.errgroup import Group, with_context


def is_done(ctx: ctxmod.Context) -> bool:
    return select(ctx.done().recv_case(), default=True).index != DEFAULT


def test_wait_returns_when_every_member_returned() -> None:
    g = Group()
    order: list[int] = []
    gate = Chan[None]()
    g.go(lambda: (gate.recv(), order.append(1)))
    g.go(order.append, 2)
    w = Task(g.wait)
    settle()
    assert w.reason() == "sync.WaitGroup.Wait"
    assert order == [2]
    gate.send(None)
    settle()
    assert w.finished
    assert w.exc is None
    assert order == [2, 1]


def test_wait_raises_the_first_error_and_drops_the_later_ones() -> None:
    g = Group()
    first = ValueError("first")
    gate = Chan[None]()

    def second() -> None:
        gate.recv()
        raise KeyError("second")

    g.go(second)
    g.go(lambda: (_ for _ in ()).throw(first))
    settle()
    gate.send(None)
    with pytest.raises(ValueError, match="^first$") as ei:
        g.wait()
    assert ei.value is first


def test_go_passes_args_and_kwargs() -> None:
    g = Group()
    got: list[object] = []
    g.go(lambda a, *, b: got.append((a, b)), 1, b=2)
    g.wait()
    assert got == [(1, 2)]


def test_first_error_cancels_the_context_with_the_error_as_cause() -> None:
    g, ctx = with_context(background())
    boom = OSError("boom")
    seen: list[str] = []

    def worker() -> None:
        ctx.done().recv()
        seen.append("worker saw cancel")

    g.go(worker)
    settle()
    assert not is_done(ctx)
    g.go(lambda: (_ for _ in ()).throw(boom))
    settle()
    assert seen == ["worker saw cancel"]
    err = ctx.err()
    assert isinstance(err, Canceled)
    assert str(err) == "context canceled"
    assert err.__cause__ is boom
    with pytest.raises(OSError, match="^boom$"):
        g.wait()
    assert ctx.err() is err  # the first cause wins


def test_wait_cancels_the_context_even_without_error() -> None:
    g, ctx = with_context(background())
    g.go(lambda: None)
    settle()
    assert not is_done(ctx)
    g.wait()
    err = ctx.err()
    assert isinstance(err, Canceled)
    assert err.__cause__ is None


def test_parent_cancel_reaches_the_group_context() -> None:
    parent, cancel = ctxmod.with_cancel(background())
    g, ctx = with_context(parent)
    g.go(lambda: ctx.done().recv())
    settle()
    cancel()
    g.wait()
    assert isinstance(ctx.err(), Canceled)


def test_limit_blocks_go_until_a_member_ends() -> None:
    g = Group()
    g.set_limit(2)
    gates = [Chan[None]() for _ in range(3)]
    started: list[int] = []

    def member(i: int) -> None:
        started.append(i)
        gates[i].recv()

    g.go(member, 0)
    g.go(member, 1)
    spawner = Task(g.go, member, 2)
    settle()
    assert started == [0, 1]
    assert spawner.reason() == "chan send"
    gates[0].send(None)
    settle()
    assert spawner.finished
    assert started == [0, 1, 2]
    gates[1].send(None)
    gates[2].send(None)
    g.wait()


def test_try_go_refuses_at_the_limit() -> None:
    g = Group()
    g.set_limit(1)
    gate = Chan[None]()
    assert g.try_go(gate.recv) is True
    ran: list[int] = []
    assert g.try_go(ran.append, 1) is False
    gate.send(None)
    settle()
    assert g.try_go(ran.append, 2) is True
    g.wait()
    assert ran == [2]


def test_set_limit_while_active_raises_go_text() -> None:
    g = Group()
    g.set_limit(3)
    gate = Chan[None]()
    g.go(gate.recv)
    g.go(gate.recv)
    with pytest.raises(
        RuntimeError, match="^errgroup: modify limit while 2 goroutines in the group are still active$"
    ):
        g.set_limit(1)
    g.set_limit(-1)  # removing the limit is always allowed
    gate.send(None)
    gate.send(None)
    g.wait()


def test_limit_zero_try_go_never_starts() -> None:
    g = Group()
    g.set_limit(0)
    assert g.try_go(lambda: None) is False
    g.wait()


def test_member_panic_ends_the_program() -> None:
    code = textwrap.dedent("""
        from gonet import Chan, errgroup
        g = errgroup.Group()
        def member():
            Chan().close(); c = Chan(); c.close(); c.close()
        g.go(member)
        g.wait()
        print("not reached")
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "not reached" not in p.stdout
    assert "panic:" in p.stderr
    assert "close of closed channel" in p.stderr

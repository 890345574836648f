"""Goroutine-local state: each goroutine runs in a copy of its creator's contextvars context,
taken at go() time; a recycled goroutine carries nothing over; threading.local is per OS thread."""

from __future__ import annotations

import contextvars
import threading

from helpers import sched

import gonet
from gonet import Chan, go

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")


def _run(fn, *args) -> None:  # type: ignore[no-untyped-def]
    done: Chan[None] = Chan(1)

    def body() -> None:
        fn(*args)
        done.send(None)

    go(body)
    done.recv()


def test_goroutine_starts_with_the_value_its_creator_had_at_go_time() -> None:
    seen: list[str] = []
    token = var.set("creator")
    try:
        done: Chan[None] = Chan(1)

        def child() -> None:
            seen.append(var.get())
            done.send(None)

        go(child)
        var.set("changed after go")  # not seen: the copy was taken by go()
        done.recv()
    finally:
        var.reset(token)
    assert seen == ["creator"]


def test_a_value_set_in_a_goroutine_is_seen_by_neither_its_parent_nor_its_siblings() -> None:
    seen: list[tuple[str, str]] = []
    gate: Chan[None] = Chan()

    def setter() -> None:
        var.set("setter's")
        gate.send(None)  # park while the sibling looks
        seen.append(("setter", var.get()))

    def sibling() -> None:
        gate.recv()
        seen.append(("sibling", var.get()))

    _run(lambda: (go(setter), sibling()))
    assert var.get() == "unset"
    gonet.sleep(0.001)
    assert sorted(seen) == [("setter", "setter's"), ("sibling", "unset")]


def test_a_recycled_goroutine_carries_nothing_over() -> None:
    s = sched()
    seen: list[str] = []

    def first() -> None:
        var.set("left behind")

    def second() -> None:
        seen.append(var.get())

    g1 = go(first)
    gonet.sleep(0.001)
    g2 = go(second)  # reuses the finished goroutine's greenlet
    assert g2 is g1
    assert g2 in s.gs.values()
    gonet.sleep(0.001)
    assert seen == ["unset"]


def test_context_manager_state_such_as_decimal_context_is_per_goroutine() -> None:
    import decimal

    results: dict[str, str] = {}
    gate: Chan[None] = Chan()

    def precise() -> None:
        decimal.setcontext(decimal.Context(prec=5))  # a new context object: per goroutine
        gate.send(None)
        results["precise"] = str(decimal.Decimal(1) / decimal.Decimal(3))

    def default() -> None:
        gate.recv()
        results["default"] = str(decimal.Decimal(1) / decimal.Decimal(3))

    go(precise)
    _run(default)
    gonet.sleep(0.001)
    assert results == {"precise": "0.33333", "default": "0.3333333333333333333333333333"}


def test_threading_local_is_per_os_thread_and_shared_by_its_goroutines() -> None:
    local = threading.local()
    local.value = "main thread"
    seen: list[str] = []

    def child() -> None:
        seen.append(local.value)
        local.value = "set by a goroutine"

    _run(child)
    assert seen == ["main thread"]
    assert local.value == "set by a goroutine"
    other: list[bool] = []
    t = threading.Thread(target=lambda: other.append(hasattr(local, "value")))
    t.start()
    t.join()
    assert other == [False]

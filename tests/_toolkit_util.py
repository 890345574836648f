"""Helpers shared by the toolkit tests (channels, select, sync, time, context).

Goroutines are driven deterministically: a goroutine started with go() runs when the test body
yields, and settle() yields until nothing else is runnable, so "X is blocked" is checked from
its wait reason, never by sleeping.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import gonet
from gonet.runtime import _proc


def settle() -> None:
    """Yield until every other goroutine of this thread is parked or finished."""
    s = _proc.current()
    while s.runq:
        gonet.gosched()


class Task:
    """A goroutine whose result or exception is recorded (an escaping one would be a panic)."""

    def __init__(self, fn: Any, *args: Any) -> None:
        self.finished = False
        self.result: Any = None
        self.exc: BaseException | None = None
        self.g = gonet.go(self._run, fn, args)

    def _run(self, fn: Any, args: tuple[Any, ...]) -> None:
        try:
            self.result = fn(*args)
        except BaseException as e:  # noqa: BLE001 - inspected by the test
            self.exc = e
        finally:
            self.finished = True

    def reason(self) -> str:
        """Return the wait reason of the (still parked) goroutine."""
        assert not self.finished, "goroutine already finished"
        assert self.g.status == _proc.WAITING
        return self.g.waitreason


@pytest.fixture
def no_timer_left() -> Iterator[None]:
    """Fail a test that leaves a timer armed (it would delay later deadlock verdicts)."""
    timers = _proc.current().timers
    base = timers.active
    yield
    assert timers.active == base, "test left a timer armed"


# -- io/bufio fakes -----------------------------------------------------------------------------

class Chunks:
    """A Reader that returns the given chunks one per read (split to fit), then EOF."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)
        self.reads = 0

    def read(self, buf: Any) -> int:
        self.reads += 1
        if not self.chunks:
            return 0
        c = self.chunks[0]
        n = min(len(c), len(buf))
        buf[:n] = c[:n]
        if n == len(c):
            self.chunks.pop(0)
        else:
            self.chunks[0] = c[n:]
        return n


class Sink:
    """A Writer that records what it was given, write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: Any) -> int:
        self.writes.append(bytes(data))
        return len(self.writes[-1])

    def value(self) -> bytes:
        return b"".join(self.writes)

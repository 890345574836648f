# gonet.runtime._time: the scheduler's timer heap (Go: runtime/time.go).
#
# One heap per scheduler, of (when, seq, timer, gen) entries. A timer is stopped or reset by
# bumping its generation, which turns its old heap entry into garbage that `fire` skips; the
# heap is rebuilt when garbage outnumbers live entries, so re-arming an idle deadline after
# every read costs O(log n) and never grows the heap without bound.
#
# Invariants:
# - A timer's callback runs on the scheduler's hub, between goroutines: it must not park. It
#   may ready goroutines, close channels, or start goroutines.
# - `active` counts live timers; the deadlock detector relies on it being exact.
from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any

__all__ = ["Timer", "TimerHeap"]


class Timer:
    """A one-shot callback at an absolute monotonic time, owned by one TimerHeap.

    Go: runtime.timer.
    """

    __slots__ = ("when", "fn", "arg", "gen", "pending", "heap")

    def __init__(self, heap: TimerHeap, fn: Callable[[Any], None], arg: Any = None) -> None:
        self.heap = heap
        self.fn = fn
        self.arg = arg
        self.when = 0.0
        self.gen = 0
        self.pending = False

    def reset(self, when: float) -> bool:
        """Arm (or re-arm) the timer for absolute time ``when``; return whether it was pending."""
        return self.heap.reset(self, when)

    def stop(self) -> bool:
        """Disarm the timer; return whether it was pending (had not fired)."""
        return self.heap.stop(self)

    def describe_wait(self, g: Any, now: float) -> str:
        """Say when the timer g sleeps on is due, for a goroutine dump (the runtime's WaitObject)."""
        return f"timer due in {self.when - now:.3f}s" if self.pending else "timer (stopped)"


class TimerHeap:
    """The timers of one scheduler, ordered by deadline."""

    __slots__ = ("_heap", "_seq", "active", "fired")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer, int]] = []
        self._seq = itertools.count()
        self.active = 0
        self.fired = 0

    def new(self, fn: Callable[[Any], None], arg: Any = None) -> Timer:
        """Create an unarmed timer that calls ``fn(arg)`` when it fires."""
        return Timer(self, fn, arg)

    def reset(self, t: Timer, when: float) -> bool:
        was = t.pending
        t.gen += 1
        t.when = when
        if not was:
            t.pending = True
            self.active += 1
        heap = self._heap
        heapq.heappush(heap, (when, next(self._seq), t, t.gen))
        if len(heap) > 64 and len(heap) > 2 * self.active + 32:
            self._compact()
        return was

    def stop(self, t: Timer) -> bool:
        if not t.pending:
            return False
        t.pending = False
        t.gen += 1
        self.active -= 1
        return True

    def _compact(self) -> None:
        self._heap = [e for e in self._heap if e[2].pending and e[2].gen == e[3]]
        heapq.heapify(self._heap)

    def next_when(self) -> float | None:
        """Return when the earliest live timer is due, or None if there is none."""
        heap = self._heap
        while heap:
            when, _, t, gen = heap[0]
            if t.pending and t.gen == gen:
                return when
            heapq.heappop(heap)
        return None

    def fire(self, now: float) -> int:
        """Run the callbacks of every live timer due at ``now``; return how many ran."""
        heap = self._heap
        n = 0
        while heap and heap[0][0] <= now:
            _, _, t, gen = heapq.heappop(heap)
            if not t.pending or t.gen != gen:
                continue
            t.pending = False
            self.active -= 1
            n += 1
            t.fn(t.arg)
        self.fired += n
        return n

# gonet.runtime._gstatus: a goroutine's status (Go: runtime2.go, _Grunnable, _Grunning, ...).
#
# Kept apart from the scheduler for the same reason as _waitreason.py: the netpoller readies
# goroutines itself (netpollready) and the compiled modules must not import each other back.
# Invariant: compared by identity (`g.status is WAITING`) on the hot paths, so every module
# takes these objects from here.
from __future__ import annotations

__all__ = ["RUNNABLE", "RUNNING", "WAITING", "DEAD"]

RUNNABLE = "runnable"
RUNNING = "running"
WAITING = "waiting"
DEAD = "dead"

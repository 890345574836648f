# gonet.runtime._waitreason: why a goroutine is parked (Go: runtime2.go, waitReason*).
#
# The strings are Go's, so a gonet goroutine dump reads like a Go one. Kept apart from the
# scheduler so that every layer can name its wait reason without importing the scheduler
# (the compiled modules initialise in dependency order and must not import each other back).
from __future__ import annotations

__all__ = [
    "IO_WAIT",
    "SLEEP",
    "SEMACQUIRE",
    "THREAD_POOL",
    "CHAN_RECEIVE",
    "CHAN_SEND",
    "SELECT",
    "SELECT_NO_CASES",
]

IO_WAIT = "IO wait"  # the netpoller's; the scheduler compares it by identity on every park
SLEEP = "sleep"
SEMACQUIRE = "semacquire"
THREAD_POOL = "thread pool"
CHAN_RECEIVE = "chan receive"
CHAN_SEND = "chan send"
SELECT = "select"
SELECT_NO_CASES = "select (no cases)"

# gonet.patch._time_patch: time.sleep that parks the calling goroutine (Go: time.Sleep).
#
# In a plain thread it is the stdlib's time.sleep, captured at import.
from __future__ import annotations

import time as _std

from gonet.runtime import sleep as _gsleep
from gonet.socket._wait import goroutine_sched

__all__ = ["sleep", "orig_sleep"]

orig_sleep = _std.sleep


def sleep(secs: float) -> None:
    """Suspend the calling goroutine (or, in a plain thread, the thread) for secs seconds."""
    if goroutine_sched() is None:
        orig_sleep(secs)
        return
    if not isinstance(secs, (int, float)):
        orig_sleep(secs)  # the stdlib's TypeError
    if secs != secs:
        raise ValueError("Invalid value NaN (not a number)")
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    _gsleep(secs)

# gonet.runtime._panic: how a panic or a fatal error ends the process (Go: runtime/panic.go).
#
# A panic (an exception escaping a goroutine) prints `panic: <exception>`, the goroutine's
# traceback and, with GONET_TRACEBACK=all, every other goroutine; then the process exits with
# status 2. An uncaught DeadlockError is Go's fatal error: `fatal error: all goroutines are
# asleep - deadlock!`, a blank line, every goroutine in the dump format, status 2.
#
# What runs before the exit, and what does not (as in Go, where neither other goroutines'
# deferred calls nor anything else run after a panic reaches the top):
#   runs:     logging's handlers are flushed and closed (logging.shutdown(), after the queues of
#             QueueHandlers have been drained by their listeners, for up to _DRAIN_SECONDS),
#             then sys.stdout and sys.stderr are flushed; then the report is written.
#   not run:  other goroutines' `finally` blocks and context managers, atexit handlers,
#             weakref finalizers, non-daemon threads (os._exit ends the process at once).
#
# Invariants:
# - Imports only the standard library and gonet.errors at module import (gonet.runtime._proc
#   imports this module; the dump code is imported when a report is written).
# - Nothing here raises: a broken handler or a closed stream must not stop the exit.
from __future__ import annotations

import os
import sys
import time
import traceback
from types import TracebackType
from typing import TYPE_CHECKING, Any

from gonet.errors import DeadlockError

if TYPE_CHECKING:
    from gonet.runtime._proc import G

__all__ = ["default_panic", "fatal_deadlock", "flush_before_exit", "install_excepthook"]

# How long the exit waits for QueueListeners to take the records already queued.
_DRAIN_SECONDS = 1.0


def _drain_log_queues(deadline: float) -> None:
    logging = sys.modules.get("logging")
    if logging is None:
        return
    handlers = getattr(logging, "_handlerList", [])
    qh = getattr(sys.modules.get("logging.handlers"), "QueueHandler", None)
    if qh is None:
        return
    for ref in list(handlers):
        h = ref()
        q = getattr(h, "queue", None) if isinstance(h, qh) else None
        done = getattr(q, "all_tasks_done", None)  # a queue.Queue its listener marks task_done on
        if done is None:
            continue
        with done:
            while q.unfinished_tasks:  # type: ignore[union-attr]
                left = deadline - time.monotonic()
                if left <= 0:
                    return  # no listener running (or a stuck one): do not hang the exit
                done.wait(left)


def flush_before_exit() -> None:
    """Flush logging's handlers and the standard streams before the process ends with os._exit.

    Records queued on a QueueHandler are given up to a second to reach their listener's
    handlers; then ``logging.shutdown()`` flushes and closes every handler (a MemoryHandler
    passes its buffer on to its target). atexit handlers are not run.
    """
    try:
        # The exiting goroutine holds its thread while it waits: that is no stall to report.
        # Imported here: _sysmon imports _proc, which imports this module (see the header).
        from gonet.runtime._sysmon import sysmon

        sysmon.threshold = None
    except Exception:  # noqa: BLE001 - as below
        pass
    try:
        _drain_log_queues(time.monotonic() + _DRAIN_SECONDS)
    except Exception:  # noqa: BLE001 - the process is ending; a broken queue must not stop it
        pass
    logging = sys.modules.get("logging")
    if logging is not None:
        try:
            logging.shutdown()
        except Exception:  # noqa: BLE001 - as above (logging.raiseExceptions may re-raise)
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # noqa: BLE001 - a closed stream: the report must still be tried
            pass


def _write_and_exit(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - stderr is gone: exit all the same
        pass
    finally:
        os._exit(2)


def default_panic(g: G, exc: BaseException) -> None:
    """Print the panic and end the process with status 2, as Go does.

    The report: ``panic: <exception>``, a blank line, ``goroutine N [running]:``, the
    traceback, and Go's ``created by F in goroutine M`` with the go statement's file:line.
    Logging is flushed first (see flush_before_exit); other goroutines' finally blocks and
    atexit handlers do not run.

    Go: the runtime's fatalpanic (printpanics, then exit(2)).
    """
    try:
        flush_before_exit()
        # Imported here: _traceback imports _proc, which imports this module (see the header).
        from gonet.runtime._traceback import creator_of, stack

        msg = "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        text = f"panic: {msg}\n\ngoroutine {g.id} [running]:\n{tb}"
        func, where = creator_of(g)
        if func:
            origin = f" in goroutine {g.parent_id}" if g.parent_id else ""
            text += f"created by {func}{origin}\n" + (f"\t{where}\n" if where else "")
        if os.environ.get("GONET_TRACEBACK", "") in ("all", "system", "crash"):
            text += "\n" + stack(all=True)
    except BaseException as e:  # noqa: BLE001 - never return from a panic
        text = f"panic: {exc!r}\n(report failed: {e!r})\n"
    _write_and_exit(text)


def fatal_deadlock(exc: BaseException, tb: TracebackType | None) -> str:
    """Return Go's report of a fatal deadlock: the message, a blank line, every goroutine.

    The main goroutine's block is rebuilt from the exception's traceback (by the time the
    exception reaches the top, main's stack has unwound); the others are dumped as they are.
    """
    from gonet.runtime._traceback import fatal_dump  # lazy: _traceback imports _proc (header)

    return f"fatal error: {exc}\n\n{fatal_dump(tb)}"


def _excepthook(
    etype: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
) -> None:
    if not isinstance(exc, DeadlockError):
        _previous(etype, exc, tb)
        return
    try:
        text = fatal_deadlock(exc, tb)
    except BaseException as e:  # noqa: BLE001 - fall back to Python's report
        _previous(etype, exc, tb)
        sys.stderr.write(f"(gonet: fatal error report failed: {e!r})\n")
        return
    if hasattr(sys, "ps1") or sys.flags.interactive:  # report, but keep the session
        sys.stderr.write(text)
        return
    flush_before_exit()
    _write_and_exit(text)


_previous: Any = sys.excepthook


def install_excepthook() -> None:
    """Make an uncaught DeadlockError end the process as Go's fatal error does (status 2).

    Chained: every other exception goes to the hook that was installed before (Python's
    traceback and status 1 by default). Idempotent.
    """
    global _previous
    if sys.excepthook is not _excepthook:
        _previous = sys.excepthook
        sys.excepthook = _excepthook


install_excepthook()

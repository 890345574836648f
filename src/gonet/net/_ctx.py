# gonet.net._ctx: aborting a dial or lookup in progress — the net side of contexts
# (Go: the ctx plumbing of net/dial.go, lookup.go, and fd_unix.go connect's interrupter).
#
# An Abort is a one-shot signal carrying the error to raise. A dial links one to the caller's
# context (context.after_func), and each Happy Eyeballs racer gets a child, so the winner can
# stop the loser without touching the caller's context. Whatever blocks registers a hook:
# - a connecting socket gets a write deadline in the past (Go's trick): its parked connect
#   wakes at once and the dial closes the half-made socket;
# - a name lookup parked on the thread pool is interrupted (the worker's answer is dropped).
#
# A context's error reaches net's callers in Go's words (mapErr): "operation was canceled" and
# "i/o timeout" instead of "context canceled" / "context deadline exceeded", keeping the class
# (Canceled, DeadlineExceeded), so `except context.Canceled` and `except TimeoutError` still work.
#
# Invariants: hooks never park — they run inside whichever goroutine cancels (the context's
# after_func goroutine, or the dialer). cancel() runs each hook at most once; a hook removed by
# its stop() before cancel never runs.
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gonet.context import after_func
from gonet.errors import Canceled, DeadlineExceeded

__all__ = ["Abort", "link_context", "context_deadline", "map_err", "lookup_err"]


def map_err(err: BaseException) -> BaseException:
    """Return a context's error as net reports it: same class, Go's net wording.

    Go: net.mapErr (context.Canceled -> errCanceled, context.DeadlineExceeded -> errTimeout).
    """
    if isinstance(err, DeadlineExceeded):
        return DeadlineExceeded("i/o timeout")
    if isinstance(err, Canceled):
        return Canceled("operation was canceled")
    return err


def lookup_err(err: BaseException, name: str) -> BaseException:
    """Word a context's end as a lookup of name reports it ("lookup x: operation was canceled"),
    same class; any other abort error passes as it is. Go: DNSError{Err: mapErr(ctx.Err())}."""
    if isinstance(err, (Canceled, DeadlineExceeded)):
        return type(err)(f"lookup {name}: {err}")
    return err


class Abort:
    """A one-shot cancellation signal with hooks. Go: a context.Context's Done, inside net."""

    __slots__ = ("err", "_hooks", "_seq")

    def __init__(self, parent: Abort | None = None) -> None:
        self.err: BaseException | None = None
        self._hooks: dict[int, Callable[[], None]] = {}
        self._seq = 0
        if parent is not None:
            if parent.err is not None:
                self.err = parent.err
            else:
                parent.on_cancel(lambda: self.cancel(parent.err))  # type: ignore[arg-type]

    def cancel(self, err: BaseException) -> None:
        """Set the error (first call wins) and run every registered hook."""
        if self.err is not None:
            return
        self.err = err
        hooks = list(self._hooks.values())
        self._hooks.clear()
        for h in hooks:
            h()

    def on_cancel(self, fn: Callable[[], None]) -> Callable[[], bool]:
        """Run fn when cancelled (at once if already); return stop(): True if it prevented fn."""
        if self.err is not None:
            fn()
            return _false
        self._seq += 1
        key = self._seq
        self._hooks[key] = fn
        hooks = self._hooks

        def stop() -> bool:
            return hooks.pop(key, None) is not None

        return stop


def _false() -> bool:
    return False


def context_deadline(ctx: Any) -> float | None:
    """Return ctx's deadline (gonet.now() clock), or None for no context / no deadline."""
    if ctx is None:
        return None
    d = ctx.deadline()
    return None if d is None else float(d)


def link_context(ctx: Any, abort: Abort) -> Callable[[], bool] | None:
    """Cancel abort with map_err(ctx.err()) once ctx is done; return the link's stop function.

    stop() returns False if the context ended (and abort was, or is about to be, cancelled):
    a dial that finished regardless must then be undone. None when there is nothing to watch.

    Go: the interrupter goroutine of netFD.connect / context.AfterFunc.
    """
    if ctx is None:
        return None
    err = ctx.err()
    if err is not None:
        abort.cancel(map_err(err))
        return None
    if not ctx.done():  # background()/todo(): the nil channel, which is falsy
        return None  # background() and todo(): never done

    def fire() -> None:
        abort.cancel(map_err(ctx.err()))

    stop: Callable[[], bool] = after_func(ctx, fire)
    return stop

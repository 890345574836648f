# gonet.errgroup: a group of goroutines working on subtasks of one task, with the first error
# collected and, optionally, a context canceled by it (Go: golang.org/x/sync/errgroup).
#
# A member "returns an error" by raising an Exception: the first one is kept, cancels the
# group's context (with_context) and is raised again by wait(). Later errors are dropped, as Go
# drops them. BaseExceptions that are not Exceptions (KeyboardInterrupt, SystemExit, GreenletExit)
# are not errors: they escape the goroutine as they would without the group.
#
# A panic is not an error. Go's x/sync briefly propagated member panics through Wait and then
# reverted it (the panic surfaced late, far from its cause): a member panics the program exactly
# as a bare goroutine does. In Python every exception is catchable, so "panic" here means a
# gonet PanicError (send on a closed channel, negative WaitGroup counter, ...): it is not caught
# by the group and ends the program with status 2.
#
# Invariants:
# - The limit is a buffered channel of tokens (Go's sem): go() sends before starting the member,
#   the member receives when it ends; try_go() sends only if that would not block.
# - wait() waits for every member, then cancels the context (Canceled, no cause) whatever the
#   outcome, so the context is done once wait() returned.
# - The context's err() after the first error is a Canceled whose __cause__ is that error
#   (Go: context.Cause(ctx) is the error, ctx.Err() is context.Canceled).
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gonet._chan import Chan
from gonet._select import select
from gonet.context import Canceled, Context, _CancelCtx, _propagate
from gonet.errors import PanicError
from gonet.runtime import go as _go
from gonet.sync import WaitGroup

__all__ = ["Group", "with_context"]


class Group:
    """A collection of goroutines working on subtasks of the same overall task.

    A fresh Group has no limit and no context. Do not reuse a Group for another task once
    wait() has returned.

    Go: errgroup.Group.
    """

    __slots__ = ("_wg", "_sem", "_err", "_ctx")

    def __init__(self) -> None:
        self._wg = WaitGroup()
        self._sem: Chan[None] | None = None
        self._err: Exception | None = None
        self._ctx: _CancelCtx | None = None

    def go(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Run fn(*args, **kwargs) in a new goroutine of the group.

        Blocks while the group already has its limit of active goroutines. If fn raises an
        Exception and it is the group's first, it is kept for wait() and cancels the group's
        context.

        Go: Group.Go.
        """
        sem = self._sem
        if sem is not None:
            sem.send(None)
        self._start(sem, fn, args, kwargs)

    def try_go(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> bool:
        """Run fn(*args, **kwargs) in a new goroutine only if the limit allows it now.

        Returns:
            True if the goroutine was started, False if the group is at its limit.

        Go: Group.TryGo.
        """
        sem = self._sem
        if sem is not None:
            i, _, _ = select(sem.send_case(None), default=True)
            if i != 0:
                return False
        self._start(sem, fn, args, kwargs)
        return True

    def set_limit(self, n: int) -> None:
        """Limit the number of active goroutines of the group to n; a negative n removes the limit.

        Raises:
            RuntimeError: "errgroup: modify limit while N goroutines in the group are still
                active" — the limit may only change while no member runs under it.

        Go: Group.SetLimit.
        """
        if n < 0:
            self._sem = None
            return
        sem = self._sem
        if sem is not None and len(sem):
            raise RuntimeError(
                f"errgroup: modify limit while {len(sem)} goroutines in the group are still active"
            )
        self._sem = Chan(n)

    def wait(self) -> None:
        """Block until every goroutine of the group has returned; raise the first error, if any.

        The group's context is canceled when wait() returns, error or not.

        Raises:
            Exception: the first exception a member raised (the same object).

        Go: Group.Wait.
        """
        self._wg.wait()
        ctx = self._ctx
        if ctx is not None:
            ctx._cancel(True, Canceled())
        err = self._err
        if err is not None:
            raise err

    def _start(
        self, sem: Chan[None] | None, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self._wg.add(1)
        _go(self._run, sem, fn, args, kwargs)

    def _run(
        self, sem: Chan[None] | None, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        try:
            fn(*args, **kwargs)
        except PanicError:
            raise  # a panic stays a panic (see the header)
        except Exception as e:
            if self._err is None:
                self._err = e
                ctx = self._ctx
                if ctx is not None:
                    c = Canceled()
                    c.__cause__ = e
                    ctx._cancel(True, c)
        finally:
            if sem is not None:
                sem.recv()
            self._wg.done()

    def __repr__(self) -> str:
        limit = "none" if self._sem is None else str(self._sem.cap)
        return f"<errgroup.Group limit={limit} err={self._err!r}>"


def with_context(ctx: Context) -> tuple[Group, Context]:
    """Return a new Group and a context derived from ctx that the group cancels.

    The derived context is canceled by the first member that raises an Exception (its err() is
    a Canceled whose ``__cause__`` is that exception) or when wait() returns, whichever comes
    first.

    Go: errgroup.WithContext.
    """
    c = _CancelCtx(ctx)
    _propagate(ctx, c)
    g = Group()
    g._ctx = c
    return g, c

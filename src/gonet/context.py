# gonet.context: Go's context package — cancellation, deadlines and request-scoped values that
# flow down a tree of contexts.
#
# A context is done when it is canceled, its deadline passes, or its parent is done; then its
# done() channel is closed and err() says why (Canceled or DeadlineExceeded, fresh instances per
# context so they can be raised). Cancellation flows from parent to children, never upward.
# background() and todo() are never done: their done() is the nil channel.
#
# Each cancelable context keeps its children in a dict under a small lock (a context may be
# canceled from any OS thread); its done channel is made on first use, or is a shared
# pre-closed channel if the context was canceled first. A deadline is a timer on the scheduler
# of the thread that created the context; its callback cancels on the hub. after_func nodes
# hang in the same tree and start their function in a goroutine on the thread that registered
# them.
#
# State of a cancelable context (Go: cancelCtx):
#
#   live (err None, children registered) ──cancel/deadline/parent──> done (err set, done()
#   closed, children canceled and dropped, detached from its parent, timer stopped)
#
# Invariants: err() is None exactly while done() is open; cancel is idempotent (the first cause
# wins); a canceled child no longer appears among its parent's children.
from __future__ import annotations

from _thread import allocate_lock
from _thread import get_ident as _get_ident
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from gonet._chan import Chan, nil_chan
from gonet.errors import Canceled, DeadlineExceeded
from gonet.runtime import _proc, now

__all__ = [
    "Context",
    "CancelFunc",
    "background",
    "todo",
    "with_cancel",
    "with_timeout",
    "with_deadline",
    "with_value",
    "after_func",
    "Canceled",
    "DeadlineExceeded",
]

CancelFunc = Callable[[], None]


class Context(ABC):
    """What every context offers. Subclass it to write your own. Go: context.Context."""

    __slots__ = ()

    @abstractmethod
    def deadline(self) -> float | None:
        """Return when the context will be done by deadline (gonet.now() clock), or None."""

    @abstractmethod
    def done(self) -> Chan[Any]:
        """Return a channel closed when the context is done (the nil channel: never)."""

    @abstractmethod
    def err(self) -> BaseException | None:
        """Return None while not done; then Canceled or DeadlineExceeded."""

    @abstractmethod
    def value(self, key: Any) -> Any:
        """Return the value bound to key by with_value in this context's chain, or None."""


class _EmptyCtx(Context):
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def deadline(self) -> float | None:
        return None

    def done(self) -> Chan[Any]:
        return nil_chan

    def err(self) -> BaseException | None:
        return None

    def value(self, key: Any) -> Any:
        return None

    def __repr__(self) -> str:
        return self._name


_background = _EmptyCtx("context.Background")
_todo = _EmptyCtx("context.TODO")


def background() -> Context:
    """Return the root context: never canceled, no deadline, no values. Go: context.Background."""
    return _background


def todo() -> Context:
    """Return an empty context for code not yet given one. Go: context.TODO."""
    return _todo


_closedchan: Chan[Any] = Chan()
_closedchan.close()


def _fresh(err: BaseException) -> BaseException:
    """A new exception of err's kind, for a child (so each context raises its own instance)."""
    try:
        return type(err)()
    except Exception:  # noqa: BLE001 - a foreign error type we cannot rebuild: share it
        return err


class _CancelCtx(Context):
    """A context that can be canceled. Go: context.cancelCtx."""

    __slots__ = ("_parent", "_mu", "_done", "_err", "_children", "__weakref__")

    def __init__(self, parent: Context) -> None:
        self._parent = parent
        self._mu = allocate_lock()
        self._done: Chan[Any] | None = None
        self._err: BaseException | None = None
        self._children: dict[_CancelCtx, None] | None = {}

    def deadline(self) -> float | None:
        return _deadline(self._parent)

    def done(self) -> Chan[Any]:
        d = self._done
        if d is not None:
            return d
        with self._mu:
            if self._done is None:
                self._done = Chan()
            return self._done

    def err(self) -> BaseException | None:
        return self._err

    def value(self, key: Any) -> Any:
        return _value(self._parent, key)

    def _cancel(self, remove: bool, err: BaseException) -> None:
        """Mark done with err, close done(), cancel the descendants; detach from the parent.

        Iterative, so a deep chain of contexts costs no recursion depth.
        """
        todo: list[tuple[_CancelCtx, bool, BaseException]] = [(self, remove, err)]
        while todo:
            c, rm, e = todo.pop()
            with c._mu:
                if c._err is not None:
                    continue
                c._err = e
                d = c._done
                if d is None:
                    c._done = _closedchan
                children = c._children
                c._children = None
            if d is not None:
                d.close()
            if rm:
                _remove_child(c._parent, c)
            c._stop_timer()
            c._on_done()
            if children:
                todo.extend((child, False, _fresh(e)) for child in reversed(children))

    def _on_done(self) -> None:
        pass

    def _stop_timer(self) -> None:
        pass

    def _cancel_func(self) -> None:
        self._cancel(True, Canceled())

    def __repr__(self) -> str:
        return f"{self._parent!r}.WithCancel"


class _TimerCtx(_CancelCtx):
    """A cancelable context with a deadline. Go: context.timerCtx."""

    __slots__ = ("_deadline", "_timer", "_sched")

    def __init__(self, parent: Context, deadline: float) -> None:
        super().__init__(parent)
        self._deadline = deadline
        self._timer: Any = None
        self._sched: Any = None

    def deadline(self) -> float | None:
        return self._deadline

    def _stop_timer(self) -> None:
        with self._mu:
            t = self._timer
            self._timer = None
        if t is None:
            return
        s = self._sched
        if s.thread_ident == _get_ident():
            t.stop()
        else:
            s.inject(_TimerStop(t))  # timers belong to their scheduler's thread

    def __repr__(self) -> str:
        return f"{self._parent!r}.WithDeadline({self._deadline:.6f} [{self._deadline - now():.3f}s])"


class _TimerStop:
    __slots__ = ("t",)

    def __init__(self, t: Any) -> None:
        self.t = t

    def deliver(self, s: Any) -> None:
        self.t.stop()


def _deadline_fired(c: _TimerCtx) -> None:
    # On the hub: cancel never blocks.
    c._cancel(True, DeadlineExceeded())


class _ValueCtx(Context):
    """A context carrying one key-value pair. Go: context.valueCtx."""

    __slots__ = ("_parent", "_key", "_val")

    def __init__(self, parent: Context, key: Any, val: Any) -> None:
        self._parent = parent
        self._key = key
        self._val = val

    def deadline(self) -> float | None:
        return _deadline(self._parent)

    def done(self) -> Chan[Any]:
        return _below_values(self._parent).done()

    def err(self) -> BaseException | None:
        return _below_values(self._parent).err()

    def value(self, key: Any) -> Any:
        return _value(self, key)

    def __repr__(self) -> str:
        return f"{self._parent!r}.WithValue({self._key!r}, {self._val!r})"


def _below_values(c: Context) -> Context:
    """The nearest context up the chain that is not a value context."""
    while type(c) is _ValueCtx:
        c = c._parent
    return c


def _deadline(c: Context) -> float | None:
    """The deadline of c, found without recursion up value and cancel contexts."""
    while True:
        if isinstance(c, _TimerCtx):
            return c._deadline
        if type(c) is _ValueCtx or type(c) is _CancelCtx:
            c = c._parent
        elif isinstance(c, _EmptyCtx):
            return None
        else:
            return c.deadline()


def _value(c: Context, key: Any) -> Any:
    # Iterative, so a deep chain costs no recursion depth.
    while True:
        if type(c) is _ValueCtx:
            k = c._key
            if k is key or k == key:
                return c._val
            c = c._parent
        elif isinstance(c, _CancelCtx):
            c = c._parent
        elif isinstance(c, _EmptyCtx):
            return None
        else:
            return c.value(key)


def _parent_cancel_ctx(parent: Context) -> _CancelCtx | None:
    """The nearest cancelable ancestor whose cancellation is ours too (through value contexts)."""
    while type(parent) is _ValueCtx:
        parent = parent._parent
    return parent if isinstance(parent, _CancelCtx) else None


def _propagate(parent: Context, child: _CancelCtx) -> None:
    """Arrange for child to be canceled when parent is. Go: cancelCtx.propagateCancel."""
    p = _parent_cancel_ctx(parent)
    if p is not None:
        with p._mu:
            children = p._children
            if children is not None:
                children[child] = None
                return
            err = p._err
        child._cancel(False, _fresh(err))  # type: ignore[arg-type]
        return
    if not parent.done():
        return  # the nil channel: parent is never canceled
    err = parent.err()
    if err is not None:
        child._cancel(False, _fresh(err))
        return
    # A Context of another kind: watch its done channel from a goroutine, as Go does.
    _proc.current().go(_watch_foreign, (parent, child), {})


def _watch_foreign(parent: Context, child: _CancelCtx) -> None:
    from gonet._select import select

    i, _, _ = select(parent.done().recv_case(), child.done().recv_case())
    if i == 0:
        err = parent.err()
        child._cancel(False, _fresh(err) if err is not None else Canceled())


def _remove_child(parent: Context, child: _CancelCtx) -> None:
    p = _parent_cancel_ctx(parent)
    if p is None:
        return
    with p._mu:
        if p._children is not None:
            p._children.pop(child, None)


def with_cancel(parent: Context) -> tuple[Context, CancelFunc]:
    """Return a child of parent and a function that cancels it (idempotent).

    The child is done when cancel() is called or parent is done, whichever is first. Call
    cancel when the work is over, to release the child's resources.

    Go: context.WithCancel.
    """
    c = _CancelCtx(parent)
    _propagate(parent, c)
    return c, c._cancel_func


def with_deadline(parent: Context, when: float) -> tuple[Context, CancelFunc]:
    """Return a child of parent that is done by absolute time ``when`` (gonet.now() clock).

    If parent's deadline is earlier, it governs (the child is just cancelable); a deadline
    already past gives a context that is done at once with DeadlineExceeded.

    Go: context.WithDeadline.
    """
    cur = parent.deadline()
    if cur is not None and cur < when:
        return with_cancel(parent)
    c = _TimerCtx(parent, float(when))
    _propagate(parent, c)
    if when - now() <= 0:
        c._cancel(True, DeadlineExceeded())
        return c, c._cancel_func
    s = _proc.current()
    with c._mu:
        if c._err is None:
            c._sched = s
            t = c._timer = s.timers.new(_deadline_fired, c)
            t.reset(when)
    return c, c._cancel_func


def with_timeout(parent: Context, timeout: float) -> tuple[Context, CancelFunc]:
    """Return with_deadline(parent, gonet.now() + timeout). Go: context.WithTimeout."""
    return with_deadline(parent, now() + timeout)


def with_value(parent: Context, key: Any, val: Any) -> Context:
    """Return a child of parent in which value(key) is val.

    Use a key of your own type (or a module-level object) so that packages cannot collide.

    Raises:
        ValueError: key is None.

    Go: context.WithValue.
    """
    if key is None:
        raise ValueError("nil key")
    return _ValueCtx(parent, key, val)


class _AfterFunc(_CancelCtx):
    """A node in the context tree that runs f once its parent is done. Go: afterFuncCtx."""

    __slots__ = ("_f", "_home", "_state")  # _state: 0 armed, 1 started, 2 stopped

    def __init__(self, parent: Context, f: Callable[[], Any], home: Any) -> None:
        super().__init__(parent)
        self._f = f
        self._home = home
        self._state = 0

    def _on_done(self) -> None:
        with self._mu:
            if self._state != 0:
                return  # stopped: detaching marked us done, but f must not run
            self._state = 1
        s = self._home
        if s.thread_ident == _get_ident():
            s.go(self._f, (), {})
        else:
            s.inject(_Start(self._f))

    def stop(self) -> bool:
        with self._mu:
            if self._state != 0:
                return False
            self._state = 2
        self._cancel(True, Canceled())  # detach from the parent
        return True

    def __repr__(self) -> str:
        return f"{self._parent!r}.AfterFunc"


class _Start:
    __slots__ = ("f",)

    def __init__(self, f: Callable[[], Any]) -> None:
        self.f = f

    def deliver(self, s: Any) -> None:
        s.go(self.f, (), {})


def after_func(ctx: Context, f: Callable[[], Any]) -> Callable[[], bool]:
    """Arrange to call f in its own goroutine once ctx is done (at once if it already is).

    Returns:
        stop(): detach f from ctx; True if that prevented f from running, False if f has
        already been started (or stop was called before).

    The goroutine runs on the scheduler of the thread that called after_func.

    Go: context.AfterFunc (Go 1.21).
    """
    a = _AfterFunc(ctx, f, _proc.current())
    _propagate(ctx, a)
    return a.stop

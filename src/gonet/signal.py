# gonet.signal: Go's os/signal — relay incoming signals to channels.
#
# notify(ch, SIGTERM) makes the hub send signal.Signals.SIGTERM on ch each time the signal
# arrives; stop(ch) ends that; ignore/reset change what the process does with a signal;
# notify_context gives a context canceled by the first of its signals. Delivery goes through
# the netpoller (runtime/_sigqueue.py): the Python-level handler only marks the signal pending
# and writes a byte to the signal pipe, and the hub makes one non-blocking send per channel, so
# no user code ever runs inside a signal handler. As in Go, a channel without room misses the
# signal (give it a buffer: one slot is enough for one signal), and repeats of a signal that
# arrive before the hub has dispatched the first are coalesced.
#
# Python installs signal handlers only in the main thread, so notify, stop, ignore, reset and
# notify_context raise ValueError in any other thread (a goroutine of another thread included).
# The channel itself may be received from anywhere. While any channel is notified, the main
# thread's scheduler counts the signal pipe as an I/O waiter: a program waiting only for a
# signal is not a deadlock (Go reports none either), and busy goroutines cannot hold a signal
# back (the hub polls between their rounds).
#
# Invariants:
# - _handlers maps each notified channel to the set of signal numbers it wants; _refs counts the
#   channels per signal; a signal is taken over (runtime handler installed) exactly while its
#   count is positive, and gets back the handler it had before when the count drops to zero.
# - All of it is touched on the main thread only (the API and the hub both run there).
from __future__ import annotations

import signal as _signal
from collections.abc import Callable, Iterable
from typing import Any

from gonet._chan import Chan
from gonet.context import Context, _CancelCtx, _propagate
from gonet.errors import Canceled, SignalError
from gonet.runtime import _proc
from gonet.runtime import _sigqueue as _sq
from gonet.runtime._sigqueue import is_main_thread

__all__ = ["notify", "stop", "ignore", "ignored", "reset", "notify_context", "SignalError", "Signals"]

Signals = _signal.Signals
SigLike = int | _signal.Signals

# Never taken by notify() without arguments: they cannot be caught (KILL, STOP), or a handler
# that returns makes the faulting instruction fault again, forever (SEGV, BUS, FPE, ILL).
_UNCATCHABLE = frozenset({_signal.SIGKILL, _signal.SIGSTOP})
_SYNCHRONOUS = frozenset({_signal.SIGSEGV, _signal.SIGBUS, _signal.SIGFPE, _signal.SIGILL})

_handlers: dict[Chan[Any], set[int]] = {}
_refs: dict[int, int] = {}


def _main_only(what: str) -> None:
    if not is_main_thread():
        raise ValueError(
            f"gonet.signal.{what} must be called from the main thread "
            "(Python installs signal handlers only there)"
        )


def _signums(sigs: Iterable[SigLike], what: str) -> list[int]:
    """Validate sigs; none means every signal that can be relayed."""
    out: list[int] = []
    for s in sigs:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(
                f"gonet.signal.{what}: a signal is an int or signal.Signals, not {type(s).__name__}"
            )
        try:
            n = Signals(s)
        except ValueError:
            raise ValueError(f"gonet.signal.{what}: {s} is not a valid signal number") from None
        if n in _UNCATCHABLE:
            raise ValueError(f"gonet.signal.{what}: {n.name} cannot be caught or ignored")
        out.append(int(n))
    return out


def _all_signals() -> list[int]:
    # Named signals only (the hub sends signal.Signals values). A signal whose handler was not
    # installed from Python (getsignal() is None: faulthandler's, an embedding program's) is
    # left to its owner: restoring it later would be impossible.
    return [
        int(n)
        for n in _signal.valid_signals()
        if isinstance(n, Signals)
        and n not in _UNCATCHABLE
        and n not in _SYNCHRONOUS
        and (n in _refs or _signal.getsignal(n) is not None)
    ]


def _process(n: int) -> None:
    """Relay signal n to every channel that wants it, never blocking. On the hub. Go: process."""
    sig = Signals(n)
    for c, want in list(_handlers.items()):
        if n in want:
            c._try_send(sig)  # full or closed: this channel misses it, as in Go


_sq.sigq.process = _process


def _update_active() -> None:
    _sq.set_active(bool(_handlers))


def notify(c: Chan[Any], *sigs: SigLike) -> None:
    """Relay the given signals (every signal if none) to c.

    Each arrival is a non-blocking send of its ``signal.Signals`` value: if c has no room the
    signal is dropped for c, so give c a buffer (one slot for one signal). Calling notify again
    with the same c adds signals; with another channel, both receive copies. A notified signal
    no longer has its previous action (SIGINT no longer raises KeyboardInterrupt, SIGQUIT no
    longer dumps goroutines) until stop, reset or ignore.

    Args:
        c: the channel; not the nil channel.
        *sigs: signal numbers or ``signal.Signals``; none: every named signal but KILL, STOP,
            the synchronous SEGV, BUS, FPE, ILL, and those handled outside Python
            (``signal.getsignal`` None, e.g. faulthandler's).

    Raises:
        ValueError: the nil channel ("os/signal: Notify using nil channel"), an invalid or
            uncatchable signal, or called from a thread other than the main thread.

    Go: signal.Notify.
    """
    if not isinstance(c, Chan):
        raise TypeError(f"gonet.signal.notify needs a Chan, not {type(c).__name__}")
    if not c:
        raise ValueError("os/signal: Notify using nil channel")
    nums = _signums(sigs, "notify") if sigs else _all_signals()
    _main_only("notify")
    _proc.current()  # the main scheduler exists, and with it the signal pipe
    want = _handlers.setdefault(c, set())
    for n in nums:
        if n in want:
            continue
        if not _refs.get(n):
            _sq.enable(n)
        want.add(n)
        _refs[n] = _refs.get(n, 0) + 1
    if not want:
        del _handlers[c]
    _update_active()


def _release(n: int) -> None:
    """Drop one channel's interest in n; the last one gives n its old handler back."""
    left = _refs.get(n, 0) - 1
    if left > 0:
        _refs[n] = left
    else:
        _refs.pop(n, None)
        _sq.disable(n)


def stop(c: Chan[Any]) -> None:
    """Stop relaying signals to c; undo every notify(c, ...). No-op if c is not notified.

    Signals that already arrived are delivered first (to c too, if it has room), so a signal
    is either relayed or meets its restored action; when stop returns, c receives no more.

    Raises:
        ValueError: called from a thread other than the main thread.

    Go: signal.Stop.
    """
    _main_only("stop")
    if c not in _handlers:
        return
    _sq.sigq.flush()
    want = _handlers.pop(c)
    for n in sorted(want):
        _release(n)
    _update_active()


def _cancel(sigs: tuple[SigLike, ...], what: str, action: Callable[[int], None]) -> None:
    """Take sigs (all if none) away from every channel, then apply action. Go: cancel."""
    _main_only(what)
    if sigs:
        nums = _signums(sigs, what)
    else:
        nums = sorted(set(_all_signals()) | set(_refs))
        if action is _sq.ignore:
            # An ignored SIGCHLD makes the kernel reap children: subprocess could not wait.
            nums = [n for n in nums if n != _signal.SIGCHLD]
    _sq.sigq.flush()
    for n in nums:
        for c, want in list(_handlers.items()):
            if n in want:
                want.discard(n)
                if not want:
                    del _handlers[c]
        _refs.pop(n, None)
        action(n)
    _update_active()


def ignore(*sigs: SigLike) -> None:
    """Ignore the given signals (every signal if none but SIGCHLD); undoes notify for them.

    Raises:
        ValueError: an invalid or uncatchable signal, or not on the main thread.

    Go: signal.Ignore.
    """
    _cancel(sigs, "ignore", _sq.ignore)


def ignored(sig: SigLike) -> bool:
    """Report whether sig is currently ignored (also when ignored since the process started).

    Go: signal.Ignored.
    """
    try:
        return _signal.getsignal(sig) == _signal.SIG_IGN
    except (ValueError, TypeError):
        return False


def reset(*sigs: SigLike) -> None:
    """Undo notify and ignore for the given signals (every signal if none).

    Each signal gets back the handler it had before gonet.signal first took it (for SIGINT,
    Python's KeyboardInterrupt); signals gonet.signal never touched are left alone.

    Raises:
        ValueError: an invalid or uncatchable signal, or not on the main thread.

    Go: signal.Reset.
    """
    _cancel(sigs, "reset", _sq.disable)


# -- notify_context --------------------------------------------------------------------------------


def _describe(n: int) -> str:
    """Go's name of a signal: "interrupt", "terminated", "user defined signal 1"."""
    text = _signal.strsignal(n) or Signals(n).name
    return text[:1].lower() + text[1:]


class _SignalCtx(_CancelCtx):
    """A context canceled by the first of its signals. Go: signal.signalCtx."""

    __slots__ = ("_signals", "_ch", "_cause")

    def __init__(self, parent: Context, signals: tuple[int, ...]) -> None:
        super().__init__(parent)
        self._signals = signals
        self._ch: Chan[Any] = Chan(1)
        self._cause: BaseException | None = None

    def cause(self) -> BaseException | None:
        """Return why the context ended: a SignalError if a signal did, else err().

        Go: context.Cause(ctx).
        """
        c = self._cause
        return c if c is not None else self._err

    def _stop(self) -> None:
        self._cancel(True, Canceled())
        stop(self._ch)

    def __repr__(self) -> str:
        name = super().__repr__()[: -len(".WithCancel")]
        sigs = ""
        if self._signals:
            sigs = ", [" + " ".join(_describe(n) for n in self._signals) + "]"
        return f"signal.NotifyContext({name}{sigs})"


def _watch(c: _SignalCtx) -> None:
    from gonet._select import select

    i, v, _ = select(c._ch.recv_case(), c.done().recv_case())
    if i == 0:
        c._cause = SignalError(f"{_describe(int(v))} signal received")
        c._cancel(True, Canceled())


def notify_context(parent: Context, *sigs: SigLike) -> tuple[Context, Callable[[], None]]:
    """Return a copy of parent that is done when one of sigs arrives, stop is called, or parent
    is done, whichever is first; and stop.

    Until stop is called the signals are diverted to the context (SIGINT no longer raises
    KeyboardInterrupt): call stop as soon as the work under the context is over. After a
    signal, ``ctx.err()`` is Canceled ("context canceled") and ``ctx.cause()`` a SignalError
    ("interrupt signal received"); ``repr(ctx)`` is Go's String():
    ``signal.NotifyContext(context.Background, [interrupt terminated])``.

    Raises:
        ValueError: as notify.

    Go: signal.NotifyContext.
    """
    nums = tuple(_signums(sigs, "notify_context"))
    _main_only("notify_context")
    c = _SignalCtx(parent, nums)
    _propagate(parent, c)
    notify(c._ch, *nums)
    if c._err is None:
        _proc.current().go(_watch, (c,), {})
    return c, c._stop

# gonet.testing: test support — a pytest plugin and a virtual clock.
#
# Enable with `pytest -p gonet.testing` (or `pytest_plugins = ["gonet.testing"]` in a conftest).
# For every test it:
#   - runs the test function as a goroutine while the main goroutine waits, so the body is
#     ordinary gonet code; if every goroutine blocks, the body gets DeadlockError (with a
#     goroutine dump) at the line where it blocks, instead of hanging;
#   - turns a panic (an exception escaping any goroutine) into a failure of the test, rather
#     than the end of the test process;
#   - fails a test that leaves goroutines, fds or threads behind, naming them, with a dump of
#     the leaked goroutines; those goroutines are then unwound (GreenletExit) so that the next
#     test starts clean;
#   - offers the `virtual_clock` fixture: gonet.now(), sleep, timers and deadlines run on a
#     virtual clock that jumps to the next timer whenever every goroutine is blocked (trio's
#     autojump clock), so a test of a 30 s timeout takes milliseconds.
#
# Markers: `allow_leaks` (skip the leak check), `main_goroutine` (run the body in the main
# goroutine, as plain pytest would). Ini options: `gonet_leak_check`, `gonet_goroutine_tests`.
#
# Invariants:
# - Threads named gonet-pool-* (idle workers exit on their own) and gonet-sysmon (the watchdog)
#   are the runtime's and never count as leaks.
# - The runtime's own fds (epoll, eventfd) are created before the baseline is taken.
from __future__ import annotations

import contextlib
import gc
import inspect
import math
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from time import sleep as _thread_sleep  # bound at import: gonet.patch.time() may replace time.sleep
from typing import Any

import pytest

from gonet.errors import DeadlockError
from gonet.runtime import _proc
from gonet.runtime._traceback import format_dump, snapshot

__all__ = ["VirtualClock", "GoroutinePanic", "run_in_goroutine", "leak_report"]

_RUNTIME_THREADS = ("gonet-pool-", "gonet-sysmon")


class GoroutinePanic(Exception):
    """A goroutine other than the test's raised an exception (a panic) during the test."""


class _Unwind(BaseException):
    """Thrown into a leaked goroutine after its test to run its finally blocks and end it."""


# -- virtual clock -------------------------------------------------------------------------------


class VirtualClock:
    """A clock for one scheduler that stands still, and jumps to the next timer when idle.

    Installed on a scheduler, it replaces the clock behind gonet.now(), sleep(), timers and
    deadlines. Time moves only by jump(), or by itself (autojump) when no goroutine can run and
    none waits on a thread-pool call: it then advances straight to the next timer. I/O is still
    real: the hub polls the network (without blocking) before every jump, so a goroutine whose
    data has arrived runs first.

    Args:
        start: the initial time; default: the real monotonic clock rounded up to a whole
            second, so that timers armed before install keep their meaning.
        autojump_threshold: real seconds the scheduler must have been idle before a jump; 0
            jumps at once. Raise it when goroutines wait on I/O from another process.

    Go: none (testing/synctest's fake clock is the closest). Trio: MockClock(autojump_threshold=0).
    """

    def __init__(self, start: float | None = None, autojump_threshold: float = 0.0) -> None:
        # A whole number, so that virtual times add up exactly (t0 + 0.5 + 0.25 - t0 == 0.75);
        # not below the real clock, so timers armed before install stay in the future.
        self._now = float(math.ceil(time.monotonic())) if start is None else float(start)
        self.autojump_threshold = autojump_threshold
        self.jumps = 0
        self._sched: Any = None
        self._saved: tuple[Any, Any] | None = None
        self._idle_since: float | None = None
        self._idle_mark = -1

    def now(self) -> float:
        """Return the virtual time."""
        return self._now

    def jump(self, seconds: float) -> None:
        """Advance the clock by ``seconds``; due timers fire at the next scheduling point.

        Raises:
            ValueError: a negative jump (time never goes back).
        """
        if seconds < 0:
            raise ValueError(f"time cannot go back: jump({seconds})")
        self._now += seconds
        s = self._sched
        if s is not None:
            s.now = self._now

    def jump_to(self, when: float) -> None:
        """The scheduler's autojump hook: advance to ``when`` if the scheduler stays idle."""
        s = self._sched
        if s is not None and (s.external or s.inbox):
            # A thread-pool call is running: wait for it in real time, not virtual time.
            _thread_sleep(0.0005)
            return
        if self.autojump_threshold > 0 and s is not None:
            mark = s.n_parks + s.n_events
            t = time.monotonic()
            if mark != self._idle_mark or self._idle_since is None:
                self._idle_mark = mark
                self._idle_since = t
            if t - self._idle_since < self.autojump_threshold:
                _thread_sleep(min(0.001, self.autojump_threshold))
                return
            self._idle_since = None
        if when > self._now:
            self._now = when
            self.jumps += 1

    def install(self, sched: Any = None) -> None:
        """Make this the clock of ``sched`` (default: this thread's scheduler).

        The hub reads ``s.clock`` afresh every round, so the clock takes effect at once, also
        on a scheduler whose hub already runs.

        Raises:
            RuntimeError: already installed.
        """
        if self._sched is not None:
            raise RuntimeError("VirtualClock is already installed")
        s = sched if sched is not None else _proc.current()
        self._saved = (s.clock, s.autojump)
        self._sched = s
        s.clock = self.now
        s.autojump = self.jump_to
        s.now = self._now

    def uninstall(self) -> None:
        """Give the scheduler its previous clock back. Timers armed in virtual time stay armed."""
        s = self._sched
        if s is None or self._saved is None:
            return
        s.clock, s.autojump = self._saved
        s.now = s.clock()
        self._sched = None
        self._saved = None

    @contextlib.contextmanager
    def installed(self, sched: Any = None) -> Iterator[VirtualClock]:
        """Install for the duration of a ``with`` block."""
        self.install(sched)
        try:
            yield self
        finally:
            self.uninstall()


# -- running a function as a goroutine -----------------------------------------------------------


class _Box:
    __slots__ = ("done", "result", "exc", "g")

    def __init__(self) -> None:
        self.done = False
        self.result: Any = None
        self.exc: BaseException | None = None
        self.g: Any = None


_current_test: _Box | None = None


def run_in_goroutine(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run fn(*args, **kwargs) in a new goroutine while the caller waits; return its result.

    If every goroutine blocks, fn gets DeadlockError (its message carries a goroutine dump) at
    the point where it blocks, so its finally blocks run and the error points at the culprit.

    Raises:
        Whatever fn raises; DeadlockError.
    """
    global _current_test
    s = _proc.current()
    waiter = s.running()
    box = _Box()

    def body() -> None:
        try:
            box.result = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - handed to the waiter
            box.exc = e
        finally:
            box.done = True
            s.ready(waiter)

    outer = _current_test
    box.g = s.go(body, (), {})
    code = getattr(fn, "__code__", None)
    if code is not None:  # the test function stands for its runner as the creator
        box.g.created_by = code
        box.g.created_lasti = -1  # created_line: the function's first line
    _current_test = box
    deadlocked = False
    try:
        while not box.done:
            try:
                s.park("wait for test", getattr(fn, "__qualname__", None))
            except DeadlockError:
                if deadlocked or box.g.status != _proc.WAITING:
                    raise
                deadlocked = True
                # The waiting caller is not part of the story: dump everyone else.
                dump = format_dump([r for r in snapshot(all=True) if r.id != waiter.id])
                s.interrupt(box.g, DeadlockError(f"all goroutines are asleep - deadlock!\n\n{dump}"))
    finally:
        _current_test = outer
    if box.exc is not None:
        exc = box.exc
        box.exc = None
        raise exc
    return box.result


# -- leak report ---------------------------------------------------------------------------------


def _fds() -> set[int]:
    try:
        listed = [int(x) for x in os.listdir("/proc/self/fd")]
    except OSError:
        return set()
    # listdir's own directory fd is in the listing and already closed: keep only open fds.
    out = set()
    for fd in listed:
        try:
            os.fstat(fd)
        except OSError:
            continue
        out.add(fd)
    return out


def _fd_desc(fd: int) -> str:
    try:
        return f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}"
    except OSError:
        return str(fd)


def _threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if not t.name.startswith(_RUNTIME_THREADS)}


class _Baseline:
    """What existed before a test: goroutine ids, fds, threads."""

    def __init__(self, sched: Any) -> None:
        self.sched = sched
        self.gids = set(sched.gs)
        self.fds = _fds()
        self.threads = _threads()


def _new_goroutines(b: _Baseline) -> list[Any]:
    return [g for gid, g in list(b.sched.gs.items()) if gid not in b.gids]


def _sleep_main(seconds: float) -> None:
    """Let other goroutines run for a while (the caller is a goroutine of b.sched)."""
    from gonet.runtime import sleep

    with contextlib.suppress(DeadlockError):
        sleep(seconds)


def leak_report(b: _Baseline, settle: float = 2.0) -> str:
    """Return what a test left behind compared with baseline ``b`` ("" if nothing).

    Finished goroutines and exiting threads get up to ``settle`` seconds to go away first.
    """
    deadline = time.monotonic() + settle
    while _new_goroutines(b) and time.monotonic() < deadline:
        _sleep_main(0.002)
    problems = []
    leaked = _new_goroutines(b)
    dump = ""
    if leaked:
        ids = {g.id for g in leaked}
        infos = [r for r in snapshot(all=True) if r.id in ids]
        problems.append(
            f"{len(leaked)} goroutine(s) left: "
            + ", ".join(
                f"goroutine {r.id} [{r.reason}]" + (f" created by {r.created_by}" if r.created_by else "")
                for r in infos
            )
        )
        dump = format_dump(infos)
    gc.collect()
    extra_fds = _fds() - b.fds
    if extra_fds:
        problems.append("fds left: " + ", ".join(_fd_desc(fd) for fd in sorted(extra_fds)))
    while _threads() - b.threads and time.monotonic() < deadline:
        for t in _threads() - b.threads:
            t.join(0.05)
    extra_th = _threads() - b.threads
    if extra_th:
        problems.append("threads left: " + ", ".join(sorted(t.name for t in extra_th)))
    if not problems:
        return ""
    text = "test leaked: " + "; ".join(problems)
    if dump:
        text += "\n\nleaked goroutines:\n\n" + dump
    return text


def _unwind(b: _Baseline) -> None:
    """Unwind leaked goroutines (_Unwind at their park) so their finally blocks close fds.

    Not GreenletExit: a goroutine that ends by GreenletExit is not recycled by the runtime's
    free list as an ordinary exit is; _Unwind ends it the ordinary way (as a panic that our
    panic handler ignores).
    """
    s = b.sched
    for g in _new_goroutines(b):
        if g.status == _proc.WAITING:
            s.interrupt(g, _Unwind())
    deadline = time.monotonic() + 1.0
    while _new_goroutines(b) and time.monotonic() < deadline:
        _sleep_main(0.002)
    if _new_goroutines(b):
        # Still there (a goroutine that swallows GreenletExit): start the next test on a fresh
        # scheduler rather than on this one's leftovers.
        _proc._tls.__dict__.pop("sched", None)


# -- the pytest plugin ---------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "gonet_leak_check",
        "fail tests that leave goroutines, fds or threads behind",
        type="bool",
        default=True,
    )
    parser.addini("gonet_goroutine_tests", "run each test function as a goroutine", type="bool", default=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_leaks: the test may leave goroutines, fds or threads behind")
    config.addinivalue_line("markers", "main_goroutine: run the test body in the main goroutine")


_panics: list[tuple[int, BaseException]] = []


def _test_panic(g: Any, exc: BaseException) -> None:
    """panic_handler during a test: record the panic and fail the test (not the process)."""
    if isinstance(exc, _Unwind):
        return
    _panics.append((g.id, exc))
    box = _current_test
    if box is not None and not box.done and box.g is not g:
        err = GoroutinePanic(f"goroutine {g.id} panicked: {type(exc).__name__}: {exc}")
        err.__cause__ = exc
        box.g.sched.interrupt(box.g, err)


def _panic_text() -> str:
    parts = []
    for gid, exc in _panics:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        parts.append(f"panic in goroutine {gid}:\n{tb}")
    return "\n".join(parts)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    fn = pyfuncitem.obj
    if (
        not pyfuncitem.config.getini("gonet_goroutine_tests")
        or pyfuncitem.get_closest_marker("main_goroutine")
        or inspect.iscoroutinefunction(fn)
        or inspect.isasyncgenfunction(fn)
        or threading.current_thread() is not threading.main_thread()
    ):
        return None
    funcargs = pyfuncitem.funcargs
    kwargs = {name: funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    try:
        run_in_goroutine(fn, **kwargs)
    except GoroutinePanic:
        if not _panics:
            raise
    if _panics:
        # Report the panicking goroutine's traceback (the interesting one) here, once.
        text = _panic_text()
        _panics.clear()
        pytest.fail(text, pytrace=False)
    return True


@pytest.fixture(autouse=True)
def _gonet_test_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Turn panics into failures and fail a test that leaks goroutines, fds or threads."""
    sched = _proc.current()  # created first, so its epoll fd and eventfd are in the baseline
    check = request.config.getini("gonet_leak_check") and not request.node.get_closest_marker("allow_leaks")
    b = _Baseline(sched) if check else None
    saved = _proc.panic_handler
    _proc.panic_handler = _test_panic
    _panics.clear()
    try:
        yield
        report = leak_report(b) if b is not None else ""
        if b is not None and report:
            _unwind(b)
    finally:
        _proc.panic_handler = saved
    panics = _panic_text()
    _panics.clear()
    if panics or report:
        pytest.fail("\n\n".join(p for p in (panics, report) if p), pytrace=False)


@pytest.fixture
def virtual_clock() -> Iterator[VirtualClock]:
    """A VirtualClock installed on the test's scheduler for the test's duration (autojump)."""
    clock = VirtualClock()
    with clock.installed():
        yield clock

# Shared fixtures: every test must leave no goroutine, fd or thread behind.
#
# Tests run in the main thread, whose code is goroutine 1 of a scheduler that lives across
# tests. After each test the fixture lets finished goroutines drain (by parking main briefly,
# bounded), then compares goroutines, open fds and threads with the count before the test. A
# leak fails the test with the leaked objects named, and the scheduler is replaced so later
# tests start clean.
from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

import gonet
from gonet.runtime import _proc


def _fds() -> set[int]:
    return {int(x) for x in os.listdir("/proc/self/fd")}


def _threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if not t.name.startswith("gonet-pool")}


def _fd_desc(fd: int) -> str:
    try:
        return f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}"
    except OSError:
        return str(fd)


def _drain(baseline: int) -> None:
    deadline = gonet.now() + 2.0
    while gonet.num_goroutine() > baseline and gonet.now() < deadline:
        gonet.sleep(0.002)


@pytest.fixture(autouse=True)
def no_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves goroutines, fds or threads behind."""
    if request.node.get_closest_marker("allow_leaks"):
        yield
        return
    sched = _proc.current()
    g0 = len(sched.gs)
    fds0 = _fds()
    th0 = _threads()
    yield
    try:
        _drain(g0)
    except gonet.DeadlockError:
        pass
    problems = []
    live = [g for g in sched.gs.values() if g is not sched.main]
    if len(sched.gs) > g0:
        problems.append("goroutines left: " + ", ".join(repr(g) for g in live))
    import gc

    gc.collect()
    extra_fds = _fds() - fds0
    if extra_fds:
        problems.append("fds left: " + ", ".join(_fd_desc(fd) for fd in sorted(extra_fds)))
    deadline = gonet.now() + 2.0
    while _threads() - th0 and gonet.now() < deadline:
        for t in _threads() - th0:
            t.join(0.05)
    extra_th = _threads() - th0
    if extra_th:
        problems.append("threads left: " + ", ".join(t.name for t in extra_th))
    if problems:
        # Start the next test on a fresh scheduler rather than on this one's leftovers.
        _proc._tls.__dict__.pop("sched", None)
        pytest.fail("test leaked: " + "; ".join(problems), pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_leaks: the test deliberately leaves goroutines behind")

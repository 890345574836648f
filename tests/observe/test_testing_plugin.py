# The pytest plugin shipped with gonet (-p gonet.testing), run on sample test files in a child
# pytest (pytester), as a user's suite would run it.
from __future__ import annotations

import os
import textwrap
from typing import Any

import pytest

import gonet
from gonet import go, now, sleep
from gonet.runtime import _proc
from gonet.testing import VirtualClock

SRC = os.path.dirname(os.path.dirname(gonet.__file__))


def _run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, code: str, *args: str
) -> pytest.RunResult:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]))
    for var in ("GONET_TRACEBACK", "GONET_DEBUG", "GONET_SCHED_SEED"):
        monkeypatch.delenv(var, raising=False)
    pytester.makepyfile(test_sample=textwrap.dedent(code))
    result: pytest.RunResult = gonet.run_in_thread(
        pytester.runpytest_subprocess, "-p", "gonet.testing", "-p", "no:cacheprovider", *args, timeout=120
    )
    return result


LEAKS = """
    import socket
    import threading

    import pytest

    from gonet import go, net, sleep

    kept = []
    release = threading.Event()

    def test_clean():
        ln = net.listen("tcp", "127.0.0.1:0")
        go(sleep, 0.01)
        ln.close()

    def test_leaks_a_goroutine():
        ln = net.listen("tcp", "127.0.0.1:0")

        def serve_forever():
            with ln:
                ln.accept()

        go(serve_forever)

    def test_after_a_leak_the_next_test_is_clean():
        pass

    def test_leaks_an_fd():
        kept.append(socket.socket())

    def test_leaks_a_thread():
        threading.Thread(target=release.wait, name="stuck-worker", daemon=True).start()

    @pytest.mark.allow_leaks
    def test_allowed_to_leak():
        release.set()
        kept.pop().close()
        go(sleep, 0.05)
"""


def test_leak_checker_fails_leaking_tests_naming_what_leaked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _run(pytester, monkeypatch, LEAKS)
    r.assert_outcomes(passed=6, errors=3)
    out = r.stdout.str()
    assert "ERROR at teardown of test_leaks_a_goroutine" in out
    # The goroutine is named, with a dump showing where it is parked and who started it.
    r.stdout.fnmatch_lines(
        [
            "*test leaked: 1 goroutine(s) left: goroutine * [[]IO wait[]] created by test_sample.test_leaks_a_goroutine*",
            "leaked goroutines:",
            "goroutine * [[]IO wait[]]:",
            "# waiting on: fd * accept, <TCPListener tcp 127.0.0.1:*>",
        ]
    )
    assert "test_sample.test_leaks_a_goroutine.<locals>.serve_forever(...)" in out
    assert "ERROR at teardown of test_leaks_an_fd" in out
    r.stdout.fnmatch_lines(["*test leaked: fds left: * -> socket:[[]*[]]*"])
    assert "ERROR at teardown of test_leaks_a_thread" in out
    r.stdout.fnmatch_lines(["*test leaked: threads left: stuck-worker*"])
    assert "test_after_a_leak_the_next_test_is_clean" not in out.split("short test summary")[1]
    assert "test_allowed_to_leak" not in out.split("short test summary")[1]
    assert r.ret == 1


FAILURES = """
    import pytest

    from gonet import go, sleep
    from gonet.errors import DeadlockError
    from gonet.runtime import _proc

    def test_panic_in_another_goroutine():
        def boom():
            raise ValueError("boom in a goroutine")

        go(boom)
        sleep(5)  # interrupted: the test fails now, not after 5 s

    def test_still_running_after_the_panic():
        pass

    def test_deadlock():
        s = _proc.current()

        def stuck():
            s.park("chan receive", "<chan int>")

        go(stuck)
        s.park("chan receive", "<chan str>")

    def test_deadlock_is_an_exception_the_test_can_expect():
        with pytest.raises(DeadlockError, match="all goroutines are asleep"):
            _proc.current().park("select (no cases)")
"""


def test_panics_and_deadlocks_fail_the_test_not_the_process(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _run(pytester, monkeypatch, FAILURES)
    r.assert_outcomes(passed=2, failed=2, errors=1)  # + the goroutine stuck() leaks
    r.stdout.fnmatch_lines(
        [
            "*_ test_panic_in_another_goroutine _*",
            "panic in goroutine *:",
            "Traceback (most recent call last):",
            "*in boom",
            "*ValueError: boom in a goroutine",
        ]
    )
    # The deadlock surfaces where the test blocks, with a dump of every other goroutine.
    r.stdout.fnmatch_lines(
        [
            "*_ test_deadlock _*",
            '*s.park("chan receive", "<chan str>")',
            "*DeadlockError: all goroutines are asleep - deadlock!",
            "*goroutine * [[]chan receive[]]:",
            "*# waiting on: '<chan int>'",
            "*test_sample.test_deadlock.<locals>.stuck(...)",
        ]
    )


CLOCK = """
    import pytest

    from gonet import go, net, now, sleep
    from gonet.runtime import _proc

    def test_body_runs_as_a_goroutine():
        s = _proc.current()
        assert s.running() is not s.main

    @pytest.mark.main_goroutine
    def test_main_goroutine_marker():
        s = _proc.current()
        assert s.running() is s.main

    def test_an_hour_of_sleeps(virtual_clock):
        t0 = now()
        order = []

        def nap(d, name):
            sleep(d)
            order.append((name, now() - t0))

        go(nap, 1200, "b")
        go(nap, 600, "a")
        sleep(3600)
        assert order == [("a", 600), ("b", 1200)]
        assert now() - t0 == 3600
        assert virtual_clock.jumps >= 3

    def test_read_deadline_in_virtual_time(virtual_clock):
        ln = net.listen("tcp", "127.0.0.1:0")
        with ln, net.dial("tcp", f"127.0.0.1:{ln.addr().port}", timeout=2) as c, ln.accept() as s:
            t0 = now()
            s.set_read_deadline(t0 + 30)
            with pytest.raises(TimeoutError):
                s.read(bytearray(8))
            assert now() - t0 == 30

    def test_io_still_runs_first(virtual_clock):
        ln = net.listen("tcp", "127.0.0.1:0")
        with ln, net.dial("tcp", f"127.0.0.1:{ln.addr().port}", timeout=2) as c, ln.accept() as s:
            t0 = now()
            go(c.write, b"hi")
            s.set_read_deadline(t0 + 30)
            assert s.recv(8) == b"hi"
            assert now() == t0  # the data was there: no jump
"""


def test_goroutine_mode_and_virtual_clock(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    r = _run(pytester, monkeypatch, CLOCK, "--timeout=30")
    r.assert_outcomes(passed=5)


def test_the_plugin_can_be_switched_off_by_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\ngonet_goroutine_tests = false\ngonet_leak_check = false\n")
    r = _run(
        pytester,
        monkeypatch,
        """
        from gonet import go, sleep
        from gonet.runtime import _proc

        def test_in_main_and_leaking():
            s = _proc.current()
            assert s.running() is s.main
            go(sleep, 3600)
    """,
    )
    r.assert_outcomes(passed=1)


# -- VirtualClock in this process ------------------------------------------------------------------


def test_virtual_clock_fixture_here(virtual_clock: VirtualClock) -> None:
    t0 = now()
    sleep(86400)
    assert now() - t0 == 86400
    virtual_clock.jump(5)
    assert now() - t0 == 86405
    with pytest.raises(ValueError, match=r"time cannot go back: jump\(-1\)"):
        virtual_clock.jump(-1)


def test_virtual_clock_waits_for_the_thread_pool(virtual_clock: VirtualClock) -> None:
    import time

    t0 = now()
    done: list[float] = []
    go(lambda: done.append(gonet.run_in_thread(time.sleep, 0.05) or now() - t0))
    sleep(10)  # would jump at once, but a thread-pool call is running: wait for it first
    assert done == [0.0]
    assert now() - t0 == 10


def test_virtual_clock_install_and_uninstall() -> None:
    s = _proc.current()
    real = s.clock()
    clock = VirtualClock(start=1000.0)
    with clock.installed():
        assert gonet.now() == 1000.0
        sleep(1)
        assert gonet.now() == 1001.0
        with pytest.raises(RuntimeError):
            clock.install()
    assert s.autojump is None
    assert gonet.now() >= real


def test_autojump_threshold_waits_in_real_time() -> None:
    import time

    clock = VirtualClock(autojump_threshold=0.05)
    with clock.installed():
        w0 = time.monotonic()
        t0 = now()
        sleep(60)
        assert now() - t0 == 60
        assert time.monotonic() - w0 >= 0.05  # it waited for the threshold before jumping


def test_virtual_clock_installs_on_a_scheduler_whose_hub_already_runs() -> None:
    # The hub reads the scheduler's clock afresh every round: no wrapper installed in advance.
    import threading
    import time

    out: list[Any] = []

    def thread() -> None:
        sleep(0.001)  # the hub of this thread's new scheduler runs from here on
        s = _proc.current()
        assert s.hub
        real = s.clock
        with VirtualClock(start=5000.0).installed():
            w0 = time.monotonic()
            sleep(3600)
            out.append((now(), time.monotonic() - w0 < 5))
        out.append(s.clock is real)

    t = threading.Thread(target=thread)
    t.start()
    t.join()
    assert out == [(8600.0, True), True]

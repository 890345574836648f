"""Whole-program behaviour of the runtime, in fresh interpreters: no run() wrapper, quiet exit
without waiting for other goroutines, panics; one epoll instance per scheduler thread."""

from __future__ import annotations

import fcntl
import os
import re
import textwrap
import threading
from typing import Any

import pytest
from helpers import run_script, sched, wait_until

import gonet
from gonet.runtime import _proc


def test_main_code_is_goroutine_1_and_the_scheduler_starts_lazily() -> None:
    p = run_script(
        textwrap.dedent("""
        import greenlet
        import gonet
        from gonet.runtime import _proc
        print("scheduler before any call:", hasattr(_proc._tls, "sched"))
        ran = []
        g = gonet.go(ran.append, "child")
        s = _proc.current()
        print("main is goroutine", s.main.id, "running in this greenlet:",
              s.main.glet is greenlet.getcurrent())
        print("child ran before main blocked:", ran)
        gonet.sleep(0.001)
        print("child ran after main blocked:", ran, "child id", g.id)
    """)
    )
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert p.stdout.splitlines() == [
        "scheduler before any call: False",
        "main is goroutine 1 running in this greenlet: True",
        "child ran before main blocked: []",
        "child ran after main blocked: ['child'] child id 2",
    ]


def test_returning_from_main_ends_the_program_quietly_without_waiting() -> None:
    # Goroutines parked every way a goroutine can park, plus some never started, plus finally
    # blocks that would print or block: none may delay the exit or write anything.
    p = run_script(
        textwrap.dedent("""
        import sys, threading
        import gonet
        from gonet import net

        ln = net.listen("tcp", "127.0.0.1:0")
        c = net.dial("tcp", str(ln.addr()))
        s = ln.accept()

        def reader(conn):
            with conn:
                try:
                    conn.read(bytearray(10))
                finally:
                    print("reader finally ran")
                    gonet.sleep(1000)

        def sleeper():
            try:
                gonet.sleep(1000)
            finally:
                print("sleeper finally ran", file=sys.stderr)

        def never():
            print("a goroutine that never started ran")

        gonet.go(reader, s)
        gonet.go(s.read, bytearray(1))          # queued on the fd lock ("semacquire")
        gonet.go(sleeper)
        gonet.go(ln.accept)                      # IO wait on the listener
        gonet.go(gonet.run_in_thread, threading.Event().wait)  # a pool thread blocked forever
        gonet.sleep(0.05)
        for _ in range(3):
            gonet.go(never)                      # runnable, never run
        print("main done")
    """)
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout == "main done\n"
    assert p.stderr == ""


def test_an_exception_escaping_a_goroutine_is_a_panic_with_exit_status_2() -> None:
    p = run_script(
        textwrap.dedent("""
        import gonet

        def inner():
            raise ValueError("kaboom")

        def boom():
            gonet.sleep(0.001)
            inner()

        g = gonet.go(boom)
        print("started", g.id, flush=True)
        gonet.sleep(30)
        print("main resumed after the panic")
    """)
    )
    assert p.returncode == 2
    gid = int(p.stdout.split()[1])
    assert p.stdout == f"started {gid}\n"
    err = p.stderr
    assert err.startswith("panic: ValueError: kaboom\n"), err
    assert f"goroutine {gid} [running]:" in err
    assert "Traceback (most recent call last):" in err
    assert re.search(r"line \d+, in boom", err)
    assert re.search(r"line \d+, in inner", err)
    # Go's last lines: who started the goroutine, and where (the go statement).
    assert re.search(
        r"\nValueError: kaboom\ncreated by __main__\.\S+ in goroutine 1\n\t<string>:\d+\n\Z", err
    ), err


def test_panic_in_a_goroutine_woken_by_io_also_exits_2() -> None:
    p = run_script(
        textwrap.dedent("""
        import gonet
        from gonet import net
        ln = net.listen("tcp", "127.0.0.1:0")
        c = net.dial("tcp", str(ln.addr()))
        s = ln.accept()

        def handler():
            data = s.recv(100)
            raise RuntimeError("bad request: %r" % data)

        gonet.go(handler)
        gonet.sleep(0.01)
        c.write(b"hello")
        gonet.sleep(30)
    """)
    )
    assert p.returncode == 2
    assert p.stderr.startswith("panic: RuntimeError: bad request: b'hello'\n"), p.stderr


def test_systemexit_in_a_goroutine_ends_the_program_through_main() -> None:
    p = run_script(
        textwrap.dedent("""
        import sys
        import gonet
        def quit():
            sys.exit(3)
        gonet.go(quit)
        try:
            gonet.sleep(30)
        finally:
            print("main unwound")
    """)
    )
    assert p.returncode == 3, p.stderr
    assert p.stdout == "main unwound\n"
    assert p.stderr == ""


def test_ctrl_c_while_main_waits_in_epoll_is_raised_in_main() -> None:
    import signal
    import subprocess
    import sys

    from helpers import ROOT, SUB_ENV

    code = textwrap.dedent("""
        import gonet
        from gonet import net
        ln = net.listen("tcp", "127.0.0.1:0")
        gonet.go(gonet.sleep, 1000)
        try:
            print("ready", flush=True)
            ln.accept()  # no timer of main's own: the hub blocks in epoll_wait
        except KeyboardInterrupt:
            print("KeyboardInterrupt in main", flush=True)
    """)
    p = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=SUB_ENV,
        cwd=str(ROOT),
    )
    try:
        assert p.stdout is not None
        assert p.stdout.readline() == "ready\n"
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert out == "KeyboardInterrupt in main\n"
    assert err == ""
    assert p.returncode == 0


# -- one epoll per scheduler ----------------------------------------------------------------------


def _fdinfo_flags(fd: int) -> int:
    with open(f"/proc/self/fdinfo/{fd}") as f:
        for line in f:
            if line.startswith("flags:"):
                return int(line.split()[1], 8)
    raise AssertionError("no flags line")


def test_the_scheduler_has_one_close_on_exec_epoll_and_eventfd() -> None:
    s = sched()
    for fd in (s.poller.ep.fileno(), s.poller.wakefd):
        assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        assert _fdinfo_flags(fd) & os.O_CLOEXEC
    assert os.readlink(f"/proc/self/fd/{s.poller.ep.fileno()}") == "anon_inode:[eventpoll]"
    assert os.readlink(f"/proc/self/fd/{s.poller.wakefd}") == "anon_inode:[eventfd]"
    # The same instance serves every operation of this thread.
    ep = s.poller.ep.fileno()
    gonet.sleep(0.001)
    assert _proc.current() is s
    assert s.poller.ep.fileno() == ep


def test_each_thread_gets_its_own_scheduler_and_epoll_released_when_it_exits() -> None:
    main_sched = sched()
    seen: dict[str, object] = {}

    def thread_main() -> None:
        s = _proc.current()
        seen["sched"] = s
        seen["epfd"] = s.poller.ep.fileno()
        seen["main_id"] = s.main.id
        out: list[int] = []
        gonet.go(out.append, 1)
        gonet.sleep(0.001)  # this thread's own scheduler runs its own goroutine
        seen["out"] = out
        gonet.go(gonet.sleep, 1000)  # abandoned when the thread ends
        gonet.sleep(0.001)
        seen["fds"] = {s.poller.ep.fileno(), s.poller.wakefd}

    before = gonet.num_goroutine()
    t = threading.Thread(target=thread_main)
    t.start()
    t.join()
    assert seen["sched"] is not main_sched
    assert seen["epfd"] != main_sched.poller.ep.fileno()
    assert seen["out"] == [1]
    # The thread is gone: its scheduler no longer counts, its epoll and eventfd are closed.
    assert seen["sched"] not in _proc.all_schedulers()
    assert gonet.num_goroutine() == before
    for fd in seen["fds"]:  # type: ignore[attr-defined]
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except FileNotFoundError:
            continue
        assert target not in ("anon_inode:[eventpoll]", "anon_inode:[eventfd]"), (fd, target)


def test_pool_result_for_a_thread_that_has_ended_is_dropped_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    hook_errors: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda a: hook_errors.append(a.exc_value))
    release = threading.Event()
    finished = threading.Event()

    def job() -> str:
        release.wait(10)
        finished.set()
        return "late"

    seen: dict[str, object] = {}

    def thread_main() -> None:
        s = _proc.current()
        seen["sched"] = s
        gonet.go(gonet.run_in_thread, job)  # still outstanding when the thread ends
        gonet.sleep(0.001)

    t = threading.Thread(target=thread_main)
    t.start()
    t.join()
    assert seen["sched"].closed  # type: ignore[attr-defined]
    release.set()
    assert finished.wait(10)
    wait_until(lambda: gonet.runtime.stats()["thread_pool"]["queued"] == 0)
    gonet.run_in_thread(lambda: None)  # the pool is still healthy
    assert hook_errors == []


@pytest.mark.main_goroutine
def test_stats_reports_the_schedulers_counters() -> None:
    st = gonet.runtime.stats()
    s = sched()
    assert st["registrations"] == s.poller.registrations
    assert st["goroutines"] == len(s.gs)
    assert st["io_waiters"] == 0
    parks = st["parks"]
    gonet.sleep(0.001)
    assert gonet.runtime.stats()["parks"] == parks + 1


# -- main is goroutine 1 from the first gonet call -----------------------------------------------


@pytest.mark.parametrize(
    "first_call",
    [
        "gonet.Chan(0).recv()",
        "gonet.Chan(0).send(1)",
        "gonet.select(gonet.Chan().recv_case())",
        "gonet.nil_chan.recv()",
        "m = sync.Mutex(); m.lock(); m.lock()",
        "wg = sync.WaitGroup(); wg.add(1); wg.wait()",
    ],
)
def test_a_blocking_toolkit_call_as_mains_first_is_a_deadlock_not_a_hang(first_call: str) -> None:
    p = run_script(
        textwrap.dedent(f"""
        import gonet
        from gonet import sync
        try:
            {first_call}
        except gonet.DeadlockError as e:
            print("DeadlockError:", e)
    """),
        timeout=20,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout == "DeadlockError: all goroutines are asleep - deadlock!\n"


def test_a_plain_thread_that_never_used_gonet_still_blocks_on_a_channel() -> None:
    ch: gonet.Chan[str] = gonet.Chan()
    got: list[str | None] = []
    t = threading.Thread(target=lambda: got.append(ch.recv()))
    t.start()
    wait_until(lambda: bool(ch._recvq))
    ch.send("to the thread")
    gonet.run_in_thread(t.join)
    assert got == ["to the thread"]


# -- go(): created by, argument checks -----------------------------------------------------------


def _spawn_here() -> gonet.G:
    return gonet.go(gonet.sleep, 0.001)  # the line recorded as the go statement


def _wrapper(fn, *args):  # type: ignore[no-untyped-def]
    return gonet.go(fn, *args)


def test_go_records_the_function_that_ran_it_and_the_line_of_the_call() -> None:
    g = _spawn_here()
    assert g.created_by is _spawn_here.__code__
    assert g.created_line == _spawn_here.__code__.co_firstlineno + 1
    # A wrapper is the creator, as Go names errgroup.(*Group).Go.
    g2 = _wrapper(gonet.sleep, 0.001)
    assert g2.created_by is _wrapper.__code__
    assert g2.created_line == _wrapper.__code__.co_firstlineno + 1
    # The scheduler's own go (used by the toolkit) records its caller the same way.
    s = _proc.current()
    line = test_go_records_the_function_that_ran_it_and_the_line_of_the_call.__code__
    g3 = s.go(gonet.sleep, (0.001,), {})
    assert g3.created_by is line
    assert g3.created_line > line.co_firstlineno
    assert s.main.created_by is None
    gonet.sleep(0.01)


async def _coro_fn() -> None:
    pass


async def _agen_fn():  # type: ignore[no-untyped-def]
    yield 1


def test_go_of_a_coroutine_function_says_what_to_do() -> None:
    with pytest.raises(TypeError) as e:
        gonet.go(_coro_fn)
    assert str(e.value) == (
        "go() needs a plain function; _coro_fn is a coroutine function (async def). Goroutines "
        "run plain functions that block: define it with def and call gonet's blocking APIs "
        "instead of awaiting"
    )
    with pytest.raises(
        TypeError,
        match=r"^go\(\) needs a plain function; _agen_fn is an async "
        r"generator function \(async def with yield\)\.",
    ):
        gonet.go(_agen_fn)


def test_go_of_a_coroutine_object_says_what_to_do_and_closes_it() -> None:
    import warnings

    coro = _coro_fn()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited" on top
        with pytest.raises(TypeError) as e:
            gonet.go(coro)  # type: ignore[arg-type]
    assert str(e.value) == (
        "go() needs a plain function; got the coroutine object _coro_fn(), which only an event "
        "loop can run. Pass a function defined with def and its arguments: go(f, arg) rather "
        "than go(f(arg))"
    )
    assert coro.cr_frame is None  # closed
    with pytest.raises(TypeError, match=r"^go\(\) needs a callable, got int$"):
        gonet.go(3)  # type: ignore[arg-type]


def test_go_is_typed_so_wrong_arguments_are_mypy_errors(tmp_path: Any) -> None:
    import subprocess
    import sys

    pytest.importorskip("mypy")
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        textwrap.dedent("""
        import gonet

        def f(a: int, b: str) -> None: ...

        gonet.go(f, 1, "x")
        gonet.go(f, "1", "x")
        gonet.go(f, 1)
        gonet.go(f, 1, b=2)
    """)
    )
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-incremental",
            "--no-error-summary",
            "--hide-error-context",
            "--no-pretty",
            str(snippet),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line.split(": error: ", 1)[1] for line in r.stdout.splitlines() if ": error: " in line]
    lines = [int(line.split(":")[1]) for line in r.stdout.splitlines() if ": error: " in line]
    assert lines == [7, 8, 9], r.stdout
    assert errors[0].startswith('Argument 2 to "go" has incompatible type "str"; expected "int"')
    assert errors[1].startswith('Missing positional argument "b" in call to "go"')
    assert errors[2].startswith('Argument "b" to "go" has incompatible type "int"; expected "str"')

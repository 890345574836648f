# Panics and fatal errors end the process as Go's do: what is printed, what runs before the
# exit (logging, the standard streams) and what does not (other goroutines, atexit), the status.
from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import gonet
from gonet.debug import _goroutines_page
from gonet.runtime import _proc
from gonet.runtime._traceback import GoroutineInfo, creator_of, format_dump, format_groups


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    for var in ("GONET_TRACEBACK", "GONET_DEBUG", "GONET_SCHED_SEED"):
        full_env.pop(var, None)
    src = os.path.dirname(os.path.dirname(gonet.__file__))
    full_env["PYTHONPATH"] = os.pathsep.join([src, full_env.get("PYTHONPATH", "")])
    full_env["PYTHONWARNINGS"] = "ignore"  # a stale-extension warning must not shift stderr
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=30,
    )


def run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter (off the scheduler's thread) and return the result."""
    return gonet.run_in_thread(_run, code, env)


# -- panics: what runs before the exit ------------------------------------------------------------


def test_panic_flushes_a_memory_handler() -> None:
    r = run("""
        import logging, logging.handlers, sys
        from gonet import go, sleep

        out = logging.StreamHandler(sys.stdout)
        log = logging.getLogger("app")
        log.addHandler(logging.handlers.MemoryHandler(capacity=100, target=out))
        log.warning("written just before the panic")

        def boom():
            raise ValueError("boom")

        go(boom)
        sleep(1)
    """)
    assert r.returncode == 2, r
    assert r.stdout == "written just before the panic\n", r
    assert r.stderr.startswith("panic: ValueError: boom\n\ngoroutine "), r.stderr


def test_panic_waits_for_a_queue_listener() -> None:
    # The listener's handler is slow: without waiting for it the record dies with the process.
    r = run("""
        import logging, logging.handlers, queue, sys, time
        from gonet import go, sleep

        class Slow(logging.StreamHandler):
            def emit(self, record):
                time.sleep(0.2)
                super().emit(record)

        q = queue.Queue()
        listener = logging.handlers.QueueListener(q, Slow(sys.stderr))
        listener.start()
        log = logging.getLogger("app")
        log.addHandler(logging.handlers.QueueHandler(q))
        log.warning("queued just before the panic")

        def boom():
            raise ValueError("boom")

        go(boom)
        sleep(1)
    """)
    assert r.returncode == 2, r
    # The record comes out before the panic report, which ends the process.
    assert r.stderr.startswith("queued just before the panic\npanic: ValueError: boom\n"), r.stderr


def test_panic_flushes_stdout_and_skips_atexit_and_other_goroutines() -> None:
    r = run("""
        import atexit, sys
        from gonet import go, sleep

        atexit.register(lambda: print("atexit ran", flush=True))
        print("buffered output", end="")   # a pipe: block-buffered, not yet written

        def holder():
            try:
                sleep(60)
            finally:
                print("finally ran", flush=True)

        def boom():
            raise KeyError("k")

        go(holder)
        sleep(0.01)
        go(boom)
        sleep(1)
    """)
    assert r.returncode == 2, r
    assert r.stdout == "buffered output", r
    assert r.stderr.startswith("panic: KeyError: 'k'\n\ngoroutine 3 [running]:\nTraceback"), r.stderr
    # As in Go, the report ends with who started the goroutine (the go statement's function
    # and line are checked in test_created_by_in_a_dump_is_the_go_statement).
    assert re.search(
        r"\nKeyError: 'k'\ncreated by __main__\.\S+ in goroutine 1\n\t<string>:\d+\n\Z", r.stderr
    ), r.stderr


# -- fatal errors ---------------------------------------------------------------------------------

_DEADLOCK = """
    import logging, logging.handlers, sys
    from gonet import Chan, go

    log = logging.getLogger("app")
    log.addHandler(logging.handlers.MemoryHandler(100, target=logging.StreamHandler(sys.stdout)))

    def worker(ch):
        ch.recv()

    requests = Chan()
    go(worker, requests)
    log.warning("about to wait")
    replies = Chan()
    replies.recv()
"""


def test_uncaught_deadlock_is_a_fatal_error_with_every_goroutine() -> None:
    r = run(_DEADLOCK)
    assert r.returncode == 2, r
    assert r.stdout == "about to wait\n", r  # logging is flushed, as for a panic
    err = r.stderr
    assert "Traceback" not in err, err
    m = re.fullmatch(
        r"fatal error: all goroutines are asleep - deadlock!\n\n"
        r"goroutine 1 \[chan receive\]:\n"
        r"# waiting on: <Chan cap=0 len=0 at 0x[0-9a-f]+>\n"
        r"(?:gonet\._(?:chan|sema)\.\S+\(\.\.\.\)\n\t\S+_(?:chan|sema)\.py:\d+\n)+"
        r"__main__\.<module>\(\.\.\.\)\n\t<string>:15\n\n"
        r"goroutine 2 \[chan receive\]:\n"
        r"# waiting on: <Chan cap=0 len=0 at 0x[0-9a-f]+>\n"
        r"(?:gonet\._(?:chan|sema)\.\S+\(\.\.\.\)\n\t\S+_(?:chan|sema)\.py:\d+\n)+"
        r"__main__\.worker\(\.\.\.\)\n\t<string>:9\n"
        r"created by \S+ in goroutine 1\n\t<string>:\d+\n",
        err,
    )
    assert m, err


def test_deadlock_error_stays_catchable() -> None:
    r = run("""
        from gonet import Chan, DeadlockError
        from gonet.runtime import current

        current()  # this thread runs goroutines (a plain thread would wait for other threads)
        try:
            Chan().recv()
        except DeadlockError as e:
            print("caught:", e)
    """)
    assert (r.returncode, r.stdout, r.stderr) == (0, "caught: all goroutines are asleep - deadlock!\n", "")


def _run_interactive(code: str) -> subprocess.CompletedProcess[str]:
    src = os.path.dirname(os.path.dirname(gonet.__file__))
    env = dict(os.environ, PYTHONPATH=src, PYTHONWARNINGS="ignore")
    return subprocess.run(
        [sys.executable, "-i", "-c", code],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )


def test_interactive_session_survives_a_deadlock_report() -> None:
    r = gonet.run_in_thread(
        _run_interactive, "from gonet import Chan, go\ngo(print, 'started')\nChan().recv()"
    )
    assert r.returncode == 0, r  # the session went on, to the end of its (empty) input
    assert (
        "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\n" in r.stderr
    ), r


def test_other_exceptions_keep_pythons_traceback_and_status_1() -> None:
    r = run("""
        import gonet
        raise ValueError("plain")
    """)
    assert r.returncode == 1, r
    assert r.stderr.startswith("Traceback (most recent call last):\n"), r.stderr
    assert r.stderr.endswith("ValueError: plain\n"), r.stderr


def test_excepthook_installed_before_gonet_still_gets_other_exceptions() -> None:
    r = run("""
        import sys
        sys.excepthook = lambda t, e, tb: print("mine:", e, flush=True)
        import gonet
        raise ValueError("plain")
    """)
    assert (r.returncode, r.stdout) == (1, "mine: plain\n"), r


# -- "created by": the function that ran the go statement, and its line ---------------------------


def spawn_point() -> None:
    """A function whose code object stands for the creator of a goroutine."""


def test_created_by_names_the_go_statements_function_and_line() -> None:
    code = spawn_point.__code__
    g = SimpleNamespace(created_by=code, created_line=code.co_firstlineno + 1)
    func, where = creator_of(g)
    assert re.fullmatch(r"(tests\.)?test_panic\.spawn_point", func), func
    assert where == f"{code.co_filename}:{code.co_firstlineno + 1}"
    assert creator_of(SimpleNamespace(created_by=None)) == ("", "")
    rec = GoroutineInfo(7, _proc.WAITING, "sleep", 0.0, "", [], func, where, 3)
    assert format_dump([rec]) == f"goroutine 7 [sleep]:\ncreated by {func} in goroutine 3\n\t{where}\n"
    assert format_groups([rec]).endswith(f"# created by {func}\t{where}\n")
    page = _goroutines_page([rec])
    assert f'<p class="created">created by {func} <span class="where">{html.escape(where)}</span></p>' in page


_CREATED_BY = """
    from gonet import go, sleep
    from gonet.runtime import stack

    def idle():
        sleep(60)

    def spawner():
        go(idle)

    go(spawner)
    sleep(0.01)
    print(stack(), flush=True)

    def boom():
        raise ValueError("boom")

    go(boom)
    sleep(1)
"""


def test_created_by_in_a_dump_is_the_go_statement() -> None:
    r = run(_CREATED_BY)
    assert r.returncode == 2, r
    assert re.search(
        r"^__main__\.idle\(\.\.\.\)\n\t<string>:6\n"
        r"created by __main__\.spawner in goroutine \d+\n\t<string>:9\n",
        r.stdout,
        re.M,
    ), r.stdout
    # The panic report names the go statement too.
    assert r.stderr.endswith(
        "ValueError: boom\ncreated by __main__.<module> in goroutine 1\n\t<string>:18\n"
    ), r.stderr

# Goroutine dumps: Go's format, and what each wait reason shows (gonet.runtime.stack).
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

import gonet
from gonet import _accel, go, gosched, net, now, sleep
from gonet.runtime import _proc, stack
from gonet.runtime._traceback import format_groups, snapshot


def _block(text: str, gid: int) -> str:
    """Return the dump block of goroutine gid."""
    m = re.search(rf"^goroutine {gid} \[.*?(?=^goroutine \d+ \[|\Z)", text, re.S | re.M)
    assert m, f"goroutine {gid} missing from dump:\n{text}"
    return m.group(0)


def _settle() -> None:
    for _ in range(5):
        gosched()
    sleep(0.01)


def reader(conn: Any) -> None:
    try:
        conn.read(bytearray(16))
    except OSError:
        pass


def acceptor(ln: Any) -> None:
    try:
        ln.accept().close()
    except OSError:
        pass


def sleeper(seconds: float) -> None:
    sleep(seconds)


def test_io_wait_shows_fd_direction_peer_and_deadline() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    client = net.dial("tcp", f"127.0.0.1:{ln.addr().port}", timeout=2)
    server = ln.accept()
    server.set_read_deadline(now() + 30)
    g = go(reader, server)
    a = go(acceptor, ln)
    _settle()
    text = stack()
    b = _block(text, g.id)
    assert b.startswith(f"goroutine {g.id} [IO wait]:\n")
    peer = client.local_addr()
    assert re.search(
        rf"# waiting on: fd {server.fileno()} read, <TCPConn tcp \S+->{re.escape(str(peer))}>,"
        r" deadline in 2\d\.\d{3}s\n",
        b,
    ), b
    # Frames innermost first, each "func(...)" then a tab and file:line; the caller at the bottom.
    # A compiled Conn.read has no Python frame: the dump then starts at the line calling it.
    conn_read_compiled = _accel.compiled().get("gonet.net._net", False)
    if not conn_read_compiled:
        assert re.search(r"gonet\.net\._net\.SocketConn\.read\(\.\.\.\)\n\t\S+_net\.py:\d+\n", b), b
    assert re.search(
        r"tests?\.test_traceback\.reader\(\.\.\.\)\n\t\S+test_traceback\.py:\d+\n", b
    ) or re.search(r"test_traceback\.reader\(\.\.\.\)\n\t\S+test_traceback\.py:\d+\n", b), b
    if not conn_read_compiled:
        assert b.index("Conn.read") < b.index("reader(")
    me = _proc.current().running().id
    assert re.search(
        rf"created by \S*test_traceback\.test_io_wait_shows_fd_direction_peer_and_deadline "
        rf"in goroutine {me}\n\t\S+test_traceback\.py:\d+",
        b,
    ), b
    ab = _block(text, a.id)
    assert f"# waiting on: fd {ln.fileno()} accept, <TCPListener tcp {ln.addr()}>" in ab, ab
    # The scheduler's own frames (park, the goroutine loop) are hidden, as Go hides gopark.
    assert "gonet.runtime._proc" not in text
    server.close()
    client.close()
    ln.close()
    sleep(0.01)


def test_sleep_shows_timer_and_minutes_waited() -> None:
    g = go(sleeper, 600)
    _settle()
    b = _block(stack(), g.id)
    assert b.startswith(f"goroutine {g.id} [sleep]:\n")  # under a minute: no minutes, as Go
    assert re.search(r"# waiting on: timer due in 59\d\.\d{3}s\n", b), b
    assert "gonet.runtime.sleep(...)" in b
    # Go prints whole minutes once a goroutine has waited a full minute.
    g.waitsince -= 185
    assert _block(stack(), g.id).startswith(f"goroutine {g.id} [sleep, 3 minutes]:\n")
    g.waitsince -= 3600  # 3 min 5 s + 1 h: whole minutes, rounded down
    assert _block(stack(), g.id).startswith(f"goroutine {g.id} [sleep, 63 minutes]:\n")
    _proc.current().ready(g)
    sleep(0.01)


def test_fd_lock_wait_shows_semacquire() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    client = net.dial("tcp", f"127.0.0.1:{ln.addr().port}", timeout=2)
    server = ln.accept()
    first = go(reader, server)
    second = go(reader, server)  # reads are serialised: this one waits for the fd's read lock
    _settle()
    text = stack()
    # Which of the two takes the lock first is the scheduler's business; one holds it and
    # waits for data, the other waits for the lock.
    blocks = sorted((_block(text, first.id), _block(text, second.id)), key=lambda b: "[semacquire]" in b)
    assert re.match(r"goroutine \d+ \[IO wait\]:\n", blocks[0]), blocks[0]
    assert re.match(r"goroutine \d+ \[semacquire\]:\n", blocks[1]), blocks[1]
    assert f"# waiting on: fd {server.fileno()} read lock\n" in blocks[1], blocks[1]
    client.write(b"x")
    client.write(b"y")
    sleep(0.01)
    server.close()
    client.close()
    ln.close()
    sleep(0.01)


def test_thread_pool_wait_names_the_call() -> None:
    g = go(gonet.run_in_thread, time.sleep, 0.3)
    _settle()
    b = _block(stack(), g.id)
    assert b.startswith(f"goroutine {g.id} [thread pool]:\n"), b
    assert "# waiting on: thread pool call time.sleep\n" in b, b
    while g.status != _proc.DEAD:
        sleep(0.01)


def _waiting_on(text: str, gid: int) -> str:
    """Return the "# waiting on:" text of goroutine gid's block ("" if it has none)."""
    m = re.search(r"^# waiting on: (.*)$", _block(text, gid), re.M)
    return m.group(1) if m else ""


def _swallow(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - how the wait ends does not matter here
        pass


def test_fd_write_lock_wait_names_the_write_lock() -> None:
    # A writer queued behind another on a conn's write lock, while no reader ever contended
    # (the fd's read-lock queue does not exist yet): the dump used to show a TypeError.
    ln = net.listen("tcp", "127.0.0.1:0")
    client = net.dial("tcp", f"127.0.0.1:{ln.addr().port}", timeout=2)
    server = ln.accept()
    big = bytes(64 << 20)  # more than loopback's socket buffers hold: the writer parks
    first = go(_swallow, server.write, big)
    _settle()
    second = go(_swallow, server.write, b"x")
    _settle()
    text = stack()
    fd = server.fileno()
    assert _block(text, first.id).startswith(f"goroutine {first.id} [IO wait]:\n")
    assert re.fullmatch(
        rf"fd {fd} write, <TCPConn tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+>", _waiting_on(text, first.id)
    ), text
    assert _block(text, second.id).startswith(f"goroutine {second.id} [semacquire]:\n")
    assert _waiting_on(text, second.id) == f"fd {fd} write lock"
    server.close()
    client.close()
    ln.close()
    sleep(0.01)


def test_fd_close_waits_for_in_flight_operations() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    client = net.dial("tcp", f"127.0.0.1:{ln.addr().port}", timeout=2)
    server = ln.accept()
    fd = server.fileno()
    server._fd.incref()  # an operation in flight: close() waits for it to leave
    closer = go(server.close)
    _settle()
    b = _block(stack(), closer.id)
    assert b.startswith(
        f"goroutine {closer.id} [semacquire]:\n# waiting on: fd {fd} close, waiting "
        "for in-flight operations to leave\n"
    ), b
    server._fd.decref()
    sleep(0.01)
    client.close()
    ln.close()


def test_io_wait_write_shows_write_deadline() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    client = net.dial("tcp", f"127.0.0.1:{ln.addr().port}", timeout=2)
    server = ln.accept()
    server.set_write_deadline(now() + 40)
    g = go(_swallow, server.write, bytes(64 << 20))
    _settle()
    assert re.fullmatch(
        rf"fd {server.fileno()} write, <TCPConn tcp \S+->\S+>, deadline in 3\d\.\d{{3}}s",
        _waiting_on(stack(), g.id),
    )
    server.close()
    client.close()
    ln.close()
    sleep(0.01)


def test_chan_waits_show_the_channel() -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    buf: gonet.Chan[int] = gonet.Chan(1)
    buf.send(1)
    r = go(_swallow, ch.recv)
    w = go(_swallow, buf.send, 2)
    _settle()
    text = stack()
    assert _block(text, r.id).startswith(f"goroutine {r.id} [chan receive]:\n# waiting on: {ch!r}\n")
    assert _block(text, w.id).startswith(f"goroutine {w.id} [chan send]:\n# waiting on: {buf!r}\n")
    assert repr(ch).startswith("<Chan cap=0 len=0 at 0x")
    assert repr(buf).startswith("<Chan cap=1 len=1 at")
    ch.close()
    buf.close()
    sleep(0.01)


def test_select_wait_lists_its_cases() -> None:
    a: gonet.Chan[int] = gonet.Chan()
    b: gonet.Chan[int] = gonet.Chan()
    g = go(_swallow, gonet.select, a.recv_case(), b.send_case(5))
    _settle()
    text = stack()
    assert _block(text, g.id).startswith(f"goroutine {g.id} [select]:\n")
    assert _waiting_on(text, g.id) == f"select on recv {a!r}, send {b!r}"
    a.close()
    sleep(0.01)


def test_waits_nothing_can_end_say_so() -> None:
    gs = {
        "chan receive (nil chan)": go(_swallow, gonet.nil_chan.recv),
        "chan send (nil chan)": go(_swallow, gonet.nil_chan.send, 1),
        "select (no cases)": go(_swallow, gonet.select),
    }
    _settle()
    text = stack()
    for reason, g in gs.items():
        assert _block(text, g.id).startswith(
            f"goroutine {g.id} [{reason}]:\n# waiting on: nothing can wake it: blocked forever\n"
        ), text
        _proc.current().interrupt(g, gonet.ClosedChannelError("unblock"))
    sleep(0.01)


def test_dial_race_wait_says_how_far_it_got() -> None:
    from gonet.net._dial import _Race

    race: list[Any] = []

    def dialer() -> None:
        race.append(_Race())
        race[0].wait()

    g = go(dialer)
    _settle()
    assert _block(stack(), g.id).startswith(
        f"goroutine {g.id} [select]:\n# waiting on: dial race (Happy Eyeballs), 0 attempt(s) reported\n"
    )
    race[0].timer_fired()
    sleep(0.01)


def test_sync_waits_show_the_primitive() -> None:
    from gonet import context, sync

    mu, rw, wg, sem = sync.Mutex(), sync.RWMutex(), sync.WaitGroup(), sync.Semaphore(1)
    cond = sync.Cond(sync.Mutex())
    mu.lock()
    rw.lock()
    wg.add(1)
    sem.acquire()
    ctx, cancel = context.with_cancel(context.background())

    def cond_wait() -> None:
        with cond.L:
            cond.wait()

    gs = {
        "sync.Mutex.Lock": go(mu.lock),
        "sync.RWMutex.Lock": go(rw.lock),
        "sync.RWMutex.RLock": go(rw.rlock),
        "sync.WaitGroup.Wait": go(wg.wait),
        "semacquire": go(sem.acquire),
        "sync.Cond.Wait": go(cond_wait),
    }
    with_ctx = go(_swallow, sem.acquire, 1, ctx)
    _settle()
    text = stack()
    for reason, g in gs.items():
        assert _block(text, g.id).startswith(f"goroutine {g.id} [{reason}]:\n"), text
    assert re.fullmatch(r"<Mutex locked waiters=1>", _waiting_on(text, gs["sync.Mutex.Lock"].id))
    assert _waiting_on(text, gs["sync.RWMutex.Lock"].id) == "<RWMutex writer waiters=2>"
    assert _waiting_on(text, gs["sync.RWMutex.RLock"].id) == "<RWMutex writer waiters=2>"
    assert _waiting_on(text, gs["sync.WaitGroup.Wait"].id) == "<WaitGroup n=1 waiters=1>"
    assert _waiting_on(text, gs["semacquire"].id) == "<Semaphore 1/1 waiters=2>"
    assert _waiting_on(text, with_ctx.id) == "<Semaphore 1/1 waiters=2>"
    assert _waiting_on(text, gs["sync.Cond.Wait"].id) == "<Cond waiters=1>"
    cancel()
    mu.unlock()
    rw.unlock()
    wg.done()
    sem.release()
    sleep(0.01)
    mu.unlock()
    rw.unlock()
    rw.runlock()
    sem.release()
    cond.broadcast()
    sleep(0.01)


def test_pipe_waits_show_the_side_and_the_lock() -> None:
    a, b = net.pipe()
    reader = go(_swallow, a.read, bytearray(4))
    _settle()
    text = stack()
    assert _block(text, reader.id).startswith(f"goroutine {reader.id} [select]:\n")
    assert _waiting_on(text, reader.id) == "pipe read, waiting for the other end to write, <PipeConn>"
    a.set_write_deadline(now() + 20)
    w1 = go(_swallow, a.write, b"hello")
    _settle()
    w2 = go(_swallow, a.write, b"again")
    _settle()
    text = stack()
    assert re.fullmatch(
        r"pipe write, 5 byte\(s\) not yet read by the other end, <PipeConn>, "
        r"deadline in 19\.\d{3}s",
        _waiting_on(text, w1.id),
    ), text
    assert _block(text, w2.id).startswith(f"goroutine {w2.id} [semacquire]:\n")
    assert _waiting_on(text, w2.id) == f"lock held by goroutine {w1.id}, 1 of 1 in line"
    a.close()
    b.close()
    sleep(0.01)


class Foreign:
    """A wait object that is not a WaitObject: a dump shows its repr."""

    def __repr__(self) -> str:
        return "<foreign wait object>"


class Broken:
    """A WaitObject whose description fails: the dump says so and goes on."""

    def describe_wait(self, g: Any, now: float) -> str:
        raise LookupError("gone")


def test_other_wait_objects_show_their_repr_and_never_break_the_dump() -> None:
    s = _proc.current()
    f = go(s.park, "custom wait", Foreign())
    b = go(s.park, "broken wait", Broken())
    _settle()
    text = stack()
    assert _waiting_on(text, f.id) == "<foreign wait object>"
    assert _waiting_on(text, b.id) == "<Broken: LookupError('gone')>"
    s.ready(f)
    s.ready(b)
    sleep(0.01)


def test_running_and_runnable_goroutines() -> None:
    me = _proc.current().running()

    def here() -> str:
        return stack(all=False)

    text = here()
    # Only the caller, shown running, with the function that called stack() on top.
    assert text.startswith(f"goroutine {me.id} [running]:\n")
    assert (
        re.match(
            rf"goroutine {me.id} \[running\]:\n\S*test_traceback\.test_running_and_runnable_goroutines"
            r"\.<locals>\.here\(\.\.\.\)",
            text,
        )
        or "here(...)" in text.splitlines()[1]
    ), text
    assert len(re.findall(r"^goroutine \d+ \[", text, re.M)) == 1
    g = go(sleeper, 0)  # not started yet: Go shows the entry function
    full = stack()
    assert full.startswith(f"goroutine {me.id} [running]:\n"), "the caller comes first"
    b = _block(full, g.id)
    assert re.match(rf"goroutine {g.id} \[runnable\]:\n\S*test_traceback\.sleeper\(\.\.\.\)\n", b), b
    sleep(0.01)


def test_system_traceback_shows_runtime_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    g = go(sleeper, 60)
    _settle()
    monkeypatch.setenv("GONET_TRACEBACK", "system")
    if _proc.__file__.endswith(".py"):  # compiled by the accelerator, it has no Python frames
        assert "gonet.runtime._proc.Scheduler.park(...)" in _block(stack(), g.id)
    monkeypatch.delenv("GONET_TRACEBACK")
    assert "gonet.runtime._proc" not in _block(stack(), g.id)
    _proc.current().ready(g)
    sleep(0.01)


def test_grouped_dump_counts_identical_stacks() -> None:
    gs = [go(sleeper, 60) for _ in range(3)]
    _settle()
    text = format_groups(snapshot())
    m = re.search(r"^3 @ \[sleep\] goroutines (\d+), (\d+), (\d+)\n", text, re.M)
    assert m, text
    assert sorted(int(x) for x in m.groups()) == sorted(g.id for g in gs)
    assert text.startswith("goroutine profile: total ")
    after = text[m.end() :]
    assert after.startswith("#\tgonet.runtime.sleep\t"), after
    for g in gs:
        _proc.current().ready(g)
    sleep(0.01)


# -- whole-process behaviour: SIGQUIT and GONET_TRACEBACK ------------------------------------------

_CHILD = textwrap.dedent("""
    import sys
    from gonet import go, net, sleep

    def idle():
        sleep(3600)

    def serve(ln):
        ln.accept()

    go(idle)
    ln = net.listen("tcp", "127.0.0.1:0")
    go(serve, ln)
    sleep(0.01)
    print("ready", flush=True)
    sleep(30)
    print("still running", flush=True)
""")


def _run_child(
    code: str,
    env: dict[str, str] | None = None,
    sig: bool = True,
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    for var in ("GONET_TRACEBACK", "GONET_DEBUG", "GONET_SCHED_SEED"):
        full_env.pop(var, None)
    src = os.path.dirname(os.path.dirname(gonet.__file__))
    full_env["PYTHONPATH"] = os.pathsep.join([src, full_env.get("PYTHONPATH", "")])
    full_env.update(env or {})
    p = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env
    )
    try:
        assert p.stdout is not None
        if sig:
            line = p.stdout.readline()
            assert line == "ready\n", (line, p.stderr.read() if p.stderr else "")
            p.send_signal(signal.SIGQUIT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def test_sigquit_dumps_every_goroutine_and_exits_2() -> None:
    r = gonet.run_in_thread(_run_child, _CHILD)
    assert r.returncode == 2, r
    assert "still running" not in r.stdout
    err = r.stderr
    assert err.startswith(
        ("SIGQUIT: quit\n\ngoroutine 1 [running]:\n", "SIGQUIT: quit\n\ngoroutine 1 [sleep]:\n")
    ), err
    assert re.search(
        r"^goroutine \d+ \[sleep\]:\n# waiting on: timer due in 3\d{3}\.\d{3}s\n"
        r"gonet\.runtime\.sleep\(\.\.\.\)\n\t\S+\n__main__\.idle\(\.\.\.\)\n\t<string>:\d+\n"
        r"created by __main__\.<module> in goroutine 1\n\t<string>:11\n",
        err,
        re.M,
    ), err
    assert re.search(
        r"^goroutine \d+ \[IO wait\]:\n# waiting on: fd \d+ accept, <TCPListener tcp 127\.0\.0\.1:\d+>\n",
        err,
        re.M,
    ), err


def test_sigquit_dump_mode_keeps_running() -> None:
    r = gonet.run_in_thread(
        _run_child, _CHILD.replace("sleep(30)", "sleep(0.5)"), {"GONET_DEBUG": "sigquit=dump"}
    )
    assert r.returncode == 0, r
    assert "still running" in r.stdout
    assert r.stderr.startswith("SIGQUIT: quit\n\ngoroutine 1 ["), r.stderr


def test_sigquit_off_leaves_python_default() -> None:
    code = "from gonet.runtime import set_sigquit\nset_sigquit('off')\n" + _CHILD
    r = gonet.run_in_thread(_run_child, code)
    assert r.returncode == -signal.SIGQUIT, r
    assert "goroutine" not in r.stderr


def test_sigquit_ignored_at_start_still_dumps() -> None:
    # A shell starts background jobs with SIGQUIT ignored; Go's runtime still dumps, so do we.
    code = "import signal\nsignal.signal(signal.SIGQUIT, signal.SIG_IGN)\n" + _CHILD
    r = gonet.run_in_thread(_run_child, code)
    assert r.returncode == 2, r
    assert r.stderr.startswith("SIGQUIT: quit\n\ngoroutine 1 ["), r.stderr


def test_sigquit_handler_of_the_program_is_kept() -> None:
    code = (
        "import signal, sys\nsignal.signal(signal.SIGQUIT, lambda *a: (print('mine', flush=True),"
        " sys.exit(7)))\n" + _CHILD
    )
    r = gonet.run_in_thread(_run_child, code)
    assert r.returncode == 7, r
    assert "mine" in r.stdout
    assert "goroutine" not in r.stderr


def test_panic_with_gonet_traceback_all_dumps_every_goroutine() -> None:
    code = textwrap.dedent("""
        from gonet import go, sleep

        def idle():
            sleep(3600)

        def boom():
            raise ValueError("boom")

        go(idle)
        sleep(0.01)
        go(boom)
        sleep(1)
        print("not reached", flush=True)
    """)
    plain = gonet.run_in_thread(_run_child, code, {}, False)
    assert plain.returncode == 2
    assert "panic: ValueError: boom" in plain.stderr
    assert "[sleep]" not in plain.stderr  # without GONET_TRACEBACK only the panicking goroutine
    r = gonet.run_in_thread(_run_child, code, {"GONET_TRACEBACK": "all"}, False)
    assert r.returncode == 2, r
    assert "not reached" not in r.stdout
    assert r.stderr.startswith("panic: ValueError: boom\n"), r.stderr
    assert re.search(r"^goroutine \d+ \[sleep\]:\n# waiting on: timer due in", r.stderr, re.M), r.stderr
    assert re.search(r"^goroutine 1 \[sleep\]:\n", r.stderr, re.M), r.stderr
    # The panicking goroutine is shown once, with its traceback, not again as an empty block.
    assert len(re.findall(r"^goroutine \d+ \[running\]:", r.stderr, re.M)) == 1, r.stderr

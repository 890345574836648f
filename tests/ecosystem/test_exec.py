# gonet.exec (Go's os/exec): Cmd, pipes on the netpoller, exit waits, ctx kill, Go's error texts.
#
# Every test runs real processes. The exit-wait tests run once per way of waiting (pidfd, the
# SIGCHLD fallback, the thread fallback), forced through gonet.exec._wait.WAIT_MODE; each test
# checks that its child was reaped (no zombie) and the plugin checks fds, goroutines, threads.
from __future__ import annotations

import errno
import io
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SUB_ENV

import gonet
from gonet import context
from gonet import exec as gexec
from gonet import os as gos
from gonet.errors import Canceled, DeadlineExceeded
from gonet.exec import _wait

MODES = ["pidfd", "sigchld", "thread"]


@pytest.fixture(params=MODES)
def wait_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "pidfd" and not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfd_open")
    monkeypatch.setattr(_wait, "WAIT_MODE", request.param)
    return str(request.param)


def assert_reaped(pid: int) -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    assert not Path(f"/proc/{pid}").exists() or "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


def sh(script: str, **kw: object) -> gexec.Cmd:
    return gexec.command("sh", "-c", script, **kw)  # type: ignore[arg-type]


# -- running and exit states ------------------------------------------------------------------


def test_output_returns_stdout(wait_mode: str) -> None:
    cmd = gexec.command("echo", "hello", "world")
    assert cmd.output() == b"hello world\n"
    assert cmd.process is not None
    assert cmd.process.wait_mode() == wait_mode
    assert cmd.process_state is not None
    assert cmd.process_state.success()
    assert cmd.process_state.exit_code() == 0
    assert str(cmd.process_state) == "exit status 0"
    assert_reaped(cmd.process.pid)


def test_exit_status_is_go_text(wait_mode: str) -> None:
    cmd = sh("echo partial; echo oops >&2; exit 3")
    with pytest.raises(gexec.ExitError, match=r"^exit status 3$") as ei:
        cmd.output()
    e = ei.value
    assert e.exit_code() == 3
    assert e.exited()
    assert not e.success()
    assert e.stderr == b"oops\n"
    assert e.stdout == b"partial\n"
    assert e.pid() == cmd.process.pid  # type: ignore[union-attr]
    assert_reaped(e.pid())


def test_killed_by_signal_texts(wait_mode: str) -> None:
    with pytest.raises(gexec.ExitError, match=r"^signal: terminated$") as ei:
        sh("kill -TERM $$").run()
    assert ei.value.exit_code() == -1
    assert not ei.value.exited()
    assert ei.value.process_state.signal() == signal.SIGTERM
    with pytest.raises(gexec.ExitError, match=r"^signal: killed$"):
        sh("kill -KILL $$").run()
    with pytest.raises(gexec.ExitError, match=r"^signal: interrupt$"):
        sh("kill -INT $$").run()


def test_start_then_wait_and_process_fields(wait_mode: str) -> None:
    cmd = gexec.command("true")
    with pytest.raises(RuntimeError, match=r"^exec: not started$"):
        cmd.wait()
    cmd.start()
    with pytest.raises(RuntimeError, match=r"^exec: already started$"):
        cmd.start()
    cmd.wait()
    with pytest.raises(RuntimeError, match=r"^exec: Wait was already called$"):
        cmd.wait()
    assert cmd.process is not None
    with pytest.raises(gexec.ErrProcessDone, match=r"^os: process already finished$"):
        cmd.process.kill()
    assert cmd.process_state is not None
    assert cmd.process_state.pid() == cmd.process.pid
    assert cmd.process_state.user_time() >= 0.0


def test_many_waits_at_once_keep_siblings_running(wait_mode: str) -> None:
    ticks = 0
    stop = gonet.Chan()

    def ticker() -> None:
        nonlocal ticks
        while gonet.select(stop.recv_case(), default=True).index != 0:
            ticks += 1
            gonet.sleep(0.005)

    gonet.go(ticker)
    cmds = [gexec.command("sleep", "0.2") for _ in range(10)]
    for c in cmds:
        c.start()
    for c in cmds:
        c.wait()
    stop.close()
    assert ticks > 3  # the sibling ran while ten children were waited for
    for c in cmds:
        assert_reaped(c.process.pid)  # type: ignore[union-attr]


def test_process_wait_deadline_leaves_child_unreaped(wait_mode: str) -> None:
    cmd = sh("read x")
    w = cmd.stdin_pipe()
    cmd.start()
    assert cmd.process is not None
    assert cmd.process.wait(deadline=gonet.now() + 0.05) is None
    assert os.waitid(os.P_PID, cmd.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
    w.write(b"go\n")
    cmd.wait()
    assert_reaped(cmd.process.pid)


# -- context ---------------------------------------------------------------------------------------


def test_ctx_deadline_kills_the_process(wait_mode: str) -> None:
    ctx, cancel = context.with_timeout(context.background(), 0.05)
    try:
        cmd = gexec.command("sleep", "30", ctx=ctx)
        with pytest.raises(gexec.ExitError, match=r"^signal: killed$"):
            cmd.run()
        assert isinstance(ctx.err(), DeadlineExceeded)
        assert_reaped(cmd.process.pid)  # type: ignore[union-attr]
    finally:
        cancel()


def test_ctx_done_before_start_does_not_start() -> None:
    ctx, cancel = context.with_cancel(context.background())
    cancel()
    cmd = gexec.command_context(ctx, "true")
    with pytest.raises(Canceled, match=r"^context canceled$"):
        cmd.run()
    assert cmd.process is None


def test_ctx_cancel_with_custom_cancel_and_clean_exit_reports_ctx_err() -> None:
    # The cancel function interrupts the child, which then exits 0: Wait reports ctx.err().
    ctx, cancel = context.with_cancel(context.background())
    cmd = sh("trap 'exit 0' TERM; echo ready; while :; do sleep 0.01; done", ctx=ctx)
    cmd.cancel = lambda: cmd.process.signal(signal.SIGTERM)  # type: ignore[union-attr]
    out = cmd.stdout_pipe()
    cmd.start()
    buf = bytearray(16)
    assert out.read(buf) == 6
    cancel()
    with pytest.raises(Canceled, match=r"^context canceled$"):
        cmd.wait()
    assert cmd.process_state is not None
    assert cmd.process_state.success()


def test_cancel_without_ctx_is_refused() -> None:
    cmd = gexec.command("true")
    cmd.cancel = lambda: None
    with pytest.raises(RuntimeError, match=r"not created with CommandContext"):
        cmd.run()


def test_wait_delay_when_a_grandchild_holds_the_pipe() -> None:
    # The shell exits at once, but its background child keeps stdout open: without wait_delay
    # wait() would wait for that EOF as long as the grandchild lives.
    cmd = sh("sleep 30 & echo $!")
    cmd.wait_delay = 0.1
    out = io.BytesIO()
    cmd.stdout = out
    with pytest.raises(gexec.ErrWaitDelay, match=r"^exec: WaitDelay expired before I/O complete$"):
        cmd.run()
    grandchild = int(out.getvalue().split()[0])
    os.kill(grandchild, signal.SIGKILL)


# -- lookup and start errors ------------------------------------------------------------------


def test_not_found_in_path() -> None:
    cmd = gexec.command("gonet-no-such-program")
    assert isinstance(cmd.err, gexec.Error)
    assert str(cmd) == "gonet-no-such-program"
    with pytest.raises(
        gexec.Error, match=r'^exec: "gonet-no-such-program": executable file not found in \$PATH$'
    ) as ei:
        cmd.run()
    assert isinstance(ei.value, FileNotFoundError)
    assert isinstance(ei.value.err, gexec.ErrNotFound)


def test_look_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prog = tmp_path / "prog"
    prog.write_text("#!/bin/sh\necho from-prog\n")
    prog.chmod(0o755)
    plain = tmp_path / "plain"
    plain.write_text("data")
    (tmp_path / "dir").mkdir()
    monkeypatch.setenv("PATH", f"/nonexistent:{tmp_path}")
    assert gexec.look_path("prog") == str(prog)
    with pytest.raises(gexec.Error, match=r'^exec: "plain": executable file not found in \$PATH$'):
        gexec.look_path("plain")
    with pytest.raises(gexec.Error, match=r'^exec: "' + str(plain) + r'": permission denied$') as ei:
        gexec.look_path(str(plain))
    assert isinstance(ei.value, PermissionError)
    with pytest.raises(gexec.Error, match=r": is a directory$"):
        gexec.look_path(str(tmp_path / "dir"))
    assert gexec.command("prog").output() == b"from-prog\n"


def test_look_path_refuses_a_relative_path_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prog = tmp_path / "dotprog"
    prog.write_text("#!/bin/sh\nexit 0\n")
    prog.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", ".")
    with pytest.raises(
        gexec.Error, match=r'^exec: "dotprog": cannot run executable found relative to current directory$'
    ) as ei:
        gexec.look_path("dotprog")
    assert isinstance(ei.value.err, gexec.ErrDot)


def test_fork_exec_error_names_the_path(tmp_path: Path) -> None:
    cmd = gexec.Cmd(str(tmp_path / "missing"))
    with pytest.raises(gos.PathError, match=r"^fork/exec .*/missing: no such file or directory$") as ei:
        cmd.run()
    assert isinstance(ei.value, FileNotFoundError)
    assert cmd.process is None


def test_no_command() -> None:
    with pytest.raises(ValueError, match=r"^exec: no command$"):
        gexec.Cmd("").run()


def test_string_shows_resolved_path() -> None:
    cmd = gexec.command("sh", "-c", "true")
    assert str(cmd).endswith("/sh -c true")
    assert str(cmd).startswith("/")


# -- stdin, stdout, stderr -------------------------------------------------------------------


def test_stdin_from_bytes_and_readers() -> None:
    cmd = gexec.command("cat")
    cmd.stdin = b"from bytes"
    assert cmd.output() == b"from bytes"
    cmd = gexec.command("cat")
    cmd.stdin = io.BytesIO(b"from a python file")
    assert cmd.output() == b"from a python file"
    cmd = gexec.command("cat")
    cmd.stdin = "text"
    with pytest.raises(TypeError, match=r"stdin must be bytes or a binary reader, not str"):
        cmd.run()


def test_stdout_and_stderr_to_writers_and_shared() -> None:
    out, err = io.BytesIO(), io.BytesIO()
    cmd = sh("echo to-out; echo to-err >&2")
    cmd.stdout, cmd.stderr = out, err
    cmd.run()
    assert out.getvalue() == b"to-out\n"
    assert err.getvalue() == b"to-err\n"
    assert sh("echo a; echo b >&2; echo c").combined_output() == b"a\nb\nc\n"


def test_output_and_pipe_misuse_messages() -> None:
    cmd = gexec.command("true")
    cmd.stdout = io.BytesIO()
    with pytest.raises(RuntimeError, match=r"^exec: Stdout already set$"):
        cmd.output()
    with pytest.raises(RuntimeError, match=r"^exec: Stdout already set$"):
        cmd.stdout_pipe()
    cmd = gexec.command("true")
    cmd.stderr = io.BytesIO()
    with pytest.raises(RuntimeError, match=r"^exec: Stderr already set$"):
        cmd.combined_output()
    cmd = gexec.command("true")
    cmd.run()
    with pytest.raises(RuntimeError, match=r"^exec: StdinPipe after process started$"):
        cmd.stdin_pipe()


def test_output_keeps_prefix_and_suffix_of_long_stderr() -> None:
    cmd = gexec.command(
        sys.executable, "-c", "import sys; sys.stderr.write('a'*40000 + 'b'*40000); sys.exit(1)"
    )
    with pytest.raises(gexec.ExitError, match=r"^exit status 1$") as ei:
        cmd.output()
    st = ei.value.stderr
    assert st.startswith(b"a" * 32768 + b"\n... omitting 14464 bytes ...\n")
    assert st.endswith(b"b" * 32768)


def test_env_and_dir(tmp_path: Path) -> None:
    show = "import os; print(os.environ.get('FOO'), os.environ.get('PWD'), os.getcwd())"
    cmd = gexec.command(sys.executable, "-c", show)
    cmd.env = ["FOO=1", "FOO=2"]
    cmd.dir = str(tmp_path)
    assert cmd.output() == f"2 None {tmp_path}\n".encode()
    cmd = gexec.command(sys.executable, "-c", show)
    cmd.dir = str(tmp_path)
    assert cmd.output() == f"None {tmp_path} {tmp_path}\n".encode()
    assert f"PWD={tmp_path}" in cmd.environ()
    cmd = gexec.command("true")
    cmd.env = ["A=\0"]
    with pytest.raises(ValueError, match=r"^exec: environment variable contains NUL"):
        cmd.run()


def test_files_passed_directly(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    f = gos.create(str(target))
    try:
        cmd = gexec.command("echo", "into a file")
        cmd.stdout = f
        cmd.run()
    finally:
        f.close()
    assert target.read_bytes() == b"into a file\n"
    # A pollable File (a pipe end) reaches the child as a blocking description of the pipe.
    r, w = gos.pipe()
    try:
        cmd = gexec.command("cat")
        cmd.stdin = r
        out = cmd.stdout_pipe()
        cmd.start()
        w.write(b"through a gonet.os pipe")
        w.close()
        buf = bytearray(64)
        got = bytearray()
        while n := out.read(buf):
            got += buf[:n]
        cmd.wait()
        assert got == b"through a gonet.os pipe"
    finally:
        r.close()


def test_extra_files_inherited_at_their_numbers() -> None:
    r, w = os.pipe()
    try:
        cmd = gexec.command(sys.executable, "-c", f"import os; os.write({w}, b'hi from extra')")
        cmd.extra_files = [w]
        cmd.run()
        assert os.read(r, 100) == b"hi from extra"
    finally:
        os.close(r)
        os.close(w)


def test_pipes_stream_both_ways_and_wait_closes_them() -> None:
    cmd = gexec.command("cat")
    stdin = cmd.stdin_pipe()
    stdout = cmd.stdout_pipe()
    cmd.start()
    assert stdout.pollable()
    for i in range(50):
        msg = f"line {i}\n".encode()
        stdin.write(msg)
        buf = bytearray(len(msg))
        got = 0
        while got < len(msg):
            got += stdout.read(memoryview(buf)[got:])
        assert buf == msg
    stdin.close()
    stdin.close()  # closing twice is harmless (Go: closeOnce)
    assert stdout.read(bytearray(8)) == 0
    cmd.wait()
    assert stdout.fileno() == -1
    with pytest.raises(gos.PathError, match=r"^read \|0: file already closed$"):
        stdout.read(bytearray(8))


def test_write_to_exited_child_is_a_broken_pipe() -> None:
    cmd = gexec.command("true")
    stdin = cmd.stdin_pipe()
    cmd.start()
    cmd.process.wait()  # type: ignore[union-attr]
    with pytest.raises(gos.PathError, match=r"^write \|1: broken pipe$") as ei:
        stdin.write(b"x" * 200000)
    assert isinstance(ei.value, BrokenPipeError)
    assert ei.value.errno == errno.EPIPE
    stdin.close()


def test_stdin_copy_ignores_epipe() -> None:
    cmd = gexec.command("true")
    cmd.stdin = b"x" * (4 << 20)  # far more than a pipe holds: the copy meets EPIPE
    cmd.run()


def test_read_deadline_on_stdout_pipe() -> None:
    cmd = gexec.command("sleep", "5")
    out = cmd.stdout_pipe()
    cmd.start()
    out.set_read_deadline(gonet.now() + 0.05)
    with pytest.raises(gos.PathError, match=r"^read \|0: i/o timeout$") as ei:
        out.read(bytearray(10))
    assert isinstance(ei.value, TimeoutError)
    cmd.process.kill()  # type: ignore[union-attr]
    with pytest.raises(gexec.ExitError, match=r"^signal: killed$"):
        cmd.wait()


def test_streams_100_mib_through_cat_checking_every_byte(wait_mode: str) -> None:
    total = 100 << 20
    block = bytes(range(256)) * 1024  # 256 KiB; offsets below stay block-aligned modulo 256
    cmd = gexec.command("cat")
    stdin = cmd.stdin_pipe()
    stdout = cmd.stdout_pipe()
    cmd.start()

    def feed() -> None:
        for _ in range(total // len(block)):
            stdin.write(block)
        stdin.close()

    gonet.go(feed)
    buf = bytearray(len(block))
    view = memoryview(buf)
    doubled = block + block
    got = 0
    while True:
        n = stdout.read(view)
        if not n:
            break
        off = got % len(block)
        assert view[:n] == doubled[off : off + n], f"mismatch in the {n} bytes at offset {got}"
        got += n
    cmd.wait()
    assert got == total


def test_env_var_selects_the_fallback() -> None:
    code = (
        "from gonet import exec as e\n"
        "c = e.command('true'); c.start(); print(c.process.wait_mode()); c.wait()\n"
    )
    for mode in ("sigchld", "thread"):
        env = {**SUB_ENV, "GONET_EXEC_WAIT": mode}
        res = run_script_env(code, env)
        assert res.returncode == 0, res.stderr
        assert res.stdout == f"{mode}\n"
    res = run_script_env(code, {**SUB_ENV, "GONET_EXEC_WAIT": "bogus"})
    assert "GONET_EXEC_WAIT must be one of auto, pidfd, sigchld, thread; got 'bogus'" in res.stderr


def run_script_env(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=env)


def test_sigchld_fallback_restores_the_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_wait, "WAIT_MODE", "sigchld")
    before = signal.getsignal(signal.SIGCHLD)
    gexec.command("true").run()
    assert signal.getsignal(signal.SIGCHLD) == before


def test_exec_in_another_thread_waits_without_signals() -> None:
    # A goroutine of another thread's scheduler cannot take SIGCHLD: it waits on a pool thread.
    res = run_script_env(
        "import threading\n"
        "from gonet import exec as e\n"
        "out = []\n"
        "def body():\n"
        "    c = e.command('sh', '-c', 'exit 5'); c.start(); out.append(c.process.wait_mode())\n"
        "    try: c.wait()\n"
        "    except e.ExitError as x: out.append(str(x))\n"
        "t = threading.Thread(target=body); t.start(); t.join(); print(out)\n",
        {**SUB_ENV, "GONET_EXEC_WAIT": "sigchld"},
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == "['thread', 'exit status 5']\n"


def test_executable_bits(tmp_path: Path) -> None:
    prog = tmp_path / "noexec"
    prog.write_text("#!/bin/sh\n")
    prog.chmod(stat.S_IRUSR)
    cmd = gexec.command(str(prog))  # a path is not looked up: the exec itself fails
    with pytest.raises(gos.PathError, match=r"^fork/exec .*/noexec: permission denied$") as ei:
        cmd.run()
    assert isinstance(ei.value, PermissionError)


class _Boom(Exception):
    pass


class _FailingWriter:
    def __init__(self, after: int) -> None:
        self.left = after

    def write(self, data: bytes) -> int:
        self.left -= len(data)
        if self.left < 0:
            raise _Boom("writer refused")
        return len(data)


class _FailingReader:
    def __init__(self) -> None:
        self.calls = 0

    def read(self, buf: memoryview) -> int:
        self.calls += 1
        if self.calls > 3:
            raise _Boom("reader broke")
        buf[:4] = b"data"
        return 4


def test_a_failing_stdout_writer_ends_the_copy_and_the_child() -> None:
    # The copy stops and closes its end; `yes` then dies of SIGPIPE, which wait() reports
    # (the process's fate comes first, as in Go).
    cmd = gexec.command("yes")
    cmd.stdout = _FailingWriter(1 << 20)
    with pytest.raises(gexec.ExitError, match=r"^signal: broken pipe$"):
        cmd.run()
    assert_reaped(cmd.process.pid)  # type: ignore[union-attr]


def test_a_failing_stdin_reader_is_reported_by_wait() -> None:
    cmd = gexec.command("cat")
    cmd.stdin = _FailingReader()
    out = io.BytesIO()
    cmd.stdout = out
    with pytest.raises(_Boom, match=r"^reader broke$"):
        cmd.run()
    assert out.getvalue() == b"data" * 3  # the child saw EOF after what was read
    assert cmd.process_state is not None
    assert cmd.process_state.success()


def test_a_kernel_without_pidfd_falls_back_to_sigchld(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pidfd(pid: int, flags: int = 0) -> int:
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(_wait, "WAIT_MODE", "auto")
    monkeypatch.setattr(_wait, "_has_pidfd", True)  # restored after the test
    monkeypatch.setattr(os, "pidfd_open", no_pidfd)
    cmd = sh("exit 9")
    with pytest.raises(gexec.ExitError, match=r"^exit status 9$"):
        cmd.run()
    assert cmd.process is not None
    assert cmd.process.wait_mode() == "sigchld"
    assert _wait._has_pidfd is False  # remembered: later starts do not try again
    assert_reaped(cmd.process.pid)


def test_python_files_with_a_descriptor_are_passed_directly(tmp_path: Path) -> None:
    target = tmp_path / "log.txt"
    with open(target, "w") as f:  # noqa: PTH123 - a Python text file, as sys.stdout is
        f.write("buffered first\n")  # still in the file object's buffer: flushed before the child
        cmd = gexec.command("echo", "then the child")
        cmd.stdout = f
        cmd.run()
    assert target.read_text() == "buffered first\nthen the child\n"
    src = tmp_path / "in.txt"
    src.write_bytes(b"from a python file\n")
    with open(src, "rb") as f:  # noqa: PTH123
        cmd = gexec.command("cat")
        cmd.stdin = f
        assert cmd.output() == b"from a python file\n"

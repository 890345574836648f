# gonet.patch._subprocess: subprocess's waits and communicate() park the goroutine when patched,
# and run the stdlib's own code in plain threads and after unpatching.
from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from helpers import parked, spawn, wait_until

import gonet
from gonet.exec import _wait
from gonet.patch import _subprocess as psub

NAMES = ["subprocess.Popen._wait", "subprocess.Popen.communicate", "subprocess._PopenSelector"]


@pytest.fixture
def patched() -> Iterator[None]:
    assert psub.patch_subprocess() == NAMES
    try:
        yield
    finally:
        assert psub.unpatch_subprocess() == NAMES


@pytest.fixture(params=["pidfd", "sigchld", "thread"])
def wait_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(_wait, "WAIT_MODE", request.param)
    return str(request.param)


def test_patch_is_idempotent_and_unpatch_restores() -> None:
    orig_wait = subprocess.Popen.__dict__["_wait"]
    orig_comm = subprocess.Popen.__dict__["communicate"]
    orig_sel = subprocess._PopenSelector  # type: ignore[attr-defined]
    assert not psub.is_patched()
    assert psub.patch_subprocess() == NAMES
    try:
        assert psub.is_patched()
        assert psub.patch_subprocess() == []
        assert subprocess.Popen.__dict__["_wait"] is not orig_wait
        assert subprocess._PopenSelector is psub.GoSelector  # type: ignore[attr-defined]
    finally:
        assert psub.unpatch_subprocess() == NAMES
    assert psub.unpatch_subprocess() == []
    assert subprocess.Popen.__dict__["_wait"] is orig_wait
    assert subprocess.Popen.__dict__["communicate"] is orig_comm
    assert subprocess._PopenSelector is orig_sel  # type: ignore[attr-defined]


def test_wait_parks_the_goroutine(patched: None, wait_mode: str) -> None:
    p = subprocess.Popen(["sh", "-c", "read x; exit 7"], stdin=subprocess.PIPE)
    fut = spawn(p.wait)
    want = {"pidfd": "IO wait", "sigchld": "chan receive", "thread": "thread pool"}[wait_mode]
    wait_until(parked(fut, want), what=f"Popen.wait parked ({want})")
    assert p.stdin is not None
    p.stdin.write(b"go\n")
    p.stdin.close()
    assert fut.result() == 7
    assert p.returncode == 7
    with pytest.raises(ChildProcessError):
        os.waitpid(p.pid, os.WNOHANG)


def test_run_capture_input_and_exit_status(patched: None, wait_mode: str) -> None:
    r = subprocess.run(["sh", "-c", "cat; echo err >&2; exit 4"], input=b"x" * 300000, capture_output=True)
    assert r.returncode == 4
    assert r.stdout == b"x" * 300000
    assert r.stderr == b"err\n"
    assert subprocess.check_output(["echo", "one pipe"]) == b"one pipe\n"
    assert subprocess.run(["echo", "text"], capture_output=True, text=True).stdout == "text\n"
    with pytest.raises(subprocess.CalledProcessError, match=r"returned non-zero exit status 2"):
        subprocess.run(["sh", "-c", "exit 2"], check=True)


def test_timeouts_raise_timeout_expired(patched: None, wait_mode: str) -> None:
    with pytest.raises(subprocess.TimeoutExpired, match=r"timed out after 0\.0[45]\d* seconds"):
        subprocess.run(["sleep", "10"], timeout=0.05)
    p = subprocess.Popen(["sleep", "10"])
    with pytest.raises(subprocess.TimeoutExpired, match=r"timed out after 0.02 seconds"):
        p.wait(timeout=0.02)
    assert p.returncode is None  # still running: not reaped
    p.kill()
    assert p.wait() == -9
    p = subprocess.Popen(["sh", "-c", "exec sleep 10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with pytest.raises(subprocess.TimeoutExpired):
        p.communicate(timeout=0.05)
    p.kill()
    out, err = p.communicate()  # communication resumes after a timeout, as in the stdlib
    assert (out, err) == (b"", b"")
    assert p.returncode == -9


def test_siblings_run_while_children_are_waited_for(patched: None) -> None:
    ticks = 0
    stop = gonet.Chan()

    def ticker() -> None:
        nonlocal ticks
        while gonet.select(stop.recv_case(), default=True).index != 0:
            ticks += 1
            gonet.sleep(0.005)

    gonet.go(ticker)
    subprocess.run(["sleep", "0.2"])
    stop.close()
    assert ticks > 3


def test_plain_thread_runs_the_stdlib_code(patched: None) -> None:
    out: list[object] = []

    def body() -> None:
        sel = psub.GoSelector()
        sel.close()
        r = subprocess.run(["sh", "-c", "echo plain; exit 3"], capture_output=True, timeout=10)
        out.append((r.returncode, r.stdout))

    t = threading.Thread(target=body)
    t.start()
    while t.is_alive():
        gonet.sleep(0.01)
    assert out == [(3, b"plain\n")]


def test_go_selector_select_times_out_and_reports_ready(patched: None) -> None:
    import selectors

    r, w = os.pipe()
    sel = psub.GoSelector()
    try:
        sel.register(r, selectors.EVENT_READ)
        assert sel.select(0.02) == []
        assert sel.select(0) == []
        os.write(w, b"x")
        ready = sel.select(5)
        assert [(k.fd, ev) for k, ev in ready] == [(r, selectors.EVENT_READ)]
    finally:
        sel.close()
        os.close(r)
        os.close(w)


def test_python_child_roundtrip(patched: None) -> None:
    code = "import sys; sys.stdout.write(sys.stdin.read().upper())"
    r = subprocess.run([sys.executable, "-c", code], input="abc", capture_output=True, text=True)
    assert r.stdout == "ABC"


def test_communicate_parks_on_the_netpoller(patched: None) -> None:
    r, w = os.pipe()
    # The child answers only once the test writes to fd r: until then communicate() waits.
    child = f"import os, sys; print('got', os.read({r}, 9).decode().strip()); print('note', file=sys.stderr)"
    try:
        p = subprocess.Popen(
            [sys.executable, "-c", child],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=[r],
        )
        fut = spawn(p.communicate)
        wait_until(parked(fut, "IO wait"), what="communicate parked on the selector's epoll fd")
        os.write(w, b"go\n")
        assert fut.result() == (b"got go\n", b"note\n")
        assert p.returncode == 0
    finally:
        os.close(r)
        os.close(w)

"""`gonet serve --workers N`: the app served by N processes on one socket under the supervisor —
every worker answers, --max-requests recycles them without a failed request, SIGTERM drains and
exits 0, and usage errors are one line with exit status 2."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from helpers import SUB_ENV

import gonet
from gonet import net
from gonet.bufio import Reader

APP = """
import os


def app(environ, start_response):
    body = ("pid %d" % os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def _run(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    (tmp_path / "wapp.py").write_text(textwrap.dedent(APP))
    return subprocess.Popen(
        [sys.executable, "-m", "gonet.cli", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=SUB_ENV,
        cwd=tmp_path,
    )


def _get(addr: str) -> bytes:
    """One request on its own connection (Connection: close); return the body."""
    with net.dial("tcp", addr) as c:
        c.set_deadline(gonet.now() + 30)
        c.write(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        rd = Reader(c)
        assert rd.read_bytes(b"\n") == b"HTTP/1.1 200 OK\r\n"
        while rd.read_bytes(b"\n") != b"\r\n":
            pass
        out = bytearray()
        buf = bytearray(256)
        while n := rd.read(buf):
            out += buf[:n]
        return bytes(out)


def test_workers_all_serve_recycle_at_max_requests_and_drain_on_sigterm(tmp_path: Path) -> None:
    p = _run(tmp_path, "wapp:app", "--workers", "2", "--bind", "127.0.0.1:0", "--max-requests", "3")
    try:
        assert p.stderr is not None
        first = str(gonet.run_in_thread(p.stderr.readline))
        m = re.search(r"listening on tcp (127\.0\.0\.1:\d+) \(shared by 2 workers\)$", first.rstrip())
        assert m, first
        addr = m.group(1)
        # Every request succeeds while workers reach their limit and are replaced (each
        # replacement starts before the old worker stops): no refused or reset connection.
        pids: set[bytes] = set()
        sent = 0
        while len(pids) < 4 and sent < 2000:
            body = _get(addr)
            sent += 1
            assert body.startswith(b"pid ")
            pids.add(body)
            gonet.sleep(0.005)
        assert len(pids) >= 4, (sent, pids)
        p.send_signal(signal.SIGTERM)
        out, err = gonet.run_in_thread(p.communicate, timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            gonet.run_in_thread(p.communicate, timeout=30)
    assert p.returncode == 0, err
    assert "reached max_requests 3: replacing it" in err
    # 3 when the signal lands while a recycled worker's replacement runs beside it.
    assert re.search(r"SIGTERM: graceful shutdown of [23] workers", err), err
    assert err.rstrip().endswith("shutdown complete"), err
    assert out.count("gonet serve: listening on http://") >= 4


def test_a_bad_app_is_one_line_and_exit_2_before_anything_listens(tmp_path: Path) -> None:
    p = _run(tmp_path, "nosuchmodule:app", "--workers", "2", "--bind", "127.0.0.1:0")
    out, err = gonet.run_in_thread(p.communicate, timeout=60)
    assert p.returncode == 2
    assert err == "gonet serve: cannot import module \"nosuchmodule\": No module named 'nosuchmodule'\n"
    assert out == ""


def test_worker_flags_without_workers_are_a_usage_error(tmp_path: Path) -> None:
    p = _run(tmp_path, "wapp:app", "--max-requests", "5")
    out, err = gonet.run_in_thread(p.communicate, timeout=60)
    assert p.returncode == 2
    assert err == "gonet serve: --reuse-port, --max-requests and --debug-addr need --workers\n"


def test_bind_fd_serves_an_inherited_socket(tmp_path: Path) -> None:
    # systemd's way (and a supervisor's): the socket is listening before the server starts.
    import socket

    s = socket.create_server(("127.0.0.1", 0))
    try:
        addr = f"127.0.0.1:{s.getsockname()[1]}"
        (tmp_path / "wapp.py").write_text(textwrap.dedent(APP))
        p = subprocess.Popen(
            [sys.executable, "-m", "gonet.cli", "serve", "wapp:app", "--bind", f"fd://{s.fileno()}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=SUB_ENV,
            cwd=tmp_path,
            pass_fds=[s.fileno()],
        )
    finally:
        s.close()  # the child holds its own copy
    try:
        assert p.stdout is not None
        first = str(gonet.run_in_thread(p.stdout.readline))
        assert first == f"gonet serve: listening on http://{addr} (wsgi app wapp:app)\n"
        assert _get(addr).startswith(b"pid ")
        p.send_signal(signal.SIGTERM)
        gonet.run_in_thread(p.communicate, timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            gonet.run_in_thread(p.communicate, timeout=30)
    assert p.returncode == 0

# netrun.py - measure one server under one network scenario (fresh server per run).
#
# Every server is warmed before it is measured: one connection opened, one echo, closed from both
# sides. A server that has never seen a connection close can run in a state no long-running
# server is ever in (asyncio's Protocol transport: glibc's mmap threshold still at 128 KiB, so
# every 256 KiB read buffer costs mmap + munmap; see docs/benchmarks.md, "Warm-up"). run_net is
# the only way the suite measures a server, so no peer escapes the warm-up.
"""Run the C load generator against a freshly started, pinned echo server."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from . import procs
from .config import BUILD_DIR, HOST, Scenario

PORT_TIMEOUT_S = 30.0
# Time for the server to finish bookkeeping for the held conns before RSS is read.
IDLE_SETTLE_S = 0.5
IDLE_SETUP_TIMEOUT_S = 120.0
WARM_TIMEOUT_S = 30.0
WARM_MESSAGE = b"warm-up " * 8  # 64 B, the size of the small-message scenarios


def warm_up(port: int, host: str = HOST) -> None:
    """Open one connection to the echo server, echo one message, and close it from both sides.

    The client half-closes after the echo; the server must read EOF and close its side, which
    the client sees as EOF: that read at EOF, and the close after it, are what a fresh server
    has not yet done.

    Raises:
        RuntimeError: the server did not echo the message or did not close after EOF.
        OSError: connecting or talking to it failed (including a timeout).
    """
    with socket.create_connection((host, port), timeout=WARM_TIMEOUT_S) as sock:
        sock.sendall(WARM_MESSAGE)
        got = b""
        while len(got) < len(WARM_MESSAGE):
            chunk = sock.recv(len(WARM_MESSAGE) - len(got))
            if not chunk:
                break
            got += chunk
        if got != WARM_MESSAGE:
            raise RuntimeError(f"warm-up: the server echoed {got!r}, not {WARM_MESSAGE!r}")
        sock.shutdown(socket.SHUT_WR)
        rest = sock.recv(1)
        if rest:
            raise RuntimeError(f"warm-up: the server sent {rest!r} after the echo instead of closing")


def run_net(
    scenario: Scenario,
    server: str,
    argv: list[str],
    env: dict[str, str],
    duration: float,
    warmup: float,
    log_dir: Path,
) -> dict[str, Any]:
    """Start `server`, drive it with `scenario`, and return the raw measurements."""
    result: dict[str, Any] = {"scenario": scenario.name, "server": server, "ok": False}
    log_path = log_dir / f"{scenario.name}.{server}.log"
    with open(log_path, "ab") as log:
        srv = procs.start(procs.pinned(argv, "server"), log, env=env)
        reader = procs.LineReader(srv)
        try:
            port = int(reader.readline(PORT_TIMEOUT_S))
            warm_up(port)
            result["warmed"] = True
            if scenario.kind == "idle":
                result.update(_drive_idle(scenario, srv.pid, port, log))
            else:
                result.update(_drive_timed(scenario, srv.pid, port, duration, warmup, log))
            if srv.poll() is not None:
                raise RuntimeError(f"server exited with status {srv.returncode} during the run")
            if not result["loadgen"].get("held", result["loadgen"]["requests"]):
                raise RuntimeError(f"no request succeeded ({result['errors']} errors)")
            result["ok"] = True
        except Exception as exc:  # recorded, so one broken peer never stops the suite
            result["error"] = f"{type(exc).__name__}: {exc}"
            result["log"] = str(log_path)
        finally:
            reader.close()
            procs.stop(srv)
    return result


def _loadgen_argv(scenario: Scenario, port: int, duration: float, warmup: float) -> list[str]:
    """Return the pinned load-generator command line."""
    argv = [
        str(BUILD_DIR / "loadgen"),
        HOST,
        str(port),
        scenario.kind,
        str(scenario.conns),
        str(scenario.size),
        f"{duration:g}",
        f"{warmup:g}",
    ]
    return procs.pinned(argv, "loadgen")


def _parse(line: str) -> dict[str, Any]:
    """Decode a load-generator JSON line, surfacing its own error reports."""
    data: dict[str, Any] = json.loads(line)
    if "error" in data:
        raise RuntimeError(f"loadgen: {data['error']}")
    return data


def _drive_timed(
    scenario: Scenario, pid: int, port: int, duration: float, warmup: float, log: Any
) -> dict[str, Any]:
    """Run a pingpong/churn load; sample server CPU exactly around the measured window."""
    lg = procs.start(_loadgen_argv(scenario, port, duration, warmup), log)
    reader = procs.LineReader(lg)
    try:
        _parse(reader.readline(warmup + 90.0))  # {"event":"start"}: warm-up over
        cpu0, ticks0, kth0 = procs.cpu_seconds(pid), procs.cpu_ticks(), procs.kthread_seconds()
        report = _parse(reader.readline(duration + 30.0))
        cpu1, ticks1, kth1 = procs.cpu_seconds(pid), procs.cpu_ticks(), procs.kthread_seconds()
        lg.wait(timeout=30)
    finally:
        reader.close()
        procs.stop(lg)
    server_cpu = cpu1 - cpu0
    window = report["duration_s"] or 1.0
    # ksoftirqd and kworkers do our own TCP work under load; they are not a neighbour.
    kernel = kth1 - kth0
    foreign = procs.busy_seconds(ticks0, ticks1) - server_cpu - report["loadgen_cpu_s"] - kernel
    return {
        "loadgen": report,
        "rps": report["rps"],
        "server_cpu_s": server_cpu,
        "server_cpu_util": server_cpu / report["duration_s"] if report["duration_s"] else 0.0,
        "req_per_cpu_s": report["requests"] / server_cpu if server_cpu > 0 else None,
        "errors": report["errors"],
        "lat_us": report["lat_us"],
        # Stolen time (a busy VM host) and CPU burnt by unrelated processes explain
        # outliers that the server and loadgen numbers alone would not.
        "steal_pct": procs.steal_pct(ticks0, ticks1),
        "kernel_thread_cores": kernel / window,
        "foreign_cores": max(0.0, foreign) / window,
    }


def _drive_idle(scenario: Scenario, pid: int, port: int, log: Any) -> dict[str, Any]:
    """Open and hold the connections; read server RSS before and while they are held."""
    rss_before = procs.rss_kib(pid)
    lg = procs.start(_loadgen_argv(scenario, port, 1.0, 0.0), log, stdin=subprocess.PIPE)
    reader = procs.LineReader(lg)
    try:
        report = _parse(reader.readline(IDLE_SETUP_TIMEOUT_S))
        time.sleep(IDLE_SETTLE_S)
        rss_held = procs.rss_kib(pid)
        assert lg.stdin is not None
        lg.stdin.close()  # tells loadgen to release the connections and exit
        lg.wait(timeout=30)
    finally:
        reader.close()
        procs.stop(lg)
    held = report["held"]
    return {
        "loadgen": report,
        "rss_before_kib": rss_before,
        "rss_held_kib": rss_held,
        "held": held,
        "kib_per_conn": (rss_held - rss_before) / held if held else None,
        "errors": report["errors"],
    }

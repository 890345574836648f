# httprun.py - measure one HTTP server under one HTTP scenario: wrk for load, httpidle for memory.
#
# Every server is started fresh, warmed with one whole request (GET / with Connection: close, read
# to EOF: the server has parsed, answered and closed once) and then driven by a wrk warm-up run
# before the measured wrk run, so no peer is measured cold. Server CPU and RSS are summed over
# the server's process tree: gunicorn and granian serve from a worker under a master.
"""Run wrk (or the idle client) against a freshly started, pinned HTTP server."""

from __future__ import annotations

import json
import resource
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import procs
from .config import BUILD_DIR, HOST, REPO_DIR, Scenario
from .netrun import IDLE_SETTLE_S, IDLE_SETUP_TIMEOUT_S, PORT_TIMEOUT_S

WARM_TIMEOUT_S = 30.0
HELLO = b"Hello, World!"
WRK_TIMEOUT_S = "10s"
WRK_JSON = "WRKJSON "
# wrk calls done() once at the end; the JSON line is what the runner parses.
_DONE_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"status":%d,"timeout":%d,"p50":%.1f,"p90":%.1f,"p99":%.1f,"p999":%.1f,"max":%.1f}\\n',
    "WRKJSON ", summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
"""


def wrk_script(scenario: Scenario) -> str:
    """Return the Lua script for a wrk scenario: its request shape plus the JSON report."""
    lua = ""
    if scenario.name == "http_close":
        lua = 'wrk.headers["Connection"] = "close"\n'
    elif scenario.size:
        lua = (
            'wrk.method = "POST"\nwrk.path = "/post"\n'
            'wrk.headers["Content-Type"] = "application/octet-stream"\n'
            f'wrk.body = string.rep("x", {scenario.size})\n'
        )
    return lua + _DONE_LUA


def warm_up(port: int, host: str = HOST) -> None:
    """Send one GET / with Connection: close, read to EOF, and check the hello answer.

    Connection refused is retried until WARM_TIMEOUT_S: some servers (granian, gunicorn) report
    their port before their worker is listening.

    Raises:
        RuntimeError: the answer was not a 200 with the hello body.
        OSError: connecting or talking to the server failed (including a timeout).
    """
    deadline = time.monotonic() + WARM_TIMEOUT_S
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=WARM_TIMEOUT_S)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        got = b""
        while chunk := sock.recv(65536):
            got += chunk
    status = got.split(b"\r\n", 1)[0]
    if not status.startswith(b"HTTP/1.1 200 ") or not got.endswith(HELLO):
        raise RuntimeError(f"warm-up: the server answered {got[:300]!r}, not a 200 with {HELLO!r}")


def _wrk_argv(scenario: Scenario, port: int, seconds: float, script: Path) -> list[str]:
    """Return the pinned wrk command line: one thread, the scenario's connections."""
    wrk = shutil.which("wrk") or "wrk"
    argv = [wrk, "-t1", f"-c{scenario.conns}", f"-d{max(1, round(seconds))}s", "--timeout", WRK_TIMEOUT_S]
    return procs.pinned([*argv, "-s", str(script), f"http://{HOST}:{port}/"], "loadgen")


def _run_wrk(argv: list[str], seconds: float, log: Any) -> dict[str, Any]:
    """Run wrk to completion; return its JSON report with its CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=log, timeout=seconds + 60, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = out.stdout.decode(errors="replace")
    log.write(out.stdout)
    line = next((ln for ln in text.splitlines() if ln.startswith(WRK_JSON)), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk exited with {out.returncode} and no report: {text.strip()[-300:]!r}")
    report: dict[str, Any] = json.loads(line[len(WRK_JSON) :])
    report["cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return report


def run_http(
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
            if scenario.kind == "http_idle":
                result.update(_drive_idle(scenario, srv.pid, port, log))
            else:
                result.update(_drive_wrk(scenario, srv.pid, port, duration, warmup, log))
            if srv.poll() is not None:
                raise RuntimeError(f"server exited with status {srv.returncode} during the run")
            if not result["loadgen"].get("held", result["loadgen"].get("requests")):
                raise RuntimeError(f"no request succeeded ({result['errors']} errors)")
            if result["loadgen"].get("status"):
                raise RuntimeError(f"{result['loadgen']['status']} responses were not 2xx/3xx")
            result["ok"] = True
        except Exception as exc:  # recorded, so one broken peer never stops the suite
            result["error"] = f"{type(exc).__name__}: {exc}"
            result["log"] = str(log_path)
        finally:
            reader.close()
            procs.stop(srv)
    return result


def _drive_wrk(
    scenario: Scenario, pid: int, port: int, duration: float, warmup: float, log: Any
) -> dict[str, Any]:
    """Warm up with a short wrk run, then measure one; sample server CPU around the measured run."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    script = BUILD_DIR / f"wrk_{scenario.name}.lua"
    script.write_text(wrk_script(scenario))
    if warmup > 0:
        _run_wrk(_wrk_argv(scenario, port, warmup, script), warmup, log)
    cpu0, ticks0, kth0 = procs.tree_cpu_seconds(pid), procs.cpu_ticks(), procs.kthread_seconds()
    t0 = time.monotonic()
    report = _run_wrk(_wrk_argv(scenario, port, duration, script), duration, log)
    window = time.monotonic() - t0
    cpu1, ticks1, kth1 = procs.tree_cpu_seconds(pid), procs.cpu_ticks(), procs.kthread_seconds()
    server_cpu = cpu1 - cpu0
    secs = report["duration_us"] / 1e6 or 1.0
    sock_errors = report["connect"] + report["read"] + report["write"] + report["timeout"]
    kernel = kth1 - kth0
    foreign = procs.busy_seconds(ticks0, ticks1) - server_cpu - report["cpu_s"] - kernel
    # Shaped like the echo runs' records, so report.py renders both.
    loadgen = {**report, "duration_s": secs, "loadgen_cpu_s": report["cpu_s"]}
    return {
        "loadgen": loadgen,
        "rps": report["requests"] / secs,
        "server_cpu_s": server_cpu,
        "server_cpu_util": server_cpu / window,
        "req_per_cpu_s": report["requests"] / server_cpu if server_cpu > 0 else None,
        "errors": sock_errors + report["status"],
        "lat_us": {"p50": report["p50"], "p99": report["p99"], "p999": report["p999"]},
        "steal_pct": procs.steal_pct(ticks0, ticks1),
        "kernel_thread_cores": kernel / window,
        "foreign_cores": max(0.0, foreign) / window,
    }


def _drive_idle(scenario: Scenario, pid: int, port: int, log: Any) -> dict[str, Any]:
    """Hold the conns with the idle client; read the server tree's RSS before and while held."""
    rss_before = procs.tree_rss_kib(pid)
    argv = [sys.executable, "-m", "benchmarks.httpidle", HOST, str(port), str(scenario.conns)]
    env = {"PYTHONPATH": str(REPO_DIR), "PATH": "/usr/bin:/bin"}
    lg = procs.start(procs.pinned(argv, "loadgen"), log, env=env, stdin=subprocess.PIPE)
    reader = procs.LineReader(lg)
    try:
        report = json.loads(reader.readline(IDLE_SETUP_TIMEOUT_S))
        time.sleep(IDLE_SETTLE_S)
        rss_held = procs.tree_rss_kib(pid)
        assert lg.stdin is not None
        lg.stdin.close()  # tells the client to release the connections and exit
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

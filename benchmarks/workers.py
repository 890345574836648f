# workers.py - every core: gonet's echo server on 1 and 2 worker processes (gonet.runtime.workers).
#
# Three measurements, each against a fresh supervisor started without CPU pinning (the workers
# must be free to use every core; the load generator shares them, so wall-clock scaling is
# capped on a small machine — which is why the per-CPU figure is the one to read):
# - scaling: pp100 with 1 and 2 workers — req/s, and requests per server-CPU-second, the
#   server's CPU being the supervisor plus all its workers (children summed from /proc); and
#   http_hello (wrk, 100 keep-alive conns) against `gonet serve --workers N`, the same way;
# - accept balance: churn50 (connect/echo/close loops) with 2 workers on one shared socket and on
#   SO_REUSEPORT sockets — each worker's share of the connections;
# - memory: each idle worker's RSS and PSS (fork shares the interpreter's pages, PSS splits them)
#   after the warm-up, and the supervisor's.
"""Measure gonet's worker scaling, accept balance and per-worker memory (python -m benchmarks workers)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import procs, setup_env
from .config import BENCH_DIR, BUILD_DIR, HOST, SERVERS_DIR
from .netrun import PORT_TIMEOUT_S, warm_up

SCRIPT = str(SERVERS_DIR / "gonet_workers.py")
SETTLE_S = 0.5


def _children(pid: int) -> list[int]:
    """Return the processes below pid (the workers of a supervisor)."""
    return [p for p in procs.tree_pids(pid) if p != pid]


def _pss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise RuntimeError(f"no Pss for pid {pid}")


def _start(n: int, reuse_port: bool, count_dir: str | None, log: Any) -> tuple[Any, Any, int]:
    argv = [sys.executable, "-u", SCRIPT, str(n)]
    if reuse_port:
        argv.append("--reuse-port")
    if count_dir:
        argv += ["--count-dir", count_dir]
    srv = procs.start(argv, log, env={**os.environ, "PYTHONPATH": str(SERVERS_DIR)})
    reader = procs.LineReader(srv)
    port = int(reader.readline(PORT_TIMEOUT_S))
    deadline = time.monotonic() + PORT_TIMEOUT_S
    while len(_children(srv.pid)) < n:  # every worker forked
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(_children(srv.pid))} of {n} workers started")
        time.sleep(0.05)
    for _ in range(4 * n):  # warm every worker with high probability
        warm_up(port)
    return srv, reader, port


def _loadgen(port: int, mode: str, conns: int, duration: float, warmup: float) -> list[str]:
    return [
        str(BUILD_DIR / "loadgen"),
        HOST,
        str(port),
        mode,
        str(conns),
        "64",
        f"{duration:g}",
        f"{warmup:g}",
    ]


def _drive(
    pid: int, port: int, mode: str, conns: int, duration: float, warmup: float, log: Any
) -> dict[str, Any]:
    lg = procs.start(_loadgen(port, mode, conns, duration, warmup), log)
    reader = procs.LineReader(lg)
    try:
        json.loads(reader.readline(warmup + 90.0))  # {"event":"start"}
        cpu0 = procs.tree_cpu_seconds(pid)
        report = json.loads(reader.readline(duration + 30.0))
        cpu1 = procs.tree_cpu_seconds(pid)
        lg.wait(timeout=30)
    finally:
        reader.close()
        procs.stop(lg)
    if "error" in report:
        raise RuntimeError(f"loadgen: {report['error']}")
    cpu = cpu1 - cpu0
    return {
        "rps": report["rps"],
        "requests": report["requests"],
        "errors": report["errors"],
        "server_cpu_s": cpu,
        "req_per_cpu_s": report["requests"] / cpu if cpu > 0 else None,
        "loadgen_cpu_s": report["loadgen_cpu_s"],
        "p99_us": report["lat_us"]["p99"],
    }


def scaling(n: int, duration: float, warmup: float, log: Any) -> dict[str, Any]:
    """pp100 against n workers on a shared socket; memory of the idle workers first."""
    srv, reader, port = _start(n, False, None, log)
    try:
        time.sleep(SETTLE_S)
        workers = _children(srv.pid)
        mem = {
            "worker_rss_kib": [procs.rss_kib(p) for p in workers],
            "worker_pss_kib": [_pss_kib(p) for p in workers],
            "supervisor_rss_kib": procs.rss_kib(srv.pid),
        }
        res = _drive(srv.pid, port, "pingpong", 100, duration, warmup, log)
    finally:
        reader.close()
        procs.stop(srv)
    return {"scenario": "pp100", "workers": n, **res, **mem}


def http_scaling(n: int, duration: float, warmup: float, log: Any) -> dict[str, Any]:
    """http_hello (wrk) against `gonet serve gonet_http_server:mux --workers n`."""
    from .config import SCENARIOS
    from .httprun import _drive_wrk
    from .httprun import warm_up as http_warm_up

    argv = [sys.executable, "-u", "-m", "gonet.cli", "serve", "gonet_http_server:mux"]
    argv += ["--interface", "handler", "--workers", str(n), "--bind", f"{HOST}:0"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SERVERS_DIR), os.environ.get("PYTHONPATH", "")])}
    srv = procs.start(argv, log, env=env)
    reader = procs.LineReader(srv)
    try:
        # Each worker's first line: "gonet serve: listening on http://127.0.0.1:PORT (...)".
        line = reader.readline(PORT_TIMEOUT_S)
        port = int(line.split("http://", 1)[1].split()[0].rsplit(":", 1)[1])
        deadline = time.monotonic() + PORT_TIMEOUT_S
        while len(_children(srv.pid)) < n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(_children(srv.pid))} of {n} workers started")
            time.sleep(0.05)
        for _ in range(4 * n):
            http_warm_up(port)
        res = _drive_wrk(SCENARIOS["http_hello"], srv.pid, port, duration, warmup, log)
    finally:
        reader.close()
        procs.stop(srv)
    return {
        "scenario": "http_hello",
        "workers": n,
        "rps": res["rps"],
        "requests": res["loadgen"]["requests"],
        "server_cpu_s": res["server_cpu_s"],
        "req_per_cpu_s": res["req_per_cpu_s"],
        "errors": res["errors"],
        "p99_us": res["lat_us"]["p99"],
    }


def balance(reuse_port: bool, duration: float, warmup: float, log: Any) -> dict[str, Any]:
    """churn50 against 2 workers; return each worker's share of the connections."""
    with tempfile.TemporaryDirectory() as d:
        srv, reader, port = _start(2, reuse_port, d, log)
        try:
            res = _drive(srv.pid, port, "churn", 50, duration, warmup, log)
        finally:
            reader.close()
            procs.stop(srv)
        counts = [tuple(int(x) for x in Path(d, f).read_text().split()) for f in sorted(os.listdir(d))]
    conns = sorted((c[0] for c in counts), reverse=True)
    total = sum(conns) or 1
    return {
        "scenario": "churn50",
        "mode": "SO_REUSEPORT" if reuse_port else "shared socket",
        "conns_per_worker": conns,
        "shares_pct": [round(100 * c / total, 1) for c in conns],
        **res,
    }


def render(
    scale: list[dict[str, Any]], bal: list[dict[str, Any]], http: list[dict[str, Any]] | None = None
) -> str:
    """Return the results as markdown tables."""
    base = scale[0].get("req_per_cpu_s") or 0.0
    out = [
        "| workers | req/s | server CPU (cores) | req per server-CPU-s | vs 1 worker | p99 µs | errors |"
        " idle worker RSS / PSS KiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in scale:
        per = r.get("req_per_cpu_s") or 0.0
        out.append(
            f"| {r['workers']} | {r['rps']:,.0f} | {r['server_cpu_s'] / max(r['requests'] / r['rps'], 1e-9):.2f} "
            f"| {per:,.0f} | {per / base:.2f} | {r['p99_us']:,.0f} | {r['errors']} "
            f"| {max(r['worker_rss_kib']):,} / {max(r['worker_pss_kib']):,} |"
        )
    if http:
        hbase = http[0].get("req_per_cpu_s") or 0.0
        out += [
            "",
            "| http_hello: workers | req/s | req per server-CPU-s | vs 1 worker | p99 µs | errors |",
            "|---|---|---|---|---|---|",
        ]
        for r in http:
            per = r.get("req_per_cpu_s") or 0.0
            out.append(
                f"| {r['workers']} | {r['rps']:,.0f} | {per:,.0f} | {per / hbase:.2f} "
                f"| {r['p99_us']:,.0f} | {r['errors']} |"
            )
    out += [
        "",
        "| accept mode (2 workers, churn50) | connections per worker | shares | req/s | errors |",
        "|---|---|---|---|---|",
    ]
    for b in bal:
        out.append(
            f"| {b['mode']} | {', '.join(f'{c:,}' for c in b['conns_per_worker'])} "
            f"| {' / '.join(f'{s:g}%' for s in b['shares_pct'])} | {b['rps']:,.0f} | {b['errors']} |"
        )
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """Run the worker scenarios and print (and save) the tables."""
    p = argparse.ArgumentParser(prog="python -m benchmarks workers", description=__doc__)
    p.add_argument("--duration", type=float, default=5.0, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per run")
    p.add_argument("--workers", default="1,2", help="worker counts for the pp100 scaling runs")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "results", help="output directory")
    a = p.parse_args(argv)
    setup_env.build_loadgen()
    a.out.mkdir(parents=True, exist_ok=True)
    with open(a.out / "workers.log", "ab") as log:
        scale = [scaling(int(n), a.duration, a.warmup, log) for n in a.workers.split(",")]
        for r in scale:
            print(
                f"[pp100] {r['workers']} worker(s): {r['rps']:,.0f} req/s, {r['req_per_cpu_s'] or 0:,.0f} req/CPU-s",
                flush=True,
            )
        http: list[dict[str, Any]] = []
        if shutil.which("wrk"):
            http = [http_scaling(int(n), a.duration, a.warmup, log) for n in a.workers.split(",")]
            for r in http:
                print(
                    f"[http_hello] {r['workers']} worker(s): {r['rps']:,.0f} req/s, "
                    f"{r['req_per_cpu_s'] or 0:,.0f} req/CPU-s",
                    flush=True,
                )
        else:
            print("[http_hello] skipped: wrk is not installed (python -m benchmarks installs it)", flush=True)
        bal = [balance(rp, a.duration, a.warmup, log) for rp in (False, True)]
    md = render(scale, bal, http)
    (a.out / "workers.json").write_text(
        json.dumps({"scaling": scale, "http_scaling": http, "balance": bal}, indent=2)
    )
    (a.out / "workers.md").write_text(md + "\n")
    print(md, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

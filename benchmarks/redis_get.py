# redis_get.py - redis-py GET throughput with 100 concurrent workers, one implementation per child.
"""redis-py GET with 100 workers: gonet (patched sockets) vs gevent (monkey-patched), threads,
and redis.asyncio. Needs a Redis server on 127.0.0.1:6379.

Child usage: python -m benchmarks.redis_get --impl IMPL --workers 100 --duration S --warmup S
Standalone: python -m benchmarks.redis_get [--duration S] (runs every implementation, prints a table)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

IMPLS = ["gonet", "gonet_pure", "gevent", "threads", "redis_asyncio"]
HOST, PORT = "127.0.0.1", 6379
KEY, VALUE = "gonet:bench:get", b"x" * 64
TIMEOUT_S = 120.0


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _server_cpu(r: Any) -> float:
    info = r.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


class Window:
    """Counts operations and latencies of every worker inside the measured window only."""

    def __init__(self) -> None:
        self.measuring = False
        self.stop = False
        self.ops = 0
        self.errors = 0
        self.lat: list[float] = []

    def record(self, t0: float, t1: float) -> None:
        if self.measuring:
            self.ops += 1
            self.lat.append(t1 - t0)


def _loop(w: Window, get: Callable[[str], Any]) -> None:
    clock = time.perf_counter
    while not w.stop:
        t0 = clock()
        try:
            ok = get(KEY) == VALUE
        except Exception:  # noqa: BLE001 - counted; one failing GET must not end the run
            ok = False
        if not ok:
            w.errors += 1
            continue
        w.record(t0, clock())


def _measure(
    w: Window, sleep: Callable[[float], None], admin: Any, warmup: float, duration: float
) -> dict[str, Any]:
    sleep(warmup)
    cpu0, srv0, t0 = _cpu(), _server_cpu(admin), time.monotonic()
    w.measuring = True
    sleep(duration)
    w.measuring = False
    took = time.monotonic() - t0
    cpu, srv = _cpu() - cpu0, _server_cpu(admin) - srv0
    w.stop = True
    lat = sorted(w.lat)

    def pct(p: float) -> float | None:
        return lat[min(len(lat) - 1, int(len(lat) * p))] * 1e6 if lat else None

    return {
        "rps": w.ops / took,
        "req_per_cpu_s": w.ops / cpu if cpu else None,
        "server_cpu_util": cpu / took,
        "loadgen": {"loadgen_cpu_s": srv, "duration_s": took},
        "lat_us": {"p50": pct(0.5), "p99": pct(0.99), "p999": pct(0.999)},
        "errors": w.errors,
        "ops": w.ops,
    }


def _sync_clients(workers: int) -> tuple[Any, Any]:
    import redis

    pool = redis.ConnectionPool(host=HOST, port=PORT, max_connections=workers)
    return redis.Redis(connection_pool=pool), redis.Redis(host=HOST, port=PORT)


def run_gonet(workers: int, warmup: float, duration: float) -> dict[str, Any]:
    """100 goroutines over redis-py with gonet.patch.all() applied before redis is imported."""
    import gonet.patch

    gonet.patch.all()
    import gonet
    from gonet.sync import WaitGroup

    r, admin = _sync_clients(workers)
    r.set(KEY, VALUE)
    w = Window()
    wg = WaitGroup()
    for _ in range(workers):
        wg.add(1)

        def body() -> None:
            try:
                _loop(w, r.get)
            finally:
                wg.done()

        gonet.go(body)
    res = _measure(w, gonet.sleep, admin, warmup, duration)
    wg.wait()
    return res


def run_gevent(workers: int, warmup: float, duration: float) -> dict[str, Any]:
    """100 greenlets over redis-py with gevent's monkey.patch_all()."""
    from gevent import monkey

    monkey.patch_all()
    import gevent

    r, admin = _sync_clients(workers)
    r.set(KEY, VALUE)
    w = Window()
    gs = [gevent.spawn(_loop, w, r.get) for _ in range(workers)]
    res = _measure(w, gevent.sleep, admin, warmup, duration)
    gevent.joinall(gs)
    return res


def run_threads(workers: int, warmup: float, duration: float) -> dict[str, Any]:
    """100 OS threads over plain redis-py."""
    import threading

    r, admin = _sync_clients(workers)
    r.set(KEY, VALUE)
    w = Window()
    ts = [threading.Thread(target=_loop, args=(w, r.get)) for _ in range(workers)]
    for t in ts:
        t.start()
    res = _measure(w, time.sleep, admin, warmup, duration)
    for t in ts:
        t.join()
    return res


def run_redis_asyncio(workers: int, warmup: float, duration: float) -> dict[str, Any]:
    """100 asyncio tasks over redis.asyncio (the asyncio event loop)."""
    import asyncio

    import redis
    import redis.asyncio as aredis

    async def main() -> dict[str, Any]:
        pool = aredis.ConnectionPool(host=HOST, port=PORT, max_connections=workers)
        r = aredis.Redis(connection_pool=pool)
        await r.set(KEY, VALUE)
        admin = redis.Redis(host=HOST, port=PORT)
        w = Window()
        clock = time.perf_counter

        async def loop() -> None:
            while not w.stop:
                t0 = clock()
                try:
                    ok = await r.get(KEY) == VALUE
                except Exception:  # noqa: BLE001 - counted
                    ok = False
                if not ok:
                    w.errors += 1
                    continue
                w.record(t0, clock())

        tasks = [asyncio.ensure_future(loop()) for _ in range(workers)]
        await asyncio.sleep(warmup)
        cpu0, srv0, t0 = _cpu(), _server_cpu(admin), time.monotonic()
        w.measuring = True
        await asyncio.sleep(duration)
        w.measuring = False
        took = time.monotonic() - t0
        cpu, srv = _cpu() - cpu0, _server_cpu(admin) - srv0
        w.stop = True
        await asyncio.gather(*tasks)
        await r.aclose()
        lat = sorted(w.lat)

        def pct(p: float) -> float | None:
            return lat[min(len(lat) - 1, int(len(lat) * p))] * 1e6 if lat else None

        return {
            "rps": w.ops / took,
            "req_per_cpu_s": w.ops / cpu if cpu else None,
            "server_cpu_util": cpu / took,
            "loadgen": {"loadgen_cpu_s": srv, "duration_s": took},
            "lat_us": {"p50": pct(0.5), "p99": pct(0.99), "p999": pct(0.999)},
            "errors": w.errors,
            "ops": w.ops,
        }

    return asyncio.run(main())


RUNNERS: dict[str, Callable[[int, float, float], dict[str, Any]]] = {
    "gonet": run_gonet,
    "gonet_pure": run_gonet,
    "gevent": run_gevent,
    "threads": run_threads,
    "redis_asyncio": run_redis_asyncio,
}


def _redis_server_pids() -> list[int]:
    """Return the pids of the redis-server processes (and their threads) on this machine."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
            if comm == "redis-server":
                pids += [int(t) for t in os.listdir(f"/proc/{entry}/task")]
        except OSError:
            continue
    return pids


def _pin_redis(core: int) -> dict[int, set[int]]:
    """Pin Redis to the load core, as every other scenario pins its load; return old masks.

    An unpinned Redis lands on the client's core now and then, and the two then share one
    core: the run-to-run spread that makes ratios meaningless.
    """
    old: dict[int, set[int]] = {}
    for pid in _redis_server_pids():
        try:
            old[pid] = os.sched_getaffinity(pid)
            os.sched_setaffinity(pid, {core})
        except OSError:
            continue
    return old


def _unpin_redis(old: dict[int, set[int]]) -> None:
    for pid, mask in old.items():
        try:
            os.sched_setaffinity(pid, mask)
        except OSError:
            continue


def run_redis(
    impls: list[str], duration: float, warmup: float, envs: dict[str, dict[str, str]], log_dir: Path
) -> list[dict[str, Any]]:
    """Run each implementation in its own pinned child process; collect one result each."""
    from . import procs
    from .config import LOADGEN_CORE

    pinned = _pin_redis(LOADGEN_CORE) if procs.can_pin() else {}
    try:
        results = _run_each(impls, duration, warmup, envs, log_dir)
    finally:
        _unpin_redis(pinned)
    for res in results:
        res["redis_pinned"] = bool(pinned)
    return results


def _run_each(
    impls: list[str], duration: float, warmup: float, envs: dict[str, dict[str, str]], log_dir: Path
) -> list[dict[str, Any]]:
    from . import procs
    from .config import REPO_DIR

    results = []
    for impl in impls:
        argv = [sys.executable, "-m", "benchmarks.redis_get", "--impl", impl]
        argv += ["--duration", str(duration), "--warmup", str(warmup)]
        res: dict[str, Any] = {"scenario": "redis_get", "server": impl, "ok": False, "warmed": True}
        with open(log_dir / f"redis_get.{impl}.log", "ab") as log:
            env = envs.get(impl, dict(os.environ))
            path = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(REPO_DIR)) if p)
            proc = procs.start(procs.pinned(argv, "server"), log, env={**env, "PYTHONPATH": path})
            reader = procs.LineReader(proc)
            try:
                res.update(json.loads(reader.readline(TIMEOUT_S + duration + warmup)))
                res["ok"] = True
            except Exception as exc:  # one broken implementation must not stop the rest
                res["error"] = f"{type(exc).__name__}: {exc}"
            finally:
                reader.close()
                procs.stop(proc)
        results.append(res)
    return results


def _standalone(args: argparse.Namespace) -> None:
    """Run every implementation (gonet's env as installed) and print a ratio table."""
    import tempfile

    env = dict(os.environ)
    envs = {i: dict(env) for i in IMPLS}
    envs["gonet_pure"]["GONET_PURE_PYTHON"] = "1"
    log_dir = Path(tempfile.mkdtemp(prefix="redis_get-"))
    rows = run_redis(IMPLS, args.duration, args.warmup, envs, log_dir)
    ref = next((r["rps"] for r in rows if r["server"] == "gonet" and r["ok"]), None)
    print(
        "| impl | GET/s | GET per client-CPU-s | p50 µs | p99 µs | gonet / impl |\n|---|--:|--:|--:|--:|--:|"
    )
    for r in rows:
        if not r["ok"]:
            print(f"| {r['server']} | failed: {r.get('error')} | | | | |")
            continue
        ratio = f"{ref / r['rps']:.2f}" if ref else "n/a"
        cpu = r["req_per_cpu_s"] or 0.0
        print(
            f"| {r['server']} | {r['rps']:,.0f} | {cpu:,.0f} | {r['lat_us']['p50']:,.0f} "
            f"| {r['lat_us']['p99']:,.0f} | {ratio} |"
        )
    print(f"(logs in {log_dir})")


def main() -> None:
    """Child mode (--impl): print one JSON line; without --impl run them all."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--impl", choices=IMPLS)
    p.add_argument("--workers", type=int, default=100)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--warmup", type=float, default=1.0)
    args = p.parse_args()
    if args.impl is None:
        _standalone(args)
        return
    print(json.dumps(RUNNERS[args.impl](args.workers, args.warmup, args.duration)), flush=True)


if __name__ == "__main__":
    main()

# spawn.py - the go() spawn+finish microbenchmark, against gevent and raw greenlet.
"""Time N spawn+finish cycles of a trivial function; one implementation per child process.

Child usage: python -m benchmarks.spawn --impl gonet|gevent|greenlet --n N --rounds R
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# gonet_pure runs the same benchmark as gonet, with GONET_PURE_PYTHON=1 in its environment.
IMPLS = ["gonet", "gonet_pure", "gevent", "greenlet"]
TIMEOUT_S = 120.0


def _counter() -> tuple[Callable[[], None], Callable[[], int]]:
    """Return a trivial goroutine body and a reader of how often it ran."""
    box = [0]

    def fn() -> None:
        box[0] += 1

    return fn, lambda: box[0]


def _gonet(n: int) -> dict[str, float]:
    """Time gonet.go: a batch of n then gosched until done, and n serial go+gosched."""
    import gonet

    fn, done = _counter()
    t0 = time.perf_counter()
    for _ in range(n):
        gonet.go(fn)
    while done() < n:  # gosched puts main at the back of the run queue
        gonet.gosched()
    batch = time.perf_counter() - t0
    fn, done = _counter()
    t0 = time.perf_counter()
    for i in range(n):
        gonet.go(fn)
        while done() <= i:
            gonet.gosched()
    serial = time.perf_counter() - t0
    return {"batch": batch, "serial": serial}


def _gevent(n: int) -> dict[str, float]:
    """Time gevent.spawn: a batch of n then joinall, and n serial spawn+join."""
    import gevent

    fn, _ = _counter()
    t0 = time.perf_counter()
    gevent.joinall([gevent.spawn(fn) for _ in range(n)])
    batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(n):
        gevent.spawn(fn).join()
    serial = time.perf_counter() - t0
    return {"batch": batch, "serial": serial}


def _greenlet(n: int) -> dict[str, float]:
    """Time raw greenlets: create n then switch into each, and n serial create+switch."""
    import greenlet

    fn, _ = _counter()
    t0 = time.perf_counter()
    for g in [greenlet.greenlet(fn) for _ in range(n)]:
        g.switch()
    batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(n):
        greenlet.greenlet(fn).switch()
    serial = time.perf_counter() - t0
    return {"batch": batch, "serial": serial}


def measure(impl: str, n: int, rounds: int) -> dict[str, Any]:
    """Run `rounds` rounds of one implementation; report µs per goroutine (best and median)."""
    bench = {"gonet": _gonet, "gonet_pure": _gonet, "gevent": _gevent, "greenlet": _greenlet}[impl]
    bench(min(n, 1000))  # warm-up: imports, hub/scheduler creation, allocator
    samples = [bench(n) for _ in range(rounds)]
    out: dict[str, Any] = {"impl": impl, "n": n, "rounds": rounds}
    for mode in ("batch", "serial"):
        per = [s[mode] / n * 1e6 for s in samples]
        out[f"{mode}_us"] = min(per)
        out[f"{mode}_us_median"] = statistics.median(per)
    return out


def run_spawn(
    impls: list[str], n: int, rounds: int, envs: dict[str, dict[str, str]], log_dir: Path
) -> list[dict[str, Any]]:
    """Run each implementation in its own pinned child process (with its env) and collect results."""
    from . import procs
    from .config import REPO_DIR

    results = []
    for impl in impls:
        argv = [
            sys.executable,
            "-m",
            "benchmarks.spawn",
            "--impl",
            impl,
            "--n",
            str(n),
            "--rounds",
            str(rounds),
        ]
        res: dict[str, Any] = {"scenario": "spawn", "server": impl, "ok": False}
        with open(log_dir / f"spawn.{impl}.log", "ab") as log:
            # REPO_DIR on the path lets `-m benchmarks.spawn` resolve from any cwd.
            env = envs[impl]
            path = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(REPO_DIR)) if p)
            proc = procs.start(procs.pinned(argv, "server"), log, env={**env, "PYTHONPATH": path})
            reader = procs.LineReader(proc)
            try:
                res.update(json.loads(reader.readline(TIMEOUT_S)))
                res["ok"] = True
            except Exception as exc:  # one broken implementation must not stop the rest
                res["error"] = f"{type(exc).__name__}: {exc}"
            finally:
                reader.close()
                procs.stop(proc)
        results.append(res)
    return results


def main() -> None:
    """Parse child arguments and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--impl", choices=IMPLS, required=True)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(measure(args.impl, args.n, args.rounds)), flush=True)


if __name__ == "__main__":
    main()

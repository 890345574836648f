# The seeded scheduler shuffle (GONET_SCHED_SEED, set_sched_seed).
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import gonet
from gonet import go, gosched
from gonet.runtime import _proc, set_sched_seed

# Goroutines that yield and hand off to each other: with FIFO scheduling the trace is fixed;
# shuffled, it depends on the seed only.
# No wall-clock waits: with a timer in play, how many hub rounds pass before it fires would
# depend on the machine's speed, and so would the sequence of random choices.
PROGRAM = textwrap.dedent("""
    from gonet import go, gosched
    from gonet.runtime import _proc

    s = _proc.current()
    main = s.running()
    trace = []
    parked = []

    def worker(name):
        for step in range(4):
            trace.append(f"{name}{step}")
            gosched()
        parked.append(s.running())
        if len(parked) == 6:
            s.ready(main)
        s.park("wait")
        trace.append(f"{name}!")
        if len(trace) == 30:
            s.ready(main)

    for name in "abcdef":
        go(worker, name)
    s.park("wait")
    for g in parked:  # readied in one order; they run in the scheduler's order
        s.ready(g)
    s.park("wait")
    print(" ".join(trace))
""")


def _trace(seed: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONET_")}
    src = os.path.dirname(os.path.dirname(gonet.__file__))
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    if seed is not None:
        env["GONET_SCHED_SEED"] = seed
    r = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip() + ("\n" + r.stderr if r.stderr else "")


def test_same_seed_same_trace_other_seeds_other_traces() -> None:
    plain = gonet.run_in_thread(_trace, None)
    a1 = gonet.run_in_thread(_trace, "1")
    a2 = gonet.run_in_thread(_trace, "1")
    others = {gonet.run_in_thread(_trace, str(seed)) for seed in (2, 3, 4)}
    assert a1 == a2  # identical seeds give identical traces
    assert sorted(a1.split()) == sorted(plain.split())  # the same work, in another order
    assert a1 != plain
    assert others - {a1}, "every seed gave the same order"
    # Without a seed the order is the scheduler's FIFO one, identical on every run.
    assert plain == gonet.run_in_thread(_trace, None)


def test_random_seed_is_printed_for_reproduction() -> None:
    out = gonet.run_in_thread(_trace, "random")
    trace, _, err = out.partition("\n")
    assert err.startswith("gonet: scheduler shuffle GONET_SCHED_SEED="), out
    seed = err.split("=", 1)[1].strip()
    assert gonet.run_in_thread(_trace, seed) == trace  # the printed seed replays the run


def test_set_sched_seed_in_process() -> None:
    def run(seed: int | None) -> list[str]:
        set_sched_seed(seed)
        trace: list[str] = []
        try:
            s = _proc.current()
            me = s.running()
            left = [4]

            def worker(name: str) -> None:
                for step in range(3):
                    trace.append(f"{name}{step}")
                    gosched()
                left[0] -= 1
                if not left[0]:
                    s.ready(me)

            for n in "wxyz":
                go(worker, n)
            s.park("wait")  # not sleep(): a timer would make the interleaving machine-dependent
        finally:
            set_sched_seed(None)
        return trace

    fifo = run(None)
    assert run(7) == run(7)
    assert {tuple(run(s)) for s in (7, 8, 9)} - {tuple(fifo)}
    assert _proc.current().shuffle is None

"""The thread pools behind run_in_thread and the resolver: growth, the cap, the resolver's own
capacity, idle retirement, calls abandoned before they start, the environment overrides, fork.

Real threads throughout; a test waits for an observable state (a count of running jobs, a pool's
stats) with a generous bound, never for a fixed time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from helpers import SUB_ENV, spawn, wait_until

import gonet
from gonet import net
from gonet.errors import DeadlineExceededError
from gonet.runtime import _threadpool

BOUND = 20.0


class Blockers:
    """Jobs that run until released, counting how many run at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.release = threading.Event()

    def job(self) -> None:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        self.release.wait(BOUND)
        with self.lock:
            self.active -= 1


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[_threadpool.ThreadPool]:
    """run_in_thread on a 2-worker pool whose idle workers retire after 0.2 s."""
    p = _threadpool.ThreadPool(2)
    monkeypatch.setattr(_threadpool, "pool", p)
    monkeypatch.setattr(_threadpool, "IDLE_EXIT", 0.2)
    yield p
    wait_until(lambda: p.stats()["workers"] == 0, BOUND, "the test's workers retired")


def test_run_in_thread_grows_past_the_old_cap_of_eight() -> None:
    b = Blockers()
    n = 24
    futs = [spawn(gonet.run_in_thread, b.job) for _ in range(n)]
    try:
        wait_until(lambda: b.active == n, BOUND, "every call running at once")
    finally:
        b.release.set()
    for f in futs:
        f.result()
    assert b.peak == n
    assert _threadpool.MAX_THREADS == 1000


def test_past_the_cap_calls_queue_and_run_once_a_worker_is_free(small_pool: _threadpool.ThreadPool) -> None:
    b = Blockers()
    futs = [spawn(gonet.run_in_thread, b.job) for _ in range(5)]
    wait_until(lambda: b.active == 2 and small_pool.stats()["queued"] == 3, BOUND, "2 run, 3 queue")
    assert small_pool.stats()["workers"] == 2
    b.release.set()
    for f in futs:
        f.result()
    assert b.peak == 2


def test_blocking_calls_do_not_starve_name_lookups(small_pool: _threadpool.ThreadPool) -> None:
    # Every run_in_thread worker is busy for longer than the dial's timeout; the lookup of
    # "localhost" has a pool of its own and the dial succeeds.
    b = Blockers()
    futs = [spawn(gonet.run_in_thread, b.job) for _ in range(small_pool.max_workers + 2)]
    ln = net.listen("tcp", "127.0.0.1:0")
    try:
        wait_until(lambda: b.active == small_pool.max_workers, BOUND, "the pool saturated")
        port = ln.addr().port
        with net.dial("tcp4", f"localhost:{port}", timeout=5.0) as c:
            assert c.remote_addr().port == port
            ln.accept().close()
    finally:
        ln.close()
        b.release.set()
    for f in futs:
        f.result()


def test_the_resolver_pool_is_separate_and_bounded_like_gos() -> None:
    lp = _threadpool.lookup_pool
    assert lp is not _threadpool.pool
    assert 1 <= lp.max_workers <= _threadpool.MAX_LOOKUP_THREADS == 500
    before = lp.stats()["submitted"]
    assert net.lookup_host("localhost")
    assert lp.stats()["submitted"] == before + 1


def test_idle_workers_retire(small_pool: _threadpool.ThreadPool) -> None:
    b = Blockers()
    b.release.set()
    for f in [spawn(gonet.run_in_thread, b.job) for _ in range(2)]:
        f.result()
    assert small_pool.stats()["workers"] >= 1
    wait_until(lambda: small_pool.stats()["workers"] == 0, BOUND, "idle workers exited")


def test_a_call_abandoned_before_it_started_never_runs(small_pool: _threadpool.ThreadPool) -> None:
    b = Blockers()
    busy = [spawn(gonet.run_in_thread, b.job) for _ in range(2)]
    wait_until(lambda: b.active == 2, BOUND, "both workers busy")
    ran: list[str] = []
    with pytest.raises(DeadlineExceededError, match="i/o timeout"):
        gonet.run_in_thread(ran.append, "late", deadline=gonet.now() + 0.05)
    assert small_pool.stats()["queued"] == 1  # still waiting for a worker when abandoned
    b.release.set()
    for f in busy:
        f.result()
    wait_until(
        lambda: small_pool.stats()["queued"] == 0 and gonet.runtime.current().external == 0,
        BOUND,
        "the abandoned job handed back",
    )
    assert ran == []


def test_a_started_call_whose_caller_gave_up_runs_to_completion(small_pool: _threadpool.ThreadPool) -> None:
    started = threading.Event()
    release = threading.Event()
    finished: list[bool] = []

    def slow() -> str:
        started.set()
        release.wait(BOUND)
        finished.append(True)
        return "dropped"

    with pytest.raises(DeadlineExceededError):
        gonet.run_in_thread(slow, deadline=gonet.now() + 0.05)
    wait_until(started.is_set, BOUND, "the call started")
    release.set()
    wait_until(lambda: gonet.runtime.current().external == 0, BOUND, "the result came back")
    assert finished == [True]


def _run(code: str, **env: str) -> tuple[int, str, str]:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env={**SUB_ENV, **env}
    )
    return r.returncode, r.stdout, r.stderr


CAPS = """
from gonet.runtime import _threadpool
print(_threadpool.pool.max_workers, _threadpool.lookup_pool.max_workers)
"""


def test_environment_overrides_both_caps() -> None:
    rc, out, err = _run(CAPS, GONET_MAX_THREADS="3", GONET_MAX_LOOKUP_THREADS="7")
    assert (rc, out, err) == (0, "3 7\n", "")


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_bad_cap_is_a_clear_error(value: str) -> None:
    rc, _, err = _run(CAPS, GONET_MAX_THREADS=value)
    assert rc == 1
    assert f"ValueError: GONET_MAX_THREADS must be a positive integer, got {value!r}" in err


def test_the_lookup_cap_stays_below_a_low_fd_limit() -> None:
    code = "import resource; resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))\n" + CAPS
    rc, out, err = _run(code)
    assert (rc, out, err) == (0, "1000 70\n", "")


FORK = """
import os, sys, threading
import gonet
from gonet.runtime import _threadpool

# Leave an idle worker behind and fork while another worker holds the pool's lock.
gonet.run_in_thread(lambda: None)
p = _threadpool.pool
gate = threading.Event()
held = threading.Event()

def hold_lock():
    with p._cond:
        held.set()
        gate.wait(10)

t = threading.Thread(target=hold_lock)
t.start()
held.wait(10)
pid = os.fork()
if pid == 0:
    try:
        who = gonet.run_in_thread(os.getpid, deadline=gonet.now() + 10)
        st = p.stats()
        print("child", who == os.getpid(), st["workers"], st["submitted"] > 0, flush=True)
        os._exit(0)
    except BaseException as e:
        print("child failed", type(e).__name__, e, flush=True)
        os._exit(1)
gate.set()
t.join()
_, status = os.waitpid(pid, 0)
print("parent", gonet.run_in_thread(lambda: 42), os.waitstatus_to_exitcode(status), flush=True)
"""


def test_a_forked_child_gets_fresh_pools() -> None:
    rc, out, err = _run(FORK)
    assert (rc, out, err) == (0, "child True 1 True\nparent 42 0\n", "")

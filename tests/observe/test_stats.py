# Runtime statistics: gonet.runtime.stats().
from __future__ import annotations

import json
import threading
import time
from typing import Any

import gonet
from gonet import go, net, sleep
from gonet.runtime import _proc, stats


def test_goroutine_counts() -> None:
    s0 = stats()
    gs = [go(sleep, 60) for _ in range(4)]
    sleep(0.01)
    s1 = stats()
    assert s1["goroutines"] == s0["goroutines"] + 4
    assert s1["goroutines_created"] == s0["goroutines_created"] + 4
    assert s1["goroutines_peak"] >= s1["goroutines"]
    assert s1["goroutines_by_state"]["running"] == 1
    assert s1["goroutines_by_state"]["waiting"] >= 4
    assert s1["waiting_by_reason"]["sleep"] >= 4
    for g in gs:
        _proc.current().ready(g)
    sleep(0.01)
    s2 = stats()
    assert s2["goroutines"] == s0["goroutines"]
    assert s2["goroutines_peak"] >= s1["goroutines"]  # the peak stays


def test_parks_and_wakeups_by_reason() -> None:
    s0 = stats()

    def napper() -> None:
        for _ in range(3):
            sleep(0.001)

    g = go(napper)
    while g.status != "dead":
        sleep(0.005)
    s1 = stats()
    parks = s1["parks_by_reason"]["sleep"] - s0["parks_by_reason"].get("sleep", 0)
    woken = s1["wakeups_by_reason"]["sleep"] - s0["wakeups_by_reason"].get("sleep", 0)
    assert parks >= 4  # napper's 3 plus our waiting
    assert woken == parks  # nobody is left sleeping: every park has ended in a wake-up
    assert s1["parks"] - s0["parks"] == sum(s1["parks_by_reason"].values()) - sum(
        s0["parks_by_reason"].values()
    )
    h = go(sleep, 60)
    sleep(0.01)
    s2 = stats()
    assert (
        s2["parks_by_reason"]["sleep"] - s2["wakeups_by_reason"]["sleep"] == s2["waiting_by_reason"]["sleep"]
    )
    _proc.current().ready(h)
    sleep(0.01)


def test_netpoller_counters() -> None:
    s0 = stats()
    ln = net.listen("tcp", "127.0.0.1:0")

    def echo() -> None:
        with ln.accept() as c:
            c.write(c.recv(16))

    go(echo)
    with net.dial("tcp", f"127.0.0.1:{ln.addr().port}", timeout=2) as c:
        s1 = stats()
        assert s1["registrations"] >= s0["registrations"] + 2  # listener + client (+ accepted)
        assert s1["fds"] >= s0["fds"] + 2
        c.write(b"ping")
        assert c.recv(16) == b"ping"
    ln.close()
    sleep(0.01)
    s2 = stats()
    assert s2["epoll_waits"] > s0["epoll_waits"]
    assert s2["events"] > s0["events"]
    assert s2["wakeups"] > s0["wakeups"]  # goroutines the netpoller readied
    assert s2["parks_by_reason"]["IO wait"] > s0["parks_by_reason"].get("IO wait", 0)
    assert s2["fds"] == s0["fds"]


def test_timers_and_thread_pool() -> None:
    s0 = stats()
    g = go(sleep, 60)
    sleep(0.01)
    assert stats()["timers_active"] == s0["timers_active"] + 1
    _proc.current().ready(g)
    sleep(0.01)
    assert stats()["timers_active"] == s0["timers_active"]
    assert stats()["timers_fired"] > s0["timers_fired"]
    assert gonet.run_in_thread(lambda: 42) == 42
    s1 = stats()
    assert s1["thread_pool"]["submitted"] == s0["thread_pool"]["submitted"] + 1
    assert s1["thread_pool"]["max_workers"] >= 1
    assert s1["parks_by_reason"]["thread pool"] >= 1
    assert s1["lookup_pool"]["submitted"] == s0["lookup_pool"]["submitted"]
    net.lookup_host("localhost")
    s2 = stats()
    assert s2["lookup_pool"]["submitted"] == s0["lookup_pool"]["submitted"] + 1
    assert s2["thread_pool"]["submitted"] == s1["thread_pool"]["submitted"]


def test_all_threads_sums_every_scheduler_and_is_json() -> None:
    ready = threading.Event()
    release = threading.Event()

    def other_thread() -> None:
        gs: list[Any] = [gonet.go(gonet.sleep, 60) for _ in range(3)]
        gonet.sleep(0.001)
        ready.set()
        while not release.is_set():
            gonet.sleep(0.005)
        s = _proc.current()
        for g in gs:
            s.ready(g)
        gonet.sleep(0.005)  # the thread ends; the runtime shuts its scheduler down

    mine = stats()
    t = threading.Thread(target=other_thread)
    t.start()
    assert gonet.run_in_thread(ready.wait, 10)
    both = stats(all_threads=True)
    assert both["schedulers"] >= 2
    assert both["goroutines"] >= mine["goroutines"] + 4  # its main + 3 sleepers
    assert both["waiting_by_reason"]["sleep"] >= 3
    json.loads(json.dumps(both))  # JSON-ready, as /debug/stats serves it
    assert stats()["goroutines"] == mine["goroutines"]  # the default is this thread only
    release.set()
    gonet.run_in_thread(t.join, 10)
    deadline = time.monotonic() + 5
    while stats(all_threads=True)["schedulers"] > mine["schedulers"] and time.monotonic() < deadline:
        sleep(0.01)
    assert stats(all_threads=True)["schedulers"] == mine["schedulers"]

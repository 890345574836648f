"""Stress: 10,000 random-sized messages (1 B .. 64 KiB, seeded) echoed over 500 concurrent TCP
connections, clients and server in this one process and scheduler, every byte checked."""

from __future__ import annotations

import random
import resource
from typing import Any

import pytest
from helpers import Event, sched, spawn

from gonet import net

CONNS = 500
MESSAGES = 10_000
MAX_SIZE = 64 * 1024
SEED = 20261129


def _plan() -> tuple[bytes, list[list[tuple[int, int]]]]:
    """Return a random byte pool and, per connection, its messages as (offset, size) slices."""
    rng = random.Random(SEED)
    pool = rng.randbytes(2 * MAX_SIZE)
    sizes = [rng.randint(1, MAX_SIZE) for _ in range(MESSAGES)]
    sizes[0], sizes[1] = 1, MAX_SIZE  # both extremes, always
    rng.shuffle(sizes)
    per_conn: list[list[tuple[int, int]]] = [[] for _ in range(CONNS)]
    for i, size in enumerate(sizes):
        per_conn[i % CONNS].append((rng.randrange(0, len(pool) - size + 1), size))
    return pool, per_conn


def _raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.fail(f"the stress test needs {need} fds; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


@pytest.mark.timeout(120)
def test_echo_10000_messages_over_500_concurrent_connections() -> None:  # noqa: C901 - one scenario
    _raise_fd_limit(2 * CONNS + 100)  # both ends of every connection live in this process
    pool, per_conn = _plan()
    total = sum(size for msgs in per_conn for _, size in msgs)
    ln = net.listen("tcp", "127.0.0.1:0")
    addr = str(ln.addr())
    server_stats = {"open": 0, "peak": 0, "echoed": 0, "errors": []}  # type: dict[str, Any]

    def handle(conn: Any) -> None:
        server_stats["open"] += 1
        server_stats["peak"] = max(server_stats["peak"], server_stats["open"])
        buf = bytearray(MAX_SIZE)
        view = memoryview(buf)
        try:
            with conn:
                while True:
                    n = conn.read(buf)
                    if n == 0:
                        break
                    conn.write(view[:n])
                    server_stats["echoed"] += n
        except Exception as e:  # noqa: BLE001 - recorded, asserted on below
            server_stats["errors"].append(repr(e))
        finally:
            server_stats["open"] -= 1

    def accept_loop() -> None:
        for conn in ln:  # stops when the listener is closed
            spawn(handle, conn)

    acceptor = spawn(accept_loop)
    connected = [0]
    all_connected = Event()
    pool_view = memoryview(pool)

    def client(msgs: list[tuple[int, int]]) -> int:
        conn = net.dial("tcp", addr)
        with conn:
            connected[0] += 1
            if connected[0] == CONNS:
                all_connected.set()
            assert all_connected.wait(60), "not every client connected"
            buf = bytearray(MAX_SIZE)
            checked = 0
            for off, size in msgs:
                msg = pool_view[off : off + size]
                conn.write(msg)
                got = 0
                while got < size:
                    n = conn.read(memoryview(buf)[got:size])
                    assert n > 0, f"EOF after {got} of {size} bytes"
                    got += n
                assert buf[:size] == msg, f"message of {size} bytes came back corrupted"
                checked += size
            return checked

    clients = [spawn(client, msgs) for msgs in per_conn]
    try:
        results = [f.result(timeout=100) for f in clients]
    finally:
        ln.close()
    acceptor.result()
    for f in clients:
        assert f.exc is None, f.exc
    assert sum(results) == total
    assert len(clients) == CONNS
    assert sum(len(m) for m in per_conn) == MESSAGES
    # Wait for every server handler to see its client's EOF and close.
    while server_stats["open"]:
        Event().wait(0.005)
    assert server_stats["errors"] == []
    assert server_stats["peak"] == CONNS  # all 500 connections were open at once
    assert server_stats["echoed"] == total
    assert sched().io_waiters == 0

# config.py - the catalogue: which scenarios exist and how to launch each server.
"""Scenario and server definitions shared by the runner modules."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
BUILD_DIR = BENCH_DIR / "_build"
SERVERS_DIR = BENCH_DIR / "servers"
HOST = "127.0.0.1"
# Server on core 1, load generator on core 0 (only when nproc >= 2).
SERVER_CORE = 1
LOADGEN_CORE = 0


@dataclass(frozen=True)
class Scenario:
    """One benchmark scenario: a load-generator mode with its shape."""

    name: str
    kind: str  # "pingpong" | "churn" | "idle" | "spawn" | "redis"
    conns: int
    size: int
    summary: str
    label: str  # short form for chart titles


_S = Scenario
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        _S(
            "pp1",
            "pingpong",
            1,
            64,
            "1 connection, 64 B ping-pong: pure per-request latency",
            "1 conn × 64 B",
        ),
        _S(
            "pp100",
            "pingpong",
            100,
            64,
            "100 connections, 64 B ping-pong: scheduler + poller throughput",
            "100 conns × 64 B",
        ),
        _S(
            "pp100_4k",
            "pingpong",
            100,
            4096,
            "100 connections, 4 KiB ping-pong: copy and buffer costs",
            "100 conns × 4 KiB",
        ),
        _S(
            "pp1000",
            "pingpong",
            1000,
            64,
            "1000 connections, 64 B ping-pong: many ready fds per poll",
            "1000 conns × 64 B",
        ),
        _S(
            "churn50",
            "churn",
            50,
            64,
            "50 concurrent connect/echo 64 B/close loops: accept + spawn cost",
            "50 × connect/echo/close",
        ),
        _S(
            "idle10k",
            "idle",
            10000,
            64,
            "10,000 held connections after one echo each: memory per connection",
            "server KiB per held conn",
        ),
        _S(
            "spawn",
            "spawn",
            0,
            0,
            "go(fn) spawn+finish microbenchmark vs gevent and raw greenlet",
            "µs per spawn+finish (batch)",
        ),
        _S(
            "redis_get",
            "redis",
            100,
            64,
            "redis-py GET, 100 workers: gonet patched vs gevent, threads, redis.asyncio (Redis on :6379)",
            "GET/s, 100 workers",
        ),
    ]
}

# Display order; gonet first so the ratio column reads naturally. "gonet" is the default
# build (Cython-compiled hot modules), "gonet_pure" the same code as plain Python.
SERVERS: list[str] = [
    "gonet",
    "gonet_pure",
    "asyncio_streams",
    "asyncio_streams_uvloop",
    "asyncio_protocol",
    "asyncio_protocol_uvloop",
    "gevent",
    "trio",
    "threads",
    "go",
]


def server_argv(name: str) -> list[str]:
    """Return the command line that starts server `name` (unpinned)."""
    py = [sys.executable, "-u"]
    scripts = {
        "gonet": ["gonet_server.py"],
        "gonet_pure": ["gonet_server.py"],  # same server; GONET_PURE_PYTHON=1 in its env
        "asyncio_streams": ["asyncio_streams.py"],
        "asyncio_streams_uvloop": ["asyncio_streams.py", "--uvloop"],
        "asyncio_protocol": ["asyncio_protocol.py"],
        "asyncio_protocol_uvloop": ["asyncio_protocol.py", "--uvloop"],
        "gevent": ["gevent_server.py"],
        "trio": ["trio_server.py"],
        "threads": ["threads_server.py"],
    }
    if name == "go":
        return [str(BUILD_DIR / "go_echo")]
    script, *args = scripts[name]
    return [*py, str(SERVERS_DIR / script), *args]

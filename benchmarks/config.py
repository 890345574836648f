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
    kind: str  # "pingpong" | "churn" | "idle" | "spawn" | "wrk" | "http_idle" | "redis"
    conns: int
    size: int
    summary: str
    label: str  # short form for chart titles
    # Which servers run it: "echo" (the TCP echo servers), "http" (every HTTP server, each
    # with its own interface) or "wsgi" (the servers that host a WSGI app).
    family: str = "echo"


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
            "http_hello",
            "wrk",
            100,
            0,
            "wrk, 100 keep-alive connections, GET / hello world",
            "100 keep-alive conns, GET",
            "http",
        ),
        _S(
            "http_close",
            "wrk",
            100,
            0,
            "wrk, 100 connections, one request per connection (Connection: close)",
            "100 conns, connect/GET/close",
            "http",
        ),
        _S(
            "http_post_4k",
            "wrk",
            100,
            4096,
            "wrk, 100 keep-alive connections, POST 4 KiB body (read whole), hello answer",
            "100 keep-alive conns, POST 4 KiB",
            "http",
        ),
        _S(
            "wsgi_hello",
            "wrk",
            100,
            0,
            "wrk, 100 keep-alive connections, GET / on a WSGI hello app",
            "100 keep-alive conns, WSGI GET",
            "wsgi",
        ),
        _S(
            "http_idle",
            "http_idle",
            10000,
            0,
            "10,000 keep-alive connections held after one GET each: memory per connection",
            "server KiB per idle keep-alive conn",
            "http",
        ),
        _S(
            "redis_get",
            "redis",
            100,
            64,
            "redis-py GET, 100 workers: gonet patched vs gevent, threads, redis.asyncio (Redis on :6379)",
            "GET/s, 100 workers",
            "redis",
        ),
    ]
}
HTTP_KINDS = ("wrk", "http_idle")


@dataclass(frozen=True)
class Bar:
    """A performance target: gonet's metric over a peer's (or alone when peer is empty)."""

    text: str
    scenario: str
    metric: str
    peer: str
    target: float
    at_least: bool = True
    unit: str = "×"


# The HTTP targets, as ratios measured in one invocation.
BARS = [
    Bar("http_hello ≥ 1.5× uvicorn", "http_hello", "rps", "uvicorn", 1.5),
    Bar("http_hello ≥ 3× gunicorn-gevent", "http_hello", "rps", "gunicorn_gevent", 3.0),
    Bar("http_hello ≥ 0.6× Go net/http", "http_hello", "rps", "go", 0.6),
    Bar("wsgi_hello ≥ 1.0× granian (stretch)", "wsgi_hello", "rps", "granian", 1.0),
    Bar("http_idle ≤ 10 KiB per idle keep-alive conn", "http_idle", "kib_per_conn", "", 10.0, False, " KiB"),
]

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
# The HTTP peers, each configured as its users run it in production (docs/benchmarks.md, "HTTP").
# gonet and go are the same names as above: gonet.http's / net/http's server in HTTP scenarios.
HTTP_SERVERS: list[str] = [
    "gonet",
    "gonet_pure",
    "go",
    "uvicorn",
    "granian",
    "granian_rsgi",
    "aiohttp",
    "waitress",
    "gevent_pywsgi",
    "gunicorn_gevent",
]
# The servers that host a WSGI app; gonet hosts it with http.wsgi(app).
WSGI_SERVERS: list[str] = ["gonet", "gonet_pure", "granian", "waitress", "gevent_pywsgi", "gunicorn_gevent"]
FAMILY_SERVERS = {"echo": SERVERS, "http": HTTP_SERVERS, "wsgi": WSGI_SERVERS}
ALL_SERVERS: list[str] = list(dict.fromkeys([*SERVERS, *HTTP_SERVERS]))


def server_argv(name: str, family: str = "echo") -> list[str]:
    """Return the command line that starts server `name` for a scenario family (unpinned)."""
    py = [sys.executable, "-u"]
    if family != "echo":
        return _http_argv(name, family, py)
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


def _http_argv(name: str, family: str, py: list[str]) -> list[str]:
    """Return the command line of an HTTP server; "wsgi" family servers host the WSGI app."""
    if name == "go":
        return [str(BUILD_DIR / "go_http")]
    gonet_script = "gonet_wsgi_server.py" if family == "wsgi" else "gonet_http_server.py"
    scripts = {
        "gonet": [gonet_script],
        "gonet_pure": [gonet_script],  # GONET_PURE_PYTHON=1 in its env
        "uvicorn": ["uvicorn_server.py"],
        "granian": ["granian_server.py", "wsgi"],
        "granian_rsgi": ["granian_server.py", "rsgi"],
        "aiohttp": ["aiohttp_server.py"],
        "waitress": ["waitress_server.py"],
        "gevent_pywsgi": ["gevent_pywsgi_server.py"],
        "gunicorn_gevent": ["gunicorn_server.py"],
    }
    script, *args = scripts[name]
    return [*py, str(SERVERS_DIR / script), *args]

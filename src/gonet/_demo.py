# gonet._demo: `gonet demo` — the seed's server under load from client goroutines in a second process.
#
# The server (this process) speaks the seed's protocol: accept, read once, answer, close. The
# clients run in another process (`python -m gonet._demo ADDR CLIENTS SECONDS`), hundreds of
# goroutines on that process's own scheduler, each looping connect / write / read the reply /
# close. Sharing one thread with the server would halve what each side gets and fold the clients'
# own waiting into the latencies; in a second process the figures are the server's.
#
# What it measures is a new TCP connection per request — handshake, accept, spawn, one exchange,
# teardown — not the throughput of long-lived connections; the report says so and points at
# `python -m benchmarks` for that. The server's CPU time is reported beside the rate: the clients
# do more work per request than the server (a dial costs more than an accept), so on a small
# machine they, not the server, may set the pace, and connections per server CPU-second is the
# figure that does not depend on it.
#
# The accept loop iterates the listener, which survives temporary errors (EMFILE, ENFILE, ...) as
# net/http's Serve does: log, sleep 5 ms doubling to 1 s, retry.
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from gonet import go, net, run_in_thread, runtime, sleep

__all__ = ["run_demo", "DemoResult"]

REPLY = b"I am server!"
CLIENT_GRACE = 30.0  # seconds the client process may take beyond its run before it is killed


@dataclass
class DemoResult:
    """What a demo run measured: latencies and requests on the client side, counters on the server's."""

    address: str
    clients: int
    seconds: float
    served: int = 0
    requests: int = 0
    errors: int = 0
    p50: float = 0.0
    p99: float = 0.0
    server_cpu: float = 0.0
    peak_goroutines: int = 0
    counters: dict[str, int] = field(default_factory=dict)

    def report(self) -> str:
        """Format the result as the demo prints it."""
        c = self.counters
        rps = self.requests / self.seconds if self.seconds else 0.0
        cpu_pct = 100.0 * self.server_cpu / self.seconds if self.seconds else 0.0
        per_cpu = self.served / self.server_cpu if self.server_cpu else 0.0
        return "\n".join(
            [
                f"gonet demo: the seed's server on {self.address}, {self.clients} client goroutines "
                f"in a second process, {self.seconds:.1f} s",
                "  measured           : one new TCP connection per request (connect, write, read the "
                "reply, close); for long-lived connections run `python -m benchmarks`",
                f"  connections served : {self.served:,}",
                f"  requests/s         : {rps:,.0f}",
                f"  latency p50 / p99  : {self.p50 * 1e3:.2f} ms / {self.p99 * 1e3:.2f} ms",
                f"  client errors      : {self.errors}",
                f"  server CPU         : {self.server_cpu:.2f} s ({cpu_pct:.0f}% of one core), "
                f"{per_cpu:,.0f} connections per CPU-second",
                f"  peak goroutines    : {self.peak_goroutines:,}",
                f"  netpoller          : {c.get('epoll_waits', 0):,} epoll_wait calls, "
                f"{c.get('events', 0):,} events, {c.get('registrations', 0):,} registrations",
                f"  scheduler          : {c.get('parks', 0):,} parks, {c.get('wakeups', 0):,} wake-ups "
                f"by the netpoller",
            ]
        )


# -- the server (this process) ---------------------------------------------------------------


def _process(conn: net.Conn, served: list[int]) -> None:
    # The seed's handler, verbatim in spirit: read once, answer, close.
    with conn:
        buf = bytearray(1024)
        conn.read(buf)
        conn.write(REPLY)
    served[0] += 1


def _serve(ln: net.Listener, served: list[int]) -> None:
    """Accept until ln is closed; iterating a listener backs off on temporary errors.

    Go: the accept loop of net/http Server.Serve.
    """
    for conn in ln:
        go(_process, conn, served)


def _cpu_seconds() -> float:
    # This process only: the server's thread (plus the runtime's idle watchdog), not the clients.
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _run_clients(addr: str, clients: int, seconds: float) -> dict[str, Any]:
    """Run the client process to completion and return its JSON report."""
    argv = [sys.executable, "-m", "gonet._demo", addr, str(clients), repr(seconds)]
    # The child imports this very gonet, wherever it was found (an install, a source tree).
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [here, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
        ),
    )
    r: subprocess.CompletedProcess[str] = run_in_thread(
        subprocess.run, argv, capture_output=True, text=True, env=env, timeout=seconds + CLIENT_GRACE
    )
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
        raise RuntimeError(f"the client process failed: {last}")
    out: dict[str, Any] = json.loads(r.stdout)
    return out


def run_demo(clients: int = 200, seconds: float = 3.0, address: str = "127.0.0.1:0") -> DemoResult:
    """Serve the seed's protocol and load it from client goroutines in a second process.

    Args:
        clients: concurrent client goroutines (in the client process).
        seconds: how long the clients keep connecting.
        address: the server's listen address.

    Returns:
        The measured DemoResult.

    Raises:
        ValueError: clients < 1 or seconds <= 0.
        OSError: the address cannot be listened on.
        RuntimeError: the client process failed.
    """
    if clients < 1:
        raise ValueError(f"clients must be >= 1, got {clients}")
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    before = runtime.stats()
    ln = net.listen("tcp", address)
    addr = str(ln.addr())
    served = [0]
    go(_serve, ln, served)
    cpu0 = _cpu_seconds()
    try:
        got = _run_clients(addr, clients, seconds)
    finally:
        ln.close()
    server_cpu = _cpu_seconds() - cpu0
    sleep(0.01)  # let the accept loop observe the close and the last handlers finish
    after = runtime.stats()
    return DemoResult(
        addr,
        clients,
        got["seconds"],
        served=served[0],
        requests=got["requests"],
        errors=got["errors"],
        p50=got["p50"],
        p99=got["p99"],
        server_cpu=server_cpu,
        peak_goroutines=after["goroutines_peak"],
        counters={
            k: after[k] - before[k] for k in ("epoll_waits", "events", "registrations", "parks", "wakeups")
        },
    )


# -- the clients (the second process) ---------------------------------------------------------


def _client(addr: str, until: float, out: dict[str, Any], done: list[int]) -> None:
    buf = bytearray(64)
    try:
        while time.monotonic() < until:
            t0 = time.perf_counter()
            try:
                with net.dial("tcp", addr, timeout=5.0) as c:
                    c.write(b"hello from a client goroutine")
                    got = b""
                    while True:
                        n = c.read(buf)
                        if n == 0:
                            break
                        got += bytes(buf[:n])
            except OSError:
                out["errors"] += 1
                continue
            if got != REPLY:
                out["errors"] += 1
                continue
            out["latencies"].append(time.perf_counter() - t0)
    finally:
        done[0] += 1


def _percentile(xs: list[float], p: float) -> float:
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] if xs else 0.0


def client_main(addr: str, clients: int, seconds: float) -> dict[str, Any]:
    """Drive addr from `clients` goroutines for `seconds`; return requests, errors, p50/p99."""
    out: dict[str, Any] = {"errors": 0, "latencies": []}
    done = [0]
    start = time.monotonic()
    for _ in range(clients):
        go(_client, addr, start + seconds, out, done)
    while done[0] < clients:
        sleep(0.05)
    lat = sorted(out["latencies"])
    return {
        "seconds": time.monotonic() - start,
        "requests": len(lat),
        "errors": out["errors"],
        "p50": _percentile(lat, 50),
        "p99": _percentile(lat, 99),
    }


if __name__ == "__main__":
    _addr, _clients, _seconds = sys.argv[1:4]
    print(json.dumps(client_main(_addr, int(_clients), float(_seconds))))

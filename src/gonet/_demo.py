# gonet._demo: `gonet demo` — the seed's server, driven in-process by hundreds of client goroutines.
#
# Server and clients share one scheduler and one epoll instance, which is the point: every
# accept, read, write and connect below parks a goroutine and is woken by the netpoller.
from __future__ import annotations

import time
from dataclasses import dataclass, field

from gonet import go, net, runtime, sleep

__all__ = ["run_demo", "DemoResult"]

REPLY = b"I am server!"


@dataclass
class DemoResult:
    """What a demo run measured."""

    address: str
    clients: int
    seconds: float
    served: int = 0
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    peak_goroutines: int = 0
    counters: dict[str, int] = field(default_factory=dict)

    def percentile(self, p: float) -> float:
        """Return the p-th percentile latency in seconds (0 if nothing was measured)."""
        if not self.latencies:
            return 0.0
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]

    def report(self) -> str:
        """Format the result as the demo prints it."""
        c = self.counters
        rps = self.requests / self.seconds if self.seconds else 0.0
        return "\n".join([
            f"gonet demo: the seed's server on {self.address}, {self.clients} client goroutines, "
            f"{self.seconds:.1f} s",
            f"  connections served : {self.served:,}",
            f"  requests/s         : {rps:,.0f}",
            f"  latency p50 / p99  : {self.percentile(50) * 1e3:.2f} ms / {self.percentile(99) * 1e3:.2f} ms",
            f"  client errors      : {self.errors}",
            f"  peak goroutines    : {self.peak_goroutines:,}",
            f"  netpoller          : {c.get('epoll_waits', 0):,} epoll_wait calls, "
            f"{c.get('events', 0):,} events, {c.get('registrations', 0):,} registrations",
            f"  scheduler          : {c.get('parks', 0):,} parks, {c.get('wakeups', 0):,} wake-ups "
            f"by the netpoller",
        ])


def _process(conn: net.Conn, served: list[int]) -> None:
    # The seed's handler, verbatim in spirit: read once, answer, close.
    with conn:
        buf = bytearray(1024)
        conn.read(buf)
        conn.write(REPLY)
    served[0] += 1


def _serve(ln: net.Listener, served: list[int]) -> None:
    while True:
        try:
            conn = ln.accept()
        except net.ErrClosed:
            return
        go(_process, conn, served)


def _client(addr: str, until: float, res: DemoResult, done: list[int]) -> None:
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
                res.errors += 1
                continue
            if got != REPLY:
                res.errors += 1
                continue
            res.latencies.append(time.perf_counter() - t0)
            res.requests += 1
    finally:
        done[0] += 1


def run_demo(clients: int = 200, seconds: float = 3.0, address: str = "127.0.0.1:0") -> DemoResult:
    """Serve the seed's protocol and load it with client goroutines for ``seconds``.

    Returns:
        The measured DemoResult (connections served, latencies, runtime counters).
    """
    if clients < 1:
        raise ValueError(f"clients must be >= 1, got {clients}")
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    before = runtime.stats()
    ln = net.listen("tcp", address)
    addr = str(ln.addr())
    res = DemoResult(addr, clients, seconds)
    served = [0]
    done = [0]
    go(_serve, ln, served)
    start = time.monotonic()
    for _ in range(clients):
        go(_client, addr, start + seconds, res, done)
    while done[0] < clients:
        sleep(0.05)
    res.seconds = time.monotonic() - start
    ln.close()
    sleep(0.01)  # let the accept loop observe the close and finish
    after = runtime.stats()
    res.served = served[0]
    res.peak_goroutines = after["goroutines_peak"]
    res.counters = {k: after[k] - before[k] for k in
                    ("epoll_waits", "events", "registrations", "parks", "wakeups")}
    return res

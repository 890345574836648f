"""Fan-out/fan-in of network fetches under a context deadline.

Starts a few backend servers in this process (some of them slow), then asks all of them the
same question at once: one goroutine per backend dials, writes the query and reads the answer;
the answers come back through one channel. The whole fetch shares a context with a deadline:
when it passes, the collector stops waiting (a select over the results channel and
ctx.done()), and every fetch still in flight is aborted — the dial through net.dial(ctx=...),
a read through context.after_func, which expires the conn's deadline (Go's idiom). Slow
backends are reported as timed out; nothing is left running.

Run: python examples/pipeline.py [TIMEOUT_SECONDS]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import gonet
from gonet import Chan, context, net, select, sync
from gonet import time as gtime

BACKENDS = [("fast", 0.0), ("quick", 0.05), ("slow", 3.0), ("stuck", 30.0)]


# -- the backends ------------------------------------------------------------------------------


class Backends:
    """Toy servers that answer one line after a delay; shut down as a group."""

    def __init__(self) -> None:
        self.ctx, self._cancel = context.with_cancel(context.background())
        self.wg = sync.WaitGroup()
        self.listeners: list[net.Listener] = []
        self.addrs: dict[str, str] = {}
        self.queries = 0  # queries read so far, by all backends

    def start(self, name: str, delay: float) -> str:
        """Serve `name` on a fresh local port with the given answer delay; return its address."""
        ln = net.listen("tcp", "127.0.0.1:0")
        self.listeners.append(ln)
        addr = self.addrs[name] = str(ln.addr())
        self.wg.go(self._accept, ln, name, delay)
        return addr

    def _accept(self, ln: net.Listener, name: str, delay: float) -> None:
        try:
            for conn in ln:
                self.wg.go(self._answer, conn, name, delay)
        except net.ErrClosed:
            pass  # shut down

    def _answer(self, conn: net.Conn, name: str, delay: float) -> None:
        with conn:
            try:
                query = conn.recv(1024).decode().strip()
                self.queries += 1
                # "Work" for `delay` seconds, unless we are shut down first.
                t = gtime.Timer(delay)
                i, _, _ = select(t.c.recv_case(), self.ctx.done().recv_case())
                t.stop()
                if i == 0:
                    conn.write(f"{name} says: {query.upper()}\n".encode())
            except OSError:
                pass  # the client gave up and closed first

    def shutdown(self) -> None:
        """Close the listeners, end the slow answers, and wait for every server goroutine."""
        self._cancel()
        for ln in self.listeners:
            ln.close()
        self.wg.wait()


# -- the fetch -----------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    answer: str | None = None
    error: BaseException | None = None


def fetch(ctx: context.Context, addr: str, query: str) -> str:
    """Ask one backend; the context's deadline or cancellation aborts the dial or the read.

    Go: the body of a typical `func fetch(ctx context.Context, addr string) (string, error)`.
    """
    conn = net.dial("tcp", addr, ctx=ctx)
    # Go's idiom: when ctx ends, expire the conn's deadline so a blocked read returns at once.
    stop = context.after_func(ctx, lambda: conn.set_deadline(gonet.now()))
    try:
        with conn:
            conn.write(query.encode() + b"\n")
            out = bytearray()
            buf = bytearray(4096)
            while n := conn.read(buf):
                out += buf[:n]
            return out.decode().strip()
    except OSError as e:
        why = ctx.err()
        if why is not None:
            raise why from e  # report why we gave up, not the expired conn deadline
        raise
    finally:
        stop()


def fan_out(ctx: context.Context, backends: dict[str, str], query: str) -> list[Result]:
    """Query every backend at once; return the results in arrival order, then the ones that
    had not answered when ctx ended (with ctx's error).

    Go: the fan-out/fan-in pattern — one goroutine per task, one channel to collect.
    """
    results: Chan[Result] = Chan(len(backends))  # buffered: a late fetcher never blocks
    wg = sync.WaitGroup()

    def worker(name: str, addr: str) -> None:
        try:
            results.send(Result(name, answer=fetch(ctx, addr, query)))
        except Exception as e:  # noqa: BLE001 - reported as this backend's result
            results.send(Result(name, error=e))

    for name, addr in backends.items():
        wg.go(worker, name, addr)

    got: list[Result] = []
    while len(got) < len(backends):
        i, r, _ = select(results.recv_case(), ctx.done().recv_case())
        if i == 1:
            break  # deadline: stop waiting for the stragglers
        got.append(r)
    wg.wait()  # every fetch ends promptly now (its context is done): nothing leaks
    answered = {r.backend for r in got}
    err = ctx.err()
    for name in backends:
        if name not in answered:
            got.append(Result(name, error=err))
    return got


def main(timeout: float = 1.0) -> list[Result]:
    """Start the backends, fan out one query with a deadline, print and return the results."""
    servers = Backends()
    try:
        for name, delay in BACKENDS:
            servers.start(name, delay)
        ctx, cancel = context.with_timeout(context.background(), timeout)
        try:
            t0 = gonet.now()
            results = fan_out(ctx, servers.addrs, "what time is it?")
            took = gonet.now() - t0
        finally:
            cancel()
        for r in results:
            print(f"{r.backend:>6}: {r.answer if r.error is None else f'error: {r.error}'}")
        print(
            f"{sum(r.error is None for r in results)}/{len(results)} answered in {took:.2f}s "
            f"(deadline {timeout}s)",
            flush=True,
        )
        return results
    finally:
        servers.shutdown()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)

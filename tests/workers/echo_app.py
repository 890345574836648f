# echo_app.py: the worker program of the supervisor tests — a TCP request-response server run
# by gonet.runtime.workers, written as a worker should be (docs/deployment.md): adopt the
# inherited listener, serve, and on SIGTERM stop accepting, close idle connections, finish the
# requests in flight and return.
#
# Protocol: whatever a client sends is echoed back; a message starting with b"slow" is answered
# b"ack\n" at once and b"done\n" half a second later (a request in flight). Each connection is
# one request for max_requests. Every worker prints "accepting pid=P slot=S gen=G" when it
# serves and "served pid=P conns=N" when it returns.
"""Run: python echo_app.py BIND N [--reuse-port] [--max-requests M] [--jitter J] [--mode M]."""

from __future__ import annotations

import argparse
import os
import sys

from gonet import go, runtime


def _say(line: str) -> None:
    # One write(2) per line: the workers share the pipe, and a short write to it is atomic.
    os.write(1, (line + "\n").encode())


def serve(fds: list[int]) -> None:
    """The worker's main: serve fds[0] until SIGTERM, then drain."""
    import signal as _signal

    from gonet import context, net, signal, sync
    from gonet.supervisor import request_done, worker_info

    info = worker_info()
    assert info is not None
    ln = net.file_listener(fds[0])
    ctx, stop = signal.notify_context(context.background(), _signal.SIGTERM)
    wg = sync.WaitGroup()
    idle: set[net.Conn] = set()
    served = 0

    def handle(conn: net.Conn) -> None:
        try:
            with conn:
                first = True
                while True:
                    # Idle = waiting for a request after the first: a new connection's first
                    # request is already on its way and must be answered (as Go's Shutdown
                    # spares StateNew connections).
                    if not first:
                        idle.add(conn)
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        return
                    finally:
                        idle.discard(conn)
                    first = False
                    if not data:
                        return
                    if data.startswith(b"slow"):
                        conn.write(b"ack\n")
                        runtime.sleep(0.5)
                        conn.write(b"done\n")
                    else:
                        conn.write(data)
                    if ctx.err() is not None:
                        return  # shutting down: no next request on this connection
        except OSError:
            pass
        finally:
            wg.done()

    def on_stop() -> None:
        ctx.done().recv()
        ln.close()  # stop accepting; the socket stays open in the supervisor and the others
        for c in list(idle):
            c.set_read_deadline(runtime.now())  # idle connections: end their wait for a request

    go(on_stop)
    _say(f"accepting pid={os.getpid()} slot={info.slot} gen={info.generation}")
    for conn in ln:
        served += 1
        request_done()
        wg.add(1)
        go(handle, conn)
    wg.wait()
    stop()
    _say(f"served pid={os.getpid()} conns={served}")


def crash(fds: list[int]) -> None:
    """A worker that fails at once: the supervisor must back off."""
    raise ValueError("boom at start")


def panic(fds: list[int]) -> None:
    """A worker whose goroutine panics at once: gonet ends it with status 2."""
    from gonet import Chan

    def boom() -> None:
        raise RuntimeError("goroutine gave up")

    go(boom)
    Chan[int]().recv()


def main(argv: list[str]) -> int:
    """Parse the command line and become the supervisor."""
    p = argparse.ArgumentParser()
    p.add_argument("bind")
    p.add_argument("n", type=int)
    p.add_argument("--reuse-port", action="store_true")
    p.add_argument("--max-requests", type=int, default=0)
    p.add_argument("--jitter", type=int, default=0)
    p.add_argument("--graceful-timeout", type=float, default=10.0)
    p.add_argument("--mode", choices=["serve", "crash", "panic"], default="serve")
    a = p.parse_args(argv)
    target = {"serve": serve, "crash": crash, "panic": panic}[a.mode]
    return runtime.workers(
        a.n,
        target,
        listeners=[a.bind],
        reuse_port=a.reuse_port,
        max_requests=a.max_requests,
        max_requests_jitter=a.jitter,
        graceful_timeout=a.graceful_timeout,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

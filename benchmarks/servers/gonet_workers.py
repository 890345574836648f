# gonet_workers.py - the gonet echo server on N worker processes (gonet.runtime.workers).
"""Serve TCP echo from N supervised gonet workers on one shared socket or SO_REUSEPORT sockets.

usage: gonet_workers.py N [--reuse-port] [--count-dir DIR]

Prints the port as the first stdout line (the runner's contract). With --count-dir, each worker
writes "<connections> <messages>" to DIR/<pid> when it gets SIGTERM, for the accept balance.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

from _common import BACKLOG, HOST, report_port

from gonet import go, runtime


def serve(fds: list[int], count_dir: str | None) -> None:
    """One worker: accept and echo until SIGTERM, then record the counts and exit."""
    import signal as _signal

    from gonet import context, net, signal

    ln = net.file_listener(fds[0])
    counts = [0, 0]  # connections, messages

    def handle(conn: net.TCPConn) -> None:
        with conn:
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        return
                    counts[1] += 1
                    conn.write(data)
            except OSError:
                return

    def accept() -> None:
        for conn in ln:
            counts[0] += 1
            go(handle, conn)

    go(accept)
    ctx, _stop = signal.notify_context(context.background(), _signal.SIGTERM)
    ctx.done().recv()
    if count_dir:
        with open(os.path.join(count_dir, str(os.getpid())), "w") as f:
            f.write(f"{counts[0]} {counts[1]}\n")
    os._exit(0)  # a benchmark server: no drain, the run is over


def main(argv: list[str]) -> int:
    """Open the socket(s), report the port and become the supervisor."""
    p = argparse.ArgumentParser()
    p.add_argument("n", type=int)
    p.add_argument("--reuse-port", action="store_true")
    p.add_argument("--count-dir")
    a = p.parse_args(argv)
    if a.reuse_port:
        # Reserve a port: a bound, never listening SO_REUSEPORT socket gets no connections.
        probe = socket.socket()
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
        listeners: list[str | socket.socket] = [f"{HOST}:{port}"]
    else:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        sock.listen(BACKLOG)
        port = sock.getsockname()[1]
        listeners = [sock]
    report_port(port)
    return runtime.workers(
        a.n,
        lambda fds: serve(fds, a.count_dir),
        listeners=listeners,
        reuse_port=a.reuse_port,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

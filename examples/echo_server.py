"""An echo server: every byte a client sends comes back, until the client closes.

Run: python examples/echo_server.py [address]   (default 127.0.0.1:9009)
"""

from __future__ import annotations

import sys

from gonet import go, net


def echo(conn: net.Conn) -> None:
    """Copy everything read from conn back to it until EOF."""
    with conn:
        buf = bytearray(65536)
        view = memoryview(buf)
        while True:
            try:
                n = conn.read(buf)
            except ConnectionResetError:
                return
            if n == 0:
                return
            conn.write(view[:n])


def serve(ln: net.Listener) -> None:
    """Accept connections on ln until it is closed, echoing each in its own goroutine."""
    for conn in ln:  # ends when ln is closed; waits out a temporary error such as EMFILE
        go(echo, conn)


def main(address: str = "127.0.0.1:9009") -> None:
    """Listen on address and echo forever."""
    ln = net.listen("tcp", address)
    print(f"echo server on {ln.addr()}", flush=True)
    serve(ln)


if __name__ == "__main__":
    main(*sys.argv[1:2])

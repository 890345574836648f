"""The seed's program: a TCP server that answers every connection with "I am server!".

Run: python examples/server.py [address]   (default 127.0.0.1:9008), then e.g.
     python examples/client.py 127.0.0.1:9008
"""

from __future__ import annotations

import sys

from gonet import go, net


def process(conn: net.Conn) -> None:
    """Read one request and answer it; the connection closes when the block ends."""
    with conn:
        buf = bytearray(1024)
        n = conn.read(buf)  # parks in "IO wait" until data arrives
        print(f"received {bytes(buf[:n])!r} from {conn.remote_addr()}", flush=True)
        conn.write(b"I am server!")  # parks while the send buffer is full


def main(address: str = "127.0.0.1:9008") -> None:
    """Listen on address and serve each connection in its own goroutine."""
    ln = net.listen("tcp", address)  # socket + non-blocking + bind + listen + epoll register
    print(f"listening on {ln.addr()}", flush=True)
    # Iterating accepts: it parks until a client arrives, and when the process is out of file
    # descriptors (EMFILE) it waits and retries, as Go's net/http server does, instead of dying.
    for conn in ln:
        go(process, conn)  # one goroutine per connection


if __name__ == "__main__":
    main(*sys.argv[1:2])

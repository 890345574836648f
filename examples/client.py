"""A client: dial a server, send a message, print the reply.

Run: python examples/client.py [address] [message]   (default 127.0.0.1:9008 "hello")
Several clients run concurrently, one goroutine each, when -n N is given.
"""

from __future__ import annotations

import argparse

from gonet import go, net, now, sleep


def ask(address: str, message: bytes, replies: list[bytes]) -> None:
    """Send message to address and collect the reply (read until the server closes or 1 s)."""
    with net.dial("tcp", address, timeout=5.0) as conn:
        conn.write(message)
        conn.set_read_deadline(now() + 1.0)
        chunks = []
        while True:
            try:
                data = conn.recv(4096)
            except TimeoutError:
                break  # an echo server keeps the conn open: the deadline ends our wait
            if not data:
                break
            chunks.append(data)
        replies.append(b"".join(chunks))


def main() -> None:
    """Parse arguments, run the clients and print their replies."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("address", nargs="?", default="127.0.0.1:9008")
    p.add_argument("message", nargs="?", default="hello")
    p.add_argument("-n", type=int, default=1, help="concurrent clients")
    a = p.parse_args()
    replies: list[bytes] = []
    for _ in range(a.n):
        go(ask, a.address, a.message.encode(), replies)
    while len(replies) < a.n:
        sleep(0.01)
    for r in replies:
        print(r.decode(errors="replace"))


if __name__ == "__main__":
    main()

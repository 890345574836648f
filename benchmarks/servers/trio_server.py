# trio_server.py - echo server on trio's structured-concurrency streams.
"""Serve TCP echo with trio.serve_listeners."""

from __future__ import annotations

import socket

import trio
from _common import BACKLOG, BUFSIZE, HOST, report_port


async def handle(stream: trio.SocketStream) -> None:
    """Echo until EOF."""
    stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = await stream.receive_some(BUFSIZE)
            if not data:
                return
            await stream.send_all(data)
    except trio.BrokenResourceError:
        pass
    finally:
        await stream.aclose()


async def main() -> None:
    """Listen, report the port, and serve until killed."""
    listeners = await trio.open_tcp_listeners(0, host=HOST, backlog=BACKLOG)
    report_port(listeners[0].socket.getsockname()[1])
    await trio.serve_listeners(handle, listeners)


if __name__ == "__main__":
    trio.run(main)

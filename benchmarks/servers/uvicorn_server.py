# uvicorn_server.py - a raw ASGI app on uvicorn as run in production: uvloop + httptools, 1 worker.
"""Serve the HTTP contract with uvicorn (`--loop uvloop --http httptools --no-access-log`).

The socket is bound here (port 0) and handed to uvicorn, as `uvicorn --fd` does.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from _hello import BODY, CONTENT_TYPE, report_port, route

HEADERS = [(b"content-type", CONTENT_TYPE.encode()), (b"content-length", str(len(BODY)).encode())]
# Idle keep-alive conns must outlive the idle scenario's setup (uvicorn's default is 5 s).
KEEP_ALIVE_S = 120


async def app(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Answer the contract as a raw ASGI 3 application."""
    if scope["type"] != "http":
        return
    status = route(scope["method"], scope["path"])
    if scope["method"] == "POST":
        more = True
        while more:
            more = (await receive()).get("more_body", False)
    if status != 200:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    """Bind port 0, report it, and run uvicorn on the socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    report_port(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="off",
        timeout_keep_alive=KEEP_ALIVE_S,
        backlog=4096,
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()

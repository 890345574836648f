# aiohttp_server.py - the HTTP contract on aiohttp.web (run_app, default asyncio loop, no access log).
"""Serve `GET /` and `POST /post` with aiohttp.web as its documentation runs it."""

from __future__ import annotations

import socket

from _hello import BODY, CONTENT_TYPE, POST_PATH, report_port
from aiohttp import web


async def hello(request: web.Request) -> web.Response:
    """Answer the hello body."""
    return web.Response(body=BODY, content_type=CONTENT_TYPE)


async def post(request: web.Request) -> web.Response:
    """Read the whole body, then answer like hello."""
    await request.read()
    return web.Response(body=BODY, content_type=CONTENT_TYPE)


def main() -> None:
    """Bind port 0, report it, and run the app on the socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    report_port(sock.getsockname()[1])
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_post(POST_PATH, post)
    web.run_app(app, sock=sock, access_log=None, print=None, backlog=4096, keepalive_timeout=120)


if __name__ == "__main__":
    main()

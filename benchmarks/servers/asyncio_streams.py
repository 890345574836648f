# asyncio_streams.py - echo server on asyncio's high-level streams API.
"""Serve TCP echo with asyncio.start_server; --uvloop swaps in the uvloop event loop."""

from __future__ import annotations

import argparse
import asyncio
import socket

from _common import BACKLOG, BUFSIZE, HOST, report_port, set_nodelay


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Echo until EOF, waiting on drain so a slow reader applies back-pressure."""
    set_nodelay(writer.get_extra_info("socket"))
    try:
        while True:
            data = await reader.read(BUFSIZE)
            if not data:
                return
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main() -> None:
    """Listen, report the port, and serve until killed."""
    server = await asyncio.start_server(handle, HOST, 0, backlog=BACKLOG, family=socket.AF_INET)
    report_port(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    if parser.parse_args().uvloop:
        import uvloop

        uvloop.install()
    asyncio.run(main())

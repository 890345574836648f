# asyncio_protocol.py - echo server on asyncio's low-level Protocol callbacks.
"""Serve TCP echo with an asyncio.Protocol; --uvloop swaps in the uvloop event loop."""

from __future__ import annotations

import argparse
import asyncio
import socket
from typing import cast

from _common import BACKLOG, HOST, report_port, set_nodelay


class Echo(asyncio.Protocol):
    """Write every received chunk straight back."""

    transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport and disable Nagle on it."""
        self.transport = cast(asyncio.Transport, transport)
        set_nodelay(transport.get_extra_info("socket"))

    def data_received(self, data: bytes) -> None:
        """Echo the chunk; the transport buffers whatever the kernel refuses."""
        self.transport.write(data)

    def eof_received(self) -> bool:
        """Close our side on EOF (returning False lets the transport close)."""
        return False


async def main() -> None:
    """Listen, report the port, and serve until killed."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, HOST, 0, backlog=BACKLOG, family=socket.AF_INET)
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

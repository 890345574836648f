# waitress_server.py - the contract WSGI app on waitress (asyncore I/O thread + 4 app threads).
"""Serve the WSGI contract app with waitress, its defaults except the limits the idle scenario needs.

connection_limit is raised from 100 and the poll() loop is chosen instead of select() (which
cannot watch fds above 1023), so 10,000 keep-alive conns can be held.
"""

from __future__ import annotations

import socket

from _hello import app, report_port
from waitress.server import create_server

MAX_CONNS = 20000


def main() -> None:
    """Bind port 0, report it, and serve forever."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    report_port(sock.getsockname()[1])
    server = create_server(
        app, sockets=[sock], connection_limit=MAX_CONNS, asyncore_use_poll=True, backlog=4096
    )
    server.run()


if __name__ == "__main__":
    main()

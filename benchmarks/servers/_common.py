# _common.py - the contract every echo server shares: listen setup and port report.
"""Shared helpers for the benchmark echo servers (run as scripts, not imported as a package)."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"
# Well above the 1000-connection scenarios; the kernel caps it at somaxconn.
BACKLOG = 4096
BUFSIZE = 65536


def report_port(port: int) -> None:
    """Print the listening port as the first stdout line, flushed, for the runner."""
    print(port, flush=True)


def set_nodelay(sock: socket.socket) -> None:
    """Disable Nagle on an accepted socket so small echoes are not delayed."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def listen_socket() -> socket.socket:
    """Return a blocking TCP socket listening on 127.0.0.1 with an ephemeral port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(BACKLOG)
    return sock

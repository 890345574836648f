# granian_server.py - granian (Rust HTTP, hyper) hosting the contract app: WSGI or RSGI, 1 worker.
"""Serve the HTTP contract with granian as its users run it: `granian --interface wsgi|rsgi`.

Granian binds its own socket from Rust and has no port-0 report, so a free port is picked here
first (bound and released; nothing else on the machine races for it) and granian is exec'ed on
it. The worker process inherits the server core's CPU affinity.

Usage: granian_server.py wsgi|rsgi
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

from _hello import BODY, CONTENT_TYPE, report_port, route

RSGI_HEADERS = [("content-type", CONTENT_TYPE)]


async def rsgi_app(scope: Any, proto: Any) -> None:
    """Answer the contract as an RSGI application (granian's native interface)."""
    status = route(scope.method, scope.path)
    if scope.method == "POST":
        await proto()  # the whole body
    proto.response_bytes(status, RSGI_HEADERS, BODY if status == 200 else b"")


def free_port() -> int:
    """Return a port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    """Pick the port, report it, and exec granian on it."""
    interface = sys.argv[1] if len(sys.argv) > 1 else "wsgi"
    target = {"wsgi": "_hello:app", "rsgi": "granian_server:rsgi_app"}[interface]
    port = free_port()
    report_port(port)
    granian = shutil.which("granian", path=os.path.dirname(sys.executable)) or "granian"
    argv = [
        granian,
        "--interface",
        interface,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
        "--backlog",
        "4096",
        "--working-dir",
        str(Path(__file__).resolve().parent),
        target,
    ]
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()

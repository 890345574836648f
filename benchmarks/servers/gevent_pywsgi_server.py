# gevent_pywsgi_server.py - the contract WSGI app on gevent.pywsgi's WSGIServer.
"""Serve the WSGI contract app with gevent.pywsgi (one greenlet per connection, log off).

pywsgi writes a response's head and body in two send()s. Without TCP_NODELAY the body waits
for the client's delayed ACK of the head (Nagle), which pins it near 2,000 req/s at a third of
a core; so every accepted socket gets TCP_NODELAY, as Go, gonet, uvicorn and granian set it.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # as gevent applications run: before anything else imports socket

import socket  # noqa: E402
from typing import Any  # noqa: E402

from _hello import app, report_port  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402


class NoDelayWSGIServer(WSGIServer):  # type: ignore[misc]
    """WSGIServer that disables Nagle on each accepted connection."""

    def handle(self, sock: socket.socket, address: Any) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


def main() -> None:
    """Bind port 0, report it, and serve forever."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    report_port(sock.getsockname()[1])
    NoDelayWSGIServer(sock, app, log=None).serve_forever()


if __name__ == "__main__":
    main()

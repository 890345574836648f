# gunicorn_server.py - the contract WSGI app on gunicorn's gevent worker, 1 worker.
"""Serve the WSGI contract app with `gunicorn -k gevent -w 1`, as gevent users deploy it.

The socket is bound here (port 0) and given to gunicorn as `fd://N`, its documented bind form.
worker_connections and keepalive are raised so the idle scenario's 10,000 keep-alive conns are
all held (defaults: 1000 conns, 2 s keep-alive).
"""

from __future__ import annotations

import socket
from typing import Any

from _hello import app, report_port
from gunicorn.app.base import BaseApplication

KEEP_ALIVE_S = 120
MAX_CONNS = 20000


class Standalone(BaseApplication):  # type: ignore[misc]
    """Gunicorn's documented way to embed it: options in code, the app object given."""

    def __init__(self, application: Any, options: dict[str, Any]) -> None:
        self.application, self.options = application, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def main() -> None:
    """Bind port 0, report it, and run gunicorn's arbiter with one gevent worker."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    sock.set_inheritable(True)
    report_port(sock.getsockname()[1])
    options = {
        "bind": f"fd://{sock.fileno()}",
        "workers": 1,
        "worker_class": "gevent",
        "worker_connections": MAX_CONNS,
        "keepalive": KEEP_ALIVE_S,
        "backlog": 4096,
        "accesslog": None,
        "loglevel": "warning",
    }
    Standalone(app, options).run()


if __name__ == "__main__":
    main()

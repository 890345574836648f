# gevent_server.py - echo server on gevent's StreamServer (greenlets over libev).
"""Serve TCP echo with gevent.server.StreamServer; no monkey patching needed."""

from __future__ import annotations

import gevent.socket
from _common import BACKLOG, BUFSIZE, HOST, report_port, set_nodelay
from gevent.server import StreamServer


def handle(sock: gevent.socket.socket, _addr: tuple[str, int]) -> None:
    """Echo until EOF, reusing one buffer like the gonet server does."""
    set_nodelay(sock)
    buf = bytearray(BUFSIZE)
    view = memoryview(buf)
    try:
        while True:
            n = sock.recv_into(buf)
            if n == 0:
                return
            sock.sendall(view[:n])
    except ConnectionError:
        pass
    finally:
        sock.close()


def main() -> None:
    """Listen, report the port, and serve until killed."""
    server = StreamServer((HOST, 0), handle, backlog=BACKLOG)
    server.init_socket()
    report_port(server.server_port)
    server.serve_forever()


if __name__ == "__main__":
    main()

# threads_server.py - echo server with one OS thread per connection, blocking sockets.
"""Serve TCP echo the classic way: accept in a loop, one thread per client."""

from __future__ import annotations

import socket
import threading

from _common import BUFSIZE, listen_socket, report_port, set_nodelay


def handle(sock: socket.socket) -> None:
    """Echo until EOF on a blocking socket."""
    buf = bytearray(BUFSIZE)
    view = memoryview(buf)
    with sock:
        try:
            while True:
                n = sock.recv_into(buf)
                if n == 0:
                    return
                sock.sendall(view[:n])
        except ConnectionError:
            pass


def main() -> None:
    """Listen, report the port, and serve until killed."""
    listener = listen_socket()
    report_port(listener.getsockname()[1])
    while True:
        sock, _ = listener.accept()
        set_nodelay(sock)
        threading.Thread(target=handle, args=(sock,), daemon=True).start()


if __name__ == "__main__":
    main()

# httpidle.py - the http_idle client: open N keep-alive conns, one GET each, then hold them.
#
# Invariant: a connection counts as held only once its whole 200 response (head and body, by
# Content-Length or chunked) has arrived on a connection the server left open. The report line
# is printed only when every connection is held or has failed, so the runner reads the server's
# RSS while all of them sit idle. The conns are released when stdin closes.
"""Hold N idle HTTP/1.1 keep-alive connections after one request each.

Usage: python -m benchmarks.httpidle HOST PORT CONNS
Prints one JSON line {"mode", "conns", "held", "errors", "setup_s"}, then waits for stdin EOF.
"""

from __future__ import annotations

import errno
import json
import selectors
import socket
import sys
import time

# Connects in flight at once: far below the listen backlog, so no SYN is dropped and retried.
IN_FLIGHT = 200
SETUP_TIMEOUT_S = 100.0


class Conn:
    """One client connection and the bytes of its response so far."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.sent = False

    def response_complete(self) -> bool:
        """Tell whether buf holds a whole response; raise ValueError if it is not a 200."""
        head, sep, body = self.buf.partition(b"\r\n\r\n")
        if not sep:
            return False
        lines = head.split(b"\r\n")
        if not lines[0].startswith(b"HTTP/1.1 200 "):
            raise ValueError(f"unexpected status line {lines[0]!r}")
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip().lower()
        if fields.get(b"connection") == b"close":
            raise ValueError("the server closes the connection after the response")
        if b"content-length" in fields:
            return len(body) >= int(fields[b"content-length"])
        return body.endswith(b"0\r\n\r\n")


def hold(host: str, port: int, n: int, request: bytes) -> tuple[list[Conn], int, float]:
    """Open n connections, send one request on each, read each response; return (held, errors, s)."""
    sel = selectors.DefaultSelector()
    held: list[Conn] = []
    errors = started = 0
    active = 0
    t0 = time.monotonic()

    def fail(c: Conn) -> None:
        nonlocal errors, active
        sel.unregister(c.sock)
        c.sock.close()
        errors += 1
        active -= 1

    while (started < n or active) and time.monotonic() - t0 < SETUP_TIMEOUT_S:
        while started < n and active < IN_FLIGHT:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((host, port))
            started += 1
            if err not in (0, errno.EINPROGRESS):
                s.close()
                errors += 1
                continue
            sel.register(s, selectors.EVENT_WRITE, Conn(s))
            active += 1
        for key, _ in sel.select(1.0):
            c: Conn = key.data
            try:
                if not c.sent:
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, "connect")
                    c.sock.send(request)  # far below the send buffer: all of it goes
                    c.sent = True
                    sel.modify(c.sock, selectors.EVENT_READ, c)
                    continue
                chunk = c.sock.recv(65536)
                if not chunk:
                    raise ConnectionResetError("the server closed the connection")
                c.buf += chunk
                if c.response_complete():
                    sel.unregister(c.sock)
                    held.append(c)
                    active -= 1
            except (OSError, ValueError) as exc:
                print(f"httpidle: {type(exc).__name__}: {exc}", file=sys.stderr)
                fail(c)
    errors += active  # still unanswered at the timeout
    sel.close()
    return held, errors, time.monotonic() - t0


def main() -> None:
    """Parse arguments, hold the conns, report, and release them when stdin closes."""
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    request = f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    held, errors, setup_s = hold(host, port, n, request)
    report = {"mode": "http_idle", "conns": n, "held": len(held), "errors": errors, "setup_s": setup_s}
    print(json.dumps(report), flush=True)
    sys.stdin.read()
    for c in held:
        c.sock.close()


if __name__ == "__main__":
    main()

"""A TCP proxy: every client connection is joined to a new connection to the target.

Two goroutines per connection copy bytes, one each way, in plain blocking code. When one side
finishes sending (EOF), its copier passes that on with close_write, so half-closed protocols
(a client that sends a request, then shuts down its write side and waits for the answer) work
through the proxy. When both directions are done, both conns are closed; an error on either
side closes both, which also stops the other copier.

Run: python examples/proxy.py LISTEN_ADDR TARGET_ADDR
e.g. python examples/proxy.py 127.0.0.1:9012 127.0.0.1:9009   (with examples/echo_server.py)
"""

from __future__ import annotations

import sys

from gonet import go, net

DIAL_TIMEOUT = 10.0


class Session:
    """One proxied connection: the two conns and how many copiers are still running."""

    def __init__(self, client: net.Conn, upstream: net.Conn) -> None:
        self.client = client
        self.upstream = upstream
        self.running = 2

    def copy(self, src: net.Conn, dst: net.Conn) -> None:
        """Copy src to dst until EOF, then half-close dst; on error close both conns."""
        buf = bytearray(65536)
        view = memoryview(buf)
        try:
            while True:
                n = src.read(buf)
                if n == 0:
                    break
                dst.write(view[:n])
            dst.close_write()  # propagate the EOF: the other side reads it too
        except OSError:
            self.abort()  # a reset or a closed conn: end the whole session
        finally:
            self.running -= 1
            if self.running == 0:
                self.abort()

    def abort(self) -> None:
        """Close both conns (once each); a blocked copier fails out with ErrClosed."""
        for c in (self.client, self.upstream):
            if not c.closed:
                c.close()


def handle(client: net.Conn, target: str) -> None:
    """Dial the target for client and start the two copiers."""
    try:
        upstream = net.dial("tcp", target, timeout=DIAL_TIMEOUT)
    except OSError as e:
        print(f"proxy: {e}", file=sys.stderr, flush=True)
        client.close()
        return
    s = Session(client, upstream)
    go(s.copy, client, upstream)
    go(s.copy, upstream, client)


def main(listen_addr: str, target: str) -> None:
    """Accept connections on listen_addr and proxy each one to target."""
    ln = net.listen("tcp", listen_addr)
    print(f"proxy on {ln.addr()} -> {target}", flush=True)
    for client in ln:
        go(handle, client, target)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: proxy.py LISTEN_ADDR TARGET_ADDR")
    main(sys.argv[1], sys.argv[2])

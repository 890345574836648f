# gonet_server.py - echo server on gonet: blocking code in goroutines over one netpoller.
"""Serve TCP echo with gonet's public API, written exactly like the Go version."""
from __future__ import annotations

from gonet import go, net


def handle(conn: net.TCPConn) -> None:
    """Echo until EOF or a connection error; conn.write writes all bytes."""
    with conn:
        # gonet, like Go, already disables Nagle on accept; go_echo.go repeats it too.
        conn.set_no_delay(True)
        buf = bytearray(65536)
        view = memoryview(buf)
        try:
            while True:
                n = conn.read(buf)
                if n == 0:
                    return
                conn.write(view[:n])
        except ConnectionError:
            # A client that closes with an echo unread resets the conn; Go's
            # handler returns on that error, so this one does too.
            return


def main() -> None:
    """Listen, report the port, and spawn a goroutine per accepted conn."""
    ln = net.listen("tcp", "127.0.0.1:0")
    print(ln.addr().port, flush=True)
    while True:
        go(handle, ln.accept())


if __name__ == "__main__":
    main()

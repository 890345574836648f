# gonet_server.py - echo server on gonet: blocking code in goroutines over one netpoller.
"""Serve TCP echo with gonet's public API, written exactly like the Go version."""

from __future__ import annotations

from gonet import go, net


def handle(conn: net.TCPConn) -> None:
    """Echo until EOF or a connection error; conn.write writes all bytes."""
    # TCP_NODELAY is already set: gonet sets it on every accepted conn, as Go does.
    with conn:
        try:
            while True:
                # recv(n) allocates per message (below malloc's mmap threshold, so no syscall)
                # instead of pinning a 64 KiB buffer to every idle connection.
                data = conn.recv(65536)
                if not data:
                    return
                conn.write(data)
        except OSError:
            # A reset, a keep-alive timeout, ...: Go's handler returns on any read or
            # write error, so this one does too (an escaping error would end the server).
            return


def main() -> None:
    """Listen, report the port, and spawn a goroutine per accepted conn."""
    ln = net.listen("tcp", "127.0.0.1:0")
    print(ln.addr().port, flush=True)
    for conn in ln:  # on EMFILE: backs off (5 ms doubling to 1 s) rather than spinning
        go(handle, conn)


if __name__ == "__main__":
    main()

"""A UDP echo server: every datagram goes back to whoever sent it.

One goroutine is enough for UDP: read_from parks until a datagram arrives (the socket is
non-blocking underneath, woken by the netpoller) and names its sender, write_to answers it.

Run: python examples/udp_echo.py [address]   (default 127.0.0.1:9010)
Try: python -c "import socket; s=socket.socket(2,2); s.sendto(b'hi',('127.0.0.1',9010)); print(s.recv(99))"
"""

from __future__ import annotations

import sys

from gonet import net


def serve(pc: net.PacketConn) -> None:
    """Echo datagrams on pc until it is closed."""
    buf = bytearray(65536)
    view = memoryview(buf)
    while True:
        try:
            n, addr = pc.read_from(buf)
        except net.ErrClosed:
            return
        try:
            pc.write_to(view[:n], addr)
        except OSError as e:  # e.g. the sender's port is gone: answer the others anyway
            print(f"udp echo: {e}", file=sys.stderr, flush=True)


def main(address: str = "127.0.0.1:9010") -> None:
    """Listen on address and echo forever."""
    pc = net.listen_packet("udp", address)
    print(f"udp echo on {pc.local_addr()}", flush=True)
    serve(pc)


if __name__ == "__main__":
    main(*sys.argv[1:2])

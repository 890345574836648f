"""A TLS echo server: each connection is a goroutine running plain blocking code over gonet.tls.

gonet.tls runs TLS on ssl.MemoryBIO, so the handshake and every record go through the conn's
ordinary read/write: they park on the netpoller, and deadlines apply (here: the handshake must
finish within 10 s, and an idle client is dropped after 60 s).

Run: python examples/tls_echo.py --cert cert.pem --key key.pem [address]   (default 127.0.0.1:9011)
Make a test certificate:
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \\
      -keyout key.pem -out cert.pem -subj /CN=localhost -addext subjectAltName=DNS:localhost
Try: openssl s_client -connect 127.0.0.1:9011 -quiet
"""

from __future__ import annotations

import argparse
import ssl
import sys

import gonet
from gonet import go, net, tls

HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 60.0


def echo(conn: tls.TLSConn) -> None:
    """Handshake, then copy everything read back to the client until it closes."""
    with conn:
        try:
            conn.set_deadline(gonet.now() + HANDSHAKE_TIMEOUT)
            conn.handshake()
            buf = bytearray(16384)
            view = memoryview(buf)
            while True:
                conn.set_deadline(gonet.now() + IDLE_TIMEOUT)  # deadlines are absolute: re-arm
                n = conn.read(buf)
                if n == 0:
                    return
                conn.write(view[:n])
        except (OSError, ssl.SSLError) as e:  # a bad client must not take the server down
            print(f"tls echo: {conn.remote_addr()}: {e}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, listen, and serve each connection in its own goroutine."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("address", nargs="?", default="127.0.0.1:9011")
    p.add_argument("--cert", required=True, help="PEM certificate chain")
    p.add_argument("--key", required=True, help="PEM private key")
    args = p.parse_args(argv)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ln = net.listen("tcp", args.address)
    print(f"tls echo on {ln.addr()}", flush=True)
    for conn in ln:  # stops when the listener is closed; waits out EMFILE and the like
        go(echo, tls.server(conn, ctx))


if __name__ == "__main__":
    main()

"""An HTTP server in Go's net/http style: a ServeMux with Go 1.22 patterns, blocking handlers,
timeouts against slow clients, and a graceful shutdown on Ctrl-C or SIGTERM.

Each connection runs in its own goroutine; a handler is a plain function (w, r) that writes
with blocking calls. On a signal the server stops accepting, lets the requests in flight finish
(at most SHUTDOWN_GRACE seconds), and the program exits.

Run: python examples/http_hello.py [HOST:PORT]   (default 127.0.0.1:8080), then e.g.
     curl http://127.0.0.1:8080/hello/gopher
     curl -X POST --data-binary 'some text' http://127.0.0.1:8080/echo
"""

from __future__ import annotations

import signal
import sys

from gonet import go, http, net
from gonet import signal as gsignal
from gonet.context import background, with_timeout

SHUTDOWN_GRACE = 10.0


def hello(w: http.ResponseWriter, r: http.Request) -> None:
    """GET /hello/{name}: greet by the path's name."""
    w.header().set("Content-Type", "text/plain; charset=utf-8")
    w.write(b"hello, " + r.path_value("name").encode() + b"\n")


def echo(w: http.ResponseWriter, r: http.Request) -> None:
    """POST /echo: send the request body back, streaming it as it arrives."""
    w.header().set("Content-Type", r.header.get("Content-Type") or "application/octet-stream")
    while data := r.body.read(65536):
        w.write(data)


def index(w: http.ResponseWriter, r: http.Request) -> None:
    """GET / (exactly): list the routes."""
    w.header().set("Content-Type", "text/plain; charset=utf-8")
    w.write(b"GET /hello/{name}\nPOST /echo\n")


def main(addr: str = "127.0.0.1:8080") -> None:
    """Serve the routes on addr until SIGINT or SIGTERM, then shut down gracefully."""
    mux = http.ServeMux()
    mux.handle_func("GET /hello/{name}", hello)
    mux.handle_func("POST /echo", echo)
    mux.handle_func("GET /{$}", index)
    srv = http.Server(handler=mux, read_header_timeout=5.0, idle_timeout=60.0)
    ln = net.listen("tcp", addr)
    print(f"serving HTTP on http://{ln.addr()}", flush=True)

    # The signal arrives on the main goroutine's context; the server runs beside it.
    ctx, stop = gsignal.notify_context(background(), signal.SIGINT, signal.SIGTERM)
    go(serve, srv, ln)
    ctx.done().recv()
    stop()
    print("shutting down", flush=True)
    sctx, cancel = with_timeout(background(), SHUTDOWN_GRACE)
    try:
        srv.shutdown(sctx)  # stop accepting, close idle conns, wait for active requests
    finally:
        cancel()


def serve(srv: http.Server, ln: net.Listener) -> None:
    """Run the server; serve() ends with ErrServerClosed once shutdown() starts, as in Go."""
    try:
        srv.serve(ln)
    except http.ErrServerClosed:
        pass


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.exit("usage: http_hello.py [HOST:PORT]")
    main(*sys.argv[1:2])

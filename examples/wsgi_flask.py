"""A Flask application served by gonet.http through http.wsgi (PEP 3333).

The app is ordinary Flask; gonet runs each connection in a goroutine and calls the app on it.
The same app runs with the command line too: `gonet serve wsgi_flask:app` (from examples/).
Needs Flask: pip install flask

Run: python examples/wsgi_flask.py [HOST:PORT]   (default 127.0.0.1:8000), then e.g.
     curl http://127.0.0.1:8000/hello/gopher
     curl -X POST -H 'Content-Type: application/json' -d '{"a": 1}' http://127.0.0.1:8000/json
"""

from __future__ import annotations

import signal
import sys

from flask import Flask, Response, jsonify, request

from gonet import go, http, net
from gonet import signal as gsignal
from gonet.context import background, with_timeout

app = Flask(__name__)


@app.get("/hello/<name>")
def hello(name: str) -> str:
    """Greet by name (text/html, as Flask returns str)."""
    return f"hello, {name}!"


@app.post("/json")
def echo_json() -> Response:
    """Echo a JSON body back with the number of its keys."""
    data = request.get_json(force=True)
    return jsonify(received=data, keys=len(data) if isinstance(data, dict) else 0)


@app.get("/stream")
def stream() -> Response:
    """Stream lines from a generator: gonet sends each one as it is produced (chunked)."""

    def lines():  # type: ignore[no-untyped-def]
        for i in range(5):
            yield f"line {i}\n"

    return Response(lines(), mimetype="text/plain")


def main(addr: str = "127.0.0.1:8000") -> None:
    """Serve app on addr until SIGINT or SIGTERM, then shut down gracefully."""
    srv = http.Server(handler=http.wsgi(app), read_header_timeout=5.0)
    ln = net.listen("tcp", addr)
    print(f"serving Flask on http://{ln.addr()}", flush=True)
    ctx, stop = gsignal.notify_context(background(), signal.SIGINT, signal.SIGTERM)
    go(run, srv, ln)
    ctx.done().recv()
    stop()
    sctx, cancel = with_timeout(background(), 10.0)
    try:
        srv.shutdown(sctx)
    finally:
        cancel()


def run(srv: http.Server, ln: net.Listener) -> None:
    """Serve until shutdown (serve raises ErrServerClosed then, as Go's Serve returns it)."""
    try:
        srv.serve(ln)
    except http.ErrServerClosed:
        pass


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.exit("usage: wsgi_flask.py [HOST:PORT]")
    main(*sys.argv[1:2])

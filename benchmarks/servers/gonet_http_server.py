# gonet_http_server.py - the HTTP benchmark contract on gonet.http, written like the Go version.
"""Serve `GET /` and `POST /post` with a gonet.http ServeMux on one goroutine per connection."""

from __future__ import annotations

from _hello import BODY, CONTENT_TYPE, POST_PATH, READ_CHUNK, report_port

from gonet import http, net


def hello(w: http.ResponseWriter, r: http.Request) -> None:
    """Answer the hello body; gonet adds Content-Length (the handler ends inside the buffer)."""
    w.header().set("Content-Type", CONTENT_TYPE)
    w.write(BODY)


def post(w: http.ResponseWriter, r: http.Request) -> None:
    """Read the whole request body, then answer like hello."""
    while r.body.read(READ_CHUNK):
        pass
    hello(w, r)


# Module level, so that `gonet serve gonet_http_server:mux --workers N` serves the same routes.
mux = http.ServeMux()
mux.handle_func("GET /", hello)
mux.handle_func(f"POST {POST_PATH}", post)


def main() -> None:
    """Listen on port 0, report the port, and serve until killed."""
    ln = net.listen("tcp", "127.0.0.1:0")
    report_port(ln.addr().port)
    http.Server(handler=mux).serve(ln)


if __name__ == "__main__":
    main()

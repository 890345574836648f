# gonet_wsgi_server.py - the shared WSGI hello app hosted by gonet.http.wsgi.
"""Serve the WSGI contract app through `http.wsgi(app)` on a gonet.http Server."""

from __future__ import annotations

from _hello import app, report_port

from gonet import http, net


def main() -> None:
    """Listen on port 0, report the port, and serve until killed."""
    ln = net.listen("tcp", "127.0.0.1:0")
    report_port(ln.addr().port)
    http.Server(handler=http.wsgi(app)).serve(ln)


if __name__ == "__main__":
    main()

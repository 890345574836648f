# gonet.cli: the `gonet` command.
from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the gonet command line; return the exit status."""
    p = argparse.ArgumentParser(prog="gonet", description="Go's network model for Python.")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser(
        "demo", help="run the seed's server under load from client goroutines in a second process"
    )
    d.add_argument("--clients", type=int, default=200, help="concurrent client goroutines")
    d.add_argument("--seconds", type=float, default=3.0, help="how long to drive the server")
    d.add_argument("--addr", default="127.0.0.1:0", help="listen address (default: a free port)")
    sub.add_parser("version", help="print gonet's version")
    _add_serve(sub)
    args = p.parse_args(argv)
    if args.cmd == "serve":
        return _serve(args)
    if args.cmd == "version":
        from gonet import __version__

        print(__version__)
        return 0
    from gonet._demo import run_demo

    try:
        res = run_demo(args.clients, args.seconds, args.addr)
    except (ValueError, OSError, RuntimeError) as e:
        print(f"gonet demo: {e}", file=sys.stderr)
        return 1
    print(res.report())
    return 0 if res.requests and not res.errors else 1


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gonet serve MODULE:APP ...` (the logic is in gonet._serve)."""
    s = sub.add_parser(
        "serve",
        help="serve a WSGI app or a Go-style handler (w, r) with gonet.http",
        description="Serve MODULE:APP with gonet.http.Server until SIGINT or SIGTERM, then shut down gracefully.",
    )
    s.add_argument("app", metavar="MODULE:APP", help='the app to serve, e.g. "myapp:app"')
    s.add_argument(
        "--bind",
        default="127.0.0.1:8000",
        metavar="HOST:PORT",
        help="listen address (or unix:PATH, or fd://N for an inherited socket)",
    )
    s.add_argument("--access-log", action="store_true", help="print a Common Log Format line per request")
    s.add_argument(
        "--interface",
        choices=("wsgi", "handler"),
        help="how to call the app (default: detected from its signature)",
    )
    s.add_argument(
        "--graceful-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="how long requests in flight may take to finish after SIGINT/SIGTERM (default 30)",
    )
    w = s.add_argument_group("workers (every core: N processes on one listening socket)")
    w.add_argument(
        "--workers",
        type=int,
        nargs="?",
        const=0,
        metavar="N",
        help="serve with N worker processes under a supervisor (N omitted: the usable CPUs)",
    )
    w.add_argument("--reuse-port", action="store_true", help="one SO_REUSEPORT socket per worker")
    w.add_argument(
        "--max-requests", type=int, default=0, metavar="N", help="recycle a worker after N requests"
    )
    w.add_argument(
        "--max-requests-jitter", type=int, default=0, metavar="J", help="add up to J to each worker's limit"
    )
    w.add_argument("--debug-addr", metavar="HOST:PORT", help="worker i serves its gonet.debug page on PORT+i")


def _serve(args: argparse.Namespace) -> int:
    from gonet._serve import ServeOptions, main

    opts = ServeOptions(
        app=args.app,
        bind=args.bind,
        access_log=args.access_log,
        interface=args.interface,
        graceful_timeout=args.graceful_timeout,
    )
    if args.workers is None:
        if args.reuse_port or args.max_requests or args.debug_addr:
            print(
                "gonet serve: --reuse-port, --max-requests and --debug-addr need --workers",
                file=sys.stderr,
            )
            return 2
        return main(opts)
    from gonet._serve import configure_logging
    from gonet._serve_workers import WorkerOptions, serve_workers

    configure_logging()
    wopts = WorkerOptions(
        args.workers or None,
        reuse_port=args.reuse_port,
        max_requests=args.max_requests,
        max_requests_jitter=args.max_requests_jitter,
        debug_addr=args.debug_addr,
    )
    return serve_workers(opts, wopts)


if __name__ == "__main__":
    sys.exit(main())

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
    args = p.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())

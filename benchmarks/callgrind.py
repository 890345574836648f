# callgrind.py - instructions per HTTP request of a gonet server script, counted by callgrind.
"""Count the user-space instructions a gonet HTTP server spends per request.

The server script runs under valgrind's callgrind with instrumentation off; wrk (one thread,
100 connections) warms it up, the counters start, wrk loads it for the measured seconds, the
counters stop and are dumped, and the total is divided by the requests wrk reports. Unlike
req/s, the figure does not depend on what else the machine is doing, so two builds or two
commits compare within about 1 %. The method is docs/performance.md's.

    python -m benchmarks.callgrind                       # http_hello, compiled
    python -m benchmarks.callgrind --script gonet_wsgi_server.py
    python -m benchmarks.callgrind --post 4096            # http_post_4k's shape
    GONET_PURE_PYTHON=1 python -m benchmarks.callgrind    # the pure build
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .procs import LineReader, start, stop
from .setup_env import ensure_wrk

SERVERS_DIR = Path(__file__).resolve().parent / "servers"
_TOTAL = re.compile(r"^([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.M)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.callgrind", description=__doc__.splitlines()[0])
    p.add_argument("--script", default="gonet_http_server.py", help="server script in benchmarks/servers")
    p.add_argument("--path", default=None, help="request path (default / for GET, /post for --post)")
    p.add_argument("--post", type=int, default=0, metavar="BYTES", help="POST a body of this size")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds (default 10)")
    p.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds (default 3)")
    p.add_argument("--conns", type=int, default=100, help="wrk connections (default 100)")
    p.add_argument("--keep", type=Path, default=None, help="keep the callgrind file at this path")
    return p.parse_args(argv)


def _wrk(wrk: str, url: str, seconds: float, conns: int, lua: str | None) -> int:
    argv = [wrk, "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s"]
    if lua:
        argv += ["-s", lua]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    m = _REQUESTS.search(out)
    if m is None:
        raise RuntimeError(f"wrk printed no request count:\n{out}")
    return int(m.group(1))


def _control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], capture_output=True, check=True)


def measure(args: argparse.Namespace) -> tuple[int, int]:
    """Run the server under callgrind and load it; return (requests, instructions).

    Raises:
        RuntimeError: a tool is missing, or the server or wrk failed.
    """
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed (Debian: apt-get install valgrind)")
    wrk = ensure_wrk()
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="gonet-cg-") as tmp:
        out_file = Path(tmp) / "callgrind.out"
        lua = None
        if args.post:
            lua = str(Path(tmp) / "post.lua")
            Path(lua).write_text(
                'wrk.method = "POST"\n'
                'wrk.headers["Content-Type"] = "application/octet-stream"\n'
                f'wrk.body = string.rep("x", {args.post})\n'
            )
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [str(SERVERS_DIR), os.environ.get("PYTHONPATH")])),
        )
        argv = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out_file}",
            sys.executable,
            str(SERVERS_DIR / args.script),
        ]
        log = (Path(tmp) / "server.log").open("wb")
        server = start(argv, log, env=env)
        lines = LineReader(server)
        try:
            try:
                port = lines.readline(timeout=120.0)  # valgrind starts slowly
            except (TimeoutError, EOFError) as e:
                raise RuntimeError(f"the server did not report its port ({e}); see its log") from e
            if not port.isdigit():
                raise RuntimeError(f"the server printed {port!r}, not its port")
            url = f"http://127.0.0.1:{port}{args.path or ('/post' if args.post else '/')}"
            pid = str(server.pid)
            print(f"warming up for {args.warmup:.0f} s ...", file=sys.stderr, flush=True)
            _wrk(wrk, url, args.warmup, args.conns, lua)
            _control("-i", "on", pid)
            print(f"counting for {args.seconds:.0f} s ...", file=sys.stderr, flush=True)
            requests = _wrk(wrk, url, args.seconds, args.conns, lua)
            _control("-i", "off", pid)
            _control("-d", pid)
            time.sleep(1.0)  # the dump is written by the server process itself
        finally:
            lines.close()
            stop(server)
            log.close()
        # The dump asked for is callgrind.out.1; callgrind.out is what the exit wrote (nothing:
        # instrumentation was off by then).
        dumps = sorted(Path(tmp).glob("callgrind.out.*"), key=lambda f: int(f.suffix[1:]))
        if not dumps:
            raise RuntimeError("callgrind wrote no dump")
        report = subprocess.run(["callgrind_annotate", str(dumps[-1])], capture_output=True, text=True).stdout
        m = _TOTAL.search(report)
        if m is None:
            raise RuntimeError("callgrind_annotate printed no total")
        if args.keep is not None:
            shutil.copy(dumps[-1], args.keep)
        return requests, int(m.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    """Print requests, instructions and instructions per request; 1 on failure."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        requests, instructions = measure(args)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        print(f"callgrind: {e}", file=sys.stderr)
        return 1
    build = "pure" if os.environ.get("GONET_PURE_PYTHON") == "1" else "compiled"
    print(
        f"{args.script} ({build}): {requests} requests, {instructions:,} instructions, "
        f"{instructions / max(requests, 1):,.0f} per request"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

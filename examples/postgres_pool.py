"""A PostgreSQL connection pool for goroutines, over psycopg 3 with gonet.patch.

gonet.patch.all() runs before psycopg is imported (it also points psycopg's wait function at
the patched select.poll). The pool is a buffered channel of connections: take one with recv,
give it back with send, so at most SIZE queries run at once and the rest queue in FIFO order.
JOBS goroutines each run `SELECT pg_sleep(0.1)`; with SIZE connections they finish in about
JOBS / SIZE × 0.1 s, while the main goroutine keeps running.

Run: python examples/postgres_pool.py [--dsn "host=127.0.0.1 dbname=test user=postgres"] [--size N] [--jobs N]
"""

from __future__ import annotations

import gonet.patch

gonet.patch.all()  # before the libraries are imported

import argparse  # noqa: E402 - after the patch, on purpose
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from typing import Any  # noqa: E402

import psycopg  # noqa: E402

from gonet import Chan, errgroup  # noqa: E402


class Pool:
    """SIZE open connections in a channel; borrow() lends one for a with block."""

    def __init__(self, dsn: str, size: int) -> None:
        self.free: Chan[Any] = Chan(size)
        self.conns = [psycopg.connect(dsn, autocommit=True) for _ in range(size)]
        for c in self.conns:
            self.free.send(c)

    @contextmanager
    def borrow(self) -> Iterator[Any]:
        conn = self.free.recv()
        try:
            yield conn
        finally:
            self.free.send(conn)

    def close(self) -> None:
        for c in self.conns:
            c.close()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="postgres_pool.py")
    p.add_argument("--dsn", default="host=127.0.0.1 dbname=test user=postgres")
    p.add_argument("--size", type=int, default=10)
    p.add_argument("--jobs", type=int, default=50)
    args = p.parse_args(argv)
    try:
        pool = Pool(args.dsn, args.size)
    except psycopg.OperationalError as e:
        print(f"postgres ({args.dsn}) is unreachable: {e}", file=sys.stderr)
        return 1
    results: list[int] = [0] * args.jobs

    def job(i: int) -> None:
        with pool.borrow() as conn:
            row = conn.execute("SELECT %s::int FROM pg_sleep(0.1)", (i,)).fetchone()
            results[i] = row[0]

    t0 = time.monotonic()
    g = errgroup.Group()
    for i in range(args.jobs):
        g.go(job, i)
    g.wait()
    took = time.monotonic() - t0
    pool.close()
    assert results == list(range(args.jobs))
    print(f"{args.jobs} queries of 0.1 s over {args.size} connections took {took:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

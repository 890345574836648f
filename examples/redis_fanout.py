"""Fan redis-py calls out over goroutines: patch first, then use the library as written.

gonet.patch.all() must run before redis is imported: it makes the socket, select and time
modules park only the calling goroutine, so redis-py's blocking calls overlap. The program
stores KEYS keys with one pipeline, then fetches them back with WORKERS goroutines sharing one
connection pool (an errgroup collects the first error), while a ticker goroutine shows the
scheduler stays responsive. Finally WORKERS goroutines each wait 0.5 s in BLPOP on their own
key: the waits overlap, so they all return in about 0.5 s.

Run: python examples/redis_fanout.py [--url redis://127.0.0.1:6379] [--keys N] [--workers W]
"""

from __future__ import annotations

import gonet.patch

gonet.patch.all()  # before the libraries are imported

import argparse  # noqa: E402 - after the patch, on purpose
import sys  # noqa: E402
import time  # noqa: E402

import redis  # noqa: E402

import gonet  # noqa: E402
from gonet import errgroup  # noqa: E402


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="redis_fanout.py")
    p.add_argument("--url", default="redis://127.0.0.1:6379")
    p.add_argument("--keys", type=int, default=2000)
    p.add_argument("--workers", type=int, default=100)
    args = p.parse_args(argv)
    pool = redis.ConnectionPool.from_url(args.url, max_connections=args.workers)
    r = redis.Redis(connection_pool=pool)
    try:
        r.ping()
    except redis.ConnectionError as e:
        print(f"redis at {args.url} is unreachable: {e}", file=sys.stderr)
        return 1
    keys = [f"gonet:fanout:{i}" for i in range(args.keys)]
    with r.pipeline() as pipe:
        for i, k in enumerate(keys):
            pipe.set(k, i)
        pipe.execute()

    ticks = [0]
    done = [False]

    def ticker() -> None:
        while not done[0]:
            gonet.sleep(0.01)
            ticks[0] += 1

    gonet.go(ticker)
    values: list[bytes | None] = [None] * len(keys)

    def fetch(start: int) -> None:
        for i in range(start, len(keys), args.workers):
            values[i] = r.get(keys[i])

    t0 = time.monotonic()
    g = errgroup.Group()
    for w in range(args.workers):
        g.go(fetch, w)
    g.wait()
    took = time.monotonic() - t0
    assert values == [str(i).encode() for i in range(len(keys))]
    print(f"fetched {len(keys)} keys with {args.workers} goroutines in {took:.2f} s")

    t0 = time.monotonic()
    g = errgroup.Group()
    for w in range(args.workers):
        g.go(r.blpop, [f"gonet:fanout:empty:{w}"], 0.5)
    g.wait()
    print(
        f"{args.workers} BLPOPs of 0.5 s returned in {time.monotonic() - t0:.2f} s; ticker ticked {ticks[0]} times"
    )
    done[0] = True
    r.delete(*keys)
    pool.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

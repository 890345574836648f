# benchmarks - gonet's benchmark suite: echo servers, a C load generator, and the runner.
"""Benchmark gonet against asyncio, uvloop, gevent, trio, threads and Go; run with `python -m benchmarks`."""

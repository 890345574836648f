# Shared by the interop tests: service probes (one clear line when a service is down) and the
# concurrency harness (N goroutines, a sibling ticker, the wall time).
from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

import gonet
from gonet.runtime import go
from gonet.sync import WaitGroup

SERVICES = {
    "redis": 6379,
    "postgres": 5432,
    "mariadb": 3306,
    "rabbitmq": 5672,
    "mosquitto": 1883,
}

_probed: dict[str, str] = {}


def require(service: str) -> None:
    """Fail (one line) unless service answers on its 127.0.0.1 port."""
    port = SERVICES[service]
    if service not in _probed:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            _probed[service] = ""
        except OSError as e:
            _probed[service] = f"{service} at 127.0.0.1:{port} is unreachable: {e}"
    if _probed[service]:
        pytest.fail(_probed[service], pytrace=False)


def concurrently(n: int, fn: Callable[[int], Any]) -> tuple[float, int, list[Any]]:
    """Run fn(0..n-1) in n goroutines; return (seconds, sibling ticks meanwhile, results)."""
    wg = WaitGroup()
    results: list[Any] = [None] * n
    errors: list[BaseException] = []
    ticks = [0]
    done = [False]

    def tick() -> None:
        while not done[0]:
            gonet.sleep(0.01)
            ticks[0] += 1

    go(tick)
    t0 = time.monotonic()
    for i in range(n):
        wg.add(1)

        def work(i: int = i) -> None:
            try:
                results[i] = fn(i)
            except BaseException as e:  # noqa: BLE001 - re-raised in the test
                errors.append(e)
            finally:
                wg.done()

        go(work)
    wg.wait()
    took = time.monotonic() - t0
    done[0] = True
    gonet.sleep(0.02)  # let the ticker see `done` and finish
    if errors:
        raise errors[0]
    return took, ticks[0], results

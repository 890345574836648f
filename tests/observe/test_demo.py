"""`gonet demo`: the report, clients in a second process, and an accept loop that rides out
temporary errors the way net/http's Serve does."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from helpers import SUB_ENV

import gonet
from gonet import _demo, net


def _demo_cli(*args: str) -> subprocess.CompletedProcess[str]:
    r: subprocess.CompletedProcess[str] = gonet.run_in_thread(
        subprocess.run,
        [sys.executable, "-m", "gonet.cli", "demo", *args],
        capture_output=True,
        text=True,
        env=SUB_ENV,
        timeout=60,
    )
    return r


def test_the_demo_reports_what_it_measured() -> None:
    out = _demo_cli("--clients", "20", "--seconds", "0.5")
    assert (out.returncode, out.stderr) == (0, "")
    head, *rest = out.stdout.splitlines()
    assert head.startswith("gonet demo: the seed's server on 127.0.0.1:")
    assert head.endswith(", 20 client goroutines in a second process, 0.5 s")
    lines = {ln.split(":", 1)[0].strip(): ln.split(":", 1)[1].strip() for ln in rest}
    assert list(lines) == [
        "measured",
        "connections served",
        "requests/s",
        "latency p50 / p99",
        "client errors",
        "server CPU",
        "peak goroutines",
        "netpoller",
        "scheduler",
    ]
    assert lines["measured"] == (
        "one new TCP connection per request (connect, write, read the "
        "reply, close); for long-lived connections run "
        "`python -m benchmarks`"
    )
    assert int(lines["connections served"].replace(",", "")) > 0
    assert int(lines["requests/s"].replace(",", "")) > 0
    assert lines["client errors"] == "0"
    assert re.fullmatch(
        r"\d+\.\d\d s \(\d+% of one core\), [\d,]+ connections per CPU-second", lines["server CPU"]
    ), lines["server CPU"]
    assert "epoll_wait calls" in lines["netpoller"]


def test_the_clients_run_in_another_process() -> None:
    before = gonet.runtime.stats()["goroutines_created"]
    res = _demo.run_demo(clients=10, seconds=0.3)
    created = gonet.runtime.stats()["goroutines_created"] - before
    assert res.errors == 0
    assert res.requests > 0
    assert res.served == res.requests
    assert res.server_cpu > 0
    # Here: the accept loop and one handler per connection, and not one client goroutine.
    assert created == 1 + res.served


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clients", "0"], "gonet demo: clients must be >= 1, got 0\n"),
        (["--seconds", "0"], "gonet demo: seconds must be > 0, got 0.0\n"),
    ],
)
def test_the_demo_rejects_bad_arguments(args: list[str], message: str) -> None:
    out = _demo_cli(*args)
    assert (out.returncode, out.stdout, out.stderr) == (1, "", message)


# -- the accept loop ------------------------------------------------------------------------------


def test_a_closed_listener_ends_the_loop_quietly(caplog: pytest.LogCaptureFixture) -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    ln.close()
    _demo._serve(ln, [0])
    assert caplog.records == []

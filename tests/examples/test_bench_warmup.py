"""The benchmark runner warms every server with one connection (opened, echoed, closed) before
it measures anything: every peer's server takes the warm-up, run_net always does it first, and a
server that does not echo and close fails it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, SUB_ENV

import gonet
from gonet import go, net

sys.path.insert(0, str(ROOT))
from benchmarks import netrun  # noqa: E402
from benchmarks.config import BUILD_DIR, SCENARIOS, SERVERS, server_argv  # noqa: E402

NEEDS = {"uvloop": "uvloop", "gevent": "gevent", "trio": "trio"}


def _missing(server: str) -> str | None:
    if server == "go":
        return None if (BUILD_DIR / "go_echo").exists() else "the Go server is not built"
    for word, mod in NEEDS.items():
        if word in server and importlib.util.find_spec(mod) is None:
            return f"{mod} is not installed"
    return None


def _start(server: str) -> tuple[subprocess.Popen[str], int]:
    env = dict(SUB_ENV)
    if server == "gonet_pure":
        env["GONET_PURE_PYTHON"] = "1"
    p = subprocess.Popen(server_argv(server), stdout=subprocess.PIPE, text=True, env=env, cwd=str(ROOT))
    assert p.stdout is not None
    line: str = gonet.run_in_thread(p.stdout.readline)
    return p, int(line)


def _stop(p: subprocess.Popen[str]) -> None:
    p.kill()
    gonet.run_in_thread(p.wait, 30)
    if p.stdout is not None:
        p.stdout.close()


@pytest.mark.parametrize(
    "server",
    [
        pytest.param(s, marks=pytest.mark.skipif(_missing(s) is not None, reason=str(_missing(s))))
        for s in SERVERS
    ],
)
def test_every_peer_takes_the_warm_up(server: str) -> None:
    p, port = _start(server)
    try:
        gonet.run_in_thread(netrun.warm_up, port)
        assert p.poll() is None, "the server must keep serving after the warm-up connection"
    finally:
        _stop(p)


@pytest.mark.parametrize("scenario", ["pp100", "idle10k"])
def test_run_net_warms_the_server_before_driving_it(
    scenario: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    events: list[str] = []
    real = netrun.warm_up

    def warm(port: int) -> None:
        real(port)
        events.append("warm")

    def drive(*args: Any) -> dict[str, Any]:
        events.append("drive")
        return {"loadgen": {"requests": 1, "held": 1}, "errors": 0}

    monkeypatch.setattr(netrun, "warm_up", warm)
    monkeypatch.setattr(netrun, "_drive_timed", drive)
    monkeypatch.setattr(netrun, "_drive_idle", drive)
    res: dict[str, Any] = gonet.run_in_thread(
        netrun.run_net,
        SCENARIOS[scenario],
        "asyncio_protocol",
        server_argv("asyncio_protocol"),
        dict(os.environ),
        1.0,
        0.0,
        tmp_path,
    )
    assert (res["ok"], res.get("error"), res["warmed"]) == (True, None, True)
    assert events == ["warm", "drive"]


def _serve_once(ln: net.Listener, reply: Any) -> None:
    with ln.accept() as c:
        reply(c)


def test_a_server_that_does_not_echo_fails_the_warm_up() -> None:
    ln = net.listen("tcp4", "127.0.0.1:0")
    go(_serve_once, ln, lambda c: (c.recv(64), c.write(b"nope")))
    try:
        with pytest.raises(RuntimeError, match=r"^warm-up: the server echoed b'nope', not b'warm-up "):
            gonet.run_in_thread(netrun.warm_up, ln.addr().port)
    finally:
        ln.close()


def test_a_server_that_does_not_close_after_eof_fails_the_warm_up() -> None:
    def echo_then_more(c: net.Conn) -> None:
        c.write(c.recv(64))
        c.write(b"!")

    ln = net.listen("tcp4", "127.0.0.1:0")
    go(_serve_once, ln, echo_then_more)
    try:
        with pytest.raises(
            RuntimeError,
            match=r"^warm-up: the server sent b'!' after the echo "
            r"instead of closing$",
        ):
            gonet.run_in_thread(netrun.warm_up, ln.addr().port)
    finally:
        ln.close()

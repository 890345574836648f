"""The HTTP benchmark pieces: every HTTP server script takes the warm-up (one whole GET answered
with the hello body), the idle client holds keep-alive conns only when the server keeps them, wrk
is driven with each scenario's request shape, and the bars are judged from one run's numbers."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, SUB_ENV

import gonet
from gonet import go, net

sys.path.insert(0, str(ROOT))
from benchmarks import httpidle, httprun, report  # noqa: E402
from benchmarks.config import (  # noqa: E402
    BUILD_DIR,
    HTTP_SERVERS,
    SCENARIOS,
    WSGI_SERVERS,
    server_argv,
)

NEEDS = {
    "uvicorn": ("uvicorn", "uvloop", "httptools"),
    "granian": ("granian",),
    "aiohttp": ("aiohttp",),
    "waitress": ("waitress",),
    "gevent": ("gevent",),
    "gunicorn": ("gunicorn", "gevent"),
}
HELLO_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"


def _missing(server: str, family: str = "http") -> str | None:
    if server == "go":
        return None if (BUILD_DIR / "go_http").exists() else "the Go HTTP server is not built"
    if server.startswith("gonet"):
        # The server scripts need the mux (http) or the WSGI adapter (wsgi) beside the server.
        needs = ("_server", "_servemux" if family == "http" else "_wsgi")
        there = importlib.util.find_spec("gonet.http") and all(
            importlib.util.find_spec(f"gonet.http.{m}") for m in needs
        )
        return None if there else f"gonet.http has no {' and '.join(needs)} yet"
    for word, mods in NEEDS.items():
        for mod in mods:
            if word in server and importlib.util.find_spec(mod) is None:
                return f"{mod} is not installed"
    return None


def _params(servers: list[str], family: str = "http") -> list[Any]:
    return [
        pytest.param(
            s, marks=pytest.mark.skipif(_missing(s, family) is not None, reason=str(_missing(s, family)))
        )
        for s in servers
    ]


def _start(server: str, family: str) -> tuple[subprocess.Popen[str], int]:
    env = dict(SUB_ENV)
    if server == "gonet_pure":
        env["GONET_PURE_PYTHON"] = "1"
    p = subprocess.Popen(
        server_argv(server, family),
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(ROOT),
        start_new_session=True,
    )
    assert p.stdout is not None
    line: str = gonet.run_in_thread(p.stdout.readline)
    return p, int(line)


def _stop(p: subprocess.Popen[str]) -> None:
    # gunicorn and granian run a worker under the script's process: end the whole group.
    os.killpg(p.pid, signal.SIGKILL)
    gonet.run_in_thread(p.wait, 30)
    if p.stdout is not None:
        p.stdout.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("server", _params(HTTP_SERVERS))
def test_every_http_server_takes_the_warm_up(server: str) -> None:
    p, port = _start(server, "http")
    try:
        gonet.run_in_thread(httprun.warm_up, port)
        assert p.poll() is None, "the server must keep serving after the warm-up request"
    finally:
        _stop(p)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("server", _params(WSGI_SERVERS, "wsgi"))
def test_every_wsgi_server_takes_the_warm_up(server: str) -> None:
    p, port = _start(server, "wsgi")
    try:
        gonet.run_in_thread(httprun.warm_up, port)
    finally:
        _stop(p)


def _http_server(ln: net.Listener, response: bytes, conns: list[net.Conn]) -> None:
    """Answer every request head on every conn with `response`; keep the conns open."""

    def serve(c: net.Conn) -> None:
        buf = b""
        try:
            while chunk := c.recv(4096):
                buf += chunk
                while b"\r\n\r\n" in buf:
                    _, buf = buf.split(b"\r\n\r\n", 1)
                    c.write(response)
        except OSError:
            return

    while True:
        try:
            c = ln.accept()
        except OSError:
            return
        conns.append(c)
        go(serve, c)


def _serving(response: bytes) -> tuple[net.Listener, list[net.Conn]]:
    ln = net.listen("tcp4", "127.0.0.1:0")
    conns: list[net.Conn] = []
    go(_http_server, ln, response, conns)
    return ln, conns


def _shut(ln: net.Listener, conns: list[net.Conn]) -> None:
    ln.close()
    for c in conns:
        try:
            c.close()
        except OSError:
            pass  # already closed by the test
    gonet.sleep(0.05)  # the serving goroutines see their conns closed and return


def test_the_idle_client_holds_keep_alive_conns() -> None:
    ln, conns = _serving(HELLO_RESPONSE)
    try:
        held, errors, _ = gonet.run_in_thread(
            httpidle.hold, "127.0.0.1", ln.addr().port, 50, b"GET / HTTP/1.1\r\n\r\n"
        )
        try:
            assert (len(held), errors) == (50, 0)
        finally:
            for c in held:
                c.sock.close()
    finally:
        _shut(ln, conns)


def test_the_idle_client_counts_a_closing_answer_as_an_error() -> None:
    closing = HELLO_RESPONSE.replace(b"Content-Length", b"Connection: close\r\nContent-Length")
    ln, conns = _serving(closing)
    try:
        held, errors, _ = gonet.run_in_thread(
            httpidle.hold, "127.0.0.1", ln.addr().port, 5, b"GET / HTTP/1.1\r\n\r\n"
        )
        assert (len(held), errors) == (0, 5)
    finally:
        _shut(ln, conns)


def test_the_warm_up_rejects_an_answer_that_is_not_the_hello() -> None:
    ln, conns = _serving(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def one_close() -> None:
        # the fake server keeps conns open: close ours after the answer so the warm-up sees EOF
        while not conns:
            gonet.sleep(0.01)
        gonet.sleep(0.2)
        conns[0].close()

    go(one_close)
    try:
        with pytest.raises(RuntimeError, match=r"^warm-up: the server answered b'HTTP/1.1 404 Not Found"):
            gonet.run_in_thread(httprun.warm_up, ln.addr().port)
    finally:
        _shut(ln, conns)


def test_wrk_scripts_give_each_scenario_its_request_shape() -> None:
    post = httprun.wrk_script(SCENARIOS["http_post_4k"])
    assert 'wrk.method = "POST"' in post
    assert 'wrk.path = "/post"' in post
    assert 'wrk.body = string.rep("x", 4096)' in post
    assert 'wrk.headers["Connection"] = "close"' in httprun.wrk_script(SCENARIOS["http_close"])
    hello = httprun.wrk_script(SCENARIOS["http_hello"])
    assert hello.lstrip().startswith("done = function")


@pytest.mark.timeout(60)
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_run_wrk_reports_requests_and_latency_from_a_real_run(tmp_path: Path) -> None:
    ln, conns = _serving(HELLO_RESPONSE)
    script = tmp_path / "hello.lua"
    script.write_text(httprun.wrk_script(SCENARIOS["http_hello"]))
    argv = ["wrk", "-t1", "-c4", "-d1s", "-s", str(script), f"http://127.0.0.1:{ln.addr().port}/"]
    try:
        with open(tmp_path / "wrk.log", "wb") as log:
            rep: dict[str, Any] = gonet.run_in_thread(httprun._run_wrk, argv, 1.0, log)
    finally:
        _shut(ln, conns)
    assert rep["requests"] > 0
    assert rep["status"] == 0
    assert 0 < rep["p50"] <= rep["p99"] <= rep["max"]


def _run(server: str, scenario: str, **values: float) -> dict[str, Any]:
    return {"scenario": scenario, "server": server, "ok": True, **values}


def test_bars_are_judged_from_one_runs_ratios() -> None:
    runs = [
        _run("gonet", "http_hello", rps=60_000.0, req_per_cpu_s=30_000.0),
        _run("uvicorn", "http_hello", rps=40_000.0, req_per_cpu_s=25_000.0),
        _run("gunicorn_gevent", "http_hello", rps=10_000.0),
        _run("go", "http_hello", rps=80_000.0),
        _run("gonet", "http_idle", kib_per_conn=12.5),
    ]
    verdicts = {
        b["bar"]: (round(b["value"], 2) if b["value"] else None, b["met"])
        for b in report.bars(report.aggregate(runs))
    }
    assert verdicts == {
        "http_hello ≥ 1.5× uvicorn": (1.5, True),
        "http_hello ≥ 3× gunicorn-gevent": (6.0, True),
        "http_hello ≥ 0.6× Go net/http": (0.75, True),
        "wsgi_hello ≥ 1.0× granian (stretch)": (None, None),
        "http_idle ≤ 10 KiB per idle keep-alive conn": (12.5, False),
    }
    per_cpu = {b["bar"]: b["per_cpu"] for b in report.bars(report.aggregate(runs))}
    assert per_cpu["http_hello ≥ 1.5× uvicorn"] == pytest.approx(1.2)
    assert per_cpu["http_hello ≥ 3× gunicorn-gevent"] is None  # not measured for that peer
    assert "| http_hello ≥ 1.5× uvicorn | 1.50× | met | 1.20× |" in report.bars_table(report.aggregate(runs))

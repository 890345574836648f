# The watchdog (gonet-sysmon): block reports, the 10 ms poll guarantee, settings.
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest

import gonet
from gonet import go, gosched, net, sleep
from gonet.runtime import _sysmon, block_threshold, set_block_threshold, stats
from gonet.runtime._debugvars import parse_duration, parse_gonet_debug
from gonet.runtime._sysmon import THREAD_NAME, sysmon


def spin(seconds: float) -> None:
    """Compute without yielding for ``seconds`` (what the watchdog is for)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def _block_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "gonet.runtime" and r.levelno == logging.WARNING and "without yielding" in r.getMessage()
    ]


def test_watchdog_reports_a_spinning_goroutine_exactly_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="gonet.runtime")
    before = stats()["watchdog"]["block_reports"]
    done: list[bool] = []

    def bystander() -> None:
        sleep(0.05)  # wants to run while the spinner holds the thread
        done.append(True)

    go(bystander)
    g = go(spin, 0.3)
    sleep(0.5)  # the spinner runs first and keeps the thread 300 ms; then a quiet 200 ms
    assert done == [True]
    recs = _block_records(caplog)
    assert len(recs) == 1, [r.getMessage() for r in recs]
    msg = recs[0].getMessage()
    assert msg.startswith(f"goroutine {g.id} has been running for "), msg
    assert "(watchdog threshold 100 ms)" in msg
    # Its current Python stack, innermost first: spin() is on top.
    assert f"goroutine {g.id} [running]:\n" in msg
    assert "test_sysmon.spin(...)" in msg, msg
    assert "test_sysmon.py:" in msg, msg
    assert recs[0].goroutine == g.id  # type: ignore[attr-defined]
    assert stats()["watchdog"]["block_reports"] == before + 1


def test_watchdog_reports_each_incident(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="gonet.runtime")

    def twice() -> None:
        spin(0.25)
        sleep(0.02)  # a scheduling point ends the first incident
        spin(0.25)

    g = go(twice)
    go(sleep, 0.01)
    sleep(0.7)
    recs = _block_records(caplog)
    assert [r.goroutine for r in recs] == [g.id, g.id], [r.getMessage() for r in recs]  # type: ignore[attr-defined]


def test_watchdog_is_quiet_for_a_server_under_load(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="gonet.runtime")
    before = stats()["watchdog"]["block_reports"]
    ln = net.listen("tcp", "127.0.0.1:0")
    served: list[int] = []

    def handle(conn: Any) -> None:
        with conn:
            buf = bytearray(64)
            while True:
                n = conn.read(buf)
                if n == 0:
                    return
                conn.write(buf[:n])
                served.append(n)

    def accept_loop() -> None:
        try:
            while True:
                go(handle, ln.accept())
        except OSError:
            pass

    def client(counts: list[int]) -> None:
        with net.dial("tcp", f"127.0.0.1:{ln.addr().port}", timeout=2) as c:
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                c.write(b"x" * 32)
                assert c.recv(64) == b"x" * 32
                counts[0] += 1

    go(accept_loop)
    counts = [0]
    clients = [go(client, counts) for _ in range(20)]
    while any(c.status != "dead" for c in clients):
        sleep(0.05)
    ln.close()
    sleep(0.05)
    assert counts[0] > 1000, counts  # it really was under load
    assert _block_records(caplog) == []
    assert stats()["watchdog"]["block_reports"] == before


@pytest.mark.main_goroutine
def test_a_lone_goroutine_blocks_nobody_and_is_not_reported(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="gonet.runtime")
    assert gonet.num_goroutine() == 1  # main is the only goroutine of this scheduler
    spin(0.3)
    assert _block_records(caplog) == []


def test_poll_guarantee_delivers_io_while_goroutines_keep_yielding() -> None:
    """Two goroutines hand the CPU to each other every 10 ms; data arriving meanwhile must be
    read within a few hand-offs (the watchdog forces a poll after 10 ms), not after the
    ~30 yields (TICK_LIMIT ticks) the scheduler would otherwise make before polling."""
    ln = net.listen("tcp", "127.0.0.1:0")
    port = ln.addr().port
    handoffs = [0]
    seen_at: list[int] = []
    stop = [False]

    def busy() -> None:
        while not stop[0]:
            spin(0.01)
            handoffs[0] += 1
            gosched()

    def reader() -> None:
        with ln.accept() as conn:
            conn.read(bytearray(8))
            seen_at.append(handoffs[0])
            stop[0] = True

    def send_later() -> None:  # another OS thread, with a plain socket
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            time.sleep(0.03)
            s.sendall(b"ping")
            s.recv(1)  # until the reader closes

    before = sysmon.forced_polls
    go(reader)
    t = threading.Thread(target=send_later)
    t.start()
    go(busy)
    go(busy)
    deadline = time.monotonic() + 20
    while not stop[0] and time.monotonic() < deadline:
        sleep(0.01)
    stop[0] = True
    gonet.run_in_thread(t.join)
    ln.close()
    sleep(0.02)
    assert seen_at, "the data was never read"
    assert sysmon.forced_polls > before
    # Measured: 6 yields with the guarantee, 34 without (the hub's own TICK_LIMIT poll).
    assert seen_at[0] < 20, seen_at


def test_block_threshold_api() -> None:
    old = block_threshold()
    try:
        assert set_block_threshold(0.25) == old
        assert block_threshold() == 0.25
        assert stats()["watchdog"]["threshold_ms"] == 250
        assert set_block_threshold(None) == 0.25
        assert block_threshold() is None
        assert set_block_threshold(0) is None  # 0 also means off
        with pytest.raises(ValueError, match="watchdog threshold must be >= 0, got -1"):
            set_block_threshold(-1)
    finally:
        set_block_threshold(old)


def test_block_reports_can_be_turned_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="gonet.runtime")
    old = set_block_threshold(None)
    try:
        go(spin, 0.3)
        go(sleep, 0.01)
        sleep(0.4)
    finally:
        set_block_threshold(old)
    assert _block_records(caplog) == []


def test_parse_settings(caplog: pytest.LogCaptureFixture) -> None:
    assert parse_duration("100ms") == pytest.approx(0.1)
    assert parse_duration("0.5s") == pytest.approx(0.5)
    assert parse_duration("250us") == pytest.approx(0.00025)
    assert parse_duration("2m") == pytest.approx(120)
    assert parse_duration("40") == pytest.approx(0.04)  # bare numbers are milliseconds
    assert parse_duration("off") is None
    assert parse_duration("0") is None
    with pytest.raises(ValueError, match=r'^time: invalid duration "soon" \(use 250ms, 0.5s'):
        parse_duration("soon")
    s = parse_gonet_debug("watchdog=250ms, pollguarantee=off,sigquit=dump")
    assert (s.watchdog, s.pollguarantee, s.sigquit) == (pytest.approx(0.25), None, "dump")
    d = parse_gonet_debug("")
    assert (d.watchdog, d.pollguarantee, d.sigquit) == (pytest.approx(0.1), pytest.approx(0.01), "exit")
    caplog.set_level(logging.WARNING, logger="gonet.runtime")
    bad = parse_gonet_debug("watchdgo=1s,watchdog=later,sigquit=maybe")
    assert (bad.watchdog, bad.sigquit) == (pytest.approx(0.1), "exit")
    assert len([r for r in caplog.records if "GONET_DEBUG: ignoring" in r.getMessage()]) == 3


def _child(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("GONET_")}
    src = os.path.dirname(os.path.dirname(gonet.__file__))
    full["PYTHONPATH"] = os.pathsep.join([src, full.get("PYTHONPATH", "")])
    full.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=full, timeout=60
    )


def test_watchdog_thread_is_lazy_daemon_and_configurable_by_env() -> None:
    code = f"""
        import threading
        import gonet
        from gonet.runtime import stats
        names = lambda: [t for t in threading.enumerate() if t.name == {THREAD_NAME!r}]
        assert names() == [], "started at import"
        gonet.sleep(0.001)                  # the first scheduler starts it
        (t,) = names()
        assert t.daemon
        print(stats()["watchdog"]["threshold_ms"])
    """
    r = gonet.run_in_thread(_child, code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "100.0"
    r = gonet.run_in_thread(_child, code, GONET_DEBUG="watchdog=40ms")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "40.0"
    r = gonet.run_in_thread(
        _child,
        """
        import threading, gonet
        gonet.sleep(0.001)
        assert not [t for t in threading.enumerate() if t.name.startswith("gonet-sysmon")]
        print("off")
    """,
        GONET_DEBUG="watchdog=off,pollguarantee=off,timeslice=off",
    )
    assert (r.returncode, r.stdout.strip()) == (0, "off"), r.stderr


def test_watchdog_log_from_a_real_program() -> None:
    r = gonet.run_in_thread(
        _child,
        """
        import logging, time
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        from gonet import go, sleep

        def crunch():
            end = time.monotonic() + 0.3
            while time.monotonic() < end:
                pass

        go(sleep, 1)
        go(crunch)
        sleep(0.5)
    """,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert len([ln for ln in lines if ln.startswith("WARNING gonet.runtime: goroutine ")]) == 1, r.stderr
    assert "__main__.crunch(...)" in r.stderr


def test_sysmon_module_state() -> None:
    assert _sysmon.sysmon.enabled
    assert any(t.name == THREAD_NAME and t.daemon for t in threading.enumerate())

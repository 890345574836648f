# The live debug page (gonet.debug.serve), fetched with a real HTTP client and rendered by
# headless Chromium.
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import gonet
from gonet import debug, go, sleep
from gonet.runtime import _proc


def sleeper() -> None:
    sleep(60)


def _fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], str]:
    """GET url with urllib (on a thread-pool thread, so our goroutines keep running)."""

    def get() -> tuple[int, dict[str, str], str]:
        req = urllib.request.Request(url, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, dict(e.headers), e.read().decode()

    result: tuple[int, dict[str, str], str] = gonet.run_in_thread(get)
    return result


def _base(srv: debug.DebugServer) -> str:
    return srv.url.removesuffix("/debug/")


def _release(gs: list[Any]) -> None:
    s = _proc.current()
    for g in gs:
        s.ready(g)
    sleep(0.01)


def test_pages_over_http() -> None:
    gs = [go(sleeper) for _ in range(5)]
    sleep(0.01)
    with debug.serve("127.0.0.1:0", sample_interval=0.05) as srv:
        base = _base(srv)
        status, headers, text = _fetch(base + "/debug/goroutines")
        assert status == 200
        assert headers["Content-Type"].startswith("text/plain")
        assert text.startswith("goroutine profile: total ")
        m = re.search(
            r"^5 @ \[sleep\] goroutines ([\d, ]+)\n#\tgonet\.runtime\.sleep\t\S+\n"
            r"#\t\S*test_debug_page\.sleeper\t\S+test_debug_page\.py:\d+\n",
            text,
            re.M,
        )
        assert m, text
        assert sorted(int(x) for x in m.group(1).split(", ")) == sorted(g.id for g in gs)

        status, _, full = _fetch(base + "/debug/goroutines?debug=2")
        assert status == 200
        for g in gs:
            assert f"goroutine {g.id} [sleep]:\n# waiting on: timer due in" in full

        status, headers, body = _fetch(base + "/debug/stats")
        assert status == 200
        assert headers["Content-Type"] == "application/json"
        st = json.loads(body)
        assert st["pid"] == os.getpid()
        assert st["schedulers"] >= 2  # ours and the page's own thread
        assert st["waiting_by_reason"]["sleep"] >= 5
        assert st["goroutines"] >= 7
        assert {"epoll_waits", "events", "wakeups_by_reason", "thread_pool", "watchdog"} <= set(st)

        sleep(0.2)
        status, _, body = _fetch(base + "/debug/history")
        hist = json.loads(body)
        assert hist["interval"] == 0.05
        assert len(hist["samples"]) >= 3
        t, n, rate = hist["samples"][-1]
        assert n >= 7
        assert rate >= 0
        assert t > 0

        status, _, page = _fetch(base + "/debug/")
        assert status == 200
        assert '<svg id="goroutines-chart"' in page
        assert _fetch(base + "/debug/nope")[0] == 404
        assert _fetch(base + "/debug/stats", method="POST")[0] == 405
        status, headers, body = _fetch(base + "/debug/stats", method="HEAD")
        assert status == 200
        assert body == ""
        assert int(headers["Content-Length"]) > 0
        assert _fetch(base + "/")[2].startswith("<!DOCTYPE html>")  # redirected to /debug/
    _release(gs)


def test_page_answers_while_this_threads_goroutines_are_stuck() -> None:
    """The page has its own thread: it still serves a dump while our goroutine computes."""
    with debug.serve("127.0.0.1:0") as srv:
        got: list[str] = []

        def fetch_from_a_plain_thread() -> None:
            time.sleep(0.2)
            with urllib.request.urlopen(_base(srv) + "/debug/goroutines?debug=2", timeout=10) as r:
                got.append(r.read().decode())

        t = threading.Thread(target=fetch_from_a_plain_thread)
        t.start()
        me = _proc.current().running()
        end = time.monotonic() + 20
        while not got and time.monotonic() < end:  # never yields
            pass
        t.join()
    assert got, "no answer while the main thread was busy"
    block = got[0].split(f"goroutine {me.id} [", 1)[1]
    assert block.startswith("running]:\n"), got[0]
    assert "test_page_answers_while_this_threads_goroutines_are_stuck(...)" in block.split("\n\n")[0]


def test_served_by_this_threads_goroutines() -> None:
    srv = debug.serve("127.0.0.1:0", thread=False)
    try:
        assert threading.active_count() >= 1
        assert not [t for t in threading.enumerate() if t.name == "gonet-debug"]
        status, _, text = _fetch(_base(srv) + "/debug/goroutines?debug=2")
        assert status == 200
        assert "gonet.debug.DebugServer._accept_loop(...)" in text
    finally:
        srv.close()
    srv.close()  # idempotent


def test_serve_reports_a_bad_address() -> None:
    with debug.serve("127.0.0.1:0") as srv, pytest.raises(OSError, match="address already in use"):
        debug.serve(f"127.0.0.1:{srv.addr[1]}")


# -- in a browser --------------------------------------------------------------------------------


@pytest.fixture
def chromium() -> str:
    """Return the browser's path, or skip before the test starts any goroutine (a skip later
    would leave them to the leak checker)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return exe


def _dump_dom(exe: str, url: str, profile: Path) -> str:
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--dump-dom",
        url,
    ]
    r: subprocess.CompletedProcess[str] = gonet.run_in_thread(
        subprocess.run, cmd, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_browser_draws_the_charts(chromium: str, tmp_path: Path) -> None:
    gs = [go(sleeper) for _ in range(4)]
    with debug.serve("127.0.0.1:0", sample_interval=0.05) as srv:
        while len(srv.samples) < 6:
            sleep(0.05)
        dom = _dump_dom(chromium, srv.url, tmp_path / "profile")
    _release(gs)
    # The script ran: it marked the body with the number of samples it drew...
    m = re.search(r'<body data-rendered="(\d+)">', dom)
    assert m, dom[:3000]
    n = int(m.group(1))
    assert n >= 6
    # ...drew one point per sample in each chart...
    for name in ("goroutines", "wakeups"):
        pm = re.search(rf'<polyline id="{name}-line" class="line" points="([^"]*)"', dom)
        assert pm, dom
        points = pm.group(1).split()
        assert len(points) == n
        assert all(re.fullmatch(r"-?[\d.]+,-?[\d.]+", p) for p in points), points
    # ...and wrote the current values next to the titles.
    now_g = re.search(r'<span id="goroutines-now">(\d+)</span>', dom)
    assert now_g, dom
    assert int(now_g.group(1)) >= 6, dom  # main, the test, 4 sleepers (+ the page's)
    assert re.search(r'<span id="wakeups-now">[\d.]+</span>', dom)
    assert re.search(rf'<p id="span">{n} samples over the last \d+ s, every 0.05 s</p>', dom), dom
    assert re.search(r'<td id="stat-goroutines">\d+</td>', dom)


def test_browser_shows_goroutines_grouped(chromium: str, tmp_path: Path) -> None:
    gs = [go(sleeper) for _ in range(5)]
    sleep(0.01)
    with debug.serve("127.0.0.1:0") as srv:
        dom = _dump_dom(chromium, _base(srv) + "/debug/goroutines?format=html", tmp_path / "profile")
    _release(gs)
    m = re.search(
        r'<section class="group" data-count="5" data-reason="sleep">'
        r'<h2><span class="count">5</span> × <span class="reason">\[sleep\]</span></h2>'
        r'<p class="ids">goroutines ([\d, ]+)</p><pre>(.*?)</pre>',
        dom,
        re.S,
    )
    assert m, dom
    assert sorted(int(x) for x in m.group(1).split(", ")) == sorted(g.id for g in gs)
    assert "test_debug_page.sleeper" in m.group(2)
    total = re.search(r'goroutine profile: total <span id="total">(\d+)</span>', dom)
    assert total
    assert int(total.group(1)) >= 7

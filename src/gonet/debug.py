# gonet.debug: a live debug page over HTTP (Go: net/http/pprof and expvar).
#
# serve("127.0.0.1:6060") starts a small HTTP/1.1 server, written on gonet's own net package and
# served by goroutines, with:
#   /debug/                   overview: counters, and charts of goroutines and wake-ups per
#                             second over the last minutes (inline SVG drawn by a few lines of
#                             JS that poll /debug/history)
#   /debug/goroutines         goroutines grouped by identical stacks, with counts (pprof
#                             debug=1); ?debug=2 is the full dump (SIGQUIT's); ?format=html
#   /debug/stats              gonet.runtime.stats(all_threads=True) as JSON
#   /debug/history            the sampled series behind the charts, as JSON
#
# By default the server runs on its own OS thread with its own scheduler ("gonet-debug"), so it
# still answers when the program's goroutines are stuck — the moment a dump matters most; the
# GIL lets it run between the stuck thread's bytecodes. serve(..., thread=False) runs it on the
# caller's scheduler instead.
#
# Off by default; it shows source paths and stacks, so bind it to loopback.
#
# Invariants:
# - No exception escapes a server goroutine (that would be a panic that ends the program).
# - close() returns after the listener, every connection and the sampler are gone; with a
#   thread, after the thread has shut its scheduler down (epoll fd and eventfd closed).
from __future__ import annotations

import html
import json
import os
import threading
import time
import traceback
from collections import deque
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gonet import net
from gonet.runtime import _proc, go, now, sleep, stats
from gonet.runtime._traceback import format_dump, format_groups, group, snapshot

__all__ = ["serve", "DebugServer"]

_MAX_REQUEST = 16384
_READ_TIMEOUT = 10.0


class _Stop(BaseException):
    """Delivered to the server's goroutines to stop them (BaseException: user code won't eat it)."""


class _Stopper:
    """Carried through a scheduler's inbox to stop a server from another OS thread."""

    def __init__(self, server: DebugServer) -> None:
        self.server = server

    def deliver(self, sched: Any) -> None:
        self.server._interrupt_all(sched)


class DebugServer:
    """A running debug page; close() stops it. Go: the pprof handlers on an http.Server."""

    def __init__(self, sample_interval: float, history_seconds: float) -> None:
        self.addr: tuple[str, int] = ("", 0)
        self.sample_interval = sample_interval
        self.samples: deque[tuple[float, int, float]] = deque(
            maxlen=max(2, int(history_seconds / sample_interval))
        )
        self.started = time.time()
        self._ln: Any = None
        self._sched: Any = None
        self._gs: list[tuple[Any, int]] = []  # (G, its id): a finished G is reused
        self._conns: set[Any] = set()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._closing = False
        self._last: tuple[float, int] | None = None

    @property
    def url(self) -> str:
        """The overview page's URL, e.g. ``http://127.0.0.1:6060/debug/``."""
        host, port = self.addr
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/debug/"

    def __enter__(self) -> DebugServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DebugServer {self.url}{' closed' if self._done.is_set() else ''}>"

    # -- lifecycle -----------------------------------------------------------------------------

    def _start_here(self, addr: str) -> None:
        ln = net.listen("tcp", addr)
        a = ln.addr()
        self.addr = (str(a.ip), int(a.port))
        self._ln = ln
        self._sched = _proc.current()
        self._sample()
        self._gs = [(g, g.id) for g in (go(self._accept_loop), go(self._sample_loop))]

    def _thread_main(self, addr: str, ready: threading.Event, box: list[BaseException]) -> None:
        sched = _proc.current()
        try:
            try:
                self._start_here(addr)
            except BaseException as e:  # noqa: BLE001 - handed to serve()'s caller
                box.append(e)
                return
            finally:
                ready.set()
            while not self._done.is_set():
                try:
                    sleep(3600)
                except _Stop:
                    pass
        finally:
            # Close this thread's epoll fd and eventfd before close() returns (the runtime would
            # also do it when the thread's locals are freed, a moment later).
            sched.shutdown()

    def close(self) -> None:
        """Stop serving: close the listener and open connections, stop sampling. Idempotent.

        Raises:
            TimeoutError: the server did not stop within 10 seconds.
        """
        if self._done.is_set() or self._sched is None:
            return
        self._closing = True
        sched: Any = self._sched
        here: Any = _proc._tls.__dict__.get("sched")
        if sched is here:
            self._interrupt_all(sched, skip=sched.cur)
            deadline = time.monotonic() + 10
            while not self._done.is_set() and time.monotonic() < deadline:
                sleep(0.001)
        else:
            sched.inject(_Stopper(self))
            self._done.wait(10)
        if self._thread is not None:
            self._thread.join(10)
        if not self._done.is_set():
            raise TimeoutError("gonet.debug: server did not stop within 10 s")

    def _interrupt_all(self, sched: Any, skip: Any = None) -> None:
        # Runs on the server's thread (from a goroutine, or from the hub via _Stopper).
        self._closing = True
        targets = list(self._gs)
        if self._thread is not None:
            targets.append((sched.main, sched.main.id))
        for g, gid in targets:
            if g is not skip and _alive(g, gid) and g.sched is sched:
                sched.interrupt(g, _Stop())

    def _accept_loop(self) -> None:
        ln = self._ln
        try:
            # Iterating rides out EMFILE/ENFILE (backoff up to 1 s): out of descriptors for a
            # moment, the page must come back once some are freed, not stop serving for good.
            for conn in ln:
                if self._closing:
                    conn.close()
                    break
                go(self._handle, conn)
        except (_Stop, OSError):
            pass
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        try:
            self._ln.close()
        except OSError:
            pass
        for c in list(self._conns):
            try:
                c.close()
            except OSError:
                pass
        deadline = time.monotonic() + 5
        while self._conns and time.monotonic() < deadline:
            try:
                sleep(0.001)
            except _Stop:
                pass
        sampler, sid = self._gs[1]
        while _alive(sampler, sid) and time.monotonic() < deadline:
            try:
                sleep(0.001)
            except _Stop:
                pass
        self._done.set()
        if self._thread is not None:
            main = self._sched.main
            if main.status == _proc.WAITING:
                self._sched.interrupt(main, _Stop())

    # -- sampling ------------------------------------------------------------------------------

    def _sample_loop(self) -> None:
        try:
            while not self._closing:
                sleep(self.sample_interval)
                self._sample()
        except _Stop:
            pass

    def _sample(self) -> None:
        st = stats(all_threads=True)
        woken = sum(st["wakeups_by_reason"].values())
        t = time.time()
        rate = 0.0
        if self._last is not None:
            t0, w0 = self._last
            if t > t0:
                rate = max(0.0, (woken - w0) / (t - t0))
        self._last = (t, woken)
        self.samples.append((round(t, 3), st["goroutines"], round(rate, 1)))

    def history(self) -> dict[str, Any]:
        """Return the sampled series: ``samples`` of [unix time, goroutines, wake-ups/s]."""
        return {"interval": self.sample_interval, "samples": [list(s) for s in self.samples]}

    # -- HTTP ----------------------------------------------------------------------------------

    def _handle(self, conn: Any) -> None:
        self._conns.add(conn)
        try:
            with conn:
                conn.set_read_deadline(now() + _READ_TIMEOUT)
                req = b""
                while b"\r\n\r\n" not in req:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    req += chunk
                    if len(req) > _MAX_REQUEST:
                        conn.write(_response(431, "text/plain", b"request too large\n"))
                        return
                line = req.split(b"\r\n", 1)[0].decode("latin-1")
                parts = line.split()
                if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                    conn.write(_response(400, "text/plain", b"bad request\n"))
                    return
                method, target = parts[0], parts[1]
                if method not in ("GET", "HEAD"):
                    conn.write(_response(405, "text/plain", b"method not allowed\n"))
                    return
                try:
                    status, ctype, body = self.route(target)
                except Exception:  # noqa: BLE001 - a bug here must not kill the program
                    status, ctype = 500, "text/plain"
                    body = traceback.format_exc().encode()
                conn.write(_response(status, ctype, body, head=method == "HEAD"))
        except (_Stop, OSError):
            pass
        except Exception:  # noqa: BLE001 - never a panic from the debug server
            pass
        finally:
            self._conns.discard(conn)

    def route(self, target: str) -> tuple[int, str, bytes]:
        """Answer one GET: return (status, content type, body)."""
        u = urlsplit(target)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        path = u.path.rstrip("/") or "/"
        if path == "/":
            return 302, "text/plain", b"/debug/\n"
        if path == "/debug":
            return 200, "text/html; charset=utf-8", self._index_page().encode()
        if path == "/debug/goroutines":
            infos = snapshot(all=True)
            if q.get("format") == "html":
                return 200, "text/html; charset=utf-8", _goroutines_page(infos).encode()
            if q.get("debug") == "2":
                return 200, "text/plain; charset=utf-8", format_dump(infos).encode()
            return 200, "text/plain; charset=utf-8", format_groups(infos).encode()
        if path == "/debug/stats":
            st = stats(all_threads=True)
            st["pid"] = os.getpid()
            st["uptime_seconds"] = round(time.time() - self.started, 3)
            return 200, "application/json", json.dumps(st, indent=1, sort_keys=True).encode()
        if path == "/debug/history":
            return 200, "application/json", json.dumps(self.history()).encode()
        return 404, "text/plain", b"404 page not found\n"

    def _index_page(self) -> str:
        st = stats(all_threads=True)
        rows = [
            ("goroutines", st["goroutines"]),
            ("peak", st["goroutines_peak"]),
            ("created", st["goroutines_created"]),
            ("parks", st["parks"]),
            ("epoll_wait calls", st["epoll_waits"]),
            ("events", st["events"]),
            ("netpoll wake-ups", st["wakeups"]),
            ("registrations", st["registrations"]),
            ("open fds", st["fds"]),
            ("timers", st["timers_active"]),
            ("thread pool workers", st["thread_pool"]["workers"]),
            ("watchdog reports", st["watchdog"]["block_reports"]),
        ]
        table = "".join(
            f'<tr><th>{html.escape(k)}</th><td id="stat-{html.escape(k.replace(" ", "-"))}">{v}</td></tr>'
            for k, v in rows
        )
        waiting = "".join(
            f"<tr><th>{html.escape(r)}</th><td>{n}</td></tr>"
            for r, n in sorted(st["waiting_by_reason"].items())
        )
        data = json.dumps(self.history()).replace("</", "<\\/")
        return (
            _INDEX.replace("{{PID}}", str(os.getpid()))
            .replace("{{TABLE}}", table)
            .replace("{{WAITING}}", waiting or "<tr><td>none</td></tr>")
            .replace("{{DATA}}", data)
            .replace("{{REFRESH_MS}}", str(max(250, int(self.sample_interval * 1000))))
        )


def _alive(g: _proc.G, gid: int) -> bool:
    return g.id == gid and g.status != _proc.DEAD


_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
}


def _response(status: int, ctype: str, body: bytes, head: bool = False) -> bytes:
    extra = f"Location: {body.decode().strip()}\r\n" if status == 302 else ""
    hdr = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n"
        f"{extra}\r\n"
    )
    return hdr.encode("latin-1") + (b"" if head else body)


def _goroutines_page(infos: list[Any]) -> str:
    parts = []
    for count, r, ids in group(infos):
        frames = "\n".join(f"{html.escape(f.func)}\n    {html.escape(f.file)}:{f.line}" for f in r.frames)
        # Go's "created by": the function that ran the go statement, and the statement's line.
        where = f' <span class="where">{html.escape(r.created_at)}</span>' if r.created_at else ""
        created = (
            f'<p class="created">created by {html.escape(r.created_by)}{where}</p>' if r.created_by else ""
        )
        shown = ", ".join(str(i) for i in ids[:50]) + (", …" if len(ids) > 50 else "")
        parts.append(
            f'<section class="group" data-count="{count}" data-reason="{html.escape(r.reason)}">'
            f'<h2><span class="count">{count}</span> × <span class="reason">'
            f"[{html.escape(r.reason)}]</span></h2>"
            f'<p class="ids">goroutines {shown}</p><pre>{frames}</pre>{created}</section>'
        )
    return (
        _GOROUTINES.replace("{{TOTAL}}", str(len(infos)))
        .replace("{{GROUPS}}", str(len(parts)))
        .replace("{{BODY}}", "\n".join(parts))
    )


def serve(
    addr: str = "127.0.0.1:6060",
    *,
    thread: bool = True,
    sample_interval: float = 1.0,
    history_seconds: float = 600.0,
) -> DebugServer:
    """Start the debug page on ``addr`` and return its handle (``.addr``, ``.url``, ``close()``).

    Args:
        addr: "host:port" to listen on; port 0 picks a free port (see ``.addr``).
        thread: serve from a dedicated OS thread with its own scheduler (default), so the page
            answers even while this thread's goroutines are stuck; False serves from
            goroutines of the calling thread's scheduler.
        sample_interval: seconds between samples of the charts.
        history_seconds: how much history the charts keep.

    Raises:
        OSError: the address cannot be listened on (gonet.net.OpError).

    Go: import _ "net/http/pprof"; http.ListenAndServe("localhost:6060", nil).
    """
    if not sample_interval > 0:
        raise ValueError(f"sample_interval must be > 0, got {sample_interval!r}")
    srv = DebugServer(sample_interval, history_seconds)
    if not thread:
        srv._start_here(addr)
        return srv
    ready = threading.Event()
    box: list[BaseException] = []
    t = threading.Thread(target=srv._thread_main, args=(addr, ready, box), name="gonet-debug", daemon=True)
    srv._thread = t
    t.start()
    ready.wait()
    if box:
        t.join()
        raise box[0]
    return srv


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.05em; margin: .2em 0; }
table { border-collapse: collapse; margin-bottom: 1em; }
th { text-align: left; padding-right: 1.5em; font-weight: normal; color: #555; }
td { font-variant-numeric: tabular-nums; text-align: right; }
pre { background: #f6f6f6; padding: .5em; overflow-x: auto; }
.chart { border: 1px solid #ccc; background: #fff; }
.line { fill: none; stroke-width: 1.5; }
#goroutines-line { stroke: #2a6edb; } #wakeups-line { stroke: #d9480f; }
.group { border-top: 1px solid #ddd; padding-top: .5em; }
"""

_INDEX = (
    """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>gonet debug</title><style>"""
    + _STYLE
    + """</style></head>
<body data-rendered="no">
<h1>gonet debug — pid {{PID}}</h1>
<p><a href="/debug/goroutines?format=html">goroutines (grouped)</a> ·
<a href="/debug/goroutines?debug=2">full dump</a> · <a href="/debug/stats">stats (JSON)</a></p>
<h2>Goroutines: <span id="goroutines-now">?</span></h2>
<svg id="goroutines-chart" class="chart" width="600" height="120" viewBox="0 0 600 120">
<polyline id="goroutines-line" class="line" points=""/>
<text class="ymax" x="4" y="12" font-size="10">0</text></svg>
<h2>Wake-ups per second: <span id="wakeups-now">?</span></h2>
<svg id="wakeups-chart" class="chart" width="600" height="120" viewBox="0 0 600 120">
<polyline id="wakeups-line" class="line" points=""/>
<text class="ymax" x="4" y="12" font-size="10">0</text></svg>
<p id="span">no samples yet</p>
<h2>Counters</h2><table id="counters">{{TABLE}}</table>
<h2>Waiting now, by reason</h2><table id="waiting">{{WAITING}}</table>
<script id="history" type="application/json">{{DATA}}</script>
<script>
"use strict";
const W = 600, H = 120;
function plot(name, ts, ys) {
  const line = document.getElementById(name + "-line");
  const tmax = ts[ts.length - 1], tmin = Math.min(ts[0], tmax - 60);
  const ymax = Math.max(1, ...ys) * 1.1;
  const pts = ys.map((y, i) => {
    const x = tmax > tmin ? (ts[i] - tmin) / (tmax - tmin) * W : W;
    return x.toFixed(1) + "," + (H - y / ymax * (H - 16)).toFixed(1);
  });
  line.setAttribute("points", pts.join(" "));
  document.querySelector("#" + name + "-chart .ymax").textContent = "max " + Math.round(ymax);
  document.getElementById(name + "-now").textContent = String(ys[ys.length - 1]);
}
function draw(h) {
  const s = h.samples;
  if (!s.length) return;
  const ts = s.map(x => x[0]);
  plot("goroutines", ts, s.map(x => x[1]));
  plot("wakeups", ts, s.map(x => x[2]));
  const secs = Math.round(ts[ts.length - 1] - ts[0]);
  document.getElementById("span").textContent =
    s.length + " samples over the last " + secs + " s, every " + h.interval + " s";
  document.body.dataset.rendered = String(s.length);
}
draw(JSON.parse(document.getElementById("history").textContent));
setInterval(() => fetch("/debug/history").then(r => r.json()).then(draw).catch(() => {}),
            {{REFRESH_MS}});
</script>
</body></html>
"""
)

_GOROUTINES = (
    """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>gonet goroutines</title><style>"""
    + _STYLE
    + """</style>
</head><body>
<h1>goroutine profile: total <span id="total">{{TOTAL}}</span>, <span id="groups">{{GROUPS}}</span>
groups</h1>
<p><a href="/debug/">overview</a> · <a href="/debug/goroutines?debug=2">full dump</a></p>
{{BODY}}
</body></html>
"""
)

# report.py - turn raw run records into the results JSON and the markdown tables.
"""Aggregate runs per (scenario, server) and render markdown with gonet/peer ratios."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import BARS, SCENARIOS

REF = "gonet"


def headline(run: dict[str, Any]) -> float | None:
    """Return the number a run is ranked and charted by (req/s, KiB/conn or µs/goroutine)."""
    kind = SCENARIOS[run["scenario"]].kind
    key = {"idle": "kib_per_conn", "http_idle": "kib_per_conn", "spawn": "batch_us"}.get(kind, "rps")
    value = run.get(key)
    return float(value) if value is not None else None


def aggregate(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Pick, per scenario and server, the successful run with the median headline value."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        grouped.setdefault((run["scenario"], run["server"]), []).append(run)
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for (scen, server), group in grouped.items():
        ok = sorted(
            (r for r in group if r.get("ok") and headline(r) is not None), key=lambda r: headline(r) or 0.0
        )
        table.setdefault(scen, {})[server] = ok[(len(ok) - 1) // 2] if ok else group[-1]
    return table


def _ratio(a: float | None, b: float | None) -> str:
    """Format a/b, or n/a when either side is missing."""
    if a is not None and a is b:
        return "–"  # gonet's own row
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}"


def _num(v: Any, fmt: str = "{:,.0f}") -> str:
    """Format a number, or a dash when missing."""
    return "–" if v is None else fmt.format(v)


def _loadgen_util(run: dict[str, Any]) -> str:
    """Format loadgen CPU use; near 100% means the client, not the server, set the pace."""
    lg = run["loadgen"]
    return f"{lg['loadgen_cpu_s'] / lg['duration_s'] * 100:.0f}%" if lg.get("duration_s") else "–"


def _table(
    rows: dict[str, dict[str, Any]],
    order: list[str],
    header: str,
    aligns: str,
    render: Callable[[dict[str, Any], dict[str, Any]], str],
) -> list[str]:
    """Render one markdown table: a row per server in order, failed runs shown as such."""
    ref = rows.get(REF, {})
    cols = header.count("|") - 1
    out = [header, "|---|" + aligns]
    for name in order:
        r = rows.get(name)
        if r is None:
            continue
        if not r.get("ok"):
            out.append(f"| {name} | failed: {r.get('error', '?')} " + "|" * (cols - 1))
            continue
        out.append(f"| {name} | {render(r, ref)} |")
    return out


def _timed_row(r: dict[str, Any], ref: dict[str, Any]) -> str:
    lat = r["lat_us"]
    return (
        f"{_num(r['rps'])} | {_num(r['req_per_cpu_s'])} "
        f"| {r['server_cpu_util'] * 100:.0f}% | {_loadgen_util(r)} | {_num(lat['p50'], '{:,.1f}')} "
        f"| {_num(lat['p99'], '{:,.1f}')} | {_num(lat['p999'], '{:,.1f}')} | {r['errors']} "
        f"| {_ratio(ref.get('rps'), r['rps'])} "
        f"| {_ratio(ref.get('req_per_cpu_s'), r['req_per_cpu_s'])}"
    )


def _timed_rows(rows: dict[str, dict[str, Any]], order: list[str]) -> list[str]:
    """Render a ping-pong/churn table; ratios are gonet / peer for throughput and efficiency."""
    return _table(
        rows,
        order,
        "| server | req/s | req per server-CPU-s | server CPU | loadgen CPU | p50 µs | p99 µs "
        "| p99.9 µs | errors | gonet / peer req/s | gonet / peer req/CPU-s |",
        "--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        _timed_row,
    )


def _idle_row(r: dict[str, Any], ref: dict[str, Any]) -> str:
    return (
        f"{r['rss_before_kib'] / 1024:,.1f} | {r['rss_held_kib'] / 1024:,.1f} "
        f"| {r['held']:,} | {_num(r['kib_per_conn'], '{:,.1f}')} "
        f"| {r['loadgen']['setup_s']:.2f} | {r['errors']} "
        f"| {_ratio(ref.get('kib_per_conn'), r['kib_per_conn'])}"
    )


def _idle_rows(rows: dict[str, dict[str, Any]], order: list[str]) -> list[str]:
    """Render the held-connections memory table; the ratio is gonet / peer KiB per conn."""
    return _table(
        rows,
        order,
        "| server | RSS before MiB | RSS holding MiB | held conns | KiB per conn | setup s "
        "| errors | gonet / peer KiB/conn |",
        "--:|--:|--:|--:|--:|--:|--:|",
        _idle_row,
    )


def _spawn_row(r: dict[str, Any], ref: dict[str, Any]) -> str:
    return (
        f"{r['batch_us']:.2f} | {r['serial_us']:.2f} | {r['n']:,} × {r['rounds']} "
        f"| {_ratio(ref.get('batch_us'), r['batch_us'])} "
        f"| {_ratio(ref.get('serial_us'), r['serial_us'])}"
    )


def _spawn_rows(rows: dict[str, dict[str, Any]], order: list[str]) -> list[str]:
    """Render the spawn table; ratios are gonet / peer µs per goroutine (lower is better)."""
    return _table(
        rows,
        order,
        "| implementation | batch µs/goroutine | serial µs/goroutine | n × rounds "
        "| gonet / peer batch | gonet / peer serial |",
        "--:|--:|--:|--:|--:|",
        _spawn_row,
    )


def _summary(table: dict[str, dict[str, dict[str, Any]]], order: list[str]) -> list[str]:
    """Render one row per scenario: gonet's headline number divided by each peer's."""
    # gevent and greenlet are also spawn baselines, so they get columns whenever spawn ran.
    names = list(dict.fromkeys([*order, "gevent", "greenlet"]))
    peers = [s for s in names if s != REF and any(s in rows for rows in table.values())]
    out = ["| scenario | metric | gonet | " + " | ".join(peers) + " |", "|---|---|--:|" + "--:|" * len(peers)]
    for scen, rows in table.items():
        kind = SCENARIOS[scen].kind
        metrics = {
            "idle": [("kib_per_conn", "KiB/conn ↓")],
            "http_idle": [("kib_per_conn", "KiB/conn ↓")],
            "spawn": [("batch_us", "µs/goroutine ↓")],
        }
        for key, label in metrics.get(kind, [("rps", "req/s ↑"), ("req_per_cpu_s", "req/CPU-s ↑")]):
            ref_v = _value(rows.get(REF), key)
            cells = [_ratio(ref_v, _value(rows[p], key)) if p in rows else "–" for p in peers]
            fmt = "{:,.0f}" if kind in ("pingpong", "churn", "wrk") else "{:,.2f}"
            out.append(f"| {scen} | {label} | {_num(ref_v, fmt)} | " + " | ".join(cells) + " |")
    return out


def bars(table: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Check each HTTP bar against this invocation's numbers: measured value and met or not."""
    out = []
    for bar in BARS:
        rows = table.get(bar.scenario, {})
        ours = _value(rows.get(REF), bar.metric)
        theirs = _value(rows.get(bar.peer), bar.metric) if bar.peer else 1.0
        value = ours / theirs if ours is not None and theirs else None
        met = None if value is None else (value >= bar.target if bar.at_least else value <= bar.target)
        # The same ratio in requests per server-CPU-second: it holds up when a busy machine
        # starves one run of its core, which the req/s ratio does not.
        per_cpu = None
        if bar.metric == "rps" and bar.peer:
            a, b = _value(rows.get(REF), "req_per_cpu_s"), _value(rows.get(bar.peer), "req_per_cpu_s")
            per_cpu = a / b if a is not None and b else None
        out.append({"bar": bar.text, "value": value, "met": met, "unit": bar.unit, "per_cpu": per_cpu})
    return out


def bars_table(table: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Render the HTTP bars as a markdown table."""
    out = ["| bar | measured | met | same ratio in req/CPU-s |", "|---|--:|---|--:|"]
    for b in bars(table):
        verdict = "n/a (not measured)" if b["met"] is None else ("met" if b["met"] else "**not met**")
        per_cpu = "–" if b["per_cpu"] is None else f"{b['per_cpu']:,.2f}×"
        out.append(f"| {b['bar']} | {_num(b['value'], '{:,.2f}')}{b['unit']} | {verdict} | {per_cpu} |")
    return out


def _value(run: dict[str, Any] | None, key: str) -> float | None:
    """Return run[key] for a successful run, else None."""
    if not run or not run.get("ok") or run.get(key) is None:
        return None
    return float(run[key])


def markdown(
    meta: dict[str, Any], table: dict[str, dict[str, dict[str, Any]]], order: list[str], notes: list[str]
) -> str:
    """Return the full markdown report for one invocation."""
    m = meta["machine"]
    v = ", ".join(f"{k} {val}" for k, val in m["versions"].items() if val)
    lines = [
        "# gonet benchmark results",
        "",
        f"Command: `{meta['command']}`  ",
        f"Started: {meta['started']} · wall time {meta['wall_s']:.0f} s  ",
        f"Machine: {m['nproc']} × {m['cpu_model']}, Linux {m['kernel']}, "
        f"Python {m['python']} · pinning: {m['pinning']}  ",
        f"Versions: {v}  ",
        f"Builds: {m.get('gonet_builds', '')}  ",
        f"Per run: one connection opened, echoed and closed, then {meta['duration']:g} s measured "
        f"after {meta['warmup']:g} s warm-up · "
        f"rounds: {meta['rounds']} (median shown) · servers interleaved per scenario, restarted per run",
        "",
        "## Summary: gonet / peer",
        "",
        "Each cell is gonet's number divided by the peer's from this invocation: above 1 favours "
        "gonet for req/s and req/CPU-s (requests per server-CPU-second), below 1 favours gonet for "
        "KiB/conn and µs/goroutine. In the HTTP scenarios gonet is gonet.http's server (http.wsgi "
        "in wsgi_hello) and go is Go's net/http.",
        "",
    ]
    echo = {k: v for k, v in table.items() if SCENARIOS[k].family == "echo"}
    http = {k: v for k, v in table.items() if SCENARIOS[k].family != "echo"}
    for part in (echo, http):
        if part:
            lines += [*_summary(part, order), ""]
    if http:
        lines += ["## HTTP bars", "", *bars_table(table), ""]
    for scen, rows in table.items():
        s = SCENARIOS[scen]
        lines += ["", f"## {scen}: {s.summary}", "", f"![{scen}]({scen}.png)", ""]
        render = {"idle": _idle_rows, "http_idle": _idle_rows, "spawn": _spawn_rows}.get(s.kind, _timed_rows)
        spawn_order = ["gonet", "gonet_pure", "gevent", "greenlet"]
        lines += render(rows, spawn_order if s.kind == "spawn" else order)
    if notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def write(
    out_dir: Path, meta: dict[str, Any], runs: list[dict[str, Any]], order: list[str], notes: list[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Write results.json and results.md into out_dir; return the aggregated table."""
    table = aggregate(runs)
    doc = {
        "meta": meta,
        "notes": notes,
        "bars": bars(table),
        "runs": runs,
        "summary": {
            sc: {sv: headline(r) if r.get("ok") else None for sv, r in rows.items()}
            for sc, rows in table.items()
        },
    }
    (out_dir / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out_dir / "results.md").write_text(markdown(meta, table, order, notes))
    return table

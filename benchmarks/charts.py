# charts.py - draw one bar chart per scenario plus a one-image summary (matplotlib, Agg).
"""Render PNG bar charts of the aggregated results; gonet's bar is highlighted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import SCENARIOS
from .report import REF, headline

GONET_COLOR = "#d62728"
PEER_COLOR = "#7f7f7f"


def _metric(scen: str) -> tuple[str, bool]:
    """Return (axis label, higher_is_better) for a scenario's headline number."""
    kind = SCENARIOS[scen].kind
    if kind in ("idle", "http_idle"):
        return "server RSS KiB per held connection (lower is better)", False
    if kind == "spawn":
        return "µs per spawn+finish, batch (lower is better)", False
    return "requests/s (higher is better)", True


def _bars(ax: Any, names: list[str], values: list[float], label: str, title: str) -> None:
    """Draw horizontal bars with value labels, gonet in colour."""
    colors = [GONET_COLOR if n == REF else PEER_COLOR for n in names]
    ax.barh(names, values, color=colors)
    ax.invert_yaxis()
    ax.set_xlabel(label, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    top = max(values) if values else 1.0
    for i, v in enumerate(values):
        ax.text(v + top * 0.01, i, f"{v:,.1f}" if v < 100 else f"{v:,.0f}", va="center", fontsize=6)
    ax.set_xlim(0, top * 1.18)


def _series(rows: dict[str, dict[str, Any]], order: list[str], key: str) -> tuple[list[str], list[float]]:
    """Return names and values of successful runs that have `key`, in display order."""
    names, values = [], []
    for name in order:
        r = rows.get(name)
        if r and r.get("ok") and r.get(key) is not None:
            names.append(name)
            values.append(float(r[key]))
    return names, values


def draw(out_dir: Path, table: dict[str, dict[str, dict[str, Any]]], order: list[str]) -> list[Path]:
    """Write <scenario>.png for each scenario and summary.png; return the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    spawn_order = ["gonet", "gonet_pure", "gevent", "greenlet"]
    for scen, rows in table.items():
        kind = SCENARIOS[scen].kind
        names_order = spawn_order if kind == "spawn" else order
        if kind in ("pingpong", "churn", "wrk"):
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
            for ax, key, label in (
                (axes[0], "rps", "requests/s"),
                (axes[1], "req_per_cpu_s", "requests per server-CPU-second"),
            ):
                _bars(ax, *_series(rows, names_order, key), label, f"{scen}: {label}")
        else:
            fig, ax = plt.subplots(figsize=(6, 3.2))
            key = "kib_per_conn" if kind in ("idle", "http_idle") else "batch_us"
            _bars(ax, *_series(rows, names_order, key), _metric(scen)[0], scen)
        fig.tight_layout()
        path = out_dir / f"{scen}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    written.append(_summary(plt, out_dir, table, order, spawn_order))
    return written


def _summary(
    plt: Any,
    out_dir: Path,
    table: dict[str, dict[str, dict[str, Any]]],
    order: list[str],
    spawn_order: list[str],
) -> Path:
    """Write summary.png: one panel per scenario with its headline metric."""
    scens = list(table)
    cols = 2
    nrows = (len(scens) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(11, 2.9 * nrows), squeeze=False)
    for ax, scen in zip(axes.flat, scens, strict=False):  # spare axes stay blank
        rows = table[scen]
        names_order = spawn_order if SCENARIOS[scen].kind == "spawn" else order
        names = [n for n in names_order if n in rows and rows[n].get("ok") and headline(rows[n]) is not None]
        _bars(
            ax,
            names,
            [headline(rows[n]) or 0.0 for n in names],
            _metric(scen)[0],
            f"{scen}: {SCENARIOS[scen].label}",
        )
    for ax in list(axes.flat)[len(scens) :]:
        ax.axis("off")
    fig.tight_layout()
    path = out_dir / "summary.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

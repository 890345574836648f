"""examples/redis_fanout.py and examples/postgres_pool.py run as real programs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from interop_helpers import require

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )


def test_redis_fanout():
    require("redis")
    out = _run("redis_fanout.py", "--keys", "500", "--workers", "50")
    assert out.returncode == 0, out.stderr
    assert "fetched 500 keys with 50 goroutines" in out.stdout
    took = float(re.search(r"50 BLPOPs of 0.5 s returned in ([\d.]+) s", out.stdout).group(1))
    assert took < 1.5


def test_postgres_pool():
    require("postgres")
    out = _run("postgres_pool.py", "--size", "5", "--jobs", "20")
    assert out.returncode == 0, out.stderr
    assert re.search(r"20 queries of 0.1 s over 5 connections took [\d.]+ s", out.stdout)


def test_unreachable_service_is_one_clear_line():
    out = _run("redis_fanout.py", "--url", "redis://127.0.0.1:1")
    assert out.returncode == 1
    assert out.stderr.startswith("redis at redis://127.0.0.1:1 is unreachable:")


@pytest.mark.parametrize("script", ["redis_fanout.py", "postgres_pool.py"])
def test_examples_have_a_docstring_with_run_line(script: str) -> None:
    text = (ROOT / "examples" / script).read_text()
    assert text.startswith('"""')
    assert "\nRun: python examples/" + script in text

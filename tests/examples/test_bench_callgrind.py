"""`python -m benchmarks.callgrind` counts a gonet HTTP server's instructions per request under
callgrind, or says clearly why it could not."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from helpers import ROOT, SUB_ENV

import gonet

pytestmark = pytest.mark.skipif(
    shutil.which("valgrind") is None or shutil.which("wrk") is None, reason="needs valgrind and wrk"
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "benchmarks.callgrind", *args]
    return gonet.run_in_thread(
        subprocess.run, argv, capture_output=True, text=True, env=SUB_ENV, cwd=str(ROOT), timeout=300
    )


def test_counts_instructions_per_request_of_the_hello_server() -> None:
    res = _run("--seconds", "1", "--warmup", "1", "--conns", "4")
    assert res.returncode == 0, res.stderr
    m = re.fullmatch(
        r"gonet_http_server\.py \((compiled|pure)\): (\d+) requests, ([\d,]+) instructions, ([\d,]+) per request\n",
        res.stdout,
    )
    assert m is not None, res.stdout
    requests, per_request = int(m.group(2)), int(m.group(4).replace(",", ""))
    assert requests > 0
    # A sanity range, not a speed claim: a GET takes thousands of instructions, not millions.
    assert 1_000 < per_request < 1_000_000


def test_a_server_that_does_not_start_is_reported() -> None:
    res = _run("--script", "no_such_server.py", "--seconds", "1", "--warmup", "1")
    assert res.returncode == 1
    assert res.stdout == ""
    assert "callgrind: the server did not report its port" in res.stderr

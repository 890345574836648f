# The C load generator of the benchmarks, compiled once per session for the supervisor tests:
# a client that is not Python drives the reload and kill tests (connect/echo/close loops).
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def loadgen(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the path of a freshly compiled benchmarks/loadgen.c."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler for benchmarks/loadgen.c")
    out = tmp_path_factory.mktemp("loadgen") / "loadgen"
    subprocess.run(
        [cc, "-O2", "-o", str(out), str(ROOT / "benchmarks" / "loadgen.c")], check=True, timeout=120
    )
    return str(out)


@pytest.fixture(autouse=True)
def _no_block_warning() -> Iterator[None]:
    """The supervisor tests wait on plain threads and processes in the test goroutine by design:
    silence the watchdog's "running without yielding" warning for them."""
    from gonet import runtime

    old = runtime.set_block_threshold(None)
    try:
        yield
    finally:
        runtime.set_block_threshold(old)

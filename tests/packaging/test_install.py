"""Installing gonet: a build that cannot compile still installs, as pure Python, and says so.

Each test builds the project from a copy of its source into a private directory with pip
(no network, no build isolation: setuptools and Cython come from the test extras) and
then runs a real echo over a socket with the result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ECHO_PROBE, ROOT

import gonet
from gonet import _accel

pytestmark = pytest.mark.skipif(
    _accel.pure_python_requested(), reason="builds the package; run once, in the compiled suite"
)

FALLBACK = "; installing the pure-Python modules (same behaviour, slower)"


def _project_copy(dst: Path) -> Path:
    """Copy what a build reads (no built extensions, no caches) to dst."""
    dst.mkdir()
    for name in ("setup.py", "pyproject.toml", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, dst / name)
    # Cython's .c output is kept (with its mtime) so that the build does not regenerate it.
    shutil.copytree(
        ROOT / "src",
        dst / "src",
        ignore=shutil.ignore_patterns("*.so", "__pycache__", "*.egg-info", "*.html"),
    )
    return dst


def _install(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    project = _project_copy(tmp_path / "project")
    site = tmp_path / "site"
    full_env = {k: v for k, v in os.environ.items() if k not in ("GONET_PURE_PYTHON", "PYTHONPATH")}
    full_env.update(env)
    r: subprocess.CompletedProcess[str] = gonet.run_in_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-v",
            "--no-build-isolation",
            "--no-index",
            "--no-deps",
            "--target",
            str(site),
            str(project),
        ],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
        start_new_session=True,
    )  # no controlling terminal: the build's lines go to its stderr only
    return r, site


def _probe(site: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "GONET_PURE_PYTHON"}
    env["PYTHONPATH"] = str(site)
    r: subprocess.CompletedProcess[str] = gonet.run_in_thread(
        subprocess.run,
        [sys.executable, "-c", ECHO_PROBE],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert (r.returncode, r.stderr) == (0, "")
    out: dict[str, object] = json.loads(r.stdout)
    return out


def _gonet_lines(output: str) -> list[str]:
    return [ln.strip() for ln in output.splitlines() if ln.strip().startswith("gonet: ")]


def test_a_broken_c_compiler_installs_pure_python_with_one_line(tmp_path: Path) -> None:
    r, site = _install(tmp_path, CC="/bin/false")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    lines = _gonet_lines(r.stdout + r.stderr)
    assert lines[0] == (
        f"gonet: compiling {len(_accel.ACCELERATED)} hot modules with Cython and "
        "the C compiler (about a minute; GONET_PURE_PYTHON=1 skips it)"
    )
    assert lines[1:] == ["gonet: compiling failed (/bin/false: exit status 1)" + FALLBACK]
    assert list(site.rglob("*.so")) == []
    got = _probe(site)
    assert str(got["file"]).startswith(str(site))
    assert got["compiled"] == dict.fromkeys(_accel.ACCELERATED, False)
    assert got["version"] == "0.1.0"


def test_without_cython_installs_pure_python_with_one_line(tmp_path: Path) -> None:
    # A Cython that cannot be imported, first on the build's path.
    stub = tmp_path / "no_cython" / "Cython"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ImportError('no Cython here')\n")
    r, site = _install(tmp_path, PYTHONPATH=str(stub.parent))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert _gonet_lines(r.stdout + r.stderr) == ["gonet: Cython is not installed" + FALLBACK]
    assert list(site.rglob("*.so")) == []
    assert _probe(site)["compiled"] == dict.fromkeys(_accel.ACCELERATED, False)

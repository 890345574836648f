"""The Cython accelerator: same sources, selectable at run time, never stale, never out of sync."""

from __future__ import annotations

import ast
import importlib.machinery
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ECHO_PROBE

from gonet import _accel

SRC = Path(__file__).resolve().parents[2] / "src"


def _built(name: str, root: Path = SRC) -> bool:
    base = root.joinpath(*name.split("."))
    return any(Path(str(base) + s).exists() for s in importlib.machinery.EXTENSION_SUFFIXES)


def _run(env_extra: dict[str, str], pythonpath: Path = SRC) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GONET_PURE_PYTHON"}
    env.update(env_extra)
    env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-c", ECHO_PROBE], capture_output=True, text=True, env=env, timeout=60
    )


def _pxd_attrs(pxd_text: str, cls: str) -> set[str] | None:
    # The declaration with a body (its line ends in a colon), not a forward declaration.
    m = re.search(rf"^cdef class {cls}\b[^\n]*:.*?(?=^cdef class |\Z)", pxd_text, re.S | re.M)
    if m is None:
        return None
    return set(re.findall(r"^\s+cdef (?:public )?[\w.]+ (\w+)\s*$", m.group(0), re.M))


@pytest.mark.parametrize("name", _accel.ACCELERATED)
def test_pxd_declares_exactly_the_slots_of_each_compiled_class(name: str) -> None:
    # A slot added to the .py but not to the .pxd works in pure Python and raises
    # AttributeError once compiled: this test catches that in either mode.
    py = SRC.joinpath(*name.split(".")).with_suffix(".py")
    pxd_text = py.with_suffix(".pxd").read_text()
    checked = 0
    for node in ast.parse(py.read_text()).body:
        if not isinstance(node, ast.ClassDef):
            continue
        declared = _pxd_attrs(pxd_text, node.name)
        if declared is None:
            continue  # a plain Python class in a compiled module
        slots: list[str] = []
        for st in node.body:
            if isinstance(st, ast.Assign) and getattr(st.targets[0], "id", "") == "__slots__":
                assert isinstance(st.value, ast.Tuple)
                slots = [e.value for e in st.value.elts if isinstance(e, ast.Constant)]
        assert set(slots) == declared, (
            f"{name}.{node.name}: __slots__ vs .pxd differ: "
            f"only in .py {sorted(set(slots) - declared)}, only in .pxd {sorted(declared - set(slots))}"
        )
        checked += 1
    # Every class the .pxd declares (with a body) is one of the .py's; a module may have none
    # (gonet.http._header compiles functions and a plain Python class).
    declared_classes = re.findall(r"^cdef class (\w+)\b[^\n]*:", pxd_text, re.M)
    assert checked == len(declared_classes), f"{name}: a cdef class of the .pxd is not in the .py"


def test_pure_python_env_var_selects_the_py_files() -> None:
    out = _run({"GONET_PURE_PYTHON": "1"})
    assert out.returncode == 0, out.stderr
    modes = json.loads(out.stdout.strip().splitlines()[-1])["compiled"]
    assert set(modes) == set(_accel.ACCELERATED)
    assert not any(modes.values())


def test_default_mode_uses_every_extension_that_was_built() -> None:
    out = _run({})
    assert out.returncode == 0, out.stderr
    modes = json.loads(out.stdout.strip().splitlines()[-1])["compiled"]
    all_built = all(_built(name) for name in _accel.ACCELERATED)
    assert modes == dict.fromkeys(_accel.ACCELERATED, all_built)


def test_an_extension_older_than_its_source_is_ignored_with_a_warning(tmp_path: Path) -> None:
    # A source checkout: src/gonet beside setup.py.
    shutil.copytree(
        SRC / "gonet", tmp_path / "src" / "gonet", ignore=shutil.ignore_patterns("__pycache__", "*.c")
    )
    (tmp_path / "setup.py").write_text("")
    name = "gonet.runtime._netpoll"
    py = tmp_path / "src" / "gonet" / "runtime" / "_netpoll.py"
    for p in (tmp_path / "src" / "gonet" / "runtime").iterdir():
        os.utime(p, (1_000_000_000, 1_000_000_000))  # everything old ...
    os.utime(py, None)  # ... but this source: edited after the build
    out = _run({}, pythonpath=tmp_path / "src")
    assert out.returncode == 0, out.stderr
    modes = json.loads(out.stdout.strip().splitlines()[-1])["compiled"]
    assert not any(modes.values()), "all or nothing: compiled modules share C types"
    if _built(name):
        assert f"the compiled {name} is older than its source" in out.stderr
    else:
        assert "older than its source" not in out.stderr  # nothing compiled, nothing stale


def test_pure_python_requested_parses_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, want in [
        ("1", True),
        ("yes", True),
        ("true", True),
        ("0", False),
        ("", False),
        ("no", False),
        ("false", False),
    ]:
        monkeypatch.setenv("GONET_PURE_PYTHON", value)
        assert _accel.pure_python_requested() is want, value


def test_an_installed_package_is_not_judged_by_mtimes(tmp_path: Path) -> None:
    # pip extracts a wheel's files with fresh mtimes in any order: a .so may look older than
    # its .py. Outside a source checkout (no setup.py above src/) the extensions must be used.
    site = tmp_path / "site-packages"
    shutil.copytree(SRC / "gonet", site / "gonet", ignore=shutil.ignore_patterns("__pycache__", "*.c"))
    for p in (site / "gonet").rglob("*.so"):
        os.utime(p, (1_000_000_000, 1_000_000_000))  # every extension "older" than its source
    out = _run({}, pythonpath=site)
    assert out.returncode == 0, out.stderr
    modes = json.loads(out.stdout.strip().splitlines()[-1])["compiled"]
    all_built = all(_built(name) for name in _accel.ACCELERATED)
    assert modes == dict.fromkeys(_accel.ACCELERATED, all_built)
    assert "older than its source" not in out.stderr


@pytest.mark.parametrize("name", _accel.ACCELERATED)
@pytest.mark.timeout(300)
def test_every_hot_module_translates_with_cython(name: str, tmp_path: Path) -> None:
    # setup.py falls back to pure Python when Cython fails on any module, so a source that no
    # longer compiles would pass every other test, only slower: translate each one here, with
    # setup.py's directives.
    pytest.importorskip("Cython")
    src = SRC.joinpath(*name.split(".")).with_suffix(".py")
    directives = (
        "language_level=3,annotation_typing=False,binding=True,embedsignature=True,always_allow_keywords=True"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cython",
            "-X",
            directives,
            "-I",
            str(SRC),
            "-o",
            str(tmp_path / "m.c"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=280,
        cwd=SRC.parent,
    )
    assert out.returncode == 0, out.stderr[-2000:]

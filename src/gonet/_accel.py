# gonet._accel: choose between the compiled and the pure-Python hot modules.
#
# The hot modules (scheduler, timers, pollDesc, fd mutex, FD) are plain Python files. When gonet
# is installed from source with Cython available, the build compiles the same files into
# extension modules that sit beside them (`_proc.py` and `_proc.cpython-311-*.so`); Python's
# import system then prefers the extension. This module decides, once, before any of them is
# imported, whether that preference stands:
#
#   GONET_PURE_PYTHON=1      -> import the .py files (debugging, profiling, comparing modes)
#   some extension older than its .py/.pxd (in a source tree), or not all built
#                            -> import the .py files and warn if stale: running code that no
#                               longer matches the source is worse than slow
#   otherwise                -> the extensions
#
# The choice is all or nothing: compiled modules use each other's types directly (the FD knows
# the C layout of PollDesc), so one pure module among compiled ones would be binary-incompatible.
# It is made with one meta-path finder that only answers for the module names in ACCELERATED
# (listed in gonet._accel_modules, which setup.py reads too), and only by pointing at the .py
# file beside it; everything else is untouched.
#
# Invariants: installed at most once, when gonet/__init__.py imports this module (its first
# import), so before any accelerated module loads;
# `compiled()` tells which implementation each accelerated module actually uses.
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import warnings
from types import ModuleType
from typing import Any

from gonet._accel_modules import ACCELERATED

__all__ = ["ACCELERATED", "pure_python_requested", "compiled", "install"]

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
_IN_SOURCE_TREE = os.path.exists(os.path.join(_PKG_DIR, os.pardir, os.pardir, "setup.py"))


def pure_python_requested() -> bool:
    """Return whether GONET_PURE_PYTHON asks for the pure-Python implementation."""
    return os.environ.get("GONET_PURE_PYTHON", "").strip().lower() not in ("", "0", "false", "no")


def _paths(name: str) -> tuple[str, list[str]]:
    rel = name.split(".")[1:]  # drop "gonet"
    base = os.path.join(_PKG_DIR, *rel)
    exts = [base + suffix for suffix in importlib.machinery.EXTENSION_SUFFIXES]
    return base + ".py", [p for p in exts if os.path.exists(p)]


def _stale(py: str, exts: list[str]) -> bool:
    # Only a source checkout (src/gonet beside setup.py, e.g. an editable install) can be edited
    # after a build. pip extracts an installed wheel with fresh mtimes in whatever order, so
    # there mtimes say nothing about staleness.
    if not _IN_SOURCE_TREE:
        return False
    pxd = py[:-3] + ".pxd"
    newest_src = max(os.path.getmtime(p) for p in (py, pxd) if os.path.exists(p))
    return all(os.path.getmtime(e) < newest_src for e in exts)


def _decide(force: bool) -> tuple[bool, list[str]]:
    """Return (use the .py files?, names of stale extensions)."""
    found = {name: _paths(name) for name in ACCELERATED}
    if not all(exts and os.path.exists(py) for py, exts in found.values()):
        return True, []  # not (fully) built: pure Python is the only coherent choice
    stale = [name for name, (py, exts) in found.items() if _stale(py, exts)]
    return force or bool(stale), stale


class _PurePythonFinder:
    """Resolve every accelerated module to its .py source when the extensions must not be used."""

    def __init__(self, pure: bool) -> None:
        self.pure = pure

    def find_spec(self, name: str, path: Any = None, target: ModuleType | None = None) -> Any:
        if not self.pure or name not in ACCELERATED:
            return None
        py, _ = _paths(name)
        return importlib.util.spec_from_file_location(name, py)


_installed: _PurePythonFinder | None = None


def install() -> None:
    """Put the finder first on sys.meta_path (idempotent)."""
    global _installed
    if _installed is None:
        pure, stale = _decide(pure_python_requested())
        for name in stale:
            warnings.warn(
                f"gonet: the compiled {name} is older than its source; using the "
                f"pure-Python modules (rebuild with `pip install -e .`)",
                stacklevel=3,
            )
        _installed = _PurePythonFinder(pure)
        sys.meta_path.insert(0, _installed)


def compiled() -> dict[str, bool]:
    """Return, for each accelerated module already imported, whether it is compiled."""
    out = {}
    for name in ACCELERATED:
        mod = sys.modules.get(name)
        if mod is not None:
            out[name] = not (getattr(mod, "__file__", "") or "").endswith(".py")
    return out


install()

# Build script: compiles gonet's hot modules with Cython when it is available.
#
# The compiled modules come from the very same .py files (with .pxd files beside them giving the
# types), so the pure-Python package is always complete: if Cython or a C compiler is missing, or
# GONET_PURE_PYTHON=1 is set at build time, gonet installs without extensions and runs as is.
import ast
import os
import sys

from setuptools import Extension, setup


def hot_modules():
    """Return gonet._accel.ACCELERATED, read from its source (importing it would install its finder)."""
    tree = ast.parse(open(os.path.join("src", "gonet", "_accel.py")).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ACCELERATED":
            return list(ast.literal_eval(node.value))
    raise RuntimeError("src/gonet/_accel.py defines no ACCELERATED tuple")


def ext_modules():
    if os.environ.get("GONET_PURE_PYTHON", "").strip().lower() not in ("", "0", "false", "no"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("gonet: Cython not found; installing the pure-Python modules only", file=sys.stderr)
        return []
    exts = [Extension(m, ["src/" + m.replace(".", "/") + ".py"]) for m in hot_modules()]
    return cythonize(
        exts,
        include_path=["src"],
        quiet=True,
        compiler_directives={
            "language_level": 3,
            "annotation_typing": False,  # types come from the .pxd files only
            "binding": True,
            "embedsignature": True,
            "always_allow_keywords": True,
        },
    )


setup(ext_modules=ext_modules())

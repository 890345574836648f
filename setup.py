# Build script: compiles gonet's hot modules with Cython when it is available.
#
# The compiled modules come from the very same .py files (with .pxd files beside them giving the
# types), so the pure-Python package is always complete: if Cython or a C compiler is missing, or
# GONET_PURE_PYTHON=1 is set at build time, gonet installs without extensions and runs as is.
import os
import sys

from setuptools import Extension, setup

HOT = [
    "gonet.runtime._time",
    "gonet.runtime._proc",
    "gonet.runtime._netpoll",
    "gonet._poll._fd_mutex",
    "gonet._poll._fd_unix",
    "gonet.net._net",
]


def ext_modules():
    if os.environ.get("GONET_PURE_PYTHON", "").strip().lower() not in ("", "0", "false", "no"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("gonet: Cython not found; installing the pure-Python modules only", file=sys.stderr)
        return []
    exts = [Extension(m, ["src/" + m.replace(".", "/") + ".py"]) for m in HOT]
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

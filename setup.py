# Build script: compiles gonet's hot modules with Cython when it can, installs without them when
# it cannot.
#
# The compiled modules come from the very same .py files (with .pxd files beside them giving the
# types), so the pure-Python package is always complete. Every way the compile can fail — no
# Cython, no working C compiler, no Python headers — ends in a pure-Python install and one line
# saying why; GONET_PURE_PYTHON=1 at build time skips the compile on purpose. A failure leaves
# no extension behind: gonet uses all of them or none (gonet._accel).
#
# pip hides a build's output behind its spinner, and the compile takes about a minute: the one
# line saying so also goes to the terminal, when there is one.
import os
import re
import runpy
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError

HERE = os.path.dirname(os.path.abspath(__file__))
# The list lives in a file with no import side effects (importing gonet._accel would not do).
ACCELERATED = runpy.run_path(os.path.join(HERE, "src", "gonet", "_accel_modules.py"))["ACCELERATED"]
COMPILE_ERRORS = (CCompilerError, ExecError, PlatformError, OSError)


def say(message):
    """Print one line for the person installing: on stderr, and on the terminal if pip captures stderr."""
    line = f"gonet: {message}"
    print(line, file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        return
    try:
        with open("/dev/tty", "w") as tty:
            tty.write(line + "\n")
    except OSError:
        pass  # no controlling terminal (CI, a service): stderr is all there is


def short(e):
    """Describe a compile failure in a few words: the command that failed, not its arguments."""
    text = str(e).strip() or type(e).__name__
    m = re.search(r"command '\[?'?([^',\]]+).*?(exit (?:status|code) -?\d+)", text, re.I | re.S)
    if m:
        return f"{m.group(1)}: {m.group(2)}"
    return text.splitlines()[0][:200]


def pure_python_requested():
    return os.environ.get("GONET_PURE_PYTHON", "").strip().lower() not in ("", "0", "false", "no")


class optional_build_ext(build_ext):
    """Cythonize and compile the hot modules; on any failure, build none of them."""

    def run(self):
        if not self.extensions:
            return
        try:
            from Cython.Build import cythonize
        except ImportError:
            return self._fall_back("Cython is not installed")
        say(f"compiling {len(self.extensions)} hot modules with Cython and the C compiler "
            f"(about a minute; GONET_PURE_PYTHON=1 skips it)")
        try:
            generated = cythonize(
                self.extensions,
                include_path=[os.path.join(HERE, "src")],
                quiet=True,
                compiler_directives={
                    "language_level": 3,
                    "annotation_typing": False,  # types come from the .pxd files only
                    "binding": True,
                    "embedsignature": True,
                    "always_allow_keywords": True,
                },
            )
            # Keep setuptools' own Extension objects (finalize_options prepared them): only
            # their sources change, from .py to the generated .c.
            sources = {e.name: e.sources for e in generated}
            for ext in self.extensions:
                ext.sources = sources[ext.name]
            super().run()
        except COMPILE_ERRORS as e:
            self._fall_back(f"compiling failed ({short(e)})")
        except Exception as e:  # Cython's own errors have no common base class
            if type(e).__module__.split(".")[0] != "Cython":
                raise
            self._fall_back(f"Cython failed ({e})")

    def _fall_back(self, why):
        for ext in self.extensions:
            path = self.get_ext_fullpath(ext.name)
            if os.path.exists(path):  # built before the failure: all or none
                os.remove(path)
        self.extensions[:] = []
        say(f"{why}; installing the pure-Python modules (same behaviour, slower)")


def ext_modules():
    if pure_python_requested():
        return []
    return [Extension(m, ["src/" + m.replace(".", "/") + ".py"]) for m in ACCELERATED]


setup(ext_modules=ext_modules(), cmdclass={"build_ext": optional_build_ext})

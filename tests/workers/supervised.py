# supervised.py: run a supervisor (echo_app.py, or any command) in a subprocess for the tests and
# watch its output: supervisor log lines on stderr, worker lines on stdout, each read by a
# thread into one list the test waits on. close() ends the supervisor (SIGTERM, then SIGKILL),
# joins the reader threads and closes the pipes, so no process, thread or fd outlives a test.
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from helpers import SUB_ENV

HERE = Path(__file__).resolve().parent
ECHO_APP = str(HERE / "echo_app.py")
WAIT = 30.0


class Supervised:
    """A supervisor subprocess whose output lines can be awaited."""

    def __init__(
        self, argv: list[str], pass_fds: tuple[int, ...] = (), env: dict[str, str] | None = None
    ) -> None:
        self.lines: list[tuple[str, str]] = []  # (stream, line) in arrival order
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**SUB_ENV, **(env or {})},
            pass_fds=pass_fds,
        )
        self._threads = [
            threading.Thread(target=self._read, args=(name, f), daemon=True)
            for name, f in (("out", self.proc.stdout), ("err", self.proc.stderr))
        ]
        for t in self._threads:
            t.start()

    @classmethod
    def echo(cls, *args: str) -> Supervised:
        """Start echo_app.py with these arguments."""
        return cls([sys.executable, ECHO_APP, *args])

    def _read(self, name: str, f: Any) -> None:
        for line in f:
            with self._cond:
                self.lines.append((name, line.rstrip("\n")))
                self._cond.notify_all()

    def matches(self, pattern: str, stream: str | None = None) -> list[re.Match[str]]:
        """Return every line seen so far that matches pattern (re.search)."""
        rx = re.compile(pattern)
        with self._cond:
            found = [rx.search(line) for s, line in self.lines if stream in (None, s)]
        return [m for m in found if m]

    def wait_for(
        self, pattern: str, count: int = 1, timeout: float = WAIT, stream: str | None = None
    ) -> list[re.Match[str]]:
        """Wait until count lines match pattern; return the matches (fail with the output)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in (rx.search(line) for s, line in self.lines if stream in (None, s)) if m]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or (
                    self.proc.poll() is not None and not any(t.is_alive() for t in self._threads)
                ):
                    raise AssertionError(
                        f"no {count} line(s) matching {pattern!r} within {timeout}s; output:\n" + self.text()
                    )
                self._cond.wait(min(left, 0.2))

    def text(self) -> str:
        """Return all output so far, one line each, prefixed by its stream."""
        with self._cond:
            return "\n".join(f"{s}: {line}" for s, line in self.lines)

    def port(self) -> int:
        """Return the port from the supervisor's "listening on tcp HOST:PORT" line."""
        return int(self.wait_for(r"listening on tcp [^ ]*:(\d+) ")[0].group(1))

    def signal(self, sig: int) -> None:
        """Send sig to the supervisor."""
        self.proc.send_signal(sig)

    def wait(self, timeout: float = WAIT) -> int:
        """Wait for the supervisor to exit and its workers to close the pipes; return its status."""
        code = self.proc.wait(timeout)
        for t in self._threads:
            t.join(timeout)
        return code

    def close(self) -> None:
        """Stop the supervisor if still running; reap it, join the readers, close the pipes."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(WAIT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(WAIT)
            for t in self._threads:
                t.join(WAIT)
        finally:
            for f in (self.proc.stdout, self.proc.stderr):
                if f is not None:
                    f.close()

    def __enter__(self) -> Supervised:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Loadgen:
    """The C load generator (benchmarks/loadgen.c) against 127.0.0.1:port, no warm-up.

    A context manager: leaving the block kills it if it still runs and reaps it.
    """

    def __init__(self, loadgen: str, port: int, mode: str, conns: int, duration: float) -> None:
        self.proc = subprocess.Popen(
            [loadgen, "127.0.0.1", str(port), mode, str(conns), "64", f"{duration:g}", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def report(self, timeout: float = 60.0) -> dict[str, Any]:
        """Wait for the run to end; return its JSON report (the last stdout line)."""
        out, err = self.proc.communicate(timeout=timeout)
        lines = [ln for ln in out.splitlines() if ln.startswith("{") and '"event"' not in ln]
        assert self.proc.returncode == 0, f"loadgen failed ({self.proc.returncode}): {out}\n{err}"
        assert lines, f"loadgen printed no report: {out}\n{err}"
        report: dict[str, Any] = json.loads(lines[-1])
        return report

    def __enter__(self) -> Loadgen:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def alive(pid: int) -> bool:
    """Whether process pid exists (not yet reaped by its parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

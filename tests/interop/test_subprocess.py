# Interop proof for child processes: the stdlib's subprocess (patched) and gonet.exec from
# goroutines. N goroutines each waiting on a child finish in about the time of one while a
# sibling keeps ticking; 100 MiB go through `cat` and back with every byte checked.
from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

import gonet
from gonet import exec as gexec
from gonet.exec import _wait
from gonet.patch import _subprocess as psub


@pytest.fixture
def patched() -> Iterator[None]:
    psub.patch_subprocess()
    try:
        yield
    finally:
        psub.unpatch_subprocess()


class Ticker:
    """A sibling goroutine that counts 5 ms sleeps until stopped."""

    def __init__(self) -> None:
        self.ticks = 0
        self._stop: gonet.Chan[None] = gonet.Chan()
        self._done: gonet.Chan[None] = gonet.Chan()
        gonet.go(self._run)

    def _run(self) -> None:
        while gonet.select(self._stop.recv_case(), default=True).index != 0:
            self.ticks += 1
            gonet.sleep(0.005)
        self._done.close()

    def stop(self) -> int:
        self._stop.close()
        self._done.recv()
        return self.ticks


@pytest.mark.parametrize("mode", ["auto", "sigchld", "thread"])
def test_twenty_subprocess_runs_take_the_time_of_one(
    patched: None, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_wait, "WAIT_MODE", mode)
    results: gonet.Chan[int] = gonet.Chan(20)
    ticker = Ticker()
    t0 = time.monotonic()
    for _ in range(20):
        gonet.go(lambda: results.send(subprocess.run(["sleep", "0.3"]).returncode))
    codes = [results.recv() for _ in range(20)]
    elapsed = time.monotonic() - t0
    ticks = ticker.stop()
    assert codes == [0] * 20
    assert elapsed < 1.0, f"20 x sleep 0.3 took {elapsed:.2f}s"
    assert ticks >= 20, f"the sibling ticked only {ticks} times in {elapsed:.2f}s"


class _Pattern:
    """A Reader producing `total` bytes of a repeating 256-byte pattern."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.block = bytes(range(256)) * 1024

    def read(self, buf: memoryview) -> int:
        n = min(len(buf), self.left, len(self.block))
        buf[:n] = self.block[:n]
        self.left -= n
        return n


class _Checker:
    """A Writer asserting that what it receives continues the 256-byte pattern."""

    def __init__(self) -> None:
        self.seen = 0
        self.pattern = bytes(range(256)) * 1024 * 2

    def write(self, data: memoryview) -> int:
        n = len(data)
        pos = 0
        while pos < n:
            off = (self.seen + pos) % 256
            k = min(n - pos, len(self.pattern) - off - 256)
            if data[pos : pos + k] != self.pattern[off : off + k]:
                raise AssertionError(f"byte mismatch in [{self.seen + pos}, {self.seen + pos + k})")
            pos += k
        self.seen += n
        return n


def test_exec_streams_100_mib_through_cat() -> None:
    total = 100 << 20
    cmd = gexec.command("cat")
    cmd.stdin = _Pattern(total)
    out = _Checker()
    cmd.stdout = out
    ticker = Ticker()
    t0 = time.monotonic()
    cmd.run()
    elapsed = time.monotonic() - t0
    ticks = ticker.stop()
    assert out.seen == total
    assert ticks > 0  # the sibling ran while 100 MiB went through
    print(f"\n100 MiB through cat: {elapsed:.2f}s, {total / elapsed / 1e6:.0f} MB/s, sibling ticks {ticks}")

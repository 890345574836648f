# procs.py - child-process plumbing: pinning, bounded line reads, /proc sampling, cleanup.
"""Start, observe and reliably stop benchmark child processes."""

from __future__ import annotations

import ctypes
import os
import resource
import selectors
import shutil
import signal
import subprocess
import time
from typing import IO

from .config import LOADGEN_CORE, SERVER_CORE

CLK_TCK = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1
# Resolved here, not in the forked child, to keep preexec work minimal.
_LIBC = ctypes.CDLL(None, use_errno=True)


def can_pin() -> bool:
    """Tell whether server and load generator can get separate cores."""
    return (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def pinned(argv: list[str], role: str) -> list[str]:
    """Prefix argv with taskset for `role` ("server" or "loadgen") when pinning is possible."""
    if not can_pin():
        return argv
    core = SERVER_CORE if role == "server" else LOADGEN_CORE
    return ["taskset", "-c", str(core), *argv]


def _child_setup() -> None:
    """Raise the fd limit and die with the runner, so nothing is orphaned."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def start(
    argv: list[str], log: IO[bytes], env: dict[str, str] | None = None, stdin: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """Start argv with piped stdout and stderr appended to `log`."""
    # Own session: stop() can then signal the whole group, grandchildren included.
    return subprocess.Popen(
        argv,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=log,
        env=env,
        preexec_fn=_child_setup,
        start_new_session=True,
    )


class LineReader:
    """Read stdout lines from a child with a deadline instead of blocking forever."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.fd = proc.stdout.fileno()
        self.buf = b""
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.fd, selectors.EVENT_READ)

    def readline(self, timeout: float) -> str:
        """Return the next line; raise TimeoutError or EOFError instead of hanging."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sel.select(left):
                raise TimeoutError(f"no output line within {timeout:.0f}s")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise EOFError("process closed stdout")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode(errors="replace").strip()

    def close(self) -> None:
        """Release the selector."""
        self.sel.close()


def cpu_seconds(pid: int) -> float:
    """Return utime+stime of a whole process (all threads) from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        # comm may contain spaces; fields after the closing paren are fixed.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_ticks() -> tuple[int, int, int]:
    """Return (steal, busy, total) ticks summed over all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = (
            int(x) for x in (f.readline().split()[1:9] + ["0"] * 8)[:8]
        )
    # softirq time is left out of "busy": loopback TCP work runs there and is charged to
    # no process, so counting it would flag the benchmark's own traffic as foreign load.
    return steal, user + nice + system, user + nice + system + idle + iowait + irq + softirq + steal


def steal_pct(before: tuple[int, int, int], after: tuple[int, int, int]) -> float:
    """Return the share of CPU time the hypervisor stole between two cpu_ticks() samples."""
    total = after[2] - before[2]
    return 100.0 * (after[0] - before[0]) / total if total > 0 else 0.0


def busy_seconds(before: tuple[int, int, int], after: tuple[int, int, int]) -> float:
    """Return CPU-seconds all processes used between two cpu_ticks() samples."""
    return (after[1] - before[1]) / CLK_TCK


_PF_KTHREAD = 0x00200000


def kthread_seconds() -> float:
    """Return the CPU time all kernel threads (ksoftirqd, kworkers, ...) have used so far."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[6]) & _PF_KTHREAD:
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def wait_quiet(max_wait: float, threshold_cores: float, sample: float = 0.5) -> bool:
    """Wait until other processes use less than threshold_cores, at most max_wait seconds."""
    deadline = time.monotonic() + max_wait
    while time.monotonic() < deadline:
        before = cpu_ticks()
        time.sleep(sample)
        if busy_seconds(before, cpu_ticks()) / sample < threshold_cores:
            return True
    return max_wait <= 0


def rss_kib(pid: int) -> int:
    """Return VmRSS in KiB from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send sig to proc's process group (its own session, so only our descendants)."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Terminate proc, escalating to SIGKILL after `grace` seconds; always reap it."""
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    # SIGKILL the group even if the leader exited: a leftover grandchild must not outlive us.
    _signal_group(proc, signal.SIGKILL)
    proc.wait(timeout=grace)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()


def tree_pids(pid: int) -> list[int]:
    """Return pid and all its live descendants (a master's workers: gunicorn, granian)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def tree_cpu_seconds(pid: int) -> float:
    """Return utime+stime summed over pid and its descendants (exited ones are not counted)."""
    total = 0.0
    for p in tree_pids(pid):
        try:
            total += cpu_seconds(p)
        except OSError:
            pass
    return total


def tree_rss_kib(pid: int) -> int:
    """Return VmRSS summed over pid and its descendants (shared pages count once per process)."""
    total = 0
    for p in tree_pids(pid):
        try:
            total += rss_kib(p)
        except (OSError, RuntimeError):
            pass
    return total

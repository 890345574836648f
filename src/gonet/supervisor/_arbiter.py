# gonet.supervisor._arbiter: the supervisor process — N workers on shared listening sockets,
# restarted when they die, replaced on SIGHUP, drained on SIGTERM.
#
# The supervisor is plain Python: no gonet scheduler, no threads, one select() loop. Signals
# are caught by handlers that only record them; signal.set_wakeup_fd wakes the loop, which does
# all the work. Workers are forked after the sockets exist (they inherit them) and each becomes
# a complete gonet program; a "module:attr" target is imported in the worker, after the fork,
# so a reload runs new code.
#
# Slots: worker slot i always has one *current* worker — the newest live worker of the current
# generation that is neither stopping nor retiring. When a slot has none (a death, a reload, a
# retire request), a new worker is started, at once or after the crash backoff. Once a newer
# worker in a slot has said it is ready, every older worker of that slot is sent SIGTERM and
# given graceful_timeout to finish before SIGKILL. Sockets stay open in the supervisor for its
# whole life, so nothing queued on them is lost while workers come and go.
#
# Events are written one line each through `log`. Exit status: 0 after a graceful shutdown
# (SIGTERM, or the first SIGINT), 1 after a forced one (a second SIGINT).
from __future__ import annotations

import os
import random
import selectors
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gonet.supervisor._sockets import BindSpec, Bound, close_sockets, describe, open_sockets
from gonet.supervisor._worker import Target, WorkerInfo, run_child

__all__ = ["Supervisor", "default_workers"]

_HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)
# A worker that dies sooner than this after it started is crashing: back off before the next.
MIN_UPTIME = 1.0
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 10.0


def default_workers() -> int:
    """Return the number of CPUs this process may run on (os.sched_getaffinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _stderr_log(line: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    sys.stderr.write(f"{stamp} gonet supervisor[{os.getpid()}]: {line}\n")
    sys.stderr.flush()


def describe_status(status: int) -> str:
    """Return why a process ended, from a waitpid status: "exit status 3", "killed by SIGKILL"."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"killed by {name}" + (" (core dumped)" if os.WCOREDUMP(status) else "")
    code = os.waitstatus_to_exitcode(status)
    if code == 2:
        return "exit status 2 (panic: the worker's report is on its stderr)"
    return f"exit status {code}"


@dataclass(eq=False)
class _Worker:
    serial: int
    slot: int
    generation: int
    pid: int
    started: float
    status_fd: int
    ready: bool = False
    stopping: bool = False
    retiring: bool = False
    kill_at: float | None = None
    error: str = ""
    buf: bytes = b""
    limit: int | None = None

    def name(self) -> str:
        return f"worker {self.slot} (pid {self.pid}, generation {self.generation})"


@dataclass
class _Slot:
    crashes: int = 0
    restart_at: float | None = None


@dataclass
class _State:
    workers: dict[int, _Worker] = field(default_factory=dict)  # by pid
    slots: list[_Slot] = field(default_factory=list)
    generation: int = 1
    reloading: bool = False
    shutting_down: bool = False
    forced: bool = False
    serial: int = 0


class Supervisor:
    """Run target in n supervised worker processes sharing listening sockets.

    Args:
        target: the worker's main, called as ``target(listener_fds)`` in each worker: a
            callable, or "module:function" imported in the worker after the fork (so a SIGHUP
            reload picks up new code). It must serve until SIGTERM, then stop accepting,
            finish what is in flight and return (see docs/deployment.md).
        n: how many workers; None: the usable CPUs (os.sched_getaffinity).
        listeners: bind specs: "HOST:PORT", "unix:PATH", "fd://N" or listening socket.socket
            objects; listener_fds follows their order.
        reuse_port: one SO_REUSEPORT socket per worker slot and spec instead of one shared
            socket (TCP addresses only).
        graceful_timeout: seconds a worker has after SIGTERM before SIGKILL.
        max_requests: a worker that has served this many requests (counted with
            gonet.supervisor.request_done) is replaced; 0 disables.
        max_requests_jitter: each worker's limit is max_requests + randint(0, jitter), so the
            workers do not all restart at once.
        debug_addr: "host:port": worker slot i gets "host:port+i" as its WorkerInfo.debug_addr.
        worker_init: called in each worker before target, with its WorkerInfo (start the
            gonet.debug page, set up logging...).
        backlog: the listen queue of the sockets the supervisor opens.
        log: where event lines go; default stderr with a timestamp and the supervisor's pid.
        min_uptime, backoff_first, backoff_max: crash-loop backoff: a worker that dies within
            min_uptime of its start delays the next start of its slot by backoff_first,
            doubling per crash in a row up to backoff_max.
    """

    def __init__(
        self,
        target: Target,
        n: int | None = None,
        listeners: Sequence[BindSpec] = (),
        *,
        reuse_port: bool = False,
        graceful_timeout: float = 30.0,
        max_requests: int = 0,
        max_requests_jitter: int = 0,
        debug_addr: str | None = None,
        worker_init: Callable[[WorkerInfo], Any] | None = None,
        backlog: int = 4096,
        log: Callable[[str], Any] | None = None,
        min_uptime: float = MIN_UPTIME,
        backoff_first: float = BACKOFF_FIRST,
        backoff_max: float = BACKOFF_MAX,
    ) -> None:
        if not (callable(target) or isinstance(target, str)):
            raise TypeError(f"target must be callable or 'module:function', not {type(target).__name__}")
        if n is None:
            n = default_workers()
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n (the number of workers) must be an int >= 1, got {n!r}")
        if isinstance(listeners, (str, bytes)):
            raise TypeError("listeners is a sequence of bind specs, not one string")
        for name, v in (("max_requests", max_requests), ("max_requests_jitter", max_requests_jitter)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be an int >= 0, got {v!r}")
        if not graceful_timeout >= 0:
            raise ValueError(f"graceful_timeout must be >= 0, got {graceful_timeout!r}")
        self._debug_host: str | None = None
        self._debug_port = 0
        if debug_addr is not None:
            self._debug_host, self._debug_port = _split_debug(debug_addr)
        self.target = target
        self.n = n
        self.listeners = list(listeners)
        self.reuse_port = reuse_port
        self.graceful_timeout = float(graceful_timeout)
        self.max_requests = max_requests
        self.max_requests_jitter = max_requests_jitter
        self.debug_addr = debug_addr
        self.worker_init = worker_init
        self.backlog = backlog
        self.log = log or _stderr_log
        self.min_uptime = min_uptime
        self.backoff_first = backoff_first
        self.backoff_max = backoff_max
        self._bound: list[Bound] = []
        self._st = _State()
        self._pending: list[int] = []
        self._sel: selectors.BaseSelector | None = None
        self._wake_r = self._wake_w = -1

    # -- running ---------------------------------------------------------------------------------

    def run(self) -> int:
        """Open the sockets, start the workers and supervise them until shut down.

        Must run in the main thread of a process that has not started a gonet scheduler.

        Returns:
            0 after a graceful shutdown, 1 after a forced one (a second SIGINT).

        Raises:
            OSError, ValueError: a bind spec could not be opened (nothing is left open).
        """
        self._bound = open_sockets(self.listeners, self.n, self.reuse_port, self.backlog)
        old: dict[signal.Signals, Any] = {}
        self._sel = selectors.DefaultSelector()
        try:
            self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            self._sel.register(self._wake_r, selectors.EVENT_READ, None)
            for s in _HANDLED:
                old[s] = signal.signal(s, self._on_signal)
            old_wake = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
            try:
                return self._loop()
            finally:
                signal.set_wakeup_fd(old_wake)
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            self._kill_all()
            for w in list(self._st.workers.values()):
                self._forget(w)
            self._sel.close()
            for fd in (self._wake_r, self._wake_w):
                if fd >= 0:
                    os.close(fd)
            self._wake_r = self._wake_w = -1
            close_sockets(self._bound)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._pending.append(signum)

    def _loop(self) -> int:
        st = self._st
        n = self.n
        mode = (
            f"SO_REUSEPORT, {_plural(n, 'socket')}"
            if self.reuse_port
            else f"shared by {_plural(n, 'worker')}"
        )
        for b in self._bound:
            self.log(f"listening on {describe(b.sockets[0])} ({mode})")
        st.slots = [_Slot() for _ in range(self.n)]
        for slot in range(self.n):
            self._spawn(slot)
        while True:
            assert self._sel is not None
            for key, _ in self._sel.select(self._timeout()):
                if key.data is None:
                    _drain(self._wake_r)
                else:
                    self._read_status(key.data)
            self._reap()
            while self._pending:
                self._handle_signal(self._pending.pop(0))
            self._timers()
            self._converge()
            if st.shutting_down and not st.workers:
                self.log("shutdown complete" + (" (forced)" if st.forced else ""))
                return 1 if st.forced else 0

    def _timeout(self) -> float | None:
        now = time.monotonic()
        due = [s.restart_at for s in self._st.slots if s.restart_at is not None]
        due += [w.kill_at for w in self._st.workers.values() if w.kill_at is not None]
        if not due:
            return None
        return max(0.0, min(due) - now)

    # -- signals ---------------------------------------------------------------------------------

    def _handle_signal(self, signum: int) -> None:
        st = self._st
        if signum == signal.SIGCHLD:
            return  # _reap runs on every pass
        if signum == signal.SIGHUP:
            if st.shutting_down:
                return
            st.generation += 1
            st.reloading = True
            self.log(f"SIGHUP: reloading: starting generation {st.generation}")
            for slot in st.slots:
                slot.restart_at = None
                slot.crashes = 0
            return
        if signum == signal.SIGINT and st.shutting_down:
            st.forced = True
            self.log("SIGINT again: forcing shutdown (SIGKILL to every worker)")
            self._kill_all()
            return
        if st.shutting_down:
            return
        st.shutting_down = True
        name = signal.Signals(signum).name
        self.log(
            f"{name}: graceful shutdown of {_plural(len(st.workers), 'worker')} (timeout {self.graceful_timeout:g} s)"
        )
        for slot in st.slots:
            slot.restart_at = None
        for w in list(st.workers.values()):
            self._stop(w, quiet=True)

    # -- workers ---------------------------------------------------------------------------------

    def _spawn(self, slot: int) -> None:
        st = self._st
        st.serial += 1
        limit = None
        if self.max_requests > 0:
            limit = self.max_requests + random.randint(0, self.max_requests_jitter)
        fds = [b.for_slot(slot).fileno() for b in self._bound]
        debug = None
        if self._debug_host is not None:
            debug = f"{self._debug_host}:{self._debug_port + slot}"
        info = WorkerInfo(slot, st.generation, fds, limit, self.graceful_timeout, debug, os.getpid())
        r, w = os.pipe2(os.O_CLOEXEC)
        for s in (sys.stdout, sys.stderr):
            s.flush()
        # Signals stay blocked across the fork until the child has restored their default
        # actions: a SIGTERM sent to a brand-new worker must not reach the supervisor's handler.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _HANDLED)
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                self._child_cleanup(slot, r)
            finally:
                run_child(info, w, self.target, self.worker_init, mask)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(w)
        os.set_blocking(r, False)
        wk = _Worker(st.serial, slot, st.generation, pid, time.monotonic(), r, limit=limit)
        st.workers[pid] = wk
        assert self._sel is not None
        self._sel.register(r, selectors.EVENT_READ, wk)
        st.slots[slot].restart_at = None
        self.log(f"{wk.name()} started" + (f", max_requests {limit}" if limit is not None else ""))

    def _child_cleanup(self, slot: int, status_r: int) -> None:
        """In the child: close everything that belongs to the supervisor or other workers."""
        signal.set_wakeup_fd(-1)
        os.close(status_r)
        for wk in self._st.workers.values():
            os.close(wk.status_fd)
        assert self._sel is not None
        self._sel.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        for b in self._bound:
            keep = b.for_slot(slot)
            for s in b.sockets:
                if s is not keep:
                    s.close()

    def _stop(self, w: _Worker, quiet: bool = False) -> None:
        if w.stopping:
            return
        w.stopping = True
        w.kill_at = time.monotonic() + self.graceful_timeout
        try:
            os.kill(w.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def _kill_all(self) -> None:
        for w in self._st.workers.values():
            try:
                os.kill(w.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5.0
        while self._st.workers and time.monotonic() < deadline:
            for pid in list(self._st.workers):
                try:
                    done, status = os.waitpid(pid, 0)
                except ChildProcessError:
                    done, status = pid, 0
                if done:
                    self._exited(self._st.workers[pid], status)

    def _read_status(self, w: _Worker) -> None:
        try:
            data = os.read(w.status_fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            assert self._sel is not None
            self._sel.unregister(w.status_fd)
            os.close(w.status_fd)
            w.status_fd = -1
            return
        w.buf += data
        while w.buf:
            kind = w.buf[:1]
            if kind == b"R":
                w.buf = w.buf[1:]
                if not w.ready:
                    w.ready = True
            elif kind == b"T":
                w.buf = w.buf[1:]
                if not (w.retiring or w.stopping or self._st.shutting_down):
                    w.retiring = True
                    self.log(f"{w.name()} reached max_requests {w.limit}: replacing it")
            elif kind == b"E":
                line, nl, rest = w.buf[1:].partition(b"\n")
                if not nl:
                    return
                w.error, w.buf = line.decode(errors="replace"), rest
            else:
                w.buf = w.buf[1:]

    def _reap(self) -> None:
        for pid in list(self._st.workers):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done:
                self._exited(self._st.workers[pid], status)

    def _forget(self, w: _Worker) -> None:
        self._st.workers.pop(w.pid, None)
        if w.status_fd >= 0:
            if self._sel is not None:
                try:
                    self._sel.unregister(w.status_fd)
                except (KeyError, ValueError):
                    pass
            os.close(w.status_fd)
            w.status_fd = -1

    def _exited(self, w: _Worker, status: int) -> None:
        if w.status_fd >= 0:
            self._read_status(w)  # a last "E" line written just before the exit
        self._forget(w)
        why = describe_status(status)
        if w.error:
            why += f": {w.error}"
        st = self._st
        if w.stopping or st.shutting_down:
            self.log(f"{w.name()} stopped: {why}")
            return
        slot = st.slots[w.slot]
        uptime = time.monotonic() - w.started
        if self._current(w.slot) is not None:  # replaced already (a reload or a retire)
            self.log(f"{w.name()} exited: {why}")
            return
        if uptime < self.min_uptime:
            slot.crashes += 1
            delay = min(self.backoff_first * 2 ** (slot.crashes - 1), self.backoff_max)
        else:
            slot.crashes = 0
            delay = 0.0
        slot.restart_at = time.monotonic() + delay
        note = f" (crash {slot.crashes} in a row, up {uptime:.1f} s)" if slot.crashes else ""
        self.log(f"{w.name()} exited: {why}; restarting in {delay:g} s{note}")

    def _current(self, slot: int) -> _Worker | None:
        best = None
        for w in self._st.workers.values():
            live = w.slot == slot and w.generation == self._st.generation and not (w.stopping or w.retiring)
            if live and (best is None or w.serial > best.serial):
                best = w
        return best

    def _timers(self) -> None:
        now = time.monotonic()
        for w in list(self._st.workers.values()):
            if w.kill_at is not None and now >= w.kill_at:
                w.kill_at = None
                self.log(f"{w.name()} still running {self.graceful_timeout:g} s after SIGTERM: SIGKILL")
                try:
                    os.kill(w.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def _converge(self) -> None:
        """Start the workers slots lack; stop the workers a ready newer one has replaced."""
        st = self._st
        if st.shutting_down:
            return
        now = time.monotonic()
        for i, slot in enumerate(st.slots):
            cur = self._current(i)
            if cur is None:
                if slot.restart_at is None:
                    slot.restart_at = now  # a reload or a retire: no crash, no delay
                if now >= slot.restart_at:
                    self._spawn(i)
                    cur = self._current(i)
            if cur is None or not cur.ready:
                continue
            for w in list(st.workers.values()):
                if w.slot == i and w.serial < cur.serial and not w.stopping:
                    self.log(f"{cur.name()} ready: stopping {w.name()}")
                    self._stop(w)
        if st.reloading and all(
            (c := self._current(i)) is not None and c.ready for i in range(len(st.slots))
        ):
            st.reloading = False
            self.log(f"reload complete: generation {st.generation} serving")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _split_debug(addr: str) -> tuple[str, int]:
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"debug_addr {addr!r}: want HOST:PORT")
    return host, int(port)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass

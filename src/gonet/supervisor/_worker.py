# gonet.supervisor._worker: the worker's side — what a worker process knows about itself, how it
# talks to its supervisor, and the bootstrap that runs in the child right after fork.
#
# A worker talks to the supervisor through one pipe it writes to (the status pipe), one byte per
# message: b"R" ready (about to call main), b"T" retire (replace me: max_requests reached), and
# b"E" + text + b"\n" (why main failed, for the supervisor's log line). The supervisor talks to
# the worker with signals only: SIGTERM means stop gracefully. SIGINT is ignored in workers (a
# Ctrl-C reaches the whole process group; the supervisor turns it into SIGTERM for each worker),
# and the worker asks the kernel for SIGTERM if the supervisor dies (PR_SET_PDEATHSIG), so no
# worker outlives it.
#
# Invariants: the bootstrap never returns into the supervisor's code (it always ends with
# os._exit), and flushes the standard streams first.
from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["WorkerInfo", "worker_info", "request_done", "retire", "Target", "resolve_target"]

Target = Callable[[list[int]], Any] | str

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker process knows about itself (gonet.supervisor.worker_info()).

    Attributes:
        slot: the worker's place, 0..n-1; its replacement takes the same slot.
        generation: 1 for the first workers, +1 for each SIGHUP reload.
        listener_fds: the listening descriptors, in the order of the supervisor's binds.
        max_requests: this worker's request limit (max_requests plus its jitter), or None.
        graceful_timeout: seconds the supervisor waits after SIGTERM before SIGKILL.
        debug_addr: "host:port" for this worker's gonet.debug page, or None.
        supervisor_pid: the supervisor's process id.
    """

    slot: int
    generation: int
    listener_fds: list[int]
    max_requests: int | None
    graceful_timeout: float
    debug_addr: str | None
    supervisor_pid: int


_info: WorkerInfo | None = None
_status_fd = -1
_served = 0
_retired = False


def worker_info() -> WorkerInfo | None:
    """Return this worker's WorkerInfo, or None when not running under a supervisor."""
    return _info


def _send(msg: bytes) -> None:
    if _status_fd >= 0:
        try:
            os.write(_status_fd, msg)
        except OSError:  # the supervisor is gone: PR_SET_PDEATHSIG will say so
            pass


def retire() -> None:
    """Ask the supervisor to replace this worker: it starts a new worker in this slot and,
    once that one is ready, sends this one SIGTERM. Asked once; later calls do nothing."""
    global _retired
    if _info is not None and not _retired:
        _retired = True
        _send(b"T")


def request_done(n: int = 1) -> bool:
    """Count n requests served; at this worker's max_requests, retire() it.

    Returns:
        True once the limit has been reached (the worker should keep serving until SIGTERM).
    """
    global _served
    _served += n
    if _info is not None and _info.max_requests is not None and _served >= _info.max_requests:
        retire()
        return True
    return False


def resolve_target(target: Target) -> Callable[[list[int]], Any]:
    """Return the callable target names; "module:attr" is imported now (in the worker).

    Raises:
        ValueError: a malformed "module:attr" string.
        ImportError, AttributeError: the module or attribute does not exist.
        TypeError: it is not callable.
    """
    if isinstance(target, str):
        mod, sep, attr = target.partition(":")
        if not sep or not mod or not attr:
            raise ValueError(f"target {target!r}: want 'module:function'")
        import importlib

        obj: Any = importlib.import_module(mod)
        for part in attr.split("."):
            obj = getattr(obj, part)
        target = obj
    if not callable(target):
        raise TypeError(f"worker target must be callable, not {type(target).__name__}")
    return target


def _set_pdeathsig() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the supervisor's exit is noticed on EPIPE
        pass


def _exit_code(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    print(e.code, file=sys.stderr)
    return 1


def run_child(
    info: WorkerInfo,
    status_fd: int,
    target: Target,
    init: Callable[[WorkerInfo], Any] | None,
    sigmask: set[int | signal.Signals] | None = None,
) -> None:
    """Run one worker in the freshly forked child; never returns.

    Called by the supervisor after it has closed, in the child, everything that is not this
    worker's: the other workers' pipes, its own wake-up pipe and other slots' sockets. sigmask
    is the signal mask to restore once the default signal actions are back.
    """
    global _info, _status_fd
    code = 1
    try:
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGQUIT):
            signal.signal(s, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if sigmask is not None:  # the supervisor blocked its signals across the fork
            signal.pthread_sigmask(signal.SIG_SETMASK, sigmask)
        _set_pdeathsig()
        if os.getppid() != info.supervisor_pid:  # died before prctl took effect
            os._exit(1)
        _info, _status_fd = info, status_fd
        main = resolve_target(target)
        if init is not None:
            init(info)
        _send(b"R")
        main(list(info.listener_fds))
        code = 0
    except SystemExit as e:
        code = _exit_code(e)
    except BaseException as e:  # noqa: BLE001 - reported, then the worker ends
        traceback.print_exc()
        first = f"{type(e).__name__}: {e}".splitlines()[0] if str(e) else type(e).__name__
        _send(b"E" + first[:200].encode(errors="replace") + b"\n")
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - a closed stream must not block the exit
                pass
        os._exit(code)

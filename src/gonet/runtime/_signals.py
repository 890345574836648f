# gonet.runtime._signals: SIGQUIT dumps every goroutine (Go: runtime/signal_unix.go, sighandler).
#
# As in Go, `kill -QUIT <pid>` (or Ctrl-\ in a terminal) writes "SIGQUIT: quit" and a dump of
# every goroutine to stderr, then ends the process with exit status 2. GONET_DEBUG=sigquit=dump
# or set_sigquit("dump") keeps the process running after the dump (handy for a live server);
# "off" leaves SIGQUIT to Python's default.
#
# Invariants:
# - The handler is installed lazily, by the first scheduler created on the main thread (Python
#   handles signals only there), and never replaces a Python handler the program installed.
#   An inherited SIG_IGN is replaced, as Go does (background jobs of a shell ignore SIGQUIT).
# - The handler runs on the main thread between bytecodes, inside whichever greenlet was
#   running; it only reads scheduler state and writes with os.write, so it cannot deadlock on a
#   lock the interrupted code holds (sys.stderr's buffer lock, logging's locks).
from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from gonet.runtime import _sigqueue  # noqa: F401 - hooks the signal pipe into new schedulers
from gonet.runtime._debugvars import settings
from gonet.runtime._traceback import stack

__all__ = ["set_sigquit", "sigquit_mode", "install_default"]

_MODES = ("exit", "dump", "off")
_mode = settings.sigquit
_installed = False


def _write_all(fd: int, data: bytes) -> None:
    while data:
        try:
            n = os.write(fd, data)
        except InterruptedError:
            continue
        except OSError:
            return  # stderr is gone: nothing left to tell
        data = data[n:]


def _on_sigquit(signum: int, frame: FrameType | None) -> None:
    try:
        text = "SIGQUIT: quit\n\n" + stack(all=True)
    except BaseException as e:  # noqa: BLE001 - still exit as promised
        text = f"SIGQUIT: quit\n\n(goroutine dump failed: {e!r})\n"
    if _mode == "exit":
        try:
            sys.stdout.flush()
        except Exception:  # noqa: BLE001 - stdout may be closed or a broken pipe
            pass
    _write_all(2, text.encode("utf-8", "replace"))
    if _mode == "exit":
        os._exit(2)


def _can_install() -> bool:
    return threading.current_thread() is threading.main_thread()


def set_sigquit(mode: str) -> str:
    """Choose what SIGQUIT does; call from the main thread.

    Args:
        mode: "exit" (dump every goroutine to stderr, exit with status 2, as Go does),
            "dump" (dump and keep running), or "off" (restore Python's default action).

    Returns:
        The previous mode.

    Raises:
        ValueError: an unknown mode, or called from a thread other than the main thread.

    Go: the runtime's SIGQUIT handling (signal.Notify(c, syscall.SIGQUIT) turns it off).
    """
    global _mode, _installed
    if mode not in _MODES:
        raise ValueError(f"sigquit mode must be one of {', '.join(_MODES)}; got {mode!r}")
    if not _can_install():
        raise ValueError("set_sigquit must be called from the main thread")
    old = _mode
    _mode = mode
    if mode == "off":
        if _installed and signal.getsignal(signal.SIGQUIT) is _on_sigquit:
            signal.signal(signal.SIGQUIT, signal.SIG_DFL)
        _installed = False
    else:
        signal.signal(signal.SIGQUIT, _on_sigquit)
        _installed = True
    return old


def sigquit_mode() -> str:
    """Return the SIGQUIT mode: "exit", "dump" or "off" (in effect once a scheduler exists)."""
    return _mode


def install_default(_sched: Any = None) -> None:
    """Install the SIGQUIT handler if on the main thread and nobody else handles SIGQUIT."""
    global _installed
    if _installed or _mode == "off" or not _can_install():
        return
    try:
        if callable(signal.getsignal(signal.SIGQUIT)):
            return  # the program (or a test runner) handles SIGQUIT itself: leave it
        # SIG_DFL, or SIG_IGN inherited (a shell starts background jobs with SIGQUIT ignored):
        # replaced, as Go's runtime does, so that `kill -QUIT` always gets a dump.
        signal.signal(signal.SIGQUIT, _on_sigquit)
        _installed = True
    except (ValueError, OSError):
        pass  # not the main interpreter, or signals unavailable

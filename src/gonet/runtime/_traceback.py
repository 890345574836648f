# gonet.runtime._traceback: goroutine dumps in Go's format (Go: runtime/traceback.go).
#
# A dump is built in two steps: `snapshot()` reads every goroutine of every scheduler into plain
# GoroutineInfo records (status, wait reason, what it waits on, its Python frames), and the
# formatters turn records into text: `format_dump` (Go's full dump, GOTRACEBACK / SIGQUIT /
# pprof debug=2) and `format_groups` (identical stacks counted once, pprof debug=1).
#
# Frames are read without stopping anyone: a parked goroutine's frames hang off its greenlet's
# saved frame (`glet.gr_frame`); a running one's are the live frames of its OS thread
# (`sys._current_frames()`), or of the caller when it is the one asking.
#
# Invariants:
# - Nothing here runs on the hot path; the runtime stores only what it already had (reason,
#   waitsince, waitobj, parent id, function) and this module interprets it.
# - A dump may run on another thread, or inside a signal handler, while the scheduler keeps
#   switching: every read tolerates a goroutine that changes state meanwhile, and never raises.
# - Frames of gonet.runtime._proc (park, the goroutine loop) are hidden, as Go hides gopark,
#   unless GONET_TRACEBACK=system.
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import greenlet

from gonet.runtime._proc import RUNNABLE, RUNNING, WAITING, G, Scheduler
from gonet.runtime._sysmon import live_schedulers

__all__ = ["Frame", "GoroutineInfo", "snapshot", "stack", "format_dump", "format_groups", "group",
           "frames_of", "format_frames", "describe_wait", "callable_name"]

# Modules whose frames a dump hides: the scheduler's own switching frames, and the dumping code.
_RUNTIME_MODULES = frozenset({"gonet.runtime._proc"})
_DUMPER_MODULES = frozenset({"gonet.runtime._traceback", "gonet.runtime._signals",
                             "gonet.runtime._sysmon"})
_MAX_FRAMES = 100


@dataclass(frozen=True)
class Frame:
    """One Python frame of a goroutine's stack: function, file and line."""

    func: str
    file: str
    line: int


@dataclass
class GoroutineInfo:
    """What a dump knows about one goroutine, read at one moment. Go: a g as traceback sees it."""

    id: int
    status: str                      # running, runnable or waiting
    reason: str                      # the wait reason while waiting, else the status
    wait_seconds: float              # how long it has been parked (0 unless waiting)
    waiting_on: str                  # what it waits on ("fd 7 read, <TCPConn ...>"), or ""
    frames: list[Frame] = field(default_factory=list)  # innermost first, as Go prints
    created_by: str = ""             # the function that executed go(); "" for a thread's main
    created_at: str = ""             # where that go() call is ("file:line")
    parent_id: int = 0               # the goroutine that called go(); 0 for main / the hub
    thread: str = ""                 # name of the OS thread whose scheduler owns it

    def header(self) -> str:
        """Return Go's header line, e.g. ``goroutine 7 [IO wait, 3 minutes]:``."""
        label = self.reason
        minutes = int(self.wait_seconds // 60)
        if self.status == WAITING and minutes >= 1:
            # Go prints whole minutes only, and only from the first full minute on.
            label += f", {minutes} minutes"
        return f"goroutine {self.id} [{label}]:"


def _qualname(code: Any) -> str:
    return getattr(code, "co_qualname", None) or code.co_name  # co_qualname: Python 3.11+


def _func_name(module: Any, code: Any) -> str:
    return f"{module}.{_qualname(code)}" if module else _qualname(code)


def callable_name(fn: Any) -> str:
    """Return ``module.qualname`` of a function, builtin, bound method or other callable."""
    code = getattr(fn, "__code__", None)
    if code is not None:
        return _func_name(getattr(fn, "__module__", ""), code)
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if name is None:
        return _short_repr(fn, 80)
    module = getattr(fn, "__module__", None)
    return f"{module}.{name}" if module else str(name)


def frames_of(frame: FrameType | None, *, skip_dumper: bool = False) -> list[Frame]:
    """Return the frames from ``frame`` outwards, innermost first, runtime frames hidden.

    Args:
        frame: the innermost frame (a greenlet's ``gr_frame`` or a thread's current frame).
        skip_dumper: also drop leading frames of the dumping code itself (stack(), the
            SIGQUIT handler), for a goroutine that is dumping its own stack.
    """
    system = os.environ.get("GONET_TRACEBACK", "") in ("system", "crash")
    out: list[Frame] = []
    leading = skip_dumper
    f = frame
    while f is not None and len(out) < _MAX_FRAMES:
        try:
            module = f.f_globals.get("__name__", "")
            code = f.f_code
            line = f.f_lineno or 0
            f_back = f.f_back
        except Exception:  # noqa: BLE001 - the frame changed under us (another thread)
            break
        if leading and module in _DUMPER_MODULES:
            f = f_back
            continue
        leading = False
        if system or module not in _RUNTIME_MODULES:
            out.append(Frame(_func_name(module, code), code.co_filename, line))
        f = f_back
    return out


def format_frames(frames: list[Frame]) -> str:
    """Format frames as Go does: ``pkg.func(...)`` then a tab and ``file:line``."""
    return "".join(f"{fr.func}(...)\n\t{fr.file}:{fr.line}\n" for fr in frames)


def _short_repr(obj: Any, limit: int = 160) -> str:
    try:
        text = repr(obj)
    except Exception as e:  # noqa: BLE001 - a broken __repr__ must not break a dump
        text = f"<{type(obj).__name__}: repr failed: {e!r}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _deadline_text(when: float, now: float) -> str:
    if when < 0:
        return "deadline expired"
    if when > 0:
        return f"deadline in {when - now:.3f}s"
    return ""


def describe_wait(g: G, obj: Any, now: float) -> str:
    """Say what a parked goroutine waits on, from its wait object.

    Args:
        g: the parked goroutine.
        obj: its ``waitobj``: a PollDesc (IO wait), a Timer (sleep), an fd mutex
            (semacquire), a thread-pool job, a channel or lock, or None.
        now: the scheduler's clock, to turn deadlines into "in N s".

    Returns:
        One line of text, or "" when there is nothing to say.
    """
    if obj is None:
        return ""
    try:
        cls = type(obj).__name__
        if cls == "PollDesc":
            if obj.rg is g:
                direction = "read"
                dl = _deadline_text(obj.rd, now)
            elif obj.wg is g:
                direction = "write"
                dl = _deadline_text(obj.wd, now)
            else:
                direction, dl = "woken", ""
            info = obj.info
            if info is not None and not hasattr(info, "remote_addr") and direction == "read":
                direction = "accept"  # a listener's read side is accept()
            parts = [f"fd {obj.fd} {direction}"]
            if info is not None:
                parts.append(_short_repr(info))
            if dl:
                parts.append(dl)
            return ", ".join(parts)
        if cls == "Timer":
            return f"timer due in {obj.when - now:.3f}s" if obj.pending else "timer (stopped)"
        if hasattr(obj, "rwait") and hasattr(obj, "sysfd"):  # the fd mutex of gonet._poll.FD
            if obj.closer is g:
                what = "close, waiting for in-flight operations to leave"
            elif g in obj.rwait:
                what = "read lock"
            elif g in obj.wwait:
                what = "write lock"
            else:
                what = "lock"
            return f"fd {obj.sysfd} {what}"
        if cls == "Job":  # thread pool: the call running on another OS thread
            fn = obj.fn
            if fn is None:
                return "thread pool call (done, result on its way back)"
            return f"thread pool call {callable_name(fn)}"
        if cls == "Sudog":  # a channel/select/sync waiter (gonet._chan): show what it waits on
            target = getattr(obj, "chan", None)
            return _short_repr(target) if target is not None else ""
        return _short_repr(obj)
    except Exception as e:  # noqa: BLE001 - racing with the owner thread; keep the dump going
        return f"<{type(obj).__name__}: {e!r}>"


def _thread_names() -> dict[int, str]:
    return {t.ident: t.name for t in threading.enumerate() if t.ident is not None}


def _info(s: Scheduler, g: G, now: float, live_frame: FrameType | None, skip_dumper: bool,
          tname: str) -> GoroutineInfo:
    status = g.status
    if status == WAITING:
        reason = g.waitreason or "waiting"
        waited = max(0.0, now - g.waitsince)
        waiting_on = describe_wait(g, g.waitobj, now)
    else:
        reason, waited, waiting_on = status, 0.0, ""
    if live_frame is not None:
        frames = frames_of(live_frame, skip_dumper=skip_dumper)
    else:
        frames = frames_of(getattr(g.glet, "gr_frame", None))
    creator = g.created_by if g is not s.main else None  # the code object that ran go()
    created_by = created_at = ""
    if creator is not None:
        created_by = _func_name(_code_module(creator), creator)
        created_at = f"{creator.co_filename}:{g.created_line}"
        fn = g.fn
        code = getattr(fn, "__code__", None)
        if not frames and status == RUNNABLE and code is not None:
            # Not started yet: Go shows the entry function; so do we.
            frames = [Frame(callable_name(fn), code.co_filename, code.co_firstlineno)]
    return GoroutineInfo(g.id, status, reason, waited, waiting_on, frames, created_by, created_at,
                         g.parent_id if creator is not None else 0, tname)


def _code_module(code: Any) -> str:
    """Return the name of the module whose file defines code ("" if none is loaded)."""
    filename = code.co_filename
    if filename == "<string>" or filename == "<stdin>":
        return "__main__"
    name = _module_by_file.get(filename)
    if name is None:
        name = ""
        for modname, mod in list(sys.modules.items()):
            if getattr(mod, "__file__", None) == filename:
                name = modname
                break
        _module_by_file[filename] = name
    return name


_module_by_file: dict[str, str] = {}


def snapshot(all: bool = True) -> list[GoroutineInfo]:  # noqa: A002 - Go's parameter name
    """Read the goroutines into records: the caller's first (if it is one), then by id.

    Args:
        all: every goroutine of every scheduler; False: only the calling goroutine.
    """
    me = greenlet.getcurrent()
    here = threading.get_ident()
    names = _thread_names()
    live = sys._current_frames()
    mine: list[GoroutineInfo] = []
    others: list[GoroutineInfo] = []
    for s in live_schedulers():
        try:
            now = s.clock()
            gs = list(s.gs.values())
            cur = s.cur
        except Exception:  # noqa: BLE001 - scheduler torn down meanwhile
            continue
        tname = names.get(s.thread_ident, f"thread {s.thread_ident}")
        for g in gs:
            live_frame = None
            skip = False
            if g.status == RUNNING and g is cur:
                if s.thread_ident == here and g.glet is me:
                    live_frame, skip = sys._getframe(), True
                elif s.thread_ident != here:
                    live_frame = live.get(s.thread_ident)
            is_me = s.thread_ident == here and g.glet is me
            if not all and not is_me:
                continue
            try:
                rec = _info(s, g, now, live_frame, skip, tname)
            except Exception as e:  # noqa: BLE001 - racing with the owner thread
                rec = GoroutineInfo(g.id, g.status, g.status, 0.0, f"<unreadable: {e!r}>")
            (mine if is_me else others).append(rec)
    others.sort(key=lambda r: r.id)
    return mine + others


def format_dump(infos: list[GoroutineInfo]) -> str:
    """Format records as Go's full goroutine dump, with gonet's "# ..." annotations.

    Each goroutine: the header, ``# waiting on: ...`` when known, ``# thread: ...`` when more
    than one OS thread runs a scheduler, its frames innermost first, then
    ``created by F in goroutine N`` and F's location.
    """
    threads = {r.thread for r in infos}
    blocks = []
    for r in infos:
        lines = [r.header() + "\n"]
        if r.waiting_on:
            lines.append(f"# waiting on: {r.waiting_on}\n")
        if len(threads) > 1 and r.thread:
            lines.append(f"# thread: {r.thread}\n")
        lines.append(format_frames(r.frames))
        if r.created_by:
            origin = f" in goroutine {r.parent_id}" if r.parent_id else ""
            where = f"\t{r.created_at}\n" if r.created_at else ""
            lines.append(f"created by {r.created_by}{origin}\n{where}")
        blocks.append("".join(lines))
    return "\n".join(blocks)


def stack(all: bool = True) -> str:  # noqa: A002 - Go's parameter name
    """Return a dump of goroutine stacks in Go's format.

    Args:
        all: dump every goroutine of every thread (the caller's first); False dumps only the
            calling goroutine.

    Returns:
        The text, e.g. ``goroutine 7 [IO wait, 3 minutes]:`` then ``# waiting on: ...`` and
        the frames where it is parked, innermost first, and ``created by ...``.

    Go: runtime.Stack(buf, all).
    """
    infos = snapshot(all)
    me = greenlet.getcurrent()
    if infos and not infos[0].frames and infos[0].status == RUNNING and any(
            g.glet is me and g.id == infos[0].id for s in live_schedulers() for g in (s.cur,)
            if g is not None):
        # Called from the runtime itself (the panic handler, which has just printed this
        # goroutine's traceback): an empty block would only repeat its header.
        infos = infos[1:]
    return format_dump(infos)


def group(infos: list[GoroutineInfo]) -> list[tuple[int, GoroutineInfo, list[int]]]:
    """Group goroutines with the same state and identical stacks, largest group first.

    Returns:
        (count, a representative record, the ids in the group) per group.
    """
    groups: dict[tuple[Any, ...], list[GoroutineInfo]] = {}
    for r in infos:
        groups.setdefault((r.reason, tuple(r.frames), r.created_by), []).append(r)
    out = [(len(rs), rs[0], [r.id for r in rs]) for rs in groups.values()]
    out.sort(key=lambda t: (-t[0], t[1].id))
    return out


def format_groups(infos: list[GoroutineInfo]) -> str:
    """Format records grouped by identical stacks, as Go's pprof goroutine profile debug=1."""
    lines = [f"goroutine profile: total {len(infos)}\n"]
    for count, r, ids in group(infos):
        shown = ", ".join(str(i) for i in ids[:20]) + (", ..." if len(ids) > 20 else "")
        lines.append(f"\n{count} @ [{r.reason}] goroutines {shown}\n")
        for fr in r.frames:
            lines.append(f"#\t{fr.func}\t{fr.file}:{fr.line}\n")
        if r.created_by:
            lines.append(f"# created by {r.created_by}\t{r.created_at}\n")
    return "".join(lines)

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
# What a parked goroutine waits on is said by its wait object itself (the WaitObject protocol:
# `describe_wait(g, now)`, a small method on PollDesc, Timer, FD, Job, Sudog, FifoLock,
# PipeConn); anything else is shown by its repr. "created by" is Go's: the function that ran the
# go statement (G.created_by, a code object) and the statement's line (G.created_line).
# fatal_dump() serves an uncaught DeadlockError (gonet.runtime._panic), whose main goroutine has
# unwound by then: its block is rebuilt from the exception's traceback.
#
# Invariants:
# - Nothing here runs on the hot path; the runtime stores only what it already had (reason,
#   waitsince, waitobj, parent id, creator) and this module interprets it.
# - A dump may run on another thread, or inside a signal handler, while the scheduler keeps
#   switching: every read tolerates a goroutine that changes state meanwhile, and never raises.
# - Frames of gonet.runtime._proc (park, the goroutine loop) are hidden, as Go hides gopark,
#   unless GONET_TRACEBACK=system.
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from types import CodeType, FrameType, TracebackType
from typing import Any, Protocol, runtime_checkable

import greenlet

from gonet.runtime import _proc
from gonet.runtime._proc import RUNNABLE, RUNNING, WAITING, G, Scheduler, live_schedulers

__all__ = [
    "Frame",
    "GoroutineInfo",
    "WaitObject",
    "snapshot",
    "stack",
    "format_dump",
    "format_groups",
    "group",
    "frames_of",
    "frames_of_traceback",
    "format_frames",
    "describe_wait",
    "callable_name",
    "creator_of",
    "module_of_code",
    "fatal_dump",
]

# Modules whose frames a dump hides: the scheduler's own switching frames, and the dumping code.
_RUNTIME_MODULES = frozenset({"gonet.runtime._proc"})
_DUMPER_MODULES = frozenset(
    {"gonet.runtime._traceback", "gonet.runtime._signals", "gonet.runtime._panic", "gonet.runtime._sysmon"}
)
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
    status: str  # running, runnable or waiting
    reason: str  # the wait reason while waiting, else the status
    wait_seconds: float  # how long it has been parked (0 unless waiting)
    waiting_on: str  # what it waits on ("fd 7 read, <TCPConn ...>"), or ""
    frames: list[Frame] = field(default_factory=list)  # innermost first, as Go prints
    created_by: str = ""  # the function that ran the go statement; "" for a main
    created_at: str = ""  # the go statement ("file:line")
    parent_id: int = 0  # the goroutine that called go(); 0 for main / the hub
    thread: str = ""  # name of the OS thread whose scheduler owns it

    def header(self) -> str:
        """Return Go's header line, e.g. ``goroutine 7 [IO wait, 3 minutes]:``."""
        label = self.reason
        minutes = int(self.wait_seconds // 60)
        if self.status == WAITING and minutes >= 1:
            # Go prints whole minutes only, and only from the first full minute on.
            label += f", {minutes} minutes"
        return f"goroutine {self.id} [{label}]:"


def _qualname(code: CodeType) -> str:
    name: str = getattr(code, "co_qualname", None) or code.co_name  # co_qualname: Python 3.11+
    return name


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


def frames_of_traceback(tb: TracebackType | None) -> list[Frame]:
    """Return the frames of an exception's traceback, innermost first, runtime frames hidden.

    The lines are where the exception passed (``tb_lineno``), not where the frames are now.
    """
    system = os.environ.get("GONET_TRACEBACK", "") in ("system", "crash")
    out: list[Frame] = []
    while tb is not None:
        f = tb.tb_frame
        module = f.f_globals.get("__name__", "")
        if system or module not in _RUNTIME_MODULES:
            out.append(Frame(_func_name(module, f.f_code), f.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    out.reverse()
    return out[:_MAX_FRAMES]


def format_frames(frames: list[Frame]) -> str:
    """Format frames as Go does: ``pkg.func(...)`` then a tab and ``file:line``."""
    return "".join(f"{fr.func}(...)\n\t{fr.file}:{fr.line}\n" for fr in frames)


def _short_repr(obj: Any, limit: int = 160) -> str:
    try:
        text = repr(obj)
    except Exception as e:  # noqa: BLE001 - a broken __repr__ must not break a dump
        text = f"<{type(obj).__name__}: repr failed: {e!r}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@runtime_checkable
class WaitObject(Protocol):
    """What a goroutine parks on (its ``waitobj``), able to say so in a dump.

    PollDesc, Timer, FD (its locks), thread-pool Jobs, channel and sync waiters (Sudog), FifoLock
    and PipeConn implement it with a small method; any other wait object is shown by its repr.
    """

    def describe_wait(self, g: Any, now: float) -> str:
        """Return one line saying what g, parked on this object, waits for ("" if nothing).

        Args:
            g: the parked goroutine (an object may have several waiters: say which is g).
            now: the scheduler's clock, to turn deadlines into "in N s".

        Called from a dump, possibly on another thread while the owner runs: read fields once
        and tolerate a state that changes meanwhile; an exception is shown, not propagated.
        """
        ...


def describe_wait(g: G, obj: Any, now: float) -> str:
    """Say what a parked goroutine waits on, from its wait object.

    Args:
        g: the parked goroutine.
        obj: its ``waitobj``: a WaitObject, or anything else (shown by its repr), or None.
        now: the scheduler's clock, to turn deadlines into "in N s".

    Returns:
        One line of text, or "" when there is nothing to say. Never raises.
    """
    if obj is None:
        return ""
    try:
        if isinstance(obj, WaitObject):
            return _one_line(obj.describe_wait(g, now))
        return _short_repr(obj)
    except Exception as e:  # noqa: BLE001 - racing with the owner thread; keep the dump going
        return f"<{type(obj).__name__}: {e!r}>"


def _one_line(text: str) -> str:
    text = " ".join(str(text).split("\n"))
    return text if len(text) <= 400 else text[:397] + "..."


def _module_names() -> dict[str, str]:
    """Map source files to module names (code objects know their file, not their module)."""
    names: dict[str, str] = {}
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None)
        if isinstance(path, str):
            names.setdefault(_source_key(path), name)
    main = sys.modules.get("__main__")
    if main is not None and not isinstance(getattr(main, "__file__", None), str):
        names.setdefault("<string>", "__main__")  # python -c
        names.setdefault("<stdin>", "__main__")
    return names


def _source_key(path: str) -> str:
    # A compiled module's file is NAME.cpython-XY-....so; its functions' code says NAME.py.
    head, base = os.path.split(path)
    return os.path.join(head, base.split(".", 1)[0]) if base.endswith((".py", ".so", ".pyc")) else path


_modules_cache: dict[str, str] = {}
_modules_seen = 0


def module_of_code(code: CodeType) -> str:
    """Return the name of the module a code object belongs to, or "" when not known."""
    global _modules_cache, _modules_seen
    key = _source_key(code.co_filename)
    name = _modules_cache.get(key)
    if name is None and len(sys.modules) != _modules_seen:
        _modules_seen = len(sys.modules)
        _modules_cache = _module_names()
        name = _modules_cache.get(key)
    return name or ""


def creator_of(g: Any) -> tuple[str, str]:
    """Return Go's "created by" of goroutine g: the function that ran the go statement, and
    the statement's file:line. ("", "") for a thread's main goroutine.

    ``g.created_by`` is that function's code object and ``g.created_line`` the line. A record
    holding a function instead (the pytest plugin names a test's goroutine after the test) is
    shown as that function and where it is defined.

    Go: the "created by" lines of runtime.traceback (gp.gopc, gp.parentGoid).
    """
    creator = g.created_by
    if creator is None:
        return "", ""
    if isinstance(creator, CodeType):
        line = getattr(g, "created_line", 0) or creator.co_firstlineno
        return _func_name(module_of_code(creator), creator), f"{creator.co_filename}:{line}"
    code = getattr(creator, "__code__", None)
    where = f"{code.co_filename}:{code.co_firstlineno}" if code is not None else ""
    return callable_name(creator), where


def _thread_names() -> dict[int, str]:
    return {t.ident: t.name for t in threading.enumerate() if t.ident is not None}


def _info(
    s: Scheduler, g: G, now: float, live_frame: FrameType | None, skip_dumper: bool, tname: str
) -> GoroutineInfo:
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
    created_by, created_at = creator_of(g) if g is not s.main else ("", "")
    if not frames and status == RUNNABLE:
        # Not started yet: Go shows the entry function; so do we.
        code = getattr(g.fn, "__code__", None)
        if code is not None:
            frames = [Frame(callable_name(g.fn), code.co_filename, code.co_firstlineno)]
    return GoroutineInfo(
        g.id,
        status,
        reason,
        waited,
        waiting_on,
        frames,
        created_by,
        created_at,
        g.parent_id if created_by else 0,
        tname,
    )


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
    if (
        infos
        and not infos[0].frames
        and infos[0].status == RUNNING
        and any(
            g.glet is me and g.id == infos[0].id for s in live_schedulers() for g in (s.cur,) if g is not None
        )
    ):
        # Called from the runtime itself (the panic handler, which has just printed this
        # goroutine's traceback): an empty block would only repeat its header.
        infos = infos[1:]
    return format_dump(infos)


def fatal_dump(tb: TracebackType | None) -> str:
    """Dump every goroutine for a fatal error that has unwound the calling goroutine's stack.

    The caller (a thread's main goroutine, reporting the uncaught exception) is shown where the
    exception was raised, from ``tb``, with the reason of its last wait; the others as they are.

    Go: the goroutine dump after "fatal error: all goroutines are asleep - deadlock!".
    """
    s: Scheduler | None = getattr(_proc._tls, "sched", None)
    g = s.cur if s is not None else None
    infos = [r for r in snapshot(all=True) if g is None or r.id != g.id]
    if s is not None and g is not None:
        now = s.clock()
        reason = g.waitreason or RUNNING
        me = GoroutineInfo(
            g.id,
            WAITING if g.waitreason else RUNNING,
            reason,
            0.0,
            describe_wait(g, g.waitobj, now) if g.waitreason else "",
            frames_of_traceback(tb),
            thread=threading.current_thread().name,
        )
        me.created_by, me.created_at = creator_of(g) if g is not s.main else ("", "")
        me.parent_id = g.parent_id if me.created_by else 0
        infos.insert(0, me)
    else:
        infos.insert(
            0,
            GoroutineInfo(
                0, RUNNING, RUNNING, 0.0, "", frames_of_traceback(tb), thread=threading.current_thread().name
            ),
        )
    return format_dump(infos)


def group(infos: list[GoroutineInfo]) -> list[tuple[int, GoroutineInfo, list[int]]]:
    """Group goroutines with the same state and identical stacks, largest group first.

    Returns:
        (count, a representative record, the ids in the group) per group.
    """
    groups: dict[tuple[Any, ...], list[GoroutineInfo]] = {}
    for r in infos:
        groups.setdefault((r.reason, tuple(r.frames), r.created_by, r.created_at), []).append(r)
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

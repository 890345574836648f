# gonet.exec._exec: Cmd, an external command being prepared or run (Go: os/exec/exec.go).
#
# A Cmd is configured through its fields, then start() spawns the child and wait() waits for
# it; run() is both, output()/combined_output() also collect what it writes. The child's
# stdin/stdout/stderr are, per field:
#   None                          /dev/null
#   a gonet.os.File or an int fd  passed to the child as is (a pollable File is reopened as a
#                                 blocking description of the same pipe for the child)
#   a Python file with a fileno   its descriptor, after a flush (as subprocess does)
#   anything else                 a pipe, fed from (stdin: a Reader, bytes, a Python binary
#                                 file) or drained into (stdout/stderr: a Writer) by a goroutine
# stdin_pipe()/stdout_pipe()/stderr_pipe() return the parent's end of such a pipe as a File
# whose reads and writes park on the netpoller.
#
# With ctx, a watcher goroutine calls `cancel` (default: kill the process) when the context
# ends first; wait() then reports the process's fate (ExitError "signal: killed"), or ctx.err()
# if it still exited 0. wait_delay bounds how long wait() waits for the copying goroutines
# (and, after a cancel, for the process) before it kills and closes the pipes: ErrWaitDelay.
#
# Invariants:
# - The child's ends of every pipe and /dev/null are closed in the parent right after start
#   (whatever happens), so EOF reaches the parent when the child exits; the parent's ends are
#   closed by wait() (or by a failed start).
# - wait() returns only after the process is reaped and every copying goroutine has finished.
from __future__ import annotations

import io as pyio
import os
from collections.abc import Callable
from typing import Any

from gonet import io as gio
from gonet import time as gtime
from gonet._chan import Chan
from gonet._select import select
from gonet.context import Context
from gonet.exec._exec_io import (
    Buffer,
    ChildFd,
    PipeWriter,
    PrefixSuffixSaver,
    as_reader,
    close_all,
    skip_stdin_copy_error,
)
from gonet.exec._lp_unix import look_path
from gonet.exec._process import Process, ProcessState, start_process
from gonet.os import ErrClosed, File, PathError, path_error
from gonet.runtime import go

__all__ = ["Cmd", "command", "command_context", "ExitError", "ErrWaitDelay", "WrappedError"]

_PREFIX_SUFFIX = 32 << 10  # Go: Output keeps the first and last 32 KiB of stderr
# The copying goroutines move 256 KiB per read: a Python loop turn costs ~100 times a Go one,
# so Go's 32 KiB io.Copy buffer would spend most of the time in the loop.
_COPY_BUF = 256 << 10


class ExitError(Exception):
    """The command ran and exited unsuccessfully: "exit status 3", "signal: killed".

    Attributes:
        process_state: the ProcessState.
        stderr: from output(), the start and end of the standard error (when not redirected).
        stdout: from output()/combined_output(), what was collected before the failure (Python
            raises where Go returns both).

    Go: exec.ExitError.
    """

    def __init__(self, state: ProcessState, stderr: bytes = b"") -> None:
        super().__init__(str(state))
        self.process_state = state
        self.stderr = stderr
        self.stdout = b""

    def __str__(self) -> str:
        return str(self.process_state)

    def exit_code(self) -> int:
        """Return the exit status, -1 if a signal ended the process. Go: ExitError.ExitCode."""
        return self.process_state.exit_code()

    def exited(self) -> bool:
        """Report whether the process exited on its own. Go: ExitError.Exited."""
        return self.process_state.exited()

    def success(self) -> bool:
        """Always False for an ExitError. Go: ExitError.Success."""
        return self.process_state.success()

    def pid(self) -> int:
        """Return the process id. Go: ExitError.Pid."""
        return self.process_state.pid()


class ErrWaitDelay(Exception):
    """wait_delay passed before the I/O pipes were closed. Go: exec.ErrWaitDelay."""

    def __init__(self, msg: str = "exec: WaitDelay expired before I/O complete") -> None:
        super().__init__(msg)


class WrappedError(Exception):
    """ "exec: canceling Cmd: <cause>". Go: exec.wrappedError."""

    def __init__(self, prefix: str, err: BaseException) -> None:
        super().__init__(f"{prefix}: {err}")
        self.prefix = prefix
        self.err = err


class Cmd:
    """An external command being prepared or run. Go: exec.Cmd.

    Fields (set before start()): ``path``, ``args`` (args[0] is the program's name), ``env``
    ("KEY=value" strings; None inherits this process's environment), ``dir``, ``stdin``,
    ``stdout``, ``stderr`` (see the module header), ``extra_files`` (Files or fds the child
    inherits at their own numbers), ``setsid``, ``cancel``, ``wait_delay`` (seconds).
    After start(): ``process``; after wait(): ``process_state``.
    """

    def __init__(
        self,
        path: str,
        args: list[str] | None = None,
        *,
        env: list[str] | None = None,
        dir: str | None = None,  # noqa: A002 - Go's field name
        stdin: Any = None,
        stdout: Any = None,
        stderr: Any = None,
        ctx: Context | None = None,
    ) -> None:
        self.path = path
        self.args: list[str] = list(args) if args is not None else [path]
        self.env = env
        self.dir = dir
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.extra_files: list[Any] = []
        self.setsid = False
        self.wait_delay = 0.0
        self.err: BaseException | None = None  # set by command() when the lookup failed
        self.process: Process | None = None
        self.process_state: ProcessState | None = None
        self.ctx = ctx
        self.cancel: Callable[[], None] | None = None
        if ctx is not None:
            self.cancel = self._kill
        self._child_io: list[ChildFd] = []  # the child's ends: closed right after start
        self._parent_io: list[Any] = []  # the parent's ends: closed by wait
        self._goroutines: list[Callable[[], BaseException | None]] = []
        self._goroutine_err: Chan[Any] | None = None
        self._ctx_result: Chan[Any] | None = None

    def _kill(self) -> None:
        assert self.process is not None
        self.process.kill()

    # -- description ---------------------------------------------------------------------------

    def __str__(self) -> str:
        """Return the command line for humans (not for a shell). Go: Cmd.String."""
        if self.err is not None:
            return " ".join(self.args)
        return " ".join([self.path, *self.args[1:]])

    def __repr__(self) -> str:
        return f"<gonet.exec.Cmd {self}>"

    def environ(self) -> list[str]:
        """Return the environment the command would run with. Go: Cmd.Environ."""
        env = self.env
        if env is None:
            env = [f"{k}={v}" for k, v in os.environ.items()]
            if self.dir:
                env.append("PWD=" + os.path.abspath(self.dir))
        out: list[str] = []
        seen: dict[str, int] = {}
        for kv in env:
            if "\0" in kv:
                raise ValueError(f"exec: environment variable contains NUL: {kv!r}")
            k, eq, _ = kv.partition("=")
            if not eq:
                out.append(kv)
                continue
            i = seen.get(k)
            if i is None:
                seen[k] = len(out)
                out.append(kv)
            else:
                out[i] = kv  # a later value wins, in the first one's place (Go: dedupEnv)
        return out

    # -- pipes ---------------------------------------------------------------------------------

    def _pipe(self) -> tuple[int, int]:
        r, w = os.pipe2(os.O_CLOEXEC)
        return r, w

    def stdin_pipe(self) -> PipeWriter:
        """Return the writing end of a pipe that becomes the command's stdin.

        wait() closes it after the command exits; close it sooner to send EOF. Writes park on
        the netpoller while the pipe is full.

        Raises:
            RuntimeError: "exec: Stdin already set", "exec: StdinPipe after process started".

        Go: Cmd.StdinPipe.
        """
        if self.stdin is not None:
            raise RuntimeError("exec: Stdin already set")
        if self.process is not None:
            raise RuntimeError("exec: StdinPipe after process started")
        r, w = self._pipe()
        pw = PipeWriter(File(w, "|1", True))
        self.stdin = r
        self._child_io.append(ChildFd(r))
        self._parent_io.append(pw)
        return pw

    def stdout_pipe(self) -> File:
        """Return the reading end of a pipe connected to the command's stdout.

        wait() closes it once the command has exited, so read everything before calling
        wait() (and do not use run() with it). Reads park on the netpoller.

        Raises:
            RuntimeError: "exec: Stdout already set", "exec: StdoutPipe after process started".

        Go: Cmd.StdoutPipe.
        """
        if self.stdout is not None:
            raise RuntimeError("exec: Stdout already set")
        if self.process is not None:
            raise RuntimeError("exec: StdoutPipe after process started")
        r, w = self._pipe()
        pr = File(r, "|0", True)
        self.stdout = w
        self._child_io.append(ChildFd(w))
        self._parent_io.append(pr)
        return pr

    def stderr_pipe(self) -> File:
        """Return the reading end of a pipe connected to the command's stderr.

        As stdout_pipe. Go: Cmd.StderrPipe.
        """
        if self.stderr is not None:
            raise RuntimeError("exec: Stderr already set")
        if self.process is not None:
            raise RuntimeError("exec: StderrPipe after process started")
        r, w = self._pipe()
        pr = File(r, "|0", True)
        self.stderr = w
        self._child_io.append(ChildFd(w))
        self._parent_io.append(pr)
        return pr

    # -- the child's descriptors ---------------------------------------------------------------

    def _devnull(self, flag: int) -> int:
        fd = os.open(os.devnull, flag | os.O_CLOEXEC)
        self._child_io.append(ChildFd(fd))
        return fd

    def _direct(self, x: Any, flag: int) -> int | None:
        """The fd to hand the child for a File, an int or a Python file with a descriptor."""
        if isinstance(x, bool):
            raise TypeError("gonet.exec: a descriptor is an int, not a bool")
        if isinstance(x, int):
            return x
        if isinstance(x, pyio.IOBase):
            # sys.stdout, open(...): its descriptor, as subprocess does (what the object
            # buffered is flushed first); io.BytesIO has none and is copied instead.
            try:
                fd = x.fileno()
            except (OSError, ValueError):  # io.UnsupportedOperation is both
                return None
            if x.writable():
                x.flush()
            return fd
        if isinstance(x, File):
            fd = x.fileno()
            if fd < 0:
                raise path_error("exec", x.name, ErrClosed())
            if not x.pollable():
                return fd
            # The File's description is non-blocking (it waits on our netpoller); the child
            # needs a blocking one, which reopening the pipe through /proc gives without
            # touching ours. A socket cannot be reopened: the child gets it non-blocking.
            try:
                fd = os.open(f"/proc/self/fd/{fd}", flag | os.O_CLOEXEC)
            except OSError:
                return fd
            self._child_io.append(ChildFd(fd))
            return fd
        return None

    def _child_stdin(self) -> int:
        x = self.stdin
        if x is None:
            return self._devnull(os.O_RDONLY)
        fd = self._direct(x, os.O_RDONLY)
        if fd is not None:
            return fd
        src = as_reader(x)
        r, w = self._pipe()
        self._child_io.append(ChildFd(r))
        pw = File(w, "|1", True)
        self._parent_io.append(pw)

        def copy_in() -> BaseException | None:
            err: BaseException | None = None
            try:
                gio.copy_buffer(pw, src, bytearray(_COPY_BUF))
            except Exception as e:  # noqa: BLE001 - reported by wait()
                if not skip_stdin_copy_error(e):
                    err = e
            try:
                pw.close()
            except OSError as e:
                if err is None and not isinstance(e, PathError):
                    err = e
            return err

        self._goroutines.append(copy_in)
        return r

    def _writer_descriptor(self, w: Any) -> int:
        if w is None:
            return self._devnull(os.O_WRONLY)
        fd = self._direct(w, os.O_WRONLY)
        if fd is not None:
            return fd
        if not hasattr(w, "write"):
            raise TypeError(f"gonet.exec: stdout/stderr must be a Writer or a File, not {type(w).__name__}")
        r, wfd = self._pipe()
        self._child_io.append(ChildFd(wfd))
        pr = File(r, "|0", True)
        self._parent_io.append(pr)

        def copy_out() -> BaseException | None:
            err: BaseException | None = None
            try:
                gio.copy_buffer(w, pr, bytearray(_COPY_BUF))
            except Exception as e:  # noqa: BLE001 - reported by wait()
                err = e
            try:
                pr.close()  # in case the copy stopped on a write error
            except OSError:
                pass
            return err

        self._goroutines.append(copy_out)
        return wfd

    # -- run -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the command without waiting for it; wait() must follow.

        Raises:
            RuntimeError: "exec: already started".
            ValueError: "exec: no command".
            exec.Error: the lookup of the program by command() failed.
            Canceled, DeadlineExceeded: ctx was done before the start.
            PathError: "fork/exec <path>: <cause>" (also the cause's class).

        Go: Cmd.Start.
        """
        if self.process is not None:
            raise RuntimeError("exec: already started")
        started = False
        try:
            if not self.path and self.err is None:
                self.err = ValueError("exec: no command")
            if self.err is not None:
                raise self.err
            if self.cancel is not None and self.ctx is None:
                raise RuntimeError("exec: command with a non-nil Cancel was not created with CommandContext")
            ctx = self.ctx
            if ctx is not None:
                err = ctx.err()
                if err is not None:
                    raise err
            fds = [self._child_stdin()]
            fds.append(self._writer_descriptor(self.stdout))
            if self.stderr is not None and self.stderr is self.stdout:
                fds.append(fds[1])
            else:
                fds.append(self._writer_descriptor(self.stderr))
            for f in self.extra_files:
                fd = f if isinstance(f, int) else f.fileno()
                fds.append(fd)
            env = self.environ()
            self.process = start_process(
                self.path, self.args or [self.path], dir=self.dir, env=env, fds=fds, setsid=self.setsid
            )
            started = True
        finally:
            child, self._child_io = self._child_io, []
            for c in child:
                c.close()
            if not started:
                parent, self._parent_io = self._parent_io, []
                close_all(parent)
                self._goroutines = []
        self._start_goroutines()
        ctx = self.ctx
        if ctx is not None and (self.cancel is not None or self.wait_delay) and ctx.done():
            self._ctx_result = Chan()
            go(self._watch_ctx, ctx, self._ctx_result)

    def _start_goroutines(self) -> None:
        fns, self._goroutines = self._goroutines, []
        if not fns:
            return
        done: Chan[Any] = Chan(1)
        self._goroutine_err = done
        running = len(fns)
        first: BaseException | None = None

        def run(fn: Callable[[], BaseException | None]) -> None:
            # All on this scheduler's thread: the counters need no lock (Go: statusc).
            nonlocal running, first
            err = fn()
            if first is None:
                first = err
            running -= 1
            if not running:
                done.send(first)

        for fn in fns:
            go(run, fn)

    def _watch_ctx(self, ctx: Context, resultc: Chan[Any]) -> None:
        """Cancel (and after wait_delay kill) the process when ctx ends first. Go: watchCtx."""
        if select(resultc.send_case((None, None)), ctx.done().recv_case()).index == 0:
            return
        err: BaseException | None = None
        if self.cancel is not None:
            try:
                self.cancel()
            except ProcessLookupError:
                pass  # it finished already; nothing to report (Go: os.ErrProcessDone)
            except Exception as e:  # noqa: BLE001 - reported by wait()
                err = WrappedError("exec: canceling Cmd", e)
            else:
                err = ctx.err()
        if not self.wait_delay:
            resultc.send((err, None))
            return
        timer = gtime.Timer(self.wait_delay)
        if select(resultc.send_case((err, timer)), timer.c.recv_case()).index == 0:
            return  # wait() got the timer: it bounds the copying goroutines from here
        err = self._kill_after_delay(err)
        resultc.send((err, None))

    def _kill_after_delay(self, err: BaseException | None) -> BaseException | None:
        """wait_delay passed after the cancel: kill, then stop waiting for the copies."""
        killed = False
        try:
            assert self.process is not None
            self.process.kill()
            killed = True
        except ProcessLookupError:
            pass
        except Exception as e:  # noqa: BLE001 - reported by wait()
            err = WrappedError("exec: killing Cmd", e)
        gerr = self._goroutine_err
        if gerr is None:
            return err
        self._goroutine_err = None
        i, v, _ = select(gerr.recv_case(), default=True)
        if i == 0:
            # A copy error is forwarded only if the kill cannot have caused it.
            return v if err is None and not killed else err
        # Close the pipes (a grandchild may hold them open) and report the delay.
        close_all(self._parent_io)
        gerr.recv()
        return err if err is not None else ErrWaitDelay()

    def wait(self) -> None:
        """Wait for the command to exit and for its copying goroutines to finish.

        Raises:
            RuntimeError: "exec: not started", "exec: Wait was already called".
            ExitError: the command exited non-zero or was killed ("exit status 3",
                "signal: killed").
            Canceled, DeadlineExceeded: ctx ended, the command was canceled, and still exited 0.
            ErrWaitDelay, or an I/O error of a copying goroutine.

        Go: Cmd.Wait.
        """
        if self.process is None:
            raise RuntimeError("exec: not started")
        if self.process_state is not None:
            raise RuntimeError("exec: Wait was already called")
        state = self.process.wait()
        assert state is not None
        self.process_state = state
        err: BaseException | None = None if state.success() else ExitError(state)
        timer = None
        if self._ctx_result is not None:
            werr, timer = self._ctx_result.recv()  # type: ignore[misc]
            if err is None and werr is not None:
                err = werr
        gerr = self._await_goroutines(timer)
        if err is None:
            err = gerr
        parent, self._parent_io = self._parent_io, []
        close_all(parent)
        if err is not None:
            raise err

    def _await_goroutines(self, timer: gtime.Timer | None) -> BaseException | None:
        gerr = self._goroutine_err
        try:
            if gerr is None:
                return None
            if timer is None:
                if not self.wait_delay:
                    return gerr.recv()
                i, v, _ = select(gerr.recv_case(), default=True)
                if i == 0:
                    return v  # type: ignore[no-any-return]
                timer = gtime.Timer(self.wait_delay)
            i, v, _ = select(timer.c.recv_case(), gerr.recv_case())
            if i == 0:
                close_all(self._parent_io)
                gerr.recv()
                return ErrWaitDelay()
            return v  # type: ignore[no-any-return]
        finally:
            if timer is not None:
                timer.stop()
            self._goroutine_err = None

    def run(self) -> None:
        """Start the command and wait for it. Go: Cmd.Run.

        Raises:
            as start() and wait().
        """
        self.start()
        self.wait()

    def output(self) -> bytes:
        """Run the command and return its standard output.

        Raises:
            RuntimeError: "exec: Stdout already set".
            ExitError: with ``.stderr`` (the start and end of standard error, if stderr was not
                set) and ``.stdout`` (what was read).

        Go: Cmd.Output.
        """
        if self.stdout is not None:
            raise RuntimeError("exec: Stdout already set")
        out = Buffer()
        self.stdout = out
        saver = None
        if self.stderr is None:
            saver = self.stderr = PrefixSuffixSaver(_PREFIX_SUFFIX)
        try:
            self.run()
        except ExitError as e:
            if saver is not None:
                e.stderr = saver.value()
            e.stdout = bytes(out.data)
            raise
        return bytes(out.data)

    def combined_output(self) -> bytes:
        """Run the command and return its standard output and standard error, interleaved.

        Raises:
            RuntimeError: "exec: Stdout already set", "exec: Stderr already set".
            ExitError: with ``.stdout`` holding the combined output.

        Go: Cmd.CombinedOutput.
        """
        if self.stdout is not None:
            raise RuntimeError("exec: Stdout already set")
        if self.stderr is not None:
            raise RuntimeError("exec: Stderr already set")
        out = Buffer()
        self.stdout = self.stderr = out
        try:
            self.run()
        except ExitError as e:
            e.stdout = bytes(out.data)
            raise
        return bytes(out.data)


def command(name: str, *args: str, ctx: Context | None = None) -> Cmd:
    """Return a Cmd to run name with args; a bare name is looked up in $PATH.

    A failed lookup is not raised here: start() raises it (as Go's Cmd.Err).

    Args:
        ctx: when it ends before the command does, the process is killed (Cmd.cancel).

    Go: exec.Command, exec.CommandContext.
    """
    cmd = Cmd(name, [name, *args], ctx=ctx)
    if os.path.basename(name) == name:
        try:
            cmd.path = look_path(name)
        except OSError as e:
            cmd.err = e
    return cmd


def command_context(ctx: Context, name: str, *args: str) -> Cmd:
    """Return command(name, *args, ctx=ctx). Go: exec.CommandContext."""
    if ctx is None:
        raise ValueError("nil Context")
    return command(name, *args, ctx=ctx)

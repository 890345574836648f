# gonet.exec._process: a started child process and its exit state
# (Go: os/exec.go Process/ProcessState, os/exec_posix.go, os/exec_unix.go).
#
# start_process spawns through the stdlib's Popen machinery (fork/vfork + exec, close_fds, the
# error pipe that reports a failed exec), with every descriptor already prepared by Cmd; gonet
# then holds the child by pid and, where the kernel allows, by a pidfd on the netpoller.
#
# Invariants:
# - The child is reaped exactly once, by wait(), after _wait.wait_exited said it has exited;
#   until then the Popen object stays referenced (its finalizer would otherwise hand the pid to
#   subprocess's own reaper), and afterwards it is told the status so it never waits itself.
# - Signals go through the pidfd while the process is unreaped (pidfd_send_signal cannot hit
#   a recycled pid); after the reap, signal() raises ErrProcessDone.
from __future__ import annotations

import os
import signal as _signal
import subprocess
from typing import Any

from gonet.exec import _wait
from gonet.os import path_error

__all__ = ["Process", "ProcessState", "ErrProcessDone", "start_process", "describe_signal"]


class ErrProcessDone(ProcessLookupError):
    """The process has already been waited for. Go: os.ErrProcessDone."""

    def __init__(self, msg: str = "os: process already finished") -> None:
        super().__init__(3, msg)  # ESRCH

    def __str__(self) -> str:
        return "os: process already finished"


def describe_signal(n: int) -> str:
    """Go's name of a signal: "killed", "terminated", "interrupt", "user defined signal 1"."""
    text = _signal.strsignal(n) or f"signal {n}"
    return text[:1].lower() + text[1:]


class ProcessState:
    """How a process ended: its wait status and resource usage. Go: os.ProcessState."""

    __slots__ = ("_pid", "_status", "_rusage")

    def __init__(self, pid: int, status: int, rusage: Any) -> None:
        self._pid = pid
        self._status = status
        self._rusage = rusage

    def pid(self) -> int:
        """Return the process id. Go: ProcessState.Pid."""
        return self._pid

    def exited(self) -> bool:
        """Report whether the program exited on its own (not by a signal). Go: Exited."""
        return os.WIFEXITED(self._status)

    def exit_code(self) -> int:
        """Return the exit status, or -1 if the process was killed by a signal. Go: ExitCode."""
        return os.WEXITSTATUS(self._status) if os.WIFEXITED(self._status) else -1

    def success(self) -> bool:
        """Report whether the program exited with status 0. Go: Success."""
        return os.WIFEXITED(self._status) and os.WEXITSTATUS(self._status) == 0

    def signaled(self) -> bool:
        """Report whether a signal ended the process."""
        return os.WIFSIGNALED(self._status)

    def signal(self) -> _signal.Signals | None:
        """Return the signal that ended the process, or None."""
        if not os.WIFSIGNALED(self._status):
            return None
        return _signal.Signals(os.WTERMSIG(self._status))

    def sys(self) -> int:
        """Return the raw wait status. Go: ProcessState.Sys (syscall.WaitStatus)."""
        return self._status

    def sys_usage(self) -> Any:
        """Return the resource usage (resource.struct_rusage). Go: ProcessState.SysUsage."""
        return self._rusage

    def user_time(self) -> float:
        """Return the user CPU seconds of the process. Go: ProcessState.UserTime."""
        return float(self._rusage.ru_utime)

    def system_time(self) -> float:
        """Return the system CPU seconds of the process. Go: ProcessState.SystemTime."""
        return float(self._rusage.ru_stime)

    def __str__(self) -> str:
        """Go's text: "exit status 3", "signal: killed", "signal: aborted (core dumped)"."""
        st = self._status
        if os.WIFEXITED(st):
            res = f"exit status {os.WEXITSTATUS(st)}"
        elif os.WIFSIGNALED(st):
            res = "signal: " + describe_signal(os.WTERMSIG(st))
        elif os.WIFSTOPPED(st):
            res = "stop signal: " + describe_signal(os.WSTOPSIG(st))
        elif os.WIFCONTINUED(st):
            res = "continued"
        else:
            res = f"wait status {st}"
        if os.WCOREDUMP(st):
            res += " (core dumped)"
        return res

    def __repr__(self) -> str:
        return f"<ProcessState pid={self._pid} {self}>"


class Process:
    """A started child process. Go: os.Process."""

    __slots__ = ("pid", "_popen", "_pidfd", "_state", "_mode")

    def __init__(self, pid: int, popen: Any = None) -> None:
        self.pid = pid
        self._popen = popen
        self._state: ProcessState | None = None
        try:
            self._pidfd = _wait.open_pidfd(pid)
        except OSError:  # out of descriptors, say: the child must still be waited for
            self._pidfd = None
        self._mode = _wait.mode_for(self._pidfd)

    def wait(self, deadline: float | None = None) -> ProcessState | None:
        """Park until the process exits, reap it and return how it ended.

        Args:
            deadline: absolute gonet.now() time to stop waiting; None waits for ever.

        Returns:
            The ProcessState, or None if the deadline came first (the process is not reaped).

        Raises:
            ErrProcessDone: the process was already waited for.
            ChildProcessError: "wait: no child processes" (reaped behind gonet's back).

        Go: Process.Wait.
        """
        if self._state is not None:
            raise ErrProcessDone()
        if not _wait.wait_exited(self.pid, self._pidfd, deadline):
            return None
        if self._state is not None:  # another goroutine reaped it meanwhile
            raise ErrProcessDone()
        try:
            status, usage = _wait.reap(self.pid)
        finally:
            self._release()
        state = self._state = ProcessState(self.pid, status, usage)
        popen = self._popen
        if popen is not None:
            popen.returncode = state.exit_code() if state.exited() else -os.WTERMSIG(status)
            self._popen = None
        return state

    def signal(self, sig: int) -> None:
        """Send sig to the process. Go: Process.Signal.

        Raises:
            ErrProcessDone: the process has been waited for already.
        """
        if self._state is not None:
            raise ErrProcessDone()
        pidfd = self._pidfd
        try:
            if pidfd is not None:
                pidfd.incref()
                try:
                    _signal.pidfd_send_signal(pidfd.sysfd, sig)
                finally:
                    pidfd.decref()
            else:
                os.kill(self.pid, sig)
        except ProcessLookupError:
            raise ErrProcessDone() from None

    def kill(self) -> None:
        """Send SIGKILL. Go: Process.Kill."""
        self.signal(_signal.SIGKILL)

    def wait_mode(self) -> str:
        """Name how wait() learns of the exit: "pidfd", "sigchld" or "thread" (for a wait on
        the thread that started the process)."""
        return self._mode

    def _release(self) -> None:
        pidfd, self._pidfd = self._pidfd, None
        if pidfd is not None:
            pidfd.close()

    def __repr__(self) -> str:
        return f"<Process pid={self.pid}>"


def start_process(
    path: str,
    argv: list[str],
    *,
    dir: str | None,  # noqa: A002 - Go's field name
    env: list[str],
    fds: list[int],
    setsid: bool = False,
) -> Process:
    """Start path with argv; the child's stdin, stdout, stderr are fds[0:3], and fds[3:] are
    inherited at their own numbers. Go: os.StartProcess.

    Raises:
        PathError: op "fork/exec" ("fork/exec /bin/nope: no such file or directory"), also an
            instance of the cause's class.
    """
    envd: dict[str, str] = {}
    for kv in env:
        k, _, v = kv.partition("=")
        envd[k] = v
    try:
        p = subprocess.Popen(
            argv,
            executable=path,
            stdin=fds[0],
            stdout=fds[1],
            stderr=fds[2],
            cwd=dir,
            env=envd,
            close_fds=True,
            pass_fds=fds[3:],
            start_new_session=setsid,
        )
    except OSError as e:
        raise path_error("fork/exec", path, e) from None
    return Process(p.pid, p)

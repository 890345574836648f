# gonet.exec: run external commands from goroutines (Go: os/exec).
#
# command(name, *args, ctx=...) -> Cmd; run(), output(), combined_output(), start()/wait(),
# stdin_pipe()/stdout_pipe()/stderr_pipe(). Pipes are non-blocking fds on the netpoller, and
# the exit is waited for without blocking the scheduler (pidfd on Linux >= 5.3, SIGCHLD through
# gonet.signal otherwise; see _wait). Nothing here blocks the thread but the fork/exec itself.
#
# Modules: _exec (Cmd: exec.go), _exec_io (what Cmd wires to the child), _lp_unix (look_path:
# lp_unix.go), _process (Process and ProcessState: os/exec.go, exec_unix.go), _wait (exit
# waiting: os/pidfd_linux.go, wait_waitid.go).
from gonet.exec._exec import Cmd, ErrWaitDelay, ExitError, WrappedError, command, command_context
from gonet.exec._lp_unix import ErrDot, ErrNotFound, Error, look_path
from gonet.exec._process import ErrProcessDone, Process, ProcessState

__all__ = [
    "Cmd",
    "command",
    "command_context",
    "look_path",
    "ExitError",
    "Error",
    "ErrNotFound",
    "ErrDot",
    "ErrWaitDelay",
    "ErrProcessDone",
    "WrappedError",
    "Process",
    "ProcessState",
]

# sd_launch.py: what systemd does for a socket-activated service, for the tests — move the given
# descriptors to 3, 4, ..., set LISTEN_FDS, LISTEN_PID (this process: exec keeps the pid) and
# LISTEN_FDNAMES, then exec the command.
"""Run: python sd_launch.py FD[,FD...] NAME[:NAME...]|- -- COMMAND..."""

from __future__ import annotations

import fcntl
import os
import sys


def main(argv: list[str]) -> None:
    """Pass the descriptors as systemd would and exec the command."""
    fds = [int(x) for x in argv[0].split(",")]
    names = argv[1]
    cmd = argv[argv.index("--") + 1 :]
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in fds]  # out of the way of 3, 4...
    for fd in fds:
        os.close(fd)
    for i, fd in enumerate(high):
        os.dup2(fd, 3 + i)  # inheritable
        os.close(fd)
    os.environ["LISTEN_FDS"] = str(len(fds))
    os.environ["LISTEN_PID"] = str(os.getpid())
    if names != "-":
        os.environ["LISTEN_FDNAMES"] = names
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])

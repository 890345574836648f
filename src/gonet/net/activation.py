# gonet.net.activation: systemd socket activation (Go: github.com/coreos/go-systemd/activation).
#
# systemd (or any launcher that follows its protocol) passes listening sockets as descriptors
# 3, 4, ... and says so in the environment: LISTEN_PID (the process they are meant for),
# LISTEN_FDS (how many) and LISTEN_FDNAMES (colon-separated names, from FileDescriptorName=).
# files() reads that protocol exactly as go-systemd does: nothing when LISTEN_PID is not this
# process (a child that inherited the environment must not take its parent's sockets), the
# descriptors marked close-on-exec, and the variables removed when unset_env is true so they
# are not passed on. listeners() and packet_conns() adopt the descriptors with file_listener /
# file_packet_conn; the inherited descriptors are then closed (the conns hold duplicates), so
# a descriptor of the other kind is not left open by accident: take all the kinds you expect
# in one call to listeners_and_packet_conns().
from __future__ import annotations

import fcntl
import os

from gonet.errors import OpError
from gonet.net._file import file_listener, file_packet_conn
from gonet.net._iface import Listener, PacketConn

__all__ = [
    "File",
    "files",
    "listeners",
    "listeners_with_names",
    "packet_conns",
    "listeners_and_packet_conns",
    "LISTEN_FDS_START",
]

# The first passed descriptor (after stdin, stdout, stderr). Go: listenFdsStart.
LISTEN_FDS_START = 3


class File:
    """One passed descriptor and its name. Go: the *os.File that activation.Files returns."""

    __slots__ = ("_fd", "name")

    def __init__(self, fd: int, name: str) -> None:
        self._fd = fd
        self.name = name

    def fileno(self) -> int:
        """Return the descriptor (-1 once closed)."""
        return self._fd

    def close(self) -> None:
        """Close the descriptor (once)."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    @property
    def closed(self) -> bool:
        """Whether close() has been called."""
        return self._fd < 0

    def __enter__(self) -> File:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<activation.File fd={self._fd} name={self.name!r}>"


def files(unset_env: bool = True) -> list[File]:
    """Return the descriptors passed by socket activation, in order (3, 4, ...).

    Args:
        unset_env: remove LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from os.environ, so child
            processes do not see them (done even when nothing was passed to this process).

    Returns:
        One File per passed descriptor, named after LISTEN_FDNAMES (or "LISTEN_FD_<n>" where
        no name was given); an empty list when LISTEN_PID is missing, malformed or another
        process's, or LISTEN_FDS is missing, malformed or zero.

    Go: activation.Files.
    """
    try:
        pid = _env_int("LISTEN_PID")
        nfds = _env_int("LISTEN_FDS")
        names = os.environ.get("LISTEN_FDNAMES", "").split(":") if os.environ.get("LISTEN_FDNAMES") else []
    finally:
        if unset_env:
            for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
                os.environ.pop(k, None)
    if pid is None or pid != os.getpid() or nfds is None or nfds <= 0:
        return []
    out: list[File] = []
    for i, fd in enumerate(range(LISTEN_FDS_START, LISTEN_FDS_START + nfds)):
        flags = fcntl.fcntl(fd, fcntl.F_GETFD)
        fcntl.fcntl(fd, fcntl.F_SETFD, flags | fcntl.FD_CLOEXEC)
        name = names[i] if i < len(names) and names[i] else f"LISTEN_FD_{fd}"
        out.append(File(fd, name))
    return out


def _env_int(key: str) -> int | None:
    v = os.environ.get(key)
    if v is None:
        return None
    try:
        return int(v)
    except ValueError:
        return None


def _adopt(fs: list[File]) -> tuple[list[Listener | None], list[PacketConn | None]]:
    lns: list[Listener | None] = []
    pcs: list[PacketConn | None] = []
    try:
        for f in fs:
            ln: Listener | None = None
            pc: PacketConn | None = None
            try:
                ln = file_listener(f)
            except OpError:
                try:
                    pc = file_packet_conn(f)
                except OpError:
                    pass
            lns.append(ln)
            pcs.append(pc)
    except BaseException:
        for c in [*lns, *pcs]:
            if c is not None:
                c.close()
        raise
    finally:
        for f in fs:
            f.close()
    return lns, pcs


def listeners_and_packet_conns(
    unset_env: bool = True,
) -> tuple[list[Listener | None], list[PacketConn | None]]:
    """Adopt every passed descriptor: stream listeners in the first list, datagram sockets in
    the second, each at its descriptor's position (None where it is of the other kind or
    neither). The passed descriptors are closed; the results hold duplicates.

    Go: activation.Listeners and activation.PacketConns together.
    """
    return _adopt(files(unset_env))


def listeners(unset_env: bool = True) -> list[Listener | None]:
    """Return a listener for each passed descriptor, None where it is not a listening socket.

    The passed descriptors are closed (the listeners hold duplicates).

    Go: activation.Listeners.
    """
    lns, pcs = _adopt(files(unset_env))
    for pc in pcs:
        if pc is not None:
            pc.close()
    return lns


def listeners_with_names(unset_env: bool = True) -> dict[str, list[Listener]]:
    """Return the passed listening sockets grouped by their FileDescriptorName.

    Go: activation.ListenersWithNames.
    """
    fs = files(unset_env)
    names = [f.name for f in fs]
    lns, pcs = _adopt(fs)
    for pc in pcs:
        if pc is not None:
            pc.close()
    out: dict[str, list[Listener]] = {}
    for name, ln in zip(names, lns, strict=True):
        if ln is not None:
            out.setdefault(name, []).append(ln)
    return out


def packet_conns(unset_env: bool = True) -> list[PacketConn | None]:
    """Return a packet conn for each passed datagram socket, None for other descriptors.

    The passed descriptors are closed (the conns hold duplicates).

    Go: activation.PacketConns.
    """
    lns, pcs = _adopt(files(unset_env))
    for ln in lns:
        if ln is not None:
            ln.close()
    return pcs

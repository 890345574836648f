# gonet.net._sock_posix: create a socket and connect it, abortably (Go: net/sock_posix.go,
# sockopt_linux.go, fd_unix.go's connect with its context interrupter).
#
# Every socket is created non-blocking and close-on-exec. dial_socket makes, optionally binds,
# and connects one socket; a failure anywhere closes what was half made and re-raises the
# cause with `.syscall` naming the call that failed (for the OpError message).
#
# Aborting: while the connect is parked, an Abort hook gives the socket a write deadline in the
# past (Go's aLongTimeAgo), so the netpoller wakes the connect at once. If the abort fired at
# all — even when the connect had just succeeded (Go issue 16523) — the socket is closed and
# the abort's error raised instead of whatever the poisoned connect reported.
from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from gonet._poll import FD
from gonet.net._ctx import Abort
from gonet.net._ipsock import sockaddr_to_ip_port

__all__ = ["new_socket", "set_default_sockopts", "dial_socket", "is_self_connect", "StdSocket"]

# The stdlib class, bound at import: gonet.patch.socket() may replace socket.socket later, and
# an FD must wrap the C socket's own methods, never gonet.socket's parking ones.
StdSocket = socket.socket

_PAST = -1.0  # any time before now: the deadline expires at once


def new_socket(family: int, sotype: int) -> socket.socket:
    """Return a new non-blocking, close-on-exec socket."""
    return StdSocket(family, sotype | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC)


def set_default_sockopts(sock: socket.socket, family: int, sotype: int, ipv6only: bool) -> None:
    """Apply Go's defaults: IPV6_V6ONLY as asked, SO_BROADCAST on IP datagram sockets.

    Go: setDefaultSockopts.
    """
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if ipv6only else 0)
    if sotype == socket.SOCK_DGRAM and family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)


def _attach(e: BaseException, syscall: str) -> BaseException:
    if getattr(e, "syscall", None) is None:
        try:
            e.syscall = syscall  # type: ignore[attr-defined]
        except AttributeError:
            pass
    return e


def _poison(fd: FD) -> None:
    # Runs in the cancelling goroutine while the dialer is parked in connect.
    if fd.pd is not None and not fd.closing:
        try:
            fd.set_deadline(_PAST, False, True)
        except OSError:
            pass


def dial_socket(
    family: int,
    sotype: int,
    remote: Any,
    local: Any,
    deadline: float | None,
    abort: Abort | None,
    setup: Callable[[socket.socket], None] | None = None,
) -> FD:
    """Create, configure, bind (if local) and connect a socket; return its registered FD.

    Args:
        family, sotype: as for socket.socket.
        remote: socket-module address to connect to.
        local: socket-module address to bind first, or None.
        deadline: absolute time by which the connect must finish.
        abort: fires to stop the connect; its error is then raised.
        setup: called with the new socket before bind/connect (socket options).

    Raises:
        OSError with ``.syscall`` ("socket", "setsockopt", "bind", "connect"), or abort.err.

    Go: socket() + netFD.dial/connect.
    """
    syscall = "socket"
    sock = None
    fd: FD | None = None
    try:
        sock = new_socket(family, sotype)
        if setup is not None:
            syscall = "setsockopt"
            setup(sock)
        if local is not None:
            syscall = "bind"
            sock.bind(local)
        syscall = "connect"
        if abort is not None and abort.err is not None:
            raise abort.err
        fd = FD(sock, register=False)
        stop = None
        if abort is not None:
            f = fd
            stop = abort.on_cancel(lambda: _poison(f))
        try:
            fd.connect(remote, deadline)
        finally:
            if stop is not None:
                stop()
        if abort is not None and abort.err is not None:
            raise abort.err  # connected just as the abort fired: the fd is poisoned, undo it
        return fd
    except BaseException as e:
        if fd is not None:
            if not fd.closing:
                fd.close()
        elif sock is not None:
            sock.close()
        if isinstance(e, Exception) and abort is not None and abort.err is not None:
            raise abort.err from None
        raise _attach(e, syscall)


def is_self_connect(fd: FD) -> tuple[bool, Any]:
    """Report whether a TCP socket connected to itself; also return its local sockaddr.

    Go: selfConnect (a kernel picking the destination port as the source port).
    """
    try:
        la = fd.sock.getsockname()
        ra = fd.sock.getpeername()
    except OSError:
        return True, None  # no addresses: Go treats this as trouble and retries
    return sockaddr_to_ip_port(la)[:2] == sockaddr_to_ip_port(ra)[:2], la

# gonet._poll._fd_dgram: the datagram syscall loops — recvfrom, sendto, send, sendmsg
# (Go: internal/poll/fd_unix.go ReadFrom/WriteTo and the Write path as a UDP socket takes it).
#
# Each is one call of _fd_posix's io_loop (lock -> prepare -> syscall, parking on
# EAGAIN -> unlock). What differs for message sockets:
# - A successful receive never clears `rready`: each call returns one datagram however short,
#   so a short read says nothing about what is queued behind it. Only EAGAIN proves emptiness.
# - A zero-byte datagram is data, not EOF; a buffer shorter than the datagram truncates it and
#   the rest is lost, as the kernel does (Go's ReadFrom does the same). No short-read inference.
# - A send is all or nothing (one datagram, or EMSGSIZE), so there is no partial-progress loop,
#   and a zero-length send is a real empty datagram, not a no-op.
#
# Raises raw causes (OSError, ErrClosed, DeadlineExceededError); gonet.net wraps them.
from __future__ import annotations

from typing import Any

from gonet._poll._fd_posix import io_loop
from gonet._poll._fd_unix import FD

__all__ = ["recvfrom_into", "recvfrom", "sendto", "send", "sendmsg"]


def recvfrom_into(fd: FD, buf: Any) -> tuple[int, Any]:
    """Receive one datagram into buf, parking until one arrives; return (n, sender address).

    An empty buf still consumes (and truncates) one datagram, as recvfrom(2) does.

    Go: FD.ReadFrom.
    """
    return io_loop(fd, True, fd.sock.recvfrom_into, buf)  # type: ignore[no-any-return,unused-ignore]


def recvfrom(fd: FD, size: int) -> tuple[bytes, Any]:
    """Receive one datagram of at most size bytes; return (data, sender address)."""
    return io_loop(fd, True, fd.sock.recvfrom, size)  # type: ignore[no-any-return,unused-ignore]


def sendto(fd: FD, data: Any, sockaddr: Any) -> int:
    """Send data as one datagram to sockaddr, parking while the send buffer is full.

    Go: FD.WriteTo.
    """
    return io_loop(fd, False, fd.sock.sendto, data, sockaddr)


def send(fd: FD, data: Any) -> int:
    """Send data as one datagram on a connected socket (b"" sends an empty datagram).

    Go: FD.Write on a datagram socket.
    """
    return io_loop(fd, False, fd.sock.send, data)


def sendmsg(fd: FD, buffers: list[Any], sockaddr: Any = None) -> int:
    """Send the concatenation of buffers as one datagram (to sockaddr, if given).

    Go: FD.WriteMsg.
    """
    if sockaddr is None:
        return io_loop(fd, False, fd.sock.sendmsg, buffers)
    return io_loop(fd, False, fd.sock.sendmsg, buffers, (), 0, sockaddr)

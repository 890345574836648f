# gonet.net._file: adopt an existing socket as a Listener, Conn or PacketConn (Go:
# net/file_unix.go).
#
# The descriptor is duplicated (close-on-exec), as Go does, so the caller keeps and closes its own
# file; the duplicate shares the open file description and is made non-blocking and registered
# with this thread's netpoller. The socket's family and type decide the result's class: TCP,
# UDP or Unix (stream, seqpacket, datagram). A descriptor that is not a socket, a socket of
# another kind, or the wrong role (a listener asked for as a conn) fails with one
# OpError("file", "file+net", ...) and leaves nothing open.
from __future__ import annotations

import errno
import fcntl
import os
import socket
from typing import Any, Protocol

from gonet._poll import FD
from gonet.errors import op_error
from gonet.net._iface import Conn, Listener, PacketConn
from gonet.net._tcpsock import DEFAULT_KEEP_ALIVE, TCPConn, TCPListener, tcp_addr_of
from gonet.net._udpsock import UDPConn, udp_addr_of
from gonet.net._unixsock import UnixAddr, UnixConn, UnixListener, unix_addr_of

__all__ = ["file_listener", "file_conn", "file_packet_conn", "FileLike"]

_UNIX_NETS = {socket.SOCK_STREAM: "unix", socket.SOCK_SEQPACKET: "unixpacket", socket.SOCK_DGRAM: "unixgram"}


class FileLike(Protocol):
    """Anything with a descriptor: a file, a socket.socket, a listener's file()."""

    def fileno(self) -> int: ...


def _name(f: FileLike | int) -> str:
    name = getattr(f, "name", None)
    return name if isinstance(name, str) else f"fd {f if isinstance(f, int) else f.fileno()}"


class _FileAddr:
    """The address an OpError names for a file: its name. Go: net.fileAddr."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def network(self) -> str:
        return "file+net"

    def __str__(self) -> str:
        return self._name


def _fail(f: FileLike | int, err: BaseException) -> OSError:
    return op_error("file", "file+net", None, _FileAddr(_name(f)), err)


def _dup_socket(f: FileLike | int) -> socket.socket:
    """Return a close-on-exec duplicate of f's descriptor as a socket.socket. Go: dupSocket."""
    if isinstance(f, bool) or not (isinstance(f, int) or callable(getattr(f, "fileno", None))):
        raise TypeError(f"need a file, socket or descriptor, not {type(f).__name__}")
    try:
        fd = f if isinstance(f, int) else f.fileno()
        nfd = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 0)
    except (OSError, ValueError) as e:
        if isinstance(e, ValueError):  # a closed file object
            e = OSError(errno.EBADF, os.strerror(errno.EBADF))
        raise _fail(f, e) from e
    try:
        return socket.socket(fileno=nfd)  # family, type and protocol read from the descriptor
    except OSError as e:
        os.close(nfd)
        # Not a socket: Python reports ENOTSOCK from getsockname, Go from getsockopt.
        raise _fail(f, e) from e


def _listening(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))


def _ip(sock: socket.socket) -> bool:
    return sock.family in (socket.AF_INET, socket.AF_INET6)


def _einval(what: str) -> OSError:
    return OSError(errno.EINVAL, f"invalid argument ({what})")


def file_listener(f: FileLike | int, keep_alive: float = DEFAULT_KEEP_ALIVE) -> Listener:
    """Return a listener over a duplicate of f's listening socket; f stays the caller's.

    Args:
        f: a file object, socket.socket or descriptor of a listening TCP or Unix
            (stream/seqpacket) socket: an inherited one (systemd, a supervisor) or another
            listener's file().
        keep_alive: keep-alive period in seconds for accepted TCP conns; negative disables.

    Returns:
        A TCPListener ("tcp") or UnixListener ("unix"/"unixpacket"); a Unix listener made
        here does not remove its socket file when closed (its creator owns the file).

    Raises:
        OpError: "file file+net fd 5: invalid argument (...)" for a descriptor that is not a
            listening stream socket, "...: bad file descriptor" for a closed one.

    Go: net.FileListener.
    """
    sock = _dup_socket(f)
    try:
        if not _listening(sock) or sock.type not in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET):
            raise _einval("not a listening stream socket")
        if _ip(sock) and sock.type == socket.SOCK_STREAM:
            laddr = tcp_addr_of(sock.getsockname())
            return TCPListener(FD(sock), "tcp", laddr, keep_alive)
        if sock.family == socket.AF_UNIX:
            net = _UNIX_NETS[sock.type]
            ua = unix_addr_of(net)(sock.getsockname()) or UnixAddr("", net)
            ln = UnixListener(FD(sock), net, ua)
            ln.set_unlink_on_close(False)
            return ln
        raise _einval(f"unsupported address family {sock.family}")
    except BaseException as e:
        sock.close()
        if isinstance(e, OSError) and not hasattr(e, "op"):
            raise _fail(f, e) from e
        raise


def file_conn(f: FileLike | int) -> Conn:
    """Return a conn over a duplicate of f's connected socket; f stays the caller's.

    Args:
        f: a file object, socket.socket or descriptor of a TCP, UDP or Unix socket that is
            not listening (a TCP one must be connected).

    Returns:
        A TCPConn, UDPConn or UnixConn.

    Raises:
        OpError: "file file+net ...: invalid argument (...)" for a listening socket or
            another kind of descriptor.

    Go: net.FileConn.
    """
    sock = _dup_socket(f)
    try:
        if _listening(sock):
            raise _einval("a listening socket: use file_listener")
        return _conn(sock)
    except BaseException as e:
        sock.close()
        if isinstance(e, OSError) and not hasattr(e, "op"):
            raise _fail(f, e) from e
        raise


def file_packet_conn(f: FileLike | int) -> PacketConn:
    """Return a packet conn over a duplicate of f's datagram socket; f stays the caller's.

    Args:
        f: a file object, socket.socket or descriptor of a UDP or Unix datagram socket.

    Returns:
        A UDPConn or UnixConn ("unixgram").

    Raises:
        OpError: "file file+net ...: invalid argument (...)" for a stream socket or another
            kind of descriptor.

    Go: net.FilePacketConn.
    """
    sock = _dup_socket(f)
    try:
        if sock.type != socket.SOCK_DGRAM:
            raise _einval("not a datagram socket")
        conn = _conn(sock)
        assert isinstance(conn, (UDPConn, UnixConn))
        return conn
    except BaseException as e:
        sock.close()
        if isinstance(e, OSError) and not hasattr(e, "op"):
            raise _fail(f, e) from e
        raise


def _peer(sock: socket.socket) -> Any:
    try:
        return sock.getpeername()
    except OSError as e:
        if e.errno == errno.ENOTCONN:
            return None
        raise


def _conn(sock: socket.socket) -> TCPConn | UDPConn | UnixConn:
    """Wrap a non-listening socket in the conn class of its family and type."""
    la, ra = sock.getsockname(), _peer(sock)
    if _ip(sock) and sock.type == socket.SOCK_STREAM:
        if ra is None:
            raise _einval("TCP socket is not connected")
        return TCPConn(FD(sock), "tcp", tcp_addr_of(la), None, ra, tcp_addr_of)
    if _ip(sock) and sock.type == socket.SOCK_DGRAM:
        raddr = None if ra is None else udp_addr_of(ra)
        return UDPConn(FD(sock), "udp", udp_addr_of(la), raddr, None, udp_addr_of, connected=ra is not None)
    if sock.family == socket.AF_UNIX and sock.type in _UNIX_NETS:
        net = _UNIX_NETS[sock.type]
        conv = unix_addr_of(net)
        connected = ra is not None and (sock.type != socket.SOCK_DGRAM or bool(ra))
        return UnixConn(FD(sock), net, conv(la), conv(ra) if ra else None, None, conv, connected=connected)
    raise _einval(f"unsupported socket family {sock.family} type {sock.type}")

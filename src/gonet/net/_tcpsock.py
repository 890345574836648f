# gonet.net._tcpsock: TCPConn and TCPListener (Go: net/tcpsock.go, tcpsockopt_unix.go).
#
# Invariants: TCP_NODELAY is set on every TCP conn, dialled or accepted; keep-alive is on by
# default (15 s) as in Go; accepted conns are registered with the netpoller once, in FD().
from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from gonet._poll import FD
from gonet.net._ipsock import TCPAddr, sockaddr_to_ip_port
from gonet.net._net import SocketConn, SocketListener
from gonet.net._sock_posix import StdSocket

__all__ = ["TCPConn", "TCPListener", "tcp_addr_of", "DEFAULT_KEEP_ALIVE", "set_keep_alive_opts"]

DEFAULT_KEEP_ALIVE = 15.0

_IPPROTO_TCP = socket.IPPROTO_TCP
_TCP_NODELAY = socket.TCP_NODELAY


def tcp_addr_of(sa: Any) -> TCPAddr:
    """Convert a socket address tuple to a TCPAddr."""
    ip, port, zone = sockaddr_to_ip_port(sa)
    return TCPAddr(ip, port, zone)


def set_keep_alive_opts(sock: socket.socket, period: float) -> None:
    """Enable keep-alive probes every ``period`` seconds, or disable them if period < 0."""
    if period < 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 0)
        return
    secs = max(1, int(round(period)))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.setsockopt(_IPPROTO_TCP, socket.TCP_KEEPIDLE, secs)
    sock.setsockopt(_IPPROTO_TCP, socket.TCP_KEEPINTVL, secs)


class TCPConn(SocketConn):
    """A TCP connection. Go: net.TCPConn."""

    __slots__ = ()

    if TYPE_CHECKING:  # narrower types for the inherited methods; nothing changes at run time

        def local_addr(self) -> TCPAddr | None: ...
        def remote_addr(self) -> TCPAddr | None: ...

    def set_no_delay(self, no_delay: bool = True) -> None:
        """Disable (True, the default) or enable Nagle's algorithm. Go: TCPConn.SetNoDelay."""
        self._setsockopt(_IPPROTO_TCP, _TCP_NODELAY, 1 if no_delay else 0)

    def set_keep_alive(self, keep_alive: bool = True) -> None:
        """Turn TCP keep-alive probes on or off. Go: TCPConn.SetKeepAlive."""
        self._setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1 if keep_alive else 0)

    def set_keep_alive_period(self, seconds: float) -> None:
        """Set the idle time before and between keep-alive probes. Go: SetKeepAlivePeriod."""
        if seconds <= 0:
            raise ValueError(f"keep-alive period must be positive, got {seconds}")
        secs = max(1, int(round(seconds)))
        self._setsockopt(_IPPROTO_TCP, socket.TCP_KEEPIDLE, secs)
        self._setsockopt(_IPPROTO_TCP, socket.TCP_KEEPINTVL, secs)

    def set_linger(self, sec: int | None) -> None:
        """Set SO_LINGER: None or < 0 restores the default (background close), 0 discards
        unsent data and resets, > 0 blocks close up to sec seconds. Go: TCPConn.SetLinger."""
        import struct

        val = struct.pack("ii", 0, 0) if sec is None or sec < 0 else struct.pack("ii", 1, int(sec))
        self._setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, val)


class TCPListener(SocketListener):
    """A TCP listener. Go: net.TCPListener."""

    __slots__ = ("_family", "_keep_alive", "_specific")

    def __init__(self, fd: FD, net: str, laddr: TCPAddr, keep_alive: float) -> None:
        super().__init__(fd, net, laddr, tcp_addr_of)
        self._family = fd.sock.family
        self._keep_alive = keep_alive
        # An accepted socket's local address is the listener's unless it is a wildcard.
        self._specific = laddr.ip not in ("0.0.0.0", "::")

    def accept(self) -> TCPConn:
        """Wait for and return the next connection. Go: TCPListener.AcceptTCP."""
        return super().accept()  # type: ignore[return-value]

    if TYPE_CHECKING:

        def addr(self) -> TCPAddr: ...
        def __iter__(self) -> Iterator[TCPConn]: ...
        def __next__(self) -> TCPConn: ...

    def _new_conn(self, fd: int, raw: Any) -> TCPConn:
        sock = StdSocket(self._family, socket.SOCK_STREAM, 0, fileno=fd)
        try:
            sock.setsockopt(_IPPROTO_TCP, _TCP_NODELAY, 1)
            if self._keep_alive >= 0:
                set_keep_alive_opts(sock, self._keep_alive)
            nfd = FD(sock)
        except BaseException:
            sock.close()
            raise
        laddr = self._laddr if self._specific else None
        return TCPConn(nfd, self._net, laddr, None, raw, tcp_addr_of)

# gonet.supervisor._sockets: open the listening sockets a supervisor shares with its workers.
#
# A bind spec is "HOST:PORT" (TCP; "[v6]:PORT"; ":PORT" or "0.0.0.0:PORT" every IPv4 address;
# "[::]:PORT" every address, IPv4 too), "unix:PATH" (a Unix stream socket; "unix:@name" is
# abstract), "fd://N" (an already listening descriptor, e.g. passed by systemd), or an open
# listening socket.socket. Sockets are plain blocking stdlib sockets: the supervisor never
# accepts on them, and each worker adopts them into its own gonet runtime.
#
# Shared mode: one socket per spec, every worker accepts on it (one accept queue; the kernel
# wakes the workers waiting in epoll). reuse_port mode: one SO_REUSEPORT socket per spec per
# worker slot, all bound to the same address (the kernel hashes each new connection to one of
# them). Either way the supervisor keeps every socket open until it exits, so a worker that
# dies or is replaced never takes queued connections with it.
from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BindSpec", "Bound", "open_sockets", "close_sockets", "describe"]

BindSpec = str | socket.socket

# Well above any burst a benchmark or a reload makes; the kernel caps it at somaxconn.
DEFAULT_BACKLOG = 4096


@dataclass
class Bound:
    """The sockets of one bind spec: one shared socket, or one per worker slot."""

    spec: str
    sockets: list[socket.socket]
    unlink: str | None = None  # a Unix socket file this supervisor created
    owned: bool = True  # False for an inherited socket the caller keeps

    def for_slot(self, slot: int) -> socket.socket:
        """Return the socket the worker in slot accepts on."""
        return self.sockets[slot] if len(self.sockets) > 1 else self.sockets[0]


def describe(sock: socket.socket) -> str:
    """Return "tcp 127.0.0.1:8000" / "unix /run/app.sock" for a log line."""
    name = sock.getsockname()
    if sock.family == socket.AF_UNIX:
        if isinstance(name, bytes):
            name = "@" + name[1:].decode(errors="replace") if name[:1] == b"\0" else name.decode()
        return f"unix {name}"
    host, port = name[0], name[1]
    return f"tcp {'[' + host + ']' if ':' in host else host}:{port}"


def _tcp_target(spec: str) -> tuple[int, tuple[object, ...], bool]:
    """Resolve "HOST:PORT" to (family, sockaddr, dual_stack)."""
    host, sep, port_s = spec.rpartition(":")
    if not sep:
        raise ValueError(f"bind {spec!r}: missing port (want HOST:PORT, unix:PATH or fd://N)")
    try:
        port = int(port_s)
    except ValueError:
        raise ValueError(f"bind {spec!r}: port {port_s!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"bind {spec!r}: port {port} out of range")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host in ("", "0.0.0.0"):
        return socket.AF_INET, ("0.0.0.0", port), False
    if host == "::":
        return socket.AF_INET6, ("::", port, 0, 0), True
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ValueError(f"bind {spec!r}: {e.strerror}") from None
    infos.sort(key=lambda i: i[0] != socket.AF_INET)  # IPv4 first, as Go's listen
    fam, _, _, _, sa = infos[0]
    return fam, sa, False


def _open_tcp(spec: str, reuse_port: bool, port: int | None, backlog: int) -> socket.socket:
    family, sa, dual = _tcp_target(spec)
    if port is not None:
        sa = (sa[0], port, *sa[2:])
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual else 1)
        sock.bind(sa)
        sock.listen(backlog)
    except OSError as e:
        sock.close()
        raise OSError(e.errno, f"bind {spec}: {e.strerror}") from None
    return sock


def _open_unix(spec: str, path: str, backlog: int) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(b"\0" + path[1:].encode() if path.startswith("@") else path)
        sock.listen(backlog)
    except OSError as e:
        sock.close()
        raise OSError(e.errno, f"bind {spec}: {e.strerror}") from None
    return sock


def _inherited(spec: str, sock: socket.socket) -> socket.socket:
    try:
        listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
    except OSError as e:
        raise ValueError(f"bind {spec}: not a socket ({e.strerror})") from None
    if not listening or sock.type != socket.SOCK_STREAM:
        raise ValueError(f"bind {spec}: not a listening stream socket")
    return sock


def _open_fd(spec: str, reuse_port: bool) -> Bound:
    if reuse_port:
        raise ValueError(f"bind {spec}: reuse_port needs an address to bind, not an inherited descriptor")
    try:
        fd = int(spec[5:])
    except ValueError:
        raise ValueError(f"bind {spec!r}: {spec[5:]!r} is not a descriptor number") from None
    try:
        sock = socket.socket(fileno=fd)
    except OSError as e:
        raise ValueError(f"bind {spec}: {e.strerror}") from None
    os.set_inheritable(fd, False)
    try:
        return Bound(spec, [_inherited(spec, sock)])
    except BaseException:
        sock.detach()
        raise


def _open_one(spec: BindSpec, n: int, reuse_port: bool, backlog: int) -> Bound:
    if isinstance(spec, socket.socket):
        name = f"socket fd {spec.fileno()}"
        if reuse_port:
            raise ValueError(f"bind {name}: reuse_port needs an address to bind, not an open socket")
        return Bound(name, [_inherited(name, spec)], owned=False)
    if not isinstance(spec, str):
        raise TypeError(f"a bind spec is a str or a socket.socket, not {type(spec).__name__}")
    if spec.startswith("fd://"):
        return _open_fd(spec, reuse_port)
    if spec.startswith("unix:"):
        path = spec[5:]
        if not path:
            raise ValueError(f"bind {spec!r}: missing socket path")
        if reuse_port:
            raise ValueError(f"bind {spec}: reuse_port applies to TCP addresses only")
        sock = _open_unix(spec, path, backlog)
        return Bound(spec, [sock], unlink=None if path.startswith("@") else path)
    first = _open_tcp(spec, reuse_port, None, backlog)
    socks = [first]
    try:
        if reuse_port:
            port = first.getsockname()[1]
            socks += [_open_tcp(spec, True, port, backlog) for _ in range(n - 1)]
    except BaseException:
        for s in socks:
            s.close()
        raise
    return Bound(spec, socks)


def open_sockets(
    specs: Sequence[BindSpec], n: int, reuse_port: bool, backlog: int = DEFAULT_BACKLOG
) -> list[Bound]:
    """Open (or adopt) every bind spec; on any failure close what was opened and raise.

    Raises:
        ValueError: a malformed spec, or one that reuse_port cannot apply to.
        OSError: "bind 127.0.0.1:80: Address already in use" and the like.
    """
    out: list[Bound] = []
    try:
        for spec in specs:
            out.append(_open_one(spec, n, reuse_port, backlog))
    except BaseException:
        close_sockets(out)
        raise
    return out


def close_sockets(bound: list[Bound]) -> None:
    """Close the sockets this supervisor opened, and remove the Unix socket files it made."""
    for b in bound:
        if not b.owned:
            continue
        for s in b.sockets:
            s.close()
        if b.unlink is not None:
            try:
                os.unlink(b.unlink)
            except FileNotFoundError:
                pass

# gonet.net._listen: listen, listen_packet and ListenConfig (Go: net/dial.go ListenConfig,
# sock_posix.go listenStream/listenDatagram).
#
# Turns (network, address) into a bound socket: validate the network, resolve the address (IPv4
# first, as Go), create a non-blocking close-on-exec socket, apply the options (SO_REUSEADDR for
# streams, SO_REUSEPORT when asked, then the caller's control hook), bind (+listen for streams)
# and register it with the netpoller. A wildcard "tcp"/"udp" address ("", "0.0.0.0", "::") is
# one dual-stack IPv6 socket when the host can map IPv4 into IPv6 (Go's favoriteAddrFamily).
# Every failure leaves as one OpError("listen", ...) and closes whatever socket was half made.
#
# The control hook runs after the socket exists and before bind, with the family-specific
# network ("tcp4", "tcp6", "udp4", "unix"...) and the address about to be bound, as in Go.
from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from gonet._poll import FD
from gonet.errors import AddrError, UnknownNetworkError, op_error
from gonet.net._ctx import Abort, context_deadline, link_context
from gonet.net._iface import Listener, PacketConn
from gonet.net._ipsock import TCPAddr, UDPAddr, addr_sockaddr, ipv6_supported, join_host_port
from gonet.net._resolve import KNOWN_NETS, TCP_NETS, UDP_NETS, internet_addr_list
from gonet.net._sock_posix import new_socket, set_default_sockopts
from gonet.net._tcpsock import DEFAULT_KEEP_ALIVE, TCPListener, tcp_addr_of
from gonet.net._udpsock import UDPConn, udp_addr_of
from gonet.net._unixsock import UNIX_TYPES, UnixAddr, UnixConn, UnixListener, unix_addr_of, unix_sockaddr

if TYPE_CHECKING:  # a type only: net does not import gonet.context at run time (see _ctx.py)
    from gonet.context import Context

__all__ = [
    "listen",
    "listen_packet",
    "max_listener_backlog",
    "check_network",
    "ListenConfig",
    "SockRawConn",
    "Control",
    "run_control",
]

_T = TypeVar("_T")

_backlog: int | None = None


class SockRawConn:
    """Raw access to a socket that is not bound or connected yet, for a control hook.

    Only control() is meaningful before bind/connect (Go's rawConn passed to Control is the
    same: reading or writing an unconnected socket has no use).

    Go: the syscall.RawConn given to ListenConfig.Control and Dialer.Control.
    """

    __slots__ = ("_sock",)

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def control(self, fn: Callable[[int], _T]) -> _T:
        """Call fn(fd) with the socket's descriptor and return its result. Go: RawConn.Control."""
        return fn(self._sock.fileno())

    def __repr__(self) -> str:
        return f"<SockRawConn fd={self._sock.fileno()}>"


# control(network, address, raw_conn): set options on the socket before bind (or connect).
Control = Callable[[str, str, SockRawConn], None]


def run_control(control: Control, network: str, address: str, sock: socket.socket) -> None:
    """Run a control hook; its exception leaves unchanged, labelled with no system call.

    Go reports a Control error as the cause of the OpError, without naming a syscall.
    """
    try:
        control(network, address, SockRawConn(sock))
    except Exception as e:
        if getattr(e, "syscall", None) is None:
            try:
                e.syscall = ""  # type: ignore[attr-defined]
            except AttributeError:
                pass
        raise


def _syscall(e: BaseException, default: str) -> str | None:
    """Name the failing call for the message: the one in progress, none for a control hook."""
    named = getattr(e, "syscall", None)
    return default if named is None else (named or None)


def ctrl_network(network: str, family: int) -> str:
    """Return the family-specific network a control hook sees ("tcp" -> "tcp4"/"tcp6").

    Go: netFD.ctrlNetwork.
    """
    if network in UNIX_TYPES:
        return network
    base = network.rstrip("46")
    return base + ("4" if family == socket.AF_INET else "6")


def max_listener_backlog() -> int:
    """Return the kernel's listen backlog limit (somaxconn), as Go does. Go: maxListenerBacklog."""
    global _backlog
    if _backlog is None:
        try:
            with open("/proc/sys/net/core/somaxconn") as f:
                n = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            n = socket.SOMAXCONN
        _backlog = max(1, min(n, 65535))
    return _backlog


def check_network(op: str, network: Any, address: Any) -> None:
    """Reject non-str arguments (TypeError) and unknown networks (OpError UnknownNetworkError)."""
    if not isinstance(network, str):
        raise TypeError(f"network must be str, not {type(network).__name__}")
    if not isinstance(address, str):
        raise TypeError(f"address must be str, not {type(address).__name__}")
    if network not in KNOWN_NETS:
        raise op_error(op, network, None, None, UnknownNetworkError(network))


def _check_backlog(backlog: Any) -> int:
    if backlog is None:
        return max_listener_backlog()
    if isinstance(backlog, bool) or not isinstance(backlog, int) or backlog < 0:
        raise ValueError(f"backlog must be a non-negative int, got {backlog!r}")
    return backlog


class ListenConfig:
    """Options for listening on an address. Go: net.ListenConfig.

    Args:
        control: called as ``control(network, address, raw_conn)`` after the socket is created
            and before it is bound: set socket options there with
            ``raw_conn.control(lambda fd: ...)`` (IP_FREEBIND, SO_BINDTODEVICE...). network is
            family-specific ("tcp4", "tcp6", "udp4", "unix"...). An exception it raises fails
            the listen as the OpError's cause.
        keep_alive: keep-alive period in seconds for accepted TCP conns (default 15);
            negative disables.
        reuse_port: set SO_REUSEPORT before bind, so several sockets (in one process or many)
            can bind the same address and the kernel spreads connections among them.
        backlog: listen queue length for streams; default the kernel's somaxconn.
    """

    __slots__ = ("control", "keep_alive", "reuse_port", "backlog")

    def __init__(
        self,
        control: Control | None = None,
        keep_alive: float | None = None,
        reuse_port: bool = False,
        backlog: int | None = None,
    ) -> None:
        if control is not None and not callable(control):
            raise TypeError(f"control must be callable or None, not {type(control).__name__}")
        if keep_alive is not None and (
            isinstance(keep_alive, bool) or not isinstance(keep_alive, (int, float))
        ):
            raise TypeError(
                f"keep_alive must be a number of seconds or None, not {type(keep_alive).__name__}"
            )
        self.control = control
        self.keep_alive = DEFAULT_KEEP_ALIVE if keep_alive is None else float(keep_alive)
        self.reuse_port = bool(reuse_port)
        self.backlog = None if backlog is None else _check_backlog(backlog)

    def __repr__(self) -> str:
        return (
            f"ListenConfig(control={self.control!r}, keep_alive={self.keep_alive}, "
            f"reuse_port={self.reuse_port}, backlog={self.backlog})"
        )

    @overload
    def listen(
        self, network: Literal["tcp", "tcp4", "tcp6"], address: str, ctx: Context | None = None
    ) -> TCPListener: ...
    @overload
    def listen(
        self, network: Literal["unix", "unixpacket"], address: str, ctx: Context | None = None
    ) -> UnixListener: ...
    @overload
    def listen(self, network: str, address: str, ctx: Context | None = None) -> Listener: ...

    def listen(self, network: str, address: str, ctx: Context | None = None) -> Listener:
        """Announce on a local address, as listen() does, with this configuration's options.

        Args:
            network, address: as for listen().
            ctx: a gonet.context Context bounding the address lookup; a context that has
                already ended fails the listen with its error.

        Raises:
            OpError: as for listen(); a control hook's exception is its cause.

        Go: ListenConfig.Listen.
        """
        check_network("listen", network, address)
        backlog = _check_backlog(self.backlog)
        if network in TCP_NETS:
            return _listen_tcp(network, address, backlog, self.keep_alive, self, ctx)
        if network in ("unix", "unixpacket"):
            return _listen_unix(network, address, backlog, self)
        raise op_error("listen", network, None, None, AddrError("unexpected address type", address))

    @overload
    def listen_packet(
        self, network: Literal["udp", "udp4", "udp6"], address: str, ctx: Context | None = None
    ) -> UDPConn: ...
    @overload
    def listen_packet(
        self, network: Literal["unixgram"], address: str, ctx: Context | None = None
    ) -> UnixConn: ...
    @overload
    def listen_packet(self, network: str, address: str, ctx: Context | None = None) -> PacketConn: ...

    def listen_packet(self, network: str, address: str, ctx: Context | None = None) -> PacketConn:
        """Announce on a local address for datagrams, with this configuration's options.

        Raises:
            OpError: as for listen_packet(); a control hook's exception is its cause.

        Go: ListenConfig.ListenPacket.
        """
        check_network("listen", network, address)
        if network in UDP_NETS:
            return _listen_udp(network, address, self, ctx)
        if network == "unixgram":
            return _listen_unixgram(network, address, self)
        raise op_error("listen", network, None, None, AddrError("unexpected address type", address))


_DEFAULT = ListenConfig()


@overload
def listen(
    network: Literal["tcp", "tcp4", "tcp6"],
    address: str,
    *,
    backlog: int | None = None,
    keep_alive: float = DEFAULT_KEEP_ALIVE,
) -> TCPListener: ...
@overload
def listen(
    network: Literal["unix", "unixpacket"],
    address: str,
    *,
    backlog: int | None = None,
    keep_alive: float = DEFAULT_KEEP_ALIVE,
) -> UnixListener: ...
@overload
def listen(
    network: str, address: str, *, backlog: int | None = None, keep_alive: float = DEFAULT_KEEP_ALIVE
) -> Listener: ...


def listen(
    network: str, address: str, *, backlog: int | None = None, keep_alive: float = DEFAULT_KEEP_ALIVE
) -> Listener:
    """Announce on a local address: "tcp", "tcp4", "tcp6", "unix" or "unixpacket".

    Args:
        network: the network name.
        address: "host:port" (":0" picks a free port; an empty host, "0.0.0.0" or "[::]"
            listens on every address, IPv4 and IPv6 alike for "tcp"), or a socket path for
            Unix ("@name": abstract).
        backlog: listen queue length; default the kernel's somaxconn.
        keep_alive: keep-alive period for accepted TCP conns in seconds; negative disables.

    Raises:
        OpError: e.g. "listen tcp 127.0.0.1:80: bind: address already in use"; also an
            UnknownNetworkError/AddrError/DNSError/OSError according to the cause.

    Go: net.Listen.
    """
    check_network("listen", network, address)
    backlog = _check_backlog(backlog)
    if network in TCP_NETS:
        return _listen_tcp(network, address, backlog, keep_alive, _DEFAULT, None)
    if network in ("unix", "unixpacket"):
        return _listen_unix(network, address, backlog, _DEFAULT)
    raise op_error("listen", network, None, None, AddrError("unexpected address type", address))


@overload
def listen_packet(network: Literal["udp", "udp4", "udp6"], address: str) -> UDPConn: ...
@overload
def listen_packet(network: Literal["unixgram"], address: str) -> UnixConn: ...
@overload
def listen_packet(network: str, address: str) -> PacketConn: ...


def listen_packet(network: str, address: str) -> PacketConn:
    """Announce on a local address for datagrams: "udp", "udp4", "udp6" or "unixgram".

    Returns:
        An unconnected UDPConn or UnixConn: use read_from/write_to.

    Raises:
        OpError: as for listen().

    Go: net.ListenPacket.
    """
    return _DEFAULT.listen_packet(network, address)


def _favorite_addr(network: str, la: Any, cls: type[Any]) -> tuple[Any, bool]:
    """Return the address to bind and whether its socket is dual-stack (IPV6_V6ONLY off).

    "tcp"/"udp" with any wildcard ("", "0.0.0.0", "::") is one dual-stack "[::]" socket when
    the host can map IPv4 into IPv6, so IPv4 and IPv6 clients both reach it; "tcp4"/"udp4"
    bind IPv4 only, "tcp6"/"udp6" IPv6 only; a specific address binds that family alone.

    Go: favoriteAddrFamily (mode "listen").
    """
    wildcard = la.ip in ("", "0.0.0.0", "::")
    if network[-1] == "4":
        return (cls("0.0.0.0", la.port) if la.ip == "" else la), False
    if network[-1] == "6":
        return (cls("::", la.port) if la.ip == "" else la), False
    if wildcard and ipv6_supported():
        return cls("::", la.port), True
    return (cls("0.0.0.0", la.port) if la.ip == "" else la), False


def _resolve(network: str, address: str, cls: type[Any], ctx: Context | None) -> Any:
    """Resolve the address to listen on, bounded and aborted by ctx."""
    abort = Abort()
    stop = link_context(ctx, abort)
    try:
        if abort.err is not None:
            raise abort.err
        return internet_addr_list("listen", network, address, cls, context_deadline(ctx), abort)[0]
    except (AddrError, OSError) as e:
        raise op_error("listen", network, None, None, e) from e
    except Exception as e:
        if abort.err is not None:
            raise op_error("listen", network, None, None, abort.err) from e
        raise
    finally:
        if stop is not None:
            stop()


def _bind_ip(
    network: str, address: str, cls: type[Any], sotype: int, cfg: ListenConfig, ctx: Context | None
) -> tuple[socket.socket, Any]:
    """Resolve and bind an IP socket for listening; return (socket, requested address)."""
    la = _resolve(network, address, cls, ctx)
    bind_to, dual = _favorite_addr(network, la, cls)
    family, sa = addr_sockaddr(bind_to)
    syscall = "socket"
    sock = None
    try:
        sock = new_socket(family, sotype)
        syscall = "setsockopt"
        if sotype == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if cfg.reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        set_default_sockopts(sock, family, sotype, ipv6only=not dual)
        if cfg.control is not None:
            host = bind_to.ip if not bind_to.zone else f"{bind_to.ip}%{bind_to.zone}"
            run_control(cfg.control, ctrl_network(network, family), join_host_port(host, bind_to.port), sock)
        syscall = "bind"
        sock.bind(sa)
    except Exception as e:
        if sock is not None:
            sock.close()
        raise op_error("listen", network, None, la, e, syscall=_syscall(e, syscall)) from e
    return sock, la


def _listen_tcp(
    network: str, address: str, backlog: int, keep_alive: float, cfg: ListenConfig, ctx: Context | None
) -> TCPListener:
    sock, la = _bind_ip(network, address, TCPAddr, socket.SOCK_STREAM, cfg, ctx)
    try:
        sock.listen(backlog)
        bound = tcp_addr_of(sock.getsockname())
        fd = FD(sock)
    except OSError as e:
        sock.close()
        raise op_error("listen", network, None, la, e, syscall="listen") from e
    return TCPListener(fd, network, bound, keep_alive)


def _listen_udp(network: str, address: str, cfg: ListenConfig, ctx: Context | None) -> UDPConn:
    sock, la = _bind_ip(network, address, UDPAddr, socket.SOCK_DGRAM, cfg, ctx)
    try:
        bound = udp_addr_of(sock.getsockname())
        fd = FD(sock)
    except OSError as e:
        sock.close()
        raise op_error("listen", network, None, la, e, syscall="getsockname") from e
    return UDPConn(fd, network, bound, None, None, udp_addr_of)


def _bind_unix(network: str, address: str, cfg: ListenConfig) -> tuple[socket.socket, UnixAddr]:
    la = UnixAddr(address, network)
    if address == "":
        raise op_error("listen", network, None, None, AddrError("missing address"))
    syscall = "socket"
    sock = None
    try:
        sock = new_socket(socket.AF_UNIX, UNIX_TYPES[network])
        if cfg.control is not None:
            run_control(cfg.control, network, address, sock)
        syscall = "bind"
        sock.bind(unix_sockaddr(address))
    except Exception as e:
        if sock is not None:
            sock.close()
        raise op_error("listen", network, None, la, e, syscall=_syscall(e, syscall)) from e
    return sock, la


def _listen_unix(network: str, address: str, backlog: int, cfg: ListenConfig) -> UnixListener:
    sock, la = _bind_unix(network, address, cfg)
    try:
        sock.listen(backlog)
        fd = FD(sock)
    except OSError as e:
        sock.close()
        raise op_error("listen", network, None, la, e, syscall="listen") from e
    return UnixListener(fd, network, la)


def _listen_unixgram(network: str, address: str, cfg: ListenConfig) -> UnixConn:
    sock, la = _bind_unix(network, address, cfg)
    try:
        fd = FD(sock)
    except OSError as e:
        sock.close()
        raise op_error("listen", network, None, la, e) from e
    return UnixConn(fd, network, la, None, None, unix_addr_of(network))

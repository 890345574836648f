# gonet.net._dial: listen, dial and Dialer (Go: net/dial.go, sock_posix.go, ipsock_posix.go).
#
# Turns (network, address) into a socket: validate the network, resolve the address (literal IPs
# without a lookup, names on the thread pool), create a non-blocking close-on-exec socket, then
# bind+listen or connect through the fd layer. Every failure leaves as one OpError("listen" or
# "dial", ...) and closes whatever socket was half made.
from __future__ import annotations

import socket
from typing import Any

from gonet._poll import FD
from gonet.errors import AddrError, DeadlineExceededError, UnknownNetworkError, op_error
from gonet.net._ipsock import TCPAddr, parse_ip, parse_port, split_host_port
from gonet.net._lookup import lookup_ip_addrs
from gonet.net._net import Conn, Listener
from gonet.net._tcpsock import DEFAULT_KEEP_ALIVE, TCPConn, TCPListener, set_keep_alive_opts, tcp_addr_of
from gonet.net._unixsock import UNIX_TYPES, UnixAddr, UnixConn, UnixListener, unix_addr_of, unix_sockaddr
from gonet.runtime import now

__all__ = ["listen", "dial", "Dialer", "max_listener_backlog"]

TCP_NETS = ("tcp", "tcp4", "tcp6")
UDP_NETS = ("udp", "udp4", "udp6")
KNOWN_NETS = TCP_NETS + UDP_NETS + ("unix", "unixgram", "unixpacket", "ip", "ip4", "ip6")

_backlog: int | None = None


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


def _check_network(op: str, network: Any, address: Any) -> None:
    if not isinstance(network, str):
        raise TypeError(f"network must be str, not {type(network).__name__}")
    if not isinstance(address, str):
        raise TypeError(f"address must be str, not {type(address).__name__}")
    if network not in KNOWN_NETS:
        raise op_error(op, network, None, None, UnknownNetworkError(network))


def _family_for(network: str) -> int:
    if network.endswith("4"):
        return socket.AF_INET
    if network.endswith("6"):
        return socket.AF_INET6
    return socket.AF_UNSPEC


def _resolve_tcp(op: str, network: str, address: str, deadline: float | None) -> list[TCPAddr]:
    """Resolve "host:port" to candidate TCPAddrs for network. Raises AddrError or DNSError."""
    host, port_s = split_host_port(address)
    port = parse_port(network, port_s)
    want = _family_for(network)
    if host == "":
        if op == "listen":
            return [TCPAddr("" if want == socket.AF_UNSPEC else ("0.0.0.0" if want == socket.AF_INET else "::"), port)]
        host = "::1" if want == socket.AF_INET6 else "127.0.0.1"  # dial ":80" means this host
    lit = parse_ip(host)
    if lit is not None:
        fam, ip, zone = lit
        if want != socket.AF_UNSPEC and fam != want:
            raise AddrError("no suitable address found", host)
        if op == "dial" and ip in ("0.0.0.0", "::"):
            ip = "127.0.0.1" if fam == socket.AF_INET else "::1"
        return [TCPAddr(ip, port, zone)]
    addrs = lookup_ip_addrs(host, want, deadline)
    out = [TCPAddr(ip, port, zone) for _fam, ip, zone in addrs]
    if op == "listen":  # Go listens on the first IPv4 address, if any
        out.sort(key=lambda a: ":" in a.ip)
    return out


def _sockaddr(a: TCPAddr) -> tuple[int, Any]:
    if ":" in a.ip:
        scope = 0
        if a.zone:
            try:
                scope = socket.if_nametoindex(a.zone)
            except OSError:
                scope = int(a.zone) if a.zone.isdigit() else 0
        return socket.AF_INET6, (a.ip, a.port, 0, scope)
    return socket.AF_INET, (a.ip, a.port)


def _new_socket(family: int, sotype: int) -> socket.socket:
    return socket.socket(family, sotype | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC)


def _ipv6_supported() -> bool:
    return socket.has_ipv6 and _probe_v6()


_v6: bool | None = None


def _probe_v6() -> bool:
    global _v6
    if _v6 is None:
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                s.bind(("::", 0))
            _v6 = True
        except OSError:
            _v6 = False
    return _v6


# -- listen ------------------------------------------------------------------------------------

def listen(network: str, address: str, *, backlog: int | None = None,
           keep_alive: float = DEFAULT_KEEP_ALIVE) -> Listener:
    """Announce on a local address: "tcp", "tcp4", "tcp6", "unix" or "unixpacket".

    Args:
        network: the network name.
        address: "host:port" (":0" picks a free port; an empty host listens on every address,
            dual-stack for "tcp"), or a socket path for Unix ("@name": abstract).
        backlog: listen queue length; default the kernel's somaxconn.
        keep_alive: keep-alive period for accepted TCP conns in seconds; negative disables.

    Raises:
        OpError: e.g. "listen tcp 127.0.0.1:80: bind: address already in use"; also an
            UnknownNetworkError/AddrError/DNSError/OSError according to the cause.

    Go: net.Listen.
    """
    _check_network("listen", network, address)
    if backlog is None:
        backlog = max_listener_backlog()
    elif not isinstance(backlog, int) or backlog < 0:
        raise ValueError(f"backlog must be a non-negative int, got {backlog!r}")
    if network in TCP_NETS:
        return _listen_tcp(network, address, backlog, keep_alive)
    if network in ("unix", "unixpacket"):
        return _listen_unix(network, address, backlog)
    raise op_error("listen", network, None, None, AddrError("unexpected address type", address))


def _listen_tcp(network: str, address: str, backlog: int, keep_alive: float) -> TCPListener:
    try:
        addrs = _resolve_tcp("listen", network, address, None)
    except (AddrError, OSError) as e:
        raise op_error("listen", network, None, None, e) from e
    la = addrs[0]
    wildcard_dual = la.ip == "" and network == "tcp"
    if la.ip == "":
        la = TCPAddr("::" if _ipv6_supported() else "0.0.0.0", la.port)
        wildcard_dual = la.ip == "::"
    family, sa = _sockaddr(la)
    syscall = "socket"
    sock = None
    try:
        sock = _new_socket(family, socket.SOCK_STREAM)
        syscall = "setsockopt"
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if wildcard_dual else 1)
        syscall = "bind"
        sock.bind(sa)
        syscall = "listen"
        sock.listen(backlog)
        bound = tcp_addr_of(sock.getsockname())
        fd = FD(sock)
    except OSError as e:
        if sock is not None:
            sock.close()
        raise op_error("listen", network, None, la, e, syscall=syscall) from e
    ln = TCPListener(fd, network, bound, keep_alive)
    fd.pd.info = ln
    return ln


def _listen_unix(network: str, address: str, backlog: int) -> UnixListener:
    la = UnixAddr(address, network)
    if address == "":
        raise op_error("listen", network, None, None, AddrError("missing address"))
    syscall = "socket"
    sock = None
    try:
        sock = _new_socket(socket.AF_UNIX, UNIX_TYPES[network])
        syscall = "bind"
        sock.bind(unix_sockaddr(address))
        syscall = "listen"
        sock.listen(backlog)
        fd = FD(sock)
    except OSError as e:
        if sock is not None:
            sock.close()
        raise op_error("listen", network, None, la, e, syscall=syscall) from e
    ln = UnixListener(fd, network, la)
    fd.pd.info = ln
    return ln


# -- dial --------------------------------------------------------------------------------------

def _partial_deadline(now_: float, deadline: float | None, remaining: int) -> float | None:
    """Share the time left among the addresses left, at least 2 s each. Go: partialDeadline."""
    if deadline is None:
        return None
    left = deadline - now_
    if left <= 0:
        raise DeadlineExceededError()
    share = left / remaining
    if share < 2.0:
        share = min(left, 2.0)
    return now_ + share


class Dialer:
    """Options for connecting to an address. Go: net.Dialer.

    Args:
        timeout: seconds the whole dial may take, name lookup included; None: no limit.
        deadline: absolute time (gonet.now() clock) by which the dial must finish.
        local_addr: "host:port" to bind before connecting (TCP), or a Unix path.
        keep_alive: keep-alive period in seconds for TCP (default 15); negative disables.
    """

    def __init__(self, timeout: float | None = None, deadline: float | None = None,
                 local_addr: str | None = None, keep_alive: float = DEFAULT_KEEP_ALIVE) -> None:
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise TypeError(f"timeout must be a number of seconds or None, not {type(timeout).__name__}")
        self.timeout = timeout
        self.deadline = deadline
        self.local_addr = local_addr
        self.keep_alive = keep_alive

    def _deadline(self) -> float | None:
        d = self.deadline
        if self.timeout is not None:
            t = now() + self.timeout
            d = t if d is None else min(d, t)
        return d

    def dial(self, network: str, address: str) -> Conn:
        """Connect to address on network ("tcp", "tcp4", "tcp6", "unix", "unixpacket").

        Raises:
            OpError: e.g. "dial tcp 127.0.0.1:1: connect: connection refused" (also a
                ConnectionRefusedError), "dial tcp 10.0.0.1:80: i/o timeout" (a TimeoutError).

        Go: Dialer.Dial.
        """
        _check_network("dial", network, address)
        if address == "":
            raise op_error("dial", network, None, None, AddrError("missing address"))
        deadline = self._deadline()
        if network in TCP_NETS:
            return self._dial_tcp(network, address, deadline)
        if network in ("unix", "unixpacket"):
            return self._dial_unix(network, address, deadline)
        raise op_error("dial", network, None, None, AddrError("unexpected address type", address))

    def _dial_tcp(self, network: str, address: str, deadline: float | None) -> TCPConn:
        try:
            addrs = _resolve_tcp("dial", network, address, deadline)
        except (AddrError, OSError) as e:
            raise op_error("dial", network, None, None, e) from e
        local = None
        if self.local_addr is not None:
            try:
                local = _resolve_tcp("listen", network, self.local_addr, deadline)[0]
            except (AddrError, OSError) as e:
                raise op_error("dial", network, None, None, e) from e
        first: BaseException | None = None
        for i, ra in enumerate(addrs):
            try:
                part = _partial_deadline(now(), deadline, len(addrs) - i)
                return self._connect_tcp(network, ra, local, part)
            except OSError as e:
                if first is None:
                    first = e
                if isinstance(e, DeadlineExceededError) and deadline is not None and now() >= deadline:
                    break
        assert first is not None
        raise first

    def _connect_tcp(self, network: str, ra: TCPAddr, local: TCPAddr | None,
                     deadline: float | None) -> TCPConn:
        family, sa = _sockaddr(ra)
        syscall = "socket"
        sock = None
        fd = None
        try:
            sock = _new_socket(family, socket.SOCK_STREAM)
            syscall = "setsockopt"
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.keep_alive >= 0:
                set_keep_alive_opts(sock, self.keep_alive)
            if local is not None:
                syscall = "bind"
                sock.bind(_sockaddr(local)[1] if local.ip else ("", local.port))
            syscall = "connect"
            fd = FD(sock, register=False)
            fd.connect(sa, deadline)
        except OSError as e:
            if fd is not None:
                if not fd.closing:
                    fd.close()
            elif sock is not None:
                sock.close()
            raise op_error("dial", network, local, ra, e, syscall=syscall) from e
        conn = TCPConn(fd, network, None, ra, None, tcp_addr_of)
        fd.pd.info = conn
        return conn

    def _dial_unix(self, network: str, address: str, deadline: float | None) -> UnixConn:
        ra = UnixAddr(address, network)
        syscall = "socket"
        sock = None
        fd = None
        try:
            sock = _new_socket(socket.AF_UNIX, UNIX_TYPES[network])
            if self.local_addr:
                syscall = "bind"
                sock.bind(unix_sockaddr(self.local_addr))
            syscall = "connect"
            fd = FD(sock, register=False)
            fd.connect(unix_sockaddr(address), deadline)
        except OSError as e:
            if fd is not None:
                if not fd.closing:
                    fd.close()
            elif sock is not None:
                sock.close()
            raise op_error("dial", network, None, ra, e, syscall=syscall) from e
        conn = UnixConn(fd, network, None, ra, None, unix_addr_of(network))
        fd.pd.info = conn
        return conn


def dial(network: str, address: str, timeout: float | None = None, *,
         deadline: float | None = None, local_addr: str | None = None) -> Conn:
    """Connect to address on network; see Dialer for the options. Go: net.Dial / DialTimeout."""
    return Dialer(timeout=timeout, deadline=deadline, local_addr=local_addr).dial(network, address)

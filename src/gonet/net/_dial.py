# gonet.net._dial: dial and Dialer (Go: net/dial.go, tcpsock_posix.go, udpsock_posix.go,
# unixsock_posix.go).
#
# A dial resolves the address (names on the thread pool, bounded by the dial's deadline), then
# connects:
# - serially over the candidate addresses, each given a fair share of the time left (at least
#   2 s), the FIRST error reported if all fail (Go: dialSerial, partialDeadline);
# - for "tcp" with both IPv6 and IPv4 candidates, Happy Eyeballs: the first address's family
#   races alone for fallback_delay (300 ms), then the other family joins; the first success
#   wins and the loser is aborted and closed (Go: dialParallel);
# - TCP with a kernel-chosen local port retries up to twice when it connected to itself or got
#   a spurious EADDRNOTAVAIL (Go: doDialTCPProto).
#
# The effective deadline is the earliest of timeout, deadline and the context's deadline. A
# context ending mid-dial aborts it (see _ctx.py, _sock_posix.py) and the dial raises an OpError
# that is also an instance of the context's error; a context ending after the dial returned
# does not touch the conn. Every failure is one OpError("dial", ...), with half-made sockets
# closed.
from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, overload

from gonet.errors import AddrError, DeadlineExceededError, op_error
from gonet.net._ctx import Abort, context_deadline, link_context, map_err
from gonet.net._iface import Conn
from gonet.net._ipsock import TCPAddr, UDPAddr, addr_sockaddr, ip_sockaddr, is_ipv4, partition
from gonet.net._listen import Control, check_network, ctrl_network, run_control
from gonet.net._lookup import Resolver
from gonet.net._net import SocketConn, check_deadline
from gonet.net._resolve import TCP_NETS, UDP_NETS, internet_addr_list
from gonet.net._sock_posix import dial_socket, is_self_connect, set_default_sockopts
from gonet.net._tcpsock import DEFAULT_KEEP_ALIVE, TCPConn, set_keep_alive_opts, tcp_addr_of
from gonet.net._udpsock import UDPConn, udp_addr_of
from gonet.net._unixsock import UNIX_TYPES, UnixAddr, UnixConn, unix_addr_of, unix_sockaddr
from gonet.runtime import current, go, now

if TYPE_CHECKING:  # a type only: net does not import gonet.context at run time (see _ctx.py)
    from gonet.context import Context

__all__ = ["Dialer", "dial", "DEFAULT_FALLBACK_DELAY"]

# Go: defaultFallbackDelay — how long the primary family races alone.
DEFAULT_FALLBACK_DELAY = 0.3


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


def _number(name: str, v: Any, allow_none: bool = True) -> float | None:
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(
            f"{name} must be a number of seconds{' or None' if allow_none else ''}, not {type(v).__name__}"
        )
    return float(v)


class _LostRace(Exception):
    """The abort error of a Happy Eyeballs racer whose rival won; never seen by callers."""


class Dialer:
    """Options for connecting to an address. Go: net.Dialer.

    Args:
        timeout: seconds the whole dial may take, name lookup included; None: no limit.
        deadline: absolute time (gonet.now() clock) by which the dial must finish.
        local_addr: "host:port" to bind before connecting (TCP/UDP), or a Unix path.
        keep_alive: keep-alive period in seconds for TCP (default 15); negative disables.
        fallback_delay: how long IPv6 (or whichever family resolved first) races alone before
            the other family joins, for "tcp" (Happy Eyeballs); None: 300 ms; negative: no
            racing, addresses are tried one after another.
        resolver: the Resolver for host names; None: the default (system) resolver.
        control: called as ``control(network, address, raw_conn)`` after each socket is
            created and before it is bound or connected (network family-specific: "tcp4",
            "tcp6", "udp4", "unix"...; address the remote one); set socket options with
            ``raw_conn.control(lambda fd: ...)``. An exception it raises fails that attempt
            and is the OpError's cause.
    """

    def __init__(
        self,
        timeout: float | None = None,
        deadline: float | None = None,
        local_addr: str | None = None,
        keep_alive: float = DEFAULT_KEEP_ALIVE,
        fallback_delay: float | None = None,
        resolver: Resolver | None = None,
        control: Control | None = None,
    ) -> None:
        self.timeout = _number("timeout", timeout)
        self.deadline = check_deadline(deadline)
        if local_addr is not None and not isinstance(local_addr, str):
            raise TypeError(f"local_addr must be str or None, not {type(local_addr).__name__}")
        self.local_addr = local_addr
        self.keep_alive = _number("keep_alive", keep_alive, allow_none=False)
        self.fallback_delay = _number("fallback_delay", fallback_delay)
        if resolver is not None and not isinstance(resolver, Resolver):
            raise TypeError(f"resolver must be a net.Resolver, not {type(resolver).__name__}")
        self.resolver = resolver
        if control is not None and not callable(control):
            raise TypeError(f"control must be callable or None, not {type(control).__name__}")
        self.control = control

    def _deadline(self, ctx: Context | None) -> float | None:
        """The earliest of timeout, deadline and the context's deadline. Go: Dialer.deadline."""
        ds = [d for d in (self.deadline, context_deadline(ctx)) if d is not None]
        if self.timeout is not None:
            ds.append(now() + self.timeout)
        return min(ds) if ds else None

    # -- the entry point -------------------------------------------------------------------------

    @overload
    def dial(
        self, network: Literal["tcp", "tcp4", "tcp6"], address: str, ctx: Context | None = None
    ) -> TCPConn: ...
    @overload
    def dial(
        self, network: Literal["udp", "udp4", "udp6"], address: str, ctx: Context | None = None
    ) -> UDPConn: ...
    @overload
    def dial(
        self, network: Literal["unix", "unixgram", "unixpacket"], address: str, ctx: Context | None = None
    ) -> UnixConn: ...
    @overload
    def dial(self, network: str, address: str, ctx: Context | None = None) -> Conn: ...

    def dial(self, network: str, address: str, ctx: Context | None = None) -> Conn:
        """Connect to address on network.

        Args:
            network: "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "unix", "unixgram" or
                "unixpacket".
            address: "host:port" ("[v6]:port"), or a socket path for Unix.
            ctx: a gonet.context Context: cancelling it aborts the dial; its deadline bounds it.

        Returns:
            A TCPConn, a connected UDPConn, or a UnixConn.

        Raises:
            OpError: e.g. "dial tcp 127.0.0.1:1: connect: connection refused" (also a
                ConnectionRefusedError), "dial tcp 10.0.0.1:80: i/o timeout" (a
                TimeoutError); after a context ended, also an instance of ctx.err()'s class,
                in Go's words: "dial tcp 10.0.0.1:80: operation was canceled" (Canceled),
                "dial tcp 10.0.0.1:80: i/o timeout" (DeadlineExceeded).

        Go: Dialer.DialContext.
        """
        check_network("dial", network, address)
        if address == "":
            raise op_error("dial", network, None, None, AddrError("missing address"))
        deadline = self._deadline(ctx)
        abort = Abort()
        stop = link_context(ctx, abort)
        try:
            conn = self._dial(network, address, deadline, abort)
        except BaseException:
            if stop is not None:
                stop()
            raise
        if stop is not None and not stop():
            # The context ended just as the dial succeeded: the conn may be poisoned by the
            # abort (a write deadline in the past), so undo it and report the context's error.
            raddr = conn.remote_addr()
            conn.close()
            err = ctx.err() if ctx is not None else None
            assert err is not None  # stop() failed only because the context has ended
            raise op_error("dial", network, None, raddr, map_err(err))
        return conn

    def _dial(self, network: str, address: str, deadline: float | None, abort: Abort) -> SocketConn:
        if network in TCP_NETS or network in UDP_NETS:
            cls: type[TCPAddr | UDPAddr] = TCPAddr if network in TCP_NETS else UDPAddr
            try:
                addrs = internet_addr_list("dial", network, address, cls, deadline, abort, self.resolver)
                local = None
                if self.local_addr is not None:
                    local = internet_addr_list(
                        "listen", network, self.local_addr, cls, deadline, abort, self.resolver
                    )[0]
            except Exception as e:
                # The lookup's own wording of the abort ("lookup x: operation was canceled")
                # names the host; any other failure after an abort is the abort's doing.
                cause = e if abort.err is None or isinstance(e, type(abort.err)) else abort.err
                raise op_error("dial", network, None, None, cause) from e
            if local is not None and local.ip not in ("", "0.0.0.0", "::"):
                # Only remote addresses of the local address's family can be reached from it.
                addrs = [a for a in addrs if is_ipv4(a) == is_ipv4(local)]
                if not addrs:
                    raise op_error(
                        "dial", network, local, None, AddrError("no suitable address found", address)
                    )
            if network == "tcp" and (self.fallback_delay is None or self.fallback_delay >= 0):
                primaries, fallbacks = partition(addrs)
            else:
                primaries, fallbacks = addrs, []
            return self._dial_parallel(network, primaries, fallbacks, local, deadline, abort)
        if network in UNIX_TYPES:
            return self._dial_unix(network, address, deadline, abort)
        raise op_error("dial", network, None, None, AddrError("unexpected address type", address))

    # -- Happy Eyeballs ------------------------------------------------------------------------

    def _dial_parallel(  # noqa: C901 - one race loop
        self,
        network: str,
        primaries: list[Any],
        fallbacks: list[Any],
        local: Any,
        deadline: float | None,
        abort: Abort,
    ) -> SocketConn:
        """Race primaries against fallbacks started fallback_delay later. Go: dialParallel."""
        if not fallbacks:
            return self._dial_serial(network, primaries, local, deadline, abort)
        race = _Race()
        delay = DEFAULT_FALLBACK_DELAY if self.fallback_delay is None else self.fallback_delay
        aborts = {True: Abort(abort)}
        go(self._racer, race, True, network, primaries, local, deadline, aborts[True])
        timer = race.sched.timers.new(race.timer_fired)
        timer.reset(now() + delay)
        primary_err: BaseException | None = None
        done = {True: False, False: False}
        try:
            while True:
                if race.fallback_due and False not in aborts and abort.err is None:
                    aborts[False] = Abort(abort)
                    go(self._racer, race, False, network, fallbacks, local, deadline, aborts[False])
                if not race.results:
                    race.wait()
                    continue
                conn, err, primary = race.results.pop(0)
                if conn is not None:
                    return conn
                done[primary] = True
                if primary:
                    primary_err = err
                if done[True] and done[False]:
                    assert primary_err is not None
                    raise primary_err
                if primary and False not in aborts:
                    if abort.err is not None:
                        raise primary_err  # type: ignore[misc]
                    race.fallback_due = True  # the primary failed: no reason to wait
        finally:
            timer.stop()
            race.returned = True
            for a in aborts.values():
                a.cancel(_LostRace())
            for conn, _err, _primary in race.results:
                if conn is not None:
                    conn.close()
            race.results.clear()

    def _racer(
        self,
        race: _Race,
        primary: bool,
        network: str,
        addrs: list[Any],
        local: Any,
        deadline: float | None,
        abort: Abort,
    ) -> None:
        try:
            conn = self._dial_serial(network, addrs, local, deadline, abort)
        except Exception as e:  # noqa: BLE001 - reported to the dialer, never a panic
            race.report(None, e, primary)
        else:
            race.report(conn, None, primary)

    # -- one address after another ---------------------------------------------------------------

    def _dial_serial(
        self, network: str, addrs: list[Any], local: Any, deadline: float | None, abort: Abort
    ) -> SocketConn:
        """Try each address in turn with its share of the time left. Go: dialSerial."""
        first: BaseException | None = None
        for i, ra in enumerate(addrs):
            if abort.err is not None:
                raise op_error("dial", network, local, ra, abort.err)
            try:
                part = _partial_deadline(now(), deadline, len(addrs) - i)
            except DeadlineExceededError as e:
                if first is None:
                    first = op_error("dial", network, local, ra, e)
                break
            try:
                if network in TCP_NETS:
                    return self._dial_tcp(network, ra, local, part, abort)
                return self._dial_udp(network, ra, local, part, abort)
            except OSError as e:
                if first is None:
                    first = e
        if first is None:
            first = op_error("dial", network, None, None, AddrError("missing address"))
        raise first

    def _error(self, network: str, local: Any, ra: Any, e: BaseException, abort: Abort) -> OSError:
        if abort.err is not None:
            return op_error("dial", network, local, ra, abort.err)
        return op_error("dial", network, local, ra, e, syscall=getattr(e, "syscall", None))

    def _setup(self, network: str, ra: Any, family: int) -> Callable[[socket.socket], None]:
        """Return the per-socket setup: Go's defaults for the network, then the control hook."""
        control = self.control

        def setup(sock: socket.socket) -> None:
            if network in TCP_NETS:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self.keep_alive is not None and self.keep_alive >= 0:
                    set_keep_alive_opts(sock, self.keep_alive)
            elif network in UDP_NETS:
                set_default_sockopts(sock, family, socket.SOCK_DGRAM, False)
            if control is not None:
                run_control(control, ctrl_network(network, family), str(ra), sock)

        return setup

    def _dial_tcp(
        self, network: str, ra: TCPAddr, local: TCPAddr | None, deadline: float | None, abort: Abort
    ) -> TCPConn:
        """Connect one TCP socket, retrying a self-connect. Go: sysDialer.doDialTCPProto."""
        try:
            family, rsa = addr_sockaddr(ra)
            lsa = None if local is None else ip_sockaddr(family, local.ip, local.port, local.zone)
        except AddrError as e:
            raise op_error("dial", network, local, ra, e) from e
        may_retry = local is None or local.port == 0
        attempt = 0
        while True:
            try:
                fd = dial_socket(
                    family, socket.SOCK_STREAM, rsa, lsa, deadline, abort, self._setup(network, ra, family)
                )
            except Exception as e:
                if (
                    may_retry
                    and attempt < 2
                    and abort.err is None
                    and getattr(e, "errno", None) == errno.EADDRNOTAVAIL
                ):
                    attempt += 1
                    continue
                raise self._error(network, local, ra, e, abort) from e
            selfc, la = is_self_connect(fd)
            if selfc and may_retry and attempt < 2:
                fd.close()
                attempt += 1
                continue
            return TCPConn(fd, network, tcp_addr_of(la) if la else None, ra, None, tcp_addr_of)

    def _dial_udp(
        self, network: str, ra: UDPAddr, local: UDPAddr | None, deadline: float | None, abort: Abort
    ) -> UDPConn:
        try:
            family, rsa = addr_sockaddr(ra)
            lsa = None if local is None else ip_sockaddr(family, local.ip, local.port, local.zone)
        except AddrError as e:
            raise op_error("dial", network, local, ra, e) from e
        try:
            fd = dial_socket(
                family,
                socket.SOCK_DGRAM,
                rsa,
                lsa,
                deadline,
                abort,
                self._setup(network, ra, family),
            )
        except Exception as e:
            raise self._error(network, local, ra, e, abort) from e
        return UDPConn(fd, network, None, ra, None, udp_addr_of, connected=True)

    def _dial_unix(self, network: str, address: str, deadline: float | None, abort: Abort) -> UnixConn:
        ra = UnixAddr(address, network)
        local = None if not self.local_addr else unix_sockaddr(self.local_addr)
        try:
            fd = dial_socket(
                socket.AF_UNIX,
                UNIX_TYPES[network],
                unix_sockaddr(address),
                local,
                deadline,
                abort,
                self._setup(network, ra, socket.AF_UNIX),
            )
        except Exception as e:
            raise self._error(network, None, ra, e, abort) from e
        la = UnixAddr(self.local_addr, network) if self.local_addr else None
        return UnixConn(fd, network, la, ra, None, unix_addr_of(network), connected=True)


class _Race:
    """Where Happy Eyeballs racers report to the parked dialer (Go: dialParallel's channels)."""

    __slots__ = ("sched", "g", "results", "parked", "returned", "fallback_due")

    def __init__(self) -> None:
        self.sched = current()
        self.g = self.sched.running()
        self.results: list[tuple[SocketConn | None, BaseException | None, bool]] = []
        self.parked = False
        self.returned = False
        self.fallback_due = False

    def report(self, conn: Any, err: BaseException | None, primary: bool) -> None:
        """Deliver a racer's outcome; a winner arriving after the dial returned is closed."""
        if self.returned:
            if conn is not None:
                conn.close()
            return
        self.results.append((conn, err, primary))
        self._wake()

    def timer_fired(self, _arg: Any = None) -> None:
        """Fallback timer callback (runs on the hub): let the fallback family start."""
        self.fallback_due = True
        self._wake()

    def _wake(self) -> None:
        if self.parked:
            self.parked = False
            self.sched.ready(self.g)

    def describe_wait(self, g: Any, now: float) -> str:
        """Say how far the race has got, for a goroutine dump (the runtime's WaitObject)."""
        late = ", fallback family due" if self.fallback_due else ""
        return f"dial race (Happy Eyeballs), {len(self.results)} attempt(s) reported{late}"

    def wait(self) -> None:
        """Park the dialer until a racer reports or the fallback timer fires."""
        self.parked = True
        try:
            self.sched.park("select", self)
        finally:
            self.parked = False


@overload
def dial(
    network: Literal["tcp", "tcp4", "tcp6"],
    address: str,
    timeout: float | None = None,
    *,
    deadline: float | None = None,
    local_addr: str | None = None,
    ctx: Context | None = None,
) -> TCPConn: ...
@overload
def dial(
    network: Literal["udp", "udp4", "udp6"],
    address: str,
    timeout: float | None = None,
    *,
    deadline: float | None = None,
    local_addr: str | None = None,
    ctx: Context | None = None,
) -> UDPConn: ...
@overload
def dial(
    network: Literal["unix", "unixgram", "unixpacket"],
    address: str,
    timeout: float | None = None,
    *,
    deadline: float | None = None,
    local_addr: str | None = None,
    ctx: Context | None = None,
) -> UnixConn: ...
@overload
def dial(
    network: str,
    address: str,
    timeout: float | None = None,
    *,
    deadline: float | None = None,
    local_addr: str | None = None,
    ctx: Context | None = None,
) -> Conn: ...


def dial(
    network: str,
    address: str,
    timeout: float | None = None,
    *,
    deadline: float | None = None,
    local_addr: str | None = None,
    ctx: Context | None = None,
) -> Conn:
    """Connect to address on network; see Dialer for the options. Go: net.Dial / DialTimeout.

    Args:
        network, address: as for Dialer.dial.
        timeout: seconds the dial may take, lookup included.
        deadline: absolute time (gonet.now() clock) to finish by.
        local_addr: local address to bind first.
        ctx: a gonet.context Context that aborts the dial when done.
    """
    return Dialer(timeout=timeout, deadline=deadline, local_addr=local_addr).dial(network, address, ctx=ctx)

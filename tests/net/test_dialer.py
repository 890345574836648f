"""net.Dialer: timeouts covering DNS, several addresses, Happy Eyeballs, self-connect, options."""

from __future__ import annotations

import errno
import socket
import threading
import time

import pytest
from helpers import blackhole, held_closed_port, ipv6_loopback

import gonet
from gonet import net
from gonet.net import _dial

HAS_V6 = ipv6_loopback()  # checked once: is ::1 usable on this machine's lo?
needs_v6 = pytest.mark.skipif(not HAS_V6, reason="no IPv6 on the loopback interface")


def fake_resolver(table: dict[str, list[str]], gate: threading.Event | None = None) -> net.Resolver:
    """A Resolver answering from table (in order); with gate, each lookup waits for it first."""

    def gai(host, port, family=0, type=0, proto=0, flags=0):
        if gate is not None:
            gate.wait(10)
        out = []
        for ip in table.get(host, []):
            fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
            if family in (0, fam):
                sa = (ip, 0, 0, 0) if fam == socket.AF_INET6 else (ip, 0)
                out.append((fam, socket.SOCK_STREAM, 6, "", sa))
        if not out:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return out

    return net.Resolver(getaddrinfo=gai)


def v4_and_v6_on_one_port():
    """A gonet IPv4 listener plus a port number also free on ::1."""
    for _ in range(20):
        ln = net.listen("tcp4", "127.0.0.1:0")
        port = ln.addr().port
        probe = socket.socket(socket.AF_INET6)
        try:
            probe.bind(("::1", port))
            return ln, port
        except OSError:
            ln.close()
        finally:
            probe.close()
    pytest.skip("could not find a port free on both 127.0.0.1 and ::1")


# -- basics and options ------------------------------------------------------------------------


def test_dialled_tcp_conn_has_nodelay_and_keepalive() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    try:
        with net.Dialer().dial("tcp", str(ln.addr())) as c:
            rc = c.syscall_conn()

            def opt(level: int, name: int) -> int:
                return rc.control(lambda fd: _getsockopt(fd, level, name))  # type: ignore[no-any-return]

            assert opt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
            assert opt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert opt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 15
        with net.Dialer(keep_alive=-1).dial("tcp", str(ln.addr())) as c:
            assert (
                c.syscall_conn().control(lambda fd: _getsockopt(fd, socket.SOL_SOCKET, socket.SO_KEEPALIVE))
                == 0
            )
    finally:
        ln.close()


def _getsockopt(fd: int, level: int, opt: int) -> int:
    s = socket.socket(fileno=fd)
    try:
        return s.getsockopt(level, opt)
    finally:
        s.detach()


def test_local_addr_is_bound() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    try:
        with net.Dialer(local_addr="127.0.0.1:0").dial("tcp", str(ln.addr())) as c:
            assert c.local_addr().ip == "127.0.0.1"
            s = ln.accept()
            assert s.remote_addr() == c.local_addr()
            s.close()
    finally:
        ln.close()


def test_dialer_rejects_bad_options() -> None:
    with pytest.raises(TypeError, match="timeout must be a number"):
        net.Dialer(timeout="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="local_addr must be str"):
        net.Dialer(local_addr=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="deadline must be a float"):
        net.Dialer(deadline="now")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="resolver must be a net.Resolver"):
        net.Dialer(resolver=object())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("network", "address", "exc", "text"),
    [
        ("tcp7", "127.0.0.1:1", net.UnknownNetworkError, "dial tcp7: unknown network tcp7"),
        ("tcp", "127.0.0.1", net.AddrError, "dial tcp: address 127.0.0.1: missing port in address"),
        ("tcp", "", net.AddrError, "dial tcp: missing address"),
        ("tcp", "127.0.0.1:99999", net.AddrError, "dial tcp: address 99999: invalid port"),
        (
            "tcp",
            "127.0.0.1:no-such-service",
            net.DNSError,
            "dial tcp: lookup tcp/no-such-service: unknown port",
        ),
        ("tcp4", "[::1]:80", net.AddrError, "dial tcp4: address ::1: no suitable address found"),
        ("ip", "127.0.0.1", net.AddrError, "dial ip: address 127.0.0.1: unexpected address type"),
    ],
)
def test_dial_bad_input_gets_a_clear_error(network, address, exc, text) -> None:
    with pytest.raises(exc) as ei:
        net.dial(network, address)
    assert isinstance(ei.value, net.OpError)
    assert str(ei.value) == text


def test_dial_wrong_types() -> None:
    with pytest.raises(TypeError, match="address must be str"):
        net.dial("tcp", ("127.0.0.1", 80))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="network must be str"):
        net.dial(None, "127.0.0.1:80")  # type: ignore[arg-type]


# -- time limits -------------------------------------------------------------------------------


def test_timeout_covers_dns() -> None:
    gate = threading.Event()
    r = fake_resolver({"slow.test": ["127.0.0.1"]}, gate)
    try:
        with pytest.raises(TimeoutError) as ei:
            net.Dialer(timeout=0.1, resolver=r).dial("tcp", "slow.test:80")
        e = ei.value
        assert isinstance(e, net.OpError)
        assert isinstance(e, net.DNSError)
        assert e.err.is_timeout
        assert str(e) == "dial tcp: lookup slow.test: i/o timeout"
    finally:
        gate.set()


def test_expired_deadline_fails_at_once() -> None:
    s, port = held_closed_port()
    with s:
        with pytest.raises(TimeoutError) as ei:
            net.Dialer(deadline=gonet.now() - 1).dial("tcp", f"127.0.0.1:{port}")
        assert str(ei.value) == f"dial tcp 127.0.0.1:{port}: i/o timeout"


def test_connect_timeout_against_a_blackhole() -> None:
    with blackhole(socket.AF_INET, "127.0.0.1") as port:
        with pytest.raises(TimeoutError) as ei:
            net.dial("tcp", f"127.0.0.1:{port}", timeout=0.2)
        assert str(ei.value) == f"dial tcp 127.0.0.1:{port}: i/o timeout"


def test_partial_deadline_shares_time_with_a_two_second_floor() -> None:
    assert _dial._partial_deadline(100.0, None, 3) is None
    assert _dial._partial_deadline(100.0, 112.0, 3) == 104.0  # 12 s over 3 addresses
    assert _dial._partial_deadline(100.0, 103.0, 3) == 102.0  # at least 2 s each
    assert _dial._partial_deadline(100.0, 101.0, 3) == 101.0  # but never past the deadline
    with pytest.raises(net.DeadlineExceededError):
        _dial._partial_deadline(100.0, 100.0, 1)


def test_several_addresses_the_next_one_after_a_failure() -> None:
    ln = net.listen("tcp4", "127.0.0.1:0")
    port = ln.addr().port
    r = fake_resolver({"multi.test": ["127.0.0.2", "127.0.0.1"]})
    try:
        with net.Dialer(resolver=r).dial("tcp", f"multi.test:{port}") as c:
            assert c.remote_addr() == net.TCPAddr("127.0.0.1", port)
    finally:
        ln.close()


def test_several_addresses_report_the_first_error() -> None:
    s, port = held_closed_port()
    r = fake_resolver({"dead.test": ["127.0.0.2", "127.0.0.3"]})
    with s, pytest.raises(ConnectionRefusedError) as ei:
        net.Dialer(resolver=r).dial("tcp", f"dead.test:{port}")
    assert str(ei.value) == f"dial tcp 127.0.0.2:{port}: connect: connection refused"


def test_timed_out_first_address_still_leaves_time_for_the_next(virtual_clock) -> None:
    virtual_clock.autojump_threshold = 0.3  # real connects in flight: jump only when idle
    ln = net.listen("tcp4", "127.0.0.1:0")
    try:
        with blackhole(socket.AF_INET, "127.0.0.2", ln.addr().port) as port:
            r = fake_resolver({"slowfirst.test": ["127.0.0.2", "127.0.0.1"]})
            t0 = gonet.now()
            with net.Dialer(timeout=10, resolver=r).dial("tcp", f"slowfirst.test:{port}") as c:
                assert c.remote_addr().ip == "127.0.0.1"
            assert gonet.now() - t0 >= 5  # the first address had its half of the 10 s
    finally:
        ln.close()


# -- Happy Eyeballs ----------------------------------------------------------------------------


@needs_v6
def test_happy_eyeballs_primary_refused_starts_fallback_at_once() -> None:
    ln, port = v4_and_v6_on_one_port()
    r = fake_resolver({"dual.test": ["::1", "127.0.0.1"]})
    try:
        t0 = time.monotonic()
        d = net.Dialer(fallback_delay=30, resolver=r)
        with d.dial("tcp", f"dual.test:{port}") as c:
            assert c.remote_addr() == net.TCPAddr("127.0.0.1", port)
        assert time.monotonic() - t0 < 20  # did not wait out the 30 s fallback delay
    finally:
        ln.close()


@needs_v6
def test_happy_eyeballs_hung_primary_loses_to_fallback() -> None:
    ln, port = v4_and_v6_on_one_port()
    r = fake_resolver({"dual.test": ["::1", "127.0.0.1"]})
    try:
        with blackhole(socket.AF_INET6, "::1", port):
            d = net.Dialer(timeout=20, fallback_delay=0.05, resolver=r)
            with d.dial("tcp", f"dual.test:{port}") as c:
                assert c.remote_addr() == net.TCPAddr("127.0.0.1", port)
                c.write(b"ok")
            # The hung IPv6 racer was aborted: no goroutine or fd is left (the fixture checks).
    finally:
        ln.close()


@needs_v6
def test_happy_eyeballs_both_fail_reports_the_primary_error() -> None:
    s, port = held_closed_port()
    r = fake_resolver({"dual.test": ["::1", "127.0.0.1"]})
    with s, pytest.raises(ConnectionRefusedError) as ei:
        net.Dialer(resolver=r).dial("tcp", f"dual.test:{port}")
    assert str(ei.value) == f"dial tcp [::1]:{port}: connect: connection refused"


@needs_v6
def test_negative_fallback_delay_disables_racing() -> None:
    ln, port = v4_and_v6_on_one_port()
    r = fake_resolver({"dual.test": ["::1", "127.0.0.1"]})
    try:
        with blackhole(socket.AF_INET6, "::1", port):
            d = net.Dialer(timeout=0.3, fallback_delay=-1, resolver=r)
            with pytest.raises(TimeoutError) as ei:
                d.dial("tcp", f"dual.test:{port}")  # serial: ::1 eats the whole 0.3 s
            assert str(ei.value) == f"dial tcp [::1]:{port}: i/o timeout"
    finally:
        ln.close()


def test_local_addr_family_filters_candidates() -> None:
    r = fake_resolver({"v6only.test": ["::1"]})
    with pytest.raises(net.AddrError) as ei:
        net.Dialer(local_addr="127.0.0.1:0", resolver=r).dial("tcp", "v6only.test:80")
    assert str(ei.value) == "dial tcp 127.0.0.1:0: address v6only.test:80: no suitable address found"


# -- self-connect ------------------------------------------------------------------------------


def test_explicit_local_port_self_connect_is_kept_as_go_does() -> None:
    for _ in range(5):
        s, port = held_closed_port()
        s.close()  # free again: another process may grab it before us, hence the retries
        try:
            c = net.Dialer(local_addr=f"127.0.0.1:{port}").dial("tcp", f"127.0.0.1:{port}")
            break
        except ConnectionRefusedError:
            pytest.skip("this kernel does not complete a TCP simultaneous open to itself")
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
    else:
        pytest.fail("no free port for the self-connect in 5 tries")
    with c:
        assert c.local_addr() == c.remote_addr()
        c.write(b"echo of myself")
        assert c.recv(100) == b"echo of myself"


@pytest.mark.parametrize(("self_connects", "calls"), [(1, 2), (2, 3), (99, 3)])
def test_self_connect_with_kernel_port_is_retried_twice(monkeypatch, self_connects, calls) -> None:
    seen = []
    real = _dial.is_self_connect

    def fake(fd):
        seen.append(fd)
        _, la = real(fd)
        return len(seen) <= self_connects, la

    monkeypatch.setattr(_dial, "is_self_connect", fake)
    ln = net.listen("tcp", "127.0.0.1:0")
    try:
        with net.dial("tcp", str(ln.addr())) as c:
            assert len(seen) == calls  # retried while "self-connected", at most twice
            assert c.fileno() == seen[-1].fileno()  # the conn is the last attempt's socket
            assert all(fd.closing for fd in seen[:-1])  # earlier attempts were closed
    finally:
        ln.close()


def test_spurious_eaddrnotavail_is_retried(monkeypatch) -> None:
    real = _dial.dial_socket
    n = []

    def flaky(*args, **kw):
        n.append(1)
        if len(n) == 1:
            raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
        return real(*args, **kw)

    monkeypatch.setattr(_dial, "dial_socket", flaky)
    ln = net.listen("tcp", "127.0.0.1:0")
    try:
        with net.dial("tcp", str(ln.addr())) as c:
            assert c.remote_addr() == ln.addr()
        assert len(n) == 2
    finally:
        ln.close()

"""net.Resolver and the lookup_* functions: thread-pool lookups, DNSError, no stale cache."""

from __future__ import annotations

import socket
import threading

import pytest
from helpers import spawn

from gonet import net


def stub(answers, gate: threading.Event | None = None, calls: list | None = None) -> net.Resolver:
    """A Resolver whose getaddrinfo answers from `answers` (a list, or a callable per call)."""

    def gai(host, port, family=0, type=0, proto=0, flags=0):
        if calls is not None:
            calls.append((host, family))
        if gate is not None:
            gate.wait(10)
        ips = answers(host) if callable(answers) else answers
        out = []
        for ip in ips:
            fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
            if family in (0, fam):
                out.append(
                    (fam, socket.SOCK_STREAM, 6, "", (ip, 0, 0, 0) if fam == socket.AF_INET6 else (ip, 0))
                )
        if not out:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return out

    return net.Resolver(getaddrinfo=gai)


def failing(code: int, text: str) -> net.Resolver:
    def gai(*args, **kw):
        raise socket.gaierror(code, text)

    return net.Resolver(getaddrinfo=gai)


def test_lookup_host_localhost_via_the_system_resolver() -> None:
    assert "127.0.0.1" in net.lookup_host("localhost")
    assert net.lookup_ip("ip4", "localhost") == ["127.0.0.1"]


def test_ip_literals_need_no_lookup() -> None:
    calls: list = []
    r = stub([], calls=calls)
    assert r.lookup_host("::1") == ["::1"]
    assert r.lookup_host("127.0.0.1") == ["127.0.0.1"]
    assert r.lookup_ip("ip4", "10.1.2.3") == ["10.1.2.3"]
    assert calls == []
    with pytest.raises(net.DNSError, match="no suitable address found"):
        r.lookup_ip("ip6", "127.0.0.1")


def test_lookup_ip_filters_by_family_and_dedups_in_order() -> None:
    r = stub(["10.0.0.1", "::1", "10.0.0.1", "10.0.0.2", "::1"])
    assert r.lookup_host("x.test") == ["10.0.0.1", "::1", "10.0.0.2"]
    assert r.lookup_ip("ip", "x.test") == ["10.0.0.1", "::1", "10.0.0.2"]
    assert r.lookup_ip("ip4", "x.test") == ["10.0.0.1", "10.0.0.2"]
    assert r.lookup_ip("ip6", "x.test") == ["::1"]
    with pytest.raises(net.UnknownNetworkError, match="unknown network tcp"):
        r.lookup_ip("tcp", "x.test")


def test_not_found_and_other_failures() -> None:
    with pytest.raises(net.DNSError) as ei:
        failing(socket.EAI_NONAME, "Name or service not known").lookup_host("nope.test")
    e = ei.value
    assert str(e) == "lookup nope.test: no such host"
    assert e.is_not_found
    assert not e.is_timeout
    assert e.name == "nope.test"
    with pytest.raises(net.DNSError) as ei2:
        failing(socket.EAI_AGAIN, "Temporary failure in name resolution").lookup_host("t.test")
    assert str(ei2.value) == "lookup t.test: temporary failure in name resolution"
    assert not ei2.value.is_not_found


def test_lookup_timeout_is_a_dns_timeout_error() -> None:
    gate = threading.Event()
    try:
        r = net.Resolver(getaddrinfo=stub(["10.0.0.1"], gate)._getaddrinfo, timeout=0.05)
        with pytest.raises(TimeoutError) as ei:
            r.lookup_host("slow.test")
        e = ei.value
        assert isinstance(e, net.DNSError)
        assert e.is_timeout
        assert not e.is_not_found
        assert str(e) == "lookup slow.test: i/o timeout"
    finally:
        gate.set()


def test_lookup_does_not_block_other_goroutines() -> None:
    gate = threading.Event()
    order: list[str] = []
    r = stub(["10.9.9.9"], gate)

    def resolve():
        got = r.lookup_host("slow.test")
        order.append("resolved")
        return got

    fut = spawn(resolve)
    a, b = net.pipe()
    with a, b:
        w = spawn(a.write, b"meanwhile")
        assert b.recv(100) == b"meanwhile"  # ran while the lookup was in flight
        w.result()
    order.append("other goroutine ran")
    gate.set()
    assert fut.result() == ["10.9.9.9"]
    assert order == ["other goroutine ran", "resolved"]


def test_results_are_never_cached() -> None:
    answers = iter([["10.0.0.1"], ["10.0.0.2"]])
    r = stub(lambda host: next(answers))
    assert r.lookup_host("moving.test") == ["10.0.0.1"]
    assert r.lookup_host("moving.test") == ["10.0.0.2"]


def test_lookup_port() -> None:
    assert net.lookup_port("tcp", "http") == 80
    assert net.lookup_port("udp", "domain") == 53
    assert net.lookup_port("tcp", "8080") == 8080
    assert net.lookup_port("", "https") == 443
    with pytest.raises(net.AddrError) as ei:
        net.lookup_port("tcp", "99999")
    assert str(ei.value) == "address 99999: invalid port"
    with pytest.raises(net.DNSError) as ei2:
        net.lookup_port("tcp", "no-such-service")
    assert str(ei2.value) == "lookup tcp/no-such-service: unknown port"
    assert ei2.value.is_not_found
    with pytest.raises(net.AddrError, match="unknown network"):
        net.lookup_port("sctp", "http")


def test_lookup_addr() -> None:
    assert "localhost" in net.lookup_addr("127.0.0.1")
    with pytest.raises(net.DNSError) as ei:
        net.lookup_addr("not-an-ip")
    assert str(ei.value) == "lookup not-an-ip: unrecognized address"


def test_bad_names() -> None:
    r = stub(["10.0.0.1"])
    with pytest.raises(TypeError, match="host must be str"):
        r.lookup_host(5)  # type: ignore[arg-type]
    for bad in ("", "a\0b"):
        with pytest.raises(net.DNSError) as ei:
            r.lookup_host(bad)
        assert ei.value.is_not_found
    with pytest.raises(TypeError, match="timeout must be a number"):
        net.Resolver(timeout="1")  # type: ignore[arg-type]


def test_resolve_addr_helpers() -> None:
    assert net.resolve_tcp_addr("tcp", "localhost:80") == net.TCPAddr("127.0.0.1", 80)
    assert net.resolve_tcp_addr("tcp4", "127.0.0.1:http") == net.TCPAddr("127.0.0.1", 80)
    assert net.resolve_udp_addr("udp", "[::1]:53") == net.UDPAddr("::1", 53)
    assert net.resolve_udp_addr("udp", ":0") == net.UDPAddr("", 0)
    assert net.resolve_unix_addr("unixgram", "/tmp/x.sock") == net.UnixAddr("/tmp/x.sock", "unixgram")
    with pytest.raises(net.UnknownNetworkError):
        net.resolve_tcp_addr("udp", "127.0.0.1:80")
    with pytest.raises(net.UnknownNetworkError):
        net.resolve_unix_addr("tcp", "/tmp/x")
    with pytest.raises(net.AddrError, match="missing port in address"):
        net.resolve_udp_addr("udp", "127.0.0.1")

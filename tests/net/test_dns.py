"""Name resolution for dial: getaddrinfo on the thread pool while the goroutine parks, the
scheduler serving others meanwhile, a dial timeout that covers the lookup."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import parked, spawn, wait_until

from gonet import net
from gonet.net import _lookup


class SlowResolver:
    """A getaddrinfo that blocks its (pool) thread until released, recording who called it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls: list[tuple[str, str]] = []

    def __call__(self, host: str, port: Any, family: int = 0, type: int = 0, *a: Any) -> Any:
        self.calls.append((host, threading.current_thread().name))
        if not self.release.wait(20):
            raise AssertionError("the slow lookup was never released")
        return socket.getaddrinfo("127.0.0.1", port, socket.AF_INET, type)


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowResolver]:
    r = SlowResolver()
    monkeypatch.setattr(_lookup, "_getaddrinfo", r)
    try:
        yield r
    finally:
        r.release.set()  # never leave a pool thread blocked


def test_dial_by_name_resolves_on_the_pool_while_other_goroutines_run(slow: SlowResolver) -> None:
    with net.listen("tcp", "127.0.0.1:0") as ln:
        port = ln.addr().port
        d = spawn(net.dial, "tcp", f"localhost:{port}")
        wait_until(lambda: len(slow.calls) == 1, what="lookup started")
        wait_until(parked(d, "thread pool"), what="dialling goroutine parked on the pool")
        assert slow.calls[0][0] == "localhost"
        assert slow.calls[0][1].startswith("gonet-pool-")  # not the scheduler's thread

        # Only another goroutine can release the lookup: the scheduler must keep serving.
        ticks: list[int] = []

        def other() -> None:
            for i in range(3):
                ticks.append(i)
            slow.release.set()

        o = spawn(other)
        o.result()
        conn = d.result()
        s = ln.accept()
        with conn, s:
            assert ticks == [0, 1, 2]
            assert conn.remote_addr() == net.TCPAddr("127.0.0.1", port)
            conn.write(b"resolved")
            assert s.recv(100) == b"resolved"


def test_dial_timeout_covers_a_slow_lookup(slow: SlowResolver) -> None:
    with pytest.raises(net.DNSError) as ei:
        net.dial("tcp", "localhost:80", timeout=0.1)
    e = ei.value
    assert isinstance(e, TimeoutError)
    assert isinstance(e, net.OpError)
    assert e.op == "dial"
    assert e.timeout()
    assert isinstance(e.err, net.DNSError)
    assert e.err.is_timeout
    assert not e.err.is_not_found
    assert e.err.name == "localhost"
    assert str(e) == "dial tcp: lookup localhost: i/o timeout"
    assert slow.calls
    assert slow.calls[0][0] == "localhost"


def _no_such_host(*a: Any) -> Any:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_unknown_host_is_a_not_found_dns_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lookup, "_getaddrinfo", _no_such_host)
    with pytest.raises(net.DNSError) as ei:
        net.dial("tcp", "no-such-host.invalid:80")
    e = ei.value
    assert isinstance(e.err, net.DNSError)
    assert e.err.is_not_found
    assert not e.err.is_timeout
    assert str(e) == "dial tcp: lookup no-such-host.invalid: no such host"


def test_a_caught_dns_error_has_its_attributes(slow: SlowResolver, monkeypatch: pytest.MonkeyPatch) -> None:
    # `except net.DNSError as e` is the natural Python spelling of Go's errors.As(err, &dnsErr).
    with pytest.raises(net.DNSError) as ei:
        net.dial("tcp", "localhost:80", timeout=0.05)
    e = ei.value
    assert e.is_timeout
    assert not e.is_not_found
    assert e.name == "localhost"
    monkeypatch.setattr(_lookup, "_getaddrinfo", _no_such_host)
    with pytest.raises(net.DNSError) as ei:
        net.dial("tcp", "no-such-host.invalid:80")
    assert ei.value.is_not_found
    assert not ei.value.is_timeout


def test_literal_ips_need_no_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_be_called(*a: Any) -> Any:
        raise AssertionError("a literal IP was looked up")

    monkeypatch.setattr(_lookup, "_getaddrinfo", must_not_be_called)
    with net.listen("tcp", "127.0.0.1:0") as ln:
        c = net.dial("tcp", str(ln.addr()))
        s = ln.accept()
        c.close()
        s.close()

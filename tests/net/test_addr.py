"""split_host_port / join_host_port with Go's own test tables (net/ipsock_test.go), and
address objects."""

from __future__ import annotations

import pytest

from gonet import net

# Go: TestSplitHostPort, the success cases (port always returned as a string).
SPLIT_OK = [
    ("localhost:http", "localhost", "http"),
    ("localhost:80", "localhost", "80"),
    ("localhost%lo0:http", "localhost%lo0", "http"),
    ("localhost%lo0:80", "localhost%lo0", "80"),
    ("[localhost%lo0]:http", "localhost%lo0", "http"),
    ("[localhost%lo0]:80", "localhost%lo0", "80"),
    ("127.0.0.1:http", "127.0.0.1", "http"),
    ("127.0.0.1:80", "127.0.0.1", "80"),
    ("[::1]:http", "::1", "http"),
    ("[::1]:80", "::1", "80"),
    ("[::1%lo0]:http", "::1%lo0", "http"),
    ("[::1%lo0]:80", "::1%lo0", "80"),
    (":http", "", "http"),
    (":80", "", "80"),
    ("golang.org:", "golang.org", ""),
    ("127.0.0.1:", "127.0.0.1", ""),
    ("[::1]:", "::1", ""),
    ("golang.org:https%foo", "golang.org", "https%foo"),
]

# Go: TestSplitHostPort, the failure cases.
SPLIT_FAIL = [
    ("golang.org", "missing port in address"),
    ("127.0.0.1", "missing port in address"),
    ("[::1]", "missing port in address"),
    ("[fe80::1%lo0]", "missing port in address"),
    ("[localhost%lo0]", "missing port in address"),
    ("localhost%lo0", "missing port in address"),
    ("::1", "too many colons in address"),
    ("fe80::1%lo0", "too many colons in address"),
    ("fe80::1%lo0:80", "too many colons in address"),
    ("[foo:bar]", "missing port in address"),
    ("[foo:bar]baz", "missing port in address"),
    ("[foo]bar:baz", "missing port in address"),
    ("[foo]:[bar]:baz", "too many colons in address"),
    ("[foo]:[bar]baz", "unexpected '[' in address"),
    ("foo[bar]:baz", "unexpected '[' in address"),
    ("foo]bar:baz", "unexpected ']' in address"),
]

# Go: TestJoinHostPort.
JOIN = [
    ("localhost", "http", "localhost:http"),
    ("localhost", "80", "localhost:80"),
    ("localhost%lo0", "http", "localhost%lo0:http"),
    ("localhost%lo0", "80", "localhost%lo0:80"),
    ("127.0.0.1", "http", "127.0.0.1:http"),
    ("127.0.0.1", "80", "127.0.0.1:80"),
    ("::1", "http", "[::1]:http"),
    ("::1", "80", "[::1]:80"),
    ("::1%lo0", "http", "[::1%lo0]:http"),
    ("::1%lo0", "80", "[::1%lo0]:80"),
    ("", "http", ":http"),
    ("", "80", ":80"),
    ("golang.org", "", "golang.org:"),
    ("127.0.0.1", "", "127.0.0.1:"),
    ("::1", "", "[::1]:"),
    ("golang.org", "https%foo", "golang.org:https%foo"),
]


@pytest.mark.parametrize(("hostport", "host", "port"), SPLIT_OK)
def test_split_host_port(hostport: str, host: str, port: str) -> None:
    got = net.split_host_port(hostport)
    assert got == (host, port)
    assert isinstance(got[1], str)


@pytest.mark.parametrize(("hostport", "err"), SPLIT_FAIL)
def test_split_host_port_errors(hostport: str, err: str) -> None:
    with pytest.raises(net.AddrError) as ei:
        net.split_host_port(hostport)
    e = ei.value
    assert e.err == err
    assert e.addr == hostport
    assert str(e) == f"address {hostport}: {err}"
    assert isinstance(e, ValueError)


@pytest.mark.parametrize(("host", "port", "hostport"), JOIN)
def test_join_host_port(host: str, port: str, hostport: str) -> None:
    assert net.join_host_port(host, port) == hostport


@pytest.mark.parametrize(("host", "port", "hostport"), [j for j in JOIN if j[0] and "%" not in j[0]])
def test_join_then_split_round_trips(host: str, port: str, hostport: str) -> None:
    assert net.split_host_port(net.join_host_port(host, port)) == (host, port)


def test_join_accepts_an_int_port_and_split_rejects_non_strings() -> None:
    assert net.join_host_port("::1", 8080) == "[::1]:8080"
    with pytest.raises(TypeError):
        net.split_host_port(b"127.0.0.1:80")  # type: ignore[arg-type]


def test_tcp_addr_text() -> None:
    assert str(net.TCPAddr("127.0.0.1", 80)) == "127.0.0.1:80"
    assert str(net.TCPAddr("::1", 80)) == "[::1]:80"
    assert str(net.TCPAddr("fe80::1", 80, "lo")) == "[fe80::1%lo]:80"
    assert net.TCPAddr("127.0.0.1", 80).network() == "tcp"
    assert net.TCPAddr("127.0.0.1", 80) == net.TCPAddr("127.0.0.1", 80)

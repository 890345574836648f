"""UDP: listen_packet, read_from/write_to, connected (dialled) UDPConn, datagram semantics."""

from __future__ import annotations

import errno
import socket

import pytest
from helpers import held_closed_port, ipv6_loopback, parked, spawn, wait_until

import gonet
from gonet import net

HAS_V6 = ipv6_loopback()  # checked once: is ::1 usable on this machine's lo?
needs_v6 = pytest.mark.skipif(not HAS_V6, reason="no IPv6 on the loopback interface")


@pytest.fixture
def pair():
    """Two unconnected UDP conns on 127.0.0.1."""
    a = net.listen_packet("udp4", "127.0.0.1:0")
    b = net.listen_packet("udp4", "127.0.0.1:0")
    yield a, b
    for c in (a, b):
        if not c.closed:
            c.close()


def test_listen_packet_returns_bound_udpconn(pair) -> None:
    a, _ = pair
    assert isinstance(a, net.UDPConn)
    la = a.local_addr()
    assert isinstance(la, net.UDPAddr)
    assert la.ip == "127.0.0.1"
    assert la.port > 0
    assert la.network() == "udp"
    assert a.remote_addr() is None  # unconnected


def test_read_from_write_to_round_trip_names_the_sender(pair) -> None:
    a, b = pair
    assert b.write_to(b"ping", a.local_addr()) == 4
    buf = bytearray(64)
    n, addr = a.read_from(buf)
    assert bytes(buf[:n]) == b"ping"
    assert addr == b.local_addr()
    assert a.write_to(b"pong", addr) == 4
    data, addr2 = b.recv_from(64)
    assert data == b"pong"
    assert addr2 == a.local_addr()


def test_write_to_accepts_an_ip_port_tuple(pair) -> None:
    a, b = pair
    b.write_to(b"t", ("127.0.0.1", a.local_addr().port))
    assert a.recv_from(10)[0] == b"t"


def test_zero_byte_datagram_is_data_not_eof(pair) -> None:
    a, b = pair
    b.write_to(b"", a.local_addr())
    b.write_to(b"after", a.local_addr())
    n, addr = a.read_from(bytearray(16))
    assert (n, addr) == (0, b.local_addr())
    data, _ = a.recv_from(16)
    assert data == b"after"  # the conn still works: the empty datagram was no EOF


def test_oversized_datagram_is_truncated_and_the_rest_dropped(pair) -> None:
    a, b = pair
    b.write_to(bytes(range(100)), a.local_addr())
    b.write_to(b"next", a.local_addr())
    buf = bytearray(10)
    n, _ = a.read_from(buf)
    assert n == 10
    assert bytes(buf) == bytes(range(10))
    assert a.recv_from(100)[0] == b"next"  # one read is one datagram


def test_read_from_with_empty_buffer_consumes_one_datagram(pair) -> None:
    a, b = pair
    b.write_to(b"dropped", a.local_addr())
    b.write_to(b"kept", a.local_addr())
    assert a.read_from(bytearray(0)) == (0, b.local_addr())
    assert a.recv_from(10)[0] == b"kept"


def test_read_from_parks_until_a_datagram_arrives(pair) -> None:
    a, b = pair
    order: list[str] = []

    def reader():
        data, _ = a.recv_from(100)
        order.append("read " + data.decode())

    fut = spawn(reader)
    wait_until(parked(fut, "IO wait"), what="reader parked in IO wait")
    order.append("send")
    b.write_to(b"late", a.local_addr())
    fut.result()
    assert order == ["send", "read late"]


def test_burst_of_datagrams_each_read_once(pair) -> None:
    a, b = pair
    sent = [b"msg-%03d" % i for i in range(200)]

    def sender():
        for m in sent:
            b.write_to(m, a.local_addr())

    fut = spawn(sender)
    got = [a.recv_from(64)[0] for _ in sent]
    fut.result()
    assert sorted(got) == sorted(sent)


def test_read_deadline_times_out_with_go_text(pair) -> None:
    a, _ = pair
    a.set_read_deadline(gonet.now() - 1)
    with pytest.raises(TimeoutError) as ei:
        a.read_from(bytearray(8))
    assert isinstance(ei.value, net.OpError)
    assert str(ei.value) == f"read udp4 {a.local_addr()}: i/o timeout"
    a.set_read_deadline(None)


def test_read_deadline_wakes_a_parked_reader(pair) -> None:
    a, _ = pair
    a.set_read_deadline(gonet.now() + 0.05)
    with pytest.raises(TimeoutError):
        a.recv_from(8)


def test_close_wakes_parked_reader_with_errclosed(pair) -> None:
    a, _ = pair
    fut = spawn(a.read_from, bytearray(8))
    wait_until(parked(fut, "IO wait"))
    a.close()
    e = fut.exception()
    assert isinstance(e, net.ErrClosed)
    assert isinstance(e, net.OpError)
    assert "use of closed network connection" in str(e)
    with pytest.raises(net.ErrClosed):
        a.write_to(b"x", ("127.0.0.1", 9))


def test_write_without_destination_on_unconnected_socket(pair) -> None:
    a, _ = pair
    with pytest.raises(net.OpError) as ei:
        a.write(b"nowhere")
    assert ei.value.errno == errno.EDESTADDRREQ
    assert "destination address required" in str(ei.value)


def test_oversized_send_is_message_too_long(pair) -> None:
    a, b = pair
    with pytest.raises(net.OpError) as ei:
        b.write_to(b"x" * 70000, a.local_addr())
    assert ei.value.errno == errno.EMSGSIZE
    assert str(ei.value).startswith(f"write udp4 {b.local_addr()}->{a.local_addr()}: ")


# -- connected (dialled) UDP -------------------------------------------------------------------


def test_dial_udp_gives_connected_conn(pair) -> None:
    srv, _ = pair
    c = net.dial("udp", str(srv.local_addr()))
    try:
        assert isinstance(c, net.UDPConn)
        assert c.remote_addr() == srv.local_addr()
        assert c.write(b"hello") == 5
        data, peer = srv.recv_from(32)
        assert data == b"hello"
        assert peer == c.local_addr()
        srv.write_to(b"world", peer)
        assert c.recv(32) == b"world"
    finally:
        c.close()


def test_connected_udp_zero_length_write_sends_empty_datagram(pair) -> None:
    srv, _ = pair
    with net.dial("udp", str(srv.local_addr())) as c:
        assert c.write(b"") == 0
        c.write(b"x")
        assert srv.read_from(bytearray(4))[0] == 0
        assert srv.recv_from(4)[0] == b"x"
        srv.write_to(b"", c.local_addr())
        srv.write_to(b"y", c.local_addr())
        assert c.read(bytearray(4)) == 0  # an empty datagram, and the conn stays usable
        assert c.recv(4) == b"y"


def test_write_to_on_connected_udp_is_an_error(pair) -> None:
    srv, other = pair
    with net.dial("udp", str(srv.local_addr())) as c:
        with pytest.raises(net.ErrWriteToConnected) as ei:
            c.write_to(b"x", other.local_addr())
        e = ei.value
        assert isinstance(e, net.OpError)
        assert str(e) == (
            f"write udp {c.local_addr()}->{other.local_addr()}: use of WriteTo with pre-connected connection"
        )
    other.set_read_deadline(gonet.now() + 0.05)
    with pytest.raises(TimeoutError):
        other.recv_from(4)  # nothing was sent


def test_connected_udp_reports_icmp_port_unreachable() -> None:
    s, port = held_closed_port()
    s.close()  # nothing listens on the port now
    with net.dial("udp", f"127.0.0.1:{port}") as c:
        c.set_deadline(gonet.now() + 10)
        c.write(b"anyone?")
        with pytest.raises(ConnectionRefusedError) as ei:
            c.recv(10)
        assert isinstance(ei.value, net.OpError)


def test_writev_on_connected_udp_is_one_datagram(pair) -> None:
    srv, _ = pair
    with net.dial("udp", str(srv.local_addr())) as c:
        assert c.writev([b"ab", bytearray(b"cd"), memoryview(b"ef")]) == 6
        assert srv.recv_from(100)[0] == b"abcdef"


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("addr", ["127.0.0.1:9", 9, None, b"x", ("127.0.0.1",)])
def test_write_to_rejects_non_addresses(pair, addr) -> None:
    a, _ = pair
    with pytest.raises(TypeError, match="write_to needs a UDPAddr or an \\(ip, port\\) tuple"):
        a.write_to(b"x", addr)


def test_write_to_rejects_ipv6_on_ipv4_socket(pair) -> None:
    a, _ = pair
    with pytest.raises(net.AddrError) as ei:
        a.write_to(b"x", net.UDPAddr("::1", 9))
    assert isinstance(ei.value, net.OpError)
    assert str(ei.value) == f"write udp4 {a.local_addr()}->[::1]:9: address ::1: non-IPv4 address"


def test_write_to_rejects_host_names_and_bad_ports(pair) -> None:
    a, _ = pair
    with pytest.raises(net.AddrError, match="resolve names first"):
        a.write_to(b"x", ("localhost", 9))
    with pytest.raises(net.AddrError, match="invalid port"):
        a.write_to(b"x", ("127.0.0.1", 70000))


def test_listen_packet_rejects_unknown_and_stream_networks() -> None:
    with pytest.raises(net.UnknownNetworkError) as ei:
        net.listen_packet("udp5", "127.0.0.1:0")
    assert str(ei.value) == "listen udp5: unknown network udp5"
    with pytest.raises(net.AddrError) as ei2:
        net.listen_packet("tcp", "127.0.0.1:0")
    assert str(ei2.value) == "listen tcp: address 127.0.0.1:0: unexpected address type"
    with pytest.raises(net.AddrError, match="unexpected address type"):
        net.listen("udp", "127.0.0.1:0")
    with pytest.raises(TypeError, match="address must be str"):
        net.listen_packet("udp", ("127.0.0.1", 0))  # type: ignore[arg-type]


def test_listen_packet_and_dial_reject_malformed_addresses() -> None:
    with pytest.raises(net.AddrError) as ei:
        net.listen_packet("udp", "127.0.0.1")
    assert str(ei.value) == "listen udp: address 127.0.0.1: missing port in address"
    with pytest.raises(net.AddrError, match="no suitable address found"):
        net.listen_packet("udp4", "[::1]:0")
    with pytest.raises(net.AddrError) as ei2:
        net.dial("udp", "")
    assert str(ei2.value) == "dial udp: missing address"


def test_listen_packet_bind_conflict_names_the_syscall(pair) -> None:
    a, _ = pair
    with pytest.raises(OSError, match="address already in use") as ei:
        net.listen_packet("udp4", str(a.local_addr()))
    assert ei.value.errno == errno.EADDRINUSE
    assert str(ei.value) == f"listen udp4 {a.local_addr()}: bind: address already in use"


# -- IPv6 and dual stack -----------------------------------------------------------------------


@needs_v6
def test_udp6_round_trip_on_ipv6_loopback() -> None:
    a = net.listen_packet("udp6", "[::1]:0")
    try:
        assert a.local_addr().ip == "::1"
        with net.dial("udp6", str(a.local_addr())) as c:
            c.write(b"six")
            data, peer = a.recv_from(8)
            assert data == b"six"
            assert peer.ip == "::1"
            assert str(peer) == f"[::1]:{peer.port}"
    finally:
        a.close()


@needs_v6
@pytest.mark.parametrize("address", [":0", "0.0.0.0:0", "[::]:0"])
def test_dual_stack_wildcard_sees_ipv4_peers_unmapped_and_answers_them(address: str) -> None:
    a = net.listen_packet("udp", address)
    try:
        port = a.local_addr().port
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.sendto(b"v4", ("127.0.0.1", port))
            data, peer = a.recv_from(8)
            assert data == b"v4"
            assert peer == net.UDPAddr("127.0.0.1", s.getsockname()[1])  # not ::ffff:127.0.0.1
            a.write_to(b"back", peer)  # mapped back to IPv4-in-IPv6 by gonet
            s.settimeout(10)
            assert s.recv(8) == b"back"
    finally:
        a.close()

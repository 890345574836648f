# file_listener / file_conn / file_packet_conn and Listener.file(): adopting an existing socket
# works on a duplicate (the caller's descriptor stays its own), picks the right class, and
# refuses the wrong kind of descriptor with one OpError naming the file.
from __future__ import annotations

import os
import socket

import pytest

from gonet import net
from gonet.errors import OpError


def test_listener_file_round_trip_accepts_on_the_same_socket() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    f = ln.file()
    ln2 = net.file_listener(f)
    f.close()  # the adopted listener holds its own duplicate
    try:
        assert isinstance(ln2, net.TCPListener)
        assert ln2.addr() == ln.addr()
        assert ln2.fileno() not in (ln.fileno(), -1)
        c = net.dial("tcp", str(ln.addr()))
        s = ln2.accept()
        c.write(b"ping")
        assert s.recv(4) == b"ping"
        s.close()
        c.close()
        ln2.close()
        # Closing the adopted one leaves the original listening.
        c = net.dial("tcp", str(ln.addr()))
        ln.accept().close()
        c.close()
    finally:
        ln.close()
        if not ln2.closed:
            ln2.close()


def test_file_listener_takes_a_plain_socket_or_a_descriptor() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        ln = net.file_listener(s)
        ln2 = net.file_listener(s.fileno())
        port = s.getsockname()[1]
        assert ln.addr().port == port
        assert ln2.addr().port == port
        assert ln.addr().network() == "tcp"
        ln.close()
        ln2.close()
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
    finally:
        s.close()


def test_unix_listener_from_a_file_does_not_remove_the_socket_file(tmp_path) -> None:
    path = str(tmp_path / "s.sock")
    ln = net.listen("unix", path)
    try:
        f = ln.file()
        ln2 = net.file_listener(f)
        f.close()
        assert isinstance(ln2, net.UnixListener)
        assert str(ln2.addr()) == path
        ln2.close()
        assert os.path.exists(path)
    finally:
        ln.close()
    assert not os.path.exists(path)


def test_file_conn_over_a_tcp_conn_talks_to_the_same_peer() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    try:
        c = net.dial("tcp", str(ln.addr()))
        s = ln.accept()
    finally:
        ln.close()
    dup = c.dup()
    c2 = net.file_conn(dup)
    dup.close()
    try:
        assert isinstance(c2, net.TCPConn)
        assert c2.remote_addr() == c.remote_addr()
        assert c2.local_addr() == c.local_addr()
        c2.write(b"from the copy")
        assert s.recv(100) == b"from the copy"
        s.write(b"back")
        assert c2.recv(100) == b"back"
    finally:
        for x in (c2, c, s):
            x.close()


def test_file_packet_conn_over_udp_and_unixgram() -> None:
    pc = net.listen_packet("udp", "127.0.0.1:0")
    dup = pc.dup()
    pc2 = net.file_packet_conn(dup)
    dup.close()
    peer = net.listen_packet("udp", "127.0.0.1:0")
    try:
        assert isinstance(pc2, net.UDPConn)
        assert pc2.local_addr() == pc.local_addr()
        peer.write_to(b"dgram", pc.local_addr())
        data, addr = pc2.recv_from(100)
        assert data == b"dgram"
        assert addr == peer.local_addr()
    finally:
        for x in (pc, pc2, peer):
            x.close()
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        u = net.file_packet_conn(a)
        assert isinstance(u, net.UnixConn)
        b.send(b"hi")
        assert u.recv(10) == b"hi"
        u.close()
    finally:
        a.close()
        b.close()


def test_file_conn_over_a_unix_stream_socketpair() -> None:
    a, b = socket.socketpair()
    try:
        c = net.file_conn(a)
        assert isinstance(c, net.UnixConn)
        b.send(b"pair")
        assert c.recv(10) == b"pair"
        c.write(b"back")
        assert b.recv(10) == b"back"
        c.close()
    finally:
        a.close()
        b.close()


def test_wrong_kinds_of_descriptor_are_refused_with_the_file_named() -> None:
    r, w = os.pipe()
    try:
        with pytest.raises(OpError, match=rf"^file file\+net fd {r}: socket operation on non-socket$"):
            net.file_listener(r)
    finally:
        os.close(r)
        os.close(w)
    with net.listen("tcp", "127.0.0.1:0") as ln:
        f = ln.file()
        try:
            with pytest.raises(OpError, match=r"invalid argument \(a listening socket: use file_listener\)$"):
                net.file_conn(f)
            with pytest.raises(OpError, match=r"invalid argument \(not a datagram socket\)$"):
                net.file_packet_conn(f)
        finally:
            f.close()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(OpError, match=r"invalid argument \(not a listening stream socket\)$"):
            net.file_listener(udp)
    finally:
        udp.close()
    tcp = socket.socket()
    try:
        with pytest.raises(OpError, match=r"invalid argument \(TCP socket is not connected\)$"):
            net.file_conn(tcp)
    finally:
        tcp.close()
    with pytest.raises(OpError, match=r"^file file\+net fd -1: bad file descriptor$"):
        net.file_listener(tcp)
    with pytest.raises(TypeError, match="need a file, socket or descriptor, not str"):
        net.file_listener("3")  # type: ignore[arg-type]


def test_nothing_is_left_open_after_a_refusal() -> None:
    before = _sockets()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _ in range(20):
            with pytest.raises(OpError):
                net.file_listener(udp)
    finally:
        udp.close()
    assert _sockets() == before


def _sockets() -> set[str]:
    """Return this process's open sockets ("socket:[inode]"), to see that none was left open."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:"):
            out.add(link)
    return out

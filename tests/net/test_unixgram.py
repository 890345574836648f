"""Unix datagram sockets: listen_packet("unixgram"), dial("unixgram"), read_from/write_to."""

from __future__ import annotations

import os
import socket

import pytest
from helpers import parked, spawn, wait_until

import gonet
from gonet import net


@pytest.fixture
def server(tmp_path):
    path = str(tmp_path / "srv.sock")
    conn = net.listen_packet("unixgram", path)
    yield conn, path
    if not conn.closed:
        conn.close()


def test_listen_packet_unixgram_is_bound_unixconn(server) -> None:
    conn, path = server
    assert isinstance(conn, net.UnixConn)
    assert conn.local_addr() == net.UnixAddr(path, "unixgram")
    assert conn.local_addr().network() == "unixgram"
    assert os.path.exists(path)


def test_write_to_and_read_from_between_bound_sockets(server, tmp_path) -> None:
    srv, path = server
    cpath = str(tmp_path / "cli.sock")
    cli = net.listen_packet("unixgram", cpath)
    try:
        assert cli.write_to(b"hello", net.UnixAddr(path, "unixgram")) == 5
        buf = bytearray(32)
        n, addr = srv.read_from(buf)
        assert bytes(buf[:n]) == b"hello"
        assert addr == net.UnixAddr(cpath, "unixgram")
        srv.write_to(b"hi back", addr)
        data, addr2 = cli.recv_from(32)
        assert data == b"hi back"
        assert addr2 == net.UnixAddr(path, "unixgram")
        cli.write_to(b"by path", path)  # a plain path string is accepted too
        assert srv.recv_from(32)[0] == b"by path"
    finally:
        cli.close()


def test_dial_unixgram_connected_read_write_and_write_to_refused(server, tmp_path) -> None:
    srv, path = server
    cpath = str(tmp_path / "c.sock")
    c = net.Dialer(local_addr=cpath).dial("unixgram", path)
    try:
        assert isinstance(c, net.UnixConn)
        assert c.remote_addr() == net.UnixAddr(path, "unixgram")
        c.write(b"one")
        data, peer = srv.recv_from(16)
        assert data == b"one"
        assert peer == net.UnixAddr(cpath, "unixgram")
        srv.write_to(b"two", peer)
        assert c.recv(16) == b"two"
        with pytest.raises(net.ErrWriteToConnected):
            c.write_to(b"x", path)
    finally:
        c.close()


def test_zero_length_and_truncated_datagrams(server) -> None:
    srv, path = server
    with net.dial("unixgram", path) as c:
        c.write(b"")
        c.write(b"0123456789")
        c.write(b"end")
        assert srv.read_from(bytearray(8))[0] == 0
        buf = bytearray(4)
        assert srv.read_from(buf)[0] == 4
        assert bytes(buf) == b"0123"
        assert srv.recv_from(8)[0] == b"end"


def test_unbound_sender_has_no_address(server) -> None:
    srv, path = server
    with net.dial("unixgram", path) as c:  # not bound: the kernel gives it no name
        c.write(b"anon")
        data, addr = srv.recv_from(8)
        assert data == b"anon"
        assert addr is None


def test_abstract_unixgram_names() -> None:
    name = f"@gonet-dgram-{os.getpid()}"
    srv = net.listen_packet("unixgram", name)
    try:
        with net.dial("unixgram", name) as c:
            c.write(b"abstract")
            assert srv.recv_from(16)[0] == b"abstract"
    finally:
        srv.close()


def test_read_parks_and_deadline_and_close(server) -> None:
    srv, _ = server
    srv.set_read_deadline(gonet.now() + 0.05)
    with pytest.raises(TimeoutError) as ei:
        srv.recv_from(8)
    assert "i/o timeout" in str(ei.value)
    srv.set_read_deadline(None)
    fut = spawn(srv.recv_from, 8)
    wait_until(parked(fut, "IO wait"))
    srv.close()
    assert isinstance(fut.exception(), net.ErrClosed)


def test_close_leaves_the_socket_file_as_go_does(server) -> None:
    srv, path = server
    srv.close()
    assert os.path.exists(path)  # only listeners unlink their path


def test_unixgram_bad_input(server) -> None:
    srv, path = server
    with pytest.raises(TypeError, match="write_to needs a UnixAddr or a socket path"):
        srv.write_to(b"x", ("127.0.0.1", 9))
    with pytest.raises(TypeError):
        srv.write_to(b"x", "")
    with pytest.raises(net.AddrError) as ei:
        net.listen_packet("unixgram", "")
    assert str(ei.value) == "listen unixgram: missing address"
    with pytest.raises(net.AddrError, match="unexpected address type"):
        net.listen("unixgram", path)
    with pytest.raises(OSError, match="address already in use") as ei2:
        net.listen_packet("unixgram", path)  # already bound
    assert str(ei2.value) == f"listen unixgram {path}: bind: address already in use"
    with pytest.raises(FileNotFoundError) as ei3:
        srv.write_to(b"x", path + ".missing")
    assert isinstance(ei3.value, net.OpError)


def test_interop_with_a_plain_socket(server) -> None:
    srv, path = server
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(b"plain", path)
        assert srv.recv_from(16)[0] == b"plain"

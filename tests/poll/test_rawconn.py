"""Raw access (raw_read/raw_write/syscall_conn) and descriptor duplicates (dup/file)."""

from __future__ import annotations

import os
import socket

import pytest
from helpers import parked, spawn, tcp_pair, wait_until

import gonet
from gonet import net


def test_raw_read_parks_between_calls_until_fn_succeeds() -> None:
    calls: list[str] = []
    got = bytearray()

    def fn(fd: int) -> bool:
        try:
            got.extend(os.read(fd, 100))
        except BlockingIOError:
            calls.append("eagain")
            return False
        calls.append("data")
        return True

    with tcp_pair() as (c, s):
        fut = spawn(s.raw_read, fn)
        wait_until(parked(fut, "IO wait"), what="raw_read parked after EAGAIN")
        assert calls == ["eagain"]
        c.write(b"raw bytes")
        fut.result()
        assert calls == ["eagain", "data"]
        assert bytes(got) == b"raw bytes"


def test_raw_read_peek_then_normal_read_sees_same_bytes() -> None:
    peeked = []

    def peek(fd: int) -> bool:
        with socket.socket(fileno=os.dup(fd)) as view:
            try:
                peeked.append(view.recv(5, socket.MSG_PEEK | socket.MSG_DONTWAIT))
            except BlockingIOError:
                return False
        return True

    with tcp_pair() as (c, s):
        c.write(b"hello world")
        s.raw_read(peek)
        assert peeked == [b"hello"]
        assert s.recv(100) == b"hello world"


def test_raw_write_and_control() -> None:
    with tcp_pair() as (c, s):
        sent = []

        def fn(fd: int) -> bool:
            sent.append(os.write(fd, b"via raw_write"))
            return True

        c.raw_write(fn)
        assert sent == [13]
        assert s.recv(100) == b"via raw_write"
        rc = c.syscall_conn()
        assert isinstance(rc, net.RawConn)
        assert rc.control(os.get_blocking) is False  # gonet's sockets are non-blocking
        assert rc.control(lambda fd: fd) == c.fileno()
        rc.write(lambda fd: os.write(fd, b"!") == 1)
        assert s.recv(1) == b"!"


def test_raw_read_deadline_and_close() -> None:
    with tcp_pair() as (c, s):
        s.set_read_deadline(gonet.now() + 0.05)
        with pytest.raises(TimeoutError) as ei:
            s.raw_read(lambda fd: False)
        assert isinstance(ei.value, net.OpError)
        assert str(ei.value) == f"raw-read tcp {s.local_addr()}->{s.remote_addr()}: i/o timeout"
        s.set_read_deadline(None)
        fut = spawn(s.raw_read, lambda fd: False)
        wait_until(parked(fut, "IO wait"))
        s.close()
        assert isinstance(fut.exception(), net.ErrClosed)
        with pytest.raises(net.ErrClosed) as ei2:
            s.syscall_conn().control(lambda fd: None)
        assert str(ei2.value).startswith("raw-control tcp ")


def test_exception_in_fn_propagates_and_releases_the_lock() -> None:
    def boom(fd: int) -> bool:
        raise ValueError("protocol error in fn")

    with tcp_pair() as (c, s):
        with pytest.raises(ValueError, match="protocol error in fn"):
            s.raw_read(boom)
        c.write(b"still works")
        assert s.recv(100) == b"still works"


def test_dup_is_independent_of_the_conn() -> None:
    with tcp_pair() as (c, s):
        d = c.dup()
        try:
            assert isinstance(d, socket.socket)
            assert d.fileno() != c.fileno()
            assert os.get_inheritable(d.fileno()) is False
            c.close()
            d.setblocking(True)  # the conn is closed, so blocking the shared description is safe
            d.sendall(b"from the duplicate")
            assert s.recv(100) == b"from the duplicate"
        finally:
            d.close()
        with pytest.raises(net.ErrClosed):
            c.dup()


def test_file_returns_an_unbuffered_binary_file() -> None:
    with tcp_pair() as (c, s):
        with c.file() as f:
            assert f.mode == "rb+"
            assert f.write(b"via file") == 8
        assert s.recv(100) == b"via file"
        c.write(b"conn still open")  # closing the file did not close the conn
        assert s.recv(100) == b"conn still open"


def test_listener_dup_and_file() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    try:
        d = ln.dup()
        with d:
            assert d.getsockname()[1] == ln.addr().port
        with ln.file() as f:
            assert f.fileno() != ln.fileno()
    finally:
        ln.close()
    with pytest.raises(net.ErrClosed):
        ln.dup()

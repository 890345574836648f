"""net.pipe(): synchronous in-memory full-duplex conns with deadlines and close semantics."""

from __future__ import annotations

import pytest
from helpers import parked, spawn, wait_until

import gonet
from gonet import net


@pytest.fixture
def ends():
    a, b = net.pipe()
    yield a, b
    a.close()
    b.close()


def test_write_returns_only_after_the_other_end_read_everything(ends) -> None:
    a, b = ends
    fut = spawn(a.write, b"0123456789")
    wait_until(parked(fut, "select"), what="writer parked")
    assert b.recv(4) == b"0123"
    assert not fut.done.flag  # 6 bytes are still unread: the writer is still blocked
    assert b.recv(100) == b"456789"  # a read takes at most what the write offers
    assert fut.result() == 10


def test_read_parks_until_a_write(ends) -> None:
    a, b = ends
    fut = spawn(b.recv, 16)
    wait_until(parked(fut, "select"))
    a.write(b"hi")
    assert fut.result() == b"hi"


def test_full_duplex(ends) -> None:
    a, b = ends

    def side(me, msg):
        w = spawn(me.write, msg)
        got = me.recv(100)
        w.result()
        return got

    fa = spawn(side, a, b"from a")
    fb = spawn(side, b, b"from b")
    assert fa.result() == b"from b"
    assert fb.result() == b"from a"


def test_concurrent_writes_are_not_interleaved(ends) -> None:
    a, b = ends
    w1 = spawn(a.write, b"A" * 100)
    w2 = spawn(a.write, b"B" * 100)
    got = bytearray()
    buf = bytearray(7)
    while len(got) < 200:
        n = b.read(buf)
        got += buf[:n]
    assert w1.result() == 100
    assert w2.result() == 100
    # Each write arrives whole: whichever writer ran first, the bytes never interleave.
    assert bytes(got) in (b"A" * 100 + b"B" * 100, b"B" * 100 + b"A" * 100)


def test_close_gives_eof_to_the_peer_and_closed_pipe_errors(ends) -> None:
    a, b = ends
    a.close()
    assert b.read(bytearray(4)) == 0  # EOF
    assert b.recv(4) == b""
    with pytest.raises(net.ErrClosedPipe) as ei:
        b.write(b"x")
    assert str(ei.value) == "io: read/write on closed pipe"
    with pytest.raises(net.ErrClosedPipe):
        a.read(bytearray(4))
    with pytest.raises(net.ErrClosedPipe):
        a.write(b"x")
    a.close()  # idempotent, as Go's pipe
    assert a.closed
    assert not b.closed


def test_close_wakes_every_blocked_operation(ends) -> None:
    a, b = ends
    peer_reader = spawn(b.recv, 4)
    own_reader = spawn(a.recv, 4)
    wait_until(parked(peer_reader, "select"))
    wait_until(parked(own_reader, "select"))
    a.close()
    assert peer_reader.result() == b""  # the other end sees EOF
    assert isinstance(own_reader.exception(), net.ErrClosedPipe)


def test_close_fails_a_blocked_writer_reporting_bytes_read(ends) -> None:
    a, b = ends
    fut = spawn(a.write, b"0123456789")
    wait_until(parked(fut, "select"))
    assert b.recv(4) == b"0123"
    b.close()
    e = fut.exception()
    assert isinstance(e, net.ErrClosedPipe)
    assert e.written == 4


def test_expired_read_deadline_fails_even_with_data_offered(ends) -> None:
    a, b = ends
    fut = spawn(a.write, b"data")
    wait_until(parked(fut, "select"))
    b.set_read_deadline(gonet.now() - 1)
    with pytest.raises(TimeoutError) as ei:
        b.read(bytearray(4))
    assert isinstance(ei.value, net.OpError)
    assert str(ei.value) == "read pipe: i/o timeout"
    b.set_read_deadline(None)
    assert b.recv(4) == b"data"
    assert fut.result() == 4


def test_write_deadline_reports_partial_progress(ends, virtual_clock) -> None:
    a, b = ends
    a.set_write_deadline(gonet.now() + 30)
    fut = spawn(a.write, b"0123456789")
    wait_until(parked(fut, "select"))
    assert b.recv(3) == b"012"
    e = fut.exception(timeout=300)  # nobody reads the rest: virtual time runs to the deadline
    assert isinstance(e, TimeoutError)
    assert isinstance(e, net.OpError)
    assert str(e) == "write pipe: i/o timeout"
    assert e.written == 3
    with pytest.raises(TimeoutError):
        a.write(b"x")  # still expired
    a.set_write_deadline(None)


def test_deadline_extended_while_blocked_keeps_waiting(ends, virtual_clock) -> None:
    a, b = ends
    b.set_read_deadline(gonet.now() + 10)
    t0 = gonet.now()
    fut = spawn(b.recv, 4)
    wait_until(parked(fut, "select"))
    b.set_read_deadline(gonet.now() + 60)
    e = fut.exception(timeout=300)
    assert isinstance(e, TimeoutError)
    assert gonet.now() - t0 >= 60  # it waited for the new deadline, not the old one


def test_deadline_timer_wakes_parked_reader(ends) -> None:
    a, b = ends
    b.set_deadline(gonet.now() + 0.05)
    with pytest.raises(TimeoutError):
        b.recv(4)


def test_zero_length_read_and_write_return_at_once(ends) -> None:
    a, b = ends
    assert a.write(b"") == 0
    assert b.read(bytearray(0)) == 0


def test_set_deadline_after_close_fails(ends) -> None:
    a, b = ends
    b.close()
    with pytest.raises(net.ErrClosedPipe):
        a.set_deadline(gonet.now() + 1)
    with pytest.raises(TypeError, match="deadline must be a float"):
        a.set_read_deadline("soon")  # type: ignore[arg-type]


def test_addresses_and_context_manager() -> None:
    a, b = net.pipe()
    with a, b:
        assert str(a.local_addr()) == "pipe"
        assert a.remote_addr().network() == "pipe"
        assert a.local_addr() == b.remote_addr()
    assert a.closed
    assert b.closed


def test_reading_a_pipe_nobody_writes_is_a_deadlock(ends) -> None:
    a, b = ends
    with pytest.raises(gonet.DeadlockError):
        b.read(bytearray(4))
    a_writer = spawn(a.write, b"ok")  # the pipe is still usable afterwards
    assert b.recv(4) == b"ok"
    assert a_writer.result() == 2


def test_bad_arguments(ends) -> None:
    a, b = ends
    with pytest.raises(TypeError):
        a.write("text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative buffer size"):
        b.recv(-1)


def test_makefile_over_a_pipe() -> None:
    a, b = net.pipe()

    def send() -> None:
        with a, a.makefile("wb") as f:
            f.write(b"one\ntwo\n")

    w = spawn(send)
    with b, b.makefile("rb") as f:
        assert f.readline() == b"one\n"
        assert f.read() == b"two\n"  # to EOF: the writer closed its end
        assert f.raw.name == -1
    w.result()

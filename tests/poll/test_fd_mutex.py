"""The fd mutex and close: serialised readers and writers, full duplex, close waking every
blocked goroutine, close(2) once after the last operation."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest
from helpers import parked, sched, spawn, tcp_pair, unix_pair, wait_until

import gonet
from gonet import net
from gonet._poll import FD
from gonet.runtime import _proc

BIG = 8 << 20


def _small_buffers(writer: Any, reader: Any) -> None:
    # Small enough that BIG cannot fit in the socket buffers, big enough to stay fast (tiny
    # windows make loopback TCP crawl on delayed ACKs).
    writer.set_write_buffer(65536)
    reader.set_read_buffer(65536)


def _drain(conn: Any, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        d = conn.recv(min(65536, n - len(out)))
        assert d, f"EOF after {len(out)} of {n} bytes"
        out += d
    return bytes(out)


# -- serialisation and duplex --------------------------------------------------------------------


def test_two_readers_are_serialised_and_the_second_waits_in_semacquire() -> None:
    with tcp_pair() as (c, s):
        r1 = spawn(s.recv, 1)
        wait_until(parked(r1, "IO wait"))
        r2 = spawn(s.recv, 1)
        wait_until(parked(r2, "semacquire"))
        assert r1.g.waitreason == "IO wait"  # type: ignore[union-attr]
        c.write(b"ab")
        assert (r1.result(), r2.result()) == (b"a", b"b")


def test_lock_is_handed_to_queued_readers_in_fifo_order() -> None:
    with tcp_pair() as (c, s):
        first = spawn(s.recv, 1)
        wait_until(parked(first, "IO wait"))
        queued = []
        for _ in range(4):
            f = spawn(s.recv, 1)
            wait_until(parked(f, "semacquire"))
            queued.append(f)
        c.write(b"abcde")
        assert [first.result()] + [f.result() for f in queued] == [b"a", b"b", b"c", b"d", b"e"]
        assert s._fd.refs == 0
        assert not s._fd.rlocked


def test_two_writers_are_serialised_so_their_bytes_never_interleave() -> None:
    with tcp_pair() as (c, s):
        _small_buffers(c, s)
        payload = os.urandom(BIG)
        w1 = spawn(c.write, payload)
        wait_until(parked(w1, "IO wait"), what="first writer blocked on a full send buffer")
        w2 = spawn(c.write, b"<tail>")
        wait_until(parked(w2, "semacquire"))
        got = _drain(s, BIG + 6)
        assert (w1.result(), w2.result()) == (BIG, 6)
        assert got == payload + b"<tail>"


def test_a_reader_and_a_writer_run_at_the_same_time() -> None:
    with tcp_pair() as (c, s):
        reader = spawn(s.recv, 100)
        wait_until(parked(reader, "IO wait"))
        # The read lock is held by the parked reader; the write side is free.
        assert s.write(b"from the server while it reads") == 30
        assert c.recv(100) == b"from the server while it reads"
        _small_buffers(s, c)
        writer = spawn(s.write, b"x" * BIG)
        wait_until(parked(writer, "IO wait"))
        assert reader.g.status == _proc.WAITING  # type: ignore[union-attr]
        c.write(b"ping")
        assert reader.result() == b"ping"  # the reader ran while the writer stayed blocked
        assert _drain(c, BIG) == b"x" * BIG
        assert writer.result() == BIG


# -- close -----------------------------------------------------------------------------------------


def _is_closed_error(e: BaseException | None) -> bool:
    return (
        isinstance(e, net.ErrClosed)
        and isinstance(e, net.OpError)
        and "use of closed network connection" in str(e)
    )


def test_close_wakes_every_goroutine_blocked_on_the_conn_with_err_closed() -> None:
    with tcp_pair() as (c, s):
        _small_buffers(s, c)
        s.set_deadline(gonet.now() + 60)  # a pending deadline must not turn closed into timeout
        r1 = spawn(s.recv, 10)
        wait_until(parked(r1, "IO wait"))
        r2 = spawn(s.read, bytearray(10))
        w1 = spawn(s.write, b"y" * BIG)
        wait_until(parked(w1, "IO wait"))
        w2 = spawn(s.write, b"z")
        for f in (r2, w2):
            wait_until(parked(f, "semacquire"))
        s.close()
        errors = {
            name: f.exception()
            for name, f in (
                ("read in netpoll", r1),
                ("read on lock", r2),
                ("write in netpoll", w1),
                ("write on lock", w2),
            )
        }
        for name, e in errors.items():
            assert _is_closed_error(e), (name, e)
            assert not isinstance(e, TimeoutError), name
        assert errors["read in netpoll"].op == "read"  # type: ignore[union-attr]
        assert errors["write on lock"].op == "write"  # type: ignore[union-attr]
        assert 0 < errors["write in netpoll"].written < BIG  # type: ignore[union-attr]
        assert errors["write on lock"].written == 0  # type: ignore[union-attr]
        assert s.fileno() == -1


def _spy_close2(monkeypatch: pytest.MonkeyPatch, fd: FD) -> list[dict[str, Any]]:
    """Record the state of fd each time its socket is really closed (close(2)).

    Patches socket.socket.close (a Python class) rather than FD, which may be compiled.
    """
    calls: list[dict[str, Any]] = []
    real = socket.socket.close
    target = fd.sock

    def close(self: socket.socket) -> None:
        if self is target and self.fileno() >= 0:
            calls.append(
                {
                    "refs": fd.refs,
                    "rlocked": fd.rlocked,
                    "wlocked": fd.wlocked,
                    "by": sched().cur,
                    "open": _fd_open(self.fileno()),
                }
            )
        real(self)

    monkeypatch.setattr(socket.socket, "close", close)
    return calls


def test_close_runs_close2_once_after_the_last_operation_has_left(monkeypatch: pytest.MonkeyPatch) -> None:
    with tcp_pair() as (c, s):
        fd = s._fd
        closes = _spy_close2(monkeypatch, fd)
        reader = spawn(s.recv, 10)
        wait_until(parked(reader, "IO wait"))
        second = spawn(s.close)  # a concurrent close: exactly one of them closes
        s.close()  # parks until the reader has left its read, then returns
        assert len(closes) == 1
        d = closes[0]
        assert (d["refs"], d["rlocked"], d["wlocked"]) == (0, False, False)
        assert d["by"] is reader.g  # the reader's unlock was the last user: it closed the fd
        assert d["open"].startswith("socket:")
        assert _fd_open(fd.sysfd) != d["open"]
        assert _is_closed_error(reader.exception())
        assert _is_closed_error(second.exception())  # the second close: ErrClosed
        assert fd.refs == 0
        assert fd.destroyed
    monkeypatch.undo()


def _fd_open(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def test_close_with_no_operation_in_flight_closes_at_once() -> None:
    with tcp_pair() as (c, s):
        fd = s._fd
        num = fd.sysfd
        target = os.readlink(f"/proc/self/fd/{num}")
        s.close()
        assert fd.destroyed
        assert s.fileno() == -1
        assert _fd_open(num) != target
        with pytest.raises(net.ErrClosed) as ei:
            s.close()
        assert str(ei.value).endswith(": use of closed network connection")
        assert ei.value.op == "close"  # type: ignore[attr-defined]


def test_every_operation_after_close_fails_with_err_closed() -> None:
    with tcp_pair() as (c, s):
        c.close()
        for op, call in [
            ("read", lambda: c.read(bytearray(1))),
            ("read", lambda: c.recv(1)),
            ("write", lambda: c.write(b"x")),
            ("read", lambda: c.read(bytearray(0))),
        ]:
            with pytest.raises(net.ErrClosed) as ei:
                call()
            assert ei.value.op == op  # type: ignore[attr-defined]
        with pytest.raises(net.ErrClosed, match="use of closed network connection"):
            c.set_read_deadline(gonet.now() + 1)
        with pytest.raises(net.ErrClosed):
            c.close_write()
        with pytest.raises(net.ErrClosed):
            c.set_no_delay(True)
        assert c.closed
        with c:  # leaving a with block on an already-closed conn is quiet
            pass


def test_listener_close_fails_a_pending_accept_and_accepted_conns_stay_open() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    c = net.dial("tcp", str(ln.addr()))
    s = ln.accept()
    acc = spawn(ln.accept)
    wait_until(parked(acc, "IO wait"))
    ln.close()
    e = acc.exception()
    assert _is_closed_error(e)
    assert e.op == "accept"
    with c, s:
        c.write(b"still open")
        assert s.recv(100) == b"still open"
    with pytest.raises(net.ErrClosed):
        ln.accept()
    assert list(ln) == []  # iterating a closed listener just stops


def test_stale_lock_handoff_does_not_release_a_lock_it_does_not_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    # W receives the read lock by hand-off and reads without parking again; then it queues for
    # the lock a second time and is woken by close(). It must not mistake the old hand-off for
    # a new one and release the lock that H2 holds (which dropped the last reference while H2
    # was still inside its read, closing the fd under it, and left refs at -1).
    with tcp_pair() as (c, s):
        fd = s._fd
        closes = _spy_close2(monkeypatch, fd)
        results: list[Any] = []

        def w() -> None:
            results.append(s.recv(1))  # queued behind H1, then handed the lock
            results.append(s.recv(1))  # queued behind H2 (no park in between)

        h1 = spawn(s.recv, 1)
        wait_until(parked(h1, "IO wait"))
        wf = spawn(w)
        wait_until(parked(wf, "semacquire"))
        h2 = spawn(s.recv, 1)
        wait_until(parked(h2, "semacquire"))
        c.write(b"ab")
        wait_until(lambda: parked(wf, "semacquire")() and parked(h2, "IO wait")())
        s.close()
        assert h1.result() == b"a"
        assert results == [b"b"]
        assert _is_closed_error(wf.exception())
        assert _is_closed_error(h2.exception())
        assert fd.refs == 0
        # The last operation to leave closed the fd, once.
        assert [d["by"] for d in closes] == [h2.g]
    monkeypatch.undo()


def test_interrupted_lock_waiter_leaves_the_queue_and_passes_a_handed_off_lock_on() -> None:
    s_ = sched()
    with unix_pair() as (c, s):
        h = spawn(s.recv, 1)
        wait_until(parked(h, "IO wait"))
        queued = spawn(s.recv, 1)
        wait_until(parked(queued, "semacquire"))
        s_.interrupt(queued.g, KeyError("given up while queued"))  # type: ignore[arg-type]
        assert isinstance(queued.exception(), KeyError)
        assert len(s._fd.rwait) == 0

        def holder_then_interrupt() -> bytes:
            data = s.recv(1)  # its unlock hands the lock to `handed`...
            s_.interrupt(handed.g, KeyError("given up after the hand-off"))  # type: ignore[arg-type]
            return data

        h2 = spawn(holder_then_interrupt)
        wait_until(parked(h2, "semacquire"))
        handed = spawn(s.recv, 1)
        wait_until(parked(handed, "semacquire"))
        after = spawn(s.recv, 1)
        wait_until(parked(after, "semacquire"))
        c.write(b"abc")
        assert h.result() == b"a"
        assert h2.result() == b"b"
        assert isinstance(handed.exception(), KeyError)
        assert after.result() == b"c"  # the abandoned hand-off was passed on, not lost
        assert s._fd.refs == 0
        assert not s._fd.rlocked

"""gonet.io: read_full/read_at_least/read_all and their EOF errors, limit_reader, multi_writer,
copy/copy_n/copy_buffer (write_to/read_from first, sendfile from a file, splice between stream
conns parking on the netpoller, the buffer loop otherwise), and the file objects over a conn
(makefile, file()) that must not read b"" before EOF."""

from __future__ import annotations

import io as stdio
import os
from typing import Any

import pytest
from helpers import Chunks, Sink, parked, spawn, tcp_pair, unix_pair, wait_until

import gonet
from gonet import io, net


def payload(n: int) -> bytes:
    return os.urandom(n)


def test_protocols_match_conns_and_bufio() -> None:
    from gonet import bufio

    a, b = net.pipe()
    with tcp_pair() as (c, s), a, b:
        for conn in (c, a):
            assert isinstance(conn, io.Reader)
            assert isinstance(conn, io.Writer)
        assert isinstance(bufio.Reader(c), io.WriterTo)
        assert isinstance(bufio.Writer(c), io.ReaderFrom)
        assert not isinstance(b"bytes", io.Reader)


# -- read_full, read_at_least, read_all -------------------------------------------------------------


def test_read_full_collects_across_short_reads() -> None:
    r = Chunks(b"ab", b"c", b"defg")
    buf = bytearray(5)
    assert io.read_full(r, buf) == 5
    assert buf == b"abcde"
    assert r.reads == 3
    assert io.read_full(r, bytearray(0)) == 0


def test_read_full_raises_eof_when_nothing_was_read() -> None:
    with pytest.raises(io.EOF, match="^EOF$") as ei:
        io.read_full(Chunks(), bytearray(4))
    assert ei.value.n == 0
    assert isinstance(ei.value, EOFError)


def test_read_full_raises_unexpected_eof_on_a_short_read() -> None:
    buf = bytearray(6)
    with pytest.raises(io.ErrUnexpectedEOF, match="^unexpected EOF$") as ei:
        io.read_full(Chunks(b"abc", b"d"), buf)
    assert ei.value.n == 4
    assert buf[:4] == b"abcd"
    assert isinstance(ei.value, EOFError)
    assert not isinstance(ei.value, io.EOF)


def test_read_at_least() -> None:
    buf = bytearray(8)
    assert io.read_at_least(Chunks(b"abcdef"), buf, 2) == 6  # one read may give more than min
    with pytest.raises(io.ErrShortBuffer, match="^short buffer$"):
        io.read_at_least(Chunks(b"x"), bytearray(2), 3)
    assert io.read_at_least(Chunks(b"x"), bytearray(2), 0) == 0


def test_read_full_over_a_pipe_conn() -> None:
    a, b = net.pipe()
    with a, b:

        def writer() -> None:
            for part in (b"hel", b"lo ", b"world"):
                a.write(part)
            a.close()

        f = spawn(writer)
        buf = bytearray(11)
        assert io.read_full(b, buf) == 11
        assert buf == b"hello world"
        f.result()
        with pytest.raises(io.EOF):
            io.read_full(b, buf)


def test_read_all_reads_to_eof() -> None:
    data = payload(100_000)
    assert io.read_all(Chunks(data[:1], data[1:70_000], data[70_000:])) == data
    assert io.read_all(Chunks()) == b""


# -- limit_reader, multi_writer -----------------------------------------------------------------------


def test_limit_reader_stops_after_n_bytes() -> None:
    lr = io.limit_reader(Chunks(b"abcdef"), 4)
    buf = bytearray(3)
    assert lr.read(buf) == 3
    assert buf == b"abc"
    assert lr.read(buf) == 1
    assert buf[:1] == b"d"
    assert lr.read(buf) == 0
    assert lr.n == 0
    assert io.read_all(io.limit_reader(Chunks(b"xyz"), 10)) == b"xyz"


def test_multi_writer_writes_each_in_order() -> None:
    a, b = Sink(), Sink()
    mw = io.multi_writer(a, io.multi_writer(b))
    assert mw.writers == (a, b)  # nested multi writers are flattened
    assert mw.write(b"one") == 3
    assert mw.write(memoryview(b"two")) == 3
    assert a.writes == b.writes == [b"one", b"two"]


def test_multi_writer_short_write() -> None:
    class Short:
        def write(self, data: Any) -> int:
            return len(data) - 1

    after = Sink()
    with pytest.raises(io.ErrShortWrite, match="^short write$"):
        io.multi_writer(Short(), after).write(b"abc")
    assert after.writes == []  # stops at the writer that failed


def test_discard() -> None:
    assert io.discard.write(b"abc") == 3
    assert io.copy(io.discard, Chunks(b"x" * 10, b"y" * 5)) == 15


# -- copy ---------------------------------------------------------------------------------------------


def test_copy_buffer_loop_between_plain_objects() -> None:
    data = payload(100_000)
    sink = Sink()
    assert io.copy(sink, Chunks(data[:10], data[10:])) == len(data)
    assert sink.value() == data
    assert all(len(w) <= 32 * 1024 for w in sink.writes)


def test_copy_short_write_without_error() -> None:
    class Short:
        def write(self, data: Any) -> int:
            return len(data) // 2

    with pytest.raises(io.ErrShortWrite, match="^short write$"):
        io.copy(Short(), Chunks(b"abcd"))


def test_copy_buffer_uses_the_given_buffer() -> None:
    sink = Sink()
    assert io.copy_buffer(sink, Chunks(b"abcdefg"), bytearray(3)) == 7
    assert sink.writes == [b"abc", b"def", b"g"]
    with pytest.raises(ValueError, match="^empty buffer in CopyBuffer$"):
        io.copy_buffer(sink, Chunks(b"a"), bytearray(0))


def test_copy_prefers_write_to_then_read_from() -> None:
    calls: list[str] = []

    class WT(Chunks):
        def write_to(self, w: Any) -> int:
            calls.append("write_to")
            return 7

    class RF(Sink):
        def read_from(self, r: Any) -> int:
            calls.append("read_from")
            return 9

    assert io.copy(RF(), WT(b"x")) == 7
    assert io.copy(RF(), Chunks(b"x")) == 9
    assert calls == ["write_to", "read_from"]


def test_copy_n_copies_exactly_n_and_raises_eof_when_short() -> None:
    src = Chunks(b"abcdef")
    sink = Sink()
    assert io.copy_n(sink, src, 4) == 4
    assert sink.value() == b"abcd"
    with pytest.raises(io.EOF, match="^EOF$") as ei:
        io.copy_n(sink, src, 5)
    assert ei.value.n == 2
    assert sink.value() == b"abcdef"


def test_copy_tcp_to_tcp_splices_and_parks(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = os.splice

    def spy(*a: Any, **kw: Any) -> int:
        calls.append(a[2])
        return real(*a, **kw)

    monkeypatch.setattr(os, "splice", spy)
    data = payload(3 << 20)
    with tcp_pair() as (c1, s1), tcp_pair() as (c2, s2):

        def feed() -> None:
            c1.write(data[:1000])
            wait_until(parked(cp, "IO wait"), what="copy parked on the empty source")
            c1.write(data[1000:])
            c1.close_write()

        def drain() -> bytes:
            return io.read_all(s2)

        cp = spawn(io.copy, c2, s1)
        f = spawn(feed)
        d = spawn(drain)
        f.result()
        assert cp.result() == len(data)
        c2.close_write()
        assert d.result() == data
    assert calls  # the kernel moved the bytes


def test_copy_n_between_unix_conns_leaves_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = os.splice

    def spy(*a: Any, **kw: Any) -> int:
        calls.append(a)
        return real(*a, **kw)

    monkeypatch.setattr(os, "splice", spy)
    data = payload(200_000)
    with unix_pair() as (c1, s1), unix_pair() as (c2, s2):
        w = spawn(c1.write, data)
        out = spawn(io.read_full, s2, bytearray(150_000))
        assert io.copy_n(c2, s1, 150_000) == 150_000
        assert out.result() == 150_000
        w.result()
        rest = bytearray(50_000)
        assert io.read_full(s1, rest) == 50_000
        assert rest == data[150_000:]
    assert calls  # Unix streams splice like TCP: a UnixConn's class is not its socket type


def test_copy_file_to_a_unix_stream_uses_sendfile(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = os.sendfile

    def spy(*a: Any) -> int:
        calls.append(a)
        return real(*a)

    monkeypatch.setattr(os, "sendfile", spy)
    data = payload(100_000)
    p = tmp_path / "f"
    p.write_bytes(data)
    with unix_pair() as (c, s), open(p, "rb") as f:
        r = spawn(io.read_all, s)
        assert io.copy(c, f) == len(data)
        c.close_write()
        assert r.result() == data
    assert calls


def test_copy_file_to_tcp_uses_sendfile(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = os.sendfile

    def spy(*a: Any) -> int:
        calls.append(a)
        return real(*a)

    monkeypatch.setattr(os, "sendfile", spy)
    data = payload(300_000)
    p = tmp_path / "f"
    p.write_bytes(data)
    with tcp_pair() as (c, s), open(p, "rb") as f:
        assert f.read(10) == data[:10]  # copy starts at the file's position
        r = spawn(io.read_all, s)
        assert io.copy(c, f) == len(data) - 10
        assert f.tell() == len(data)
        f.seek(100)
        assert io.copy_n(c, f, 1000) == 1000
        assert f.tell() == 1100
        c.close_write()
        assert r.result() == data[10:] + data[100:1100]
    assert calls


def test_copy_from_a_datagram_conn_is_not_read_from() -> None:
    # A UDP conn's read_from(buf) is Go's PacketConn.ReadFrom, not io.ReaderFrom.
    pc = net.listen_packet("udp", "127.0.0.1:0")
    with pc:
        sink = Sink()
        c = net.dial("udp", str(pc.local_addr()))
        with c:
            c.write(b"datagram")
            assert io.copy_n(sink, pc, 8) == 8
        assert sink.value() == b"datagram"


def test_copy_error_from_splice_is_an_op_error() -> None:
    with tcp_pair() as (c1, s1), tcp_pair() as (c2, s2):
        s2.close()  # c2's first bytes draw a reset, its later writes fail
        w = spawn(c1.write, b"x" * (4 << 20))
        with pytest.raises(OSError, match="readfrom") as ei:
            io.copy(c2, s1)
        e = ei.value
        assert isinstance(e, net.OpError)
        assert e.op == "readfrom"
        assert isinstance(e, (BrokenPipeError, ConnectionResetError))
        s1.close()  # the writer, no longer read, fails too
        assert isinstance(w.exception(), OSError)


def test_copy_splice_honours_the_source_deadline() -> None:
    with tcp_pair() as (c1, s1), tcp_pair() as (c2, s2):
        c1.write(b"early")
        s1.set_read_deadline(gonet.now() + 0.05)
        with pytest.raises(TimeoutError) as ei:
            io.copy(c2, s1)
        e = ei.value
        assert isinstance(e, net.OpError)
        assert e.op == "readfrom"
        assert e.written == 5
        assert str(e) == f"readfrom tcp {c2.local_addr()}->{c2.remote_addr()}: i/o timeout"
        got = bytearray(5)
        assert io.read_full(s2, got) == 5
        assert got == b"early"


# -- file objects over a conn ------------------------------------------------------------------


def _trickle(conn: Any, *parts: bytes) -> Any:
    def body() -> None:
        for p in parts:
            gonet.sleep(0.01)
            conn.write(p)
        conn.close_write()

    return spawn(body)


def test_buffered_reader_over_file_does_not_see_eof_early() -> None:
    with tcp_pair() as (c, s):
        f = s.file()
        with stdio.BufferedReader(f) as r:
            w = _trickle(c, b"hel", b"lo\nwor", b"ld\n")
            assert r.readline() == b"hello\n"
            assert r.readline() == b"world\n"
            assert r.readline() == b""
            w.result()
        assert f.closed
        assert not s.closed  # closing the duplicate left the conn open
        c2 = spawn(c.close)
        c2.result()


def test_makefile_text_lines() -> None:
    with tcp_pair() as (c, s):
        w = _trickle(c, "héllo\r\nsec".encode(), b"ond\n")
        with s.makefile("r", encoding="utf-8", newline="") as f:
            assert f.mode == "r"
            assert f.readline() == "héllo\r\n"
            assert f.readline() == "second\n"
            assert f.readline() == ""
        w.result()
        assert not s.closed


def test_makefile_write_and_modes() -> None:
    with tcp_pair() as (c, s):
        with c.makefile("wb") as f:
            f.write(b"buffered ")
            f.write(b"bytes")
        assert c.makefile("rb", buffering=0).read(0) == b""
        with s.makefile("rwb") as f:
            assert f.read(14) == b"buffered bytes"
            f.write(b"back")
            f.flush()
        assert c.recv(10) == b"back"
        with pytest.raises(ValueError, match=r"^invalid mode 'rt' \(only r, w, b allowed\)$"):
            c.makefile("rt")
        with pytest.raises(ValueError, match="^unbuffered streams must be binary$"):
            c.makefile("r", buffering=0)
        with c.makefile("rb") as f, pytest.raises(stdio.UnsupportedOperation):
            f.write(b"x")


def test_makefile_after_conn_close_raises_err_closed() -> None:
    with tcp_pair() as (c, s):
        f = s.makefile("rb")
        s.close()
        with pytest.raises(net.ErrClosed):
            f.read(1)
        f.close()


def test_an_unclosed_file_is_finalized_without_closing_the_conn_itself() -> None:
    import gc

    with tcp_pair() as (c, s):
        f = s.makefile("rb")
        d = s.file()
        dup_fd = d.fileno()
        del f, d
        gc.collect()
        assert not s.closed
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(dup_fd)  # the duplicate's socket was closed by its finalizer
        c.write(b"still")
        assert s.recv(5) == b"still"

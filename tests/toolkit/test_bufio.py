"""gonet.bufio: Reader (read, read_byte/unread_byte, peek, discard, read_slice, read_line,
read_bytes, read_string, write_to, iteration, reset, sizes) and Writer (write, write_byte,
write_string, flush, sticky errors, read_from, reset, sizes) over fake readers and real conns,
and a line protocol over TCP (10,000 lines, every byte checked)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from helpers import Chunks, Sink, spawn, tcp_pair

import gonet
from gonet import bufio, io, net

# -- Reader -------------------------------------------------------------------------------------------


def test_sizes_and_constructors() -> None:
    r = bufio.new_reader(Chunks())
    assert r.size() == 4096
    assert r.buffered() == 0
    assert bufio.new_reader_size(Chunks(), 1).size() == 16
    assert bufio.new_reader_size(r, 100) is r  # already large enough
    assert bufio.new_reader_size(r, 8192) is not r
    w = bufio.new_writer(Sink())
    assert w.size() == 4096
    assert w.available() == 4096
    assert w.buffered() == 0
    assert bufio.new_writer_size(Sink(), 0).size() == 4096
    assert bufio.new_writer_size(w, 10) is w


def test_read_serves_buffer_then_one_underlying_read() -> None:
    src = Chunks(b"hello", b" world")
    r = bufio.Reader(src, 16)
    buf = bytearray(3)
    assert r.read(buf) == 3
    assert buf == b"hel"
    assert r.buffered() == 2
    assert r.read(bytearray(10)) == 2
    assert src.reads == 1
    big = bytearray(16)
    assert r.read(big) == 6
    assert big[:6] == b" world"
    assert r.buffered() == 0
    assert r.read(big) == 0
    assert r.read(bytearray(0)) == 0


def test_read_byte_unread_byte() -> None:
    r = bufio.Reader(Chunks(b"ab"))
    with pytest.raises(bufio.ErrInvalidUnreadByte, match="^bufio: invalid use of UnreadByte$"):
        r.unread_byte()
    assert r.read_byte() == ord("a")
    r.unread_byte()
    with pytest.raises(bufio.ErrInvalidUnreadByte):
        r.unread_byte()  # only one byte can be put back
    assert r.read_byte() == ord("a")
    assert r.read_byte() == ord("b")
    with pytest.raises(io.EOF, match="^EOF$"):
        r.read_byte()
    r.unread_byte()  # b is still the last byte read
    assert r.read_byte() == ord("b")


def test_peek_does_not_consume() -> None:
    r = bufio.Reader(Chunks(b"ab", b"cdef"), 16)
    assert r.peek(0) == b""
    assert r.peek(4) == b"abcd"
    assert r.buffered() == 6
    assert r.read_byte() == ord("a")
    r.peek(1)
    with pytest.raises(bufio.ErrInvalidUnreadByte):
        r.unread_byte()  # peek is not a read
    with pytest.raises(bufio.ErrBufferFull, match="^bufio: buffer full$") as ei:
        r.peek(17)
    assert ei.value.data == b"bcdef"
    with pytest.raises(io.EOF) as ee:
        r.peek(6)
    assert ee.value.data == b"bcdef"
    assert r.buffered() == 5
    with pytest.raises(bufio.ErrNegativeCount, match="^bufio: negative count$"):
        r.peek(-1)


def test_discard() -> None:
    r = bufio.Reader(Chunks(b"abc", b"defgh", b"ij"), 16)
    assert r.discard(4) == 4
    assert r.read_byte() == ord("e")
    with pytest.raises(io.EOF) as ei:
        r.discard(10)
    assert ei.value.n == 5
    with pytest.raises(bufio.ErrNegativeCount):
        r.discard(-1)


def test_read_slice_returns_a_view_and_reports_full_and_eof() -> None:
    r = bufio.Reader(Chunks(b"ab\ncdefghijklmnopqrstuvwxyz\nxy"), 16)
    v = r.read_slice(b"\n")
    assert isinstance(v, memoryview)
    assert v == b"ab\n"
    with pytest.raises(bufio.ErrBufferFull) as ei:
        r.read_slice("\n")
    assert ei.value.data == b"cdefghijklmnopqr"
    assert bytes(r.read_slice(10)) == b"stuvwxyz\n"
    with pytest.raises(io.EOF) as ee:
        r.read_slice(b"\n")
    assert ee.value.data == b"xy"
    with pytest.raises(TypeError):
        r.read_slice(b"ab")


def test_read_line_strips_and_splits_long_lines() -> None:
    r = bufio.Reader(Chunks(b"one\r\ntw", b"o\n", b"x" * 15 + b"\r\nlast"), 16)
    assert r.read_line() == (b"one", False)
    assert r.read_line() == (b"two", False)
    # A 15-byte line + "\r\n" in a 16-byte buffer: the '\r' at the buffer's end is kept back.
    assert r.read_line() == (b"x" * 15, True)
    assert r.read_line() == (b"", False)
    assert r.read_line() == (b"last", False)  # the last line needs no newline
    with pytest.raises(io.EOF):
        r.read_line()


def test_read_bytes_and_read_string_cross_buffer_refills() -> None:
    long = b"y" * 50 + b";"
    r = bufio.Reader(Chunks(b"a;", long, "é;".encode(), b"\xff;", b"tail"), 16)
    assert r.read_bytes(b";") == b"a;"
    assert r.read_bytes(";") == long
    assert r.read_string(";") == "é;"
    s = r.read_string(";")
    assert s.encode("utf-8", "surrogateescape") == b"\xff;"  # any byte round-trips
    with pytest.raises(io.EOF) as ei:
        r.read_string(";")
    assert ei.value.data == "tail"
    with pytest.raises(io.EOF) as ee:
        r.read_bytes(";")
    assert ee.value.data == b""


def test_iteration_yields_lines_with_newline() -> None:
    r = bufio.Reader(Chunks(b"a\nb", b"b\n", b"c"), 16)
    assert list(r) == [b"a\n", b"bb\n", b"c"]


def test_reader_error_keeps_buffered_bytes() -> None:
    class Flaky(Chunks):
        def read(self, buf: Any) -> int:
            if self.reads == 1:
                self.reads += 1
                raise TimeoutError("i/o timeout")
            return super().read(buf)

    r = bufio.Reader(Flaky(b"par", b"tial\n"), 16)
    with pytest.raises(TimeoutError, match="^i/o timeout$"):
        r.read_line()
    assert r.buffered() == 3
    assert r.read_line() == (b"partial", False)


def test_reset_drops_buffered_data() -> None:
    r = bufio.Reader(Chunks(b"abc"))
    assert r.read_byte() == ord("a")
    r.reset(Chunks(b"xyz"))
    assert r.buffered() == 0
    assert r.read_bytes(b"z") == b"xyz"
    r.reset(r)  # resetting to itself does nothing
    with pytest.raises(io.EOF):
        r.read_byte()


def test_reader_write_to_and_io_copy() -> None:
    r = bufio.Reader(Chunks(b"head", b"body" * 10_000), 16)
    assert r.read_byte() == ord("h")
    sink = Sink()
    assert io.copy(sink, r) == 3 + 40_000  # copy prefers the Reader's write_to
    assert sink.value() == b"ead" + b"body" * 10_000


def test_reader_rejects_a_bad_count() -> None:
    class Liar:
        def read(self, buf: Any) -> int:
            return len(buf) + 1

    with pytest.raises(bufio.ErrNegativeRead, match="^bufio: reader returned negative count"):
        bufio.Reader(Liar()).read_byte()


# -- Writer ----------------------------------------------------------------------------------------


def test_writer_buffers_until_full_or_flush() -> None:
    sink = Sink()
    w = bufio.Writer(sink, 16)
    assert w.write(b"0123456789") == 10
    assert sink.writes == []
    assert w.available() == 6
    assert w.buffered() == 10
    w.write(b"abcdefgh")  # crosses the end: the full buffer goes out
    assert sink.writes == [b"0123456789abcdef"]
    assert w.buffered() == 2
    w.write_byte(ord("!"))
    assert w.write_string("é") == 2
    w.flush()
    assert sink.value() == b"0123456789abcdefgh!" + "é".encode()
    w.flush()  # nothing buffered: nothing written
    assert len(sink.writes) == 2


def test_writer_large_write_bypasses_an_empty_buffer() -> None:
    sink = Sink()
    w = bufio.Writer(sink, 16)
    big = bytes(range(40))
    assert w.write(big) == 40
    assert sink.writes == [big]
    assert w.buffered() == 0


def test_writer_error_is_sticky_until_reset() -> None:
    class Broken:
        def __init__(self) -> None:
            self.calls = 0

        def write(self, data: Any) -> int:
            self.calls += 1
            e = BrokenPipeError("broken pipe")
            e.written = 3  # type: ignore[attr-defined]
            raise e

    b = Broken()
    w = bufio.Writer(b, 16)
    w.write(b"abcdefgh")
    with pytest.raises(BrokenPipeError) as ei:
        w.flush()
    assert w.buffered() == 5  # the 3 bytes reported written are gone, the rest kept
    with pytest.raises(BrokenPipeError) as again:
        w.write(b"x")
    assert again.value is ei.value
    assert b.calls == 1
    sink = Sink()
    w.reset(sink)
    w.write(b"ok")
    w.flush()
    assert sink.value() == b"ok"


def test_writer_read_from_and_io_copy() -> None:
    sink = Sink()
    w = bufio.Writer(sink, 16)
    w.write(b"<")
    assert io.copy(w, Chunks(b"a" * 20, b"b" * 5)) == 25  # copy prefers the Writer's read_from
    assert sink.writes == [b"<" + b"a" * 15]
    w.flush()
    assert sink.value() == b"<" + b"a" * 20 + b"b" * 5


def test_writer_read_from_hands_a_conn_copy_to_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = os.splice

    def spy(*a: Any, **kw: Any) -> int:
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(os, "splice", spy)
    data = os.urandom(100_000)
    with tcp_pair() as (c1, s1), tcp_pair() as (c2, s2):
        w = bufio.Writer(c2)
        spawn(lambda: (c1.write(data), c1.close_write()))
        got = spawn(io.read_all, s2)
        assert w.read_from(s1) == len(data)
        c2.close_write()
        assert got.result() == data
    assert calls


def test_read_writer() -> None:
    sink = Sink()
    rw = bufio.new_read_writer(bufio.Reader(Chunks(b"q\n")), bufio.Writer(sink))
    assert rw.read_bytes(b"\n") == b"q\n"
    rw.write(b"a")
    rw.flush()
    assert sink.value() == b"a"


# -- over real conns --------------------------------------------------------------------------


def test_line_protocol_over_tcp_10000_lines() -> None:
    n = 10_000

    def line(i: int) -> bytes:
        return b"%d %s\r\n" % (i, bytes([97 + i % 26]) * (i % 97))

    def server(conn: Any) -> int:
        r = bufio.new_reader(conn)
        w = bufio.new_writer(conn)
        count = 0
        while True:
            try:
                text, prefix = r.read_line()
            except io.EOF:
                break
            assert not prefix
            num, _, body = text.partition(b" ")
            w.write(b"%d:%d\n" % (int(num), len(body)))
            count += 1
        w.flush()
        conn.close_write()
        return count

    with tcp_pair() as (c, s):
        srv = spawn(server, s)

        def client() -> None:
            w = bufio.new_writer_size(c, 1000)  # odd size: lines straddle flushes
            for i in range(n):
                w.write(line(i))
            w.flush()
            c.close_write()

        cl = spawn(client)
        r = bufio.new_reader_size(c, 64)  # small buffer: lines straddle refills
        for i in range(n):
            assert r.read_string("\n") == f"{i}:{i % 97}\n"
        with pytest.raises(io.EOF) as ei:
            r.read_string("\n")
        assert ei.value.data == ""
        cl.result()
        assert srv.result() == n


def test_reader_over_pipe_conn_parks_until_the_line_is_complete() -> None:
    a, b = net.pipe()
    with a, b:
        r = bufio.Reader(b)
        got = spawn(r.read_bytes, b"\n")

        def write() -> None:
            a.write(b"partial ")
            gonet.sleep(0.01)
            a.write(b"line\nnext")
            a.close()

        w = spawn(write)
        assert got.result() == b"partial line\n"
        w.result()
        with pytest.raises(io.EOF) as ei:
            r.read_bytes(b"\n")
        assert ei.value.data == b"next"


def test_read_rune_decodes_utf8_across_chunk_boundaries() -> None:
    # "é" (2 bytes) and "€" (3 bytes) split across underlying reads; an invalid byte reads as U+FFFD.
    r = bufio.Reader(Chunks(b"a\xc3", b"\xa9\xe2\x82", b"\xac\xff!"))
    got = []
    while True:
        try:
            got.append(r.read_rune())
        except io.EOF:
            break
    assert got == [("a", 1), ("é", 2), ("€", 3), ("\ufffd", 1), ("!", 1)]


def test_unread_rune_only_right_after_read_rune() -> None:
    r = bufio.Reader(Chunks("€x".encode()))
    assert r.read_rune() == ("€", 3)
    r.unread_rune()
    assert r.read_rune() == ("€", 3)
    r.unread_rune()
    with pytest.raises(bufio.ErrInvalidUnreadRune, match="bufio: invalid use of UnreadRune"):
        r.unread_rune()
    assert r.read_rune() == ("€", 3)
    r.peek(1)
    with pytest.raises(bufio.ErrInvalidUnreadRune):
        r.unread_rune()
    assert r.read_byte() == ord("x")
    with pytest.raises(bufio.ErrInvalidUnreadRune):
        r.unread_rune()


def test_write_rune_writes_utf8() -> None:
    sink = Sink()
    w = bufio.Writer(sink)
    assert w.write_rune("€") == 3
    assert w.write_rune("a") == 1
    assert w.write_rune("\ud800") == 3  # a lone surrogate becomes U+FFFD, as Go's RuneError
    w.flush()
    assert sink.value() == "€a\ufffd".encode()
    with pytest.raises(ValueError, match="write_rune wants one character, got 2"):
        w.write_rune("ab")

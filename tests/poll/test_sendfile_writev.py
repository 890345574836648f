"""Zero-copy and vectored writes: Conn.sendfile (sendfile(2) + fallback) and Conn.writev."""

from __future__ import annotations

import array
import io
import os

import pytest
from helpers import spawn, tcp_pair, unix_pair

import gonet
from gonet import net


def read_exactly(conn, n: int) -> bytes:
    out = bytearray()
    buf = bytearray(1 << 16)
    while len(out) < n:
        k = conn.read(buf)
        if not k:
            break
        out += buf[:k]
    return bytes(out)


def read_all(conn) -> bytes:
    out = bytearray()
    buf = bytearray(1 << 16)
    while True:
        k = conn.read(buf)
        if not k:
            return bytes(out)
        out += buf[:k]


@pytest.fixture
def big_file(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 123)
    p = tmp_path / "big.bin"
    p.write_bytes(data)
    with open(p, "rb") as f:
        yield f, data


# -- writev ------------------------------------------------------------------------------------


def test_writev_many_buffers_with_partial_progress() -> None:
    # 2500 buffers (> 1024 per sendmsg) and ~5 MiB (> the socket buffers), so sendmsg stops
    # part-way through a buffer and the loop must resume exactly there.
    bufs = [os.urandom(1 + (i * 7919) % 4000) for i in range(2500)]
    want = b"".join(bufs)
    with tcp_pair() as (c, s):
        reader = spawn(read_exactly, s, len(want))
        assert c.writev(bufs) == len(want)
        assert reader.result() == want


def test_writev_mixed_buffer_types_and_empty_ones() -> None:
    ints = array.array("i", [1, 2, 3])
    parts = [b"ab", b"", bytearray(b"cd"), memoryview(b"xxefxx")[2:4], ints]
    with unix_pair() as (c, s):
        n = c.writev(p for p in parts)  # any iterable, a generator included
        assert n == 6 + ints.itemsize * 3
        assert read_exactly(s, n) == b"abcdef" + ints.tobytes()


def test_writev_rejects_non_buffers() -> None:
    with tcp_pair() as (c, s):
        with pytest.raises(TypeError, match="writev buffers must be bytes-like, not str"):
            c.writev([b"ok", "text"])
        with pytest.raises(TypeError, match="not a single bytes"):
            c.writev(b"abc")
        assert c.writev([]) == 0


def test_writev_after_close_and_with_expired_deadline() -> None:
    with tcp_pair() as (c, s):
        c.set_write_deadline(gonet.now() - 1)
        with pytest.raises(TimeoutError) as ei:
            c.writev([b"x"])
        assert ei.value.written == 0
        assert str(ei.value).startswith("writev tcp ")
        c.close()
        with pytest.raises(net.ErrClosed):
            c.writev([b"x"])


def test_writev_timeout_part_way_reports_bytes_written() -> None:
    bufs = [b"%08d" % i * 1024 for i in range(4096)]  # 32 MiB: more than the buffers hold
    with tcp_pair() as (c, s):
        c.set_write_deadline(gonet.now() + 0.2)
        with pytest.raises(TimeoutError) as ei:
            c.writev(bufs)  # nobody reads
        written = ei.value.written
        assert 0 < written < sum(map(len, bufs))
        c.close_write()
        assert read_all(s) == b"".join(bufs)[:written]


# -- sendfile ----------------------------------------------------------------------------------


def test_sendfile_whole_file_moves_position_to_end(big_file) -> None:
    f, data = big_file
    with tcp_pair() as (c, s):
        reader = spawn(read_exactly, s, len(data))
        assert c.sendfile(f) == len(data)
        assert reader.result() == data
        assert f.tell() == len(data)


def test_sendfile_offset_and_count(big_file) -> None:
    f, data = big_file
    with unix_pair() as (c, s):
        assert c.sendfile(f, 1000, 5000) == 5000
        assert read_exactly(s, 5000) == data[1000:6000]
        assert f.tell() == 6000
        tail = len(data) - 100
        reader = spawn(read_exactly, s, 100)
        assert c.sendfile(f, tail, 10_000) == 100  # count past EOF: what is there
        assert reader.result() == data[tail:]


def test_sendfile_falls_back_to_read_write_without_a_descriptor() -> None:
    data = os.urandom(300_000)
    src = io.BytesIO(data)
    with tcp_pair() as (c, s):
        reader = spawn(read_exactly, s, len(data) - 10)
        assert c.sendfile(src, 10) == len(data) - 10
        assert reader.result() == data[10:]
        assert src.tell() == len(data)


def test_sendfile_from_a_pipe_is_served(tmp_path) -> None:
    r, w = os.pipe()
    payload = b"through a pipe " * 1000
    os.write(w, payload)
    os.close(w)
    with open(r, "rb", buffering=0) as f, tcp_pair() as (c, s):
        reader = spawn(read_exactly, s, len(payload))
        assert c.sendfile(f) == len(payload)  # sendfile(2) or the fallback: same bytes
        assert reader.result() == payload


def test_sendfile_bad_arguments(big_file, tmp_path) -> None:
    f, _ = big_file
    p = tmp_path / "t.txt"
    p.write_text("text")
    with tcp_pair() as (c, s), open(p) as text:
        with pytest.raises(ValueError, match="binary mode"):
            c.sendfile(text)
        with pytest.raises(ValueError, match="count must be a positive integer"):
            c.sendfile(f, 0, 0)
        with pytest.raises(ValueError, match="negative offset"):
            c.sendfile(f, -1)
        with pytest.raises(TypeError, match="file object"):
            c.sendfile(b"bytes")
        c.close()
        with pytest.raises(net.ErrClosed) as ei:
            c.sendfile(f)
        assert isinstance(ei.value, net.OpError)


def test_sendfile_timeout_part_way_reports_progress(tmp_path) -> None:
    data = os.urandom(24 * 1024 * 1024)
    p = tmp_path / "huge.bin"
    p.write_bytes(data)
    with open(p, "rb") as f, tcp_pair() as (c, s):
        c.set_write_deadline(gonet.now() + 0.2)
        with pytest.raises(TimeoutError) as ei:
            c.sendfile(f)  # nobody reads
        written = ei.value.written
        assert 0 < written < len(data)
        assert f.tell() == written
        assert str(ei.value).startswith("readfrom tcp ")
        c.close_write()
        assert read_all(s) == data[:written]

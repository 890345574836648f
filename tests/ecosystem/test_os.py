# gonet.os (Go's os files): regular files on the thread pool, pipes and FIFOs on the netpoller,
# PathError texts, close semantics, deadlines.
from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import parked, spawn, wait_until

import gonet
from gonet import os as gos
from gonet.errors import ErrClosed


def test_write_file_then_read_file(tmp_path: Path) -> None:
    p = tmp_path / "data.bin"
    payload = os.urandom(3 << 20) + b"tail"
    gos.write_file(str(p), payload, 0o600)
    assert p.read_bytes() == payload
    assert p.stat().st_mode & 0o777 == 0o600
    assert gos.read_file(str(p)) == payload
    gos.write_file(p, b"short")  # truncates; a PathLike works too
    assert gos.read_file(p) == b"short"


def test_read_file_of_a_proc_file_reads_past_its_zero_size() -> None:
    data = gos.read_file("/proc/self/status")
    assert data.startswith(b"Name:")
    assert b"\nPid:" in data


def test_missing_file_errors_name_op_and_path(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    with pytest.raises(gos.PathError, match=r"^open .*/nope: no such file or directory$") as ei:
        gos.read_file(missing)
    e = ei.value
    assert isinstance(e, FileNotFoundError)
    assert e.op == "open"
    assert e.path == missing
    assert isinstance(e.err, FileNotFoundError)
    with pytest.raises(FileNotFoundError, match=r"^open .*/nope: no such file or directory$"):
        gos.open(missing)
    with pytest.raises(gos.PathError, match=r"^open .*/no/such/dir/f: no such file or directory$"):
        gos.write_file(str(tmp_path / "no/such/dir/f"), b"x")
    with pytest.raises(TypeError, match=r"needs bytes, not str"):
        gos.write_file(str(tmp_path / "t"), "text")  # type: ignore[arg-type]


def test_regular_file_read_write_seek_stat(tmp_path: Path) -> None:
    p = str(tmp_path / "f")
    f = gos.create(p)
    assert not f.pollable()
    assert f.write(b"hello world") == 11
    assert f.seek(0) == 0
    buf = bytearray(5)
    assert f.read(buf) == 5
    assert buf == b"hello"
    assert f.write_at(b"W", 6) == 1
    buf2 = bytearray(5)
    assert f.read_at(buf2, 6) == 5
    assert buf2 == b"World"
    assert f.stat().st_size == 11
    f.truncate(5)
    f.sync()
    assert f.seek(0, os.SEEK_END) == 5
    assert f.read(bytearray(4)) == 0  # EOF
    f.close()
    assert Path(p).read_bytes() == b"hello"
    with pytest.raises(gos.PathError, match=r"^read .*/f: file already closed$") as ei:
        f.read(bytearray(1))
    assert isinstance(ei.value, ErrClosed)
    with pytest.raises(gos.PathError, match=r"^close .*/f: file already closed$"):
        f.close()


def test_regular_file_has_no_deadline(tmp_path: Path) -> None:
    f = gos.create(str(tmp_path / "f"))
    with f, pytest.raises(gos.PathError, match=r"^SetDeadline .*/f: file type does not support deadline$"):
        f.set_deadline(gonet.now() + 1)
    assert f.fileno() == -1


def test_regular_file_io_parks_on_the_thread_pool(tmp_path: Path) -> None:
    p = tmp_path / "fifo"
    os.mkfifo(p)
    # Opening a FIFO for reading blocks until a writer opens it. On the thread pool that stalls
    # only this goroutine: the writer below runs meanwhile (were the open inline, the writer
    # could never run and the test would time out).
    fut = spawn(gos.open, str(p))
    wait_until(parked(fut, "thread pool"), what="open parked on the thread pool")
    w = gos.open_file(str(p), gos.O_WRONLY)
    r = fut.result()
    try:
        assert r.pollable()  # a FIFO is pollable once open
        assert w.pollable()
        w.write(b"via fifo")
        buf = bytearray(16)
        assert r.read(buf) == 8
        assert buf[:8] == b"via fifo"
    finally:
        w.close()
        r.close()


def test_pipe_reads_park_and_deadlines_work() -> None:
    r, w = gos.pipe()
    assert r.name == "|0"
    assert w.name == "|1"
    got = bytearray()

    def reader() -> None:
        buf = bytearray(4)
        while n := r.read(buf):
            got.extend(buf[:n])

    fut = spawn(reader)
    wait_until(parked(fut, "IO wait"), what="reader parked on the netpoller")
    w.write(b"0123456789")
    w.close()
    fut.result()
    assert got == b"0123456789"
    r.set_read_deadline(gonet.now() - 1)
    with pytest.raises(gos.PathError, match=r"^read \|0: i/o timeout$") as ei:
        r.read(bytearray(1))
    assert isinstance(ei.value, TimeoutError)
    r.close()


def test_close_wakes_a_parked_reader() -> None:
    r, w = gos.pipe()
    fut = spawn(r.read, bytearray(8))
    wait_until(parked(fut, "IO wait"), what="reader parked")
    r.close()
    e = fut.exception()
    assert isinstance(e, gos.PathError)
    assert str(e) == "read |0: file already closed"
    w.close()


def test_seek_on_a_pipe_is_an_illegal_seek() -> None:
    r, w = gos.pipe()
    try:
        with pytest.raises(gos.PathError, match=r"^seek \|0: illegal seek$"):
            r.seek(0)
    finally:
        r.close()
        w.close()


def test_dev_null_falls_back_to_the_thread_pool() -> None:
    # epoll refuses /dev/null (EPERM): the File works on the thread pool instead.
    f = gos.open_file(os.devnull, gos.O_RDWR)
    try:
        assert not f.pollable()
        assert f.write(b"gone") == 4
        assert f.read(bytearray(4)) == 0
    finally:
        f.close()


def test_new_file_wraps_an_existing_descriptor() -> None:
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    fr = gos.new_file(r, "reader")
    fw = gos.new_file(w, "writer")
    try:
        assert fr.pollable()
        fw.write(b"x")
        assert fr.read(bytearray(1)) == 1
        assert repr(fr) == f"<gonet.os.File 'reader' fd={r} pollable>"
    finally:
        fr.close()
        fw.close()
    with pytest.raises(ValueError, match=r"invalid descriptor -1"):
        gos.new_file(-1, "bad")


def test_readers_queue_fifo_on_a_regular_file(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(bytes(range(100)))
    f = gos.open(str(p))
    results: list[bytes] = []

    def read10() -> None:
        buf = bytearray(10)
        n = f.read(buf)
        results.append(bytes(buf[:n]))

    futs = [spawn(read10) for _ in range(5)]
    for fu in futs:
        fu.result()
    f.close()
    assert sorted(results) == [bytes(range(i, i + 10)) for i in range(0, 50, 10)]

"""Unix domain sockets: unlink on close (not for abstract names), unixpacket message boundaries,
stream EOF, Go's error texts."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from helpers import parked, spawn, unix_pair, wait_until

import gonet
from gonet import net


def test_unix_listener_unlinks_its_path_on_close(tmp_path: Path) -> None:
    path = str(tmp_path / "srv.sock")
    ln = net.listen("unix", path)
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    assert str(ln.addr()) == path
    assert ln.addr().network() == "unix"
    c = net.dial("unix", path)
    s = ln.accept()
    with c, s:
        c.write(b"over a path")
        assert s.recv(100) == b"over a path"
        ln.close()
        assert not os.path.exists(path)
        s.write(b"accepted conns outlive the listener")
        assert c.recv(100) == b"accepted conns outlive the listener"


def test_unix_listener_can_keep_its_path(tmp_path: Path) -> None:
    path = str(tmp_path / "kept.sock")
    ln = net.listen("unix", path)
    ln.set_unlink_on_close(False)  # type: ignore[attr-defined]
    ln.close()
    assert stat.S_ISSOCK(os.stat(path).st_mode)


def test_abstract_names_create_and_unlink_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    name = f"@gonet-abstract-{os.getpid()}"
    decoy = tmp_path / name
    decoy.write_text("not a socket")  # a file that happens to have the same name
    ln = net.listen("unix", name)
    c = net.dial("unix", name)
    s = ln.accept()
    with c, s:
        ln.close()
        c.write(b"abstract")
        assert s.recv(100) == b"abstract"
    assert decoy.read_text() == "not a socket"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_listening_on_a_path_in_use_fails_with_bind_error(tmp_path: Path) -> None:
    path = str(tmp_path / "busy.sock")
    with net.listen("unix", path):
        with pytest.raises(OSError, match="address already in use") as ei:
            net.listen("unix", path)
        assert ei.value.errno == errno.EADDRINUSE
        assert str(ei.value) == f"listen unix {path}: bind: address already in use"


def test_dialling_a_missing_path_fails_with_go_text(tmp_path: Path) -> None:
    path = str(tmp_path / "nobody.sock")
    with pytest.raises(FileNotFoundError) as ei:
        net.dial("unix", path)
    assert isinstance(ei.value, net.OpError)
    assert str(ei.value) == f"dial unix {path}: connect: no such file or directory"


def test_unixpacket_keeps_message_boundaries() -> None:
    with unix_pair("unixpacket") as (c, s):
        msgs = [b"one", b"two-two", b"x" * 5000, b"3"]
        for m in msgs:
            c.write(m)
        buf = bytearray(65536)
        got = []
        for _ in msgs:
            n = s.read(buf)
            got.append(bytes(buf[:n]))
        assert got == msgs


def test_unixpacket_short_read_does_not_hide_the_next_message() -> None:
    # One read = one message, shorter than the buffer: that proves nothing about the queue, so
    # the edge must not be trusted for datagram-like sockets.
    with unix_pair("unixpacket") as (c, s):
        s.set_read_deadline(gonet.now() + 10)
        first = spawn(s.recv, 100)
        wait_until(parked(first, "IO wait"))
        c.write(b"first")
        c.write(b"second")
        c.write(b"third")
        assert first.result() == b"first"
        assert s.recv(100) == b"second"
        assert s.recv(100) == b"third"


def test_unix_stream_reads_data_then_eof() -> None:
    with unix_pair() as (c, s):
        c.write(b"a" * 100_000)
        c.close()
        got = bytearray()
        while True:
            d = s.recv(7000)
            if not d:
                break
            got += d
        assert bytes(got) == b"a" * 100_000

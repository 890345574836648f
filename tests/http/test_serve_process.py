"""`gonet serve` as a real process: the startup line, requests, the access log, and graceful
shutdown on SIGTERM (mid-request: the request completes, exit 0) and SIGINT."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import SUB_ENV

import gonet
from gonet import io, net
from gonet.bufio import Reader

APP = """
import os
import gonet

MARKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "release")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/slow":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return slow()
    body = ("hello from " + path).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def slow():
    yield b"started\\n"
    while not os.path.exists(MARKER):  # the test creates it once the server is shutting down
        gonet.sleep(0.005)
    yield b"done\\n"


def handler(w, r):
    w.header().set("Content-Type", "text/plain")
    w.write(b"handler saw " + r.url.path.encode())


def odd(a, b):
    pass
"""


class Served:
    def __init__(self, p: subprocess.Popen[str], addr: str) -> None:
        self.p = p
        self.addr = addr

    def line(self) -> str:
        """The next stdout line (read in a plain thread: this goroutine parks meanwhile)."""
        assert self.p.stdout is not None
        return str(gonet.run_in_thread(self.p.stdout.readline))

    def wait(self) -> tuple[int, str, str]:
        out, err = gonet.run_in_thread(self.p.communicate, timeout=30)
        return self.p.returncode, out, err


@contextmanager
def gonet_serve(tmp_path: Path, *args: str) -> Iterator[Served]:
    (tmp_path / "servedapp.py").write_text(textwrap.dedent(APP))
    p = subprocess.Popen(
        [sys.executable, "-m", "gonet.cli", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=SUB_ENV,
        cwd=tmp_path,
    )
    try:
        assert p.stdout is not None
        first = gonet.run_in_thread(p.stdout.readline)
        m = re.fullmatch(r"gonet serve: listening on http://(\S+) \((\w+) app (\S+)\)\n", first)
        assert m, (first, p.stderr.read() if p.poll() is not None and p.stderr else "")
        yield Served(p, m.group(1))
    finally:
        if p.poll() is None:
            p.kill()
        gonet.run_in_thread(p.communicate, timeout=30)


def get(addr: str, path: str) -> tuple[list[bytes], Reader, net.Conn]:
    c = net.dial("unix", addr[5:]) if addr.startswith("unix:") else net.dial("tcp", addr)
    c.set_deadline(gonet.now() + 30)
    c.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    rd = Reader(c)
    head = []
    while (line := rd.read_bytes(b"\n")) != b"\r\n":
        head.append(line.rstrip(b"\r\n"))
    return head, rd, c


def read_chunk(rd: Reader) -> bytes:
    size = int(rd.read_bytes(b"\n").strip(), 16)
    data = bytearray(size + 2)
    got = 0
    while got < len(data):
        n = rd.read(memoryview(data)[got:])
        assert n, "EOF inside a chunk"
        got += n
    return bytes(data[:size])


def test_serve_sigterm_mid_request_completes_it_and_exits_0(tmp_path: Path) -> None:
    with gonet_serve(tmp_path, "servedapp:app", "--bind", "127.0.0.1:0", "--access-log") as s:
        head, rd, c = get(s.addr, "/slow")
        with c:
            assert head[0] == b"HTTP/1.1 200 OK"
            assert read_chunk(rd) == b"started\n"
            s.p.send_signal(signal.SIGTERM)
            assert s.line() == "gonet serve: SIGTERM received, shutting down (graceful timeout 30s)\n"
            with pytest.raises(ConnectionRefusedError):  # no longer accepting
                net.dial("tcp", s.addr).close()
            (tmp_path / "release").touch()
            assert read_chunk(rd) == b"done\n"
            assert read_chunk(rd) == b""
        code, out, err = s.wait()
    assert code == 0, err
    lines = out.splitlines()
    assert re.fullmatch(r'127\.0\.0\.1 - - \[[^]]+\] "GET /slow HTTP/1\.1" 200 13', lines[0])
    assert lines[1:] == ["gonet serve: stopped"]


def test_serve_sigint_idle_exits_0_and_logs_requests(tmp_path: Path) -> None:
    with gonet_serve(tmp_path, "servedapp:app", "--bind", "127.0.0.1:0", "--access-log") as s:
        head, rd, c = get(s.addr, "/x?y=1")
        with c:
            assert head[0] == b"HTTP/1.1 200 OK"
            assert b"Content-Length: 13" in head
            body = bytearray(13)
            io.read_full(rd, body)
            assert bytes(body) == b"hello from /x"
        assert re.fullmatch(r'127\.0\.0\.1 - - \[[^]]+\] "GET /x\?y=1 HTTP/1\.1" 200 13\n', s.line())
        s.p.send_signal(signal.SIGINT)
        code, out, err = s.wait()
    assert code == 0, err
    assert out == "gonet serve: SIGINT received, shutting down (graceful timeout 30s)\ngonet serve: stopped\n"


def test_serve_graceful_timeout_closes_what_remains(tmp_path: Path) -> None:
    with gonet_serve(tmp_path, "servedapp:app", "--bind", "127.0.0.1:0", "--graceful-timeout", "0.2") as s:
        head, rd, c = get(s.addr, "/slow")
        with c:
            assert read_chunk(rd) == b"started\n"
            s.p.send_signal(signal.SIGTERM)
            code, out, err = s.wait()
            assert rd.read(bytearray(100)) == 0  # cut off: the request never finished
    assert code == 0, err
    assert out.splitlines() == [
        "gonet serve: SIGTERM received, shutting down (graceful timeout 0.2s)",
        "gonet serve: graceful timeout (0.2s) exceeded, remaining connections closed",
        "gonet serve: stopped",
    ]


def test_serve_a_second_signal_closes_at_once(tmp_path: Path) -> None:
    with gonet_serve(tmp_path, "servedapp:app", "--bind", "127.0.0.1:0") as s:
        head, rd, c = get(s.addr, "/slow")
        with c:
            assert read_chunk(rd) == b"started\n"
            s.p.send_signal(signal.SIGTERM)
            assert s.line().startswith("gonet serve: SIGTERM received")
            s.p.send_signal(signal.SIGINT)
            code, out, err = s.wait()
            assert rd.read(bytearray(100)) == 0
    assert code == 0, err
    assert out.splitlines() == [
        "gonet serve: second signal, closing the remaining connections",
        "gonet serve: stopped",
    ]


def test_serve_detects_a_handler(tmp_path: Path) -> None:
    with gonet_serve(tmp_path, "servedapp:handler", "--bind", "127.0.0.1:0") as s:
        head, rd, c = get(s.addr, "/h")
        with c:
            assert head[0] == b"HTTP/1.1 200 OK"
            body = bytearray(14)
            io.read_full(rd, body)
            assert bytes(body) == b"handler saw /h"
        s.p.send_signal(signal.SIGTERM)
        code, _, err = s.wait()
    assert code == 0, err


def test_serve_interface_flag_overrides_detection(tmp_path: Path) -> None:
    (tmp_path / "servedapp.py").write_text(textwrap.dedent(APP))
    p = subprocess.run(
        [sys.executable, "-m", "gonet.cli", "serve", "servedapp:odd", "--bind", "127.0.0.1:0"],
        capture_output=True,
        text=True,
        env=SUB_ENV,
        cwd=tmp_path,
        timeout=60,
    )
    assert p.returncode == 2
    assert p.stderr == (
        "gonet serve: cannot tell whether odd(a, b) is a WSGI app or a handler: "
        "pass --interface wsgi or --interface handler\n"
    )
    with gonet_serve(tmp_path, "servedapp:odd", "--bind", "127.0.0.1:0", "--interface", "handler") as s:
        s.p.send_signal(signal.SIGTERM)
        code, _, err = s.wait()
    assert code == 0, err


def test_serve_on_a_unix_socket(tmp_path: Path) -> None:
    sock = tmp_path / "web.sock"
    with gonet_serve(tmp_path, "servedapp:app", "--bind", f"unix:{sock}") as s:
        assert s.addr == f"unix:{sock}"
        head, rd, c = get(s.addr, "/u")
        with c:
            assert head[0] == b"HTTP/1.1 200 OK"
            body = bytearray(13)
            io.read_full(rd, body)
            assert bytes(body) == b"hello from /u"
        s.p.send_signal(signal.SIGTERM)
        code, _, err = s.wait()
    assert code == 0, err
    assert not sock.exists()  # the listener removed its socket file on close

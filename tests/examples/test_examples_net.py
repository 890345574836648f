"""The net examples run as real programs: udp_echo, tls_echo, proxy (with close_write)."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import held_closed_port, make_cert, spawn

import gonet
from gonet import go, net, tls

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


@contextmanager
def example(*args: str) -> Iterator[str]:
    """Run examples/<args>, yield the address it printed on its first line, then kill it."""
    p = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / args[0]), *args[1:]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert p.stdout is not None
        line = p.stdout.readline()
        m = re.search(r" on (\S+)", line)
        assert m, (line, p.stderr.read() if p.poll() is not None else "")
        yield m.group(1)
    finally:
        p.kill()
        p.communicate(timeout=10)


def read_until_eof(conn) -> bytes:
    out = bytearray()
    buf = bytearray(65536)
    while True:
        n = conn.read(buf)
        if not n:
            return bytes(out)
        out += buf[:n]


def write_then_close_write(conn, data: bytes) -> None:
    conn.write(data)
    conn.close_write()


def _run_example(name: str) -> subprocess.CompletedProcess[str]:
    """Run an example without arguments (its usage errors)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True, env=ENV, timeout=60
    )


def test_udp_echo_example() -> None:
    with example("udp_echo.py", "127.0.0.1:0") as addr:
        with net.dial("udp", addr) as c:
            c.set_deadline(gonet.now() + 20)
            for msg in (b"one", b"", b"x" * 60000):
                c.write(msg)
                buf = bytearray(65536)
                n = c.read(buf)
                assert bytes(buf[:n]) == msg
        pc = net.listen_packet("udp", "127.0.0.1:0")
        try:
            pc.set_deadline(gonet.now() + 20)
            pc.write_to(b"from an unconnected socket", net.resolve_udp_addr("udp", addr))
            data, peer = pc.recv_from(100)
            assert data == b"from an unconnected socket"
            assert str(peer) == addr
        finally:
            pc.close()


def test_tls_echo_example(tmp_path) -> None:
    cert, key = make_cert(tmp_path)
    ctx = ssl.create_default_context(cafile=str(cert))
    payload = os.urandom(300_000)
    with (
        example("tls_echo.py", "--cert", str(cert), "--key", str(key), "127.0.0.1:0") as addr,
        tls.client(net.dial("tcp", addr), server_hostname="localhost", context=ctx) as c,
    ):
        c.set_deadline(gonet.now() + 30)
        c.handshake()
        w = spawn(write_then_close_write, c, payload)
        assert read_until_eof(c) == payload  # the server closes after our close_notify
        w.result()


def test_tls_echo_example_rejects_missing_cert() -> None:
    out = _run_example("tls_echo.py")
    assert out.returncode == 2
    assert "--cert" in out.stderr


def echo_backend(ln: net.Listener) -> None:
    """Echo each connection until EOF, then half-close, as a well-behaved server does."""

    def one(conn: net.Conn) -> None:
        with conn:
            try:
                conn.write(read_until_eof(conn))
                conn.close_write()
                conn.read(bytearray(1))  # wait for the other side to finish
            except OSError:
                pass

    for conn in ln:
        go(one, conn)


def test_proxy_example_copies_both_ways_and_propagates_close_write() -> None:
    backend = net.listen("tcp", "127.0.0.1:0")
    spawn(echo_backend, backend)
    try:
        with example("proxy.py", "127.0.0.1:0", str(backend.addr())) as addr:
            payloads = [os.urandom(1 << 20), b"small", b""]
            conns = [net.dial("tcp", addr) for _ in payloads]
            try:
                writers = []
                for c, p in zip(conns, payloads, strict=True):
                    c.set_deadline(gonet.now() + 30)
                    writers.append(spawn(write_then_close_write, c, p))
                for c, p in zip(conns, payloads, strict=True):
                    # All bytes came back, then EOF: the client's close_write went through the
                    # proxy to the backend, whose close_write came back through the proxy.
                    assert read_until_eof(c) == p
                for w in writers:
                    w.result()
            finally:
                for c in conns:
                    c.close()
    finally:
        backend.close()


def test_proxy_example_closes_client_when_target_refuses() -> None:
    s, port = held_closed_port()
    with s, example("proxy.py", "127.0.0.1:0", f"127.0.0.1:{port}") as addr, net.dial("tcp", addr) as c:
        c.set_deadline(gonet.now() + 30)
        try:
            assert c.read(bytearray(10)) == 0
        except ConnectionResetError:
            pass  # also a valid way to learn the proxy gave up


def test_proxy_example_usage_error() -> None:
    out = _run_example("proxy.py")
    assert out.returncode == 1
    assert "usage: proxy.py LISTEN_ADDR TARGET_ADDR" in out.stderr


@pytest.mark.parametrize("script", ["udp_echo.py", "tls_echo.py", "proxy.py"])
def test_examples_have_a_docstring_with_run_line(script: str) -> None:
    text = (ROOT / "examples" / script).read_text()
    assert text.startswith('"""')
    assert "\nRun: python examples/" + script in text

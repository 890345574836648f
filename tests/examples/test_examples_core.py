"""The core examples run as real programs and serve real clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def _start(script: str) -> tuple[subprocess.Popen[str], int]:
    p = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / script), "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert p.stdout is not None
    line = p.stdout.readline()
    assert "127.0.0.1:" in line, (line, p.stderr.read() if p.poll() is not None else "")
    return p, int(line.rsplit(":", 1)[1])


def _stop(p: subprocess.Popen[str]) -> None:
    p.kill()
    p.communicate(timeout=10)


def test_seed_server_answers_each_client() -> None:
    p, port = _start("server.py")
    try:
        replies = []
        for i in range(5):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"hello %d" % i)
                chunks = []
                while True:
                    d = s.recv(100)
                    if not d:
                        break
                    chunks.append(d)
                replies.append(b"".join(chunks))
        assert replies == [b"I am server!"] * 5
    finally:
        _stop(p)


def test_echo_server_echoes_until_eof() -> None:
    p, port = _start("echo_server.py")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            payload = os.urandom(200_000)
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            got = bytearray()
            while True:
                d = s.recv(65536)
                if not d:
                    break
                got += d
        assert bytes(got) == payload
    finally:
        _stop(p)


@pytest.mark.parametrize("n", [1, 4])
def test_client_example_talks_to_seed_server(n: int) -> None:
    p, port = _start("server.py")
    try:
        out = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "client.py"), f"127.0.0.1:{port}", "hi", "-n", str(n)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=30,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == ["I am server!"] * n
    finally:
        _stop(p)

"""smtplib through patched sockets against a small SMTP sink served by goroutines."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
from helpers import spawn
from interop_helpers import concurrently

from gonet import socket as gs


class Sink:
    """A minimal SMTP server (RFC 5321's happy path): one goroutine per connection."""

    def __init__(self) -> None:
        self.ls = gs.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.ls.getsockname()[1]
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.conns: list = []
        self.acceptor = spawn(self._accept)

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            self.conns.append(spawn(self._session, c))

    def _session(self, c: gs.socket) -> None:
        with c, c.makefile("rb") as f:
            c.sendall(b"220 gonet sink ready\r\n")
            sender, rcpts = "", []
            while line := f.readline():
                cmd = line.decode().strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    c.sendall(b"250 gonet\r\n")
                elif verb == "MAIL":
                    sender, rcpts = cmd.split(":", 1)[1].strip("<> "), []
                    c.sendall(b"250 OK\r\n")
                elif verb == "RCPT":
                    rcpts.append(cmd.split(":", 1)[1].strip("<> "))
                    c.sendall(b"250 OK\r\n")
                elif verb == "DATA":
                    c.sendall(b"354 go ahead\r\n")
                    body = b""
                    while (data := f.readline()) not in (b".\r\n", b""):
                        body += data
                    self.messages.append((sender, rcpts, body))
                    c.sendall(b"250 queued\r\n")
                elif verb == "QUIT":
                    c.sendall(b"221 bye\r\n")
                    return
                else:
                    c.sendall(b"502 not implemented\r\n")

    def close(self) -> None:
        self.ls.close()
        self.acceptor.result()
        for fut in self.conns:
            fut.result()


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    yield s
    s.close()


def test_smtplib_sends_20_messages_concurrently(sink):
    def send(i: int) -> None:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
            smtp.sendmail("a@example.com", [f"b{i}@example.com"], f"Subject: {i}\r\n\r\nbody {i}\r\n")

    took, _, _ = concurrently(20, send)
    assert sorted(m[1][0] for m in sink.messages) == sorted(f"b{i}@example.com" for i in range(20))
    assert (b"Subject: 3\r\n\r\nbody 3\r\n") in [m[2] for m in sink.messages]


def test_smtplib_reports_a_refused_command(sink):
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
        assert smtp.noop()[0] == 502

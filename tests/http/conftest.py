# Shared fixtures of the gonet.http tests: a real server on 127.0.0.1 port 0, and raw-socket
# helpers that show the exact bytes a server sends.
#
# `serve(handler, **server_kwargs)` starts an http.Server on its own goroutine and returns
# (server, "127.0.0.1:port"); at teardown every server started is closed, and its serve() must
# have ended with ErrServerClosed (anything else fails the test). The leak checker then sees
# no goroutine or fd left.
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gonet import Chan, go, net
from gonet.errors import ErrServerClosed
from gonet.http import Server

ServeFn = Callable[..., tuple[Server, str]]


@pytest.fixture
def serve() -> Iterator[ServeFn]:
    """Start servers for the test; close them (and check how serve() ended) afterwards."""
    started: list[tuple[Server, Chan[Any]]] = []

    def start(handler: Any, **kwargs: Any) -> tuple[Server, str]:
        ln = net.listen("tcp", "127.0.0.1:0")
        srv = Server(handler=handler, **kwargs)
        done: Chan[Any] = Chan(1)

        def run() -> None:
            try:
                srv.serve(ln)
            except ErrServerClosed:
                done.send(None)
            except BaseException as e:  # noqa: BLE001 - reported at teardown
                done.send(e)
            else:
                done.send(AssertionError("serve() returned instead of raising ErrServerClosed"))

        go(run)
        started.append((srv, done))
        return srv, str(ln.addr())

    yield start
    for srv, done in started:
        srv.close()
        err = done.recv()
        if err is not None:
            raise err


class Wire:
    """Raw-socket helpers (the `wire` fixture): exact bytes in, exact bytes out."""

    @staticmethod
    def no_date(data: bytes) -> bytes:
        """Replace each well-formed Date line with "Date: X" so responses compare exactly."""
        return no_date(data)

    @staticmethod
    def exchange(addr: str, data: bytes, *, shut: bool = False) -> bytes:
        """Send data on a new connection; return all the server sends until it closes."""
        return exchange(addr, data, shut=shut)

    @staticmethod
    def read_response(c: Any) -> bytes:
        """Read one response (Content-Length or chunked body) from the gonet conn c."""
        return read_response(c)


@pytest.fixture
def wire() -> Wire:
    """Raw-socket helpers: wire.exchange(addr, bytes), wire.no_date(bytes), wire.read_response(c)."""
    return Wire()


_DATE = re.compile(rb"Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n")


def no_date(data: bytes) -> bytes:
    """Replace each well-formed Date line with "Date: X" so responses compare exactly."""
    return _DATE.sub(b"Date: X\r\n", data)


def exchange(addr: str, data: bytes, *, shut: bool = False) -> bytes:
    """Send data on a new connection and return every byte the server sends until it closes.

    shut: half-close our side after sending (the server then sees EOF after the requests).
    """
    c = net.dial("tcp", addr)
    try:
        c.set_deadline(_now() + 10)
        c.write(data)
        if shut:
            c.close_write()
        out = bytearray()
        while True:
            chunk = c.recv(65536)
            if not chunk:
                return bytes(out)
            out += chunk
    finally:
        c.close()


def read_response(c: Any) -> bytes:
    """Read one response with a Content-Length or chunked body from c (a gonet conn)."""
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        chunk = c.recv(65536)
        if not chunk:
            return bytes(buf)
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    m = re.search(rb"\r\nContent-Length: (\d+)", head)
    if m:
        need = int(m.group(1))
        while len(rest) < need:
            chunk = c.recv(65536)
            if not chunk:
                break
            rest += chunk
        return head + b"\r\n\r\n" + rest
    if b"Transfer-Encoding: chunked" in head:
        while not rest.endswith(b"0\r\n\r\n"):
            chunk = c.recv(65536)
            if not chunk:
                break
            rest += chunk
    return head + b"\r\n\r\n" + rest


def _now() -> float:
    from gonet import now

    return now()

"""The HTTP examples run as real programs: http_hello, wsgi_flask, http_proxy (in front of a gonet
server in this process) and websocket_echo (with its own client, and raw frames from here)."""

from __future__ import annotations

import http.client as httpclient
import importlib.util
import json
import os
import re
import signal
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers import held_closed_port, spawn

import gonet
from gonet import http, net
from gonet.bufio import Reader

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


@contextmanager
def example(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run examples/<args>; yield the process and the "host:port" its first line names."""
    p = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / args[0]), *args[1:]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert p.stdout is not None
        line = gonet.run_in_thread(p.stdout.readline)
        m = re.search(r" on (?:http|ws)://([^/\s]+)", line)
        assert m, (line, p.stderr.read() if p.poll() is not None and p.stderr else "")
        yield p, m.group(1)
    finally:
        if p.poll() is None:
            p.kill()
        gonet.run_in_thread(p.communicate, timeout=30)


def stop(p: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM p; return its exit status and the rest of its stdout."""
    p.send_signal(signal.SIGTERM)
    out, _ = gonet.run_in_thread(p.communicate, timeout=30)
    return p.returncode, out


class Reply:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def get(self, name: str) -> str | None:
        vs = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(vs) if vs else None


def _fetch(addr: str, method: str, path: str, body: Any, headers: dict[str, str]) -> Reply:
    host, port = addr.rsplit(":", 1)
    c = httpclient.HTTPConnection(host, int(port), timeout=20)
    try:
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        return Reply(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def fetch(
    addr: str, path: str = "/", method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> Reply:
    """One request with the stdlib client, in a plain thread (this goroutine parks meanwhile)."""
    return gonet.run_in_thread(_fetch, addr, method, path, body, headers or {})


def run_usage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )


# -- http_hello -----------------------------------------------------------------------------------


def test_http_hello_example_routes_and_shuts_down_on_sigterm() -> None:
    with example("http_hello.py", "127.0.0.1:0") as (p, addr):
        r = fetch(addr, "/hello/gopher")
        assert (r.status, r.body) == (200, b"hello, gopher\n")
        assert r.get("Content-Type") == "text/plain; charset=utf-8"
        payload = os.urandom(200_000)
        r = fetch(addr, "/echo", "POST", payload, {"Content-Type": "application/x-raw"})
        assert (r.status, r.body, r.get("Content-Type")) == (200, payload, "application/x-raw")
        assert fetch(addr, "/").body == b"GET /hello/{name}\nPOST /echo\n"
        assert fetch(addr, "/nope").status == 404
        r = fetch(addr, "/echo")
        assert r.status == 405
        assert r.get("Allow") == "POST"
        code, out = stop(p)
    assert code == 0
    assert out == "shutting down\n"


# -- wsgi_flask ---------------------------------------------------------------------------------


def test_wsgi_flask_example() -> None:
    pytest.importorskip("flask")
    with example("wsgi_flask.py", "127.0.0.1:0") as (p, addr):
        r = fetch(addr, "/hello/gopher")
        assert (r.status, r.body) == (200, b"hello, gopher!")
        r = fetch(addr, "/json", "POST", json.dumps({"a": 1, "b": [2]}), {"Content-Type": "application/json"})
        assert json.loads(r.body) == {"received": {"a": 1, "b": [2]}, "keys": 2}
        r = fetch(addr, "/stream")
        assert r.body == b"".join(b"line %d\n" % i for i in range(5))
        assert r.get("Transfer-Encoding") == "chunked"
        code, _ = stop(p)
    assert code == 0


# -- http_proxy ---------------------------------------------------------------------------------


def backend_handler(w: http.ResponseWriter, r: http.Request) -> None:
    """The proxied server: reports what reached it, redirects, streams."""
    if r.url.path == "/redirect":
        http.redirect(w, r, "/elsewhere", http.STATUS_FOUND)
        return
    if r.url.path == "/stream":
        for i in range(3):
            w.write(b"part %d\n" % i)
            w.flush()
        return
    body = r.body.read()
    seen = {
        "method": r.method,
        "uri": r.request_uri,
        "host": r.host,
        "headers": {k: r.header.values(k) for k in r.header},
        "body_len": len(body),
    }
    w.header().set("Content-Type", "application/json")
    w.header().set("X-Backend", "yes")
    w.header().set("Connection", "close, X-Backend-Hop")
    w.header().set("X-Backend-Hop", "must not pass")
    w.write(json.dumps(seen).encode())


@contextmanager
def backend() -> Iterator[str]:
    ln = net.listen("tcp", "127.0.0.1:0")
    srv = http.Server(handler=backend_handler)
    fut = spawn(srv.serve, ln)
    try:
        yield str(ln.addr())
    finally:
        srv.close()
        assert isinstance(fut.exception(), http.ErrServerClosed)


def test_http_proxy_example_forwards_and_strips_hop_by_hop() -> None:
    with backend() as target, example("http_proxy.py", "127.0.0.1:0", f"http://{target}") as (p, addr):
        r = fetch(
            addr,
            "/echo?x=1",
            headers={"Connection": "X-Hop", "X-Hop": "secret", "X-Keep": "1", "X-Forwarded-For": "10.0.0.1"},
        )
        assert r.status == 200
        seen = json.loads(r.body)
        assert seen["method"] == "GET"
        assert seen["uri"] == "/echo?x=1"
        assert seen["host"] == target
        h = seen["headers"]
        assert h["X-Keep"] == ["1"]
        assert "X-Hop" not in h
        assert h["X-Forwarded-For"] == ["10.0.0.1, 127.0.0.1"]
        assert h["X-Forwarded-Host"] == [addr]
        assert h["X-Forwarded-Proto"] == ["http"]
        assert r.get("X-Backend") == "yes"
        assert r.get("X-Backend-Hop") is None

        payload = os.urandom(300_000)
        r = fetch(addr, "/upload", "POST", payload, {"Content-Type": "application/octet-stream"})
        assert json.loads(r.body)["body_len"] == 300_000

        r = fetch(addr, "/redirect")
        assert r.status == 302
        assert r.get("Location") == "/elsewhere"

        r = fetch(addr, "/stream")
        assert r.body == b"part 0\npart 1\npart 2\n"


def test_http_proxy_example_answers_502_when_the_target_is_down() -> None:
    s, port = held_closed_port()
    with s, example("http_proxy.py", "127.0.0.1:0", f"http://127.0.0.1:{port}") as (p, addr):
        assert fetch(addr, "/").status == 502
        assert fetch(addr, "/again").status == 502


# -- websocket_echo -----------------------------------------------------------------------------


def load_ws() -> Any:
    spec = importlib.util.spec_from_file_location("websocket_echo", ROOT / "examples" / "websocket_echo.py")
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_websocket_echo_example_with_its_client() -> None:
    with example("websocket_echo.py", "127.0.0.1:0") as (p, addr):
        out = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "websocket_echo.py"),
                "client",
                f"ws://{addr}/ws",
                "hello",
                "wörld",
                "x" * 70000,
            ],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
        )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello\nwörld\n" + "x" * 70000 + "\nclosed 1000\n"


def ws_connect(addr: str, ws: Any, *, version: str = "13") -> tuple[net.Conn, Reader, list[bytes]]:
    c = net.dial("tcp", addr)
    c.set_deadline(gonet.now() + 20)
    key = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's example key
    c.write(
        f"GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n".encode()
    )
    rd = Reader(c)
    head = []
    while (line := rd.read_bytes(b"\n")) != b"\r\n":
        head.append(line.rstrip(b"\r\n"))
    return c, rd, head


def test_websocket_echo_example_frames() -> None:
    ws = load_ws()
    assert ws.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 1.3
    with example("websocket_echo.py", "127.0.0.1:0") as (p, addr):
        c, rd, head = ws_connect(addr, ws)
        with c:
            assert head[0] == b"HTTP/1.1 101 Switching Protocols"
            assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
            # A ping is answered with a pong carrying the same payload.
            c.write(ws.encode_frame(ws.PING, b"are you there", masked=True))
            assert ws.read_frame(rd, expect_masked=False) == (True, ws.PONG, b"are you there")
            # A fragmented text message comes back whole, with a ping between its fragments.
            c.write(ws.encode_frame(ws.TEXT, b"frag", fin=False, masked=True))
            c.write(ws.encode_frame(ws.PING, b"", masked=True))
            c.write(ws.encode_frame(ws.CONT, "ment é".encode(), masked=True))
            assert ws.read_frame(rd, expect_masked=False) == (True, ws.PONG, b"")
            assert ws.read_frame(rd, expect_masked=False) == (True, ws.TEXT, "fragment é".encode())
            big = os.urandom(200_000)
            c.write(ws.encode_frame(ws.BINARY, big, masked=True))
            assert ws.read_frame(rd, expect_masked=False) == (True, ws.BINARY, big)
            # Text that is not UTF-8: closed with 1007.
            c.write(ws.encode_frame(ws.TEXT, b"\xff\xfe", masked=True))
            fin, op, payload = ws.read_frame(rd, expect_masked=False)
            assert (op, struct.unpack("!H", payload[:2])[0]) == (ws.CLOSE, 1007)
            assert payload[2:] == b"text message is not UTF-8"
            assert rd.read(bytearray(1)) == 0

        c, rd, head = ws_connect(addr, ws)
        with c:
            c.write(ws.encode_frame(ws.TEXT, b"unmasked"))  # clients must mask: 1002
            fin, op, payload = ws.read_frame(rd, expect_masked=False)
            assert (op, struct.unpack("!H", payload[:2])[0]) == (ws.CLOSE, 1002)

        c, rd, head = ws_connect(addr, ws, version="8")
        with c:
            assert head[0] == b"HTTP/1.1 426 Upgrade Required"
            assert b"Sec-Websocket-Version: 13" in head

        r = fetch(addr, "/ws")
        assert r.status == 400
        assert r.body == b"not a WebSocket handshake\n"


# -- usage --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["http_hello.py", "a", "b"], "usage: http_hello.py [HOST:PORT]"),
        (["http_proxy.py"], "usage: http_proxy.py LISTEN_ADDR TARGET_URL"),
        (["wsgi_flask.py", "a", "b"], "usage: wsgi_flask.py [HOST:PORT]"),
        (["websocket_echo.py", "client"], "usage: websocket_echo.py client ws://HOST:PORT/ws MESSAGE..."),
        (
            ["websocket_echo.py", "a", "b"],
            "usage: websocket_echo.py [HOST:PORT] | client ws://HOST:PORT/ws MESSAGE...",
        ),
    ],
)
def test_http_examples_usage(args: list[str], usage: str) -> None:
    out = run_usage(*args)
    assert out.returncode == 1
    assert out.stderr == usage + "\n"


@pytest.mark.parametrize("script", ["http_hello.py", "http_proxy.py", "wsgi_flask.py", "websocket_echo.py"])
def test_http_examples_have_a_docstring_with_run_line(script: str) -> None:
    text = (ROOT / "examples" / script).read_text()
    assert text.startswith('"""')
    assert "\nRun: python examples/" + script in text

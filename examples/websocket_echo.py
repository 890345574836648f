"""A WebSocket echo server (RFC 6455) on gonet.http: the handshake is an HTTP handler, then
hijack() hands over the connection and the handler speaks frames on it in plain blocking code.

The server echoes text and binary messages (fragmented ones reassembled), answers pings with
pongs, and answers a close frame with a close frame carrying the same code. Protocol errors
close with the RFC's codes: 1002 (an unmasked client frame, a bad control frame), 1007 (text that
is not UTF-8), 1009 (a message over MAX_MESSAGE bytes). A small client is included.

Run: python examples/websocket_echo.py [HOST:PORT]          (default 127.0.0.1:8765)
     python examples/websocket_echo.py client ws://127.0.0.1:8765/ws hello world
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import sys

from gonet import http, io, net
from gonet.bufio import Reader
from gonet.net.url import parse

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE = 1 << 20
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class ProtocolError(Exception):
    """The peer broke RFC 6455: close with .code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def accept_key(key: str) -> str:
    """Return Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + GUID).digest()).decode("ascii")


def mask(data: bytes, key: bytes) -> bytes:
    """XOR data with the 4-byte masking key, repeated (its own inverse)."""
    if not data:
        return data
    n = len(data)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def encode_frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = False) -> bytes:
    """Return one frame; a client masks (masked=True) with a fresh random key."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    mbit = 0x80 if masked else 0
    n = len(payload)
    if n < 126:
        head.append(mbit | n)
    elif n < 1 << 16:
        head.append(mbit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mbit | 127)
        head += struct.pack("!Q", n)
    if masked:
        key = os.urandom(4)
        return bytes(head) + key + mask(payload, key)
    return bytes(head) + payload


def read_exact(rd: Reader, n: int) -> bytes:
    """Read exactly n bytes (EOFError if the peer closes first)."""
    buf = bytearray(n)
    if n:
        io.read_full(rd, buf)
    return bytes(buf)


def read_frame(rd: Reader, *, expect_masked: bool) -> tuple[bool, int, bytes]:
    """Read one frame; return (fin, opcode, unmasked payload)."""
    b0, b1 = read_exact(rd, 2)
    fin, opcode, masked, n = bool(b0 & 0x80), b0 & 0x0F, bool(b1 & 0x80), b1 & 0x7F
    if b0 & 0x70:
        raise ProtocolError(1002, "reserved bits set")
    if masked != expect_masked:
        raise ProtocolError(
            1002, "client frames must be masked" if expect_masked else "server frames must not be"
        )
    if opcode >= 0x8 and (not fin or n > 125):
        raise ProtocolError(1002, "control frames are single and at most 125 bytes")
    if opcode not in (CONT, TEXT, BINARY, CLOSE, PING, PONG):
        raise ProtocolError(1002, f"unknown opcode {opcode:#x}")
    if n == 126:
        (n,) = struct.unpack("!H", read_exact(rd, 2))
    elif n == 127:
        (n,) = struct.unpack("!Q", read_exact(rd, 8))
    if n > MAX_MESSAGE:
        raise ProtocolError(1009, "message too big")
    key = read_exact(rd, 4) if masked else b""
    payload = read_exact(rd, n)
    return fin, opcode, mask(payload, key) if masked else payload


class Peer:
    """One side of a WebSocket connection: reads messages, answers control frames."""

    def __init__(self, conn: net.Conn, rd: Reader, *, client: bool) -> None:
        self.conn = conn
        self.rd = rd
        self.client = client

    def send(self, opcode: int, payload: bytes) -> None:
        """Send one whole message (or control frame)."""
        self.conn.write(encode_frame(opcode, payload, masked=self.client))

    def close(self, code: int, reason: str = "") -> None:
        """Send a close frame with code and reason."""
        self.send(CLOSE, struct.pack("!H", code) + reason.encode()[:120])

    def receive(self) -> tuple[int, bytes]:
        """Return the next (TEXT or BINARY, data), or (CLOSE, code bytes) when the peer closes."""
        kind, parts, size = 0, [], 0
        while True:
            fin, opcode, payload = read_frame(self.rd, expect_masked=not self.client)
            if opcode == PING:
                self.send(PONG, payload)
                continue
            if opcode == PONG:
                continue
            if opcode == CLOSE:
                return CLOSE, payload
            if (opcode == CONT) != bool(kind):
                raise ProtocolError(
                    1002, "unexpected continuation frame" if not kind else "expected a continuation"
                )
            kind = kind or opcode
            parts.append(payload)
            size += len(payload)
            if size > MAX_MESSAGE:
                raise ProtocolError(1009, "message too big")
            if fin:
                data = b"".join(parts)
                if kind == TEXT:
                    try:
                        data.decode("utf-8")
                    except UnicodeDecodeError:
                        raise ProtocolError(1007, "text message is not UTF-8") from None
                return kind, data


def upgrade(w: http.ResponseWriter, r: http.Request) -> Peer | None:
    """Check the opening handshake, answer 101 on the hijacked conn; None if refused."""
    tokens = {t.strip().lower() for v in r.header.values("Connection") for t in v.split(",")}
    if r.method != "GET" or "upgrade" not in tokens or r.header.get("Upgrade").lower() != "websocket":
        http.error(w, "not a WebSocket handshake", http.STATUS_BAD_REQUEST)
        return None
    if r.header.get("Sec-WebSocket-Version") != "13":
        w.header().set("Sec-WebSocket-Version", "13")
        http.error(w, "unsupported WebSocket version", http.STATUS_UPGRADE_REQUIRED)
        return None
    key = r.header.get("Sec-WebSocket-Key")
    try:
        valid = len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        valid = False
    if not valid:
        http.error(w, "bad Sec-WebSocket-Key", http.STATUS_BAD_REQUEST)
        return None
    conn, rd = w.hijack()
    conn.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(key).encode("ascii") + b"\r\n\r\n"
    )
    return Peer(conn, rd, client=False)


def echo(w: http.ResponseWriter, r: http.Request) -> None:
    """GET /ws: upgrade, then echo every message until the client closes."""
    peer = upgrade(w, r)
    if peer is None:
        return
    with peer.conn:
        try:
            while True:
                kind, data = peer.receive()
                if kind == CLOSE:
                    peer.send(CLOSE, data[:2])  # echo the status code, as RFC 6455 5.5.1 asks
                    return
                peer.send(kind, data)
        except ProtocolError as e:
            peer.close(e.code, str(e))
        except (EOFError, OSError):
            pass  # the client went away without a close frame


def serve(addr: str = "127.0.0.1:8765") -> None:
    """Serve the echo endpoint on addr."""
    mux = http.ServeMux()
    mux.handle_func("GET /ws", echo)
    ln = net.listen("tcp", addr)
    print(f"serving WebSocket echo on ws://{ln.addr()}/ws", flush=True)
    http.Server(handler=mux, read_header_timeout=5.0).serve(ln)


def client(url: str, messages: list[str]) -> None:
    """Connect to url, send each message as text, print each echo, then close."""
    u = parse(url)
    if u.scheme != "ws":
        sys.exit(f"websocket_echo: only ws:// URLs, not {url}")
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    conn = net.dial("tcp", u.host if u.port() else u.host + ":80", timeout=10.0)
    with conn:
        conn.write(
            f"GET {u.request_uri()} HTTP/1.1\r\nHost: {u.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        rd = Reader(conn)
        status = rd.read_bytes(b"\n")
        if not status.startswith(b"HTTP/1.1 101 "):
            sys.exit(f"websocket_echo: handshake refused: {status.decode().strip()}")
        accepted = ""
        while (line := rd.read_bytes(b"\n").strip()) != b"":
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "sec-websocket-accept":
                accepted = value.strip()
        if accepted != accept_key(key):
            sys.exit("websocket_echo: wrong Sec-WebSocket-Accept")
        peer = Peer(conn, rd, client=True)
        for m in messages:
            peer.send(TEXT, m.encode())
            kind, data = peer.receive()
            print(data.decode(), flush=True)
        peer.close(1000)
        kind, data = peer.receive()
        print(f"closed {struct.unpack('!H', data[:2])[0] if len(data) >= 2 else 1005}", flush=True)


def main(argv: list[str]) -> None:
    """Run the server, or the client with `client URL MESSAGE...`."""
    if argv[:1] == ["client"]:
        if len(argv) < 3:
            sys.exit("usage: websocket_echo.py client ws://HOST:PORT/ws MESSAGE...")
        client(argv[1], argv[2:])
        return
    if len(argv) > 1:
        sys.exit("usage: websocket_echo.py [HOST:PORT] | client ws://HOST:PORT/ws MESSAGE...")
    serve(*argv[:1])


if __name__ == "__main__":
    main(sys.argv[1:])

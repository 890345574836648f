"""The server's request body (_transfer.body): what reading it leaves behind."""

from __future__ import annotations

import gc
from typing import Any

from gonet import http, net
from gonet.http._transfer import body


def _bodies() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is body)


def echo(w: http.ResponseWriter, r: http.Request) -> None:
    w.write(r.body.read())


def test_served_request_bodies_are_freed_without_the_garbage_collector(serve: Any, wire: Any) -> None:
    # A body and its Request refer to each other until the body is closed; a cycle per request
    # would leave every one of them to the collector.
    _, addr = serve(echo)
    gc.collect()
    gc.disable()
    try:
        before = _bodies()
        c = net.dial("tcp", addr)
        with c:
            for i in range(20):
                c.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nhello %d" % (i % 10))
                assert wire.read_response(c).endswith(b"\r\n\r\nhello %d" % (i % 10))
        after = _bodies()
    finally:
        gc.enable()
    assert after - before <= 1  # at most the last one, if its goroutine has not ended yet


class Pieces:
    """A BodySource that feeds the body one piece per fill, then ends it."""

    def __init__(self, *pieces: bytes) -> None:
        self.pieces = list(pieces)
        self.fills = 0

    def fill_body(self, b: body) -> None:
        self.fills += 1
        if self.pieces:
            b._feed(self.pieces.pop(0))
        if not self.pieces:
            b.done = True


def test_a_body_in_one_piece_is_read_without_a_copy() -> None:
    piece = b"x" * 4096
    b = body(Pieces(piece), 4096)
    assert b.read(65536) is piece
    assert b.read(65536) == b""
    assert b.unread() == 0


def test_partial_reads_readinto_and_read_all_across_pieces() -> None:
    src = Pieces(b"hello ", b"wor", b"ld", b"!")
    b = body(src, 12)
    assert b.read(2) == b"he"
    buf = bytearray(3)
    assert b.readinto(buf) == 3
    assert buf == b"llo"
    assert b.read(1) == b" "
    assert b.read(10) == b"wor"  # what is held, not more: one fill per read that needs bytes
    assert b.read() == b"ld!"
    assert b.read() == b""
    assert (b.unread(), b.buffered(), src.fills) == (0, 0, 4)


def test_discard_drops_what_is_held_and_what_follows() -> None:
    b = body(Pieces(b"abc", b"defg"), 7)
    assert b.read(1) == b"a"
    assert b.discard(100) is True
    assert (b.unread(), b.buffered()) == (0, 0)
    short = body(Pieces(b"abc", b"defg", b"hij"), 10)
    assert short.discard(5) is False  # more than the limit: the caller closes instead

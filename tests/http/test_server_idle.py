# What an idle keep-alive connection keeps while it waits for its next request. The http_idle
# benchmark measures the memory; these tests pin down its causes, in both builds: the goroutine
# parks at the top of conn.serve (its saved C stack is the largest part of an idle conn), holds
# nothing of the request it answered, and lends its parser to the conns that read meanwhile.
from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from gonet import go, net, sleep
from gonet._accel import compiled
from gonet.http import Request, ResponseWriter, Server, _server


def hello(w: ResponseWriter, r: Request) -> None:
    w.header().set("X-Seen", r.header.get("X-Probe"))
    w.write(b"hello")


def _get(conn: Any) -> bytes:
    """Send one keep-alive GET on conn and return its whole response."""
    conn.write(b"GET /path?q=1 HTTP/1.1\r\nHost: a\r\nX-Probe: yes\r\n\r\n")
    buf = bytearray(4096)
    out = b""
    while not out.endswith(b"hello"):
        n = conn.read(buf)
        assert n, f"the server closed the connection after {out!r}"
        out += bytes(buf[:n])
    return out


def _server_conn(srv: Server, client: Any) -> Any:
    """Return the server's end of client's connection."""
    for _ in range(2000):
        for c in list(srv._conns):
            if c.remote_addr == str(client.local_addr()):
                return c
        sleep(0.001)
    raise AssertionError("the server never accepted the connection")


def _idle_conn(srv: Server, client: Any = None) -> Any:
    """Return the server's (client's, or only) connection once it is parked between requests."""
    for _ in range(2000):
        conns = list(srv._conns) if client is None else [_server_conn(srv, client)]
        if conns:
            [c] = conns
            if c.state == _server._IDLE and c.rwc._fd.pd.rg is not None:
                return c
        sleep(0.001)
    raise AssertionError("the connection never parked idle")


def _frame_names(glet: Any) -> list[str]:
    names = []
    f = glet.gr_frame
    while f is not None:
        names.append(f.f_code.co_name)
        f = f.f_back
    return names


def test_an_idle_keep_alive_conn_keeps_no_request_alive(serve: Any) -> None:
    srv, addr = serve(hello)
    client = net.dial("tcp", addr)
    try:
        assert _get(client).startswith(b"HTTP/1.1 200 OK\r\n")
        c = _idle_conn(srv)
        gc.collect()
        kept = [o for o in gc.get_objects() if isinstance(o, (_server._ServerRequest, _server.response))]
        assert kept == []
        # Nor the head's fields and target, which the parser callbacks collected.
        assert c._hdrs == {}
        assert c._url == b""
        assert c.queue == []
        # The next request on the same connection is served as usual.
        assert b"X-Seen: yes\r\n" in _get(client)
    finally:
        client.close()


def test_an_idle_conn_parks_at_the_top_of_its_goroutine(serve: Any) -> None:
    srv, addr = serve(hello)
    client = net.dial("tcp", addr)
    try:
        _get(client)
        glet = _idle_conn(srv).rwc._fd.pd.rg.glet
        if not compiled().get("gonet.http._server"):
            # Nothing between conn.serve and the netpoller's park but the fd's wait for
            # readiness: no read call chain.
            assert _frame_names(glet)[:4] == ["park", "wait_read", "wait_read_ready", "serve"]
            return
        # Compiled frames are C frames, not Python ones: compare the C stack the goroutine
        # saved when it parked with that of a goroutine parked in a plain Conn.read, which
        # the idle wait used to sit several calls below.
        ln = net.listen("tcp", "127.0.0.1:0")
        peer = net.dial("tcp", str(ln.addr()))
        reader = ln.accept()
        try:
            go(reader.read, bytearray(16))
            for _ in range(2000):
                if reader._fd.pd.rg is not None:
                    break
                sleep(0.001)
            ref = reader._fd.pd.rg.glet
            assert 0 < glet._stack_saved < ref._stack_saved
        finally:
            peer.close()  # the read returns 0 (EOF) and its goroutine ends
            for _ in range(2000):
                if reader._fd.pd.rg is None:
                    break
                sleep(0.001)
            reader.close()
            ln.close()
    finally:
        client.close()


@pytest.fixture
def pair(serve: Any) -> Iterator[tuple[Server, Any, Any, Any]]:
    """Two clients of one server: a has had one response and its server conn is idle."""
    srv, addr = serve(hello)
    a = net.dial("tcp", addr)
    b = net.dial("tcp", addr)
    try:
        _get(a)
        yield srv, a, b, _idle_conn(srv, a)
    finally:
        a.close()
        b.close()


def test_an_idle_conn_lends_its_parser_to_the_next_conn_that_reads(pair: Any) -> None:
    srv, _, b, ca = pair
    assert ca.parser is None
    [pool] = srv._pools.values()
    [slot] = pool
    assert _get(b).startswith(b"HTTP/1.1 200 OK\r\n")
    assert _idle_conn(srv, b).parser is None
    assert list(pool) == [slot]  # b parsed with a's parser and gave it back


def test_a_conn_in_the_middle_of_a_head_keeps_its_parser(pair: Any) -> None:
    _, a, b, ca = pair
    # a's next head arrives in two parts; b's whole request comes in between.
    a.write(b"GET /split HTTP/1.1\r\nHost: a\r\nX-Pro")
    for _ in range(2000):
        if ca._in_head:
            break
        sleep(0.001)
    assert ca._in_head
    held = ca.parser
    assert held is not None
    assert b"X-Seen: yes\r\n" in _get(b)
    assert ca.parser is held
    a.write(b"be: split\r\n\r\n")
    buf = bytearray(4096)
    out = b""
    while not out.endswith(b"hello"):
        n = a.read(buf)
        assert n
        out += bytes(buf[:n])
    assert out.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"X-Seen: split\r\n" in out

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

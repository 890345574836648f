# The connection's life: handler panics, hijack, the request context, timeouts (on the virtual
# clock), TLS, sendfile through read_from, and the module-level helpers.
from __future__ import annotations

import logging
import re
import ssl
from pathlib import Path
from typing import Any

import pytest
from helpers import make_cert

from gonet import Chan, go, net, now, run_in_thread, sleep, tls
from gonet.errors import ErrAbortHandler, ErrHijacked, ErrServerClosed, OpError
from gonet.http import Request, ResponseWriter, Server
from gonet.io import EOF


def hello(w: ResponseWriter, r: Request) -> None:
    w.write(b"hello")


# -- panics -----------------------------------------------------------------------------------------


def test_handler_panic_is_logged_and_the_server_goes_on(
    serve: Any, wire: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        if r.url.path == "/boom":
            w.header().set("X-Partial", "1")
            w.write(b"not sent")
            raise ValueError("kaboom")
        w.write(b"fine")

    _, addr = serve(handler)
    with caplog.at_level(logging.ERROR, logger="gonet.http"):
        out = wire.exchange(
            addr, b"GET /boom HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n"
        )
    assert out == b""
    [rec] = [r for r in caplog.records if r.name == "gonet.http"]
    assert re.fullmatch(r"http: panic serving 127\.0\.0\.1:\d+: kaboom", rec.getMessage())
    assert rec.exc_info is not None
    assert rec.exc_info[0] is ValueError
    assert wire.exchange(addr, b"GET /again HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").endswith(
        b"fine"
    )


def test_panic_after_the_head_left_keeps_what_was_sent(serve: Any, wire: Any, caplog: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        w.write(b"x" * 5000)
        w.flush()
        raise RuntimeError("late")

    _, addr = serve(handler)
    with caplog.at_level(logging.ERROR, logger="gonet.http"):
        out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK\r\n")
    assert out.endswith(b"\r\n\r\n1388\r\n" + b"x" * 5000 + b"\r\n")  # no last chunk: the client sees it cut
    assert "http: panic serving" in caplog.text


def test_abort_handler_closes_silently(serve: Any, wire: Any, caplog: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        raise ErrAbortHandler()

    _, addr = serve(handler)
    with caplog.at_level(logging.ERROR, logger="gonet.http"):
        assert wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n") == b""
    assert "panic" not in caplog.text


def test_error_log_option_receives_the_panic(serve: Any, wire: Any, caplog: Any) -> None:
    log = logging.getLogger("test.http.errors")

    def handler(w: ResponseWriter, r: Request) -> None:
        raise KeyError("k")

    _, addr = serve(handler, error_log=log)
    with caplog.at_level(logging.ERROR):
        wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert [r.name for r in caplog.records] == ["test.http.errors"]
    assert "http: panic serving 127.0.0.1:" in caplog.records[0].getMessage()


def test_client_gone_during_write_is_not_a_panic(serve: Any, caplog: Any) -> None:
    done: Chan[str] = Chan(1)

    def handler(w: ResponseWriter, r: Request) -> None:
        try:
            for _ in range(100000):
                w.write(b"y" * 10000)  # below the size that goes out by writev: conn.write
        except OSError as e:
            # The conn's own error (Go: the *net.OpError from conn.Write), not the socket's.
            done.send(f"OpError {e.op}" if isinstance(e, OpError) else repr(e))
            raise
        done.send("wrote all")

    _, addr = serve(handler)
    c = net.dial("tcp", addr)
    c.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    c.recv(100)
    c.close()
    with caplog.at_level(logging.ERROR, logger="gonet.http"):
        assert done.recv() == "OpError write"
        sleep(0.01)
    assert "panic" not in caplog.text


# -- hijack -----------------------------------------------------------------------------------------


def test_hijack_hands_over_the_conn_and_the_bytes_read_ahead(serve: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        conn, rd = w.hijack()
        with pytest.raises(ErrHijacked, match="hijacked"):
            w.write(b"x")
        with pytest.raises(ErrHijacked, match="hijacked"):
            w.hijack()
        conn.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
        while True:
            try:
                line = rd.read_line()[0]
            except EOF:
                break
            conn.write(b"echo:" + line + b"\n")
        conn.close()

    _, addr = serve(handler)
    c = net.dial("tcp", addr)
    with c:
        c.write(b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nfirst\n")
        c.set_deadline(now() + 10)
        got = b""
        while b"echo:first\n" not in got:
            got += c.recv(1000)
        assert got.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        c.write(b"second\n")
        got = b""
        while b"\n" not in got:
            got += c.recv(1000)
        assert got == b"echo:second\n"
        c.close_write()
        assert c.recv(100) == b""


def test_upgrade_request_not_hijacked_is_answered_and_the_conn_goes_on(serve: Any, wire: Any) -> None:
    _, addr = serve(hello)
    out = wire.exchange(
        addr,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n"
        b"GET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    assert out.count(b"HTTP/1.1 200 OK") == 2


# -- the request context -------------------------------------------------------------------------


def test_context_is_cancelled_when_the_client_goes_away(serve: Any) -> None:
    seen: Chan[Any] = Chan(1)

    def handler(w: ResponseWriter, r: Request) -> None:
        ctx = r.context()
        ctx.done().recv()
        seen.send(ctx.err())

    _, addr = serve(handler)
    c = net.dial("tcp", addr)
    c.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    sleep(0.01)
    c.close()
    err = seen.recv()
    assert str(err) == "context canceled"


def test_context_is_cancelled_when_the_handler_returns(serve: Any, wire: Any) -> None:
    ctxs: list[Any] = []

    def handler(w: ResponseWriter, r: Request) -> None:
        ctxs.append(r.context())
        assert r.context().err() is None
        w.write(b"ok")

    _, addr = serve(handler)
    out = wire.exchange(
        addr, b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    assert out.count(b"200 OK") == 2
    assert len(ctxs) == 2
    assert all(str(c.err()) == "context canceled" for c in ctxs)


def test_context_after_body_keeps_serving_pipelined_requests(serve: Any, wire: Any) -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        data = r.body.read()
        ctx = r.context()
        sleep(0.01)
        assert ctx.err() is None
        w.write(data or b"-")

    _, addr = serve(handler)
    out = wire.exchange(
        addr,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    assert out.count(b"200 OK") == 2
    assert out.endswith(b"\r\n\r\n-")
    assert b"\r\n\r\nabc" in out


def test_close_cancels_the_contexts_of_running_requests(serve: Any) -> None:
    seen: Chan[str] = Chan(1)

    def handler(w: ResponseWriter, r: Request) -> None:
        r.context().done().recv()
        seen.send(str(r.context().err()))

    srv, addr = serve(handler)
    c = net.dial("tcp", addr)
    with c:
        c.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        sleep(0.01)
        srv.close()
        assert seen.recv() == "context canceled"


# -- timeouts (virtual clock) ----------------------------------------------------------------------


def test_slowloris_is_closed_at_read_header_timeout_without_an_answer(serve: Any, virtual_clock: Any) -> None:
    _, addr = serve(hello, read_header_timeout=5.0)
    c = net.dial("tcp", addr)
    with c:
        t0 = now()
        c.write(b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        assert c.recv(100) == b""
        assert 5.0 <= now() - t0 < 6.0


def test_idle_keep_alive_conn_closes_at_idle_timeout(serve: Any, wire: Any, virtual_clock: Any) -> None:
    _, addr = serve(hello, idle_timeout=30.0, read_header_timeout=5.0)
    c = net.dial("tcp", addr)
    with c:
        c.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert wire.read_response(c).endswith(b"hello")
        t0 = now()
        assert c.recv(100) == b""
        assert 30.0 <= now() - t0 < 31.0


def test_idle_conn_sending_in_time_is_served(serve: Any, wire: Any, virtual_clock: Any) -> None:
    _, addr = serve(hello, idle_timeout=30.0, read_header_timeout=5.0)
    c = net.dial("tcp", addr)
    with c:
        c.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        wire.read_response(c)
        sleep(20.0)  # idle, within idle_timeout (longer than the header timeout)
        c.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert wire.read_response(c).endswith(b"hello")


def test_read_timeout_bounds_a_slow_body(serve: Any, virtual_clock: Any) -> None:
    got: Chan[str] = Chan(1)

    def handler(w: ResponseWriter, r: Request) -> None:
        try:
            r.body.read()
        except TimeoutError as e:
            got.send(f"{type(e).__name__} {e.op}" if isinstance(e, OpError) else repr(e))
            raise

    _, addr = serve(handler, read_timeout=10.0)
    c = net.dial("tcp", addr)
    with c:
        c.write(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc")
        t0 = now()
        assert c.recv(100) == b""
        assert 10.0 <= now() - t0 < 11.0
    got_text = got.recv()
    assert "DeadlineExceededError" in got_text
    assert got_text.endswith(" read")


def test_write_timeout_closes_a_conn_that_does_not_read(serve: Any, virtual_clock: Any) -> None:
    result: Chan[str] = Chan(1)

    def handler(w: ResponseWriter, r: Request) -> None:
        try:
            while True:
                w.write(b"z" * 10000)
        except TimeoutError as e:
            result.send(f"timed out: {e.op}" if isinstance(e, OpError) else repr(e))
            raise

    _, addr = serve(handler, write_timeout=3.0)
    c = net.dial("tcp", addr)
    with c:
        c.set_read_buffer(4096)
        c.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert result.recv() == "timed out: write"


# -- TLS --------------------------------------------------------------------------------------------


def test_https_with_listen_and_serve_tls_and_a_stdlib_client(tmp_path: Path) -> None:
    cert, key = make_cert(tmp_path)
    probe = net.listen("tcp", "127.0.0.1:0")
    addr = str(probe.addr())
    probe.close()
    srv = Server(addr=addr, handler=lambda w, r: w.write(b"secure " + str(r.tls is not None).encode()))
    ended: Chan[Any] = Chan(1)

    def run() -> None:
        try:
            srv.listen_and_serve_tls(str(cert), str(key))
        except ErrServerClosed as e:
            ended.send(e)

    go(run)
    sleep(0.02)

    def fetch() -> bytes:
        import http.client

        ctx = ssl.create_default_context(cafile=str(cert))
        host, port = addr.rsplit(":", 1)
        conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
        try:
            conn.request("GET", "/")
            first = conn.getresponse().read()
            conn.request("GET", "/")
            return first + b"," + conn.getresponse().read()
        finally:
            conn.close()

    try:
        assert run_in_thread(fetch) == b"secure True,secure True"
    finally:
        srv.shutdown()
    assert isinstance(ended.recv(), ErrServerClosed)


def test_plain_http_to_a_tls_server_is_told_so(serve: Any, wire: Any, tmp_path: Path) -> None:
    cert, key = make_cert(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    _, addr = serve(hello, tls_context=ctx)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert out == b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"


def test_tls_with_the_gonet_tls_client(serve: Any, wire: Any, tmp_path: Path) -> None:
    cert, key = make_cert(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    _, addr = serve(hello, tls_context=ctx)
    cctx = ssl.create_default_context(cafile=str(cert))
    c = tls.client(net.dial("tcp", addr), server_hostname="localhost", context=cctx)
    with c:
        c.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert wire.read_response(c).endswith(b"\r\n\r\nhello")


# -- read_from (sendfile) ---------------------------------------------------------------------------


def test_read_from_sends_a_file_with_its_length(serve: Any, wire: Any, tmp_path: Path) -> None:
    data = bytes(range(256)) * 400
    f = tmp_path / "blob.bin"
    f.write_bytes(data)

    def handler(w: ResponseWriter, r: Request) -> None:
        w.header().set("Content-Length", str(len(data)))
        with open(f, "rb") as fh:
            n = w.read_from(fh)  # type: ignore[attr-defined]
        assert n == len(data)

    _, addr = serve(handler)
    out = wire.exchange(addr, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"Content-Length: 102400\r\n" in head
    assert b"Content-Type: application/octet-stream\r\n" in head
    assert body == data


def test_read_from_small_file_and_without_length_is_chunked(serve: Any, wire: Any, tmp_path: Path) -> None:
    small = tmp_path / "s.txt"
    small.write_bytes(b"tiny text")
    big = tmp_path / "b.txt"
    big.write_bytes(b"line of text\n" * 1000)

    def handler(w: ResponseWriter, r: Request) -> None:
        with open(small if r.url.path == "/s" else big, "rb") as fh:
            w.read_from(fh)  # type: ignore[attr-defined]

    _, addr = serve(handler)
    out = wire.exchange(
        addr, b"GET /s HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    first, _, second = out.partition(b"tiny text")
    assert b"Content-Length: 9\r\nContent-Type: text/plain; charset=utf-8\r\n" in first
    head, _, body = second.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    decoded = b""
    while True:
        size, _, body = body.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        decoded += body[:n]
        body = body[n + 2 :]
    assert decoded == b"line of text\n" * 1000


# -- module-level ------------------------------------------------------------------------------------


def test_listen_and_serve_reports_an_address_in_use() -> None:
    from gonet.http import listen_and_serve

    ln = net.listen("tcp", "127.0.0.1:0")
    with ln, pytest.raises(OSError, match="address already in use"):
        listen_and_serve(str(ln.addr()), hello)


def test_serve_on_a_listener_closed_elsewhere_raises_its_error() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    srv = Server(handler=hello)
    err: Chan[Any] = Chan(1)

    def run() -> None:
        try:
            srv.serve(ln)
        except Exception as e:  # noqa: BLE001 - sent to the test
            err.send(e)

    go(run)
    sleep(0.01)
    ln.close()
    e = err.recv()
    assert not isinstance(e, ErrServerClosed)
    assert "use of closed network connection" in str(e)

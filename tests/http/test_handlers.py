# The helper handlers: error, not_found, redirect (relative targets, the HTML body), strip_prefix,
# max_bytes_reader, timeout_handler.
from __future__ import annotations

import pytest

from gonet import Chan, sleep
from gonet.errors import ErrHandlerTimeout, MaxBytesError
from gonet.http import (
    error,
    max_bytes_reader,
    not_found_handler,
    redirect,
    redirect_handler,
    strip_prefix,
    timeout_handler,
)
from gonet.http._request import BytesBody
from gonet.http.httptest import new_recorder, new_request


def test_error_sets_go_headers_and_drops_content_length() -> None:
    w = new_recorder()
    w.header().set("Content-Length", "99")
    w.header().set("Content-Type", "application/json")
    error(w, "bad thing", 418)
    assert w.code == 418
    assert bytes(w.body) == b"bad thing\n"
    assert w.header().get("Content-Type") == "text/plain; charset=utf-8"
    assert w.header().get("X-Content-Type-Options") == "nosniff"
    assert w.header().values("Content-Length") == []


def test_not_found_handler() -> None:
    w = new_recorder()
    not_found_handler()(w, new_request("GET", "/x"))
    assert (w.code, bytes(w.body)) == (404, b"404 page not found\n")


@pytest.mark.parametrize(
    ("path", "target", "location"),
    [
        ("/a/b", "c", "/a/c"),
        ("/a/b/", "c/", "/a/b/c/"),
        ("/a/b", "../x?y=1", "/x?y=1"),
        ("/a/b", "/abs//p/./q", "/abs/p/q"),
        ("/a", "http://other.test/z", "http://other.test/z"),
        ("/a", "/caf\u00e9", "/caf%C3%A9"),
    ],
)
def test_redirect_resolves_relative_targets(path, target, location) -> None:
    w = new_recorder()
    redirect(w, new_request("GET", path), target, 302)
    assert w.code == 302
    assert w.header().get("Location") == location


def test_redirect_body_only_for_get_and_escaped() -> None:
    w = new_recorder()
    redirect(w, new_request("GET", "/"), "/a?x=<b>&y", 301)
    assert bytes(w.body) == b'<a href="/a?x=&lt;b&gt;&amp;y">Moved Permanently</a>.\n\n'
    assert w.header().get("Content-Type") == "text/html; charset=utf-8"
    w = new_recorder()
    redirect(w, new_request("POST", "/"), "/a", 303)
    assert bytes(w.body) == b""
    assert w.header().get("Content-Type") == ""
    w = new_recorder()
    w.header().set("Content-Type", "text/plain")
    redirect_handler("/t", 307)(w, new_request("GET", "/"))
    assert (w.code, bytes(w.body), w.header().get("Location")) == (307, b"", "/t")


def test_strip_prefix() -> None:
    seen = []
    h = strip_prefix("/static", lambda w, r: seen.append((r.url.path, r.url.raw_path)))
    r = new_request("GET", "/static/a%2Fb")
    h(new_recorder(), r)
    assert seen == [("/a/b", "/a%2Fb")]
    assert r.url.path == "/static/a/b"  # the caller's request is untouched
    w = new_recorder()
    h(w, new_request("GET", "/other"))
    assert w.code == 404


def test_max_bytes_reader_limits_and_asks_to_close() -> None:
    w = new_recorder()
    body = max_bytes_reader(w, BytesBody(b"0123456789"), 4)
    assert body.read(3) == b"012"
    assert body.read(100) == b"3"
    with pytest.raises(MaxBytesError, match="^http: request body too large$") as ei:
        body.read(1)
    assert ei.value.limit == 4
    assert w.closed_after_response
    with pytest.raises(MaxBytesError):
        body.read()


def test_max_bytes_reader_exact_fit_and_read_all() -> None:
    w = new_recorder()
    assert max_bytes_reader(w, BytesBody(b"abcd"), 4).read() == b"abcd"
    assert not w.closed_after_response
    with pytest.raises(MaxBytesError, match="too large"):
        max_bytes_reader(w, BytesBody(b"abcde"), 4).read()
    buf = bytearray(8)
    assert max_bytes_reader(None, BytesBody(b"xy"), 5).readinto(buf) == 2
    assert bytes(buf[:2]) == b"xy"


def test_timeout_handler_passes_fast_response() -> None:
    def fast(w, r):
        w.header().set("X-A", "1")
        w.write_header(201)
        w.write(b"done")

    w = new_recorder()
    timeout_handler(fast, 5.0, "slow")(w, new_request("GET", "/"))
    assert (w.code, bytes(w.body), w.header().get("X-A")) == (201, b"done", "1")


def test_timeout_handler_503_and_late_writes_fail() -> None:
    finished: Chan[BaseException | None] = Chan(1)

    def slow(w, r):
        w.write(b"partial")
        r.context().done().recv()
        sleep(0.01)
        try:
            w.write(b"late")
        except ErrHandlerTimeout as e:
            finished.send(e)
            return
        finished.send(None)

    w = new_recorder()
    timeout_handler(slow, 0.05, "too slow")(w, new_request("GET", "/"))
    assert (w.code, bytes(w.body)) == (503, b"too slow")
    err = finished.recv()
    assert isinstance(err, ErrHandlerTimeout)
    assert str(err) == "http: Handler timeout"


def test_timeout_handler_default_body_and_reraise() -> None:
    def block(w, r):
        r.context().done().recv()

    w = new_recorder()
    timeout_handler(block, 0.01)(w, new_request("GET", "/"))
    assert bytes(w.body) == b"<html><head><title>Timeout</title></head><body><h1>Timeout</h1></body></html>"

    def boom(w, r):
        raise KeyError("inner")

    with pytest.raises(KeyError, match="inner"):
        timeout_handler(boom, 5.0)(new_recorder(), new_request("GET", "/"))

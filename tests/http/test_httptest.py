# httptest: the recorder (status, header snapshot, sniffing, flush) and request building.
from __future__ import annotations

import pytest

from gonet.errors import ErrHijacked
from gonet.http import httptest


def test_recorder_defaults_and_snapshot() -> None:
    w = httptest.new_recorder()
    assert w.code == 200
    w.header().set("X-A", "1")
    w.write(b"<html><body>hi")
    w.header().set("X-B", "late")
    res = w.result()
    assert res.status_code == 200
    assert res.status == "200 OK"
    assert res.header.get("X-A") == "1"
    assert res.header.get("X-B") == ""
    assert res.header.get("Content-Type") == "text/html; charset=utf-8"  # sniffed, as Go's recorder
    assert res.body.read() == b"<html><body>hi"


def test_recorder_write_header_once_and_validates() -> None:
    w = httptest.new_recorder()
    w.write_header(404)
    w.write_header(500)
    assert w.code == 404
    with pytest.raises(ValueError, match="^invalid WriteHeader code 42$"):
        httptest.new_recorder().write_header(42)


def test_recorder_flush_and_hijack() -> None:
    w = httptest.new_recorder()
    w.flush()
    assert w.flushed
    assert w.wrote_header
    with pytest.raises(ErrHijacked, match="not supported by ResponseRecorder"):
        w.hijack()


def test_new_request_fields() -> None:
    r = httptest.new_request("POST", "/p?q=1", b"body")
    assert (r.method, r.url.path, r.url.raw_query, r.host) == ("POST", "/p", "q=1", "example.com")
    assert r.request_uri == "/p?q=1"
    assert r.content_length == 4
    assert r.body.read() == b"body"
    assert r.remote_addr == "192.0.2.1:1234"
    r = httptest.new_request("GET", "http://h.test:8080/x")
    assert (r.host, r.url.path) == ("h.test:8080", "/x")
    assert httptest.new_request("", "/").method == "GET"

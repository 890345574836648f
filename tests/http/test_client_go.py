"""gonet.http's client against Go's net/http server (tests/http/go_server, built when Go is
present): bodies, keep-alive reuse, a streamed (chunked) request body, 404/405 with Go's texts."""

from __future__ import annotations

import io as stdio
from collections.abc import Iterator

import pytest
from _go import go_server  # noqa: F401 - the fixture

from gonet import http


@pytest.fixture
def client() -> Iterator[http.Client]:
    c = http.Client(transport=http.Transport(), timeout=30.0)
    yield c
    c.close_idle_connections()


@pytest.mark.timeout(300)  # the first test to use go_server may build it
def test_get_and_keep_alive_reuse(go_server: str, client: http.Client) -> None:  # noqa: F811
    for name in ("gopher", "gonet", "python"):
        with client.get(f"http://{go_server}/hello/{name}") as resp:
            assert (resp.status_code, resp.status, resp.proto) == (200, "200 OK", "HTTP/1.1")
            assert resp.header.get("Content-Type") == "text/plain"
            assert resp.content_length == len("hello, " + name)
            assert resp.body.read() == f"hello, {name}".encode()
    # Three requests, read to the end each time: one connection, back in the pool.
    assert client.transport.idle_conn_count() == 1


@pytest.mark.timeout(300)
def test_post_bytes_and_a_streamed_chunked_body(go_server: str, client: http.Client) -> None:  # noqa: F811
    payload = bytes(range(256)) * 1000
    with client.post(f"http://{go_server}/echo", "application/octet-stream", payload) as resp:
        assert resp.status_code == 200
        assert resp.body.read() == payload
    req = http.new_request("POST", f"http://{go_server}/echo", stdio.BytesIO(payload))
    assert req.content_length == -1  # unknown length: sent chunked, which Go decodes
    with client.do(req) as resp:
        assert resp.body.read() == payload


@pytest.mark.timeout(300)
def test_go_s_error_answers_reach_the_client(go_server: str, client: http.Client) -> None:  # noqa: F811
    with client.get(f"http://{go_server}/nope") as resp:
        assert resp.status_code == 404
        assert resp.body.read() == b"404 page not found\n"
    req = http.new_request("DELETE", f"http://{go_server}/hello/x")
    with client.do(req) as resp:
        assert resp.status_code == 405
        assert resp.header.get("Allow") == "GET, HEAD"
        resp.body.read()
    with client.head(f"http://{go_server}/hello/x") as resp:
        assert resp.status_code == 200
        assert resp.body.read() == b""

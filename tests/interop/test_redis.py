"""redis-py through patched sockets: concurrency (BLPOP), pipelines, pub/sub."""

from __future__ import annotations

import pytest
from interop_helpers import concurrently, require

import gonet
from gonet.runtime import go


@pytest.fixture
def r():
    require("redis")
    import redis

    pool = redis.ConnectionPool(host="127.0.0.1", port=6379, max_connections=300)
    client = redis.Redis(connection_pool=pool)
    yield client
    pool.disconnect()


def test_200_blpop_waits_overlap_and_a_sibling_ticks(r):
    keys = [f"gonet:interop:blpop:{i}" for i in range(200)]
    r.delete(*keys)
    concurrently(200, lambda i: r.ping())  # open the pool's 200 connections first
    took, ticks, results = concurrently(200, lambda i: r.blpop([keys[i]], timeout=0.5))
    assert results == [None] * 200
    assert took < 1.5, f"200 BLPOPs of 0.5 s took {took:.2f} s"
    assert ticks >= 20


def test_pipeline_and_values(r):
    with r.pipeline() as p:
        p.set("gonet:interop:a", "1").incr("gonet:interop:a").get("gonet:interop:a")
        assert p.execute() == [True, 2, b"2"]
    r.delete("gonet:interop:a")


def test_pubsub(r):
    ps = r.pubsub()
    ps.subscribe("gonet:interop:ch")
    assert ps.get_message(timeout=2)["type"] == "subscribe"

    def publish() -> None:
        gonet.sleep(0.05)
        r.publish("gonet:interop:ch", "hello")

    go(publish)
    msg = ps.get_message(timeout=5)
    assert msg["data"] == b"hello"
    ps.close()

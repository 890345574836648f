"""pika (BlockingConnection) against RabbitMQ through patched sockets and select.epoll."""

from __future__ import annotations

from interop_helpers import require

import gonet
from gonet.runtime import go


def test_publish_and_consume_while_a_sibling_ticks():
    require("rabbitmq")
    import pika

    conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1"))
    try:
        ch = conn.channel()
        q = ch.queue_declare(queue="", exclusive=True).method.queue
        ticks = [0]
        done = [False]

        def tick() -> None:
            while not done[0]:
                gonet.sleep(0.01)
                ticks[0] += 1

        go(tick)
        got: list[bytes] = []

        def on_message(channel, method, props, body) -> None:
            got.append(body)
            channel.basic_ack(method.delivery_tag)

        ch.basic_consume(q, on_message)
        conn.process_data_events(time_limit=0.2)  # waits in epoll: the ticker keeps running
        assert got == []
        for i in range(3):
            ch.basic_publish("", q, f"msg{i}".encode())
        while len(got) < 3:
            conn.process_data_events(time_limit=1)
        done[0] = True
        gonet.sleep(0.02)
        assert got == [b"msg0", b"msg1", b"msg2"]
        assert ticks[0] >= 10
    finally:
        conn.close()

"""paho-mqtt against Mosquitto through patched sockets and select, its loop in goroutines."""

from __future__ import annotations

import uuid

from helpers import spawn
from interop_helpers import require

import gonet


def test_publish_and_subscribe_while_a_sibling_ticks():
    require("mosquitto")
    import paho.mqtt.client as mqtt

    topic = f"gonet/interop/{uuid.uuid4().hex}"
    got: list[bytes] = []
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sub.on_message = lambda c, u, msg: got.append(msg.payload)
    sub.connect("127.0.0.1", 1883)
    sub.subscribe(topic, qos=1)
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", 1883)

    def loop(c, until) -> int:
        n = 0
        while not until():
            c.loop(timeout=0.05)  # select.select inside: parks this goroutine only
            n += 1
        return n

    subscribed = [False]
    sub.on_subscribe = lambda *a: subscribed.__setitem__(0, True)
    sub_loop = spawn(loop, sub, lambda: len(got) >= 3)
    ticks = [0]

    def tick() -> None:
        while len(got) < 3:
            gonet.sleep(0.01)
            ticks[0] += 1

    t = spawn(tick)
    while not subscribed[0]:
        gonet.sleep(0.01)
    for i in range(3):
        info = pub.publish(topic, f"m{i}".encode(), qos=1)
        while not info.is_published():
            pub.loop(timeout=0.05)
    sub_loop.result()
    t.result()
    assert got == [b"m0", b"m1", b"m2"]
    assert ticks[0] >= 1
    pub.disconnect()
    sub.disconnect()

"""The toolkit examples, driven by real clients: examples/pipeline.py (fan-out/fan-in under a
context deadline) and examples/chat_server.py (a hub goroutine selecting over join, leave and
message channels). In-process where possible (virtual clock for the deadline), and once each as
the script a user would run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers import settle

import gonet
from gonet import Chan, context, net, sync

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
sys.path.insert(0, str(ROOT / "examples"))

import chat_server  # noqa: E402
import pipeline  # noqa: E402

BOUND = 20.0


# -- pipeline -------------------------------------------------------------------------------------


def test_pipeline_collects_the_fast_answers_and_times_out_the_slow(virtual_clock: Any, capsys: Any) -> None:
    t0 = gonet.now()
    results = pipeline.main(timeout=1.0)
    by = {r.backend: r for r in results}
    assert by["fast"].answer == "fast says: WHAT TIME IS IT?"
    assert by["quick"].answer == "quick says: WHAT TIME IS IT?"
    for name in ("slow", "stuck"):
        assert isinstance(by[name].error, context.DeadlineExceeded), by[name]
    assert [r.backend for r in results][2:] == ["slow", "stuck"]  # answers first, then timeouts
    assert gonet.now() - t0 == pytest.approx(1.0, abs=0.1)  # virtual time: the deadline, not 30 s
    out = capsys.readouterr().out
    assert "2/4 answered" in out
    assert "slow: error: context deadline exceeded" in out


def test_pipeline_fan_out_with_everything_fast_returns_all(virtual_clock: Any) -> None:
    servers = pipeline.Backends()
    try:
        for i in range(5):
            servers.start(f"b{i}", 0.01 * i)
        ctx, cancel = context.with_timeout(context.background(), 10.0)
        results = pipeline.fan_out(ctx, servers.addrs, "ping")
        cancel()
    finally:
        servers.shutdown()
    assert sorted(r.backend for r in results) == [f"b{i}" for i in range(5)]
    assert all(r.error is None and r.answer == f"{r.backend} says: PING" for r in results)


def test_pipeline_cancel_aborts_the_fetches_in_flight() -> None:
    servers = pipeline.Backends()
    try:
        servers.start("stuck", 60.0)
        ctx, cancel = context.with_cancel(context.background())
        out: Chan[Any] = Chan(1)
        gonet.go(lambda: out.send(pipeline.fan_out(ctx, servers.addrs, "q")))
        # Cancel once the backend has the query: the fetch is then blocked reading the answer,
        # which the backend holds for 60 s.
        deadline = gonet.now() + BOUND
        while servers.queries == 0:
            assert gonet.now() < deadline, "the query never reached the backend"
            gonet.sleep(0.001)
        cancel()
        (r,) = out.recv()
        assert isinstance(r.error, context.Canceled)
    finally:
        servers.shutdown()


def test_pipeline_runs_as_a_script() -> None:
    p = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "pipeline.py"), "0.5"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert "fast: fast says: WHAT TIME IS IT?" in lines[0]
    assert any("stuck: error: context deadline exceeded" in ln for ln in lines)
    assert re.search(r"2/4 answered in [\d.]+s \(deadline 0.5s\)", p.stdout)


# -- chat server ----------------------------------------------------------------------------------


class ChatClient:
    """A test client: dials, sends its name, reads lines with a generous deadline."""

    def __init__(self, addr: str, name: str) -> None:
        self.conn = net.dial("tcp", addr, timeout=BOUND)
        self.conn.set_read_deadline(gonet.now() + BOUND)
        self._lines = chat_server.lines(self.conn)
        self.say(name)

    def say(self, text: str) -> None:
        self.conn.write(text.encode() + b"\n")

    def line(self) -> str:
        return next(self._lines)

    def rest(self) -> list[str]:
        """Every line until the server hangs up."""
        return list(self._lines)

    def close(self) -> None:
        self.conn.close()


@contextmanager
def chat() -> Iterator[tuple[str, context.CancelFunc]]:
    """Run serve() in a goroutine; yield its address and a shutdown function; wait for it."""
    ln = net.listen("tcp", "127.0.0.1:0")
    ctx, cancel = context.with_cancel(context.background())
    wg = sync.WaitGroup()
    wg.go(chat_server.serve, ln, ctx)
    try:
        yield str(ln.addr()), cancel
    finally:
        cancel()
        wg.wait()  # serve() returns only after every client goroutine has ended
        assert ln.closed


def test_chat_join_broadcast_and_leave() -> None:
    with chat() as (addr, _):
        alice = ChatClient(addr, "alice")
        assert alice.line() == "welcome, alice (1 online)"
        bob = ChatClient(addr, "bob")
        assert bob.line() == "welcome, bob (2 online)"
        assert alice.line() == "* bob joined"
        carol = ChatClient(addr, "carol")
        assert carol.line() == "welcome, carol (3 online)"
        assert alice.line() == bob.line() == "* carol joined"

        alice.say("hello, room")
        assert bob.line() == carol.line() == "alice: hello, room"
        bob.say("hi alice")
        bob.say("second line")
        assert alice.line() == "bob: hi alice"
        assert carol.line() == "bob: hi alice"
        assert alice.line() == carol.line() == "bob: second line"

        bob.close()
        assert alice.line() == carol.line() == "* bob left"
        carol.say("bye")
        assert alice.line() == "carol: bye"  # the sender does not get its own message back
        for c in (alice, carol):
            c.close()


def test_chat_shutdown_hangs_up_on_everyone() -> None:
    with chat() as (addr, shutdown):
        alice = ChatClient(addr, "alice")
        silent = net.dial("tcp", addr, timeout=BOUND)  # connected, never says its name
        try:
            assert alice.line().startswith("welcome")
            shutdown()
            assert alice.rest() == []  # the server closed the conn: EOF
            silent.set_read_deadline(gonet.now() + BOUND)
            try:
                assert silent.recv(100) == b""  # accepted, then hung up on
            except ConnectionResetError:
                pass  # still in the accept queue when the listener closed: the kernel resets it
        finally:
            alice.close()
            silent.close()


def test_chat_closing_the_listener_stops_the_server() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    done: Chan[None] = Chan(1)
    gonet.go(lambda: (chat_server.serve(ln), done.send(None)))
    c = ChatClient(str(ln.addr()), "zed")
    assert c.line() == "welcome, zed (1 online)"
    ln.close()
    done.recv()  # serve() returned, after hanging up on zed
    assert c.rest() == []
    c.close()


def test_chat_hub_drops_a_client_that_cannot_keep_up() -> None:
    # The hub alone, with clients whose outboxes the test drains by hand: the slow one is
    # never drained, so once its outbox is full the hub disconnects it instead of blocking.
    room = chat_server.Room()
    ctx, cancel = context.with_cancel(context.background())
    wg = sync.WaitGroup()
    wg.go(chat_server.hub, room, ctx)
    fast, slow, talker = (
        chat_server.Client(conn=None, name=n)  # type: ignore[arg-type]
        for n in ("fast", "slow", "talker")
    )
    for c in (fast, slow, talker):
        room.join.send(c)
    n = chat_server.OUTBOX + 10
    got: list[bytes] = []
    for i in range(n):
        room.messages.send((talker, f"m{i}"))
        settle()  # the hub has handled it
        while len(fast.outbox):
            got.append(fast.outbox.recv())  # type: ignore[arg-type]
        while len(talker.outbox):
            talker.outbox.recv()
    assert [g for g in got if g.startswith(b"talker:")] == [f"talker: m{i}\n".encode() for i in range(n)]
    assert b"* slow left (too slow)\n" in got  # announced to the others
    queued = list(slow.outbox)  # closed by the hub: iteration ends after what was queued
    assert len(queued) == chat_server.OUTBOX
    cancel()
    wg.wait()


def test_chat_server_runs_as_a_script() -> None:
    p = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "chat_server.py"), "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert p.stdout is not None
        first = p.stdout.readline()
        m = re.search(r"chat server on (\S+)", first)
        assert m, first
        a = ChatClient(m.group(1), "ann")
        assert a.line() == "welcome, ann (1 online)"
        b = ChatClient(m.group(1), "ben")
        assert b.line() == "welcome, ben (2 online)"
        assert a.line() == "* ben joined"
        b.say("over the wire")
        assert a.line() == "ben: over the wire"
        a.close()
        b.close()
    finally:
        p.kill()
        p.communicate(timeout=10)

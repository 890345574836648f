"""Channels: rendezvous, buffering, FIFO order of values and of blocked goroutines,
close semantics, the nil channel, Go's panic messages and wait reasons.

Goroutines are driven deterministically: a goroutine started with go() runs when the test body
yields (settle() yields until nothing else is runnable), so "X is blocked" is checked from its
wait reason, never by sleeping.
"""

from __future__ import annotations

from typing import Any

import greenlet
import pytest
from helpers import Task, settle

import gonet
from gonet import Chan, ClosedChannelError, NilChannelError, PanicError, nil_chan
from gonet.runtime import _proc

# -- unbuffered: a rendezvous ---------------------------------------------------------------------


def test_unbuffered_send_blocks_until_a_receiver_takes_the_value() -> None:
    ch: Chan[str] = Chan()
    log: list[str] = []

    def sender() -> None:
        log.append("send")
        ch.send("v")
        log.append("sent")

    t = Task(sender)
    settle()
    assert log == ["send"]
    assert t.reason() == "chan send"
    assert len(ch) == 0  # a rendezvous never goes through a buffer
    assert ch.recv() == "v"
    settle()
    assert log == ["send", "sent"]
    assert t.finished


def test_unbuffered_recv_blocks_until_a_sender_arrives() -> None:
    ch: Chan[int] = Chan()
    t = Task(ch.recv)
    settle()
    assert t.reason() == "chan receive"
    ch.send(7)  # completes the parked receiver directly; does not block the sender
    settle()
    assert t.finished
    assert t.result == 7


def test_values_are_handed_over_by_reference() -> None:
    ch: Chan[object] = Chan()
    obj = object()
    Task(ch.send, obj)
    assert ch.recv() is obj


def test_recv_ok_tells_a_sent_none_from_a_closed_channel() -> None:
    ch: Chan[Any] = Chan(1)
    ch.send(None)
    assert ch.recv_ok() == (None, True)
    ch.close()
    assert ch.recv_ok() == (None, False)


# -- buffered ---------------------------------------------------------------------------------------


def test_buffered_values_come_out_fifo_and_len_cap_report_the_buffer() -> None:
    ch: Chan[int] = Chan(3)
    assert (len(ch), ch.cap) == (0, 3)
    for i in range(3):
        ch.send(i)  # room in the buffer: never blocks
    assert len(ch) == 3
    assert [ch.recv() for _ in range(3)] == [0, 1, 2]
    assert len(ch) == 0


def test_send_on_a_full_buffer_blocks_and_its_value_joins_the_tail() -> None:
    ch: Chan[int] = Chan(2)
    ch.send(1)
    ch.send(2)
    t = Task(ch.send, 3)
    settle()
    assert t.reason() == "chan send"
    assert ch.recv() == 1  # the receive frees a slot and moves the blocked value in
    assert len(ch) == 2
    settle()
    assert t.finished
    assert t.exc is None
    assert [ch.recv(), ch.recv()] == [2, 3]


def test_recv_on_an_empty_buffer_blocks_and_a_send_completes_it_directly() -> None:
    ch: Chan[int] = Chan(4)
    t = Task(ch.recv)
    settle()
    assert t.reason() == "chan receive"
    ch.send(5)
    assert len(ch) == 0  # handed to the waiter, not buffered
    settle()
    assert t.result == 5


@pytest.mark.parametrize("capacity", [0, 1, 3])
def test_blocked_senders_are_served_in_the_order_they_blocked(capacity: int) -> None:
    ch: Chan[int] = Chan(capacity)
    for _ in range(capacity):
        ch.send(-1)
    order: list[int] = []
    tasks = []
    for i in range(5):
        tasks.append(Task(lambda i=i: (order.append(i), ch.send(i))))
        settle()  # one at a time, so the order they blocked in is known
    assert order == [0, 1, 2, 3, 4]
    assert all(t.reason() == "chan send" for t in tasks)
    got = [ch.recv() for _ in range(capacity + 5)]
    assert got == [-1] * capacity + [0, 1, 2, 3, 4]
    settle()


def test_blocked_receivers_are_served_in_the_order_they_blocked() -> None:
    ch: Chan[int] = Chan()
    tasks = []
    for _ in range(5):
        tasks.append(Task(ch.recv))
        settle()
    for i in range(5):
        ch.send(i)
    settle()
    assert [t.result for t in tasks] == [0, 1, 2, 3, 4]


def test_many_producers_and_consumers_lose_and_duplicate_nothing() -> None:
    ch: Chan[int] = Chan(3)
    out: Chan[int] = Chan(1000)
    wg = []

    def producer(base: int) -> None:
        for i in range(100):
            ch.send(base + i)
            if i % 7 == 0:
                gonet.gosched()

    def consumer() -> None:
        for v in ch:
            out.send(v)

    for p in range(4):
        wg.append(Task(producer, p * 1000))
    consumers = [Task(consumer) for _ in range(3)]
    settle()
    while not all(t.finished for t in wg):
        gonet.gosched()
    ch.close()
    settle()
    assert all(t.finished and t.exc is None for t in consumers)
    got = []
    while len(out):
        got.append(out.recv())
    assert sorted(got) == sorted(p * 1000 + i for p in range(4) for i in range(100))


# -- close ------------------------------------------------------------------------------------------


def test_recv_from_a_closed_channel_drains_the_buffer_first() -> None:
    ch: Chan[int] = Chan(3)
    ch.send(1)
    ch.send(2)
    ch.close()
    assert len(ch) == 2
    assert ch.recv_ok() == (1, True)
    assert ch.recv() == 2
    assert ch.recv_ok() == (None, False)
    assert ch.recv() is None  # Go's zero value, again and again
    assert ch.recv_ok() == (None, False)


def test_iteration_ends_when_closed_and_drained() -> None:
    ch: Chan[int] = Chan(2)

    def producer() -> None:
        for i in range(10):
            ch.send(i)
        ch.close()

    Task(producer)
    assert list(ch) == list(range(10))
    assert list(ch) == []


def test_close_wakes_every_blocked_receiver_with_not_ok() -> None:
    ch: Chan[int] = Chan()
    tasks = [Task(ch.recv_ok) for _ in range(3)]
    settle()
    assert all(t.reason() == "chan receive" for t in tasks)
    ch.close()
    settle()
    assert [t.result for t in tasks] == [(None, False)] * 3


def test_close_makes_every_blocked_sender_panic() -> None:
    ch: Chan[int] = Chan()
    tasks = [Task(ch.send, i) for i in range(3)]
    settle()
    ch.close()
    settle()
    for t in tasks:
        assert isinstance(t.exc, ClosedChannelError)
        assert str(t.exc) == "send on closed channel"


def test_send_on_closed_and_close_of_closed_panic_with_gos_messages() -> None:
    ch: Chan[int] = Chan(1)
    ch.close()
    with pytest.raises(ClosedChannelError, match="^send on closed channel$") as ei:
        ch.send(1)
    assert isinstance(ei.value, PanicError)
    with pytest.raises(ClosedChannelError, match="^close of closed channel$"):
        ch.close()
    assert len(ch) == 0  # the failed send buffered nothing


# -- the nil channel --------------------------------------------------------------------------------


def test_nil_channel_basics() -> None:
    assert Chan.nil() is nil_chan
    assert not nil_chan
    assert Chan()
    assert (len(nil_chan), nil_chan.cap) == (0, 0)
    with pytest.raises(NilChannelError, match="^close of nil channel$") as ei:
        nil_chan.close()
    assert isinstance(ei.value, PanicError)


@pytest.mark.parametrize(
    ("op", "reason"),
    [
        (lambda: nil_chan.send(1), "chan send (nil chan)"),
        (lambda: nil_chan.recv(), "chan receive (nil chan)"),
        (lambda: nil_chan.recv_ok(), "chan receive (nil chan)"),
        (lambda: next(iter(nil_chan)), "chan receive (nil chan)"),
    ],
)
def test_nil_channel_blocks_forever(op: Any, reason: str) -> None:
    t = Task(op)
    settle()
    assert t.reason() == reason
    s = _proc.current()
    s.ready(t.g, "spurious")  # a stray wake-up does not end a nil-channel wait
    settle()
    assert t.reason() == reason
    s.interrupt(t.g, greenlet.GreenletExit())  # the only way out: unwind the goroutine
    settle()
    assert t.finished
    assert isinstance(t.exc, greenlet.GreenletExit)


def test_nil_channel_wait_alone_is_a_deadlock() -> None:
    with pytest.raises(gonet.DeadlockError, match="all goroutines are asleep - deadlock!"):
        nil_chan.recv()


# -- deadlock and interruption ----------------------------------------------------------------------


def test_receiving_with_nobody_to_send_is_a_deadlock_and_leaves_no_waiter() -> None:
    ch: Chan[int] = Chan()
    with pytest.raises(gonet.DeadlockError):
        ch.recv()
    assert not ch._recvq  # the waiter unlinked itself
    t = Task(ch.recv)  # the channel still works
    ch.send(3)
    settle()
    assert t.result == 3


def test_an_interrupted_receiver_is_skipped_by_the_next_send() -> None:
    ch: Chan[int] = Chan()
    first, second = Task(ch.recv), Task(ch.recv)
    settle()

    class Stop(Exception):
        pass

    _proc.current().interrupt(first.g, Stop())
    settle()
    assert isinstance(first.exc, Stop)
    ch.send(9)
    settle()
    assert second.result == 9


def test_blocking_in_a_timer_callback_is_refused() -> None:
    s = _proc.current()
    ch: Chan[int] = Chan()
    seen: Chan[BaseException] = Chan(1)

    def cb(_: Any) -> None:
        try:
            ch.recv()
        except BaseException as e:  # noqa: BLE001 - reported to the test body
            seen._try_send(e)
        # A non-blocking channel operation is allowed in a callback.
        seen._try_send(None)

    s.timers.new(cb).reset(s.clock())
    e = seen.recv()
    assert isinstance(e, RuntimeError)
    assert "cannot block" in str(e)
    assert not ch._recvq


def test_capacity_is_validated() -> None:
    with pytest.raises(ValueError, match="makechan: size out of range"):
        Chan(-1)
    with pytest.raises(TypeError):
        Chan(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Chan(True)


def test_repr_shows_capacity_length_and_state() -> None:
    ch: Chan[int] = Chan(2)
    ch.send(1)
    assert "cap=2 len=1" in repr(ch)
    ch.close()
    assert "closed" in repr(ch)
    assert repr(nil_chan) == "nil_chan"

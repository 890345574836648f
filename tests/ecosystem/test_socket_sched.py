"""gonet.socket and the scheduler: a send yields to runnable goroutines; timed calls try first."""

from __future__ import annotations

import pytest
from helpers import spawn

import gonet
from gonet import socket as gs
from gonet.runtime import go


def _pair(call: str) -> tuple[gs.socket, gs.socket]:
    if call != "sendto":
        return gs.socketpair()
    a, b = gs.socket(gs.AF_INET, gs.SOCK_DGRAM), gs.socket(gs.AF_INET, gs.SOCK_DGRAM)
    b.bind(("127.0.0.1", 0))
    return a, b


@pytest.mark.parametrize("call", ["send", "sendall", "sendto", "sendmsg"])
@pytest.mark.parametrize("timeout", [None, 5.0])
def test_a_send_lets_runnable_goroutines_run_before_the_sender_goes_on(call: str, timeout: float | None):
    a, b = _pair(call)
    events: list[str] = []
    with a, b:
        a.settimeout(timeout)
        go(events.append, "sibling")  # runnable, not yet run: go() does not switch
        if call == "sendto":
            a.sendto(b"req", b.getsockname())
        elif call == "sendmsg":
            a.sendmsg([b"req"])
        else:
            getattr(a, call)(b"req")
        events.append("sender")
        assert b.recv(10) == b"req"
    assert events == ["sibling", "sender"]


def test_a_send_with_nothing_else_runnable_does_not_switch():
    a, b = gs.socketpair()
    with a, b:
        a.sendall(b"x")
        g = go(lambda: None)  # the first runnable goroutine appears only after the send
        assert g is not None
        assert b.recv(1) == b"x"


def test_two_timed_readers_of_one_socket_both_get_their_bytes():
    # The second reader fails its first try, then waits for the first reader's lock: the edge
    # that arrives meanwhile must not be lost.
    a, b = gs.socketpair()
    with a, b:
        b.settimeout(10.0)
        r1 = spawn(b.recv, 1)
        r2 = spawn(b.recv, 1)
        gonet.sleep(0.05)  # both parked: one on the pollDesc, one on the read lock
        a.sendall(b"1")
        gonet.sleep(0.05)
        a.sendall(b"2")
        assert sorted([r1.result(), r2.result()]) == [b"1", b"2"]

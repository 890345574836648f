"""`gonet demo`: the report, clients in a second process, and an accept loop that rides out
temporary errors the way net/http's Serve does."""
from __future__ import annotations

import errno
import logging
import re
import subprocess
import sys
from typing import Any

import pytest
from _core_util import SUB_ENV

import gonet
from gonet import _demo, net
from gonet.errors import DeadlineExceededError, ErrClosed, OpError, op_error


def _demo_cli(*args: str) -> subprocess.CompletedProcess[str]:
    r: subprocess.CompletedProcess[str] = gonet.run_in_thread(
        subprocess.run, [sys.executable, "-m", "gonet.cli", "demo", *args], capture_output=True,
        text=True, env=SUB_ENV, timeout=60)
    return r


def test_the_demo_reports_what_it_measured() -> None:
    out = _demo_cli("--clients", "20", "--seconds", "0.5")
    assert (out.returncode, out.stderr) == (0, "")
    head, *rest = out.stdout.splitlines()
    assert head.startswith("gonet demo: the seed's server on 127.0.0.1:")
    assert head.endswith(", 20 client goroutines in a second process, 0.5 s")
    lines = {ln.split(":", 1)[0].strip(): ln.split(":", 1)[1].strip() for ln in rest}
    assert list(lines) == ["measured", "connections served", "requests/s", "latency p50 / p99",
                           "client errors", "server CPU", "peak goroutines", "netpoller",
                           "scheduler"]
    assert lines["measured"] == ("one new TCP connection per request (connect, write, read the "
                                 "reply, close); for long-lived connections run "
                                 "`python -m benchmarks`")
    assert int(lines["connections served"].replace(",", "")) > 0
    assert int(lines["requests/s"].replace(",", "")) > 0
    assert lines["client errors"] == "0"
    assert re.fullmatch(r"\d+\.\d\d s \(\d+% of one core\), [\d,]+ connections per CPU-second",
                        lines["server CPU"]), lines["server CPU"]
    assert "epoll_wait calls" in lines["netpoller"]


def test_the_clients_run_in_another_process() -> None:
    before = gonet.runtime.stats()["goroutines_created"]
    res = _demo.run_demo(clients=10, seconds=0.3)
    created = gonet.runtime.stats()["goroutines_created"] - before
    assert res.errors == 0 and res.requests > 0
    assert res.served == res.requests
    assert res.server_cpu > 0
    # Here: the accept loop and one handler per connection, and not one client goroutine.
    assert created == 1 + res.served


@pytest.mark.parametrize("args, message", [
    (["--clients", "0"], "gonet demo: clients must be >= 1, got 0\n"),
    (["--seconds", "0"], "gonet demo: seconds must be > 0, got 0.0\n"),
])
def test_the_demo_rejects_bad_arguments(args: list[str], message: str) -> None:
    out = _demo_cli(*args)
    assert (out.returncode, out.stdout, out.stderr) == (1, "", message)


# -- the accept loop ------------------------------------------------------------------------------

class _TemporaryError(OpError):
    def temporary(self) -> bool:
        return True


class _Conn:
    def __init__(self) -> None:
        self.wrote = b""

    def __enter__(self) -> _Conn:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def read(self, buf: bytearray) -> int:
        return 0

    def write(self, b: bytes) -> int:
        self.wrote += b
        return len(b)


class _Listener:
    """Replays a script of accept outcomes: an exception to raise or a conn to return."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script

    def accept(self) -> Any:
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item


def _emfile() -> OpError:
    cause = OSError(errno.EMFILE, "too many open files")
    return _TemporaryError("accept", "tcp", None, None, cause, "accept")


def test_the_accept_loop_backs_off_on_temporary_errors(
        virtual_clock: Any, caplog: pytest.LogCaptureFixture) -> None:
    conns = [_Conn(), _Conn()]
    script: list[Any] = [_emfile(), _emfile(), _emfile(), conns[0], _emfile(), conns[1],
                         ErrClosed()]
    served = [0]
    t0 = gonet.now()
    with caplog.at_level(logging.WARNING, logger="gonet.demo"):
        _demo._serve(_Listener(script), served)  # type: ignore[arg-type]
    gonet.gosched()  # let the last handler run
    delays = [r.getMessage().rsplit("retrying in ", 1)[1] for r in caplog.records]
    assert delays == ["5 ms", "10 ms", "20 ms", "5 ms"]  # doubling, and reset by a success
    assert caplog.records[0].getMessage() == (
        "gonet demo: accept error: accept tcp: accept: too many open files; retrying in 5 ms")
    assert gonet.now() - t0 == pytest.approx(0.040)  # virtual time: the sleeps, nothing else
    assert served == [2] and [c.wrote for c in conns] == [_demo.REPLY] * 2


def test_the_backoff_stops_doubling_at_one_second(
        virtual_clock: Any, caplog: pytest.LogCaptureFixture) -> None:
    script: list[Any] = [_emfile() for _ in range(10)] + [ErrClosed()]
    with caplog.at_level(logging.WARNING, logger="gonet.demo"):
        _demo._serve(_Listener(script), [0])  # type: ignore[arg-type]
    delays = [r.getMessage().rsplit("retrying in ", 1)[1] for r in caplog.records]
    assert delays == ["5 ms", "10 ms", "20 ms", "40 ms", "80 ms", "160 ms", "320 ms", "640 ms",
                      "1000 ms", "1000 ms"]


def test_an_expired_deadline_is_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    err = op_error("accept", "tcp", None, None, DeadlineExceededError(), "accept")
    with pytest.raises(DeadlineExceededError, match="accept tcp: i/o timeout"):
        _demo._serve(_Listener([err]), [0])  # type: ignore[arg-type]
    assert caplog.records == []


def test_a_permanent_accept_error_ends_the_loop() -> None:
    err = op_error("accept", "tcp", None, None, OSError(errno.EBADF, "bad file descriptor"), "accept")
    with pytest.raises(OSError, match="accept tcp: accept: bad file descriptor") as ei:
        _demo._serve(_Listener([err]), [0])  # type: ignore[arg-type]
    assert ei.value.errno == errno.EBADF


def test_a_closed_listener_ends_the_loop_quietly(caplog: pytest.LogCaptureFixture) -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    ln.close()
    _demo._serve(ln, [0])
    assert caplog.records == []

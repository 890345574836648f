# The supervisor end to end, with a non-HTTP worker (echo_app.py: a TCP request-response
# server under gonet.runtime.workers) in real processes: every worker accepts, a SIGKILLed
# worker is replaced, a SIGHUP reload under a C client's constant load fails no request, SIGTERM
# lets in-flight requests finish and exits 0, max_requests recycles workers, a crash loop backs
# off — and each event is one log line.
from __future__ import annotations

import os
import re
import signal
import socket
import threading
import time

import pytest
from supervised import Loadgen, Supervised, alive

pytestmark = pytest.mark.timeout(120)


def _request(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        return got


def _hammer(port: int, total: int, threads: int) -> list[str]:
    """Make total one-request connections from several threads; return the failures."""
    failures: list[str] = []
    lock = threading.Lock()
    per = total // threads

    def run(t: int) -> None:
        for i in range(per):
            msg = f"t{t} r{i} ".encode() * 4
            try:
                got = _request(port, msg)
            except OSError as e:
                got = repr(e).encode()
            if got != msg:
                with lock:
                    failures.append(got.decode(errors="replace"))

    ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    return failures


def _served(sup: Supervised) -> dict[int, int]:
    return {int(m.group(1)): int(m.group(2)) for m in sup.matches(r"^served pid=(\d+) conns=(\d+)$", "out")}


@pytest.mark.parametrize("mode", ["shared", "reuse_port"])
def test_every_worker_accepts_some_of_1000_connections(mode: str) -> None:
    args = ["127.0.0.1:0", "3"] + (["--reuse-port"] if mode == "reuse_port" else [])
    with Supervised.echo(*args) as sup:
        port = sup.port()
        pids = {
            int(m.group(1)) for m in sup.wait_for(r"^accepting pid=(\d+) slot=\d gen=1$", 3, stream="out")
        }
        assert _hammer(port, 1000, 20) == []
        sup.signal(signal.SIGTERM)
        assert sup.wait() == 0
        served = _served(sup)
    assert set(served) == pids, sup.text()
    assert sum(served.values()) == 1000
    assert all(n > 0 for n in served.values()), served
    how = "SO_REUSEPORT, 3 sockets" if mode == "reuse_port" else "shared by 3 workers"
    assert sup.matches(rf"listening on tcp 127\.0\.0\.1:{port} \({how}\)$", "err")
    print(f"accept balance ({mode}, 3 workers, 1000 conns): {sorted(served.values(), reverse=True)}")


def test_a_killed_worker_is_replaced_and_clients_lose_at_most_its_connections(loadgen: str) -> None:
    with Supervised.echo("127.0.0.1:0", "2") as sup:
        port = sup.port()
        first = sup.wait_for(r"^accepting pid=(\d+) slot=0 gen=1$", stream="out")[0]
        victim = int(first.group(1))
        with Loadgen(loadgen, port, "churn", 20, 4.0) as lg:
            time.sleep(1.5)  # load running, and the victim up longer than min_uptime: no backoff
            os.kill(victim, signal.SIGKILL)
            sup.wait_for(
                rf"worker 0 \(pid {victim}, generation 1\) exited: killed by SIGKILL; restarting in 0 s$",
                stream="err",
            )
            new = sup.wait_for(r"^accepting pid=(\d+) slot=0 gen=1$", 2, stream="out")[1]
            report = lg.report()
        sup.signal(signal.SIGTERM)
        assert sup.wait() == 0
    assert int(new.group(1)) != victim
    assert not alive(victim)
    assert report["requests"] > 0
    # At most the connections the victim held: 20 clients, one connection each at a time.
    assert report["errors"] <= 20, report
    print(f"kill -9 under load: {report['requests']} requests, {report['errors']} failed")


@pytest.mark.parametrize("mode", ["shared", "reuse_port"])
def test_sighup_reload_under_constant_load_fails_no_request(loadgen: str, mode: str) -> None:
    args = ["127.0.0.1:0", "2"] + (["--reuse-port"] if mode == "reuse_port" else [])
    with Supervised.echo(*args) as sup:
        port = sup.port()
        old = {int(m.group(1)) for m in sup.wait_for(r"^accepting pid=(\d+) slot=\d gen=1$", 2, stream="out")}
        with Loadgen(loadgen, port, "churn", 20, 5.0) as lg:
            time.sleep(1.0)
            sup.signal(signal.SIGHUP)
            sup.wait_for(r"SIGHUP: reloading: starting generation 2$", stream="err")
            sup.wait_for(r"reload complete: generation 2 serving$", stream="err")
            new = {
                int(m.group(1)) for m in sup.wait_for(r"^accepting pid=(\d+) slot=\d gen=2$", 2, stream="out")
            }
            for pid in old:
                sup.wait_for(rf"\(pid {pid}, generation 1\) stopped: exit status 0$", stream="err")
            report = lg.report()
        sup.signal(signal.SIGTERM)
        assert sup.wait() == 0
    assert old.isdisjoint(new)
    served = _served(sup)
    assert all(served[p] > 0 for p in old | new), served
    assert report["requests"] > 1000
    assert report["errors"] == 0, report
    assert report["connect_errors"] == 0, report
    # Each old worker is stopped only once its slot's new worker is ready.
    for m in sup.matches(r"worker (\d) \(pid (\d+), generation 2\) ready: stopping worker (\d)", "err"):
        assert m.group(1) == m.group(3)
    print(f"SIGHUP reload under load ({mode}): {report['requests']} requests sent, {report['errors']} failed")


def test_sigterm_lets_requests_in_flight_finish_then_exits_0() -> None:
    with Supervised.echo("127.0.0.1:0", "2") as sup:
        port = sup.port()
        sup.wait_for(r"^accepting pid=", 2, stream="out")
        clients = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(6)]
        try:
            for c in clients:
                c.sendall(b"slow")
            for c in clients:
                assert c.recv(4) == b"ack\n"  # the request is in a worker's hands
            sup.signal(signal.SIGTERM)
            sup.wait_for(r"SIGTERM: graceful shutdown of 2 workers \(timeout 10 s\)$", stream="err")
            replies = []
            for c in clients:
                data = b""
                while chunk := c.recv(100):
                    data += chunk
                replies.append(data)  # the reply, then EOF: the worker closed after it
        finally:
            for c in clients:
                c.close()
        assert sup.wait() == 0
    assert replies == [b"done\n"] * 6
    assert sup.matches(r"shutdown complete$", "err")
    assert len(sup.matches(r"stopped: exit status 0$", "err")) == 2
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_max_requests_recycles_workers_without_failing_a_request() -> None:
    with Supervised.echo("127.0.0.1:0", "1", "--max-requests", "20", "--jitter", "5") as sup:
        port = sup.port()
        limit = int(
            sup.wait_for(r"worker 0 \(pid \d+, generation 1\) started, max_requests (\d+)$")[0].group(1)
        )
        assert 20 <= limit <= 25
        # The old worker serves on until its replacement is ready: keep the requests coming
        # until two replacements have happened.
        failures, sent = [], 0
        while len(sup.matches(r"reached max_requests \d+: replacing it$", "err")) < 2 and sent < 5000:
            p = f"req {sent}".encode()
            if _request(port, p) != p:
                failures.append(p)
            sent += 1
        # Each "replacing it" is followed by the replacement's start (unless a shutdown has
        # begun, so wait for it before SIGTERM).
        starts = sup.wait_for(
            r"worker 0 \(pid (\d+), generation 1\) started, max_requests (\d+)$", 3, stream="err"
        )
        first = int(starts[0].group(1))
        # Replacement before retirement: the first worker is stopped once the new one is ready.
        sup.wait_for(rf"ready: stopping worker 0 \(pid {first}, generation 1\)$", stream="err")
        sup.signal(signal.SIGTERM)
        assert sup.wait() == 0
    assert failures == []
    starts = sup.matches(r"worker 0 \(pid (\d+), generation 1\) started, max_requests (\d+)$", "err")
    assert len(starts) >= 3
    assert all(20 <= int(m.group(2)) <= 25 for m in starts)
    served = _served(sup)
    assert sum(served.values()) == sent
    assert served[first] >= int(starts[0].group(2))
    assert sup.matches(rf"worker 0 \(pid {first}, generation 1\) stopped: exit status 0$", "err")


def test_a_crash_loop_backs_off_exponentially_and_logs_why() -> None:
    with Supervised.echo("127.0.0.1:0", "1", "--mode", "crash") as sup:
        found = sup.wait_for(
            r"worker 0 \(pid \d+, generation 1\) exited: exit status 1: ValueError: boom at start; "
            r"restarting in ([\d.]+) s \(crash (\d) in a row",
            4,
            stream="err",
        )
        sup.signal(signal.SIGTERM)
        assert sup.wait() == 0
    assert [(m.group(1), m.group(2)) for m in found[:4]] == [
        ("0.1", "1"),
        ("0.2", "2"),
        ("0.4", "3"),
        ("0.8", "4"),
    ]
    # The worker's own traceback went to stderr, ahead of the supervisor's line.
    assert sup.matches(r"^ValueError: boom at start$", "err")


def test_a_second_sigint_forces_the_shutdown() -> None:
    with Supervised.echo("127.0.0.1:0", "1", "--graceful-timeout", "60") as sup:
        port = sup.port()
        sup.wait_for(r"^accepting pid=", stream="out")
        c = socket.create_connection(("127.0.0.1", port), timeout=20)
        try:
            c.sendall(b"x")
            assert c.recv(1) == b"x"
            c.sendall(b"slow")
            assert c.recv(4) == b"ack\n"
            sup.signal(signal.SIGINT)
            sup.wait_for(r"SIGINT: graceful shutdown of 1 worker ", stream="err")
            sup.signal(signal.SIGINT)
            assert sup.wait() == 1
        finally:
            c.close()
    assert re.search(r"SIGINT again: forcing shutdown", sup.text())
    assert sup.matches(r"shutdown complete \(forced\)$", "err")


def test_a_goroutine_panic_is_logged_as_one() -> None:
    with Supervised.echo("127.0.0.1:0", "1", "--mode", "panic") as sup:
        sup.wait_for(
            r"worker 0 \(pid \d+, generation 1\) exited: exit status 2 \(panic: the worker's report is on "
            r"its stderr\); restarting in 0\.1 s",
            stream="err",
        )
        sup.signal(signal.SIGTERM)
        assert sup.wait() == 0
    # gonet's panic report, on the worker's stderr, just before the supervisor's line.
    assert sup.matches(r"^panic: RuntimeError: goroutine gave up$", "err")


def test_with_reuse_port_connections_to_a_dead_workers_socket_wait_for_its_replacement() -> None:
    with Supervised.echo("127.0.0.1:0", "2", "--reuse-port") as sup:
        port = sup.port()
        victim = int(sup.wait_for(r"^accepting pid=(\d+) slot=0 gen=1$", stream="out")[0].group(1))
        sup.wait_for(r"^accepting pid=\d+ slot=1 gen=1$", stream="out")
        time.sleep(1.1)  # up longer than min_uptime: restarted at once
        os.kill(victim, signal.SIGKILL)
        # About half of these hash to the dead worker's socket, which the supervisor holds open:
        # they queue there until the replacement accepts them.
        failures = _hammer(port, 200, 10)
        sup.wait_for(r"^accepting pid=\d+ slot=0 gen=1$", 2, stream="out")
        sup.signal(signal.SIGTERM)
        assert sup.wait() == 0
    assert failures == []
    served = _served(sup)
    assert sum(served.values()) == 200
    assert len(served) == 2  # the replacement and slot 1's worker both served some

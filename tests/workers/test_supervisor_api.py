# The Supervisor's API: argument checks and bind-spec errors (raised before anything starts),
# exit-status wording, the worker-side calls outside a worker, and a "module:function" target
# with a Unix socket, per-worker debug addresses and worker_init, in a real process.
from __future__ import annotations

import json
import os
import random
import signal
import socket
import sys
import textwrap
import urllib.request

import pytest
from helpers import SUB_ENV
from supervised import HERE, Supervised

from gonet import runtime
from gonet.supervisor import Supervisor, default_workers, describe_status, request_done, retire, worker_info


def _noop(fds: list[int]) -> None:
    pass


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"n": 0}, ValueError, r"n \(the number of workers\) must be an int >= 1, got 0"),
        ({"n": True}, ValueError, r"n \(the number of workers\) must be an int >= 1, got True"),
        ({"max_requests": -1}, ValueError, "max_requests must be an int >= 0, got -1"),
        ({"max_requests_jitter": 1.5}, ValueError, "max_requests_jitter must be an int >= 0, got 1.5"),
        ({"graceful_timeout": -1}, ValueError, "graceful_timeout must be >= 0, got -1"),
        ({"debug_addr": "localhost"}, ValueError, "debug_addr 'localhost': want HOST:PORT"),
        ({"listeners": "127.0.0.1:0"}, TypeError, "listeners is a sequence of bind specs, not one string"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, exc: type, message: str) -> None:
    with pytest.raises(exc, match=f"^{message}$"):
        Supervisor(_noop, **kwargs)


def test_a_target_must_be_callable_or_a_name() -> None:
    with pytest.raises(TypeError, match=r"^target must be callable or 'module:function', not int$"):
        Supervisor(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "reuse_port", "exc", "message"),
    [
        ("nope", False, ValueError, r"bind 'nope': missing port \(want HOST:PORT, unix:PATH or fd://N\)"),
        ("127.0.0.1:http", False, ValueError, "bind '127.0.0.1:http': port 'http' is not a number"),
        ("127.0.0.1:70000", False, ValueError, "bind '127.0.0.1:70000': port 70000 out of range"),
        ("unix:", False, ValueError, "bind 'unix:': missing socket path"),
        ("unix:@x", True, ValueError, "bind unix:@x: reuse_port applies to TCP addresses only"),
        ("fd://x", False, ValueError, "bind 'fd://x': 'x' is not a descriptor number"),
        (
            "fd://3",
            True,
            ValueError,
            "bind fd://3: reuse_port needs an address to bind, not an inherited descriptor",
        ),
    ],
)
def test_bad_bind_specs_fail_run_before_any_worker_starts(
    spec: str, reuse_port: bool, exc: type, message: str
) -> None:
    with pytest.raises(exc, match=f"^{message}$"):
        Supervisor(_noop, 1, [spec], reuse_port=reuse_port).run()


def test_a_busy_address_fails_run_and_leaves_nothing_open() -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    busy_inode = os.readlink(f"/proc/self/fd/{busy.fileno()}")
    before = _sockets()
    try:
        with pytest.raises(
            OSError, match=rf"^\[Errno 98\] bind 127\.0\.0\.1:{port}: Address already in use$"
        ):
            Supervisor(_noop, 1, ["127.0.0.1:0", f"127.0.0.1:{port}"]).run()
    finally:
        busy.close()
    assert _sockets() == before - {busy_inode}


def test_an_fd_that_is_not_a_listening_socket_is_refused() -> None:
    s = socket.socket()
    try:
        with pytest.raises(ValueError, match=r"^bind socket fd \d+: not a listening stream socket$"):
            Supervisor(_noop, 1, [s]).run()
    finally:
        s.close()


def test_exit_statuses_are_described_as_the_log_says_them() -> None:
    assert describe_status(0) == "exit status 0"
    assert describe_status(3 << 8) == "exit status 3"
    assert describe_status(2 << 8) == "exit status 2 (panic: the worker's report is on its stderr)"
    assert describe_status(signal.SIGKILL) == "killed by SIGKILL"
    assert describe_status(signal.SIGSEGV | 0x80) == "killed by SIGSEGV (core dumped)"


def test_the_worker_calls_do_nothing_outside_a_worker() -> None:
    assert worker_info() is None
    assert request_done(1000) is False
    retire()
    assert default_workers() == len(os.sched_getaffinity(0))


def test_workers_refuses_to_run_in_a_process_that_runs_gonet() -> None:
    # This test runs as a goroutine: the process has a scheduler.
    with pytest.raises(RuntimeError, match="this process already runs a gonet scheduler"):
        runtime.workers(1, _noop)


_SCRIPT = textwrap.dedent("""
    import os, sys
    from gonet.supervisor import Supervisor

    def init(info):
        os.write(1, f"init slot={info.slot} debug={info.debug_addr} fds={len(info.listener_fds)}\\n".encode())

    sys.exit(Supervisor("echo_app:serve", 2, [sys.argv[1]], debug_addr="127.0.0.1:7100",
                        worker_init=init, graceful_timeout=5).run())
""")


def test_a_named_target_on_a_unix_socket_with_debug_addresses(tmp_path) -> None:
    path = str(tmp_path / "w.sock")
    env = {"PYTHONPATH": os.pathsep.join([str(HERE), SUB_ENV["PYTHONPATH"]])}
    with Supervised([sys.executable, "-c", _SCRIPT, f"unix:{path}"], env=env) as sup:
        sup.wait_for(rf"listening on unix {path} \(shared by 2 workers\)$", stream="err")
        inits = sup.wait_for(r"^init slot=(\d) debug=(\S+) fds=1$", 2, stream="out")
        sup.wait_for(r"^accepting pid=", 2, stream="out")
        with socket.socket(socket.AF_UNIX) as c:
            c.settimeout(20)
            c.connect(path)
            c.sendall(b"unix hello")
            assert c.recv(100) == b"unix hello"
        sup.signal(signal.SIGTERM)
        assert sup.wait() == 0
    assert sorted((m.group(1), m.group(2)) for m in inits) == [
        ("0", "127.0.0.1:7100"),
        ("1", "127.0.0.1:7101"),
    ]
    assert not os.path.exists(path)  # the supervisor made the socket file, and removed it


def _sockets() -> set[str]:
    """Return this process's open sockets ("socket:[inode]"), to see that none was left open."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:"):
            out.add(link)
    return out


_DEBUG_SCRIPT = textwrap.dedent("""
    import sys
    from gonet.supervisor import Supervisor

    def init(info):
        from gonet import debug
        debug.serve(info.debug_addr)

    sys.exit(Supervisor("echo_app:serve", 2, ["127.0.0.1:0"], debug_addr=sys.argv[1], worker_init=init).run())
""")


def _two_free_ports() -> int:
    """Return a port p such that p and p + 1 were both free a moment ago.

    Drawn below the ephemeral range (32768-60999 by default), where no outgoing connection of
    this busy machine holds a port.
    """
    for _ in range(200):
        p = random.randrange(20000, 32000)
        socks = [socket.socket(), socket.socket()]
        try:
            for i, s in enumerate(socks):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gonet's listen
                s.bind(("127.0.0.1", p + i))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        return p
    raise AssertionError("no two consecutive free ports")


def test_each_worker_serves_its_own_debug_page() -> None:
    base = _two_free_ports()
    env = {"PYTHONPATH": os.pathsep.join([str(HERE), SUB_ENV["PYTHONPATH"]])}
    with Supervised([sys.executable, "-c", _DEBUG_SCRIPT, f"127.0.0.1:{base}"], env=env) as sup:
        pids = {
            int(m.group(1)) for m in sup.wait_for(r"^accepting pid=(\d+) slot=\d gen=1$", 2, stream="out")
        }
        seen = set()
        for port in (base, base + 1):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/debug/stats", timeout=20) as r:
                seen.add(json.load(r)["pid"])
        sup.signal(signal.SIGTERM)
        assert sup.wait() == 0
    assert seen == pids

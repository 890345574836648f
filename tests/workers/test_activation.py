# Systemd socket activation (go-systemd's activation package): a harness passes real sockets as
# descriptors 3, 4, ... with LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES, and the program (or the
# supervisor, with fd://3) adopts and serves them.
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest
from helpers import SUB_ENV
from supervised import ECHO_APP, HERE, Supervised

from gonet.net import activation

LAUNCH = str(HERE / "sd_launch.py")


def _tcp_listener() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def test_a_socket_activated_program_gets_its_named_sockets(tmp_path) -> None:
    tcp = _tcp_listener()
    path = str(tmp_path / "admin.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(path)
    unix.listen()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    socks = [tcp, unix, udp]
    fds = ",".join(str(s.fileno()) for s in socks)
    p = subprocess.Popen(
        [sys.executable, LAUNCH, fds, "web:admin:dns", "--", sys.executable, str(HERE / "sd_app.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=SUB_ENV,
        pass_fds=tuple(s.fileno() for s in socks),
    )
    try:
        assert p.stdout is not None
        info = json.loads(p.stdout.readline())
        tport = tcp.getsockname()[1]
        uport = udp.getsockname()[1]
        assert info == {
            "names": ["web", "admin", "dns"],
            "listeners": [f"tcp 127.0.0.1:{tport}", f"unix {path}", None],
            "packet_conns": [None, None, f"udp 127.0.0.1:{uport}"],
            "env_left": [],
            "fd3_closed": True,
        }
        with socket.create_connection(("127.0.0.1", tport), timeout=20) as c:
            c.sendall(b"over tcp")
            assert c.recv(100) == b"over tcp"
        with socket.socket(socket.AF_UNIX) as c:
            c.settimeout(20)
            c.connect(path)
            c.sendall(b"over unix")
            assert c.recv(100) == b"over unix"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.settimeout(20)
            c.sendto(b"over udp", ("127.0.0.1", uport))
            assert c.recv(100) == b"over udp"
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
        for s in socks:
            s.close()
    # The program's listener did not remove the socket file: the launcher owns it.
    assert os.path.exists(path)


def test_the_supervisor_serves_a_socket_passed_by_systemd() -> None:
    tcp = _tcp_listener()
    port = tcp.getsockname()[1]
    argv = [sys.executable, LAUNCH, str(tcp.fileno()), "web", "--", sys.executable, ECHO_APP, "fd://3", "2"]
    try:
        with Supervised(argv, pass_fds=(tcp.fileno(),)) as sup:
            assert sup.port() == port
            sup.wait_for(r"^accepting pid=", 2, stream="out")
            for i in range(20):
                with socket.create_connection(("127.0.0.1", port), timeout=20) as c:
                    c.sendall(b"msg %d" % i)
                    assert c.recv(100) == b"msg %d" % i
            sup.signal(signal.SIGTERM)
            assert sup.wait() == 0
    finally:
        tcp.close()
    assert sup.matches(r"listening on tcp 127\.0\.0\.1:\d+ \(shared by 2 workers\)$", "err")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


def test_sockets_meant_for_another_process_are_not_taken(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LISTEN_PID", str(os.getpid() + 1))
    clean_env.setenv("LISTEN_FDS", "2")
    clean_env.setenv("LISTEN_FDNAMES", "a:b")
    assert activation.files(unset_env=False) == []
    assert os.environ["LISTEN_FDS"] == "2"
    assert activation.files() == []
    assert [k for k in os.environ if k.startswith("LISTEN_")] == []


@pytest.mark.parametrize(
    ("pid", "fds"), [("x", "1"), (None, "1"), ("self", "zero"), ("self", "0"), ("self", None)]
)
def test_malformed_or_missing_variables_mean_nothing_was_passed(
    clean_env: pytest.MonkeyPatch, pid: str | None, fds: str | None
) -> None:
    if pid is not None:
        clean_env.setenv("LISTEN_PID", str(os.getpid()) if pid == "self" else pid)
    if fds is not None:
        clean_env.setenv("LISTEN_FDS", fds)
    assert activation.listeners() == []
    assert "LISTEN_FDS" not in os.environ

"""Accept loops survive running out of file descriptors: iterating a Listener backs off on a
temporary error (EMFILE, ...) as net/http's Serve does, logs it, and serves again once
descriptors are free. Each scenario runs in a subprocess with a lowered RLIMIT_NOFILE."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import SUB_ENV

import gonet
from gonet import net

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Run in the child: exhaust descriptors after the client connected, so the server's accept
# fails with EMFILE while a connection waits in the backlog; count the logged retries.
_PRELUDE = r'''
import logging, os, resource, socket, sys
import gonet, gonet.sync
from gonet import net

retries = []

class Record(logging.Handler):
    def emit(self, r):
        retries.append(r.getMessage())
        print(f"{r.name} {r.levelname} {r.getMessage()}", flush=True)

logging.getLogger("gonet.net").addHandler(Record())
gonet.runtime.current()  # this thread's scheduler (its epoll fd) exists before fds run out
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 256), hard))

def exhaust():
    """Open /dev/null until the process is out of descriptors; return them."""
    fds = []
    while True:
        try:
            fds.append(os.open(os.devnull, os.O_RDONLY))
        except OSError as e:
            assert e.errno == 24, e  # EMFILE
            return fds

def wait_for_retries(n):
    while len(retries) < n:
        gonet.sleep(0.001)
'''


def run_child(body: str) -> subprocess.CompletedProcess[str]:
    """Run _PRELUDE + body in a fresh interpreter; return the finished process."""
    code = _PRELUDE + textwrap.dedent(body)
    # On the thread pool: the test body is a goroutine, and waiting must not stall its thread.
    return gonet.run_in_thread(
        subprocess.run, [sys.executable, "-c", code], capture_output=True, text=True, timeout=50, env=SUB_ENV
    )


def retry_delays(out: str, addr_re: str) -> list[str]:
    """Return the delays of the logged retries, checking each line's full text."""
    line = re.compile(
        rf"gonet\.net WARNING gonet: accept error: accept tcp {addr_re}: accept: "
        r"too many open files; retrying in (\S+)$"
    )
    delays = []
    for ln in out.splitlines():
        if "accept error" in ln:
            m = line.match(ln)
            assert m, ln
            delays.append(m.group(1))
    return delays


def test_listener_iteration_backs_off_on_emfile_and_serves_again() -> None:
    p = run_child("""
        ln = net.listen("tcp", "127.0.0.1:0")
        print("addr", ln.addr(), flush=True)

        def serve():
            for conn in ln:
                conn.write(b"hello")
                conn.close()
            print("loop ended", flush=True)

        c = net.dial("tcp", str(ln.addr()))  # waits in the backlog: accept needs a new fd
        spare = exhaust()
        wg = gonet.sync.WaitGroup()
        wg.go(serve)
        wait_for_retries(3)
        for fd in spare:
            os.close(fd)
        print("got", c.recv(5), flush=True)
        c.close()
        ln.close()
        wg.wait()
    """)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    addr = re.search(r"^addr (\S+)$", out, re.M).group(1)
    delays = retry_delays(out, re.escape(addr))
    # net/http's schedule: 5 ms, doubling, at most 1 s; then the waiting client is served.
    assert (
        delays
        == ["5ms", "10ms", "20ms", "40ms", "80ms", "160ms", "320ms", "640ms", "1s", "1s", "1s"][: len(delays)]
    )
    assert len(delays) >= 3
    assert out.splitlines()[-2:] == ["got b'hello'", "loop ended"]


def test_explicit_accept_still_reports_emfile() -> None:
    p = run_child("""
        ln = net.listen("tcp", "127.0.0.1:0")
        c = net.dial("tcp", str(ln.addr()))
        spare = exhaust()
        try:
            ln.accept()
        except net.OpError as e:
            print(type(e).__name__, e.errno, e.temporary(), e.timeout(), str(e) == (
                f"accept tcp {ln.addr()}: accept: too many open files"), flush=True)
        for fd in spare:
            os.close(fd)
        ln.accept().close()
        c.close()
        ln.close()
    """)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["OpError 24 True False True"]
    assert "accept error" not in p.stdout + p.stderr  # accept() itself never sleeps or logs


def test_debug_page_keeps_serving_after_emfile() -> None:
    p = run_child("""
        from gonet import debug
        srv = debug.serve("127.0.0.1:0")
        host, port = srv.addr
        spare = exhaust()
        os.close(spare.pop())
        s = socket.socket()  # takes the one free descriptor: the server's accept gets EMFILE
        s.settimeout(30)
        s.connect((host, port))
        while len(retries) < 2:  # the server's thread logs; this thread only waits
            gonet.sleep(0.001)
        for fd in spare:
            os.close(fd)
        s.sendall(b"GET /debug/stats HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
        resp = b""
        while chunk := s.recv(65536):
            resp += chunk
        s.close()
        print(resp.split(b"\\r\\n", 1)[0].decode(), flush=True)
        srv.close()
    """)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[-1] == "HTTP/1.1 200 OK"
    assert len(retry_delays(p.stdout, r"127\.0\.0\.1:\d+")) >= 2


@pytest.mark.parametrize(
    ("example", "reply"), [("echo_server", b"ping\n"), ("chat_server", b"welcome, ping (1 online)\n")]
)
def test_example_servers_keep_serving_after_emfile(example: str, reply: bytes) -> None:
    p = run_child(f"""
        sys.path.insert(0, {str(EXAMPLES)!r})
        import {example} as ex
        ln = net.listen("tcp", "127.0.0.1:0")
        c = net.dial("tcp", str(ln.addr()))
        spare = exhaust()
        wg = gonet.sync.WaitGroup()
        wg.go(ex.serve, ln)
        wait_for_retries(2)
        for fd in spare:
            os.close(fd)
        c.write(b"ping\\n")
        print("got", c.recv(100), flush=True)
        c.close()
        ln.close()
        wg.wait()
    """)
    assert p.returncode == 0, p.stderr
    assert len(retry_delays(p.stdout, r"127\.0\.0\.1:\d+")) >= 2
    assert p.stdout.splitlines()[-1] == f"got {reply!r}"


def test_deadline_on_a_listener_ends_iteration_instead_of_retrying() -> None:
    with net.listen("tcp", "127.0.0.1:0") as ln:
        ln.set_deadline(gonet.now() - 1)
        with pytest.raises(TimeoutError) as ei:
            next(iter(ln))
        assert isinstance(ei.value, net.OpError)
        assert str(ei.value) == f"accept tcp {ln.addr()}: i/o timeout"


def test_closed_listener_ends_iteration() -> None:
    ln = net.listen("tcp", "127.0.0.1:0")
    ln.close()
    assert list(ln) == []

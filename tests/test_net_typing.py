"""net's public signatures are precise enough for a type checker: listen("tcp") gives a
TCPListener whose accept() is a TCPConn, addresses are TCPAddr/UDPAddr/UnixAddr, not Any.
Checked by running mypy on snippets (in a subprocess, off the test's goroutine)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gonet

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("mypy", reason="mypy is not installed")


def mypy(tmp: Path, snippet: str) -> subprocess.CompletedProcess[str]:
    """Type-check snippet with the project's mypy settings; return the finished process."""
    path = tmp / "snippet.py"
    path.write_text(textwrap.dedent(snippet))
    cmd = [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context",
           "--no-pretty", str(path)]
    return gonet.run_in_thread(subprocess.run, cmd, capture_output=True, text=True, timeout=50,
                               cwd=str(ROOT))


def test_net_types_are_narrow(tmp_path: Path) -> None:
    r = mypy(tmp_path, '''
        from typing_extensions import assert_type
        from gonet import context, net

        ln = net.listen("tcp", "127.0.0.1:0")
        assert_type(ln, net.TCPListener)
        assert_type(ln.addr(), net.TCPAddr)
        conn = ln.accept()
        assert_type(conn, net.TCPConn)
        conn.set_keep_alive(True)
        conn.set_keep_alive_period(30.0)
        assert_type(conn.remote_addr(), net.TCPAddr | None)
        for c in ln:
            assert_type(c, net.TCPConn)

        assert_type(net.dial("tcp", "example.com:80"), net.TCPConn)
        assert_type(net.dial("tcp6", "[::1]:80", timeout=1.0), net.TCPConn)
        assert_type(net.Dialer(timeout=1.0).dial("tcp4", "127.0.0.1:80"), net.TCPConn)
        assert_type(net.dial("udp", "127.0.0.1:53"), net.UDPConn)
        assert_type(net.dial("unix", "/tmp/s"), net.UnixConn)
        ctx, cancel = context.with_timeout(context.background(), 5.0)
        assert_type(net.Dialer().dial("tcp", "127.0.0.1:80", ctx), net.TCPConn)

        pc = net.listen_packet("udp", ":0")
        assert_type(pc, net.UDPConn)
        n, peer = pc.read_from(bytearray(512))
        assert_type(peer, net.UDPAddr)
        assert_type(pc.local_addr(), net.UDPAddr | None)

        un = net.listen("unix", "/tmp/s")
        assert_type(un, net.UnixListener)
        assert_type(un.accept(), net.UnixConn)
        assert_type(un.addr(), net.UnixAddr)

        network: str = "tcp"
        assert_type(net.listen(network, ":0"), net.Listener)
        assert_type(net.listen(network, ":0").accept(), net.Conn)
    ''')
    assert (r.returncode, r.stderr) == (0, ""), r.stdout
    assert r.stdout == ""


def test_common_mistakes_are_type_errors(tmp_path: Path) -> None:
    r = mypy(tmp_path, '''
        from gonet import net

        conn = net.dial("tcp", "127.0.0.1:80")
        conn.read(100)
        conn.set_read_deadline("5")
        net.dial("tcp", "127.0.0.1:80", ctx=5.0)
    ''')
    assert r.returncode == 1
    lines = [ln for ln in r.stdout.splitlines() if ": error: " in ln]  # notes follow overloads
    where = str(tmp_path / "snippet.py")
    assert [ln.split(": ")[0:2] for ln in lines] == [[f"{where}:{n}", "error"] for n in (5, 6, 7)]
    assert '"read" of "Conn" has incompatible type "int"' in lines[0]
    assert '"set_read_deadline" of "Conn" has incompatible type "str"' in lines[1]
    assert 'No overload variant of "dial" matches argument types "str", "str", "float"' in lines[2]

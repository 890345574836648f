# Signals: Python handlers that wake goroutines, and gonet.signal (Go: os/signal).
#
# A handler can only hang the scheduler when the signal arrives while the hub sleeps in
# epoll_wait, so the hang cases run in a subprocess whose helper thread waits until the main
# thread is inside epoll_wait before it sends the signal; a regression shows as a timeout.
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap

from _core_util import ROOT, SUB_ENV

# Sends `sig` to the main thread once it sleeps in epoll_wait (the kernel's wait channel says
# so); where /proc cannot tell, it sends after a pause, which only makes the test weaker.
_KICKER = """
import os, signal, threading, time
def _kick(sig, target=threading.get_native_id(), ident=threading.get_ident()):
    def run():
        for _ in range(1000):
            try:
                with open(f"/proc/self/task/{target}/wchan") as f:
                    if "epoll" in f.read():
                        break
            except OSError:
                pass
            time.sleep(0.01)
        time.sleep(0.05)
        signal.pthread_kill(ident, sig)
    threading.Thread(target=run, daemon=True).start()
"""


def _script(body: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    code = _KICKER + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=SUB_ENV, cwd=str(ROOT))


# -- Python signal handlers that make a goroutine runnable ----------------------------------------

def test_handler_cancelling_a_context_wakes_main() -> None:
    r = _script("""
        import gonet
        from gonet import context, net
        ln = net.listen("tcp", "127.0.0.1:0")
        def acceptor():
            try:
                ln.accept()
            except Exception as e:
                print("accept:", e, flush=True)
        gonet.go(acceptor)
        ctx, cancel = context.with_cancel(context.background())
        signal.signal(signal.SIGUSR1, lambda *a: cancel())
        _kick(signal.SIGUSR1)
        ctx.done().recv()
        print("main woke:", ctx.err(), flush=True)
        ln.close()
        gonet.sleep(0.01)
    """)
    lines = r.stdout.splitlines()
    assert (r.returncode, r.stderr, len(lines)) == (0, "", 2), r
    assert lines[0] == "main woke: context canceled"
    assert re.fullmatch(r"accept: accept tcp 127\.0\.0\.1:\d+: use of closed network connection",
                        lines[1]), lines


def test_handler_closing_a_listener_wakes_the_acceptor() -> None:
    r = _script("""
        import gonet
        from gonet import net
        ln = net.listen("tcp", "127.0.0.1:0")
        signal.signal(signal.SIGUSR1, lambda *a: ln.close())
        _kick(signal.SIGUSR1)
        try:
            ln.accept()
        except Exception as e:
            print(type(e).__name__, str(e).split(": ")[-1], flush=True)
    """)
    assert (r.returncode, r.stdout, r.stderr) == (
        0, "OpError[ErrClosed] use of closed network connection\n", ""), r


def test_handler_sending_on_a_channel_wakes_the_receiver() -> None:
    r = _script("""
        import gonet
        from gonet import net
        ln = net.listen("tcp", "127.0.0.1:0")
        def acceptor():
            try:
                ln.accept()
            except Exception:
                pass
        gonet.go(acceptor)
        ch = gonet.Chan(1)
        signal.signal(signal.SIGUSR1, lambda signum, frame: ch.send(signum))
        _kick(signal.SIGUSR1)
        print("received", signal.Signals(ch.recv()).name, flush=True)
        ln.close()
        gonet.sleep(0.01)
    """)
    assert (r.returncode, r.stdout, r.stderr) == (0, "received SIGUSR1\n", ""), r

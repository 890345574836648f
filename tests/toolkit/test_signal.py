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
import threading
from collections.abc import Callable
from typing import Any

import pytest
from helpers import ROOT, SUB_ENV

import gonet
from gonet import context, errors
from gonet import signal as gsignal
from gonet.errors import Canceled

# Sends `sig` to the main thread (or, to_self, to the sending thread) once the main thread
# sleeps in epoll_wait (the kernel's wait channel says so); where /proc cannot tell, it sends
# after a pause, which only makes the test weaker.
_KICKER = """
import os, signal, threading, time
def _kick(sig, to_self=False, target=threading.get_native_id(), ident=threading.get_ident()):
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
        signal.pthread_kill(threading.get_ident() if to_self else ident, sig)
    threading.Thread(target=run, daemon=True).start()
def _acceptor(ln):
    # Keeps the scheduler busy in epoll_wait until ln is closed.
    try:
        ln.accept()
    except Exception:
        pass
"""


def _script(body: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    code = _KICKER + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=SUB_ENV,
        cwd=str(ROOT),
    )


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
    assert re.fullmatch(r"accept: accept tcp 127\.0\.0\.1:\d+: use of closed network connection", lines[1]), (
        lines
    )


def test_a_signal_caught_by_another_thread_still_wakes_main() -> None:
    # The C handler runs on the thread the signal hit; main's epoll_wait is not interrupted at
    # all. Only the wakeup fd tells the main thread to run the Python handler.
    r = _script("""
        import gonet
        from gonet import context, net
        ln = net.listen("tcp", "127.0.0.1:0")
        gonet.go(_acceptor, ln)
        ctx, cancel = context.with_cancel(context.background())
        signal.signal(signal.SIGUSR1, lambda *a: cancel())
        _kick(signal.SIGUSR1, to_self=True)
        ctx.done().recv()
        print("main woke:", ctx.err(), flush=True)
        ln.close()
        gonet.sleep(0.01)
    """)
    assert (r.returncode, r.stdout, r.stderr) == (0, "main woke: context canceled\n", ""), r


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
        0,
        "OpError[ErrClosed] use of closed network connection\n",
        "",
    ), r


def test_handler_sending_on_a_channel_wakes_the_receiver() -> None:
    r = _script("""
        import gonet
        from gonet import net
        ln = net.listen("tcp", "127.0.0.1:0")
        gonet.go(_acceptor, ln)
        ch = gonet.Chan(1)
        signal.signal(signal.SIGUSR1, lambda signum, frame: ch.send(signum))
        _kick(signal.SIGUSR1)
        print("received", signal.Signals(ch.recv()).name, flush=True)
        ln.close()
        gonet.sleep(0.01)
    """)
    assert (r.returncode, r.stdout, r.stderr) == (0, "received SIGUSR1\n", ""), r


# -- gonet.signal in this process -------------------------------------------------------------------


def _until(pred: Callable[[], bool]) -> None:
    """Yield to the hub (which dispatches signals) until pred holds."""
    while not pred():
        gonet.sleep(0.001)


def test_notify_relays_a_real_signal_to_the_channel() -> None:
    waiters = gonet.runtime.stats()["io_waiters"]
    ch: gonet.Chan[Any] = gonet.Chan(1)
    gsignal.notify(ch, signal.SIGUSR1)
    try:
        assert gonet.runtime.stats()["io_waiters"] == waiters + 1  # the signal pipe
        os.kill(os.getpid(), signal.SIGUSR1)
        v = ch.recv()
        assert v is signal.Signals.SIGUSR1
    finally:
        gsignal.stop(ch)
    assert gonet.runtime.stats()["io_waiters"] == waiters


def test_every_notified_channel_gets_a_copy_and_a_full_one_misses_it() -> None:
    small: gonet.Chan[Any] = gonet.Chan(1)
    big: gonet.Chan[Any] = gonet.Chan(10)
    gsignal.notify(small, signal.SIGUSR1)
    gsignal.notify(big, signal.SIGUSR1, signal.SIGUSR2)
    try:
        for i, sig in enumerate([signal.SIGUSR1, signal.SIGUSR2, signal.SIGUSR1]):
            os.kill(os.getpid(), sig)
            _until(lambda n=i + 1: len(big) == n)
        assert [big.recv() for _ in range(3)] == [signal.SIGUSR1, signal.SIGUSR2, signal.SIGUSR1]
        # small never got SIGUSR2 and had room for one SIGUSR1: the second was dropped (Go).
        assert (len(small), small.recv()) == (1, signal.SIGUSR1)
    finally:
        gsignal.stop(small)
        gsignal.stop(big)


def test_notify_again_adds_signals_and_stop_restores_the_previous_handlers() -> None:
    seen: list[int] = []

    def mine(signum: int, frame: Any) -> None:
        seen.append(signum)

    old = signal.signal(signal.SIGUSR1, mine)
    try:
        ch: gonet.Chan[Any] = gonet.Chan(4)
        gsignal.notify(ch, signal.SIGUSR1)
        gsignal.notify(ch, signal.SIGUSR2)
        assert signal.getsignal(signal.SIGUSR1) is not mine
        os.kill(os.getpid(), signal.SIGUSR2)
        assert ch.recv() is signal.SIGUSR2
        gsignal.stop(ch)
        gsignal.stop(ch)  # a second stop is a no-op
        assert signal.getsignal(signal.SIGUSR1) is mine
        assert signal.getsignal(signal.SIGUSR2) is signal.SIG_DFL
        os.kill(os.getpid(), signal.SIGUSR1)
        _until(lambda: seen == [signal.SIGUSR1])
        assert len(ch) == 0  # stopped: nothing more relayed
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_a_signal_that_arrived_before_stop_is_still_relayed() -> None:
    ch: gonet.Chan[Any] = gonet.Chan(1)
    gsignal.notify(ch, signal.SIGUSR1)
    signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)  # handled before the next line
    gsignal.stop(ch)  # the hub has not dispatched it yet; stop does
    assert (len(ch), ch.recv()) == (1, signal.SIGUSR1)


def test_ignore_ignored_and_reset() -> None:
    ch: gonet.Chan[Any] = gonet.Chan(1)
    assert gsignal.ignored(signal.SIGUSR1) is False
    gsignal.notify(ch, signal.SIGUSR1)
    gsignal.ignore(signal.SIGUSR1)
    try:
        assert gsignal.ignored(signal.SIGUSR1) is True
        os.kill(os.getpid(), signal.SIGUSR1)  # ignored: the process lives on, nothing relayed
        gonet.sleep(0.01)
        assert len(ch) == 0
        assert gsignal._handlers == {}  # ignore undid the notify
    finally:
        gsignal.reset(signal.SIGUSR1)
    assert gsignal.ignored(signal.SIGUSR1) is False
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL


def test_reset_gives_sigint_back_to_keyboard_interrupt() -> None:
    ch: gonet.Chan[Any] = gonet.Chan(1)
    gsignal.notify(ch, signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    gsignal.reset()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert gsignal._handlers == {}
    assert gsignal._refs == {}
    gsignal.stop(ch)  # already reset: nothing left to stop


def _handlers_now() -> dict[int, Any]:
    return {
        n: signal.getsignal(n)
        for n in signal.valid_signals()
        if isinstance(n, signal.Signals) and n not in (signal.SIGKILL, signal.SIGSTOP)
    }


def test_notify_without_signals_takes_every_signal_and_stop_gives_them_back() -> None:
    before = _handlers_now()
    ch: gonet.Chan[Any] = gonet.Chan(1)
    gsignal.notify(ch)
    try:
        taken = {n for n, h in _handlers_now().items() if h != before[n]}
        assert {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR2} <= taken
        assert not taken & {signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL}
        os.kill(os.getpid(), signal.SIGUSR2)
        assert ch.recv() is signal.SIGUSR2
    finally:
        gsignal.stop(ch)
    assert _handlers_now() == before


def test_ignore_without_signals_then_reset_restores_every_handler() -> None:
    before = _handlers_now()
    gsignal.ignore()
    try:
        assert gsignal.ignored(signal.SIGTERM)
        assert gsignal.ignored(signal.SIGINT)
        assert not gsignal.ignored(signal.SIGCHLD)  # subprocess must still be able to wait
    finally:
        gsignal.reset()
    assert _handlers_now() == before


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"^os/signal: Notify using nil channel$"):
        gsignal.notify(gonet.Chan.nil(), signal.SIGUSR1)
    with pytest.raises(ValueError, match=r"^gonet.signal.notify: SIGKILL cannot be caught or ignored$"):
        gsignal.notify(gonet.Chan(1), signal.SIGKILL)
    with pytest.raises(ValueError, match=r"^gonet.signal.ignore: 999 is not a valid signal number$"):
        gsignal.ignore(999)
    with pytest.raises(TypeError, match=r"^gonet.signal.notify needs a Chan, not list$"):
        gsignal.notify([], signal.SIGUSR1)  # type: ignore[arg-type]
    assert gsignal._handlers == {}


def test_notify_from_another_thread_raises_value_error() -> None:
    def other() -> BaseException | None:
        try:
            gsignal.notify(gonet.Chan(1), signal.SIGUSR1)
        except ValueError as e:
            return e
        return None

    err = gonet.run_in_thread(other)
    assert str(err) == (
        "gonet.signal.notify must be called from the main thread (Python installs signal handlers only there)"
    )
    assert gsignal._handlers == {}


def test_notify_context_is_canceled_by_its_signal() -> None:
    ctx, stop = gsignal.notify_context(context.background(), signal.SIGUSR1, signal.SIGTERM)
    try:
        assert repr(ctx) == ("signal.NotifyContext(context.Background, [user defined signal 1 terminated])")
        assert ctx.err() is None
        os.kill(os.getpid(), signal.SIGUSR1)
        ctx.done().recv()
        assert isinstance(ctx.err(), Canceled)
        assert str(ctx.err()) == "context canceled"
        cause = ctx.cause()  # type: ignore[attr-defined]
        assert isinstance(cause, gsignal.SignalError)
        assert isinstance(cause, errors.SignalError)
        assert str(cause) == "user defined signal 1 signal received"
    finally:
        stop()
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL


def test_notify_context_stop_and_parent_cancel() -> None:
    ctx, stop = gsignal.notify_context(context.background())
    assert repr(ctx) == "signal.NotifyContext(context.Background)"
    stop()
    assert str(ctx.err()) == "context canceled"
    assert ctx.cause() is ctx.err()  # type: ignore[attr-defined]
    assert gsignal._handlers == {}

    parent, cancel = context.with_cancel(context.background())
    ctx, stop = gsignal.notify_context(parent, signal.SIGUSR2)
    cancel()
    ctx.done().recv()
    assert str(ctx.err()) == "context canceled"
    assert gsignal._handlers != {}  # the signal stays diverted until stop, as in Go
    stop()
    assert gsignal._handlers == {}


# -- whole programs: servers stopped by a real signal, deadlock detection, fork ---------------------

_SERVER = """
import signal, sys
import gonet
from gonet import context, net
from gonet import signal as gsignal

def handle(conn):
    with conn:
        buf = bytearray(64)
        n = conn.read(buf)
        conn.write(b"echo:" + bytes(buf[:n]))

def serve(ln):
    while True:
        try:
            conn = ln.accept()
        except net.OpError:
            return
        gonet.go(handle, conn)

ctx, stop = gsignal.notify_context(context.background(), signal.SIGINT, signal.SIGTERM)
ln = net.listen("tcp", "127.0.0.1:0")
gonet.go(serve, ln)
print(ln.addr().port, flush=True)
ctx.done().recv()
print("shutting down:", ctx.err(), "/", ctx.cause(), flush=True)
stop()
ln.close()
print(repr(ctx), flush=True)
"""


def _serve_then_signal(sig: int) -> tuple[int, str, str]:
    p = subprocess.Popen(
        [sys.executable, "-c", _SERVER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=SUB_ENV,
        cwd=str(ROOT),
    )
    try:
        assert p.stdout is not None
        port = int(p.stdout.readline())
        import socket

        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"hi")
            assert s.recv(64) == b"echo:hi"
        p.send_signal(sig)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    return p.returncode, out, err


@pytest.mark.parametrize(("sig", "name"), [(signal.SIGTERM, "terminated"), (signal.SIGINT, "interrupt")])
def test_server_shuts_down_cleanly_on_a_real_signal(sig: int, name: str) -> None:
    rc, out, err = _serve_then_signal(sig)
    assert (rc, err) == (0, ""), (rc, out, err)
    assert out == (
        f"shutting down: context canceled / {name} signal received\n"
        "signal.NotifyContext(context.Background, [interrupt terminated])\n"
    )


def test_waiting_only_for_a_signal_is_not_a_deadlock() -> None:
    # Before notify: the canonical deadlock. With a notify active, main waits for the signal
    # (sent by a thread once main sleeps in epoll_wait); after stop it is a deadlock again.
    r = _script("""
        import gonet
        from gonet import signal as gsignal
        ch = gonet.Chan(1)
        gsignal.notify(ch, signal.SIGUSR1)
        _kick(signal.SIGUSR1)
        print("got", ch.recv().name, flush=True)
        gsignal.stop(ch)
        try:
            ch.recv()
        except gonet.DeadlockError as e:
            print("then:", e, flush=True)
    """)
    assert (r.returncode, r.stdout, r.stderr) == (
        0,
        "got SIGUSR1\nthen: all goroutines are asleep - deadlock!\n",
        "",
    ), r


def test_forked_child_gets_its_own_signal_pipe() -> None:
    r = _script("""
        import gonet
        from gonet import signal as gsignal
        from gonet.runtime._sigqueue import sigq
        ch = gonet.Chan(4)
        gsignal.notify(ch, signal.SIGUSR1)
        parent_pipe = os.fstat(sigq.fd).st_ino
        pid = os.fork()
        if pid == 0:
            gonet.sleep(0.001)  # the child's scheduler, and with it the child's pipe
            own = sigq.fd >= 0 and os.fstat(sigq.fd).st_ino != parent_pipe
            own = own and signal.set_wakeup_fd(sigq.wfd, warn_on_full_buffer=False) == sigq.wfd
            os.kill(os.getpid(), signal.SIGUSR1)
            print("child", own, ch.recv().name, flush=True)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert len(ch) == 0  # the child's signal never reached the parent
        os.kill(os.getpid(), signal.SIGUSR1)
        print("parent", os.fstat(sigq.fd).st_ino == parent_pipe, ch.recv().name, flush=True)
        gsignal.stop(ch)
    """)
    assert (r.returncode, r.stdout, r.stderr) == (0, "child True SIGUSR1\nparent True SIGUSR1\n", ""), r


def test_a_wakeup_fd_set_by_the_program_is_kept_with_a_warning() -> None:
    r = _script("""
        import socket, warnings
        a, b = socket.socketpair()
        a.setblocking(False)
        signal.set_wakeup_fd(a.fileno())
        import gonet
        from gonet import signal as gsignal
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            gonet.sleep(0.001)  # the main scheduler: gonet finds the program's wakeup fd
        print(signal.set_wakeup_fd(-1) == a.fileno(), flush=True)
        signal.set_wakeup_fd(a.fileno())
        print(len(w), w[0].category.__name__, str(w[0].message).split(";")[0], flush=True)
        ch = gonet.Chan(1)
        gsignal.notify(ch, signal.SIGUSR1)
        _kick(signal.SIGUSR1)
        print("notify still works:", ch.recv().name, flush=True)
        gsignal.stop(ch)
        signal.set_wakeup_fd(-1)
        a.close()
        b.close()
    """)
    fd = "\\d+"
    assert (r.returncode, r.stderr) == (0, ""), r
    assert re.fullmatch(
        f"True\n1 RuntimeWarning gonet: a signal wakeup fd \\({fd}\\) was already set, "
        "e.g. by an asyncio event loop\nnotify still works: SIGUSR1\n",
        r.stdout,
    ), r


def test_a_signal_reaches_main_while_other_goroutines_keep_the_cpu() -> None:
    # The hub polls the network between rounds of a busy run queue only while something waits
    # on it: a notified signal must count, or main would wait for the run queue to empty.
    ch: gonet.Chan[Any] = gonet.Chan(1)
    stop_spin: list[bool] = []
    spins: list[int] = [0]

    def spinner() -> None:
        while not stop_spin and spins[0] < 200_000:
            spins[0] += 1
            gonet.gosched()

    gsignal.notify(ch, signal.SIGUSR1)
    try:
        gonet.go(spinner)
        gonet.gosched()  # the spinner is running
        os.kill(os.getpid(), signal.SIGUSR1)
        assert ch.recv() is signal.SIGUSR1
        assert spins[0] < 200_000, "the signal was relayed only once the spinner gave up"
        stop_spin.append(True)
    finally:
        gsignal.stop(ch)
    _until(lambda: spins[0] >= 200_000 or gonet.num_goroutine() == 2)

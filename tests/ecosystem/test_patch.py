"""gonet.patch: opt-in replacement of stdlib attributes; waits park goroutines; late patching warns."""

from __future__ import annotations

import select
import selectors
import socket
import ssl
import sys
import threading
import time
import types

import pytest
from helpers import spawn

import gonet
from gonet import patch
from gonet import socket as gs
from gonet.runtime import go


def _ticker(n: int) -> list[int]:
    ticks = [0]

    def tick() -> None:
        for _ in range(n):
            gonet.sleep(0.01)
            ticks[0] += 1

    go(tick)
    return ticks


def test_nothing_is_patched_on_import_and_unpatch_restores():
    assert socket.socket.__module__ == "socket"
    assert not patch.is_patched("socket")
    orig = (socket.socket, socket.getaddrinfo, select.select, select.poll, time.sleep, ssl.SSLContext)
    with patch.patched() as done:
        assert "socket.socket" in done
        assert "time.sleep" in done
        assert socket.socket is gs.socket
        assert all(patch.is_patched(n) for n in ("socket", "ssl", "dns", "select", "time"))
    assert (socket.socket, socket.getaddrinfo, select.select, select.poll, time.sleep, ssl.SSLContext) == orig
    assert not patch.is_patched("time")


def test_is_patched_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown patch 'sockets'"):
        patch.is_patched("sockets")


def test_patched_socket_parks_and_sibling_ticks():
    with patch.patched("socket"):
        a, b = socket.socketpair()
        assert type(a) is gs.socket
        with a, b:
            ticks = _ticker(5)
            w = spawn(lambda: (gonet.sleep(0.1), a.sendall(b"x")))
            assert b.recv(1) == b"x"
            assert ticks[0] >= 5
            w.result()


def test_time_sleep_parks_in_goroutine_and_sleeps_in_thread():
    with patch.patched("time"):
        ticks = _ticker(5)
        time.sleep(0.1)
        assert ticks[0] >= 5
        with pytest.raises(ValueError, match="sleep length must be non-negative"):
            time.sleep(-1)
        out: list[float] = []
        t = threading.Thread(target=lambda: (time.sleep(0.01), out.append(1.0)))
        t.start()
        t.join(5)
        assert out == [1.0]


def test_select_poll_epoll_and_selector_park():
    with patch.patched("select"):
        a, b = gs.socketpair()
        with a, b:
            ticks = _ticker(5)
            w = spawn(lambda: (gonet.sleep(0.1), a.sendall(b"x")))
            r, wl, x = select.select([b], [], [], 5)
            assert r == [b]
            assert wl == []
            assert x == []
            assert ticks[0] >= 5
            w.result()
            b.recv(1)

            p = select.poll()
            p.register(b, select.POLLIN)
            assert p.poll(20) == []  # a timeout in milliseconds, nothing ready
            w = spawn(lambda: (gonet.sleep(0.02), a.sendall(b"y")))
            assert p.poll() == [(b.fileno(), select.POLLIN)]
            w.result()
            b.recv(1)

            with select.epoll() as ep:
                ep.register(b.fileno(), select.EPOLLIN)
                assert ep.poll(0.02) == []
                w = spawn(lambda: (gonet.sleep(0.02), a.sendall(b"z")))
                assert ep.poll(5) == [(b.fileno(), select.EPOLLIN)]
                w.result()
                b.recv(1)

            with selectors.DefaultSelector() as sel:
                sel.register(b, selectors.EVENT_READ, "data")
                w = spawn(lambda: (gonet.sleep(0.02), a.sendall(b"s")))
                [(key, ev)] = sel.select(5)
                assert key.data == "data"
                assert ev == selectors.EVENT_READ
                w.result()


def test_select_timeout_returns_empty_lists():
    with patch.patched("select"):
        a, b = gs.socketpair()
        with a, b:
            assert select.select([b], [], [], 0.02) == ([], [], [])


def test_dns_patch_uses_gonet_lookups():
    with patch.patched("dns"):
        assert socket.getaddrinfo is gs.getaddrinfo
        assert socket.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4] == (
            "127.0.0.1",
            80,
        )


def test_ssl_patch_makes_default_contexts_gonet():
    with patch.patched("ssl"):
        ctx = ssl.create_default_context()
        assert type(ctx).__module__ == "gonet.ssl"
        ctx.verify_mode = ssl.CERT_REQUIRED  # the stdlib setters must not recurse
        assert ctx.verify_mode == ssl.CERT_REQUIRED


def test_late_patch_warns_naming_the_holders():
    mod = types.ModuleType("late_lib_for_test")
    mod.sleep = time.sleep  # as `from time import sleep` does
    sys.modules["late_lib_for_test"] = mod
    try:
        with pytest.warns(patch.LatePatchWarning, match=r"late_lib_for_test\.sleep \(time\.sleep\)"):  # noqa: SIM117
            with patch.patched("time"):
                pass
    finally:
        del sys.modules["late_lib_for_test"]


def test_subprocess_patch():
    import subprocess

    from gonet.patch import _subprocess as psub

    original = subprocess.Popen._wait
    with patch.patched("subprocess") as done:
        assert done
        assert patch.is_patched("subprocess")
        assert subprocess.Popen._wait is not original
    # unpatch restores gonet.exec's replacements too (they live in its own module).
    assert subprocess.Popen._wait is original
    assert not psub.is_patched()
    assert not patch.is_patched("subprocess")


def test_a_stdlib_context_made_after_the_ssl_patch_still_sets_its_versions():
    # A library that bound ssl.SSLContext before the patch (urllib3 does) still makes stdlib
    # contexts; their property setters name the module global, which the patch makes gonet's
    # class: without the pinned copies, setting minimum_version recursed until RecursionError.
    import ssl as std
    import warnings

    bound_before = std.SSLContext
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", patch.LatePatchWarning)
        with patch.patched("ssl"):
            assert std.SSLContext is not bound_before
            ctx = bound_before(std.PROTOCOL_TLS_CLIENT)
            ctx.minimum_version = std.TLSVersion.TLSv1_2
            ctx.maximum_version = std.TLSVersion.TLSv1_3
            assert (ctx.minimum_version, ctx.maximum_version) == (
                std.TLSVersion.TLSv1_2,
                std.TLSVersion.TLSv1_3,
            )
    assert std.SSLContext is bound_before

"""The shared cold-path loop of the fd layer: lock -> prepare -> syscall, parking on EAGAIN,
retrying EINTR -> unlock (gonet._poll._fd_posix)."""

from __future__ import annotations

import errno
from typing import Any

import pytest
from helpers import parked, spawn, tcp_pair, wait_until

import gonet
from gonet._poll import _fd_posix
from gonet.errors import DeadlineExceededError


class _Flaky:
    """A syscall stand-in: raises each queued exception in turn, then returns result."""

    def __init__(self, result: Any, *errors: BaseException) -> None:
        self.result = result
        self.errors = list(errors)
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        if self.errors:
            raise self.errors.pop(0)
        return self.result


def test_io_loop_retries_eintr_and_parks_on_eagain_until_readable() -> None:
    with tcp_pair() as (c, s):
        fd = s._fd
        call = _Flaky("done", InterruptedError(), BlockingIOError())
        fd.pd.rready = True
        fut = spawn(_fd_posix.io_loop, fd, True, call, 1, 2)
        wait_until(parked(fut, "IO wait"), what="io_loop parked after EAGAIN")
        assert call.calls == [(1, 2), (1, 2)]
        assert fd.pd.rready is False  # EAGAIN proved the socket empty
        c.write(b"x")  # an edge wakes the loop
        assert fut.result() == "done"
        assert len(call.calls) == 3
        assert not fd.rlocked  # the read lock is released


def test_io_loop_for_writes_clears_wready_on_eagain_only() -> None:
    with tcp_pair() as (c, s):
        fd = c._fd
        fd.pd.wready = True
        assert _fd_posix.io_loop(fd, False, _Flaky(7, InterruptedError())) == 7
        assert fd.pd.wready is True  # EINTR and success say nothing about the send buffer
        assert not fd.wlocked


def test_expired_deadline_fails_before_the_call_and_releases_the_lock() -> None:
    with tcp_pair() as (c, s):
        fd = s._fd
        s.set_deadline(gonet.now() - 1)
        call = _Flaky(None)
        with pytest.raises(DeadlineExceededError) as ei:
            _fd_posix.io_loop(fd, True, call)
        assert not hasattr(ei.value, "written")
        with pytest.raises(DeadlineExceededError):
            _fd_posix.io_loop(fd, False, call)
        with pytest.raises(DeadlineExceededError) as ei2:
            _fd_posix.prepare_counted(fd)
        assert ei2.value.written == 0  # type: ignore[attr-defined]
        with pytest.raises(DeadlineExceededError):
            _fd_posix.raw_loop(fd, True, lambda n: True)
        assert call.calls == []
        assert not fd.rlocked
        assert not fd.wlocked


def test_raw_loop_calls_fn_before_waiting_even_when_not_known_ready() -> None:
    with tcp_pair() as (c, s):
        fd = s._fd
        fd.pd.rready = False
        seen: list[int] = []
        _fd_posix.raw_loop(fd, True, lambda n: seen.append(n) is None)
        assert seen == [fd.sysfd]


def test_try_write_reports_retry_and_annotates_errors_with_progress() -> None:
    with tcp_pair() as (c, s):
        fd = c._fd
        pd = _fd_posix.prepare(fd, False)
        try:
            pd.wready = True
            assert _fd_posix.try_write(pd, 5, _Flaky(0, BlockingIOError())) == -1
            assert pd.wready is False
            pd.wready = True
            assert _fd_posix.try_write(pd, 5, _Flaky(0, InterruptedError())) == -1
            assert pd.wready is True
            assert _fd_posix.try_write(pd, 5, _Flaky(3)) == 3
            with pytest.raises(OSError, match="broken pipe") as ei:
                _fd_posix.try_write(pd, 5, _Flaky(0, OSError(errno.EPIPE, "broken pipe")))
            assert ei.value.errno == errno.EPIPE
            assert ei.value.written == 5  # type: ignore[attr-defined]
        finally:
            fd.unlock_slow(False)
        assert not fd.wlocked

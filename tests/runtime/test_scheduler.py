"""The per-thread scheduler: run queue order, runnext, timers, idle epoll_wait, the cross-thread
eventfd, goroutine reuse, deadlock detection."""

from __future__ import annotations

import socket
import threading
import time
import weakref
from typing import Any

import pytest
from helpers import Event, fixed_order, parked, sched, spawn, wait_until

import gonet
from gonet.runtime import _proc, _threadpool
from gonet.runtime._netpoll_epoll import EpollBackend

# -- run queue order ------------------------------------------------------------------------------


def test_go_does_not_run_until_the_caller_blocks() -> None:
    ran: list[int] = []
    gonet.go(ran.append, 1)
    assert ran == []  # no preemption: main keeps the CPU until it blocks
    gonet.sleep(0.001)
    assert ran == [1]


@fixed_order
def test_go_uses_one_runnext_slot_and_the_rest_stay_fifo() -> None:
    # Go: the newest goroutine runs next; the ones it displaced from runnext keep FIFO order.
    out: list[int] = []
    for i in range(5):
        gonet.go(out.append, i)
    gonet.sleep(0.001)
    assert out == [4, 0, 1, 2, 3]


@fixed_order
def test_goroutines_readied_together_run_in_readying_order() -> None:
    out: list[int] = []
    parked_order: list[int] = []
    ev = Event()

    def waiter(i: int) -> None:
        parked_order.append(i)
        ev.wait()
        out.append(i)

    futs = [spawn(waiter, i) for i in range(6)]
    for f in futs:
        wait_until(parked(f, "test event"))
    ev.set()  # readies them in the order they parked, each to the back of the run queue
    for f in futs:
        f.result()
    assert sorted(out) == list(range(6))
    assert out == parked_order


@fixed_order
def test_gosched_round_robins_fifo() -> None:
    out: list[tuple[str, int]] = []

    def worker(name: str) -> None:
        for i in range(3):
            out.append((name, i))
            gonet.gosched()

    a = spawn(worker, "a")
    b = spawn(worker, "b")
    a.result()
    b.result()
    # b took runnext; a waited in the queue; from then on gosched is strict round-robin.
    assert out == [("b", 0), ("a", 0), ("b", 1), ("a", 1), ("b", 2), ("a", 2)]


def test_runnext_is_bounded_so_a_spawn_chain_cannot_starve_the_queue() -> None:
    record: list[Any] = []
    n = 2000

    def chain(i: int) -> None:
        record.append(i)
        if i < n:
            gonet.go(chain, i + 1)  # each link hands the CPU to the next through runnext

    def bystander() -> None:
        record.append("bystander")

    gonet.go(bystander)
    gonet.go(chain, 0)
    wait_until(lambda: len(record) == n + 2)
    pos = record.index("bystander")
    assert pos < 100, f"the queued goroutine ran only after {pos} chain links"


@fixed_order
def test_ready_appends_to_the_back_of_the_queue() -> None:
    out: list[str] = []
    ev = Event()

    def parker() -> None:
        ev.wait()
        out.append("readied")

    p = spawn(parker)
    wait_until(parked(p, "test event"))

    def first() -> None:
        out.append("first")
        ev.set()  # readies parker behind "second", which was queued earlier
        gonet.gosched()
        out.append("first-again")

    def second() -> None:
        out.append("second")

    gonet.go(second)
    gonet.go(first)  # runnext: first, then second (queued), then parker, then first again
    p.result()
    wait_until(lambda: len(out) == 4)
    assert out == ["first", "second", "readied", "first-again"]


@fixed_order
def test_goroutines_readied_by_netpoll_go_to_the_back_of_the_queue() -> None:
    out: list[str] = []
    a, b = socket.socketpair()
    with a, b:
        from gonet._poll import FD

        fd = FD(a.dup())
        try:

            def reader() -> None:
                fd.recv(1)
                out.append("io-readied")

            r = spawn(reader)
            wait_until(parked(r, "IO wait"))
            b.send(b"x")  # the edge is pending; the hub collects it before running the queue
            gonet.go(out.append, "queued-1")
            gonet.go(out.append, "queued-2")
            r.result()
        finally:
            fd.close()
    assert out == ["queued-2", "queued-1", "io-readied"]


def test_goroutines_that_only_yield_cannot_starve_io() -> None:
    # No preemption: two goroutines spin on gosched() until I/O sets a flag. The hub must still
    # poll the network every so many hand-offs, or they would spin forever.
    a, b = socket.socketpair()
    with a, b:
        from gonet._poll import FD

        fd = FD(a.dup())
        flag: list[bytes] = []
        spins = [0]
        try:

            def reader() -> None:
                flag.append(fd.recv(10))

            def spinner() -> None:
                while not flag:
                    spins[0] += 1
                    gonet.gosched()

            r = spawn(reader)
            wait_until(parked(r, "IO wait"))
            b.send(b"wake")
            spinners = [spawn(spinner) for _ in range(2)]
            for f in spinners:
                f.result()
            r.result()
        finally:
            fd.close()
    assert flag == [b"wake"]


# -- timers --------------------------------------------------------------------------------------


def test_sleepers_wake_in_deadline_order() -> None:
    out: list[float] = []

    def sleeper(d: float) -> None:
        gonet.sleep(d)
        out.append(d)

    durations = [0.05, 0.01, 0.04, 0.02, 0.03, 0.06]
    futs = [spawn(sleeper, d) for d in durations]
    for f in futs:
        f.result()
    assert out == sorted(durations)


def test_timers_with_the_same_deadline_fire_in_creation_order() -> None:
    s = sched()
    out: list[int] = []
    when = s.clock() + 0.02
    timers = [s.timers.new(out.append, i) for i in range(10)]
    for t in timers:
        t.reset(when)
    timers[3].stop()
    timers[7].reset(when + 0.01)  # moved later: fires last
    gonet.sleep(0.05)
    assert out == [0, 1, 2, 4, 5, 6, 8, 9, 7]


def test_sleep_returns_no_earlier_than_asked_and_nonpositive_returns_at_once() -> None:
    s = sched()
    parks = s.n_parks
    gonet.sleep(0)
    gonet.sleep(-1)
    assert s.n_parks == parks  # did not park at all
    t0 = time.monotonic()
    gonet.sleep(0.03)
    assert time.monotonic() - t0 >= 0.03
    with pytest.raises(ValueError, match="NaN"):
        gonet.sleep(float("nan"))


def test_idle_hub_waits_in_epoll_until_the_next_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    timeouts: list[float] = []
    real = EpollBackend.poll

    def spy(self: EpollBackend, timeout: float) -> list[tuple[int, int]]:
        timeouts.append(timeout)
        return real(self, timeout)

    monkeypatch.setattr(EpollBackend, "poll", spy)
    gonet.sleep(0.2)
    monkeypatch.undo()
    blocking = [t for t in timeouts if t != 0]
    # One (or, after an early wake-up, a few) blocking waits bounded by the timer: no spinning,
    # no infinite wait while a timer is pending.
    assert 1 <= len(blocking) <= 3, timeouts
    assert 0 < blocking[0] <= 0.2


@pytest.mark.parametrize("seconds", [1e7, float("inf")])
def test_far_timer_does_not_break_the_poll(seconds: float) -> None:
    # A deadline or sleep days away must still let the hub block in epoll_wait (Go caps the
    # wait); epoll's millisecond int cannot hold 1e10 ms.
    a, b = socket.socketpair()
    with a, b:
        far = spawn(gonet.sleep, seconds)
        got: list[bytes] = []
        writer = threading.Timer(0.05, b.send, (b"x",))

        def reader() -> None:
            from gonet._poll import FD

            fd = FD(a.dup())
            try:
                fd.set_deadline(gonet.now() + seconds, True, False)
                got.append(fd.recv(1))
            finally:
                fd.close()

        r = spawn(reader)
        writer.start()
        try:
            r.done.wait()  # no timer of main's own: the far timers are the hub's next ones
        finally:
            writer.join()
        r.result()
        assert got == [b"x"]
        sched().interrupt(far.g, gonet.DeadlockError("test over"))  # type: ignore[arg-type]
        assert isinstance(far.exception(), gonet.DeadlockError)


def test_timer_heap_stays_bounded_when_a_deadline_is_rearmed_often() -> None:
    s = sched()
    t = s.timers.new(lambda _: None)
    for i in range(20000):
        t.reset(s.clock() + 100 + i)
    t.stop()
    assert len(s.timers._heap) <= 2 * s.timers.active + 64


# -- cross-thread wake-up ------------------------------------------------------------------------


def test_run_in_thread_result_wakes_main_blocked_in_epoll(monkeypatch: pytest.MonkeyPatch) -> None:
    in_blocking_poll = threading.Event()
    real = EpollBackend.poll

    def spy(self: EpollBackend, timeout: float) -> list[tuple[int, int]]:
        if timeout < 0:
            in_blocking_poll.set()  # the hub is about to block with no timer at all
        return real(self, timeout)

    monkeypatch.setattr(EpollBackend, "poll", spy)
    s = sched()
    polls = s.n_polls

    def work() -> str:
        assert in_blocking_poll.wait(10), "the scheduler never blocked in epoll_wait"
        return "result from " + threading.current_thread().name

    got = gonet.run_in_thread(work)
    assert got.startswith("result from gonet-pool-")
    assert s.n_polls > polls
    assert s.external == 0


def test_run_in_thread_keeps_other_goroutines_running_and_propagates_errors() -> None:
    release = threading.Event()
    ticks: list[int] = []

    def ticker() -> None:
        for i in range(5):
            gonet.sleep(0.001)
            ticks.append(i)
        release.set()  # only possible if this goroutine ran while the job blocked its thread

    t = spawn(ticker)
    assert gonet.run_in_thread(release.wait, 10) is True
    t.result()
    assert ticks == [0, 1, 2, 3, 4]

    def boom() -> None:
        raise KeyError("from the pool")

    with pytest.raises(KeyError, match="from the pool"):
        gonet.run_in_thread(boom)


def test_run_in_thread_deadline_stops_waiting() -> None:
    release = threading.Event()
    try:
        with pytest.raises(TimeoutError, match="i/o timeout"):
            gonet.run_in_thread(release.wait, 10, deadline=gonet.now() + 0.05)
    finally:
        release.set()
    wait_until(lambda: sched().external == 0)


def test_pool_starts_a_worker_when_the_idle_one_is_already_claimed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two jobs submitted back to back while exactly one worker idles: the second must not queue
    # behind the first (here the first waits for the second).
    pool = _threadpool.ThreadPool(4)
    monkeypatch.setattr(_threadpool, "pool", pool)
    monkeypatch.setattr(_threadpool, "IDLE_EXIT", 0.2)
    gonet.run_in_thread(lambda: None)
    wait_until(lambda: pool.stats()["idle"] == 1)
    ev = threading.Event()
    a = spawn(gonet.run_in_thread, ev.wait, 5)
    gonet.gosched()  # a submits its job and parks
    b = spawn(gonet.run_in_thread, ev.set)
    assert a.result() is True, "the second job waited behind the first on one worker"
    b.result()


# -- goroutine reuse -----------------------------------------------------------------------------


def test_finished_goroutines_greenlets_are_reused() -> None:
    s = sched()
    first = spawn(lambda: None)
    first.result()
    g = first.g
    assert g is not None
    wait_until(lambda: g.status == _proc.DEAD)
    assert g in s.gfree
    glet, old_id = g.glet, g.id
    out: list[int] = []
    g2 = gonet.go(lambda: out.append(7))
    assert g2 is g
    assert g2.glet is glet
    assert g2.id > old_id  # but a new goroutine id
    gonet.sleep(0.001)
    assert out == [7]


def test_reused_goroutine_does_not_inherit_a_pending_interrupt() -> None:
    # interrupt() delivers at the goroutine's next park; if the goroutine finishes first, the
    # exception must die with it, not hit whatever goroutine reuses the G.
    s = sched()
    g = gonet.go(lambda: None)
    s.interrupt(g, RuntimeError("meant for the first goroutine"))
    gonet.sleep(0.001)
    assert g.status == _proc.DEAD
    f = spawn(gonet.sleep, 0.001)
    assert f.g is g
    assert f.exception() is None


def test_a_goroutine_unwound_by_greenlet_exit_is_not_reused() -> None:
    # GreenletExit ends the greenlet itself (the test plugin unwinds leaked goroutines this
    # way); a dead greenlet in gfree would make the next go() a goroutine that never runs.
    import greenlet

    s = sched()
    unwound: list[str] = []

    def parker() -> None:
        try:
            gonet.sleep(100)
        finally:
            unwound.append("finally ran")

    g = gonet.go(parker)  # not spawn(): GreenletExit must reach the goroutine's own loop
    wait_until(lambda: g.waitreason == "sleep")
    s.interrupt(g, greenlet.GreenletExit())
    wait_until(lambda: g.status == _proc.DEAD)
    assert unwound == ["finally ran"]
    assert g not in s.gfree
    out: list[int] = []
    g2 = gonet.go(out.append, 1)
    assert g2.glet
    wait_until(lambda: out == [1], what="a goroutine started after the unwind ran")


# -- deadlock ------------------------------------------------------------------------------------


@pytest.mark.main_goroutine  # the behaviour under test is main's own
def test_deadlock_raises_in_main_instead_of_hanging() -> None:
    s = sched()
    ev = Event()
    stuck = [spawn(ev.wait) for _ in range(3)]
    for f in stuck:
        wait_until(parked(f, "test event"))
    before = s.n_deadlocks
    with pytest.raises(gonet.DeadlockError) as ei:
        Event().wait()
    assert str(ei.value) == "all goroutines are asleep - deadlock!"
    assert isinstance(ei.value, RuntimeError)
    assert s.n_deadlocks == before + 1
    ev.set()  # the scheduler stays usable afterwards
    for f in stuck:
        assert f.result() is True


def test_no_deadlock_while_a_goroutine_waits_on_network_io() -> None:
    a, b = socket.socketpair()
    with a, b:
        from gonet._poll import FD

        def reader() -> bytes:
            fd = FD(a.dup())
            try:
                return fd.recv(10)
            finally:
                fd.close()

        r = spawn(reader)
        wait_until(parked(r, "IO wait"))
        assert sched().timers.active == 0
        # Nothing runnable, no timer: only I/O can wake anyone. Another OS thread writes later.
        writer = threading.Timer(0.1, b.send, (b"data",))
        writer.start()
        try:
            r.done.wait()  # main parks without a timer; no DeadlockError
        finally:
            writer.join()
        assert r.result() == b"data"


def test_no_deadlock_while_a_thread_pool_job_is_outstanding() -> None:
    assert sched().timers.active == 0
    assert gonet.run_in_thread(time.sleep, 0.05) is None


@pytest.mark.main_goroutine  # the behaviour under test is main's own
def test_keyboard_interrupt_in_a_goroutine_is_raised_in_main() -> None:
    def ctrl_c() -> None:
        raise KeyboardInterrupt

    gonet.go(ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        gonet.sleep(5)


def test_park_from_another_thread_is_refused() -> None:
    s = sched()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            s.park("test")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errors) == 1
    assert isinstance(errors[0], RuntimeError)
    assert "another OS thread" in str(errors[0])


def test_goroutine_counts() -> None:
    base = gonet.num_goroutine()
    ev = Event()
    futs = [spawn(ev.wait) for _ in range(4)]
    gonet.sleep(0.001)
    assert gonet.num_goroutine() == base + 4
    ev.set()
    for f in futs:
        f.result()
    wait_until(lambda: gonet.num_goroutine() == base)


# -- Python run by the hub between its run-queue check and epoll_wait ------------------------


class _PollHook:
    """The scheduler's poller, with Python code run inside poll() just before epoll_wait."""

    def __init__(self, real: Any, before_blocking: Any) -> None:
        self.real = real
        self.before_blocking = before_blocking
        self.currents: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def poll(self, timeout: float) -> Any:
        if timeout != 0 and self.before_blocking is not None:
            hook, self.before_blocking = self.before_blocking, None
            hook()
        return self.real.poll(timeout)


def test_a_goroutine_readied_by_a_finalizer_just_before_epoll_wait_runs_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    s = sched()
    order: list[str] = []
    ch: gonet.Chan[str] = gonet.Chan(1)
    finished: gonet.Chan[None] = gonet.Chan()

    class Finalized:
        def __init__(self) -> None:
            self.cycle = self  # only the cycle collector frees it

        def __del__(self) -> None:
            ch.send("from a finalizer")  # readies the parked receiver

    def receiver() -> None:
        order.append(ch.recv() or "")

    def collect() -> None:
        Finalized()
        gc.collect()  # as if allocation had triggered a collection inside the hub

    spawn(receiver)
    wait_until(lambda: bool(ch._recvq))
    # A timer two seconds away: the hub's epoll_wait would sleep until then.
    t = s.timers.new(lambda _: (order.append("timer"), finished.close()), None)
    t.reset(s.clock() + 2.0)
    monkeypatch.setattr(s, "poller", _PollHook(s.poller, collect))
    try:
        finished.recv()
    finally:
        t.stop()
    assert order == ["from a finalizer", "timer"]


# -- the free list -------------------------------------------------------------------------


def test_the_free_list_gives_its_goroutines_back_when_it_sits_unused(monkeypatch: pytest.MonkeyPatch) -> None:
    import weakref

    s = sched()
    monkeypatch.setattr(_proc, "GFREE_TRIM_EVERY", 0.02)
    s.gfree_trim_at = float("inf")  # no trim until all 300 are back on the list
    gs = [gonet.go(lambda: None) for _ in range(300)]
    glets = [weakref.ref(g.glet) for g in gs]
    del gs
    wait_until(lambda: len(s.gfree) >= 300, what="all finished")
    s.gfree_trim_at = 0.0
    # Idle: the hub wakes for each trim and releases what sat unused for a whole period.
    wait_until(lambda: not s.gfree, what="free list emptied")
    assert gonet.runtime.stats()["goroutines_free"] == 0
    assert [r for r in glets if r() is not None] == []  # the greenlets themselves are freed
    # Reuse still works afterwards.
    done: list[int] = []
    gonet.go(done.append, 1)
    gonet.sleep(0.001)
    assert done == [1]


def test_the_hub_never_runs_with_a_finished_goroutine_recorded_as_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # More goroutines finish at once than the free list keeps: the greenlets of the rest end
    # and hand the CPU to the hub, which must not count one of them as running (the watchdog
    # would blame it for the hub's epoll_wait).
    s = sched()
    hook = _PollHook(s.poller, None)
    real_poll = hook.poll

    def poll(timeout: float) -> Any:
        hook.currents.append(s.cur)
        return real_poll(timeout)

    hook.poll = poll  # type: ignore[method-assign]
    gate: gonet.Chan[None] = gonet.Chan()
    n = _proc.GFREE_MAX + 50
    for _ in range(n):
        gonet.go(gate.recv)
    gonet.sleep(0.001)
    monkeypatch.setattr(s, "poller", hook)
    gate.close()
    gonet.sleep(0.5)  # they all finish meanwhile; then the hub idles in epoll_wait
    assert len(s.gfree) == _proc.GFREE_MAX
    assert hook.currents
    assert [g for g in hook.currents if g is not None] == []


# -- the new-scheduler hook ------------------------------------------------------------------------


def test_one_new_scheduler_hook_runs_on_the_new_schedulers_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from gonet.runtime import _on_new_scheduler as runtime_setup
    from gonet.runtime import _sigqueue

    assert runtime_setup in _proc.on_new_scheduler
    assert _sigqueue._on_new_scheduler in _proc.on_new_scheduler
    assert type(_proc._schedulers) is weakref.WeakSet  # a plain registry: it fires nothing
    seen: list[tuple[Any, int, bool]] = []
    monkeypatch.setattr(
        _proc,
        "on_new_scheduler",
        [
            *_proc.on_new_scheduler,
            lambda s: seen.append((s, threading.get_ident(), s in _proc.all_schedulers())),
        ],
    )
    got: list[Any] = []
    t = threading.Thread(target=lambda: got.append((_proc.current(), threading.get_ident())))
    t.start()
    t.join()
    assert seen == [(got[0][0], got[0][1], True)]

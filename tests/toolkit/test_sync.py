"""gonet.sync: WaitGroup, Mutex, RWMutex, Once, Cond, Semaphore — mutual exclusion,
FIFO hand-off, Go's panic messages and wait reasons."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import Task, settle

import gonet
from gonet import context, sync
from gonet.errors import PanicError, SyncError
from gonet.runtime import _proc


class Stop(Exception):
    pass


# -- WaitGroup --------------------------------------------------------------------------------------


def test_waitgroup_wait_returns_when_every_worker_is_done() -> None:
    wg = sync.WaitGroup()
    done: list[int] = []

    def worker(i: int) -> None:
        gonet.gosched()
        done.append(i)
        wg.done()

    wg.add(5)
    for i in range(5):
        gonet.go(worker, i)
    wg.wait()
    assert sorted(done) == [0, 1, 2, 3, 4]


def test_waitgroup_go_adds_runs_and_marks_done() -> None:
    wg = sync.WaitGroup()
    out: list[tuple[int, str]] = []
    for i in range(4):
        wg.go(lambda i, tag: out.append((i, tag)), i, tag="x")
    assert wg._n == 4  # counted before any of them ran
    wg.wait()
    assert sorted(out) == [(i, "x") for i in range(4)]


def test_waitgroup_go_marks_done_even_when_fn_panics(monkeypatch: pytest.MonkeyPatch) -> None:
    panics: list[BaseException] = []
    monkeypatch.setattr(_proc, "panic_handler", lambda g, e: panics.append(e))
    wg = sync.WaitGroup()

    def boom() -> None:
        raise Stop("boom")

    wg.go(boom)
    wg.wait()  # would deadlock if the failed goroutine never called done()
    assert [str(e) for e in panics] == ["boom"]


def test_waitgroup_wait_at_zero_returns_at_once_and_releases_all_waiters() -> None:
    wg = sync.WaitGroup()
    wg.wait()
    wg.add(1)
    waiters = [Task(wg.wait) for _ in range(3)]
    settle()
    assert all(t.reason() == "sync.WaitGroup.Wait" for t in waiters)
    wg.done()
    settle()
    assert all(t.finished and t.exc is None for t in waiters)


def test_waitgroup_negative_counter_panics_and_leaves_the_counter_alone() -> None:
    wg = sync.WaitGroup()
    wg.add(1)
    with pytest.raises(SyncError, match="^sync: negative WaitGroup counter$") as ei:
        wg.add(-2)
    assert isinstance(ei.value, PanicError)
    wg.done()
    with pytest.raises(SyncError, match="negative WaitGroup counter"):
        wg.done()
    wg.wait()


# -- Mutex ----------------------------------------------------------------------------------------


def test_mutex_excludes_across_yields() -> None:
    mu = sync.Mutex()
    inside = 0
    peak = 0
    wg = sync.WaitGroup()

    def worker() -> None:
        nonlocal inside, peak
        for _ in range(20):
            with mu:
                inside += 1
                peak = max(peak, inside)
                gonet.gosched()  # others run now, and must queue on the mutex
                inside -= 1

    for _ in range(5):
        wg.go(worker)
    wg.wait()
    assert peak == 1
    assert not mu.locked()


def test_mutex_hands_off_in_fifo_order_and_newcomers_cannot_barge() -> None:
    mu = sync.Mutex()
    mu.lock()
    order: list[int] = []

    def waiter(i: int) -> None:
        mu.lock()
        order.append(i)
        mu.unlock()

    tasks = []
    for i in range(4):
        tasks.append(Task(waiter, i))
        settle()  # queue them one by one
    assert all(t.reason() == "sync.Mutex.Lock" for t in tasks)
    mu.unlock()  # hands the lock to waiter 0 before it even runs
    assert mu.locked()
    assert not mu.try_lock()
    settle()
    assert order == [0, 1, 2, 3]
    assert not mu.locked()


def test_mutex_unlock_of_unlocked_panics() -> None:
    mu = sync.Mutex()
    with pytest.raises(SyncError, match="^sync: unlock of unlocked mutex$"):
        mu.unlock()
    mu.lock()
    mu.unlock()
    with pytest.raises(SyncError, match="^sync: unlock of unlocked mutex$"):
        mu.unlock()


def test_mutex_is_not_reentrant() -> None:
    mu = sync.Mutex()
    mu.lock()
    with pytest.raises(gonet.DeadlockError):
        mu.lock()  # a second lock by the holder waits for itself
    assert not mu._waitq
    mu.unlock()


def test_mutex_try_lock() -> None:
    mu = sync.Mutex()
    assert mu.try_lock()
    assert not mu.try_lock()
    mu.unlock()
    assert not mu.locked()


def test_mutex_waiter_that_fails_after_the_hand_off_passes_the_lock_on() -> None:
    mu = sync.Mutex()
    mu.lock()
    first = Task(mu.lock)
    settle()
    second = Task(mu.lock)
    settle()
    mu.unlock()  # hands the lock to `first`, which has not run yet ...
    _proc.current().interrupt(first.g, Stop())  # ... and now leaves with an exception
    settle()
    assert isinstance(first.exc, Stop)
    assert second.finished
    assert second.exc is None
    assert mu.locked()
    mu.unlock()


# -- RWMutex --------------------------------------------------------------------------------------


def test_rwmutex_admits_many_readers_at_once() -> None:
    rw = sync.RWMutex()
    rw.rlock()
    t = Task(rw.rlock)
    settle()
    assert t.finished
    assert rw._readers == 2
    assert not rw.try_lock()
    rw.runlock()
    rw.runlock()
    assert rw.try_lock()
    rw.unlock()


def test_rwmutex_writer_excludes_readers_and_writers() -> None:
    rw = sync.RWMutex()
    rw.lock()
    r = Task(rw.rlock)
    settle()
    w = Task(rw.lock)
    settle()
    assert r.reason() == "sync.RWMutex.RLock"
    assert w.reason() == "sync.RWMutex.Lock"
    assert not rw.try_rlock()
    rw.unlock()
    settle()
    assert r.finished
    assert not w.finished
    rw.runlock()
    settle()
    assert w.finished
    assert rw._writer
    rw.unlock()


def test_rwmutex_waiting_writer_blocks_later_readers() -> None:
    rw = sync.RWMutex()
    rw.rlock()
    w = Task(rw.lock)
    settle()
    r = Task(rw.rlock)
    settle()
    assert w.reason() == "sync.RWMutex.Lock"
    assert r.reason() == "sync.RWMutex.RLock"
    assert not rw.try_rlock()  # the writer is not starved by a stream of readers
    rw.runlock()
    settle()
    assert w.finished
    assert not r.finished
    rw.unlock()
    settle()
    assert r.finished
    rw.runlock()


def test_rwmutex_releases_a_run_of_queued_readers_together() -> None:
    rw = sync.RWMutex()
    rw.lock()
    readers = [Task(rw.rlock) for _ in range(3)]
    settle()
    w = Task(rw.lock)
    settle()
    rw.unlock()
    settle()
    assert all(t.finished for t in readers)
    assert rw._readers == 3
    assert w.reason() == "sync.RWMutex.Lock"
    for _ in range(3):
        rw.runlock()
    settle()
    assert w.finished
    rw.unlock()


def test_rwmutex_misuse_panics() -> None:
    rw = sync.RWMutex()
    with pytest.raises(SyncError, match="^sync: Unlock of unlocked RWMutex$"):
        rw.unlock()
    with pytest.raises(SyncError, match="^sync: RUnlock of unlocked RWMutex$"):
        rw.runlock()


def test_rwmutex_rlocker_and_context_managers() -> None:
    rw = sync.RWMutex()
    lk = rw.rlocker()
    lk.lock()
    assert rw._readers == 1
    lk.unlock()
    with rw.rlocked():
        assert rw._readers == 1
    with rw:
        assert rw._writer
    assert not rw._writer
    assert rw._readers == 0


# -- Once -----------------------------------------------------------------------------------------


def test_once_runs_f_exactly_once() -> None:
    once = sync.Once()
    calls: list[int] = []
    for i in range(3):
        once.do(lambda i=i: calls.append(i))
    assert calls == [0]


def test_once_concurrent_callers_wait_for_f_to_finish() -> None:
    once = sync.Once()
    gate: gonet.Chan[None] = gonet.Chan()
    log: list[str] = []

    def f() -> None:
        log.append("f start")
        gate.recv()  # f blocks: the other callers must wait, not return early
        log.append("f end")

    def caller(name: str) -> None:
        once.do(f)
        log.append(name)

    first = Task(caller, "first")
    settle()
    second = Task(caller, "second")
    settle()
    assert second.reason() == "sync.Mutex.Lock"
    assert log == ["f start"]
    gate.send(None)
    settle()
    assert log == ["f start", "f end", "first", "second"]
    assert first.finished
    assert second.finished


def test_once_counts_a_raising_f_as_done() -> None:
    once = sync.Once()
    with pytest.raises(Stop):
        once.do(lambda: (_ for _ in ()).throw(Stop()))
    calls: list[int] = []
    once.do(lambda: calls.append(1))
    assert calls == []


def test_once_func_and_once_value() -> None:
    calls: list[int] = []
    f = sync.once_func(lambda: calls.append(1))
    f()
    f()
    assert calls == [1]
    v = sync.once_value(lambda: calls.append(2) or len(calls))
    assert v() == 2
    assert v() == 2
    assert calls == [1, 2]

    def bad() -> int:
        calls.append(3)
        raise Stop("once")

    g = sync.once_value(bad)
    for _ in range(2):
        with pytest.raises(Stop, match="once"):
            g()
    assert calls.count(3) == 1


# -- Cond -----------------------------------------------------------------------------------------


def test_cond_signal_wakes_waiters_in_fifo_order_and_relocks() -> None:
    mu = sync.Mutex()
    cond = sync.Cond(mu)
    woke: list[int] = []

    def waiter(i: int) -> None:
        with mu:
            cond.wait()
            assert mu.locked()
            woke.append(i)

    tasks = []
    for i in range(3):
        tasks.append(Task(waiter, i))
        settle()
    assert all(t.reason() == "sync.Cond.Wait" for t in tasks)
    assert not mu.locked()  # every waiter released L while waiting
    for _ in range(3):
        cond.signal()
        settle()
    assert woke == [0, 1, 2]
    assert all(t.exc is None for t in tasks)


def test_cond_broadcast_wakes_everyone_and_signal_without_waiters_is_a_no_op() -> None:
    mu = sync.Mutex()
    cond = sync.Cond(mu)
    cond.signal()
    ready = False
    seen: list[bool] = []

    def waiter() -> None:
        with mu:
            while not ready:
                cond.wait()
            seen.append(ready)

    for _ in range(4):
        gonet.go(waiter)
    settle()
    with mu:
        ready = True
        cond.broadcast()
    settle()
    assert seen == [True] * 4


def test_cond_missed_signal_is_not_possible_between_unlock_and_wait() -> None:
    # wait() queues before it unlocks L: a signal sent by whoever takes L next is seen.
    mu = sync.Mutex()
    cond = sync.Cond(mu)
    t = Task(lambda: (mu.lock(), cond.wait(), mu.unlock()))
    mu.lock()  # held by us: the waiter blocks on L first
    settle()
    mu.unlock()
    settle()  # the waiter takes L, queues on cond, releases L, parks
    with mu:
        cond.signal()
    settle()
    assert t.finished
    assert t.exc is None


# -- Semaphore ------------------------------------------------------------------------------------


def test_semaphore_counts_units() -> None:
    sem = sync.Semaphore(3)
    sem.acquire(2)
    assert sem.try_acquire(1)
    assert not sem.try_acquire(1)
    t = Task(sem.acquire, 2)
    settle()
    assert t.reason() == "semacquire"
    sem.release(2)
    settle()
    assert t.finished
    assert sem._cur == 3
    sem.release(3)
    with sem:
        assert sem._cur == 1


def test_semaphore_is_fifo_a_big_request_is_not_overtaken() -> None:
    sem = sync.Semaphore(4)
    sem.acquire(3)
    big = Task(sem.acquire, 4)
    settle()
    small = Task(sem.acquire, 1)
    settle()
    assert big.reason() == small.reason() == "semacquire"  # 1 unit is free, but big is first
    assert not sem.try_acquire(1)
    sem.release(3)
    settle()
    assert big.finished
    assert not small.finished
    sem.release(4)
    settle()
    assert small.finished
    sem.release(1)


def test_semaphore_release_more_than_held_panics() -> None:
    sem = sync.Semaphore(2)
    sem.acquire(1)
    with pytest.raises(SyncError, match="^semaphore: released more than held$"):
        sem.release(2)
    sem.release(1)


def test_semaphore_acquire_gives_up_when_the_context_ends() -> None:
    sem = sync.Semaphore(1)
    sem.acquire()
    ctx, cancel = context.with_cancel(context.background())
    t = Task(sem.acquire, 1, ctx)
    settle()
    assert t.reason() == "semacquire"
    cancel()
    settle()
    assert isinstance(t.exc, context.Canceled)
    assert not sem._waitq
    assert sem._cur == 1
    sem.release()
    with pytest.raises(context.Canceled):
        sem.acquire(1, ctx)  # already done: fails without waiting


def test_semaphore_cancelled_head_lets_the_next_waiter_in() -> None:
    sem = sync.Semaphore(2)
    sem.acquire(1)
    ctx, cancel = context.with_cancel(context.background())
    big = Task(sem.acquire, 2, ctx)
    settle()
    small = Task(sem.acquire, 1)
    settle()
    assert not small.finished
    cancel()  # the head leaves: the 1 free unit now goes to the waiter behind it
    settle()
    assert isinstance(big.exc, context.Canceled)
    assert small.finished
    sem.release(2)


def test_semaphore_request_larger_than_size_waits_for_the_context(virtual_clock: Any) -> None:
    sem = sync.Semaphore(2)
    ctx, cancel = context.with_timeout(context.background(), 1.0)
    with pytest.raises(context.DeadlineExceeded):
        sem.acquire(3, ctx)
    cancel()
    assert sem._cur == 0


def test_semaphore_validates_arguments() -> None:
    with pytest.raises(ValueError, match="semaphore size must be a non-negative int, got -1"):
        sync.Semaphore(-1)
    with pytest.raises(ValueError, match="semaphore: cannot acquire -1 units"):
        sync.Semaphore(1).acquire(-1)

"""BLAS threads during fit (nnlite.threads): one per core other programs leave free, a count fixed by
NNLITE_THREADS, the user's own BLAS settings left alone, the original count restored after fit."""

from __future__ import annotations

import os
import types

import numpy as np
import pytest

import nnlite
from nnlite import threads

from .conftest import require

threadpoolctl = require("threadpoolctl")


def _blas_threads():
    return max(p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas")


def _big_model():
    model = nnlite.Sequential([nnlite.Input((300,)), nnlite.layers.Dense(400), nnlite.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _seen_during_fit(model, x, y, **kwargs):
    seen = []
    probe = nnlite.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(_blas_threads()))
    model.fit(x, y, batch_size=64, epochs=2, verbose=0, callbacks=[probe], **kwargs)
    return seen


def test_a_fixed_count_holds_during_fit_and_the_original_comes_back(monkeypatch, rng):
    before = _blas_threads()
    monkeypatch.setenv("NNLITE_THREADS", "1")
    for name in threads.USER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    x, y = rng.normal(size=(128, 300)), rng.normal(size=(128, 1))
    assert _seen_during_fit(_big_model(), x, y) == [1, 1]
    assert _blas_threads() == before


def test_off_and_the_users_own_settings_leave_the_blas_alone(monkeypatch, rng):
    x, y = rng.normal(size=(128, 300)), rng.normal(size=(128, 1))
    before = _blas_threads()
    for setting in ({"NNLITE_THREADS": "off"}, {"NNLITE_THREADS": "1", "OPENBLAS_NUM_THREADS": "4"}):
        for key, value in setting.items():
            monkeypatch.setenv(key, value)
        assert not threads.BlasThreads().active
        assert _seen_during_fit(_big_model(), x, y) == [before, before]
        for key in setting:
            monkeypatch.delenv(key)
    monkeypatch.setenv("NNLITE_THREADS", "many")
    with pytest.raises(ValueError, match="NNLITE_THREADS"):
        threads.BlasThreads()


def test_one_thread_per_free_core(monkeypatch):
    """With 4 cores: after an epoch in which other programs used 2.6 cores' worth of CPU time, 1 thread
    (round(4 - 2.6)); after a quiet one, all 4 again."""
    for name in (*threads.USER_SETTINGS, "NNLITE_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "_cores", lambda: 4)
    monkeypatch.setattr(threads, "_running_others", lambda: 0.0)  # a quiet start
    ticks = iter([(100.0, 10.0, 0.0), (104.0, 11.4, 1.0), (105.0, 12.4, 2.0)])  # (machine, ours, wall)
    monkeypatch.setattr(threads, "_clock", lambda: next(ticks))
    chosen = []
    blas = threads.BlasThreads()
    monkeypatch.setattr(blas, "_set", lambda n: chosen.append(n))
    with blas:
        blas.adjust()  # machine 4.0 s, ours 1.4 s, in 1 s of wall time: others 2.6 cores
        blas.adjust()  # machine 1.0 s, ours 1.0 s: nobody else
    assert chosen == [4, 1, 4]


def test_small_networks_are_left_alone(monkeypatch, rng):
    """Below a million multiply-adds per batch the BLAS runs on one thread anyway: fit does not touch it."""
    monkeypatch.setenv("NNLITE_THREADS", "1")
    before = _blas_threads()
    model = nnlite.Sequential([nnlite.Input((4,)), nnlite.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    seen = _seen_during_fit(model, rng.normal(size=(64, 4)), np.zeros((64, 3)))
    assert seen == [before, before]


class _FakeBlas:
    """threadpoolctl's contract on one process-wide count: limit() sets it and returns a limiter that
    restores the count it found (real BLAS libraries differ in how a count set in one thread shows in another)."""

    count = 8

    def info(self):
        return [{"user_api": "blas", "num_threads": _FakeBlas.count}]

    def limit(self, limits, user_api):
        found = _FakeBlas.count
        _FakeBlas.count = limits

        class Limiter:
            def restore_original_limits(self):
                _FakeBlas.count = found
        return Limiter()


@pytest.mark.parametrize(("a_wants", "b_wants", "after_a"), [(1, 1, 1), (1, 3, 3), (3, 1, 1)])
def test_fits_in_several_threads_restore_the_original_whatever_order_they_end_in(monkeypatch, a_wants, b_wants,
                                                                                 after_a):
    """Fit A starts in one thread, fit B in another, A ends, then B: while both run the BLAS has the smaller
    count, after A the count B wants, and after both the original (before, B took A's count for the original
    and left the process at it for good)."""
    import threading

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", _FakeBlas)
    monkeypatch.setattr(_FakeBlas, "count", 8)
    for name in threads.USER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    steps = [threading.Event() for _ in range(4)]
    seen = {}

    def fit(name, wants, enter_after, entered, leave_after, left):
        monkeypatch.setenv("NNLITE_THREADS", str(wants))
        blas = threads.BlasThreads()
        if enter_after is not None:
            enter_after.wait(10)
        with blas:
            entered.set()
            leave_after.wait(10)
            seen[name] = _FakeBlas.count
        left.set()

    a = threading.Thread(target=fit, args=("a", a_wants, None, steps[0], steps[1], steps[2]))
    a.start()
    steps[0].wait(10)
    b = threading.Thread(target=fit, args=("b", b_wants, steps[0], steps[1], steps[3], threading.Event()))
    b.start()
    steps[2].wait(10)  # A has ended; B still runs
    assert seen["a"] == min(a_wants, b_wants) and _FakeBlas.count == after_a
    steps[3].set()
    b.join(10)
    a.join(10)
    assert _FakeBlas.count == 8


@pytest.mark.parametrize(("others", "first"), [(2.6, 1), (1.2, 3), (0.0, 4), (None, 4), (9.0, 1)])
def test_the_first_epoch_starts_from_the_programs_running_now(monkeypatch, others, first):
    """Before the first batch: one thread per core the threads of other programs running now leave free (none
    known: every core), so a fit of one epoch beside a busy program does not start on every core."""
    for name in (*threads.USER_SETTINGS, "NNLITE_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "_cores", lambda: 4)
    monkeypatch.setattr(threads, "_running_others", lambda: others)
    chosen = []
    blas = threads.BlasThreads()
    monkeypatch.setattr(blas, "_set", lambda n: chosen.append(n))
    blas.active = True
    with blas:
        pass
    assert chosen == [first]


def test_the_run_queue_is_read_on_linux():
    """procs_running less this process's running threads: a number of threads, never negative."""
    others = threads._running_others(looks=3)
    if not os.path.exists("/proc/stat"):
        assert others is None
    else:
        assert others is not None and others >= 0


@pytest.mark.parametrize(("v2", "v1", "quota", "cores"), [
    ("200000 100000", None, 2.0, 2), ("max 100000", None, None, 16), ("50000 100000", None, 0.5, 1),
    (None, ("400000", "100000"), 4.0, 4), (None, ("-1", "100000"), None, 16), (None, None, None, 16),
    ("2500000 100000", None, 25.0, 16)])
def test_a_containers_cpu_quota_caps_the_cores(monkeypatch, tmp_path, v2, v1, quota, cores):
    """cgroup v2's cpu.max ("<quota> <period>" or "max") or v1's cfs_quota_us/cfs_period_us (-1: none): a container
    given 2 of 16 cores runs 2 BLAS threads; no quota, or one above the cores, leaves the cores as they are."""
    v2_path, v1_paths = tmp_path / "cpu.max", (tmp_path / "quota", tmp_path / "period")
    if v2 is not None:
        v2_path.write_text(v2 + "\n")
    if v1 is not None:
        for path, text in zip(v1_paths, v1):
            path.write_text(text + "\n")
    monkeypatch.setattr(threads, "CGROUP_V2", str(v2_path))
    monkeypatch.setattr(threads, "CGROUP_V1", tuple(str(p) for p in v1_paths))
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    monkeypatch.setattr(threads, "_physical_cores", len)  # 16 cores, whatever this machine's topology
    assert threads._quota() == quota
    assert threads._cores() == cores


@pytest.mark.parametrize(("topology", "cpus", "cores"), [
    ({0: (0, 0), 1: (0, 1), 2: (0, 0), 3: (0, 1)}, {0, 1, 2, 3}, 2),  # two cores, two hyperthreads each
    ({0: (0, 0), 1: (0, 1), 2: (1, 0), 3: (1, 1)}, {0, 1, 2, 3}, 4),  # two sockets with the same core ids
    ({0: (0, 0), 1: (0, 1), 2: (0, 0), 3: (0, 1)}, {0, 2}, 1),  # allowed only one core's two hyperthreads
    ({0: (0, 0), 1: None}, {0, 1}, 2),  # a CPU without a readable topology: every logical CPU counts
])
def test_hyperthreads_of_one_core_count_once(monkeypatch, tmp_path, topology, cpus, cores):
    """One BLAS thread per physical core: logical CPUs sharing (package, core id) in sysfs are one core."""
    for cpu, ids in topology.items():
        folder = tmp_path / f"cpu{cpu}" / "topology"
        folder.mkdir(parents=True)
        if ids is not None:
            (folder / "physical_package_id").write_text(f"{ids[0]}\n")
            (folder / "core_id").write_text(f"{ids[1]}\n")
    monkeypatch.setattr(threads, "CPU_TOPOLOGY", str(tmp_path / "cpu{}" / "topology"))
    assert threads._physical_cores(cpus) == cores
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: cpus, raising=False)
    monkeypatch.setattr(threads, "_quota", lambda: None)
    assert threads._cores() == cores


def test_this_machines_cores_are_counted():
    """On the machine running the tests: at least one core, never more than the logical CPUs allowed."""
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))
    assert 1 <= threads._physical_cores(allowed) <= len(allowed)


def _trial_settles_on(per_batch, start, warm_up=50.0):
    """Run a Trial against fixed seconds a batch per thread count; returns (best, the counts of its blocks)."""
    trial = threads.Trial(start)
    blocks = []
    while trial.count is not None:
        blocks.append(trial.count)
        trial.record(warm_up if len(blocks) == 1 else per_batch[trial.count])
    return trial.best, blocks


@pytest.mark.parametrize(("per_batch", "best"), [
    ({16: 1.0, 8: 0.7, 4: 0.6, 2: 0.65, 1: 1.0}, 4),  # halving helps twice, then 2 is no faster than 4
    ({4: 1.0, 2: 0.6, 1: 0.5}, 1),  # down to one thread
    ({4: 1.0, 2: 0.98}, 4),  # 2% faster is within the noise: all threads stay
    ({2: 1.0, 1: 0.96}, 1),  # 4% faster is not
])
def test_a_trial_halves_the_threads_while_that_is_faster(per_batch, best):
    """The warm-up block (here 50 s a batch) is not counted; n/2 wins under 97% of n's time a batch."""
    assert _trial_settles_on(per_batch, max(per_batch))[0] == best


def test_a_burst_of_other_work_in_one_block_does_not_decide():
    """Blocks on 4, 2, 4 (slowed 2.5x by another program's burst), 2: 2 threads are 5% slower than 4's quicker
    block, so 4 stay (their summed times would have said 2)."""
    trial = threads.Trial(4)
    for per_batch in (9.0, 1.0, 1.05, 2.5, 1.05):
        trial.record(per_batch)
    assert trial.count is None and trial.best == 4


def test_a_trial_ends_after_one_clearly_slower_block():
    """On 2 cores one thread was 14-70% slower a batch: one block of it, then back to 2 for good."""
    assert _trial_settles_on({2: 1.0, 1: 1.2}, 2) == (2, [2, 2, 1])
    assert _trial_settles_on({2: 1.0, 1: 1.09}, 2) == (2, [2, 2, 1, 2, 1])  # not clearly: all four blocks


def _fake_clock(monkeypatch, blas_threads, per_batch):
    """threads.time with a clock that moves per_batch[the BLAS's count] at each look (one look a batch)."""
    now = [0.0]

    def perf_counter():
        now[0] += per_batch[blas_threads[-1]]
        return now[0]

    monkeypatch.setattr(threads, "time", types.SimpleNamespace(perf_counter=perf_counter, sleep=lambda s: None))


def test_fit_tries_half_the_threads_and_the_model_remembers(monkeypatch, rng):
    """4 free cores, batches twice as fast on 2 threads and slower on 1: the first fit settles on 2 threads,
    the model's next fit at that batch size starts there without a trial, one at another batch size tries again."""
    for name in (*threads.USER_SETTINGS, "NNLITE_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "_cores", lambda: 4)
    monkeypatch.setattr(threads, "_running_others", lambda: 0.0)
    chosen = []
    real_set = threads.BlasThreads._set

    def spy(self, n):
        chosen.append(n)
        real_set(self, n)

    monkeypatch.setattr(threads.BlasThreads, "_set", spy)
    _fake_clock(monkeypatch, chosen, {4: 1.0, 2: 0.5, 1: 0.8})
    model, (x, y) = _big_model(), (rng.normal(size=(4000, 300)), rng.normal(size=(4000, 1)))
    model.fit(x, y, batch_size=64, epochs=2, verbose=0)
    assert chosen == [4, 4, 2, 4, 2, 2, 1, 2]  # warm-up, 4 v 2 twice, 2 v 1 (1 clearly slower: back to 2)
    chosen.clear()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    assert chosen == [2]
    chosen.clear()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0)
    assert chosen[:3] == [4, 4, 2]


def test_a_trial_times_whole_blocks_of_batches_and_not_the_time_between_epochs(monkeypatch):
    """A block ends after BLOCK_BATCHES batches and BLOCK_SECONDS seconds; adjust() after an epoch starts
    the block again (validation and callbacks are no batch's time), and a change of free cores starts a new
    trial from there."""
    for name in (*threads.USER_SETTINGS, "NNLITE_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "_cores", lambda: 4)
    monkeypatch.setattr(threads, "_running_others", lambda: 0.0)
    chosen = []
    blas = threads.BlasThreads()
    blas.active = True
    monkeypatch.setattr(blas, "_set", lambda n: chosen.append(n))
    now = [0.0]
    monkeypatch.setattr(threads, "time", types.SimpleNamespace(perf_counter=lambda: now[0], sleep=lambda s: None))
    monkeypatch.setattr(threads, "_clock", lambda: (None, 0.0, now[0]))
    others = [0.0]
    monkeypatch.setattr(blas, "others", lambda: others[0])
    with blas:
        for _ in range(threads.BLOCK_BATCHES - 1):  # a warm-up block of 3 batches is not a block yet
            now[0] += 1.0
            blas.batch_done()
        assert blas.trial.warming and chosen == [4]
        now[0] += 1.0
        blas.batch_done()
        assert not blas.trial.warming
        for _ in range(threads.BLOCK_BATCHES):  # batches of 0.001 s: a block of 0.004 s is too short
            now[0] += 0.001
            blas.batch_done()
        assert blas.block_batches == threads.BLOCK_BATCHES
        now[0] += 100.0  # the epoch's end: validation, callbacks
        blas.adjust()  # still 4 free cores: the trial goes on, its block starts again
        assert chosen == [4, 4] and blas.trial.pair == (4, 2) and blas.block_batches == 0
        assert blas.block_start == now[0]
        now[0] += 1.0
        others[0] = 2.0
        blas.adjust()  # 2 free cores: a new trial from 2
        assert chosen == [4, 4, 2] and blas.trial.pair == (2, 1) and blas.block_batches == 0

"""BLAS threads during fit (nnlite.threads): one per core other programs leave free, a count fixed by
NNLITE_THREADS, the user's own BLAS settings left alone, the original count restored after fit."""

from __future__ import annotations

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

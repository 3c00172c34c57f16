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

"""Freed memory kept between a fit's batches (nnlite.heap): glibc's thresholds set while fits run, restored and
trimmed when the last one ends, untouched with NNLITE_HEAP=off."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import nnlite
from nnlite import heap


class FakeLibc:
    """Records the malloc calls nnlite makes, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def mallopt(self, parameter, value):
        self.calls.append(("mallopt", parameter, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


@pytest.fixture
def libc(monkeypatch):
    fake = FakeLibc()
    monkeypatch.setattr(heap, "_libc", lambda: fake)
    monkeypatch.delenv("NNLITE_HEAP", raising=False)
    return fake


SET = [("mallopt", heap.M_MMAP_THRESHOLD, heap.LARGEST), ("mallopt", heap.M_TRIM_THRESHOLD, heap.KEEP)]
RESTORE = [("mallopt", heap.M_TRIM_THRESHOLD, heap.DEFAULT_TRIM), ("malloc_trim", 0)]


def _fit(epochs=1, callbacks=()):
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(12.0).reshape(4, 3) / 10
    return model.fit(x, x[:, :2], epochs=epochs, verbose=0, callbacks=list(callbacks))


def test_a_fit_keeps_the_heap_while_it_runs_and_gives_it_back_after(libc):
    during = []
    probe = nnlite.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: during.append(list(libc.calls)))
    _fit(epochs=2, callbacks=[probe])
    assert during == [SET, SET]  # set before the first batch, nothing undone between epochs
    assert libc.calls == SET + RESTORE


def test_the_heap_is_given_back_when_a_fit_fails(libc):
    def fail(batch, logs):
        raise RuntimeError("a callback failed")
    with pytest.raises(RuntimeError, match="a callback failed"):
        _fit(callbacks=[nnlite.callbacks.LambdaCallback(on_train_batch_end=fail)])
    assert libc.calls == SET + RESTORE


def test_fits_at_once_restore_when_the_last_one_ends(libc):
    outer = heap.KeptHeap()
    with outer:
        _fit()  # a fit inside another (a callback's fit, or another thread's)
        assert libc.calls == SET
    assert libc.calls == SET + RESTORE
    started, release = threading.Barrier(3), threading.Event()

    def hold():
        with heap.KeptHeap():
            started.wait()
            release.wait()
    workers = [threading.Thread(target=hold) for _ in range(2)]
    for w in workers:
        w.start()
    started.wait()
    assert libc.calls == SET + RESTORE + SET  # the second thread's fit set nothing again
    release.set()
    for w in workers:
        w.join()
    assert libc.calls == (SET + RESTORE) * 2


def test_nnlite_heap_off_leaves_malloc_alone_and_a_bad_value_is_refused_before_training(libc, monkeypatch):
    monkeypatch.setenv("NNLITE_HEAP", "off")
    _fit()
    assert libc.calls == []
    monkeypatch.setenv("NNLITE_HEAP", "sometimes")
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"NNLITE_HEAP must be 'on' or 'off'; got 'sometimes'"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    assert libc.calls == []
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.skipif(not hasattr(os, "confstr") or not os.confstr("CS_GNU_LIBC_VERSION"), reason="needs glibc")
def test_glibc_accepts_the_settings():
    libc = heap._libc()
    assert libc is not None
    assert libc.mallopt(heap.M_MMAP_THRESHOLD, heap.LARGEST) == 1  # 1: glibc took the value
    assert libc.mallopt(heap.M_TRIM_THRESHOLD, heap.KEEP) == 1
    assert libc.mallopt(heap.M_TRIM_THRESHOLD, heap.DEFAULT_TRIM) == 1
    libc.malloc_trim(0)

"""Data given as batches, as Keras takes it: generators with steps_per_epoch, PyDataset, objects with
as_numpy_iterator (tf.data), torch-style loaders; validation, evaluate and predict from them too."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close


def _build(lib, seed=3):
    init = lib.initializers.GlorotUniform(seed=seed)
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(5, activation="tanh", kernel_initializer=init),
                           lib.layers.Dense(1, activation="sigmoid", kernel_initializer=init)])


def _data(rng, n=40):
    return rng.normal(size=(n, 4)), rng.integers(0, 2, size=(n, 1)).astype(float)


def _pair(keras):
    theirs, ours = _build(keras), _build(nnlite)
    ours.set_weights(theirs.get_weights())
    for m in (theirs, ours):
        m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return theirs, ours


def _forever(x, y, batch):
    """A generator that repeats, as Keras's guides write them."""
    while True:
        for i in range(0, len(x), batch):
            yield x[i:i + batch], y[i:i + batch]


def _same(h_ours, h_theirs):
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key, values in h_theirs.history.items():
        assert_close(h_ours.history[key], values, RTOL["float64"], key)


def test_generator_with_steps_per_epoch_trains_as_in_keras(keras, float64, rng):
    x, y = _data(rng)
    theirs, ours = _pair(keras)
    # 7 steps of 8 rows: epochs straddle passes over the 40 rows, as a repeating generator does
    h_theirs = theirs.fit(_forever(x, y, 8), steps_per_epoch=7, epochs=3, verbose=0, shuffle=False,
                          validation_data=_forever(x[:16], y[:16], 8), validation_steps=2)
    h_ours = ours.fit(_forever(x, y, 8), steps_per_epoch=7, epochs=3, verbose=0, shuffle=False,
                      validation_data=_forever(x[:16], y[:16], 8), validation_steps=2)
    _same(h_ours, h_theirs)
    assert_close(ours.get_weights()[0], theirs.get_weights()[0], RTOL["float64"], "kernel")
    assert_close(ours.evaluate(_forever(x, y, 10), steps=4, verbose=0),
                 theirs.evaluate(_forever(x, y, 10), steps=4, verbose=0), RTOL["float64"], "evaluate")
    assert_close(ours.predict(_forever(x, y, 10), steps=4, verbose=0),
                 theirs.predict(_forever(x, y, 10), steps=4, verbose=0), RTOL["float64"], "predict")
    with pytest.warns(UserWarning, match="`shuffle=True` was passed, but will be ignored"):  # as Keras warns
        ours.fit(_forever(x, y, 8), steps_per_epoch=1, verbose=0)


def test_py_dataset_as_in_keras(keras, float64, rng):
    x, y = _data(rng)

    def dataset(lib):
        class Batches(lib.utils.PyDataset):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.ends = 0

            def __len__(self):
                return 5

            def __getitem__(self, index):
                rows = slice(index * 8, (index + 1) * 8)
                return x[rows], y[rows], np.linspace(0.5, 1.5, 8)

            def on_epoch_end(self):
                self.ends += 1

        return Batches()

    theirs, ours = _pair(keras)
    mine, keras_data = dataset(nnlite), dataset(keras)
    h_theirs = theirs.fit(keras_data, epochs=3, shuffle=False, verbose=0)
    h_ours = ours.fit(mine, epochs=3, shuffle=False, verbose=0)
    _same(h_ours, h_theirs)
    assert mine.ends == 3
    seen = []  # shuffled: each epoch reads every batch once, in a new order
    mine.__class__.__getitem__ = lambda self, index: seen.append(index) or (x[:8], y[:8])
    nnlite.utils.set_random_seed(3)  # the orders from a known seed, whatever the tests before drew (1 in 120 repeat)
    ours.fit(mine, epochs=2, verbose=0)
    assert sorted(seen[:5]) == sorted(seen[5:]) == list(range(5)) and seen[:5] != seen[5:]


def test_tf_data_datasets_are_read_without_importing_tensorflow(keras, tf, float64, rng):
    x, y = _data(rng)
    theirs, ours = _pair(keras)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    _same(ours.fit(dataset, epochs=2, shuffle=False, verbose=0), theirs.fit(dataset, epochs=2, shuffle=False,
                                                                          verbose=0))
    # nnlite only calls as_numpy_iterator(): a stand-in with that method trains it with TensorFlow absent
    script = (
        "import sys, numpy as np, nnlite\n"
        "class Data:\n"
        "    def as_numpy_iterator(self):\n"
        "        return iter([(np.ones((4, 3)), np.zeros((4, 1)))] * 3)\n"
        "m = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(1)])\n"
        "m.compile(optimizer='sgd', loss='mse')\n"
        "h = m.fit(Data(), epochs=2, shuffle=False, verbose=0)\n"
        "assert len(h.history['loss']) == 2\n"
        "assert 'tensorflow' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", script], check=True)


class _Tensor:
    """A stand-in for a torch tensor: NumPy reads it through __array__."""

    def __init__(self, array):
        self.array = array

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)


class _Loader:
    """A stand-in for a torch DataLoader: iterable again each epoch, with a length, giving lists."""

    def __init__(self, x, y, batch):
        self.x, self.y, self.batch = x, y, batch

    def __len__(self):
        return -(-len(self.x) // self.batch)

    def __iter__(self):
        for i in range(0, len(self.x), self.batch):
            yield [_Tensor(self.x[i:i + self.batch]), _Tensor(self.y[i:i + self.batch])]


def test_loaders_and_iterables_are_read_once_per_epoch(float64, rng):
    x, y = _data(rng)
    a, b = _build(nnlite), _build(nnlite)
    b.set_weights(a.get_weights())
    for m in (a, b):
        m.compile(optimizer="sgd", loss="binary_crossentropy")
    h_loader = a.fit(_Loader(x, y, 8), epochs=3, shuffle=False, verbose=0)
    h_arrays = b.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert_close(h_loader.history["loss"], h_arrays.history["loss"], 1e-12, "a loader is the arrays in batches")
    assert_close(a.get_weights()[0], b.get_weights()[0], 1e-12)


def test_a_generator_that_ends(float64, rng):
    x, y = _data(rng)
    model = _build(nnlite)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    once = ((x[i:i + 10], y[i:i + 10]) for i in range(0, 40, 10))
    with pytest.warns(UserWarning, match="gave no batches"):
        history = model.fit(once, epochs=3, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 1  # one pass, then nothing left to train on
    short = ((x[i:i + 10], y[i:i + 10]) for i in range(0, 40, 10))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(short, steps_per_epoch=3, epochs=2, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2  # 3 batches, then the last one and the warning


def test_bad_batches_are_refused_before_any_weight_changes(rng):
    x, y = _data(rng)
    model = _build(nnlite)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match="`y` argument is not supported"):
        model.fit(_forever(x, y, 8), y, steps_per_epoch=2, verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch must be a positive integer"):
        model.fit(_forever(x, y, 8), steps_per_epoch=0, verbose=0)
    with pytest.raises(ValueError, match="holds no y"):
        model.fit(iter([x[:8]]), shuffle=False, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(_forever(x, y, 8), steps_per_epoch=2, validation_split=0.2, verbose=0)
    bad = x[:8].copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        model.fit(iter([(bad, y[:8])]), shuffle=False, verbose=0)
    assert all(np.array_equal(u, v) for u, v in zip(before, model.get_weights()))


@pytest.mark.parametrize("rows, steps, epochs", [(40, 2, 3), (40, 3, 3), (40, 4, 3), (40, 5, 2), (6, 5, 2)])
def test_steps_per_epoch_with_arrays_reads_batches_as_keras_does(keras, rows, steps, epochs):
    """With arrays, steps_per_epoch batches per epoch read on across epochs; a pass that runs out inside an
    epoch ends it with Keras's warning and the next epoch starts a new pass. Each batch's loss tells which
    rows it held (the weights do not move: SGD with learning rate 0)."""
    x = np.arange(float(rows)).reshape(rows, 1)

    def run(lib):
        seen = []
        log = lib.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(round(logs["loss"], 6)),
                                           on_epoch_end=lambda e, logs: seen.append("|"))
        model = lib.Sequential([lib.Input((1,)), lib.layers.Dense(1, kernel_initializer="zeros", use_bias=False)])
        model.compile(optimizer=lib.optimizers.SGD(0.0), loss="mse")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(x, x, batch_size=8, steps_per_epoch=steps, epochs=epochs, shuffle=False, verbose=0,
                      callbacks=[log])
        return seen, sum("ran out of data" in str(w.message) for w in caught)

    assert run(nnlite) == run(keras)

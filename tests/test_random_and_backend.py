"""keras.random's seed semantics, keras.backend's and keras.config's names, and utils.pad_sequences against
Keras's own on the cases its tests use (and a few edges)."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import ops

CASES = [
    ([[1], [1, 2], [1, 2, 3]], {"maxlen": 3, "padding": "pre"}),
    ([[1], [1, 2], [1, 2, 3]], {"maxlen": 3, "padding": "post"}),
    ([[1], [1, 2], [1, 2, 3]], {"maxlen": 2, "truncating": "pre"}),
    ([[1], [1, 2], [1, 2, 3]], {"maxlen": 2, "truncating": "post"}),
    ([[1], [1, 2], [1, 2, 3]], {"maxlen": 3, "value": 1}),
    ([[1.2], [1.2, 2.3], [1.2, 2.3, 3.4]], {"maxlen": 2, "dtype": "float32", "truncating": "post"}),
    ([[[1, 1]], [[2, 1], [2, 2]], [[3, 1], [3, 2], [3, 3]]], {"maxlen": 2, "padding": "post"}),
    ([["1"], ["1", "2"]], {"maxlen": 3, "value": "pad", "dtype": object}),
    ([[], [5, 6, 7, 8]], {}),  # an empty sequence, maxlen from the longest
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_pad_sequences_equals_keras(keras, case):
    sequences, kwargs = CASES[case]
    theirs = keras.utils.pad_sequences(sequences, **kwargs)
    ours = nnlite.utils.pad_sequences(sequences, **kwargs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert ours.tolist() == theirs.tolist()


def test_pad_sequences_edges():
    assert nnlite.utils.pad_sequences([[1, 2], [3]], maxlen=0).shape == (2, 0)  # (Keras fails on maxlen=0)
    assert nnlite.utils.pad_sequences([]).shape == (0, 0)


def test_pad_sequences_refuses_what_keras_refuses():
    with pytest.raises(ValueError, match="`dtype` int32 is not compatible with"):
        nnlite.utils.pad_sequences([["a"]], value="pad")
    with pytest.raises(ValueError, match='Padding type "middle" not understood'):
        nnlite.utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="must be a list of iterables"):
        nnlite.utils.pad_sequences([1, 2])


def test_seeds_are_stateless_ints_moving_generators_or_the_global_source():
    assert ops.convert_to_numpy(nnlite.random.normal((3,), seed=5)).tolist() == \
        ops.convert_to_numpy(nnlite.random.normal((3,), seed=5)).tolist()
    gen = nnlite.random.SeedGenerator(7)
    first, second = nnlite.random.uniform((4,), seed=gen), nnlite.random.uniform((4,), seed=gen)
    assert not np.array_equal(first, second) and gen.state.numpy().tolist() == [7, 2]
    again = nnlite.random.SeedGenerator(7)
    np.testing.assert_array_equal(nnlite.random.uniform((4,), seed=again), first)
    try:
        nnlite.utils.set_random_seed(3)
        a = nnlite.random.normal((2, 2))
        nnlite.utils.set_random_seed(3)
        np.testing.assert_array_equal(nnlite.random.normal((2, 2)), a)
    finally:
        nnlite.config.set_rng(None)
    with pytest.raises(ValueError, match="either an integer or an instance of `SeedGenerator`"):
        nnlite.random.normal((2,), seed="seven")


def test_draws_have_the_laws_and_dtypes_asked_for():
    x = nnlite.random.truncated_normal((4000,), mean=1.0, stddev=2.0, seed=1)
    assert x.dtype == np.float32 and np.all(np.abs(x - 1.0) <= 4.0) and abs(float(np.mean(x)) - 1.0) < 0.1
    ints = nnlite.random.randint((1000,), 2, 5, seed=2)
    assert ints.dtype == np.int32 and set(np.unique(ints)) == {2, 3, 4}
    picks = nnlite.random.categorical(np.log([[0.999999, 1e-6]]), 50, seed=3)
    assert picks.shape == (1, 50) and int(np.sum(picks)) <= 1
    shuffled = nnlite.random.shuffle(np.arange(10), seed=4)
    assert sorted(shuffled.tolist()) == list(range(10))


def test_dropout_is_an_op_the_tape_differentiates():
    x = nnlite.variables.Variable(np.ones((50, 4)), "x")
    with nnlite.GradientTape() as tape:
        y = nnlite.random.dropout(x, rate=0.5, seed=3)
    grad = tape.gradient(y, x)
    kept = np.asarray(y) != 0
    np.testing.assert_array_equal(np.asarray(grad), np.where(kept, 2.0, 0.0))
    np.testing.assert_array_equal(np.asarray(y)[kept], 2.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nnlite.random.dropout(x, rate=1.5)
    assert np.all(np.asarray(nnlite.random.dropout(x, rate=1.0)) == 0)
    assert np.asarray(nnlite.random.dropout(x, rate=0.0, seed=0)).tolist() == x.numpy().tolist()
    shared = nnlite.random.dropout(np.ones((2, 3, 5, 7)), rate=0.3, noise_shape=[None, 3, 5, None], seed=0)
    assert shared.shape == (2, 3, 5, 7)


def test_random_refuses_what_keras_refuses():
    with pytest.raises(ValueError, match="`logits` should be a 2-D tensor"):
        nnlite.random.categorical(np.ones((5,)), 5)
    with pytest.raises(ValueError, match="`logits` should be a 2-D tensor"):
        nnlite.random.categorical(np.ones((5, 5, 5)), 5)
    with pytest.raises(ValueError, match="requires an integer `dtype`"):
        nnlite.random.randint((3, 4), minval=0, maxval=10, dtype="float64")
    with pytest.raises(ValueError, match="requires a floating point `dtype`"):
        nnlite.random.uniform((3, 4), minval=0, maxval=10, dtype="int64")
    with pytest.raises(ValueError, match="Argument `seed` must be an integer"):
        nnlite.random.SeedGenerator(seed="invalid_seed")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        nnlite.random.SeedGenerator(invalid_arg="unexpected_value")
    assert nnlite.random.SeedGenerator(12345).state.numpy()[0] == 12345


def test_backend_and_config_names_keras_programs_call(keras):
    for name in dir(keras.backend):
        if not name.startswith("_"):
            assert hasattr(nnlite.backend, name), f"keras.backend.{name}"
    wanted = [n for n in dir(keras.config) if not n.startswith("_") and "flash" not in n and "nnx" not in n]
    assert [n for n in wanted if not hasattr(nnlite.config, n)] == []
    assert nnlite.backend.backend() == "numpy" and nnlite.backend.is_float_dtype("float64")
    assert nnlite.backend.standardize_dtype(None) == nnlite.config.floatx()
    assert nnlite.backend.is_keras_tensor(nnlite.Input((2,))) and not nnlite.backend.is_keras_tensor(np.ones(2))
    first = nnlite.backend.get_uid("dense")
    assert nnlite.backend.get_uid("dense") == first + 1
    nnlite.backend.clear_session()
    assert nnlite.backend.get_uid("dense") == 1
    with pytest.raises(ValueError, match="cannot switch"):
        nnlite.config.set_backend("jax")


def test_max_epochs_and_steps_cap_fit():
    model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    counter = nnlite.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    nnlite.config.set_max_epochs(2)
    nnlite.config.set_max_steps_per_epoch(3)
    try:
        history = model.fit(np.ones((40, 2)), np.ones((40, 1)), batch_size=4, epochs=10, verbose=0,
                            callbacks=[counter])
    finally:
        nnlite.config.set_max_epochs(None)
        nnlite.config.set_max_steps_per_epoch(None)
    assert len(history.history["loss"]) == 2 and seen == [0, 1, 2, 0, 1, 2]

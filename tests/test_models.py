"""Whole training runs against Keras 3: History, weights and predictions after several epochs."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close, dense_model, keras_twin


def _data(kind, rng, n, d, k, dtype):
    x = rng.normal(size=(n, d)).astype(dtype)
    if kind == "regression":
        return x, rng.normal(size=(n, k)).astype(dtype)
    if kind == "binary":
        return x, (rng.random(n) > 0.5).astype(dtype)  # rank-1 labels for a (n, 1) output
    if kind == "categorical":
        return x, np.eye(k, dtype=dtype)[rng.integers(0, k, n)]
    if kind == "sparse":
        return x, rng.integers(0, k, n)
    raise AssertionError(kind)


# id: (sizes, activations, use_bias, data kind, loss, optimizer kwargs, metrics, fit kwargs)
RUNS = {
    "regression-sgd-partial-batch-validation-split": (
        [3, 8, 5, 2], ["tanh", "relu", None], True, "regression", "mse",
        {"learning_rate": 0.05}, ["mae"], {"batch_size": 7, "epochs": 3, "validation_split": 0.2}),
    "binary-momentum-validation-data": (
        [4, 6, 1], ["elu", "sigmoid"], True, "binary", "binary_crossentropy",
        {"learning_rate": 0.1, "momentum": 0.9}, ["accuracy"], {"batch_size": 8, "epochs": 4, "validation": True}),
    "categorical-nesterov": (
        [5, 16, 8, 3], ["gelu", "swish", "softmax"], True, "categorical", "categorical_crossentropy",
        {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True}, ["accuracy"], {"batch_size": 10, "epochs": 3}),
    "sparse-sample-weight": (
        [6, 10, 4], ["relu", "softmax"], True, "sparse", "sparse_categorical_crossentropy",
        {"learning_rate": 0.1}, ["accuracy"], {"batch_size": 16, "epochs": 3, "sample_weight": True,
                                               "validation_split": 0.25}),
    "huber-no-bias": (
        [4, 7, 3], ["selu", "leaky_relu"], False, "regression", "huber",
        {"learning_rate": 0.02, "momentum": 0.5}, ["mse"], {"batch_size": 5, "epochs": 2}),
    "mae-batch-larger-than-data": (
        [2, 3, 1], ["softplus", "linear"], True, "regression", "mae",
        {"learning_rate": 0.1}, [], {"batch_size": 64, "epochs": 5}),
}


@pytest.mark.parametrize("run", list(RUNS), ids=list(RUNS))
def test_fit_matches_keras(keras, floatx, rng, run):
    sizes, acts, use_bias, kind, loss, opt, metrics, fit_kwargs = RUNS[run]
    fit_kwargs = dict(fit_kwargs)
    n = 37
    x, y = _data(kind, rng, n, sizes[0], sizes[-1], floatx)
    if fit_kwargs.pop("sample_weight", False):
        fit_kwargs["sample_weight"] = rng.uniform(0, 2, n).astype(floatx)
    if fit_kwargs.pop("validation", False):
        fit_kwargs["validation_data"] = _data(kind, rng, 11, sizes[0], sizes[-1], floatx)

    model = dense_model(sizes, acts, use_bias=use_bias, seed=7)
    twin = keras_twin(keras, model)
    twin.compile(optimizer=keras.optimizers.SGD(**opt), loss=loss, metrics=metrics)
    model.compile(optimizer=nnlite.optimizers.SGD(**opt), loss=loss, metrics=metrics)

    expected = twin.fit(x, y, shuffle=False, verbose=0, **fit_kwargs)
    history = model.fit(x, y, shuffle=False, verbose=0, **fit_kwargs)

    rtol = RTOL[floatx]
    assert history.epoch == expected.epoch
    assert sorted(history.history) == sorted(expected.history)
    for key, values in expected.history.items():
        assert_close(history.history[key], values, rtol, f"History[{key!r}]")
    for mine, theirs in zip(model.get_weights(), twin.get_weights()):
        assert mine.dtype == theirs.dtype
        assert_close(mine, theirs, rtol, "weights after fit")
    assert_close(model.predict(x, verbose=0), twin.predict(x, verbose=0), rtol, "predictions")
    assert_close(model.evaluate(x, y, verbose=0), twin.evaluate(x, y, verbose=0), rtol, "evaluate")


def test_logits_trap_fit_uses_logits_predict_path_clips(keras, float64, rng):
    """A sigmoid output with saturated logits: fit/evaluate compute BCE from z, a loss on
    predict's output takes the clipped path. Both numbers must equal Keras's."""
    x = rng.normal(size=(20, 3))
    y = (rng.random(20) > 0.5).astype(np.float64)
    model = dense_model([3, 1], ["sigmoid"], seed=3)
    model.set_weights([np.full((3, 1), 25.0), np.array([5.0])])  # |z| up to ~100: p clips at 1 - 1e-7
    twin = keras_twin(keras, model)
    for m in (model, twin):
        m.compile(optimizer="sgd", loss="binary_crossentropy")
    fitted = model.evaluate(x, y, verbose=0)
    assert_close(fitted, twin.evaluate(x, y, verbose=0), RTOL["float64"], "evaluate (logits path)")
    clipped = nnlite.losses.BinaryCrossentropy()(y, model.predict(x, verbose=0))
    assert_close(clipped, keras.losses.BinaryCrossentropy()(y, twin.predict(x, verbose=0)).numpy(),
                 RTOL["float64"], "loss on predict output (clipped path)")
    assert fitted > 2 * clipped  # the clip caps each loss near -log(1e-7); the logits path does not
    h1 = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert_close(h1.history["loss"], h2.history["loss"], RTOL["float64"], "fit loss")
    for mine, theirs in zip(model.get_weights(), twin.get_weights()):
        assert_close(mine, theirs, RTOL["float64"], "weights")


@pytest.mark.parametrize(("activation", "loss", "kind"), [
    ("softmax", "binary_crossentropy", "categorical"),
    ("sigmoid", "categorical_crossentropy", "categorical"),
])
def test_crossentropy_after_the_other_logit_activation_follows_keras(keras, float64, rng, activation, loss, kind):
    """Keras takes the logits of any sigmoid or softmax output for any of the three crossentropies."""
    x, y = _data(kind, rng, 24, 4, 3, "float64")
    model = dense_model([4, 3], [activation], seed=5)
    twin = keras_twin(keras, model)
    for m, opt in ((model, nnlite.optimizers.SGD(0.1)), (twin, keras.optimizers.SGD(0.1))):
        m.compile(optimizer=opt, loss=loss)
    h1 = model.fit(x, y, epochs=2, batch_size=6, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, epochs=2, batch_size=6, shuffle=False, verbose=0)
    assert_close(h1.history["loss"], h2.history["loss"], RTOL["float64"])
    for mine, theirs in zip(model.get_weights(), twin.get_weights()):
        assert_close(mine, theirs, RTOL["float64"])


def test_batch_methods_match_keras(keras, float64, rng):
    x, y = _data("sparse", rng, 9, 4, 3, "float64")
    model = dense_model([4, 5, 3], ["tanh", "softmax"], seed=11)
    twin = keras_twin(keras, model)
    for m, opt in ((model, nnlite.optimizers.SGD(0.2)), (twin, keras.optimizers.SGD(0.2))):
        m.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert_close(model.train_on_batch(x, y), twin.train_on_batch(x, y), RTOL["float64"], "train_on_batch")
    assert_close(model.test_on_batch(x, y), twin.test_on_batch(x, y), RTOL["float64"], "test_on_batch")
    assert_close(model.predict_on_batch(x), twin.predict_on_batch(x), RTOL["float64"], "predict_on_batch")
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "accuracy"}


def test_shuffled_fit_is_reproducible_from_a_seed(rng):
    x, y = _data("regression", rng, 40, 3, 1, "float32")
    weights = None
    results = []
    try:
        for _ in range(2):
            nnlite.utils.set_random_seed(42)
            model = dense_model([3, 4, 1], ["relu", None], seed=1)
            if weights is None:
                weights = model.get_weights()
            model.set_weights(weights)
            model.compile(optimizer="sgd", loss="mse")
            results.append(model.fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"])
    finally:
        nnlite.utils.set_random_seed(None)
    assert results[0] == results[1]


def test_shuffling_changes_the_batches(rng):
    x, y = _data("regression", rng, 40, 3, 1, "float64")
    losses = []
    try:
        for shuffle in (False, True):
            nnlite.utils.set_random_seed(0)
            model = dense_model([3, 1], [None], seed=1)
            model.compile(optimizer=nnlite.optimizers.SGD(0.1), loss="mse")
            losses.append(model.fit(x, y, epochs=2, batch_size=8, shuffle=shuffle, verbose=0).history["loss"][-1])
    finally:
        nnlite.utils.set_random_seed(None)
    assert losses[0] != losses[1]


def test_summary_and_counts(capsys):
    model = nnlite.Sequential([nnlite.Input((64,)), nnlite.layers.Dense(32, activation="relu"),
                               nnlite.layers.Dense(10, activation="softmax")])
    assert model.count_params() == 64 * 32 + 32 + 32 * 10 + 10
    model.summary()
    text = capsys.readouterr().out
    assert "dense (Dense)" in text and "dense_1 (Dense)" in text and "(None, 10)" in text
    assert "Total params: 2,410" in text

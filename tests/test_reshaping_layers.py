"""Flatten, Reshape and Normalization against Keras 3.15: values, whole fit runs, and .keras files both ways."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import layers

from .conftest import RTOL, require
from .helpers import assert_close, with_config


@pytest.mark.parametrize("kwargs", [{}, {"invert": True}, {"mean": [1.0, -2.0, 0.5], "variance": [4.0, 0.25, 0.0]}])
def test_normalization_matches_keras(keras, float64, rng, kwargs):
    data = rng.normal(loc=3, scale=[1, 5, 0.1], size=(50, 3))
    ours, theirs = layers.Normalization(**kwargs), keras.layers.Normalization(**kwargs)
    if "mean" not in kwargs:
        ours.adapt(data)
        theirs.adapt(data)
        assert_close(ours.adapt_mean.numpy(), np.asarray(theirs.mean).ravel(), 1e-12)
        assert_close(ours.adapt_variance.numpy(), np.asarray(theirs.variance).ravel(), 1e-12)
    x = rng.normal(size=(7, 3))
    assert_close(ours(x), np.asarray(theirs(x)), RTOL["float64"])
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]


def test_normalization_over_the_last_axis_of_3d_inputs(keras, float64, rng):
    data = rng.normal(size=(20, 4, 3)) * [1.0, 2.0, 3.0]
    ours, theirs = layers.Normalization(), keras.layers.Normalization()
    ours.adapt(data)
    theirs.adapt(data)
    assert_close(ours(data[:5]), np.asarray(theirs(data[:5])), RTOL["float64"])


def _fit_pair(keras, body, twin_body, x, y, loss="mse"):
    model = nnlite.Sequential([nnlite.Input(x.shape[1:]), *body])
    twin = keras.Sequential([keras.Input(x.shape[1:]), *twin_body])
    twin.set_weights(model.get_weights())
    model.compile(nnlite.optimizers.Adam(0.01), loss)
    twin.compile(keras.optimizers.Adam(0.01), loss)
    h1 = model.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0)
    assert_close(h1.history["loss"], h2.history["loss"], RTOL["float64"], "loss")
    for a, b in zip(model.get_weights(), twin.get_weights()):
        assert_close(a, b, RTOL["float64"], "weights")
    return model, twin


def test_flatten_and_reshape_in_fit_match_keras(keras, float64, rng):
    x, y = rng.normal(size=(15, 4, 3)), rng.normal(size=(15, 2))
    body = [layers.Flatten(), layers.Dense(6, activation="tanh"), layers.Reshape((3, 2)), layers.Flatten(),
            layers.Dense(2)]
    twin_body = [keras.layers.Flatten(), keras.layers.Dense(6, activation="tanh"), keras.layers.Reshape((3, 2)),
                 keras.layers.Flatten(), keras.layers.Dense(2)]
    _fit_pair(keras, body, twin_body, x, y)
    x4 = rng.normal(size=(6, 2, 3, 4))
    first = layers.Flatten(data_format="channels_first")
    assert_close(first(x4), np.asarray(keras.layers.Flatten(data_format="channels_first")(x4)), 0)


def test_adapted_normalization_in_fit_and_files_both_ways(keras, float64, rng, tmp_path):
    require("h5py")
    x, y = rng.normal(loc=5, scale=3, size=(20, 3)), rng.normal(size=(20, 1))
    norm, twin_norm = layers.Normalization(), keras.layers.Normalization()
    norm.adapt(x)
    twin_norm.adapt(x)
    model, twin = _fit_pair(keras, [norm, layers.Dense(1)], [twin_norm, keras.layers.Dense(1)], x, y)
    model.save(tmp_path / "n.keras")
    twin.save(tmp_path / "k.keras")
    from_keras = nnlite.models.load_model(tmp_path / "k.keras")
    in_keras = keras.models.load_model(tmp_path / "n.keras")
    assert_close(from_keras.predict(x, verbose=0), np.asarray(twin.predict(x, verbose=0)), RTOL["float64"])
    assert_close(np.asarray(in_keras.predict(x, verbose=0)), model.predict(x, verbose=0), RTOL["float64"])


def _nested_pair(keras, last):
    init = nnlite.initializers.GlorotUniform(seed=2)
    inner = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(5, activation="tanh", kernel_initializer=init),
                               layers.Dense(4, kernel_initializer=init)])
    model = nnlite.Sequential([inner, layers.Dense(3, activation=last, kernel_initializer=init)])
    k_inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(4)])
    twin = keras.Sequential([k_inner, keras.layers.Dense(3, activation=last)])
    twin.set_weights(model.get_weights())
    return model, twin


@pytest.mark.parametrize(("last", "loss"), [("linear", "mse"), ("softmax", "categorical_crossentropy")])
def test_a_sequential_inside_a_sequential_trains_as_in_keras(keras, float64, rng, last, loss):
    model, twin = _nested_pair(keras, last)
    outer_softmax = nnlite.Sequential([model, layers.Softmax()]) if last == "linear" else model
    assert outer_softmax.count_params() == model.count_params()
    x, y = rng.normal(size=(12, 3)) * 3, np.eye(3)[rng.integers(0, 3, 12)]
    model.compile(nnlite.optimizers.Adam(0.02), loss, metrics=["accuracy"])
    twin.compile(keras.optimizers.Adam(0.02), loss, metrics=["accuracy"])
    h1 = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    for key in h2.history:
        assert_close(h1.history[key], h2.history[key], RTOL["float64"], key)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        assert_close(a, b, RTOL["float64"], "weights")


def test_nested_models_in_keras_files_both_ways(keras, float64, rng, tmp_path):
    require("h5py")
    model, twin = _nested_pair(keras, "softmax")
    model.compile(nnlite.optimizers.Adam(0.02), "categorical_crossentropy")
    twin.compile(keras.optimizers.Adam(0.02), "categorical_crossentropy")
    x, y = rng.normal(size=(8, 3)), np.eye(3)[rng.integers(0, 3, 8)]
    model.fit(x, y, epochs=1, verbose=0)
    twin.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "n.keras")
    twin.save(tmp_path / "k.keras")
    in_keras, from_keras = keras.models.load_model(tmp_path / "n.keras"), nnlite.models.load_model(tmp_path / "k.keras")
    assert_close(np.asarray(in_keras.predict(x, verbose=0)), model.predict(x, verbose=0), RTOL["float64"])
    assert_close(from_keras.predict(x, verbose=0), np.asarray(twin.predict(x, verbose=0)), RTOL["float64"])
    from_keras.fit(x, y, epochs=1, shuffle=False, verbose=0)  # resumes with Keras's optimizer state
    twin.fit(x, y, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(from_keras.get_weights(), twin.get_weights()):
        assert_close(a, b, RTOL["float64"], "resumed weights")


def test_the_logits_path_reaches_through_a_nested_model(keras, float64, rng):
    init = nnlite.initializers.GlorotUniform(seed=5)
    inner = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(4, activation="softmax", kernel_initializer=init)])
    model = nnlite.Sequential([inner])
    twin = keras.Sequential([keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="softmax")])])
    twin.set_weights(model.get_weights())
    model.compile(nnlite.optimizers.SGD(0.1), "categorical_crossentropy")
    twin.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    x, y = rng.normal(size=(10, 3)) * 30, np.eye(4)[rng.integers(0, 4, 10)]  # saturated: clipping would show
    h1 = model.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    assert_close(h1.history["loss"], h2.history["loss"], RTOL["float64"], "loss")
    assert max(h1.history["loss"]) > 20  # beyond what the clipped path (at most -log 1e-7 = 16.1) can give


def test_a_size_bomb_inside_a_nested_model_is_refused_before_building(tmp_path):
    require("h5py")
    inner = nnlite.Sequential([nnlite.Input((4,)), layers.Dense(3)])
    nnlite.Sequential([inner, layers.Dense(1)]).save(tmp_path / "m.keras")

    def widen(spec):
        nested = next(e for e in spec["config"]["layers"] if e["class_name"] == "Sequential")["config"]
        nested["layers"][0]["config"]["batch_shape"] = [None, 15000]
        nested["layers"][1]["config"].update(units=15000, dtype="float64")
    with pytest.raises(nnlite.saving.LoadError,
                       match=r"weight 'dense/kernel' of shape \(15000, 15000\).*refused before allocating"):
        nnlite.models.load_model(with_config(tmp_path / "m.keras", tmp_path / "bomb.keras", widen))

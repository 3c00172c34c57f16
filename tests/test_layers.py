"""Dense: shapes, forward against the formula, backward against finite differences, Input."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import layers

from .helpers import FD_FLOOR, assert_close


def test_dense_forward_is_the_formula(rng):
    layer = layers.Dense(3, activation="tanh", dtype="float64")
    x = rng.normal(size=(5, 4))
    a = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (4, 3) and bias.shape == (3,)
    assert_close(a, np.tanh(x @ kernel + bias), 1e-12)


def test_dense_backward_matches_finite_differences(rng):
    layer = layers.Dense(3, activation="softplus", dtype="float64",
                         bias_initializer=nnlite.initializers.RandomNormal(seed=1))
    x = rng.normal(size=(5, 4))
    grad_a = rng.normal(size=(5, 3))
    layer(x)
    layer.forward(x, training=True)
    grad_x = layer.backward(grad_a)

    def objective(x_, kernel, bias):
        return np.sum(grad_a * np.logaddexp(0, x_ @ kernel + bias))

    kernel, bias = layer.kernel.value, layer.bias.value
    for name, array, analytic in (("x", x, grad_x), ("kernel", kernel, layer.kernel.grad),
                                  ("bias", bias, layer.bias.grad)):
        numeric = np.empty_like(array)
        for idx in np.ndindex(array.shape):
            keep = array[idx]
            array[idx] = keep + 1e-6
            up = objective(x, kernel, bias)
            array[idx] = keep - 1e-6
            down = objective(x, kernel, bias)
            array[idx] = keep
            numeric[idx] = (up - down) / 2e-6
        assert_close(analytic, numeric, 1e-6, name, floor=FD_FLOOR)


def test_first_layer_skips_the_input_gradient(rng):
    layer = layers.Dense(2)
    layer.forward(rng.normal(size=(3, 4)).astype("float32"), training=True) if layer.built else layer(
        rng.normal(size=(3, 4)))
    layer.forward(rng.normal(size=(3, 4)).astype("float32"), training=True)
    assert layer.backward(np.ones((3, 2), "float32"), need_grad_x=False) is None
    assert layer.kernel.grad.shape == (4, 2)


def test_backward_without_training_forward_is_an_error(rng):
    layer = layers.Dense(2)
    layer(rng.normal(size=(3, 4)))
    with pytest.raises(RuntimeError, match="forward pass with training=True"):
        layer.backward(np.ones((3, 2)))


def test_inference_keeps_nothing(rng):
    layer = layers.Dense(2)
    layer(rng.normal(size=(3, 4)), training=True)
    assert layer._cache is not None
    layer(rng.normal(size=(3, 4)))
    assert layer._cache is None


def test_no_bias_and_dtype():
    layer = layers.Dense(2, use_bias=False, dtype="float64")
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["kernel"]
    assert layer.kernel.dtype == np.float64
    assert layer.count_params() == 6


def test_input_declares_shape_and_builds_model():
    inp = nnlite.Input(shape=(7,))
    assert inp.shape == (None, 7)
    model = nnlite.Sequential([inp, layers.Dense(3)])
    assert model.built and model.output_shape == (None, 3)
    legacy = nnlite.Sequential([layers.Dense(3, input_shape=(7,))])
    assert legacy.built and legacy.input_shape == (None, 7)


def test_model_builds_lazily_on_first_call(rng):
    model = nnlite.Sequential([layers.Dense(3), layers.Dense(1)])
    assert not model.built
    out = model(rng.normal(size=(2, 5)))
    assert model.built and out.shape == (2, 1) and out.dtype == np.float32
    assert model.get_weights()[0].shape == (5, 3)

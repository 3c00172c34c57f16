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
    layer.build((None, 4))
    ctx = layers.Context(training=True)
    _, saved = layer.forward(x, ctx)
    grad_x = layer.backward(saved, grad_a, ctx)

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


def test_dense_on_more_axes_maps_the_last_one(rng):
    """(batch, steps, in) -> (batch, steps, units); the kernel's gradient sums over every position."""
    layer = layers.Dense(3, activation="tanh", dtype="float64")
    x = rng.normal(size=(2, 5, 4))
    a = layer(x)
    assert a.shape == (2, 5, 3)
    ctx = layers.Context(training=True)
    _, saved = layer.forward(x, ctx)
    grad_a = rng.normal(size=a.shape)
    grad_x = layer.backward(saved, grad_a, ctx)
    flat = layers.Dense(3, activation="tanh", dtype="float64")
    flat.build((None, 4))
    flat.set_weights(layer.get_weights())
    _, flat_saved = flat.forward(x.reshape(10, 4), ctx)
    flat_grad_x = flat.backward(flat_saved, grad_a.reshape(10, 3), ctx)
    assert_close(grad_x.reshape(10, 4), flat_grad_x, 1e-12)
    assert_close(layer.kernel.grad, flat.kernel.grad, 1e-12)


def test_first_layer_skips_the_input_gradient(rng):
    layer = layers.Dense(2)
    layer.build((None, 4))
    ctx = layers.Context(training=True)
    _, saved = layer.forward(rng.normal(size=(3, 4)).astype("float32"), ctx)
    assert layer.backward(saved, np.ones((3, 2), "float32"), ctx, need_grad_x=False) is None
    assert layer.kernel.grad.shape == (4, 2)


@pytest.mark.parametrize("layer", [layers.Dense(2, activation="relu"), layers.Dropout(0.5, seed=1),
                                   layers.Activation("tanh"), layers.ReLU(max_value=2.0)],
                         ids=lambda layer: type(layer).__name__)
def test_a_forward_pass_leaves_nothing_on_the_layer(layer, rng):
    """Training state lives in what forward hands back, never on the layer."""
    x = rng.normal(size=(3, 4)).astype("float32")
    layer(x)  # built

    def state():
        return {k: v.state.numpy().tolist() if isinstance(v, nnlite.random.SeedGenerator) else v
                for k, v in vars(layer).items()}

    before = state()
    layer(x, training=True)
    layer(x)
    after = state()
    if isinstance(layer, layers.Dropout):  # its random state moves on by one draw (that is its state), nothing else
        assert after.pop("seed_generator") == [1, 1] and before.pop("seed_generator") == [1, 0]
    assert before.keys() == after.keys()
    assert all(before[k] is after[k] or before[k] == after[k] for k in before)


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

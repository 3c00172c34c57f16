"""Initialisers: the documented ranges and spreads, and reproducibility from a seed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnlite
from nnlite import initializers

from .helpers import assert_close


@pytest.mark.parametrize(("name", "limit"), [
    ("glorot_uniform", math.sqrt(6 / (200 + 300))),
    ("he_uniform", math.sqrt(6 / 200)),
    ("lecun_uniform", math.sqrt(3 / 200)),
])
def test_uniform_limits_and_variance(name, limit):
    w = initializers.get(name).__class__(seed=0)((200, 300))
    assert w.dtype == np.float32
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    assert w.var() == pytest.approx(limit**2 / 3, rel=0.02)


@pytest.mark.parametrize(("name", "std"), [
    ("glorot_normal", math.sqrt(2 / (200 + 300))),
    ("he_normal", math.sqrt(2 / 200)),
    ("lecun_normal", math.sqrt(1 / 200)),
])
def test_truncated_normal_spread(name, std):
    w = initializers.get(name).__class__(seed=0)((200, 300))
    stddev = std / initializers.TRUNCATED_STDDEV_CORRECTION
    assert np.abs(w).max() <= 2 * stddev
    assert w.std() == pytest.approx(std, rel=0.02)


def test_seeded_draws_repeat_and_generators_are_accepted():
    a = initializers.GlorotUniform(seed=3)((4, 5))
    b = initializers.GlorotUniform(seed=3)((4, 5))
    c = initializers.GlorotUniform(seed=np.random.default_rng(3))((4, 5))
    assert np.array_equal(a, b) and np.array_equal(a, c)


def test_constant_kinds():
    assert initializers.get("zeros")((2,)).tolist() == [0, 0]
    assert initializers.get("ones")((2,)).tolist() == [1, 1]
    assert initializers.Constant(0.5)((2,), "float64").tolist() == [0.5, 0.5]
    # Keras casts a Python float through float32, even for a float64 weight
    assert initializers.Constant(0.1)((1,), "float64")[0] == float(np.float32(0.1))
    r = initializers.RandomUniform(-1, 1, seed=0)((1000,))
    assert r.min() >= -1 and r.max() <= 1
    n = initializers.RandomNormal(0, 2, seed=0)((20000,))
    assert n.std() == pytest.approx(2, rel=0.03)


def test_unknown_initializer():
    with pytest.raises(ValueError, match="Unknown initializer 'glorot'. Did you mean .*Valid names: .*glorot_uniform"):
        initializers.get("glorot")


def test_functions_serve_as_initializers_and_constraints_as_in_keras(keras, float64):
    """kernel_initializer=f(shape, dtype) and kernel_constraint=c(w), plain functions, as Keras takes them:
    the same kernel at the start and after a constrained SGD step (functions were refused as initializers)."""
    def init(shape, dtype=None):
        return np.arange(np.prod(shape), dtype="float64").reshape(shape) / 10

    def build(module, clip):
        layer = module.layers.Dense(3, kernel_initializer=init, kernel_constraint=lambda w: clip(w, -0.25, 0.25))
        model = module.Sequential([module.Input((2,)), layer])
        model.compile(optimizer=module.optimizers.SGD(0.1), loss="mse")
        return model, layer

    (ours, layer), (theirs, their_layer) = build(nnlite, nnlite.ops.clip), build(keras, keras.ops.clip)
    assert_close(layer.kernel.numpy(), keras.ops.convert_to_numpy(their_layer.kernel), 1e-12, "initial kernel")
    x, y = np.ones((4, 2)), np.zeros((4, 3))
    ours.fit(x, y, epochs=1, batch_size=4, verbose=0)
    theirs.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert_close(layer.kernel.numpy(), keras.ops.convert_to_numpy(their_layer.kernel), 1e-12, "kernel after a step")
    assert float(np.max(layer.kernel.numpy())) == 0.25  # the constraint clipped it
    with pytest.raises(ValueError, match=r"returned an array of shape \(2,\); the weight's shape is \(2, 3\)"):
        nnlite.layers.Dense(3, kernel_initializer=lambda shape, dtype=None: np.zeros(2)).build((None, 2))

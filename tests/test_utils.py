"""The gradient check on every activation, every loss and multi-layer models; one-hot; seeding."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import activations

from .helpers import dense_model

LOSS_DATA = {
    "mse": "regression", "mae": "regression", "huber": "regression",
    "binary_crossentropy": "binary", "categorical_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "sparse",
}
KINKED = {"relu", "relu6", "leaky_relu", "hard_sigmoid", "hard_silu", "hard_tanh", "soft_shrink",
          "hard_shrink", "sparse_plus", "sparse_sigmoid", "elu", "selu", "celu"}


def _targets(kind, rng, n, k):
    if kind == "regression":
        return rng.normal(size=(n, k))
    if kind == "binary":
        return (rng.random((n, k)) > 0.5).astype(float)
    if kind == "categorical":
        return np.eye(k)[rng.integers(0, k, n)]
    return rng.integers(0, k, n)


@pytest.mark.parametrize("activation", [n for n in activations.names() if n not in ("glu", "threshold")])
def test_gradient_check_passes_for_every_activation(rng, activation):
    """(glu halves its input, so it is no Dense layer's activation; threshold needs its parameters: both are
    checked by finite differences in test_activations.)"""
    model = dense_model([3, 4, 2], [activation, None], seed=2)
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(scale=1.5, size=(6, 3))
    errors = nnlite.utils.check_gradients(model, x, rng.normal(size=(6, 2)))
    # kinked functions: a finite difference can straddle a kink, so allow a little more
    limit = 1e-4 if activation in KINKED else 1e-6
    assert set(errors) == {"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"}
    assert max(errors.values()) < limit, errors


@pytest.mark.parametrize("loss", list(LOSS_DATA))
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_gradient_check_passes_for_every_loss(rng, loss, output):
    kind = LOSS_DATA[loss]
    if kind in ("binary", "categorical", "sparse") and output == "linear":
        output = "sigmoid"  # probabilities needed for the clipped path
    model = dense_model([4, 5, 3], ["tanh", output], seed=4)
    model.compile(optimizer="sgd", loss=loss)
    x = rng.normal(size=(7, 4))
    errors = nnlite.utils.check_gradients(model, x, _targets(kind, rng, 7, 3),
                                          sample_weight=rng.uniform(0.5, 2, 7))
    assert max(errors.values()) < 1e-6, errors


def test_gradient_check_on_a_deep_model_and_float32_weights_restored(rng):
    model = dense_model([5, 8, 8, 6, 4], ["tanh", "gelu", "softplus", "softmax"], seed=9)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    before = model.get_weights()
    errors = nnlite.utils.check_gradients(model, rng.normal(size=(10, 5)), np.eye(4)[rng.integers(0, 4, 10)])
    assert len(errors) == 8 and max(errors.values()) < 1e-6
    after = model.get_weights()
    assert all(a.dtype == np.float32 and np.array_equal(a, b) for a, b in zip(after, before))


def test_gradient_check_catches_a_wrong_derivative(rng):
    class WrongTanh(activations.Activation):
        name = "wrong_tanh"

        def forward(self, z):
            return np.tanh(z)

        def backward(self, z, a, grad_a):
            return grad_a * (1 - a)  # should be 1 - a^2

    model = dense_model([3, 4, 1], [WrongTanh(), None], seed=1)
    model.compile(optimizer="sgd", loss="mse")
    errors = nnlite.utils.check_gradients(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 1)))
    assert errors["dense/kernel"] > 1e-2
    assert errors["dense_1/kernel"] < 1e-6


def test_to_categorical():
    assert nnlite.utils.to_categorical([0, 2, 1]).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert nnlite.utils.to_categorical([1], num_classes=4).shape == (1, 4)
    with pytest.raises(ValueError, match="out of range"):
        nnlite.utils.to_categorical([5], num_classes=3)

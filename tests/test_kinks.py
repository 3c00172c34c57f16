"""Values and gradients at kinks, ties and clip edges, where a derivative is a choice: nnlite makes
TensorFlow's choice (Keras 3.15, float64), checked by TensorFlow's own gradient tape."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite.activations import ACTIVATIONS

from .helpers import assert_close

KINKS = np.array([-6.0, -3.0, -1.5, -1.0, -0.5, -1e-300, 0.0, 1e-300, 0.5, 1.0, 1.5, 3.0, 5.0, 6.0, 7.0])


def _tape(tf, fn, *arrays):
    """fn's value and the gradient of its sum with respect to the last argument, by TensorFlow."""
    variable = tf.Variable(arrays[-1])
    with tf.GradientTape() as tape:
        value = fn(*arrays[:-1], variable)
        total = tf.reduce_sum(value)
    return np.asarray(value), tape.gradient(total, variable).numpy()


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS.classes() if n not in ("cube",)])
def test_every_activation_at_its_kinks(keras, tf, float64, name):
    keras_fn = getattr(keras.activations, name, None)
    if keras_fn is None:
        pytest.fail(f"Keras has no activation {name!r}")
    ours = nnlite.activations.Threshold(0.5, -2.0) if name == "threshold" else nnlite.activations.get(name)
    if name == "threshold":  # at the threshold itself: the default value, and no gradient
        keras_fn = lambda x, fn=keras_fn: fn(x, 0.5, -2.0)  # noqa: E731
    z = KINKS if name not in ("softmax", "log_softmax") else np.array([[0.0, 0.0, 1.0], [3.0, 3.0, 3.0]])
    z = np.append(z, z[::-1]) if name == "glu" else z  # glu halves an even axis: x1 * sigmoid(x2) at every kink
    value, grad = _tape(tf, keras_fn, z)
    a = ours.forward(z)
    assert_close(a, value, 1e-12, name)
    assert_close(ours.backward(z, a, np.ones_like(a)), grad, 1e-12, name)


@pytest.mark.parametrize("kwargs", [{"max_value": 5.0}, {"threshold": -1.0, "max_value": 5.0},
                                    {"threshold": 1.0}, {"negative_slope": 0.1, "threshold": 0.5},
                                    {"negative_slope": 0.2, "max_value": 5.0}, {"max_value": 6.0},
                                    {"negative_slope": 0.3}, {"threshold": -1.0}, {"max_value": 0.0}])
def test_relu_arguments_at_their_kinks(keras, tf, float64, kwargs):
    value, grad = _tape(tf, lambda t: keras.activations.relu(t, **kwargs), KINKS)
    ours = nnlite.activations.ReLU(**kwargs)
    a = ours.forward(KINKS)
    assert_close(a, value, 1e-12, str(kwargs))
    assert_close(ours.backward(KINKS, a, np.ones_like(KINKS)), grad, 1e-12, str(kwargs))


# (loss, y_true, y_pred) at the points where the derivative is a choice
EDGES = {
    "hinge": ([[1.0, -1.0, 1.0, 0.0]], [[1.0, -1.0, 0.5, 0.0]]),  # on the margin, inside, at 0
    "squared_hinge": ([[1.0, -1.0, 1.0]], [[1.0, -1.0, 2.0]]),
    "categorical_hinge": ([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]],
                          [[0.7, 0.2, 0.7, 0.1], [0.5, -0.5, -0.5, -0.5]]),  # tied negatives; exactly at 0
    "cosine_similarity": ([[1.0, 2.0], [1.0, 0.0], [3.0, 4.0]], [[0.0, 0.0], [1e-9, -2e-9], [3.0, 4.0]]),
    "mean_absolute_error": ([[1.0, 2.0]], [[1.0, 3.0]]),
    "huber": ([[0.0, 0.0, 0.0]], [[1.0, -1.0, 0.5]]),  # |e| = delta
    "mean_squared_logarithmic_error": ([[1.0, 1.0]], [[1e-7, 0.0]]),
    "kl_divergence": ([[0.5, 0.5, 0.0]], [[1e-7, 1.0, 0.0]]),
    "binary_crossentropy": ([[1.0, 0.0, 1.0]], [[1e-7, 1 - 1e-7, 0.0]]),
    "categorical_crossentropy": ([[0.0, 1.0, 0.0]], [[1e-7, 0.0, 1 - 1e-7]]),
    "mean_absolute_percentage_error": ([[0.0, 2.0]], [[1.0, 2.0]]),
}


@pytest.mark.parametrize("name", list(EDGES))
def test_losses_at_their_edges(keras, tf, float64, name):
    y, p = (np.array(a) for a in EDGES[name])
    value, grad = _tape(tf, lambda t, q: keras.losses.get(name)(t, q), y, p)
    loss = nnlite.losses.resolve(name)
    ours, ours_grad = loss.value_and_grad(y, p)
    assert_close(ours, np.mean(value), 1e-12, name)
    assert_close(ours_grad, grad / len(p), 1e-12, name)

"""The seed tutorial's three worked examples, through the public API.

Expected numbers are the ones the tutorial printed from Keras (float32), so they hold
to float32 precision.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnlite as keras  # drop-in: the tutorial's code with the import changed


def _one_epoch(model, x, y):
    model.fit(np.array([x]), np.array([y]), epochs=1, verbose=0)


def test_one_weight_no_bias():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1, input_dim=1, use_bias=False))
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.1), metrics=["mse"])
    model.set_weights([[[2]]])
    assert model.predict(np.array([[1]]), verbose=0)[0, 0] == pytest.approx(2.0)
    _one_epoch(model, [1], 1)
    assert model.get_weights()[0][0, 0] == pytest.approx(1.8, rel=1e-6)
    assert model.predict(np.array([[1]]), verbose=0)[0, 0] == pytest.approx(1.8, rel=1e-6)


def test_two_weights_two_epochs():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1, input_dim=1, use_bias=False))
    model.add(keras.layers.Dense(1, use_bias=False))
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.1), metrics=["mse"])
    model.set_weights([[[2]], [[3]]])
    assert model.predict(np.array([[1]]), verbose=0)[0, 0] == pytest.approx(6.0)
    _one_epoch(model, [1], 1)
    w1, w2 = (w[0, 0] for w in model.get_weights())
    assert (w1, w2) == (pytest.approx(-1.0, rel=1e-6), pytest.approx(1.0, rel=1e-6))
    assert model.predict(np.array([[1]]), verbose=0)[0, 0] == pytest.approx(-1.0, rel=1e-6)
    _one_epoch(model, [1], 1)
    w1, w2 = (w[0, 0] for w in model.get_weights())
    assert (w1, w2) == (pytest.approx(-0.6, rel=1e-6), pytest.approx(0.6, rel=1e-6))
    assert model.predict(np.array([[1]]), verbose=0)[0, 0] == pytest.approx(-0.36, rel=1e-6)


def test_sigmoid_and_bias():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1, input_dim=1, use_bias=True, activation="sigmoid"))
    model.add(keras.layers.Dense(1, use_bias=True, activation="sigmoid"))
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.1), metrics=["mse"])
    model.set_weights([[[1]], [1], [[2]], [2]])
    assert model.predict(np.array([[1]]), verbose=0)[0, 0] == pytest.approx(0.9772815, rel=1e-6)
    _one_epoch(model, [1], 2)
    w1, b1, w2, b2 = (float(np.ravel(w)[0]) for w in model.get_weights())
    assert w1 == pytest.approx(1.0009537, rel=1e-6)
    assert b1 == pytest.approx(1.0009537, rel=1e-6)
    assert w2 == pytest.approx(2.004, rel=1e-6)
    assert b2 == pytest.approx(2.0045414, rel=1e-6)
    assert model.predict(np.array([[1]]), verbose=0)[0, 0] == pytest.approx(0.97746867, rel=1e-6)


def test_hand_computed_step_equals_the_seed_formula():
    """The tutorial's chain rule, line by line, against the model's gradients (float64)."""
    keras.config.set_floatx("float64")
    try:
        x, y, w_1, b_1, w_2, b_2 = 1.0, 2.0, 1.0, 1.0, 2.0, 2.0

        def sigma(z):
            return 1 / (1 + np.exp(-z))

        a_1 = sigma(x * w_1 + b_1)
        a_2 = sigma(a_1 * w_2 + b_2)
        dC_da2 = -2 * (y - a_2)
        grad_w2 = a_1 * a_2 * (1 - a_2) * dC_da2
        grad_w1 = x * a_1 * (1 - a_1) * w_2 * a_2 * (1 - a_2) * dC_da2

        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="sigmoid"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss="mse")
        model.set_weights([[[w_1]], [b_1], [[w_2]], [b_2]])
        model.loss_and_gradients(np.array([[x]]), np.array([[y]]))
        kernel_1, _, kernel_2, _ = model.trainable_weights
        assert kernel_2.grad[0, 0] == pytest.approx(grad_w2, rel=1e-12)
        assert kernel_1.grad[0, 0] == pytest.approx(grad_w1, rel=1e-12)
    finally:
        keras.config.set_floatx("float32")

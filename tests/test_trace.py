"""model.trace: the numbers of one step, equal to what fit applies and to finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import layers

from .helpers import FD_FLOOR, assert_close


def _model(optimizer, last="softmax", loss="categorical_crossentropy"):
    init = nnlite.initializers.GlorotUniform(seed=5)
    model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(4, activation="tanh", kernel_initializer=init),
                               layers.Dense(3, activation=last, kernel_initializer=init)])
    model.compile(optimizer=optimizer, loss=loss)
    return model


@pytest.mark.parametrize("optimizer", [lambda: nnlite.optimizers.SGD(0.1, momentum=0.9),
                                       lambda: nnlite.optimizers.Adam(0.01)], ids=["sgd-momentum", "adam"])
@pytest.mark.parametrize(("last", "loss"), [("softmax", "categorical_crossentropy"), ("tanh", "mse")],
                         ids=["fused-softmax", "mse"])
def test_trace_update_is_the_step_fit_takes(float64, rng, optimizer, last, loss):
    model = _model(optimizer(), last, loss)
    x, y = rng.normal(size=(6, 3)), np.eye(3)[rng.integers(0, 3, 6)]
    model.fit(x, y, epochs=1, batch_size=2, verbose=0)  # optimizer state that is not zero
    before = model.get_weights()
    iterations = model.optimizer.iterations
    trace = model.trace(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))  # nothing changed
    assert model.optimizer.iterations == iterations
    model.fit(x, y, epochs=1, batch_size=6, shuffle=False, verbose=0)  # the same step, taken by fit
    expected = [after - b for after, b in zip(model.get_weights(), before)]
    traced = []
    for layer in trace.layers:
        traced += [layer["update kernel"], layer["update bias"]]
    for got, want in zip(traced, expected):
        assert_close(got, want, 1e-12)


def test_trace_gradients_match_finite_differences(float64, rng):
    model = _model(nnlite.optimizers.SGD(0.1))
    x, y = rng.normal(size=(5, 3)), np.eye(3)[rng.integers(0, 3, 5)]
    trace = model.trace(x, y)
    for layer, t in zip(model.layers, trace.layers):
        for w, key in ((layer.kernel, "kernel.grad"), (layer.bias, "bias.grad")):
            numeric = np.empty_like(w.value)
            for idx in np.ndindex(w.shape):
                keep = w.value[idx]
                w.value[idx] = keep + 1e-6
                up = model.evaluate(x, y, verbose=0)
                w.value[idx] = keep - 1e-6
                down = model.evaluate(x, y, verbose=0)
                w.value[idx] = keep
                numeric[idx] = (up - down) / 2e-6
            assert_close(t[key], numeric, 1e-6, key, floor=FD_FLOOR)


def test_trace_shows_the_chain(float64, rng):
    model = _model(nnlite.optimizers.SGD(0.1), "tanh", "mse")
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    trace = model.trace(x, y)
    first, last = trace.layers
    # z = x @ W + b and a = activation(z), delta = grad_a * f'(z), grad at the input = delta @ W.T
    assert_close(first["z"], first["x"] @ first["kernel"] + first["bias"], 1e-12)
    assert_close(last["a"], np.tanh(last["z"]), 1e-12)
    assert_close(last["grad_z"], last["grad_a"] * (1 - last["a"] ** 2), 1e-12)
    assert_close(first["grad_a"], last["grad_z"] @ last["kernel"].T, 1e-12)
    assert_close(last["kernel.grad"], last["x"].T @ last["grad_z"], 1e-12)
    text, page = repr(trace), trace._repr_html_()
    assert "x @ W + b" in text and "x.T @ grad_z" in text and "<table>" in page and "delta" in page
    with pytest.raises(KeyError, match="not traced"):
        first["nothing"]


def test_fused_trace_says_so(rng):
    model = _model(nnlite.optimizers.SGD(0.1))
    trace = model.trace(rng.normal(size=(2, 3)), np.eye(3)[[0, 2]])
    assert trace["dense_1"]["grad_a"] is None
    assert "softmax(z) - y" in repr(trace) and "from the logits" in trace.loss_equation


def test_model_html_summary():
    page = _model("sgd")._repr_html_()
    assert "<table>" in page and "dense_1 (Dense)" in page and "Total params: 31" in page


def test_trace_shows_enough_digits_for_a_hand_check(float64):
    # 1 + 2**-10 - 2**-20 = 1.0009756088256836: rounded to 4 decimals it would read 1.001
    model = nnlite.Sequential([nnlite.Input((1,)), nnlite.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.set_weights([np.array([[1.0 + 2.0 ** -10 - 2.0 ** -20]]), np.array([0.0])])
    trace = model.trace(np.array([[1.0]]), np.array([[0.0]]))
    assert "1.0009756" in repr(trace) and "1.0009756" in trace._repr_html_()
    page = trace._repr_html_()
    assert page.count("white-space:nowrap") >= 3 * len(trace.layers[0].rows)  # symbol, shape, values cells

"""w <- w - a @ b in one gemm (nnlite.blas), and plain SGD's step for Dense kernels taken that way inside fit's
backward pass: the numbers of the product-then-subtraction and of fit's general path, bit for bit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnlite
from nnlite import blas

from .conftest import RTOL
from .helpers import assert_close, dense_model, keras_twin


def _operands(rng, dtype, m=256, k=32, n=160):
    """w (m, n) above WORTH_IT, a = x.T as Dense's backward passes it, b (k, n) C-ordered."""
    x = rng.normal(size=(k, m)).astype(dtype)
    b = (rng.normal(size=(k, n)) * 1e-2).astype(dtype)
    w = rng.normal(size=(m, n)).astype(dtype)
    return w, x.T, b


def test_numpys_own_blas_is_found_where_numpy_ships_scipy_openblas():
    """The wheels this project installs bring scipy-openblas: the gemm is found there (the tests below then
    reach it), and only there."""
    name = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {}).get("name")
    for dtype in (np.float32, np.float64):
        assert (blas._gemm(np.dtype(dtype)) is not None) == (name == "scipy-openblas")
    assert blas._gemm(np.dtype(np.float16)) is None and blas._gemm(np.dtype(np.int64)) is None


@pytest.mark.parametrize("beta", [1.0, float(np.float32(0.9))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["x.T", "C", "b.T"])
def test_the_update_equals_the_product_then_the_subtraction(rng, dtype, layout, beta):
    """w <- beta w - a @ b: NumPy's w * beta, then minus NumPy's product, to the last bit."""
    w, a, b = _operands(rng, dtype)
    if layout == "C":
        a = np.ascontiguousarray(a)
    elif layout == "b.T":
        b = np.asfortranarray(b)
    expected = w * w.dtype.type(beta) - a @ b
    calls = []
    real = blas._call
    try:
        blas._call = lambda *args: calls.append(real(*args)) or calls[-1]
        blas.subtract_product(w, a, b, beta)
    finally:
        blas._call = real
    np.testing.assert_array_equal(w, expected)
    if blas._gemm(np.dtype(dtype)) is not None:
        assert calls == [True]  # through gemm, not the fallback


def test_small_odd_and_empty_operands_take_the_product_and_subtraction(rng):
    """Below WORTH_IT entries, strided operands, mixed dtypes, an empty batch: the same numbers, no gemm."""
    cases = []
    w, a, b = _operands(rng, "float32", m=8, k=4, n=8)  # 64 entries
    cases.append((w, a, b))
    w, a, b = _operands(rng, "float32")
    cases.append((w.copy(), a[:, ::2], b[::2]))  # every other row of the batch: neither C- nor F-ordered
    cases.append((w.copy(), a.astype("float64"), b))
    cases.append((w.copy(), a[:, :0], b[:0]))  # no rows at all: w stays
    for w, a, b in cases:
        expected = (w - a @ b).astype(w.dtype)  # in place: computed in the wider dtype, stored in w's
        blas.subtract_product(w, a, b)
        np.testing.assert_array_equal(w, expected)
    with pytest.raises(ValueError, match=r"w \(m, n\), a \(m, k\) and b \(k, n\); got w \(256, 160\)"):
        blas.subtract_product(np.zeros((256, 160)), np.zeros((256, 3)), np.zeros((4, 160)))


def test_without_numpys_blas_the_fallback_gives_the_same_numbers(rng, monkeypatch):
    w, a, b = _operands(rng, "float32")
    expected = w.copy()
    blas.subtract_product(expected, a, b)
    monkeypatch.setattr(blas, "_gemm", lambda dtype: None)
    blas.subtract_product(w, a, b)
    np.testing.assert_array_equal(w, expected)


def test_only_sgd_without_nesterov_clipping_decay_averages_or_constraints_steps_inside():
    """inside_targets: (w, 1) for plain descent, (m, mu) with momentum, None otherwise."""
    variables = [nnlite.Variable(np.zeros((2, 2)))]
    constrained = [nnlite.Variable(np.zeros((2, 2)), constraint=nnlite.constraints.NonNeg())]

    class MySGD(nnlite.optimizers.SGD):
        pass

    plain = nnlite.optimizers.SGD(0.1)
    [(t, beta)] = plain.inside_targets(variables)
    assert t is variables[0].value and beta == 1.0
    heavy = nnlite.optimizers.SGD(0.1, momentum=0.9)
    heavy.build(variables)
    [(t, beta)] = heavy.inside_targets(variables)
    momentum = [v for v in heavy.variables if v.value.shape == (2, 2)]  # its one slot
    assert len(momentum) == 1 and t is momentum[0].value and beta == float(np.float32(0.9))  # mu as Keras casts it
    for optimizer, held in [(nnlite.optimizers.SGD(0.1, momentum=0.9, nesterov=True), variables),
                            (MySGD(0.1), variables), (nnlite.optimizers.SGD(0.1, weight_decay=0.01), variables),
                            (nnlite.optimizers.SGD(0.1, clipnorm=1.0), variables),
                            (nnlite.optimizers.SGD(0.1, use_ema=True), variables),
                            (nnlite.optimizers.SGD(0.1), constrained), (nnlite.optimizers.Adam(), variables)]:
        assert optimizer.inside_targets(held) is None, optimizer


class _GeneralSGD(nnlite.optimizers.SGD):
    """No shortcut: the optimizer's general step, after backward wrote every gradient."""


class _MyDense(nnlite.layers.Dense):
    """A Dense of one's own: its kernel's gradient is written, never stepped inside."""


def _stack(dtype, first=nnlite.layers.Dense, **first_kwargs):
    """256 -> 128 -> 256 -> 4: two kernels of WORTH_IT entries or more, the second passing grad_x back."""
    layers = nnlite.layers
    return lambda: [first(128, activation="relu", dtype=dtype, **first_kwargs),
                    layers.Dense(256, activation="relu", dtype=dtype),
                    layers.Dense(4, activation="softmax", dtype=dtype)]


def _fit(rng_seed, functional, optimizer, dtype, lr, stack, momentum=0.0, **compile_kwargs):
    rng = np.random.default_rng(rng_seed)
    x = rng.normal(size=(48, 256)).astype(dtype)
    y = np.eye(4, dtype=dtype)[rng.integers(0, 4, 48)]
    inputs = nnlite.Input((256,), dtype=dtype)
    if functional:
        out = inputs
        for layer in stack():
            out = layer(out)
        model = nnlite.Model(inputs, out)
    else:
        model = nnlite.Sequential([inputs, *stack()])
    model.set_weights([np.linspace(-0.1, 0.1, w.size).reshape(w.shape) for w in model.get_weights()])
    model.compile(optimizer(lr, momentum=momentum), "categorical_crossentropy", **compile_kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the diverging case says it stopped
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model.get_weights(), history.history["loss"]


def _counting(monkeypatch):
    calls = []
    real = blas.subtract_product
    monkeypatch.setattr(blas, "subtract_product",
                        lambda w, a, b, beta=1.0: calls.append(w.shape) or real(w, a, b, beta))
    return calls


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["plain", "diverging", "own dense", "regularized"])
def test_fit_steps_large_kernels_inside_the_product_with_the_general_paths_numbers(monkeypatch, dtype, case,
                                                                                    momentum):
    """A Sequential under plain SGD: the 256 x 128 and 128 x 256 kernels (WORTH_IT entries) step inside backward's
    product (the second after its grad_x is formed), the 256 x 4 one and the biases by the step; weights and losses
    equal those of a functional model with an SGD subclass (every gradient written, the general step), bit for bit.
    With momentum mu the product updates the momentum, m <- mu m - x.T @ (lr dL/dz), and the step adds it. A loss that
    diverges stops fit before that batch's step, inside the product too; a Dense subclass's kernel takes the step,
    and so does every kernel of a model with a weight penalty (its gradient joins after backward)."""
    lr, stack = 0.2, _stack(dtype)
    if case == "diverging":
        lr = 1e25  # the loss overflows to inf after the first steps
    elif case == "own dense":
        stack = _stack(dtype, _MyDense)
    elif case == "regularized":
        stack = _stack(dtype, kernel_regularizer="l2")
    calls = _counting(monkeypatch)
    weights, loss = _fit(0, False, nnlite.optimizers.SGD, dtype, lr, stack, momentum)
    stepped_inside = list(calls)
    expected_weights, expected_loss = _fit(0, True, _GeneralSGD, dtype, lr, stack, momentum)
    assert len(calls) == len(stepped_inside)  # the general path never steps inside
    np.testing.assert_array_equal(loss, expected_loss)
    for w, expected in zip(weights, expected_weights):
        np.testing.assert_array_equal(w, expected)
    if case == "plain":  # backward from the last layer, 3 batches, 2 epochs; the small kernel not
        assert stepped_inside == [(128, 256), (256, 128)] * 6
    elif case == "diverging":
        assert not np.isfinite(loss[-1]) and 0 < len(stepped_inside) < 12
    elif case == "own dense":
        assert stepped_inside == [(128, 256)] * 6
    else:
        assert stepped_inside == []


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_fit_with_steps_inside_the_product_matches_keras(keras, floatx, monkeypatch, momentum):
    """256-128-256-4 trained by SGD (plain and with momentum 0.9) in Keras and nnlite from the same weights: the
    losses of three epochs and the weights after them agree to the suite's tolerance, with both large kernels
    stepped inside the product at every batch."""
    rng = np.random.default_rng(5)
    ours = dense_model([256, 128, 256, 4], ["relu", "relu", "softmax"])
    theirs = keras_twin(keras, ours)
    x = rng.normal(size=(64, 256)).astype(floatx)
    y = np.eye(4, dtype=floatx)[rng.integers(0, 4, 64)]
    theirs.compile(keras.optimizers.SGD(0.05, momentum=momentum), "categorical_crossentropy")
    ours.compile(nnlite.optimizers.SGD(0.05, momentum=momentum), "categorical_crossentropy")
    calls = _counting(monkeypatch)
    expected = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history["loss"]
    loss = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history["loss"]
    assert calls == [(128, 256), (256, 128)] * 12  # 4 batches, 3 epochs
    assert_close(loss, expected, RTOL[floatx], "loss")
    for w, e in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(w, e, RTOL[floatx], "weights after the fit")

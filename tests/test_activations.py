"""Activations: values and vector-Jacobian products against Keras 3, and by finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import activations

from .conftest import RTOL
from .helpers import FD_FLOOR, assert_close

# (nnlite name, keyword arguments): every activation, and the parameterised ones twice.
CASES = [(name, {}) for name in activations.names() if name != "threshold"] + [
    ("threshold", {"threshold": 0.5, "default_value": -1.0}),
    ("glu", {"axis": 0}),
    ("relu", {"negative_slope": 0.1}),
    ("relu", {"max_value": 2.5}),
    ("relu", {"threshold": 0.5}),
    ("relu", {"negative_slope": 0.1, "max_value": 4.0, "threshold": 0.5}),
    ("leaky_relu", {"negative_slope": 0.3}),
    ("elu", {"alpha": 0.5}),
    ("celu", {"alpha": 2.0}),
    ("gelu", {"approximate": True}),
    ("squareplus", {"b": 2.0}),
    ("soft_shrink", {"threshold": 0.3}),
    ("hard_shrink", {"threshold": 0.3}),
    ("softmax", {"axis": 0}),
    ("log_softmax", {"axis": 0}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" if kw else n for n, kw in CASES]


def _inputs(rng, dtype):
    z = rng.normal(scale=2.5, size=(16, 6))  # an even last axis: glu halves it
    return z.astype(dtype)


def _nnlite(name, kwargs):
    if name == "threshold":  # its parameters have no defaults
        return activations.Threshold(**kwargs)
    f = activations.get(name)
    return type(f)(**{**f.params, **kwargs}) if kwargs else f


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_values_and_gradients_match_keras(keras, tf, floatx, rng, name, kwargs):
    z = _inputs(rng, floatx)
    keras_f = keras.activations.get(name)
    z_var = tf.Variable(z)
    with tf.GradientTape() as tape:
        a_keras = keras_f(z_var, **kwargs)
        grad_a = rng.normal(size=tuple(a_keras.shape)).astype(floatx)  # glu's output is half its input
        weighted = tf.reduce_sum(a_keras * grad_a)
    grad_keras = tape.gradient(weighted, z_var).numpy()

    f = _nnlite(name, kwargs)
    a = f(z)
    grad_z = f.backward(z, a, grad_a)
    assert a.dtype == np.dtype(floatx) and grad_z.dtype == np.dtype(floatx)
    assert_close(a, a_keras.numpy(), RTOL[floatx], f"{name} values")
    assert_close(grad_z, grad_keras, RTOL[floatx], f"{name} gradient")


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_backward_matches_finite_differences(rng, name, kwargs):
    z = _inputs(rng, np.float64)
    f = _nnlite(name, kwargs)
    grad_a = rng.normal(size=f(z).shape)
    grad_z = f.backward(z, f(z), grad_a)
    h = 1e-6
    numeric = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = np.sum(grad_a * (f(up) - f(down))) / (2 * h)
    assert_close(grad_z, numeric, 1e-6, name, floor=FD_FLOOR)


def test_call_with_keywords_is_a_new_parameterisation():
    z = np.array([-3.0, -1.0, 0.5, 5.0, 9.0])
    assert activations.relu(z, max_value=6.0).tolist() == [0.0, 0.0, 0.5, 5.0, 6.0]
    assert activations.relu(z, negative_slope=0.5).tolist() == [-1.5, -0.5, 0.5, 5.0, 9.0]
    assert activations.relu.max_value is None  # the shared instance is unchanged


def test_get_accepts_name_instance_callable_and_none():
    assert activations.get("swish") == activations.silu and activations.get("relu") != activations.relu6
    assert activations.get(activations.tanh) is activations.tanh
    assert activations.get(None) is activations.linear
    cube = activations.get(lambda z: z**3)
    z = np.array([[1.0, -2.0]])
    assert_close(cube.backward(z, cube(z), np.ones_like(z)), 3 * z**2, 1e-15)  # by the tape: exact


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown activation 'relu7'.*sigmoid.*tanh"):
        activations.get("relu7")
    with pytest.raises(TypeError, match="activation must be"):
        activations.get(3)


def test_extreme_inputs_stay_finite_without_warnings():
    z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name in ("sigmoid", "softplus", "log_sigmoid", "silu", "mish", "softmax", "log_softmax",
                     "tanh", "elu", "selu", "celu"):
            f = activations.get(name)
            a = f(z)
            assert np.all(np.isfinite(a)), name
            assert np.all(np.isfinite(f.backward(z, a, np.ones_like(z)))), name


def test_integer_input_becomes_floatx():
    assert activations.sigmoid([0, 1]).dtype == np.dtype(nnlite.config.floatx())


EDGES = [0.0, -0.0, 1e-30, -1e-30, 0.5, -0.5, 3.0, -3.0, 88.0, -88.0, 1e30, -1e30, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("slope", [0.01, 0.2, 1.0, 1.5])
def test_branch_free_leaky_relu_picks_what_a_select_picks(dtype, slope):
    """The max/min forms of "z if z > 0 else slope z" and of its slope equal np.where bit for bit,
    at zeros of both signs, infinities and NaN."""
    z = np.array(EDGES, dtype=dtype).reshape(3, 5)
    act = activations.LeakyReLU(negative_slope=slope)
    s = float(np.float32(slope))  # TensorFlow's float32 attribute
    expected = np.where(z > 0, z, dtype(s) * z)
    assert np.array_equal(act.forward(z), expected, equal_nan=True)
    assert np.array_equal(np.signbit(act.forward(z)), np.signbit(expected))
    grad = np.arange(1, 16, dtype=dtype).reshape(3, 5)
    assert np.array_equal(act.backward(z, act.forward(z), grad), grad * np.where(z > 0, 1, s).astype(dtype))
    relu = activations.ReLU(negative_slope=slope)
    assert np.array_equal(relu.forward(z), expected, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_branch_free_sigmoid_and_relu_equal_the_select_forms(dtype):
    z = np.array(EDGES, dtype=dtype).reshape(3, 5)
    e = np.exp(-np.abs(z))
    select = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    assert np.array_equal(activations.sigmoid.forward(z), select, equal_nan=True)
    assert np.array_equal(activations.relu.forward(z), np.maximum(z, 0), equal_nan=True)
    assert activations.relu.forward(np.float32(-2.0)) == 0  # a scalar z, too


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha", [1.0, 0.5, 0.0, 2.0])
def test_branch_free_elu_and_selu_equal_the_select_forms(dtype, alpha):
    z = np.array(EDGES + [1e-8, -1e-8], dtype=dtype).reshape(1, -1)
    act = activations.ELU(alpha=alpha)
    expected = np.where(z > 0, z, alpha * (np.exp(np.minimum(z, 0)) - 1))
    a = act.forward(z)
    assert np.array_equal(a, expected, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(expected))
    grad = np.linspace(1, 2, z.size, dtype=dtype).reshape(z.shape)
    assert np.array_equal(act.backward(z, a, grad), grad * np.where(z > 0, 1, a + alpha), equal_nan=True)
    scale, alpha_selu = activations.SELU_SCALE, activations.SELU_ALPHA
    selu = np.where(z > 0, scale * z, scale * alpha_selu * (np.exp(np.minimum(z, 0)) - 1))
    assert np.array_equal(activations.selu.forward(z), selu, equal_nan=True)

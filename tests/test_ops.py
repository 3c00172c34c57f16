"""nnlite.ops on the tape against keras.ops on TensorFlow's tape: values and gradients (float64, 1e-9),
on inputs with ties, values on bounds, zeros and repeated indices."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import ops

from .conftest import RTOL
from .helpers import assert_close

R = np.random.default_rng(7)
X = R.normal(size=(3, 4))
X[0, :2] = 0.0  # zeros (|x|, relu's kink, sign)
X[1, 0] = X[1, 1]  # a tie inside a row (max, sort)
Y = R.normal(size=(3, 4))
Y[2] = X[2]  # ties between the arguments (maximum, minimum)
POS = np.abs(R.normal(size=(3, 4))) + 0.5
UNIT = np.tanh(R.normal(size=(3, 4))) * 0.9
CLIPPED = X.copy()
CLIPPED[2, :2] = [-0.5, 0.5]  # on the clip bounds
SQ = R.normal(size=(3, 3)) + 3 * np.eye(3)

# name -> (arrays followed by the tapes, constant keyword arguments or positional constants)
CASES = {
    "negative": ([X], {}), "absolute": ([X], {}), "square": ([X], {}), "sqrt": ([POS], {}), "exp": ([X], {}),
    "expm1": ([X], {}), "log": ([POS], {}), "log1p": ([POS], {}), "log2": ([POS], {}), "log10": ([POS], {}),
    "sin": ([X], {}), "cos": ([X], {}), "tan": ([UNIT], {}), "arcsin": ([UNIT], {}), "arccos": ([UNIT], {}),
    "arctan": ([X], {}), "sinh": ([X], {}), "cosh": ([X], {}), "tanh": ([X], {}), "arcsinh": ([X], {}),
    "arccosh": ([POS + 1], {}), "arctanh": ([UNIT], {}), "reciprocal": ([POS], {}),
    "add": ([X, Y[:1]], {}), "subtract": ([X, Y], {}), "multiply": ([X, Y[:, :1]], {}), "divide": ([X, POS], {}),
    "power": ([POS, Y], {}), "maximum": ([X, Y], {}), "minimum": ([X, Y], {}), "arctan2": ([X + 0.1, POS], {}),
    "logaddexp": ([X, Y], {}), "divide_no_nan": ([X, np.where(Y > 0, Y, 0)], {}),
    "matmul": ([X, Y.T], {}), "dot": ([X, Y.T], {}), "tensordot": ([X, Y], {"axes": ([1], [1])}),
    "outer": ([X[0], Y[1]], {}), "vdot": ([X, Y], {}), "inner": ([X, Y], {}),
    "sum": ([X], {"axis": 1}), "mean": ([X], {"axis": 0, "keepdims": True}), "max": ([X], {"axis": 1}),
    "min": ([X], {"axis": 0}), "prod": ([X], {"axis": 1}), "cumsum": ([X], {"axis": 1}),
    "cumprod": ([POS], {"axis": 0}), "var": ([X], {"axis": 1}), "std": ([X + 1], {"axis": 0}),
    "logsumexp": ([X], {"axis": 1}), "clip": ([CLIPPED], {"x_min": -0.5, "x_max": 0.5}),
    "reshape": ([X], {"newshape": (2, 6)}), "transpose": ([X], {}), "expand_dims": ([X], {"axis": 1}),
    "squeeze": ([X[:, :1]], {}), "moveaxis": ([X], {"source": 0, "destination": 1}), "tile": ([X], {"repeats": (2, 1)}),
    "repeat": ([X], {"repeats": 2, "axis": 1}), "flip": ([X], {"axis": 1}), "roll": ([X], {"shift": 1, "axis": 1}),
    "pad": ([X], {"pad_width": ((1, 0), (0, 2))}), "take": ([X], {"indices": [0, 2, 2], "axis": 1}),
    "take_along_axis": ([X], {"indices": np.array([[0], [3], [3]]), "axis": 1}), "tril": ([SQ], {}),
    "triu": ([SQ], {"k": 1}), "diagonal": ([SQ], {}), "trace": ([SQ], {}), "sort": ([X], {"axis": 1}),
    "broadcast_to": ([X[:1]], {"shape": (3, 4)}), "swapaxes": ([X], {"axis1": 0, "axis2": 1}),
    "relu": ([X], {}), "relu6": ([X * 4], {}), "sigmoid": ([X], {}), "softplus": ([X], {}), "softsign": ([X], {}),
    "silu": ([X], {}), "log_sigmoid": ([X], {}), "leaky_relu": ([X], {}), "hard_sigmoid": ([X * 4], {}),
    "elu": ([X], {}), "selu": ([X], {}), "gelu": ([X], {}), "softmax": ([X], {}), "log_softmax": ([X], {"axis": 0}),
    "celu": ([X], {}), "hard_silu": ([X * 4], {}), "erf": ([X], {}), "rsqrt": ([POS], {}),
    "norm": ([X], {"axis": 1}), "normalize": ([X], {}), "inv": ([SQ], {}), "det": ([SQ], {}),
    "solve": ([SQ, Y[:, :2]], {}), "einsum": ([X, Y], {"subscripts": "ij,kj->ik"}),
    "concatenate": ([X, Y], {"axis": 1}), "stack": ([X, Y], {"axis": 1}), "where": ([X, Y], {}),
    "average": ([X], {"axis": 1, "weights": np.array([1.0, 2.0, 0.5, 0.0])}), "hypot": ([X + 0.1, Y], {}),
    "mod": ([POS * 2.5 + 0.1, POS], {}), "slice": ([X], {"start_indices": (1, 1), "shape": (2, 2)}),
    "scatter_update": ([X, Y[0, :2]], {"indices": np.array([[0, 1], [2, 3]])}),
    "segment_sum": ([X], {"segment_ids": np.array([0, 2, 0]), "num_segments": 3}),
    "binary_crossentropy": ([UNIT * 0.5 + 0.5], {"target": (Y > 0).astype(float)}),
    "categorical_crossentropy": ([POS], {"target": np.eye(4)[[0, 3, 3]]}),
    "sparse_categorical_crossentropy": ([X], {"target": np.array([0, 3, 1]), "from_logits": True}),
    "glu": ([X], {}), "repeat_flat": ([X], {"repeats": 2}),
    # an activation's settings by position, as Keras's signatures take them: ops.softmax(x, 0)
    "softmax_positional": ([X], {"settings": (0,)}), "leaky_relu_positional": ([X], {"settings": (0.05,)}),
    "elu_positional": ([X], {"settings": (0.5,)}), "gelu_positional": ([X], {"settings": (False,)}),
    "celu_positional": ([X], {"settings": (2.0,)}), "squareplus_positional": ([X], {"settings": (1.0,)}),
}
PASSED_FIRST = {"einsum"}  # the constant comes first in Keras's signature


def _call(module, name, arrays, kwargs):
    if name == "repeat_flat":  # repeat without an axis: the flattened entries, each twice
        return module.repeat(arrays[0], kwargs["repeats"])
    if name.endswith("_positional"):
        return getattr(module, name.removesuffix("_positional"))(arrays[0], *kwargs["settings"])
    if name in ("concatenate", "stack"):
        return getattr(module, name)(list(arrays), axis=kwargs["axis"])
    if name == "where":
        return module.where(X > 0, arrays[0], arrays[1])
    if name in ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"):
        return getattr(module, name)(kwargs["target"], arrays[0], **{k: v for k, v in kwargs.items() if k != "target"})
    if name == "scatter_update":
        return module.scatter_update(arrays[0], kwargs["indices"], arrays[1])
    fn = getattr(module, name)
    if name in PASSED_FIRST:
        return fn(kwargs["subscripts"], *arrays)
    if name == "clip":
        return fn(arrays[0], kwargs["x_min"], kwargs["x_max"])
    if name in ("reshape", "broadcast_to"):
        return fn(arrays[0], tuple(kwargs.values())[0])
    if name == "tile":
        return fn(arrays[0], kwargs["repeats"])
    return fn(*arrays, **kwargs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_op_and_its_gradient_equal_tensorflows(keras, tf, float64, name):
    arrays, kwargs = CASES[name]
    variables = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        tape.watch(variables)
        theirs = _call(keras.ops, name, variables, kwargs)
    seed = R.normal(size=tuple(theirs.shape))
    expected = tape.gradient(theirs, variables, output_gradients=tf.constant(seed))
    ours_vars = [nnlite.variables.Variable(a.copy(), f"v{k}") for k, a in enumerate(arrays)]
    with nnlite.GradientTape() as our_tape:
        ours = _call(ops, name, ours_vars, kwargs)
    assert isinstance(ours, nnlite.ops.Tensor)
    assert_close(ours, keras.ops.convert_to_numpy(theirs), RTOL["float64"], f"{name} value")
    grads = our_tape.gradient(ours, ours_vars, output_gradients=seed)
    for g, e in zip(grads, expected):
        assert_close(g, e.numpy(), RTOL["float64"], f"{name} gradient")


def test_ties_and_kinks_follow_tensorflow_by_construction():
    """The choices at kinks and ties, stated without TensorFlow: |x|'(0) = 0, relu'(0) = 0, a tie in maximum
    goes to the first argument, a tied max reduction shares the gradient equally."""
    x = nnlite.variables.Variable(np.array([0.0, 2.0, 2.0, -1.0]), "x")
    with nnlite.GradientTape(persistent=True) as tape:
        a, r, m = ops.sum(ops.abs(x)), ops.sum(ops.relu(x)), ops.max(x)
        mx = ops.sum(ops.maximum(x, np.array([0.0, 2.0, 3.0, -2.0])))
    assert list(tape.gradient(a, x)) == [0.0, 1.0, 1.0, -1.0]
    assert list(tape.gradient(r, x)) == [0.0, 1.0, 1.0, 0.0]
    assert list(tape.gradient(m, x)) == [0.0, 0.5, 0.5, 0.0]
    assert list(tape.gradient(mx, x)) == [1.0, 1.0, 0.0, 1.0]


def test_operators_indexing_and_numpy_calls_are_recorded():
    """Python operators, x[...], np.sum and the array methods on a followed tensor are ops; the gradient of
    every route equals the hand-derived one."""
    w = nnlite.variables.Variable(np.array([[1.0, -2.0], [3.0, 0.5]]), "w")
    x = np.array([[1.0, 2.0]])
    with nnlite.GradientTape() as tape:
        h = x @ w + 1.0  # [[8, 0]]
        loss = np.sum(h[:, 0] ** 2) + (2.0 * w.T).reshape(-1)[1] - np.mean(w)
    grad = tape.gradient(loss, w)
    expected = np.array([[16.0, 0.0], [32.0, 0.0]]) + np.array([[0.0, 0.0], [2.0, 0.0]]) - 0.25
    np.testing.assert_allclose(grad, expected)
    assert float(loss) == 64.0 + 6.0 - 0.625


def test_no_gradient_through_comparisons_rounding_and_stop_gradient():
    x = nnlite.variables.Variable(np.array([0.4, 1.6]), "x")
    with nnlite.GradientTape(persistent=True) as tape:
        rounded = ops.sum(ops.round(x))
        masked = ops.sum(ops.cast(ops.greater(x, 1.0), "float64") * 3.0)
        stopped = ops.sum(ops.stop_gradient(x) * x)
    assert tape.gradient(rounded, x) is None and tape.gradient(masked, x) is None
    np.testing.assert_allclose(tape.gradient(stopped, x), [0.4, 1.6])
    zeros = tape.gradient(rounded, x, unconnected_gradients="zero")
    assert list(zeros) == [0.0, 0.0]


def test_the_tape_refuses_what_would_corrupt_or_cut_a_gradient():
    x = nnlite.variables.Variable(np.array([1.0, 2.0]), "x")
    with nnlite.GradientTape() as tape:
        y = x * 2.0
        with pytest.raises(TypeError, match="in place"):
            y[0] = 5.0
        with pytest.raises(TypeError, match="in-place"):
            np.add(x, 1.0, out=x.value)
        with pytest.raises(TypeError, match="np.fft|cannot differentiate"):
            np.sinc(y)
        y += 1.0  # Keras's tensors are immutable: a new tensor, recorded
    assert list(tape.gradient(y, x)) == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(y, x)


def test_watched_tensors_intermediate_sources_nested_tapes_and_jacobians():
    x = ops.convert_to_tensor(np.array([1.0, 2.0, 3.0]))
    with nnlite.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with nnlite.GradientTape() as inner:
            inner.watch(x)
            h = ops.square(x)
            y = ops.sum(h * x)
        assert list(inner.gradient(y, x)) == [3.0, 12.0, 27.0]
    assert list(outer.gradient(y, h)) == [1.0, 2.0, 3.0]  # d y / d h at an op's output
    jac = outer.jacobian(h, x)
    np.testing.assert_allclose(jac, np.diag([2.0, 4.0, 6.0]))
    with nnlite.GradientTape(watch_accessed_variables=False) as quiet:
        v = nnlite.variables.Variable(np.array(2.0), "v")
        z = v * v
    assert quiet.gradient(z, v) is None and quiet.watched_variables() == []


def test_custom_gradient_and_eager_control_flow():
    @ops.custom_gradient
    def clipped_identity(x):
        def grad(upstream):
            return ops.clip(upstream, -1.0, 1.0)
        return x * 1.0, grad

    x = nnlite.variables.Variable(np.array([1.0, 2.0]), "x")
    with nnlite.GradientTape() as tape:
        y = ops.sum(clipped_identity(x) * 5.0)
        y = ops.cond(y > 0, lambda: y * 2.0, lambda: y)
        y = ops.fori_loop(0, 3, lambda i, v: v + x[0], y)
    np.testing.assert_allclose(tape.gradient(y, x), [1.0 + 3.0, 1.0])


def test_slice_update_hands_each_part_its_own_gradient():
    """TensorFlow has no gradient for it; by construction: g where each input shows, zero where it was covered."""
    x = nnlite.variables.Variable(np.arange(12.0).reshape(3, 4), "x")
    u = nnlite.variables.Variable(np.ones((2, 2)), "u")
    seed = np.arange(12.0).reshape(3, 4) + 1
    with nnlite.GradientTape() as tape:
        out = ops.slice_update(x, (1, 2), u)
    grad_x, grad_u = tape.gradient(out, [x, u], output_gradients=seed)
    expected_x = seed.copy()
    expected_x[1:3, 2:4] = 0
    assert grad_x.tolist() == expected_x.tolist() and grad_u.tolist() == seed[1:3, 2:4].tolist()


def test_normalize_of_a_zero_vector_has_tensorflows_gradient(keras, tf):
    """ops.normalize clamps 1/|x| at 1/eps; at a zero row rsqrt(0) = inf meets the minimum's unused branch, whose
    gradient is 0 (TensorFlow's), not 0 times inf: the row's gradient is Keras's (finite) and nothing warns."""
    import warnings

    x = np.array([[3.0, 4.0], [0.0, 0.0], [1e-9, 0.0]])
    c = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    xt = tf.Variable(x)
    with tf.GradientTape() as tape:
        expected = tf.reduce_sum(keras.ops.normalize(xt) * c)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with nnlite.GradientTape() as ours:
            xn = ops.convert_to_tensor(x)
            ours.watch(xn)
            total = ops.sum(ops.normalize(xn) * c)
        grad = ours.gradient(total, xn)
    np.testing.assert_allclose(float(total), float(expected), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(grad), tape.gradient(expected, xt).numpy(), rtol=1e-12)
    assert np.all(np.isfinite(np.asarray(grad)))  # the zero row: x times the clamped 1/eps, so c / eps

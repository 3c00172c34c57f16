"""Dtypes as Keras gives them: ``backend.result_type`` (the promotion lattice with Python's weak int and float),
the dtype of each op on integer, bool and float16 tensors and Python numbers, and a graph's ops on such inputs
(their symbolic dtypes and predict's arrays), each against Keras on TensorFlow run in the test."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnlite
from nnlite import promotion

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "bfloat16", "float16", "float32",
          "float64"]


def test_result_type_is_keras_for_every_pair_and_python_number(keras, floatx):
    """Every pair of dtypes and Python's int, float and bool, under both floatx (a weak result takes its
    precision: int32 * 2.5 is float32, or float64 under float64)."""
    kinds = [*DTYPES, int, float, bool]
    seen = 0
    for a, b in itertools.product(kinds, repeat=2):
        assert nnlite.backend.result_type(a, b) == keras.backend.result_type(a, b), (a, b)
        seen += 1
    for one in kinds:
        assert nnlite.backend.result_type(one) == keras.backend.result_type(one), one
    assert nnlite.backend.result_type() == keras.backend.result_type() == floatx
    assert nnlite.backend.result_type("int32", int, float) == keras.backend.result_type("int32", int, float)
    assert seen == len(kinds) ** 2


def test_the_lattice_refuses_what_it_does_not_hold():
    with pytest.raises(ValueError, match="not a valid dtype for Keras type promotion.*float32"):
        promotion.join("int32", "string")
    assert promotion.join("bool", "int8") == "int8" and promotion.join("uint8", "int8") == "int16"
    assert promotion.join("uint64", "int64") == "float"  # no integer holds both: Python's float, weak
    assert promotion.result_type("uint64", "int64") == "float32"  # ... at floatx's precision


UNARY = ["negative", "absolute", "square", "sqrt", "exp", "log", "sin", "tanh", "sign", "floor", "ceil", "round",
         "trunc", "reciprocal", "log1p", "cbrt", "sum", "mean", "max", "min", "prod", "var", "std", "argmax",
         "argmin", "cumsum", "cumprod", "isnan", "logical_not", "relu", "relu6", "sigmoid", "softmax", "elu",
         "erf", "argsort", "count_nonzero", "nonzero", "silu", "gelu"]
BINARY = ["add", "subtract", "multiply", "divide", "floor_divide", "mod", "power", "maximum", "minimum",
          "arctan2", "hypot", "greater", "equal", "matmul", "where", "concatenate", "stack", "divide_no_nan", "dot",
          "vdot", "outer", "inner", "tensordot", "append", "squareplus"]
OP_DTYPES = ["bool", "int8", "uint8", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = [2, 2.5, True]


def _value(dtype):
    return np.array([[1, 0, 2]]) > 0 if dtype == "bool" else np.array([[1, 0, 2]], dtype=dtype)


def _apply(module, name, args):
    """module.ops.<name>(*args) and the dtype it gives (None where the framework refuses those dtypes)."""
    o = module.ops
    if name == "where":
        fn = lambda a, b: o.where(np.array([[True, False, True]]), a, b)  # noqa: E731
    elif name in ("concatenate", "stack"):
        fn = lambda a, b: getattr(o, name)([a, b])  # noqa: E731
    elif name == "matmul":
        fn = lambda a, b: o.matmul(a, o.transpose(b))  # noqa: E731
    else:
        fn = getattr(o, name)
    if module is not nnlite:  # Keras's own tensors, as a Keras program holds them
        args = [a if isinstance(a, (bool, int, float)) else o.convert_to_tensor(a) for a in args]
    try:
        out = fn(*args)
    except Exception:  # noqa: BLE001 (TensorFlow's kernels refuse some dtypes, in several exception types)
        return None
    return np.asarray(o.convert_to_numpy(out)).dtype.name


def test_each_op_gives_kerass_dtype(keras):
    """Each op on each dtype, and each binary op on each pair and on a Python int, float and bool: the result's
    dtype is Keras's wherever Keras computes it (about 2,500 cases)."""
    compared, differ = 0, []
    cases = [(name, [_value(d)]) for name in UNARY for d in OP_DTYPES]
    for name in BINARY:
        for d1 in OP_DTYPES:
            others = OP_DTYPES if name in ("concatenate", "stack", "matmul") else OP_DTYPES + NUMBERS
            cases += [(name, [_value(d1), _value(d2) if isinstance(d2, str) else d2]) for d2 in others]
    with np.errstate(all="ignore"):
        for name, args in cases:
            expected = _apply(keras, name, args)
            if expected is None:
                continue
            compared += 1
            got = _apply(nnlite, name, args)
            if got != expected:
                differ.append(f"{name}{tuple(getattr(a, 'dtype', a) for a in args)}: nnlite {got}, Keras {expected}")
    assert not differ, f"{len(differ)} of {compared} differ: " + "; ".join(differ[:10])
    assert compared > 2000


def test_integer_and_float16_tensors_keep_their_dtype_through_a_graph(keras):
    """Ops in a functional graph on int32 and float16 inputs: the symbolic tensors' dtypes and predict's arrays
    (dtype and value) equal Keras's (int32 + 2 stays int32, int32 * 2.5 becomes float32, mean is a float)."""

    def build(k):
        i = k.Input((3,), dtype="int32", name="ids")
        h = k.Input((3,), dtype="float16", name="half")
        outputs = [i + 2, i * 2.5, k.ops.mean(i, axis=1), i // 2, k.ops.argmax(h, axis=1), h + 1, h * 2.0,
                   k.ops.cast(i, "float16") + h, k.ops.sum(i > 1, axis=1), k.layers.Dense(2, kernel_initializer="ones")(
                       k.ops.cast(i, "float32"))]
        return k.Model([i, h], outputs)

    ours, theirs = build(nnlite), build(keras)
    assert [t.dtype for t in ours.outputs] == [t.dtype for t in theirs.outputs]
    assert [t.dtype for t in ours.outputs][:4] == ["int32", "float32", "float32", "int32"]
    x = [np.array([[1, 2, 3], [4, 5, 7]], "int32"), np.array([[0.5, -1, 2], [3, 0.25, -2]], "float16")]
    for a, b in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_a_graph_with_integer_ops_trains_and_reloads(tmp_path, rng):
    """An int32 input counted by an op (never cast to float on its way) feeds a Dense layer that trains; the
    reloaded model gives the same dtypes and predictions."""
    ids = nnlite.Input((4,), dtype="int32")
    counts = nnlite.ops.sum(nnlite.ops.equal(ids, 3), axis=1, keepdims=True)  # int32 (batch, 1)
    assert counts.dtype == "int32"
    out = nnlite.layers.Dense(1)(nnlite.ops.cast(counts, "float32") + nnlite.ops.cast(ids, "float32"))
    model = nnlite.Model(ids, [out, counts])
    model.compile(optimizer="sgd", loss=["mse", None])
    x = rng.integers(0, 5, size=(32, 4)).astype("int32")
    model.fit(x, [rng.normal(size=(32, 1)), np.zeros((32, 1))], epochs=2, verbose=0)
    path = tmp_path / "counts.keras"
    model.save(path)
    again = nnlite.saving.load_model(path)
    for a, b in zip(model.predict(x, verbose=0), again.predict(x, verbose=0)):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.predict(x, verbose=0)[1][:, 0], (x == 3).sum(axis=1))

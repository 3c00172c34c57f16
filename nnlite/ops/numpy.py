"""``keras.ops.numpy``: the NumPy-style ops, each with its vector-Jacobian product beside it.

In the VJPs ``g`` is the gradient arriving at the output ``a``; each returns the gradient for each
argument (summed back over broadcast axes by the op machinery, see ``primitive``). Where a function has
a kink or a tie the choice is TensorFlow's, so that gradients equal Keras's there too: |x|' = sign(x)
(0 at 0), maximum hands a tie to its first argument and minimum too, clip passes the gradient on its
bounds, a max or min reduction shares it equally among tied entries.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import autodiff, config, promotion
from .primitive import binary, count, float_array, op, spread, unary

LN2, LN10 = math.log(2.0), math.log(10.0)

# -- elementwise, one argument ------------------------------------------------------------------------
negative = unary(np.negative, lambda g, a, x: [-g], "negative", "a = -x;  grad_x = -g.", integers="same")
absolute = unary(np.abs, lambda g, a, x: [g * np.sign(x)], "absolute", "a = |x|;  grad_x = g sign(x) (0 at 0).",
                 integers="same")
abs = absolute  # noqa: A001 (Keras's name)
square = unary(lambda x: np.square(x.astype(np.int32) if x.dtype.kind == "b" else x), lambda g, a, x: [2 * x * g],
               "square", "a = x^2;  grad_x = 2 x g.", integers="same")  # a bool x squares as int32
sqrt = unary(np.sqrt, lambda g, a, x: [g * 0.5 / a], "sqrt", "a = sqrt(x);  grad_x = g / (2 a).")
exp = unary(np.exp, lambda g, a, x: [g * a], "exp", "a = e^x;  grad_x = g a.")
expm1 = unary(np.expm1, lambda g, a, x: [g * (a + 1)], "expm1", "a = e^x - 1;  grad_x = g (a + 1).")
log = unary(np.log, lambda g, a, x: [g / x], "log", "a = ln x;  grad_x = g / x.")
log1p = unary(np.log1p, lambda g, a, x: [g / (1 + x)], "log1p", "a = ln(1 + x);  grad_x = g / (1 + x).")
log2 = unary(np.log2, lambda g, a, x: [g / (x * LN2)], "log2", "a = log2 x;  grad_x = g / (x ln 2).")
log10 = unary(np.log10, lambda g, a, x: [g / (x * LN10)], "log10", "a = log10 x;  grad_x = g / (x ln 10).")
sin = unary(np.sin, lambda g, a, x: [g * np.cos(x)], "sin", "a = sin x;  grad_x = g cos x.")
cos = unary(np.cos, lambda g, a, x: [-g * np.sin(x)], "cos", "a = cos x;  grad_x = -g sin x.")
tan = unary(np.tan, lambda g, a, x: [g * (1 + a * a)], "tan", "a = tan x;  grad_x = g (1 + a^2).")
arcsin = unary(np.arcsin, lambda g, a, x: [g / np.sqrt(1 - x * x)], "arcsin", "grad_x = g / sqrt(1 - x^2).")
arccos = unary(np.arccos, lambda g, a, x: [-g / np.sqrt(1 - x * x)], "arccos", "grad_x = -g / sqrt(1 - x^2).")
arctan = unary(np.arctan, lambda g, a, x: [g / (1 + x * x)], "arctan", "grad_x = g / (1 + x^2).")
sinh = unary(np.sinh, lambda g, a, x: [g * np.cosh(x)], "sinh", "a = sinh x;  grad_x = g cosh x.")
cosh = unary(np.cosh, lambda g, a, x: [g * np.sinh(x)], "cosh", "a = cosh x;  grad_x = g sinh x.")
tanh = unary(np.tanh, lambda g, a, x: [g * (1 - a * a)], "tanh", "a = tanh x;  grad_x = g (1 - a^2).")
arcsinh = unary(np.arcsinh, lambda g, a, x: [g / np.sqrt(x * x + 1)], "arcsinh", "grad_x = g / sqrt(x^2 + 1).")
arccosh = unary(np.arccosh, lambda g, a, x: [g / np.sqrt(x * x - 1)], "arccosh", "grad_x = g / sqrt(x^2 - 1).")
arctanh = unary(np.arctanh, lambda g, a, x: [g / (1 - x * x)], "arctanh", "grad_x = g / (1 - x^2).")
reciprocal = unary(np.reciprocal, lambda g, a, x: [-g * a * a], "reciprocal", "a = 1 / x;  grad_x = -g a^2.")
cbrt = unary(lambda x: np.cbrt(x.astype(np.float64) if x.dtype == np.int64 else float_array(x)),
             lambda g, a, x: [g / (3 * a * a)], "cbrt", "a = x^(1/3) (int64 in float64, as Keras's);  "
             "grad_x = g / (3 a^2).", integers="same")
# no gradient (piecewise constant): TensorFlow gives None through these
sign = unary(np.sign, None, "sign", "a = sign(x); no gradient.")
floor = unary(np.floor, None, "floor", "a = floor(x); no gradient.", integers="float")
ceil = unary(np.ceil, None, "ceil", "a = ceil(x); no gradient.", integers="float")
trunc = unary(np.trunc, None, "trunc", "a = trunc(x); no gradient.")
isnan = unary(np.isnan, None, "isnan", "Where x is NaN.")
isinf = unary(np.isinf, None, "isinf", "Where x is +-inf.")
isfinite = unary(np.isfinite, None, "isfinite", "Where x is finite.")
logical_not = unary(np.logical_not, None, "logical_not", "not x, elementwise.")


@op(None)
def round(x: Any, decimals: int = 0) -> Any:  # noqa: A001 (Keras's name)
    """x rounded half to even; no gradient."""
    return np.round(x, decimals)


# -- elementwise, two arguments (broadcasting) ----------------------------------------------------------
add = binary(np.add, lambda g, a, x1, x2: [g, g], "add", "a = x1 + x2;  grad_x1 = g, grad_x2 = g.")
subtract = binary(np.subtract, lambda g, a, x1, x2: [g, -g], "subtract", "a = x1 - x2;  grad_x1 = g, grad_x2 = -g.")
multiply = binary(np.multiply, lambda g, a, x1, x2: [g * x2, g * x1], "multiply",
                  "a = x1 x2;  grad_x1 = g x2, grad_x2 = g x1.")
divide = binary(np.true_divide, lambda g, a, x1, x2: [g / x2, g * (-np.asarray(x1) / x2 / x2)], "divide",
                "a = x1 / x2;  grad_x1 = g / x2, grad_x2 = -g x1 / x2^2.", promotion.floating)
true_divide = divide


def _power_vjp(g: Any, a: Any, x1: Any, x2: Any) -> list[Any]:
    x1 = np.asarray(x1)
    log_x1 = np.log(np.where(x1 > 0, x1, 1))  # TensorFlow's: the exponent's gradient is 0 where x1 <= 0
    return [g * x2 * np.power(x1, np.asarray(x2) - 1), g * a * log_x1]


power = binary(np.power, _power_vjp, "power", "a = x1^x2;  grad_x1 = g x2 x1^(x2-1), grad_x2 = g a ln x1 (x1 > 0).")
maximum = binary(np.maximum, lambda g, a, x1, x2: [np.where(np.greater_equal(x1, x2), g, 0),
                                                    np.where(np.greater_equal(x1, x2), 0, g)], "maximum",
                 "a = max(x1, x2);  the gradient goes to the larger, to x1 on a tie.")
minimum = binary(np.minimum, lambda g, a, x1, x2: [np.where(np.less_equal(x1, x2), g, 0),
                                                    np.where(np.less_equal(x1, x2), 0, g)], "minimum",
                 "a = min(x1, x2);  the gradient goes to the smaller, to x1 on a tie.")
deg2rad = unary(np.deg2rad, lambda g, a, x: [g * (np.pi / 180)], "deg2rad", "a = x pi / 180;  grad_x = g pi / 180.")
rad2deg = unary(np.rad2deg, lambda g, a, x: [g * (180 / np.pi)], "rad2deg", "a = x 180 / pi;  grad_x = g 180 / pi.")
exp2 = unary(np.exp2, lambda g, a, x: [g * a * LN2], "exp2", "a = 2^x;  grad_x = g a ln 2.")
signbit = unary(np.signbit, None, "signbit", "Where the sign bit of x is set (x < 0, and -0.0).")
isneginf = unary(np.isneginf, None, "isneginf", "Where x is -inf.")
isposinf = unary(np.isposinf, None, "isposinf", "Where x is +inf.")


LN2_FLOAT32 = float(np.float32(math.log(2.0)))  # TensorFlow's logaddexp2 takes ln 2 as a float32 number


def _logaddexp2(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """a = max(x1, x2) + log1p(e^(-|x1 - x2| l)) / l, l = ln 2 as TensorFlow rounds it (x1 + x2 where the
    difference is NaN)."""
    d = x1 - x2
    with np.errstate(invalid="ignore"):
        a = np.maximum(x1, x2) + np.log1p(np.exp(-np.abs(d) * LN2_FLOAT32)) / LN2_FLOAT32
    return np.where(np.isnan(d), x1 + x2, a).astype(np.result_type(x1, x2), copy=False)


def _logaddexp2_vjp(g: Any, a: Any, x1: Any, x2: Any) -> list[Any]:
    """The derivative of that expression as TensorFlow takes it: at a tie all of g goes to x1 (|d|' = 0 there)."""
    d = np.subtract(x1, x2)
    e = np.exp(-np.abs(d) * LN2_FLOAT32)
    slope = np.sign(d) * e / (1 + e)  # d log1p(e^(-|d| l)) / l / dd
    return [g * (np.greater_equal(x1, x2) - slope), g * (np.less(x1, x2) + slope)]


logaddexp2 = binary(_logaddexp2, _logaddexp2_vjp, "logaddexp2",
                    "a = log2(2^x1 + 2^x2);  grad_x1 = g 2^(x1 - a), grad_x2 = g 2^(x2 - a) (at a tie g goes to x1, "
                    "as TensorFlow's).", dtype=promotion.floating)


@op(lambda g, a, x1, x2: [g, -g * np.floor_divide(x1, x2)])
def mod(x1: Any, x2: Any) -> Any:
    """a = x1 mod x2;  grad_x1 = g, grad_x2 = -g floor(x1 / x2). A Python number counts as the int32 or float32
    tensor Keras makes of it (not as a weak type), bools as int32, as Keras's mod does."""
    dtype = promotion.result_type(promotion.tensor_dtype(x1), promotion.tensor_dtype(x2))
    dtype = "int32" if dtype == "bool" else dtype
    return np.mod(np.asarray(x1, dtype), np.asarray(x2, dtype))


arctan2 = binary(np.arctan2, lambda g, a, x1, x2: [g * x2 / (np.square(x1) + np.square(x2)),
                                                    -g * x1 / (np.square(x1) + np.square(x2))], "arctan2",
                 "a = atan2(x1, x2);  grad_x1 = g x2 / r^2, grad_x2 = -g x1 / r^2.", promotion.floating_tensors)


def _hypot_dtype(x1: Any, x2: Any) -> str:
    """Keras's hypot: integers up to 32 bits in floatx, int64 in float64, floats as promoted."""
    dtype = promotion.result_type(promotion.tensor_dtype(x1), promotion.tensor_dtype(x2))
    return "float64" if dtype == "int64" else config.floatx() if np.dtype(dtype).kind in "biu" else dtype


hypot = binary(np.hypot, lambda g, a, x1, x2: [g * x1 / a, g * x2 / a], "hypot",
               "a = sqrt(x1^2 + x2^2);  grad_xk = g xk / a.", _hypot_dtype)
floor_divide = binary(np.floor_divide, None, "floor_divide", "a = floor(x1 / x2); no gradient.")
equal = binary(np.equal, None, "equal", "x1 == x2.")
not_equal = binary(np.not_equal, None, "not_equal", "x1 != x2.")
greater = binary(np.greater, None, "greater", "x1 > x2.")
greater_equal = binary(np.greater_equal, None, "greater_equal", "x1 >= x2.")
less = binary(np.less, None, "less", "x1 < x2.")
less_equal = binary(np.less_equal, None, "less_equal", "x1 <= x2.")
logical_and = binary(np.logical_and, None, "logical_and", "x1 and x2.")
logical_or = binary(np.logical_or, None, "logical_or", "x1 or x2.")
logical_xor = binary(np.logical_xor, None, "logical_xor", "x1 xor x2.")


@op(lambda g, a, x1, x2: [np.where(np.asarray(x2) == 0, 0, g / np.where(np.asarray(x2) == 0, 1, x2)),
                          np.where(np.asarray(x2) == 0, 0, -g * a / np.where(np.asarray(x2) == 0, 1, x2))])
def divide_no_nan(x1: Any, x2: Any) -> Any:
    """a = x1 / x2, and 0 where x2 = 0 (its gradients too)."""
    dtype = promotion.floating(x1, x2)
    x1, x2 = np.asarray(x1, dtype), np.asarray(x2, dtype)
    safe = np.where(x2 == 0, 1, x2)
    return np.where(x2 == 0, 0, np.true_divide(x1, safe)).astype(dtype)


def logaddexp(x1: Any, x2: Any) -> Any:
    """a = ln(e^x1 + e^x2) = max(x1, x2) + ln(1 + e^-|x1 - x2|) (TensorFlow's form, so a tie sends the
    gradient to x1 as maximum does)."""
    delta = subtract(x1, x2)
    return add(maximum(x1, x2), log1p(exp(negative(absolute(delta)))))


@op(None)
def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Any:
    """|x1 - x2| <= atol + rtol |x2|."""
    return np.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _clip_vjp(g: Any, a: Any, x: Any, x_min: Any, x_max: Any) -> list[Any]:
    inside = (np.asarray(x) >= x_min) & (np.asarray(x) <= x_max)
    return [np.where(inside, g, 0), None, None]  # TensorFlow passes the gradient on the bounds


@op(_clip_vjp)
def clip(x: Any, x_min: Any, x_max: Any) -> Any:
    """a = min(max(x, x_min), x_max);  grad_x = g where x_min <= x <= x_max, else 0."""
    return np.clip(x, x_min, x_max)


@op(lambda g, a, condition, x1=None, x2=None: [None, np.where(condition, g, 0), np.where(condition, 0, g)])
def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """a = x1 where condition else x2 (the indices of the true entries without x1, x2)."""
    if x1 is None and x2 is None:
        return tuple(i.astype(np.int32) for i in np.nonzero(condition))
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` either both should be `None` or both should have non-None value.")
    dtype = promotion.promoted(x1, x2)
    return np.where(condition, np.asarray(x1, dtype), np.asarray(x2, dtype))


# -- products ------------------------------------------------------------------------------------------
def _matmul_vjp(g: Any, a: Any, x1: Any, x2: Any) -> list[Any]:
    x1, x2 = np.asarray(x1), np.asarray(x2)
    if x1.ndim == 1 and x2.ndim == 1:
        return [g * x2, g * x1]
    if x1.ndim == 1:  # (k,) @ (..., k, n) -> (..., n)
        return [(np.expand_dims(g, -2) @ np.swapaxes(x2, -1, -2))[..., 0, :], np.multiply.outer(x1, g)
                if x2.ndim == 2 else x1[:, None] * np.expand_dims(g, -2)]
    if x2.ndim == 1:  # (..., m, k) @ (k,) -> (..., m)
        return [g[..., None] * x2, np.swapaxes(x1, -1, -2) @ g if x1.ndim == 2 else (
            np.swapaxes(x1, -1, -2) @ g[..., None])[..., 0]]
    return [lambda: g @ np.swapaxes(x2, -1, -2), lambda: np.swapaxes(x1, -1, -2) @ g]  # each only if needed


@op(_matmul_vjp)
def matmul(x1: Any, x2: Any) -> Any:
    """a = x1 @ x2;  grad_x1 = g @ x2^T, grad_x2 = x1^T @ g (batched over leading axes). As Keras's: computed in
    a float dtype, given the promoted dtype (int8 @ int8 gives int32)."""
    compute, result = promotion.promoted(x1, x2, floating=True), promotion.promoted(x1, x2)
    if result == "int8" and np.asarray(x1).dtype == np.asarray(x2).dtype == np.int8:
        result = "int32"
    return np.matmul(np.asarray(x1, compute), np.asarray(x2, compute)).astype(result, copy=False)


@op(lambda g, a, x1, x2: _matmul_vjp(g, a, x1, x2) if np.ndim(x1) and np.ndim(x2) else [g * x2, g * x1])
def dot(x1: Any, x2: Any) -> Any:
    """a = x1 . x2 (matmul for matrices and vectors, a product for scalars), in the operands' promoted dtype."""
    x1, x2 = _as_tensors(x1, x2)
    return np.dot(x1, x2) if np.ndim(x1) and np.ndim(x2) else np.multiply(x1, x2)


@op(lambda g, a, x1, x2: [g * np.asarray(x2), g * np.asarray(x1)])
def vdot(x1: Any, x2: Any) -> Any:
    """a = sum of x1 x2 over every entry;  grad_x1 = g x2, grad_x2 = g x1."""
    x1, x2 = _as_tensors(x1, x2)
    return np.asarray(np.vdot(np.ravel(x1), np.ravel(x2)))


@op(lambda g, a, x1, x2: [(g @ np.ravel(x2)).reshape(np.shape(x1)), (np.ravel(x1) @ g).reshape(np.shape(x2))])
def outer(x1: Any, x2: Any) -> Any:
    """a_ij = x1_i x2_j (both flattened);  grad_x1 = g @ x2, grad_x2 = g^T @ x1."""
    return np.outer(*_as_tensors(x1, x2))


def inner(x1: Any, x2: Any) -> Any:
    """The sum of x1 x2 over the last axis of each (a product for scalars)."""
    if np.ndim(x1) == 0 or np.ndim(x2) == 0:
        return multiply(_tensor(x1), _tensor(x2))
    return tensordot(x1, x2, axes=([-1], [-1]))


def _tensordot_axes(x1: np.ndarray, x2: np.ndarray, axes: Any) -> tuple[list[int], list[int]]:
    if isinstance(axes, int):
        return list(range(x1.ndim - axes, x1.ndim)), list(range(axes))
    a1, a2 = axes
    a1 = [a1] if isinstance(a1, int) else list(a1)
    a2 = [a2] if isinstance(a2, int) else list(a2)
    return [a % x1.ndim for a in a1], [a % x2.ndim for a in a2]


def _tensordot_vjp(g: Any, a: Any, x1: Any, x2: Any, axes: Any = 2) -> list[Any]:
    x1, x2, g = np.asarray(x1), np.asarray(x2), np.asarray(g)
    a1, a2 = _tensordot_axes(x1, x2, axes)
    free1 = [i for i in range(x1.ndim) if i not in a1]
    free2 = [i for i in range(x2.ndim) if i not in a2]
    n1 = len(free1)
    # grad_x1: contract g's x2-part with x2's free axes, then put x1's axes back in order
    g1 = np.tensordot(g, x2, axes=(list(range(n1, g.ndim)), free2))  # (free1..., a2 order)
    order1 = free1 + a1
    grad1 = np.transpose(g1, np.argsort(order1))
    g2 = np.tensordot(x1, g, axes=(free1, list(range(n1))))  # (a1 order..., free2...)
    order2 = a2 + free2
    grad2 = np.transpose(g2, np.argsort(order2))
    return [grad1, grad2]


@op(_tensordot_vjp)
def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Any:
    """a = x1 and x2 contracted over ``axes``;  each gradient contracts g with the other operand."""
    return np.tensordot(*_as_tensors(x1, x2), axes=axes)


def _einsum_vjp(g: Any, a: Any, subscripts: str, *operands: Any) -> list[Any]:
    spec = subscripts.replace(" ", "")
    if "->" not in spec:
        raise NotImplementedError("ops.einsum is differentiated for explicit subscripts ('ij,jk->ik').")
    inputs, output = spec.split("->")
    names = inputs.split(",")
    if "." in spec or builtins.any(len(set(n)) != len(n) for n in names):
        raise NotImplementedError("ops.einsum is differentiated without '...' and repeated indices in an operand.")
    grads: list[Any] = [None]
    for k, name in enumerate(names):
        others = [n for j, n in enumerate(names) if j != k]
        rest = [o for j, o in enumerate(operands) if j != k]
        summed = [c for c in name if c not in output and not builtins.any(c in n for n in others)]
        grad = np.einsum(",".join([output, *others]) + "->" + "".join(c for c in name if c not in summed), g, *rest)
        if summed:  # an index only this operand has, summed away: its gradient is the same along it
            shape = [np.shape(operands[k])[name.index(c)] for c in name]
            grad = np.broadcast_to(np.expand_dims(grad, [name.index(c) for c in summed]), shape)
        grads.append(grad)
    return grads


@op(_einsum_vjp)
def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation;  the gradient of each operand is the einsum of g with the other operands."""
    return np.einsum(subscripts, *operands)


# -- reductions ----------------------------------------------------------------------------------------
@op(lambda g, a, x, axis=None, keepdims=False: [spread(g, x, axis, keepdims)])
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001 (Keras's name)
    """a = sum of x over ``axis``;  grad_x = g spread back over the axis. Small integers and bools add up in
    (u)int32, others in their own dtype, as Keras's sum."""
    return np.sum(x, axis=_axis(axis), keepdims=keepdims, dtype=_accumulator(x))


@op(lambda g, a, x, axis=None, keepdims=False: [spread(g, x, axis, keepdims) / count(x, axis)])
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """a = mean of x over ``axis``;  grad_x = g / n spread back over the axis."""
    return np.mean(float_array(x), axis=_axis(axis), keepdims=keepdims)


def _extreme_vjp(g: Any, a: Any, x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> list:
    """TensorFlow's: the gradient is shared equally among the entries equal to the extreme."""
    x = np.asarray(x)
    winners = (x == spread(a, x, axis, keepdims)).astype(x.dtype)
    share = winners / np.sum(winners, axis=_axis(axis), keepdims=True)
    return [share * spread(g, x, axis, keepdims)]


@op(_extreme_vjp)
def max(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:  # noqa: A001
    """a = max of x over ``axis``;  grad_x = g shared among the entries equal to a."""
    return np.max(x, axis=_axis(axis), keepdims=keepdims, **({} if initial is None else {"initial": initial}))


@op(_extreme_vjp)
def min(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:  # noqa: A001
    """a = min of x over ``axis``;  grad_x = g shared among the entries equal to a."""
    return np.min(x, axis=_axis(axis), keepdims=keepdims, **({} if initial is None else {"initial": initial}))


amax, amin = max, min


def _prod_vjp(g: Any, a: Any, x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> list:
    """grad_x_i = g * product of the other entries (exclusive products from both sides: exact at zeros)."""
    x = np.asarray(x)
    axes = tuple(range(x.ndim)) if axis is None else tuple(k % x.ndim for k in np.atleast_1d(axis))
    kept = [k for k in range(x.ndim) if k not in axes]
    moved = np.transpose(x, kept + list(axes))
    flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
    left = np.cumprod(np.concatenate([np.ones_like(flat[..., :1]), flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([np.ones_like(flat[..., :1]), np.flip(flat, -1)[..., :-1]], -1), -1), -1)
    others = (left * right).reshape(moved.shape)
    others = np.transpose(others, np.argsort(kept + list(axes)))
    return [others * spread(g, x, axis, keepdims)]


@op(_prod_vjp)
def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """a = product of x over ``axis``;  grad_x_i = g times the product of the other entries."""
    return np.prod(x, axis=_axis(axis), keepdims=keepdims, dtype=dtype or _accumulator(x))


def _cumsum_vjp(g: Any, a: Any, x: Any, axis: Any = None, dtype: Any = None) -> list:
    if axis is None:
        return [np.flip(np.cumsum(np.flip(np.ravel(g)))).reshape(np.shape(x))]
    return [np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)]


@op(_cumsum_vjp)
def cumsum(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """a_i = sum of x_j for j <= i;  grad_x_j = sum of g_i for i >= j."""
    return np.cumsum(x, axis=axis, dtype=dtype or _bool_as_int32(x))


def _cumprod_vjp(g: Any, a: Any, x: Any, axis: Any = None, dtype: Any = None) -> list:
    x = np.asarray(x)
    if axis is None:
        flat = np.flip(np.cumsum(np.flip(np.ravel(a) * np.ravel(g))))
        return [(flat / np.ravel(x)).reshape(x.shape)]
    return [np.flip(np.cumsum(np.flip(a * g, axis), axis=axis), axis) / x]  # TensorFlow's formula


@op(_cumprod_vjp)
def cumprod(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """a_i = product of x_j for j <= i;  grad_x_j = (sum over i >= j of a_i g_i) / x_j (TensorFlow's)."""
    return np.cumprod(x, axis=axis, dtype=dtype or _bool_as_int32(x))


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """mean((x - mean(x))^2) over ``axis`` (recorded as those ops); integers in float32, as Keras's."""
    if np.dtype(promotion.dtype_of(x)).kind in "biu":  # an integer tensor: no gradient to keep
        x = multiply(x, np.float32(1))  # float32, recorded in a graph
    m = mean(x, axis=axis, keepdims=True)
    return mean(square(subtract(x, m)), axis=axis, keepdims=keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """sqrt(var(x)); integers in floatx, as Keras's."""
    if np.dtype(promotion.dtype_of(x)).kind in "biu":  # an integer tensor: no gradient to keep
        x = multiply(x, np.dtype(config.floatx()).type(1))  # floatx, recorded in a graph
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def average(x: Any, axis: Any = None, weights: Any = None) -> Any:
    """sum(w x) / sum(w) over ``axis`` (the mean without weights)."""
    if weights is None:
        return mean(x, axis=axis)
    if axis is not None and np.ndim(weights) == 1 and np.ndim(x) > 1:
        shape = [1] * np.ndim(x)
        shape[axis] = -1
        weights = reshape(weights, shape)
    return divide(sum(multiply(x, weights), axis=axis), sum(multiply(ones_like(x), weights), axis=axis))


@op(None)
def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The index of the largest entry along ``axis`` (int32, as Keras's); no gradient."""
    return np.argmax(x, axis=axis, keepdims=keepdims).astype(np.int32)


@op(None)
def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The index of the smallest entry along ``axis`` (int32, as Keras's); no gradient."""
    return np.argmin(x, axis=axis, keepdims=keepdims).astype(np.int32)


@op(None)
def argsort(x: Any, axis: int = -1) -> Any:
    """The indices that sort x along ``axis`` (int32, as Keras's); no gradient."""
    return np.argsort(x, axis=axis, kind="stable").astype(np.int32)


@op(None)
def all(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Whether every entry along ``axis`` is true."""
    return np.all(x, axis=_axis(axis), keepdims=keepdims)


@op(None)
def any(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Whether some entry along ``axis`` is true."""
    return np.any(x, axis=_axis(axis), keepdims=keepdims)


@op(None)
def count_nonzero(x: Any, axis: Any = None) -> Any:
    """How many entries along ``axis`` are not zero (int32, as Keras's)."""
    return np.asarray(np.count_nonzero(x, axis=_axis(axis)), dtype=np.int32)


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _tensor(x: Any) -> Any:
    """A Python number as the tensor Keras makes of it (int32, float32, bool; no weak type); anything else as it is."""
    return np.asarray(x, promotion.tensor_dtype(x)) if type(x) in (bool, int, float) else x


def _as_tensors(x1: Any, x2: Any) -> tuple[np.ndarray, np.ndarray]:
    """x1 and x2 in their promoted dtype, a Python number taken as the tensor Keras makes of it (the products)."""
    dtype = promotion.result_type(promotion.tensor_dtype(x1), promotion.tensor_dtype(x2))
    return np.asarray(x1, dtype), np.asarray(x2, dtype)


def _accumulator(x: Any) -> Any:
    """The dtype Keras's sum and prod give: int32 for bools and small ints, uint32 for small uints, an integer's
    own dtype otherwise (NumPy would widen it to int64), None (x's own) for floats."""
    dtype = np.asarray(x).dtype
    if dtype.kind == "b" or (dtype.kind == "i" and dtype.itemsize < 4):
        return np.int32
    if dtype.kind == "u" and dtype.itemsize < 4:
        return np.uint32
    return dtype if dtype.kind in "iu" else None


def _bool_as_int32(x: Any) -> Any:
    """int32 for bools (Keras's cumsum and cumprod), else x's own dtype (NumPy would widen integers)."""
    dtype = np.asarray(x).dtype
    return np.int32 if dtype.kind == "b" else dtype if dtype.kind in "iu" else None


# -- shape ---------------------------------------------------------------------------------------------
@op(lambda g, a, x, newshape: [np.reshape(g, np.shape(x)), None])
def reshape(x: Any, newshape: Any) -> Any:
    """a = x with shape ``newshape`` (a -1 or None entry is inferred);  grad_x = g reshaped back."""
    newshape = (newshape,) if isinstance(newshape, int) else tuple(-1 if d is None else d for d in newshape)
    return np.reshape(x, newshape)


@op(lambda g, a, x, axes=None: [np.transpose(g, None if axes is None else np.argsort(axes))])
def transpose(x: Any, axes: Any = None) -> Any:
    """a = x with its axes permuted;  grad_x = g with the inverse permutation."""
    return np.transpose(x, axes)


@op(lambda g, a, x, axis: [np.reshape(g, np.shape(x)), None])
def expand_dims(x: Any, axis: Any) -> Any:
    """a = x with a new axis of length 1 at ``axis``."""
    return np.expand_dims(x, tuple(axis) if isinstance(axis, list) else axis)


@op(lambda g, a, x, axis=None: [np.reshape(g, np.shape(x))])
def squeeze(x: Any, axis: Any = None) -> Any:
    """a = x without its axes of length 1 (those in ``axis``)."""
    return np.squeeze(x, axis=_axis(axis))


@op(lambda g, a, x, source, destination: [np.moveaxis(g, destination, source), None, None])
def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """a = x with axes moved from ``source`` to ``destination``."""
    return np.moveaxis(x, source, destination)


@op(lambda g, a, x, axis1, axis2: [np.swapaxes(g, axis1, axis2), None, None])
def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """a = x with two axes swapped."""
    return np.swapaxes(x, axis1, axis2)


@op(lambda g, a, x: [np.reshape(g, np.shape(x))])
def ravel(x: Any) -> Any:
    """a = x flattened to one axis."""
    return np.ravel(x)


@op(lambda g, a, x, shape: [g, None])
def broadcast_to(x: Any, shape: Sequence[int]) -> Any:
    """a = x repeated along broadcast axes;  grad_x = g summed over them."""
    return np.broadcast_to(x, tuple(shape)).copy()


def _split_points(xs: Sequence[Any], axis: int) -> list[int]:
    return list(np.cumsum([np.shape(x)[axis] for x in xs])[:-1])


@op(lambda g, a, xs, axis=0: [np.split(g, _split_points(xs, axis), axis=axis)])
def concatenate(xs: Sequence[Any], axis: int = 0) -> Any:
    """a = the xs joined along ``axis`` (in their promoted dtype);  grad_x_k = g's slice that came from x_k."""
    return np.concatenate(list(xs), axis=axis, dtype=promotion.result_type(*{promotion.dtype_of(x) for x in xs}))


@op(lambda g, a, x, axis=0: [[np.take(g, k, axis=axis) for k in range(len(x))]])
def stack(x: Sequence[Any], axis: int = 0) -> Any:
    """a = the xs stacked along a new ``axis`` (in their promoted dtype);  grad_x_k = g's k-th slice along it."""
    return np.stack(list(x), axis=axis, dtype=promotion.result_type(*{promotion.dtype_of(v) for v in x}))


def hstack(xs: Sequence[Any]) -> Any:
    """The xs joined along axis 1 (axis 0 for vectors)."""
    return concatenate(xs, axis=0 if builtins.all(np.ndim(x) == 1 for x in xs) else 1)


def vstack(xs: Sequence[Any]) -> Any:
    """The xs joined along axis 0 (vectors become rows)."""
    return concatenate([x if np.ndim(x) > 1 else expand_dims(x, 0) for x in xs], axis=0)


def append(x1: Any, x2: Any, axis: Any = None) -> Any:
    """x2 after x1 along ``axis`` (both flattened without one; a Python number as Keras's tensor of it)."""
    x1, x2 = _tensor(x1), _tensor(x2)
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([x1, x2], axis=axis)


@op(lambda g, a, x, indices_or_sections, axis=0: [np.concatenate(g, axis=axis), None])
def split(x: Any, indices_or_sections: Any, axis: int = 0) -> Any:
    """The pieces of x cut along ``axis``;  grad_x = the pieces' gradients joined."""
    return list(np.split(np.asarray(x), indices_or_sections, axis=axis))


def _tile_vjp(g: Any, a: Any, x: Any, repeats: Any) -> list:
    x = np.asarray(x)
    reps = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    ndim = builtins.max(x.ndim, len(reps))
    shape = (1,) * (ndim - x.ndim) + x.shape
    reps = (1,) * (ndim - len(reps)) + reps
    split_shape = [s for pair in zip(reps, shape) for s in pair]
    grad = np.reshape(g, split_shape).sum(axis=tuple(range(0, 2 * ndim, 2)))
    return [grad.reshape(x.shape), None]


@op(_tile_vjp)
def tile(x: Any, repeats: Any) -> Any:
    """a = x repeated ``repeats`` times along each axis;  grad_x = g summed over the copies."""
    return np.tile(x, repeats)


def _repeat_vjp(g: Any, a: Any, x: Any, repeats: Any, axis: Any = None) -> list:
    x = np.asarray(x)
    flat = x.ravel() if axis is None else x
    ax = 0 if axis is None else axis % x.ndim
    counts = np.broadcast_to(np.asarray(repeats), (flat.shape[ax],))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    grad = np.add.reduceat(g, starts, axis=ax) if len(starts) else np.zeros_like(flat)
    grad = np.where(np.expand_dims(counts, tuple(k for k in range(flat.ndim) if k != ax)) > 0, grad, 0)
    return [grad.reshape(x.shape), None, None]


@op(_repeat_vjp)
def repeat(x: Any, repeats: Any, axis: Any = None) -> Any:
    """a = each entry of x repeated along ``axis``;  grad_x = g summed over each entry's copies."""
    return np.repeat(x, repeats, axis=axis)


@op(lambda g, a, x, axis=None: [np.flip(g, axis=_axis(axis))])
def flip(x: Any, axis: Any = None) -> Any:
    """a = x in reverse order along ``axis``;  grad_x = g reversed back."""
    return np.flip(x, axis=_axis(axis))


@op(lambda g, a, x, shift, axis=None: [np.roll(g, -np.asarray(shift), axis=_axis(axis)), None])
def roll(x: Any, shift: Any, axis: Any = None) -> Any:
    """a = x shifted cyclically by ``shift`` along ``axis``;  grad_x = g shifted back."""
    return np.roll(x, shift, axis=_axis(axis))


def _pad_vjp(g: Any, a: Any, x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> list:
    x = np.asarray(x)
    widths = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    return [g[tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, x.shape))], None]


@op(lambda g, a, x, pad_width, mode="constant", constant_values=None:
    _pad_vjp(g, a, x, pad_width) if mode == "constant" else [None, None])
def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Any:
    """a = x with ``pad_width`` entries added on each side of each axis;  grad_x = g without them."""
    kwargs = {"constant_values": 0 if constant_values is None else constant_values} if mode == "constant" else {}
    return np.pad(x, pad_width, mode=mode, **kwargs)


def _take_vjp(g: Any, a: Any, x: Any, indices: Any, axis: Any = None) -> list:
    x = np.asarray(x)
    grad = np.zeros(x.shape if axis is not None else (x.size,), dtype=np.result_type(g, x.dtype))
    idx = np.asarray(indices)
    ax = 0 if axis is None else axis % x.ndim
    moved = np.moveaxis(grad, ax, 0)
    g_moved = np.moveaxis(np.asarray(g), list(range(ax, ax + idx.ndim)), list(range(idx.ndim)))
    np.add.at(moved, idx % x.shape[ax] if axis is not None else idx % x.size, g_moved)  # repeated ids add up
    return [grad.reshape(x.shape), None]


@op(_take_vjp)
def take(x: Any, indices: Any, axis: Any = None) -> Any:
    """a = the entries of x at ``indices`` along ``axis``;  grad_x = g added back at those indices."""
    return np.take(x, np.asarray(indices).astype(np.int64), axis=axis)


def _take_along_axis_vjp(g: Any, a: Any, x: Any, indices: Any, axis: Any = None) -> list:
    x = np.asarray(x)
    grad = np.zeros_like(x, dtype=np.result_type(g, x.dtype))
    if axis is None:
        np.add.at(grad.reshape(-1), np.asarray(indices).ravel(), np.ravel(g))
        return [grad, None]
    idx = np.asarray(indices)
    grid = list(np.ix_(*[np.arange(n) for n in idx.shape]))
    grid[axis % x.ndim] = idx
    np.add.at(grad, tuple(np.broadcast_arrays(*grid)), g)
    return [grad, None]


@op(_take_along_axis_vjp)
def take_along_axis(x: Any, indices: Any, axis: Any = None) -> Any:
    """a = x picked at ``indices`` along ``axis``;  grad_x = g added back where it was picked."""
    return np.take_along_axis(np.asarray(x), np.asarray(indices).astype(np.int64), axis=axis)


def getitem_vjp(g: Any, a: Any, x: Any, key: Any) -> list:
    """The gradient of x[key]: g added back where it was taken (repeated indices add up)."""
    grad = np.zeros(np.shape(x), dtype=np.result_type(g, np.asarray(x).dtype))
    np.add.at(grad, key, g)
    return [grad, None]


@op(getitem_vjp)
def getitem(x: Any, key: Any) -> Any:
    """a = x[key] (a slice, an index, a mask);  grad_x = g put back where a came from, zeros elsewhere."""
    return np.asarray(x)[key]


@op(lambda g, a, x, k=0: [np.tril(g, k), None])
def tril(x: Any, k: int = 0) -> Any:
    """a = x with the entries above the k-th diagonal zeroed;  grad_x = g masked the same way."""
    return np.tril(x, k)


@op(lambda g, a, x, k=0: [np.triu(g, k), None])
def triu(x: Any, k: int = 0) -> Any:
    """a = x with the entries below the k-th diagonal zeroed;  grad_x = g masked the same way."""
    return np.triu(x, k)


def _diagonal_vjp(g: Any, a: Any, x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> list:
    x = np.asarray(x)
    grad = np.zeros_like(x, dtype=np.result_type(g, x.dtype))
    view = np.moveaxis(grad, (axis1, axis2), (-2, -1))
    n = a.shape[-1]
    rows = np.arange(n) + builtins.max(-offset, 0)
    cols = np.arange(n) + builtins.max(offset, 0)
    view[..., rows, cols] = g
    return [grad, None, None, None]


@op(_diagonal_vjp)
def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """a = the ``offset`` diagonal of x;  grad_x = g on that diagonal, zeros elsewhere."""
    return np.diagonal(x, offset, axis1, axis2).copy()


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The sum of the ``offset`` diagonal."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def _diag_vjp(g: Any, a: Any, x: Any, k: int = 0) -> list:
    if np.ndim(x) == 1:  # a is the matrix with x on its k-th diagonal
        return [np.diagonal(g, k), None]
    return [_diagonal_vjp(g, a, x, k)[0], None]  # a is x's k-th diagonal


@op(_diag_vjp)
def diag(x: Any, k: int = 0) -> Any:
    """A vector x made the k-th diagonal of a matrix, or a matrix's k-th diagonal as a vector."""
    return np.diag(x, k)


@op(lambda g, a, x, axis=-1: [getitem_vjp(g, a, x, _sort_key(x, axis))[0], None])
def sort(x: Any, axis: int = -1) -> Any:
    """a = x sorted along ``axis``;  grad_x = g put back where each entry came from."""
    return np.sort(x, axis=axis)


def _sort_key(x: Any, axis: int) -> tuple:
    x = np.asarray(x)
    order = np.argsort(x, axis=axis, kind="stable")
    grid = list(np.ix_(*[np.arange(n) for n in x.shape]))
    grid[axis % x.ndim] = order
    return tuple(np.broadcast_arrays(*grid))


@op(lambda g, a, x: [g])
def copy(x: Any) -> Any:
    """a = a copy of x;  grad_x = g."""
    return np.array(x, copy=True)


@op(lambda g, a, x: [g], name="real")
def real(x: Any) -> Any:
    """a = the real part of x (x itself for real numbers);  grad_x = g."""
    return np.real(x)


@op(lambda g, a, x: [g], name="conj")
def conj(x: Any) -> Any:
    """a = the complex conjugate of x (x itself for real numbers);  grad_x = g."""
    return np.conj(x)


conjugate = conj


@op(lambda g, a, x, nan=0.0, posinf=None, neginf=None: [np.where(np.isfinite(x), g, 0)])
def nan_to_num(x: Any, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
    """a = x with NaN and +-inf replaced;  grad_x = g where x was finite."""
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


# -- creation (no gradient) ----------------------------------------------------------------------------
def _dtype(dtype: Any) -> Any:
    return config.floatx() if dtype is None else dtype


@op(None, graph=False)
def zeros(shape: Any, dtype: Any = None) -> Any:
    """An array of zeros (floatx unless ``dtype``)."""
    return np.zeros(shape, dtype=_dtype(dtype))


@op(None, graph=False)
def ones(shape: Any, dtype: Any = None) -> Any:
    """An array of ones (floatx unless ``dtype``)."""
    return np.ones(shape, dtype=_dtype(dtype))


@op(None, graph=False)
def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    """An array of ``fill_value``."""
    return np.full(shape, fill_value, dtype=dtype if dtype is not None else (
        _dtype(None) if isinstance(fill_value, float) else None))


@op(None, graph=False)
def empty(shape: Any, dtype: Any = None) -> Any:
    """An array of zeros (Keras's empty; nnlite never hands back uninitialised memory)."""
    return np.zeros(shape, dtype=_dtype(dtype))


@op(None)
def zeros_like(x: Any, dtype: Any = None) -> Any:
    """Zeros of x's shape (and dtype unless given)."""
    return np.zeros_like(x, dtype=dtype)


@op(None)
def ones_like(x: Any, dtype: Any = None) -> Any:
    """Ones of x's shape (and dtype unless given)."""
    return np.ones_like(x, dtype=dtype)


@op(None)
def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Any:
    """``fill_value`` in x's shape."""
    return np.full_like(x, fill_value, dtype=dtype)


@op(None, graph=False)
def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:  # noqa: N803 (Keras's names)
    """The N x M matrix with ones on the k-th diagonal."""
    return np.eye(N, M, k, dtype=_dtype(dtype))


@op(None, graph=False)
def identity(n: int, dtype: Any = None) -> Any:
    """The n x n identity matrix."""
    return np.identity(n, dtype=_dtype(dtype))


@op(None, graph=False)
def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:  # noqa: N803
    """Ones at and below the k-th diagonal."""
    return np.tri(N, M, k, dtype=_dtype(dtype))


@op(None, graph=False)
def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Any:
    """Evenly spaced values in [start, stop)."""
    step = 1 if step is None else step
    return np.arange(start, stop, step, dtype=dtype) if stop is not None else np.arange(start, step=step, dtype=dtype)


@op(None, graph=False)
def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype: Any = None,
             axis: int = 0) -> Any:
    """``num`` evenly spaced values from start to stop."""
    return np.linspace(start, stop, num, endpoint, retstep, dtype=_dtype(dtype), axis=axis)


@op(None, graph=False)
def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10, dtype: Any = None,
             axis: int = 0) -> Any:
    """``num`` values spaced evenly on a log scale."""
    return np.logspace(start, stop, num, endpoint, base, dtype=_dtype(dtype), axis=axis)


@op(None, graph=False)
def meshgrid(*x: Any, indexing: str = "xy") -> Any:
    """Coordinate grids from coordinate vectors."""
    return list(np.meshgrid(*x, indexing=indexing))


def size(x: Any) -> int:
    """The number of entries."""
    return int(np.size(x.value if hasattr(x, "value") and not isinstance(x, np.ndarray) else x))


def ndim(x: Any) -> int:
    """The number of axes."""
    return len(np.shape(x.value if hasattr(x, "value") and not isinstance(x, np.ndarray) else x))


@op(None)
def nonzero(x: Any) -> Any:
    """The indices of the entries that are not zero, one int32 array per axis (as Keras's)."""
    return tuple(i.astype(np.int32) for i in np.nonzero(x))


OPS_ALIASES = {"abs": absolute}  # names older nnlite files used


def fliplr(x: Any) -> Any:
    """a = x with its columns (axis 1) in reverse order."""
    return flip(x, axis=1)


def flipud(x: Any) -> Any:
    """a = x with its rows (axis 0) in reverse order."""
    return flip(x, axis=0)


def rot90(array: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Any:
    """a = ``array`` turned k quarter turns in the plane of ``axes``, from the first axis towards the second
    (NumPy's rot90: a flip and a swap of the two axes per turn)."""
    first, second = axes
    k %= 4
    if k == 0:
        return array
    if k == 2:
        return flip(flip(array, axis=first), axis=second)
    turned = swapaxes(array, first, second)
    return flip(turned, axis=second) if k == 3 else flip(turned, axis=first)


def diff(a: Any, n: int = 1, axis: int = -1) -> Any:
    """d = a[1:] - a[:-1] along ``axis``, taken ``n`` times."""
    d = moveaxis(a, axis, 0)
    for _ in range(n):
        d = subtract(d[1:], d[:-1])
    return moveaxis(d, 0, axis)


def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """a = max(x) - min(x) along ``axis`` (the peak-to-peak range)."""
    return subtract(max(x, axis=axis, keepdims=keepdims), min(x, axis=axis, keepdims=keepdims))


def dstack(xs: Sequence[Any]) -> Any:
    """The tensors joined along their third axis (a vector (n,) counts as (1, n, 1), a matrix (m, n) as
    (m, n, 1))."""
    def deep(x: Any) -> Any:
        shape = np.shape(autodiff.value_of(x))
        return reshape(x, (1, shape[0], 1)) if len(shape) == 1 else reshape(x, (*shape, 1)) if len(shape) == 2 else x

    return concatenate([deep(x) for x in xs], axis=2)


def hsplit(x: Any, indices_or_sections: Any) -> Any:
    """x cut along its columns (axis 1; axis 0 for a vector)."""
    return split(x, indices_or_sections, axis=1 if len(np.shape(autodiff.value_of(x))) > 1 else 0)


def vsplit(x: Any, indices_or_sections: Any) -> Any:
    """x cut along its rows (axis 0)."""
    return split(x, indices_or_sections, axis=0)


def dsplit(x: Any, indices_or_sections: Any) -> Any:
    """x cut along its third axis."""
    return split(x, indices_or_sections, axis=2)


@op(None)
def heaviside(x1: Any, x2: Any) -> Any:
    """a = 0 where x1 < 0, x2 where x1 = 0, 1 where x1 > 0; integers give floatx (int64 float64), as Keras's."""
    dtype = promotion.result_type(promotion.dtype_of(x1), promotion.dtype_of(x2))
    dtype = config.floatx() if dtype in ("bool", "int8", "int16", "int32", "uint8", "uint16", "uint32") else \
        "float64" if dtype in ("int64", "uint64") else dtype
    return np.heaviside(np.asarray(x1, dtype), np.asarray(x2, dtype))


def _nan_free(x: Any, fill: float) -> tuple[Any, str]:
    """x with its NaN entries replaced by ``fill`` (a float x only), and x's dtype."""
    dtype = promotion.tensor_dtype(x)
    if "float" not in dtype:
        return x, dtype
    return where(isnan(x), np.asarray(fill, dtype), x), dtype


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """a = the sum of x's entries that are not NaN (bool, int8 and int16 sum in int32, as Keras's)."""
    clean, dtype = _nan_free(x, 0.0)
    wider = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32", "uint16": "uint32"}.get(dtype)
    return sum(clean if wider is None else clean.astype(wider), axis=axis, keepdims=keepdims)


def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """a = the mean of x's entries that are not NaN (NaN where a slice has none; integers give float32)."""
    dtype = promotion.tensor_dtype(x)
    if "float" not in dtype:
        return mean(np.asarray(autodiff.value_of(x)).astype("float32"), axis=axis, keepdims=keepdims)
    counted = sum(logical_not(isnan(x)).astype(dtype), axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return divide(nansum(x, axis=axis, keepdims=keepdims), counted)


def _nan_extreme(x: Any, axis: Any, keepdims: bool, largest: bool) -> Any:
    """The largest (or smallest) entry that is not NaN; NaN where a slice has none."""
    dtype = promotion.tensor_dtype(x)
    if "float" not in dtype:
        if dtype == "bool":
            return (any if largest else all)(x, axis=axis, keepdims=keepdims)
        return (max if largest else min)(x, axis=axis, keepdims=keepdims)
    clean, _ = _nan_free(x, -np.inf if largest else np.inf)
    extreme = (max if largest else min)(clean, axis=axis, keepdims=keepdims)
    none_left = all(isnan(x), axis=axis, keepdims=keepdims)
    return where(none_left, np.asarray(np.nan, dtype), extreme)


def nanmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """a = the largest entry of x that is not NaN (NaN where a slice has none)."""
    return _nan_extreme(x, axis, keepdims, largest=True)


def nanmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """a = the smallest entry of x that is not NaN (NaN where a slice has none)."""
    return _nan_extreme(x, axis, keepdims, largest=False)


def nanprod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """a = the product of x's entries that are not NaN."""
    return prod(_nan_free(x, 1.0)[0], axis=axis, keepdims=keepdims)

"""``keras.ops.math``: logsumexp, top_k, erf, rsqrt, segment sums and their vector-Jacobian products."""

from __future__ import annotations

import math as pymath
from typing import Any

import numpy as np

from .. import special
from .primitive import float_array, op, spread, unary

TWO_OVER_SQRT_PI = 2.0 / pymath.sqrt(pymath.pi)

erf = unary(lambda x: (_scipy().erf(x) if _scipy() else 1.0 - special.erfc(x)).astype(x.dtype, copy=False),
            lambda g, a, x: [g * TWO_OVER_SQRT_PI * np.exp(-np.square(x))], "erf",
            "a = erf(x);  grad_x = g 2/sqrt(pi) e^(-x^2).")
def _rsqrt_vjp(g: Any, a: Any, x: Any) -> list:
    """grad_x = -g a^3 / 2, and 0 where g is 0 (at x = 0, a = inf: a branch that minimum(rsqrt(x), 1/eps) did not
    take passes no gradient, as in TensorFlow, instead of 0 times inf)."""
    with np.errstate(invalid="ignore"):
        grad = -0.5 * g * a * a * a
    return [np.where(g == 0, 0.0, grad)]


rsqrt = unary(lambda x: 1.0 / np.sqrt(x), _rsqrt_vjp, "rsqrt",
              "a = 1 / sqrt(x);  grad_x = -g a^3 / 2 (0 where g is 0).")


def _scipy() -> Any:
    try:
        from scipy import special as scipy_special
    except ImportError:
        return None
    return scipy_special


def _logsumexp_vjp(g: Any, a: Any, x: Any, axis: Any = None, keepdims: bool = False) -> list:
    """grad_x = g e^(x - a); 0 where a = -inf (every x was -inf: nothing to share the gradient)."""
    a = spread(a, x, axis, keepdims)
    with np.errstate(invalid="ignore"):
        share = np.where(np.isneginf(a), 0.0, np.exp(np.asarray(x) - a))
    return [spread(g, x, axis, keepdims) * share]


@op(_logsumexp_vjp)
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """a = log sum e^x over ``axis`` (max-shifted; -inf where every x is -inf);  grad_x = g softmax(x) = g e^(x - a)."""
    x = float_array(x)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # log 0 = -inf for an all -inf row, as Keras gives it
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _top_k_vjp(g: list, a: Any, x: Any, k: int, sorted: bool = True) -> list:  # noqa: A002 (Keras's name)
    values_grad, _ = g
    indices = a[1]
    grad = np.zeros(np.shape(x), dtype=np.asarray(values_grad).dtype)
    np.put_along_axis(grad, indices, values_grad, axis=-1)
    return [grad, None, None]


@op(_top_k_vjp)
def top_k(x: Any, k: int, sorted: bool = True) -> Any:  # noqa: A002
    """(values, indices) of the k largest entries along the last axis (ties: the lower index first);
    grad_x = the values' gradient put back at the indices."""
    x = np.asarray(x)
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return [np.take_along_axis(x, order, axis=-1), order.astype(np.int32)]


@op(None)
def in_top_k(targets: Any, predictions: Any, k: int) -> Any:
    """Whether each target's score is among the k largest of its row (ties count, as TensorFlow's)."""
    predictions = np.asarray(predictions)
    targets = np.asarray(targets).astype(np.int64)
    score = np.take_along_axis(predictions, targets[:, None], axis=-1)
    return np.sum(predictions > score, axis=-1) < k


def _segment_vjp(g: Any, a: Any, data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False) -> list:
    return [np.asarray(g)[np.asarray(segment_ids)], None, None, None]


@op(_segment_vjp)
def segment_sum(data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False) -> Any:  # noqa: A002
    """a_s = sum of the rows of data whose segment id is s;  grad_row = g of its segment."""
    ids = np.asarray(segment_ids).astype(np.int64)
    n = int(ids.max()) + 1 if num_segments is None else num_segments
    out = np.zeros((n,) + np.shape(data)[1:], dtype=np.asarray(data).dtype)
    np.add.at(out, ids, data)
    return out


def _segment_max_vjp(g: Any, a: Any, data: Any, segment_ids: Any, num_segments: Any = None,
                     sorted: bool = False) -> list:  # noqa: A002
    ids = np.asarray(segment_ids)
    data = np.asarray(data)
    winners = (data == a[ids]).astype(data.dtype)
    counts = np.zeros_like(a)
    np.add.at(counts, ids, winners)
    return [winners / counts[ids] * np.asarray(g)[ids], None, None, None]


@op(_segment_max_vjp)
def segment_max(data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False) -> Any:  # noqa: A002
    """a_s = max of the rows whose segment id is s;  the gradient is shared among the rows equal to it."""
    ids = np.asarray(segment_ids).astype(np.int64)
    n = int(ids.max()) + 1 if num_segments is None else num_segments
    out = np.full((n,) + np.shape(data)[1:], -np.inf, dtype=np.asarray(data).dtype)
    np.maximum.at(out, ids, data)
    return out

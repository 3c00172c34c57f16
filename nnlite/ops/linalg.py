"""``keras.ops.linalg``: norms, inverse, determinant, solve and decompositions.

Norms are written with the numpy ops (so the tape differentiates them as TensorFlow does, a zero vector
giving NaN as there); ``inv``, ``det`` and ``solve`` carry their matrix VJPs:
    a = A^-1:       grad_A = -a^T g a^T
    a = det A:      grad_A = g a A^-T
    x = A^-1 b:     grad_b = A^-T g,  grad_A = -grad_b x^T
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .numpy import absolute, max, min, power, sqrt, sum
from .primitive import op


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002 (Keras's name)
    """The vector norm (``ord`` None or 2: Euclidean; inf, -inf, 0, p) over one axis, or the Frobenius norm
    over two."""
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    ndim = np.ndim(getattr(x, "value", x))
    axes = tuple(range(ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    if len(axes) == 2 and ord in (None, "fro"):
        return sqrt(sum(x * x, axis=axes, keepdims=keepdims))
    if len(axes) != 1 and not (axis is None and ord is None):
        raise NotImplementedError("ops.norm supports vector norms over one axis and the Frobenius norm over two.")
    ax = axes[0] if len(axes) == 1 else axes
    if ord is None or ord == 2:
        return sqrt(sum(x * x, axis=ax, keepdims=keepdims))
    if ord == np.inf:
        return max(absolute(x), axis=ax, keepdims=keepdims)
    if ord == -np.inf:
        return min(absolute(x), axis=ax, keepdims=keepdims)
    if ord == 0:
        return sum((np.asarray(getattr(x, "value", x)) != 0).astype(np.result_type(getattr(x, "dtype", float),
                                                                                    np.float32)),
                   axis=ax, keepdims=keepdims)
    return power(sum(power(absolute(x), float(ord)), axis=ax, keepdims=keepdims), 1.0 / ord)


@op(lambda g, a, x: [-np.swapaxes(a, -1, -2) @ g @ np.swapaxes(a, -1, -2)])
def inv(x: Any) -> Any:
    """a = x^-1;  grad_x = -a^T g a^T."""
    return np.linalg.inv(x)


@op(lambda g, a, x: [np.asarray(g * a)[..., None, None] * np.swapaxes(np.linalg.inv(x), -1, -2)])
def det(x: Any) -> Any:
    """a = det x;  grad_x = g a x^-T."""
    return np.linalg.det(x)


def _solve_vjp(g: Any, a: Any, x: Any, b: Any) -> list:
    grad_b = np.linalg.solve(np.swapaxes(x, -1, -2), g)
    vector = np.ndim(b) == np.ndim(x) - 1
    grad_x = -(grad_b[..., :, None] * a[..., None, :] if vector else grad_b @ np.swapaxes(a, -1, -2))
    return [grad_x, grad_b]


@op(_solve_vjp)
def solve(a: Any, b: Any) -> Any:
    """x with a x = b;  grad_b = a^-T g, grad_a = -grad_b x^T."""
    return np.linalg.solve(a, b)


@op(None)
def cholesky(x: Any, upper: bool = False) -> Any:
    """L with x = L L^T (U with x = U^T U if ``upper``); no gradient in nnlite."""
    low = np.linalg.cholesky(x)
    return np.swapaxes(low, -1, -2) if upper else low


@op(None)
def qr(x: Any, mode: str = "reduced") -> Any:
    """(q, r) with x = q r (float16 computed in float32, given back in float16); no gradient in nnlite."""
    x = np.asarray(x)
    if x.dtype == np.float16:
        return [part.astype(np.float16) for part in np.linalg.qr(x.astype(np.float32), mode=mode)]
    return list(np.linalg.qr(x, mode=mode))


@op(None)
def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """(u, s, v^T) with x = u diag(s) v^T; no gradient in nnlite."""
    out = np.linalg.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)
    return list(out) if compute_uv else out


@op(None)
def eigh(x: Any) -> Any:
    """(eigenvalues, eigenvectors) of a symmetric matrix; no gradient in nnlite."""
    return list(np.linalg.eigh(x))


@op(None)
def lstsq(a: Any, b: Any, rcond: Any = None) -> Any:
    """x minimising ||a x - b||; no gradient in nnlite."""
    return np.linalg.lstsq(a, b, rcond=rcond)[0]

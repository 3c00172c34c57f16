"""The output shape of an Operation node from its input shapes, without computing on data of those shapes.

A graph (or a file) may declare inputs of any size; working out a node's shape must cost next to nothing:

    elementwise, one input:   shape(f(x))        = shape(x)
    elementwise, broadcast:   shape(f(x1, x2..)) = broadcast(shape(x1), shape(x2), ...)   (None as Keras: unknown)
    anything else:            shape(op(stand-ins)), where a stand-in of shape s is one zero viewed as s (no
                              memory), and an unknown batch size stands as 0, so an op that keeps the batch
                              axis makes an empty result; only when that cannot tell (the op reduces over the
                              batch, or fails on an empty batch) is the batch taken as 1, on stand-ins of at
                              most ``limits.MAX_PROBE_ELEMENTS`` elements.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..limits import MAX_PROBE_ELEMENTS

Shape = tuple[int | None, ...]

# ops whose result has the shape of their first argument
SAME_SHAPE = frozenset("""
abs absolute arccos arccosh arcsin arcsinh arctan arctanh cbrt ceil celu conj copy cos cosh elu erf exp expm1 floor
gelu hard_shrink hard_sigmoid hard_silu hard_tanh isfinite isinf isnan leaky_relu log log10 log1p log2
log_sigmoid log_softmax logical_not mish nan_to_num negative real reciprocal relu relu6 round rsqrt selu sigmoid
sign silu sin sinh soft_shrink softmax softplus softsign sparse_plus sparse_sigmoid sqrt square squareplus tan tanh
tanh_shrink trunc cast zeros_like ones_like full_like flip roll sort argsort tril triu
""".split())
# ops whose result has the broadcast shape of their positional arguments
BROADCAST = frozenset("""
add subtract multiply divide divide_no_nan floor_divide mod power maximum minimum arctan2 hypot equal not_equal
greater greater_equal less less_equal logical_and logical_or logical_xor isclose where clip
""".split())
# ops that reduce over ``axis`` (None: every axis), keeping it as 1 with ``keepdims``
REDUCE = frozenset("all any max min mean prod sum logsumexp count_nonzero argmax argmin".split())


def reduce(shape: Shape, axis: Any, keepdims: bool) -> Shape:
    """The shape left by reducing ``shape`` over ``axis`` (an int, a list of them, or None for all)."""
    rank = len(shape)
    axes = range(rank) if axis is None else [axis] if isinstance(axis, int) else list(axis)
    if any(not isinstance(a, int) or isinstance(a, bool) or not -rank <= a < rank for a in axes):
        raise ValueError(f"axis={axis!r} is out of range for a tensor of shape {shape}.")
    axes = {a % rank for a in axes}
    return tuple(1 if i in axes else d for i, d in enumerate(shape) if keepdims or i not in axes)


def broadcast(*shapes: Shape) -> Shape:
    """NumPy's broadcasting rule with Keras's unknown sizes: 1 gives way to anything, None to a known size."""
    rank = max((len(s) for s in shapes), default=0)
    out: list[int | None] = [1] * rank
    for shape in shapes:
        for i, d in enumerate((1,) * (rank - len(shape)) + tuple(shape)):
            if d == 1:
                continue
            if out[i] == 1 or (out[i] is None and d is not None):
                out[i] = d
            elif d is not None and out[i] is not None and d != out[i]:
                raise ValueError(f"Cannot broadcast shapes {list(shapes)}: {d} against {out[i]} on axis {i}.")
    return tuple(out)


def output_shape(op: str, run: Callable[[list[Any]], Any], arguments: Callable[[list[Any]], Any],
                 shapes: list[Shape]) -> Shape:
    """The shape of ``op`` on tensors of ``shapes``; ``run(values)`` applies it to values for the tensors,
    ``arguments(values)`` binds its arguments (an ``inspect.BoundArguments``, defaults applied) with those
    values in place (see the module)."""
    if op in SAME_SHAPE:
        return tuple(shapes[0])
    bound = arguments([tuple(s) for s in shapes])
    if op in BROADCAST:
        return broadcast(*(tuple(a) if isinstance(a, tuple) else np.shape(a) for a in bound.args))
    if op in REDUCE and isinstance(bound.args[0], tuple):
        named = bound.arguments
        return reduce(bound.args[0], named.get("axis"), bool(named.get("keepdims", False)))
    batch_unknown = all(s and s[0] is None for s in shapes)
    if batch_unknown:
        try:
            outs = _shapes_of(run([_stand_in(s, 0) for s in shapes]))
        except (ValueError, IndexError, TypeError):
            outs = None
        if outs and all(out and out[0] == 0 and 0 not in out[1:] for out in outs) and all(
                0 not in s[1:] for s in shapes):
            return _one_or_several([(None, *out[1:]) for out in outs])
    size = sum(math.prod(1 if d is None else d for d in s) for s in shapes)
    if size > MAX_PROBE_ELEMENTS:
        raise ValueError(f"ops.{op} on inputs of shapes {shapes}: its output shape is found by running it on "
                         f"stand-ins, and these hold {size} elements, over the limit of {MAX_PROBE_ELEMENTS}.")
    outs = _shapes_of(run([np.zeros(tuple(1 if d is None else d for d in s)) for s in shapes]))
    return _one_or_several([((None,) + out[1:]) if batch_unknown and out and out[0] == 1 else out for out in outs])


def _shapes_of(result: Any) -> list[Shape]:
    """The shape of each array an op gave: one, or several for an op that returns a list or tuple of arrays
    (``split``, ``top_k``, ``svd``)."""
    if isinstance(result, (list, tuple)) and result and all(isinstance(r, np.ndarray) for r in result):
        return [np.shape(r) for r in result]
    return [np.shape(result)]


def _one_or_several(shapes: list[Shape]) -> Any:
    return shapes[0] if len(shapes) == 1 else list(shapes)


def _stand_in(shape: Shape, batch: int) -> np.ndarray:
    """One zero viewed as an array of ``shape`` (an unknown size as ``batch``): no memory of that size."""
    return np.broadcast_to(np.zeros(()), tuple(batch if d is None else d for d in shape))

"""How a function becomes an op of ``nnlite.ops``: its NumPy forward pass and its vector-Jacobian product.

``@op(vjp)`` over ``forward(*args)`` gives a function that

- on symbolic tensors (a functional graph, a traced call) records an ``Operation`` node of the graph;
- on arrays computes ``a = forward(*values)`` and returns it as a Tensor;
- while a GradientTape follows one of its tensor arguments, also records a node whose VJP is
  ``vjp(grad_a, a, *values, **keywords)``: one entry per positional argument (the gradient, a list of
  gradients for a list argument, or None), each summed back over the axes it was broadcast along. An
  expensive gradient may be written as a thunk (``lambda: g @ x2.T``): it is computed only when the
  sweep needs that input's gradient.

An op with ``vjp=None`` has no gradient (comparisons, rounding, argmax, integer results): its result is
never recorded, so a gradient through it is None, as TensorFlow's.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import autodiff, promotion
from ..layers.node import is_symbolic
from ..layers.operation import symbolic
from ..tensor import Tensor


def values(x: Any) -> Any:
    """The NumPy values behind an argument: tensors and variables unwrapped, lists and tuples element by element."""
    if isinstance(x, (list, tuple)):
        return type(x)(values(v) for v in x) if not hasattr(x, "_fields") else x
    return autodiff.value_of(x)


def wrap(out: Any) -> Any:
    """A result as Tensors (tuples and lists element by element; Python scalars and None as they are)."""
    if isinstance(out, (list, tuple)):
        return type(out)(wrap(o) for o in out)
    if isinstance(out, np.ndarray) or isinstance(out, np.generic):
        return np.asarray(out).view(Tensor)
    return out


def _tracked(args: tuple) -> list[tuple[int, int | None, Any]]:
    """(argument position, index in a list argument or None, the tensor) for each argument a tape follows."""
    found = []
    for i, arg in enumerate(args):
        if isinstance(arg, (list, tuple)):
            found.extend((i, j, item) for j, item in enumerate(arg) if autodiff.is_tracked(item))
        elif autodiff.is_tracked(arg):
            found.append((i, None, arg))
    return found


def _differentiable(out: Any) -> bool:
    """Whether any result of an op can carry a gradient (top_k's values can, its indices cannot)."""
    arrays = out if isinstance(out, (list, tuple)) else [out]
    return any(np.asarray(a).dtype.kind in "fc" for a in arrays)


def op(vjp: Callable[..., Any] | None = None, name: str | None = None, graph: bool = True,
       register: bool = True) -> Callable:
    """Make ``forward`` an op (see the module); ``graph=False`` for ops that build no graph node (creation),
    ``register=False`` for one that files may not name."""

    def make(forward: Callable[..., Any]) -> Callable[..., Any]:
        op_name = name or forward.__name__.rstrip("_")

        @functools.wraps(forward)
        def apply(*args: Any, **kwargs: Any) -> Any:
            if graph and (any(is_symbolic(a) for a in args) or any(is_symbolic(v) for v in kwargs.values())):
                bound = inspect.signature(forward).bind(*args, **kwargs)
                bound.apply_defaults()
                return symbolic(op_name, *bound.args, **bound.kwargs)
            if kwargs and vjp is not None:  # tensors given by keyword take their place among the positions
                bound = inspect.signature(forward).bind(*args, **kwargs)
                args, kwargs = bound.args, bound.kwargs
            raw = [values(a) for a in args]
            raw_kwargs = {k: values(v) for k, v in kwargs.items()}
            out = forward(*raw, **raw_kwargs)
            if vjp is None or not autodiff.recording():
                return wrap(out)
            tracked = _tracked(args)
            if not tracked or not _differentiable(out):
                return wrap(out)
            several = isinstance(out, (list, tuple))
            outs = list(out) if several else [out]

            def node_vjp(grads: list[Any], needed: list[bool] | None = None) -> list[Any]:
                if several:
                    g = [np.zeros_like(o) if gk is None else gk for gk, o in zip(grads, outs)]
                else:
                    g = grads[0]
                per_arg = vjp(g, out, *raw, **raw_kwargs)
                result = []
                for k, (i, j, source) in enumerate(tracked):
                    gi = per_arg[i] if i < len(per_arg) else None
                    if gi is not None and j is not None:
                        gi = gi[j]
                    if callable(gi):  # a gradient written as a thunk: computed only where it is needed
                        gi = gi() if needed is None or needed[k] else None
                    if gi is None or (needed is not None and not needed[k]):
                        result.append(None)
                        continue
                    x = autodiff.value_of(source)
                    gi = autodiff.unbroadcast(gi, np.shape(x))
                    dtype = np.asarray(x).dtype
                    result.append(gi.astype(dtype, copy=False) if dtype.kind in "fc" else gi)
                return result

            tensors = autodiff.record(outs, [t for _, _, t in tracked], node_vjp, op_name)
            return type(out)(tensors) if several else tensors[0]

        apply.forward = forward
        apply.vjp = vjp
        if register:
            autodiff.OPS[op_name] = apply
        return apply

    return make


def unary(fn: Callable[..., Any], vjp: Callable[..., Any] | None, name: str, doc: str,
          integers: str | None = None) -> Callable:
    """An op a = fn(x) (Keras's ``name``; ``doc`` gives its formula and derivative). ``integers`` says what it
    makes of an integer or bool x, as Keras's op does: "float" computes in floatx (the default of an op with a
    derivative), "same" keeps the dtype (the default of one without)."""
    integers = integers or ("float" if vjp is not None else "same")

    def forward(x: Any) -> Any:
        return fn(float_array(x)) if integers == "float" else fn(np.asarray(x))

    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = doc
    return op(vjp, name=name)(forward)


def binary(fn: Callable[..., Any], vjp: Callable[..., Any] | None, name: str, doc: str,
           dtype: Callable[[Any, Any], str] | None = None) -> Callable:
    """An op a = fn(x1, x2), broadcasting (Keras's ``name``; ``doc`` gives its formula and derivatives), on x1 and
    x2 cast to ``dtype(x1, x2)``: by default the dtype Keras's promotion gives them (``promotion.promoted``:
    int32 + 2 stays int32, int32 * 2.5 is floatx)."""
    rule = dtype or promotion.promoted
    weak = rule in (promotion.promoted, promotion.floating)  # a Python number gives way to a float array

    def forward(x1: Any, x2: Any) -> Any:
        d1, d2 = getattr(x1, "dtype", None), getattr(x2, "dtype", None)
        if d1 is not None and d1.kind in "fc" and (d2 == d1 or (weak and type(x2) in (int, float))):
            return fn(x1, x2)  # the usual case, floats of one dtype or a float array and a Python number: no cast
        common = rule(x1, x2)
        return fn(np.asarray(x1, common), np.asarray(x2, common))

    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = doc
    return op(vjp, name=name)(forward)


def float_array(x: Any, dtype: Any = None) -> np.ndarray:
    """x as an array of a float dtype (integers become floatx, as Keras's float ops make them)."""
    from .. import config

    x = np.asarray(x)
    if dtype is not None:
        return x.astype(dtype)
    return x if x.dtype.kind in "fc" else x.astype(config.floatx())


def spread(g: np.ndarray, x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    """grad_a of a reduction over ``axis`` laid back over x's shape."""
    x = np.asarray(x)
    if axis is None:
        return np.broadcast_to(g, x.shape)
    if not keepdims:
        g = np.expand_dims(g, tuple(a % x.ndim for a in np.atleast_1d(axis)))
    return np.broadcast_to(g, x.shape)


def count(x: np.ndarray, axis: Any) -> int:
    """How many entries a reduction over ``axis`` takes in."""
    x = np.asarray(x)
    if axis is None:
        return x.size
    return int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))

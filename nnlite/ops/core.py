"""``keras.ops.core``: conversion, casting, control flow run eagerly, slices and scatters.

nnlite runs ops as they come (eagerly), so ``cond``, ``while_loop``, ``fori_loop``, ``scan`` and
``switch`` are Python control flow, and the tape records whichever ops they run.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import autodiff
from ..tensor import Tensor
from .numpy import stack
from .primitive import op, values, wrap


def convert_to_tensor(x: Any, dtype: Any = None, sparse: bool | None = None, ragged: bool | None = None) -> Tensor:
    """x as a Tensor (a tensor stays itself, and stays followed by the tape, unless ``dtype`` changes it)."""
    if isinstance(x, Tensor) and (dtype is None or np.dtype(dtype) == x.dtype):
        return x
    if dtype is not None and autodiff.is_tracked(x):
        return cast(x, dtype)
    return np.asarray(values(x), dtype=dtype).view(Tensor)


def array(x: Any, dtype: Any = None) -> Tensor:
    """A new tensor holding a copy of x."""
    return np.array(values(x), dtype=dtype).view(Tensor)


def convert_to_numpy(x: Any) -> np.ndarray:
    """x as a plain NumPy array (a copy)."""
    return np.array(values(x))


def is_tensor(x: Any) -> bool:
    """Whether x is a tensor (an nnlite Tensor or any NumPy array)."""
    return isinstance(x, np.ndarray)


def dtype(x: Any) -> str:
    """x's dtype name."""
    return np.asarray(values(x)).dtype.name


def shape(x: Any) -> tuple[Any, ...]:
    """x's shape as a tuple of ints (None for unknown sizes of a symbolic tensor)."""
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


@op(lambda g, a, x, dtype: [g if np.asarray(x).dtype.kind in "fc" else None, None])
def cast(x: Any, dtype: Any) -> Any:
    """x converted to ``dtype``;  grad_x = g (cast back), between float dtypes."""
    return np.asarray(x).astype(dtype)


def saturate_cast(x: Any, dtype: Any) -> Any:
    """x clipped to ``dtype``'s range, then cast."""
    from .numpy import clip

    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else np.finfo(dtype)
    return cast(clip(x, info.min, info.max), dtype)


def stop_gradient(variable: Any) -> Tensor:
    """x, which the tape treats as a constant (no gradient flows through it)."""
    return np.array(values(variable)).view(Tensor)


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if pred else ``false_fn()`` (decided on pred's value: nnlite runs eagerly)."""
    return true_fn() if bool(np.asarray(values(pred))) else false_fn()


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, the index clipped to the branches (as Keras does)."""
    k = int(np.clip(int(np.asarray(values(index))), 0, len(branches) - 1))
    return branches[k](*operands)


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               maximum_iterations: int | None = None) -> Any:
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (and under ``maximum_iterations``)."""
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    steps = 0
    while bool(np.asarray(values(cond(*state)))) and (maximum_iterations is None or steps < maximum_iterations):
        out = body(*state)
        state = (out,) if single else tuple(out)
        steps += 1
    return state[0] if single else type(loop_vars)(state)


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """val = body_fun(i, val) for i in range(lower, upper)."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def scan(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int = 1) -> tuple[Any, Any]:
    """carry, y_t = f(carry, x_t) over the leading axis of xs; returns (carry, ys stacked)."""
    n = length if xs is None else len(values(xs))
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, []
    for t in order:
        carry, y = f(carry, None if xs is None else xs[t])
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, (stack(ys) if ys and ys[0] is not None else None)


def map(f: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001 (Keras's name)
    """f applied to each entry along the leading axis, the results stacked."""
    return stack([f(xs[t]) for t in range(len(values(xs)))])


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """f applied to each entry along the leading axis (a loop here), the results stacked."""
    return map(function, elements)


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[Any]:
    """The slices of x along ``axis``."""
    from .numpy import take

    n = np.shape(values(x))[axis]
    if num is not None and num != n:
        raise ValueError(f"unstack: num={num} does not match the axis length {n}.")
    return [take(x, k, axis=axis) for k in range(n)]


def _slice_key(start_indices: Any, shape: Any) -> tuple[slice, ...]:
    starts = np.asarray(values(start_indices)).ravel()
    return tuple(builtins.slice(int(s), int(s) + int(n)) for s, n in zip(starts, shape))


@op(lambda g, a, inputs, start_indices, shape: [_unslice(g, inputs, start_indices, shape), None, None])
def slice(inputs: Any, start_indices: Any, shape: Any) -> Any:  # noqa: A001 (Keras's name)
    """a = inputs[start : start + shape] on every axis;  grad_inputs = g there, zeros elsewhere."""
    return np.asarray(inputs)[_slice_key(start_indices, shape)].copy()


def _unslice(g: Any, inputs: Any, start_indices: Any, shape: Any) -> np.ndarray:
    grad = np.zeros(np.shape(inputs), dtype=np.asarray(g).dtype)
    grad[_slice_key(start_indices, shape)] = g
    return grad


def _replaced_vjp(g: Any, key: Any) -> list:
    """inputs with the entries at ``key`` replaced by updates: grad_inputs = g with zeros there (what was
    covered), grad_updates = g there."""
    kept = np.array(g, copy=True)
    kept[key] = 0
    return [kept, None, np.asarray(g)[key]]


def _slice_update_vjp(g: Any, a: Any, inputs: Any, start_indices: Any, updates: Any) -> list:
    return _replaced_vjp(g, _slice_key(start_indices, np.shape(updates)))


@op(_slice_update_vjp)
def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Any:
    """inputs with the block at ``start_indices`` replaced by ``updates``;  each gets g where it shows."""
    out = np.array(inputs, copy=True)
    out[_slice_key(start_indices, np.shape(updates))] = updates
    return out


def _scatter_key(indices: Any) -> tuple:
    idx = np.asarray(indices).astype(np.int64)
    return tuple(idx[..., k] for k in range(idx.shape[-1]))


@op(lambda g, a, indices, values, shape: [None, np.asarray(g)[_scatter_key(indices)], None])
def scatter(indices: Any, values: Any, shape: Any) -> Any:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (repeats add up);  grad_values = g there."""
    out = np.zeros(tuple(shape), dtype=np.asarray(values).dtype)
    np.add.at(out, _scatter_key(indices), values)
    return out


SCATTER_REDUCTIONS = {"add": np.add, "max": np.maximum, "min": np.minimum, "mul": np.multiply}


def _scatter_update_vjp(g: Any, a: Any, inputs: Any, indices: Any, updates: Any, reduction: str | None = None
                        ) -> list:
    key, g = _scatter_key(indices), np.asarray(g)
    if reduction is None:
        return _replaced_vjp(g, key)
    if reduction == "add":  # a = inputs + the updates at each entry
        return [g, None, g[key]]
    updates = np.asarray(updates)
    if reduction in ("max", "min"):  # the winners share g; ties evenly (TensorFlow's rule)
        x_won = (np.asarray(inputs) == a).astype(g.dtype)
        u_won = (updates == a[key]).astype(g.dtype)
        winners = x_won.copy()
        np.add.at(winners, key, u_won)
        return [g * x_won / winners, None, (g / winners)[key] * u_won]
    product = np.ones_like(a)  # mul: a = inputs * p, p the product of the updates at each entry
    np.multiply.at(product, key, updates)
    rows = [tuple(np.atleast_1d(i)) for i in np.asarray(indices).astype(np.int64)]
    others = np.empty_like(updates)  # for update u_i: the product of the other updates at its entry
    for i, row in enumerate(rows):
        rest = [updates[j] for j, r in enumerate(rows) if r == row and j != i]
        others[i] = np.prod(rest, axis=0) if rest else 1
    return [g * product, None, g[key] * np.asarray(inputs)[key] * others]


@op(_scatter_update_vjp)
def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: str | None = None) -> Any:
    """inputs with the entries at ``indices`` replaced by ``updates`` (``reduction`` None), or combined with them:
    "add" (a = inputs + the updates there), "max", "min" or "mul", repeats combining in turn."""
    if reduction is not None and reduction not in SCATTER_REDUCTIONS:
        raise ValueError(f"Unsupported reduction: {reduction}")
    out = np.array(inputs, copy=True)
    if reduction is None:
        out[_scatter_key(indices)] = updates
    else:
        SCATTER_REDUCTIONS[reduction].at(out, _scatter_key(indices), np.asarray(updates, dtype=out.dtype))
    return out


def custom_gradient(f: Callable[..., tuple[Any, Callable[..., Any]]]) -> Callable[..., Any]:
    """A function with its own gradient: ``f(*args)`` returns ``(y, grad_fn)`` and ``grad_fn(upstream)`` the
    gradient for each argument (Keras's decorator; the tape uses grad_fn as the VJP).

    Example:
        >>> import numpy as np, nnlite
        >>> @nnlite.ops.custom_gradient
        ... def clipped_identity(x):
        ...     def grad(upstream):
        ...         return nnlite.ops.clip(upstream, -1.0, 1.0)
        ...     return x, grad
        >>> w = nnlite.Variable(np.array([3.0]))
        >>> with nnlite.GradientTape() as tape:
        ...     y = 10.0 * clipped_identity(w)
        >>> tape.gradient(y, w)  # the upstream 10 clipped to 1
        Tensor([1.])
    """

    def apply(*args: Any) -> Any:
        tracked = [a for a in args if autodiff.is_tracked(a)]
        with _paused():
            y, grad_fn = f(*[wrap(values(a)) for a in args])
        if not tracked or not autodiff.recording():
            return y
        positions = [k for k, a in enumerate(args) if autodiff.is_tracked(a)]

        def vjp(grads: list[Any], needed: list[bool] | None = None) -> list[Any]:
            out = grad_fn(wrap(grads[0]))
            out = list(out) if isinstance(out, (list, tuple)) else [out]
            return [None if out[k] is None else np.asarray(values(out[k])) for k in positions]

        return autodiff.record([np.asarray(values(y))], tracked, vjp, getattr(f, "__name__", "custom_gradient"))[0]

    return apply


class _paused:
    """Every open tape paused (what a custom gradient's forward computes is not recorded)."""

    def __enter__(self) -> None:
        self.tapes = [t for t in autodiff.active_tapes() if not t.paused]
        for t in self.tapes:
            t.paused = True

    def __exit__(self, *exc: Any) -> None:
        for t in self.tapes:
            t.paused = False

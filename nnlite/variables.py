"""A trainable array and the gradient that backward left on it."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import config, initializers
from .tensor import HOOKS

#: occurrences of one row added by passes of fancy indexing; the rest of a frequent row's by one reduceat
PASSES = 8


def row_sums(ids: np.ndarray, slices: np.ndarray, rows: int, out: np.ndarray | None = None) -> np.ndarray:
    """out[i] = sum of slices[k] over the k where ids[k] = i, (rows, width): the gradient of a gathered matrix.

    The occurrences are sorted by id (stably: each row adds its slices in the order they came). Pass r adds every
    row's r-th occurrence at once (within a pass no row repeats, so ``out[ids_r] += slices_r`` is exact); after
    ``PASSES`` passes the rows that came more often (padding, common words) add the rest of their occurrences with
    one ``np.add.reduceat``. Several times faster than ``np.add.at`` or one reduceat over every row on text batches.

    Args:
        ids: the row of each occurrence, (n,).
        slices: each occurrence's gradient, (n, width).
        rows: the number of rows of the matrix.
        out: where to write the sums (zeroed first), or None for a new array.
    """
    if out is None:
        out = np.zeros((rows, slices.shape[1]), slices.dtype)
    else:
        out[...] = 0
    if not len(ids):
        return out
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
    counts = np.diff(np.append(starts, len(ids)))
    rank = np.arange(len(ids)) - np.repeat(starts, counts)  # each occurrence's place among its row's
    for r in range(min(PASSES, int(counts.max()))):
        at = order[rank == r]
        out[ids[at]] += slices[at]
    rest = order[rank >= PASSES]  # sorted by id still
    if len(rest):
        rest_ids = ids[rest]
        firsts = np.flatnonzero(np.concatenate(([True], rest_ids[1:] != rest_ids[:-1])))
        out[rest_ids[firsts]] += np.add.reduceat(slices[rest], firsts, axis=0)
    return out


class Occurrences:
    """The gradient of a gathered matrix (an embedding) before it is summed into rows: one slice per token
    occurrence. Keras's optimizers square (or take |.| of) these slices before summing them, so their
    ``squares`` and ``magnitudes`` are computed here, on first use only (plain SGD never asks)."""

    __slots__ = ("ids", "slices", "rows", "_squares", "_magnitudes")

    def __init__(self, ids: np.ndarray, slices: np.ndarray, rows: int) -> None:
        self.ids, self.slices, self.rows = ids, slices, rows
        self._squares: np.ndarray | None = None
        self._magnitudes: np.ndarray | None = None

    def joined(self, other: Occurrences) -> Occurrences:
        """The occurrences of two calls of a shared embedding, as one gradient's (these first).

        Args:
            other: the other call's occurrences.
        """
        return Occurrences(np.concatenate([self.ids, other.ids]), np.concatenate([self.slices, other.slices]),
                           self.rows)

    @property
    def squares(self) -> np.ndarray:
        """sum of g_k * g_k over the occurrences k of each row."""
        if self._squares is None:
            self._squares = row_sums(self.ids, self.slices * self.slices, self.rows)
        return self._squares

    @property
    def magnitudes(self) -> np.ndarray:
        """sum of |g_k| over the occurrences k of each row."""
        if self._magnitudes is None:
            self._magnitudes = row_sums(self.ids, np.abs(self.slices), self.rows)
        return self._magnitudes


class Variable(np.lib.mixins.NDArrayOperatorsMixin):
    """``value`` (the array), ``grad`` (dL/dvalue after a backward pass), ``name`` and ``path``.

    Like a Keras variable it has ``numpy()``, ``assign()``, ``assign_add()``,
    ``assign_sub()``, ``shape``, ``dtype``, ``trainable`` and an optional ``constraint``
    (applied after each optimizer step); arithmetic and NumPy functions read its value.
    ``np.asarray(v)`` may share memory with the variable, ``np.array(v)`` never does.

    ``grad`` is dL/dvalue after ``model.loss_and_gradients`` (and in ``model.trace``). Inside ``fit``
    with plain SGD it holds lr dL/dvalue: fit folds the learning rate into the backward pass, so the
    step w <- w - lr g is one subtraction (see ``layers.Context.grad_scale``; not in a float16 model).

    Args:
        initializer: the initial value (an array or number), or an initializer (a name such as ``"glorot_uniform"`` or
            a callable ``f(shape, dtype)``) used with ``shape``.
        shape: the shape, needed with an initializer; with a value, checked against it.
        dtype: the dtype; ``None`` keeps a value's dtype (Python ints become int32 and floats floatx, as Keras) or
            gives an initializer ``config.floatx()``.
        trainable: whether optimizers update it and tapes watch it.
        autocast: accepted for Keras's signature (casting to a mixed-precision compute dtype; nnlite computes in
            one dtype, so nothing is cast).
        aggregation: accepted for Keras's signature (how replicas combine updates; one replica here).
        synchronization: accepted for Keras's signature (one replica here).
        name: its name; ``None`` numbers ``variable``, ``variable_1``... in the session.
        path: its path in a model (``dense/kernel``); ``None`` for its name.
        constraint: a function applied to the value after each optimizer step (a ``constraints`` object), or None.

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.zeros(2), name="w")
        >>> w.assign_add(np.array([1.0, 2.0]))
        <Variable path=w, shape=(2,), dtype=float64>
        >>> w.numpy(), w.name
        (array([1., 2.]), 'w')
        >>> nnlite.Variable("ones", shape=(2,)).numpy()  # from an initializer
        array([1., 1.], dtype=float32)
    """

    overwrite_with_gradient = False  # Keras's float8 bookkeeping: an optimizer sets the value to the gradient

    def __init__(self, initializer: Any, shape: Any = None, dtype: Any = None, trainable: bool = True,
                 autocast: bool = True, aggregation: str = "none", synchronization: str = "auto",
                 name: str | None = None, path: str | None = None, constraint: Any = None) -> None:
        """Keras's ``keras.Variable(initializer, shape=None, dtype=None, trainable=True, ..., name=None)``: an
        array (its dtype kept unless ``dtype`` is given), or an initializer (a name or a callable) with
        ``shape``. nnlite's short form ``Variable(value, "name")`` takes a string in ``shape``'s place as the
        name."""
        if isinstance(shape, str) and name is None:  # Variable(value, "name")
            shape, name = None, shape
        if isinstance(initializer, str) or (callable(initializer) and not isinstance(initializer, np.ndarray)):
            if shape is None:
                raise ValueError(f"When creating a Variable from an initializer, the `shape` argument should be "
                                 f"specified. Received: initializer={initializer} and shape={shape}")
            value = initializers.get(initializer)(tuple(shape), str(np.dtype(dtype or config.floatx())))
        elif dtype is None and not isinstance(initializer, (np.ndarray, np.generic)):  # Python numbers, as Keras
            value = np.asarray(initializer)
            if value.dtype.kind in "iuf":
                value = value.astype("int32" if value.dtype.kind in "iu" else config.floatx())
        else:
            value = np.asarray(initializer) if dtype is None else np.asarray(initializer, dtype=np.dtype(dtype))
        if not isinstance(initializer, str) and not callable(initializer):
            if shape is not None and tuple(value.shape) != tuple(shape):
                raise ValueError(f"Initial value has shape {value.shape}, but the variable's shape is "
                                 f"{tuple(shape)}.")
        if name is None:
            name = "variable" if (uid := config.get_uid("variable")) == 1 else f"variable_{uid - 1}"
        self.value = value
        self.grad: np.ndarray | None = None
        # for an embedding matrix: this step's gradient as token occurrences (see Occurrences, RowGrad)
        self.grad_rows: Occurrences | None = None
        self.name = name
        self.path = path or name
        self.trainable = trainable
        self.constraint = constraint

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def T(self) -> Any:  # noqa: N802 (NumPy's name)
        """The transposed value (``ops.transpose``, recorded while a tape follows the variable)."""
        return HOOKS["function"](np.transpose, (type(self),), (self,), {})

    def numpy(self) -> np.ndarray:
        """A copy of the current value."""
        return self.value.copy()

    def assign(self, value: Any) -> Variable:
        """Overwrite the value (shape and dtype kept): in place, except while a GradientTape records, where the
        variable takes a new array so that the ops already recorded keep the value they read."""
        value = np.asarray(value)
        if value.shape != self.value.shape:
            raise ValueError(f"Cannot assign a value of shape {value.shape} to {self.path} "
                             f"of shape {self.value.shape}.")
        if "recording" in HOOKS and HOOKS["recording"]():
            self.value = np.array(value, dtype=self.value.dtype)
        else:
            self.value[...] = value
        return self

    def assign_add(self, delta: Any) -> Variable:
        """value <- value + delta, in place."""
        return self.assign(self.value + np.asarray(delta))

    def assign_sub(self, delta: Any) -> Variable:
        """value <- value - delta, in place."""
        return self.assign(self.value - np.asarray(delta))

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.value.dtype:
            return self.value.astype(dtype)
        return self.value.copy() if copy else self.value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return HOOKS["ufunc"](ufunc, method, inputs, kwargs)  # nnlite.ops: recorded while a tape follows it

    def __array_function__(self, func, types, args, kwargs):
        return HOOKS["function"](func, types, args, kwargs)

    __hash__ = object.__hash__  # by identity: the operators' == compares values elementwise

    def __getitem__(self, index: Any) -> np.ndarray:
        return HOOKS["getitem"](self, index)

    def __len__(self) -> int:
        return len(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __index__(self) -> int:
        return int(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __repr__(self) -> str:
        shown = f", value={self.value.item()!r}" if self.value.ndim == 0 else ""
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype.name}{shown}>"

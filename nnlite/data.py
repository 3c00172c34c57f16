"""Checking and batching the arrays given to fit, evaluate and predict.

Every check here runs before any weight changes, and says what was wrong, what was
expected and what arrived.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from .warn import warn


def standardize_rank(x: np.ndarray, input_shape: tuple) -> np.ndarray:
    """Keras's rank standardisation of a model input: an extra trailing axis of size 1 is squeezed, and a
    missing one added when the input declares a last axis of 1 ((n,) for Input((1,)) becomes (n, 1))."""
    rank = len(input_shape)
    if x.ndim == rank + 1 and x.shape[-1:] == (1,):
        return x[..., 0]
    if x.ndim == rank - 1 and tuple(input_shape[-1:]) == (1,):
        return x[..., None]
    return x


def as_array(value: Any, name: str, dtype: str | None = None) -> np.ndarray:
    """``value`` as a non-empty numeric array with finite values (cast to ``dtype`` if given)."""
    if value is None:
        raise ValueError(f"{name} is missing: expected an array, got None.")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be numeric, got a string: {value!r:.60}.")
    try:
        array = np.asarray(value)
    except ValueError as err:  # NumPy refuses ragged nested lists
        raise ValueError(f"{name} is ragged: its rows have different lengths ({err}).") from None
    if array.dtype == object:
        array = _numeric_objects(value, array, name)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric, got an array of dtype {array.dtype}.")
    if array.ndim == 0:
        raise ValueError(f"{name} must have a batch axis, got the scalar {array!r}.")
    if array.size == 0 and len(array) == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}): expected at least one sample.")
    if array.size == 0:
        raise ValueError(f"{name} has samples that hold no numbers (shape {array.shape}, an axis of size 0): "
                         f"expected at least one number in each sample.")
    if dtype is not None:
        if np.dtype(dtype).kind in "iu" and array.dtype.kind == "f":  # ids: whole, finite numbers only
            if not np.all(np.isfinite(array)) or not np.all(array == np.floor(array)):
                raise ValueError(f"{name} must hold whole numbers (the model's input is {dtype}); got values such as "
                                 f"{array[~(array == np.floor(array))][0]!r}.")
        array = array.astype(dtype, copy=False)
    if np.issubdtype(array.dtype, np.floating) and not all_finite(array):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)}); "
            "expected finite numbers."
        )
    return array


def all_finite(array: np.ndarray) -> bool:
    """Whether no entry is NaN or inf. One pass, no temporary array: a finite sum has no NaN or inf among its
    terms (inf + finite is inf, inf - inf is NaN); a sum that overflowed from finite entries is settled by min and
    max, which are NaN or inf exactly when some entry is."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(array, axis=None)):
            return True
    return bool(np.isfinite(array.min()) and np.isfinite(array.max()))


def as_strings(value: Any, name: str) -> np.ndarray:
    """``value`` as a non-empty array of strings (bytes read as UTF-8), for an Input of dtype "string"."""
    if value is None:
        raise ValueError(f"{name} is missing: expected an array of strings, got None.")
    array = np.asarray(value, dtype=object)
    if array.ndim == 0 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty batch of strings, got shape {array.shape}.")
    bad = next((v for v in array.ravel() if not isinstance(v, (str, bytes, np.str_, np.bytes_))), None)
    if bad is not None:
        raise TypeError(f"{name} feeds a string input, but holds {type(bad).__name__} values such as {bad!r:.40}.")
    return np.vectorize(text, otypes=[object])(array)


def text(value: Any) -> str:
    """A string, bytes read as UTF-8."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _numeric_objects(value: Any, array: np.ndarray, name: str) -> np.ndarray:
    """An object array whose entries are all numbers or bools (pandas' mixed frames, bool dummies) as
    float64; otherwise a TypeError that names the column (of a DataFrame) or the first such entry."""
    flat = array.ravel()
    bad = next((v for v in flat if isinstance(v, (str, bytes)) or not isinstance(v, (numbers.Number, np.bool_))),
               None)
    if bad is None:
        return array.astype(np.float64)
    columns = getattr(value, "columns", None)
    if columns is not None and array.ndim == 2:
        for j, column in enumerate(columns):
            if any(isinstance(v, (str, bytes)) or not isinstance(v, (numbers.Number, np.bool_)) for v in array[:, j]):
                raise TypeError(f"{name} column {column!r} holds non-numbers (e.g. {array[:, j][0]!r}); encode it "
                                "as numbers first (one-hot or integer codes).")
    if isinstance(bad, (list, tuple, np.ndarray)):
        raise ValueError(f"{name} is ragged: its rows have different lengths.")
    raise TypeError(f"{name} must be numeric, but it holds {type(bad).__name__} values such as {bad!r:.40}.")


def check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}.")
    return int(value)


def check_rows(arrays: dict[str, np.ndarray | None]) -> int:
    """All given arrays have the same number of rows; return it."""
    rows = {name: num_rows(a) for name, a in arrays.items() if a is not None}
    if len(set(rows.values())) > 1:
        shown = ", ".join(f"{name} has {n}" for name, n in rows.items())
        raise ValueError(f"Row counts differ: {shown}; expected one row per sample in each.")
    return next(iter(rows.values()))


def as_sample_weight(value: Any, rows: int, name: str = "sample_weight") -> np.ndarray | None:
    if value is None:
        return None
    s = as_array(value, name)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.shape != (rows,):
        raise ValueError(f"{name} must have shape ({rows},), one weight per sample; got {s.shape}.")
    return s


def num_rows(x: np.ndarray | list[np.ndarray]) -> int:
    """The number of samples in an array, or in a list of arrays (one per model input)."""
    return len(next(a for a in x if a is not None)) if isinstance(x, list) else len(x)


def take(x: np.ndarray | list[np.ndarray], rows: np.ndarray | slice) -> np.ndarray | list[np.ndarray]:
    """The rows ``rows`` of an array, or of each array in a list (None stays None)."""
    return [None if a is None else a[rows] for a in x] if isinstance(x, list) else x[rows]


def split_validation(arrays: list[np.ndarray | None], fraction: Any) -> tuple[list, list]:
    """Keras's validation_split: the LAST ``fraction`` of rows, taken before any shuffling."""
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
        raise ValueError(f"validation_split must be a float in (0, 1), got {fraction!r}.")
    rows = num_rows(next(a for a in arrays if a is not None))
    split = int(math.floor(rows * (1.0 - fraction)))
    if split == 0 or split == rows:
        raise ValueError(
            f"validation_split={fraction} leaves {split} training and {rows - split} validation "
            f"rows out of {rows}; both must be non-empty."
        )
    head = [None if a is None else take(a, slice(None, split)) for a in arrays]
    tail = [None if a is None else take(a, slice(split, None)) for a in arrays]
    return head, tail


def batches(rows: int, batch_size: int, order: np.ndarray | None = None) -> Iterator[np.ndarray | slice]:
    """Consecutive batches of indices (slices when unshuffled); the last may be partial."""
    for start in range(0, rows, batch_size):
        if order is None:
            yield slice(start, min(start + batch_size, rows))
        else:
            yield order[start:start + batch_size]


class ArrayBatches:
    """An epoch's batches from checked arrays: consecutive rows, in a new random order each epoch when
    shuffling. With ``steps`` an epoch is that many batches, read on from where the last one stopped."""

    def __init__(self, x: Any, y: Any, sample_weight: np.ndarray | None, batch_size: int,
                 rng: np.random.Generator | None, class_weight: dict | None, dtype: str, steps: int | None) -> None:
        self.x, self.y, self.raw_weight = x, y, sample_weight
        self.batch_size, self.rng, self.steps = batch_size, rng, steps
        self.class_weight, self.dtype = class_weight, dtype
        self.sample_weight = (sample_weight if class_weight is None
                              else class_weights_to_sample_weights(y, class_weight, dtype))
        self.rows = num_rows(x)
        self._pending: Iterator[Any] | None = None  # the pass the epochs read on from (with steps)

    @property
    def num_batches(self) -> int:
        return self.steps if self.steps is not None else -(-self.rows // self.batch_size)

    def _pass(self) -> Iterator[tuple[Any, Any, Any]]:
        x, y, sw = self.x, self.y, self.sample_weight
        one_x, one_y = not isinstance(x, list), not isinstance(y, list)  # one array each (the usual case)
        order = self.rng.permutation(self.rows) if self.rng is not None else None
        for rows in batches(self.rows, self.batch_size, order):
            yield (x[rows] if one_x else take(x, rows), None if y is None else (y[rows] if one_y else take(y, rows)),
                   None if sw is None else sw[rows])

    def epoch(self) -> Iterator[tuple[Any, Any, Any]]:
        """One pass over the rows; with ``steps``, that many batches, read on from where the last epoch stopped
        (Keras's rule). A pass that runs out inside an epoch ends it with Keras's warning; the next epoch starts
        a new pass (reshuffled), as does one that finds the last pass used up."""
        if self.steps is None:
            yield from self._pass()
            return
        for produced in range(self.steps):
            batch = None if self._pending is None else next(self._pending, None)
            if batch is None and produced == 0:  # the last pass ended with the last epoch: a new one
                self._pending = self._pass()
                batch = next(self._pending, None)
            if batch is None:
                self._pending = None
                warn("Your input ran out of data; interrupting training. Make sure that your dataset or generator "
                     "can generate at least `steps_per_epoch * epochs` batches. You may need to use the `.repeat()` "
                     "function when building your dataset.", UserWarning)
                return
            yield batch

    def split(self, fraction: Any, batch_size: int) -> tuple[ArrayBatches, ArrayBatches]:
        """Keras's validation_split: the last ``fraction`` of the rows validate, the rest train."""
        (x, y, sw), (vx, vy, vsw) = split_validation([self.x, self.y, self.raw_weight], fraction)
        train = ArrayBatches(x, y, sw, self.batch_size, self.rng, self.class_weight, self.dtype, self.steps)
        return train, ArrayBatches(vx, vy, vsw, batch_size, None, None, self.dtype, None)


def class_weights_to_sample_weights(y: np.ndarray, class_weight: dict[int, float], dtype: str) -> np.ndarray:
    """One weight per row from its class: argmax of one-hot rows, else the rounded label."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{class index: weight}}, got {type(class_weight).__name__}.")
    labels = y
    if labels.ndim > 1:
        labels = np.argmax(labels, axis=-1) if labels.shape[-1] != 1 else labels[..., 0]
    labels = np.round(labels).astype(np.int64)
    weights = np.ones(len(labels), dtype=dtype)
    for cls, weight in class_weight.items():
        weights[labels == int(cls)] = weight
    return weights

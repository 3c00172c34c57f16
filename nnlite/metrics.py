"""Metrics: running means of per-sample values over an epoch, as ``keras.metrics``.

A metric's ``update_state(y_true, y_pred, sample_weight)`` adds ``sum_i s_i m_i`` to a
total and ``sum_i s_i`` (or the number of samples) to a count; ``result()`` is their
ratio. ``"accuracy"`` in ``compile`` is resolved by :func:`resolve` the way Keras
does: one output unit -> binary accuracy (p > 0.5); labels of lower rank than the
predictions, or a last label dimension of 1 -> sparse categorical; else categorical.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import config, losses


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> np.ndarray:
    """m = mean over outputs of [y == (p > threshold)]."""
    y_pred = np.asarray(y_pred)
    y_true, y_pred = losses._align(np.asarray(y_true, dtype=y_pred.dtype), y_pred)
    return np.mean(y_true == (y_pred > threshold), axis=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """m = [argmax y == argmax p]."""
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """m = [y == argmax p] for integer labels y."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (y_true == np.argmax(y_pred, axis=-1)).astype(np.float64)


def mean_squared_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """m = mean((y - p)^2)."""
    return losses.mean_squared_error(y_true, y_pred)


def mean_absolute_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """m = mean|y - p|."""
    return losses.mean_absolute_error(y_true, y_pred)


class Metric:
    """total / count over the samples seen since ``reset_state``."""

    def __init__(self, fn: Callable[..., np.ndarray], name: str | None = None, **kwargs: Any) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.kwargs = kwargs
        self.reset_state()

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        m = np.asarray(self.fn(y_true, y_pred, **self.kwargs), dtype=np.float64)
        m = m.reshape(m.shape[0], -1).mean(axis=1) if m.ndim > 1 else m.reshape(-1)
        if sample_weight is None:
            self.total += float(np.sum(m))
            self.count += m.size
        else:
            s = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            self.total += float(np.sum(m * s))
            self.count += float(np.sum(s))

    def result(self) -> float:
        return float(np.asarray(self.total / self.count if self.count else 0.0,
                                dtype=config.floatx()))

    def __repr__(self) -> str:
        return f"<Metric {self.name}: {self.result():.4f}>"


def BinaryAccuracy(name: str = "binary_accuracy", threshold: float = 0.5) -> Metric:
    return Metric(binary_accuracy, name, threshold=threshold)


def CategoricalAccuracy(name: str = "categorical_accuracy") -> Metric:
    return Metric(categorical_accuracy, name)


def SparseCategoricalAccuracy(name: str = "sparse_categorical_accuracy") -> Metric:
    return Metric(sparse_categorical_accuracy, name)


def MeanSquaredError(name: str = "mean_squared_error") -> Metric:
    return Metric(mean_squared_error, name)


def MeanAbsoluteError(name: str = "mean_absolute_error") -> Metric:
    return Metric(mean_absolute_error, name)


_METRICS: dict[str, Callable[..., np.ndarray]] = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
}


def names() -> list[str]:
    """Every metric name :func:`resolve` accepts, "accuracy" and "acc" included."""
    return sorted(set(_METRICS) | {"accuracy", "acc"})


def resolve(identifier: Any, y_true: np.ndarray, y_pred_shape: tuple[int, ...]) -> Metric:
    """A fresh Metric for ``compile(metrics=[identifier])``, given the labels and output shape."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            binary = y_pred_shape[-1] == 1
            sparse = y_true.ndim < len(y_pred_shape) or (y_true.shape[-1] == 1 and y_pred_shape[-1] > 1)
            fn = binary_accuracy if binary else sparse_categorical_accuracy if sparse else categorical_accuracy
            return Metric(fn, identifier)
        if identifier not in _METRICS:
            raise ValueError(f"Unknown metric {identifier!r}. Valid names: {', '.join(names())}.")
        return Metric(_METRICS[identifier], identifier)
    if callable(identifier):
        return Metric(identifier)
    raise TypeError(f"metric must be a name, an nnlite.metrics.Metric or a callable; got {identifier!r}.")

"""Metrics: running means of per-sample values over an epoch, as ``keras.metrics``.

A metric's ``update_state(y_true, y_pred, sample_weight)`` adds ``sum_i s_i m_i`` to a
total and ``sum_i s_i`` (or the number of samples) to a count; ``result()`` is their
ratio. ``"accuracy"`` in ``compile`` is resolved by :func:`resolve` the way Keras
does: one output unit -> binary accuracy (p > 0.5); labels of lower rank than the
predictions, or a last label dimension of 1 -> sparse categorical; else categorical.

Crossentropy metrics follow the logits path of the loss: on a model whose output
comes from a sigmoid or softmax, ``fit`` and ``evaluate`` hand them the logits, as Keras
does.
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


def _sparse_labels(y_true: Any, y_pred: np.ndarray) -> np.ndarray:
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """m = [y == argmax p] for integer labels y."""
    y_pred = np.asarray(y_pred)
    return (_sparse_labels(y_true, y_pred) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    """m = [p_y is among the k largest p]; ties at the boundary count as in (TensorFlow's in_top_k)."""
    y_pred = np.asarray(y_pred)
    labels = _sparse_labels(y_true, y_pred).astype(np.int64)
    target = np.take_along_axis(y_pred, labels[..., None], axis=-1)  # (batch, 1)
    return (np.sum(y_pred > target, axis=-1) < k).astype(np.float64)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    """m = [p at argmax y is among the k largest p]."""
    return sparse_top_k_categorical_accuracy(np.argmax(y_true, axis=-1), y_pred, k)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """m = sum(y_hat p_hat): +1 for the same direction (the loss is its negative)."""
    return -losses.cosine_similarity(y_true, y_pred, axis)


class Metric:
    """total / count over the samples seen since ``reset_state``.

    ``fn(y_true, y_pred, **kwargs)`` gives one value per sample. ``direction`` ("up" or
    "down") tells callbacks in mode "auto" whether larger is better. ``logits_fn``, if
    given, is used instead when the model hands over logits (the crossentropies).
    """

    def __init__(self, fn: Callable[..., np.ndarray], name: str | None = None, direction: str = "down",
                 logits_fn: Callable[..., np.ndarray] | None = None, **kwargs: Any) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.direction = direction
        self.logits_fn = logits_fn
        self.kwargs = kwargs
        self.reset_state()

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None,
                     logits: np.ndarray | None = None) -> None:
        if logits is not None and self.logits_fn is not None:
            m = self.logits_fn(y_true, logits, **self.kwargs)
        else:
            m = self.fn(y_true, y_pred, **self.kwargs)
        m = np.asarray(m, dtype=np.float64)
        m = m.reshape(m.shape[0], -1).mean(axis=1) if m.ndim > 1 else m.reshape(-1)
        if sample_weight is None:
            self.total += float(np.sum(m))
            self.count += m.size
        else:
            s = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            self.total += float(np.sum(m * s))
            self.count += float(np.sum(s))

    def result(self) -> float:
        value = self.total / self.count if self.count else 0.0
        return float(np.asarray(value, dtype=config.floatx()))

    def __repr__(self) -> str:
        return f"<Metric {self.name}: {self.result():.4f}>"


def _from_logits(loss_fn: Callable) -> Callable:
    def fn(y_true, logits, **kwargs):
        return loss_fn(y_true, logits, from_logits=True, **kwargs)

    return fn


# name -> (per-sample function, direction, logits function)
_METRICS: dict[str, tuple[Callable, str, Callable | None]] = {
    "binary_accuracy": (binary_accuracy, "up", None),
    "categorical_accuracy": (categorical_accuracy, "up", None),
    "sparse_categorical_accuracy": (sparse_categorical_accuracy, "up", None),
    "top_k_categorical_accuracy": (top_k_categorical_accuracy, "up", None),
    "sparse_top_k_categorical_accuracy": (sparse_top_k_categorical_accuracy, "up", None),
    "mean_squared_error": (losses.mean_squared_error, "down", None),
    "mean_absolute_error": (losses.mean_absolute_error, "down", None),
    "mean_absolute_percentage_error": (losses.mean_absolute_percentage_error, "down", None),
    "mean_squared_logarithmic_error": (losses.mean_squared_logarithmic_error, "down", None),
    "binary_crossentropy": (losses.binary_crossentropy, "down", _from_logits(losses.binary_crossentropy)),
    "categorical_crossentropy": (losses.categorical_crossentropy, "down",
                                 _from_logits(losses.categorical_crossentropy)),
    "sparse_categorical_crossentropy": (losses.sparse_categorical_crossentropy, "down",
                                        _from_logits(losses.sparse_categorical_crossentropy)),
    "kl_divergence": (losses.kl_divergence, "down", None),
    "poisson": (losses.poisson, "down", None),
    "log_cosh": (losses.log_cosh, "down", None),
    "cosine_similarity": (cosine_similarity, "up", None),
    "hinge": (losses.hinge, "down", None),
    "squared_hinge": (losses.squared_hinge, "down", None),
    "categorical_hinge": (losses.categorical_hinge, "down", None),
}
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
            "msle": "mean_squared_logarithmic_error", "kld": "kl_divergence", "logcosh": "log_cosh"}


def _make(name: str, display: str | None = None, **kwargs: Any) -> Metric:
    fn, direction, logits_fn = _METRICS[name]
    return Metric(fn, display or name, direction, logits_fn, **kwargs)


def BinaryAccuracy(name: str = "binary_accuracy", threshold: float = 0.5) -> Metric:
    return _make("binary_accuracy", name, threshold=threshold)


def CategoricalAccuracy(name: str = "categorical_accuracy") -> Metric:
    return _make("categorical_accuracy", name)


def SparseCategoricalAccuracy(name: str = "sparse_categorical_accuracy") -> Metric:
    return _make("sparse_categorical_accuracy", name)


def TopKCategoricalAccuracy(k: int = 5, name: str = "top_k_categorical_accuracy") -> Metric:
    return _make("top_k_categorical_accuracy", name, k=k)


def SparseTopKCategoricalAccuracy(k: int = 5, name: str = "sparse_top_k_categorical_accuracy") -> Metric:
    return _make("sparse_top_k_categorical_accuracy", name, k=k)


def MeanSquaredError(name: str = "mean_squared_error") -> Metric:
    return _make("mean_squared_error", name)


def MeanAbsoluteError(name: str = "mean_absolute_error") -> Metric:
    return _make("mean_absolute_error", name)


def BinaryCrossentropy(name: str = "binary_crossentropy") -> Metric:
    return _make("binary_crossentropy", name)


def CategoricalCrossentropy(name: str = "categorical_crossentropy") -> Metric:
    return _make("categorical_crossentropy", name)


def SparseCategoricalCrossentropy(name: str = "sparse_categorical_crossentropy") -> Metric:
    return _make("sparse_categorical_crossentropy", name)


def names() -> list[str]:
    """Every metric name :func:`resolve` accepts, "accuracy" and "acc" included."""
    return sorted(set(_METRICS) | set(_ALIASES) | {"accuracy", "acc"})


def resolve(identifier: Any, y_true: np.ndarray, y_pred_shape: tuple[int, ...]) -> Metric:
    """A fresh Metric for ``compile(metrics=[identifier])``, given the labels and output shape."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            binary = y_pred_shape[-1] == 1
            sparse = y_true.ndim < len(y_pred_shape) or (y_true.shape[-1] == 1 and y_pred_shape[-1] > 1)
            kind = "binary" if binary else "sparse_categorical" if sparse else "categorical"
            return _make(f"{kind}_accuracy", identifier)
        name = _ALIASES.get(identifier, identifier)
        if name not in _METRICS:
            raise ValueError(f"Unknown metric {identifier!r}. Valid names: {', '.join(names())}.")
        return _make(name, identifier)
    if callable(identifier):
        return Metric(identifier)
    raise TypeError(f"metric must be a name, an nnlite.metrics.Metric or a callable; got {identifier!r}.")

"""Accuracy metrics: the share of predictions that hit the label (by value, threshold, argmax or top k)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import config
from ..losses.base import align
from .base import METRICS, MeanMetricWrapper, document_common


def accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """m = [y == p], elementwise.

    Args:
        y_true: the true values (labels), a (batch, ...) array or tensor.
        y_pred: the predictions, shaped as y_true (class scores where y_true holds indices).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.metrics.accuracy([[1], [2]], [[1], [0]])
        array([[1.],
               [0.]], dtype=float32)
    """
    y_pred = np.asarray(y_pred)
    y_true, y_pred = align(np.asarray(y_true, dtype=y_pred.dtype), y_pred)
    return (y_true == y_pred).astype(config.floatx())


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> np.ndarray:
    """m = [y == (p > threshold)], elementwise.

    Args:
        y_true: the true values (labels), a (batch, ...) array or tensor.
        y_pred: the predictions, shaped as y_true (class scores where y_true holds indices).
        threshold: p > threshold is read as a prediction of 1.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.metrics.binary_accuracy([[1.0], [0.0]], [[0.7], [0.6]], threshold=0.5)
        array([[1.],
               [0.]], dtype=float32)
    """
    y_true, y_pred = align(np.asarray(y_true), np.asarray(y_pred))
    return (y_true == (y_pred > threshold)).astype(config.floatx())


def _squeezed_labels(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Integer labels (batch,) from (batch,) or (batch, 1) next to scores (batch, classes)."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        return y_true[..., 0]
    return y_true


def categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """m = [argmax y == argmax p].

    Args:
        y_true: the true values (labels), a (batch, ...) array or tensor.
        y_pred: the predictions, shaped as y_true (class scores where y_true holds indices).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.metrics.categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
        array([1., 0.], dtype=float32)
    """
    return (np.asarray(y_true).argmax(axis=-1) == np.asarray(y_pred).argmax(axis=-1)).astype(config.floatx())


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """m = [y == argmax p] for integer labels y.

    Args:
        y_true: the true values (labels), a (batch, ...) array or tensor.
        y_pred: the predictions, shaped as y_true (class scores where y_true holds indices).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.metrics.sparse_categorical_accuracy([1, 0], [[0.2, 0.8], [0.3, 0.7]])
        array([1., 0.], dtype=float32)
    """
    y_pred = np.asarray(y_pred)
    labels = _squeezed_labels(np.asarray(y_true), y_pred)
    return (labels == y_pred.argmax(axis=-1)).astype(config.floatx())


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5,
                                      from_sorted_ids: bool = False) -> np.ndarray:
    """m = [p_y is among the k largest p]; ties at the boundary count as in (TensorFlow's in_top_k).

    With ``from_sorted_ids``, y_pred holds class ids sorted by score (best first): m = [y in y_pred[:k]].

    Args:
        y_true: the true values (labels), a (batch, ...) array or tensor.
        y_pred: the predictions, shaped as y_true (class scores where y_true holds indices).
        k: how many of the largest predictions count as a hit.
        from_sorted_ids: y_pred holds class ids sorted best first rather than scores.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.metrics.sparse_top_k_categorical_accuracy([2], [[0.5, 0.2, 0.3]], k=2)
        array([1.], dtype=float32)
    """
    y_pred = np.asarray(y_pred)
    labels = _squeezed_labels(np.asarray(y_true), y_pred).astype(np.int64)
    if from_sorted_ids:
        return np.any(y_pred[..., :k] == labels[..., None], axis=-1).astype(config.floatx())
    target = np.take_along_axis(y_pred, labels[..., None], axis=-1)  # (batch, 1)
    return (np.sum(y_pred > target, axis=-1) < k).astype(config.floatx())


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    """m = [p at argmax y is among the k largest p].

    Args:
        y_true: the true values (labels), a (batch, ...) array or tensor.
        y_pred: the predictions, shaped as y_true (class scores where y_true holds indices).
        k: how many of the largest predictions count as a hit.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.metrics.top_k_categorical_accuracy([[0, 0, 1]], [[0.5, 0.2, 0.3]], k=2)
        array([1.], dtype=float32)
    """
    return sparse_top_k_categorical_accuracy(np.argmax(y_true, axis=-1), y_pred, k)


class _AccuracyMetric(MeanMetricWrapper):
    direction = "up"


@document_common
@METRICS.register()
class Accuracy(_AccuracyMetric):
    """How often predictions equal labels.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.Accuracy()
        >>> m.update_state([[1], [2], [3]], [[1], [2], [0]])
        >>> round(float(m.result()), 4)
        0.6667
    """

    def __init__(self, name: str = "accuracy", dtype: str | None = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)


@document_common
@METRICS.register("binary_accuracy")
class BinaryAccuracy(_AccuracyMetric):
    """How often (p > threshold) equals a 0/1 label.

    Args:
        threshold: p > threshold is read as a prediction of 1.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.BinaryAccuracy(threshold=0.5)
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, name: str = "binary_accuracy", dtype: str | None = None, threshold: float = 0.5) -> None:
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


@document_common
@METRICS.register("categorical_accuracy")
class CategoricalAccuracy(_AccuracyMetric):
    """How often argmax p equals argmax of a one-hot label.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.CategoricalAccuracy()
        >>> m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: str | None = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


@document_common
@METRICS.register("sparse_categorical_accuracy")
class SparseCategoricalAccuracy(_AccuracyMetric):
    """How often argmax p equals an integer label.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.SparseCategoricalAccuracy()
        >>> m.update_state([1, 0], [[0.2, 0.8], [0.3, 0.7]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: str | None = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


@document_common
@METRICS.register("top_k_categorical_accuracy")
class TopKCategoricalAccuracy(_AccuracyMetric):
    """How often the one-hot label's class is among the k largest p.

    Args:
        k: how many of the largest predictions count as a hit.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.TopKCategoricalAccuracy(k=2)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.5, 0.3, 0.2], [0.1, 0.7, 0.2]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: str | None = None) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {**super().get_config(), "k": self.k}


@document_common
@METRICS.register("sparse_top_k_categorical_accuracy")
class SparseTopKCategoricalAccuracy(_AccuracyMetric):
    """How often the integer label is among the k largest p (or the first k sorted ids).

    Args:
        k: how many of the largest predictions count as a hit.
        from_sorted_ids: y_pred holds class ids sorted best first rather than scores: a hit is the label among its
            first k.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.SparseTopKCategoricalAccuracy(k=2)
        >>> m.update_state([2, 1], [[0.5, 0.3, 0.2], [0.1, 0.7, 0.2]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: str | None = None,
                 from_sorted_ids: bool = False) -> None:
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        return {**super().get_config(), "k": self.k, "from_sorted_ids": self.from_sorted_ids}

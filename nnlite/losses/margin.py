"""Margin losses for labels in {-1, 1} (0/1 labels are converted): hinge, squared hinge, categorical hinge."""

from __future__ import annotations

import numpy as np

from .base import LOSSES, Loss, document_common


def hinge_labels(y: np.ndarray) -> np.ndarray:
    """Labels that are all 0 or 1 in the batch become -1 or 1, as Keras converts them."""
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


@document_common
@LOSSES.register("hinge")
class Hinge(Loss):
    """v = mean(max(1 - y p, 0)) with y in {-1, 1};  dv/dp = -y [1 - y p >= 0] / k (on the margin too, as
    TensorFlow's maximum passes a tie's gradient to its first argument).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[1.0, 0.0]]), np.array([[0.5, -2.0]])  # 0/1 labels become -1/1
        >>> loss = nnlite.losses.Hinge()
        >>> round(float(loss(y_true, y_pred)), 6)
        0.25
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(name, reduction, dtype)

    def prepare(self, y_true, y_pred):
        y, p = super().prepare(y_true, y_pred)
        return hinge_labels(y), p

    def call(self, y, p):
        return np.mean(np.maximum(1 - y * p, 0), axis=-1)

    def grad(self, y, p):
        return -y * (1 - y * p >= 0) / p.shape[-1]


@document_common
@LOSSES.register("squared_hinge")
class SquaredHinge(Loss):
    """v = mean(max(1 - y p, 0)^2) with y in {-1, 1};  dv/dp = -2 y max(1 - y p, 0) / k.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[1.0, 0.0]]), np.array([[0.5, -2.0]])
        >>> loss = nnlite.losses.SquaredHinge()
        >>> round(float(loss(y_true, y_pred)), 6)
        0.125
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(name, reduction, dtype)

    def prepare(self, y_true, y_pred):
        y, p = super().prepare(y_true, y_pred)
        return hinge_labels(y), p

    def call(self, y, p):
        return np.mean(np.square(np.maximum(1 - y * p, 0)), axis=-1)

    def grad(self, y, p):
        return -2 * y * np.maximum(1 - y * p, 0) / p.shape[-1]


@document_common
@LOSSES.register("categorical_hinge")
class CategoricalHinge(Loss):
    """v = max(neg - pos + 1, 0), pos = sum(y p), neg = max((1 - y) p).

    Where active (neg - pos + 1 >= 0): dv/dp = (1 - y) m - y, with m the indicator of the largest
    (1 - y) p shared equally among ties (TensorFlow's gradient of reduce_max).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.3, 0.6]])
        >>> loss = nnlite.losses.CategoricalHinge()
        >>> round(float(loss(y_true, y_pred)), 6)
        0.7
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(name, reduction, dtype)

    def call(self, y, p):
        pos = np.sum(y * p, axis=-1)
        neg = np.max((1 - y) * p, axis=-1)
        return np.maximum(neg - pos + 1, 0)

    def grad(self, y, p):
        negatives = (1 - y) * p
        top = negatives == negatives.max(axis=-1, keepdims=True)
        share = top / top.sum(axis=-1, keepdims=True).astype(p.dtype)  # (batch, k), in p's dtype
        active = (negatives.max(axis=-1) - np.sum(y * p, axis=-1) + 1 >= 0)[..., None]
        return ((1 - y) * share - y) * active

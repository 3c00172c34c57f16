"""Overlap losses for segmentation: Dice and Tversky, one minus how much of the true region the prediction covers.
Written with nnlite.ops, as Keras writes them: the tape gives their gradients."""

from __future__ import annotations

from typing import Any

from .. import config, ops
from .base import LOSSES, Loss, document_common


@document_common
@LOSSES.register("dice")
class Dice(Loss):
    """v = 1 - 2 sum(y p) / (sum(y) + sum(p) + eps), the sums over ``axis`` (every axis with ``None``: one value
    for the whole batch).

    Args:
        axis: the axes the sums run over, or None for all.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y, p = np.array([[1.0, 1.0, 0.0]]), np.array([[0.5, 1.0, 0.5]])
        >>> round(float(nnlite.losses.Dice()(y, p)), 6)  # 1 - 2 (1.5) / (2 + 2)
        0.25
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis: Any = None, dtype=None):
        super().__init__(name, reduction, dtype)
        self.axis = axis

    def call(self, y_true, y_pred):
        intersection = ops.sum(y_true * y_pred, axis=self.axis)
        return 1 - 2.0 * intersection / (ops.sum(y_true, axis=self.axis) + ops.sum(y_pred, axis=self.axis)
                                         + config.epsilon())

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@document_common
@LOSSES.register("tversky")
class Tversky(Loss):
    """v = 1 - I / (I + alpha sum((1 - p) y) + beta sum(p (1 - y)) + eps), I = sum(y p), the sums over ``axis``
    (Keras's weights: alpha on the true region the prediction misses, beta on what it adds; alpha = beta = 1/2 is
    Dice).

    Args:
        alpha: the weight of sum((1 - p) y).
        beta: the weight of sum(p (1 - y)).
        axis: the axes the sums run over, or None for all.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y, p = np.array([[1.0, 1.0, 0.0]]), np.array([[0.5, 1.0, 0.5]])
        >>> round(float(nnlite.losses.Tversky()(y, p)), 6)  # the same as Dice
        0.25
    """

    def __init__(self, alpha: float = 0.5, beta: float = 0.5, reduction="sum_over_batch_size", name="tversky",
                 axis: Any = None, dtype=None):
        super().__init__(name, reduction, dtype)
        self.alpha, self.beta, self.axis = alpha, beta, axis

    def call(self, y_true, y_pred):
        intersection = ops.sum(y_true * y_pred, axis=self.axis)
        missed = ops.sum((1 - y_pred) * y_true, axis=self.axis)
        added = ops.sum(y_pred * (1 - y_true), axis=self.axis)
        return 1 - intersection / (intersection + missed * self.alpha + added * self.beta + config.epsilon())

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta, "axis": self.axis}

"""Correlation of predictions with labels along an axis, per sample, averaged over the samples seen:
Pearson's r and Lin's concordance correlation coefficient, as Keras computes them."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import config
from ..losses.base import align
from .base import METRICS, MeanMetricWrapper, document_common


def _float_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """y_pred as floats and y_true in its dtype, squeezed or expanded to one rank (Keras's rule)."""
    y_pred = np.asarray(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(config.floatx())
    return align(np.asarray(y_true, dtype=y_pred.dtype), y_pred)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """r = mean(y_hat p_hat) along ``axis``, with y_hat = (y - mean y) / std y and p_hat likewise (population
    standard deviations; a constant row gives NaN, as in Keras).

    Args:
        y_true: the true values, a (batch, n) array or tensor.
        y_pred: the predictions, shaped as y_true.
        axis: the axis the n values of a sample lie along.

    Example:
        >>> import nnlite
        >>> nnlite.metrics.pearson_correlation([[0.0, 1.0, 2.0]], [[1.0, 3.0, 5.0]]).round(4)
        array([1.])
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_hat = y_true - np.mean(y_true, axis=axis, keepdims=True)
    p_hat = y_pred - np.mean(y_pred, axis=axis, keepdims=True)
    y_hat = y_hat / np.std(y_hat, axis=axis, keepdims=True)
    p_hat = p_hat / np.std(p_hat, axis=axis, keepdims=True)
    return np.mean(y_hat * p_hat, axis=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """ccc = mean(2 (y - mean p)(p - mean p)) / (var y + var p + (mean y - mean p)^2 + eps) along ``axis``.

    Keras's formula, which centres y on mean p in the covariance term (Lin's centres y on mean y); nnlite follows it
    so that the numbers agree.

    Args:
        y_true: the true values, a (batch, n) array or tensor.
        y_pred: the predictions, shaped as y_true.
        axis: the axis the n values of a sample lie along.

    Example:
        >>> import nnlite
        >>> nnlite.metrics.concordance_correlation([[0.0, 1.0, 0.5]], [[0.1, 0.9, 0.5]]).round(4)
        array([0.9756])
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_mean = np.mean(y_true, axis=axis, keepdims=True)
    p_mean = np.mean(y_pred, axis=axis, keepdims=True)
    norm = (np.var(y_true - y_mean, axis=axis, keepdims=True) + np.var(y_pred - p_mean, axis=axis, keepdims=True)
            + np.square(y_mean - p_mean))
    covar = (y_true - p_mean) * (y_pred - p_mean)
    return np.mean(2 * covar / (norm + config.epsilon()), axis=axis)


class _Correlation(MeanMetricWrapper):
    """The mean over the samples of ``fn(y_true, y_pred, axis)`` (each subclass names its ``fn``); the config is
    Keras's (name, dtype, axis)."""

    direction = "up"
    fn: Any

    def __init__(self, name: str, dtype: str | None = None, axis: int = -1) -> None:
        super().__init__(type(self).fn, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


@document_common
@METRICS.register("pearson_correlation")
class PearsonCorrelation(_Correlation):
    """mean over the samples of Pearson's r between each sample's labels and predictions (see
    :func:`pearson_correlation`).

    Args:
        axis: the axis the values of a sample lie along.
        {common arguments}

    Example:
        >>> import nnlite
        >>> m = nnlite.metrics.PearsonCorrelation()
        >>> m.update_state([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0]], [[1.0, 3.0, 5.0], [0.0, 1.0, 0.0]])
        >>> round(float(m.result()), 4)  # (1 + -1) / 2
        0.0
    """

    fn = staticmethod(pearson_correlation)

    def __init__(self, name: str = "pearson_correlation", dtype: str | None = None, axis: int = -1) -> None:
        super().__init__(name, dtype, axis)


@document_common
@METRICS.register("concordance_correlation")
class ConcordanceCorrelation(_Correlation):
    """mean over the samples of the concordance correlation between each sample's labels and predictions (see
    :func:`concordance_correlation`).

    Args:
        axis: the axis the values of a sample lie along.
        {common arguments}

    Example:
        >>> import nnlite
        >>> m = nnlite.metrics.ConcordanceCorrelation()
        >>> m.update_state([[0.0, 1.0, 0.5], [1.0, 1.0, 0.2]], [[0.1, 0.9, 0.5], [1.0, 0.9, 0.2]])
        >>> round(float(m.result()), 4)
        0.9816
    """

    fn = staticmethod(concordance_correlation)

    def __init__(self, name: str = "concordance_correlation", dtype: str | None = None, axis: int = -1) -> None:
        super().__init__(name, dtype, axis)

"""Scores over the whole epoch rather than means of per-sample values: F-beta (F1) and R^2."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import config
from ..losses.base import align
from ..tensor import as_tensor
from ..warn import warn
from .base import METRICS, Metric, document_common


@document_common
@METRICS.register("fbeta_score")
class FBetaScore(Metric):
    """F_beta = (1 + b^2) P R / (b^2 P + R) per class, from TP, FP and FN summed over the epoch.

    A prediction counts as positive when p > threshold, or, without a threshold, when it is its
    row's largest (and not 0). ``average``: None (one score per class), "micro" (counts pooled),
    "macro" (mean of the classes) or "weighted" (mean weighted by each class's positives).

    Args:
        average: ``None`` (one score per class), "micro", "macro" or "weighted" (see above).
        beta: b > 0, how much more recall weighs than precision.
        threshold: p > threshold counts as a positive prediction; ``None``: each row's largest (if not 0).
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.FBetaScore(average=None, beta=2.0, threshold=0.5)
        >>> m.update_state([[1, 0], [0, 1], [1, 0]], [[0.9, 0.2], [0.7, 0.6], [0.1, 0.3]])
        >>> m.result().round(4)
        array([0.5, 1. ], dtype=float32)
    """

    direction = "up"

    def __init__(self, average: str | None = None, beta: float = 1.0, threshold: float | None = None,
                 name: str = "fbeta_score", dtype: str | None = None) -> None:
        super().__init__(dtype=dtype, name=name)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                             f"'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):  # Keras's two messages
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float. Received: beta={beta} of "
                             f"type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None and not isinstance(threshold, float):  # Keras's two messages
            raise ValueError("Invalid `threshold` argument value. It should be a Python float. Received: "
                             f"threshold={threshold} of type '{type(threshold)}'")
        if threshold is not None and not 0.0 < threshold <= 1.0:
            raise ValueError("Invalid `threshold` argument value. It should verify 0 < threshold <= 1. Received: "
                             f"threshold={threshold}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._counts: dict[str, Any] | None = None

    def _build(self, classes: int) -> None:
        shape = () if self.average == "micro" else (classes,)
        self._counts = {name: self.add_variable(shape, name=name) for name in
                        ("true_positives", "false_positives", "false_negatives", "intermediate_weights")}

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = np.asarray(y_true, dtype=self.dtype), np.asarray(y_pred, dtype=self.dtype)
        if y_true.ndim != 2 or y_pred.ndim != 2:
            raise ValueError(f"FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received input "
                             f"shapes: y_pred.shape={y_pred.shape} and y_true.shape={y_true.shape}.")
        if self._counts is None:
            self._build(y_pred.shape[-1])
        if self.threshold is None:
            positive = (y_pred >= y_pred.max(axis=-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            positive = y_pred > self.threshold
        p = positive.astype(self.dtype)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=self.dtype)[:, None]

        def total(values):
            return np.sum(values if w is None else values * w, axis=self.axis)

        self._counts["true_positives"].value[...] += total(p * y_true)
        self._counts["false_positives"].value[...] += total(p * (1 - y_true))
        self._counts["false_negatives"].value[...] += total((1 - p) * y_true)
        self._counts["intermediate_weights"].value[...] += total(y_true)

    def result(self):
        if self._counts is None:
            return as_tensor(np.zeros((), self.dtype))
        eps = config.epsilon()
        tp, fp, fn = (self._counts[k].value for k in ("true_positives", "false_positives", "false_negatives"))
        precision, recall = tp / (tp + fp + eps), tp / (tp + fn + eps)
        score = precision * recall / (self.beta**2 * precision + recall + eps) * (1 + self.beta**2)
        if self.average == "weighted":
            weights = self._counts["intermediate_weights"].value
            score = np.sum(score * weights / (np.sum(weights) + eps))
        elif self.average is not None:
            score = np.mean(score)
        return as_tensor(np.asarray(score, dtype=self.dtype))

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


@document_common
@METRICS.register("f1_score")
class F1Score(FBetaScore):
    """F_1 = 2 P R / (P + R): FBetaScore with beta 1.

    Args:
        average: ``None`` (one score per class), "micro", "macro" or "weighted" (see above).
        threshold: p > threshold counts as a positive prediction; ``None``: each row's largest (if not 0).
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.F1Score(average="micro", threshold=0.5)
        >>> m.update_state([[1, 0], [0, 1], [1, 0]], [[0.9, 0.2], [0.7, 0.6], [0.1, 0.3]])
        >>> round(float(m.result()), 4)
        0.6667
    """

    def __init__(self, average: str | None = None, threshold: float | None = None, name: str = "f1_score",
                 dtype: str | None = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


@document_common
@METRICS.register("r2_score")
class R2Score(Metric):
    """R^2 = 1 - sum s (y - p)^2 / sum s (y - mean y)^2 per output, over the epoch; averaged uniformly
    or by variance, and adjusted for ``num_regressors`` when given.

    Args:
        class_aggregation: "uniform_average" (the mean of the outputs' scores), "variance_weighted_average" (weighted
            by each output's variance), or None (one score per output).
        num_regressors: the number of independent variables, for the adjusted R^2 (0 leaves it unadjusted).
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.R2Score()
        >>> m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.5], [2.5]])
        >>> round(float(m.result()), 4)
        0.75
    """

    direction = "up"

    def __init__(self, class_aggregation: str | None = "uniform_average", num_regressors: int = 0,
                 name: str = "r2_score", dtype: str | None = None) -> None:
        super().__init__(dtype=dtype, name=name)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of {None, "
                             f"'uniform_average', 'variance_weighted_average'}}. Received: "
                             f"class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`. Expected a value >= 0. Received: "
                             f"num_regressors={num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable(name="num_samples")
        self._sums: dict[str, Any] | None = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = align(np.asarray(y_true, dtype=self.dtype), np.asarray(y_pred, dtype=self.dtype))
        if y_true.ndim != 2 or y_pred.ndim != 2:
            raise ValueError(f"R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                             f"shapes: y_pred.shape={y_pred.shape} and y_true.shape={y_true.shape}.")
        if self._sums is None:
            self._sums = {name: self.add_variable((y_pred.shape[-1],), name=name)
                          for name in ("squared_sum", "sum", "residual", "count")}
        w = np.ones((), self.dtype) if sample_weight is None else np.asarray(sample_weight, dtype=self.dtype)
        w = np.broadcast_to(w[:, None] if w.ndim == 1 else w, y_true.shape)
        self._sums["sum"].value[...] += np.sum(y_true * w, axis=0)
        self._sums["squared_sum"].value[...] += np.sum(y_true * y_true * w, axis=0)
        self._sums["residual"].value[...] += np.sum((y_true - y_pred) ** 2 * w, axis=0)
        self._sums["count"].value[...] += np.sum(w, axis=0)
        self.num_samples.value[...] += y_true.size

    def result(self):
        if self._sums is None:
            return as_tensor(np.zeros((), self.dtype))
        s = {k: v.value for k, v in self._sums.items()}
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = s["sum"] / s["count"]
            total = s["squared_sum"] - s["sum"] * mean
            raw = 1 - s["residual"] / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(total * raw) / np.sum(total)
        else:
            score = raw
        n, k = float(self.num_samples.value), self.num_regressors
        if k:
            if k > n - 1:
                warn("More independent predictors than datapoints in adjusted R2 score. Falling back to "
                     "standard R2 score.")
            elif k == n - 1:
                warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.")
            else:
                score = 1 - (1 - score) * (n - 1) / (n - k - 1)
        return as_tensor(np.asarray(score, dtype=self.dtype))

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}

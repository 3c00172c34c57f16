"""Metrics from the confusion matrix at one or more thresholds: the four counts, precision, recall (AUC: ``auc``).

A prediction is positive at threshold t when p > t; a label is positive when it is not 0. The counts
are sums of sample weights over every entry (labels flattened), kept per threshold:
    TP = sum s [y] [p > t],  FP = sum s [not y] [p > t],  TN = sum s [not y] [p <= t],  FN = sum s [y] [p <= t].
With ``top_k`` only the k largest predictions of a row can be positive; with ``class_id`` only that
column is counted.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import limits
from ..docstrings import with_arguments
from ..losses.base import align
from ..tensor import as_tensor
from .base import METRICS, Metric, document_common

COUNT_THRESHOLDS = """\
        thresholds: a float in [0, 1] or a list of them: p > threshold counts as a positive prediction, and a list
            gives one result per threshold. ``None``: 0.5.
"""
CLASS_ID = """\
        class_id: the one class (column) to compute it for; ``None`` takes every column, flattened.
"""
TOP_K = """\
        top_k: count only the k largest predictions of each row as positive (then ``thresholds`` defaults to
            none); ``None`` for no such limit.
""" + CLASS_ID
EVEN_THRESHOLDS = """\
        num_thresholds: how many thresholds, evenly spaced over [0, 1], are tried (1: 0.5 alone).
""" + CLASS_ID
NEG_INF = -1e10  # Keras's stand-in for "below every threshold" (top_k, the default threshold with top_k)


def threshold_list(thresholds: Any, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = [thresholds] if isinstance(thresholds, numbers.Real) else list(thresholds)
    invalid = [t for t in values if isinstance(t, bool) or not isinstance(t, numbers.Real) or not 0 <= t <= 1]
    if invalid:  # Keras's words: the values out of range
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return [float(t) for t in values]


def confusion_counts(y_true: Any, y_pred: Any, thresholds: np.ndarray, sample_weight: Any = None,
                     top_k: int | None = None, class_id: int | None = None, evenly: bool = False,
                     dtype: str = "float32", label_weights: Any = None) -> dict[str, np.ndarray]:
    """TP, FP, TN, FN per threshold (see the module docstring), each of shape (len(thresholds),)."""
    y_pred = np.asarray(y_pred, dtype=dtype)
    y_true = np.asarray(y_true, dtype=dtype)
    y_pred, y_true = align(y_pred, y_true)
    if top_k is not None:
        order = np.argsort(-y_pred, axis=-1, kind="stable")[..., :top_k]
        keep = np.zeros(y_pred.shape, dtype=bool)
        np.put_along_axis(keep, order, True, axis=-1)
        y_pred = np.where(keep, y_pred, np.asarray(NEG_INF, dtype=dtype))
    weights = np.ones(y_pred.shape, dtype=dtype)
    if sample_weight is not None:
        s = np.asarray(sample_weight, dtype=dtype)[..., None]
        if s.ndim == y_true.ndim + 1 and s.shape[-1] == 1:
            s = s[..., 0]
        weights = np.broadcast_to(s, y_pred.shape)
    if label_weights is not None:  # each label's entries weighted (along the last axis)
        weights = weights * np.asarray(label_weights, dtype=dtype)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape (num_samples, "
                             f"num_classes), found shape: {y_pred.shape}")
        y_true, y_pred, weights = y_true[..., class_id], y_pred[..., class_id], weights[..., class_id]
    positive = (y_true != 0).ravel()
    p, w = y_pred.ravel(), weights.ravel()
    if evenly:  # Keras's bucketing: p in (b/(n-1), (b+1)/(n-1)] counts for thresholds 0..b
        n = len(thresholds)
        bucket = np.ceil(np.clip(p, 0, 1) * (n - 1)).astype(np.int64) - 1
        if thresholds[0] < 0 or thresholds[-1] > 1:  # end thresholds just outside [0, 1]: p = 0 counts at the first
            bucket = np.maximum(bucket, 0)
        keep = bucket >= 0  # otherwise p = 0 is above no threshold (TensorFlow drops segment -1)
        bucket, wp, wn = bucket[keep], (w * positive)[keep], (w * ~positive)[keep]
        tp = np.bincount(bucket, weights=wp, minlength=n)[::-1].cumsum()[::-1]
        fp = np.bincount(bucket, weights=wn, minlength=n)[::-1].cumsum()[::-1]
    else:
        above = p[None, :] > np.asarray(thresholds, dtype=dtype)[:, None]  # (thresholds, entries)
        tp = (above * (w * positive)).sum(axis=1)
        fp = (above * (w * ~positive)).sum(axis=1)
    total_pos, total_neg = np.sum(w * positive), np.sum(w * ~positive)
    return {"true_positives": tp, "false_positives": fp, "true_negatives": total_neg - fp,
            "false_negatives": total_pos - tp}


class _ConfusionMetric(Metric):
    """Accumulates confusion counts per threshold in float variables of the metric's dtype."""

    counts: tuple[str, ...] = ()

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: str | None = None,
                 top_k: int | None = None, class_id: int | None = None, default: float = 0.5) -> None:
        super().__init__(dtype=dtype, name=name)
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        self.thresholds = threshold_list(thresholds, default if top_k is None else NEG_INF)
        for count in self.counts:
            setattr(self, count, self.add_variable((len(self.thresholds),), name=count))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        counts = confusion_counts(y_true, y_pred, np.array(self.thresholds), sample_weight, self.top_k,
                                  self.class_id, dtype=self.dtype)
        for count in self.counts:
            getattr(self, count).value[...] += counts[count]

    def _one(self, values: np.ndarray) -> Any:
        return as_tensor(values[0] if len(self.thresholds) == 1 else values)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class _Count(_ConfusionMetric):
    """One of the four counts, per threshold (a number with one threshold)."""

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(thresholds, name, dtype)

    def result(self):
        return self._one(getattr(self, self.counts[0]).value.copy())

    def get_config(self):
        return {**Metric.get_config(self), "thresholds": self.init_thresholds}


@with_arguments(COUNT_THRESHOLDS, "thresholds")
@document_common
@METRICS.register("true_positives")
class TruePositives(_Count):
    """TP: the weights of positive labels predicted positive.

    Args:
        {thresholds}
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.TruePositives()
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> float(m.result())
        1.0
    """

    counts = ("true_positives",)


@with_arguments(COUNT_THRESHOLDS, "thresholds")
@document_common
@METRICS.register("false_positives")
class FalsePositives(_Count):
    """FP: the weights of negative labels predicted positive.

    Args:
        {thresholds}
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.FalsePositives()
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> float(m.result())
        1.0
    """

    counts = ("false_positives",)


@with_arguments(COUNT_THRESHOLDS, "thresholds")
@document_common
@METRICS.register("true_negatives")
class TrueNegatives(_Count):
    """TN: the weights of negative labels predicted negative.

    Args:
        {thresholds}
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.TrueNegatives()
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> float(m.result())
        1.0
    """

    counts = ("true_negatives",)


@with_arguments(COUNT_THRESHOLDS, "thresholds")
@document_common
@METRICS.register("false_negatives")
class FalseNegatives(_Count):
    """FN: the weights of positive labels predicted negative.

    Args:
        {thresholds}
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.FalseNegatives()
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> float(m.result())
        1.0
    """

    counts = ("false_negatives",)


def divide_no_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, 0 where b is 0 (Keras's divide_no_nan)."""
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


@with_arguments(COUNT_THRESHOLDS + TOP_K, "thresholds")
@document_common
@METRICS.register("precision")
class Precision(_ConfusionMetric):
    """TP / (TP + FP) at each threshold.

    Args:
        {thresholds}
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.Precision()
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> round(float(m.result()), 4)
        0.5
    """

    direction = "up"
    counts = ("true_positives", "false_positives")

    def __init__(self, thresholds: Any = None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(thresholds, name, dtype, top_k, class_id)

    def result(self):
        tp, fp = self.true_positives.value, self.false_positives.value
        return self._one(divide_no_nan(tp, tp + fp))


@with_arguments(COUNT_THRESHOLDS + TOP_K, "thresholds")
@document_common
@METRICS.register("recall")
class Recall(_ConfusionMetric):
    """TP / (TP + FN) at each threshold.

    Args:
        {thresholds}
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.Recall()
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> round(float(m.result()), 4)
        0.5
    """

    direction = "up"
    counts = ("true_positives", "false_negatives")

    def __init__(self, thresholds: Any = None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(thresholds, name, dtype, top_k, class_id)

    def result(self):
        tp, fn = self.true_positives.value, self.false_negatives.value
        return self._one(divide_no_nan(tp, tp + fn))


class _AtConstraint(_ConfusionMetric):
    """The largest of one rate among the thresholds where another reaches ``value`` (0 if none does),
    over evenly spaced thresholds from 0 to 1 (``num_thresholds`` of them; 1 means 0.5 alone)."""

    counts = ("true_positives", "false_positives", "true_negatives", "false_negatives")
    argument = ""  # the constructor argument that holds value: "recall", "precision", ...

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: str | None = None) -> None:
        if not 0 <= value <= 1:
            raise ValueError(f"Argument `{self.argument}` must be in the range [0, 1]. "
                             f"Received: {self.argument}={value}")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        limits.charge_unpaid(num_thresholds, f"{type(self).__name__} thresholds")
        thresholds = [0.5] if num_thresholds == 1 else (
            [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0])
        Metric.__init__(self, dtype=dtype, name=name)
        self.value, self.num_thresholds, self.class_id, self.top_k = value, num_thresholds, class_id, None
        self.thresholds, self._evenly = thresholds, num_thresholds > 1
        for count in self.counts:
            setattr(self, count, self.add_variable((len(thresholds),), name=count))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        counts = confusion_counts(y_true, y_pred, np.array(self.thresholds), sample_weight, None, self.class_id,
                                  evenly=self._evenly, dtype=self.dtype)
        for count in self.counts:
            getattr(self, count).value[...] += counts[count]

    def _rates(self) -> dict[str, np.ndarray]:
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {"recall": divide_no_nan(tp, tp + fn), "precision": divide_no_nan(tp, tp + fp),
                "specificity": divide_no_nan(tn, tn + fp)}

    def _best(self, constrained: np.ndarray, dependent: np.ndarray) -> Any:
        return as_tensor(np.max(np.where(constrained >= self.value, dependent, 0), initial=0).astype(self.dtype))

    def get_config(self):
        return {**Metric.get_config(self), "class_id": self.class_id, "num_thresholds": self.num_thresholds,
                self.argument: self.value}

    def __getattr__(self, name: str) -> Any:  # Keras's attribute for the constraint: m.recall, m.precision, ...
        if name == type(self).argument:
            return self.value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


@with_arguments(EVEN_THRESHOLDS, "thresholds")
@document_common
@METRICS.register(example={"recall": 0.6})
class PrecisionAtRecall(_AtConstraint):
    """The best precision among the thresholds whose recall is at least ``recall``.

    Args:
        recall: the recall, in [0, 1], a threshold must reach to be considered.
        {thresholds}
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.PrecisionAtRecall(recall=0.5, num_thresholds=11)
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> round(float(m.result()), 4)
        1.0
    """

    argument = "recall"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        rates = self._rates()
        return self._best(rates["recall"], rates["precision"])


@with_arguments(EVEN_THRESHOLDS, "thresholds")
@document_common
@METRICS.register(example={"precision": 0.6})
class RecallAtPrecision(_AtConstraint):
    """The best recall among the thresholds whose precision is at least ``precision``.

    Args:
        precision: the precision, in [0, 1], a threshold must reach to be considered.
        {thresholds}
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.RecallAtPrecision(precision=1.0, num_thresholds=11)
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> round(float(m.result()), 4)
        0.5
    """

    argument = "precision"

    def __init__(self, precision: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        rates = self._rates()
        return self._best(rates["precision"], rates["recall"])


@with_arguments(EVEN_THRESHOLDS, "thresholds")
@document_common
@METRICS.register(example={"specificity": 0.6})
class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) among the thresholds whose specificity is at least ``specificity``.

    Args:
        specificity: the specificity, in [0, 1], a threshold must reach to be considered.
        {thresholds}
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.SensitivityAtSpecificity(specificity=0.5, num_thresholds=11)
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> round(float(m.result()), 4)
        1.0
    """

    argument = "specificity"

    def __init__(self, specificity: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        rates = self._rates()
        return self._best(rates["specificity"], rates["recall"])


@with_arguments(EVEN_THRESHOLDS, "thresholds")
@document_common
@METRICS.register(example={"sensitivity": 0.6})
class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity among the thresholds whose sensitivity (recall) is at least ``sensitivity``.

    Args:
        sensitivity: the sensitivity, in [0, 1], a threshold must reach to be considered.
        {thresholds}
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.SpecificityAtSensitivity(sensitivity=1.0, num_thresholds=11)
        >>> m.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.6], [0.4], [0.2]])
        >>> round(float(m.result()), 4)
        0.5
    """

    argument = "sensitivity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        rates = self._rates()
        return self._best(rates["recall"], rates["specificity"])

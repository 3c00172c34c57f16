"""AUC: the area under the ROC or PR curve, from the confusion counts at ``num_thresholds`` thresholds (see
``confusion_metrics`` for the counts), for one flattened curve or one curve per label (``multi_label``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import activations, config, limits
from ..tensor import as_tensor
from .base import METRICS, Metric, document_common
from .confusion_metrics import confusion_counts, divide_no_nan, threshold_list


@document_common
@METRICS.register("auc")
class AUC(Metric):
    """Area under the ROC curve (false positive rate, recall) or the PR curve (recall, precision),
    summed over ``num_thresholds`` thresholds by the trapezoid rule ("interpolation"; for PR, Davis &
    Goadrich's interpolation of precision), or the lower ("minoring") or upper ("majoring") sums.

    The labels are flattened into one curve (each weighted by ``label_weights`` if given); with
    ``multi_label`` each label (column) has its own curve and the result is the mean of their areas
    (weighted by ``label_weights``).

    Args:
        num_thresholds: how many thresholds, evenly spaced over [0, 1], the curve is sampled at (more: a closer area).
        curve: "ROC", "PR" or "PRGAIN" (precision gain against recall gain, Flach & Kull 2015).
        summation_method: "interpolation", "minoring" or "majoring" (see above).
        thresholds: thresholds in [0, 1] to use instead of ``num_thresholds`` evenly spaced ones (one just below 0 and
            one just above 1 are added).
        multi_label: give each label (column) its own curve and return the mean of their areas; ``False`` puts every
            entry on one curve.
        num_labels: the number of labels for ``multi_label``, when known before the first batch (else read from it).
        label_weights: a weight per label: of its curve in the mean (``multi_label``), or of its entries on the one
            curve.
        from_logits: y_pred holds logits; a sigmoid is applied first.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])
        >>> round(float(m.result()), 4)
        0.75
    """

    direction = "up"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: str | None = None, dtype: str | None = None, thresholds: Sequence[float] | None = None,
                 multi_label: bool = False, num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        if curve not in ("ROC", "roc", "PR", "pr", "PRGAIN", "prgain"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]')
        if str(summation_method).lower() not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". Expected values are '
                             '["interpolation", "majoring", "minoring"]')
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        super().__init__(dtype=dtype, name=name)
        self.curve, self.summation_method = str(curve).upper(), str(summation_method).lower()
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, dtype=self.dtype)
        self.from_logits = from_logits
        self.init_thresholds = None if thresholds is None else sorted(threshold_list(thresholds, 0.5))
        if self.init_thresholds is not None:
            inner = self.init_thresholds
            self.num_thresholds = len(inner) + 2
            steps = np.diff([0.0] + inner + [1.0])
            self._evenly = bool(np.allclose(steps, steps[0])) if len(steps) else True
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            limits.charge_unpaid(num_thresholds, f"AUC {name!r} thresholds")
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        eps = config.epsilon()
        self.thresholds = np.array([0.0 - eps] + inner + [1.0 + eps])
        self._labels: int | None = None  # with multi_label: the label count the counts are kept for
        if not self.multi_label or num_labels:
            self._build(num_labels if self.multi_label else None)

    _COUNTS = ("true_positives", "true_negatives", "false_positives", "false_negatives")

    def _build(self, labels: int | None) -> None:
        """The counts per threshold (per threshold and label with ``multi_label``)."""
        self._labels = labels
        shape = (self.num_thresholds,) if labels is None else (self.num_thresholds, labels)
        for count in self._COUNTS:
            setattr(self, count, self.add_variable(shape, name=count))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = np.asarray(y_pred, dtype=self.dtype)
        if self.from_logits:
            y_pred = activations.sigmoid(y_pred)
        if not self.multi_label:
            counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, evenly=self._evenly,
                                      dtype=self.dtype, label_weights=self.label_weights)
        else:  # each label (column) counted on its own: counts of shape (thresholds, labels)
            if y_pred.ndim != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {y_pred.ndim}. "
                                 f"Full shape received for `y_pred`: {y_pred.shape}")
            if self._labels is None:
                self._build(y_pred.shape[1])
            y_true = np.asarray(y_true, dtype=self.dtype).reshape(y_pred.shape)
            columns = [confusion_counts(y_true[:, k], y_pred[:, k], self.thresholds, sample_weight,
                                        evenly=self._evenly, dtype=self.dtype) for k in range(y_pred.shape[1])]
            counts = {count: np.stack([c[count] for c in columns], axis=1) for count in self._COUNTS}
        for count, values in counts.items():
            getattr(self, count).value[...] += values

    def _average(self, terms: np.ndarray) -> Any:
        """The area: the terms summed over thresholds; with ``multi_label`` each label's area, then their mean
        (weighted by ``label_weights``)."""
        if not self.multi_label:
            return as_tensor(np.sum(terms, dtype=self.dtype))
        by_label = np.sum(terms, axis=0, dtype=self.dtype)
        if self.label_weights is None:
            return as_tensor(np.mean(by_label, dtype=self.dtype))
        total = np.sum(self.label_weights)
        return as_tensor(self.label_weights.dtype.type(np.sum(by_label * self.label_weights) / total if total else 0))

    def result(self):
        if self.multi_label and self._labels is None:
            return as_tensor(np.zeros((), dtype=self.dtype))
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc(tp, fp, fn)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:  # PRGAIN: recall and precision gains, 1 - (P / N) fn / tp and 1 - (P / N) fp / tp
            x, y = self._gains(tp, fp, tn, fn)
        pairs = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
                 "majoring": np.maximum(y[:-1], y[1:])}
        return self._average((x[:-1] - x[1:]) * pairs[self.summation_method])

    @staticmethod
    def _gains(tp, fp, tn, fn):
        """(recall gain, precision gain) at each threshold, with s = P / N = (tp + fn) / (tn + fp):
        1 - s fn / tp and 1 - s fp / tp; where tp = 0 the recall gain is 0 and the precision gain 1, and a negative
        recall gain (recall below the positives' share) is 0, as Keras sets them."""
        s = divide_no_nan(tp + fn, tn + fp)
        recall_gain = np.where(tp == 0, 0.0, 1.0 - s * divide_no_nan(fn, tp))
        precision_gain = np.where(tp == 0, 1.0, 1.0 - s * divide_no_nan(fp, tp))
        return np.maximum(recall_gain, 0.0).astype(tp.dtype), precision_gain.astype(tp.dtype)

    def _interpolated_pr_auc(self, tp, fp, fn):
        """Davis & Goadrich (2006): precision interpolated between thresholds along true positives."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), np.ones_like(p[1:]))
        with np.errstate(divide="ignore"):
            increment = divide_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return self._average(increment)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "from_logits": self.from_logits,
                  "label_weights": None if self.label_weights is None else self.label_weights.tolist()}
        return config if self.init_thresholds is None else {**config, "thresholds": self.init_thresholds}

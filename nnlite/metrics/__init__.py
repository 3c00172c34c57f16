"""Metrics, as ``keras.metrics``: running results over an epoch (see ``base``).

Every metric class is registered where it is defined; :func:`get` reads names from that
registry. ``"accuracy"`` in ``compile`` is resolved by :func:`resolve` the way Keras
does: one output unit -> binary accuracy (p > 0.5); labels of lower rank than the
predictions, or a last label dimension of 1 -> sparse categorical; else categorical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from .accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .auc import AUC
from .base import METRICS, CrossentropyMetric, Mean, MeanMetricWrapper, Metric, Sum, reduce_to_samplewise_values
from .confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from .correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from .iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from .losses_as_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    cosine_similarity,
)
from .score_metrics import F1Score, FBetaScore, R2Score

__all__ = [
    "METRICS", "Metric", "Mean", "Sum", "MeanMetricWrapper", "CrossentropyMetric", "reduce_to_samplewise_values",
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "RootMeanSquaredError", "LogCoshError", "CosineSimilarity", "Poisson",
    "KLDivergence", "Hinge", "SquaredHinge", "CategoricalHinge", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "AUC", "Precision", "Recall", "TruePositives", "FalsePositives",
    "TrueNegatives", "FalseNegatives", "F1Score", "FBetaScore", "R2Score", "PrecisionAtRecall", "RecallAtPrecision",
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "MeanIoU", "IoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU",
    "PearsonCorrelation", "ConcordanceCorrelation", "pearson_correlation", "concordance_correlation",
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mean_squared_error", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "log_cosh", "cosine_similarity", "poisson",
    "kl_divergence", "hinge", "squared_hinge", "categorical_hinge", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_focal_crossentropy",
    "categorical_focal_crossentropy", "huber", "get", "resolve", "names", "serialize", "deserialize",
]

ACCURACY_NAMES = ("accuracy", "acc")


def names() -> list[str]:
    """Every metric name ``compile`` accepts, "accuracy" and "acc" included.

    Example:
        >>> import numpy as np, nnlite
        >>> "auc" in nnlite.metrics.names()
        True
    """
    return sorted({*METRICS.names(), *ACCURACY_NAMES})


def get(identifier: str | dict | Metric | type | Callable | None) -> Metric | None:
    """Keras's ``metrics.get``: a Metric from a registered name or alias (with its default name), a config dict,
    a Metric or Metric class, or a function (one of nnlite's gives its metric class; any other is wrapped in
    MeanMetricWrapper); None gives None.

    Args:
        identifier: a name or alias, a config dict, a Metric (instance or class), a function, or None.

    Example:
        >>> import numpy as np, nnlite
        >>> type(nnlite.metrics.get("auc")).__name__, nnlite.metrics.get("mae").name
        ('AUC', 'mean_absolute_error')
    """
    if identifier is None or isinstance(identifier, (Metric, dict)):
        return identifier if not isinstance(identifier, dict) else METRICS.get(identifier)
    if isinstance(identifier, str):
        return (Accuracy if identifier in ACCURACY_NAMES else METRICS.lookup(identifier))()
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        name = getattr(identifier, "__name__", None)
        if name in METRICS:
            metric = METRICS.lookup(name)()
            if getattr(metric, "fn", None) is identifier:
                return metric
        return MeanMetricWrapper(identifier)
    return METRICS.get(identifier)


def resolve(identifier: Any, y_true: np.ndarray, y_pred_shape: Sequence[int]) -> Metric:
    """The Metric ``compile(metrics=[identifier])`` means, given the labels and the output shape.

    Args:
        identifier: what ``compile(metrics=[...])`` was given.
        y_true: the labels, which decide what "accuracy" means (binary, categorical or sparse).
        y_pred_shape: the shape of the model output the metric reads.

    Example:
        >>> import numpy as np, nnlite
        >>> type(nnlite.metrics.resolve("accuracy", np.array([0, 2]), (2, 3))).__name__  # integer labels, 3 classes
        'SparseCategoricalAccuracy'
    """
    if isinstance(identifier, str) and identifier in ACCURACY_NAMES:
        binary = y_pred_shape[-1] == 1
        sparse = y_true.ndim < len(y_pred_shape) or (y_true.shape[-1] == 1 and y_pred_shape[-1] > 1)
        kind = BinaryAccuracy if binary else SparseCategoricalAccuracy if sparse else CategoricalAccuracy
        return kind(name=identifier)
    if isinstance(identifier, str):  # compile logs a metric under the name as written
        return (Accuracy if identifier in ACCURACY_NAMES else METRICS.lookup(identifier))(name=identifier)
    return get(identifier)


serialize, deserialize = METRICS.serialize, METRICS.deserialize

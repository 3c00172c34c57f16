"""Metrics that are the mean of a loss's per-sample values: errors, crossentropies, divergences, hinges."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autodiff, losses
from .base import METRICS, CrossentropyMetric, Mean, MeanMetricWrapper, document_common


class _ErrorMetric(MeanMetricWrapper):
    direction = "down"


@document_common
@METRICS.register("mse", "MSE", "mean_squared_error")
class MeanSquaredError(_ErrorMetric):
    """mean((y - p)^2).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.MeanSquaredError()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 2.0]])
        >>> round(float(m.result()), 4)
        0.625
    """

    def __init__(self, name: str = "mean_squared_error", dtype: str | None = None) -> None:
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


@document_common
@METRICS.register("mae", "MAE", "mean_absolute_error")
class MeanAbsoluteError(_ErrorMetric):
    """mean|y - p|.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.MeanAbsoluteError()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 2.0]])
        >>> round(float(m.result()), 4)
        0.75
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: str | None = None) -> None:
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


@document_common
@METRICS.register("mape", "MAPE", "mean_absolute_percentage_error")
class MeanAbsolutePercentageError(_ErrorMetric):
    """100 mean(|y - p| / max(|y|, eps)).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.MeanAbsolutePercentageError()
        >>> m.update_state([[1.0, 2.0]], [[1.5, 2.0]])
        >>> round(float(m.result()), 4)
        25.0
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: str | None = None) -> None:
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


@document_common
@METRICS.register("msle", "MSLE", "mean_squared_logarithmic_error")
class MeanSquaredLogarithmicError(_ErrorMetric):
    """mean((log(p + 1) - log(y + 1))^2).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.MeanSquaredLogarithmicError()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 2.0]])
        >>> round(float(m.result()), 4)
        0.1644
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: str | None = None) -> None:
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


@document_common
@METRICS.register("logcosh", "log_cosh")
class LogCoshError(_ErrorMetric):
    """mean(log cosh(p - y)).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.LogCoshError()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 2.0]])
        >>> round(float(m.result()), 4)
        0.2769
    """

    def __init__(self, name: str = "logcosh", dtype: str | None = None) -> None:
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


@document_common
@METRICS.register("poisson")
class Poisson(_ErrorMetric):
    """mean(p - y log(p + eps)).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.Poisson()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 2.0]])
        >>> round(float(m.result()), 4)
        0.9034
    """

    def __init__(self, name: str = "poisson", dtype: str | None = None) -> None:
        super().__init__(losses.poisson, name=name, dtype=dtype)


@document_common
@METRICS.register("kl_divergence", "kld")
class KLDivergence(_ErrorMetric):
    """sum(y log(y / p)) with y and p clipped to [eps, 1].

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.KLDivergence()
        >>> m.update_state([[0.5, 0.5]], [[0.25, 0.75]])
        >>> round(float(m.result()), 4)
        0.1438
    """

    def __init__(self, name: str = "kl_divergence", dtype: str | None = None) -> None:
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


@document_common
@METRICS.register("hinge")
class Hinge(_ErrorMetric):
    """mean(max(1 - y p, 0)), labels in {-1, 1} (0/1 converted).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.Hinge()
        >>> m.update_state([[1.0, 0.0]], [[0.5, -2.0]])
        >>> round(float(m.result()), 4)
        0.25
    """

    def __init__(self, name: str = "hinge", dtype: str | None = None) -> None:
        super().__init__(losses.hinge, name=name, dtype=dtype)


@document_common
@METRICS.register("squared_hinge")
class SquaredHinge(_ErrorMetric):
    """mean(max(1 - y p, 0)^2), labels in {-1, 1} (0/1 converted).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.SquaredHinge()
        >>> m.update_state([[1.0, 0.0]], [[0.5, -2.0]])
        >>> round(float(m.result()), 4)
        0.125
    """

    def __init__(self, name: str = "squared_hinge", dtype: str | None = None) -> None:
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


@document_common
@METRICS.register("categorical_hinge")
class CategoricalHinge(_ErrorMetric):
    """max(max((1 - y) p) - sum(y p) + 1, 0).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.CategoricalHinge()
        >>> m.update_state([[0.0, 1.0]], [[0.3, 0.6]])
        >>> round(float(m.result()), 4)
        0.7
    """

    def __init__(self, name: str = "categorical_hinge", dtype: str | None = None) -> None:
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """m = sum(y_hat p_hat): +1 for the same direction (the loss is its negative).

    Args:
        y_true: the true values (labels), a (batch, ...) array or tensor.
        y_pred: the predictions, shaped as y_true (class scores where y_true holds indices).
        axis: the axis the vectors lie along.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.metrics.cosine_similarity([[1.0, 0.0]], [[1.0, 1.0]]).round(4)
        array([0.7071])
    """
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


@document_common
@METRICS.register("cosine_similarity")
class CosineSimilarity(MeanMetricWrapper):
    """mean over samples of sum(y_hat p_hat).

    Args:
        axis: the axis the vectors lie along.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.CosineSimilarity(axis=-1)
        >>> m.update_state([[1.0, 0.0]], [[1.0, 1.0]])
        >>> round(float(m.result()), 4)
        0.7071
    """

    direction = "up"

    def __init__(self, name: str = "cosine_similarity", dtype: str | None = None, axis: int = -1) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@document_common
@METRICS.register()
class RootMeanSquaredError(Mean):
    """sqrt(sum_i s_i (y_i - p_i)^2 / sum_i s_i), over every element.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.RootMeanSquaredError()
        >>> m.update_state([[0.0], [0.0]], [[3.0], [4.0]])
        >>> round(float(m.result()), 4)
        3.5355
    """

    direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype: str | None = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = losses.base.align(np.asarray(y_true, dtype=self.dtype), np.asarray(y_pred, dtype=self.dtype))
        super().update_state(np.square(y_pred - y_true), sample_weight)

    def result(self):
        return np.sqrt(super().result())


@document_common
@METRICS.register("binary_crossentropy", "bce", "BCE")
class BinaryCrossentropy(CrossentropyMetric):
    """mean of -(y log p + (1 - y) log(1 - p)); from z on a sigmoid or softmax output in fit.

    Args:
        from_logits: y_pred holds logits z (no sigmoid or softmax applied), the exact and stable way.
        label_smoothing: ls in [0, 1], pulling the labels towards 1/2.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.BinaryCrossentropy()
        >>> m.update_state([[1.0], [0.0]], [[0.5], [0.1]])
        >>> round(float(m.result()), 4)
        0.3993
    """

    def __init__(self, name: str = "binary_crossentropy", dtype: str | None = None, from_logits: bool = False,
                 label_smoothing: float = 0) -> None:
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.label_smoothing = label_smoothing

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


@document_common
@METRICS.register("categorical_crossentropy")
class CategoricalCrossentropy(CrossentropyMetric):
    """mean of -sum(y log p); from z on a sigmoid or softmax output in fit.

    Args:
        from_logits: y_pred holds logits z (no sigmoid or softmax applied), the exact and stable way.
        label_smoothing: ls in [0, 1], pulling the one-hot labels towards 1/C.
        axis: the class axis.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.CategoricalCrossentropy()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
        >>> round(float(m.result()), 4)
        0.6931
    """

    def __init__(self, name: str = "categorical_crossentropy", dtype: str | None = None, from_logits: bool = False,
                 label_smoothing: float = 0, axis: int = -1) -> None:
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.label_smoothing, self.axis = label_smoothing, axis

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}


@document_common
@METRICS.register("sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(CrossentropyMetric):
    """mean of -log p_y for integer labels y; from z on a sigmoid or softmax output in fit.

    Args:
        from_logits: y_pred holds logits z (no sigmoid or softmax applied), the exact and stable way.
        ignore_class: a label value to leave out (padding), or None.
        axis: the class axis of y_pred.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.SparseCategoricalCrossentropy()
        >>> m.update_state([1, 0], [[0.5, 0.5], [0.9, 0.1]])
        >>> round(float(m.result()), 4)
        0.3993
    """

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: str | None = None,
                 from_logits: bool = False, ignore_class: int | None = None, axis: int = -1) -> None:
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)
        self.ignore_class, self.axis = ignore_class, axis

    def _kept(self, y_true: Any, sample_weight: Any) -> Any:
        """Keras's mask of the ignored labels, which its mean applies only to given sample weights: the weights of
        ignored samples become 0 (without weights, they count with a value of 0)."""
        if sample_weight is None or self.ignore_class is None:
            return sample_weight
        keep = np.asarray(autodiff.value_of(y_true)) != self.ignore_class
        s = np.asarray(sample_weight, dtype=np.float64)
        if keep.ndim > s.ndim and keep.shape[-1:] == (1,):
            keep = keep[..., 0]
        return s * keep

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(y_true, y_pred, self._kept(y_true, sample_weight))

    def update_state_from_logits(self, y_true, z, sample_weight=None):
        super().update_state_from_logits(y_true, z, self._kept(y_true, sample_weight))

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "ignore_class": self.ignore_class,
                "axis": self.axis}

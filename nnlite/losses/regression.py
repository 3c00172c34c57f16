"""Losses for real-valued targets: squared, absolute, percentage and log errors, Huber, log-cosh, cosine."""

from __future__ import annotations

import numpy as np

from .. import config
from .base import LOSSES, Loss, document_common

LOG_2_FLOAT32 = float(np.float32(np.log(2.0)))  # Keras takes log 2 from a float32 op


@document_common
@LOSSES.register("mse", "mean_squared_error")
class MeanSquaredError(Loss):
    """v = mean((y - p)^2);  dv/dp = 2 (p - y) / k over the k outputs.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> float(nnlite.losses.MeanSquaredError()(np.array([[0.0, 2.0]]), np.array([[1.0, 0.0]])))  # (1 + 4) / 2
        2.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(name, reduction, dtype)

    def call(self, y, p):
        return np.mean(np.square(y - p), axis=-1)

    def grad(self, y, p):
        return 2 * (p - y) / p.shape[-1]


@document_common
@LOSSES.register("mae", "mean_absolute_error")
class MeanAbsoluteError(Loss):
    """v = mean|y - p|;  dv/dp = sign(p - y) / k.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.5, 2.0]])
        >>> loss = nnlite.losses.MeanAbsoluteError()
        >>> round(float(loss(y_true, y_pred)), 6)
        0.75
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(name, reduction, dtype)

    def call(self, y, p):
        return np.mean(np.abs(y - p), axis=-1)

    def grad(self, y, p):
        return np.sign(p - y) / p.shape[-1]


@document_common
@LOSSES.register("mape", "mean_absolute_percentage_error")
class MeanAbsolutePercentageError(Loss):
    """v = 100 mean(|y - p| / max(|y|, eps));  dv/dp = 100 sign(p - y) / (k max(|y|, eps)).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[1.0, 2.0]]), np.array([[1.5, 2.0]])
        >>> loss = nnlite.losses.MeanAbsolutePercentageError()
        >>> round(float(loss(y_true, y_pred)), 6)
        25.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name, reduction, dtype)

    def call(self, y, p):
        return 100 * np.mean(np.abs(y - p) / np.maximum(np.abs(y), config.epsilon()), axis=-1)

    def grad(self, y, p):
        return 100 * np.sign(p - y) / np.maximum(np.abs(y), config.epsilon()) / p.shape[-1]


@document_common
@LOSSES.register("msle", "mean_squared_logarithmic_error")
class MeanSquaredLogarithmicError(Loss):
    """v = mean((log(max(p, eps) + 1) - log(max(y, eps) + 1))^2).

    dv/dp = 2 (log(max(p, eps) + 1) - log(max(y, eps) + 1)) / (max(p, eps) + 1) / k where p >= eps.
    eps is Keras's float32 1e-7.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.5, 2.0]])
        >>> loss = nnlite.losses.MeanSquaredLogarithmicError()
        >>> round(float(loss(y_true, y_pred)), 6)
        0.164402
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name, reduction, dtype)

    def _logs(self, y, p):
        eps = float(np.float32(config.epsilon()))
        return np.log(np.maximum(p, eps) + 1), np.log(np.maximum(y, eps) + 1), eps

    def call(self, y, p):
        first, second, _ = self._logs(y, p)
        return np.mean(np.square(first - second), axis=-1)

    def grad(self, y, p):
        first, second, eps = self._logs(y, p)
        return 2 * (first - second) / (np.maximum(p, eps) + 1) * (p >= eps) / p.shape[-1]


@document_common
@LOSSES.register("huber", "huber_loss")
class Huber(Loss):
    """e = p - y;  v = mean(e^2 / 2 if |e| <= delta else delta |e| - delta^2 / 2).

    dv/dp = clip(e, -delta, delta) / k.

    Args:
        delta: where the loss turns from quadratic to linear, a positive number.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.5, 2.0]])
        >>> loss = nnlite.losses.Huber(delta=1.0)
        >>> round(float(loss(y_true, y_pred)), 6)
        0.3125
    """

    def __init__(self, delta: float = 1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(name, reduction, dtype)
        self.delta = float(delta)

    def call(self, y, p):
        e = np.abs(p - y)
        return np.mean(np.where(e <= self.delta, 0.5 * e * e, self.delta * e - 0.5 * self.delta**2), axis=-1)

    def grad(self, y, p):
        return np.clip(p - y, -self.delta, self.delta) / p.shape[-1]

    def get_config(self):  # Keras 3.15 leaves delta out of its config; nnlite keeps it (Keras reads it)
        return {**super().get_config(), "delta": self.delta}


@document_common
@LOSSES.register("log_cosh", "logcosh")
class LogCosh(Loss):
    """e = p - y;  v = mean(log cosh e) = mean(e + softplus(-2e) - log 2);  dv/dp = tanh(e) / k.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.5, 2.0]])
        >>> loss = nnlite.losses.LogCosh()
        >>> round(float(loss(y_true, y_pred)), 6)
        0.276948
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(name, reduction, dtype)

    def call(self, y, p):
        e = p - y
        return np.mean(e + np.logaddexp(0, -2 * e) - LOG_2_FLOAT32, axis=-1)

    def grad(self, y, p):
        return np.tanh(p - y) / p.shape[-1]


@document_common
@LOSSES.register("cosine_similarity")
class CosineSimilarity(Loss):
    """v = -sum(y_hat p_hat) with x_hat = x min(1 / ||x||, 1 / eps).

    dv/dp = -(y_hat - p_hat (p_hat . y_hat)) / ||p||; where ||p|| < eps the factor 1 / eps is a
    constant and dv/dp = -y_hat / eps.

    Args:
        axis: the axis along which the vectors whose cosine is taken lie.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]])
        >>> loss = nnlite.losses.CosineSimilarity(axis=-1)
        >>> round(float(loss(y_true, y_pred)), 6)
        -0.707107
    """

    def __init__(self, axis: int = -1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(name, reduction, dtype)
        self.axis = axis

    @staticmethod
    def _unit(x, axis):
        inv_norm = np.minimum(1 / np.sqrt(np.sum(x * x, axis=axis, keepdims=True)), 1 / config.epsilon())
        return x * inv_norm, inv_norm

    def call(self, y, p):
        with np.errstate(divide="ignore"):  # a zero norm: 1 / 0 = inf, then clipped to 1 / eps
            return -np.sum(self._unit(y, self.axis)[0] * self._unit(p, self.axis)[0], axis=self.axis)

    def grad(self, y, p):
        with np.errstate(divide="ignore"):
            y_hat = self._unit(y, self.axis)[0]
            p_hat, inv_norm = self._unit(p, self.axis)
            raw = 1 / np.sqrt(np.sum(p * p, axis=self.axis, keepdims=True))
        unclipped = raw <= 1 / config.epsilon()  # at a tie TensorFlow's minimum follows 1 / ||p||
        along = np.sum(p_hat * y_hat, axis=self.axis, keepdims=True) * unclipped
        return -(y_hat - p_hat * along) * inv_norm

    def get_config(self):  # Keras 3.15 leaves axis out of its config; nnlite keeps it (Keras reads it)
        return {**super().get_config(), "axis": self.axis}

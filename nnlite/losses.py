"""Losses ``L = reduce(sample_weight * v(y_true, y_pred))`` and their gradients.

Each loss has a per-sample form ``v`` (mostly a mean over the last axis) and the
default reduction ``sum_over_batch_size``::

    L = sum_i s_i v_i / n        (n = number of per-sample values, NOT sum_i s_i)

so ``dL/dy_pred_i = s_i dv_i/dy_pred_i / n``. :meth:`Loss.value_and_grad` returns
both; a Loss object called on arrays returns ``L`` as Keras does.

The logits path. When a model's output comes straight from a sigmoid or softmax
activation, Keras computes the crossentropies from the pre-activation ``z`` instead
of the probabilities, without clipping. :func:`logits_loss_for` names that fused pair;
its gradient is the familiar ``dv/dz = sigmoid(z) - y`` or ``softmax(z) - y``.
Arrays passed to a loss directly (say, from ``predict``) take the clipped
probability path, as in Keras.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import activations, config

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def _align(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras's squeeze-or-expand: a rank-1 y_true meets a (batch, 1) y_pred as (batch, 1)."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0] if y_pred.ndim != 1 else y_true
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape: got y_true {y_true.shape} "
            f"and y_pred {y_pred.shape}."
        )
    return y_true, y_pred


_sigmoid = activations.sigmoid.forward  # 1 / (1 + e^-z), without overflow
_log_softmax = activations.log_softmax.forward  # over the last axis, max-subtracted


class Loss:
    """L = reduce(s * v(y_true, y_pred)); subclasses give ``call`` (v) and ``grad`` (dv/dy_pred)."""

    sparse_labels = False  # True where y_true holds class indices

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 dtype: str | None = None) -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"Unknown reduction {reduction!r}: expected one of {list(REDUCTIONS)}.")
        self.reduction = reduction
        self.name = name or _snake(type(self).__name__)
        self.dtype = dtype

    # -- per sample --------------------------------------------------------------------
    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def grad(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def call_and_grad(self, y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(v, dv/dy_pred) together; losses that share work between the two override this."""
        return self.call(y_true, y_pred), self.grad(y_true, y_pred)

    def prepare(self, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
        """Cast to the loss dtype and align shapes as Keras does."""
        dtype = self.dtype or config.floatx()
        y_pred = np.asarray(y_pred, dtype=dtype)
        return _align(np.asarray(y_true, dtype=dtype), y_pred)

    # -- reduced -----------------------------------------------------------------------
    def _weights(self, v: np.ndarray, sample_weight: Any) -> np.ndarray | None:
        if sample_weight is None:
            return None
        s = np.asarray(sample_weight, dtype=v.dtype)
        if s.ndim == v.ndim + 1 and s.shape[-1] == 1:
            s = s[..., 0]
        if s.shape != v.shape and s.size != 1:
            raise ValueError(
                f"sample_weight must have one weight per sample, shape {v.shape}; got {s.shape}."
            )
        return s

    def _divisor(self, v: np.ndarray, s: np.ndarray | None) -> float:
        if self.reduction == "sum":
            return 1.0
        if self.reduction == "mean_with_sample_weight" and s is not None:
            return float(np.sum(s))
        return float(v.size)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        y_true, y_pred = self.prepare(y_true, y_pred)
        v = self.call(y_true, y_pred)
        s = self._weights(v, sample_weight)
        if s is not None:
            v = v * s
        if self.reduction in ("none", None) or v.ndim == 0:
            return v
        d = self._divisor(v, s)
        return v.dtype.type(np.sum(v) / d if d else 0.0)

    def value_and_grad(self, y_true: Any, y_pred: Any,
                       sample_weight: Any = None) -> tuple[float, np.ndarray]:
        """(L, dL/dy_pred) for a scalar reduction; dL/dy_pred has y_pred's shape."""
        if self.reduction in ("none", None):
            raise ValueError("value_and_grad needs a scalar reduction, got reduction=None.")
        shape = np.shape(y_pred)
        y_true, y_pred = self.prepare(y_true, y_pred)
        v, grad_v = self.call_and_grad(y_true, y_pred)  # (batch,), dv_i/dy_pred_i (batch, outputs), both fresh
        s = self._weights(v, sample_weight)
        if s is not None:
            v = v * s
            grad_v *= s.reshape(s.shape + (1,) * (grad_v.ndim - s.ndim))
        d = self._divisor(v, s)
        if not d:
            return v.dtype.type(0.0), np.zeros(shape, dtype=grad_v.dtype)
        grad_v /= d
        return v.dtype.type(np.add.reduce(v, axis=None) / d), grad_v.reshape(shape)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class MeanSquaredError(Loss):
    """v = mean((y - p)^2);  dv/dp = 2 (p - y) / k over the k outputs."""

    def call(self, y, p):
        return np.mean(np.square(y - p), axis=-1)

    def grad(self, y, p):
        return 2 * (p - y) / p.shape[-1]


class MeanAbsoluteError(Loss):
    """v = mean|y - p|;  dv/dp = sign(p - y) / k."""

    def call(self, y, p):
        return np.mean(np.abs(y - p), axis=-1)

    def grad(self, y, p):
        return np.sign(p - y) / p.shape[-1]


class Huber(Loss):
    """e = p - y;  v = mean(e^2 / 2 if |e| <= delta else delta |e| - delta^2 / 2).

    dv/dp = clip(e, -delta, delta) / k.
    """

    def __init__(self, delta: float = 1.0, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(reduction, name or "huber_loss", dtype)
        self.delta = float(delta)

    def call(self, y, p):
        e = np.abs(p - y)
        return np.mean(np.where(e <= self.delta, 0.5 * e * e, self.delta * e - 0.5 * self.delta**2), axis=-1)

    def grad(self, y, p):
        return np.clip(p - y, -self.delta, self.delta) / p.shape[-1]

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


class BinaryCrossentropy(Loss):
    """v = -mean(y log p + (1 - y) log(1 - p)), p clipped to [eps, 1 - eps].

    With labels smoothed y <- y (1 - ls) + ls / 2. From logits z (p = sigmoid z):
    v = mean(max(z, 0) - z y + log(1 + e^-|z|)) and dv/dz = (sigmoid(z) - y) / k.
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(reduction, name or "binary_crossentropy", dtype)
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)

    def prepare(self, y_true, y_pred):
        y, p = super().prepare(y_true, y_pred)
        if self.label_smoothing:
            y = y * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        return y, p

    def call(self, y, p):
        if self.from_logits:
            return np.mean(np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p))), axis=-1)
        eps = config.epsilon()
        p = np.clip(p, eps, 1 - eps)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p), axis=-1)

    def grad(self, y, p):
        k = p.shape[-1]
        if self.from_logits:
            return (_sigmoid(p) - y) / k
        eps = config.epsilon()
        inside = (p >= eps) & (p <= 1 - eps)  # the clip passes no gradient outside
        pc = np.clip(p, eps, 1 - eps)
        return -(y / pc - (1 - y) / (1 - pc)) * inside / k

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(Loss):
    """v = -sum(y log q), q = p / sum(p) clipped to [eps, 1 - eps].

    With labels smoothed y <- y (1 - ls) + ls / C. From logits z:
    v = -sum(y log_softmax(z)) and dv/dz = softmax(z) - y, as TensorFlow's fused kernel
    gives it: the true derivative is softmax(z) sum(y) - y, the same whenever each label
    row sums to 1 (one-hot or smoothed labels); for other labels nnlite follows Keras.
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(reduction, name or "categorical_crossentropy", dtype)
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)

    def prepare(self, y_true, y_pred):
        y, p = super().prepare(y_true, y_pred)
        if self.label_smoothing:
            y = y * (1 - self.label_smoothing) + self.label_smoothing / y.shape[-1]
        return y, p

    def call(self, y, p):
        if self.from_logits:
            return -np.sum(y * _log_softmax(p), axis=-1)
        eps = config.epsilon()
        q = np.clip(p / p.sum(axis=-1, keepdims=True), eps, 1 - eps)
        return -np.sum(y * np.log(q), axis=-1)

    def call_and_grad(self, y, p):
        if not self.from_logits:
            return super().call_and_grad(y, p)
        log_q = _log_softmax(p)  # one log-softmax for both
        return -np.sum(y * log_q, axis=-1), np.exp(log_q) - y

    def grad(self, y, p):
        if self.from_logits:
            return np.exp(_log_softmax(p)) - y
        eps = config.epsilon()
        total = p.sum(axis=-1, keepdims=True)
        q = p / total
        grad_q = -y / np.clip(q, eps, 1 - eps) * ((q >= eps) & (q <= 1 - eps))
        # q = p / S: dv/dp_j = (grad_q_j - sum_k grad_q_k q_k) / S
        return (grad_q - (grad_q * q).sum(axis=-1, keepdims=True)) / total

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class SparseCategoricalCrossentropy(Loss):
    """v = -log p_y + log sum_j p_j with p clipped to [eps, 1 - eps] and y a class index.

    From logits z: v = logsumexp(z) - z_y and dv/dz = softmax(z) - onehot(y).
    """

    sparse_labels = True

    def __init__(self, from_logits: bool = False, reduction="sum_over_batch_size", name=None,
                 dtype=None):
        super().__init__(reduction, name or "sparse_categorical_crossentropy", dtype)
        self.from_logits = bool(from_logits)

    def prepare(self, y_true, y_pred):
        p = np.asarray(y_pred, dtype=self.dtype or config.floatx())
        y = np.asarray(y_true)
        if y.ndim == p.ndim and y.ndim > 0 and y.shape[-1] == 1:
            y = y[..., 0]
        if y.shape != p.shape[:-1]:
            hint = " (one-hot labels? use categorical_crossentropy)" if y.shape == p.shape else ""
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer labels of shape {p.shape[:-1]} "
                f"for predictions {p.shape}; got labels of shape {np.shape(y_true)}{hint}."
            )
        labels = y.astype(np.int64)
        if np.any(labels != y) or np.any(labels < 0) or np.any(labels >= p.shape[-1]):
            bad = y[(labels != y) | (labels < 0) | (labels >= p.shape[-1])]
            raise ValueError(
                f"sparse labels must be integers in [0, {p.shape[-1] - 1}] for {p.shape[-1]} "
                f"classes; got {bad.ravel()[:5].tolist()}."
            )
        return labels, p

    def _onehot(self, y, p):
        return (y[..., None] == np.arange(p.shape[-1])).astype(p.dtype)

    def call(self, y, p):
        if not self.from_logits:  # log of clipped probabilities act as logits
            eps = config.epsilon()
            p = np.log(np.clip(p, eps, 1 - eps))
        return -np.take_along_axis(_log_softmax(p), y[..., None], axis=-1)[..., 0]

    def call_and_grad(self, y, p):
        if not self.from_logits or y.ndim != 1:
            return super().call_and_grad(y, p)
        log_q = _log_softmax(p)  # one log-softmax for both
        rows = np.arange(len(y))
        grad = np.exp(log_q)
        grad[rows, y] -= 1  # softmax(z) - onehot(y)
        return -log_q[rows, y], grad

    def grad(self, y, p):
        onehot = self._onehot(y, p)
        if self.from_logits:
            return np.exp(_log_softmax(p)) - onehot
        eps = config.epsilon()
        pc = np.clip(p, eps, 1 - eps)
        inside = (p >= eps) & (p <= 1 - eps)
        return (1 / pc.sum(axis=-1, keepdims=True) - onehot / pc) * inside

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


LOG_2_FLOAT32 = float(np.float32(np.log(2.0)))  # Keras takes log 2 from a float32 op


class LogCosh(Loss):
    """e = p - y;  v = mean(log cosh e) = mean(e + softplus(-2e) - log 2);  dv/dp = tanh(e) / k."""

    def call(self, y, p):
        e = p - y
        return np.mean(e + np.logaddexp(0, -2 * e) - LOG_2_FLOAT32, axis=-1)

    def grad(self, y, p):
        return np.tanh(p - y) / p.shape[-1]


class MeanAbsolutePercentageError(Loss):
    """v = 100 mean(|y - p| / max(|y|, eps));  dv/dp = 100 sign(p - y) / (k max(|y|, eps))."""

    def call(self, y, p):
        return 100 * np.mean(np.abs(y - p) / np.maximum(np.abs(y), config.epsilon()), axis=-1)

    def grad(self, y, p):
        return 100 * np.sign(p - y) / np.maximum(np.abs(y), config.epsilon()) / p.shape[-1]


class MeanSquaredLogarithmicError(Loss):
    """v = mean((log(max(p, eps) + 1) - log(max(y, eps) + 1))^2).

    dv/dp = 2 (log(max(p, eps) + 1) - log(max(y, eps) + 1)) / (max(p, eps) + 1) / k where p >= eps.
    eps is Keras's float32 1e-7.
    """

    def _logs(self, y, p):
        eps = float(np.float32(config.epsilon()))
        return np.log(np.maximum(p, eps) + 1), np.log(np.maximum(y, eps) + 1), eps

    def call(self, y, p):
        first, second, _ = self._logs(y, p)
        return np.mean(np.square(first - second), axis=-1)

    def grad(self, y, p):
        first, second, eps = self._logs(y, p)
        return 2 * (first - second) / (np.maximum(p, eps) + 1) * (p >= eps) / p.shape[-1]


class Poisson(Loss):
    """v = mean(p - y log(p + eps));  dv/dp = (1 - y / (p + eps)) / k."""

    def call(self, y, p):
        return np.mean(p - y * np.log(p + config.epsilon()), axis=-1)

    def grad(self, y, p):
        return (1 - y / (p + config.epsilon())) / p.shape[-1]


class CosineSimilarity(Loss):
    """v = -sum(y_hat p_hat) with x_hat = x min(1 / ||x||, 1 / eps).

    dv/dp = -(y_hat - p_hat (p_hat . y_hat)) / ||p||.
    """

    def __init__(self, axis: int = -1, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(reduction, name or "cosine_similarity", dtype)
        self.axis = axis

    @staticmethod
    def _unit(x, axis):
        inv_norm = np.minimum(1 / np.sqrt(np.sum(x * x, axis=axis, keepdims=True)), 1 / config.epsilon())
        return x * inv_norm, inv_norm

    def call(self, y, p):
        return -np.sum(self._unit(y, self.axis)[0] * self._unit(p, self.axis)[0], axis=self.axis)

    def grad(self, y, p):
        y_hat = self._unit(y, self.axis)[0]
        p_hat, inv_norm = self._unit(p, self.axis)
        unclipped = inv_norm < 1 / config.epsilon()
        along = np.sum(p_hat * y_hat, axis=self.axis, keepdims=True)
        return -(y_hat - p_hat * along) * inv_norm * unclipped


def _hinge_labels(y):
    """Labels that are all 0 or 1 in the batch become -1 or 1, as Keras converts them."""
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


class Hinge(Loss):
    """v = mean(max(1 - y p, 0)) with y in {-1, 1};  dv/dp = -y [1 - y p > 0] / k."""

    def prepare(self, y_true, y_pred):
        y, p = super().prepare(y_true, y_pred)
        return _hinge_labels(y), p

    def call(self, y, p):
        return np.mean(np.maximum(1 - y * p, 0), axis=-1)

    def grad(self, y, p):
        return -y * (1 - y * p > 0) / p.shape[-1]


class SquaredHinge(Loss):
    """v = mean(max(1 - y p, 0)^2) with y in {-1, 1};  dv/dp = -2 y max(1 - y p, 0) / k."""

    def prepare(self, y_true, y_pred):
        y, p = super().prepare(y_true, y_pred)
        return _hinge_labels(y), p

    def call(self, y, p):
        return np.mean(np.square(np.maximum(1 - y * p, 0)), axis=-1)

    def grad(self, y, p):
        return -2 * y * np.maximum(1 - y * p, 0) / p.shape[-1]


class CategoricalHinge(Loss):
    """v = max(neg - pos + 1, 0), pos = sum(y p), neg = max((1 - y) p).

    Where active: dv/dp = (1 - y) onehot(argmax (1 - y) p) - y.
    """

    def call(self, y, p):
        pos = np.sum(y * p, axis=-1)
        neg = np.max((1 - y) * p, axis=-1)
        return np.maximum(neg - pos + 1, 0)

    def grad(self, y, p):
        negatives = (1 - y) * p
        top = np.argmax(negatives, axis=-1)[..., None] == np.arange(p.shape[-1])
        active = (self.call(y, p) > 0)[..., None]
        return ((1 - y) * top - y) * active


class KLDivergence(Loss):
    """v = sum(y log(y / p)) with y and p clipped to [eps, 1];  dv/dp = -y / p inside the clip."""

    def call(self, y, p):
        eps = config.epsilon()
        y, p = np.clip(y, eps, 1), np.clip(p, eps, 1)
        return np.sum(y * np.log(y / p), axis=-1)

    def grad(self, y, p):
        eps = config.epsilon()
        inside = (p >= eps) & (p <= 1)
        return -np.clip(y, eps, 1) / np.clip(p, eps, 1) * inside


class LossFunctionWrapper(Loss):
    """A user's per-sample function v(y_true, y_pred), differentiated by central differences.

    Perturbing output column j of every row at once gives dv_i/dp_ij for all i, so the
    gradient costs 2k calls for k outputs. Accurate to about 1e-10 relative in float64.
    """

    def __init__(self, fn: Callable, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(reduction, name or getattr(fn, "__name__", "loss"), dtype)
        self.fn = fn

    def call(self, y, p):
        return np.asarray(self.fn(y, p), dtype=p.dtype)

    def grad(self, y, p):
        p64, y64 = p.astype(np.float64), y.astype(np.float64)
        g = np.empty_like(p64)
        for j in range(p.shape[-1]):
            h = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(p64[..., j]))
            up, down = p64.copy(), p64.copy()
            up[..., j] += h
            down[..., j] -= h
            g[..., j] = (np.asarray(self.fn(y64, up)) - np.asarray(self.fn(y64, down))) / (2 * h)
        return g.astype(p.dtype)


def _per_sample(cls: type[Loss], **kwargs: Any) -> Callable:
    def fn(y_true, y_pred):
        loss = cls(**kwargs)
        return loss.call(*loss.prepare(y_true, y_pred))

    fn.__doc__ = f"Per-sample values of {cls.__name__}: {(cls.__doc__ or '').splitlines()[0]}"
    return fn


mean_squared_error = mse = _per_sample(MeanSquaredError)
mean_absolute_error = mae = _per_sample(MeanAbsoluteError)


log_cosh = _per_sample(LogCosh)
mean_absolute_percentage_error = mape = _per_sample(MeanAbsolutePercentageError)
mean_squared_logarithmic_error = msle = _per_sample(MeanSquaredLogarithmicError)
poisson = _per_sample(Poisson)
hinge = _per_sample(Hinge)
squared_hinge = _per_sample(SquaredHinge)
categorical_hinge = _per_sample(CategoricalHinge)
kl_divergence = kld = _per_sample(KLDivergence)


def cosine_similarity(y_true, y_pred, axis: int = -1):
    """Per-sample negative cosine similarity (see :class:`CosineSimilarity`)."""
    loss = CosineSimilarity(axis)
    return loss.call(*loss.prepare(y_true, y_pred))


def huber(y_true, y_pred, delta: float = 1.0):
    """Per-sample Huber loss (see :class:`Huber`)."""
    loss = Huber(delta)
    return loss.call(*loss.prepare(y_true, y_pred))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Per-sample binary crossentropy (see :class:`BinaryCrossentropy`)."""
    loss = BinaryCrossentropy(from_logits, label_smoothing)
    return loss.call(*loss.prepare(y_true, y_pred))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Per-sample categorical crossentropy (see :class:`CategoricalCrossentropy`)."""
    loss = CategoricalCrossentropy(from_logits, label_smoothing)
    return loss.call(*loss.prepare(y_true, y_pred))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample sparse categorical crossentropy (see :class:`SparseCategoricalCrossentropy`)."""
    loss = SparseCategoricalCrossentropy(from_logits)
    return loss.call(*loss.prepare(y_true, y_pred))


_LOSSES: dict[str, type[Loss]] = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "log_cosh": LogCosh, "logcosh": LogCosh,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
    "poisson": Poisson, "cosine_similarity": CosineSimilarity,
    "hinge": Hinge, "squared_hinge": SquaredHinge, "categorical_hinge": CategoricalHinge,
    "kl_divergence": KLDivergence, "kld": KLDivergence,
}
_FUNCTIONS = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
              huber: Huber, binary_crossentropy: BinaryCrossentropy,
              categorical_crossentropy: CategoricalCrossentropy,
              sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
              log_cosh: LogCosh, mean_absolute_percentage_error: MeanAbsolutePercentageError,
              mean_squared_logarithmic_error: MeanSquaredLogarithmicError, poisson: Poisson,
              cosine_similarity: CosineSimilarity, hinge: Hinge, squared_hinge: SquaredHinge,
              categorical_hinge: CategoricalHinge, kl_divergence: KLDivergence}


def names() -> list[str]:
    """Every name :func:`get` accepts."""
    return sorted(set(_LOSSES) | {cls.__name__ for cls in _LOSSES.values()})


def get(identifier: str | Loss | Callable) -> Loss:
    """A :class:`Loss` from a name (``"mse"``, ``"MeanSquaredError"``...), a Loss, or a callable."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        for name, cls in _LOSSES.items():
            if identifier in (name, cls.__name__):
                return cls()
        raise ValueError(f"Unknown loss {identifier!r}. Valid names: {', '.join(names())}.")
    if identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(f"loss must be a name, an nnlite.losses.Loss or a callable; got {identifier!r}.")


CROSSENTROPIES = (BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy)
LOGIT_ACTIVATIONS = ("sigmoid", "softmax")


def logits_loss_for(loss: Loss, activation: activations.Activation) -> Loss | None:
    """The fused loss Keras uses when ``activation`` feeds ``loss``, or None.

    If the output activation is sigmoid or softmax and the loss is one of the three
    crossentropies, Keras evaluates the loss on the logits ``z`` (pre-activation),
    whichever of the two activations it was: the returned loss is a copy with
    ``from_logits=True``, to be applied to ``z``, and its gradient is dL/dz directly.
    """
    if activation.name not in LOGIT_ACTIVATIONS or not isinstance(loss, CROSSENTROPIES):
        return None
    if loss.from_logits:
        warnings.warn(
            f"{loss.name} has from_logits=True but the model output comes from a "
            f"{activation.name} activation and so is not logits; computing from the "
            "activation's input, as Keras does.",
            stacklevel=3,
        )
    fused = copy.copy(loss)
    fused.from_logits = True
    return fused

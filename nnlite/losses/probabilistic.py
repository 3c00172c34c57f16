"""Losses between distributions: the three crossentropies, KL divergence, Poisson and the generalized
crossentropy."""

from __future__ import annotations

import numpy as np

from .. import activations, autodiff, config, ops
from ..warn import warn
from .base import LOSSES, Crossentropy, Loss, document_common

_sigmoid = activations.sigmoid.forward  # 1 / (1 + e^-z), without overflow
_log_softmax = activations.log_softmax.forward  # over the last axis, max-subtracted


def _softmax_and_surprisal(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(q, -log q) for q = softmax(z) over the last axis, from one exp: with s = z - max z,
    q = e^s / sum e^s and -log q = log sum e^s - s."""
    s = z - np.maximum.reduce(z, axis=-1, keepdims=True)
    e = np.exp(s)
    total = np.add.reduce(e, axis=-1, keepdims=True)  # (batch, 1)
    surprisal = np.log(total) - s
    e /= total
    return e, surprisal


def _class_axis_last(fn):
    """Run ``values_and_grads`` with the loss's ``axis`` moved to the end, and move the gradient back."""

    def wrapper(self, y, p, from_logits):
        if self.axis in (-1, p.ndim - 1):
            return fn(self, y, p, from_logits)
        v, g = fn(self, np.moveaxis(y, self.axis, -1), np.moveaxis(p, self.axis, -1), from_logits)
        return v, np.moveaxis(g, -1, self.axis)

    wrapper.__doc__ = fn.__doc__
    return wrapper


@document_common
@LOSSES.register("binary_crossentropy")
class BinaryCrossentropy(Crossentropy):
    """v = -mean(y log p + (1 - y) log(1 - p)), p clipped to [eps, 1 - eps], mean over ``axis``.

    With labels smoothed y <- y (1 - ls) + ls / 2. From logits z (p = sigmoid z):
    v = mean(max(z, 0) - z y + log(1 + e^-|z|)) and dv/dz = (sigmoid(z) - y) / k.

    Args:
        from_logits: y_pred holds logits z (no sigmoid applied), the exact and stable way.
        label_smoothing: ls in [0, 1], pulling the labels towards 1/2.
        axis: the axis the mean runs over.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> round(float(nnlite.losses.BinaryCrossentropy()(np.array([[1.0]]), np.array([[0.5]]))), 6)  # log 2
        0.693147
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(name, reduction, dtype)
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis

    def check_labels(self, y_true: np.ndarray) -> None:
        """Labels outside [0, 1] are computed as Keras does, but are almost surely a mistake: a warning."""
        y = np.asarray(y_true)
        if y.size and y.dtype.kind in "iuf" and (y.min() < 0 or y.max() > 1):
            warn(f"{type(self).__name__}: the labels hold values outside [0, 1] (from {y.min():g} to {y.max():g}); "
                 "binary crossentropy expects labels 0 and 1 (or probabilities). For classes 0..k-1 use "
                 "sparse_categorical_crossentropy; for labels -1 and +1, hinge.", UserWarning)

    def prepare(self, y_true, y_pred):
        y, p = super().prepare(y_true, y_pred)
        if self.label_smoothing:
            y = y * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        return y, p

    @_class_axis_last
    def values_and_grads(self, y, p, from_logits):
        k = p.shape[-1]
        if from_logits:
            v = np.mean(np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p))), axis=-1)
            return v, (_sigmoid(p) - y) / k
        eps = config.epsilon()
        pc = np.clip(p, eps, 1 - eps)
        v = -np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc), axis=-1)
        inside = (p >= eps) & (p <= 1 - eps)  # the clip passes no gradient outside
        return v, -(y / pc - (1 - y) / (1 - pc)) * inside / k

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}


@document_common
@LOSSES.register("categorical_crossentropy")
class CategoricalCrossentropy(Crossentropy):
    """v = -sum(y log q), q = p / sum(p) clipped to [eps, 1 - eps], over the class ``axis``.

    With labels smoothed y <- y (1 - ls) + ls / C. From logits z:
    v = -sum(y log_softmax(z)) and dv/dz = softmax(z) - y, as TensorFlow's fused kernel
    gives it: the true derivative is softmax(z) sum(y) - y, the same whenever each label
    row sums to 1 (one-hot or smoothed labels); for other labels nnlite follows Keras.

    Args:
        from_logits: y_pred holds logits z (no softmax applied), the exact and stable way.
        label_smoothing: ls in [0, 1], pulling the one-hot labels towards 1/C.
        axis: the class axis.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])
        >>> loss = nnlite.losses.CategoricalCrossentropy()
        >>> round(float(loss(y_true, y_pred)), 6)
        0.693147
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(name, reduction, dtype)
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis

    def prepare(self, y_true, y_pred):
        y, p = super().prepare(y_true, y_pred)
        if self.label_smoothing:
            y = y * (1 - self.label_smoothing) + self.label_smoothing / y.shape[self.axis]
        return y, p

    @_class_axis_last
    def values_and_grads(self, y, p, from_logits):
        if from_logits:
            q, surprisal = _softmax_and_surprisal(p)
            q -= y
            return np.add.reduce(y * surprisal, axis=-1), q
        eps = config.epsilon()
        total = p.sum(axis=-1, keepdims=True)
        q = p / total
        qc = np.clip(q, eps, 1 - eps)
        grad_q = -y / qc * ((q >= eps) & (q <= 1 - eps))
        # q = p / S: dv/dp_j = (grad_q_j - sum_k grad_q_k q_k) / S
        return -np.sum(y * np.log(qc), axis=-1), (grad_q - (grad_q * q).sum(axis=-1, keepdims=True)) / total

    def summed_values_and_grads(self, y, z):
        """sum of v = sum over samples and classes of y (log sum e^s - s), with s = z - max z, one dot product
        instead of a sum per sample; dv/dz = softmax(z) - y."""
        if self.axis not in (-1, z.ndim - 1):
            return None
        q, surprisal = _softmax_and_surprisal(z)
        q -= y
        return np.vdot(y, surprisal), surprisal.size // surprisal.shape[-1], q

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}


@document_common
@LOSSES.register("sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(Crossentropy):
    """v = -log p_y + log sum_j p_j with p clipped to [eps, 1 - eps] and y a class index.

    From logits z: v = logsumexp(z) - z_y and dv/dz = softmax(z) - onehot(y). Labels equal
    to ``ignore_class`` give v = 0 and are left out of the mean (Keras's mask).

    Args:
        from_logits: y_pred holds logits z (no softmax applied), the exact and stable way.
        ignore_class: a label value to leave out (padding), or None.
        axis: the class axis of y_pred.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> loss = nnlite.losses.SparseCategoricalCrossentropy()
        >>> round(float(loss(np.array([1]), np.array([[0.25, 0.75]]))), 6)  # -log 0.75
        0.287682
    """

    sparse_labels = True

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction="sum_over_batch_size", axis: int = -1, name="sparse_categorical_crossentropy",
                 dtype=None):
        super().__init__(name, reduction, dtype)
        self.from_logits = bool(from_logits)
        if ignore_class is not None and (isinstance(ignore_class, bool) or not isinstance(ignore_class, int)):
            raise ValueError(f"ignore_class must be an integer class id or None, got {ignore_class!r}.")
        self.ignore_class = ignore_class
        if axis not in (-1,):
            raise ValueError(f"nnlite's sparse_categorical_crossentropy takes the classes on the last axis "
                             f"(axis=-1); got axis={axis!r}.")
        self.axis = axis

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
        bad = (labels != y) | (labels < 0) | (labels >= p.shape[-1])
        if self.ignore_class is not None:
            bad &= labels != self.ignore_class
        if np.any(bad):
            raise ValueError(
                f"sparse labels must be integers in [0, {p.shape[-1] - 1}] for {p.shape[-1]} "
                f"classes; got {y[bad].ravel()[:5].tolist()}."
            )
        return labels, p

    def mask(self, y, v):
        return None if self.ignore_class is None else y != self.ignore_class

    def values_and_grads(self, y, p, from_logits):
        ignored = None if self.ignore_class is None else y == self.ignore_class
        if ignored is not None:
            y = np.where(ignored, 0, y)
        onehot = y[..., None] == np.arange(p.shape[-1])
        if from_logits:
            g, surprisal = _softmax_and_surprisal(p)
            v = np.take_along_axis(surprisal, y[..., None], axis=-1)[..., 0]
            g -= onehot  # softmax(z) - onehot(y)
        else:  # the log of clipped probabilities act as logits
            eps = config.epsilon()
            pc = np.clip(p, eps, 1 - eps)
            v = -np.take_along_axis(_log_softmax(np.log(pc)), y[..., None], axis=-1)[..., 0]
            g = (1 / pc.sum(axis=-1, keepdims=True) - onehot / pc) * ((p >= eps) & (p <= 1 - eps))
        if ignored is not None:
            v = np.where(ignored, 0, v)
            g = np.where(ignored[..., None], 0, g)
        return v, g

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "ignore_class": self.ignore_class,
                "axis": self.axis}


@document_common
@LOSSES.register("kl_divergence", "kld", "kullback_leibler_divergence")
class KLDivergence(Loss):
    """v = sum(y log(y / p)) with y and p clipped to [eps, 1];  dv/dp = -y / p inside the clip.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]])
        >>> loss = nnlite.losses.KLDivergence()
        >>> round(float(loss(y_true, y_pred)), 6)
        0.143841
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(name, reduction, dtype)

    def call(self, y, p):
        eps = config.epsilon()
        y, p = np.clip(y, eps, 1), np.clip(p, eps, 1)
        return np.sum(y * np.log(y / p), axis=-1)

    def grad(self, y, p):
        eps = config.epsilon()
        inside = (p >= eps) & (p <= 1)
        return -np.clip(y, eps, 1) / np.clip(p, eps, 1) * inside


@document_common
@LOSSES.register("poisson")
class Poisson(Loss):
    """v = mean(p - y log(p + eps));  dv/dp = (1 - y / (p + eps)) / k.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.5, 2.0]])
        >>> loss = nnlite.losses.Poisson()
        >>> round(float(loss(y_true, y_pred)), 6)
        0.903426
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(name, reduction, dtype)

    def call(self, y, p):
        return np.mean(p - y * np.log(p + config.epsilon()), axis=-1)

    def grad(self, y, p):
        return (1 - y / (p + config.epsilon())) / p.shape[-1]


@document_common
@LOSSES.register("categorical_generalized_cross_entropy")
class CategoricalGeneralizedCrossEntropy(Loss):
    """v = (1 - p_y^q) / q, p_y the probability y_pred gives the true class y (an integer index; Zhang and Sabuncu,
    2018): q -> 0 is the crossentropy -log p_y, q = 1 the absolute error 1 - p_y, the values between more robust to
    wrong labels. Written with nnlite.ops, as Keras writes it (the tape gives dv/dp_y = -p_y^(q - 1)).

    Args:
        q: the exponent, in (0, 1).
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> y, p = np.array([0, 1]), np.array([[0.64, 0.36], [0.75, 0.25]])
        >>> round(float(nnlite.losses.CategoricalGeneralizedCrossEntropy()(y, p)), 6)  # ((1 - .8) + (1 - .5)) / .5 / 2
        0.7
    """

    sparse_labels = True

    def __init__(self, q: float = 0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
                 dtype=None):
        if not 0 < q < 1:
            raise ValueError("q must be in the interval (0, 1)")
        super().__init__(name, reduction, dtype)
        self.q = q

    def prepare(self, y_true, y_pred):
        return np.asarray(y_true), np.asarray(y_pred, dtype=self.dtype or config.floatx())

    def call(self, y_true, y_pred):
        labels = np.asarray(autodiff.value_of(y_true))
        if labels.ndim == np.ndim(autodiff.value_of(y_pred)) and labels.shape[-1:] == (1,):  # (batch, 1) labels
            labels = labels[..., 0]
        hot = ops.one_hot(labels.astype(np.int64), ops.shape(y_pred)[-1], dtype=ops.convert_to_tensor(y_pred).dtype)
        p = ops.sum(y_pred * hot, axis=-1)
        return (1 - ops.power(p, self.q)) / self.q

    def get_config(self):
        return {**super().get_config(), "q": self.q}

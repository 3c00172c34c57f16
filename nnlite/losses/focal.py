"""The focal crossentropies (Lin et al., 2017): the crossentropy of each class scaled by (1 - p_t)^gamma, so that
the examples already classified well (p_t near 1) weigh little and the hard ones dominate."""

from __future__ import annotations

import numpy as np

from .. import activations, config
from ..warn import warn
from .base import LOSSES, FromValuesAndGrads, document_common
from .probabilistic import BinaryCrossentropy, _class_axis_last

_sigmoid = activations.sigmoid.forward


@document_common
@LOSSES.register("binary_focal_crossentropy")
class BinaryFocalCrossentropy(BinaryCrossentropy):
    """v = mean(w (1 - p_t)^gamma bce), over ``axis``, with p_t = y p + (1 - y)(1 - p), bce = -(y log p + (1 - y)
    log(1 - p)) (p clipped to [eps, 1 - eps], or from the logits where there are), w = alpha y + (1 - alpha)(1 - y)
    with class balancing and 1 without.

    Backward, with m = 1 - p_t and k the length of ``axis``:
    dv/dp = w [m^gamma dbce/dp - gamma m^(gamma - 1) (2y - 1) bce] / k, dbce/dp = -(y / p - (1 - y) / (1 - p));
    from logits z (p = sigmoid z): dbce/dz = p - y and dp/dz = p (1 - p) in the same sum.

    Args:
        apply_class_balancing: weigh class 1 by alpha and class 0 by 1 - alpha.
        alpha: the weight of class 1 with class balancing.
        gamma: the focusing exponent (0 gives the binary crossentropy).
        from_logits: y_pred holds logits z (no sigmoid applied).
        label_smoothing: ls in [0, 1], pulling the labels towards 1/2.
        axis: the axis the mean runs over.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> loss = nnlite.losses.BinaryFocalCrossentropy(gamma=2.0)
        >>> round(float(loss(np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]]))), 6)
        0.329865
    """

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25, gamma: float = 2.0,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name="binary_focal_crossentropy", dtype=None):
        super().__init__(from_logits, label_smoothing, axis, reduction, name, dtype)
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha, self.gamma = alpha, gamma

    @_class_axis_last
    def values_and_grads(self, y, p, from_logits):
        k = p.shape[-1]
        if from_logits:  # bce from the logits, p_t from p = sigmoid z
            z, p = p, _sigmoid(p)
            bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
            d_bce, d_p = p - y, p * (1 - p)  # dbce/dz, dp/dz
        else:
            eps = config.epsilon()
            pc = np.clip(p, eps, 1 - eps)
            bce = -(y * np.log(pc) + (1 - y) * np.log(1 - pc))
            d_bce = -(y / pc - (1 - y) / (1 - pc)) * ((p >= eps) & (p <= 1 - eps))  # the clip passes none outside
            d_p = 1.0
        m = 1 - (y * p + (1 - y) * (1 - p))  # 1 - p_t
        focal = m ** self.gamma
        w = y * self.alpha + (1 - y) * (1 - self.alpha) if self.apply_class_balancing else 1.0
        d_focal = self.gamma * m ** (self.gamma - 1) if self.gamma else 0.0  # d(m^gamma)/dm
        grad = w * (focal * d_bce - d_focal * (2 * y - 1) * d_p * bce) / k
        return np.mean(w * focal * bce, axis=-1), grad

    def get_config(self):
        return {**super().get_config(), "apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma}


@document_common
@LOSSES.register("categorical_focal_crossentropy")
class CategoricalFocalCrossentropy(FromValuesAndGrads):
    """v = sum over classes of alpha (1 - o)^gamma (-y log o), o = q / sum(q) clipped to [eps, 1 - eps], with
    q = y_pred, or softmax(y_pred) from logits (Keras normalises again after the softmax).

    Backward: dv/do = alpha [gamma (1 - o)^(gamma - 1) y log o - (1 - o)^gamma y / o] (zero where the clip holds);
    through the normalisation s = sum(q): dv/dq_j = (dv/do_j - sum_c dv/do_c o_c) / s; from logits z:
    dv/dz = q (dv/dq - sum_c dv/dq_c q_c).

    Args:
        alpha: the weight of every class, or one weight per class.
        gamma: the focusing exponent (0 gives alpha times the categorical crossentropy).
        from_logits: y_pred holds logits z (no softmax applied).
        label_smoothing: ls in [0, 1], pulling the one-hot labels towards 1/C.
        axis: the class axis.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> loss = nnlite.losses.CategoricalFocalCrossentropy()
        >>> round(float(loss(np.array([[0.0, 1.0, 0.0]]), np.array([[0.1, 0.8, 0.1]]))), 6)
        0.002231
    """

    def __init__(self, alpha: float | list = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1, reduction="sum_over_batch_size",
                 name="categorical_focal_crossentropy", dtype=None):
        if isinstance(axis, bool):
            raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
        super().__init__(name, reduction, dtype)
        self.alpha, self.gamma = alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), float(label_smoothing), axis

    def prepare(self, y_true, y_pred):
        y, p = super().prepare(y_true, y_pred)
        if p.shape[-1] == 1:
            warn(f"In loss categorical_focal_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
                 f"with num_classes > 1. Received: y_pred.shape={p.shape}. Consider using 'binary_crossentropy' "
                 "if you only have 2 classes.", SyntaxWarning)
        if self.label_smoothing:
            y = y * (1 - self.label_smoothing) + self.label_smoothing / y.shape[-1]
        return y, p

    @_class_axis_last
    def values_and_grads(self, y, p, from_logits):
        q = activations.softmax.forward(p) if from_logits else p
        total = q.sum(axis=-1, keepdims=True)
        o = q / total
        eps = config.epsilon()
        oc = np.clip(o, eps, 1 - eps)
        # a list of weights becomes a float32 tensor in Keras before it meets o (a number stays exact): so here
        alpha = np.asarray(self.alpha, np.float32 if np.ndim(self.alpha) else o.dtype).astype(o.dtype)
        log_o = np.log(oc)
        v = np.sum(alpha * (1 - oc) ** self.gamma * (-y * log_o), axis=-1)
        d_mod = self.gamma * (1 - oc) ** (self.gamma - 1) if self.gamma else 0.0
        grad_o = alpha * (d_mod * y * log_o - (1 - oc) ** self.gamma * y / oc) * ((o >= eps) & (o <= 1 - eps))
        grad_q = (grad_o - (grad_o * o).sum(axis=-1, keepdims=True)) / total
        if from_logits:  # through q = softmax z
            grad_q = q * (grad_q - (grad_q * q).sum(axis=-1, keepdims=True))
        return v, grad_q

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis, "alpha": self.alpha, "gamma": self.gamma}

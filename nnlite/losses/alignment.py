"""The CTC loss: a label sequence scored against per-step class logits, summed over every alignment of the labels to
the steps (``nnlite.ops.ctc`` holds the lattice and its forward-backward recursions)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autodiff, config
from ..ops.ctc import ctc_loss, ctc_values_and_grads
from .base import LOSSES, FromValuesAndGrads, document_common

MASK_INDEX = 0  # Keras's CTC loss: class 0 is the blank, and 0 in y_true pads a row's labels


def _lengths(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras's lengths: every step of y_pred counts, and the labels of a row that are not 0."""
    if y_true.ndim != 2:
        raise ValueError("Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in "
                         f"integer format. Received: y_true.shape={y_true.shape}")
    if y_pred.ndim != 3:
        raise ValueError("Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, "
                         f"num_classes)`. Received: y_pred.shape={y_pred.shape}")
    return np.sum(y_true != MASK_INDEX, axis=-1), np.full(y_pred.shape[0], y_pred.shape[1])


@document_common
@LOSSES.register("ctc")
class CTC(FromValuesAndGrads):
    """v = -log p(y_true | y_pred) = -log sum over the alignments pi of the labels to the steps of
    prod_t softmax(y_pred_t)[pi_t], class 0 the blank (Graves et al., 2006).

    y_true holds each row's labels, (batch, max_length) integers padded with 0 (a row's label count is its
    nonzero entries, as in Keras); y_pred the logits, (batch, T, C), no softmax applied; every step counts.
    Backward: dv/dy_pred_t,k = softmax(y_pred_t)_k - sum of the posteriors of the lattice states that emit k.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> logits = (np.arange(24).reshape((2, 4, 3)) - 12) / 100
        >>> round(float(nnlite.losses.CTC()(np.array([[1, 2, 1, 0], [1, 2, 0, 2]]), logits)), 5)
        2.44865
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(name, reduction, dtype)

    def prepare(self, y_true, y_pred):
        y_pred = np.asarray(y_pred, dtype=self.dtype or config.floatx())
        return np.asarray(y_true), y_pred

    def values_and_grads(self, y, p, from_logits):
        return ctc_values_and_grads(y, p, *_lengths(y, p), mask_index=MASK_INDEX)


def ctc(y_true: Any, y_pred: Any) -> Any:
    """Per-sequence CTC loss, -log p(y_true | y_pred), as :class:`CTC` computes it (the blank is class 0).

    Args:
        y_true: the labels, (batch, max_length) integers padded with 0.
        y_pred: the logits, (batch, T, C), no softmax applied.

    Returns:
        v, one value per sequence, differentiable by the tape with respect to y_pred.

    Example:
        >>> import numpy as np, nnlite
        >>> z = np.zeros((1, 2, 2))  # blank and class 1 equally likely: the paths 11, 01 and 10 read "1"
        >>> nnlite.losses.ctc(np.array([[1]]), z).round(6).tolist()  # -log 3/4
        [0.287682]
    """
    labels = np.asarray(autodiff.value_of(y_true))
    label_length, logit_length = _lengths(labels, np.asarray(autodiff.value_of(y_pred)))
    return ctc_loss(labels, y_pred, label_length, logit_length, mask_index=MASK_INDEX)


ctc.loss_class = CTC  # get("ctc") in compile: the class, with its hand-written gradient

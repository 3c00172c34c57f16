"""Circle loss (Sun et al., 2020) for metric learning: pull the embeddings of one class together and push the others
apart, each pair weighted by how far it is from where it should be. Written with nnlite.ops, as Keras writes it: the
tape gives its gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autodiff, config, ops
from .base import LOSSES, Loss, document_common


@document_common
@LOSSES.register("circle")
class Circle(Loss):
    """With D = max(1 - E E^T, 0) the cosine distances between the L2-normalised embeddings E (rows of y_pred), m
    the margin and P/N the pairs of the same and of different labels (a row's own pair left out with
    ``remove_diagonal``):

        w_p = max(m + D, 0) on P,  w_n = max(1 + m - D, 0) on N
        v_i = softplus(logsumexp over P of -gamma w_p (m - D) + logsumexp over N of gamma w_n (1 - m - D))

    and only the rows with v_i > 0 count in the mean (Keras's mask).

    Args:
        gamma: the scale of the similarities (80 by default).
        margin: m, the relaxation margin.
        remove_diagonal: leave each row's pair with itself out of its positives.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> e = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
        >>> round(float(nnlite.losses.Circle()(np.array([0, 0, 1, 1]), e)), 4)  # the mean of the rows above 0
        3.2009
    """

    sparse_labels = True  # y_true holds one integer label per row

    def __init__(self, gamma: float = 80.0, margin: float = 0.4, remove_diagonal: bool = True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(name, reduction, dtype)
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal

    def prepare(self, y_true, y_pred):
        y, p = np.asarray(y_true), np.asarray(y_pred, dtype=self.dtype or config.floatx())
        if p.ndim != 2 or len(y) != len(p) or y.size != len(y):
            raise ValueError(f"Circle takes one integer label per row (batch,) and embeddings (batch, dim); got "
                             f"y_true of shape {y.shape} and y_pred of shape {p.shape}.")
        return y.reshape(-1), p

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return circle(y_true, y_pred, remove_diagonal=self.remove_diagonal, gamma=self.gamma, margin=self.margin)

    def mask(self, y_true, v):
        return np.asarray(v) > 0  # Keras keeps the rows whose loss is positive

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "margin": self.margin,
                "remove_diagonal": self.remove_diagonal}


def circle(y_true: Any, y_pred: Any, ref_labels: Any = None, ref_embeddings: Any = None, remove_diagonal: bool = True,
           gamma: float = 80.0, margin: float = 0.4) -> Any:
    """The per-row circle loss v_i of :class:`Circle`, each embedding against ``ref_embeddings`` (default: y_pred
    itself) with their labels ``ref_labels`` (default: y_true).

    Args:
        y_true: the integer label of each row, (batch,).
        y_pred: the L2-normalised embeddings E, (batch, dim).
        ref_labels: the reference embeddings' labels, or None for y_true.
        ref_embeddings: the reference embeddings, or None for y_pred.
        remove_diagonal: leave each row's pair with itself out of its positives.
        gamma: the scale of the similarities.
        margin: m, the relaxation margin.

    Example:
        >>> import numpy as np, nnlite
        >>> e = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
        >>> np.round(np.asarray(nnlite.losses.circle(np.array([0, 0, 1, 1]), e)), 4).tolist()
        [0.0001, 6.4017, 6.4017, 0.0001]
    """
    labels = np.asarray(autodiff.value_of(y_true)).astype(np.int64).reshape(-1)
    refs = labels if ref_labels is None else np.asarray(autodiff.value_of(ref_labels)).astype(np.int64).reshape(-1)
    keys = y_pred if ref_embeddings is None else ref_embeddings
    positive = labels[:, None] == refs[None, :]
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(len(labels), len(refs), dtype=bool)
    d = ops.maximum(1 - ops.matmul(y_pred, ops.transpose(keys)), 0.0)  # cosine distances, (B, R)
    pos_w = ops.maximum((margin + d) * positive, 0.0)
    neg_w = ops.maximum((1 + margin - d) * negative, 0.0)
    p_loss = ops.logsumexp(ops.where(positive, -gamma * pos_w * (margin - d), float("-inf")), axis=1)
    n_loss = ops.logsumexp(ops.where(negative, gamma * neg_w * ((1 - margin) - d), float("-inf")), axis=1)
    return ops.softplus(p_loss + n_loss)


circle.loss_class = Circle  # get("circle") in compile: the class, with its mask of the rows above 0

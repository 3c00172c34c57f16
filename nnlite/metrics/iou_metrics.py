"""Intersection over union from a confusion matrix of class ids: IoU, MeanIoU, BinaryIoU, OneHotIoU and
OneHotMeanIoU, as Keras computes them.

For a class c with confusion matrix C (rows the true class, columns the predicted one):

    IoU_c = TP_c / (TP_c + FP_c + FN_c) = C_cc / (sum_j C_cj + sum_i C_ic - C_cc)

and the result is the mean of IoU_c over the target classes whose denominator is not 0 (a class that
occurs in neither the labels nor the predictions counts neither as 0 nor as 1). Ids outside
[0, num_classes) and ``ignore_class`` are left out of the matrix; ``sample_weight`` weighs each entry,
kept in the matrix's dtype (int64 by default, as Keras: float weights are truncated).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import config
from ..docstrings import with_arguments
from ..tensor import as_tensor
from ..warn import warn
from .base import METRICS, Metric

IOU_ARGUMENTS = """\
        name: the metric's name, its key in the logs; ``None`` takes the class name in snake case.
        dtype: the dtype of the confusion matrix; ``None``: int64, as Keras.
        ignore_class: a class id left out of the matrix (a padding label), or None.
"""
SPARSE_Y_PRED = """\
        sparse_y_pred: predictions are class ids; ``False``: scores, whose argmax is taken.
        axis: the class axis where an argmax is taken.
"""


@with_arguments(IOU_ARGUMENTS + SPARSE_Y_PRED, "iou arguments")
@METRICS.register(example={"num_classes": 3, "target_class_ids": [0, 2]})
class IoU(Metric):
    """mean over ``target_class_ids`` of IoU_c = TP_c / (TP_c + FP_c + FN_c), classes that never occur left
    out (see the module).

    Args:
        num_classes: the number of classes (the confusion matrix is num_classes x num_classes).
        target_class_ids: the classes whose IoU is averaged (one id: that class's IoU).
        {iou arguments}
        sparse_y_true: labels are class ids; ``False``: one-hot rows or scores, whose argmax is taken.

    Example:
        >>> import nnlite
        >>> m = nnlite.metrics.IoU(num_classes=3, target_class_ids=[0, 2])
        >>> m.update_state([0, 0, 2, 2], [0, 2, 2, 2])
        >>> round(float(m.result()), 4)  # (1/2 + 2/3) / 2
        0.5833
    """

    direction = "up"

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None,
                 dtype: str | None = None, ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        target_class_ids = list(target_class_ids)
        if target_class_ids and max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which is [0, {num_classes}).")
        super().__init__(dtype=dtype or "int64", name=name)
        self.num_classes, self.target_class_ids, self.ignore_class, self.axis = (num_classes, target_class_ids,
                                                                                  ignore_class, axis)
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """C += the batch's confusion matrix, each (true, predicted) pair counted with its weight.

        Args:
            y_true: the labels: class ids, or one-hot rows / scores without ``sparse_y_true``.
            y_pred: the predictions: class ids, or scores without ``sparse_y_pred``.
            sample_weight: a weight per entry (broadcast to the labels), or None for 1.
        """
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        y_true, y_pred = y_true.astype(self.dtype).ravel(), y_pred.astype(self.dtype).ravel()
        float_weights = sample_weight is not None and np.asarray(sample_weight).dtype.kind == "f"
        if float_weights and np.dtype(self.dtype).kind in "iu":
            warn("You are passing weight as `float`, but dtype is `int`. This may result in an incorrect "
                 "weight due to type casting. Consider using integer weights.", UserWarning)
        w = np.broadcast_to(np.asarray(1 if sample_weight is None else sample_weight).astype(self.dtype).ravel(),
                            y_true.shape)
        valid = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            valid &= y_true != self.ignore_class
        cm = np.zeros((self.num_classes, self.num_classes), dtype=self.dtype)
        np.add.at(cm, (y_true[valid].astype(np.int64), y_pred[valid].astype(np.int64)), w[valid])
        self.total_cm.value[...] += cm

    def result(self):
        """The mean IoU of the target classes that occur, from the matrix so far."""
        cm = self.total_cm.value.astype(np.float32)
        true_positives = np.diag(cm)
        denominator = (cm.sum(axis=0) + cm.sum(axis=1) - true_positives)[self.target_class_ids]
        true_positives = true_positives[self.target_class_ids]
        valid = denominator > 1e-9
        eps = np.float32(config.epsilon())
        iou = np.where(valid, true_positives / (denominator + eps), np.float32(0))
        return as_tensor(np.float32(np.sum(iou) / (np.sum(valid) + eps)))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


@with_arguments(IOU_ARGUMENTS + SPARSE_Y_PRED, "iou arguments")
@METRICS.register("mean_iou", example={"num_classes": 3})
class MeanIoU(IoU):
    """mean over every class that occurs of IoU_c = TP_c / (TP_c + FP_c + FN_c): :class:`IoU` with all the classes.

    Args:
        num_classes: the number of classes (the confusion matrix is num_classes x num_classes).
        {iou arguments}
        sparse_y_true: labels are class ids; ``False``: one-hot rows or scores, whose argmax is taken.

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: str | None = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1) -> None:
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


@METRICS.register()
class BinaryIoU(IoU):
    """:class:`IoU` of two classes, the predictions thresholded first: 1 where p >= ``threshold``, else 0.

    Args:
        target_class_ids: the classes whose IoU is averaged: (0, 1), or one of them.
        threshold: p >= threshold counts as a prediction of 1.
        name: the metric's name, its key in the logs; ``None`` takes the class name in snake case.
        dtype: the dtype of the confusion matrix; ``None``: int64, as Keras.

    Example:
        >>> import nnlite
        >>> m = nnlite.metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)
        >>> m.update_state([0, 1, 1, 1], [0.9, 0.8, 0.4, 0.6])
        >>> round(float(m.result()), 4)  # TP 2 / (TP 2 + FP 1 + FN 1)
        0.5
    """

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5, name: str | None = None,
                 dtype: str | None = None) -> None:
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """C += the batch's confusion matrix of (label, [p >= threshold]).

        Args:
            y_true: the labels, 0 or 1.
            y_pred: the predictions, probabilities.
            sample_weight: a weight per entry, or None for 1.
        """
        y_pred = (np.asarray(y_pred, dtype=np.float32) >= self.threshold).astype(self.dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


@with_arguments(IOU_ARGUMENTS + SPARSE_Y_PRED, "iou arguments")
@METRICS.register(example={"num_classes": 3, "target_class_ids": [1]})
class OneHotIoU(IoU):
    """:class:`IoU` for one-hot labels (their argmax is the class id).

    Args:
        num_classes: the number of classes (the length of the one-hot rows).
        target_class_ids: the classes whose IoU is averaged.
        {iou arguments}

    Example:
        >>> import nnlite
        >>> m = nnlite.metrics.OneHotIoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([[1, 0], [1, 0], [0, 1]], [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
        >>> round(float(m.result()), 4)  # class 0: TP 1 / (TP 1 + FN 1)
        0.5
    """

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None,
                 dtype: str | None = None, ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1) -> None:
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


@with_arguments(IOU_ARGUMENTS + SPARSE_Y_PRED, "iou arguments")
@METRICS.register(example={"num_classes": 3})
class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels (their argmax is the class id).

    Args:
        num_classes: the number of classes (the length of the one-hot rows).
        {iou arguments}

    Example:
        >>> import nnlite
        >>> m = nnlite.metrics.OneHotMeanIoU(num_classes=2)
        >>> m.update_state([[1, 0], [1, 0], [0, 1]], [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
        >>> round(float(m.result()), 4)  # (1/2 + 1/2) / 2
        0.5
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: str | None = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config

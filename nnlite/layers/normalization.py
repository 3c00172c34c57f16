"""Normalization: each feature shifted and scaled by the mean and variance of the data it was adapted to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import config
from .base import LAYERS, Context, Layer


@LAYERS.register()
class Normalization(Layer):
    """a = (x - mean) / max(sqrt(variance), eps);  with ``invert``: a = mean + x max(sqrt(variance), eps).

    grad_x = grad_a / max(sqrt(variance), eps) (times it, inverted). ``mean`` and ``variance`` are
    given, or learnt by ``adapt(data)``: over every axis but ``axis`` (the feature axis, -1 by default),
    the population variance, as Keras computes them. They are not trained.
    """

    def __init__(self, axis: int | Sequence[int] | None = -1, mean: Any = None, variance: Any = None,
                 invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = () if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        if (mean is None) != (variance is None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must be set. "
                             f"Received: mean={mean} and variance={variance}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        self.mean: np.ndarray | None = None
        self.variance: np.ndarray | None = None

    def _kept(self, input_shape) -> tuple[list[int], tuple[int, ...], tuple[int, ...]]:
        """(feature axes, shape of the statistics, their shape broadcast against a batch)."""
        ndim = len(input_shape)
        axes = sorted(a % ndim for a in self.axis)
        if any(input_shape[a] is None for a in axes):
            raise ValueError(f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                             f"inputs.shape={tuple(input_shape)}")
        kept = tuple(input_shape[a] for a in axes)
        broadcast = tuple(input_shape[a] if a in axes else 1 for a in range(ndim))
        return axes, kept, broadcast

    def build(self, input_shape):
        _, kept, broadcast = self._kept(input_shape)
        self._broadcast = broadcast
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(kept, "zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(kept, "ones", trainable=False, name="variance")
            self.count = self.add_weight((), "zeros", dtype="int64", trainable=False, name="count")
        super().build(input_shape)

    def weight_shapes(self, input_shape):
        _, kept, _ = self._kept(input_shape)
        return [] if self.input_mean is not None else [kept, kept, ()]

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """mean and variance of ``data`` over every axis but the feature axes."""
        data = np.asarray(data, dtype=np.float64)
        if not self.built:
            self.build((None,) + data.shape[1:])
        if self.input_mean is not None:
            raise ValueError("This Normalization layer was given its mean and variance; it cannot be adapted.")
        axes, _, _ = self._kept((None,) + data.shape[1:])
        reduce = tuple(a for a in range(data.ndim) if a not in axes)
        self.adapt_mean.assign(data.mean(axis=reduce))
        self.adapt_variance.assign(data.var(axis=reduce))

    def _statistics(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        if self.input_mean is not None:
            mean, variance = np.asarray(self.input_mean, dtype), np.asarray(self.input_variance, dtype)
        else:
            mean, variance = self.adapt_mean.value, self.adapt_variance.value
        shape = self._broadcast
        scale = np.maximum(np.sqrt(variance.reshape(shape)), config.epsilon())
        return mean.reshape(shape).astype(dtype, copy=False), scale.astype(dtype, copy=False)

    def forward(self, x, ctx: Context):
        mean, scale = self._statistics(x.dtype)
        a = mean + x * scale if self.invert else (x - mean) / scale
        return a, scale

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a * saved if self.invert else grad_a / saved

    def get_config(self):
        def listed(value):
            return None if value is None else np.asarray(value).tolist()

        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert,
                "mean": listed(self.input_mean), "variance": listed(self.input_variance)}

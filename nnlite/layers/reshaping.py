"""Layers that only rearrange a batch: Flatten and Reshape (their backward undoes the rearrangement)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import LAYERS, Context, Layer


@LAYERS.register()
class Flatten(Layer):
    """a = x reshaped to (batch, everything else); grad_x = grad_a reshaped back.

    With data_format "channels_first" the channel axis moves last before flattening, as in Keras.
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        data_format = "channels_last" if data_format is None else str(data_format).lower()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                             f"Received: data_format={data_format}")
        self.data_format = data_format
        self.built = True

    def _channels_last(self, x: np.ndarray) -> np.ndarray:
        return np.moveaxis(x, 1, -1) if self.data_format == "channels_first" and x.ndim > 2 else x

    def forward(self, x, ctx: Context):
        return self._channels_last(x).reshape(len(x), -1), x.shape

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if self.data_format == "channels_first" and len(saved) > 2:
            moved = (saved[0], *saved[2:], saved[1])
            return np.moveaxis(grad_a.reshape(moved), -1, 1)
        return grad_a.reshape(saved)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


@LAYERS.register(example={"target_shape": (5, 1)})
class Reshape(Layer):
    """a = x reshaped to (batch, *target_shape) (one entry may be -1); grad_x = grad_a reshaped back."""

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(d == -1 for d in target_shape) > 1 or not all(
                isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1) for d in target_shape):
            raise ValueError(f"Reshape's target_shape must hold positive integers and at most one -1; "
                             f"got {target_shape}.")
        self.target_shape = target_shape
        self.built = True

    def forward(self, x, ctx: Context):
        return x.reshape((len(x),) + self.target_shape), x.shape

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a.reshape(saved)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if -1 not in self.target_shape:
            return (input_shape[0],) + self.target_shape
        if any(d is None for d in rest):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        return (input_shape[0],) + tuple(math.prod(rest) // known if d == -1 else d for d in self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}

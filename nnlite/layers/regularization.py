"""Dropout: random units set to zero in training, the rest scaled up so the expected output is unchanged."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .base import LAYERS, Context, Layer


@LAYERS.register(example={"rate": 0.25, "seed": 3})
class Dropout(Layer):
    """Training: a = x * m / (1 - rate) with m_i ~ Bernoulli(1 - rate); inference: a = x.

    grad_x = grad_a * m / (1 - rate). The mask has ``noise_shape`` (None entries take the
    input's size) and is drawn from ``seed`` (an int or a Generator; successive calls give
    new masks, reproducibly) or, without one, from ``nnlite.config.default_rng()``.
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | np.random.Generator | None = None,
                 **kwargs: Any) -> None:
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             f"Received: rate={rate!r}")
        seeds = (numbers.Integral, np.random.Generator)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, seeds)):
            raise ValueError(f"seed must be an int, a numpy Generator or None; got seed={seed!r}.")
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.noise_shape = self._noise_shape(noise_shape)
        self.seed = seed
        self.rng = seed if isinstance(seed, np.random.Generator) else (
            None if seed is None else np.random.default_rng(seed))
        self.built = True

    @staticmethod
    def _noise_shape(noise_shape: Any) -> tuple | None:
        if noise_shape is None:
            return None
        if isinstance(noise_shape, str):
            raise ValueError(f"Invalid value received for argument `noise_shape`. Expected a tuple or list of "
                             f"integers. Received: noise_shape={noise_shape!r}")
        try:
            noise_shape = tuple(noise_shape)
        except TypeError:
            raise ValueError(f"Invalid value received for argument `noise_shape`. Expected an iterable of integers "
                             f"(e.g., a tuple or list). Received: noise_shape={noise_shape!r}") from None
        for i, d in enumerate(noise_shape):
            if d is not None and (isinstance(d, bool) or not isinstance(d, numbers.Integral) or d <= 0):
                raise ValueError(f"Invalid value received for argument `noise_shape`. Expected all dimensions to be "
                                 f"positive integers or None. Received {d!r} at index {i}.")
        return noise_shape

    def forward(self, x, ctx: Context):
        if not ctx.training or self.rate == 0:
            return x, None
        shape = x.shape if self.noise_shape is None else tuple(
            x.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        if self.rate == 1:
            mask = np.zeros(shape, dtype=x.dtype)
        else:
            keep = ctx.generator(self.rng).random(shape) >= self.rate
            mask = keep.astype(x.dtype) / x.dtype.type(1 - self.rate)  # broadcasts over noise_shape
        return x * mask, mask

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a if saved is None else grad_a * saved

    def get_config(self):
        seed = self.seed if not isinstance(self.seed, np.random.Generator) else None
        return {**super().get_config(), "rate": self.rate, "seed": seed,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}

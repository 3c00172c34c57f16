"""Layers without weights that apply a function: Activation (ReLU, LeakyReLU, Softmax) and Dropout."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations, config
from .core import Layer


class Activation(Layer):
    """a = f(x);  grad_x = f.backward(x, a, grad_a).

    A sigmoid or softmax Activation as the last layer feeds the crossentropies their
    logits x, as Keras does (see ``losses.logits_loss_for``).
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def logits(self, x: np.ndarray) -> np.ndarray:
        return x

    def forward(self, x, training=False):
        a = self.activation.forward(x)
        self._cache = (x, a) if training else None
        return a

    def forward_logits(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.activation.forward(x), x

    def forward_logits_only(self, x: np.ndarray) -> np.ndarray:
        """Training-mode forward for a fused loss that reads only the logits x."""
        self._cache = (x, None)
        return x

    def backward(self, grad_a, need_grad_x=True):
        z, a = self._require_cache()
        return self.activation.backward(z, a, grad_a)

    def backward_from_z(self, grad_z: np.ndarray, need_grad_x: bool = True) -> np.ndarray:
        """Fused entry: the loss's dL/dz is already the gradient at this layer's input."""
        return grad_z

    def pre_activation(self) -> np.ndarray:
        return self._require_cache()[0]

    def _require_cache(self):
        if self._cache is None:
            raise RuntimeError(f"{self.name!r}: backward needs a forward pass with training=True first.")
        return self._cache

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class ReLU(Activation):
    """a = relu(x, negative_slope, max_value, threshold) as a layer."""

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(activations.ReLU(negative_slope=negative_slope, max_value=max_value,
                                          threshold=threshold), **kwargs)


class LeakyReLU(Activation):
    """a = x if x > 0 else negative_slope * x; the layer's default slope is 0.3 (the function's is 0.2)."""

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(activations.LeakyReLU(negative_slope=negative_slope), **kwargs)


class Softmax(Activation):
    """a = softmax(x) over ``axis``."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(activations.Softmax(axis=axis) if axis != -1 else activations.softmax, **kwargs)


class Dropout(Layer):
    """Training: a = x * m / (1 - rate) with m_i ~ Bernoulli(1 - rate); inference: a = x.

    grad_x = grad_a * m / (1 - rate). The mask is drawn from ``seed`` (an int or a
    Generator) or, without one, from ``nnlite.config.default_rng()``.
    """

    def __init__(self, rate: float, noise_shape: tuple | None = None,
                 seed: int | np.random.Generator | None = None, **kwargs: Any) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be a float in [0, 1), got {rate!r}.")
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.rng = seed if isinstance(seed, np.random.Generator) else (
            np.random.default_rng(seed) if seed is not None else None)
        self.mask: np.ndarray | None = None

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.mask = None
            return x
        rng = self.rng or config.default_rng()
        shape = x.shape if self.noise_shape is None else tuple(
            d if d is not None else x.shape[i] for i, d in enumerate(self.noise_shape))
        keep = rng.random(shape) >= self.rate
        self.mask = keep.astype(x.dtype) / x.dtype.type(1 - self.rate)  # broadcasts over noise_shape
        return x * self.mask

    def backward(self, grad_a, need_grad_x=True):
        return grad_a if self.mask is None else grad_a * self.mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed if isinstance(self.seed, int) else None}

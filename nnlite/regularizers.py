"""Weight and activity penalties ``R(w)`` added to the loss, with their gradients.

Keras adds each weight penalty once per batch (not divided by the batch size) and
an activity penalty on a layer's output divided by the batch size. Its factors pass
through a float32 cast, so nnlite applies them as float32 numbers too.
"""

from __future__ import annotations

import numpy as np

from .optimizers import _check_rate as _factor  # a finite float >= 0


class Regularizer:
    """R(w) = l1 sum|w| + l2 sum w^2;  dR/dw = l1 sign(w) + 2 l2 w."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _factor("l1", l1)
        self.l2 = _factor("l2", l2)

    def __call__(self, w: np.ndarray) -> float:
        value = 0.0
        if self.l1:
            value += float(np.float32(self.l1)) * np.sum(np.abs(w))
        if self.l2:
            value += float(np.float32(self.l2)) * np.sum(np.square(w))
        return value

    def grad(self, w: np.ndarray) -> np.ndarray:
        g = np.zeros_like(w)
        if self.l1:
            g += float(np.float32(self.l1)) * np.sign(w)
        if self.l2:
            g += 2 * float(np.float32(self.l2)) * w
        return g

    def get_config(self) -> dict[str, float]:
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(l1={self.l1}, l2={self.l2})"


def L1(l1: float = 0.01) -> Regularizer:
    """R(w) = l1 sum|w|."""
    return Regularizer(l1=l1)


def L2(l2: float = 0.01) -> Regularizer:
    """R(w) = l2 sum w^2 (no 1/2: dR/dw = 2 l2 w)."""
    return Regularizer(l2=l2)


def L1L2(l1: float = 0.0, l2: float = 0.0) -> Regularizer:
    """R(w) = l1 sum|w| + l2 sum w^2."""
    return Regularizer(l1=l1, l2=l2)


l1, l2, l1_l2 = L1, L2, L1L2

_NAMES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


def get(identifier: str | Regularizer | None) -> Regularizer | None:
    """A regularizer from a name ("l1", "l2", "l1_l2"), an instance, or None."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _NAMES:
        return _NAMES[identifier.lower()]()
    raise ValueError(f"Unknown regularizer {identifier!r}. Valid names: l1, l2, l1_l2, or a Regularizer.")

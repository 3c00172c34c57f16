"""Weight and activity penalties ``R(w)`` added to the loss, with their gradients.

Keras adds each weight penalty once per batch (not divided by the batch size) and
an activity penalty on a layer's output divided by the batch size. Its factors pass
through a float32 cast, so nnlite applies them as float32 numbers too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .registry import Registry

__all__ = ["L1", "L1L2", "L2", "Regularizer", "deserialize", "get", "l1", "l1_l2", "l2", "serialize"]


def _factor(name: str, value: Any) -> float:
    """A penalty factor: a finite float >= 0 (Keras's check and message)."""
    if isinstance(value, bool) or not isinstance(value, (float, int)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. "
                         f"Received: {name}={value!r}")
    return float(value)


def _f32(value: float) -> float:
    return float(np.float32(value))


class Regularizer:
    """R(w) = l1 sum|w| + l2 sum w^2;  dR/dw = l1 sign(w) + 2 l2 w (either factor may be 0)."""

    l1 = 0.0
    l2 = 0.0

    def __call__(self, w: np.ndarray) -> float:
        value = 0.0
        if self.l1:
            value += _f32(self.l1) * np.sum(np.abs(w))
        if self.l2:
            value += _f32(self.l2) * np.sum(np.square(w))
        return value

    def grad(self, w: np.ndarray) -> np.ndarray:
        g = np.zeros_like(w)
        if self.l1:
            g += _f32(self.l1) * np.sign(w)
        if self.l2:
            g += 2 * _f32(self.l2) * w
        return g

    def get_config(self) -> dict[str, float]:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


REGULARIZERS = Registry(Regularizer, "keras.regularizers")


@REGULARIZERS.register("l1_l2")
class L1L2(Regularizer):
    """R(w) = l1 sum|w| + l2 sum w^2 (both 0 by default).

    Args:
        l1: the factor of sum|w|.
        l2: the factor of sum w^2.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _factor("l1", 0.0 if l1 is None else l1)
        self.l2 = _factor("l2", 0.0 if l2 is None else l2)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@REGULARIZERS.register("l1")
class L1(Regularizer):
    """R(w) = l1 sum|w|.

    Args:
        l1: the factor l1.
    """

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _factor("l1", 0.01 if l1 is None else l1)

    def get_config(self):
        return {"l1": self.l1}


@REGULARIZERS.register("l2")
class L2(Regularizer):
    """R(w) = l2 sum w^2 (no 1/2: dR/dw = 2 l2 w).

    Args:
        l2: the factor l2.
    """

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _factor("l2", 0.01 if l2 is None else l2)

    def get_config(self):
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2


def get(identifier: str | dict | Regularizer | None) -> Regularizer | None:
    """A regularizer from a name ("l1", "l2", "L1L2"), a config dict, an instance, or None.

    Args:
        identifier: a name, a config dict, a ``Regularizer``, or None.

    Returns:
        A ``Regularizer``, or None for None.
    """
    return None if identifier is None else REGULARIZERS.get(identifier)


def serialize(regularizer: Regularizer | None) -> dict[str, Any] | None:
    """A regularizer as Keras's config dict ({"module", "class_name", "config", ...}); None stays None.

    Args:
        regularizer: a ``Regularizer``, or None.
    """
    return None if regularizer is None else REGULARIZERS.serialize(regularizer)


deserialize = REGULARIZERS.deserialize

"""A trainable array and the gradient that backward left on it."""

from __future__ import annotations

from typing import Any

import numpy as np


class Variable:
    """``value`` (the weights), ``grad`` (dL/dvalue after a backward pass) and a ``name``.

    Like a Keras variable it has ``numpy()``, ``assign()``, ``shape`` and ``dtype``, and
    NumPy functions accept it directly.
    """

    def __init__(self, value: np.ndarray, name: str, trainable: bool = True) -> None:
        self.value = value
        self.grad: np.ndarray | None = None
        self.name = name
        self.trainable = trainable

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    def numpy(self) -> np.ndarray:
        """A copy of the current value."""
        return self.value.copy()

    def assign(self, value: Any) -> None:
        """Overwrite the value in place (shape and dtype kept)."""
        value = np.asarray(value)
        if value.shape != self.value.shape:
            raise ValueError(
                f"Cannot assign a value of shape {value.shape} to {self.name} of shape {self.value.shape}."
            )
        self.value[...] = value

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self.value if dtype is None else self.value.astype(dtype)

    def __repr__(self) -> str:
        return f"<Variable {self.name} shape={self.shape} dtype={self.dtype.name}>"

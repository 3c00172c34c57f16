"""Weight constraints, as ``keras.constraints``: a projection w <- c(w) after every optimizer step.

Norms are taken along ``axis`` (0 for a Dense kernel (in, units): the weights into each
unit), with Keras's fuzz factor eps = ``nnlite.config.epsilon()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import config
from .registry import Registry
from .serialization import serialize_in

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get", "max_norm",
           "min_max_norm", "non_neg", "serialize", "unit_norm"]


class Constraint:
    """w <- c(w); the base class leaves w as it is.

    A subclass gives ``__call__(w)``, applied after each optimizer step; a plain function serves as well.

    Example:
        >>> import numpy as np, nnlite
        >>> class Clip(nnlite.constraints.Constraint):
        ...     def __call__(self, w):
        ...         return np.clip(w, -1.0, 1.0)
        >>> Clip()(np.array([-3.0, 0.5]))
        array([-1. ,  0.5])
    """

    def __call__(self, w: Any) -> np.ndarray:
        return np.asarray(w)

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


CONSTRAINTS = Registry(Constraint, "keras.constraints")


def _norms(w: np.ndarray, axis: Any) -> np.ndarray:
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


@CONSTRAINTS.register("max_norm")
class MaxNorm(Constraint):
    """w <- w min(||w||, max_value) / (eps + ||w||).

    Args:
        max_value: the largest norm allowed.
        axis: the axis the norms are taken along (0: per unit of a Dense kernel).

    Example:
        >>> import numpy as np, nnlite
        >>> w = np.array([[3.0, 0.1], [4.0, 0.1]])
        >>> nnlite.constraints.MaxNorm(max_value=1.0)(w).round(3)  # columns over norm 1 scaled back
        array([[0.6, 0.1],
               [0.8, 0.1]])
    """

    def __init__(self, max_value: float = 2.0, axis: int = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = np.asarray(w)
        norms = _norms(w, self.axis)
        return w * (np.clip(norms, 0, self.max_value) / (config.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@CONSTRAINTS.register("non_neg")
class NonNeg(Constraint):
    """w <- max(w, 0).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.constraints.NonNeg()(np.array([-1.0, 2.0]))
        array([0., 2.])
    """

    def __call__(self, w):
        return np.maximum(np.asarray(w), 0)


@CONSTRAINTS.register("unit_norm")
class UnitNorm(Constraint):
    """w <- w / (eps + ||w||).

    Args:
        axis: the axis the norms are taken along.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.constraints.UnitNorm(axis=0)(np.array([[3.0], [4.0]])).round(4)
        array([[0.6],
               [0.8]])
    """

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def __call__(self, w):
        w = np.asarray(w)
        return w / (config.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


@CONSTRAINTS.register("min_max_norm")
class MinMaxNorm(Constraint):
    """w <- w d / (eps + ||w||), d = rate clip(||w||, min_value, max_value) + (1 - rate) ||w||.

    Args:
        min_value: the smallest norm allowed.
        max_value: the largest norm allowed.
        rate: how far towards the clipped norm each step goes (1: all the way).
        axis: the axis the norms are taken along.

    Example:
        >>> import numpy as np, nnlite
        >>> w = np.array([[3.0, 0.1], [4.0, 0.0]])
        >>> nnlite.constraints.MinMaxNorm(min_value=0.5, max_value=1.0)(w).round(3)
        array([[0.6, 0.5],
               [0.8, 0. ]])
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: int = 0) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = np.asarray(w)
        norms = _norms(w, self.axis)
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm


def get(identifier: str | dict | Constraint | None) -> Constraint | None:
    """A constraint from a name ("max_norm", "NonNeg"), a config dict, an instance, or None.

    Args:
        identifier: a name, a config dict, a ``Constraint``, or None.

    Returns:
        A ``Constraint``, or None for None.

    Example:
        >>> import numpy as np, nnlite
        >>> type(nnlite.constraints.get("non_neg")).__name__
        'NonNeg'
    """
    if identifier is None or (callable(identifier) and not isinstance(identifier, (str, dict))):
        return identifier  # a Constraint, or any function w -> w'
    return CONSTRAINTS.get(identifier)


def serialize(constraint: Constraint | None) -> dict[str, Any] | None:
    """A constraint as Keras's config dict ({"module", "class_name", "config", ...}); None stays None.

    Args:
        constraint: a ``Constraint``, or None.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.constraints.serialize(nnlite.constraints.MaxNorm(3.0))["config"]
        {'max_value': 3.0, 'axis': 0}
    """
    return serialize_in(CONSTRAINTS, constraint)  # a function: by its (registered) name, as Keras writes it


deserialize = CONSTRAINTS.deserialize

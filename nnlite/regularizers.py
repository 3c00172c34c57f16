"""Weight and activity penalties ``R(w)`` added to the loss, with their gradients.

Keras adds each weight penalty once per batch (not divided by the batch size) and
an activity penalty on a layer's output divided by the batch size. Its factors pass
through a float32 cast, so nnlite applies them as float32 numbers too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import config
from .registry import Registry
from .serialization import serialize_in
from .warn import warn

__all__ = ["L1", "L1L2", "L2", "OrthogonalRegularizer", "orthogonal_regularizer", "Regularizer", "deserialize",
           "get", "l1", "l1_l2", "l2", "serialize"]


def _factor(name: str, value: Any) -> float:
    """A penalty factor: a finite float >= 0 (Keras's check and message)."""
    if isinstance(value, bool) or not isinstance(value, (float, int)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. "
                         f"Received: {name}={value!r}")
    return float(value)


def _f32(value: float) -> float:
    return float(np.float32(value))


class Regularizer:
    """R(w) = l1 sum|w| + l2 sum w^2;  dR/dw = l1 sign(w) + 2 l2 w (either factor may be 0).

    A subclass may write its own ``__call__`` with ``nnlite.ops`` instead (as in Keras): the tape then gives
    dR/dw. A plain function ``R(w)`` serves as well.

    Example:
        >>> import numpy as np, nnlite
        >>> class Quartic(nnlite.regularizers.Regularizer):
        ...     def __call__(self, w):
        ...         return 0.1 * nnlite.ops.sum(w ** 4)
        >>> w = np.array([1.0, -2.0])
        >>> round(float(Quartic()(w)), 6), Quartic().grad(w)  # 0.1 (1 + 16) and 0.4 w^3
        (1.7, array([ 0.4, -3.2]))
    """

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
        """dR/dw = l1 sign(w) + 2 l2 w; a subclass that writes its own ``__call__`` (with ``nnlite.ops``) and no
        ``grad`` gets the tape's gradient of it."""
        if type(self).__call__ is not Regularizer.__call__:
            return tape_gradient(self, w)
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


@REGULARIZERS.register("l1_l2", "l1l2")
class L1L2(Regularizer):
    """R(w) = l1 sum|w| + l2 sum w^2 (both 0 by default).

    Args:
        l1: the factor of sum|w|.
        l2: the factor of sum w^2.

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([[1.0, -2.0]]))
        >>> round(float(nnlite.regularizers.L1L2(l1=0.1, l2=0.1)(w)), 6)  # 0.3 + 0.5
        0.8
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

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([[1.0, -2.0]]))
        >>> round(float(nnlite.regularizers.L1(0.1)(w)), 6)  # 0.1 (|1| + |-2|)
        0.3
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

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([[1.0, -2.0]]))
        >>> round(float(nnlite.regularizers.L2(0.1)(w)), 6)  # 0.1 (1 + 4)
        0.5
    """

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _factor("l2", 0.01 if l2 is None else l2)

    def get_config(self):
        return {"l2": self.l2}


@REGULARIZERS.register("orthogonal_regularizer")
class OrthogonalRegularizer(Regularizer):
    """R(W) = c sum_{i != j} |P_ij|, P = N N^T, c = factor / (k (k - 1)): the mean |cosine| between the k rows of W
    (``mode="rows"``; its columns with ``"columns"``), N the rows scaled by s = min(1 / |w_i|, 1 / eps); 0 when
    they are orthogonal.

    Backward, with G = c sign(P) off the diagonal (0 on it): dR/dN = 2 G N, and per row
    dR/dw_i = s (g_i - n_i (n_i . g_i)) where |w_i| > eps (s = 1/|w_i|), g_i / eps where the scale is clamped;
    a zero row gets 0.

    Args:
        factor: the penalty's factor (a float >= 0).
        mode: "rows" or "columns", the vectors kept apart.

    Example:
        >>> import numpy as np, nnlite
        >>> regularizer = nnlite.regularizers.OrthogonalRegularizer(factor=1.0)
        >>> float(regularizer(np.eye(3))), round(float(regularizer(np.array([[1.0, 0.0], [1.0, 1.0]]))), 6)
        (0.0, 0.707107)
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _f32(_factor("factor", factor))  # Keras holds it as a float32 tensor
        if mode not in {"rows", "columns"}:
            raise ValueError(f'Invalid value for argument `mode`. Expected one of {{"rows", "columns"}}. '
                             f"Received: mode={mode}")
        self.mode = mode

    def _rows(self, w: Any) -> np.ndarray:
        w = np.asarray(w)
        if w.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={w.shape}")
        return w if self.mode == "rows" else w.T

    @staticmethod
    def _scaled(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, s): the rows times s = min(1/|w_i|, 1/eps), Keras's normalize."""
        with np.errstate(divide="ignore"):
            s = np.minimum(1.0 / np.sqrt(np.sum(w * w, axis=1, keepdims=True)), 1.0 / config.epsilon())
        return w * s, s

    def __call__(self, w: Any) -> float:
        w = self._rows(w)
        n, _ = self._scaled(w)
        k = w.shape[0]
        off_diagonal = (n @ n.T) * (1.0 - np.eye(k, dtype=n.dtype))
        return self.factor * 0.5 * np.sum(np.abs(off_diagonal)) / (k * (k - 1.0) / 2.0)

    def grad(self, w: Any) -> np.ndarray:
        rows = self._rows(w)
        n, s = self._scaled(rows)
        k = rows.shape[0]
        big_g = self.factor / (k * (k - 1.0)) * np.sign(n @ n.T) * (1.0 - np.eye(k, dtype=n.dtype))
        g_n = 2.0 * big_g @ n  # dR/dN
        clamped = s >= 1.0 / config.epsilon()  # the scale held at 1/eps: no gradient through it
        g = np.where(clamped, g_n * s, s * (g_n - n * np.sum(n * g_n, axis=1, keepdims=True)))
        return g if self.mode == "rows" else g.T

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2 = L1, L2, L1L2


def tape_gradient(regularizer: Callable[[Any], Any], w: np.ndarray) -> np.ndarray:
    """dR/dw of a penalty the user wrote (a function or a ``__call__``), from one GradientTape sweep over the ops
    it ran; zeros, with a warning, when it ran none (NumPy calls the tape cannot follow)."""
    from .autodiff import GradientTape
    from .variables import Variable

    v = Variable(np.array(w), name="regularized")
    with GradientTape() as tape:
        penalty = regularizer(v)
    g = tape.gradient(penalty, v)
    if g is None:
        warn(f"The regularizer {regularizer!r} gave no gradient: write it with nnlite.ops (or arithmetic on its "
             "argument), which the tape differentiates; it adds to the loss but does not train the weights.")
        return np.zeros_like(w)
    return np.asarray(g, dtype=np.asarray(w).dtype)


def gradient(regularizer: Callable[[Any], Any], w: np.ndarray) -> np.ndarray:
    """dR/dw for any regularizer: a Regularizer's own ``grad``, or the tape's for a plain function."""
    return regularizer.grad(w) if isinstance(regularizer, Regularizer) else tape_gradient(regularizer, w)


def get(identifier: str | dict | Regularizer | Callable | None) -> Regularizer | Callable | None:
    """A regularizer from a name ("l1", "l2", "L1L2"), a config dict, an instance, a function ``R(w)``
    (returned as it is, as Keras does; the tape differentiates it), or None.

    Args:
        identifier: a name, a config dict, a ``Regularizer`` (instance or class), a function, or None.

    Returns:
        A ``Regularizer`` or the function, or None for None.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.regularizers.get("l2").get_config()
        {'l2': 0.01}
    """
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier) and not isinstance(identifier, Regularizer):
        return identifier
    return None if identifier is None else REGULARIZERS.get(identifier)


def serialize(regularizer: Regularizer | Callable | None) -> dict[str, Any] | str | None:
    """A regularizer as Keras's config dict ({"module", "class_name", "config", ...}); None stays None.

    Args:
        regularizer: a ``Regularizer``, or None.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.regularizers.serialize(nnlite.regularizers.L1(0.5))
        {'module': 'keras.regularizers', 'class_name': 'L1', 'config': {'l1': 0.5}, 'registered_name': None}
    """
    return serialize_in(REGULARIZERS, regularizer)  # a function: by its (registered) name, as Keras writes it


deserialize = REGULARIZERS.deserialize


orthogonal_regularizer = OrthogonalRegularizer  # Keras's second name

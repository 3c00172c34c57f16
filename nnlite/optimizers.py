"""Optimizers: turn gradients into weight updates, step by step as Keras 3 does.

One step of :meth:`Optimizer.apply`, in Keras's order:

1. clip the gradients (``clipnorm`` per tensor g c / max(|g|, c), ``global_clipnorm``
   over all tensors together, or ``clipvalue`` elementwise; at most one of them);
2. decoupled weight decay ``w <- w - w * weight_decay * lr``;
3. the optimizer's own update with ``lr = learning_rate(iterations)``;
4. ``iterations += 1``.

Optimizers are listed in order of increasing complexity. Each keeps its state (a
momentum, a second moment) as arrays beside the variables, built on the first step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import schedules
from .variables import Variable

__all__ = ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam", "Optimizer",
           "schedules", "get"]


def as_cast_constant(value: float) -> float:
    """A Python-float hyperparameter as Keras applies it: ``ops.cast(value, dtype)``
    first makes a float32 tensor, so momentum 0.9 acts as 0.8999999761581421 even in
    float64. (The learning rate is a variable of floatx and is not rounded.)"""
    return float(np.float32(value))


def _check_rate(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a float, got {type(value).__name__}: {value!r}.")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    return value


def _check_unit(name: str, value: Any) -> float:
    value = _check_rate(name, value)
    if value > 1:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}.")
    return value


class Optimizer:
    """Base class: clipping, weight decay, learning rate (float or schedule), iterations."""

    name = "optimizer"

    def __init__(self, learning_rate: float | Callable[[int], float] = 0.001,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        if "lr" in kwargs:
            raise TypeError("Unknown argument lr=: use learning_rate= (as in Keras 3).")
        if kwargs:
            raise TypeError(f"Unknown arguments for {type(self).__name__}: {sorted(kwargs)}.")
        if callable(learning_rate):
            self.learning_rate = learning_rate
        else:
            self.learning_rate = _check_rate("learning_rate", learning_rate)
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        set_clips = [k for k, v in clips.items() if v is not None]
        if len(set_clips) > 1:
            raise ValueError(f"Only one of clipnorm, clipvalue, global_clipnorm may be set; got {set_clips}.")
        for key, value in clips.items():
            setattr(self, key, None if value is None else _check_rate(key, value))
        self.weight_decay = None if weight_decay is None else _check_rate("weight_decay", weight_decay)
        self.name = name or self.name
        self.iterations = 0
        self._slots: list[dict[str, np.ndarray]] | None = None

    # -- the step -------------------------------------------------------------------
    def current_learning_rate(self) -> float:
        """lr for the coming step: the float, or the schedule at ``iterations``."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.iterations))
        return self.learning_rate

    def build(self, variables: Sequence[Variable]) -> None:
        """Create the per-variable state (see :meth:`slots`)."""
        self._slots = [self.slots(v.value) for v in variables]

    def slots(self, w: np.ndarray) -> dict[str, np.ndarray]:
        """The state this optimizer keeps for one variable (none by default)."""
        return {}

    def clip(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        """Apply clipnorm, global_clipnorm or clipvalue."""
        if self.clipnorm is not None:
            c = self.clipnorm
            return [g * (c / max(float(np.sqrt(np.sum(g * g))), c)) for g in grads]
        if self.global_clipnorm is not None:
            c = self.global_clipnorm
            norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
            return [g * (c / max(norm, c)) for g in grads]
        if self.clipvalue is not None:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def apply(self, grads: Sequence[np.ndarray], variables: Sequence[Variable]) -> None:
        """One step: clip, decay, update every variable in place, count the step."""
        if len(grads) != len(variables):
            raise ValueError(f"Got {len(grads)} gradients for {len(variables)} variables.")
        if self._slots is None:
            self.build(variables)
        elif len(self._slots) != len(variables):
            raise ValueError(
                f"This optimizer was built for {len(self._slots)} variables and now got "
                f"{len(variables)}; use a new optimizer for a different model."
            )
        lr = self.current_learning_rate()
        if self.clipnorm is not None or self.global_clipnorm is not None or self.clipvalue is not None:
            grads = self.clip(list(grads))
        if self.weight_decay:
            wd = as_cast_constant(self.weight_decay)
            for v in variables:
                v.value -= v.value * wd * lr
        for g, v, state in zip(grads, variables, self._slots):
            w = v.value
            self.update(w, g if g.dtype == w.dtype else g.astype(w.dtype), w.dtype.type(lr), state)
        self.iterations += 1

    def apply_gradients(self, grads_and_vars: Sequence[tuple[np.ndarray, Variable]]) -> None:
        """Keras's spelling: ``apply_gradients(zip(grads, variables))``."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def update(self, w: np.ndarray, g: np.ndarray, lr: np.floating, state: dict[str, np.ndarray]) -> None:
        """Change ``w`` in place from its gradient ``g``."""
        raise NotImplementedError

    # -- description ------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        lr = self.learning_rate
        return {"name": self.name, "learning_rate": lr if not callable(lr) else repr(lr),
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue}

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.get_config().items() if v is not None and k != "name"}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


class SGD(Optimizer):
    """w <- w - lr g.

    With momentum mu: m <- mu m - lr g, then w <- w + m;
    Nesterov: w <- w + mu m - lr g with the new m. (mu as Keras casts it: float32.)
    """

    name = "SGD"

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = _check_unit("momentum", momentum)
        self.nesterov = bool(nesterov)

    def slots(self, w):
        return {"m": np.zeros_like(w)} if self.momentum else {"step": np.empty_like(w)}

    def update(self, w, g, lr, state):
        if not self.momentum:
            w -= np.multiply(g, lr, out=state["step"])  # w - lr g, with no temporary array
            return
        mu = as_cast_constant(self.momentum)
        m = state["m"]
        m *= mu
        m -= lr * g
        if self.nesterov:
            w += mu * m - lr * g
        else:
            w += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """acc <- acc + g^2;  w <- w - lr g / sqrt(acc + eps).  acc starts at initial_accumulator_value."""

    name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = _check_rate("initial_accumulator_value", initial_accumulator_value)
        self.epsilon = _check_rate("epsilon", epsilon)

    def slots(self, w):
        # Keras fills the accumulator through a Constant initializer, which casts via float32
        return {"acc": np.full_like(w, as_cast_constant(self.initial_accumulator_value))}

    def update(self, w, g, lr, state):
        acc = state["acc"]
        acc += g * g
        w -= lr * g / np.sqrt(acc + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """v <- rho v + (1 - rho) g^2;  w <- w - lr g / sqrt(v + eps).

    centered: also a <- rho a + (1 - rho) g and the denominator is sqrt(v - a^2 + eps).
    momentum mu: m <- mu m + lr g / sqrt(...), then w <- w - m.
    """

    name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = _check_unit("rho", rho)
        self.momentum = _check_unit("momentum", momentum)
        self.epsilon = _check_rate("epsilon", epsilon)
        self.centered = bool(centered)

    def slots(self, w):
        state = {"v": np.zeros_like(w)}
        if self.momentum:
            state["m"] = np.zeros_like(w)
        if self.centered:
            state["a"] = np.zeros_like(w)
        return state

    def update(self, w, g, lr, state):
        rho, v = self.rho, state["v"]
        v[...] = rho * v + (1 - rho) * (g * g)
        if self.centered:
            a = state["a"]
            a[...] = rho * a + (1 - rho) * g
            denominator = v - a * a + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = lr * g / np.sqrt(denominator)
        if self.momentum:
            m = state["m"]
            m[...] = self.momentum * m + increment
            w -= m
        else:
            w -= increment

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adadelta(Optimizer):
    """A <- rho A + (1 - rho) g^2;  d = -sqrt(D + eps) g / sqrt(A + eps);
    D <- rho D + (1 - rho) d^2;  w <- w + lr d."""

    name = "adadelta"

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = _check_unit("rho", rho)
        self.epsilon = _check_rate("epsilon", epsilon)

    def slots(self, w):
        return {"A": np.zeros_like(w), "D": np.zeros_like(w)}

    def update(self, w, g, lr, state):
        rho, A, D = self.rho, state["A"], state["D"]
        A[...] = rho * A + (1 - rho) * (g * g)
        d = -(np.sqrt(D + self.epsilon) * g / np.sqrt(A + self.epsilon))
        D[...] = rho * D + (1 - rho) * (d * d)
        w += lr * d

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """m <- m + (g - m)(1 - b1);  v <- v + (g^2 - v)(1 - b2);  w <- w - a m / (sqrt(v) + eps).

    a = lr sqrt(1 - b2^t) / (1 - b1^t) at step t = iterations + 1 (eps is added to the
    uncorrected sqrt(v)). amsgrad: v_hat <- max(v_hat, v) replaces v in the update.
    The powers b^t use b as Keras casts it (float32); (1 - b) is exact.
    """

    name = "adam"

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check_unit("beta_1", beta_1)
        self.beta_2 = _check_unit("beta_2", beta_2)
        self.epsilon = _check_rate("epsilon", epsilon)
        self.amsgrad = bool(amsgrad)

    def slots(self, w):
        state = {"m": np.zeros_like(w), "v": np.zeros_like(w)}
        if self.amsgrad:
            state["v_hat"] = np.zeros_like(w)
        return state

    def update(self, w, g, lr, state):
        t = self.iterations + 1
        b1_t = as_cast_constant(self.beta_1) ** t
        b2_t = as_cast_constant(self.beta_2) ** t
        alpha = lr * np.sqrt(1 - b2_t) / (1 - b1_t)
        m, v = state["m"], state["v"]
        m += (g - m) * (1 - self.beta_1)
        v += (g * g - v) * (1 - self.beta_2)
        if self.amsgrad:
            np.maximum(state["v_hat"], v, out=state["v_hat"])
            v = state["v_hat"]
        w -= m * w.dtype.type(alpha) / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay w <- w - w * weight_decay * lr before each update (default 0.004)."""

    name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs)


class Adamax(Optimizer):
    """m <- m + (g - m)(1 - b1);  u <- max(b2 u, |g|);  w <- w - lr m / ((1 - b1^t)(u + eps))."""

    name = "adamax"

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check_unit("beta_1", beta_1)
        self.beta_2 = _check_unit("beta_2", beta_2)
        self.epsilon = _check_rate("epsilon", epsilon)

    def slots(self, w):
        return {"m": np.zeros_like(w), "u": np.zeros_like(w)}

    def update(self, w, g, lr, state):
        b1_t = as_cast_constant(self.beta_1) ** (self.iterations + 1)
        m, u = state["m"], state["u"]
        m += (g - m) * (1 - self.beta_1)
        np.maximum(self.beta_2 * u, np.abs(g), out=u)
        w -= lr * m / (w.dtype.type(1 - b1_t) * (u + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Adam with Nesterov momentum and Dozat's momentum schedule.

    u_t = b1 (1 - 0.5 * 0.96^t);  P <- P u_t (once per step, before the updates);
    m, v as Adam;  m_hat = u_{t+1} m / (1 - P u_{t+1}) + (1 - u_t) g / (1 - P);
    v_hat = v / (1 - b2^t);  w <- w - lr m_hat / (sqrt(v_hat) + eps).
    """

    name = "nadam"

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check_unit("beta_1", beta_1)
        self.beta_2 = _check_unit("beta_2", beta_2)
        self.epsilon = _check_rate("epsilon", epsilon)
        self.u_product = 1.0

    def build(self, variables):
        super().build(variables)
        self._u_dtype = variables[0].dtype.type if variables else np.float64

    def apply(self, grads, variables):
        if self._slots is None:
            self.build(variables)
        t = self.iterations + 1
        # P is a variable of floatx in Keras, updated with exact b1 and 0.96
        self.u_product = self._u_dtype(self.u_product * self.beta_1 * (1.0 - 0.5 * 0.96 ** t))
        super().apply(grads, variables)

    def slots(self, w):
        return {"m": np.zeros_like(w), "v": np.zeros_like(w)}

    def update(self, w, g, lr, state):
        t = self.iterations + 1
        dtype = w.dtype.type
        b1, b2, decay = (dtype(as_cast_constant(c)) for c in (self.beta_1, self.beta_2, 0.96))
        u_t = b1 * (1.0 - 0.5 * decay ** dtype(t))
        u_next = b1 * (1.0 - 0.5 * decay ** dtype(t + 1))
        p_t = dtype(self.u_product)
        p_next = p_t * u_next
        m, v = state["m"], state["v"]
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        m_hat = u_next * m / (1 - p_next) + (1 - u_t) * g / (1 - p_t)
        v_hat = v / (1 - b2 ** dtype(t))
        w -= m_hat * lr / (np.sqrt(v_hat) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


_OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta,
    "adam": Adam, "adamw": AdamW, "adamax": Adamax, "nadam": Nadam,
}


def names() -> list[str]:
    """Every name :func:`get` accepts."""
    return sorted(_OPTIMIZERS)


def get(identifier: str | Optimizer) -> Optimizer:
    """An optimizer from a name (``"sgd"``, ``"SGD"``...) or an Optimizer instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _OPTIMIZERS.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Unknown optimizer {identifier!r}. Valid names: {', '.join(names())}.")
        return cls()
    raise TypeError(f"optimizer must be a name or an nnlite.optimizers.Optimizer; got {identifier!r}.")

"""Optimizers that scale each weight's step by its gradients' history: RMSprop, Adagrad, Adadelta."""

from __future__ import annotations

import numpy as np

from .base import OPTIMIZERS, Optimizer, as_cast_constant, check_rate, squared, squared_into
from .common_arguments import document_common


@document_common
@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """v <- rho v + (1 - rho) g^2;  w <- w - lr g / sqrt(v + eps).

    centered: also a <- rho a + (1 - rho) g and the denominator is sqrt(v - a^2 + eps).
    momentum mu: m <- mu m + lr g / sqrt(...), then w <- w - m.

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001).
        rho: the decay of the mean square v.
        momentum: mu, 0 for none.
        epsilon: eps, inside the square root.
        centered: divide by the estimated variance (v - a^2) instead of v.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, -1.0]))
        >>> opt = nnlite.optimizers.RMSprop(learning_rate=0.1)
        >>> opt.apply_gradients([(np.array([0.5, -0.5]), w)])
        >>> w.numpy().round(4)  # v = 0.1 g^2; w - lr g / sqrt(v)
        array([ 0.6838, -0.6838])
    """

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, **kwargs)
        self.rho = check_rate("rho", rho, maximum=1.0)
        self.momentum = check_rate("momentum", momentum, maximum=1.0)
        self.epsilon = check_rate("epsilon", epsilon)
        self.centered = bool(centered)

    def slot_layout(self):
        return ([("velocity",)] + ([("momentum",)] if self.momentum else [])
                + ([("average_gradient",)] if self.centered else []))

    def update(self, w, g, lr, state):
        rho, v = self.rho, state["velocity"]
        s, step = self.scratch(state, "s", w), self.scratch(state, "step", w)  # Keras's operations, in place
        v *= rho
        squared_into(g, step)
        step *= 1 - rho
        v += step  # rho v + (1 - rho) g^2
        if self.centered:
            a = state["average_gradient"]
            a *= rho
            np.multiply(g, 1 - rho, out=step)
            a += step  # rho a + (1 - rho) g
            np.multiply(a, a, out=s)
            np.subtract(v, s, out=s)
            s += self.epsilon  # v - a^2 + eps
        else:
            np.add(v, self.epsilon, out=s)
        np.sqrt(s, out=s)
        np.multiply(g, lr, out=step)  # lr g, as Keras orders it
        step /= s
        if self.momentum:
            m = state["momentum"]
            m *= self.momentum
            m += step
            w -= m
        else:
            w -= step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


@document_common
@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """acc <- acc + g^2;  w <- w - lr g / sqrt(acc + eps).  acc starts at initial_accumulator_value.

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001).
        initial_accumulator_value: where acc starts.
        epsilon: eps, inside the square root.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, -1.0]))
        >>> opt = nnlite.optimizers.Adagrad(learning_rate=0.1)
        >>> opt.apply_gradients([(np.array([0.5, -0.5]), w)])
        >>> w.numpy().round(4)  # s = 0.1 + g^2; w - lr g / sqrt(s)
        array([ 0.9155, -0.9155])
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, **kwargs)
        self.initial_accumulator_value = check_rate("initial_accumulator_value", initial_accumulator_value)
        self.epsilon = check_rate("epsilon", epsilon)

    def slot_layout(self):
        return [("accumulator",)]

    def initial_slot(self, name, w):
        # Keras fills the accumulator through a Constant initializer, which casts via float32
        return np.full_like(w, as_cast_constant(self.initial_accumulator_value))

    def update(self, w, g, lr, state):
        acc, s, step = state["accumulator"], self.scratch(state, "s", w), self.scratch(state, "step", w)
        acc += squared_into(g, s)
        np.add(acc, self.epsilon, out=s)
        np.sqrt(s, out=s)
        np.multiply(g, lr, out=step)
        step /= s
        w -= step  # w - lr g / sqrt(acc + eps)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


@document_common
@OPTIMIZERS.register("adadelta")
class Adadelta(Optimizer):
    """A <- rho A + (1 - rho) g^2;  d = -sqrt(D + eps) g / sqrt(A + eps);
    D <- rho D + (1 - rho) d^2;  w <- w + lr d.  (A, D: Keras's accumulated_grad, accumulated_delta_var.)

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001, as Keras).
        rho: the decay of the running averages A and D.
        epsilon: eps, inside the square roots.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, -1.0]))
        >>> opt = nnlite.optimizers.Adadelta(learning_rate=1.0)
        >>> opt.apply_gradients([(np.array([0.5, -0.5]), w)])
        >>> w.numpy().round(4)  # a small first step: sqrt(eps) / sqrt(0.05 g^2)
        array([ 0.9986, -0.9986])
    """

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, **kwargs)
        self.rho = check_rate("rho", rho, maximum=1.0)
        self.epsilon = check_rate("epsilon", epsilon)

    def slot_layout(self):
        return [("accumulated_grad", "accumulated_delta_var")]

    def update(self, w, g, lr, state):
        rho, A, D = self.rho, state["accumulated_grad"], state["accumulated_delta_var"]
        A[...] = rho * A + (1 - rho) * (squared(g))
        rms_d, rms_a = np.sqrt(D + self.epsilon), np.sqrt(A + self.epsilon)
        d = -(rms_d * g / rms_a)
        # d^2, squared per token occurrence for an embedding's gradient as Keras does (see RowGrad)
        dd = d * d if getattr(g, "squares", None) is None else (rms_d / rms_a) ** 2 * squared(g)
        D[...] = rho * D + (1 - rho) * dd
        w += lr * d

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}

"""Adam and its variants: AdamW (decoupled weight decay), Adamax (infinity norm), Nadam (Nesterov momentum)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..docstrings import with_arguments
from .base import OPTIMIZERS, Optimizer, as_cast_constant, check_rate, magnitude, squared, squared_into
from .common_arguments import document_common

ADAM_ARGUMENTS = """        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001).
        beta_1: b1, the decay of the mean m.
        beta_2: b2, the decay of the second moment v.
        epsilon: eps, added to sqrt(v).
        amsgrad: use the maximum of past v (AMSGrad).
        {common arguments}
"""  # Adam's and AdamW's own arguments, then the common ones

def _moments(optimizer: Optimizer, beta_1: float, beta_2: float, epsilon: float) -> None:
    """The decay rates of the first and second moments, and eps, checked."""
    optimizer.beta_1 = check_rate("beta_1", beta_1, maximum=1.0)
    optimizer.beta_2 = check_rate("beta_2", beta_2, maximum=1.0)
    optimizer.epsilon = check_rate("epsilon", epsilon)


def adam_step(optimizer: Optimizer, w: np.ndarray, g: np.ndarray, lr: Any, state: dict[str, np.ndarray],
              beta_1: float, beta_2: float, epsilon: float, amsgrad: bool = False) -> None:
    """Adam's step in Keras's operations, in place: m += (g - m)(1 - b1), v += (g^2 - v)(1 - b2) (v_hat =
    max(v_hat, v) in v's place with amsgrad), w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps), the powers
    of the betas rounded to float32 first as Keras casts them; m and v are the slots "momentum" and "velocity".

    Args:
        optimizer: the optimizer taking the step (its step count t and scratch buffers).
        w: the weights, changed in place.
        g: their gradient.
        lr: the learning rate.
        state: the variable's slots.
        beta_1: b1.
        beta_2: b2.
        epsilon: eps.
        amsgrad: divide by the running maximum of v (slot "velocity_hat").
    """
    t = optimizer.t
    alpha = lr * np.sqrt(1 - as_cast_constant(beta_2) ** t) / (1 - as_cast_constant(beta_1) ** t)
    m, v = state["momentum"], state["velocity"]
    s, step = optimizer.scratch(state, "s", w), optimizer.scratch(state, "step", w)
    np.subtract(g, m, out=s)
    s *= 1 - beta_1
    m += s  # m + (g - m)(1 - b1)
    squared_into(g, s)
    s -= v
    s *= 1 - beta_2
    v += s  # v + (g^2 - v)(1 - b2)
    if amsgrad:
        np.maximum(state["velocity_hat"], v, out=state["velocity_hat"])
        v = state["velocity_hat"]
    np.sqrt(v, out=s)
    s += epsilon
    np.multiply(m, w.dtype.type(alpha), out=step)
    step /= s
    w -= step  # w - a m / (sqrt(v) + eps)


@document_common
@with_arguments(ADAM_ARGUMENTS.replace("        amsgrad: use the maximum of past v (AMSGrad).\n", ""), "adam arguments")
class Moments(Optimizer):
    """An optimizer with Adam's hyperparameters b1, b2 and eps (Adamax, Nadam, Lamb): their constructor and config.

    Args:
        {adam arguments}
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, **kwargs)
        _moments(self, beta_1, beta_2, epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


@OPTIMIZERS.register("adam")
@document_common
@with_arguments(ADAM_ARGUMENTS, "adam arguments")
class Adam(Optimizer):
    """m <- m + (g - m)(1 - b1);  v <- v + (g^2 - v)(1 - b2);  w <- w - a m / (sqrt(v) + eps).

    a = lr sqrt(1 - b2^t) / (1 - b1^t) at step t = iterations + 1 (eps is added to the
    uncorrected sqrt(v)). amsgrad: v_hat <- max(v_hat, v) replaces v in the update.
    The powers b^t use b as Keras casts it (float32); (1 - b) is exact.

    Args:
        {adam arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, 2.0]))
        >>> opt = nnlite.optimizers.Adam(learning_rate=0.1)
        >>> opt.apply([np.array([0.5, -0.5])], [w])
        >>> np.round(w.numpy(), 4)  # the first step moves each weight by lr, against the gradient's sign
        array([0.9, 2.1])
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, **kwargs)
        _moments(self, beta_1, beta_2, epsilon)
        self.amsgrad = bool(amsgrad)

    def slot_layout(self):
        return [("momentum", "velocity")] + ([("velocity_hat",)] if self.amsgrad else [])

    def update(self, w, g, lr, state):
        adam_step(self, w, g, lr, state, self.beta_1, self.beta_2, self.epsilon, self.amsgrad)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


@document_common
@OPTIMIZERS.register("adamw")
@with_arguments(ADAM_ARGUMENTS, "adam arguments")
class AdamW(Adam):
    """Adam with decoupled weight decay w <- w - w * weight_decay * lr before each update (default 0.004).

    Args:
        {adam arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, -1.0]))
        >>> opt = nnlite.optimizers.AdamW(learning_rate=0.1, weight_decay=0.1)
        >>> opt.apply_gradients([(np.array([0.5, -0.5]), w)])
        >>> w.numpy().round(4)  # w (1 - lr wd) - lr sign(g), Adam's first step
        array([ 0.89, -0.89])
    """

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, clipnorm, clipvalue,
                         global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)


@document_common
@OPTIMIZERS.register("adamax")
class Adamax(Moments):
    """m <- m + (g - m)(1 - b1);  u <- max(b2 u, |g|);  w <- w - lr m / ((1 - b1^t)(u + eps)).

    (m, u: Keras's momentum and norm.)

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001).
        beta_1: b1, the decay of the mean m.
        beta_2: b2, the decay of the infinity norm u.
        epsilon: eps, added to u.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, -1.0]))
        >>> opt = nnlite.optimizers.Adamax(learning_rate=0.1)
        >>> opt.apply_gradients([(np.array([0.5, -0.5]), w)])
        >>> w.numpy().round(4)  # w - lr sign(g) on the first step
        array([ 0.9, -0.9])
    """

    def slot_layout(self):
        return [("momentum", "norm")]

    def update(self, w, g, lr, state):
        b1_t = as_cast_constant(self.beta_1) ** self.t
        m, u = state["momentum"], state["norm"]
        m += (g - m) * (1 - self.beta_1)
        np.maximum(self.beta_2 * u, magnitude(g), out=u)
        w -= lr * m / (w.dtype.type(1 - b1_t) * (u + self.epsilon))



@document_common
@OPTIMIZERS.register("nadam")
class Nadam(Moments):
    """Adam with Nesterov momentum and Dozat's momentum schedule.

    u_t = b1 (1 - 0.5 * 0.96^t);  P <- P u_t (once per step, before the updates);
    m, v as Adam;  m_hat = u_{t+1} m / (1 - P u_{t+1}) + (1 - u_t) g / (1 - P);
    v_hat = v / (1 - b2^t);  w <- w - lr m_hat / (sqrt(v_hat) + eps).

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001).
        beta_1: b1, the decay of the mean m (and the base of the momentum schedule).
        beta_2: b2, the decay of the second moment v.
        epsilon: eps, added to sqrt(v).
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, -1.0]))
        >>> opt = nnlite.optimizers.Nadam(learning_rate=0.1)
        >>> opt.apply_gradients([(np.array([0.5, -0.5]), w)])
        >>> w.numpy().round(4)  # Adam with Nesterov momentum
        array([ 0.8937, -0.8937])
    """

    def slot_layout(self):
        return [("momentum", "velocity")]

    def scalar_slots(self):
        return ("u_product",)

    def before_updates(self):
        # P is a variable of the weights' dtype in Keras, updated with exact b1 and 0.96
        P = self._scalars["u_product"]
        P.value[...] = P.value * self.beta_1 * (1.0 - 0.5 * 0.96 ** self.t)

    def update(self, w, g, lr, state):
        t = self.t
        dtype = w.dtype.type
        b1, b2, decay = (dtype(as_cast_constant(c)) for c in (self.beta_1, self.beta_2, 0.96))
        u_t = b1 * (1.0 - 0.5 * decay ** dtype(t))
        u_next = b1 * (1.0 - 0.5 * decay ** dtype(t + 1))
        p_t = dtype(self._scalars["u_product"].value)
        p_next = p_t * u_next
        m, v = state["momentum"], state["velocity"]
        m += (g - m) * (1 - b1)
        v += (squared(g) - v) * (1 - b2)
        m_hat = u_next * m / (1 - p_next) + (1 - u_t) * g / (1 - p_t)
        v_hat = v / (1 - b2 ** dtype(t))
        w -= m_hat * lr / (np.sqrt(v_hat) + self.epsilon)



@OPTIMIZERS.register("lamb")
@document_common
class Lamb(Moments):
    """Adam's step rescaled per weight matrix by a trust ratio (layer-wise adaptive moments):
    m <- m + (g - m)(1 - b1);  v <- v + (g^2 - v)(1 - b2);  u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps);
    w <- w - r lr u,  r = ||w|| / ||u|| (1 where either norm is 0).

    Each matrix moves by lr times its own norm in the direction Adam gives, whatever the scale of its gradients
    (the norms are over the whole variable). The powers b^t use b as Keras casts it (float32).

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001).
        beta_1: b1, the decay of the mean m.
        beta_2: b2, the decay of the second moment v.
        epsilon: eps, added to the corrected sqrt(v).
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([3.0, 4.0]))
        >>> nnlite.optimizers.Lamb(learning_rate=0.1).apply([np.array([1.0, 0.0])], [w])
        >>> np.round(w.numpy(), 4)  # u = (1, 0), ||w|| = 5: the first weight moves by lr * 5
        array([2.5, 4. ])
    """

    def slot_layout(self):
        return [("momentum", "velocity")]

    def update(self, w, g, lr, state):
        t = self.t
        m, v = state["momentum"], state["velocity"]
        m += (g - m) * (1 - self.beta_1)
        v += (squared(g) - v) * (1 - self.beta_2)
        u = (m / (1 - as_cast_constant(self.beta_1) ** t)) / (
            np.sqrt(v / (1 - as_cast_constant(self.beta_2) ** t)) + self.epsilon)
        w_norm, u_norm = np.sqrt(np.sum(w * w)), np.sqrt(np.sum(u * u))
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else w.dtype.type(1)
        w -= ratio * lr * u


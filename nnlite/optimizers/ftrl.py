"""FTRL-Proximal (follow the regularized leader): per-coordinate rates from the summed squared gradients, with L1
and L2 terms solved in closed form, so that L1 sets weights to exactly zero."""

from __future__ import annotations

import numpy as np

from .base import OPTIMIZERS, Optimizer, as_cast_constant
from .common_arguments import document_common


@document_common
@OPTIMIZERS.register("ftrl")
class Ftrl(Optimizer):
    """With n the summed squared gradients (starting at ``initial_accumulator_value``), p = -lr_power (1/2 by
    default), l1, l2 the strengths and z the "linear" accumulator:

        g' = g + 2 l2_shrinkage w;  n' = n + g^2;  z <- z + g' - (n'^p - n^p) / lr * w
        w <- (clip(z, -l1, l1) - z) / (n'^p / lr + 2 (l2 + beta / (2 lr)));  n <- n'

    so w is 0 wherever |z| <= l1.

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001).
        learning_rate_power: -p, how the rate falls as n grows (<= 0; -0.5 by default).
        initial_accumulator_value: where n starts (>= 0).
        l1_regularization_strength: l1 (>= 0).
        l2_regularization_strength: l2 (>= 0).
        l2_shrinkage_regularization_strength: the L2 term on the weights that enters the gradient (>= 0).
        beta: added to l2 as beta / (2 lr).
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([0.0, 0.0]))
        >>> opt = nnlite.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.5)
        >>> opt.apply([np.array([1.0, 0.2])], [w])
        >>> np.round(w.numpy(), 4)  # |z| = 1 > l1 moves the first weight; 0.2 <= l1 keeps the second at 0
        array([-0.0477,  0.    ])
    """

    def __init__(self, learning_rate=0.001, learning_rate_power: float = -0.5, initial_accumulator_value: float = 0.1,
                 l1_regularization_strength: float = 0.0, l2_regularization_strength: float = 0.0,
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        for what, value in (("initial_accumulator_value", initial_accumulator_value),
                            ("l1_regularization_strength", l1_regularization_strength),
                            ("l2_regularization_strength", l2_regularization_strength),
                            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"`{what}` needs to be positive or zero. Received: {what}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError(f"`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, **kwargs)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def slot_layout(self):
        return [("accumulator", "linear")]

    def initial_slot(self, name, w):
        # Keras starts n with a Constant initializer, which goes through float32: 0.1 is 0.10000000149 in float64
        start = as_cast_constant(self.initial_accumulator_value)
        return np.full_like(w, start) if name == "accumulator" else np.zeros_like(w)

    def update(self, w, g, lr, state):
        n, z = state["accumulator"], state["linear"]
        p, l1 = -self.learning_rate_power, self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        g_used = g + 2 * self.l2_shrinkage_regularization_strength * w
        n_new = n + g * g
        z += g_used - (n_new ** p - n ** p) / lr * w
        quadratic = n_new ** p / lr + 2 * l2
        w[...] = (np.clip(z, -l1, l1) - z) / quadratic
        n[...] = n_new

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}

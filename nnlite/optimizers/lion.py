"""Lion (evolved sign momentum): the step is the sign of an interpolated momentum, the same size for every weight."""

from __future__ import annotations

import numpy as np

from .base import OPTIMIZERS, Optimizer, as_cast_constant
from .common_arguments import document_common


@document_common
@OPTIMIZERS.register("lion")
class Lion(Optimizer):
    """w <- w - lr sign(beta_1 m + (1 - beta_1) g);  then m <- beta_2 m + (1 - beta_2) g.

    Every weight moves by exactly lr (or not at all where the interpolation is 0), so Lion's learning rate is
    usually 3-10x smaller than Adam's; the momentum m is the only state.

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001).
        beta_1: the weight of m against g inside the sign, in (0, 1].
        beta_2: the decay of the momentum m.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, -1.0, 0.5]))
        >>> opt = nnlite.optimizers.Lion(learning_rate=0.1)
        >>> opt.apply_gradients([(np.array([0.5, -2.0, 0.0]), w)])
        >>> w.numpy()  # each weight moves by lr against its gradient's sign (m starts at 0)
        array([ 0.9, -0.9,  0.5])
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.99, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to "
                             f"SignSGD. Received: beta_1={beta_1}.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def slot_layout(self):
        return [("momentum",)]

    def update(self, w, g, lr, state):
        one = w.dtype.type(1)
        beta_1, beta_2 = w.dtype.type(as_cast_constant(self.beta_1)), w.dtype.type(as_cast_constant(self.beta_2))
        m = state["momentum"]
        w -= lr * np.sign(m * beta_1 + g * (one - beta_1))
        m *= beta_2
        m += g * (one - beta_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}

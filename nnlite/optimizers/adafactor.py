"""Adafactor: Adam-like steps whose second moment of a matrix is kept as its row and column means (factored), so the
state of an (m, n) kernel is m + n numbers instead of m n."""

from __future__ import annotations

import numpy as np

from ..variables import Variable
from .base import OPTIMIZERS, Optimizer, as_cast_constant
from .common_arguments import document_common


def _rms(x: np.ndarray) -> np.ndarray:
    """sqrt(mean(x^2)) over every entry."""
    return np.sqrt(np.mean(x * x))


@document_common
@OPTIMIZERS.register("adafactor")
class Adafactor(Optimizer):
    """At step t, with G2 = g^2 + eps_1 and b_t = 1 - t^beta_2_decay:

        matrices (rank >= 2):  R <- b_t R + (1 - b_t) mean(G2, last axis);  C <- b_t C + (1 - b_t) mean(G2, axis -2)
                               V = (R / mean(R)) outer C       (the rank-one estimate of the second moment)
        vectors:               V <- b_t V + (1 - b_t) G2
        u = g / sqrt(V);  u_hat = u / max(1, rms(u) / clip_threshold)
        w <- w - alpha_t u_hat,   alpha_t = max(eps_2, rms(w)) rho_t,   rho_t = min(lr, 1 / sqrt(t))

    so each weight matrix moves relative to its own size (rms(w)). With ``relative_step`` a fixed learning rate is
    itself capped at 1 / sqrt(t) (a schedule is not).

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001).
        beta_2_decay: how fast b_t approaches 1 (negative).
        epsilon_1: eps_1, added to g^2.
        epsilon_2: eps_2, the least rms(w) a step scales with.
        clip_threshold: the rms of u above which the step is scaled down.
        relative_step: cap a fixed learning rate at 1 / sqrt(t).
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.full((2, 2), 0.5))
        >>> nnlite.optimizers.Adafactor(learning_rate=0.1).apply([np.array([[1.0, -1.0], [2.0, 0.5]])], [w])
        >>> np.round(w.numpy(), 4)  # steps of the order lr rms(w) = 0.05, against each gradient's sign
        array([[0.4631, 0.5738],
               [0.4494, 0.4747]])
    """

    def __init__(self, learning_rate=0.001, beta_2_decay: float = -0.8, epsilon_1: float = 1e-30,
                 epsilon_2: float = 1e-3, clip_threshold: float = 1.0, relative_step: bool = True, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def slot_layout(self):
        return [("r", "c", "velocity")]  # Keras's order: each variable's r, c, velocity in turn

    def initial_slot(self, name, w):
        if w.ndim < 2 and name in ("r", "c"):  # a vector keeps V itself; Keras still makes two scalars
            return np.zeros((), w.dtype)
        shape = {"r": w.shape[:-1], "c": w.shape[:-2] + w.shape[-1:]}.get(name, w.shape)
        return np.zeros(shape, w.dtype)

    def update(self, w, g, lr, state):
        dtype = w.dtype.type
        t = dtype(self.t)
        if isinstance(self._learning_rate, Variable) and self.relative_step:
            lr = min(lr, dtype(1) / np.sqrt(t))
        rho = min(lr, dtype(1) / np.sqrt(t))
        alpha = max(dtype(as_cast_constant(self.epsilon_2)), _rms(w)) * rho
        g2 = g * g + self.epsilon_1
        b = dtype(1) - t ** dtype(self.beta_2_decay)
        v = state["velocity"]
        if w.ndim >= 2:
            r, c = state["r"], state["c"]
            r[...] = b * r + (1 - b) * np.mean(g2, axis=-1)
            c[...] = b * c + (1 - b) * np.mean(g2, axis=-2)
            v[...] = (r / np.mean(r, axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = b * v + (1 - b) * g2
        u = g / np.sqrt(v)
        u_hat = u / max(dtype(1), _rms(u) / self.clip_threshold)
        w -= alpha * u_hat

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}

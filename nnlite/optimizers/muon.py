"""Muon: momentum whose matrix step is orthogonalised (its singular values pushed towards 1 by Newton-Schulz
iterations), so that every direction of a weight matrix moves by about the same amount; Adam for the rest."""

from __future__ import annotations

import re

import numpy as np

from .adam import adam_step
from .base import OPTIMIZERS, Optimizer, check_rate
from .common_arguments import document_common


def newton_schulz(x: np.ndarray, steps: int, a: float, b: float, c: float) -> np.ndarray:
    """X <- a X + (b A + c A A) X with A = X X^T, ``steps`` times from X = G / (|G|_F + 1e-7): the quintic iteration
    that maps G = U S V^T towards U V^T (the singular values to about 1), run on the wide orientation of G (on the
    last two axes, for a stack of matrices).

    Args:
        x: G, a matrix (or a stack of them).
        steps: how many iterations.
        a, b, c: the quintic's coefficients.
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"Expected gradient or momentum to have at least 2 dimensions. Received: shape={x.shape}")
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = np.swapaxes(x, -1, -2)
    x = x / (np.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)  # the spectral norm at most 1
    for _ in range(steps):
        gram = x @ np.swapaxes(x, -1, -2)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return np.swapaxes(x, -1, -2) if tall else x


@document_common
@OPTIMIZERS.register("muon")
class Muon(Optimizer):
    """For a 2-D weight matrix W (not an embedding, not named by ``exclude_layers``):

        m <- m + (g + m (mu - 1)),  g' = g + mu m (nesterov) or m,
        W <- W - lr NS(g') sqrt(max(rows, columns)) rms_rate,

    NS the Newton-Schulz orthogonalisation (:func:`newton_schulz`); every other weight steps by Adam with
    ``adam_beta_1``, ``adam_beta_2``, ``epsilon`` and lr ``adam_lr_ratio``. Decoupled weight decay uses
    ``weight_decay`` on the matrices and ``adam_weight_decay`` on the rest.

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.001).
        adam_beta_1: Adam's first-moment decay.
        adam_beta_2: Adam's second-moment decay.
        adam_weight_decay: the weight decay of the weights Adam steps.
        epsilon: Adam's epsilon.
        exclude_layers: regular expressions; a weight whose path matches one steps by Adam.
        exclude_embeddings: a weight whose path names an embedding steps by Adam.
        muon_a: a of the quintic iteration.
        muon_b: b of the quintic iteration.
        muon_c: c of the quintic iteration.
        adam_lr_ratio: Adam's learning rate as a multiple of lr.
        momentum: mu, the momentum of the matrix steps.
        ns_steps: how many Newton-Schulz iterations.
        nesterov: step along g + mu m rather than m.
        rms_rate: the scale that matches the step's RMS to Adam's (None: no scaling).
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> g = np.array([[4.0, 1.0], [1.0, 3.0]])
        >>> np.linalg.svd(g, compute_uv=False).round(2)  # the gradient's directions: one twice the other
        array([4.62, 2.38])
        >>> w = nnlite.Variable(np.zeros((2, 2)))
        >>> nnlite.optimizers.Muon(learning_rate=1.0, weight_decay=None, rms_rate=None).apply_gradients([(g, w)])
        >>> np.linalg.svd(-w.numpy(), compute_uv=False).round(2)  # the step's: both pushed towards 1
        array([1.07, 0.71])
    """

    def __init__(self, learning_rate=0.001, adam_beta_1: float = 0.9, adam_beta_2: float = 0.999,
                 adam_weight_decay: float | None = 0.004, epsilon: float = 1e-7, weight_decay=0.004, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 exclude_layers: list[str] | None = None, exclude_embeddings: bool = True, muon_a: float = 3.4445,
                 muon_b: float = -4.7750, muon_c: float = 2.0315, adam_lr_ratio: float = 1, momentum: float = 0.95,
                 ns_steps: int = 5, nesterov: bool = True, rms_rate: float | None = 0.2, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, **kwargs)
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, int) or ns_steps < 0:
            raise ValueError(f"`ns_steps` must be an integer >= 0. Received: ns_steps={ns_steps}")
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps, self.nesterov = adam_lr_ratio, momentum, ns_steps, nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = None if adam_weight_decay is None else check_rate("adam_weight_decay",
                                                                                   adam_weight_decay)
        self.rms_rate = rms_rate

    def uses_adam(self, v) -> bool:
        """Whether variable ``v`` steps by Adam: not a matrix, an embedding (with ``exclude_embeddings``), or a path
        an ``exclude_layers`` expression matches.

        Args:
            v: the variable.
        """
        return (len(v.shape) != 2 or (self.exclude_embeddings and "embedding" in v.path.lower())
                or any(re.search(keyword, v.path) for keyword in self.exclude_layers))

    _should_use_adamw = uses_adam  # Keras's name

    def zeropower_via_newtonschulz5(self, x, steps: int):
        """NS(x): :func:`newton_schulz` with this optimizer's coefficients (Keras's name).

        Args:
            x: a matrix (or a stack of them).
            steps: how many iterations.
        """
        return newton_schulz(x, steps, self.muon_a, self.muon_b, self.muon_c)

    def lr_adjust(self, x):
        """x sqrt(max(rows, columns)) rms_rate, the scale that matches a step's RMS to Adam's (x unchanged with
        ``rms_rate=None``).

        Args:
            x: a matrix step.
        """
        if self.rms_rate is None:
            return x
        return x * np.sqrt(np.asarray(max(x.shape[0], x.shape[1]), np.asarray(x).dtype)) * self.rms_rate

    def slot_layout(self):
        return [("momentum", "velocity")]

    def has_slot(self, name, v):
        return name != "velocity" or self.uses_adam(v)

    def weight_decay_of(self, v):
        adam = "velocity" in self._state[self._index[v]]  # decided when the slots were made
        return self.adam_weight_decay if adam else self.weight_decay

    def update(self, w, g, lr, state):
        if "velocity" in state:  # a weight Adam steps
            adam_step(self, w, g, lr * self.adam_lr_ratio, state, self.adam_beta_1, self.adam_beta_2, self.epsilon)
            return
        m = state["momentum"]  # Keras's Python-float hyperparameters meet the weights' dtype unrounded here
        m += g + m * (self.momentum - 1)
        direction = g + self.momentum * m if self.nesterov else m
        w -= self.lr_adjust(lr * self.zeropower_via_newtonschulz5(direction, self.ns_steps))

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon, "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum, "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate}

"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

import numpy as np

from .base import OPTIMIZERS, Optimizer, as_cast_constant
from .common_arguments import document_common


@document_common
@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """w <- w - lr g.

    With momentum mu: m <- mu m - lr g, then w <- w + m;
    Nesterov: w <- w + mu m - lr g with the new m. (mu as Keras casts it: float32.)
    Only lr g enters, so ``fit`` folds lr into the gradient (``update`` then gets lr = 1).

    Args:
        learning_rate: lr, a float or a ``LearningRateSchedule`` (default 0.01).
        momentum: mu, 0 for plain gradient descent.
        nesterov: use Nesterov momentum.
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, 2.0]))
        >>> nnlite.optimizers.SGD(learning_rate=0.1).apply([np.array([0.5, -0.5])], [w])
        >>> w.numpy()
        array([0.95, 2.05])
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def slot_layout(self):
        return [("momentum",)] if self.momentum else []

    def folds_learning_rate(self):
        return not self._preprocesses()

    def update(self, w, g, lr, state):
        if lr == 1:  # lr g is g: lr folded into g by fit, or a learning rate of 1
            lr_g = g
        else:
            lr_g = np.multiply(g, lr, out=self.scratch(state, "lr_g", w))
        if not self.momentum:
            w -= lr_g
            return
        mu = as_cast_constant(self.momentum)
        m = state["momentum"]
        m *= mu
        m -= lr_g
        if self.nesterov:
            w += mu * m - lr_g
        else:
            w += m

    def _steps_alone(self, variables):
        """Whether nothing but SGD's own equations acts on these variables: not a subclass (whose update may
        differ), no constraints, no gradient overwriting."""
        return type(self) is SGD and not any(v.constraint is not None or v.overwrite_with_gradient for v in variables)

    def _nothing_around(self):
        """Whether, as the settings are now, the step is w <- w - lr g (or momentum without Nesterov, whose w needs
        lr g itself) with nothing around it: no decay, averages, clipping, loss scaling or accumulation."""
        return not (self.weight_decay or self.use_ema or self._preprocesses() or (self.momentum and self.nesterov))

    def inside_targets(self, variables):
        """(w, 1) per variable for plain descent, (m, mu) with momentum (the step then adds m to w); None with
        Nesterov momentum, decay, averages, clipping or constraints, or for a subclass."""
        if not (self._steps_alone(variables) and self._nothing_around()):
            return None
        if not self.momentum:
            return [(v.value, 1.0) for v in variables]
        momenta = self._momenta(variables)
        if momenta is None:
            return None
        mu = as_cast_constant(self.momentum)
        return [(m, mu) for m in momenta]

    def _momenta(self, variables):
        """Each variable's momentum slot m, or None if one has none (momentum set after the slots were made)."""
        states = [self._state[self._index[v]] if v in self._index else {} for v in variables]
        momenta = [state.get("momentum") for state in states]
        return None if any(m is None for m in momenta) else momenta

    def stepper(self, variables):
        """``Optimizer.stepper``; where a step is w <- w - lr g, or m <- mu m - lr g and w <- w + m, alone (no
        Nesterov, clipping, decay, averages or constraints) with lr already folded into g by ``fit``, the step is
        those operations per weight and the step count, nothing around them (at 32 rows a batch the rest took twice
        as long as the subtractions); a weight handed None as its gradient took its t <- beta t - lr g in backward
        (``inside_targets``).

        Args:
            variables: the variables every step will update.
        """
        step = super().stepper(variables)  # checks the variables, builds the optimizer
        variables = list(variables)
        if not self._steps_alone(variables):
            return step
        iterations = self._iterations

        def descend(grads, scaled=False):
            momenta = self._momenta(variables) if self.momentum else None
            if not scaled or not self._nothing_around() or (self.momentum and momenta is None):
                return step(grads, scaled)
            if momenta is None:
                for v, g in zip(variables, grads):
                    if g is not None:  # None: stepped in backward (Context.descend_inside)
                        w = v.value
                        w -= g  # w <- w - lr g
                    v.grad_rows = None  # an embedding's rows: the same subtraction for plain descent
            else:
                mu = as_cast_constant(self.momentum)
                for v, g, m in zip(variables, grads, momenta):
                    if g is not None:  # None: m <- mu m - lr g taken in backward
                        m *= mu
                        m -= g  # m <- mu m - lr g
                    w = v.value
                    w += m  # w <- w + m
                    v.grad_rows = None
            iterations.value[()] += 1

        return descend

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

"""One pass through the layers: training or not, where random draws come from, where gradients go."""

from __future__ import annotations

import copy

import numpy as np

from .. import config
from ..seed_generator import SeedGenerator, generator_at
from ..variables import Variable


class Context:
    """One pass through the layers: ``training`` or not, where random draws come from, and
    where backward writes each weight's gradient.

    A normal pass writes dL/dw into ``w.grad`` (one buffer per weight, reused). With ``collect=True``
    (a layer's backward as one node of a GradientTape) each gradient gets a buffer of its own in
    ``ctx.grads``, for the tape to sum over every use of the weight. With ``peek=True``
    (``model.trace``) the pass draws from copies of the generators, so it sees the masks the
    next real step will use without using them up, and keeps the gradients in ``ctx.grads``:
    the model is left exactly as it was.

    ``grad_scale`` c multiplies every gradient that enters the backward pass (dL/dy_pred,
    dR/da, dR/dw), so backward leaves c dL/dw: ``fit`` sets c = lr for plain SGD, whose step
    then needs no pass of its own to form lr g (the learning rate folded into the gradient).
    ``descend_inside`` maps a weight (its id) to SGD's array t and factor beta for it (t = w and beta = 1 for plain
    descent, t = its momentum and beta = mu with momentum): backward takes t <- beta t - lr dL/dw itself, a Dense
    kernel's in one matrix product (``nnlite.blas``), and its ``grad`` is not written.

    Args:
        training: whether this pass trains (Dropout drops, BatchNormalization uses the batch's statistics).
        peek: draw from copies of the generators and keep gradients in ``grads`` (``model.trace``).
        collect: give each gradient its own buffer in ``grads`` (a layer's backward inside a GradientTape).

    Example:
        >>> import numpy as np, nnlite
        >>> ctx = nnlite.layers.Context(training=True)
        >>> ctx.training
        True
    """

    __slots__ = ("training", "peek", "collect", "_copies", "_ahead", "grads", "grad_scale", "descend_inside")

    def __init__(self, training: bool = False, peek: bool = False, collect: bool = False) -> None:
        self.training = training
        self.peek = peek
        self.collect = collect  # backward of one node of a GradientTape: gradients kept in ctx.grads
        self.grad_scale = 1.0
        self.descend_inside: dict[int, tuple[np.ndarray, float]] = {}  # id(w) -> (t, beta), see above
        self._copies: dict[int, np.random.Generator] = {}
        self._ahead: dict[int, int] = {}
        self.grads: dict[int, np.ndarray] = {}  # id(w) -> dL/dw, for a peeking pass

    def grad(self, variable: Variable) -> np.ndarray:
        """The array backward writes dL/dw into: ``w.grad`` (allocated once), or this pass's own when peeking."""
        if self.peek or self.collect:
            buffer = self.grads.get(id(variable))
            if buffer is None:
                buffer = self.grads[id(variable)] = np.empty_like(variable.value)
            return buffer
        g, w = variable.grad, variable.value
        if g is None or g.shape != w.shape or g.dtype != w.dtype:
            g = variable.grad = np.empty_like(w)
        return g

    def generator(self, own: SeedGenerator | np.random.Generator | None) -> np.random.Generator:
        """The generator for one draw of a layer: from its SeedGenerator's state [seed, counter] (the counter moves
        on), from its own NumPy Generator, else ``nnlite.config.default_rng()``. A peeking pass draws what the next
        real pass will draw and changes nothing: it reads a SeedGenerator's counter ahead, copies a Generator."""
        if isinstance(own, SeedGenerator):
            if not self.peek:
                return generator_at(own.next())
            ahead = self._ahead.get(id(own), 0)  # the draws this pass made from it so far
            self._ahead[id(own)] = ahead + 1
            return generator_at(own.state.value + np.array([0, ahead]))
        rng = own if own is not None else config.default_rng()
        if not self.peek:
            return rng
        if id(rng) not in self._copies:
            self._copies[id(rng)] = copy.deepcopy(rng)
        return self._copies[id(rng)]

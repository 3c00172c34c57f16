"""What one forward pass hands to its backward pass, and the training step built on the two.

Forward:   a_0 = x,  a_l = layer_l(a_{l-1}),  y_pred = a_L;  each layer hands back ``saved``.
Loss:      L = loss(y, y_pred) + sum of penalties (R(w) per weight, R(a_l) / batch per layer).
Backward:  grad_a_L = dL/dy_pred, then each layer maps the gradient at its output to the
           gradient at its input, leaving kernel.grad and bias.grad behind.
Logits path (Keras's): when the output is a = sigmoid(z) or softmax(z) and the loss is a
           crossentropy, the pass stops at z, L is computed from z, and backward starts at
           grad_z = dL/dz (``sigmoid(z) - y``, ``softmax(z) - y``), skipping the activation.
Folded learning rate: every gradient entering backward is scaled by the Context's grad_scale c,
           and backward is linear in them, so it leaves c dL/dw (``fit`` with plain SGD: c = lr).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import regularizers


class Tape:
    """One forward pass through a model: what backward needs, and what the loss adds."""

    __slots__ = ("ctx", "saved", "output", "from_z", "prediction", "penalty", "loss", "outputs", "layer_outputs",
                 "arriving", "head_losses", "output_mask")

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx  # the pass's Context: training or not, random source, where gradients go
        self.saved: list[Any] = []  # per layer: what its backward needs
        self.output: np.ndarray | None = None  # y_pred, or z of the last layer on the logits path
        self.from_z = False  # whether ``output`` is z
        self.output_mask: Any = None  # the mask the output carries (a list with several outputs), for the loss
        self.prediction: np.ndarray | None = None  # a = f(z), once computed, where ``output`` is z
        self.penalty = 0.0  # sum over layers of R(a) / batch
        self.loss = 0.0  # L with every penalty, once the model has computed it
        self.outputs: dict[int, np.ndarray] = {}  # layer -> a, where R(a) is added
        # recorded only by a peeking pass (model.trace): each layer's output, and the gradient arriving at it
        self.layer_outputs: list[np.ndarray] = []
        self.arriving: dict[int, np.ndarray] = {}
        self.head_losses: list[float | None] = []  # with several outputs: each output's own loss L_k

    def add_activity_penalty(self, index: int, layer: Any, a: np.ndarray) -> None:
        """R(a) / batch for a layer with an activity regularizer (a kept for the gradient)."""
        self.outputs[index] = a
        self.penalty += layer.activity_regularizer(a) / len(a)

    def activity_grad(self, index: int, layer: Any) -> np.ndarray:
        """dR(a)/da / batch for the layer's output a from this pass (times the pass's grad_scale)."""
        a = self.outputs[index]
        scale = self.ctx.grad_scale
        grad = regularizers.gradient(layer.activity_regularizer, a) / len(a)
        return grad if scale == 1 else grad * scale


def weight_penalty(regularized: list[Any]) -> float:
    """sum of R(w) over weights that carry a regularizer."""
    return sum(v.regularizer(v.value) for v in regularized)


def add_weight_penalty_grads(regularized: list[Any], ctx: Any) -> None:
    """dL/dw += dR/dw for weights that carry a regularizer (times the pass's grad_scale)."""
    for v in regularized:
        r = regularizers.gradient(v.regularizer, v.value)
        ctx.grad(v)[...] += r if ctx.grad_scale == 1 else r * ctx.grad_scale

"""A model called while a GradientTape follows its input or weights: one recorded node.

Its forward is the model's pass (``forward_pass``) and its VJP the model's backward pass, the layers'
hand-written equations, so ``tape.gradient(loss, model.trainable_weights)`` in a training step of your
own gives what ``fit`` computes. A single output from a sigmoid or softmax comes out of the node as z
and through the activation as an op, so it carries the logits (Keras's ``_keras_logits``) that the
crossentropies read. The activity penalties of the pass are a second output, kept in ``model.losses``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autodiff
from ..layers.context import Context
from ..layers.eager import LOGIT_ACTIVATIONS
from ..tensor import HOOKS


def _flat(x: Any, names: list[str]) -> list[Any]:
    if isinstance(x, dict):
        return [x[k] for k in names]
    return list(x) if isinstance(x, (list, tuple)) else [x]


def call_as_node(model: Any, x: Any, training: bool) -> Any:
    """The model's output(s) as recorded tensors, or None when the tape follows nothing the model reads."""
    weights = [w for w in model.trainable_weights if autodiff.is_tracked(w)]
    names = list(getattr(model, "input_names", []) or [])
    inputs = _flat(x, names) if isinstance(x, dict) and names else _flat(x, names)
    followed = [autodiff.is_tracked(v) for v in inputs]
    if not weights and not any(followed):
        return None
    plain = {k: autodiff.value_of(v) for k, v in x.items()} if isinstance(x, dict) else (
        [autodiff.value_of(v) for v in x] if isinstance(x, (list, tuple)) else autodiff.value_of(x))
    checked = model.check_inputs(plain)
    several = bool(model.several_outputs())
    activation = None if several else model.output_activation
    at_z = getattr(activation, "name", None) in LOGIT_ACTIVATIONS
    tape = model.forward_pass(checked, Context(training=bool(training)), stop_at_z=at_z)
    outs = list(tape.output) if several else [tape.output]
    penalty = tape.penalty if tape.penalty else None

    def vjp(grads: list[Any], needed: list[bool] | None = None) -> list[Any]:
        collect = Context(training=bool(training), collect=True)
        g_penalty = grads[len(outs)] if penalty is not None else None
        collect.grad_scale = 0.0 if g_penalty is None else float(np.sum(g_penalty))
        g_out = [np.zeros_like(o) if g is None else g for g, o in zip(grads, outs)]
        tape.ctx = collect
        need_x = any(needed[:len(inputs)]) if needed is not None else any(followed)
        grad_x = model.backward_pass(tape, g_out if several else g_out[0], need_grad_x=need_x)
        grad_inputs = list(grad_x) if isinstance(grad_x, list) else [grad_x] * (grad_x is not None)
        grad_inputs = (grad_inputs + [None] * len(inputs))[:len(inputs)]
        return grad_inputs + [collect.grads.get(id(w)) for w in weights]

    recorded = autodiff.record(outs + ([np.asarray(penalty)] if penalty is not None else []), inputs + weights, vjp,
                               model.name)
    if penalty is not None:  # the pass's added losses, as one output of the node (the layers' own let go)
        model.clear_losses()
        model.add_loss(recorded.pop())
    if at_z:
        recorded = [HOOKS["activation"](activation, recorded[0])]
    return model.pack_outputs(recorded) if several else recorded[0]

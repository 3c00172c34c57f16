"""Layers on the tape: a built-in layer as one node, and a layer of your own run as its ``call`` says.

A built-in layer called while a GradientTape follows its input or weights is recorded as one node whose
VJP is its hand-written backward:

    a, saved = layer.forward(x)                 grad_x, dL/dw = layer.backward(saved, grad_a)

so ``Dense`` stays ``kernel.grad = x.T @ grad_z`` under the tape. Its sigmoid or softmax output carries
the logits z for the crossentropies, as Keras's does.

A layer of your own (``call`` written with ``nnlite.ops``, its weights from ``add_weight``, other layers)
runs its ``call`` as it is. Inside a model that ``fit`` trains, it is one node of the model's pass: its
forward runs ``call`` on a tape of its own that follows the input and every trainable weight, and its
backward is that tape's sweep,

    grad_x, grad_w = tape.gradient([a, *added_losses], [x, *w], output_gradients=[grad_a, c, ...])

where the losses the call added (``add_loss``) enter with the pass's gradient scale c.
"""

from __future__ import annotations

import inspect
import math
import threading
from typing import Any

import numpy as np

from .. import autodiff, limits, regularizers
from ..tensor import HOOKS, Tensor
from .context import Context

LOGIT_ACTIVATIONS = ("sigmoid", "softmax")
_local = threading.local()  # the training flag of the layer calls in progress (inner calls inherit it)


def outer_training() -> bool | None:
    """The ``training`` flag of the layer call in progress in this thread (None outside any)."""
    stack = getattr(_local, "training", None)
    return stack[-1] if stack else None


class training_scope:  # noqa: N801 (a context: ``with training_scope(True):``)
    """Layer calls inside inherit ``training`` unless told otherwise (Keras's call context)."""

    def __init__(self, training: bool | None) -> None:
        self.training = training

    def __enter__(self) -> None:
        if not hasattr(_local, "training"):
            _local.training = []
        _local.training.append(self.training)

    def __exit__(self, *exc: Any) -> None:
        _local.training.pop()


def takes(fn: Any, name: str) -> bool:
    """Whether ``fn`` accepts an argument ``name`` (by name or through **kwargs)."""
    parameters = inspect.signature(fn).parameters
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def run_call(layer: Any, args: tuple, kwargs: dict[str, Any], training: bool | None) -> Any:
    """``layer.call(*args, **kwargs)``, handing ``training`` over only where call takes it."""
    if training is not None and "training" not in kwargs and takes(layer.call, "training"):
        kwargs = {**kwargs, "training": training}
    with training_scope(training):
        return layer.call(*args, **kwargs)


def _followed_weights(layer: Any) -> list[Any]:
    return [w for w in layer.trainable_weights if autodiff.is_tracked(w)]


def call_as_node(layer: Any, x: Any, training: bool, mask: Any = None) -> Any:
    """A built-in layer on tensors a tape follows: one recorded node (see the module), or a plain call when
    nothing it reads is followed; with a ``mask``, the layer's masked pass."""
    inputs = list(x) if isinstance(x, (list, tuple)) else [x]
    weights = _followed_weights(layer)
    if not weights and not any(autodiff.is_tracked(v) for v in inputs):
        return None
    values = [np.asarray(autodiff.value_of(v)) for v in inputs]
    values = [v.astype(layer.compute_dtype) if v.dtype != layer.compute_dtype and v.dtype.kind in layer.casts
              else v for v in values]
    given = values if isinstance(x, (list, tuple)) else values[0]
    if not layer.built:
        layer.build([(None,) + v.shape[1:] for v in values] if isinstance(x, (list, tuple))
                    else (None,) + values[0].shape[1:])
    activation = getattr(layer, "activation", None)
    at_z = getattr(activation, "name", None) in LOGIT_ACTIVATIONS and layer.has_forward_z and mask is None
    ctx = Context(training=bool(training))
    out, saved = layer.forward_masked(given, mask, ctx) if mask is not None else (
        layer.forward_z if at_z else layer.forward)(given, ctx)
    several = isinstance(x, (list, tuple))

    def vjp(grads: list[Any], needed: list[bool] | None = None) -> list[Any]:
        collect = Context(training=bool(training), collect=True)
        need = any(needed[:len(inputs)]) if needed is not None else True
        grad_x = (layer.backward_z if at_z else layer.backward)(saved, grads[0], collect, need)
        grad_inputs = (list(grad_x) if several else [grad_x]) if grad_x is not None else [None] * len(inputs)
        return grad_inputs + [collect.grads.get(id(w)) for w in weights]

    node_out = autodiff.record([out], inputs + weights, vjp, layer.name)[0]
    a = HOOKS["activation"](activation, node_out) if at_z else node_out
    if layer.activity_regularizer is not None:  # R(a) / batch joins layer.losses, as Keras adds it on a call
        layer.add_loss(activity_penalty(layer.activity_regularizer, a))
    return a


def activity_penalty(regularizer: Any, a: Any) -> Any:
    """R(a) / batch as a recorded node: grad_a = g dR/da / batch (0 for an empty batch)."""
    value = np.asarray(autodiff.value_of(a))
    n = max(len(value), 1)
    return autodiff.record([np.asarray(regularizer(value) / n)], [a],
                           lambda g, needed=None: [g[0] * regularizer.grad(value) / n], "activity_regularizer")[0]


class EagerCall:
    """What a layer of your own keeps from a forward pass for its backward: the tape, the input it
    followed, the output, and the losses the call added (their sum too, for the model's loss)."""

    __slots__ = ("xs", "several", "out", "losses", "added_loss")

    def __init__(self, xs: list[Tensor], several: bool, out: Any, losses: list[Any]) -> None:
        self.xs, self.several, self.out, self.losses = xs, several, out, losses
        self.added_loss = float(np.sum([np.sum(autodiff.value_of(v)) for v in losses])) if losses else 0.0


def run_taped(layer: Any, x: Any, fn: Any) -> tuple[list[Tensor], Any, list[Any]]:
    """(xs, fn(xs), losses added): ``fn`` run on a tape of its own that follows xs, the inputs x (one array or a
    list) as watched tensors, and the layer's weights; the losses its calls added, collected.

    Args:
        layer: the layer whose pass it is.
        x: the input, or a list of inputs.
        fn: the pass, a function of the list of input tensors.
    """
    with autodiff.GradientTape(persistent=True):
        xs = [None if v is None else np.asarray(v).view(Tensor)  # None: an Input(optional=True) given None
              for v in (x if isinstance(x, (list, tuple)) else [x])]
        for t in xs:
            if t is not None:
                t.watched = True
        layer.clear_losses()
        out = fn(xs)
        losses = layer.added_losses()
    return xs, out, losses


def eager_forward(layer: Any, x: Any, ctx: Context, several_outputs: bool = False,
                  mask: Any = None) -> tuple[Any, EagerCall]:
    """(a, saved): ``call`` run on a tape of its own that follows x and the layer's trainable weights (a list of
    outputs where ``several_outputs``, for a model); a ``mask`` is handed to call as ``mask=``."""
    several = isinstance(x, (list, tuple))
    keywords = dict(layer.call_keywords) | ({} if mask is None else {"mask": mask})

    def call(xs: list[Tensor]) -> Any:
        args = (tuple(xs) if layer.positional_inputs else (list(xs),)) if several else (xs[0],)
        return run_call(layer, args, dict(keywords), ctx.training)
    xs, out, losses = run_taped(layer, x, call)
    if isinstance(out, (list, tuple)) and several_outputs:
        return [np.asarray(autodiff.value_of(o)) for o in out], EagerCall(xs, several, list(out), losses)
    if isinstance(out, (list, tuple)):
        raise ValueError(f"Layer {layer.name!r} returns {len(out)} tensors: inside a Sequential or functional "
                         "model nnlite passes one tensor between layers; return one, or use the layer in a "
                         "subclassed model.")
    return np.asarray(autodiff.value_of(out)), EagerCall(xs, several, out, losses)


def eager_backward(layer: Any, saved: EagerCall, grad_a: Any, ctx: Context, need_grad_x: bool = True) -> Any:
    """grad_x (and dL/dw into ctx.grad(w)) from the call's tape, the added losses seeded with ctx.grad_scale."""
    weights = layer.trainable_weights
    outs = saved.out if isinstance(saved.out, list) else [saved.out]
    grads_a = grad_a if isinstance(saved.out, list) else [grad_a]
    kept = [(o, g) for o, g in zip(outs, grads_a) if g is not None]
    targets = [o for o, _ in kept] + list(saved.losses)
    seeds = [g for _, g in kept] + [np.asarray(ctx.grad_scale)] * len(saved.losses)
    xs = [t for t in saved.xs if t is not None] if need_grad_x else []
    grads = autodiff.backpropagate(targets, seeds, xs + weights)
    for w, g in zip(weights, grads[len(xs):]):
        buffer = ctx.grad(w)
        buffer[...] = 0 if g is None else g
    if not need_grad_x:
        return None
    found, grad_x = iter(grads[:len(xs)]), []
    for t in saved.xs:  # an input given as None has no gradient
        g = None if t is None else next(found)
        grad_x.append(None if t is None else np.zeros_like(np.asarray(t)) if g is None else np.asarray(g))
    return grad_x if saved.several else grad_x[0]


def weight_values(layer: Any) -> list[tuple[Any, np.ndarray]]:
    """Each of the layer's weights with a copy of its value, for :func:`put_back`."""
    return [(w, np.array(w.value, copy=True)) for w in layer.weights]


def put_back(saved: list[tuple[Any, np.ndarray]]) -> bool:
    """Restore each weight whose value changed since :func:`weight_values` copied it; whether any had."""
    changed = False
    for w, value in saved:
        if not np.array_equal(w.value, value):
            w.value[...] = value
            changed = True
    return changed


def output_shape_by_running(layer: Any, input_shape: Any) -> Any:
    """The output shape of a layer of your own, from running its call once on zeros of two rows (nothing
    recorded, inference mode; for a model, this builds its layers); the batch axis is reported as unknown."""
    def zeros(shape: Any) -> np.ndarray:
        sample = (2,) + tuple(1 if d is None else d for d in tuple(shape)[1:])
        if limits.loading() and math.prod(sample) > limits.MAX_PROBE_ELEMENTS:  # a file's shapes buy no memory
            raise limits.LoadError(f"layer {layer.name!r} ({type(layer).__name__}) gets its output shape by running "
                                   f"its call on zeros of shape {sample}, over the limit of "
                                   f"{limits.MAX_PROBE_ELEMENTS} numbers while a file loads; give the class a "
                                   "compute_output_shape.")
        return np.zeros(sample, dtype=layer.compute_dtype)

    if isinstance(input_shape, dict):
        sample: Any = {k: zeros(s) for k, s in input_shape.items()}
    elif isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
        sample = [zeros(s) for s in input_shape]
    else:
        sample = zeros(input_shape)
    tapes = [t for t in autodiff.active_tapes() if not t.paused]
    for t in tapes:
        t.paused = True
    before = weight_values(layer)  # the probe is stateless, as Keras's
    try:
        out = run_call(layer, tuple(sample) if getattr(layer, "positional_inputs", False) else (sample,),
                       dict(layer.call_keywords), False)
    finally:
        for t in tapes:
            t.paused = False
        layer.clear_losses()
        put_back(before)  # a call that assigns (a counter) leaves no trace of the probe
    if isinstance(out, (list, tuple)):
        return [(None,) + np.shape(autodiff.value_of(o))[1:] for o in out]
    return (None,) + np.shape(autodiff.value_of(out))[1:]


def penalty(w: Any) -> Any:
    """R(w) of a weight with a regularizer: a recorded node (grad_w = g dR/dw) while a tape follows w."""
    value = w.regularizer(w.value)
    if not (autodiff.recording() and autodiff.is_tracked(w)):
        return np.asarray(value).view(Tensor)
    return autodiff.record([np.asarray(value)], [w],
                           lambda g, needed=None: [g[0] * regularizers.gradient(w.regularizer, w.value)],
                           f"{w.path} penalty")[0]

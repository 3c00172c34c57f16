"""``keras.ops`` functions and arithmetic on symbolic tensors: each becomes an Operation node of the graph.

``ops.concatenate([h, x], axis=-1)``, ``h * 2 + x`` or ``ops.mean(h, axis=1)`` inside a functional
graph (or a subclassed model's ``call``, which nnlite traces into one) record a node like a layer
call. Forward computes the NumPy function; backward its vector-Jacobian product, e.g.

    a = x1 * x2:          grad_x1 = grad_a * x2,   grad_x2 = grad_a * x1
    a = x1 @ x2:          grad_x1 = grad_a @ x2^T, grad_x2 = x1^T @ grad_a
    a = mean(x, axis):    grad_x = grad_a spread back over ``axis`` / its size

each summed over the axes an input was broadcast along. Such nodes are saved in nnlite's own
``.keras`` files; Keras cannot read them (it records ops under its own classes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import activations
from ..variables import Variable
from .base import LAYERS, Context, Layer
from .merging import unbroadcast
from .node import KerasTensor, connect


def _sum_to(g: np.ndarray, x: Any) -> np.ndarray:
    return unbroadcast(g, np.shape(x))


def _spread(g: np.ndarray, x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    """grad_a of a reduction over ``axis`` laid back over x's shape."""
    if axis is None:
        return np.broadcast_to(g, x.shape)
    if not keepdims:
        g = np.expand_dims(g, tuple(a % x.ndim for a in np.atleast_1d(axis)))
    return np.broadcast_to(g, x.shape)


def _count(x: np.ndarray, axis: Any) -> int:
    if axis is None:
        return x.size
    return math.prod(x.shape[a] for a in np.atleast_1d(axis))


def _matmul_vjp(g, x1, x2):
    return [g @ np.swapaxes(x2, -1, -2), np.swapaxes(x1, -1, -2) @ g] if x1.ndim >= 2 and x2.ndim >= 2 else [
        np.multiply.outer(g, x2) if x1.ndim == 1 else g[..., None] * x2, x1[..., None] * g[..., None, :]]


def _concatenate_vjp(g, xs, axis=0):
    cuts = np.cumsum([x.shape[axis] for x in xs])[:-1]
    return [np.split(g, cuts, axis=axis)]


def _clip_vjp(g, x, lo, hi):
    return [g * ((x >= lo) & (x <= hi))]  # TensorFlow passes the gradient on the bounds


def _extreme_vjp(first_wins):
    def vjp(g, x1, x2, a=None):
        mask = first_wins(np.asarray(x1), np.asarray(x2))  # x1 takes ties, as TensorFlow routes them
        return [np.where(mask, g, 0), np.where(mask, 0, g)]
    return vjp


def _activation_vjp(make: Callable[..., Any]):
    def vjp(g, x, *args, a=None):
        return [make(*args).backward(x, a, g)]
    return vjp


# name -> (the NumPy function, its vector-Jacobian product: (grad_a, *args, a=, **kwargs) -> grads per argument)
OPS: dict[str, tuple[Callable[..., Any], Callable[..., list[Any]]]] = {
    "add": (np.add, lambda g, x1, x2, a=None: [g, g]),
    "subtract": (np.subtract, lambda g, x1, x2, a=None: [g, -g]),
    "multiply": (np.multiply, lambda g, x1, x2, a=None: [g * x2, g * x1]),
    "divide": (np.divide, lambda g, x1, x2, a=None: [g / x2, -g * x1 / (np.asarray(x2) * x2)]),
    "negative": (np.negative, lambda g, x, a=None: [-g]),
    "power": (np.power, lambda g, x, p, a=None: [g * p * np.power(x, p - 1), None]),
    "matmul": (np.matmul, lambda g, x1, x2, a=None: _matmul_vjp(g, np.asarray(x1), np.asarray(x2))),
    "concatenate": (lambda xs, axis=0: np.concatenate(xs, axis=axis),
                    lambda g, xs, axis=0, a=None: _concatenate_vjp(g, xs, axis)),
    "mean": (lambda x, axis=None, keepdims=False: np.mean(x, axis=axis, keepdims=keepdims),
             lambda g, x, axis=None, keepdims=False, a=None: [
        _spread(g, x, axis, keepdims) / _count(x, axis)]),
    "sum": (lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
            lambda g, x, axis=None, keepdims=False, a=None: [_spread(g, x, axis, keepdims).copy()]),
    "square": (np.square, lambda g, x, a=None: [2 * x * g]),
    "sqrt": (np.sqrt, lambda g, x, a=None: [g / (2 * a)]),
    "exp": (np.exp, lambda g, x, a=None: [g * a]),
    "log": (np.log, lambda g, x, a=None: [g / x]),
    "abs": (np.abs, lambda g, x, a=None: [g * np.sign(x)]),
    "tanh": (np.tanh, lambda g, x, a=None: [g * (1 - a * a)]),
    "maximum": (np.maximum, _extreme_vjp(np.greater_equal)),
    "minimum": (np.minimum, _extreme_vjp(np.less_equal)),
    "clip": (np.clip, lambda g, x, lo, hi, a=None: _clip_vjp(g, x, lo, hi)),
    "reshape": (lambda x, newshape: np.reshape(x, (len(x),) + tuple(newshape)[1:]) if tuple(newshape)[:1] in (
        (-1,), (None,)) else np.reshape(x, newshape), lambda g, x, newshape, a=None: [g.reshape(x.shape), None]),
    "expand_dims": (np.expand_dims, lambda g, x, axis, a=None: [g.reshape(x.shape), None]),
    "squeeze": (np.squeeze, lambda g, x, axis=None, a=None: [g.reshape(x.shape)]),
    "transpose": (np.transpose, lambda g, x, axes=None, a=None: [
        np.transpose(g, None if axes is None else np.argsort(axes))]),
    "softmax": (lambda x, axis=-1: activations.Softmax(axis=axis).forward(x),
                _activation_vjp(lambda axis=-1: activations.Softmax(axis=axis))),
    "sigmoid": (lambda x: activations.sigmoid.forward(x), _activation_vjp(lambda: activations.sigmoid)),
    "relu": (lambda x: activations.relu.forward(x), _activation_vjp(lambda: activations.relu)),
}


class _Slot:
    """Where the k-th tensor goes in an operation's arguments."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"<tensor {self.index}>"


def _template(arguments: Any) -> Any:
    """The arguments with each "#k" (the k-th tensor fed in) made a slot."""
    if isinstance(arguments, str) and arguments.startswith("#"):
        return _Slot(int(arguments[1:]))
    if isinstance(arguments, list):
        return [_template(a) for a in arguments]
    return arguments


def _fill(template: Any, values: list[Any]) -> Any:
    if isinstance(template, _Slot):
        return values[template.index]
    if isinstance(template, list):
        return [_fill(t, values) for t in template]
    return template


@LAYERS.register(module="nnlite", example={"op": "multiply", "arguments": ["#0", 2.0]})
class Operation(Layer):
    """a = op(arguments): one keras.ops function (or Python operator) applied in a graph, with the tensors
    fed in where ``arguments`` says "#k" and constants elsewhere. Backward: that function's
    vector-Jacobian product (see the module)."""

    takes_list = True

    def __init__(self, op: str, arguments: list[Any], keywords: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if op not in OPS:
            raise ValueError(f"Unknown operation {op!r}; nnlite differentiates {', '.join(sorted(OPS))}.")
        name = kwargs.pop("name", None)
        super().__init__(name=name, **kwargs)
        if name is None:  # named after its function, numbered in a model as layers are (add, add_1, ...)
            self.name = op
        self.op, self.arguments, self.keywords = op, list(arguments), dict(keywords or {})
        self.template = _template(self.arguments)
        self.built = True

    def build(self, input_shape):
        self.input_shape = input_shape
        self.built = True

    def compute_output_shape(self, input_shape):
        """The shape of op on zeros of the input shapes (an unknown batch size standing as 1)."""
        shapes = input_shape if isinstance(input_shape[0], (list, tuple)) else [input_shape]
        zeros = [np.zeros(tuple(1 if d is None else d for d in s)) for s in shapes]
        out = np.shape(OPS[self.op][0](*_fill(self.template, zeros), **self.keywords))
        batch_unknown = all(s and s[0] is None for s in shapes)
        return ((None,) + out[1:]) if batch_unknown and out and out[0] == 1 else out

    def forward(self, xs, ctx: Context):
        args = _fill(self.template, list(xs))
        a = np.asarray(OPS[self.op][0](*args, **self.keywords))
        return a, (args, a)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        args, a = saved
        grads = OPS[self.op][1](grad_a, *args, a=a, **self.keywords)
        out: list[Any] = [None] * _count_slots(self.template)

        def place(template: Any, grad: Any, arg: Any) -> None:
            if grad is None:  # a constant argument
                return
            if isinstance(template, _Slot):
                out[template.index] = _sum_to(grad, arg)
            elif isinstance(template, list):
                for t, gk, xk in zip(template, grad, arg):
                    place(t, gk, xk)

        for template, grad, arg in zip(self.template, grads, args):
            place(template, grad, arg)
        return out

    def get_config(self):
        return {**super().get_config(), "op": self.op, "arguments": self.arguments, "keywords": self.keywords}


def _count_slots(template: Any) -> int:
    if isinstance(template, _Slot):
        return 1
    if isinstance(template, list):
        return sum(_count_slots(t) for t in template)
    return 0


def symbolic(op: str, *args: Any, **keywords: Any) -> KerasTensor:
    """op(*args, **keywords) on symbolic tensors: an Operation node, and its output tensor."""
    tensors: list[KerasTensor] = []

    def describe(value: Any) -> Any:
        if isinstance(value, Variable):
            raise TypeError(f"ops.{op} was given the weight {value.path!r} inside a traced call: nnlite would treat "
                            "it as a constant and never train it. Give the layer its own forward and backward "
                            "(nnlite.layers.Layer), or build it from nnlite layers such as Dense.")
        if isinstance(value, KerasTensor):
            tensors.append(value)
            return f"#{len(tensors) - 1}"
        if isinstance(value, (list, tuple)):
            return [describe(v) for v in value]
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
        return value

    arguments = [describe(a) for a in args]
    return connect(Operation(op, arguments, keywords), tensors)


def _operator(op: str, swap: bool = False) -> Callable[..., KerasTensor]:
    def apply(self: KerasTensor, other: Any = None) -> KerasTensor:
        if op == "negative":
            return symbolic(op, self)
        return symbolic(op, other, self) if swap else symbolic(op, self, other)
    apply.__name__ = f"__{'r' if swap else ''}{op}__"
    return apply


# Python arithmetic on symbolic tensors records Operation nodes (h * 2 + x in a graph or a call)
for _name, _op, _swap in (("__add__", "add", False), ("__radd__", "add", True), ("__sub__", "subtract", False),
                          ("__rsub__", "subtract", True), ("__mul__", "multiply", False),
                          ("__rmul__", "multiply", True), ("__truediv__", "divide", False),
                          ("__rtruediv__", "divide", True), ("__matmul__", "matmul", False),
                          ("__rmatmul__", "matmul", True), ("__pow__", "power", False),
                          ("__neg__", "negative", False)):
    setattr(KerasTensor, _name, _operator(_op, _swap))

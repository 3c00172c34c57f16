"""``keras.ops``, the NumPy subset that dense programs use, and the Tensor that calls hand back.

A :class:`Tensor` is a NumPy array with Keras's ``.numpy()``: ``model(x).numpy()``,
``loss(y, p).numpy()`` and ``metric.result().numpy()`` work as they do in Keras. Every function
here takes arrays (or Tensors, Variables, lists) and returns a Tensor.

These are values, not a traced graph: ``fit`` differentiates layers by their own backward
passes, and a loss function written with these ops is differentiated numerically (see
``nnlite.losses.LossFunctionWrapper``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import activations, config
from .layers.node import is_symbolic
from .layers.operation import symbolic
from .tensor import Tensor as Tensor  # re-exported: keras.ops returns these
from .tensor import as_tensor


def _in_graphs(fn: Any) -> Any:
    """Let ``fn`` also run on symbolic tensors: there it records an Operation node of the graph (see
    ``layers.operation``), with every argument bound to its place in ``fn``'s signature."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def apply(*args: Any, **kwargs: Any) -> Any:
        if any(is_symbolic(a) for a in args) or any(is_symbolic(v) for v in kwargs.values()):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return symbolic(fn.__name__, *bound.args)
        return fn(*args, **kwargs)

    return apply


def _float(value: Any) -> np.ndarray:
    array = np.asarray(value)
    return array if np.issubdtype(array.dtype, np.floating) else array.astype(config.floatx())


def convert_to_tensor(x: Any, dtype: str | None = None, sparse: bool | None = None) -> Tensor:
    return as_tensor(np.asarray(x, dtype=dtype))


def array(x: Any, dtype: str | None = None) -> Tensor:
    return as_tensor(np.array(x, dtype=dtype))


def convert_to_numpy(x: Any) -> np.ndarray:
    return np.array(x)


def cast(x: Any, dtype: str) -> Any:
    if is_symbolic(x):  # a graph computes in its layers' float dtype: a cast to a float is the same tensor
        if np.dtype(dtype).kind != "f":
            raise ValueError(f"nnlite graphs carry floats; ops.cast to {dtype} inside a model is not supported.")
        return x
    return as_tensor(np.asarray(x).astype(dtype))


@_in_graphs
def negative(x: Any) -> Tensor:
    return as_tensor(np.negative(np.asarray(x)))


@_in_graphs
def power(x1: Any, x2: Any) -> Tensor:
    return as_tensor(np.power(np.asarray(x1), x2))


def zeros(shape: Sequence[int], dtype: str | None = None) -> Tensor:
    return as_tensor(np.zeros(shape, dtype=dtype or config.floatx()))


def ones(shape: Sequence[int], dtype: str | None = None) -> Tensor:
    return as_tensor(np.ones(shape, dtype=dtype or config.floatx()))


@_in_graphs
def matmul(x1: Any, x2: Any) -> Tensor:
    return as_tensor(np.matmul(np.asarray(x1), np.asarray(x2)))


@_in_graphs
def add(x1: Any, x2: Any) -> Tensor:
    return as_tensor(np.add(np.asarray(x1), np.asarray(x2)))


@_in_graphs
def subtract(x1: Any, x2: Any) -> Tensor:
    return as_tensor(np.subtract(np.asarray(x1), np.asarray(x2)))


@_in_graphs
def multiply(x1: Any, x2: Any) -> Tensor:
    return as_tensor(np.multiply(np.asarray(x1), np.asarray(x2)))


@_in_graphs
def divide(x1: Any, x2: Any) -> Tensor:
    return as_tensor(np.divide(np.asarray(x1), np.asarray(x2)))


@_in_graphs
def concatenate(xs: Sequence[Any], axis: int = 0) -> Tensor:
    return as_tensor(np.concatenate([np.asarray(x) for x in xs], axis=axis))


@_in_graphs
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return as_tensor(np.mean(_float(x), axis=axis, keepdims=keepdims))


@_in_graphs
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001 (Keras's name)
    return as_tensor(np.sum(np.asarray(x), axis=axis, keepdims=keepdims))


@_in_graphs
def square(x: Any) -> Tensor:
    return as_tensor(np.square(np.asarray(x)))


@_in_graphs
def sqrt(x: Any) -> Tensor:
    return as_tensor(np.sqrt(_float(x)))


@_in_graphs
def exp(x: Any) -> Tensor:
    return as_tensor(np.exp(_float(x)))


@_in_graphs
def log(x: Any) -> Tensor:
    return as_tensor(np.log(_float(x)))


@_in_graphs
def abs(x: Any) -> Tensor:  # noqa: A001 (Keras's name)
    return as_tensor(np.abs(np.asarray(x)))


absolute = abs  # the same function under Keras's other name


@_in_graphs
def maximum(x1: Any, x2: Any) -> Tensor:
    return as_tensor(np.maximum(np.asarray(x1), np.asarray(x2)))


@_in_graphs
def minimum(x1: Any, x2: Any) -> Tensor:
    return as_tensor(np.minimum(np.asarray(x1), np.asarray(x2)))


@_in_graphs
def clip(x: Any, x_min: Any, x_max: Any) -> Tensor:
    return as_tensor(np.clip(np.asarray(x), x_min, x_max))


def where(condition: Any, x1: Any = None, x2: Any = None) -> Tensor:
    if x1 is None and x2 is None:
        return as_tensor(np.stack(np.nonzero(np.asarray(condition)), axis=-1))
    return as_tensor(np.where(np.asarray(condition), np.asarray(x1), np.asarray(x2)))


@_in_graphs
def reshape(x: Any, newshape: Sequence[int]) -> Tensor:
    return as_tensor(np.reshape(np.asarray(x), newshape))


@_in_graphs
def expand_dims(x: Any, axis: int) -> Tensor:
    return as_tensor(np.expand_dims(np.asarray(x), axis))


@_in_graphs
def squeeze(x: Any, axis: Any = None) -> Tensor:
    return as_tensor(np.squeeze(np.asarray(x), axis=axis))


@_in_graphs
def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    return as_tensor(np.transpose(np.asarray(x), axes))


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    return as_tensor(np.argmax(np.asarray(x), axis=axis, keepdims=keepdims))


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    return as_tensor(np.argmin(np.asarray(x), axis=axis, keepdims=keepdims))


def stack(xs: Sequence[Any], axis: int = 0) -> Tensor:
    return as_tensor(np.stack([np.asarray(x) for x in xs], axis=axis))


def shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(x))


@_in_graphs
def softmax(x: Any, axis: int = -1) -> Tensor:
    return as_tensor(activations.Softmax(axis=axis).forward(_float(x)))


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    return as_tensor(activations.LogSoftmax(axis=axis).forward(_float(x)))


@_in_graphs
def sigmoid(x: Any) -> Tensor:
    return as_tensor(activations.sigmoid.forward(_float(x)))


@_in_graphs
def relu(x: Any) -> Tensor:
    return as_tensor(activations.relu.forward(_float(x)))


@_in_graphs
def tanh(x: Any) -> Tensor:
    return as_tensor(np.tanh(_float(x)))


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: str | None = None) -> Tensor:
    labels = np.asarray(x).astype(np.int64)
    out = (labels[..., None] == np.arange(num_classes)).astype(dtype or config.floatx())
    return as_tensor(np.moveaxis(out, -1, axis) if axis != -1 else out)

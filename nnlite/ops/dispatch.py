"""NumPy calls on tensors and variables, sent to ``nnlite.ops`` so that the tape sees them.

``x * w + b``, ``np.exp(x)``, ``x[:, 0]``, ``np.sum(x, axis=1)``, ``x.reshape(...)`` and an activation
called as a function (``keras.activations.sigmoid(x)``) are the ops of the same names. While a tape
follows one of the arguments the op is recorded; a NumPy function nnlite cannot differentiate is
refused then (rather than silently cutting the gradient), and so is writing into a followed tensor.
Otherwise the call is NumPy's, and its result a Tensor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autodiff
from ..tensor import HOOKS, Tensor
from . import core, linalg
from . import numpy as np_ops
from .primitive import float_array, op, values, wrap

UFUNC_OPS = {
    np.add: np_ops.add, np.subtract: np_ops.subtract, np.multiply: np_ops.multiply, np.true_divide: np_ops.divide,
    np.power: np_ops.power, np.float_power: np_ops.power, np.matmul: np_ops.matmul, np.negative: np_ops.negative,
    np.positive: np_ops.copy, np.exp: np_ops.exp, np.expm1: np_ops.expm1, np.log: np_ops.log, np.log1p: np_ops.log1p,
    np.log2: np_ops.log2, np.log10: np_ops.log10, np.sqrt: np_ops.sqrt, np.square: np_ops.square,
    np.absolute: np_ops.absolute, np.fabs: np_ops.absolute, np.sin: np_ops.sin, np.cos: np_ops.cos,
    np.tan: np_ops.tan, np.arcsin: np_ops.arcsin, np.arccos: np_ops.arccos, np.arctan: np_ops.arctan,
    np.sinh: np_ops.sinh, np.cosh: np_ops.cosh, np.tanh: np_ops.tanh, np.arcsinh: np_ops.arcsinh,
    np.arccosh: np_ops.arccosh, np.arctanh: np_ops.arctanh, np.maximum: np_ops.maximum, np.minimum: np_ops.minimum,
    np.reciprocal: np_ops.reciprocal, np.cbrt: np_ops.cbrt, np.arctan2: np_ops.arctan2, np.hypot: np_ops.hypot,
    np.logaddexp: np_ops.logaddexp, np.remainder: np_ops.mod, np.floor_divide: np_ops.floor_divide,
    np.sign: np_ops.sign, np.floor: np_ops.floor, np.ceil: np_ops.ceil, np.trunc: np_ops.trunc,
    np.equal: np_ops.equal, np.not_equal: np_ops.not_equal, np.greater: np_ops.greater,
    np.greater_equal: np_ops.greater_equal, np.less: np_ops.less, np.less_equal: np_ops.less_equal,
    np.logical_and: np_ops.logical_and, np.logical_or: np_ops.logical_or, np.logical_xor: np_ops.logical_xor,
    np.logical_not: np_ops.logical_not, np.isnan: np_ops.isnan, np.isinf: np_ops.isinf,
    np.isfinite: np_ops.isfinite,
}
REDUCE_OPS = {np.add: np_ops.sum, np.multiply: np_ops.prod, np.maximum: np_ops.max, np.minimum: np_ops.min}
FUNCTION_OPS = {
    np.sum: np_ops.sum, np.mean: np_ops.mean, np.max: np_ops.max, np.min: np_ops.min, np.amax: np_ops.max,
    np.amin: np_ops.min, np.prod: np_ops.prod, np.reshape: np_ops.reshape, np.transpose: np_ops.transpose,
    np.concatenate: np_ops.concatenate, np.stack: np_ops.stack, np.expand_dims: np_ops.expand_dims,
    np.squeeze: np_ops.squeeze, np.where: np_ops.where, np.clip: np_ops.clip, np.dot: np_ops.dot,
    np.tensordot: np_ops.tensordot, np.einsum: np_ops.einsum, np.outer: np_ops.outer, np.inner: np_ops.inner,
    np.vdot: np_ops.vdot, np.cumsum: np_ops.cumsum, np.cumprod: np_ops.cumprod, np.var: np_ops.var,
    np.std: np_ops.std, np.take: np_ops.take, np.take_along_axis: np_ops.take_along_axis, np.tile: np_ops.tile,
    np.repeat: np_ops.repeat, np.flip: np_ops.flip, np.roll: np_ops.roll, np.pad: np_ops.pad,
    np.broadcast_to: np_ops.broadcast_to, np.moveaxis: np_ops.moveaxis, np.swapaxes: np_ops.swapaxes,
    np.ravel: np_ops.ravel, np.sort: np_ops.sort, np.split: np_ops.split, np.diag: np_ops.diag,
    np.diagonal: np_ops.diagonal, np.trace: np_ops.trace, np.tril: np_ops.tril, np.triu: np_ops.triu,
    np.average: np_ops.average, np.hstack: np_ops.hstack, np.vstack: np_ops.vstack, np.append: np_ops.append,
    np.copy: np_ops.copy, np.linalg.norm: linalg.norm, np.linalg.inv: linalg.inv, np.linalg.det: linalg.det,
    np.linalg.solve: linalg.solve, np.round: np_ops.round, np.argmax: np_ops.argmax, np.argmin: np_ops.argmin,
}
# what a function reads of an array without computing from its values: fine on any tensor
METADATA = {np.ndim, np.shape, np.size, np.result_type, np.iscomplexobj, np.isrealobj, np.can_cast,
            np.array_repr, np.array_str, np.array2string, np.may_share_memory, np.shares_memory}
KEYWORDS = {"shape": "newshape", "a_min": "x_min", "a_max": "x_max"}  # NumPy's keyword -> the op's


def _any_tracked(items: Any) -> bool:
    if isinstance(items, (list, tuple)):
        return any(_any_tracked(i) for i in items)
    if isinstance(items, dict):
        return any(_any_tracked(v) for v in items.values())
    return autodiff.is_tracked(items)


def _refuse(what: str) -> None:
    raise TypeError(f"{what} on a tensor a GradientTape follows: nnlite cannot differentiate it, and computing it "
                    "anyway would silently cut the gradient. Use the nnlite.ops function of the same name (see "
                    "dir(nnlite.ops)), or ops.stop_gradient(x) first if no gradient should flow.")


def ufunc(fn: np.ufunc, method: str, inputs: tuple, kwargs: dict[str, Any]) -> Any:
    """A NumPy ufunc called on tensors or variables (arithmetic operators land here too)."""
    out = kwargs.get("out")
    if autodiff.recording() and (_any_tracked(inputs) or (out is not None and _any_tracked(out))):
        if out is not None:
            raise TypeError(f"np.{fn.__name__} writes into a tensor or variable a GradientTape follows (an in-place "
                            "operation): that would corrupt the recorded gradients. Compute a new tensor instead.")
        if method == "__call__" and fn in UFUNC_OPS:
            return UFUNC_OPS[fn](*inputs)
        if method == "reduce" and fn in REDUCE_OPS:
            return REDUCE_OPS[fn](inputs[0], axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
        _refuse(f"np.{fn.__name__}" + ("" if method == "__call__" else f".{method}"))
    raw = [values(x) for x in inputs]
    if out is not None:
        kwargs = {**kwargs, "out": tuple(values(o) for o in out)}
    result = getattr(fn, method)(*raw, **kwargs)
    if out is not None:
        return out[0] if len(out) == 1 else out
    return wrap(result)


def function(func: Any, types: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    """A NumPy function (np.sum, np.reshape, ...) called on tensors or variables."""
    if func not in METADATA and autodiff.recording() and (_any_tracked(args) or _any_tracked(kwargs)):
        target = FUNCTION_OPS.get(func)
        if target is None:
            _refuse(f"np.{func.__name__}")
        renamed = {KEYWORDS.get(k, k): v for k, v in kwargs.items() if k not in ("out", "dtype", "a")}
        if "a" in kwargs:  # NumPy's name for the array: the op's first argument
            args = (kwargs["a"], *args)
        return target(*args, **renamed)
    return wrap(func(*values(args), **{k: values(v) for k, v in kwargs.items()}))


def getitem(x: Any, key: Any) -> Any:
    """x[key] on a tensor or variable (recorded as ops.getitem while followed)."""
    key = values(key) if isinstance(key, (Tensor, list)) else (
        tuple(values(k) for k in key) if isinstance(key, tuple) else key)
    if autodiff.recording() and autodiff.is_tracked(x):
        return np_ops.getitem(x, key)
    out = np.asarray(values(x))[key]
    return out if isinstance(out, np.generic) else wrap(out)  # one entry: a NumPy scalar, as NumPy gives


def method(name: str, x: Tensor, args: tuple, kwargs: dict[str, Any]) -> Any:
    """An array method of a tensor that would leave the tape (reshape, T, astype, ...), as the op."""
    if autodiff.recording() and autodiff.is_tracked(x):
        if name == "reshape":
            return np_ops.reshape(x, args[0] if len(args) == 1 else args)
        if name == "transpose":
            return np_ops.transpose(x, (args[0] if len(args) == 1 and isinstance(args[0], (list, tuple))
                                        else args) or None)
        if name == "astype":
            return core.cast(x, args[0])
        if name == "flatten":
            return np_ops.ravel(x)
        if name == "squeeze":
            return np_ops.squeeze(x, *args, **kwargs)
    return wrap(getattr(x.view(np.ndarray), name)(*args, **kwargs))


LOGIT_ACTIVATIONS = ("sigmoid", "softmax")


def activation(fn: Any, x: Any) -> Any:
    """An activation called as a function (``activations.relu(x)``): the op a = f(x), with f's backward as its
    VJP; a sigmoid's or softmax's output carries its input x as ``keras_logits`` inside a training step."""
    apply = op(lambda g, a, z: [fn.backward(np.asarray(z), a, g)], name=fn.name, graph=False, register=False)(
        lambda z: fn.forward(float_array(z)))
    a = apply(x)
    if fn.name in LOGIT_ACTIVATIONS and autodiff.in_step() and isinstance(a, Tensor):
        a.keras_logits = x if isinstance(x, Tensor) else np.asarray(values(x)).view(Tensor)
    return a


def install() -> None:
    """Point the tensor and variable hooks here (``nnlite.ops`` does it when imported)."""
    HOOKS.update({"ufunc": ufunc, "function": function, "getitem": getitem, "method": method,
                  "activation": activation, "recording": autodiff.recording})

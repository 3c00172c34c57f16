"""``keras.ops`` functions and arithmetic on symbolic tensors: each becomes an Operation node of the graph.

``ops.concatenate([h, x], axis=-1)``, ``h * 2 + x`` or ``ops.mean(h, axis=1)`` inside a functional
graph (or a subclassed model's ``call``, which nnlite traces into one) record a node like a layer
call. Forward runs the op of ``nnlite.ops`` on the batch, on a tape of its own; backward is that op's
vector-Jacobian product (written beside the op), e.g.

    a = x1 * x2:          grad_x1 = grad_a * x2,   grad_x2 = grad_a * x1
    a = x1 @ x2:          grad_x1 = grad_a @ x2^T, grad_x2 = x1^T @ grad_a
    a = mean(x, axis):    grad_x = grad_a spread back over ``axis`` / its size

each summed over the axes an input was broadcast along. An op with several results (``split``,
``top_k``) gives a tensor for each. In ``.keras`` files such nodes are written as Keras writes its ops
(``models.keras_ops``), and ``model.layers`` leaves them out as Keras's does (``model.operations`` has them).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import autodiff, promotion
from ..limits import MAX_PROBE_ELEMENTS
from ..tensor import Tensor
from ..variables import Variable
from . import op_shapes
from .base import LAYERS, Context, Layer
from .node import KerasTensor, connect


class _Slot:
    """Where the k-th tensor goes in an operation's arguments."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"<tensor {self.index}>"


def _template(arguments: Any) -> Any:
    """The arguments with each "#k" (the k-th tensor fed in) made a slot, and an index key written as
    {"index": [...]} (slices {"slice": [start, stop, step]}, "..." for Ellipsis, None for a new axis) made
    the Python key it stands for."""
    if isinstance(arguments, str) and arguments.startswith("#"):
        return _Slot(int(arguments[1:]))
    if isinstance(arguments, dict) and set(arguments) == {"index"}:
        return tuple(_key_entry(e) for e in arguments["index"])
    if isinstance(arguments, list):
        return [_template(a) for a in arguments]
    return arguments


def _key_entry(entry: Any) -> Any:
    if entry == "...":
        return Ellipsis
    if isinstance(entry, dict) and set(entry) == {"slice"} and isinstance(entry["slice"], list) and len(
            entry["slice"]) == 3 and all(v is None or (isinstance(v, int) and not isinstance(v, bool))
                                         for v in entry["slice"]):
        return slice(*entry["slice"])
    if entry is None or (isinstance(entry, int) and not isinstance(entry, bool)):
        return entry
    if isinstance(entry, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in entry):
        return entry
    raise ValueError(f"An index key in a graph may hold ints, slices, '...', None and lists of ints; got {entry!r}.")


def describe_key(key: Any) -> dict[str, list[Any]]:
    """x[key] on a symbolic tensor: the key as an Operation argument a config holds (see ``_template``)."""
    entries = key if isinstance(key, tuple) else (key,)
    out: list[Any] = []
    for e in entries:
        if isinstance(e, slice):
            out.append({"slice": [e.start, e.stop, e.step]})
        elif e is Ellipsis:
            out.append("...")
        elif isinstance(e, np.ndarray):
            out.append(e.tolist())
        else:
            out.append(int(e) if isinstance(e, np.integer) else e)
    described = {"index": out}
    _template(described)  # refuse now what a file could not hold
    return described


# the dtypes an op may be asked for, as keras.ops names them
DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
                    "bfloat16", "float32", "float64"})


def _check_kinds(op: str, arguments: dict[str, Any]) -> None:
    """The arguments keras.ops gives a meaning by name: a ``dtype`` is one of its dtype names, an ``axis``
    an int, a list of ints or None."""
    dtype = arguments.get("dtype")
    if dtype is not None and not isinstance(dtype, str):  # a NumPy type given in code: by its name
        try:
            dtype = np.dtype(dtype).name
        except TypeError:
            pass
    if dtype is not None and (not isinstance(dtype, str) or dtype not in DTYPES):
        raise ValueError(f"Operation {op!r}: dtype must be one of {sorted(DTYPES)} or None, got {dtype!r}.")
    axis = arguments.get("axis")
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if axis is not None and not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise ValueError(f"Operation {op!r}: axis must be an int, a list of ints or None, got {axis!r}.")


def _slots(template: Any) -> int:
    """How many tensor slots a template holds."""
    if isinstance(template, _Slot):
        return 1
    return sum(_slots(t) for t in template) if isinstance(template, list) else 0


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
    casts = ""  # an op computes in its inputs' dtypes, promoted as Keras promotes them (``nnlite.promotion``)

    def __init__(self, op: str, arguments: list[Any], keywords: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if op not in autodiff.OPS:
            raise ValueError(f"Unknown operation {op!r}; nnlite's ops are {', '.join(sorted(autodiff.OPS))}.")
        try:  # the arguments must be ones the op takes (a file may not hand NumPy keywords of its own)
            bound = inspect.signature(autodiff.OPS[op]).bind(*arguments, **dict(keywords or {}))
        except TypeError as err:
            raise ValueError(f"Operation {op!r} cannot take the arguments {arguments!r} and keywords "
                             f"{keywords!r}: {err}.") from None
        _check_kinds(op, bound.arguments)
        if not _slots(_template(list(arguments))):
            raise ValueError(f"Operation {op!r} must take at least one tensor (an argument \"#0\"); its arguments "
                             f"are {arguments!r:.200}.")
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
        """The op's output shape by its shape rule, never by running it on data of these shapes (``op_shapes``)."""
        shapes = input_shape if isinstance(input_shape[0], (list, tuple)) else [input_shape]
        return op_shapes.output_shape(
            self.op, lambda values: autodiff.OPS[self.op](*_fill(self.template, values), **self.keywords),
            self._bind, [tuple(s) for s in shapes])

    def symbolic_dtypes(self, inputs: Any, count: int) -> list[str]:
        """The dtypes the op gives on its inputs' dtypes (int32 + 2 stays int32, as in Keras), found by running it
        on stand-ins of those dtypes, one sample each; where that cannot run, the inputs' promoted dtype."""
        tensors = inputs if isinstance(inputs, list) else [inputs]
        shapes = [tuple(1 if d is None else d for d in t.shape) for t in tensors]
        if sum(math.prod(s) for s in shapes) <= MAX_PROBE_ELEMENTS:
            try:
                with np.errstate(all="ignore"):
                    stand_ins = [np.zeros(s, dtype=t.dtype) for s, t in zip(shapes, tensors)]
                    out = autodiff.OPS[self.op](*_fill(self.template, stand_ins), **self.keywords)
                outs = list(out) if isinstance(out, (list, tuple)) else [out]
                if len(outs) == count:
                    return [np.asarray(autodiff.value_of(o)).dtype.name for o in outs]
            except (ValueError, TypeError, IndexError, ArithmeticError):
                pass
        try:
            return [promotion.result_type(*(t.dtype for t in tensors))] * count
        except (ValueError, TypeError):  # strings
            return [self.symbolic_dtype] * count

    def _bind(self, values: list[Any]) -> inspect.BoundArguments:
        """The op's arguments with ``values`` in the tensors' places, defaults applied."""
        bound = inspect.signature(autodiff.OPS[self.op]).bind(*_fill(self.template, values), **self.keywords)
        bound.apply_defaults()
        return bound

    def forward(self, xs, ctx: Context):
        """a = op(arguments), on a tape that follows the tensors fed in (its backward's record)."""
        with autodiff.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
            leaves = [np.asarray(x).view(Tensor) for x in xs]
            tape.watch(leaves)
            a = autodiff.OPS[self.op](*_fill(self.template, leaves), **self.keywords)
        if isinstance(a, (list, tuple)):  # several results (split, top_k): one output tensor each
            return [autodiff.value_of(v) for v in a], (tape, leaves, list(a))
        return autodiff.value_of(a), (tape, leaves, a)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        """grad_x_k = the op's VJP for each tensor fed in (zeros where the op gives none); with several results,
        a result the loss does not reach brings a zero gradient."""
        if not need_grad_x:
            return None
        tape, leaves, a = saved
        if isinstance(a, list):
            grad_a = [np.zeros(np.shape(v), dtype=np.result_type(autodiff.value_of(v), np.float32)) if g is None
                      else g for g, v in zip(grad_a, a)]
        grads = tape.gradient(a, leaves, output_gradients=grad_a)
        return [np.zeros_like(np.asarray(x)) if g is None else np.asarray(g) for g, x in zip(grads, leaves)]

    def get_config(self):
        return {**super().get_config(), "op": self.op, "arguments": self.arguments, "keywords": self.keywords}


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
        if op in ("negative", "absolute"):
            return symbolic(op, self)
        return symbolic(op, other, self) if swap else symbolic(op, self, other)
    apply.__name__ = f"__{'r' if swap else ''}{op}__"
    return apply


def _getitem(self: KerasTensor, key: Any) -> KerasTensor:
    return symbolic("getitem", self, describe_key(key))


KerasTensor.__getitem__ = _getitem  # x[:, 0] in a graph: an Operation node

# Python arithmetic and comparisons on symbolic tensors record Operation nodes (h * 2 + x, h > 0 in a graph)
for _name, _op, _swap in (("__add__", "add", False), ("__radd__", "add", True), ("__sub__", "subtract", False),
                          ("__rsub__", "subtract", True), ("__mul__", "multiply", False),
                          ("__rmul__", "multiply", True), ("__truediv__", "divide", False),
                          ("__rtruediv__", "divide", True), ("__matmul__", "matmul", False),
                          ("__rmatmul__", "matmul", True), ("__pow__", "power", False),
                          ("__rpow__", "power", True), ("__neg__", "negative", False), ("__lt__", "less", False),
                          ("__le__", "less_equal", False), ("__gt__", "greater", False),
                          ("__ge__", "greater_equal", False), ("__abs__", "absolute", False),
                          ("__mod__", "mod", False), ("__floordiv__", "floor_divide", False)):
    setattr(KerasTensor, _name, _operator(_op, _swap))

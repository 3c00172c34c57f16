"""The start of a graph: ``InputLayer``, and ``Input``, the symbolic tensor it makes (Keras's ``keras.Input``)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import docstrings
from ..warn import warn
from .base import LAYERS, Layer, Shape, foreign_dtype, shape_tuple
from .node import KerasTensor, Node


def _input_dtype(dtype: Any) -> str:
    """"float" for a float dtype (or None: floatx), "string" for text (StringLookup reads it), else the name
    of an integer or bool dtype."""
    dtype = foreign_dtype(dtype)
    if dtype is None or isinstance(dtype, dict):
        return "float"
    if dtype in ("string", str, "str", object, "object"):
        return "string"
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        raise ValueError(f"Input dtype {dtype!r} is not a NumPy dtype.") from None
    if kind == "f":
        return "float"
    if kind in "iub":
        return np.dtype(dtype).name
    raise ValueError(f"Input dtype {dtype!r} is not one nnlite reads: a float, integer or bool dtype, or 'string'.")


def _from_tensor(tensor: Any, shape: Any, batch_size: Any, batch_shape: Any, dtype: Any,
                 sparse: Any) -> tuple[tuple, str]:
    """(batch_shape, dtype) of an ``input_tensor``, the other arguments checked against it as Keras does."""
    if not isinstance(tensor, KerasTensor):
        raise ValueError(f"Argument `input_tensor` must be a KerasTensor. Received invalid type: "
                         f"input_tensor={tensor} (of type {type(tensor)})")
    given = tuple(tensor.shape)
    clashes = {"batch_size": batch_size is not None and (not given or given[0] != batch_size),
               "shape": shape is not None and tuple(shape) != given[1:],
               "batch_shape": batch_shape is not None and tuple(batch_shape) != given,
               "dtype": dtype is not None and tensor.dtype != dtype,
               "sparse": bool(sparse)}
    for argument, clash in clashes.items():
        if clash:
            raise ValueError(f"When providing the `input_tensor` argument, you cannot provide an incompatible "
                             f"`{argument}` argument.")
    return given, tensor.dtype


INPUT_ARGUMENTS = """\
        shape: the shape of one sample, without the batch axis (``(4,)`` for 4 features).
        batch_size: a fixed batch size (default None: any).
        dtype: "float32" (default ``config.floatx()``), "float64", an integer or bool dtype, or "string" for
            lookup layers.
        sparse: Keras's sparse inputs; not supported (must be None or False).
        ragged: Keras's ragged inputs (TensorFlow only); not supported (must be None or False).
        batch_shape: the shape with the batch axis, instead of ``shape`` and ``batch_size``.
        name: the input's name (how a dict of arrays finds it).
        optional: whether None may be passed for it.
"""


@docstrings.with_arguments(INPUT_ARGUMENTS, "input arguments")
@LAYERS.register(example={"shape": (4,)})
class InputLayer(Layer):
    """Declares the input: ``shape`` excludes the batch axis (``batch_shape`` includes it).

    Args:
        {input arguments}
        input_tensor: an existing ``KerasTensor`` to use as this input (its shape and dtype; the other arguments
            must agree with them).
        **kwargs: Keras's older ``input_shape`` (for ``shape``; it warns, as Keras's) and ``batch_input_shape``
            (for ``batch_shape``), ``ragged`` (ignored), and the base layer's keywords.

    Example:
        >>> import numpy as np, nnlite
        >>> layer = nnlite.layers.InputLayer(shape=(3,))
        >>> layer.output.shape
        (None, 3)
    """

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None, sparse: bool | None = None,
                 ragged: bool | None = None, batch_shape: Any = None, input_tensor: Any = None, optional: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        if "input_shape" in kwargs:
            warn("Argument `input_shape` is deprecated. Use `shape` instead.")
            shape = kwargs.pop("input_shape")
        batch_shape = kwargs.pop("batch_input_shape", batch_shape)  # Keras 2's name, as Keras 3 still reads it
        if input_tensor is None and batch_size is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `batch_size` and `batch_shape` at the same time.")
        if input_tensor is not None:  # the tensor becomes this layer's output; its shape and dtype rule
            batch_shape, dtype = _from_tensor(input_tensor, shape, batch_size, batch_shape, dtype, sparse)
            shape = batch_size = None
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if batch_shape is not None:
            batch_shape = tuple(batch_shape)
            if not batch_shape:
                raise ValueError("batch_shape must include the batch axis, got ().")
            batch_size, shape = batch_shape[0], batch_shape[1:]
        if shape is None:
            raise ValueError("You must pass a `shape` argument, e.g. Input(shape=(784,)).")
        if sparse:
            raise ValueError("nnlite has no sparse tensors: Input(sparse=True) is not supported.")
        if ragged:
            raise ValueError("nnlite has no ragged tensors: Input(ragged=True) is not supported.")
        input_dtype = _input_dtype(dtype)
        super().__init__(dtype=None if input_dtype != "float" else dtype, name=name, **kwargs)
        if input_dtype != "float":  # token ids or flags: the layers after it take them as they are
            self.dtype = input_dtype
        if batch_size is not None and not (isinstance(batch_size, numbers.Integral) and not isinstance(
                batch_size, bool) and batch_size > 0):
            raise ValueError(f"The batch size must be a positive integer or None (unknown), got {batch_size!r}.")
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shape = (self.batch_size,) + shape_tuple(shape, "Input shape")
        self.declared_input_shape = self.shape[1:]
        self.optional = optional
        self.sparse = self.ragged = False  # Keras's flags: nnlite's tensors are dense
        self.built = True
        tensor = KerasTensor(self.shape, self.dtype, name=self.name) if input_tensor is None else input_tensor
        tensor.keras_history = (self, 0, 0)
        tensor.name = tensor.name or self.name
        self.inbound_nodes.append(Node(self, None, [tensor]))  # ``output`` is this tensor

    @property
    def batch_shape(self) -> Shape:
        return self.shape

    def call(self, x: Any = None, training: bool = False) -> Any:
        """Keras's InputLayer.call takes nothing and returns nothing; given a batch, it passes it on."""
        return x

    def forward(self, x, ctx):
        return x, None

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a

    def get_config(self):
        return {"batch_shape": list(self.shape), "dtype": self.dtype, "sparse": False, "ragged": False,
                "name": self.name, "optional": self.optional}


@docstrings.with_arguments(INPUT_ARGUMENTS, "input arguments")
def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None, sparse: bool | None = None,
          ragged: bool | None = None, batch_shape: Any = None, name: str | None = None, tensor: Any = None,
          optional: bool = False) -> KerasTensor:
    """A symbolic input ``x`` of shape (batch, *shape): the start of a functional graph
    (``Dense(8)(x)``), or the first entry of a Sequential.

    Args:
        {input arguments}
        tensor: an existing ``KerasTensor`` to use as this input (its shape and dtype; the other arguments
            must agree with them).

    Returns:
        A ``KerasTensor`` to call layers on.

    Example:
        >>> import nnlite
        >>> x = nnlite.Input((3,), name="features")
        >>> x.shape, nnlite.layers.Dense(8)(x).shape
        ((None, 3), (None, 8))
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, ragged=ragged,
                      batch_shape=batch_shape, input_tensor=tensor, name=name, optional=optional).output

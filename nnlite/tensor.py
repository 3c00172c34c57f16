"""The Tensor that calls hand back: a NumPy array with Keras's ``.numpy()``, that the tape can follow.

Keras tensors are immutable: ``t += 1`` makes a new tensor (as ``t = t + 1`` does), so a tensor the tape
recorded never changes under it. Arithmetic, NumPy's ufuncs, indexing and ``np.sum``-style calls on a
tensor go to ``nnlite.ops`` (through ``HOOKS``, which ``nnlite.ops`` fills when it is imported), so they
are recorded while a ``GradientTape`` is open.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# How NumPy calls on tensors reach nnlite.ops: "ufunc" (ufunc, method, inputs, kwargs), "function" (func,
# types, args, kwargs), "getitem" (tensor, key), "method" (name, tensor, args, kwargs), "activation"
# (activation, x) and "recording" () (whether a tape records). Filled by nnlite.ops.
HOOKS: dict[str, Any] = {}


class Tensor(np.ndarray):
    """A NumPy array with Keras's tensor conveniences (``numpy()``), followed by the tape when recorded.

    ``tape_node``/``tape_index``: the recorded op that made it and which of its outputs it is (None when
    nothing recorded it); ``watched``: a tape was told to follow it; ``keras_logits``: for the output of a
    sigmoid or softmax activation, its input z (Keras's ``_keras_logits``, which the crossentropies read);
    ``keras_mask``: the mask of a layer's output called on values (Keras's ``_keras_mask``, which the next layer
    called on it reads).

    Tensors come from the ops (or ``ops.convert_to_tensor``); the constructor is NumPy's ``ndarray``'s.

    Args:
        shape: Shape of the new tensor, a tuple of ints.
        dtype: Its dtype. Default: ``None`` (float64, NumPy's).
        buffer: An object exposing memory to view instead of allocating. Default: ``None``.
        offset: Where in ``buffer`` the data starts, in bytes. Default: ``0``.
        strides: Bytes between entries along each axis. Default: ``None`` (contiguous).
        order: ``"C"`` (row-major) or ``"F"`` (column-major). Default: ``None`` (``"C"``).

    Example:
        >>> import numpy as np, nnlite
        >>> t = nnlite.ops.convert_to_tensor([1.0, 2.0])
        >>> t.numpy(), t.shape
        (array([1., 2.]), (2,))
    """

    tape_node: Any = None
    tape_index: int = 0
    watched: bool = False
    keras_logits: Any = None
    keras_mask: Any = None

    def numpy(self) -> np.ndarray:
        """The values as a plain NumPy array (a copy)."""
        return np.array(self)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return HOOKS["ufunc"](ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return HOOKS["function"](func, types, args, kwargs)

    def __getitem__(self, key: Any) -> Any:
        return HOOKS["getitem"](self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if self.tape_node is not None or self.watched:
            raise TypeError("This tensor was recorded by a GradientTape: changing it in place would corrupt the "
                            "gradients that depend on it. Build a new tensor instead (nnlite.ops.where, "
                            "ops.slice_update, ops.scatter_update).")
        np.ndarray.__setitem__(self.view(np.ndarray), key, value)

    # Keras tensors are immutable: the in-place operators make a new tensor
    def __iadd__(self, other: Any) -> Any:
        return self + other

    def __isub__(self, other: Any) -> Any:
        return self - other

    def __imul__(self, other: Any) -> Any:
        return self * other

    def __itruediv__(self, other: Any) -> Any:
        return self / other

    def __ipow__(self, other: Any) -> Any:
        return self**other

    def __imatmul__(self, other: Any) -> Any:
        return self @ other

    # the array methods that would silently leave the tape go through nnlite.ops
    def reshape(self, *shape: Any, **kwargs: Any) -> Any:
        return HOOKS["method"]("reshape", self, shape, kwargs)

    def transpose(self, *axes: Any) -> Any:
        return HOOKS["method"]("transpose", self, axes, {})

    @property
    def T(self) -> Any:  # noqa: N802 (NumPy's name)
        return HOOKS["method"]("transpose", self, (), {})

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Any:
        return HOOKS["method"]("astype", self, (dtype, *args), kwargs)

    def flatten(self, *args: Any, **kwargs: Any) -> Any:
        return HOOKS["method"]("flatten", self, args, kwargs)

    ravel = flatten

    def squeeze(self, *args: Any, **kwargs: Any) -> Any:
        return HOOKS["method"]("squeeze", self, args, kwargs)


def as_tensor(value: Any) -> Tensor:
    """``value`` as a Tensor (a view where it already is an array)."""
    return np.asarray(value).view(Tensor)

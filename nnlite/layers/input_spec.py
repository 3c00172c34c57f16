"""InputSpec: what a layer's first input must look like (rank, dtype, shape, given axes), checked at every call.

A layer sets ``self.input_spec`` (one spec, or a list or dict of them, one per input) in ``__init__`` or
``build``; ``Layer.__call__`` then checks its first argument against it before the call (and again after
``build``, which may narrow it), in Keras's words, so that a wrong input fails with what was expected and what
arrived instead of somewhere inside the matrix code. ``None`` in a shape matches any size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["InputSpec", "assert_input_compatibility"]


def _dtype_name(dtype: Any) -> str:
    """A dtype's name ("float32"), from a NumPy dtype, its name, or another library's dtype object."""
    return np.dtype(getattr(dtype, "name", dtype)).name


class InputSpec:
    """The rank, dtype and shape an input to a layer must have: ``x`` fits when ``x.ndim == ndim`` (or
    ``min_ndim <= x.ndim <= max_ndim``), ``x.dtype == dtype``, ``x.shape[a] == axes[a]`` for each given axis and
    ``x.shape`` matches ``shape`` where neither says None.

    Args:
        dtype: the dtype the input must have (None: any).
        shape: the full shape, batch axis first (None entries match any size); it sets ``ndim``.
        ndim: the rank the input must have.
        max_ndim: the largest rank allowed.
        min_ndim: the smallest rank allowed.
        axes: a dict {axis: size} of axes whose size is fixed (negative axes count from the end).
        allow_last_axis_squeeze: whether a last axis of size 1 may be there or not, on either side.
        name: the key of this input when the inputs come as a dict.
        optional: whether the input may be None.

    Example:
        >>> import numpy as np, nnlite
        >>> spec = nnlite.InputSpec(min_ndim=2, axes={-1: 3})
        >>> spec
        InputSpec(min_ndim=2, axes={-1: 3})
        >>> class Triple(nnlite.layers.Layer):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.input_spec = spec
        ...     def call(self, x):
        ...         return x * 3.0
        >>> Triple()(np.ones((1, 3))).tolist()
        [[3.0, 3.0, 3.0]]
        >>> try:
        ...     Triple()(np.ones((1, 4)))
        ... except ValueError as error:
        ...     print(str(error)[:60])
        Input 0 with name 'None' of layer 'triple_1' is incompatible
    """

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: int | None = None, max_ndim: int | None = None,
                 min_ndim: int | None = None, axes: dict[int, int | None] | None = None,
                 allow_last_axis_squeeze: bool = False, name: str | None = None, optional: bool = False) -> None:
        self.dtype = None if dtype is None else _dtype_name(dtype)
        if shape is not None:
            self.shape: tuple | None = tuple(None if d is None else int(d) for d in shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim, self.min_ndim, self.name, self.optional = max_ndim, min_ndim, name, optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: axes={axes}") from None
        top = self.ndim if self.ndim else self.max_ndim
        if self.axes and top is not None and max(self.axes) > top - 1:
            raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed value: {top - 1}")

    def __repr__(self) -> str:
        parts = [f"{key}={value}" for key, value in (("dtype", self.dtype), ("shape", self.shape), ("ndim", self.ndim),
                                                     ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
                                                     ("axes", self.axes)) if value]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this spec (Keras's keys; ``name`` and the squeeze flag are not kept)."""
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes, "optional": self.optional}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputSpec:
        """The spec ``get_config`` describes.

        Args:
            config: a dict from ``get_config``.
        """
        return cls(**config)


def _leaves(structure: Any) -> list[Any]:
    """The specs or tensors of a structure, in order (dict values in sorted key order, as Keras flattens)."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in _leaves(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _leaves(item)]
    return [structure]


def assert_input_compatibility(input_spec: Any, inputs: Any, layer_name: str, float_dtype: str | None = None
                               ) -> None:
    """Raise ValueError, in Keras's words, where ``inputs`` (a tensor, or a list or dict of them) do not fit
    ``input_spec`` (one InputSpec, or a structure of them, one per input; None entries check nothing).

    Args:
        input_spec: the layer's input_spec.
        inputs: the first argument of the call.
        layer_name: the layer's name, for the message.
        float_dtype: the dtype a float input is cast to before the call (the layer's compute dtype, when it
            autocasts), which is the dtype checked.
    """
    if not input_spec:
        return
    specs = _leaves(input_spec)
    if isinstance(inputs, dict):
        names = [spec.name for spec in specs if spec is not None]
        if len(names) == len(specs) and all(names):  # named specs: the dict's entries in the specs' order
            for name in names:
                if name not in inputs:
                    raise ValueError(f'Missing data for input "{name}". You passed a data dictionary with keys '
                                     f"{list(inputs)}. Expected the following keys: {names}")
            inputs = [inputs[name] for name in names]
    values = _leaves(inputs)
    if len(values) != len(specs):
        names = [spec.name for spec in specs if spec is not None]
        if len(names) == len(specs) and all(names):
            raise ValueError(f'Layer "{layer_name}" expects {len(specs)} named input(s) with keys {names}, but it '
                             f"received {len(values)} input tensors. Pass inputs as a dict, e.g. `layer({{"
                             + ", ".join(f"'{name}': ..." for name in names) + "})`.")
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(values)} input '
                         f"tensors. Inputs received: {values}")
    for index, (x, spec) in enumerate(zip(values, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            if isinstance(x, (list, tuple, int, float, np.number)):  # numbers become a tensor, as Keras converts
                x = np.asarray(x)
            else:
                raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input for "
                                 f"layer '{layer_name}'.")
        _check_one(spec, x, index, layer_name, float_dtype)


def _check_one(spec: InputSpec, x: Any, index: int, layer_name: str, float_dtype: str | None) -> None:
    """One input against one spec: rank, dtype, the fixed axes, then the full shape."""
    shape = tuple(None if d is None else int(d) for d in x.shape)
    ndim = len(shape)
    head = f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible with the layer: "
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise ValueError(f"{head}expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}")
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(f"{head}expected max_ndim={spec.max_ndim}, found ndim={ndim}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(f"{head}expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: {shape}")
    if spec.dtype is not None:
        dtype = _dtype_name(x.dtype)
        dtype = float_dtype if float_dtype and dtype.startswith("float") else dtype
        if dtype != spec.dtype:
            raise ValueError(f"{head}expected dtype={spec.dtype}, found dtype={dtype}")
    for axis, size in spec.axes.items():
        if size is not None and shape[axis] not in (size, None):
            raise ValueError(f"{head}expected axis {axis} of input shape to have value {size}, but received input "
                             f"with shape {shape}")
    if spec.shape is not None:
        want, got = spec.shape, shape
        if spec.allow_last_axis_squeeze:  # (..., 1) and (...) are the same input here
            got = got[:-1] if got and got[-1] == 1 else got
            want = want[:-1] if want and want[-1] == 1 else want
        for w, g in zip(want, got):
            if w is not None and g is not None and w != g:
                raise ValueError(f"{head}expected shape={spec.shape}, found shape={got}")

"""Layers that only rearrange a batch: Flatten and Reshape (their backward undoes the rearrangement)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .base import LAYERS, Context, Layer, document_keywords


@document_keywords
@LAYERS.register()
class Flatten(Layer):
    """a = x reshaped to (batch, everything else); grad_x = grad_a reshaped back.

    With data_format "channels_first" the channel axis moves last before flattening, as in Keras.

    Args:
        data_format: "channels_last" or "channels_first"; ``None`` for "channels_last".
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Flatten()(np.zeros((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        data_format = "channels_last" if data_format is None else str(data_format).lower()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                             f"Received: data_format={data_format}")
        self.data_format = data_format
        self.built = True

    def _channels_last(self, x: np.ndarray) -> np.ndarray:
        return np.moveaxis(x, 1, -1) if self.data_format == "channels_first" and x.ndim > 2 else x

    def forward(self, x, ctx: Context):
        return self._channels_last(x).reshape(len(x), -1), x.shape

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if self.data_format == "channels_first" and len(saved) > 2:
            moved = (saved[0], *saved[2:], saved[1])
            return np.moveaxis(grad_a.reshape(moved), -1, 1)
        return grad_a.reshape(saved)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


@document_keywords
@LAYERS.register(example={"target_shape": (5, 1)})
class Reshape(Layer):
    """a = x reshaped to (batch, *target_shape) (one entry may be -1); grad_x = grad_a reshaped back.

    Args:
        target_shape: the shape of one sample of the output, without the batch axis (one entry may be -1).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Reshape((2, -1))(np.zeros((5, 6))).shape
        (5, 2, 3)
    """

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        for d in target_shape:  # Keras's checks and messages (nnlite also refuses a dimension that is not an int)
            if isinstance(d, bool) or not isinstance(d, numbers.Integral):
                raise ValueError(f"Each dimension in `target_shape` must be an integer, or `-1` for a single unknown "
                                 f"dimension. Received: target_shape={target_shape}.")
            if d < -1:
                raise ValueError(f"Each dimension in `target_shape` must be a non-negative integer, or `-1` for a "
                                 f"single unknown dimension. Received: target_shape={target_shape}.")
        if sum(d == -1 for d in target_shape) > 1:
            raise ValueError(f"There must be at most one unknown dimension (-1) in `target_shape`. Received: "
                             f"target_shape={target_shape}.")
        self.target_shape = target_shape
        self.built = True

    def forward(self, x, ctx: Context):
        return x.reshape((len(x),) + self.target_shape), x.shape

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a.reshape(saved)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        known = math.prod(d for d in self.target_shape if d != -1)
        if all(d is not None for d in rest) and (math.prod(rest) % known if -1 in self.target_shape
                                                 else math.prod(rest) != known):
            raise ValueError(f"The total size of the tensor must be unchanged. Received: input_shape="
                             f"{tuple(rest)}, target_shape={self.target_shape}")
        if -1 not in self.target_shape:
            return (input_shape[0],) + self.target_shape
        if any(d is None for d in rest):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        return (input_shape[0],) + tuple(math.prod(rest) // known if d == -1 else d for d in self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


@document_keywords
@LAYERS.register(example={"dims": (1,)})
class Permute(Layer):
    """a = x with its non-batch axes reordered: axis i of a is axis dims[i] of x (counted from 1).
    grad_x = grad_a with the inverse order.

    Args:
        dims: the new order of the non-batch axes, a permutation of 1 .. rank.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Permute((2, 1))(np.zeros((5, 3, 4))).shape
        (5, 4, 3)
    """

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                             f"must be consecutive and start from 1. Received dims={dims}")
        self.dims = dims
        self.built = True

    def _check(self, ndim: int) -> None:
        if ndim != len(self.dims) + 1:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: expected ndim="
                             f"{len(self.dims) + 1}, found ndim={ndim}.")

    def compute_output_shape(self, input_shape):
        self._check(len(input_shape))
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def forward(self, x, ctx: Context):
        self._check(x.ndim)
        return np.transpose(x, (0,) + self.dims), None

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return np.transpose(grad_a, np.argsort((0,) + self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


@document_keywords
@LAYERS.register(example={"n": 3})
class RepeatVector(Layer):
    """a[b, k, :] = x[b, :] for k = 1..n: (batch, features) -> (batch, n, features).
    grad_x = grad_a summed over the n copies.

    Args:
        n: how many copies.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.RepeatVector(3)(np.array([[1.0, 2.0]])).shape
        (1, 3, 2)
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = n
        self.built = True

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: expected ndim=2, "
                             f"found ndim={len(input_shape)}. Full shape received: {tuple(input_shape)}")
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, x, ctx: Context):
        self.compute_output_shape(x.shape)
        return np.repeat(x[:, None, :], self.n, axis=1), None

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a.sum(axis=1)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


@document_keywords
@LAYERS.register()
class Identity(Layer):
    """a = x;  grad_x = grad_a.

    Args:
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Identity()(np.array([[1.0, 2.0]]))
        Tensor([[1., 2.]], dtype=float32)
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._build_at_init(Identity)

    def forward(self, x, ctx: Context):
        return x, None

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a

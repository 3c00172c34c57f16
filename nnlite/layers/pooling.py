"""MaxPooling2D and AveragePooling2D: each window of the image reduced to one number (see ``patches``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..docstrings import with_arguments
from .base import LAYERS, Context, Layer, document_keywords
from .patches import col2im, data_format_name, padding_amounts, padding_name, pair, windows

POOL_ARGUMENTS = """\
        pool_size: (ph, pw), the window, or one int for both.
        strides: (sh, sw), the step between windows, or one int; ``None`` for ``pool_size``.
        padding: "valid" (windows inside the image) or "same" (the image padded so that oh = ceil(H / sh), the
            padding taking no part in a window's result).
        data_format: "channels_last" (N, H, W, C) or "channels_first" (N, C, H, W); ``None`` for
            ``config.image_data_format()``.
        name: the layer's name.
"""


class Pooling2D(Layer):
    """The windows' geometry, shapes and config shared by the 2-D poolings; subclasses reduce each window."""

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        pool_size = pair(pool_size, "pool_size")
        strides = pool_size if strides is None else pair(strides, "strides")
        padding, data_format = padding_name(padding), data_format_name(data_format)
        super().__init__(name=name, **kwargs)
        self.pool_size, self.strides, self.padding, self.data_format = pool_size, strides, padding, data_format

    def _geometry(self, h: int, w: int) -> tuple[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]:
        pads = tuple(padding_amounts(size, k, s, 1, self.padding)
                     for size, k, s in zip((h, w), self.pool_size, self.strides))
        out = tuple((size + sum(p) - k) // s + 1 for size, p, k, s in zip((h, w), pads, self.pool_size, self.strides))
        return out, pads

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"{type(self).__name__} {self.name!r} takes inputs of rank 4; got input shape "
                             f"{tuple(input_shape)}.")
        first = self.data_format == "channels_first"
        h, w = (input_shape[2], input_shape[3]) if first else (input_shape[1], input_shape[2])
        out = [None if size is None else self._geometry(size if i == 0 else 1, size if i == 1 else 1)[0][i]
               for i, size in enumerate((h, w))]
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(f"{type(self).__name__} {self.name!r}: the window {self.pool_size} does not fit inputs "
                             f"of shape {tuple(input_shape)} with padding {self.padding!r}.")
        if first:
            return (input_shape[0], input_shape[1], *out)
        return (input_shape[0], *out, input_shape[3])

    def _windows(self, x: np.ndarray, fill: float) -> tuple[np.ndarray, Any]:
        """The windows (N, oh, ow, ph, pw, C) of x in channels-last order, and the geometry for col2im."""
        x = np.moveaxis(x, 1, -1) if self.data_format == "channels_first" else x
        (_, pads) = self._geometry(x.shape[1], x.shape[2])
        return windows(x, self.pool_size, self.strides, (1, 1), pads, fill), (x.shape, pads)

    def _as_output(self, a: np.ndarray) -> np.ndarray:
        return np.moveaxis(a, -1, 1) if self.data_format == "channels_first" else a

    def _channels_last(self, g: np.ndarray) -> np.ndarray:
        return np.moveaxis(g, 1, -1) if self.data_format == "channels_first" else g

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


@with_arguments(POOL_ARGUMENTS, "pool arguments")
@document_keywords
@LAYERS.register("MaxPool2D", example={"pool_size": 2})
class MaxPooling2D(Pooling2D):
    """a[n, i, j, c] = max of the window (i, j) of x[n, :, :, c]  (padding never wins: it is -inf).

    Backward: the window's gradient goes to its largest entry; on a tie, to the first of them in row-major
    order (TensorFlow's rule), and a tap in several windows sums what each gives it:
        grad_x = col2im(grad_a at each window's argmax, zeros elsewhere)

    Args:
        {pool arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> x = np.array([[1.0, 2.0, 0.0, 0.0], [3.0, 4.0, 0.0, 9.0]]).reshape(1, 2, 4, 1)
        >>> nnlite.layers.MaxPooling2D(pool_size=2)(x)[0, :, :, 0].tolist()
        [[4.0, 9.0]]
    """

    def forward(self, x, ctx: Context):
        patches, geometry = self._windows(np.asarray(x), -np.inf)
        n, oh, ow, ph, pw, c = patches.shape
        flat = patches.reshape(n, oh, ow, ph * pw, c)  # (a copy) the taps of a window along one axis
        first = np.argmax(flat, axis=3)  # the first largest tap, (N, oh, ow, C)
        a = np.take_along_axis(flat, first[:, :, :, None, :], axis=3)[:, :, :, 0, :]
        return self._as_output(a), (first, geometry)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        first, (shape, pads) = saved
        g = self._channels_last(grad_a)  # (N, oh, ow, C)
        n, oh, ow, c = g.shape
        ph, pw = self.pool_size
        taps = np.zeros((n, oh, ow, ph * pw, c), dtype=g.dtype)
        np.put_along_axis(taps, first[:, :, :, None, :], g[:, :, :, None, :], axis=3)
        return self._as_output(col2im(taps.reshape(n, oh, ow, ph, pw, c), shape, self.strides, (1, 1), pads))


@with_arguments(POOL_ARGUMENTS, "pool arguments")
@document_keywords
@LAYERS.register("AvgPool2D", example={"pool_size": 2})
class AveragePooling2D(Pooling2D):
    """a[n, i, j, c] = mean of the window (i, j) of x[n, :, :, c] over the taps inside the image (padding is not
    counted, as in TensorFlow).

    Backward: each tap of a window gets grad_a / (the window's count of taps inside the image):
        grad_x = col2im(grad_a / count, spread over every tap)

    Args:
        {pool arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> x = np.array([[1.0, 2.0, 0.0, 0.0], [3.0, 4.0, 0.0, 9.0]]).reshape(1, 2, 4, 1)
        >>> nnlite.layers.AveragePooling2D(pool_size=2)(x)[0, :, :, 0].tolist()
        [[2.5, 2.25]]
    """

    def _counts(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """How many taps of each window lie inside the image (channels-last ``shape``), (1, oh, ow, 1)."""
        _, pads = self._geometry(shape[1], shape[2])
        ones = windows(np.ones((1, shape[1], shape[2], 1), dtype=dtype), self.pool_size, self.strides, (1, 1), pads)
        return ones.sum(axis=(3, 4))

    def forward(self, x, ctx: Context):
        x = np.asarray(x)
        patches, geometry = self._windows(x, 0.0)
        count = self._counts(geometry[0], x.dtype)
        a = patches.sum(axis=(3, 4)) / count
        return self._as_output(a), (count, geometry)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        count, (shape, pads) = saved
        g = self._channels_last(grad_a) / count  # (N, oh, ow, C)
        n, oh, ow, c = g.shape
        taps = np.broadcast_to(g[:, :, :, None, None, :], (n, oh, ow, *self.pool_size, c))
        return self._as_output(col2im(taps, shape, self.strides, (1, 1), pads))

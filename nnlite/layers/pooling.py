"""MaxPooling1D/2D/3D and AveragePooling1D/2D/3D: each window reduced to one number (see ``patches``); a
sequence (N, L, C) is pooled as the image (N, 1, L, C); a volume (N, D, H, W, C) tap by tap over its three axes."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..docstrings import with_arguments
from .base import LAYERS, Context, Layer, document_keywords
from .patches import cache_sized, col2im, data_format_name, padding_amounts, padding_name, taps, window_tuple, windows

POOL_ARGUMENTS = """\
        pool_size: the window: one int, or one per spatial axis.
        strides: the step between windows: one int, or one per spatial axis; ``None`` for ``pool_size``.
        padding: "valid" (windows inside the input) or "same" (the input padded so that each output length is
            ceil(length / stride), the padding taking no part in a window's result).
        data_format: "channels_last" (batch, ..., channels) or "channels_first" (batch, channels, ...); ``None``
            for ``config.image_data_format()``.
        name: the layer's name.
"""


class Pooling(Layer):
    """The windows' geometry, shapes and config shared by the poolings (``rank`` 1, 2 or 3); subclasses reduce each
    window."""

    rank = 2

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        pool_size = self._tuple(pool_size, "pool_size")
        strides = pool_size if strides is None else self._tuple(strides, "strides")
        padding, data_format = padding_name(padding), data_format_name(data_format)
        super().__init__(name=name, **kwargs)
        self.pool_size, self.strides, self.padding, self.data_format = pool_size, strides, padding, data_format
        self.window, self.step = (1,) * (2 - self.rank) + pool_size, (1,) * (2 - self.rank) + strides
        self._build_at_init(Pooling)

    def _tuple(self, value: Any, name: str) -> tuple[int, ...]:
        return window_tuple(value, name, self.rank)

    def _geometry(self, *sizes: int) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
        """(windows per spatial axis, (before, after) padding per axis) for an input of these spatial sizes."""
        pads = tuple(padding_amounts(size, k, s, 1, self.padding) for size, k, s in zip(sizes, self.window, self.step))
        out = tuple((size + sum(p) - k) // s + 1 for size, p, k, s in zip(sizes, pads, self.window, self.step))
        return out, pads

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} {self.name!r} takes inputs of rank {self.rank + 2}; got input "
                             f"shape {tuple(input_shape)}.")
        first = self.data_format == "channels_first"
        spatial = tuple(input_shape[2:]) if first else tuple(input_shape[1:-1])
        image = (1,) * (2 - self.rank) + spatial
        geometry = self._geometry(*(1 if d is None else d for d in image))[0]
        out = tuple(None if d is None else o for d, o in zip(image, geometry))[len(image) - self.rank:]
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(f"Computed output size would be zero or negative. Received: `inputs.shape="
                             f"{tuple(input_shape)}`, `pool_size={self.pool_size}`, `strides={self.strides}`, "
                             f"`padding={self.padding}`.")
        if first:
            return (input_shape[0], input_shape[1], *out)
        return (input_shape[0], *out, input_shape[-1])

    def _windows(self, x: np.ndarray, fill: float) -> tuple[np.ndarray, Any]:
        """The windows (N, oh, ow, ph, pw, C) of x seen as a channels-last image, and the geometry for col2im."""
        x = self._channels_last(x)
        (_, pads) = self._geometry(x.shape[1], x.shape[2])
        return windows(x, self.window, self.step, (1, 1), pads, fill), (x.shape, pads)

    def _as_output(self, a: np.ndarray) -> np.ndarray:
        """An image (N, H, W, C) in the layer's own layout."""
        a = a[:, 0] if self.rank == 1 else a
        return np.moveaxis(a, -1, 1) if self.data_format == "channels_first" else a

    def _channels_last(self, g: np.ndarray) -> np.ndarray:
        """An input (or a gradient at the output) as an image (N, H, W, C)."""
        g = np.moveaxis(g, 1, -1) if self.data_format == "channels_first" else g
        return g[:, None] if self.rank == 1 else g

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


@with_arguments(POOL_ARGUMENTS, "pool arguments")
@document_keywords
@LAYERS.register("MaxPool2D", example={"pool_size": 2})
class MaxPooling2D(Pooling):
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
        x = self._channels_last(np.asarray(x))
        (oh, ow), pads = self._geometry(x.shape[1], x.shape[2])
        padded = np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=-np.inf) if any(sum(pads, ())) else x
        reads = [padded[where] for _, _, where in taps(self.window, self.step, (1, 1), (oh, ow))]  # views
        a = reads[0].copy()
        for read in reads[1:]:
            np.maximum(a, read, out=a)  # a = the max over the window's taps, one tap at a time
        return self._as_output(a), (padded, a, x.shape, pads)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        padded, a, shape, pads = saved
        g = self._channels_last(grad_a)  # (N, oh, ow, C)
        grad = np.zeros(padded.shape, dtype=g.dtype)
        for rows in cache_sized(padded):  # a few images at a time: their taps are read again while in cache
            self._route(padded[rows], a[rows], g[rows], grad[rows])
        (top, _), (left, _) = pads
        return self._as_output(grad[:, top:top + shape[1], left:left + shape[2], :])

    def _route(self, padded: np.ndarray, a: np.ndarray, g: np.ndarray, grad: np.ndarray) -> None:
        """grad[the first argmax of each window] += g, for the windows of a few images (grad written in place)."""
        apart = all(k <= s for k, s in zip(self.window, self.step))  # no tap in two windows: written, not added
        unclaimed = None  # windows whose max has not been found yet (all, before the first tap)
        for _, _, where in taps(self.window, self.step, (1, 1), a.shape[1:3]):  # row-major: the first max wins
            hit = padded[where] == a
            if unclaimed is None:
                unclaimed = ~hit
            else:
                hit &= unclaimed
                unclaimed ^= hit  # hit lies within unclaimed: this removes it
            if apart:
                np.multiply(g, hit, out=grad[where])
            else:
                grad[where] += g * hit


class _SizeRequired(Pooling):
    """Keras's average poolings take no default window: ``pool_size`` must be given."""

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid", data_format: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


@with_arguments(POOL_ARGUMENTS, "pool arguments")
@document_keywords
@LAYERS.register("AvgPool2D", example={"pool_size": 2})
class AveragePooling2D(_SizeRequired):
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
        ones = windows(np.ones((1, shape[1], shape[2], 1), dtype=dtype), self.window, self.step, (1, 1), pads)
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
        taps = np.broadcast_to(g[:, :, :, None, None, :], (n, oh, ow, *self.window, c))
        return self._as_output(col2im(taps, shape, self.step, (1, 1), pads))


@with_arguments(POOL_ARGUMENTS, "pool arguments")
@document_keywords
@LAYERS.register("MaxPool1D", example={"pool_size": 2})
class MaxPooling1D(MaxPooling2D):
    """a[n, t, c] = max of the window t of x[n, :, c]; the gradient goes to the window's first largest entry
    (MaxPooling2D on the sequence seen as a one-row image).

    Args:
        {pool arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.MaxPooling1D(pool_size=2)(np.array([1.0, 3.0, 2.0, 0.0]).reshape(1, 4, 1))[0, :, 0].tolist()
        [3.0, 2.0]
    """

    rank = 1


@with_arguments(POOL_ARGUMENTS, "pool arguments")
@document_keywords
@LAYERS.register("AvgPool1D", example={"pool_size": 2})
class AveragePooling1D(AveragePooling2D):
    """a[n, t, c] = mean of the window t of x[n, :, c] over the steps inside the sequence (AveragePooling2D on the
    sequence seen as a one-row image).

    Args:
        {pool arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> x = np.array([1.0, 3.0, 2.0, 0.0]).reshape(1, 4, 1)
        >>> nnlite.layers.AveragePooling1D(pool_size=2)(x)[0, :, 0].tolist()
        [2.0, 1.0]
    """

    rank = 1


def _padded(x: np.ndarray, pads: tuple[tuple[int, int], ...], fill: float) -> np.ndarray:
    """x (N, D, H, W, C) with ``pads`` (before, after) along its three spatial axes, filled with ``fill``."""
    return np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=fill) if any(sum(pads, ())) else x


def volume_taps(window: tuple[int, ...], step: tuple[int, ...], out: tuple[int, ...]) -> list[tuple[slice, ...]]:
    """For each tap of a window (row-major over depth, rows, columns), the index of x_pad (N, D, H, W, C) giving the
    (N, od, oh, ow, C) entries it reads in every window."""
    return [(slice(None), *(slice(a, a + s * (o - 1) + 1, s) for a, s, o in zip(offset, step, out)), slice(None))
            for offset in np.ndindex(*window)]


class Pooling3D(Pooling):
    """The 3-D poolings' windows, taken tap by tap over a volume (N, D, H, W, C) padded as ``pads`` say."""

    rank = 3

    def _volume(self, x: np.ndarray, fill: float) -> tuple[np.ndarray, tuple[int, ...], tuple[tuple[int, int], ...]]:
        """x channels last, padded with ``fill``; the windows per axis; the padding per axis."""
        x = self._channels_last(np.asarray(x))
        out, pads = self._geometry(*x.shape[1:4])
        return _padded(x, pads, fill), out, pads

    def _unpadded(self, grad: np.ndarray, pads: tuple[tuple[int, int], ...]) -> np.ndarray:
        (d0, d1), (h0, h1), (w0, w1) = pads
        return self._as_output(grad[:, d0:grad.shape[1] - d1, h0:grad.shape[2] - h1, w0:grad.shape[3] - w1, :])


@with_arguments(POOL_ARGUMENTS, "pool arguments")
@document_keywords
@LAYERS.register("MaxPool3D", example={"pool_size": 2})
class MaxPooling3D(Pooling3D):
    """a[n, i, j, k, c] = max of the window (i, j, k) of x[n, :, :, :, c]  (padding never wins: it is -inf).

    Backward: the window's gradient goes to its largest entry, on a tie to every entry equal to the max
    (TensorFlow's rule for 3-D pooling, unlike its 2-D one), and a tap in several windows sums what each gives it:
        grad_x = col2im(grad_a where the tap equals its window's max, zeros elsewhere)

    Args:
        {pool arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> x = np.arange(8.0).reshape(1, 2, 2, 2, 1)
        >>> nnlite.layers.MaxPooling3D(pool_size=2)(x)[0, :, :, :, 0].tolist()
        [[[7.0]]]
    """

    def forward(self, x, ctx: Context):
        padded, out, pads = self._volume(x, -np.inf)
        reads = [padded[index] for index in volume_taps(self.window, self.step, out)]  # views, one per tap
        a = reads[0].copy()
        for read in reads[1:]:
            np.maximum(a, read, out=a)  # a = the max over the window's taps, one tap at a time
        return self._as_output(a), (padded, a, pads)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        padded, a, pads = saved
        g = self._channels_last(grad_a)  # (N, od, oh, ow, C)
        grad = np.zeros(padded.shape, dtype=g.dtype)
        for index in volume_taps(self.window, self.step, a.shape[1:4]):
            grad[index] += g * (padded[index] == a)  # every tap equal to its window's max
        return self._unpadded(grad, pads)


@with_arguments(POOL_ARGUMENTS, "pool arguments")
@document_keywords
@LAYERS.register("AvgPool3D", example={"pool_size": 2})
class AveragePooling3D(_SizeRequired, Pooling3D):
    """a[n, i, j, k, c] = mean of the window (i, j, k) of x[n, :, :, :, c] over the taps inside the volume (padding
    is not counted, as in TensorFlow).

    Backward: each tap of a window gets grad_a / (the window's count of taps inside the volume):
        grad_x = col2im(grad_a / count, spread over every tap)

    Args:
        {pool arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> volume = np.arange(16.0).reshape(1, 2, 2, 4, 1)  # two 2 x 2 x 2 windows along the columns
        >>> nnlite.layers.AveragePooling3D(pool_size=2)(volume)[0, 0, 0, :, 0].tolist()
        [6.5, 8.5]
    """

    def forward(self, x, ctx: Context):
        padded, out, pads = self._volume(x, 0.0)
        volume = tuple(size - sum(p) for size, p in zip(padded.shape[1:4], pads))
        inside = _padded(np.ones((1, *volume, 1), padded.dtype), pads, 0.0)  # 1 inside the volume, 0 in the padding
        total, count = 0.0, 0.0
        for index in volume_taps(self.window, self.step, out):
            total = total + padded[index]  # the sum over the window's taps, one tap at a time
            count = count + inside[index]  # how many of them lie inside the volume, (1, od, oh, ow, 1)
        return self._as_output(total / count), (count, padded.shape, pads)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        count, shape, pads = saved
        g = self._channels_last(grad_a) / count  # (N, od, oh, ow, C)
        grad = np.zeros(shape, dtype=g.dtype)
        for index in volume_taps(self.window, self.step, g.shape[1:4]):
            grad[index] += g  # every tap of a window gets its share
        return self._unpadded(grad, pads)

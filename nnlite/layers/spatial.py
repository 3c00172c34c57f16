"""Layers that change an image's size without weights: ZeroPadding2D, Cropping2D, UpSampling2D, and the global
poolings GlobalMaxPooling1D/2D and GlobalAveragePooling2D. Each backward pass is the transpose of its forward map."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..docstrings import with_arguments
from .base import LAYERS, Context, Layer, document_keywords
from .patches import data_format_name, pair, window_tuple

Margins = tuple[tuple[int, int], ...]
ORDINALS = ("1st", "2nd", "3rd")


def margins(value: Any, name: str, rank: int = 2) -> Margins:
    """(before, after) per spatial axis, ((top, bottom), (left, right)) for an image, from an int, one int per axis
    (symmetric) or one pair per axis (Keras's forms)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value!r}.")
        return ((int(value), int(value)),) * rank
    if hasattr(value, "__len__") and len(value) == rank:
        return tuple(pair(v, f"{ORDINALS[k]} entry of {name}", allow_zero=True) for k, v in enumerate(value))
    if rank == 3:
        raise ValueError(f"`{name}` should be either an int, a tuple of 3 ints (symmetric_dim1_pad, "
                         f"symmetric_dim2_pad, symmetric_dim3_pad), or a tuple of 3 tuples of 2 ints. Received: "
                         f"{name}={value!r}.")
    raise ValueError(f"`{name}` should be either an int, a tuple of 2 ints (symmetric_height, symmetric_width), or a "
                     f"tuple of 2 tuples of 2 ints ((top, bottom), (left, right)). Received: {name}={value!r}.")


class Spatial(Layer):
    """A sequence or image layer without weights: the data format and the spatial axes of its inputs (``rank`` of
    them: steps, or rows and columns)."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        data_format = data_format_name(data_format)
        super().__init__(**kwargs)
        self.data_format = data_format

    rank = 2  # spatial axes: 1 for sequences (batch, steps, channels)

    @property
    def spatial_axes(self) -> tuple[int, ...]:
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

    def check_rank(self, input_shape: Any) -> None:
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} {self.name!r} takes inputs of rank {self.rank + 2}; got input "
                             f"shape {tuple(input_shape)}.")

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


@document_keywords
@LAYERS.register(example={"padding": 1})
class ZeroPadding2D(Spatial):
    """a = x with rows of zeros above and below and columns of zeros left and right;  grad_x = grad_a without them.

    Args:
        padding: an int for every side, (rows, columns) for symmetric padding, or ((top, bottom), (left, right)).
        data_format: "channels_last" or "channels_first"; ``None`` for ``config.image_data_format()``.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.ZeroPadding2D(((1, 0), (0, 1)))(np.ones((1, 1, 1, 1)))[0, :, :, 0].tolist()
        [[0.0, 0.0], [1.0, 0.0]]
    """

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any) -> None:
        padding = margins(padding, "padding", self.rank)
        super().__init__(data_format, **kwargs)
        self.padding = self.margins = padding  # (before, after) for each spatial axis

    def compute_output_shape(self, input_shape):
        self.check_rank(input_shape)
        shape = list(input_shape)
        for axis, (before, after) in zip(self.spatial_axes, self.margins):
            shape[axis] = None if shape[axis] is None else shape[axis] + before + after
        return tuple(shape)

    def _widths(self) -> list[tuple[int, int]]:
        widths = [(0, 0)] * (self.rank + 2)
        for axis, margin in zip(self.spatial_axes, self.margins):
            widths[axis] = margin
        return widths

    def forward(self, x, ctx: Context):
        return np.pad(np.asarray(x), self._widths()), np.shape(x)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        index = tuple(slice(before, before + size) for (before, _), size in zip(self._widths(), saved))
        return grad_a[index] if need_grad_x else None

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@document_keywords
@LAYERS.register(example={"cropping": 1})
class Cropping2D(Spatial):
    """a = x without ``cropping`` rows above and below and columns left and right;  grad_x = grad_a padded back with
    zeros.

    Args:
        cropping: an int for every side, (rows, columns) for symmetric cropping, or ((top, bottom), (left, right)).
        data_format: "channels_last" or "channels_first"; ``None`` for ``config.image_data_format()``.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
        >>> nnlite.layers.Cropping2D(((1, 0), (0, 1)))(x)[0, :, :, 0].tolist()
        [[3.0, 4.0], [6.0, 7.0]]
    """

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any) -> None:
        cropping = margins(cropping, "cropping", self.rank)
        super().__init__(data_format, **kwargs)
        self.cropping = self.margins = cropping  # (before, after) for each spatial axis

    def compute_output_shape(self, input_shape):
        self.check_rank(input_shape)
        shape = list(input_shape)
        for axis, (before, after) in zip(self.spatial_axes, self.margins):
            if shape[axis] is not None and before + after >= shape[axis] and self.rank == 1:
                raise ValueError(f"`cropping` parameter of `Cropping1D` layer must be smaller than the input length. "
                                 f"Received: input_shape={tuple(input_shape)}, cropping={self.cropping}")
            if shape[axis] is not None and before + after >= shape[axis]:
                raise ValueError("Values in `cropping` argument should be smaller than the corresponding spatial "
                                 f"dimension of the input. Received: input_shape={tuple(input_shape)}, "
                                 f"cropping={self.cropping}")
            shape[axis] = None if shape[axis] is None else shape[axis] - before - after
        return tuple(shape)

    def _index(self, shape: tuple[int, ...]) -> tuple[slice, ...]:
        index = [slice(None)] * (self.rank + 2)
        for axis, (before, after) in zip(self.spatial_axes, self.margins):
            index[axis] = slice(before, shape[axis] - after)
        return tuple(index)

    def forward(self, x, ctx: Context):
        x = np.asarray(x)
        self.compute_output_shape(x.shape)
        return x[self._index(x.shape)], x.shape

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        grad = np.zeros(saved, dtype=grad_a.dtype)
        grad[self._index(saved)] = grad_a
        return grad

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


def bilinear_matrix(size: int, factor: int, dtype: Any) -> np.ndarray:
    """M (size * factor, size): output entry i of a bilinear upsampling is sum_j M[i, j] x[j], with TensorFlow's
    half-pixel rule: s = (i + 1/2) / factor - 1/2, weight 1 - (s - floor s) on max(floor s, 0) and s - floor s on
    min(ceil s, size - 1) (the edges repeat)."""
    i = np.arange(size * factor)
    s = (i + 0.5) / factor - 0.5
    lerp = s - np.floor(s)
    m = np.zeros((size * factor, size))
    np.add.at(m, (i, np.maximum(np.floor(s), 0).astype(np.int64)), 1 - lerp)
    np.add.at(m, (i, np.minimum(np.ceil(s), size - 1).astype(np.int64)), lerp)
    return m.astype(dtype, copy=False)


@document_keywords
@LAYERS.register(example={"size": 2})
class UpSampling2D(Spatial):
    """a = x with each row repeated size[0] times and each column size[1] times (nearest neighbour);
    grad_x = grad_a summed over each size[0] x size[1] block.

    With ``interpolation="bilinear"`` each channel is a = R x C^T, R and C the interpolation matrices of the rows
    and columns (``bilinear_matrix``: TensorFlow's half-pixel rule); grad_x = R^T grad_a C.

    Args:
        size: (rows, columns) factors, or one int for both.
        data_format: "channels_last" or "channels_first"; ``None`` for ``config.image_data_format()``.
        interpolation: "nearest" or "bilinear"; Keras's "bicubic" and "lanczos" kernels are not supported.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.UpSampling2D(2)(np.array([1.0, 2.0]).reshape(1, 1, 2, 1))[0, :, :, 0].tolist()
        [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]
        >>> smooth = nnlite.layers.UpSampling2D((1, 2), interpolation="bilinear")
        >>> smooth(np.array([1.0, 2.0]).reshape(1, 1, 2, 1))[0, 0, :, 0].tolist()
        [1.0, 1.25, 1.75, 2.0]
    """

    def __init__(self, size: Any = (2, 2), data_format: str | None = None, interpolation: str = "nearest",
                 **kwargs: Any) -> None:
        size = pair(size, "size")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"nnlite's UpSampling2D interpolates 'nearest' or 'bilinear'; got "
                             f"interpolation={interpolation!r} (Keras's 'bicubic' and 'lanczos' kernels are not "
                             "supported).")
        super().__init__(data_format, **kwargs)
        self.size, self.interpolation, self.factors = size, interpolation, size

    def compute_output_shape(self, input_shape):
        self.check_rank(input_shape)
        shape = list(input_shape)
        for axis, factor in zip(self.spatial_axes, self.factors):
            shape[axis] = None if shape[axis] is None else shape[axis] * factor
        return tuple(shape)

    def forward(self, x, ctx: Context):
        a = np.asarray(x)
        if self.interpolation == "bilinear":  # per axis: a <- M a along it, M = bilinear_matrix (kept for backward)
            matrices = [bilinear_matrix(a.shape[axis], factor, a.dtype)
                        for axis, factor in zip(self.spatial_axes, self.factors)]
            for axis, m in zip(self.spatial_axes, matrices):
                a = np.moveaxis(np.tensordot(m, a, axes=([1], [axis])), 0, axis)
            return a, matrices
        for axis, factor in zip(self.spatial_axes, self.factors):
            a = np.repeat(a, factor, axis=axis)
        return a, None

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        g = grad_a
        if saved is not None:  # bilinear: per axis g <- M^T g along it, M the forward pass's
            for axis, m in zip(self.spatial_axes, saved):
                g = np.moveaxis(np.tensordot(m.T, g, axes=([1], [axis])), 0, axis)
            return g
        for axis, factor in zip(self.spatial_axes, self.factors):
            shape = list(g.shape)
            g = g.reshape(shape[:axis] + [shape[axis] // factor, factor] + shape[axis + 1:]).sum(axis=axis + 1)
        return g  # each block of copies summed back into the entry it repeats

    def get_config(self):
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}


class GlobalPooling(Spatial):
    """Reduces the rows and columns of each channel to one number."""

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(data_format, **kwargs)
        self.keepdims = bool(keepdims)
        self._build_at_init(GlobalPooling)

    def compute_output_shape(self, input_shape):
        self.check_rank(input_shape)
        if self.keepdims:
            return tuple(1 if i in self.spatial_axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in self.spatial_axes)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


GLOBAL_ARGUMENTS = """\
        data_format: "channels_last" (N, H, W, C) or "channels_first" (N, C, H, W); ``None`` for
            ``config.image_data_format()``.
        keepdims: keep the rows and columns as axes of length 1.
"""


@with_arguments(GLOBAL_ARGUMENTS, "global arguments")
@document_keywords
@LAYERS.register()
class GlobalMaxPooling2D(GlobalPooling):
    """a[n, c] = max over the rows and columns of x[n, :, :, c];  grad_x = grad_a shared equally among the entries
    equal to the max (TensorFlow's reduce_max rule).

    Args:
        {global arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.GlobalMaxPooling2D()(np.arange(8.0).reshape(1, 2, 2, 2)).tolist()
        [[6.0, 7.0]]
    """

    def forward(self, x, ctx: Context):
        x = np.asarray(x)
        a = np.max(x, axis=self.spatial_axes, keepdims=True)
        return (a if self.keepdims else np.squeeze(a, self.spatial_axes)), (x, a)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        x, a = saved
        hits = (x == a).astype(grad_a.dtype)
        g = grad_a if self.keepdims else np.expand_dims(grad_a, self.spatial_axes)
        return g * hits / np.sum(hits, axis=self.spatial_axes, keepdims=True)


@with_arguments(GLOBAL_ARGUMENTS, "global arguments")
@document_keywords
@LAYERS.register()
class GlobalAveragePooling2D(GlobalPooling):
    """a[n, c] = mean over the rows and columns of x[n, :, :, c];  grad_x = grad_a / (H W) at every entry.

    Args:
        {global arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.GlobalAveragePooling2D()(np.arange(8.0).reshape(1, 2, 2, 2)).tolist()
        [[3.0, 4.0]]
    """

    def forward(self, x, ctx: Context):
        x = np.asarray(x)
        a = np.mean(x, axis=self.spatial_axes, keepdims=self.keepdims)
        return a, x.shape

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        g = grad_a if self.keepdims else np.expand_dims(grad_a, self.spatial_axes)
        count = int(np.prod([saved[axis] for axis in self.spatial_axes]))
        return np.broadcast_to(g / count, saved).copy()


@with_arguments(GLOBAL_ARGUMENTS.replace("rows and columns", "steps").replace("(N, H, W, C)", "(N, L, C)").replace(
    "(N, C, H, W)", "(N, C, L)"), "global arguments")
@document_keywords
@LAYERS.register()
class GlobalMaxPooling1D(GlobalMaxPooling2D):
    """a[n, c] = max over the steps of x[n, :, c];  grad_x = grad_a shared equally among the steps equal to the max.

    Args:
        {global arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.GlobalMaxPooling1D()(np.array([[[1.0, 5.0], [3.0, 2.0]]])).tolist()
        [[3.0, 5.0]]
    """

    rank = 1


@document_keywords
@LAYERS.register(example={"padding": 1})
class ZeroPadding1D(ZeroPadding2D):
    """a = x with ``padding`` steps of zeros before and after;  grad_x = grad_a without them.

    Args:
        padding: an int for both ends, or (before, after).
        data_format: "channels_last" (batch, steps, channels) or "channels_first"; ``None`` for
            ``config.image_data_format()``.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.ZeroPadding1D((1, 2))(np.ones((1, 2, 1)))[0, :, 0].tolist()
        [0.0, 1.0, 1.0, 0.0, 0.0]
    """

    rank = 1

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any) -> None:
        padding = pair(padding, "padding", allow_zero=True)
        Spatial.__init__(self, data_format, **kwargs)
        self.padding, self.margins = padding, (padding,)


@document_keywords
@LAYERS.register(example={"cropping": 1})
class Cropping1D(Cropping2D):
    """a = x without ``cropping`` steps at each end;  grad_x = grad_a padded back with zeros.

    Args:
        cropping: an int for both ends, or (before, after).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Cropping1D((1, 0))(np.arange(3.0).reshape(1, 3, 1))[0, :, 0].tolist()
        [1.0, 2.0]
    """

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        cropping = pair(cropping, "cropping", allow_zero=True)
        Spatial.__init__(self, "channels_last", **kwargs)
        self.cropping, self.margins = cropping, (cropping,)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


@document_keywords
@LAYERS.register(example={"size": 2})
class UpSampling1D(UpSampling2D):
    """a = x with each step repeated ``size`` times;  grad_x = grad_a summed over each step's copies.

    Args:
        size: how many times each step is repeated.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.UpSampling1D(2)(np.array([1.0, 2.0]).reshape(1, 2, 1))[0, :, 0].tolist()
        [1.0, 1.0, 2.0, 2.0]
    """

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        Spatial.__init__(self, "channels_last", **kwargs)
        self.size, self.factors, self.interpolation = size, (size,), "nearest"

    def get_config(self):
        config = {**Spatial.get_config(self), "size": self.size}
        del config["data_format"]
        return config


@document_keywords
@LAYERS.register(example={"padding": 1})
class ZeroPadding3D(ZeroPadding2D):
    """a = x with zeros before and after along depth, rows and columns;  grad_x = grad_a without them.

    Args:
        padding: an int for every side, three ints (symmetric per axis), or three (before, after) pairs.
        data_format: "channels_last" (N, D, H, W, C) or "channels_first" (N, C, D, H, W); ``None`` for
            ``config.image_data_format()``.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.ZeroPadding3D(((1, 0), (0, 0), (0, 1)))(np.ones((1, 1, 1, 1, 1)))[0, :, 0, :, 0].tolist()
        [[0.0, 0.0], [1.0, 0.0]]
    """

    rank = 3

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(padding, data_format, **kwargs)


@document_keywords
@LAYERS.register(example={"cropping": 1})
class Cropping3D(Cropping2D):
    """a = x without ``cropping`` entries before and after along depth, rows and columns;  grad_x = grad_a padded
    back with zeros.

    Args:
        cropping: an int for every side, three ints (symmetric per axis), or three (before, after) pairs.
        data_format: "channels_last" (N, D, H, W, C) or "channels_first" (N, C, D, H, W); ``None`` for
            ``config.image_data_format()``.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> x = np.arange(8.0).reshape(1, 2, 2, 2, 1)
        >>> nnlite.layers.Cropping3D(((1, 0), (0, 1), (0, 0)))(x)[0, :, :, :, 0].tolist()
        [[[4.0, 5.0]]]
    """

    rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(cropping, data_format, **kwargs)


@document_keywords
@LAYERS.register(example={"size": 2})
class UpSampling3D(UpSampling2D):
    """a = x with each entry repeated size[0], size[1], size[2] times along depth, rows and columns;  grad_x =
    grad_a summed over each block of copies.

    Args:
        size: (depth, rows, columns) factors, or one int for all three.
        data_format: "channels_last" (N, D, H, W, C) or "channels_first" (N, C, D, H, W); ``None`` for
            ``config.image_data_format()``.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.UpSampling3D((1, 1, 2))(np.array([1.0, 2.0]).reshape(1, 1, 1, 2, 1))[0, 0, 0, :, 0].tolist()
        [1.0, 1.0, 2.0, 2.0]
    """

    rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any) -> None:
        size = window_tuple(size, "size", 3)
        Spatial.__init__(self, data_format, **kwargs)
        self.size, self.factors, self.interpolation = size, size, "nearest"

    def get_config(self):
        return {**Spatial.get_config(self), "size": self.size}


GLOBAL_3D_ARGUMENTS = GLOBAL_ARGUMENTS.replace("rows and columns", "depth, rows and columns").replace(
    "(N, H, W, C)", "(N, D, H, W, C)").replace("(N, C, H, W)", "(N, C, D, H, W)")


@with_arguments(GLOBAL_3D_ARGUMENTS, "global arguments")
@document_keywords
@LAYERS.register()
class GlobalMaxPooling3D(GlobalMaxPooling2D):
    """a[n, c] = max over the depth, rows and columns of x[n, :, :, :, c];  grad_x = grad_a shared equally among
    the entries equal to the max.

    Args:
        {global arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.GlobalMaxPooling3D()(np.arange(8.0).reshape(1, 2, 2, 1, 2)).tolist()
        [[6.0, 7.0]]
    """

    rank = 3


@with_arguments(GLOBAL_3D_ARGUMENTS, "global arguments")
@document_keywords
@LAYERS.register()
class GlobalAveragePooling3D(GlobalAveragePooling2D):
    """a[n, c] = mean over the depth, rows and columns of x[n, :, :, :, c];  grad_x = grad_a / (D H W) at every
    entry.

    Args:
        {global arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.GlobalAveragePooling3D()(np.arange(8.0).reshape(1, 2, 2, 1, 2)).tolist()
        [[3.0, 4.0]]
    """

    rank = 3

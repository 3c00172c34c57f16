"""Conv1D and Conv2D: a convolution as one matrix product over the input's patches (im2col, see ``patches``).

A 1-D input (N, L, C) is the image (N, 1, L, C): one code path, the kernel (k, C, F) read as (1, k, C, F)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import regularizers
from ..docstrings import with_arguments
from .base import LAYERS, Context, document_keywords
from .core import KernelLayer
from .patches import (
    col2im,
    col2im_product,
    data_format_name,
    im2col,
    padding_amounts,
    padding_name,
    pair,
    row_sums,
    window_tuple,
)


class Conv(KernelLayer):
    """The convolution both Conv1D and Conv2D compute (see the module); ``rank`` is 1 or 2."""

    rank = 2


    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, lora_rank: int | None = None,
                 lora_alpha: float | None = None, **kwargs: Any) -> None:
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters!r}.")
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. Received: groups={groups!r}.")
        if filters % groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of groups. Received: "
                             f"groups={groups}, filters={filters}.")
        if lora_rank is not None:
            raise ValueError(f"nnlite's {type(self).__name__} has no lora_rank; got lora_rank={lora_rank!r}.")
        kernel_size, strides = self._tuple(kernel_size, "kernel_size"), self._tuple(strides, "strides")
        dilation_rate = self._tuple(dilation_rate, "dilation_rate")
        if max(strides) > 1 and max(dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                             f"strides={strides} and dilation_rate={dilation_rate}")
        causal = self.rank == 1 and str(padding).lower() == "causal"
        padding, data_format = "causal" if causal else padding_name(padding), data_format_name(data_format)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters, self.kernel_size, self.strides, self.padding = int(filters), kernel_size, strides, padding
        self.data_format, self.dilation_rate, self.groups = data_format, dilation_rate, int(groups)
        # the window as an image's: a 1-D kernel k is (1, k)
        self.window, self.step, self.spread = ((1,) * (2 - self.rank) + kernel_size, (1,) * (2 - self.rank) + strides,
                                               (1,) * (2 - self.rank) + dilation_rate)
        self.set_kernel_settings(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                 bias_regularizer, kernel_constraint, bias_constraint)
        self.lora_rank, self.lora_alpha = None, lora_alpha
        self.kernel = None
        self.bias = None

    # -- shapes -------------------------------------------------------------------------------------------------
    def _tuple(self, value: Any, name: str) -> tuple[int, ...]:
        return window_tuple(value, name, self.rank)

    def _image_shape(self, input_shape: Any) -> tuple[Any, Any, Any]:
        """(H, W, C) of inputs of ``input_shape`` (batch first) seen as images, whatever the data format."""
        if len(input_shape) != self.rank + 2:
            axes = "steps, channels" if self.rank == 1 else "rows, columns, channels"
            raise ValueError(f"{type(self).__name__} {self.name!r} takes inputs of rank {self.rank + 2} "
                             f"(batch, {axes}); got input shape {tuple(input_shape)}.")
        first = self.data_format == "channels_first"
        spatial = tuple(input_shape[2:]) if first else tuple(input_shape[1:-1])
        return (*((1,) * (2 - self.rank) + spatial), input_shape[1] if first else input_shape[-1])

    def _geometry(self, h: int, w: int) -> tuple[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]:
        """(oh, ow) and the padding ((top, bottom), (left, right)) for an H x W image ("causal": all on the left)."""
        if self.padding == "causal":
            pads = ((0, 0), ((self.window[1] - 1) * self.spread[1], 0))
        else:
            pads = tuple(padding_amounts(size, k, s, d, self.padding)
                         for size, k, s, d in zip((h, w), self.window, self.step, self.spread))
        out = tuple((size + sum(p) - (k - 1) * d - 1) // s + 1
                    for size, p, k, s, d in zip((h, w), pads, self.window, self.step, self.spread))
        return out, pads

    def build(self, input_shape):
        h, w, c = self._image_shape(input_shape)
        if c is None:
            raise ValueError(f"Conv2D {self.name!r} needs a known number of input channels; got input shape "
                             f"{tuple(input_shape)}.")
        if c % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {c} channels (full input shape is "
                             f"{tuple(input_shape)}).")
        self.compute_output_shape(input_shape)
        self.add_kernel_and_bias(self.kernel_size + (c // self.groups, self.filters), (self.filters,))
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        h, w, _ = self._image_shape(input_shape)
        (oh, ow), _ = self._geometry(h if h is not None else 1, w if w is not None else 1)
        oh, ow = (oh if h is not None else None), (ow if w is not None else None)
        if (oh is not None and oh <= 0) or (ow is not None and ow <= 0):
            raise ValueError(f"Computed output size would be zero or negative. Received `inputs shape="
                             f"{tuple(input_shape)}`, `kernel shape={self.kernel_size}`, `dilation_rate="
                             f"{self.dilation_rate}`, `strides={self.strides}`, `padding={self.padding}`.")
        spatial = (ow,) if self.rank == 1 else (oh, ow)
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters, *spatial)
        return (input_shape[0], *spatial, self.filters)

    def weight_shapes(self, input_shape):
        c = self._image_shape(input_shape)[2]
        return [self.kernel_size + (c // self.groups, self.filters)] + ([(self.filters,)] if self.use_bias else [])

    # -- the passes ---------------------------------------------------------------------------------------------
    def _channels_last(self, x: np.ndarray) -> np.ndarray:
        """x (or a gradient at the output) as an image (N, H, W, C)."""
        x = np.moveaxis(x, 1, -1) if self.data_format == "channels_first" else x
        return x[:, None] if self.rank == 1 else x

    def _as_output(self, z: np.ndarray) -> np.ndarray:
        """An image (N, H, W, C) in the layer's own layout."""
        z = z[:, 0] if self.rank == 1 else z
        return np.moveaxis(z, -1, 1) if self.data_format == "channels_first" else z

    def affine(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any]:
        """z = im2col(x) @ K + bias in the layer's data format, and what the backward pass needs."""
        x = self._channels_last(np.asarray(x))
        n, h, w, c = x.shape
        (oh, ow), pads = self._geometry(h, w)
        patches = im2col(x, self.window, self.step, self.spread, pads)  # (N oh ow, kh kw C)
        if self.groups > 1:  # each group's patches, (G, N oh ow, kh kw C/G)
            patches = by_group(patches, self.window[0] * self.window[1], self.groups)
        z = grouped_product(patches, self.group_kernel())  # (N oh ow, F)
        if self.use_bias:
            z += self.bias.value
        return self._as_output(z.reshape(n, oh, ow, self.filters)), patches, (x.shape, pads)

    def forward(self, x, ctx: Context):
        z, patches, geometry = self.affine(x)
        a = self.activation.forward(z)
        return a, (patches, geometry, z, a)

    def forward_z(self, x, ctx: Context):
        z, patches, geometry = self.affine(x)
        return z, (patches, geometry, z, None)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        _, _, z, a = saved
        return self.backward_z(saved, self.activation.backward(z, a, grad_a), ctx, need_grad_x)

    def backward_z(self, saved, grad_z, ctx, need_grad_x=True):
        patches, (shape, pads), _, _ = saved
        g = self._channels_last(grad_z).reshape(-1, self.filters)  # G, (N oh ow, F)
        kernel = self.group_kernel()  # K, (kh kw C, F), or per group (G, kh kw C/G, F/G)
        plain = self.groups == 1  # grad_x tap by tap, without the matrix G @ K.T
        grad_kernel, grad_patches = grouped_product_backward(patches, kernel, g, need_grad_x and not plain,
                                                             self.window[0] * self.window[1])
        ctx.grad(self.kernel)[...] = grad_kernel.reshape(self.kernel.shape)  # kernel.grad = P.T @ G
        if self.use_bias:
            row_sums(g, out=ctx.grad(self.bias))  # bias.grad = 1^T G, the sum of G's rows
        if not need_grad_x:
            return None
        if plain:  # grad_x = col2im(G @ K.T)
            return self._as_output(col2im_product(g, kernel, shape, self.window, self.step, self.spread, pads))
        n, h, w, c = shape
        (oh, ow), _ = self._geometry(h, w)
        grad_patches = grad_patches.reshape(n, oh, ow, *self.window, c)  # G @ K.T, one row per patch
        return self._as_output(col2im(grad_patches, shape, self.step, self.spread, pads))

    def group_kernel(self) -> np.ndarray:
        """K as the product reads it: (kh kw C, F), or with groups one (kh kw C/G, F/G) block per group."""
        return grouped_kernel(self.kernel.value, self.groups, self.filters // self.groups)

    grad_equations = {"kernel": "patches.T @ grad_z", "bias": "grad_z summed over every position"}

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "groups": self.groups, **self.kernel_config(),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}


def by_group(patches: np.ndarray, taps: int, groups: int) -> np.ndarray:
    """The patches (M, taps C) of a grouped convolution as one matrix per group: (G, M, taps C/G), group g
    reading the channels g C/G ... (g + 1) C/G - 1 of every tap."""
    m = patches.shape[0]
    return patches.reshape(m, taps, groups, -1).transpose(2, 0, 1, 3).reshape(groups, m, -1)


def grouped_kernel(kernel: np.ndarray, groups: int, per_group: int) -> np.ndarray:
    """A kernel (window..., C/G, F) as the product reads it: (taps C/G, F), or with groups (G, taps C/G, F/G),
    ``per_group`` = F/G filters each (a depthwise kernel (window..., C, m) is already the one of G = C groups of m
    filters, in the order it is stored)."""
    if groups == 1:
        return kernel.reshape(-1, per_group)
    return kernel.reshape(-1, groups, per_group).transpose(1, 0, 2)


def grouped_product(patches: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Z = P K (M, F); with groups (P (G, M, k), K (G, k, F/G)) each group's Z_g = P_g K_g, side by side."""
    if patches.ndim == 2:
        return patches @ kernel
    z = patches @ kernel  # (G, M, F/G)
    return z.transpose(1, 0, 2).reshape(z.shape[1], -1)


def grouped_product_backward(patches: np.ndarray, kernel: np.ndarray, g: np.ndarray, need_patches: bool,
                             taps: int = 1) -> tuple[np.ndarray, np.ndarray | None]:
    """(dL/dK, dL/dP) of Z = P K from G = dL/dZ (M, F): P^T G and G K^T, group by group with groups (dL/dK as the
    kernel's (taps C/G, G, F/G) entries, dL/dP back to (M, taps C) with ``taps`` taps per patch)."""
    if patches.ndim == 2:
        return patches.T @ g, (g @ kernel.T if need_patches else None)
    groups, m = patches.shape[:2]
    g_groups = g.reshape(m, groups, -1).transpose(1, 0, 2)  # (G, M, F/G)
    grad_kernel = (patches.transpose(0, 2, 1) @ g_groups).transpose(1, 0, 2)  # (taps C/G, G, F/G)
    if not need_patches:
        return grad_kernel, None
    grad_patches = (g_groups @ kernel.transpose(0, 2, 1)).reshape(groups, m, taps, -1)  # (G, M, taps, C/G)
    return grad_kernel, grad_patches.transpose(1, 2, 0, 3).reshape(m, -1)  # (M, taps C)


CONV_ARGUMENTS = """\
        strides: the step between windows: one int, or one per spatial axis.
        padding: "valid" (windows inside the input) or "same" (zeros around it so that each output length is
            ceil(length / stride), split as TensorFlow splits it); Conv1D also takes "causal" (zeros on the left
            only: step t sees no later step).
        data_format: "channels_last" (batch, ..., channels) or "channels_first" (batch, channels, ...); ``None``
            for ``config.image_data_format()``.
        dilation_rate: the step between a window's taps: one int, or one per spatial axis (not with strides > 1).
        groups: G, the number of groups: the channels split into G groups, each convolved by its own F/G filters
            (the kernel is (window..., C/G, F)).
        activation: the activation f, by name or a function; None is linear.
        use_bias: whether the layer has a bias.
        kernel_initializer: how the kernel (window..., C, F) starts.
        bias_initializer: how the bias starts.
        kernel_regularizer: a penalty on the kernel added to the loss.
        bias_regularizer: a penalty on the bias added to the loss.
        activity_regularizer: a penalty on the output, divided by the batch size, added to the loss.
        kernel_constraint: a projection applied to the kernel after each optimizer step.
        bias_constraint: a projection applied to the bias after each optimizer step.
        lora_rank: Keras's low-rank adaptation; not supported (must be None).
        lora_alpha: with ``lora_rank``; must be None.
"""


@with_arguments(CONV_ARGUMENTS, "conv arguments")
@document_keywords
@LAYERS.register(example={"filters": 3, "kernel_size": 2, "activation": "relu"})
class Conv2D(Conv):
    """a = activation(z),  z[n, i, j, f] = sum over a, b, c of x_pad[n, i s + a d, j s + b d, c] kernel[a, b, c, f]
    + bias[f].

    As matrices (channels last): the patches P = im2col(x) are (N oh ow, kh kw C), one row per output
    position; K is the kernel reshaped to (kh kw C, F); then z = P @ K + bias, reshaped to (N, oh, ow, F).
    Backward, from grad_a = dL/da, with G = grad_z as rows (N oh ow, F):
        grad_z = activation.backward(z, a, grad_a)
        kernel.grad = P.T @ G                 # (kh kw C, F), reshaped to the kernel's shape
        bias.grad = sum of G's rows           # (F,)
        grad_x = col2im(G @ K.T)              # each patch's gradient added back where it read

    Args:
        filters: F, the number of output channels.
        kernel_size: (kh, kw), or one int for both.
        {conv arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> conv = nnlite.layers.Conv2D(1, 2, kernel_initializer="ones")  # sums of 2 x 2 patches
        >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
        >>> conv(x)[0, :, :, 0].tolist()
        [[8.0, 12.0], [20.0, 24.0]]
    """

    rank = 2


@with_arguments(CONV_ARGUMENTS, "conv arguments")
@document_keywords
@LAYERS.register(example={"filters": 3, "kernel_size": 2, "activation": "relu"})
class Conv1D(Conv):
    """a = activation(z),  z[n, t, f] = sum over a, c of x_pad[n, t s + a d, c] kernel[a, c, f] + bias[f].

    The sequence (N, L, C) is the image (N, 1, L, C) and the kernel (k, C, F) the (1, k, C, F) one, so the
    matrices are Conv2D's: z = im2col(x) @ K + bias, kernel.grad = P.T @ G, grad_x = col2im(G @ K.T).

    Args:
        filters: F, the number of output channels.
        kernel_size: k, the window's length (an int or a tuple of one).
        {conv arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> conv = nnlite.layers.Conv1D(1, 2, padding="causal", kernel_initializer="ones")  # x_(t-1) + x_t
        >>> conv(np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1))[0, :, 0].tolist()
        [1.0, 3.0, 5.0]
    """

    rank = 1


def _entries(text: str, drop: tuple[str, ...], replace: dict[str, str]) -> str:
    """An Args block without the entries named in ``drop`` and with those in ``replace`` rewritten."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if not line.startswith(" " * 12):  # an entry's first line: its name decides for its continuation lines
            name = line.strip().split(":", 1)[0]
            skipping = name in drop or name in replace
            if name in replace:
                kept.append(f"        {name}: {replace[name]}\n")
        if not skipping:
            kept.append(line)
    return "".join(kept)


def _check_output_padding(output_padding: tuple[int, ...], strides: tuple[int, ...]) -> None:
    """Each output_padding below its stride, with Keras's message."""
    for i, (p, s) in enumerate(zip(output_padding, strides)):
        if p >= s:
            raise ValueError(f"`output_padding` must be strictly less than `strides` for all dimensions. At dimension "
                             f"{i}, `output_padding` is {p} but `strides` is {s}. Received: output_padding="
                             f"{output_padding}, strides={strides}")


TRANSPOSE_ARGUMENTS = _entries(CONV_ARGUMENTS, ("groups", "lora_rank", "lora_alpha"), {
    "padding": '"valid" or "same": the padding of the convolution this layer is the transpose of.',
    "dilation_rate": "(dh, dw): the spacing between the kernel's taps (with strides of 1 only, as in Keras).",
    "kernel_initializer": "how the kernel (kh, kw, F, C) starts."})


@with_arguments(TRANSPOSE_ARGUMENTS, "conv arguments")
@document_keywords
@LAYERS.register(example={"filters": 2, "kernel_size": 2, "strides": 2})
class Conv2DTranspose(KernelLayer):
    """The transpose of a convolution (a "deconvolution"): y = col2im(X K^T) + bias, a = activation(y).

    Each input pixel x[n, i, j, :] (C values) spreads over the output window that a convolution with this kernel,
    strides and padding would have read to make it: with X the input as rows (N H W, C) and K the kernel
    (kh, kw, F, C) as a (kh kw F, C) matrix, y = col2im(X @ K.T), so the output grows by the stride.
    Backward, with G = grad_y (grad_a through the activation) as an image:
        grad_x = im2col(G) @ K               # the forward convolution of G, (N H W, C)
        kernel.grad = im2col(G).T @ X        # (kh kw F, C), reshaped to the kernel's shape
        bias.grad = G summed over every position

    Args:
        filters: F, the number of output channels.
        kernel_size: (kh, kw), or one int for both.
        {conv arguments}
        output_padding: extra rows and columns at the end of the output, each smaller than its stride; ``None``
            lets the output size follow from the input (H s for "same", H s + max(kh - s, 0) for "valid").
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> up = nnlite.layers.Conv2DTranspose(1, 2, strides=2, kernel_initializer="ones", use_bias=False)
        >>> up(np.array([[1.0, 2.0]]).reshape(1, 1, 2, 1))[0, :, :, 0].tolist()  # each pixel to a 2 x 2 block
        [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None, dilation_rate: Any = (1, 1),
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters!r}.")
        kernel_size, strides = pair(kernel_size, "kernel_size"), pair(strides, "strides")
        dilation_rate = pair(dilation_rate, "dilation_rate")
        if max(strides) > 1 and max(dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                             f"strides={strides} and dilation_rate={dilation_rate}")
        if output_padding is not None:
            output_padding = pair(output_padding, "output_padding", allow_zero=True)
            _check_output_padding(output_padding, strides)
        padding, data_format = padding_name(padding), data_format_name(data_format)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters, self.kernel_size, self.strides, self.padding = int(filters), kernel_size, strides, padding
        self.output_padding, self.data_format, self.dilation_rate = output_padding, data_format, dilation_rate
        # the geometry the matrices use: a 2-D one (Conv1DTranspose's public values are 1-D, its image one row)
        self._window, self._step, self._dilation, self._extra = kernel_size, strides, dilation_rate, output_padding
        self.set_kernel_settings(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                 bias_regularizer, kernel_constraint, bias_constraint)
        self.kernel = None
        self.bias = None

    def _image_shape(self, input_shape: Any) -> tuple[Any, Any, Any]:
        if len(input_shape) != 4:
            raise ValueError(f"Conv2DTranspose {self.name!r} takes inputs of rank 4 (batch, rows, columns, "
                             f"channels); got input shape {tuple(input_shape)}.")
        if self.data_format == "channels_first":
            return input_shape[2], input_shape[3], input_shape[1]
        return input_shape[1], input_shape[2], input_shape[3]

    def _output_size(self, size: int | None, axis: int) -> int | None:
        """Keras's output length along one axis (see ``output_padding``), k the dilated kernel's extent."""
        if size is None:
            return None
        k, s = (self._window[axis] - 1) * self._dilation[axis] + 1, self._step[axis]
        if self._extra is None:
            return size * s + (max(k - s, 0) if self.padding == "valid" else 0)
        pad = k // 2 if self.padding == "same" else 0
        return (size - 1) * s + k - 2 * pad + self._extra[axis]

    def build(self, input_shape):
        c = self._image_shape(input_shape)[2]
        self.add_kernel_and_bias(self.kernel_size + (self.filters, c), (self.filters,))
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        h, w, _ = self._image_shape(input_shape)
        oh, ow = self._output_size(h, 0), self._output_size(w, 1)
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters, oh, ow)
        return (input_shape[0], oh, ow, self.filters)

    def weight_shapes(self, input_shape):
        c = self._image_shape(input_shape)[2]
        return [self.kernel_size + (self.filters, c)] + ([(self.filters,)] if self.use_bias else [])

    def _pads(self, oh: int, ow: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """The padding of the convolution this layer is the transpose of, for an output of oh x ow."""
        return tuple(padding_amounts(size, k, s, d, self.padding)
                     for size, k, s, d in zip((oh, ow), self._window, self._step, self._dilation))

    def _channels_last(self, x: np.ndarray) -> np.ndarray:
        return np.moveaxis(x, 1, -1) if self.data_format == "channels_first" else x

    def _as_output(self, y: np.ndarray) -> np.ndarray:
        return np.moveaxis(y, -1, 1) if self.data_format == "channels_first" else y

    def affine(self, x: np.ndarray) -> tuple[np.ndarray, Any]:
        """y = col2im(X @ K.T) + bias in the layer's data format, and what the backward pass needs."""
        x = self._channels_last(np.asarray(x))
        n, h, w, c = x.shape
        oh, ow = self._output_size(h, 0), self._output_size(w, 1)
        pads = self._pads(oh, ow)
        back = tuple((size + sum(p) - (k - 1) * d - 1) // st + 1 for size, p, k, st, d in zip(
            (oh, ow), pads, self._window, self._step, self._dilation))
        if back != (h, w):
            raise ValueError(f"{type(self).__name__} {self.name!r}: an output of {(oh, ow)} (kernel "
                             f"{self.kernel_size}, strides {self.strides}, padding {self.padding!r}, output_padding "
                             f"{self.output_padding}) is not what a convolution maps back to {(h, w)}; choose "
                             "another output_padding.")
        rows = x.reshape(-1, c)  # X, (N H W, C)
        y = col2im_product(rows, self.kernel.value.reshape(-1, c), (n, oh, ow, self.filters), self._window,
                           self._step, self._dilation, pads)  # col2im(X @ K.T), tap by tap
        if self.use_bias:
            y += self.bias.value
        return self._as_output(y), (rows, x.shape, pads)

    def forward(self, x, ctx: Context):
        y, saved = self.affine(x)
        a = self.activation.forward(y)
        return a, (saved, y, a)

    def forward_z(self, x, ctx: Context):
        y, saved = self.affine(x)
        return y, (saved, y, None)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        _, y, a = saved
        return self.backward_z(saved, self.activation.backward(y, a, grad_a), ctx, need_grad_x)

    def backward_z(self, saved, grad_z, ctx, need_grad_x=True):
        (rows, shape, pads), _, _ = saved
        g = self._channels_last(grad_z)  # G, (N, oh, ow, F)
        patches = im2col(g, self._window, self._step, self._dilation, pads)  # im2col(G), (N H W, kh kw F)
        kernel = self.kernel.value.reshape(-1, shape[-1])  # K, (kh kw F, C)
        ctx.grad(self.kernel)[...] = (patches.T @ rows).reshape(self.kernel.shape)  # kernel.grad = im2col(G).T @ X
        if self.use_bias:
            row_sums(g.reshape(-1, self.filters), out=ctx.grad(self.bias))  # bias.grad = 1^T G
        if not need_grad_x:
            return None
        return self._as_output((patches @ kernel).reshape(shape))  # grad_x = im2col(G) @ K

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "output_padding": self.output_padding,
                "data_format": self.data_format, "dilation_rate": self.dilation_rate, **self.kernel_config(),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}


TRANSPOSE_1D_ARGUMENTS = _entries(TRANSPOSE_ARGUMENTS, (), {
    "strides": "s, the step between windows (an int or a tuple of one).",
    "dilation_rate": "d, the spacing between the kernel's taps (with a stride of 1 only, as in Keras).",
    "kernel_initializer": "how the kernel (k, F, C) starts."})


@with_arguments(TRANSPOSE_1D_ARGUMENTS, "conv arguments")
@document_keywords
@LAYERS.register(example={"filters": 2, "kernel_size": 2, "strides": 2})
class Conv1DTranspose(Conv2DTranspose):
    """The transpose of a 1-D convolution: y = col2im(X K^T) + bias, a = activation(y), with X the sequence as rows
    (N L, C) and K the kernel (k, F, C) as a (k F, C) matrix; each step spreads over the output window a convolution
    would have read to make it, so the output grows by the stride.

    The sequence (N, L, C) is the image (N, 1, L, C) and the kernel (k, F, C) the (1, k, F, C) one, so the
    matrices are Conv2DTranspose's: grad_x = im2col(G) @ K, kernel.grad = im2col(G).T @ X, bias.grad = 1^T G.

    Args:
        filters: F, the number of output channels.
        kernel_size: k, the window's length (an int or a tuple of one).
        {conv arguments}
        output_padding: extra steps at the end of the output, smaller than the stride; ``None`` lets the length
            follow from the input (L s for "same", L s + max(k - s, 0) for "valid").
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> up = nnlite.layers.Conv1DTranspose(1, 2, strides=2, kernel_initializer="ones", use_bias=False)
        >>> up(np.array([1.0, 2.0]).reshape(1, 2, 1))[0, :, 0].tolist()  # each step to two
        [1.0, 1.0, 2.0, 2.0]
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        (k,), (s,) = window_tuple(kernel_size, "kernel_size", 1), window_tuple(strides, "strides", 1)
        (d,) = window_tuple(dilation_rate, "dilation_rate", 1)
        if s > 1 and d > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                             f"strides={(s,)} and dilation_rate={(d,)}")
        pad = None if output_padding is None else window_tuple(output_padding, "output_padding", 1, allow_zero=True)
        if pad is not None:
            _check_output_padding(pad, (s,))
        super().__init__(filters, (1, k), (1, s), padding, None if pad is None else (0, pad[0]), data_format, (1, d),
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        self.kernel_size, self.strides, self.dilation_rate, self.output_padding = (k,), (s,), (d,), pad  # Keras's

    def _image_shape(self, input_shape: Any) -> tuple[Any, Any, Any]:
        if len(input_shape) != 3:
            raise ValueError(f"Conv1DTranspose {self.name!r} takes inputs of rank 3 (batch, steps, channels); got "
                             f"input shape {tuple(input_shape)}.")
        if self.data_format == "channels_first":
            return 1, input_shape[2], input_shape[1]
        return 1, input_shape[1], input_shape[2]

    def _channels_last(self, x: np.ndarray) -> np.ndarray:
        """(N, L, C), or (N, C, L) channels first, as the one-row image (N, 1, L, C)."""
        return (np.moveaxis(x, 1, -1) if self.data_format == "channels_first" else x)[:, None]

    def _as_output(self, y: np.ndarray) -> np.ndarray:
        """The one-row image (N, 1, L, C) as the sequence in the layer's data format."""
        return np.moveaxis(y[:, 0], -1, 1) if self.data_format == "channels_first" else y[:, 0]

    def compute_output_shape(self, input_shape):
        steps = self._output_size(self._image_shape(input_shape)[1], 1)
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters, steps)
        return (input_shape[0], steps, self.filters)


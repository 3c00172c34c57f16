"""Conv2D: a 2-D convolution as one matrix product over the image's patches (im2col, see ``patches``)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import regularizers
from .base import LAYERS, Context, document_keywords
from .core import KernelLayer
from .patches import col2im, data_format_name, im2col, padding_amounts, padding_name, pair


@document_keywords
@LAYERS.register(example={"filters": 3, "kernel_size": 2, "activation": "relu"})
class Conv2D(KernelLayer):
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
        strides: (sh, sw), the step between windows, or one int.
        padding: "valid" (windows inside the image) or "same" (zeros around it so that oh = ceil(H / sh),
            split as TensorFlow splits it).
        data_format: "channels_last" (N, H, W, C) or "channels_first" (N, C, H, W); ``None`` for
            ``config.image_data_format()``.
        dilation_rate: (dh, dw), the step between a window's taps, or one int (not with strides > 1).
        groups: Keras's grouped convolution; only 1 here (a larger value is refused).
        activation: the activation f, by name or a function; None is linear.
        use_bias: whether the layer has a bias.
        kernel_initializer: how the kernel (kh, kw, C, F) starts.
        bias_initializer: how the bias starts.
        kernel_regularizer: a penalty on the kernel added to the loss.
        bias_regularizer: a penalty on the bias added to the loss.
        activity_regularizer: a penalty on the output, divided by the batch size, added to the loss.
        kernel_constraint: a projection applied to the kernel after each optimizer step.
        bias_constraint: a projection applied to the bias after each optimizer step.
        lora_rank: Keras's low-rank adaptation; not supported (must be None).
        lora_alpha: with ``lora_rank``; must be None.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> conv = nnlite.layers.Conv2D(1, 2, kernel_initializer="ones")  # sums of 2 x 2 patches
        >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
        >>> conv(x)[0, :, :, 0].tolist()
        [[8.0, 12.0], [20.0, 24.0]]
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = (1, 1), groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, lora_rank: int | None = None,
                 lora_alpha: float | None = None, **kwargs: Any) -> None:
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters!r}.")
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. Received: groups={groups!r}.")
        if groups != 1:
            raise ValueError(f"nnlite's Conv2D has no grouped convolution yet; got groups={groups}. Use groups=1, "
                             "or Keras for grouped convolutions.")
        if lora_rank is not None:
            raise ValueError(f"nnlite's Conv2D has no lora_rank; got lora_rank={lora_rank!r}.")
        kernel_size, strides = pair(kernel_size, "kernel_size"), pair(strides, "strides")
        dilation_rate = pair(dilation_rate, "dilation_rate")
        if max(strides) > 1 and max(dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                             f"strides={strides} and dilation_rate={dilation_rate}")
        padding, data_format = padding_name(padding), data_format_name(data_format)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters, self.kernel_size, self.strides, self.padding = int(filters), kernel_size, strides, padding
        self.data_format, self.dilation_rate, self.groups = data_format, dilation_rate, 1
        self.set_kernel_settings(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                 bias_regularizer, kernel_constraint, bias_constraint)
        self.lora_rank, self.lora_alpha = None, lora_alpha
        self.kernel = None
        self.bias = None

    # -- shapes -------------------------------------------------------------------------------------------------
    def _image_shape(self, input_shape: Any) -> tuple[Any, Any, Any]:
        """(H, W, C) of inputs of ``input_shape`` (batch first), whatever the data format."""
        if len(input_shape) != 4:
            raise ValueError(f"Conv2D {self.name!r} takes inputs of rank 4 (batch, rows, columns, channels); got "
                             f"input shape {tuple(input_shape)}.")
        if self.data_format == "channels_first":
            return input_shape[2], input_shape[3], input_shape[1]
        return input_shape[1], input_shape[2], input_shape[3]

    def _geometry(self, h: int, w: int) -> tuple[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]:
        """(oh, ow) and the padding ((top, bottom), (left, right)) for an H x W image."""
        pads = tuple(padding_amounts(size, k, s, d, self.padding)
                     for size, k, s, d in zip((h, w), self.kernel_size, self.strides, self.dilation_rate))
        out = tuple((size + sum(p) - (k - 1) * d - 1) // s + 1
                    for size, p, k, s, d in zip((h, w), pads, self.kernel_size, self.strides, self.dilation_rate))
        return out, pads

    def build(self, input_shape):
        h, w, c = self._image_shape(input_shape)
        if c is None:
            raise ValueError(f"Conv2D {self.name!r} needs a known number of input channels; got input shape "
                             f"{tuple(input_shape)}.")
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (c, self.filters), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        h, w, _ = self._image_shape(input_shape)
        if h is None or w is None:
            oh = ow = None
            if h is not None or w is not None:
                (oh, ow), _ = self._geometry(h or 1, w or 1)
                oh, ow = (oh if h is not None else None), (ow if w is not None else None)
        else:
            (oh, ow), _ = self._geometry(h, w)
        if (oh is not None and oh <= 0) or (ow is not None and ow <= 0):
            raise ValueError(f"Conv2D {self.name!r}: the kernel {self.kernel_size} (dilation {self.dilation_rate}) "
                             f"does not fit inputs of shape {tuple(input_shape)} with padding {self.padding!r}.")
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters, oh, ow)
        return (input_shape[0], oh, ow, self.filters)

    def weight_shapes(self, input_shape):
        c = self._image_shape(input_shape)[2]
        return [self.kernel_size + (c, self.filters)] + ([(self.filters,)] if self.use_bias else [])

    # -- the passes ---------------------------------------------------------------------------------------------
    def _channels_last(self, x: np.ndarray) -> np.ndarray:
        return np.moveaxis(x, 1, -1) if self.data_format == "channels_first" else x

    def _as_output(self, z: np.ndarray) -> np.ndarray:
        return np.moveaxis(z, -1, 1) if self.data_format == "channels_first" else z

    def affine(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any]:
        """z = im2col(x) @ K + bias in the layer's data format, and what the backward pass needs."""
        x = self._channels_last(np.asarray(x))
        n, h, w, c = x.shape
        (oh, ow), pads = self._geometry(h, w)
        patches = im2col(x, self.kernel_size, self.strides, self.dilation_rate, pads)  # (N oh ow, kh kw C)
        z = patches @ self.kernel.value.reshape(-1, self.filters)  # (N oh ow, F)
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
        kernel = self.kernel.value.reshape(-1, self.filters)  # K, (kh kw C, F)
        ctx.grad(self.kernel)[...] = (patches.T @ g).reshape(self.kernel.shape)  # kernel.grad = P.T @ G
        if self.use_bias:
            np.add.reduce(g, axis=0, out=ctx.grad(self.bias))  # bias.grad = sum of G's rows
        if not need_grad_x:
            return None
        n, h, w, c = shape
        (oh, ow), _ = self._geometry(h, w)
        grad_patches = (g @ kernel.T).reshape(n, oh, ow, *self.kernel_size, c)  # G @ K.T, one row per patch
        return self._as_output(col2im(grad_patches, shape, self.strides, self.dilation_rate, pads))

    grad_equations = {"kernel": "patches.T @ grad_z", "bias": "grad_z summed over every position"}

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "groups": self.groups, **self.kernel_config(),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}

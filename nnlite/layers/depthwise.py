"""DepthwiseConv1D/2D and SeparableConv1D/2D: convolutions that filter each channel on its own.

A depthwise convolution is the grouped convolution of ``convolutional`` with one group per input channel: channel
c is convolved by its own m = depth_multiplier filters, and the output has C m channels (c m + j for filter j of
channel c). A separable convolution follows it with a 1 x 1 convolution, one matrix product over the channels.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import constraints, initializers, regularizers
from .base import LAYERS, document_keywords
from .convolutional import Conv, by_group, grouped_kernel, grouped_product, grouped_product_backward
from .patches import col2im, im2col, row_sums


def _depth_multiplier(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"Invalid value for argument `depth_multiplier`. Expected a strictly positive value. "
                         f"Received depth_multiplier={value}.")
    return int(value)


class DepthwiseConv(Conv):
    """The depthwise convolution both DepthwiseConv1D and DepthwiseConv2D compute (see the module)."""

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid", depth_multiplier: int = 1,
                 data_format: str | None = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any) -> None:
        self.depth_multiplier = _depth_multiplier(depth_multiplier)
        super().__init__(self.depth_multiplier, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
                         bias_regularizer, activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)

    depthwise_initializer = property(lambda self: self.kernel_initializer, doc="How the kernel starts.")
    depthwise_regularizer = property(lambda self: self.kernel_regularizer, doc="The kernel's penalty.")
    depthwise_constraint = property(lambda self: self.kernel_constraint, doc="The kernel's projection.")

    def _channels(self, input_shape: Any) -> int:
        c = self._image_shape(input_shape)[2]
        if c is None:
            raise ValueError(f"{type(self).__name__} {self.name!r} needs a known number of input channels; got input "
                             f"shape {tuple(input_shape)}.")
        return int(c)

    def build(self, input_shape):
        c = self._channels(input_shape)
        self.groups, self.filters = c, c * self.depth_multiplier  # one group per channel
        self.compute_output_shape(input_shape)
        self.add_kernel_and_bias(self.kernel_size + (c, self.depth_multiplier), (self.filters,))
        self.input_shape, self.built = tuple(input_shape), True

    def compute_output_shape(self, input_shape):
        self.filters = self._channels(input_shape) * self.depth_multiplier
        return super().compute_output_shape(input_shape)

    def weight_shapes(self, input_shape):
        c = self._channels(input_shape)
        return [self.kernel_size + (c, self.depth_multiplier)] + ([(c * self.depth_multiplier,)]
                                                                   if self.use_bias else [])

    def group_kernel(self) -> np.ndarray:
        return grouped_kernel(self.kernel.value, self.groups, self.depth_multiplier)

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint",
                    "lora_rank", "lora_alpha"):
            config.pop(key, None)
        return {**config, "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": initializers.serialize(self.kernel_initializer),
                "depthwise_regularizer": regularizers.serialize(self.kernel_regularizer),
                "depthwise_constraint": constraints.serialize(self.kernel_constraint)}


DEPTHWISE_ARGUMENTS = """\
        kernel_size: the window: one int, or one per spatial axis.
        strides: the step between windows: one int, or one per spatial axis.
        padding: "valid" or "same" (as Conv2D's).
        depth_multiplier: m, the number of filters per input channel (the output has C m channels).
        data_format: "channels_last" or "channels_first"; ``None`` for ``config.image_data_format()``.
        dilation_rate: the step between a window's taps: one int, or one per spatial axis (not with strides > 1).
        activation: the activation f, by name or a function; None is linear.
        use_bias: whether the layer has a bias (C m entries).
        depthwise_initializer: how the kernel (window..., C, m) starts.
        bias_initializer: how the bias starts.
        depthwise_regularizer: a penalty on the kernel added to the loss.
        bias_regularizer: a penalty on the bias added to the loss.
        activity_regularizer: a penalty on the output, divided by the batch size, added to the loss.
        depthwise_constraint: a projection applied to the kernel after each optimizer step.
        bias_constraint: a projection applied to the bias after each optimizer step.
        {layer keywords}
"""


def _document(cls: type) -> type:
    cls.__doc__ = cls.__doc__.replace("        {depthwise arguments}\n", DEPTHWISE_ARGUMENTS)
    return cls


@document_keywords
@_document
@LAYERS.register(example={"kernel_size": 2, "depth_multiplier": 2})
class DepthwiseConv2D(DepthwiseConv):
    """a = activation(z),  z[n, i, j, c m + k] = sum over a, b of x_pad[n, i s + a d, j s + b d, c] kernel[a, b, c, k]
    + bias[c m + k].

    As matrices: the grouped convolution with G = C groups (see ``Conv2D``'s groups): channel c's patches P_c
    (N oh ow, kh kw) times its kernel K_c (kh kw, m). Backward: kernel.grad_c = P_c^T G_c, grad_x = col2im of
    the G_c K_c^T side by side.

    Args:
        {depthwise arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> depthwise = nnlite.layers.DepthwiseConv2D(2, depthwise_initializer="ones", use_bias=False)
        >>> x = np.stack([np.ones((3, 3)), 2 * np.ones((3, 3))], axis=-1)[None]  # two channels: 1s and 2s
        >>> depthwise(x)[0, 0, 0].tolist()  # each channel summed over its own 2 x 2 window
        [4.0, 8.0]
    """

    rank = 2


@document_keywords
@_document
@LAYERS.register(example={"kernel_size": 2, "depth_multiplier": 2})
class DepthwiseConv1D(DepthwiseConv):
    """a = activation(z),  z[n, t, c m + k] = sum over a of x_pad[n, t s + a d, c] kernel[a, c, k] + bias[c m + k].

    DepthwiseConv2D's matrices on the sequence seen as a one-row image.

    Args:
        {depthwise arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> depthwise = nnlite.layers.DepthwiseConv1D(2, depthwise_initializer="ones", use_bias=False)
        >>> depthwise(np.array([[[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]]))[0].tolist()  # per channel: x_t + x_t+1
        [[3.0, 30.0], [5.0, 50.0]]
    """

    rank = 1


class SeparableConv(DepthwiseConv):
    """The separable convolution both SeparableConv1D and SeparableConv2D compute (see the module)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters!r}.")
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        self.pointwise_filters = int(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.depthwise_kernel = None
        self.pointwise_kernel = None

    def build(self, input_shape):
        c = self._channels(input_shape)
        self.groups, m = c, self.depth_multiplier
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self.add_weight(self.kernel_size + (c, m), self.kernel_initializer,
                                                name="depthwise_kernel", regularizer=self.kernel_regularizer,
                                                constraint=self.kernel_constraint)
        self.pointwise_kernel = self.add_weight((1,) * self.rank + (c * m, self.pointwise_filters),
                                                self.pointwise_initializer, name="pointwise_kernel",
                                                regularizer=self.pointwise_regularizer,
                                                constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight((self.pointwise_filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_shape, self.built = tuple(input_shape), True

    def compute_output_shape(self, input_shape):
        self._channels(input_shape)
        self.filters = self.pointwise_filters
        return Conv.compute_output_shape(self, input_shape)

    def weight_shapes(self, input_shape):
        c, m = self._channels(input_shape), self.depth_multiplier
        return ([self.kernel_size + (c, m), (1,) * self.rank + (c * m, self.pointwise_filters)]
                + ([(self.pointwise_filters,)] if self.use_bias else []))

    def group_kernel(self) -> np.ndarray:
        return grouped_kernel(self.depthwise_kernel.value, self.groups, self.depth_multiplier)

    def affine(self, x: np.ndarray) -> tuple[np.ndarray, Any, Any]:
        """z = D P_w + bias, D = the depthwise convolution's output (N oh ow, C m), P_w the pointwise kernel."""
        x = self._channels_last(np.asarray(x))
        n, h, w, c = x.shape
        (oh, ow), pads = self._geometry(h, w)
        patches = by_group(im2col(x, self.window, self.step, self.spread, pads), self.window[0] * self.window[1], c)
        d = grouped_product(patches, self.group_kernel())  # D, (N oh ow, C m)
        z = d @ self.pointwise_kernel.value.reshape(-1, self.filters)  # (N oh ow, F)
        if self.use_bias:
            z += self.bias.value
        return self._as_output(z.reshape(n, oh, ow, self.filters)), (patches, d), (x.shape, pads)

    def backward_z(self, saved, grad_z, ctx, need_grad_x=True):
        (patches, d), (shape, pads), _, _ = saved
        g = self._channels_last(grad_z).reshape(-1, self.filters)  # G, (N oh ow, F)
        pointwise = self.pointwise_kernel.value.reshape(-1, self.filters)
        ctx.grad(self.pointwise_kernel)[...] = (d.T @ g).reshape(self.pointwise_kernel.shape)  # D^T G
        if self.use_bias:
            row_sums(g, out=ctx.grad(self.bias))  # bias.grad = 1^T G
        g_d = g @ pointwise.T  # dL/dD = G P_w^T, (N oh ow, C m)
        taps = self.window[0] * self.window[1]
        grad_kernel, grad_patches = grouped_product_backward(patches, self.group_kernel(), g_d, need_grad_x, taps)
        ctx.grad(self.depthwise_kernel)[...] = grad_kernel.reshape(self.depthwise_kernel.shape)
        if not need_grad_x:
            return None
        n, h, w, c = shape
        (oh, ow), _ = self._geometry(h, w)
        grad_patches = grad_patches.reshape(n, oh, ow, *self.window, c)
        return self._as_output(col2im(grad_patches, shape, self.step, self.spread, pads))

    grad_equations = {"depthwise_kernel": "P_c^T (G P_w^T)_c per channel", "pointwise_kernel": "D^T G",
                      "bias": "G summed over every position"}

    def get_config(self):
        config = super().get_config()
        return {**config, "filters": self.pointwise_filters,
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "pointwise_constraint": constraints.serialize(self.pointwise_constraint)}


SEPARABLE_ARGUMENTS = DEPTHWISE_ARGUMENTS.replace(
    "        depthwise_constraint:", "        pointwise_initializer: how the pointwise kernel (1..., C m, F) starts.\n"
    "        pointwise_regularizer: a penalty on the pointwise kernel added to the loss.\n"
    "        pointwise_constraint: a projection applied to the pointwise kernel after each optimizer step.\n"
    "        depthwise_constraint:").replace("use_bias: whether the layer has a bias (C m entries).",
                                            "use_bias: whether the layer has a bias (F entries).")


def _document_separable(cls: type) -> type:
    cls.__doc__ = cls.__doc__.replace("        {separable arguments}\n", SEPARABLE_ARGUMENTS)
    return cls


@document_keywords
@_document_separable
@LAYERS.register(example={"filters": 3, "kernel_size": 2})
class SeparableConv2D(SeparableConv):
    """a = activation(z),  z = D P_w + bias: the depthwise convolution D (each channel by its own m filters, see
    DepthwiseConv2D) followed by a 1 x 1 convolution, the pointwise kernel P_w (C m, F) as one matrix product.

    Backward, from G = dL/dz as rows (N oh ow, F): pointwise_kernel.grad = D^T G, bias.grad = sum of G's rows,
    dL/dD = G P_w^T, then DepthwiseConv2D's backward from dL/dD.

    Args:
        filters: F, the number of output channels.
        {separable arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> layer = nnlite.layers.SeparableConv2D(4, 3, depth_multiplier=2)
        >>> np.shape(layer(np.ones((1, 5, 5, 3))))
        (1, 3, 3, 4)
        >>> [w.shape for w in layer.weights]  # depthwise (3, 3, C, m), pointwise (1, 1, C m, F), bias
        [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]
    """

    rank = 2


@document_keywords
@_document_separable
@LAYERS.register(example={"filters": 3, "kernel_size": 2})
class SeparableConv1D(SeparableConv):
    """a = activation(z),  z = D P_w + bias: DepthwiseConv1D's output D times the pointwise kernel (1, C m, F).

    SeparableConv2D's matrices on the sequence seen as a one-row image.

    Args:
        filters: F, the number of output channels.
        {separable arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> np.shape(nnlite.layers.SeparableConv1D(4, 3)(np.ones((2, 7, 3))))
        (2, 5, 4)
    """

    rank = 1


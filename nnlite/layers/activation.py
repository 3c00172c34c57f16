"""Layers that apply a function: Activation, ReLU, LeakyReLU, ELU, Softmax, and PReLU (whose slope is a weight)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import activations, constraints, initializers, regularizers
from ..warn import warn
from .base import LAYERS, Context, Layer, document_keywords


def _check(layer: str, name: str, value: Any, allow_none: bool = False) -> Any:
    """A layer's activation parameter: a number >= 0 (None only where Keras allows it)."""
    if value is None and allow_none:
        return None
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        extra = "" if allow_none else "None or "
        raise ValueError(f"{name} of a {layer} layer cannot be {extra}a negative value. Received: {name}={value!r}")
    return value


@document_keywords
@LAYERS.register(example={"activation": "tanh"})
class Activation(Layer):
    """a = f(x);  grad_x = f.backward(x, a, grad_a).

    As the last layer, a sigmoid or softmax Activation hands the crossentropies their
    logits x, as Keras does (its z is its input).

    Args:
        activation: the activation, by name ("relu", "softmax", ...) or a function.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> x = np.array([[-1.0, 2.0]])
        >>> nnlite.layers.Activation("relu")(x)
        Tensor([[0., 2.]], dtype=float32)
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self._build_at_init(Activation)

    def forward(self, x, ctx: Context):
        a = self.activation.forward(x)
        return a, (x, a)

    def forward_z(self, x, ctx: Context):
        return x, (x, None)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        z, a = saved
        return self.activation.backward(z, a, grad_a)

    def backward_z(self, saved, grad_z, ctx, need_grad_x=True):
        return grad_z  # z is this layer's input

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


@document_keywords
@LAYERS.register()
class ReLU(Activation):
    """a = relu(x, negative_slope, max_value, threshold) as a layer (all three >= 0).

    Args:
        max_value: the largest output (``None``: no cap).
        negative_slope: the slope below the threshold.
        threshold: the value below which the output is ``negative_slope (x - threshold)``.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.ReLU(max_value=1.0)(np.array([[-1.0, 0.5, 2.0]]))
        Tensor([[0. , 0.5, 1. ]], dtype=float32)
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs: Any) -> None:
        _check("ReLU", "max_value", max_value, allow_none=True)
        _check("ReLU", "negative_slope", negative_slope)
        _check("ReLU", "threshold", threshold)
        super().__init__(activations.ReLU(negative_slope=negative_slope, max_value=max_value, threshold=threshold),
                         **kwargs)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def get_config(self):
        config = Layer.get_config(self)
        return {**config, "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


@document_keywords
@LAYERS.register()
class LeakyReLU(Activation):
    """a = x if x > 0 else negative_slope * x; the layer's default slope is 0.3 (the function's is 0.2).

    Args:
        negative_slope: the slope for x < 0 (>= 0).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.LeakyReLU(negative_slope=0.3)(np.array([[-1.0, 2.0]])).round(4)
        array([[-0.3,  2. ]], dtype=float32)
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warn("Argument `alpha` is deprecated. Use `negative_slope` instead.")
        if negative_slope is None or isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real) \
                or not negative_slope >= 0:
            raise ValueError(f"The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                             f"Expected a float. Received: negative_slope={negative_slope}")
        super().__init__(activations.LeakyReLU(negative_slope=negative_slope), **kwargs)
        self.negative_slope = negative_slope

    def get_config(self):
        return {**Layer.get_config(self), "negative_slope": self.negative_slope}


@document_keywords
@LAYERS.register()
class ELU(Activation):
    """a = x if x > 0 else alpha (e^x - 1).

    Args:
        alpha: the scale of the negative part.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.ELU(alpha=1.0)(np.array([[-1.0, 2.0]])).round(4)
        array([[-0.6321,  2.    ]], dtype=float32)
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(activations.ELU(alpha=alpha), **kwargs)
        self.alpha = alpha

    def get_config(self):
        return {**Layer.get_config(self), "alpha": self.alpha}


@document_keywords
@LAYERS.register()
class Softmax(Activation):
    """a = softmax(x) over ``axis``.

    Args:
        axis: the axis (or axes) whose entries sum to 1.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Softmax()(np.array([[0.0, 0.0]]))
        Tensor([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(activations.Softmax(axis=axis) if axis != -1 else activations.softmax, **kwargs)
        self.axis = axis

    def forward_masked(self, x: Any, mask: Any, ctx: Context) -> tuple[Any, Any]:
        """With a mask m (True, or > 0.5, where an entry counts; broadcast to x from the right):
        s = softmax(where(m, x, -1e9)), a = where(m, s, 0) (a wholly masked row gives zeros).

        Args:
            x: the batch.
            mask: the mask, or None.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        if mask is None:
            return self.forward(x, ctx)
        m = np.asarray(mask)
        if m.ndim > x.ndim or any(i != 1 and i != j for i, j in zip(m.shape[::-1], x.shape[::-1])):
            raise ValueError(f"The `mask` must be broadcastable to `inputs`: each mask dimension must be 1 or match "
                             f"the corresponding input dimension, and it must not have more dimensions. Received: "
                             f"inputs.shape={x.shape}, mask.shape={m.shape}")
        m = np.broadcast_to(m if m.dtype == bool else m > 0.5, x.shape)
        z = np.where(m, x, x.dtype.type(-3e4 if x.dtype == np.float16 else -1e9))
        s = self.activation.forward(z)
        return np.where(m, s, x.dtype.type(0)), (z, s, m)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if len(saved) == 2:
            return super().backward(saved, grad_a, ctx, need_grad_x)
        z, s, m = saved  # masked: grad_x = where(m, softmax'(z) (grad_a where m), 0)
        return np.where(m, self.activation.backward(z, s, np.where(m, grad_a, 0)), 0).astype(z.dtype, copy=False)

    def get_config(self):
        return {**Layer.get_config(self), "axis": self.axis}


@document_keywords
@LAYERS.register()
class PReLU(Layer):
    """a = max(x, 0) + alpha min(x, 0), with alpha a weight (one slope per entry of a sample, shared along
    ``shared_axes``).

    Backward, as TensorFlow's relu(x) - alpha relu(-x) (no gradient at x = 0 itself):
        grad_x = grad_a where x > 0, alpha grad_a where x < 0, 0 where x = 0
        alpha.grad = sum of grad_a min(x, 0) over the batch and the shared axes

    Args:
        alpha_initializer: how alpha starts (zeros: a relu).
        alpha_regularizer: a penalty on alpha added to the loss.
        alpha_constraint: a projection applied to alpha after each optimizer step.
        shared_axes: the axes (1 for the first after the batch) along which one alpha serves every entry, e.g.
            [1, 2] for one slope per channel of an image.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> layer = nnlite.layers.PReLU(alpha_initializer=nnlite.initializers.Constant(0.25))
        >>> layer(np.array([[-2.0, 3.0]])).tolist()
        [[-0.5, 3.0]]
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None, alpha_constraint: Any = None,
                 shared_axes: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]
        for axis in self.shared_axes or []:
            if isinstance(axis, bool) or not isinstance(axis, numbers.Integral) or axis < 1:
                raise ValueError(f"shared_axes must hold the axes after the batch (1, 2, ...); got {shared_axes!r}.")
        self.alpha = None

    def weight_shapes(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(f"PReLU {self.name!r}: shared axis {axis} is not an axis of inputs of shape "
                                 f"{tuple(input_shape)}.")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU {self.name!r} needs the size of every axis it does not share; got input shape "
                             f"{tuple(input_shape)} with shared_axes={self.shared_axes}.")
        return [tuple(shape)]

    def build(self, input_shape):
        self.alpha = self.add_weight(shape=self.weight_shapes(input_shape)[0], initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
                                     name="alpha")
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x, ctx: Context):
        alpha = self.alpha.value
        a = np.maximum(x, 0) + alpha * np.minimum(x, 0)
        return a.astype(x.dtype, copy=False), (x, alpha)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        x, alpha = saved
        shared = (0, *(self.shared_axes or []))  # alpha.grad sums over the batch and the shared axes
        ctx.grad(self.alpha)[...] = np.sum(grad_a * np.minimum(x, 0), axis=shared, keepdims=True)[0]
        if not need_grad_x:
            return None
        return grad_a * (x > 0) + grad_a * alpha * (x < 0)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint), "shared_axes": self.shared_axes}

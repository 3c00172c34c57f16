"""Layers that apply a function and hold no weights: Activation, ReLU, LeakyReLU, ELU, Softmax."""

from __future__ import annotations

import numbers
from typing import Any

from .. import activations
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
        self.built = True

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
        _check("Leaky ReLU", "negative_slope", negative_slope)
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

    def get_config(self):
        return {**Layer.get_config(self), "axis": self.axis}

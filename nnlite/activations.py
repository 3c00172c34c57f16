"""Activation functions ``a = f(z)`` and their backward passes.

Every activation is an :class:`Activation`: calling it gives ``a = f(z)``; its
``backward(z, a, grad_a)`` gives ``grad_z = J_f(z)^T grad_a``, the vector-Jacobian
product. For the elementwise functions that is ``f'(z) * grad_a``; softmax and
log_softmax mix the last axis and use their full Jacobian. ``backward`` receives
both ``z`` and ``a`` so that a derivative written in terms of the output
(sigmoid ``a (1 - a)``, tanh ``1 - a^2``) never recomputes the forward pass.

Names and defaults follow ``keras.activations``. Each name is bound to an instance,
so ``relu(x, max_value=6.0)`` works as a function and ``Dense(4, activation=relu)``
as an argument.
"""

from __future__ import annotations

import inspect
import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from . import special
from .autodiff import GradientTape, value_of
from .registry import ALL, CustomObjectScope, Registry, custom_object, get_registered_name
from .serialization import deserialize_keras_object, serialize_keras_object
from .tensor import HOOKS, as_tensor

__all__ = ["Activation", "CELU", "ELU", "Exponential", "GELU", "GLU", "Threshold", "HardShrink", "HardSiLU",
           "HardSigmoid", "HardTanh", "LeakyReLU", "Linear", "LogSigmoid", "LogSoftmax", "Mish",
           "NumericalActivation", "ReLU", "ReLU6", "SELU", "SiLU", "Sigmoid", "SoftShrink", "Softmax", "Softplus",
           "Softsign", "SparsePlus", "SparseSigmoid", "Squareplus", "Tanh", "TanhShrink", "celu", "elu",
           "exponential", "gelu", "get", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
           "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "names", "relu", "relu6", "selu",
           "serialize", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus",
           "sparse_sigmoid", "squareplus", "swish", "tanh", "tanh_shrink", "glu", "threshold", "deserialize"]

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
# TensorFlow's exact gelu multiplies by 1/sqrt(2) rounded to float32, even in float64;
# the same constant here keeps gelu equal to Keras's to the last digit.
GELU_C = float(np.float32(1 / math.sqrt(2)))
GELU_CUBIC = float(np.float32(0.044715))  # cast from float32 in TensorFlow too


def _float32_attribute(value: float) -> float:
    """A constant TensorFlow passes as a float32 op attribute (LeakyRelu's alpha), in any dtype."""
    return float(np.float32(value))



# Branch-free forms of "if z > 0": NumPy's np.where and its maximum against a scalar run
# element by element, 3-20x slower on a (256, 1024) batch than a maximum of two arrays, so the
# selections below are maxima and minima that pick exactly the value np.where would.


def _max_zero(z: np.ndarray) -> np.ndarray:
    """max(z, 0), against a row of zeros broadcast over z (an array operand takes NumPy's vector loop)."""
    return np.maximum(z, np.zeros(z.shape[-1:], z.dtype))


def _min_zero(z: np.ndarray) -> np.ndarray:
    """min(z, 0), against a row of zeros (see _max_zero)."""
    return np.minimum(z, np.zeros(z.shape[-1:], z.dtype))


def _leaky(z: np.ndarray, slope: float) -> np.ndarray:
    """z if z > 0 else slope z: max(z, slope z) for slope <= 1, min(z, slope z) above."""
    return np.maximum(z, slope * z) if slope <= 1 else np.minimum(z, slope * z)


def _leaky_slope(z: np.ndarray, slope: float) -> np.ndarray:
    """1 if z > 0 else slope, in z's dtype: max(1[z > 0], slope) for 0 <= slope <= 1."""
    if not 0 <= slope <= 1:
        return np.where(z > 0, 1, slope).astype(z.dtype)
    return np.maximum((z > 0).astype(z.dtype), np.full(z.shape[-1:], slope, z.dtype))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z) without overflow, from e = e^-|z| <= 1: 1 / (1 + e) for z >= 0, e / (1 + e) below;
    the numerator max(e, 1[z >= 0]) is exactly 1 or e."""
    e = np.exp(-np.abs(z))
    numerator = np.maximum(e, (z >= 0).astype(e.dtype))
    return numerator / (1.0 + e)


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) = max(z, 0) + log1p(e^-|z|)."""
    return _max_zero(z) + np.log1p(np.exp(-np.abs(z)))


def _erfc(x: np.ndarray) -> np.ndarray:
    """1 - erf(x): SciPy's when installed (compiled), else nnlite's own vectorised one (``special``)."""
    try:
        from scipy.special import erfc
    except ImportError:
        return special.erfc(x)
    return erfc(x)


class Activation:
    """a = f(z), with ``backward(z, a, grad_a) -> grad_z``.

    Subclasses set ``name``, take their parameters as keyword arguments and
    implement ``forward`` and ``backward``.

    Args:
        **params: the activation's settings (a subclass with settings names them in its own signature).

    Example:
        >>> import numpy as np, nnlite
        >>> class Cube(nnlite.activations.Activation):
        ...     name = "cube"
        ...     def forward(self, z):
        ...         return z ** 3
        ...     def backward(self, z, a, grad_a):  # grad_z = 3 z^2 grad_a
        ...         return 3 * z ** 2 * grad_a
        >>> cube = Cube()
        >>> z = np.array([1.0, 2.0])
        >>> cube.forward(z), cube.backward(z, cube.forward(z), np.ones(2))
        (array([1., 8.]), array([ 3., 12.]))
    """

    name = "activation"

    def __init__(self, **params: Any) -> None:
        self.params = params
        for key, value in params.items():
            setattr(self, key, value)

    def __call__(self, x: Any, *args: Any, **params: Any) -> Any:
        """a = f(x) as a Tensor (``activations.relu(x)``; further arguments, by position in Keras's order or by
        keyword, set the activation's parameters: ``activations.relu(x, 0.1)``). It is an op of nnlite.ops:
        recorded while a GradientTape follows x, its VJP this activation's backward."""
        if args:
            names = [p.name for p in inspect.signature(type(self).__init__).parameters.values()
                     if p.kind is p.POSITIONAL_OR_KEYWORD][1:]
            if len(args) > len(names):
                raise TypeError(f"activations.{self.name} takes {len(names)} parameter(s) after x ({names}); got "
                                f"{len(args)} positional arguments.")
            params = {**dict(zip(names, args)), **params}
        fn = type(self)(**{**self.params, **params}) if params else self
        return HOOKS["activation"](fn, x)

    def forward(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return dict(self.params)

    def __eq__(self, other: object) -> bool:  # relu == activations.get("relu"): same function, same parameters
        return type(other) is type(self) and other.params == self.params

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self.params.items(), key=lambda kv: kv[0]))))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Activation:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"activations.{self.name}({args})" if args else f"activations.{self.name}"


ACTIVATIONS = Registry(Activation, "keras.activations", name_of=lambda cls: cls.name)


@ACTIVATIONS.register()
class Linear(Activation):
    """a = z.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.Linear()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-2.,  0.,  2.]), array([1., 1., 1.]))
    """

    name = "linear"

    def forward(self, z):
        return z

    def backward(self, z, a, grad_a):
        return grad_a


@ACTIVATIONS.register()
class Sigmoid(Activation):
    """a = 1 / (1 + e^-z);  da/dz = a (1 - a).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.Sigmoid()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([0.1192, 0.5   , 0.8808]), array([0.105, 0.25 , 0.105]))
    """

    name = "sigmoid"

    def forward(self, z):
        return _sigmoid(z)

    def backward(self, z, a, grad_a):
        return grad_a * a * (1 - a)


@ACTIVATIONS.register()
class Tanh(Activation):
    """a = tanh z;  da/dz = 1 - a^2.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.Tanh()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-0.964,  0.   ,  0.964]), array([0.0707, 1.    , 0.0707]))
    """

    name = "tanh"

    def forward(self, z):
        return np.tanh(z)

    def backward(self, z, a, grad_a):
        return grad_a * (1 - a * a)


@ACTIVATIONS.register()
class Exponential(Activation):
    """a = e^z;  da/dz = a.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.Exponential()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([0.1353, 1.    , 7.3891]), array([0.1353, 1.    , 7.3891]))
    """

    name = "exponential"

    def forward(self, z):
        return np.exp(z)

    def backward(self, z, a, grad_a):
        return grad_a * a


@ACTIVATIONS.register()
class ReLU(Activation):
    """a = clip(z if z > threshold else 0, 0, max_value) - negative_slope * max(threshold - z, 0).

    Keras's recipe, step by step, and TensorFlow's derivative of each step: the positive part
    passes the gradient where z > threshold; the clip to [0, max_value] passes it on its
    bounds too (TensorFlow's clip is inclusive), except that without a threshold and with
    max_value 6 Keras uses relu6, whose derivative is 0 at 0 and at 6; the negative part adds
    negative_slope where z < threshold. With only a slope it is TensorFlow's leaky relu.

    Args:
        negative_slope: the slope below the threshold (0: plain ReLU).
        max_value: the largest output (None: no cap).
        threshold: the input below which the output is 0 (or follows the negative slope).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.ReLU(max_value=1.0)
        >>> z = np.array([-2.0, 0.5, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([0. , 0.5, 1. ]), array([0., 1., 0.]))
    """

    name = "relu"

    def __init__(self, negative_slope: float = 0.0, max_value: float | None = None,
                 threshold: float = 0.0) -> None:
        super().__init__(negative_slope=negative_slope, max_value=max_value, threshold=threshold)

    def _plain(self) -> bool:
        return self.negative_slope == 0 and self.max_value is None and self.threshold == 0

    def _leaky(self) -> bool:
        return self.negative_slope != 0 and self.max_value is None and self.threshold == 0

    def _positive(self, z):
        """(positive part, its derivative) before the clip."""
        if self.threshold != 0:
            inside = z > self.threshold
            return np.where(inside, z, 0).astype(z.dtype, copy=False), inside
        if self.max_value == 6:  # relu6: the clip is part of the op, exclusive at both ends
            return np.clip(z, 0, 6), (z > 0) & (z < 6)
        return _max_zero(z), z > 0

    def forward(self, z):
        if self._plain():
            return _max_zero(z)  # max(z, 0), one pass
        if self._leaky():  # TensorFlow's LeakyRelu op takes the slope as a float32 attribute
            return _leaky(z, _float32_attribute(self.negative_slope))
        a, _ = self._positive(z)
        if self.max_value is not None and not (self.threshold == 0 and self.max_value == 6):
            a = np.clip(a, 0, self.max_value)
        if self.negative_slope != 0:
            a = a - self.negative_slope * np.maximum(self.threshold - z, 0)
        return a

    def backward(self, z, a, grad_a):
        if self._plain():
            return grad_a * (z > 0)
        if self._leaky():
            return grad_a * _leaky_slope(z, _float32_attribute(self.negative_slope))
        positive, slope = self._positive(z)
        if self.max_value is not None and not (self.threshold == 0 and self.max_value == 6):
            slope = slope & (positive >= 0) & (positive <= self.max_value)
        slope = slope.astype(z.dtype)
        if self.negative_slope != 0:
            slope += self.negative_slope * (z < self.threshold).astype(z.dtype)
        return grad_a * slope


@ACTIVATIONS.register()
class LeakyReLU(Activation):
    """a = z if z > 0 else negative_slope * z;  da/dz = 1 or negative_slope.

    Args:
        negative_slope: the slope for z <= 0.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.LeakyReLU(negative_slope=0.2)
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-0.4,  0. ,  2. ]), array([0.2, 0.2, 1. ]))
    """

    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.2) -> None:
        super().__init__(negative_slope=negative_slope)

    def forward(self, z):
        return _leaky(z, _float32_attribute(self.negative_slope))

    def backward(self, z, a, grad_a):
        return grad_a * _leaky_slope(z, _float32_attribute(self.negative_slope))


@ACTIVATIONS.register()
class ReLU6(Activation):
    """a = min(max(z, 0), 6);  da/dz = 1 on (0, 6), else 0.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.ReLU6()
        >>> z = np.array([-8.0, 0.0, 8.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([0., 0., 6.]), array([0., 0., 0.]))
    """

    name = "relu6"

    def forward(self, z):
        return np.clip(z, 0, 6)

    def backward(self, z, a, grad_a):
        return grad_a * ((z > 0) & (z < 6))


@ACTIVATIONS.register()
class ELU(Activation):
    """a = z if z > 0 else alpha (e^z - 1);  da/dz = 1 or a + alpha.

    e^z - 1 is computed as TensorFlow's kernel computes it (exp, then minus one), not with expm1.

    Args:
        alpha: the value the output tends to for large negative z (times -1).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.ELU(alpha=1.0)
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-0.8647,  0.    ,  2.    ]), array([0.1353, 1.    , 1.    ]))
    """

    name = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)

    def forward(self, z):
        if self.alpha <= 0:
            return np.where(z > 0, z, self.alpha * (np.exp(np.minimum(z, 0)) - 1))
        # max(z, 0) + alpha (e^min(z, 0) - 1): the branch not taken adds exactly 0
        return _max_zero(z) + self.alpha * (np.exp(_min_zero(z)) - 1)

    def backward(self, z, a, grad_a):
        if not 0 <= self.alpha <= 1:
            return grad_a * np.where(z > 0, 1, a + self.alpha)
        # max(min(a, 0) + alpha, 1[z > 0]): 1 above 0 (alpha <= 1), a + alpha >= 0 below
        return grad_a * np.maximum(_min_zero(a) + a.dtype.type(self.alpha), (z > 0).astype(a.dtype))


@ACTIVATIONS.register()
class SELU(Activation):
    """a = scale * (z if z > 0 else alpha (e^z - 1)), with Klambauer et al.'s alpha and scale.

    da/dz = scale where a >= 0, else a + scale * alpha. As in TensorFlow's kernel, e^z - 1 is
    computed as exp then minus one, and the branch is chosen by the sign of a (so a tiny negative
    z whose e^z rounds to 1 counts as z = 0).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.SELU()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-1.5202,  0.    ,  2.1014]), array([0.2379, 1.0507, 1.0507]))
    """

    name = "selu"

    def forward(self, z):  # the branch not taken adds exactly 0
        return SELU_SCALE * _max_zero(z) + SELU_SCALE * SELU_ALPHA * (np.exp(_min_zero(z)) - 1)

    def backward(self, z, a, grad_a):
        return grad_a * np.where(a < 0, a + SELU_SCALE * SELU_ALPHA, SELU_SCALE)


@ACTIVATIONS.register()
class CELU(Activation):
    """a = max(z, 0) + alpha (e^(min(z, 0) / alpha) - 1);  da/dz = [z >= 0] + e^(min(z, 0) / alpha) [z <= 0].

    At z = 0 both max and min pass the gradient (TensorFlow's choice at a tie), so Keras's celu
    has slope 2 there; nnlite follows.

    Args:
        alpha: the scale of the negative part.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.CELU(alpha=1.0)
        >>> z = np.array([-2.0, 1.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-0.8647,  1.    ,  2.    ]), array([0.1353, 1.    , 1.    ]))
    """

    name = "celu"

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)

    def forward(self, z):
        return np.maximum(z, 0) + self.alpha * np.expm1(np.minimum(z, 0) / self.alpha)

    def backward(self, z, a, grad_a):
        return grad_a * ((z >= 0) + np.exp(np.minimum(z, 0) / self.alpha) * (z <= 0))


@ACTIVATIONS.register()
class Softplus(Activation):
    """a = log(1 + e^z);  da/dz = sigmoid(z).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.Softplus()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([0.1269, 0.6931, 2.1269]), array([0.1192, 0.5   , 0.8808]))
    """

    name = "softplus"

    def forward(self, z):
        return _softplus(z)

    def backward(self, z, a, grad_a):
        return grad_a * _sigmoid(z)


@ACTIVATIONS.register()
class Softsign(Activation):
    """a = z / (1 + |z|);  da/dz = 1 / (1 + |z|)^2.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.Softsign()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-0.6667,  0.    ,  0.6667]), array([0.1111, 1.    , 0.1111]))
    """

    name = "softsign"

    def forward(self, z):
        return z / (1 + np.abs(z))

    def backward(self, z, a, grad_a):
        return grad_a / np.square(1 + np.abs(z))


@ACTIVATIONS.register("swish")
class SiLU(Activation):
    """a = z sigmoid(z) (swish);  da/dz = s (1 + z (1 - s)) with s = sigmoid(z).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.SiLU()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-0.2384,  0.    ,  1.7616]), array([-0.0908,  0.5   ,  1.0908]))
    """

    name = "silu"

    def forward(self, z):
        return z * _sigmoid(z)

    def backward(self, z, a, grad_a):
        s = _sigmoid(z)
        return grad_a * s * (1 + z * (1 - s))


@ACTIVATIONS.register()
class Mish(Activation):
    """a = z tanh(softplus(z));  da/dz = t + z (1 - t^2) sigmoid(z) with t = tanh(softplus(z)).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.Mish()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-0.2525,  0.    ,  1.944 ]), array([-0.1084,  0.6   ,  1.0693]))
    """

    name = "mish"

    def forward(self, z):
        return z * np.tanh(_softplus(z))

    def backward(self, z, a, grad_a):
        t = np.tanh(_softplus(z))
        return grad_a * (t + z * (1 - t * t) * _sigmoid(z))


@ACTIVATIONS.register()
class GELU(Activation):
    """a = z Phi(z) = 0.5 z erfc(-c z) with c = 1/sqrt 2; approximate: 0.5 z (1 + tanh(sqrt(2/pi)(z + 0.044715 z^3))).

    Exact: da/dz = 0.5 erfc(-c z) + c z e^(-c^2 z^2) / sqrt(pi). Approximate:
    0.5 (1 + t) + 0.5 z (1 - t^2) u' with u' = sqrt(2/pi) (1 + 3 * 0.044715 z^2).
    c is 1/sqrt 2 rounded to float32, as TensorFlow has it (see GELU_C).

    Args:
        approximate: use the tanh approximation instead of the exact erf form.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.GELU()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-0.0455,  0.    ,  1.9545]), array([-0.0852,  0.5   ,  1.0852]))
    """

    name = "gelu"

    def __init__(self, approximate: bool = False) -> None:
        super().__init__(approximate=approximate)

    def forward(self, z):
        if self.approximate:
            return 0.5 * z * (1 + np.tanh(SQRT_2_OVER_PI * (z + GELU_CUBIC * z**3)))
        return 0.5 * z * _erfc(-GELU_C * z)

    def backward(self, z, a, grad_a):
        if self.approximate:
            t = np.tanh(SQRT_2_OVER_PI * (z + GELU_CUBIC * z**3))
            du = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * z * z)
            return grad_a * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du)
        density = GELU_C / math.sqrt(math.pi) * np.exp(-(GELU_C * z) ** 2)
        if a is None:
            phi = 0.5 * _erfc(-GELU_C * z)
        else:  # Phi(z) = a / z from the forward pass (one erfc per step, not two); Phi(0) = 1/2
            phi = np.divide(a, z, out=np.full_like(z, 0.5), where=z != 0)
        return grad_a * (phi + z * density)


@ACTIVATIONS.register()
class HardSigmoid(Activation):
    """a = clip(z / 6 + 1/2, 0, 1);  da/dz = 1/6 on (-3, 3), else 0.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.HardSigmoid()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([0.1667, 0.5   , 0.8333]), array([0.1667, 0.1667, 0.1667]))
    """

    name = "hard_sigmoid"

    def forward(self, z):
        return np.clip(z + 3, 0, 6) / 6

    def backward(self, z, a, grad_a):
        return grad_a * ((z > -3) & (z < 3)) / 6


@ACTIVATIONS.register("hard_swish")
class HardSiLU(Activation):
    """a = z hard_sigmoid(z);  da/dz = hard_sigmoid(z) + z / 6 on (-3, 3).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.HardSiLU()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-0.3333,  0.    ,  1.6667]), array([-0.1667,  0.5   ,  1.1667]))
    """

    name = "hard_silu"

    def forward(self, z):
        return z * (np.clip(z + 3, 0, 6) / 6)

    def backward(self, z, a, grad_a):
        return grad_a * (np.clip(z + 3, 0, 6) / 6 + z * ((z > -3) & (z < 3)) / 6)


@ACTIVATIONS.register()
class HardTanh(Activation):
    """a = clip(z, -1, 1);  da/dz = 1 on [-1, 1] (TensorFlow's clip passes it on the bounds), else 0.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.HardTanh()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-1.,  0.,  1.]), array([0., 1., 0.]))
    """

    name = "hard_tanh"

    def forward(self, z):
        return np.clip(z, -1, 1)

    def backward(self, z, a, grad_a):
        return grad_a * (np.abs(z) <= 1)


@ACTIVATIONS.register()
class LogSigmoid(Activation):
    """a = log sigmoid(z) = -softplus(-z);  da/dz = sigmoid(-z).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.LogSigmoid()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-2.1269, -0.6931, -0.1269]), array([0.8808, 0.5   , 0.1192]))
    """

    name = "log_sigmoid"

    def forward(self, z):
        return -_softplus(-z)

    def backward(self, z, a, grad_a):
        return grad_a * _sigmoid(-z)


@ACTIVATIONS.register()
class SparsePlus(Activation):
    """a = 0 for z <= -1, (z + 1)^2 / 4 for -1 < z < 1, z for z >= 1;  da/dz = 0, (z + 1)/2, 1.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.SparsePlus()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([0.  , 0.25, 2.  ]), array([0. , 0.5, 1. ]))
    """

    name = "sparse_plus"

    def forward(self, z):
        return np.where(z <= -1, 0, np.where(z < 1, 0.25 * (z + 1) ** 2, z)).astype(z.dtype)

    def backward(self, z, a, grad_a):
        return grad_a * np.where(z <= -1, 0, np.where(z < 1, 0.5 * (z + 1), 1)).astype(z.dtype)


@ACTIVATIONS.register()
class SparseSigmoid(Activation):
    """a = 0 for z <= -1, (z + 1) / 2 for -1 < z < 1, 1 for z >= 1;  da/dz = 1/2 on (-1, 1).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.SparseSigmoid()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([0. , 0.5, 1. ]), array([0. , 0.5, 0. ]))
    """

    name = "sparse_sigmoid"

    def forward(self, z):
        return np.clip(0.5 * (z + 1), 0, 1)

    def backward(self, z, a, grad_a):
        return grad_a * (np.abs(z) < 1) * 0.5


@ACTIVATIONS.register()
class Squareplus(Activation):
    """a = (z + sqrt(z^2 + b)) / 2;  da/dz = (1 + z / sqrt(z^2 + b)) / 2.

    Args:
        b: the smoothness at 0 (b = 0 is ReLU).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.Squareplus(b=4.0)
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([0.4142, 1.    , 2.4142]), array([0.1464, 0.5   , 0.8536]))
    """

    name = "squareplus"

    def __init__(self, b: float = 4.0) -> None:
        super().__init__(b=b)

    def forward(self, z):
        return 0.5 * (z + np.sqrt(z * z + self.b))

    def backward(self, z, a, grad_a):
        return grad_a * 0.5 * (1 + z / np.sqrt(z * z + self.b))


@ACTIVATIONS.register()
class TanhShrink(Activation):
    """a = z - tanh z;  da/dz = tanh^2 z.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.TanhShrink()
        >>> z = np.array([-2.0, 0.0, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-1.036,  0.   ,  1.036]), array([0.9293, 0.    , 0.9293]))
    """

    name = "tanh_shrink"

    def forward(self, z):
        return z - np.tanh(z)

    def backward(self, z, a, grad_a):
        return grad_a * np.square(np.tanh(z))


@ACTIVATIONS.register()
class SoftShrink(Activation):
    """a = z - threshold if z > threshold, z + threshold if z < -threshold, else 0;  da/dz = [|z| > threshold].

    Args:
        threshold: the half-width of the band mapped to 0.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.SoftShrink(threshold=0.5)
        >>> z = np.array([-2.0, 0.5, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-1.5,  0. ,  1.5]), array([1., 0., 1.]))
    """

    name = "soft_shrink"

    def __init__(self, threshold: float = 0.5) -> None:
        super().__init__(threshold=threshold)

    def forward(self, z):
        return np.sign(z) * np.maximum(np.abs(z) - self.threshold, 0)

    def backward(self, z, a, grad_a):
        return grad_a * (np.abs(z) > self.threshold)


@ACTIVATIONS.register()
class HardShrink(Activation):
    """a = z if |z| > threshold else 0;  da/dz = [|z| > threshold].

    Args:
        threshold: the half-width of the band mapped to 0.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.HardShrink(threshold=0.5)
        >>> z = np.array([-2.0, 0.5, 2.0])
        >>> a = f.forward(z)
        >>> a.round(4), f.backward(z, a, np.ones_like(z)).round(4)  # a = f(z) and f'(z)
        (array([-2.,  0.,  2.]), array([1., 0., 1.]))
    """

    name = "hard_shrink"

    def __init__(self, threshold: float = 0.5) -> None:
        super().__init__(threshold=threshold)

    def forward(self, z):
        return np.where(np.abs(z) > self.threshold, z, 0).astype(z.dtype)

    def backward(self, z, a, grad_a):
        return grad_a * (np.abs(z) > self.threshold)


@ACTIVATIONS.register()
class Softmax(Activation):
    """a_i = e^(z_i - max z) / sum_j e^(z_j - max z) over ``axis``.

    The Jacobian is diag(a) - a a^T, so grad_z = a * (grad_a - sum_j grad_a_j a_j).

    Args:
        axis: the axis the probabilities sum to 1 along.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.Softmax(axis=-1)
        >>> f([[1.0, 1.0], [0.0, 2.0]]).round(4)
        array([[0.5   , 0.5   ],
               [0.1192, 0.8808]])
        >>> z = np.array([[0.0, 0.0]])
        >>> f.backward(z, f.forward(z), np.array([[1.0, 0.0]]))  # a (g - sum g a)
        array([[ 0.25, -0.25]])
    """

    name = "softmax"

    def __init__(self, axis: int = -1) -> None:
        super().__init__(axis=axis)

    def forward(self, z):
        e = np.exp(z - np.maximum.reduce(z, axis=self.axis, keepdims=True))
        e /= np.add.reduce(e, axis=self.axis, keepdims=True)
        return e

    def backward(self, z, a, grad_a):
        return a * (grad_a - (grad_a * a).sum(axis=self.axis, keepdims=True))



@ACTIVATIONS.register()
class GLU(Activation):
    """a = x1 sigmoid(x2), with x1 and x2 the two halves of z along ``axis``;
    grad_x1 = grad_a sigmoid(x2), grad_x2 = grad_a x1 sigmoid(x2) (1 - sigmoid(x2)).

    Args:
        axis: the axis split in halves (its size must be even).

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.GLU()
        >>> z = np.array([[2.0, 0.0]])  # x1 = 2, x2 = 0
        >>> f.forward(z), f.backward(z, f.forward(z), np.ones((1, 1)))
        (array([[1.]]), array([[0.5, 0.5]]))
    """

    name = "glu"

    def __init__(self, axis: int = -1) -> None:
        super().__init__(axis=axis)

    def _halves(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if z.shape[self.axis] % 2:
            raise ValueError(f"axis size must be divisible by 2. Received: x.shape={z.shape} with axis={self.axis}")
        x1, x2 = np.split(z, 2, axis=self.axis)
        return x1, x2

    def forward(self, z):
        x1, x2 = self._halves(z)
        return x1 * _sigmoid(x2)

    def backward(self, z, a, grad_a):
        x1, x2 = self._halves(z)
        s = _sigmoid(x2)
        return np.concatenate([grad_a * s, grad_a * x1 * s * (1 - s)], axis=self.axis)


@ACTIVATIONS.register(example={"threshold": 0.5, "default_value": 0.0})
class Threshold(Activation):
    """a = z where z > threshold, else default_value;  da/dz = 1 where z > threshold, else 0.

    Args:
        threshold: the value z must exceed to be kept.
        default_value: what replaces z at or below the threshold.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.Threshold(threshold=0.5, default_value=-1.0)
        >>> z = np.array([0.0, 0.5, 2.0])
        >>> f.forward(z), f.backward(z, f.forward(z), np.ones(3))
        (array([-1., -1.,  2.]), array([0., 0., 1.]))
    """

    name = "threshold"

    def __init__(self, threshold: float, default_value: float) -> None:
        super().__init__(threshold=threshold, default_value=default_value)

    def forward(self, z):
        return np.where(z > self.threshold, z, z.dtype.type(self.default_value))

    def backward(self, z, a, grad_a):
        return np.where(z > self.threshold, grad_a, 0).astype(grad_a.dtype, copy=False)

@ACTIVATIONS.register()
class LogSoftmax(Activation):
    """a_i = z_i - max z - log sum_j e^(z_j - max z) over ``axis``.

    The Jacobian is I - 1 softmax(z)^T, so grad_z = grad_a - softmax(z) sum_j grad_a_j,
    with softmax(z) = e^a.

    Args:
        axis: the axis the softmax is taken along.

    Example:
        >>> import numpy as np, nnlite
        >>> f = nnlite.activations.LogSoftmax(axis=-1)
        >>> f([[0.0, 0.0]]).round(4)  # log(1/2) twice
        array([[-0.6931, -0.6931]])
    """

    name = "log_softmax"

    def __init__(self, axis: int = -1) -> None:
        super().__init__(axis=axis)

    def forward(self, z):
        shifted = z - z.max(axis=self.axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, z, a, grad_a):
        return grad_a - np.exp(a) * grad_a.sum(axis=self.axis, keepdims=True)


class NumericalActivation(Activation):
    """A user's callable ``a = f(z)`` (written with nnlite.ops or arithmetic), differentiated by the tape:
    grad_z = J_f(z)^T grad_a, from one backward sweep over the ops f ran.

    Args:
        function: ``f(z)`` written with ``nnlite.ops`` or arithmetic, returning an array of z's shape.

    Example:
        >>> import numpy as np, nnlite
        >>> cube = nnlite.activations.NumericalActivation(lambda z: z * z * z)
        >>> z = np.array([1.0, 2.0])
        >>> cube.backward(z, cube.forward(z), np.ones(2))  # 3 z^2, by the tape
        array([ 3., 12.])
    """

    name = "numerical"

    def __init__(self, function: Callable[[np.ndarray], Any]) -> None:
        super().__init__()
        self.function = function
        self.name = getattr(function, "__name__", type(function).__name__)

    def forward(self, z):
        return np.asarray(self.function(z), dtype=z.dtype)

    def __eq__(self, other: object) -> bool:  # get(fn) == fn: the same function
        return other is self.function or (type(other) is type(self) and other.function is self.function)

    def __hash__(self) -> int:
        return hash(self.function)

    def backward(self, z, a, grad_a):
        with GradientTape() as tape:
            leaf = as_tensor(np.array(z))
            tape.watch(leaf)
            out = self.function(leaf)
        grad = tape.gradient(out, leaf, output_gradients=grad_a)
        if grad is None:
            raise ValueError(f"The activation {self.name!r} does not depend on its input through operations nnlite "
                             "records: write it with nnlite.ops (or arithmetic on its argument), or subclass "
                             "nnlite.activations.Activation and write its backward.")
        return np.asarray(value_of(grad), dtype=z.dtype)

    def __repr__(self) -> str:
        return f"NumericalActivation({self.name})"


linear = Linear()
sigmoid = Sigmoid()
tanh = Tanh()
exponential = Exponential()
relu = ReLU()
leaky_relu = LeakyReLU()
relu6 = ReLU6()
elu = ELU()
selu = SELU()
celu = CELU()
softplus = Softplus()
softsign = Softsign()
silu = swish = SiLU()
mish = Mish()
gelu = GELU()
hard_sigmoid = HardSigmoid()
hard_silu = hard_swish = HardSiLU()
hard_tanh = HardTanh()
log_sigmoid = LogSigmoid()
sparse_plus = SparsePlus()
sparse_sigmoid = SparseSigmoid()
squareplus = Squareplus()
tanh_shrink = TanhShrink()
soft_shrink = SoftShrink()
hard_shrink = HardShrink()
softmax = Softmax()
log_softmax = LogSoftmax()
glu = GLU()


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """a = x where x > threshold, else default_value (Keras's ``activations.threshold``; see :class:`Threshold`).

    Args:
        x: the values.
        threshold: the value x must exceed to be kept.
        default_value: what replaces x at or below the threshold.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.activations.threshold(np.array([-1.0, 3.0]), 0.0, 0.5).tolist()
        [0.5, 3.0]
    """
    return Threshold(threshold=threshold, default_value=default_value)(x)


def names() -> list[str]:
    """Every name :func:`get` accepts.

    Example:
        >>> import numpy as np, nnlite
        >>> 'relu' in nnlite.activations.names(), len(nnlite.activations.names()) > 20
        (True, True)
    """
    return ACTIVATIONS.names()



NO_SETTINGS = """

    Args:
        **params: none are used: this activation has no settings.
    """


def _say_no_settings(base: type) -> None:
    """The activations without settings of their own say so under Args, so help() describes every argument."""
    for cls in base.__subclasses__():
        if cls.__init__ is Activation.__init__ and "Args:" not in (cls.__doc__ or ""):
            cls.__doc__ = (cls.__doc__ or "").rstrip() + NO_SETTINGS
        _say_no_settings(cls)


_say_no_settings(Activation)

def get(identifier: str | Activation | Callable | None) -> Activation:
    """An :class:`Activation` from a name, an Activation, a plain callable, or None (linear).

    Args:
        identifier: a name ("relu", "softmax", ...), an ``Activation``, a plain function, or None (linear).

    Returns:
        An ``Activation`` (a function becomes a ``NumericalActivation``, differentiated by the tape).

    Example:
        >>> import numpy as np, nnlite
        >>> relu = nnlite.activations.get("relu")
        >>> relu(np.array([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    if identifier is None:
        return linear
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str):
        found = ACTIVATIONS.lookup(identifier)
        if not isinstance(found, type):
            return get(found)  # a custom function made known by name
        try:
            return found()
        except TypeError:  # threshold: its parameters have no defaults
            raise ValueError(f"The activation {identifier!r} has parameters without defaults, so a name alone cannot "
                             f"give it; use activations.{found.__name__}(...) with them.") from None
    if isinstance(identifier, dict):  # Keras's serialized form: an activation, or a function or layer of one's own
        name = identifier.get("class_name")
        registered = custom_object(identifier.get("registered_name"))
        known_elsewhere = name in ("function", "__lambda__") or registered is not None or any(
            name in registry.classes() for registry in ALL if registry is not ACTIVATIONS)
        if not known_elsewhere:  # an activation class (or a name nnlite refuses with its reason)
            return ACTIVATIONS.deserialize(identifier)
        return get(deserialize_keras_object(identifier))
    if callable(identifier):
        return NumericalActivation(identifier)
    raise TypeError(
        "activation must be a name, an nnlite.activations.Activation, a callable or None; "
        f"got {type(identifier).__name__}: {identifier!r}."
    )


def serialize(activation: Activation) -> str | dict[str, Any]:
    """The name Keras writes in a layer config ("relu"); for a function of one's own, Keras's function entry (its
    registered name: ``custom_objects`` or a registration finds it again), for a layer or other object given as
    the activation, its config entry.

    A Keras config names an activation function without arguments, so only an
    activation at its default parameters can be written; ``relu(max_value=6)`` belongs
    in a ``ReLU`` layer.

    Args:
        activation: an ``Activation`` at its default settings, or one wrapping a function or object of one's own.

    Returns:
        The name Keras writes, or the entry of one's own; an activation with other settings raises ValueError.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.activations.serialize(nnlite.activations.relu)
        'relu'
    """
    if isinstance(activation, NumericalActivation):
        return _entry_of_ones_own(activation.function)
    cls = ACTIVATIONS.lookup(activation.name) if activation.name in ACTIVATIONS else None
    try:
        defaults = None if cls is None else cls().params
    except TypeError:  # an activation whose parameters have no defaults (threshold)
        defaults = None
    if cls is None or type(activation) is not cls or activation.params != defaults:
        raise ValueError(f"Only a named activation at its default parameters can be written to a Keras config; "
                         f"got {activation!r}. Use the matching layer (ReLU(max_value=...), LeakyReLU, ...) "
                         "for an activation with parameters.")
    return activation.name


def _entry_of_ones_own(function: Any) -> dict[str, Any]:
    """Keras's config entry for an activation of one's own: a function by its (registered) name, as Keras's
    ``activations.serialize`` writes it; a layer or other object by its class and config."""
    if not isinstance(function, types.FunctionType) or function.__name__ == "<lambda>":
        return serialize_keras_object(function)  # a lambda as its bytecode, as Keras writes it (never read here)
    return {"module": "builtins", "class_name": "function", "config": get_registered_name(function),
            "registered_name": "function"}


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Activation:
    """The activation a Keras config names: a name ("relu"), or the dict form of one of your own.

    Args:
        config: the name, or Keras's dict form.
        custom_objects: functions or classes of your own the config may name.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.activations.deserialize("tanh") is nnlite.activations.tanh
        False
        >>> nnlite.activations.deserialize("tanh") == nnlite.activations.tanh
        True
    """
    with CustomObjectScope(custom_objects):
        return get(config)

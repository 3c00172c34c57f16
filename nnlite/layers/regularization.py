"""Layers that act in training only: Dropout, AlphaDropout, GaussianDropout, GaussianNoise (random, drawn from the
layer's ``seed_generator``, as Keras's), and ActivityRegularization (a penalty on the output)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import regularizers
from ..activations import SELU_ALPHA, SELU_SCALE
from ..docstrings import with_arguments
from ..seed_generator import SeedGenerator
from .base import LAYERS, Context, Layer, document_keywords
from .patches import data_format_name


@LAYERS.register(example={"rate": 0.25, "seed": 3})
class Dropout(Layer):
    """Training: a = x * m / (1 - rate) with m_i ~ Bernoulli(1 - rate); inference: a = x.

    grad_x = grad_a * m / (1 - rate). The mask has ``noise_shape`` (None entries take the
    input's size) and is drawn from the layer's ``seed_generator`` (started from ``seed``): successive calls give
    new masks, reproducibly.

    Args:
        rate: the fraction of inputs set to 0 while training, in [0, 1).
        noise_shape: the mask's shape, e.g. ``(None, 1, features)`` to drop whole features at every step.
        seed: the start of the layer's ``seed_generator`` (an int, for reproducible masks; None: drawn from nnlite's
            generator), or a NumPy Generator to draw from.
        **kwargs: ``name``, ``dtype``, ``trainable``.

    Example:
        >>> import numpy as np, nnlite
        >>> drop = nnlite.layers.Dropout(0.5, seed=0)
        >>> drop(np.ones((1, 4)), training=False).tolist()  # inference passes x through
        [[1.0, 1.0, 1.0, 1.0]]
        >>> sorted(set(np.asarray(drop(np.ones((1, 1000)), training=True)).ravel().tolist()))  # kept ones scaled
        [0.0, 2.0]
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | np.random.Generator | None = None,
                 **kwargs: Any) -> None:
        rate = check_rate(rate)
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.noise_shape = check_noise_shape(noise_shape)
        self.seed = check_seed(seed)
        if self.rate > 0:  # as Keras's: a layer that never draws holds no generator
            self.seed_generator = seed_generator(seed)
        self._build_at_init(Dropout)

    def forward(self, x, ctx: Context):
        if not ctx.training or self.rate == 0:
            return x, None
        shape = noise_shape_for(x, self.noise_shape)
        mask = dropout_mask(ctx, self.seed_generator, self.rate, shape, x.dtype)  # broadcasts
        return x * mask, mask

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a if saved is None else grad_a * saved

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": seed_config(self.seed),
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}


def dropout_mask(ctx: Context, source: SeedGenerator | np.random.Generator | None, rate: float, shape: tuple[int, ...],
                 dtype: Any) -> np.ndarray | None:
    """m = k / (1 - rate) with k ~ Bernoulli(1 - rate) of ``shape`` while training (zeros when rate = 1); None when
    nothing is dropped (inference, or rate 0). Dropout's, and the recurrent and attention layers' masks.

    Args:
        ctx: the pass's Context (training or not; where the draws come from).
        source: the layer's random source (its ``seed_generator``), or None for nnlite's generator.
        rate: the fraction dropped.
        shape: the mask's shape.
        dtype: its dtype.
    """
    if not ctx.training or rate == 0:
        return None
    dtype = np.dtype(dtype)
    if rate == 1:
        return np.zeros(shape, dtype)
    keep = ctx.generator(source).random(shape) >= rate
    return keep.astype(dtype) / dtype.type(1 - rate)


def check_rate(value: Any, name: str = "rate") -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"Invalid value received for argument `{name}`. Expected a float value between 0 and 1. "
                         f"Received: {name}={value!r}")
    return float(value)


def check_seed(seed: Any) -> Any:
    """A layer's ``seed``, checked: an int, a NumPy Generator or None."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.random.Generator))):
        raise ValueError(f"seed must be an int, a numpy Generator or None; got seed={seed!r}.")
    return seed


def seed_generator(seed: Any) -> SeedGenerator | np.random.Generator:
    """A layer's random source, as Keras's layers hold it (``layer.seed_generator``): a SeedGenerator from an int
    seed or None (its seed then drawn from nnlite's generator, which ``utils.set_random_seed`` seeds), whose state
    is among the layer's ``variables``; a NumPy Generator given as the seed is drawn from as it is."""
    return seed if isinstance(check_seed(seed), np.random.Generator) else SeedGenerator(seed)


def seed_config(seed: Any) -> int | None:
    return None if isinstance(seed, np.random.Generator) else seed


def noise_shape_for(x: np.ndarray, noise_shape: tuple | None) -> tuple[int, ...]:
    """The shape of the noise for x: ``noise_shape`` with None entries taking x's sizes."""
    if noise_shape is None:
        return x.shape
    return tuple(x.shape[i] if d is None else d for i, d in enumerate(noise_shape))


def check_noise_shape(noise_shape: Any) -> tuple | None:
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str):
        raise ValueError(f"Invalid value received for argument `noise_shape`. Expected a tuple or list of "
                         f"integers. Received: noise_shape={noise_shape!r}")
    try:
        noise_shape = tuple(noise_shape)
    except TypeError:
        raise ValueError(f"Invalid value received for argument `noise_shape`. Expected an iterable of integers "
                         f"(e.g., a tuple or list). Received: noise_shape={noise_shape!r}") from None
    for i, d in enumerate(noise_shape):
        if d is not None and (isinstance(d, bool) or not isinstance(d, numbers.Integral)):
            raise ValueError(f"Invalid value received for argument `noise_shape`. Expected all elements to be "
                             f"integers or None. Received element at index {i}: {d} (type: {type(d).__name__})")
        if d is not None and d <= 0:
            raise ValueError(f"Invalid value received for argument `noise_shape`. Expected all dimensions to be "
                             f"positive integers or None. Received negative or zero value at index {i}: {d}")
    return noise_shape


@document_keywords
@LAYERS.register(example={"stddev": 0.3, "seed": 1})
class GaussianNoise(Layer):
    """Training: a = x + n with n ~ N(0, stddev^2) per element; inference: a = x.  grad_x = grad_a.

    Args:
        stddev: the noise's standard deviation.
        seed: the start of the layer's ``seed_generator`` (an int, for reproducible draws; None: drawn from nnlite's
            generator), or a NumPy Generator to draw from.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> noise = nnlite.layers.GaussianNoise(0.1, seed=0)
        >>> noise(np.ones((1, 3)), training=False)  # inference passes x through
        Tensor([[1., 1., 1.]], dtype=float32)
        >>> round(float(noise(np.zeros((1, 1000)), training=True).std()), 1)
        0.1
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, stddev: float, seed: int | np.random.Generator | None = None, **kwargs: Any) -> None:
        stddev = check_rate(stddev, "stddev")
        super().__init__(**kwargs)
        self.stddev, self.seed = stddev, check_seed(seed)
        if self.stddev > 0:
            self.seed_generator = seed_generator(seed)
        self._build_at_init(GaussianNoise)

    def forward(self, x, ctx: Context):
        if not ctx.training or self.stddev == 0:
            return x, None
        return x + ctx.generator(self.seed_generator).normal(0.0, self.stddev, x.shape).astype(x.dtype), None

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": seed_config(self.seed)}


@document_keywords
@LAYERS.register(example={"rate": 0.2, "seed": 1})
class GaussianDropout(Layer):
    """Training: a = x * m with m ~ N(1, rate / (1 - rate)) per element; inference: a = x.  grad_x = grad_a * m.

    Args:
        rate: the drop probability the noise's variance rate / (1 - rate) matches, in [0, 1).
        seed: the start of the layer's ``seed_generator`` (an int, for reproducible draws; None: drawn from nnlite's
            generator), or a NumPy Generator to draw from.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> drop = nnlite.layers.GaussianDropout(0.5, seed=0)
        >>> drop(np.ones((1, 3)), training=False)  # inference passes x through
        Tensor([[1., 1., 1.]], dtype=float32)
        >>> round(float(drop(np.ones((1, 1000)), training=True).std()), 1)  # m ~ N(1, rate / (1 - rate))
        1.0
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, rate: float, seed: int | np.random.Generator | None = None, **kwargs: Any) -> None:
        rate = check_rate(rate)
        super().__init__(**kwargs)
        self.rate, self.seed = rate, check_seed(seed)
        if self.rate > 0:
            self.seed_generator = seed_generator(seed)
        self._build_at_init(GaussianDropout)

    def forward(self, x, ctx: Context):
        if not ctx.training or self.rate == 0:
            return x, None
        m = ctx.generator(self.seed_generator).normal(1.0, math.sqrt(self.rate / (1.0 - self.rate)), x.shape)
        m = m.astype(x.dtype)
        return x * m, m

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a if saved is None else grad_a * saved

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": seed_config(self.seed)}


@document_keywords
@LAYERS.register(example={"rate": 0.2, "seed": 1})
class AlphaDropout(Layer):
    """Training, with keep mask k_i ~ Bernoulli(1 - rate) and alpha_p = -alpha * scale of SELU:
        a = A * (x * k + alpha_p * (1 - k)) + B,   A = ((1 - rate) (1 + rate alpha_p^2))^(-1/2),  B = -A alpha_p rate,
    which keeps SELU's mean 0 and variance 1; inference: a = x.   grad_x = A * k * grad_a.

    Args:
        rate: the fraction of inputs dropped while training, in [0, 1).
        noise_shape: the mask's shape; None entries take the input's size.
        seed: the start of the layer's ``seed_generator`` (an int, for reproducible draws; None: drawn from nnlite's
            generator), or a NumPy Generator to draw from.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> drop = nnlite.layers.AlphaDropout(0.2, seed=0)
        >>> drop(np.ones((1, 3)), training=False)  # inference passes x through
        Tensor([[1., 1., 1.]], dtype=float32)
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | np.random.Generator | None = None,
                 **kwargs: Any) -> None:
        rate = check_rate(rate)
        super().__init__(**kwargs)
        self.rate, self.noise_shape = rate, check_noise_shape(noise_shape)
        self.seed = check_seed(seed)
        if self.rate > 0:
            self.seed_generator = seed_generator(seed)
        self._build_at_init(AlphaDropout)

    def forward(self, x, ctx: Context):
        if not ctx.training or self.rate == 0:
            return x, None
        alpha_p = -SELU_ALPHA * SELU_SCALE  # where SELU saturates: a dropped unit is set there
        u = ctx.generator(self.seed_generator).random(noise_shape_for(x, self.noise_shape))
        k = (u >= self.rate).astype(x.dtype)
        a_ = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b_ = -a_ * alpha_p * self.rate
        return a_ * (x * k + alpha_p * (1 - k)) + b_, a_ * k

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a if saved is None else grad_a * saved

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": seed_config(self.seed),
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}


@document_keywords
@LAYERS.register(example={"l1": 0.01, "l2": 0.02})
class ActivityRegularization(Layer):
    """a = x, and l1 * sum|a| + l2 * sum a^2 (divided by the batch size, as Keras) joins the loss.

    Args:
        l1: the L1 factor.
        l2: the L2 factor.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> layer = nnlite.layers.ActivityRegularization(l1=0.1)
        >>> layer(np.array([[-1.0, 2.0]]))  # the output is the input
        Tensor([[-1.,  2.]], dtype=float32)
        >>> [round(float(v), 6) for v in layer.losses]  # 0.1 (|-1| + |2|) / batch
        [0.3]
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = l1, l2
        self._build_at_init(ActivityRegularization)

    def forward(self, x, ctx: Context):
        return x, None

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}


@LAYERS.register(example={"rate": 0.25, "seed": 3})
class SpatialDropout1D(Dropout):
    """Dropout of whole channels: a[n, t, c] = x[n, t, c] m[n, c] / (1 - rate), one mask entry per sample and
    channel, shared by every step (noise_shape (batch, 1, channels));  grad_x = grad_a m / (1 - rate).

    Args:
        rate: the fraction of channels set to 0 while training, in [0, 1).
        seed: the start of the layer's ``seed_generator`` (an int, for reproducible masks; None: drawn from nnlite's
            generator), or a NumPy Generator to draw from.
        name: the layer's name.
        dtype: the float dtype it computes in.

    Example:
        >>> import numpy as np, nnlite
        >>> a = nnlite.layers.SpatialDropout1D(0.5, seed=1)(np.ones((1, 3, 4)), training=True)
        >>> bool((a == a[:, :1]).all())  # every step dropped alike
        True
    """

    def __init__(self, rate: float, seed: int | np.random.Generator | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(rate, noise_shape=(None, 1, None), seed=seed, name=name, dtype=dtype)

    def get_config(self):
        return {"rate": self.rate, "seed": seed_config(self.seed), "name": self.name, "dtype": self.dtype}


SPATIAL_ARGUMENTS = """\
        data_format: "channels_last" or "channels_first"; ``None`` for ``config.image_data_format()``.
        seed: the start of the layer's ``seed_generator`` (an int, for reproducible masks; None: drawn from nnlite's
            generator), or a NumPy Generator to draw from.
        name: the layer's name.
        dtype: the float dtype it computes in.
"""


@with_arguments(SPATIAL_ARGUMENTS, "spatial arguments")
@LAYERS.register(example={"rate": 0.25, "seed": 3})
class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: a[n, i, j, c] = x[n, i, j, c] m[n, c] / (1 - rate), one mask entry per sample
    and channel, shared by every row and column;  grad_x = grad_a m / (1 - rate).

    Args:
        rate: the fraction of feature maps set to 0 while training, in [0, 1).
        {spatial arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> a = nnlite.layers.SpatialDropout2D(0.5, seed=1)(np.ones((1, 2, 2, 4)), training=True)
        >>> bool((a == a[:, :1, :1]).all())  # every pixel of a map dropped alike
        True
    """

    def __init__(self, rate: float, data_format: str | None = None, seed: int | np.random.Generator | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        data_format = data_format_name(data_format)
        shape = (None, None, 1, 1) if data_format == "channels_first" else (None, 1, 1, None)
        super().__init__(rate, noise_shape=shape, seed=seed, name=name, dtype=dtype)
        self.data_format = data_format

    def get_config(self):
        return {"rate": self.rate, "seed": seed_config(self.seed), "name": self.name, "dtype": self.dtype,
                "data_format": self.data_format}


@with_arguments(SPATIAL_ARGUMENTS, "spatial arguments")
@LAYERS.register(example={"rate": 0.25, "seed": 3})
class SpatialDropout3D(SpatialDropout2D):
    """Dropout of whole feature volumes: a[n, d, i, j, c] = x[n, d, i, j, c] m[n, c] / (1 - rate), one mask entry per
    sample and channel, shared by every depth, row and column;  grad_x = grad_a m / (1 - rate).

    Args:
        rate: the fraction of feature volumes set to 0 while training, in [0, 1).
        {spatial arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> a = nnlite.layers.SpatialDropout3D(0.5, seed=1)(np.ones((1, 2, 2, 2, 4)), training=True)
        >>> bool((a == a[:, :1, :1, :1]).all())  # every entry of a volume dropped alike
        True
    """

    def __init__(self, rate: float, data_format: str | None = None, seed: int | np.random.Generator | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        data_format = data_format_name(data_format)
        shape = (None, None, 1, 1, 1) if data_format == "channels_first" else (None, 1, 1, 1, None)
        Dropout.__init__(self, rate, noise_shape=shape, seed=seed, name=name, dtype=dtype)
        self.data_format = data_format

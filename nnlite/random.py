"""``keras.random``: random tensors, seeded as Keras 3 seeds them.

A seed is one of three things, as in Keras:

- an int: the draw is a function of the seed alone (the same values at every call);
- a :class:`SeedGenerator`: its state [seed, counter] seeds the draw and the counter moves on, so each
  call draws anew and the sequence repeats from the same seed;
- None: the generator behind every unseeded draw in nnlite (``nnlite.utils.set_random_seed`` seeds it).

The numbers are NumPy's (``np.random.Generator`` from the seed pair), not TensorFlow's: the same seed
gives the same numbers in nnlite every time, not the numbers Keras draws. ``dropout`` is an op the tape
differentiates (grad_x = the mask / (1 - rate)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import config, docstrings, seed_generator
from .seed_generator import SeedGenerator
from .tensor import Tensor

SEED = """\
        seed: an int (the same draw every call), a :class:`SeedGenerator` (a new draw every call, reproducible)
            or None (nnlite's generator, seeded by ``utils.set_random_seed``).
"""
DRAW = """\
        shape: the shape of the result, a tuple of ints (or one int).
        dtype: the dtype of the result; ``None`` for ``config.floatx()`` where floats are drawn.
""" + SEED




def generator(seed: Any) -> np.random.Generator:
    """The NumPy generator for one draw from ``seed`` (an int, a SeedGenerator or None; see the module).

    Args:
        seed: an int, a :class:`SeedGenerator` or None (see the module).

    Example:
        >>> import numpy as np, nnlite
        >>> g = nnlite.random.generator(7)
        >>> float(g.random()) == float(nnlite.random.generator(7).random())
        True
    """
    if seed is None:
        return config.default_rng()
    if isinstance(seed, SeedGenerator):
        return seed_generator.generator_at(seed.next())
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng([int(seed) & 0xFFFFFFFF, 0])
    raise ValueError(f"Argument `seed` must be either an integer or an instance of `SeedGenerator`. Received: "
                     f"seed={seed} (of type {type(seed)})")


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def _float(dtype: Any) -> np.dtype:
    return np.dtype(dtype or config.floatx())


@docstrings.with_arguments(DRAW, "draw arguments")
def normal(shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Draws from N(mean, stddev^2).

    Args:
        mean: the mean of the distribution.
        stddev: its standard deviation.
        {draw arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> x = nnlite.random.normal((3000,), mean=5.0, stddev=2.0, seed=0)
        >>> round(float(x.mean())), round(float(x.std()))
        (5, 2)
    """
    rng = generator(seed)
    return (rng.standard_normal(_shape(shape)) * stddev + mean).astype(_float(dtype)).view(Tensor)


@docstrings.with_arguments(DRAW, "draw arguments")
def uniform(shape: Sequence[int], minval: float = 0.0, maxval: float = 1.0, dtype: Any = None,
            seed: Any = None) -> Tensor:
    """Draws from U[minval, maxval).

    Args:
        minval: the lower bound (included).
        maxval: the upper bound (excluded).
        {draw arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> x = nnlite.random.uniform((1000,), minval=-1.0, maxval=1.0, seed=0)
        >>> bool(-1 <= x.min() and x.max() < 1), x.dtype.name
        (True, 'float32')
    """
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise ValueError(f"`keras.random.uniform` requires a floating point `dtype`. Received: dtype={dtype} ")
    return generator(seed).uniform(minval, maxval, _shape(shape)).astype(_float(dtype)).view(Tensor)


@docstrings.with_arguments(DRAW, "draw arguments")
def randint(shape: Sequence[int], minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """Integers in [minval, maxval).

    Args:
        minval: the lowest integer drawn.
        maxval: the upper bound (excluded).
        {draw arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> x = nnlite.random.randint((1000,), minval=0, maxval=3, seed=0)
        >>> sorted(set(x.tolist())), x.dtype.name
        ([0, 1, 2], 'int32')
    """
    if np.dtype(dtype).kind not in "iu":
        raise ValueError(f"`keras.random.randint` requires an integer `dtype`. Received: dtype={dtype} ")
    return generator(seed).integers(minval, maxval, _shape(shape)).astype(dtype).view(Tensor)


@docstrings.with_arguments(DRAW, "draw arguments")
def truncated_normal(shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Any = None) -> Tensor:
    """Draws from N(mean, stddev^2), each one beyond two standard deviations drawn again.

    Args:
        mean: the mean of the distribution before truncation.
        stddev: its standard deviation before truncation.
        {draw arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> x = nnlite.random.truncated_normal((1000,), stddev=1.0, seed=0)
        >>> bool(abs(x).max() <= 2.0)
        True
    """
    rng = generator(seed)
    out = rng.standard_normal(_shape(shape))
    outside = np.abs(out) > 2
    while outside.any():
        out[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(out) > 2
    return (out * stddev + mean).astype(_float(dtype)).view(Tensor)


@docstrings.with_arguments(SEED, "seed")
def dropout(inputs: Any, rate: float, noise_shape: Sequence[int] | None = None, seed: Any = None) -> Any:
    """Each entry kept with probability 1 - rate and scaled by 1 / (1 - rate), else 0 (an op: the tape
    differentiates it; ``noise_shape`` shares the mask along its axes of 1).

    Args:
        inputs: the tensor to drop entries from.
        rate: the probability of dropping an entry, in [0, 1].
        noise_shape: the mask's shape, with 1 (or None: x's size) on the axes where entries share a mask; ``None`` for
            x's shape.
        {seed}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.random.dropout(np.ones((1, 6)), rate=0.5, seed=1)  # kept entries scaled by 1 / (1 - rate)
        Tensor([[2., 2., 0., 2., 0., 0.]])
    """
    from . import ops

    if not 0 <= rate <= 1:
        raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                         f"Received: rate={rate}")
    if rate == 1:  # everything dropped, as TensorFlow's dropout gives
        return ops.multiply(inputs, 0.0)
    shape = np.shape(getattr(inputs, "value", inputs)) if noise_shape is None else tuple(
        d if d is not None else s for d, s in zip(noise_shape, np.shape(getattr(inputs, "value", inputs))))
    keep = generator(seed).random(shape) >= rate
    dtype = np.asarray(getattr(inputs, "value", inputs)).dtype
    return ops.multiply(inputs, (keep / (1 - rate)).astype(dtype if dtype.kind == "f" else config.floatx()))


@docstrings.with_arguments(SEED, "seed")
def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Tensor:
    """x with its slices along ``axis`` in a random order.

    Args:
        x: the tensor to shuffle.
        axis: the axis whose slices are reordered.
        {seed}

    Example:
        >>> import numpy as np, nnlite
        >>> x = nnlite.random.shuffle(np.arange(6), seed=0)
        >>> sorted(x.tolist())  # the same entries, reordered
        [0, 1, 2, 3, 4, 5]
    """
    values = np.asarray(getattr(x, "value", x))
    order = generator(seed).permutation(values.shape[axis])
    return np.take(values, order, axis=axis).view(Tensor)


@docstrings.with_arguments(SEED, "seed")
def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """For each row of logits, ``num_samples`` class indices drawn with probabilities softmax(row).

    Args:
        logits: a (batch, classes) tensor of unnormalised log-probabilities.
        num_samples: how many draws per row.
        dtype: the integer dtype of the indices.
        {seed}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.random.categorical(np.array([[0.0, 50.0], [50.0, 0.0]]), num_samples=3, seed=0)
        Tensor([[1, 1, 1],
                [0, 0, 0]], dtype=int32)
    """
    z = np.asarray(getattr(logits, "value", logits), dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"`logits` should be a 2-D tensor with shape [batch_size, num_classes]. Received: "
                         f"logits={logits}")
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    rng = generator(seed)
    cumulative = np.cumsum(p, axis=-1)
    u = rng.random((z.shape[0], num_samples, 1))
    return np.minimum((u > cumulative[:, None, :]).sum(axis=-1), z.shape[-1] - 1).astype(dtype).view(Tensor)


@docstrings.with_arguments(DRAW, "draw arguments")
def gamma(shape: Sequence[int], alpha: float, dtype: Any = None, seed: Any = None) -> Tensor:
    """Draws from Gamma(alpha, 1).

    Args:
        alpha: the shape parameter alpha > 0 (the scale is 1).
        {draw arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> x = nnlite.random.gamma((2000,), alpha=3.0, seed=0)
        >>> x.shape, round(float(x.mean()))  # its mean is alpha
        ((2000,), 3)
    """
    return generator(seed).gamma(alpha, 1.0, _shape(shape)).astype(_float(dtype)).view(Tensor)


@docstrings.with_arguments(DRAW, "draw arguments")
def binomial(shape: Sequence[int], counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None) -> Tensor:
    """Draws from Binomial(counts, probabilities).

    Args:
        counts: the number of trials (a number or an array that broadcasts against ``shape``).
        probabilities: the success probability of each trial (likewise).
        {draw arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> x = nnlite.random.binomial((1000,), counts=10, probabilities=0.5, seed=0)
        >>> x.shape, 4.5 < float(x.mean()) < 5.5
        ((1000,), True)
    """
    return generator(seed).binomial(counts, probabilities, _shape(shape)).astype(_float(dtype)).view(Tensor)


@docstrings.with_arguments(DRAW, "draw arguments")
def beta(shape: Sequence[int], alpha: Any, beta: Any, dtype: Any = None, seed: Any = None) -> Tensor:
    """Draws from Beta(alpha, beta).

    Args:
        alpha: the first shape parameter, alpha > 0.
        beta: the second shape parameter, beta > 0.
        {draw arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> x = nnlite.random.beta((1000,), alpha=2.0, beta=2.0, seed=0)
        >>> x.shape, bool(0 <= x.min() and x.max() <= 1)
        ((1000,), True)
    """
    return generator(seed).beta(alpha, beta, _shape(shape)).astype(_float(dtype)).view(Tensor)

"""Weight initialisers, as in ``keras.initializers``.

An initializer is called with a shape and a dtype and returns a fresh array. For a
kernel of shape ``(fan_in, fan_out)``: glorot scales the variance by
``2 / (fan_in + fan_out)``, he by ``2 / fan_in``, lecun by ``1 / fan_in``. Normal variants
draw from a normal truncated at two standard deviations, whose standard deviation is
then restored by dividing by 0.87962566103423978, as Keras does.

Seeds, as in Keras 3: an initializer seeded with an int gives the same values at every
call, and so does an unseeded one (it picks its seed once, from
``nnlite.config.default_rng()``, which ``nnlite.utils.set_random_seed`` seeds). Pass a
``keras.random.SeedGenerator`` (or a ``np.random.Generator``) as ``seed`` for new values at every call; a config
holds the SeedGenerator as Keras writes it, and cannot hold a Generator (it writes ``seed: None``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import config
from .docstrings import with_arguments
from .registry import Registry
from .serialization import deserialize_keras_object, serialize_in, serialize_keras_object
from .warn import warn

__all__ = ["Constant", "GlorotNormal", "IdentityInitializer", "OrthogonalInitializer", "GlorotUniform", "HeNormal",
           "HeUniform", "Identity", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
           "RandomInitializer", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros",
           "compute_fans", "constant", "deserialize", "get", "glorot_normal", "glorot_uniform", "he_normal",
           "he_uniform", "identity", "lecun_normal", "lecun_uniform", "ones", "orthogonal", "random_normal",
           "random_uniform", "serialize", "truncated_normal", "variance_scaling", "zeros"]

TRUNCATED_STDDEV_CORRECTION = 0.87962566103423978


class Initializer:
    """w = sample(shape), cast to ``dtype`` (floatx by default).

    A subclass gives ``sample(shape)`` (or, as in Keras, ``__call__(shape, dtype=None)``); a plain function
    ``f(shape, dtype=None)`` serves as well.

    Example:
        >>> import numpy as np, nnlite
        >>> class Halves(nnlite.initializers.Initializer):
        ...     def sample(self, shape):
        ...         return np.full(shape, 0.5)
        >>> Halves()((2, 2))
        array([[0.5, 0.5],
               [0.5, 0.5]], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: str | None = None) -> np.ndarray:
        return np.asarray(self.sample(tuple(shape)), dtype=dtype or config.floatx())

    def sample(self, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def clone(self) -> Initializer:
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


INITIALIZERS = Registry(Initializer, "keras.initializers")


@INITIALIZERS.register("zeros")
class Zeros(Initializer):
    """w = 0.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.initializers.Zeros()((2,))
        array([0., 0.], dtype=float32)
    """

    def sample(self, shape):
        return np.zeros(shape)


@INITIALIZERS.register("ones")
class Ones(Initializer):
    """w = 1.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.initializers.Ones()((2,))
        array([1., 1.], dtype=float32)
    """

    def sample(self, shape):
        return np.ones(shape)


@INITIALIZERS.register("constant")
class Constant(Initializer):
    """w = value (a scalar or an array that broadcasts to the shape).

    A Python float passes through float32 first, as Keras casts it.

    Args:
        value: a number, or an array that broadcasts to the shape asked for.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.initializers.Constant(0.5)((2, 2))
        array([[0.5, 0.5],
               [0.5, 0.5]], dtype=float32)
    """

    def __init__(self, value: Any = 0.0) -> None:
        if isinstance(value, dict):  # Keras's {"class_name": "__numpy__", ...} form of an array
            value = np.asarray(value.get("config", {}).get("value"), dtype=value.get("config", {}).get("dtype"))
        array = np.asarray(value)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
            raise TypeError(f"Constant value must be a number or a numeric array, got {value!r}.")
        self.value = value

    def sample(self, shape):
        value = float(np.float32(self.value)) if isinstance(self.value, float) else np.asarray(self.value)
        return np.broadcast_to(value, shape).copy()

    def get_config(self):
        if isinstance(self.value, numbers.Number):
            return {"value": self.value}
        array = np.asarray(self.value)
        return {"value": {"class_name": "__numpy__", "config": {"value": array.tolist(), "dtype": array.dtype.name}}}


@INITIALIZERS.register("identity", "IdentityInitializer")
class Identity(Initializer):
    """w = gain * I (2-D shapes only).

    Args:
        gain: the factor of the identity matrix.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.initializers.Identity(gain=2.0)((2, 3))
        array([[2., 0., 0.],
               [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def sample(self, shape):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, got {shape}.")
        return self.gain * np.eye(*shape)

    def get_config(self):
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Draws from ``generator()``: a fresh Generator from the seed at every call (same values),
    or the Generator given as ``seed`` (new values each call).

    Args:
        seed: an int (the same values at every call, as Keras 3), a SeedGenerator or NumPy Generator (new values at each
            call), or None (a seed drawn once from ``nnlite.config.default_rng()``).

    Example:
        >>> import numpy as np, nnlite
        >>> isinstance(nnlite.initializers.GlorotUniform(), nnlite.initializers.RandomInitializer)
        True
    """

    def __init__(self, seed: Any = None) -> None:
        if isinstance(seed, dict):  # a SeedGenerator as a config holds it
            seed = deserialize_keras_object(seed)
        if seed is not None and not (isinstance(seed, (numbers.Integral, np.random.Generator)) or
                                     _is_seed_generator(seed)) or isinstance(seed, bool):
            raise ValueError("`seed` argument should be an instance of `keras.random.SeedGenerator()`, an integer, a "
                             f"numpy Generator or None. Received: seed={seed!r}")
        self.seed = seed
        self._seed = int(config.default_rng().integers(2**31)) if seed is None else seed
        self._called = False

    def generator(self) -> np.random.Generator:
        if isinstance(self._seed, np.random.Generator):
            return self._seed
        if _is_seed_generator(self._seed):  # its state [seed, counter] seeds this draw, the counter moves on
            return np.random.default_rng(np.asarray(self._seed.next()).astype(np.uint64))
        if self.seed is None and self._called:
            warn(f"The initializer {type(self).__name__} is unseeded and being called multiple times, "
                 "which returns identical values each time (as in Keras 3). Give it a seed, or use a new "
                 "initializer for each weight.", UserWarning)
        self._called = True
        return np.random.default_rng(self._seed)

    def get_config(self):
        if _is_seed_generator(self.seed):
            return {"seed": serialize_keras_object(self.seed)}
        return {"seed": self.seed if not isinstance(self.seed, np.random.Generator) else None}


def _is_seed_generator(seed: Any) -> bool:
    """Whether ``seed`` is a ``keras.random.SeedGenerator`` (known by its state and ``next()``: nnlite.random sits
    above the initializers in the import order)."""
    return hasattr(seed, "state") and callable(getattr(seed, "next", None))


@INITIALIZERS.register("random_normal")
class RandomNormal(RandomInitializer):
    """w ~ Normal(mean, stddev).

    Args:
        mean: the mean of the normal distribution.
        stddev: its standard deviation.
        seed: an int (the same values at every call, as Keras 3), a SeedGenerator or NumPy Generator (new values at each
            call), or None (a seed drawn once from ``nnlite.config.default_rng()``).

    Example:
        >>> import numpy as np, nnlite
        >>> init = nnlite.initializers.RandomNormal(mean=0.0, stddev=0.05, seed=0)
        >>> w = init((400, 300), dtype="float64")
        >>> w.shape
        (400, 300)
        >>> round(float(w.std()), 3)  # stddev
        0.05
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def sample(self, shape):
        return self.generator().normal(self.mean, self.stddev, size=shape)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@INITIALIZERS.register("truncated_normal")
class TruncatedNormal(RandomInitializer):
    """w ~ Normal(mean, stddev), redrawn until within two standard deviations of the mean.

    Args:
        mean: the mean of the normal distribution before truncation.
        stddev: its standard deviation before truncation.
        seed: an int (the same values at every call, as Keras 3), a SeedGenerator or NumPy Generator (new values at each
            call), or None (a seed drawn once from ``nnlite.config.default_rng()``).

    Example:
        >>> import numpy as np, nnlite
        >>> init = nnlite.initializers.TruncatedNormal(mean=0.0, stddev=0.05, seed=0)
        >>> w = init((400, 300), dtype="float64")
        >>> w.shape
        (400, 300)
        >>> bool(abs(w).max() <= 0.1)  # nothing beyond 2 stddev
        True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def sample(self, shape):
        return self.mean + _truncated_normal(self.generator(), shape, self.stddev)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@INITIALIZERS.register("random_uniform", "uniform")
class RandomUniform(RandomInitializer):
    """w ~ Uniform(minval, maxval).

    Args:
        minval: the lower bound.
        maxval: the upper bound.
        seed: an int (the same values at every call, as Keras 3), a SeedGenerator or NumPy Generator (new values at each
            call), or None (a seed drawn once from ``nnlite.config.default_rng()``).

    Example:
        >>> import numpy as np, nnlite
        >>> init = nnlite.initializers.RandomUniform(minval=-0.05, maxval=0.05, seed=0)
        >>> w = init((400, 300), dtype="float64")
        >>> w.shape
        (400, 300)
        >>> round(float(abs(w).max()), 3)  # within the bounds
        0.05
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def sample(self, shape):
        return self.generator().uniform(self.minval, self.maxval, size=shape)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def _truncated_normal(rng: np.random.Generator, shape, stddev: float) -> np.ndarray:
    """Normal(0, stddev) redrawn until within two standard deviations."""
    out = rng.normal(0.0, stddev, size=shape)
    bad = np.abs(out) > 2 * stddev
    while bad.any():
        out[bad] = rng.normal(0.0, stddev, size=int(bad.sum()))
        bad = np.abs(out) > 2 * stddev
    return out


def compute_fans(shape: tuple[int, ...], input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> tuple[int, int]:
    """(fan_in, fan_out): a kernel (in, out) gives (in, out); more axes multiply in the receptive field.

    Args:
        shape: the weight's shape.
        input_axes: the axes whose sizes multiply into fan_in (with ``output_axes``; default: Keras's rule).
        output_axes: the axes whose sizes multiply into fan_out.

    Returns:
        (fan_in, fan_out).

    Example:
        >>> import nnlite
        >>> nnlite.initializers.compute_fans((3, 4))
        (3, 4)
    """
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


FAN_ARGUMENTS = """        seed: an int (the same values at every call, as Keras 3), a SeedGenerator or NumPy Generator
            (new values at each call), or None (a seed drawn once from ``nnlite.config.default_rng()``).
        input_axes: the axes whose sizes multiply into fan_in (with ``output_axes``; default: Keras's rule,
            ``compute_fans``).
        output_axes: the axes whose sizes multiply into fan_out.
"""  # the variance-scaling initializers' arguments after their own


@INITIALIZERS.register("variance_scaling")
@with_arguments(FAN_ARGUMENTS, "fan arguments")
class VarianceScaling(RandomInitializer):
    """Var(w) = scale / n with n = fan_in, fan_out or their mean; uniform, truncated or plain normal.

    Args:
        scale: the variance's numerator.
        mode: "fan_in", "fan_out" or "fan_avg": which n divides it.
        distribution: "truncated_normal", "untruncated_normal" or "uniform".
        {fan arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> init = nnlite.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal", seed=0)
        >>> w = init((400, 300), dtype="float64")
        >>> w.shape
        (400, 300)
        >>> round(float(w.std()), 3)  # sqrt(scale / fan_in) = 0.071
        0.071
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed=None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> None:
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale!r}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Please use one of 'fan_in', 'fan_out', 'fan_avg'.")
        distribution = distribution.lower() if isinstance(distribution, str) else distribution
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"Invalid `distribution` argument: {distribution!r}. Please use one of "
                             "'uniform', 'truncated_normal', 'untruncated_normal'.")
        super().__init__(seed)
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes

    def sample(self, shape):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self.generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)  # Var(U(-l, l)) = l^2 / 3
            return rng.uniform(-limit, limit, size=shape)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(variance), size=shape)
        return _truncated_normal(rng, shape, math.sqrt(variance) / TRUNCATED_STDDEV_CORRECTION)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


class _Preset(VarianceScaling):
    """VarianceScaling with a fixed (scale, mode, distribution); its config holds only the seed and axes."""

    scaling: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> None:
        super().__init__(*self.scaling, seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": RandomInitializer.get_config(self)["seed"], "input_axes": self.input_axes,
                "output_axes": self.output_axes}


@INITIALIZERS.register("glorot_uniform")
@with_arguments(FAN_ARGUMENTS, "fan arguments")
class GlorotUniform(_Preset):
    """w ~ Uniform(-l, l), l = sqrt(6 / (fan_in + fan_out)).

    Args:
        {fan arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> init = nnlite.initializers.GlorotUniform(seed=0)
        >>> w = init((400, 300), dtype="float64")
        >>> w.shape
        (400, 300)
        >>> round(float(abs(w).max()), 3)  # limit sqrt(6 / (fan_in + fan_out)) = 0.093
        0.093
    """

    scaling = (1.0, "fan_avg", "uniform")


@INITIALIZERS.register("glorot_normal")
@with_arguments(FAN_ARGUMENTS, "fan arguments")
class GlorotNormal(_Preset):
    """w ~ TruncatedNormal(0, sqrt(2 / (fan_in + fan_out))).

    Args:
        {fan arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> init = nnlite.initializers.GlorotNormal(seed=0)
        >>> w = init((400, 300), dtype="float64")
        >>> w.shape
        (400, 300)
        >>> round(float(w.std()), 3)  # sqrt(2 / (fan_in + fan_out)) = 0.053
        0.053
    """

    scaling = (1.0, "fan_avg", "truncated_normal")


@INITIALIZERS.register("he_uniform")
@with_arguments(FAN_ARGUMENTS, "fan arguments")
class HeUniform(_Preset):
    """w ~ Uniform(-l, l), l = sqrt(6 / fan_in).

    Args:
        {fan arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> init = nnlite.initializers.HeUniform(seed=0)
        >>> w = init((400, 300), dtype="float64")
        >>> w.shape
        (400, 300)
        >>> round(float(abs(w).max()), 3)  # limit sqrt(6 / fan_in) = 0.122
        0.122
    """

    scaling = (2.0, "fan_in", "uniform")


@INITIALIZERS.register("he_normal")
@with_arguments(FAN_ARGUMENTS, "fan arguments")
class HeNormal(_Preset):
    """w ~ TruncatedNormal(0, sqrt(2 / fan_in)).

    Args:
        {fan arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> init = nnlite.initializers.HeNormal(seed=0)
        >>> w = init((400, 300), dtype="float64")
        >>> w.shape
        (400, 300)
        >>> round(float(w.std()), 3)  # sqrt(2 / fan_in) = 0.071
        0.071
    """

    scaling = (2.0, "fan_in", "truncated_normal")


@INITIALIZERS.register("lecun_uniform")
@with_arguments(FAN_ARGUMENTS, "fan arguments")
class LecunUniform(_Preset):
    """w ~ Uniform(-l, l), l = sqrt(3 / fan_in).

    Args:
        {fan arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> init = nnlite.initializers.LecunUniform(seed=0)
        >>> w = init((400, 300), dtype="float64")
        >>> w.shape
        (400, 300)
        >>> round(float(abs(w).max()), 3)  # limit sqrt(3 / fan_in) = 0.087
        0.087
    """

    scaling = (1.0, "fan_in", "uniform")


@INITIALIZERS.register("lecun_normal")
@with_arguments(FAN_ARGUMENTS, "fan arguments")
class LecunNormal(_Preset):
    """w ~ TruncatedNormal(0, sqrt(1 / fan_in)).

    Args:
        {fan arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> init = nnlite.initializers.LecunNormal(seed=0)
        >>> w = init((400, 300), dtype="float64")
        >>> w.shape
        (400, 300)
        >>> round(float(w.std()), 3)  # sqrt(1 / fan_in) = 0.05
        0.05
    """

    scaling = (1.0, "fan_in", "truncated_normal")


@INITIALIZERS.register("orthogonal", "OrthogonalInitializer")
class Orthogonal(RandomInitializer):
    """w = gain * Q, Q from the QR decomposition of a normal draw (signs fixed by diag R).

    Args:
        gain: the factor of Q.
        seed: an int (the same values at every call, as Keras 3), a SeedGenerator or NumPy Generator (new values at each
            call), or None (a seed drawn once from ``nnlite.config.default_rng()``).

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.initializers.Orthogonal(seed=0)((3, 3), dtype="float64")
        >>> np.allclose(w.T @ w, np.eye(3))  # orthonormal columns
        True
    """

    def __init__(self, gain: float = 1.0, seed=None) -> None:
        super().__init__(seed)
        self.gain = gain

    def sample(self, shape):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank >= 2, got {shape}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self.generator().normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # a uniform draw over orthogonal matrices
        q = q if rows >= cols else q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


def get(identifier: str | dict | Initializer | Callable | None) -> Initializer | Callable | None:
    """An initializer from a name (``"glorot_uniform"``, ``"GlorotUniform"``), a config dict, an instance, a
    function ``f(shape, dtype=None)`` (returned as it is, as Keras does), or None.

    Args:
        identifier: a name, a config dict, an ``Initializer`` (instance or class), a function, or None.

    Returns:
        An ``Initializer`` or the function, or None for None.

    Example:
        >>> import numpy as np, nnlite
        >>> type(nnlite.initializers.get("he_normal")).__name__
        'HeNormal'
        >>> nnlite.initializers.get(None) is None
        True
    """
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier) and not isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, (np.ndarray, np.generic)):  # the values themselves (an array or a Tensor)
        return _given_values(np.asarray(identifier))
    return None if identifier is None else INITIALIZERS.get(identifier)


def _given_values(values: np.ndarray) -> Callable:
    """An initializer that gives ``values`` (Keras's ``get`` of a tensor): the weight must have their shape."""

    def initialize(shape: Any, dtype: Any = None) -> np.ndarray:
        if tuple(shape) != values.shape:
            raise ValueError(f"Expected `shape` to be {values.shape} for direct tensor as initializer. Received "
                             f"shape={shape}")
        return values.astype(np.dtype(getattr(dtype, "name", dtype)) if dtype is not None else config.floatx())

    return initialize


def serialize(initializer: Initializer | Callable) -> dict[str, Any]:
    """An initializer as Keras's config dict ({"module", "class_name", "config", ...}); a function by its
    (registered) name, as Keras writes it.

    Args:
        initializer: an ``Initializer`` or a function.

    Example:
        >>> import nnlite
        >>> nnlite.initializers.serialize(nnlite.initializers.Constant(0.5))["config"]
        {'value': 0.5}
    """
    return serialize_in(INITIALIZERS, initializer)


deserialize = INITIALIZERS.deserialize


zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal, variance_scaling = RandomNormal, RandomUniform, TruncatedNormal, \
    VarianceScaling
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal, orthogonal = LecunUniform, LecunNormal, Orthogonal
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal  # Keras's second names

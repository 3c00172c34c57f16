"""Weight initialisers, as in ``keras.initializers``.

An initializer is called with a shape and a dtype and returns a fresh array. Random
ones draw from a ``np.random.Generator``: pass ``seed`` as an int or a Generator; with
no seed they use ``nnlite.config.default_rng()`` (seeded by
``nnlite.utils.set_random_seed``, otherwise fresh entropy).

For a kernel of shape ``(fan_in, fan_out)``: glorot scales by ``2 / (fan_in + fan_out)``,
he by ``2 / fan_in``, lecun by ``1 / fan_in``. Normal variants draw from a normal
truncated at two standard deviations, whose standard deviation is then restored by
dividing by 0.87962566103423978, as Keras does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import config

TRUNCATED_STDDEV_CORRECTION = 0.87962566103423978


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return config.default_rng() if seed is None else np.random.default_rng(seed)


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(rng: np.random.Generator, shape, stddev: float) -> np.ndarray:
    """Normal(0, stddev) redrawn until within two standard deviations."""
    out = rng.normal(0.0, stddev, size=shape)
    bad = np.abs(out) > 2 * stddev
    while bad.any():
        out[bad] = rng.normal(0.0, stddev, size=int(bad.sum()))
        bad = np.abs(out) > 2 * stddev
    return out


class Initializer:
    """Returns an array of the given shape and dtype."""

    def __init__(self, **params: Any) -> None:
        self.params = params

    def __call__(self, shape: tuple[int, ...], dtype: str | None = None) -> np.ndarray:
        return np.asarray(self.sample(tuple(shape)), dtype=dtype or config.floatx())

    def sample(self, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {k: v for k, v in self.params.items() if not isinstance(v, np.random.Generator)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """w = 0."""

    def sample(self, shape):
        return np.zeros(shape)


class Ones(Initializer):
    """w = 1."""

    def sample(self, shape):
        return np.ones(shape)


class Constant(Initializer):
    """w = value (a Python float passes through float32 first, as Keras casts it)."""

    def __init__(self, value: float = 0.0) -> None:
        super().__init__(value=value)

    def sample(self, shape):
        value = self.params["value"]
        return np.full(shape, float(np.float32(value)) if isinstance(value, float) else value)


class RandomNormal(Initializer):
    """w ~ Normal(mean, stddev)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None) -> None:
        super().__init__(mean=mean, stddev=stddev, seed=seed)
        self.rng = _rng(seed)

    def sample(self, shape):
        return self.rng.normal(self.params["mean"], self.params["stddev"], size=shape)


class RandomUniform(Initializer):
    """w ~ Uniform(minval, maxval)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None) -> None:
        super().__init__(minval=minval, maxval=maxval, seed=seed)
        self.rng = _rng(seed)

    def sample(self, shape):
        return self.rng.uniform(self.params["minval"], self.params["maxval"], size=shape)


def _variance_scaled(rng, shape, scale: float, mode: str, distribution: str) -> np.ndarray:
    """Draw with Var(w) = scale / n, n = fan_in, fan_out or their mean."""
    fan_in, fan_out = _fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    variance = scale / max(1.0, n)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * variance)  # Var(U(-l, l)) = l^2 / 3
        return rng.uniform(-limit, limit, size=shape)
    if distribution == "untruncated_normal":
        return rng.normal(0.0, math.sqrt(variance), size=shape)
    return _truncated_normal(rng, shape, math.sqrt(variance) / TRUNCATED_STDDEV_CORRECTION)


class VarianceScaling(Initializer):
    """Var(w) = scale / n with n = fan_in, fan_out or their mean, drawn uniform or truncated normal."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed=None) -> None:
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}.")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "distribution must be 'truncated_normal', 'untruncated_normal' or 'uniform', "
                f"got {distribution!r}."
            )
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)
        self.rng = _rng(seed)

    def sample(self, shape):
        p = self.params
        return _variance_scaled(self.rng, shape, p["scale"], p["mode"], p["distribution"])


class _Preset(Initializer):
    """A variance-scaling initializer with fixed (scale, mode, distribution)."""

    scaling: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None) -> None:
        super().__init__(seed=seed)
        self.rng = _rng(seed)

    def sample(self, shape):
        return _variance_scaled(self.rng, shape, *self.scaling)


class GlorotUniform(_Preset):
    """w ~ Uniform(-l, l), l = sqrt(6 / (fan_in + fan_out))."""

    scaling = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """w ~ TruncatedNormal(0, sqrt(2 / (fan_in + fan_out)))."""

    scaling = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_Preset):
    """w ~ Uniform(-l, l), l = sqrt(6 / fan_in)."""

    scaling = (2.0, "fan_in", "uniform")


class HeNormal(_Preset):
    """w ~ TruncatedNormal(0, sqrt(2 / fan_in))."""

    scaling = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    """w ~ Uniform(-l, l), l = sqrt(3 / fan_in)."""

    scaling = (1.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    """w ~ TruncatedNormal(0, sqrt(1 / fan_in))."""

    scaling = (1.0, "fan_in", "truncated_normal")


_INITIALIZERS: dict[str, type[Initializer]] = {
    "zeros": Zeros, "ones": Ones, "constant": Constant,
    "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
}


def get(identifier: str | Initializer | Any) -> Initializer:
    """An initializer from a name (``"glorot_uniform"``, ``"GlorotUniform"``...) or an instance."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        for name, cls in _INITIALIZERS.items():
            if identifier in (name, cls.__name__):
                return cls()
        raise ValueError(
            f"Unknown initializer {identifier!r}. Valid names: {', '.join(sorted(_INITIALIZERS))}."
        )
    raise TypeError(
        f"initializer must be a name or an nnlite.initializers.Initializer, got {identifier!r}."
    )

"""Global numeric settings, as in ``keras.config``.

This module is the one place nnlite keeps global state, and only what Keras keeps in
its own ``config``: the default float type, the fuzz factor ``epsilon`` and the
generator behind unseeded random draws (``nnlite.utils.set_random_seed``).
"""

from __future__ import annotations

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_VALID_FLOATX = ("float16", "float32", "float64")
_rng: np.random.Generator | None = None


def floatx() -> str:
    """The default float type of weights, inputs and outputs: ``"float32"`` unless set."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type (``"float16"``, ``"float32"`` or ``"float64"``)."""
    global _FLOATX
    value = str(np.dtype(value).name) if value in _VALID_FLOATX else value
    if value not in _VALID_FLOATX:
        raise ValueError(f"Unknown floatx {value!r}: expected one of {list(_VALID_FLOATX)}.")
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor used to keep logarithms and divisions finite (1e-7 by default)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by :func:`epsilon`."""
    global _EPSILON
    value = float(value)
    if not (value > 0 and np.isfinite(value)):
        raise ValueError(f"epsilon must be a positive finite float, got {value!r}.")
    _EPSILON = value


def default_rng() -> np.random.Generator:
    """The generator used when no seed is given: seeded by ``set_random_seed``, else fresh."""
    return _rng if _rng is not None else np.random.default_rng()


def set_rng(seed: int | None) -> None:
    """Seed (or with ``None`` unseed) the generator behind :func:`default_rng`."""
    global _rng
    _rng = None if seed is None else np.random.default_rng(seed)

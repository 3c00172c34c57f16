"""Losses, as ``keras.losses``: classes (with reductions and sample weights) and per-sample functions.

See ``base`` for the reduction and for Keras's logits path. Every loss class is
registered where it is defined; :func:`get` reads names from that registry.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .base import LOGIT_ACTIVATIONS, LOSSES, REDUCTIONS, Crossentropy, Loss, LossFunctionWrapper, reads_logits
from .margin import CategoricalHinge, Hinge, SquaredHinge
from .probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from .regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
)

__all__ = [
    "LOSSES", "LOGIT_ACTIVATIONS", "REDUCTIONS", "Crossentropy", "Loss", "LossFunctionWrapper", "reads_logits",
    "BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity", "Hinge", "Huber",
    "KLDivergence", "LogCosh", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge",
    "binary_crossentropy", "categorical_crossentropy", "categorical_hinge", "cosine_similarity", "hinge", "huber",
    "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "sparse_categorical_crossentropy", "squared_hinge",
    "get", "serialize", "deserialize", "names",
]


def _per_sample(cls: type[Loss], name: str) -> Callable[..., np.ndarray]:
    """The function form of a loss class: fn(y_true, y_pred, its arguments...) -> per-sample values."""
    params = [p for p in inspect.signature(cls).parameters.values() if p.name not in ("reduction", "name", "dtype")]
    head = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in ("y_true", "y_pred")]
    signature = inspect.Signature(head + params)

    def fn(*args: Any, **kwargs: Any) -> np.ndarray:
        arguments = signature.bind(*args, **kwargs).arguments
        y_true, y_pred = arguments.pop("y_true"), arguments.pop("y_pred")
        kind = np.asarray(getattr(y_pred, "value", y_pred)).dtype
        loss = cls(**arguments, dtype=kind.name if kind.kind == "f" else None)  # Keras computes in y_pred's dtype
        return loss.call(*loss.prepare(y_true, y_pred))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Per-sample values of {cls.__name__}: {(cls.__doc__ or '').splitlines()[0]}"
    fn.__signature__ = signature
    fn.loss_class = cls  # get(fn) gives the class
    return fn


mean_squared_error = mse = _per_sample(MeanSquaredError, "mean_squared_error")
mean_absolute_error = mae = _per_sample(MeanAbsoluteError, "mean_absolute_error")
mean_absolute_percentage_error = mape = _per_sample(MeanAbsolutePercentageError, "mean_absolute_percentage_error")
mean_squared_logarithmic_error = msle = _per_sample(MeanSquaredLogarithmicError, "mean_squared_logarithmic_error")
huber = _per_sample(Huber, "huber")
log_cosh = logcosh = _per_sample(LogCosh, "log_cosh")
cosine_similarity = _per_sample(CosineSimilarity, "cosine_similarity")
hinge = _per_sample(Hinge, "hinge")
squared_hinge = _per_sample(SquaredHinge, "squared_hinge")
categorical_hinge = _per_sample(CategoricalHinge, "categorical_hinge")
kl_divergence = kld = _per_sample(KLDivergence, "kl_divergence")
poisson = _per_sample(Poisson, "poisson")
binary_crossentropy = _per_sample(BinaryCrossentropy, "binary_crossentropy")
categorical_crossentropy = _per_sample(CategoricalCrossentropy, "categorical_crossentropy")
sparse_categorical_crossentropy = _per_sample(SparseCategoricalCrossentropy, "sparse_categorical_crossentropy")


def names() -> list[str]:
    """Every name :func:`get` accepts."""
    return LOSSES.names()


def get(identifier: str | dict | Loss | type | Callable) -> Loss:
    """A :class:`Loss` from a name ("mse", "MeanSquaredError"), a config dict, a Loss or Loss class,
    one of the functions above, or any callable v(y_true, y_pred)."""
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if hasattr(identifier, "loss_class"):
        return identifier.loss_class()
    if callable(identifier) and not isinstance(identifier, Loss):
        return LossFunctionWrapper(identifier)
    return LOSSES.get(identifier)


serialize, deserialize = LOSSES.serialize, LOSSES.deserialize

"""Losses, as ``keras.losses``: classes (with reductions and sample weights) and per-sample functions.

See ``base`` for the reduction and for Keras's logits path. Every loss class is
registered where it is defined; :func:`get` reads names from that registry.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np

from ..registry import did_you_mean
from .alignment import CTC, ctc
from .base import (
    LOGIT_ACTIVATIONS,
    LOSSES,
    REDUCTIONS,
    Crossentropy,
    Loss,
    LossFunctionWrapper,
    apply_mask,
    reads_logits,
)
from .focal import BinaryFocalCrossentropy, CategoricalFocalCrossentropy
from .margin import CategoricalHinge, Hinge, SquaredHinge
from .metric_learning import Circle, circle
from .overlap import Dice, Tversky
from .probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
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
    "apply_mask",
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy", "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy", "categorical_generalized_cross_entropy",
    "CTC", "ctc", "CategoricalHinge", "Circle", "Dice", "Tversky", "circle", "dice", "tversky", "CosineSimilarity",
    "Hinge", "Huber",
    "KLDivergence", "LogCosh", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge",
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "categorical_hinge", "cosine_similarity", "hinge", "huber",
    "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "sparse_categorical_crossentropy", "squared_hinge",
    "get", "resolve", "serialize", "deserialize", "names", "FUNCTIONS", "BY_SHAPES", "by_shapes",
]


def _entry(cls: type[Loss], name: str) -> str:
    """The Args entry ``name`` of the loss class's docstring (with its continuation lines), re-indented."""
    found = re.search(rf"^( +){name}: .*?\n(?=\1\S|\s*$|\n)", inspect.getdoc(cls) + "\n", re.M | re.S)
    if found is None:
        raise ValueError(f"{cls.__name__}'s docstring describes no argument {name!r}.")
    return textwrap.indent(textwrap.dedent(found.group(0)), "    ")


def _per_sample(cls: type[Loss], name: str, example: str, result: str) -> Callable[..., np.ndarray]:
    """The function form of a loss class: fn(y_true, y_pred, its arguments...) -> per-sample values; ``example``
    the arguments of a call in its docstring and ``result`` that call's values rounded to 6 decimals."""
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
    fn.__doc__ = (f"Per-sample values of {cls.__name__}: {(cls.__doc__ or '').splitlines()[0]}\n\nArgs:\n"
                  "    y_true: the true values (labels), a (batch, ...) array or tensor.\n"
                  "    y_pred: the predictions, shaped as y_true (class scores where y_true holds indices).\n"
                  + "".join(_entry(cls, p.name) for p in params)
                  + "\nReturns:\n    v, one value per sample.\n\nExample:\n    >>> import nnlite\n"
                  f"    >>> nnlite.losses.{name}{example}.round(6).tolist()\n    {result}\n")
    fn.__signature__ = signature
    fn.loss_class = cls  # get(fn) gives the class
    return fn


mean_squared_error = mse = _per_sample(MeanSquaredError, "mean_squared_error",
    "([[0.0, 1.0]], [[0.5, 2.0]])", "[0.625]")
mean_absolute_error = mae = _per_sample(MeanAbsoluteError, "mean_absolute_error",
    "([[0.0, 1.0]], [[0.5, 2.0]])", "[0.75]")
mean_absolute_percentage_error = mape = _per_sample(MeanAbsolutePercentageError, "mean_absolute_percentage_error",
    "([[1.0, 2.0]], [[1.5, 2.0]])", "[25.0]")
mean_squared_logarithmic_error = msle = _per_sample(MeanSquaredLogarithmicError, "mean_squared_logarithmic_error",
    "([[0.0, 1.0]], [[0.5, 2.0]])", "[0.164402]")
huber = _per_sample(Huber, "huber",
    "([[0.0, 1.0]], [[0.5, 2.0]], delta=1.0)", "[0.3125]")
log_cosh = logcosh = _per_sample(LogCosh, "log_cosh",
    "([[0.0, 1.0]], [[0.5, 2.0]])", "[0.276948]")
cosine_similarity = _per_sample(CosineSimilarity, "cosine_similarity",
    "([[1.0, 0.0]], [[1.0, 1.0]])", "[-0.707107]")
hinge = _per_sample(Hinge, "hinge",
    "([[1.0, 0.0]], [[0.5, -2.0]])", "[0.25]")
squared_hinge = _per_sample(SquaredHinge, "squared_hinge",
    "([[1.0, 0.0]], [[0.5, -2.0]])", "[0.125]")
categorical_hinge = _per_sample(CategoricalHinge, "categorical_hinge",
    "([[0.0, 1.0]], [[0.3, 0.6]])", "[0.7]")
kl_divergence = kld = _per_sample(KLDivergence, "kl_divergence",
    "([[0.5, 0.5]], [[0.25, 0.75]])", "[0.143841]")
poisson = _per_sample(Poisson, "poisson",
    "([[0.0, 1.0]], [[0.5, 2.0]])", "[0.903426]")
binary_crossentropy = _per_sample(BinaryCrossentropy, "binary_crossentropy",
    "([[1.0], [0.0]], [[0.5], [0.1]])", "[0.693147, 0.105361]")
categorical_crossentropy = _per_sample(CategoricalCrossentropy, "categorical_crossentropy",
    "([[0.0, 1.0]], [[0.5, 0.5]])", "[0.693147]")
sparse_categorical_crossentropy = _per_sample(SparseCategoricalCrossentropy, "sparse_categorical_crossentropy",
    "([1, 0], [[0.5, 0.5], [0.9, 0.1]])", "[0.693147, 0.105361]")
binary_focal_crossentropy = _per_sample(BinaryFocalCrossentropy, "binary_focal_crossentropy",
    "([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]], gamma=2.0)", "[0.329865, 0.205798]")
categorical_focal_crossentropy = _per_sample(CategoricalFocalCrossentropy, "categorical_focal_crossentropy",
    "([[0.0, 1.0, 0.0]], [[0.1, 0.8, 0.1]])", "[0.002231]")
categorical_generalized_cross_entropy = _per_sample(
    CategoricalGeneralizedCrossEntropy, "categorical_generalized_cross_entropy",
    "([0, 1], [[0.64, 0.36], [0.75, 0.25]], q=0.5)", "[0.4, 1.0]")
dice = _per_sample(Dice, "dice", "([[1.0, 1.0, 0.0]], [[0.5, 1.0, 0.5]], axis=1)", "[0.25]")
tversky = _per_sample(Tversky, "tversky", "([[1.0, 1.0, 0.0]], [[0.5, 1.0, 0.5]], alpha=0.7, beta=0.3, axis=1)",
                      "[0.25]")


#: the loss functions by name, with Keras's short names for them (``get("bce")`` is ``binary_crossentropy``)
FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {fn.__name__: fn for fn in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error, huber,
    log_cosh, cosine_similarity, hinge, squared_hinge, categorical_hinge, kl_divergence, poisson,
    binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, binary_focal_crossentropy,
    categorical_focal_crossentropy, categorical_generalized_cross_entropy, dice, tversky, circle, ctc)}
FUNCTIONS.update({alias: fn for fn, aliases in ((binary_crossentropy, ("bce", "BCE")), (kl_divergence, ("kld", "KLD")),
                                                 (mean_absolute_error, ("mae", "MAE")),
                                                 (mean_squared_error, ("mse", "MSE")),
                                                 (mean_absolute_percentage_error, ("mape", "MAPE")),
                                                 (mean_squared_logarithmic_error, ("msle", "MSLE")))
                  for alias in aliases})


def names() -> list[str]:
    """Every name :func:`get` accepts.

    Example:
        >>> import numpy as np, nnlite
        >>> "mse" in nnlite.losses.names()
        True
    """
    return sorted({*LOSSES.names(), *FUNCTIONS})


def get(identifier: str | dict | Loss | type | Callable | None) -> Loss | Callable | None:
    """Keras's ``losses.get``: a function's name or short name ("mse", "bce") gives the function, a class name
    ("MeanSquaredError") or a config dict an instance; a Loss, Loss class or callable is returned as it is
    (a class instantiated); None gives None.

    Args:
        identifier: a name, a config dict, a Loss (instance or class), a function, or None.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.losses.get("mse") is nnlite.losses.mean_squared_error
        True
        >>> type(nnlite.losses.get("BinaryCrossentropy")).__name__
        'BinaryCrossentropy'
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier in FUNCTIONS:
            return FUNCTIONS[identifier]
        if identifier in LOSSES:
            return LOSSES.lookup(identifier)()
        raise ValueError(f"Could not interpret loss identifier: {identifier}.{did_you_mean(identifier, names())} "
                         f"Valid names: {', '.join(names())}.")
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return LOSSES.deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}. Expected a name ({', '.join(names())}), "
                     "a config dict, a Loss or a function of (y_true, y_pred).")


BY_SHAPES = ("crossentropy", "ce")  # compile's names for the crossentropy the shapes of y and the output call for


def by_shapes(identifier: Any, y_true_shape: tuple, y_pred_shape: tuple) -> Any:
    """Keras's compile shorthand: "crossentropy" (or "ce", any case) is binary for one output column, sparse
    categorical for integer labels (y of lower rank, or one column against several) and categorical otherwise;
    any other identifier is returned as it is.

    Args:
        identifier: the loss as compile took it.
        y_true_shape: the labels' shape.
        y_pred_shape: the output's shape.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.losses.by_shapes("crossentropy", (8,), (8, 3)), nnlite.losses.by_shapes("ce", (8, 1), (8, 1))
        ('sparse_categorical_crossentropy', 'binary_crossentropy')
    """
    if not (isinstance(identifier, str) and identifier.lower() in BY_SHAPES):
        return identifier
    if y_pred_shape[-1] == 1:
        return "binary_crossentropy"
    if len(y_true_shape) < len(y_pred_shape) or y_true_shape[-1] == 1:
        return "sparse_categorical_crossentropy"
    return "categorical_crossentropy"


def resolve(identifier: str | dict | Loss | type | Callable) -> Loss:
    """The :class:`Loss` that ``compile(loss=identifier)`` trains with: nnlite's functions give their class (with
    its hand-written gradient), any other callable v(y_true, y_pred) is wrapped (the tape differentiates it).

    Args:
        identifier: what ``compile(loss=...)`` was given: a name, a config dict, a Loss, or a function of (y_true,
            y_pred).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.losses.resolve("mse")
        MeanSquaredError({'name': 'mean_squared_error', 'reduction': 'sum_over_batch_size'})
    """
    if identifier is None:
        raise ValueError(f"Could not interpret loss identifier: None. Expected a name ({', '.join(names())}), "
                         "a config dict, a Loss or a function of (y_true, y_pred).")
    loss = get(identifier)
    if isinstance(loss, Loss):
        return loss
    if hasattr(loss, "loss_class"):
        return loss.loss_class()
    return LossFunctionWrapper(loss)


serialize, deserialize = LOSSES.serialize, LOSSES.deserialize

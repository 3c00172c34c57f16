"""Optimizers: turn gradients into weight updates, step by step as Keras 3 does (see ``base``).

Listed in order of increasing complexity: SGD; RMSprop, Adagrad, Adadelta; Adam, AdamW,
Adamax, Nadam, Lamb; Lion; Ftrl; Adafactor; Muon. ``schedules`` holds the learning-rate schedules.
"""

from __future__ import annotations

from . import schedules
from .adafactor import Adafactor
from .adam import Adam, Adamax, AdamW, Lamb, Nadam
from .adaptive import Adadelta, Adagrad, RMSprop
from .base import OPTIMIZERS, Optimizer
from .ftrl import Ftrl
from .lion import Lion
from .loss_scale import LossScaleOptimizer
from .muon import Muon
from .sgd import SGD

__all__ = ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam", "Lion", "Lamb", "Ftrl",
           "Adafactor", "Muon", "LossScaleOptimizer", "Optimizer", "schedules",
           "get", "serialize", "deserialize", "names", "OPTIMIZERS"]


def names() -> list[str]:
    """Every name :func:`get` accepts.

    Returns:
        The names, sorted: class names and their lower-case forms.

    Example:
        >>> import numpy as np, nnlite
        >>> "adam" in nnlite.optimizers.names()
        True
    """
    return OPTIMIZERS.names()


def get(identifier: str | dict | Optimizer | None) -> Optimizer | None:
    """An optimizer from a name (``"sgd"``, ``"Adam"``; any case), a config dict, or an Optimizer.

    Args:
        identifier: a name, a config dict ({"class_name": "Adam", "config": {...}}) or an ``Optimizer``.

    Returns:
        A new ``Optimizer`` (the same object when one is given; None for None).

    Example:
        >>> import nnlite
        >>> nnlite.optimizers.get("Adam").name, nnlite.optimizers.get({"class_name": "sgd"}).learning_rate.numpy()
        ('adam', array(0.01, dtype=float32))
    """
    if identifier is None:  # as Keras's get
        return None
    if isinstance(identifier, str) and identifier not in OPTIMIZERS:
        identifier = identifier.lower()
    if isinstance(identifier, dict) and isinstance(identifier.get("class_name"), str):  # {"class_name": "adam"}
        name = next((n for n in (identifier["class_name"], identifier["class_name"].lower()) if n in OPTIMIZERS), None)
        if name is not None:
            identifier = {**identifier, "class_name": OPTIMIZERS.class_name(OPTIMIZERS.lookup(name))}
    return OPTIMIZERS.get(identifier)


serialize, deserialize = OPTIMIZERS.serialize, OPTIMIZERS.deserialize

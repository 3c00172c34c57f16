"""Layers, as ``keras.layers``: Dense, Input/InputLayer, Activation, ReLU, LeakyReLU, ELU, Softmax, Dropout,
Flatten, Reshape, Normalization.

Each class registers itself in ``LAYERS`` where it is defined (see ``base`` for the
forward/backward contract every layer keeps).
"""

from typing import Any

from .activation import ELU, Activation, LeakyReLU, ReLU, Softmax
from .base import LAYERS, Context, Input, InputLayer, Layer
from .core import Dense
from .normalization import Normalization
from .regularization import Dropout
from .reshaping import Flatten, Reshape

__all__ = ["LAYERS", "Activation", "Context", "Dense", "Dropout", "ELU", "Flatten", "Input", "InputLayer", "Layer",
           "LeakyReLU", "Normalization", "ReLU", "Reshape", "Softmax", "serialize", "deserialize"]


def serialize(layer: Layer) -> dict[str, Any]:
    """Keras's config entry for ``layer`` (with its build config, once built)."""
    entry = LAYERS.serialize(layer)
    build = layer.get_build_config()
    if build is not None:
        entry["build_config"] = build
    return entry


def deserialize(config: dict[str, Any]) -> Layer:
    """A layer from Keras's config entry; only registered layer classes."""
    return LAYERS.deserialize(config)

"""Layers, as ``keras.layers``: Dense, Input/InputLayer, Activation, ReLU, LeakyReLU, ELU, Softmax, Dropout,
Flatten, Reshape, Normalization, and the merge layers (Add, Concatenate, Dot, ...).

Each class registers itself in ``LAYERS`` where it is defined (see ``base`` for the
forward/backward contract every layer keeps).
"""

from typing import Any

from .activation import ELU, Activation, LeakyReLU, ReLU, Softmax
from .base import LAYERS, Context, Input, InputLayer, Layer
from .core import Dense
from .merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from .normalization import BatchNormalization, LayerNormalization, Normalization, UnitNormalization
from .regularization import Dropout
from .reshaping import Flatten, Reshape

__all__ = [
    "Activation", "Add", "add", "average", "Average", "BatchNormalization", "concatenate", "Concatenate",
    "Context", "Dense", "deserialize", "dot", "Dot", "Dropout", "ELU", "Flatten", "Input", "InputLayer",
    "Layer", "LayerNormalization", "LAYERS", "LeakyReLU", "Maximum", "maximum", "Minimum", "minimum",
    "multiply", "Multiply", "Normalization", "ReLU", "Reshape", "serialize", "Softmax", "subtract", "Subtract",
    "UnitNormalization"
]


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

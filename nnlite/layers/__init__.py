"""Layers, as ``keras.layers``: Dense, Input/InputLayer, Activation, ReLU, LeakyReLU, ELU, Softmax, Dropout,
Flatten, Reshape, Normalization, and the merge layers (Add, Concatenate, Dot, ...).

Each class registers itself in ``LAYERS`` where it is defined (see ``base`` for the
forward/backward contract every layer keeps).
"""

from typing import Any

from .activation import ELU, Activation, LeakyReLU, ReLU, Softmax
from .base import LAYERS, Context, Input, InputLayer, Layer
from .core import Dense
from .embedding import Embedding, GlobalAveragePooling1D
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
from .regularization import ActivityRegularization, AlphaDropout, Dropout, GaussianDropout, GaussianNoise
from .reshaping import Flatten, Identity, Permute, RepeatVector, Reshape

__all__ = [
    "Activation", "ActivityRegularization", "add", "Add", "AlphaDropout", "average", "Average",
    "BatchNormalization", "concatenate", "Concatenate", "Context", "Dense", "deserialize", "dot", "Dot",
    "Dropout", "ELU", "Embedding", "Flatten", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D",
    "Identity", "Input", "InputLayer", "Layer", "LayerNormalization", "LAYERS", "LeakyReLU", "maximum",
    "Maximum", "minimum", "Minimum", "multiply", "Multiply", "Normalization", "Permute", "ReLU", "RepeatVector",
    "Reshape", "serialize", "Softmax", "subtract", "Subtract", "UnitNormalization"
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

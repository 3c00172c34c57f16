"""Layers, as ``keras.layers``: Dense, Input/InputLayer, Activation, ReLU, LeakyReLU, ELU, Softmax, Dropout,
Flatten, Reshape, Normalization, and the merge layers (Add, Concatenate, Dot, ...).

Each class registers itself in ``LAYERS`` where it is defined (see ``base`` for the
forward/backward contract every layer keeps).
"""

from typing import Any

from .activation import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from .attention import GroupedQueryAttention, MultiHeadAttention
from .base import LAYERS, Context, Layer
from .cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from .convolutional import Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose
from .core import Dense
from .depthwise import DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
from .dot_attention import AdditiveAttention, Attention
from .embedding import Embedding, GlobalAveragePooling1D
from .input_layer import Input, InputLayer
from .input_spec import InputSpec
from .lambda_layer import Lambda
from .masking import Masking
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
from .normalization import BatchNormalization, LayerNormalization, Normalization, RMSNormalization, UnitNormalization
from .operation import Operation as Operation  # the node of a keras.ops call in a graph
from .pooling import AveragePooling1D, AveragePooling2D, AveragePooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D
from .preprocessing import CategoryEncoding, Discretization, Hashing, IntegerLookup, Rescaling, StringLookup
from .recurrent import GRU, LSTM, SimpleRNN
from .regularization import (
    ActivityRegularization,
    AlphaDropout,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from .reshaping import Flatten, Identity, Permute, RepeatVector, Reshape
from .rnn import RNN
from .spatial import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from .text import TextVectorization
from .wrappers import Bidirectional, TimeDistributed, Wrapper

# Keras's short names
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
MaxPool2D, AvgPool2D, MaxPool1D, AvgPool1D = MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D
MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
Convolution1D, Convolution2D, Convolution1DTranspose, Convolution2DTranspose = Conv1D, Conv2D, Conv1DTranspose, \
    Conv2DTranspose
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = GlobalAveragePooling1D, GlobalAveragePooling2D, \
    GlobalAveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GroupQueryAttention = GroupedQueryAttention  # Keras's public name for the class

__all__ = [
    "Activation", "ActivityRegularization", "Add", "add", "AlphaDropout", "Average", "average", "AveragePooling2D",
    "AvgPool2D", "Conv2D", "Conv1D", "Conv1DTranspose", "Conv2DTranspose", "MaxPooling1D", "AveragePooling1D",
    "MaxPool1D", "AvgPool1D", "GlobalMaxPooling1D", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "ZeroPadding1D", "Cropping1D", "UpSampling1D", "Cropping2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
    "MaxPool2D", "MaxPooling2D", "UpSampling2D", "ZeroPadding2D", "ZeroPadding3D", "Cropping3D", "UpSampling3D",
    "GlobalMaxPooling3D", "GlobalAveragePooling3D", "MaxPooling3D", "AveragePooling3D", "MaxPool3D", "AvgPool3D",
    "Convolution1D", "Convolution2D", "Convolution1DTranspose", "Convolution2DTranspose", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GRU",
    "LSTM", "SimpleRNN", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
    "StackedRNNCells", "Masking", "Bidirectional", "TimeDistributed",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "MultiHeadAttention",
    "GroupedQueryAttention", "GroupQueryAttention",
    "TextVectorization", "Attention", "AdditiveAttention", "Lambda",
    "BatchNormalization", "CategoryEncoding", "Concatenate", "concatenate", "Context", "Dense", "deserialize",
    "Discretization", "Dot", "dot", "Dropout", "ELU", "Embedding", "Flatten", "GaussianDropout",
    "GaussianNoise", "GlobalAveragePooling1D", "Hashing", "Identity", "Input", "InputLayer", "IntegerLookup",
    "Layer", "LayerNormalization", "RMSNormalization", "LAYERS", "LeakyReLU", "PReLU", "Maximum", "maximum",
    "minimum", "Minimum",
    "multiply", "Multiply", "Normalization", "Permute", "ReLU", "RepeatVector", "Rescaling", "Reshape", "serialize",
    "Softmax", "StringLookup", "subtract", "Subtract", "UnitNormalization", "InputSpec", "Wrapper",
]


def serialize(layer: Layer) -> dict[str, Any]:
    """Keras's config entry for ``layer`` (with its build config, once built).

    Args:
        layer: the layer.

    Example:
        >>> import numpy as np, nnlite
        >>> entry = nnlite.layers.serialize(nnlite.layers.Dense(3, name="out"))
        >>> entry["class_name"], entry["config"]["units"]
        ('Dense', 3)
    """
    entry = LAYERS.serialize(layer)
    build = layer.get_build_config()
    if build is not None:
        entry["build_config"] = build
    return entry


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Layer:
    """A layer from Keras's config entry; only registered layer classes (and those in ``custom_objects``).

    Args:
        config: a layer's config entry: class_name and config (and build_config).
        custom_objects: layer classes of your own the entry may name.

    Example:
        >>> import numpy as np, nnlite
        >>> layer = nnlite.layers.deserialize({"class_name": "Dense", "config": {"units": 3}})
        >>> type(layer).__name__, layer.units
        ('Dense', 3)
    """
    return LAYERS.deserialize(config, custom_objects)


# Keras layers outside nnlite's scope (dense networks), and what they are
OUT_OF_SCOPE = {
    **dict.fromkeys(["Conv3D", "Conv3DTranspose"], "convolution"),
    **dict.fromkeys(["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"], "recurrent"),
}


def out_of_scope(name: str) -> str | None:
    """Why nnlite has no layer ``name`` (None if it is not one Keras has outside nnlite's scope)."""
    kind = OUT_OF_SCOPE.get(name)
    if kind is None:
        return None
    return (f"{name} is a {kind} layer nnlite does not have yet. Build this model in Keras (`import keras`); "
            "nnlite reads and writes the .keras files of the layers it has.")


LAYERS.out_of_scope = out_of_scope


def __getattr__(name: str) -> Any:
    reason = out_of_scope(name)
    if reason is not None:
        raise AttributeError(reason)
    raise AttributeError(f"module 'nnlite.layers' has no attribute {name!r}")

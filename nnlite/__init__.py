"""nnlite: neural networks in NumPy with the Keras 3 API.

``import nnlite as keras`` runs Keras scripts (dense, convolutional, recurrent and attention layers), and gives
the numbers Keras gives.
"""

from . import (
    activations,
    autodiff,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    dtype_policies,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    utils,
)
from .autodiff import GradientTape
from .dtype_policies import DTypePolicy, FloatDTypePolicy
from .initializers import Initializer
from .layers import Input, InputSpec, Layer
from .layers.node import KerasTensor
from .losses import Loss
from .metrics import Metric
from .models import Model, Sequential
from .optimizers import Optimizer
from .regularizers import Regularizer
from .variables import Variable

__version__ = "0.1.0"


def version() -> str:
    """nnlite's version (``keras.version()``)."""
    return __version__


def __getattr__(name: str):
    """``nnlite.saving`` is imported on first use: file handling is not needed to train."""
    if name == "saving":
        import importlib

        return importlib.import_module(".saving", __name__)
    raise AttributeError(f"module 'nnlite' has no attribute {name!r}")

__all__ = ["DTypePolicy", "FloatDTypePolicy", "GradientTape", "Initializer", "Input", "InputSpec", "KerasTensor",
    "Layer", "Loss", "Metric", "Model", "Optimizer", "Regularizer", "Sequential", "Variable", "version",
    "activations", "autodiff", "backend", "callbacks", "config", "constraints", "datasets", "dtype_policies",
    "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "random", "regularizers", "saving",
    "utils", "__version__"]

"""nnlite: dense neural networks in NumPy with the Keras 3 API.

``import nnlite as keras`` runs Keras scripts built from Dense layers, and gives the
numbers Keras gives.
"""

from . import (
    activations,
    autodiff,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
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
from .layers import Input
from .layers.node import KerasTensor
from .models import Model, Sequential
from .variables import Variable

__version__ = "0.1.0"


def __getattr__(name: str):
    """``nnlite.saving`` is imported on first use: file handling is not needed to train."""
    if name == "saving":
        import importlib

        return importlib.import_module(".saving", __name__)
    raise AttributeError(f"module 'nnlite' has no attribute {name!r}")

__all__ = [
    "GradientTape", "Input", "KerasTensor", "Model", "Sequential", "Variable", "activations", "autodiff", "backend",
    "callbacks", "config", "constraints", "datasets", "initializers", "layers", "losses", "metrics", "models", "ops",
    "optimizers", "random", "regularizers", "saving", "utils", "__version__",
]

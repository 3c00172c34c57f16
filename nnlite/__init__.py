"""nnlite: dense neural networks in NumPy with the Keras 3 API.

``import nnlite as keras`` runs Keras scripts built from Dense layers, and gives the
numbers Keras gives.
"""

from . import (
    activations,
    callbacks,
    config,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
    utils,
)
from .layers import Input
from .models import Sequential

__version__ = "0.1.0"

__all__ = [
    "Input", "Sequential", "activations", "callbacks", "config", "initializers", "layers",
    "losses", "metrics", "models", "optimizers", "regularizers", "saving", "utils", "__version__",
]

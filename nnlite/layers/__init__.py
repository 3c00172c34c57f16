"""Layers: Dense, Input, and the weightless Activation, ReLU, LeakyReLU, Softmax and Dropout."""

from .activation import Activation, Dropout, LeakyReLU, ReLU, Softmax
from .core import Dense, Input, InputLayer, Layer

__all__ = ["Activation", "Dense", "Dropout", "Input", "InputLayer", "Layer", "LeakyReLU", "ReLU", "Softmax"]

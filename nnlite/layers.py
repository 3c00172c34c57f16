"""Layers: ``forward`` maps a batch ``(batch, features)`` forward, ``backward`` maps the
gradient arriving at the output back to the input and leaves each weight's
gradient on ``variable.grad``.

A layer's forward keeps exactly what its backward needs (only in training mode),
replacing it at every call.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import activations, config, initializers
from .variables import Variable


def _shape_tuple(shape: Any, what: str) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{what} must be a tuple of positive integers, got {shape!r}.") from None
    if not all(isinstance(d, numbers.Integral) and d > 0 for d in shape):
        raise ValueError(f"{what} must be a tuple of positive integers, got {shape!r}.")
    return tuple(int(d) for d in shape)


class Layer:
    """Base class: name, dtype, build-on-first-call, weights in Keras's order."""

    def __init__(self, name: str | None = None, dtype: str | None = None, trainable: bool = True,
                 input_shape: Any = None, input_dim: int | None = None) -> None:
        self.name = name
        self.dtype = str(np.dtype(dtype or config.floatx()))  # fixed at construction, as in Keras
        self.trainable = trainable
        self.built = False
        self.input_shape: tuple[int | None, ...] | None = None
        if input_dim is not None:
            input_shape = (input_dim,)
        self.declared_input_shape = (
            None if input_shape is None else _shape_tuple(input_shape, "input_shape")
        )

    @property
    def compute_dtype(self) -> str:
        return self.dtype

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.input_shape = tuple(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def __call__(self, x: Any, training: bool = False) -> np.ndarray:
        x = np.asarray(x, dtype=self.compute_dtype)
        if not self.built:
            self.build((None,) + x.shape[1:])
        return self.forward(x, training=training)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_a: np.ndarray, need_grad_x: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    # -- weights ----------------------------------------------------------------------
    @property
    def weights(self) -> list[Variable]:
        return []

    @property
    def trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if w.trainable] if self.trainable else []

    def get_weights(self) -> list[np.ndarray]:
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(
                f"Layer {self.name!r} expects {len(mine)} weight arrays "
                f"({', '.join(f'{w.name} {w.shape}' for w in mine)}); got {len(weights)}."
            )
        arrays = [np.asarray(w) for w in weights]
        for w, a in zip(mine, arrays):
            if a.shape != w.shape:
                raise ValueError(
                    f"Layer {self.name!r}: {w.name} has shape {w.shape}, got an array of shape {a.shape}."
                )
            if not np.all(np.isfinite(a)):
                raise ValueError(f"Layer {self.name!r}: {w.name} contains NaN or inf.")
        for w, a in zip(mine, arrays):
            w.value[...] = a

    def count_params(self) -> int:
        return int(sum(w.value.size for w in self.weights))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.compute_dtype}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class InputLayer(Layer):
    """Declares the input: ``shape`` excludes the batch axis. ``nnlite.Input`` makes one."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        if shape is None:
            shape = kwargs.pop("input_shape", None)
        if shape is None:
            raise ValueError("Input needs a shape, e.g. Input(shape=(784,)).")
        super().__init__(name=name, dtype=dtype, input_shape=shape)
        self.batch_size = batch_size
        self.shape = (batch_size,) + self.declared_input_shape

    def forward(self, x, training=False):
        return x

    def backward(self, grad_a, need_grad_x=True):
        return grad_a


def Input(shape: Any = None, batch_size: int | None = None, dtype: str | None = None,
          name: str | None = None) -> InputLayer:
    """The input of a model, as the first entry of a Sequential: ``Input(shape=(64,))``."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name)


class Dense(Layer):
    """a = activation(z),  z = x @ kernel + bias.

    Shapes: x (batch, in), kernel (in, units), bias (units,), z and a (batch, units).
    Backward, from grad_a = dL/da:
        grad_z = activation.backward(z, a, grad_a)     # (batch, units)
        kernel.grad = x.T @ grad_z                     # (in, units)
        bias.grad = sum over the batch of grad_z       # (units,)
        grad_x = grad_z @ kernel.T                     # (batch, in)
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 **kwargs: Any) -> None:
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"Dense units must be a positive integer, got {units!r}.")
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel: Variable | None = None
        self.bias: Variable | None = None
        self._cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"Dense {self.name!r} expects inputs of shape (batch, features); got {input_shape}."
            )
        n_in = int(input_shape[-1])
        dtype = self.compute_dtype
        self.kernel = Variable(self.kernel_initializer((n_in, self.units), dtype), "kernel")
        if self.use_bias:
            self.bias = Variable(self.bias_initializer((self.units,), dtype), "bias")
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    @property
    def weights(self):
        if not self.built:
            return []
        return [self.kernel, self.bias] if self.use_bias else [self.kernel]

    def forward(self, x, training=False):
        z = x @ self.kernel.value  # (batch, units)
        if self.use_bias:
            z += self.bias.value
        a = self.activation.forward(z)
        self._cache = (x, z, a) if training else None
        return a

    def backward(self, grad_a, need_grad_x=True):
        _, z, a = self._require_cache()
        grad_z = self.activation.backward(z, a, grad_a)  # (batch, units)
        return self.backward_from_z(grad_z, need_grad_x)

    def backward_from_z(self, grad_z: np.ndarray, need_grad_x: bool = True) -> np.ndarray | None:
        """The backward pass from grad_z = dL/dz; the fused crossentropy path enters here."""
        x = self._require_cache()[0]
        self.kernel.grad = x.T @ grad_z  # (in, units)
        if self.use_bias:
            self.bias.grad = grad_z.sum(axis=0)  # (units,)
        return grad_z @ self.kernel.value.T if need_grad_x else None  # (batch, in)

    def pre_activation(self) -> np.ndarray:
        """z from the last training-mode forward pass."""
        return self._require_cache()[1]

    def _require_cache(self):
        if self._cache is None:
            raise RuntimeError(
                f"Dense {self.name!r}: backward needs a forward pass with training=True first."
            )
        return self._cache

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias}

    def __repr__(self):
        return f"<Dense name={self.name} units={self.units} activation={self.activation.name}>"

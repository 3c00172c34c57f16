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

from .. import activations, config, initializers, regularizers
from ..variables import Variable


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

    def regularization_loss(self) -> float:
        """Penalties this layer adds to the loss (none by default)."""
        return 0.0

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.compute_dtype}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _buffer(variable: Variable) -> np.ndarray:
    """variable.grad, allocated once and then overwritten in place at every backward pass."""
    if variable.grad is None or variable.grad.shape != variable.shape or variable.grad.dtype != variable.dtype:
        variable.grad = np.empty_like(variable.value)
    return variable.grad


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
    Regularizers add R(kernel), R(bias) and R(a) / batch to the loss, and their
    gradients to kernel.grad, bias.grad and grad_a.
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, **kwargs: Any) -> None:
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"Dense units must be a positive integer, got {units!r}.")
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel: Variable | None = None
        self.bias: Variable | None = None
        self.activity_penalty = 0.0
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

    def logits(self, x: np.ndarray) -> np.ndarray:
        """z = x @ kernel + bias."""
        z = x @ self.kernel.value  # (batch, units)
        if self.use_bias:
            z += self.bias.value
        return z

    def forward(self, x, training=False):
        a, z = self.forward_logits(x)
        self._cache = (x, z, a) if training else None
        return a

    def forward_logits_only(self, x: np.ndarray) -> np.ndarray:
        """Training-mode forward up to z, for a fused loss that reads only z (a is left uncomputed)."""
        z = self.logits(x)
        self._cache = (x, z, None)
        return z

    def forward_logits(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(a, z) in inference mode; the model's fused loss reads z."""
        z = self.logits(x)
        a = self.activation.forward(z)
        if self.activity_regularizer is not None:
            self.activity_penalty = self.activity_regularizer(a) / len(a)
        return a, z

    def backward(self, grad_a, need_grad_x=True):
        _, z, a = self._require_cache()
        if self.activity_regularizer is not None:
            grad_a = grad_a + self.activity_regularizer.grad(a) / len(a)
        grad_z = self.activation.backward(z, a, grad_a)  # (batch, units)
        return self._backward_z(grad_z, need_grad_x)

    def backward_from_z(self, grad_z: np.ndarray, need_grad_x: bool = True) -> np.ndarray | None:
        """The fused crossentropy path enters here with grad_z = dL/dz from the loss."""
        x, z, a = self._require_cache()
        if self.activity_regularizer is not None:  # R(a) still reaches z through a
            if a is None:  # forward stopped at z
                a = self.activation.forward(z)
                self.activity_penalty = self.activity_regularizer(a) / len(a)
                self._cache = (x, z, a)
            grad_z = grad_z + self.activation.backward(z, a, self.activity_regularizer.grad(a) / len(a))
        return self._backward_z(grad_z, need_grad_x)

    def _backward_z(self, grad_z: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        x = self._require_cache()[0]
        # kernel.grad = x.T @ grad_z, (in, units), written into the same buffer every step
        np.matmul(x.T, grad_z, out=_buffer(self.kernel))
        if self.kernel_regularizer is not None:
            self.kernel.grad += self.kernel_regularizer.grad(self.kernel.value)
        if self.use_bias:
            np.add.reduce(grad_z, axis=0, out=_buffer(self.bias))  # bias.grad = sum of grad_z rows, (units,)
            if self.bias_regularizer is not None:
                self.bias.grad += self.bias_regularizer.grad(self.bias.value)
        return grad_z @ self.kernel.value.T if need_grad_x else None  # (batch, in)

    def regularization_loss(self) -> float:
        """R(kernel) + R(bias) + R(a) / batch from the latest forward pass."""
        total = 0.0
        if self.kernel_regularizer is not None:
            total += self.kernel_regularizer(self.kernel.value)
        if self.use_bias and self.bias_regularizer is not None:
            total += self.bias_regularizer(self.bias.value)
        if self.activity_regularizer is not None:
            total += self.activity_penalty
        return total

    def pre_activation(self) -> np.ndarray:
        """z from the last training-mode forward pass."""
        return self._require_cache()[1]

    def _require_cache(self):
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__} {self.name!r}: backward needs a forward pass with training=True first."
            )
        return self._cache

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias}

    def __repr__(self):
        return f"<Dense name={self.name} units={self.units} activation={self.activation.name}>"

"""Dense: the fully connected layer, a = activation(x @ kernel + bias); and what it shares with the other layers
that hold a kernel and a bias (their settings and config)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import activations, blas, constraints, initializers, regularizers
from .base import LAYERS, Context, Layer
from .input_spec import InputSpec


class KernelLayer(Layer):
    """A layer with a kernel, an optional bias and an output activation (Dense, Conv2D): their settings, held and
    written to the config as Keras holds and writes them."""

    @property
    def activation(self) -> Any:
        """The output activation (an ``Activation``); setting it takes what ``activations.get`` takes, None for
        linear, as Keras's layers do."""
        return self._activation

    @activation.setter
    def activation(self, value: Any) -> None:
        self._activation = activations.get(value)

    def set_kernel_settings(self, activation: Any, use_bias: bool, kernel_initializer: Any, bias_initializer: Any,
                            kernel_regularizer: Any, bias_regularizer: Any, kernel_constraint: Any,
                            bias_constraint: Any) -> None:
        """Resolve each setting (names, config dicts or objects) as Keras's ``get`` functions do.

        Args:
            activation: the output activation.
            use_bias: whether there is a bias.
            kernel_initializer: how the kernel starts.
            bias_initializer: how the bias starts.
            kernel_regularizer: a penalty on the kernel.
            bias_regularizer: a penalty on the bias.
            kernel_constraint: a projection of the kernel after each step.
            bias_constraint: a projection of the bias after each step.
        """
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def add_kernel_and_bias(self, kernel_shape: tuple[int, ...], bias_shape: tuple[int, ...]) -> None:
        """Create ``kernel`` (and ``bias`` when ``use_bias``) with the layer's initializers, regularizers and
        constraints.

        Args:
            kernel_shape: the kernel's shape.
            bias_shape: the bias's shape.
        """
        self.kernel = self.add_weight(kernel_shape, self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(bias_shape, self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def kernel_config(self) -> dict[str, Any]:
        """The settings as Keras's config entries."""
        return {"activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


@LAYERS.register(example={"units": 3, "activation": "relu"})
class Dense(KernelLayer):
    """a = activation(z),  z = x @ kernel + bias.

    Shapes: x (batch, in), kernel (in, units), bias (units,), z and a (batch, units);
    inputs with more axes (batch, ..., in) map their last axis the same way.
    Backward, from grad_a = dL/da:
        grad_z = activation.backward(z, a, grad_a)     # (batch, units)
        kernel.grad = x.T @ grad_z                     # (in, units)
        bias.grad = sum over the batch of grad_z       # (units,)
        grad_x = grad_z @ kernel.T                     # (batch, in)
    Under SGD in ``fit`` (lr folded into grad_z), a large kernel's step is taken in that product:
        kernel <- kernel - x.T @ grad_z                # plain: one gemm, nnlite.blas.subtract_product
        m <- mu m - x.T @ grad_z                       # momentum mu: one gemm, then kernel <- kernel + m

    Args:
        units: the number of neurons, the last axis of the output.
        activation: the activation f, by name ("relu", "softmax", ...) or a function; None is linear.
        use_bias: whether the layer has a bias b.
        kernel_initializer: how the kernel starts (default "glorot_uniform", as Keras).
        bias_initializer: how the bias starts (default "zeros").
        kernel_regularizer: a penalty on the kernel added to the loss (e.g. ``regularizers.L2(0.01)``).
        bias_regularizer: a penalty on the bias added to the loss.
        activity_regularizer: a penalty on the output a, divided by the batch size, added to the loss.
        kernel_constraint: a projection applied to the kernel after each optimizer step.
        bias_constraint: a projection applied to the bias after each optimizer step.
        lora_rank: Keras's low-rank adaptation; not supported (must be None).
        lora_alpha: with ``lora_rank``; must be None.
        quantization_config: Keras's quantization; not supported (must be None).
        **kwargs: ``name``, ``dtype`` ("float32" by default, "float64" for exact checks), ``trainable``,
            and Keras's deprecated ``input_shape``/``input_dim``.

    Example:
        >>> import numpy as np, nnlite
        >>> layer = nnlite.layers.Dense(2, activation="relu", kernel_initializer="ones")
        >>> layer(np.array([[1.0, -3.0]])).tolist()  # relu(1 - 3) for both neurons
        [[0.0, 0.0]]
        >>> [w.shape for w in layer.weights]
        [(2, 2), (2,)]
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, lora_rank: int | None = None,
                 lora_alpha: float | None = None, quantization_config: Any = None, **kwargs: Any) -> None:
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. Received: "
                             f"units={units!r}")
        for key, value in (("lora_rank", lora_rank), ("quantization_config", quantization_config)):
            if value is not None:
                raise ValueError(f"nnlite's Dense has no {key}; got {key}={value!r}. Use Keras for LoRA and "
                                 "quantization (save the model as .keras and load it there).")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        self.set_kernel_settings(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                 bias_regularizer, kernel_constraint, bias_constraint)
        self.lora_rank, self.lora_alpha = lora_rank, lora_alpha
        self.kernel = None
        self.bias = None
        self.input_spec = InputSpec(min_ndim=2)  # Keras's: a call that does not fit fails in its words

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Dense {self.name!r} needs inputs (batch, ..., features) with a known number of "
                             f"features; got input shape {tuple(input_shape)}.")
        self.add_kernel_and_bias((input_shape[-1], self.units), (self.units,))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_shape[-1]})
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def weight_shapes(self, input_shape):
        return [(input_shape[-1], self.units)] + ([(self.units,)] if self.use_bias else [])

    def affine(self, x: np.ndarray) -> np.ndarray:
        """z = x @ kernel + bias."""
        z = x @ self.kernel.value  # (batch, units)
        if self.use_bias:
            z += self.bias.value
        return z

    def forward(self, x, ctx: Context):
        z = self.affine(x)
        a = self.activation.forward(z)
        return a, (x, z, a)

    def forward_z(self, x, ctx: Context):
        z = self.affine(x)
        return z, (x, z, None)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        x, z, a = saved
        grad_z = self.activation.backward(z, a, grad_a)  # (batch, units)
        return self.backward_z(saved, grad_z, ctx, need_grad_x)

    def backward_z(self, saved, grad_z, ctx, need_grad_x=True):
        x = saved[0]
        if x.ndim > 2:  # (batch, ..., in): every leading position is one more row
            x, grad_z_rows = x.reshape(-1, x.shape[-1]), grad_z.reshape(-1, self.units)
        else:
            grad_z_rows = grad_z
        grad_x = grad_z @ self.kernel.value.T if need_grad_x else None  # (batch, in), with the kernel before a step
        inside = ctx.descend_inside.get(id(self.kernel))  # SGD's t <- beta t - x.T @ grad_z (lr dL/dz), one product:
        if inside is not None:  # t the kernel (beta 1), or its momentum (beta mu; the step then adds it to the kernel)
            t, beta = inside
            blas.subtract_product(t, x.T, grad_z_rows, beta)
        else:  # kernel.grad = x.T @ grad_z, (in, units), written into the same buffer every step
            np.matmul(x.T, grad_z_rows, out=ctx.grad(self.kernel))
        if self.use_bias:
            np.add.reduce(grad_z_rows, axis=0, out=ctx.grad(self.bias))  # bias.grad = sum of grad_z rows, (units,)
        return grad_x

    grad_equations = {"kernel": "x.T @ grad_z", "bias": "grad_z summed over the batch"}

    def explain(self, saved, grad_a=None):
        x, z, a = saved
        if grad_a is None:
            rows = [("kernel", "W", self.kernel.value)]
            rows += [("bias", "b", self.bias.value)] if self.use_bias else []
            return rows + [("z", "x @ W + b" if self.use_bias else "x @ W", z)]
        return [("grad_z", f"delta = grad_a * {self.activation.name}'(z)", self.activation.backward(z, a, grad_a))]

    def get_config(self):
        return {**super().get_config(), "units": self.units, **self.kernel_config(), "quantization_config": None}

    def __repr__(self):
        return f"<Dense name={self.name}, units={self.units}, activation={self.activation.name}>"

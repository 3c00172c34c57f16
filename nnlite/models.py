"""Sequential: a stack of layers, trained by backpropagation.

Forward:   a_0 = x,  a_l = layer_l(a_{l-1}),  y_pred = a_L.
Backward:  grad_a_L = dL/dy_pred, then each layer maps the gradient at its output to
           the gradient at its input, leaving kernel.grad and bias.grad behind.
Fused:     if the last layer's activation is sigmoid or softmax and the loss is a
           crossentropy, L is computed from z_L (see ``losses.logits_loss_for``) and
           backward starts at grad_z_L = dL/dz_L, skipping the activation's Jacobian.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import callbacks as callbacks_module
from . import config, data, losses, optimizers
from .layers import InputLayer, Layer
from .training import Trainer
from .variables import Variable


class Sequential(Trainer):
    """A linear stack of layers with Keras's model API."""

    def __init__(self, layers: Sequence[Layer] | None = None, name: str | None = None) -> None:
        self.name = name or "sequential"
        self.layers: list[Layer] = []
        self.input_layer: InputLayer | None = None
        self.optimizer: optimizers.Optimizer | None = None
        self.loss: losses.Loss | None = None
        self.compiled = False
        self.stop_training = False
        self._diverged = False
        self._fused_key: tuple | None = None
        self._fused: losses.Loss | None = None
        self.history: callbacks_module.History | None = None
        self._metric_ids: list[Any] = []
        self._weighted_metric_ids: list[Any] = []
        for layer in layers or []:
            self.add(layer)

    # -- structure --------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer (an ``Input`` is accepted only first)."""
        if isinstance(layer, InputLayer):
            if self.layers or self.input_layer is not None:
                raise ValueError("An Input can only be the first entry of a Sequential.")
            self.input_layer = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects an nnlite layer, got {type(layer).__name__}: {layer!r}.")
        if layer.name is None:
            base = _snake_case(type(layer).__name__)
            taken = {other.name for other in self.layers}
            layer.name = base if base not in taken else next(
                f"{base}_{i}" for i in range(1, len(taken) + 2) if f"{base}_{i}" not in taken)
        self.layers.append(layer)
        if self.input_layer is None and layer.declared_input_shape is not None and len(self.layers) == 1:
            self.input_layer = InputLayer(shape=layer.declared_input_shape)
        if self.input_layer is not None:
            self.build()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self.layers:
            raise ValueError("Sequential.pop: the model has no layers.")
        return self.layers.pop()

    @property
    def built(self) -> bool:
        return bool(self.layers) and all(layer.built for layer in self.layers)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """Create every layer's weights for inputs of ``input_shape`` = (batch, features)."""
        if input_shape is None:
            if self.input_layer is None:
                raise ValueError("build() needs an input_shape, or the model needs an Input first.")
            input_shape = self.input_layer.shape
        shape = (None,) + tuple(input_shape)[1:]
        if self.input_layer is None:
            self.input_layer = InputLayer(shape=shape[1:])
        for layer in self.layers:
            if not layer.built:
                layer.build(shape)
            elif layer.input_shape[1:] != shape[1:]:
                raise ValueError(
                    f"Layer {layer.name!r} was built for inputs {layer.input_shape}, now given {shape}."
                )
            shape = layer.compute_output_shape(shape)

    @property
    def input_shape(self) -> tuple[int | None, ...] | None:
        return None if self.input_layer is None else self.input_layer.shape

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        self._require_built()
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def _require_built(self) -> None:
        if not self.built:
            raise ValueError(
                "The model is not built yet: give it an Input(shape=...), call build(input_shape), "
                "or call it on data first."
            )

    # -- weights ----------------------------------------------------------------------
    @property
    def weights(self) -> list[Variable]:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list[Variable]:
        return [w for layer in self.layers for w in layer.trainable_weights]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of all weights: kernel, bias, layer after layer."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set all weights at once, in :meth:`get_weights` order; nothing changes on error."""
        self._require_built()
        mine = self.weights
        if len(weights) != len(mine):
            expected = ", ".join(f"{layer.name}/{w.name} {w.shape}" for layer in self.layers for w in layer.weights)
            raise ValueError(f"set_weights expects {len(mine)} arrays ({expected}); got {len(weights)}.")
        arrays = [np.asarray(w) for w in weights]
        for w, a in zip(mine, arrays):
            if a.shape != w.shape:
                raise ValueError(f"set_weights: {w.name} needs shape {w.shape}, got {a.shape}.")
        start = 0
        for layer in self.layers:
            n = len(layer.weights)
            layer.set_weights(arrays[start:start + n])
            start += n

    def count_params(self) -> int:
        self._require_built()
        return sum(layer.count_params() for layer in self.layers)

    # -- forward and backward -----------------------------------------------------------
    def _check_x(self, x: Any, name: str = "x") -> np.ndarray:
        x = data.as_array(x, name, config.floatx() if not self.layers else self.layers[0].compute_dtype)
        if x.ndim != 2:
            raise ValueError(f"{name} must be 2-D (samples, features); got shape {x.shape}.")
        if not self.built:
            self.build((None,) + x.shape[1:])
        expected = self.input_shape[1:]
        if x.shape[1:] != expected:
            raise ValueError(
                f"{name} has {x.shape[1]} features per sample (shape {x.shape}), but the model "
                f"expects {expected[0]} (input shape {self.input_shape})."
            )
        return x

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """a_L from a_0 = x (no checks; see ``__call__``)."""
        a = x
        for layer in self.layers:
            a = layer.forward(a, training=training)
        return a

    def __call__(self, x: Any, training: bool = False) -> np.ndarray:
        return self.forward(self._check_x(x), training=training)

    def _fused_loss(self) -> losses.Loss | None:
        """The loss on the last layer's logits, if Keras would take that path (cached)."""
        last = self.layers[-1]
        key = (self.loss, last, getattr(last, "activation", None))
        if self._fused_key != key:
            fused = None
            if hasattr(last, "backward_from_z"):  # a layer with an activation and its logits
                fused = losses.logits_loss_for(self.loss, last.activation)
            self._fused_key, self._fused = key, fused
        return self._fused

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
                           need_prediction: bool = True) -> tuple[float, np.ndarray | None]:
        """Forward in training mode, the loss, then backward: (L, y_pred), grads left on variables.

        On the fused path the loss needs only z of the last layer; its activation (the
        prediction) is then computed only if ``need_prediction`` (fit asks for it when a
        metric will read it).
        """
        last, n = self.layers[-1], len(self.layers)
        fused = self._fused_loss()
        if fused is not None:  # start from dL/dz of the last layer
            a = x
            for layer in self.layers[:-1]:
                a = layer.forward(a, training=True)
            if need_prediction:
                y_pred = last.forward(a, training=True)
            else:
                y_pred = None
                last.forward_logits_only(a)
            loss, grad_z = fused.value_and_grad(y, last.pre_activation(), sample_weight)
            grad = last.backward_from_z(grad_z, need_grad_x=n > 1)
            remaining = n - 1
        else:
            y_pred = self.forward(x, training=True)
            loss, grad = self.loss.value_and_grad(y, y_pred, sample_weight)
            remaining = n
        for i in range(remaining - 1, -1, -1):
            grad = self.layers[i].backward(grad, need_grad_x=i > 0)
        return loss + self.regularization_loss(), y_pred

    def _loss_value(self, y, y_pred, z_last, sample_weight) -> float:
        """L + penalties for outputs of an inference-mode forward pass."""
        fused = self._fused_loss()
        if fused is not None:
            return fused(y, z_last, sample_weight) + self.regularization_loss()
        return self.loss(y, y_pred, sample_weight) + self.regularization_loss()

    def _forward_with_logits(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(y_pred, z of the last layer) in inference mode; z only where the loss is fused."""
        if self._fused_loss() is None:
            return self.forward(x), None
        a = x
        for layer in self.layers[:-1]:
            a = layer.forward(a)
        return self.layers[-1].forward_logits(a)

    def regularization_loss(self) -> float:
        """The layers' penalties from the latest forward pass: sum of R(w), and R(a) / batch."""
        return sum(layer.regularization_loss() for layer in self.layers)

    # -- files ----------------------------------------------------------------------------
    def save(self, filepath: Any, overwrite: bool = True) -> None:
        """Write a Keras 3 ``.keras`` file (architecture, weights, compile settings, optimizer state)."""
        from . import saving

        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Write a Keras ``.weights.h5`` file."""
        from . import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any) -> None:
        """Read a Keras ``.weights.h5`` file into this (built) model."""
        from . import saving

        saving.load_weights(self, filepath)

    # -- description --------------------------------------------------------------------
    def summary(self, print_fn: Any = None) -> None:
        """Print the layer table: name (type), output shape, parameter count."""
        (print_fn or print)(self._summary_text())

    def _summary_text(self) -> str:
        rows = [("Layer (type)", "Output Shape", "Param #")]
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape) if shape is not None else None
            params = layer.count_params() if layer.built else 0
            rows.append((f"{layer.name} ({type(layer).__name__})", str(shape or "?"), f"{params:,}"))
        widths = [max(len(r[i]) for r in rows) + 2 for i in range(3)]
        line = "+".join("-" * w for w in widths)
        text = [f'Model: "{self.name}"', line]
        for i, r in enumerate(rows):
            cells = [f" {r[0]:<{widths[0] - 1}}", f" {r[1]:<{widths[1] - 1}}", f"{r[2]:>{widths[2] - 1}} "]
            text.append("|".join(cells))
            if i == 0:
                text.append(line.replace("-", "="))
        text.append(line)
        if self.built:
            total = self.count_params()
            trainable = sum(w.value.size for w in self.trainable_weights)
            nbytes = sum(w.value.nbytes for w in self.weights)
            text += [f" Total params: {total:,} ({_size(nbytes)})",
                     f" Trainable params: {trainable:,}",
                     f" Non-trainable params: {total - trainable:,}"]
        return "\n".join(text)

    def _repr_html_(self) -> str:
        """The summary as an HTML table, for Jupyter."""
        import html

        rows = []
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape) if shape is not None else None
            params = layer.count_params() if layer.built else 0
            rows.append(f"<tr><td>{html.escape(layer.name)} ({type(layer).__name__})</td>"
                        f"<td>{shape or '?'}</td><td style='text-align:right'>{params:,}</td></tr>")
        total = f"<p>Total params: {self.count_params():,}</p>" if self.built else ""
        return (f"<p><b>Model: {html.escape(self.name)}</b></p><table><tr><th>Layer (type)</th>"
                f"<th>Output Shape</th><th>Param #</th></tr>{''.join(rows)}</table>{total}")

    def trace(self, x: Any, y: Any, sample_weight: Any = None) -> Any:
        """One training step laid open (see ``nnlite.trace``); the model is not changed."""
        from .trace import trace

        return trace(self, x, y, sample_weight)

    def __repr__(self) -> str:
        return f"<Sequential name={self.name} layers={[layer.name for layer in self.layers]}>"


def load_model(filepath: Any, compile: bool = True, custom_objects: dict | None = None,
               safe_mode: bool = True) -> Sequential:
    """Open a Keras 3 ``.keras`` file (see ``nnlite.saving.load_model``)."""
    from . import saving

    return saving.load_model(filepath, compile=compile, custom_objects=custom_objects, safe_mode=safe_mode)


def _snake_case(name: str) -> str:
    """Keras's default layer names: Dense -> dense, LeakyReLU -> leaky_re_lu."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _size(nbytes: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return ""



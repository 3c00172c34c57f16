"""Sequential: a stack of layers, trained by backpropagation.

Forward:   a_0 = x,  a_l = layer_l(a_{l-1}),  y_pred = a_L.
Backward:  grad_a_L = dL/dy_pred, then each layer maps the gradient at its output to
           the gradient at its input, leaving kernel.grad and bias.grad behind.
Fused:     if the last layer's activation is sigmoid or softmax and the loss is a
           crossentropy, L is computed from z_L (see ``losses.logits_loss_for``) and
           backward starts at grad_z_L = dL/dz_L, skipping the activation's Jacobian.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import callbacks as callbacks_module
from . import config, data, interrupts, losses, optimizers
from . import metrics as metrics_module
from .layers import InputLayer, Layer
from .variables import Variable


class Sequential:
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

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray,
                           sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Forward in training mode, the loss, then backward: (L, y_pred), grads left on variables."""
        y_pred = self.forward(x, training=True)
        last, n = self.layers[-1], len(self.layers)
        fused = self._fused_loss()
        if fused is not None:  # start from dL/dz of the last layer
            loss, grad_z = fused.value_and_grad(y, last.pre_activation(), sample_weight)
            grad = last.backward_from_z(grad_z, need_grad_x=n > 1)
            remaining = n - 1
        else:
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

    # -- compile and the training loop --------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Sequence[Any] | None = None,
                weighted_metrics: Sequence[Any] | None = None, **kwargs: Any) -> None:
        """Choose the optimizer, the loss, the metrics to report and those weighted by sample_weight."""
        unknown = set(kwargs) - {"run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss"}
        if unknown:
            raise TypeError(f"compile() got unknown arguments {sorted(unknown)}.")
        if loss is None:
            raise ValueError(f"compile() needs a loss; valid names: {', '.join(losses.names())}.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self._loss_id = loss
        self._metric_ids = _metric_list(metrics)
        self._weighted_metric_ids = _metric_list(weighted_metrics)
        self.compiled = True

    def _check_xy(self, x: Any, y: Any, sample_weight: Any = None, prefix: str = "") -> tuple:
        """x, y and sample weights checked against each other and the model; cast to floatx."""
        if not self.compiled:
            raise RuntimeError(
                "The model must be compiled before training or evaluation: call compile(optimizer, loss)."
            )
        x = self._check_x(x, f"{prefix}x")
        out_dtype = self.layers[-1].compute_dtype
        y = data.as_array(y, f"{prefix}y", None if self.loss.sparse_labels else out_dtype)
        rows = data.check_rows({f"{prefix}x": x, f"{prefix}y": y})
        sw = data.as_sample_weight(sample_weight, rows, f"{prefix}sample_weight")
        out = (rows,) + tuple(self.output_shape[1:])
        try:
            self.loss.prepare(y, np.zeros(out, dtype=out_dtype))
        except ValueError as err:
            raise ValueError(f"{prefix}y does not fit the model output {out}: {err}") from None
        return x, y, sw

    def _metrics(self, y: np.ndarray) -> list[tuple[str, metrics_module.Metric, bool]]:
        """(log name, metric, weighted?) for compile's metrics, then its weighted_metrics."""
        tracked, names = [], set()
        for ids, weighted in ((self._metric_ids, False), (self._weighted_metric_ids, True)):
            for identifier in ids:
                metric = metrics_module.resolve(identifier, y, self.output_shape)
                metric.reset_state()
                name = metric.name
                if name in names and weighted:  # Keras's name for a repeated weighted metric
                    name = f"weighted_{name}"
                base, index = name, 1
                while name in names:
                    name, index = f"{base}_{index}", index + 1
                names.add(name)
                tracked.append((name, metric, weighted))
        return tracked

    def _stop_on_divergence(self, loss: float, step: int) -> None:
        self._diverged = True
        self.stop_training = True
        warnings.warn(
            f"fit stopped: the loss became {float(loss)} at batch {step + 1}, before that batch's update. "
            "The weights are those after the last finite step; a smaller learning rate usually helps.",
            RuntimeWarning, stacklevel=4,
        )

    def _run_epoch(self, x, y, sw, batch_size, order, train, callbacks=None, interrupt=None):
        """One pass: per batch the loss (before the update) and metrics; returns the logs."""
        loss_total, seen = 0.0, 0
        tracked = self._metrics(y)
        fused = self._fused_loss() is not None
        variables = self.trainable_weights
        hooks = callbacks or callbacks_module.CallbackList([], self, {})
        begin_hook = "on_train_batch_begin" if train else "on_test_batch_begin"
        end_hook = "on_train_batch_end" if train else "on_test_batch_end"
        call_begin, call_end = hooks.wants(begin_hook), hooks.wants(end_hook)
        for step, rows in enumerate(data.batches(len(x), batch_size, order)):
            xb, yb = x[rows], y[rows]
            swb = None if sw is None else sw[rows]
            if call_begin:
                getattr(hooks, begin_hook)(step)
            if train:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # checked just below
                    loss, y_pred = self.loss_and_gradients(xb, yb, swb)
                z_last = self.layers[-1].pre_activation() if fused else None
                if math.isfinite(loss):
                    self.optimizer.apply([v.grad for v in variables], variables)
                else:  # diverged: keep the weights of the last finite step
                    self._stop_on_divergence(loss, step)
            else:
                y_pred, z_last = self._forward_with_logits(xb)
                loss = self._loss_value(yb, y_pred, z_last, swb)
            loss_total += float(loss) * len(xb)
            seen += len(xb)
            for _, metric, weighted in tracked:
                metric.update_state(yb, y_pred, swb if weighted else None, logits=z_last)
            if call_end:
                logs = _sorted({"loss": loss_total / seen, **{name: m.result() for name, m, _ in tracked}})
                getattr(hooks, end_hook)(step, logs)
            if interrupt is not None:
                interrupt.check(f"after batch {step + 1}")
            if train and self._diverged:
                break
        logs = _sorted({"loss": float(np.asarray(loss_total / seen, dtype=self.layers[-1].compute_dtype)),
                        **{name: m.result() for name, m, _ in tracked}})
        self._last_metric_order = ["loss"] + [name for name, _, _ in tracked]
        return logs

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

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int | str = "auto", callbacks: Sequence[callbacks_module.Callback] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            sample_weight: Any = None, class_weight: dict[int, float] | None = None, initial_epoch: int = 0,
            validation_batch_size: int | None = None) -> callbacks_module.History:
        """Train for ``epochs`` passes over (x, y) in batches; returns the History."""
        batch_size = data.check_int(32 if batch_size is None else batch_size, "batch_size", 1)
        epochs = data.check_int(epochs, "epochs", 0)
        initial_epoch = data.check_int(initial_epoch, "initial_epoch", 0)
        verbose = _check_verbose(verbose)
        if not self.compiled:
            raise RuntimeError("The model must be compiled before fit: call compile(optimizer, loss).")
        x, y, sw = self._check_xy(x, y, sample_weight)
        if class_weight is not None and sw is not None:
            raise ValueError("You cannot use class_weight and sample_weight at the same time.")
        val = None
        if validation_data is not None:
            val = self._check_validation(validation_data)
        elif validation_split:
            (x, y, sw), val = data.split_validation([x, y, sw], validation_split)
        if class_weight is not None:
            sw = data.class_weights_to_sample_weights(y, class_weight, self.layers[-1].compute_dtype)
        rng = config.default_rng() if shuffle else None

        history = callbacks_module.History()
        cbs = [*(callbacks or []), history]  # Keras's order: yours, History, then the progress bar
        if verbose:
            cbs.append(callbacks_module.ProgbarLogger(verbose))
        steps = -(-len(x) // batch_size)
        params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        cb = callbacks_module.CallbackList(cbs, self, params)
        self.stop_training = False
        self._diverged = False
        self.history = history
        with interrupts.deferred_interrupt() as interrupt:
            self._epochs(x, y, sw, val, batch_size, validation_batch_size, initial_epoch, epochs, rng, cb, interrupt)
        return history

    def _epochs(self, x, y, sw, val, batch_size, validation_batch_size, initial_epoch, epochs, rng, cb, interrupt):
        cb.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            cb.on_epoch_begin(epoch)
            order = rng.permutation(len(x)) if rng is not None else None
            logs = self._run_epoch(x, y, sw, batch_size, order, train=True, callbacks=cb, interrupt=interrupt)
            if val is not None:
                val_logs = self._run_epoch(*val, validation_batch_size or batch_size, None, train=False)
                logs = _sorted({**logs, **{f"val_{k}": v for k, v in val_logs.items()}})
            cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cb.on_train_end()

    def _check_validation(self, validation_data: Any):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val).")
        return self._check_xy(*validation_data, prefix="validation ")

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: int | str = "auto", sample_weight: Any = None, return_dict: bool = False,
                 callbacks: Sequence[callbacks_module.Callback] | None = None) -> Any:
        """The loss (and metrics) over (x, y): a float, [loss, *metrics], or a dict."""
        batch_size = data.check_int(32 if batch_size is None else batch_size, "batch_size", 1)
        _check_verbose(verbose)
        x, y, sw = self._check_xy(x, y, sample_weight)
        cb = callbacks_module.CallbackList(list(callbacks or []), self, {"verbose": 0})
        cb.on_test_begin()
        logs = self._run_epoch(x, y, sw, batch_size, None, train=False, callbacks=cb)
        cb.on_test_end(logs)
        return _results(logs, self._last_metric_order, return_dict)

    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = "auto") -> np.ndarray:
        """y_pred for every row of x, computed batch by batch."""
        batch_size = data.check_int(32 if batch_size is None else batch_size, "batch_size", 1)
        _check_verbose(verbose)
        x = self._check_x(x)
        return np.concatenate([self.forward(x[rows]) for rows in data.batches(len(x), batch_size)])

    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """One optimizer step on (x, y); returns the loss before the step (and metrics)."""
        x, y, sw = self._check_xy(x, y, sample_weight)
        cb = callbacks_module.CallbackList([], self, {})
        logs = self._run_epoch(x, y, sw, len(x), None, train=True, callbacks=cb)
        return _results(logs, self._last_metric_order, return_dict)

    def test_on_batch(self, x: Any, y: Any, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """The loss (and metrics) on one batch, without training."""
        return self.evaluate(x, y, batch_size=len(np.asarray(x)), verbose=0,
                             sample_weight=sample_weight, return_dict=return_dict)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        """y_pred for one batch."""
        return self(x)

    def metric_direction(self, name: str) -> str | None:
        """"up" or "down" for a logged metric name (val_ prefix allowed), as callbacks need it."""
        base = name.removeprefix("val_")
        if base == "loss":
            return "down"
        for ids in (self._metric_ids, self._weighted_metric_ids):
            for identifier in ids:
                if identifier == base or getattr(identifier, "name", None) == base:
                    if identifier in ("accuracy", "acc"):
                        return "up"
                    probe = metrics_module.resolve(identifier, np.zeros(1), (1, 2))
                    return probe.direction
        return None

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


def _sorted(logs: dict[str, float]) -> dict[str, float]:
    """Keras hands logs over with their keys sorted (History, progress lines, return_dict)."""
    return dict(sorted(logs.items()))


def _results(logs: dict[str, float], order: list[str], return_dict: bool) -> Any:
    """evaluate's answer: a dict, the loss alone, or [loss, *metrics] in compile order."""
    if return_dict:
        return logs
    return logs["loss"] if len(order) == 1 else [logs[name] for name in order]


def _metric_list(metrics: Any) -> list[Any]:
    if metrics is None:
        return []
    if isinstance(metrics, (str, metrics_module.Metric)) or callable(metrics):
        metrics = [metrics]
    for m in metrics:  # names are checked now, resolved against y later
        if isinstance(m, str) and m not in metrics_module.names():
            raise ValueError(f"Unknown metric {m!r}. Valid names: {', '.join(metrics_module.names())}.")
    return list(metrics)


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


def _check_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2; got {verbose!r}.")
    return int(verbose)

"""Keras's training seams: ``train_step``, ``test_step``, ``predict_step`` and ``compute_metrics``, each a
method you may override, and the loop over batches that calls them.

The default steps are Keras's, written on the tape:

    train_step:   with GradientTape:  y_pred = model(x, training=True)
                                      L = compute_loss(x, y, y_pred, sample_weight)   (compile's loss + model.losses)
                                      L_s = optimizer.scale_loss(L)                   (s L; s = 1 without loss scaling)
                  grads = tape.gradient(L_s, trainable_weights);  optimizer.apply_gradients(zip(grads, weights))
                  return compute_metrics(x, y, y_pred, sample_weight)
    test_step:    the same without the tape and the update;  predict_step: model(x, training=False).

``fit`` and ``evaluate`` run these when a model overrides one of them (or ``compute_loss``,
``compute_metrics``), or when compile was given no loss; otherwise they run the same computation fused
(``fused``: the layers' backward passes without a tape, the learning rate folded in), which
gives the same numbers.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from .. import autodiff
from .. import callbacks as callbacks_module
from ..streams import pack_x_y_sample_weight, unpack_x_y_sample_weight
from ..warn import warn


def pythonify_logs(logs: Any) -> dict[str, Any]:
    """A step's logs as floats by name, nested dicts flattened in (Keras's)."""
    out: dict[str, Any] = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
        else:
            array = np.asarray(autodiff.value_of(value))
            out[key] = float(array) if array.ndim == 0 else array
    return out


class Steps:
    """The overridable seams of a Keras model (see the module)."""

    def train_step(self, data: Any) -> dict[str, Any]:
        """One training step on a batch ``data`` = (x, y, sample_weight): forward, loss, gradients by the tape,
        the optimizer's update; returns the metrics' results by name.

        Args:
            data: the batch: (x, y) or (x, y, sample_weight).
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with autodiff.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss_for_step(x, y, y_pred, sample_weight, training=True)
            scaled = self.optimizer.scale_loss(loss)  # times the loss scale; the step divides by it again
        self._loss_tracker.update_state(autodiff.value_of(loss), sample_weight=_rows(x))
        weights = self.trainable_weights
        if not math.isfinite(float(np.asarray(autodiff.value_of(loss)))):
            self.stop_on_divergence(float(np.asarray(autodiff.value_of(loss))))  # before the update, as fit does
        elif weights:
            grads = tape.gradient(scaled, weights)
            self.optimizer.apply_gradients(zip(grads, weights))
        else:
            warn("The model does not have any trainable weights.", UserWarning)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data: Any) -> dict[str, Any]:
        """The loss and metrics on a batch, without training; returns the metrics' results by name.

        Args:
            data: the batch: (x, y) or (x, y, sample_weight).
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss_for_step(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(autodiff.value_of(loss), sample_weight=_rows(x))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data: Any) -> Any:
        """The model's output on a batch.

        Args:
            data: the batch: x, or a tuple whose first entry is x.
        """
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def compute_loss_for_step(self, x: Any, y: Any, y_pred: Any, sample_weight: Any, training: bool) -> Any:
        """``compute_loss``, also when an override of it takes no ``training`` (Keras's older signature).

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            y: the labels.
            y_pred: the model's output.
            sample_weight: a weight per sample, or None.
            training: whether it is a training step.
        """
        if "training" in inspect.signature(self.compute_loss).parameters:
            return self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training)
        return self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, Any]:
        """Update compile's metrics with (y, y_pred) (from the logits a sigmoid or softmax output carries, for the
        crossentropies); returns every metric's result by name (``get_metrics_result``).

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            y: the labels.
            y_pred: the model's output.
            sample_weight: a weight per sample, or None.

        Returns:
            The metrics' results by name, the loss first.
        """
        if self.compiled and y is not None:
            self.update_compiled_metrics(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def overrides_steps(self, train: bool) -> bool:
        """Whether fit (``train``) or evaluate must call the step methods: one of the seams is overridden, or
        compile was given no loss (the model's own losses are all there is).

        Args:
            train: True for fit, False for evaluate.
        """
        cls = type(self)
        own = [cls.compute_loss is not cls.base_compute_loss, cls.compute_metrics is not Steps.compute_metrics,
               (cls.train_step if train else cls.test_step) is not (Steps.train_step if train else Steps.test_step)]
        return any(own) or self.loss is None or self.built_eager

    def run_steps(self, batches: Any, train: bool, callbacks: Any = None, interrupt: Any = None) -> dict[str, Any]:
        """One pass over ``batches`` calling ``train_step`` (or ``test_step``) per batch; returns the last
        step's logs ({} if there was no batch).

        Args:
            batches: the epoch's batches.
            train: call ``train_step`` (True) or ``test_step`` (False).
            callbacks: the CallbackList whose batch hooks run, or None.
            interrupt: what Ctrl-C sets, to stop between batches.
        """
        batches = iter(batches)
        first = next(batches, None)
        if first is None:
            return {}
        if self.compiled and first[1] is not None:
            self.resolve_compiled_metrics(first[1])
        self.reset_metrics()
        hooks = callbacks or callbacks_module.CallbackList(model=self)
        begin = hooks.on_train_batch_begin if train else hooks.on_test_batch_begin
        end = hooks.on_train_batch_end if train else hooks.on_test_batch_end
        step_fn = self.train_step if train else self.test_step
        logs: dict[str, Any] = {}
        step = -1
        for step, (xb, yb, swb) in enumerate(_chain(first, batches)):
            begin(step, {})
            with autodiff.step_scope():
                logs = pythonify_logs(step_fn((xb,) if yb is None else pack_x_y_sample_weight(xb, yb, swb)))
            end(step, logs)
            if interrupt is not None and interrupt.requested:
                interrupt.check(f"after batch {step + 1}")
            if train and self.stop_training:
                break
            loss = logs.get("loss")
            if train and loss is not None and not math.isfinite(loss) and not self.stop_training:
                self.stop_on_divergence(loss)  # an overridden step applied it already; stop here
                break
        return logs


def _chain(first: Any, rest: Any) -> Any:
    yield first
    yield from rest


def _rows(x: Any) -> int:
    """The number of rows of a batch x (the first array of a list or dict)."""
    if isinstance(x, dict):
        x = next(iter(x.values()))
    if isinstance(x, (list, tuple)):
        x = x[0]
    return int(np.shape(autodiff.value_of(x))[0])

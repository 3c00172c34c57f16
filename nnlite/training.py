"""Training: compile, fit, evaluate and predict, as Keras's model API has them.

``Sequential`` inherits these methods. One epoch, per batch: forward in training mode,
the loss (before the update, penalties included), backward, one optimizer step; the
epoch's loss is the batch-size-weighted mean of those batch losses. Every argument is
checked before any weight changes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import callbacks as callbacks_module
from . import config, data, interrupts, losses, optimizers
from . import metrics as metrics_module


class Trainer:
    """The training half of Sequential (it supplies layers, forward and loss_and_gradients)."""

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
                    loss, y_pred = self.loss_and_gradients(xb, yb, swb, need_prediction=bool(tracked))
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


def _check_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2; got {verbose!r}.")
    return int(verbose)

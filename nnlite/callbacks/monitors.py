"""Callbacks that watch a logged quantity: EarlyStopping and ReduceLROnPlateau.

"Improved" means ``current - min_delta < best`` when smaller is better (mode "min", or
"auto" for losses and error metrics) and ``current + min_delta > best`` when larger is
better (mode "max", or "auto" for accuracies), as in Keras.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..warn import warn
from .base import CALLBACKS, Callback


@CALLBACKS.register()
class MonitorCallback(Callback):
    """The base of the callbacks that watch a quantity: which one (``monitor``), which direction is better, and what
    counts as an improvement: current - min_delta beats the reference in that direction (Keras's MonitorCallback).

    Args:
        monitor: the quantity in the logs ("val_loss", "accuracy", ...).
        mode: "min", "max" or "auto" (from the metric: loss and errors go down, accuracies and scores up).
        baseline: the best value to start from, or None for the first value seen.
        min_delta: the least change that counts as an improvement.

    Example:
        >>> import nnlite
        >>> watch = nnlite.callbacks.MonitorCallback("val_accuracy", mode="max", min_delta=0.01)
        >>> watch.is_improvement(0.905, 0.9), watch.is_improvement(0.92, 0.9), watch.monitor_op.__name__
        (False, True, 'greater')
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None,
                 min_delta: float = 0) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warn(f"{type(self).__name__} mode {mode!r} is unknown, falling back to 'auto'.")
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.best: float | None = baseline
        self._sign: int | None = None  # +1: larger is better, -1: smaller is better

    @property
    def monitor_op(self) -> Any:
        """Keras's comparison: ``ops.greater`` where larger is better, ``ops.less`` where smaller is (None until the
        direction is known)."""
        from .. import ops

        if self._sign is None and self.mode != "auto":
            self._direction()
        return None if self._sign is None else (ops.greater if self._sign > 0 else ops.less)

    def _set_monitor_op(self) -> None:
        """Decide the direction now (Keras's name; in mode "auto", from the model's metrics)."""
        self._direction()

    def _is_improvement(self, monitor_value: float, reference_value: float | None) -> bool:
        """Keras's name for :meth:`is_improvement`."""
        return self.is_improvement(monitor_value, reference_value)

    def _direction(self) -> int:
        """+1 or -1; in mode "auto" from the model's metric of that name (Keras's rule)."""
        if self._sign is None:
            if self.mode != "auto":
                self._sign = 1 if self.mode == "max" else -1
            else:
                base = self.monitor.removeprefix("val_")
                direction = "down" if base == "loss" else None
                for metric in getattr(self.model, "metrics", []):
                    if metric.name == base and metric.direction is not None:
                        direction = metric.direction
                if direction is None:
                    raise ValueError(
                        f"{type(self).__name__} callback received monitor={self.monitor}, but nnlite isn't able "
                        "to automatically determine whether that metric should be maximized or minimized. Pass "
                        "`mode='max'` in order to monitor based on the highest metric value, or pass "
                        "`mode='min'` in order to use the lowest value."
                    )
                self._sign = 1 if direction == "up" else -1
        return self._sign

    def is_improvement(self, current: float, reference: float | None) -> bool:
        if reference is None:
            return True
        sign = self._direction()
        return bool(sign * (current - sign * self.min_delta) > sign * reference)

    def current(self, logs: dict[str, float] | None) -> float | None:
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warn(
                f"{type(self).__name__} is conditioned on {self.monitor!r}, which is not available. "
                f"Available: {', '.join(logs)}.",
            )
        return value


@CALLBACKS.register()
class EarlyStopping(MonitorCallback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    With ``restore_best_weights`` the weights of the best epoch are put back at the end
    (if training stopped early or not, as Keras does). Epochs before ``start_from_epoch``
    are not watched; a ``baseline`` must be beaten for the patience to restart.

    Args:
        monitor: the logged quantity to watch ("val_loss", "val_accuracy", ...).
        min_delta: the least change that counts as an improvement.
        patience: epochs without improvement before training stops.
        verbose: 1 prints when it stops and when it restores weights.
        mode: "min", "max", or "auto" (from the quantity's name).
        baseline: a value the quantity must beat.
        restore_best_weights: put back the weights of the best epoch at the end.
        start_from_epoch: epochs to wait before watching.

    Example:
        >>> import numpy as np, nnlite
        >>> model = nnlite.Sequential([nnlite.Input((1,)), nnlite.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> stop = nnlite.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
        >>> len(model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=50, callbacks=[stop], verbose=0).epoch)
        2
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights: list[np.ndarray] | None = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        self._direction()  # decided now, as Keras does (an unknown metric in mode "auto" is an error)
        current = self.current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


@CALLBACKS.register()
class ReduceLROnPlateau(MonitorCallback):
    """lr <- max(lr * factor, min_lr) after ``patience`` epochs without improvement, then wait ``cooldown``.

    Adds "learning_rate" to the epoch logs (and so to History).

    Args:
        monitor: the logged quantity to watch ("val_loss", ...).
        factor: multiplies the learning rate at a plateau, in (0, 1).
        patience: epochs without improvement before the rate is reduced.
        verbose: 1 prints each reduction.
        mode: "min", "max", or "auto" (from the quantity's name).
        min_delta: the least change that counts as an improvement.
        cooldown: epochs to wait after a reduction before watching again.
        min_lr: the rate never goes below this.
        **kwargs: taken and ignored, as Keras does.

    Example:
        >>> import numpy as np, nnlite
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.ones((8, 2)), np.ones((8, 1))
        >>> reduce = nnlite.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)
        >>> history = model.fit(x, y, epochs=3, callbacks=[reduce], verbose=0)  # no epoch improves by 10
        >>> [round(lr, 6) for lr in history.history["learning_rate"]]
        [0.01, 0.01, 0.005]
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0, got factor={factor}.")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown

    def on_train_begin(self, logs=None):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_epoch_end(self, epoch, logs=None):
        self._direction()  # decided now, as Keras does (an unknown metric in mode "auto" is an error)
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = optimizer.current_learning_rate()
        current = self.current(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(optimizer.current_learning_rate())
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


@CALLBACKS.register()
class ModelCheckpoint(MonitorCallback):
    """Save the model (or its weights) at the end of each epoch, or every ``save_freq`` batches.

    ``filepath`` may hold format fields from the epoch, the batch and the logs, e.g.
    "ckpt/model-{epoch:02d}-{val_loss:.2f}.keras" (epoch and batch counted from 1); missing
    folders are created. With ``save_best_only`` only an improvement of ``monitor`` is saved;
    when the monitor is not in the logs, Keras saves anyway (with a warning), and so does nnlite.

    Args:
        filepath: where to save: a ``.keras`` file, or ``.weights.h5`` with ``save_weights_only``.
        monitor: the logged quantity ``save_best_only`` compares.
        verbose: 1 prints each save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: save only the weights (``model.save_weights``).
        mode: "min", "max", or "auto" (from the quantity's name).
        save_freq: "epoch", or a number of batches between saves.
        initial_value_threshold: the value ``monitor`` must beat for the first save.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.ones((8, 2)), np.ones((8, 1))
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "best.keras")
        >>> check = nnlite.callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True)
        >>> _ = model.fit(x, y, epochs=2, callbacks=[check], verbose=0)
        >>> os.path.exists(path)
        True
    """

    def __init__(self, filepath: str, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq: str | int = "epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__(monitor, mode)
        self.filepath = os.fspath(filepath)
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or integer values")
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must "
                             f"end in `.weights.h5` (Keras weights format). Received: filepath={self.filepath}")
        if not save_weights_only and not self.filepath.endswith(".keras"):
            raise ValueError("The filepath provided must end in `.keras` (Keras model format; nnlite does not write "
                             f"the legacy .h5 model format). Received: filepath={self.filepath}")
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        new_epoch = self._last_batch_seen is None or batch <= self._last_batch_seen
        self._batches_seen_since_last_saving += batch + 1 if new_epoch else batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save(self._current_epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        self._direction()  # decided now, as Keras does (an unknown metric in mode "auto" is an error)
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _path(self, epoch: int, batch: int | None, logs: dict) -> str:
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as err:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {err}') from None

    def _should_save(self, epoch: int, logs: dict, path: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warn(f"Can save best model only with {self.monitor} available.")
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self.is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, saving model to "
                      f"{path}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save(self, epoch: int, batch: int | None, logs: dict) -> None:
        path = self._path(epoch, batch, logs)
        if not self._should_save(epoch, logs, path):
            return
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if os.path.isdir(path):
            raise OSError(f"Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing "
                          f"directory: {path}")
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)

"""Small callbacks: LearningRateScheduler, TerminateOnNaN, CSVLogger, LambdaCallback."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .base import CALLBACKS, Callback


@CALLBACKS.register()
class LearningRateScheduler(Callback):
    """Before each epoch: lr <- schedule(epoch, lr) (or schedule(epoch)); logs "learning_rate".

    Args:
        schedule: ``f(epoch, lr) -> lr`` (or ``f(epoch) -> lr``), epochs counted from 0.
        verbose: 1 prints each new rate.

    Example:
        >>> import numpy as np, nnlite
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.ones((8, 2)), np.ones((8, 1))
        >>> schedule = nnlite.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2)
        >>> history = model.fit(x, y, epochs=3, callbacks=[schedule], verbose=0)
        >>> [round(lr, 6) for lr in history.history["learning_rate"]]
        [0.005, 0.0025, 0.00125]
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:
            lr = self.schedule(epoch, float(optimizer.current_learning_rate()))
        except TypeError:
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.floating)):
            raise ValueError(f"The schedule must return a float, got {lr!r}.")
        optimizer.learning_rate = float(lr)  # TypeError for an optimizer built on a schedule, as in Keras
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.current_learning_rate())


@CALLBACKS.register()
class TerminateOnNaN(Callback):
    """Stop training (or raise, with ``raise_error``) after a batch whose loss is NaN or inf.

    Args:
        raise_error: raise a RuntimeError instead of stopping quietly.

    Example:
        >>> import nnlite
        >>> model = nnlite.Sequential([nnlite.Input((1,)), nnlite.layers.Dense(1)])
        >>> stop = nnlite.callbacks.TerminateOnNaN()  # fit(..., callbacks=[stop]) calls it after each batch
        >>> stop.set_model(model)
        >>> stop.on_batch_end(0, {"loss": float("nan")})
        Batch 0: Invalid loss, terminating training
        >>> model.stop_training
        True
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}.")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


@CALLBACKS.register()
class CSVLogger(Callback):
    """One CSV row per epoch: "epoch" then the logged values, keys sorted (Keras's layout).

    Args:
        filename: the CSV file.
        separator: the delimiter between values.
        append: add to an existing file instead of replacing it.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.ones((8, 2)), np.ones((8, 1))
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "log.csv")
        >>> _ = model.fit(x, y, epochs=2, callbacks=[nnlite.callbacks.CSVLogger(path)], verbose=0)
        >>> open(path).readline().strip()
        'epoch,loss,val_loss'
    """

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = str(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self._file: Any = None
        self._writer: Any = None

    def on_train_begin(self, logs=None):
        write_header = True
        if self.append:
            try:
                with open(self.filename) as f:
                    write_header = not f.readline()
            except FileNotFoundError:
                pass
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._write_header = write_header
        self._writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        import csv

        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys]
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch", *self.keys], delimiter=self.sep)
            if self._write_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self.keys}})
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None and not self._file.closed:
            self._file.close()
        self._writer = None


@CALLBACKS.register()
class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Args:
        on_epoch_begin: ``f(epoch, logs)``.
        on_epoch_end: ``f(epoch, logs)``.
        on_train_begin: ``f(logs)``.
        on_train_end: ``f(logs)``.
        on_train_batch_begin: ``f(batch, logs)``.
        on_train_batch_end: ``f(batch, logs)``.
        **kwargs: any other hook by its name (``on_test_end=...``, ``on_predict_batch_end=...``).

    Example:
        >>> import numpy as np, nnlite
        >>> seen = []
        >>> log = nnlite.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
        >>> model = nnlite.Sequential([nnlite.Input((1,)), nnlite.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.ones((2, 1)), np.ones((2, 1)), epochs=3, verbose=0, callbacks=[log])
        >>> seen
        [0, 1, 2]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs: Any) -> None:
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin, "on_train_batch_end": on_train_batch_end, **kwargs}
        for hook, fn in hooks.items():
            if fn is not None:
                setattr(self, hook, fn)

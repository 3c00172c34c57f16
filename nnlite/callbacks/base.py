"""The callback protocol: hooks that ``fit`` calls around training, epochs and batches.

The hooks and their order are Keras's. ``History`` records the epoch logs and is
returned by ``fit``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..registry import Registry


class Callback:
    """Base class: override the hooks you need. ``self.model`` is the model being fitted.

    Example:
        >>> import numpy as np, nnlite
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.ones((8, 2)), np.ones((8, 1))
        >>> ends = []
        >>> class Count(nnlite.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         ends.append((epoch, round(logs["loss"], 4)))
        >>> _ = model.fit(x, y, epochs=2, callbacks=[Count()], verbose=0)
        >>> ends
        [(0, 1.0), (1, 0.8836)]
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """Keep the model being fitted as ``self.model``.

        Args:
            model: the model.
        """
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Keep fit's settings as ``self.params`` (``epochs``, ``steps``, ``verbose``).

        Args:
            params: the settings by name.
        """
        self.params = params

    # The hooks: each is called by fit, evaluate or predict at the moment its name says, with ``logs`` the results so
    # far by name (the loss and metrics; at an epoch's end the validation results too). The base does nothing.
    def on_train_begin(self, logs=None):
        """Called when fit starts.

        Args:
            logs: results so far by name, or None.
        """

    def on_train_end(self, logs=None):
        """Called when fit ends.

        Args:
            logs: the last epoch's results by name, or None.
        """

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch of fit.

        Args:
            epoch: the epoch's index, from 0.
            logs: None or an empty dict.
        """

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch of fit.

        Args:
            epoch: the epoch's index, from 0.
            logs: the epoch's results by name, the validation ones (``val_...``) included.
        """

    def on_batch_begin(self, batch, logs=None):
        """Keras's older name for :meth:`on_train_batch_begin` (which calls it).

        Args:
            batch: the batch's index in the epoch.
            logs: None or an empty dict.
        """

    def on_batch_end(self, batch, logs=None):
        """Keras's older name for :meth:`on_train_batch_end` (which calls it).

        Args:
            batch: the batch's index in the epoch.
            logs: the results so far in the epoch by name.
        """

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch.

        Args:
            batch: the batch's index in the epoch.
            logs: None or an empty dict.
        """
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch.

        Args:
            batch: the batch's index in the epoch.
            logs: the results so far in the epoch by name (the loss and metrics).
        """
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None):
        """Called when evaluate (or fit's validation pass) starts.

        Args:
            logs: None or an empty dict.
        """

    def on_test_end(self, logs=None):
        """Called when evaluate (or fit's validation pass) ends.

        Args:
            logs: its results by name.
        """

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of evaluate (and of a validation pass).

        Args:
            batch: the batch's index.
            logs: None or an empty dict.
        """

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of evaluate (and of a validation pass).

        Args:
            batch: the batch's index.
            logs: the results so far by name.
        """

    def on_predict_begin(self, logs=None):
        """Called when predict starts.

        Args:
            logs: None or an empty dict.
        """

    def on_predict_end(self, logs=None):
        """Called when predict ends.

        Args:
            logs: None or an empty dict.
        """

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of predict.

        Args:
            batch: the batch's index.
            logs: None or an empty dict.
        """

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of predict.

        Args:
            batch: the batch's index.
            logs: ``{"outputs": ...}``, the batch's predictions.
        """


CALLBACKS = Registry(Callback, "keras.callbacks")


@CALLBACKS.register()
class History(Callback):
    """``history[name]`` lists one float per epoch; ``epoch`` lists the epoch indices.

    Example:
        >>> import numpy as np, nnlite
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.ones((8, 2)), np.ones((8, 1))
        >>> history = model.fit(x, y, epochs=3, verbose=0)
        >>> history.epoch, sorted(history.history)
        ([0, 1, 2], ['loss'])
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value) if np.ndim(value) == 0 else np.array(value))

    def plot(self, metrics: list[str] | None = None) -> Any:
        """Loss and metric curves, validation dashed (needs matplotlib); returns the Figure."""
        from ..plotting import plot_history

        return plot_history(self, metrics)

    def __repr__(self) -> str:
        return f"<History epochs={len(self.epoch)} keys={list(self.history)}>"


"""Progress output of ``fit``: a bar updated in place (verbose=1) or a line per epoch (verbose=2)."""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

from .base import CALLBACKS, Callback


def _progress_bar_class() -> Any:
    """tqdm's widget bar in Jupyter when ipywidgets is there, else its text bar (which Jupyter
    also redraws in place); None without tqdm."""
    try:
        import importlib.util

        if importlib.util.find_spec("ipywidgets") is not None:
            from tqdm.auto import tqdm
        else:
            from tqdm.std import tqdm
    except ImportError:
        return None
    return tqdm


def format_logs(logs: dict[str, float]) -> str:
    """' - loss: 0.1234 - val_loss: 5.0000e-04' (%.4f, or %.4e below 1e-3)."""
    parts = []
    for key, value in logs.items():
        if np.ndim(value):  # a metric at several thresholds
            parts.append(f"{key}: {np.array2string(np.asarray(value), precision=4, separator=' ')}")
            continue
        value = float(value)
        text = f"{value:.4e}" if 0 < abs(value) < 1e-3 else f"{value:.4f}"
        parts.append(f"{key}: {text}")
    return "".join(f" - {p}" for p in parts)


def _time_per_step(seconds: float, steps: int) -> str:
    per = seconds / max(steps, 1)
    return f"{per * 1e3:.0f}ms/step" if per >= 1e-3 else f"{per * 1e6:.0f}us/step"


@CALLBACKS.register()
class ProgbarLogger(Callback):
    """Progress as Keras prints it, for fit, evaluate and predict.

    fit prints "Epoch i/E" when E > 1. verbose=1: one bar per epoch (or per evaluate/predict
    run), redrawn in place at most ten times a second (tqdm, when installed; else the verbose=2
    line). verbose=2: "steps/steps - 1s - 3ms/step - loss: 0.1234 - val_loss: 0.2345". During
    fit's validation nothing more is printed (the epoch line shows the val_ values).
    """

    def __init__(self, verbose: int = 1, stream: Any = None) -> None:
        super().__init__()
        self.verbose = verbose
        self.stream = stream
        self._bar: Any = None
        self._in_fit = False

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    # -- one run of batches: an epoch, an evaluation or a prediction --------------------------------
    def _begin(self) -> None:
        self._start = time.perf_counter()
        self._seen = 0
        if self.verbose == 1:
            tqdm = _progress_bar_class()
            if tqdm is not None:
                self._bar = tqdm(total=self.params.get("steps"), file=self._out(), leave=True, mininterval=0.1,
                                 ascii=" =", bar_format="{n_fmt}/{total_fmt} [{bar:20}] {desc}")

    def _timing(self, steps: int) -> str:
        seconds = time.perf_counter() - self._start
        return f"{seconds:.0f}s {_time_per_step(seconds, steps)}"

    def _batch(self, batch: int, logs: dict | None) -> None:
        self._seen = batch + 1
        if self._bar is not None:
            shown = {k: v for k, v in (logs or {}).items() if k != "outputs"}
            self._bar.set_description_str(f"{self._timing(self._seen)}{format_logs(shown)}", refresh=False)
            self._bar.update(1)

    def _end(self, logs: dict | None) -> None:
        steps = self.params.get("steps") or self._seen
        seconds = time.perf_counter() - self._start
        shown = {k: v for k, v in (logs or {}).items() if k != "outputs"}
        if self._bar is not None:
            self._bar.set_description_str(f"{self._timing(steps)}{format_logs(shown)}", refresh=False)
            self._bar.close()
            self._bar = None
        elif self.verbose:
            print(f"{steps}/{steps} - {seconds:.0f}s - {_time_per_step(seconds, steps)}{format_logs(shown)}",
                  file=self._out())

    # -- fit ----------------------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.params.get("epochs", 1) > 1:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}", file=self._out())
        self._begin()

    def on_train_batch_end(self, batch, logs=None):
        self._batch(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._end(logs)

    def on_train_end(self, logs=None):
        self._in_fit = False
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    # -- evaluate and predict on their own ------------------------------------------------------------------
    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._begin()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._batch(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._end(logs)

    def on_predict_begin(self, logs=None):
        self._begin()

    def on_predict_batch_end(self, batch, logs=None):
        self._batch(batch, logs)

    def on_predict_end(self, logs=None):
        self._end(None)

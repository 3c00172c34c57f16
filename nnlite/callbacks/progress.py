"""Progress output of ``fit``: a bar updated in place (verbose=1) or a line per epoch (verbose=2)."""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

from .base import CALLBACKS, Callback


def _terminal_bar_class() -> Any:
    """tqdm's text bar, for a terminal; None without tqdm."""
    try:
        from tqdm.std import tqdm
    except ImportError:
        return None
    return tqdm


def in_jupyter(stream: Any = None) -> bool:
    """True when ``stream`` (sys.stdout by default) is a Jupyter kernel's output (ipykernel's OutStream)."""
    return type(sys.stdout if stream is None else stream).__module__.startswith("ipykernel")


def _pretty(text: str) -> Any:
    """Plain text for a Jupyter display."""
    from IPython.display import Pretty

    return Pretty(text)


def _eta(seconds: float) -> str:
    """Keras's ETA: '7s', '1:05', '1:01:05'."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def format_logs(logs: dict[str, float]) -> str:
    """' - loss: 0.1234 - val_loss: 5.0000e-04' (%.4f, or %.4e below 1e-3).

    Args:
        logs: {name: value}.

    Returns:
        The text Keras's progress lines end with.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.callbacks.format_logs({"loss": 0.12345, "val_loss": 0.0005})
        ' - loss: 0.1235 - val_loss: 5.0000e-04'
    """
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
    run) with the ETA, redrawn in place at most ten times a second in a terminal (tqdm, when
    installed) or in Jupyter, then the final line "41/41 [====================] 0s 2ms/step -
    loss: ...", written whole (it wraps rather than losing a metric); into a pipe or a file only
    the final line. verbose=2: "41/41 - 0s - 2ms/step - loss: 0.1234 - val_loss: 0.2345". During
    fit's validation nothing more is printed (the epoch line shows the val_ values).

    Args:
        verbose: 1 a bar per epoch, 2 one line per epoch.
        stream: where to write (default ``sys.stdout``).

    Example:
        >>> import numpy as np, nnlite
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.ones((8, 2)), np.ones((8, 1))
        >>> _ = model.fit(x, y, epochs=1, batch_size=8, verbose=2)  # fit adds a ProgbarLogger
        1/1 - ...s - ...s/step - loss: 1.0000
    """

    def __init__(self, verbose: int = 1, stream: Any = None) -> None:
        super().__init__()
        self.verbose = verbose
        self.stream = stream
        self._bar: Any = None  # tqdm bar in a terminal
        self._display: Any = None  # IPython display handle in Jupyter
        self._in_fit = False

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    # -- one run of batches: an epoch, an evaluation or a prediction --------------------------------
    def _begin(self) -> None:
        """Where the bar goes: redrawn in place in a terminal (tqdm) or in Jupyter (a display updated
        in place, so a saved notebook or its HTML export keeps the last frame); into a pipe or a file
        nothing is drawn during the run and only the final line is written."""
        self._start = self._last_draw = time.perf_counter()
        self._seen = 0
        if self.verbose != 1:
            return
        out = self._out()
        if in_jupyter(out):
            from IPython.display import display

            self._display = display(_pretty(self._frame(0, "")), display_id=True)
        elif getattr(out, "isatty", lambda: False)():
            tqdm = _terminal_bar_class()
            if tqdm is not None:
                self._bar = tqdm(total=self.params.get("steps"), file=out, leave=False, mininterval=0.1,
                                 ascii=" =", bar_format="{n_fmt}/{total_fmt} [{bar:20}] {desc}")

    def _frame(self, seen: int, text: str) -> str:
        """'12/41 [=====               ] text' (or '12/Unknown text' without a step count)."""
        steps = self.params.get("steps")
        if not steps:
            return f"{seen}/Unknown {text}"
        filled = int(20 * min(seen, steps) / steps)
        return f"{seen}/{steps} [{'=' * filled}{' ' * (20 - filled)}] {text}"

    def _batch(self, batch: int, logs: dict | None) -> None:
        self._seen = batch + 1
        if self._bar is None and self._display is None:
            return
        now = time.perf_counter()
        steps = self.params.get("steps")
        elapsed = now - self._start
        eta = f"ETA: {_eta(elapsed / self._seen * (steps - self._seen))}" if steps else f"{elapsed:.0f}s"
        shown = {k: v for k, v in (logs or {}).items() if k != "outputs"}
        if self._bar is not None:
            self._bar.set_description_str(f"{eta}{format_logs(shown)}", refresh=False)
            self._bar.update(1)
        elif now - self._last_draw >= 0.1:  # Jupyter: at most ten redraws a second
            self._last_draw = now
            self._display.update(_pretty(self._frame(self._seen, f"{eta}{format_logs(shown)}")))

    def _end(self, logs: dict | None) -> None:
        """The final line, whole however wide: a run stopped early (stop_training, TerminateOnNaN)
        shows the step it reached, 'steps/steps' otherwise."""
        steps = self.params.get("steps")
        seen = self._seen or steps or 0
        seconds = time.perf_counter() - self._start
        shown = {k: v for k, v in (logs or {}).items() if k != "outputs"}
        timing = f"{seconds:.0f}s {_time_per_step(seconds, seen)}"
        if self._bar is not None:
            self._bar.close()  # leave=False: the trimmed frame goes, the full line below replaces it
            self._bar = None
        if self.verbose == 1:
            line = self._frame(seen, f"{timing}{format_logs(shown)}")
            if self._display is not None:
                self._display.update(_pretty(line))
                self._display = None
                return
        elif self.verbose:
            count = f"{seen}/{steps}" if steps else f"{seen}"
            line = f"{count} - {seconds:.0f}s - {_time_per_step(seconds, seen)}{format_logs(shown)}"
        else:
            return
        print(line, file=self._out())

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
        self._display = None

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

"""LivePlot: the training curves redrawn in place while ``fit`` runs, in Jupyter or into a file."""

from __future__ import annotations

import io
import time
from typing import Any

from .base import CALLBACKS, Callback
from .progress import in_jupyter


class _Record:
    """What ``plot_history`` reads: ``epoch`` and ``history``, filled one epoch at a time."""

    def __init__(self) -> None:
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}


@CALLBACKS.register()
class LivePlot(Callback):
    """Loss and metric curves per epoch (validation dashed), redrawn as training goes.

    In Jupyter the picture is one output updated in place, so a saved notebook keeps the last
    frame; with ``to_file`` each redraw is also written there (png, svg or pdf by extension),
    which is how to watch it from a terminal. Redraws come at most every ``min_interval``
    seconds, and always after the last epoch: drawing costs tens of milliseconds, so a fast fit
    is not slowed by it. ``metrics`` picks the panels (default: every logged name not starting
    with val_). Needs matplotlib.

    Args:
        metrics: the logged names to draw (default: the loss and every metric).
        min_interval: the least seconds between redraws.
        to_file: also save the last picture to this file.
        dpi: the picture's resolution.

    Example:
        >>> import numpy as np, nnlite
        >>> plot = nnlite.callbacks.LivePlot(metrics=["loss"], min_interval=1.0)  # pass it to fit in a notebook
        >>> plot.metrics
        ['loss']
    """

    def __init__(self, metrics: list[str] | None = None, min_interval: float = 1.0, to_file: str | None = None,
                 dpi: int = 80) -> None:
        super().__init__()
        if not min_interval >= 0:
            raise ValueError(f"LivePlot: min_interval is in seconds and must be >= 0; received {min_interval!r}.")
        self.metrics = metrics
        self.min_interval = float(min_interval)
        self.to_file = to_file
        self.dpi = dpi
        self.draws = 0
        self._handle: Any = None

    def on_train_begin(self, logs=None):
        from ..plotting import _pyplot

        _pyplot()  # matplotlib missing: say so now, not after the first epoch
        self.record = _Record()
        self._handle = None
        self._last = -float("inf")

    def on_epoch_end(self, epoch, logs=None):
        self.record.epoch.append(epoch)
        for key, value in (logs or {}).items():
            if key != "outputs":
                self.record.history.setdefault(key, []).append(float(value))
        last_epoch = epoch + 1 >= self.params.get("epochs", epoch + 1) or self.model.stop_training
        if last_epoch or time.perf_counter() - self._last >= self.min_interval:
            self._draw()

    def on_train_end(self, logs=None):
        if self.record.epoch and self._last < 0:  # stopped before any draw
            self._draw()

    def _draw(self) -> None:
        from ..plotting import _pyplot, plot_history

        self._last = time.perf_counter()
        plt = _pyplot()
        figure = plot_history(self.record, self.metrics)
        if self.to_file is not None:
            figure.savefig(self.to_file, dpi=self.dpi)
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=self.dpi)
        plt.close(figure)  # drawn into bytes: Jupyter shows it once, through the handle
        self.draws += 1
        self._show(png.getvalue())

    def _show(self, png: bytes) -> None:
        if not in_jupyter():
            return  # no rich display: the file, if any, is the picture
        from IPython.display import Image, display

        if self._handle is None:
            self._handle = display(Image(data=png, format="png"), display_id=True)
        else:
            self._handle.update(Image(data=png, format="png"))

"""LivePlot: curves redrawn during fit, throttled, kept as one output in a saved notebook."""

from __future__ import annotations

import pytest

import nnlite

from .conftest import require
from .kernel import run_cell

matplotlib = require("matplotlib")
matplotlib.use("Agg")


def _fit(rng, callback, epochs=5, **kwargs):
    model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    return model.fit(x, y, epochs=epochs, validation_split=0.25, verbose=0, callbacks=[callback], **kwargs)


def test_every_epoch_is_drawn_without_throttle_and_the_file_holds_the_curves(rng, tmp_path):
    path = tmp_path / "live.png"
    live = nnlite.callbacks.LivePlot(min_interval=0, to_file=str(path))
    history = _fit(rng, live)
    assert live.draws == 5
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert live.record.epoch == history.epoch and live.record.history == history.history


def test_throttled_to_the_last_epoch_when_the_interval_is_long(rng):
    live = nnlite.callbacks.LivePlot(min_interval=3600)
    _fit(rng, live, epochs=7)
    assert live.draws == 2  # the first epoch, then nothing until the last


def test_an_early_stop_still_draws_the_last_epoch(rng):
    live = nnlite.callbacks.LivePlot(min_interval=3600)
    stop = nnlite.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(stop.model, "stop_training", epoch == 2))
    model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(rng.normal(size=(20, 2)), rng.normal(size=20), epochs=50, verbose=0, callbacks=[stop, live])
    assert live.record.epoch == [0, 1, 2] and live.draws == 2


@pytest.mark.parametrize("bad", [-1, float("nan")])
def test_a_negative_interval_is_refused(bad):
    with pytest.raises(ValueError, match="min_interval is in seconds and must be >= 0"):
        nnlite.callbacks.LivePlot(min_interval=bad)


def test_one_picture_updated_in_place_in_a_saved_notebook():
    outputs = run_cell(
        "import numpy as np, nnlite\n"
        "m = nnlite.Sequential([nnlite.Input(shape=(2,)), nnlite.layers.Dense(1)])\n"
        "m.compile('sgd', 'mse')\n"
        "live = nnlite.callbacks.LivePlot(min_interval=0)\n"
        "m.fit(np.ones((30, 2)), np.ones(30), epochs=4, verbose=0, callbacks=[live])\n"
        "print('draws', live.draws)")
    pictures = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.data]
    assert len(pictures) == 1  # four draws, one output
    assert "draws 4" in "".join(o.get("text", "") for o in outputs)

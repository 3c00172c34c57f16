"""History contents and the progress output of verbose=1 and verbose=2."""

from __future__ import annotations

import io
import re

import numpy as np

import nnlite
from nnlite.callbacks import Callback, ProgbarLogger, format_logs


def _model():
    m = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return m


def test_history_records_every_epoch(rng):
    x, y = rng.normal(size=(20, 2)), rng.normal(size=20)
    h = _model().fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    assert h.epoch == [0, 1, 2]
    assert list(h.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(len(v) == 3 and all(isinstance(f, float) for f in v) for v in h.history.values())


def test_verbose_2_prints_one_keras_line_per_epoch(rng, capsys):
    x, y = rng.normal(size=(20, 2)), rng.normal(size=20)
    _model().fit(x, y, epochs=2, batch_size=8, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    pattern = r"^3/3 - \d+s - \d+(ms|us)/step - loss: \d+\.\d{4} - mae: \d+\.\d{4}$"
    assert re.match(pattern, lines[1]) and re.match(pattern, lines[3]), lines


def test_verbose_1_bar_updates_in_place(rng):
    stream = io.StringIO()
    m = _model()
    x, y = rng.normal(size=(500, 2)), rng.normal(size=500)
    m.fit(x, y, epochs=1, batch_size=5, verbose=0, callbacks=[ProgbarLogger(1, stream=stream)])
    text = stream.getvalue()
    assert text.count("\n") <= 2  # one line per epoch, not one per batch
    final = text.replace("\r", "\n").strip().splitlines()[-1]
    assert re.match(r"^100/100 \[=+\] \d+s \d+(ms|us)/step - loss: \d+\.\d{4} - mae: \d+\.\d{4}$", final), final
    assert len(final) < 120  # the line does not grow with the number of batches


def test_format_logs_uses_scientific_below_1e_3():
    assert format_logs({"loss": 0.12345, "val_loss": 0.0001234}) == " - loss: 0.1235 - val_loss: 1.2340e-04"


def test_callback_hooks_run_in_order_and_can_stop_training(rng):
    events = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            events.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch_begin {epoch}")

        def on_train_batch_end(self, batch, logs=None):
            events.append(f"batch {batch}")

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end {epoch}")
            self.model.stop_training = True

        def on_train_end(self, logs=None):
            events.append("train_end")

    h = _model().fit(rng.normal(size=(4, 2)), np.zeros(4), batch_size=2, epochs=5, verbose=0,
                     callbacks=[Recorder()])
    assert events == ["train_begin", "epoch_begin 0", "batch 0", "batch 1", "epoch_end 0", "train_end"]
    assert h.epoch == [0]

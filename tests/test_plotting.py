"""Plots: produced without error on a non-interactive backend, saved images non-empty."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import nnlite
from nnlite import layers

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def _png_ok(fig, path):
    fig.savefig(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000


def test_plot_small_model_labels_weights_and_biases(tmp_path):
    model = nnlite.Sequential([nnlite.Input((2,)), layers.Dense(2, activation="sigmoid"), layers.Dense(1)])
    model.set_weights([np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.5, 0.6]), np.array([[0.7], [0.8]]),
                       np.array([0.9])])
    fig = nnlite.utils.plot_model(model)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"0.1", "0.3", "0.7", "b=0.5", "b=0.9", "x1", "x2", "σ"} <= texts
    _png_ok(fig, tmp_path / "small.png")


def test_plot_large_model_draws_layer_boxes(tmp_path):
    model = nnlite.Sequential([nnlite.Input((64,)), layers.Dense(32, activation="relu"), layers.Dropout(0.2),
                               layers.Dense(10, activation="softmax")])
    fig = nnlite.utils.plot_model(model)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "Dense(32, relu)" in texts and "2,080 params" in texts and "dropout" in texts
    _png_ok(fig, tmp_path / "large.png")


def test_plot_history(tmp_path, rng):
    model = nnlite.Sequential([nnlite.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(rng.normal(size=(20, 2)), rng.normal(size=20), epochs=3, validation_split=0.2, verbose=0)
    fig = history.plot()
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]
    styles = [line.get_linestyle() for line in fig.axes[0].lines]
    assert styles == ["-", "--"]  # validation dashed
    _png_ok(fig, tmp_path / "history.png")
    with pytest.raises(ValueError, match="No 'accuracy' in this history"):
        nnlite.utils.plot_history(history, ["accuracy"])


def test_missing_matplotlib_gives_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    model = nnlite.Sequential([nnlite.Input((2,)), layers.Dense(1)])
    with pytest.raises(ImportError, match="Plotting needs matplotlib: pip install matplotlib"):
        nnlite.utils.plot_model(model)

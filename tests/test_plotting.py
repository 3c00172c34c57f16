"""Plots: produced without error on a non-interactive backend, saved images non-empty."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import nnlite
from nnlite import layers

from .conftest import require

matplotlib = require("matplotlib")
matplotlib.use("Agg")


def _png_ok(fig, path):
    fig.savefig(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000


def test_plot_small_model_labels_weights_and_biases(tmp_path):
    model = nnlite.Sequential([nnlite.Input((2,)), layers.Dense(2, activation="sigmoid"), layers.Dense(1)])
    model.set_weights([np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.5, 0.6]), np.array([[0.7], [0.8]]),
                       np.array([0.9])])
    fig = nnlite.utils.plot_network(model)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"0.1", "0.3", "0.7", "b=0.5", "b=0.9", "x1", "x2", "sigmoid", "linear"} <= texts  # activations by name
    _png_ok(fig, tmp_path / "small.png")


def test_plot_large_model_draws_layer_boxes(tmp_path):
    model = nnlite.Sequential([nnlite.Input((64,)), layers.Dense(32, activation="relu"), layers.Dropout(0.2),
                               layers.Dense(10, activation="softmax")])
    fig = nnlite.utils.plot_network(model)
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
    ticks = fig.axes[0].get_xticks()
    shown = [t for t in ticks if 1 <= t <= 3]
    assert shown and all(float(t).is_integer() for t in shown)  # whole epochs, no 1.5
    with pytest.raises(ValueError, match="No 'accuracy' in this history"):
        nnlite.utils.plot_history(history, ["accuracy"])


def _model_of_four_layers():
    return nnlite.Sequential([nnlite.Input((64,)), layers.Dense(32, activation="relu"), layers.Dropout(0.2),
                              layers.Dense(10, activation="softmax")])


@pytest.mark.parametrize("to_file, magic", [("model.png", b"\x89PNG"), ("model.svg", b"<?xml"),
                                            ("model.pdf", b"%PDF"), ("model", b"\x89PNG")])
def test_plot_model_takes_keras_arguments_and_writes_the_file(tmp_path, to_file, magic):
    path = tmp_path / to_file
    shown = nnlite.utils.plot_model(_model_of_four_layers(), to_file=str(path), show_shapes=True, show_dtype=True,
                                    show_layer_names=True, rankdir="LR", expand_nested=True, dpi=50,
                                    show_layer_activations=True, show_trainable=True, splines="line")
    assert path.read_bytes().startswith(magic)
    if to_file.endswith(".pdf"):
        assert shown is None  # as Keras: no inline image for a PDF
    elif to_file.endswith(".svg"):
        from IPython.display import SVG

        assert isinstance(shown, SVG) and "<svg" in shown.data
    else:
        from IPython.display import Image

        assert isinstance(shown, Image) and shown.data == path.read_bytes()


def test_plot_model_boxes_say_what_was_asked(tmp_path, monkeypatch):
    from nnlite import plotting

    drawn = {}
    original = plotting.layer_diagram

    def keep(*args, **kwargs):
        drawn["fig"] = original(*args, **kwargs)
        return drawn["fig"]

    monkeypatch.setattr(plotting, "layer_diagram", keep)
    model = _model_of_four_layers()
    nnlite.utils.plot_model(model, to_file=str(tmp_path / "a.png"), dpi=30)
    plain = [t.get_text() for t in drawn["fig"].axes[0].texts if t.get_text()]
    assert plain == ["InputLayer", "Dense", "Dropout", "Dense"]  # Keras's default: class names only
    nnlite.utils.plot_model(model, to_file=str(tmp_path / "b.png"), dpi=30, show_shapes=True, show_dtype=True,
                            show_layer_names=True, show_layer_activations=True, show_trainable=True)
    boxes = [t.get_text() for t in drawn["fig"].axes[0].texts if t.get_text()]
    assert boxes[0].splitlines() == ["input_layer (InputLayer)", "Output shape: (None, 64)", "dtype: float32"]
    assert boxes[1].splitlines() == ["dense (Dense)", "Input shape: (None, 64)", "Output shape: (None, 32)",
                                     "dtype: float32", "Activation: relu", "Trainable: Y"]
    assert "Activation" not in boxes[2] and boxes[3].splitlines()[4] == "Activation: softmax"


def test_plot_model_shapes_of_a_graph_come_from_its_tensors(tmp_path, monkeypatch):
    """Dropout, Activation and StringLookup build no weights, so they were drawn "Input shape: None / Output
    shape: ?" in a functional model; each box now shows the shapes of the tensors it reads and makes, as in
    Keras's diagram (the texts drawn in the saved figure are read back)."""
    from nnlite import plotting

    drawn = {}
    original = plotting.layer_diagram
    monkeypatch.setattr(plotting, "layer_diagram", lambda *a, **k: drawn.setdefault("fig", original(*a, **k)))
    words = nnlite.Input((1,), dtype="string", name="words")
    ids = layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot", name="lookup")(words)
    x = nnlite.Input((4,), name="x")
    h = layers.Activation("relu", name="act")(layers.Dropout(0.2, name="drop")(x))
    model = nnlite.Model([words, x], layers.Dense(1, name="out")(layers.Concatenate(name="join")([ids, h])))
    nnlite.utils.plot_model(model, to_file=str(tmp_path / "graph.png"), dpi=30, show_shapes=True,
                            show_layer_names=True)
    boxes = {t.get_text().splitlines()[0]: t.get_text().splitlines()[1:] for t in drawn["fig"].axes[0].texts
             if t.get_text()}
    assert boxes["drop (Dropout)"] == ["Input shape: (None, 4)", "Output shape: (None, 4)"]
    assert boxes["act (Activation)"] == ["Input shape: (None, 4)", "Output shape: (None, 4)"]
    assert boxes["lookup (StringLookup)"] == ["Input shape: (None, 1)", "Output shape: (None, 3)"]
    assert boxes["join (Concatenate)"] == ["Input shape: [(None, 3), (None, 4)]", "Output shape: (None, 7)"]
    assert not any("?" in line or "None" == line.split(": ")[-1] for lines in boxes.values() for line in lines)


def test_plot_model_nested_boxes_only_when_expanded(tmp_path, monkeypatch):
    from nnlite import plotting

    drawn = {}
    original = plotting.layer_diagram
    monkeypatch.setattr(plotting, "layer_diagram",
                        lambda *a, **k: drawn.setdefault("figs", []).append(original(*a, **k)) or drawn["figs"][-1])
    inner = nnlite.Sequential([layers.Dense(4), layers.Dense(3)], name="inner")
    model = nnlite.Sequential([nnlite.Input((5,)), inner, layers.Dense(2)])
    nnlite.utils.plot_model(model, to_file=str(tmp_path / "a.png"), dpi=30)
    nnlite.utils.plot_model(model, to_file=str(tmp_path / "b.png"), dpi=30, expand_nested=True)
    counts = [len([t for t in fig.axes[0].texts if t.get_text()]) for fig in drawn["figs"]]
    assert counts == [3, 5]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(show_weights=True), ValueError, "Unrecognized keyword arguments: {'show_weights': True}"),
    (dict(layer_range=["a", "b"]), ValueError, "`layer_range` is no longer supported"),
    (dict(rankdir="BT"), ValueError, "rankdir must be 'TB' (top to bottom) or 'LR'"),
    (dict(splines="wavy"), ValueError, "splines must be one of"),
])
def test_plot_model_refuses_what_keras_refuses(tmp_path, kwargs, error, message):
    with pytest.raises(error) as raised:
        nnlite.utils.plot_model(_model_of_four_layers(), to_file=str(tmp_path / "m.png"), **kwargs)
    assert message in str(raised.value)
    assert not (tmp_path / "m.png").exists()
    unbuilt = nnlite.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="This model has not yet been built"):
        nnlite.utils.plot_model(unbuilt, to_file=str(tmp_path / "m.png"))


def test_missing_matplotlib_gives_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    model = nnlite.Sequential([nnlite.Input((2,)), layers.Dense(1)])
    with pytest.raises(ImportError, match="Plotting needs matplotlib: pip install matplotlib"):
        nnlite.utils.plot_network(model)


def test_a_returned_figure_is_drawn_once_in_jupyter():
    from .kernel import run_cell

    outputs = run_cell(
        "%matplotlib inline\n"
        "import numpy as np, nnlite\n"
        "m = nnlite.Sequential([nnlite.Input(shape=(2,)), nnlite.layers.Dense(1)])\n"
        "m.compile('sgd', 'mse')\n"
        "h = m.fit(np.ones((8, 2)), np.ones(8), epochs=3, verbose=0)\n"
        "h.plot()")
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pictures) == 1, [o.output_type for o in outputs]
    assert not [o for o in outputs if o.output_type == "execute_result"]  # and no '<Figure ...>' text


@pytest.mark.parametrize("last_line", ["h.plot();", "fig = h.plot()"])
def test_a_figure_not_returned_is_still_drawn_once(last_line):
    from .kernel import run_cell

    outputs = run_cell(
        "%matplotlib inline\n"
        "import numpy as np, nnlite\n"
        "m = nnlite.Sequential([nnlite.Input(shape=(2,)), nnlite.layers.Dense(1)])\n"
        "m.compile('sgd', 'mse')\n"
        "h = m.fit(np.ones((8, 2)), np.ones(8), epochs=3, verbose=0)\n" + last_line)
    assert len([o for o in outputs if "image/png" in o.get("data", {})]) == 1


def test_plot_decision_draws_the_boundary_and_each_hidden_neuron():
    from nnlite.datasets import make_2d
    from nnlite.plotting import plot_decision

    x, y = make_2d("circles", 60)
    model = nnlite.Sequential([nnlite.Input((2,)), layers.Dense(5, activation="tanh"),
                               layers.Dense(1, activation="sigmoid")])
    fig = plot_decision(model, x, y, resolution=20, title="start")
    # the plane, its colour bar, a panel per neuron, and the neurons' shared colour bar
    assert len(fig.axes) == 2 + 5 + 1 and fig.axes[0].get_title() == "start"
    assert fig.axes[1].get_ylabel() == "P(class 1)" and "hidden neuron output (tanh)" in fig.axes[-1].get_xlabel()
    panels = fig.axes[2:-1]
    assert [ax.get_title() for ax in panels] == [f"{model.layers[0].name}[{j}]" for j in range(5)]
    assert fig.axes[0].get_aspect() == 1.0 and all(ax.get_aspect() == 1.0 for ax in panels)  # not stretched
    assert min(ax.title.get_fontsize() for ax in fig.axes[:1] + panels) >= 9
    hidden = panels[0].images[0].get_array()  # the first neuron over the grid, as the layer computes it
    u = np.linspace(x[:, 0].min() - 0.3, x[:, 0].max() + 0.3, 20)
    v = np.linspace(x[:, 1].min() - 0.3, x[:, 1].max() + 0.3, 20)
    W, b = model.layers[0].get_weights()
    np.testing.assert_allclose(hidden[3, 7], np.tanh(u[7] * W[0, 0] + v[3] * W[1, 0] + b[0]), rtol=1e-5)
    wide = nnlite.Sequential([nnlite.Input((2,)), layers.Dense(20, activation="relu"), layers.Dense(1)])
    fig = plot_decision(wide, x, y, resolution=10)
    assert len(fig.axes) == 2 + 16 + 1 and "the first 16 of 20 shown" in fig.axes[-1].get_xlabel()
    three = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="plot_decision draws models of 2 inputs; this one takes 3"):
        plot_decision(three, np.zeros((2, 3)), np.zeros(2))

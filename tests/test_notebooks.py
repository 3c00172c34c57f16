"""The notebooks run top to bottom; their key numbers are asserted in their own cells and here."""

from __future__ import annotations

import os
import pathlib

import pytest

from .conftest import require

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"


def _execute(name):
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nbclient and nbformat are test dependencies and must be installed in CI")
        pytest.skip("nbclient not installed")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def _text(nb):
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", "") + o.get("data", {}).get("text/plain", ""))
    return "\n".join(out)


def _images(nb):
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


def test_backprop_by_hand(keras):  # needs Keras: its checks must run, not be skipped
    nb = _execute("01_backprop_by_hand.ipynb")
    text = _text(nb)
    assert "new w = 1.8" in text
    assert "w_1 = -0.6000, w_2 = 0.6000, y_hat = -0.3600" in text
    assert "w_1 = 1.0009536, b_1 = 1.0009536, w_2 = 2.0040000, b_2 = 2.0045414" in text  # float64: 1.00095363
    assert "Keras weights:" in text and "skipped" not in text
    assert "by hand, in nnlite and in Keras." in text  # the conclusion is printed from what was compared
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "agree to float32 precision" not in prose
    stderr = [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr, [o["text"][:200] for o in stderr]  # no TensorFlow start-up log in the learner's page
    assert "CI" not in "".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_matrix_backprop():
    nb = _execute("02_matrix_backprop.ipynb")
    text = _text(nb)
    assert "nnlite's gradients equal the matrix algebra above to 1e-12." in text
    assert "Trace: L =" in text and _images(nb) == 1


def test_digits():
    nb = _execute("03_digits.ipynb")
    text = _text(nb)
    accuracy = float(text.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.95
    assert _images(nb) >= 4  # samples, curves, confusion matrix, misclassified, optimizer comparison
    assert "SGD lr 2.0" in text and "Adam lr 0.05" in text  # the unstable rates the text speaks of are run


def test_playground():
    """The pictures are drawn at 100 dpi with colour bars; the sliders' cell builds its widgets (up to 32 hidden
    neurons) and prints nothing of what watch() returns."""
    nb = _execute("04_playground.ipynb")
    assert _images(nb) >= 10  # the four data sets, 4 circles frames, 4 xor frames, the live spirals frame
    text = _text(nb)
    assert "spirals, 8 tanh neurons, 200 epochs: accuracy" in text
    sliders = nb.cells[-1]
    assert "IntSlider(6, 1, 32)" in sliders.source and "Sliders need ipywidgets" not in text
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in sliders.outputs)
    assert "<Sequential" not in text and "History" not in text


def test_interact_calls_watch_without_showing_its_result():
    """What interact_manual does when the button is pressed: play() runs watch() and returns None, so
    Jupyter prints no (model, history) under the picture."""
    widgets = require("ipywidgets")
    nbformat = require("nbformat")
    nb = nbformat.read(NOTEBOOKS / "04_playground.ipynb", as_version=4)
    calls = []
    scope = {"watch": lambda **kw: calls.append(kw) or ("model", "history")}
    source = nb.cells[-1].source
    exec("def play" + source.split("def play", 1)[1].split("if widgets is not None:")[0], scope)
    shown = widgets.interactive(scope["play"], {"manual": True}, data=["circles", "xor"],
                                hidden=widgets.IntSlider(6, 1, 32))
    shown.update()
    assert calls == [{"data": "circles", "hidden": 6}] and shown.result is None


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebooks_stand_alone(name):
    nbformat = require("nbformat")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    for outside in ("tutorial", "the original", "slip"):  # nothing the learner cannot see
        assert outside not in prose


def test_custom_layers_and_the_tape():
    nb = _execute("05_custom_layers_and_the_tape.ipynb")
    text = _text(nb)
    assert "The tape equals the hand-derived gradients to 1e-12" in text
    assert "Finite differences agree with the tape to 1e-8" in text
    for line in text.splitlines():
        if "training accuracy" in line:
            assert float(line.rsplit(" ", 1)[1]) > 0.9, line
    assert text.count("training accuracy") == 2 and "sigmoid   inputs of shapes [(4, 3)]" in text


def test_convolution(keras):  # needs Keras: its comparison must run, not be skipped
    nb = _execute("06_convolution.ipynb")
    text = _text(nb)
    for line in ("loops and matrix product agree: True", "nnlite's Conv2D equals the loops: True",
                 "Keras's Conv2D equals nnlite's: True", "The hand-derived matrices equal the tape's gradients: True",
                 "Finite differences agree with P^T G: True"):
        assert line in text, line
    accuracy = next(line for line in text.splitlines() if line.startswith("test accuracy"))
    assert float(accuracy.split()[2]) > 0.8, accuracy
    assert _images(nb) == 1
    stderr = [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr, [o["text"][:200] for o in stderr]


def test_recurrent(keras):  # needs Keras: its comparisons must run, not be skipped
    nb = _execute("07_recurrent.ipynb")
    text = _text(nb)
    for line in ("nnlite's SimpleRNN equals the loop: True", "Keras's SimpleRNN equals nnlite's: True",
                 "BPTT by hand equals nnlite's backward: True", "Finite differences agree with dU: True",
                 "nnlite's LSTM equals the four gates by hand: True", "Keras's LSTM equals nnlite's: True"):
        assert line in text, line
    lines = text.splitlines()
    baseline = float(next(line for line in lines if line.startswith("guessing the mean")).split()[-1])
    mse = float(next(line for line in lines if line.startswith("test mse")).split()[-1])
    assert mse < baseline / 20, (mse, baseline)  # the LSTM remembers the marked values through the padding
    assert _images(nb) == 1
    stderr = [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr, [o["text"][:200] for o in stderr]


def test_attention(keras):  # needs Keras: its comparison must run, not be skipped
    nb = _execute("08_attention.ipynb")
    text = _text(nb)
    for line in ("each row of P sums to 1: True", "nnlite's MultiHeadAttention equals the products: True",
                 "and its attention scores are P: True", "Keras's MultiHeadAttention equals nnlite's: True",
                 "two heads by hand equal MultiHeadAttention(2): True",
                 "The backward pass by hand equals nnlite's: True", "Finite differences agree with dW_q: True",
                 "nothing above the diagonal: True"):
        assert line in text, line
    lines = text.splitlines()
    baseline = float(next(line for line in lines if line.startswith("guessing the mean")).split()[-1])
    mse = float(next(line for line in lines if line.startswith("test mse")).split()[-1])
    assert mse < baseline / 100, (mse, baseline)  # attention finds the marked step wherever it is
    assert _images(nb) == 1
    stderr = [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr, [o["text"][:200] for o in stderr]

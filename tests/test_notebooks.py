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
    nb = _execute("04_playground.ipynb")
    assert _images(nb) >= 10  # the four data sets, 4 circles frames, 4 xor frames, the live spirals frame
    assert "spirals, 8 tanh neurons, 200 epochs: accuracy" in _text(nb)


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

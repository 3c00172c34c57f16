"""Tables and progress bars in a real terminal (a pseudo-terminal of 60 and 100 columns), in a pipe, and in
Jupyter's width: no line is wider than the place it is printed to, and nothing is lost by wrapping."""

from __future__ import annotations

import re
import sys

import pytest

import nnlite
from nnlite import layers

from .helpers import run_in_terminal

PROGRAM = """
import numpy as np, nnlite
from nnlite import layers
a = nnlite.Input((8,), name="features_input"); b = nnlite.Input((3,), name="metadata_input")
h = layers.Dense(32, activation="relu", name="a_long_dense_layer_name")(a)
c = layers.Concatenate(name="joined_branches")([layers.Dropout(0.1)(h), b])
model = nnlite.Model([a, b], [layers.Dense(1, name="out_one")(c), layers.Dense(2, name="out_two")(c)])
model.summary()
model.compile(optimizer="sgd", loss=["mse", "mse"])
x = [np.ones((64, 8)), np.ones((64, 3))]
model.fit(x, [np.ones((64, 1)), np.ones((64, 2))], batch_size=8, epochs=2, verbose=1)
"""
NAMES = ["features_input", "a_long_dense_layer_name", "metadata_input", "joined_branches", "out_one", "out_two",
         "Concatenate", "InputLayer"]


def _frames_and_lines(text: str) -> tuple[list[str], list[str]]:
    """(the frames a bar redraws in place, each ended by a carriage return; the lines left standing), escape
    codes removed. A frame wider than the terminal would wrap and leave garbage behind; a standing line (an
    epoch's final log, written once) may wrap as any long line does."""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r\n", "\n")  # the terminal ends lines in CRLF
    frames, lines = [], []
    for line in plain.split("\n"):
        *redrawn, standing = line.split("\r")
        frames += redrawn
        lines.append(standing)
    return frames, lines


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize("columns", [60, 100])
def test_summary_and_bars_fit_the_terminal(columns):
    out = run_in_terminal(["-c", PROGRAM], columns)
    frames, lines = _frames_and_lines(out)
    table_lines = [line for line in lines if "|" in line or line.startswith(("---", "==="))]
    assert table_lines and frames
    assert max(len(line.rstrip()) for line in table_lines + frames) <= columns
    rows = [line.split("|") for line in table_lines if "|" in line]
    columns_text = ["".join(row[j].strip() for row in rows) for j in range(len(rows[0]))]
    for name in NAMES:  # each name is there, perhaps wrapped over several lines of its cell
        assert any(name in text for text in columns_text), (name, columns_text)
    assert "Epoch 2/2" in out and "8/8" in out


def _functional():
    a = nnlite.Input((8,), name="features_input")
    b = nnlite.Input((3,), name="metadata_input")
    c = layers.Concatenate(name="joined_branches")([layers.Dense(32, name="a_long_dense_layer_name")(a), b])
    return nnlite.Model([a, b], layers.Dense(1, name="out_one")(c))


def test_a_pipe_keeps_lines_whole_and_jupyter_gets_100_columns(monkeypatch):
    """In a pipe (no terminal, no $COLUMNS) the table keeps its natural width, so no line is cut; in Jupyter
    (whose output area wraps long lines) it is fitted to 100 columns; $COLUMNS and line_length win."""
    from nnlite.models import summary

    monkeypatch.delenv("COLUMNS", raising=False)
    model = _functional()
    natural = summary.text(model)
    assert max(map(len, natural.splitlines())) > 60
    monkeypatch.setitem(sys.modules, "ipykernel", sys)
    assert max(map(len, summary.text(model).splitlines())) <= 100
    monkeypatch.setenv("COLUMNS", "60")
    assert max(map(len, summary.text(model).splitlines())) <= 60
    assert max(map(len, summary.text(model, line_length=70).splitlines())) <= 70

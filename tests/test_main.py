"""The main job: ``python -m nnlite`` trains on the shipped digits and reports test accuracy."""

from __future__ import annotations

import subprocess
import sys

from nnlite.__main__ import main
from nnlite.datasets import load_digits


def test_digits_are_shipped_complete():
    x, y = load_digits()
    assert x.shape == (1797, 64) and y.shape == (1797,)
    assert x.min() == 0 and x.max() == 16
    assert sorted(set(y.tolist())) == list(range(10))


def test_main_learns_the_digits(capsys):
    accuracy = main(["--epochs", "10", "--verbose", "0"])
    out = capsys.readouterr().out
    assert "test accuracy" in out
    assert accuracy > 0.93  # 10 epochs of a 64-64-10 relu/softmax net


def test_module_runs_as_a_program():
    done = subprocess.run([sys.executable, "-m", "nnlite", "--epochs", "2", "--verbose", "2"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Epoch 2/2" in done.stdout and "test accuracy" in done.stdout
    assert "tensorflow" not in done.stderr.lower()

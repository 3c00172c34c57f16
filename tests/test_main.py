"""The main job: ``python -m nnlite`` trains on the shipped digits and reports test accuracy."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import nnlite
from nnlite.__main__ import main
from nnlite.datasets import load_csv, load_digits


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


def test_help_names_every_option_with_its_default():
    done = subprocess.run([sys.executable, "-m", "nnlite", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "``" not in done.stdout  # plain text, not reST
    for option in ("--hidden", "--optimizer", "--learning-rate", "--save", "--data", "--label"):
        assert option in done.stdout
    assert "(default: 30)" in done.stdout and "(default: adam)" in done.stdout


@pytest.mark.parametrize("argv, complaint", [
    (["--epochs", "-5"], "--epochs: must be a whole number of at least 1"),
    (["--batch-size", "0"], "--batch-size: must be a whole number of at least 1"),
    (["--learning-rate", "0"], "--learning-rate: must be a positive finite number"),
    (["--learning-rate", "nan"], "--learning-rate: must be a positive finite number"),
    (["--hidden", "64,x"], "--hidden: must be comma-separated layer sizes"),
    (["--hidden", "64,0"], "--hidden: every layer size must be at least 1"),
    (["--test-size", "1.5"], "--test-size: must be a fraction strictly between 0 and 1"),
    (["--optimizer", "adamm"], "--optimizer: Unknown optimizer 'adamm'"),
    (["--activation", "rleu"], "--activation: Unknown activation 'rleu'"),
    (["--save", "model.h5"], "--save: the file name must end in .keras"),
    (["--data", "no/such/file.csv"], "--data:"),
])
def test_bad_arguments_end_in_a_usage_message_not_a_traceback(argv, complaint, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert complaint in err and "Traceback" not in err


def test_batch_size_one_trains_with_the_default_optimizer(capsys):
    accuracy = main(["--epochs", "3", "--batch-size", "1", "--verbose", "0"])
    assert accuracy > 0.93  # SGD 0.1 with momentum 0.9 diverged here (7.8%)


def test_own_csv_trains_saves_and_reloads(tmp_path, capsys):
    x, y = load_digits()
    keep = y < 3  # three classes, named by words, label column in the middle
    words = np.array(["zero", "one", "two"])[y[keep]]
    path = tmp_path / "digits.csv"
    header = [f"p{j}" for j in range(32)] + ["digit"] + [f"p{j}" for j in range(32, 64)]
    rows = [[*map(str, row[:32].astype(int)), word, *map(str, row[32:].astype(int))]
            for row, word in zip(x[keep], words)]
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    saved = tmp_path / "trained.keras"
    accuracy = main(["--data", str(path), "--label", "digit", "--hidden", "16,8", "--optimizer", "sgd",
                     "--learning-rate", "0.05", "--epochs", "5", "--verbose", "0", "--save", str(saved)])
    out = capsys.readouterr().out
    assert "3 classes" in out and "64 features" in out and f"saved the trained model to {saved}" in out
    assert accuracy > 0.9
    model = nnlite.saving.load_model(saved)
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [16, 8, 3]
    assert model.optimizer.learning_rate == pytest.approx(0.05)
    x_csv, y_csv, names = load_csv(str(path), label="digit")
    assert names == ["one", "two", "zero"]
    np.testing.assert_array_equal(x_csv, x[keep])
    np.testing.assert_array_equal(np.array(names)[y_csv], words)

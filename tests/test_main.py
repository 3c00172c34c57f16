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
    assert "(default: 300)" in done.stdout and "(default: adam)" in done.stdout and "(default: 20)" in done.stdout
    assert "early" in done.stdout.lower()  # the help says why the epoch budget is large


@pytest.mark.parametrize("argv, complaint", [
    (["--epochs", "-5"], "--epochs: must be a whole number of at least 1"),
    (["--epochs", "abc"], "--epochs: must be a whole number of at least 1; received 'abc'"),
    (["--learning-rate", "fast"], "--learning-rate: must be a positive finite number; received 'fast'"),
    (["--save", "/no/such/folder/m.keras"], "--save: the folder /no/such/folder does not exist"),
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
    assert "3 classes" in out and "64 features" in out and f"saved the model trained to {saved}" in out
    assert "classes: 0 = one, 1 = two, 2 = zero" in out
    assert nnlite.saving.read_metadata(saved)["class_names"] == ["one", "two", "zero"]
    assert accuracy > 0.9
    model = nnlite.saving.load_model(saved)
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [16, 8, 3]
    assert model.optimizer.learning_rate == pytest.approx(0.05)
    x_csv, y_csv, names = load_csv(str(path), label="digit")
    assert names == ["one", "two", "zero"]
    np.testing.assert_array_equal(x_csv, x[keep])
    np.testing.assert_array_equal(np.array(names)[y_csv], words)


def _csv(path, text: str, bom: bool = False):
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return str(path)


def _table(delimiter=",", decimal=".", rows=60, seed=0):
    """Two well-separated classes with word labels, as a user's spreadsheet might hold them."""
    rng = np.random.default_rng(seed)
    lines = [delimiter.join(["kind", "width", "height"])]
    for i in range(rows):
        kind = ("narrow", "wide")[i % 2]
        width = rng.normal(1.0 if i % 2 == 0 else 3.0, 0.3)
        lines.append(delimiter.join([kind, f"{width:.2f}".replace(".", decimal), f"{rng.normal(2.0, 0.5):.2f}"
                                     .replace(".", decimal)]))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("delimiter", "decimal", "bom"), [(",", ".", False), (";", ",", True), ("\t", ".", True)])
def test_csv_files_as_spreadsheets_write_them(tmp_path, capsys, delimiter, decimal, bom):
    """Semicolons with decimal commas, tabs, and Excel's byte-order mark read like a plain CSV file: the first
    column keeps its name (no '\\ufeff'), the numbers their values."""
    path = _csv(tmp_path / "t.csv", _table(delimiter, decimal), bom)
    x, y, names = load_csv(path, label="kind")
    plain_x, plain_y, _ = load_csv(_csv(tmp_path / "p.csv", _table()), label="kind")
    np.testing.assert_array_equal(x, plain_x)
    np.testing.assert_array_equal(y, plain_y)
    assert names == ["narrow", "wide"]
    assert main(["--data", path, "--label", "kind", "--verbose", "0"]) > 0.9


@pytest.mark.parametrize(("text", "complaint"), [
    ("a,b,label\n1,2,x\n3,,y\n", "line 3 of {path}, column 'b', is empty (''); every feature cell needs a number"),
    ("a,b,label\n1,NA,x\n3,4,y\n", "line 2 of {path}, column 'b', is empty ('NA')"),
    ("name,a,b\nfoo,1,2\nbar,3,4\n", "column 'name' of {path} holds text ('foo' on line 2, 2 such cells)"),
    ("name,a,b\nfoo,1,2\nbar,3,4\n", "--label name"),
    ("a,b,label\n1,inf,x\n3,4,y\n", "line 2 of {path}, column 'b', holds 'inf', not a finite number"),
])
def test_a_bad_cell_is_named_by_line_and_column_with_the_fix(tmp_path, capsys, text, complaint):
    path = _csv(tmp_path / "bad.csv", text)
    with pytest.raises(SystemExit) as stop:
        main(["--data", path, "--verbose", "0"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert complaint.format(path=path) in err and "Traceback" not in err


def test_a_continuous_label_is_warned_about(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{a + b:.2f}" for a, b in rng.normal(size=(80, 2)))
    main(["--data", _csv(tmp_path / "reg.csv", "a,b,total\n" + rows + "\n"), "--verbose", "0", "--epochs", "2"])
    err = capsys.readouterr().err
    assert "looks like a measurement, not a class" in err


def test_small_tables_learn_at_the_defaults(tmp_path, capsys):
    """150 rows, three classes (iris-sized): early stopping on the validation loss with a large epoch budget
    reaches what 30 fixed epochs did not (0.83 here with the old defaults)."""
    rng = np.random.default_rng(1)
    centers = np.array([[5.0, 3.4, 1.5, 0.25], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.5, 2.0]])
    lines = ["a,b,c,d,species"] + [",".join([*(f"{v:.1f}" for v in rng.normal(centers[k], 0.3)), f"s{k}"])
                                   for k in range(3) for _ in range(50)]
    path = _csv(tmp_path / "small.csv", "\n".join(lines) + "\n")
    assert main(["--data", path, "--verbose", "0"]) >= 0.9


def test_save_needs_are_checked_before_training(monkeypatch, capsys):
    """Without h5py, --save stops before any training with the install command of this distribution."""
    import builtins

    real_import = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("No module named 'h5py'")
        return real_import(name, *args, **kwargs)

    trained = []
    monkeypatch.setattr(builtins, "__import__", no_h5py)
    monkeypatch.setattr(nnlite.Sequential, "fit", lambda *a, **k: trained.append(1))
    with pytest.raises(SystemExit) as stop:
        main(["--save", "m.keras", "--verbose", "0"])
    assert stop.value.code == 2 and trained == []
    err = capsys.readouterr().err
    assert 'pip install "nnlite-keras[keras-files]"' in err and "nnlite[" not in err


@pytest.mark.parametrize("save", [False, True])
def test_ctrl_c_ends_in_one_line_and_keeps_what_was_trained(tmp_path, save):
    """SIGINT during training: exit status 130, one line on stderr saying where training stopped (epoch and
    batch), no traceback; with --save (not in a terminal) the model trained so far is saved and loads."""
    import signal
    import time

    saved = tmp_path / "partial.keras"
    command = [sys.executable, "-m", "nnlite", "--verbose", "2", "--batch-size", "1", "--epochs", "50"]
    process = subprocess.Popen(command + (["--save", str(saved)] if save else []), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    line = ""
    start = time.monotonic()
    while "Epoch 2/" not in line and time.monotonic() - start < 60:
        line = process.stdout.readline()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    lines = [entry for entry in err.splitlines() if entry.strip()]
    assert len(lines) == 1 and lines[0].startswith("Stopped by Ctrl-C in epoch 2 of 50, after batch "), err
    if save:
        assert f"saved the model trained until Ctrl-C (epoch 2) to {saved}" in out
        assert nnlite.saving.load_model(saved).output_shape == (None, 10)
    else:
        assert not saved.exists()


def test_version_and_the_nnlite_command():
    done = subprocess.run([sys.executable, "-m", "nnlite", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"nnlite {nnlite.__version__}"
    from importlib.metadata import entry_points

    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("nnlite") == "nnlite.__main__:run"


def test_a_diverging_run_warns_once_from_the_program(capsys):
    """A learning rate that blows up: one warning from nnlite, attributed to the program (not '<frozen runpy>'),
    without NumPy's overflow warnings after it."""
    done = subprocess.run([sys.executable, "-m", "nnlite", "--optimizer", "sgd", "--learning-rate", "1e6",
                           "--epochs", "3", "--verbose", "0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "runpy" not in done.stderr and "encountered in" not in done.stderr  # NumPy's own overflow warnings
    assert done.stderr.count("Warning:") == 1 and "nnlite/__main__.py" in done.stderr and "fit stopped" in done.stderr

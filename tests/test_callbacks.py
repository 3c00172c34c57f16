"""History contents and the progress output of verbose=1 and verbose=2."""

from __future__ import annotations

import io
import os
import re

import numpy as np
import pytest

import nnlite
from nnlite.callbacks import Callback, ProgbarLogger, format_logs

from .conftest import require
from .helpers import run_in_terminal
from .kernel import run_cell


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


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a POSIX pseudo-terminal")
def test_terminal_of_80_columns_redraws_in_place_and_never_loses_a_metric():
    require("tqdm")
    text = run_in_terminal(["-m", "nnlite", "--epochs", "2", "--batch-size", "1", "--hidden", "256"])
    frames = [f for line in text.split("\n") for f in line.split("\r") if f.strip()]
    during = [f for f in frames if "ETA: " in f]
    assert during, "no in-progress frame was drawn"
    assert all(len(f) <= 80 for f in during)  # redrawn in place: a frame fits the terminal
    final = [f for f in frames if re.match(r"^1293/1293 \[=+\] \d+s", f)]
    assert len(final) == 2, frames  # one whole final line per epoch
    for line in final:  # wider than 80 columns, and complete to the last digit
        assert re.search(r" - accuracy: \d\.\d{4} - loss: \d\.\d{4} - val_accuracy: \d\.\d{4} "
                         r"- val_loss: \d\.\d{4}$", line), line


def test_piped_output_is_one_clean_line_per_epoch():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "nnlite", "--epochs", "2", "--batch-size", "8"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stdout
    lines = done.stdout.splitlines()
    at = lines.index("Epoch 1/2")
    assert lines[at + 2] == "Epoch 2/2"
    assert re.match(r"^162/162 \[=+\] \d+s \d+(ms|us)/step - accuracy: .* - val_loss: \d\.\d{4}$",
                    lines[at + 1]), lines[at + 1]


def test_jupyter_keeps_the_last_frame_in_the_saved_notebook():
    outputs = run_cell(
        "import numpy as np, nnlite\n"
        "m = nnlite.Sequential([nnlite.Input(shape=(2,)), nnlite.layers.Dense(8), nnlite.layers.Dense(1)])\n"
        "m.compile('sgd', 'mse', metrics=['mae'])\n"
        "m.fit(np.zeros((3000, 2)), np.zeros(3000), batch_size=1, epochs=2, validation_split=0.1)\n"
        "m.evaluate(np.zeros((10, 2)), np.zeros(10), verbose=1);")
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert streams == "Epoch 1/2\nEpoch 2/2\n"  # no bar frames, no empty starting frame
    shown = [o.data["text/plain"] for o in outputs if o.output_type == "display_data"]
    assert len(shown) == 3  # one display per epoch and one for evaluate, each updated in place
    for text in shown[:2]:
        assert re.match(r"^2700/2700 \[=+\] \d+s \d+(ms|us)/step - loss: .* - val_mae: \d\.\d{4}$", text), text
    assert re.match(r"^1/1 \[=+\] \d+s \d+(ms|us)/step - loss: \d\.\d{4} - mae: \d\.\d{4}$", shown[2])


def test_a_stopped_epoch_says_where_it_stopped(rng, capsys):
    class StopAtThird(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True

    x, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    _model().fit(x, y, epochs=3, batch_size=4, verbose=2, callbacks=[StopAtThird()])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/3" and len(lines) == 2
    assert re.match(r"^3/10 - \d+s - ", lines[1]), lines[1]


def test_eta_is_formatted_as_keras_does():
    from nnlite.callbacks.progress import _eta

    assert [_eta(s) for s in (0.4, 7, 65, 3665)] == ["0s", "7s", "1:05", "1:01:05"]


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


# -- Keras's callback API ---------------------------------------------------------------------------------
def _fit_model(seed=0):
    init = nnlite.initializers.GlorotUniform(seed=seed)
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(4, activation="tanh", kernel_initializer=init),
                               nnlite.layers.Dense(1, kernel_initializer=init)])
    model.compile(optimizer=nnlite.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def test_every_hook_gets_logs_and_test_and_predict_hooks_run(rng):
    """LambdaCallback(on_train_begin=lambda logs: ...) as Keras calls it; validation runs the test hooks
    (fit validates through evaluate), predict its own hooks with the outputs."""
    seen = []
    record = {hook: (lambda *args, hook=hook: seen.append((hook, args[-1])))
              for hook in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
                           "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end",
                           "on_predict_batch_end")}
    cb = nnlite.callbacks.LambdaCallback(**record)
    model = _fit_model()
    x, y = rng.normal(size=(10, 3)), rng.normal(size=10)
    model.fit(x, y, epochs=2, batch_size=5, validation_split=0.2, verbose=0, callbacks=[cb])
    assert all(isinstance(logs, dict) for _, logs in seen)
    hooks = [h for h, _ in seen]
    assert hooks == ["on_train_begin", "on_epoch_begin", "on_test_begin", "on_test_end", "on_epoch_end",
                     "on_epoch_begin", "on_test_begin", "on_test_end", "on_epoch_end", "on_train_end"]
    assert dict(seen)["on_test_end"].keys() == {"loss", "mae"}
    seen.clear()
    out = model.predict(x, batch_size=4, verbose=0, callbacks=[cb])
    assert [h for h, _ in seen] == ["on_predict_begin"] + ["on_predict_batch_end"] * 3 + ["on_predict_end"]
    assert np.array_equal(np.concatenate([logs["outputs"] for h, logs in seen if h == "on_predict_batch_end"]), out)


def test_validation_freq_and_stopping_inside_an_epoch(rng):
    model = _fit_model()
    x, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    history = model.fit(x, y, epochs=4, batch_size=4, validation_split=0.25, validation_freq=2, verbose=0)
    assert len(history.history["val_loss"]) == 2 and len(history.history["loss"]) == 4
    history = model.fit(x, y, epochs=2, batch_size=4, validation_split=0.25, validation_freq=[2], verbose=0)
    assert len(history.history["val_loss"]) == 1
    steps = []

    class StopAtSecondBatch(nnlite.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append(batch)
            if batch == 1:
                self.model.stop_training = True

    model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[StopAtSecondBatch()])
    assert steps == [0, 1]  # Keras leaves the epoch at once, and does not start another
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(x, y, validation_freq=0, verbose=0)


def test_model_checkpoint_per_batches_with_templates_and_new_folders(tmp_path, rng):
    require("h5py")
    model = _fit_model()
    x, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    pattern = tmp_path / "deep" / "er" / "w-{epoch:02d}-{batch}-{loss:.3f}.weights.h5"
    cb = nnlite.callbacks.ModelCheckpoint(str(pattern), save_weights_only=True, save_freq=2)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[cb])  # 3 batches an epoch, every 2nd saved
    names = sorted(p.name.rsplit("-", 1)[0] for p in (tmp_path / "deep" / "er").iterdir())
    assert names == ["w-01-2", "w-02-1", "w-02-3"]
    best = nnlite.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="val_nothing", mode="min",
                                            save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_nothing available"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[best])
    assert (tmp_path / "best.keras").exists()  # Keras saves when it cannot compare
    unknown = nnlite.callbacks.ModelCheckpoint(str(tmp_path / "auto.keras"), monitor="val_nothing",
                                               save_best_only=True)
    with pytest.raises(ValueError, match="val_nothing, but nnlite isn't able to automatically determine"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[unknown])  # mode "auto" on a quantity no metric names


def test_backup_and_restore_resumes_where_training_stopped(tmp_path, rng):
    require("h5py")
    x, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    straight = _fit_model()
    straight.fit(x, y, epochs=4, batch_size=4, shuffle=False, verbose=0)

    class Crash(nnlite.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("the machine went away")

    backup = nnlite.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    model = _fit_model()
    with pytest.raises(RuntimeError, match="went away"):
        model.fit(x, y, epochs=4, batch_size=4, shuffle=False, verbose=0, callbacks=[backup, Crash()])
    resumed = _fit_model(seed=9)  # other starting weights: the backup must replace them
    history = resumed.fit(x, y, epochs=4, batch_size=4, shuffle=False, verbose=0, callbacks=[backup])
    assert history.epoch == [2, 3]
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not (tmp_path / "backup").exists()  # removed after a normal end


class _Killed(BaseException):
    """A kill at a chosen moment (BaseException: nothing on the way may catch it as an error)."""


@pytest.mark.parametrize("kill_at", ["weights rename", "metadata rename", "metadata write"])
@pytest.mark.parametrize("double_checkpoint", [False, True])
def test_a_backup_killed_at_any_moment_resumes_exactly(tmp_path, rng, monkeypatch, kill_at, double_checkpoint):
    """A kill while the epoch-2 backup is written (before the weights file is renamed into place, after it but
    before the JSON is, or while the JSON is written) resumes to the numbers of the run never stopped, with plain
    SGD (float64, exact): the backup is one atomic step. Before, a kill after the weights were saved trained that
    epoch again, and a half-written JSON made every later resume fail."""
    require("h5py")
    x, y = rng.normal(size=(12, 3)), rng.normal(size=12)

    def sgd_model(seed=0):
        init = nnlite.initializers.GlorotUniform(seed=seed)
        model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(4, activation="tanh",
                                   kernel_initializer=init, dtype="float64"),
                                   nnlite.layers.Dense(1, kernel_initializer=init, dtype="float64")])
        model.compile(optimizer=nnlite.optimizers.SGD(0.1), loss="mse")
        return model

    straight = sgd_model()
    straight.fit(x, y, epochs=4, batch_size=4, shuffle=False, verbose=0)
    saves = []
    real_replace = os.replace

    def replace(source, target):
        saves.append(target)
        if len([t for t in saves if t.endswith("latest.weights.h5")]) == 2:  # the second backup (after epoch 2)
            if kill_at == "weights rename" and target.endswith("latest.weights.h5"):
                raise _Killed
            if kill_at == "metadata write" and target.endswith(".json"):
                with open(target, "w") as half:  # a JSON cut short where the file is
                    half.write('{"epoch": ')
                raise _Killed
        real_replace(source, target)
        if kill_at == "metadata rename" and target.endswith("latest.weights.h5") and len(
                [t for t in saves if t.endswith("latest.weights.h5")]) == 2:
            raise _Killed

    backup = nnlite.callbacks.BackupAndRestore(str(tmp_path / "backup"), double_checkpoint=double_checkpoint)
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(_Killed):
        sgd_model().fit(x, y, epochs=4, batch_size=4, shuffle=False, verbose=0, callbacks=[backup])
    monkeypatch.setattr(os, "replace", real_replace)
    resumed = sgd_model(seed=9)  # other starting weights: the backup must replace them
    history = resumed.fit(x, y, epochs=4, batch_size=4, shuffle=False, verbose=0, callbacks=[backup])
    assert history.epoch == ([1, 2, 3] if kill_at == "weights rename" else [2, 3])
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_corrupted_latest_backup_resumes_from_the_one_before(tmp_path, rng):
    """Keras's test_backup_corrupted: with double_checkpoint, a latest backup that cannot be read is passed over
    for the previous one, and training goes on from that epoch to the numbers of the uninterrupted run."""
    require("h5py")
    x, y = rng.normal(size=(12, 3)), rng.normal(size=12)

    def sgd_model(seed=0):
        init = nnlite.initializers.GlorotUniform(seed=seed)
        model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(1, kernel_initializer=init,
                                                                            dtype="float64")])
        model.compile(optimizer=nnlite.optimizers.SGD(0.1), loss="mse")
        return model

    straight = sgd_model()
    straight.fit(x, y, epochs=5, batch_size=4, shuffle=False, verbose=0)

    class Crash(nnlite.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("the machine went away")

    backup = nnlite.callbacks.BackupAndRestore(str(tmp_path / "backup"), double_checkpoint=True)
    with pytest.raises(RuntimeError, match="went away"):
        sgd_model().fit(x, y, epochs=5, batch_size=4, shuffle=False, verbose=0, callbacks=[backup, Crash()])
    assert (tmp_path / "backup" / "latest.weights.h5.bkp").exists()
    (tmp_path / "backup" / "latest.weights.h5").write_text("0")  # the latest backup (after epoch 3) is damaged
    resumed = sgd_model(seed=9)
    history = resumed.fit(x, y, epochs=5, batch_size=4, shuffle=False, verbose=0, callbacks=[backup])
    assert history.epoch == [2, 3, 4]  # from the backup before it (after epoch 2)
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_backup_keras_wrote_is_resumed_from_its_json(tmp_path, rng):
    """Keras keeps the epoch only in training_metadata.json: nnlite resumes such a backup from it."""
    require("h5py")
    x, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    model = _fit_model()
    (tmp_path / "backup").mkdir()
    model.save_weights(tmp_path / "backup" / "latest.weights.h5")
    (tmp_path / "backup" / "training_metadata.json").write_text('{"epoch": 3, "batch": 0}')
    history = _fit_model(seed=4).fit(x, y, epochs=5, verbose=0,
                                     callbacks=[nnlite.callbacks.BackupAndRestore(str(tmp_path / "backup"))])
    assert history.epoch == [3, 4]


def test_evaluate_and_predict_print_keras_progress_lines(rng, capsys):
    model = _fit_model()
    x, y = rng.normal(size=(70, 3)), rng.normal(size=70)
    model.evaluate(x, y, verbose=2)
    model.predict(x, verbose=2)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("3/3 - ") and lines[0].endswith(tuple("0123456789")) and " - loss: " in lines[0]
    assert " - mae: " in lines[0] and lines[1].startswith("3/3 - ") and "loss" not in lines[1]
    model.fit(x, y, epochs=1, validation_split=0.2, verbose=2)
    assert len(capsys.readouterr().out.splitlines()) == 1  # fit's validation adds no line of its own


def test_summary_expands_nested_models_and_input_layer_call(capsys):
    inner = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(4, name="inside")], name="block")
    outer = nnlite.Sequential([inner, nnlite.layers.Dense(1)])
    outer.summary(expand_nested=True, show_trainable=True)
    out = capsys.readouterr().out
    assert "block (Sequential)" in out and "  inside (Dense)" in out and "Trainable" in out
    outer.summary()
    assert "inside" not in capsys.readouterr().out
    assert nnlite.layers.InputLayer(shape=(3,)).call() is None

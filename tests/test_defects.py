"""Defects found by review and by using nnlite as a newcomer would; each test failed before its fix."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import nnlite
from nnlite import layers
from nnlite.saving import LoadError

from .conftest import require
from .helpers import with_config, write_zip, zip_members


def _small(dtype=None):
    model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(4, dtype=dtype), layers.Dense(1, dtype=dtype)])
    model.compile(optimizer="sgd", loss="mse")
    return model


# -- files: data only, and the permissions a user expects ------------------------------------------------
def _weights_file(tmp_path, tamper):
    import h5py

    model = _small()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        tamper(f, h5py)
    return model, path


def _external(f, h5py, secret):
    del f["layers/dense/vars/0"]
    f.create_dataset("layers/dense/vars/0", shape=(3, 4), dtype="<f4", external=[(str(secret), 0, 48)])


def _virtual(f, h5py, other):
    with h5py.File(other, "w") as o:
        o["data"] = np.zeros((3, 4), "f4")
    layout = h5py.VirtualLayout(shape=(3, 4), dtype="f4")
    layout[...] = h5py.VirtualSource(str(other), "data", shape=(3, 4))
    del f["layers/dense/vars/0"]
    f.create_virtual_dataset("layers/dense/vars/0", layout)


@pytest.mark.parametrize(("tamper", "message"), [
    (lambda f, h5py, tmp: _external(f, h5py, tmp / "secret.bin"), "keeps its data in outside files"),
    (lambda f, h5py, tmp: _virtual(f, h5py, tmp / "other.h5"), "virtual dataset"),
    (lambda f, h5py, tmp: f.__setitem__("optimizer/vars/extra", h5py.SoftLink("/layers")), "link to elsewhere"),
    (lambda f, h5py, tmp: f.__setitem__("vars/elsewhere", h5py.ExternalLink("/etc/hostname", "/")),
     "link to elsewhere"),
])
def test_weights_that_point_outside_the_file_are_refused(tmp_path, tamper, message):
    require("h5py")
    (tmp_path / "secret.bin").write_bytes(np.arange(12, dtype="<f4").tobytes() + b"KEY=hunter2")
    model, path = _weights_file(tmp_path, lambda f, h5py: tamper(f, h5py, tmp_path))
    before = model.get_weights()
    with pytest.raises(LoadError, match=message):
        model.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    # the same weights inside a .keras file
    model.save(tmp_path / "m.keras")
    parts = zip_members(tmp_path / "m.keras")
    parts["model.weights.h5"] = path.read_bytes()
    with pytest.raises(LoadError, match=message):
        nnlite.models.load_model(write_zip(tmp_path / "bad.keras", parts))


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_saved_files_follow_the_umask(tmp_path, umask, mode):
    require("h5py")
    model = _small()
    old = os.umask(umask)
    try:
        model.save(tmp_path / "m.keras")
        model.save_weights(tmp_path / "m.weights.h5")
    finally:
        os.umask(old)
    assert (tmp_path / "m.keras").stat().st_mode & 0o777 == mode
    assert (tmp_path / "m.weights.h5").stat().st_mode & 0o777 == mode


# -- training: interrupts, dtypes, clipping, checks before changes --------------------------------------------
@pytest.mark.parametrize("hook", ["on_epoch_end", "on_train_end"])
def test_ctrl_c_between_batches_reaches_the_caller(rng, hook):
    model = _small()
    x, y = rng.normal(size=(8, 3)), rng.normal(size=8)
    cb = nnlite.callbacks.LambdaCallback(**{hook: lambda *args: os.kill(os.getpid(), signal.SIGINT)})
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


def test_each_layer_computes_in_its_own_dtype(keras, rng):
    model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(2, dtype="float64"), layers.Dense(1, dtype="float32")])
    twin = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, dtype="float64"),
                             keras.layers.Dense(1, dtype="float32")])
    x = rng.normal(size=(4, 3))
    assert model.predict(x, verbose=0).dtype == twin.predict(x, verbose=0).dtype == np.float32


@pytest.mark.parametrize("clip", ["clipnorm", "clipvalue", "global_clipnorm"])
def test_a_clip_of_zero_is_off_as_in_keras(keras, float64, rng, clip):
    x, y = rng.normal(size=(6, 3)), rng.normal(size=6)
    model = _small()
    twin = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    twin.set_weights(model.get_weights())
    model.compile(nnlite.optimizers.SGD(0.1, **{clip: 0.0}), "mse")
    twin.compile(keras.optimizers.SGD(0.1, **{clip: 0.0}), "mse")
    model.fit(x, y, epochs=2, shuffle=False, verbose=0)
    twin.fit(x, y, epochs=2, shuffle=False, verbose=0)
    moved = [np.abs(a - b).max() for a, b in zip(model.get_weights(), twin.get_weights())]
    assert max(moved) < 1e-9 and not np.allclose(model.get_weights()[0], _small().get_weights()[0])


def test_set_weights_changes_nothing_when_a_later_array_is_bad():
    model = _small()
    before = model.get_weights()
    bad = [w + 1 for w in before]
    bad[2][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"dense_1/kernel contains NaN"):
        model.set_weights(bad)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def test_np_array_of_a_variable_is_a_copy():
    model = _small()
    kernel = model.layers[0].kernel
    copy = np.array(kernel)
    copy[...] = 7
    assert not np.any(kernel.numpy() == 7)
    assert np.asarray(kernel) is kernel.value  # asarray may share, as NumPy documents


@pytest.mark.parametrize("callback", [
    lambda: nnlite.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1),
    lambda: nnlite.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=10.0),
])
def test_callbacks_do_not_replace_a_schedule_by_a_float(rng, callback):
    model = _small()
    schedule = nnlite.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model.compile(nnlite.optimizers.SGD(schedule), "mse")
    with pytest.raises(TypeError, match="created with a `LearningRateSchedule`"):
        model.fit(rng.normal(size=(8, 3)), rng.normal(size=8), epochs=3, verbose=0, callbacks=[callback()])
    assert model.optimizer._learning_rate is schedule


def test_small_api_defects(rng):
    model = _small()
    model.compile(optimizer="sgd", loss=nnlite.losses.MeanSquaredError)  # the class, as Keras accepts it
    model.fit(rng.normal(size=(4, 3)), rng.normal(size=4), verbose=0)
    assert nnlite.losses.KLDivergence().name == "kl_divergence"
    seeded = nnlite.initializers.RandomNormal(seed=1337)
    assert np.array_equal(seeded((3, 2)), seeded((3, 2)))  # Keras 3 repeats a seeded initializer's values


def test_nadam_checks_before_it_changes_anything():
    w = nnlite.variables.Variable(np.ones((2, 2)), "w")
    nadam = nnlite.optimizers.Nadam()
    nadam.apply([np.ones((2, 2))], [w])
    state = [v.numpy() for v in nadam.variables]
    with pytest.raises(ValueError, match="has shape"):
        nadam.apply([np.ones((3, 2))], [w])
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(state, nadam.variables))


def test_object_arrays_of_numbers_are_cast_and_others_named():
    model = _small()
    numbers = np.array([[1, True, 2.5], [0, False, -1]], dtype=object)  # pandas' bool dummies arrive like this
    assert model.predict(numbers, verbose=0).shape == (2, 1)
    with pytest.raises(TypeError, match="holds str values such as 'red'"):
        model.predict(np.array([[1, "red", 2.0]], dtype=object), verbose=0)
    pandas = require("pandas")
    frame = pandas.DataFrame({"a": [1.0, 2.0], "b": [True, False], "c": ["x", "y"]})
    with pytest.raises(TypeError, match="column 'c' holds non-numbers"):
        model.predict(frame, verbose=0)
    assert model.predict(frame[["a", "b"]].assign(d=1), verbose=0).shape == (2, 1)


def test_a_small_file_declaring_huge_layers_is_refused_before_building(tmp_path, monkeypatch):
    """Dense(12000) on 12000 inputs in a 11 kB file: refused as it asks for its kernel, before the array is made."""
    _small().save(tmp_path / "m.keras")

    def widen(spec):
        spec["config"]["layers"][0]["config"]["batch_shape"] = [None, 12000]
        spec["config"]["layers"][1]["config"].update(units=12000, dtype="float64")
    with_config(tmp_path / "m.keras", tmp_path / "bomb.keras", widen)
    made = []
    original = nnlite.initializers.GlorotUniform.__call__
    monkeypatch.setattr(nnlite.initializers.GlorotUniform, "__call__",
                        lambda init, shape, dtype=None: made.append(shape) or original(init, shape, dtype))
    with pytest.raises(LoadError, match=r"weight 'dense/kernel' of shape \(12000, 12000\).*refused before allocating"):
        nnlite.models.load_model(tmp_path / "bomb.keras")
    assert made == []  # no kernel was made, so nothing of 12000 x 12000 was allocated


@pytest.mark.parametrize("batch_shape", [[None, "abc"], [None, -5], [None, 1.5], [None, {}], ["x", 3], [True, 3],
                                         [0, 3], [-2, 3]])
def test_batch_shapes_that_cannot_run_are_refused_in_code_and_in_files(tmp_path, batch_shape):
    """Each entry of a batch shape must be a positive integer or None, the batch size included; a file
    holding such an Input is refused with a LoadError that names the shape."""
    with pytest.raises(ValueError, match="positive integer"):
        nnlite.Input(batch_shape=batch_shape)
    require("h5py")
    _small().save(tmp_path / "m.keras")

    def set_batch_shape(spec):
        spec["config"]["layers"][0]["config"]["batch_shape"] = batch_shape
    with pytest.raises(LoadError, match="positive integer"):
        nnlite.models.load_model(with_config(tmp_path / "m.keras", tmp_path / "bad.keras", set_batch_shape))

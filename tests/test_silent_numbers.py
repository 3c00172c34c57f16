"""Inputs that used to give wrong numbers without a word (issue 23, section 3): each refused or computed as
Keras computes it."""

from __future__ import annotations

import os

import numpy as np
import pytest

import nnlite


def test_unsorted_bin_boundaries_are_refused_in_code_and_in_files():
    with pytest.raises(ValueError, match="must be sorted"):
        nnlite.layers.Discretization(bin_boundaries=[2.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="must be sorted"):
        nnlite.layers.Discretization(bin_boundaries=[0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="must be sorted"):
        nnlite.layers.Discretization.from_config({"bin_boundaries": [1.0, 0.5], "name": "d"})
    assert nnlite.layers.Discretization(bin_boundaries=[0.0, 1.0])(np.array([[0.5]])).tolist() == [[1]]


def test_normalization_adapt_refuses_nan_and_names_where():
    layer = nnlite.layers.Normalization()
    with pytest.raises(ValueError, match=r"index \(1, 2\).*row 1, feature \(2,\)"):
        layer.adapt(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, np.nan]]))
    with pytest.raises(ValueError, match="NaN or inf"):
        layer.adapt(np.array([[np.inf, 1.0, 1.0]]))
    layer.adapt(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
    assert np.asarray(layer(np.array([[2.0, 2.0, 2.0]]))).tolist() == [[0.0, 0.0, 0.0]]


def test_the_loss_functions_compute_in_the_dtype_of_y_pred_as_keras_does(keras):
    y = np.eye(3, dtype="float16")
    p = np.full((3, 3), 1 / 3, dtype="float16")
    for name in ("categorical_crossentropy", "mean_squared_error", "kl_divergence"):
        ours, theirs = getattr(nnlite.losses, name)(y, p), getattr(keras.losses, name)(y, p)
        assert np.asarray(ours).dtype == np.float16 == keras.ops.convert_to_numpy(theirs).dtype, name
        np.testing.assert_allclose(np.asarray(ours, np.float64), keras.ops.convert_to_numpy(theirs), rtol=1e-3)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX's")
def test_overwriting_a_saved_file_keeps_its_mode(tmp_path):
    model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    path = tmp_path / "m.keras"
    model.save(path)
    os.chmod(path, 0o640)
    model.save(path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    weights = tmp_path / "m.weights.h5"
    model.save_weights(weights)
    os.chmod(weights, 0o600)
    model.save_weights(weights)
    assert os.stat(weights).st_mode & 0o777 == 0o600


def test_vocabulary_assets_are_read_as_keras_reads_them(keras, tmp_path):
    """A Keras file whose vocabulary asset has Windows line ends and a final newline: the ids Keras gives."""
    import zipfile

    inputs = keras.Input(shape=(1,), dtype="string")
    lookup = keras.layers.StringLookup()
    lookup.adapt(np.array([["d"], ["c"], ["c"], ["b"], ["b"], ["b"], ["a"], ["a"], ["a"], ["a"]]))
    keras.Model(inputs, lookup(inputs)).save(tmp_path / "plain.keras")
    with zipfile.ZipFile(tmp_path / "plain.keras") as src, zipfile.ZipFile(tmp_path / "crlf.keras", "w") as dst:
        members = src.namelist()
        assert any(m.endswith("vocabulary.txt") for m in members)
        for name in members:
            data = src.read(name)
            if name.endswith("vocabulary.txt"):
                data = data.replace(b"\n", b"\r\n").rstrip(b"\r\n") + b"\r\n"
            dst.writestr(name, data)
    tokens = np.array([["a"], ["b"], ["c"], ["d"], ["zzz"]])
    theirs = keras.ops.convert_to_numpy(keras.models.load_model(tmp_path / "crlf.keras")(tokens))
    ours = nnlite.models.load_model(tmp_path / "crlf.keras").predict(tokens, verbose=0)
    assert np.asarray(ours).tolist() == theirs.tolist() == [[1], [2], [3], [4], [0]]


def test_a_fit_inside_a_callback_leaves_the_outer_history_on_the_model():
    model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2)), np.ones((4, 1))
    inner = nnlite.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: model.fit(x, y, verbose=0))
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[inner])
    assert model.history is history and len(history.history["loss"]) == 2

"""Structures, as Keras's own model tests check them: what a model with several outputs gives when called on
symbolic tensors, ``model.input``/``model.output``, and ``compile`` given losses and metrics as lists and dicts
(per output or for a single output). Each case runs the same program with Keras and with nnlite."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .conftest import RTOL, require
from .helpers import assert_close

X = np.random.default_rng(0).uniform(size=(8, 3))
Y1 = np.random.default_rng(1).uniform(size=(8, 1))
Y2 = np.random.default_rng(2).integers(0, 2, size=(8, 1)).astype("float64")


def two_outputs(lib, structure="list"):
    inputs = lib.Input((3,), name="input_a")
    hidden = lib.layers.Dense(4, activation="tanh", name="hidden")(inputs)
    a = lib.layers.Dense(1, name="output_a")(hidden)
    b = lib.layers.Dense(1, activation="sigmoid", name="output_b")(hidden)
    outputs = {"output_a": a, "output_b": b} if structure == "dict" else [a, b]
    return lib.Model(inputs, outputs)


def one_output(lib):
    inputs = lib.Input((3,), name="input_a")
    return lib.Model(inputs, lib.layers.Dense(1, name="output_a")(inputs))


def same_weights(theirs, ours):
    ours.set_weights(theirs.get_weights())
    return theirs, ours


@pytest.mark.parametrize("structure", ["list", "dict"])
def test_a_model_with_several_outputs_called_on_symbolic_tensors_gives_its_structure(keras, structure):
    for lib in (keras, nnlite):
        model = two_outputs(lib, structure)
        out = model(lib.Input((3,), batch_size=2))
        assert isinstance(out, list if structure == "list" else dict), lib.__name__
        shapes = [t.shape for t in (out if structure == "list" else out.values())]
        assert [tuple(s) for s in shapes] == [(2, 1), (2, 1)]
        assert model.output is model.outputs[0] or isinstance(model.output, (list, dict))
        assert type(model.output) is type(out) and type(model.input).__name__ == "KerasTensor"


def test_a_model_with_several_outputs_inside_another_trains_as_in_keras(keras, float64, tmp_path):
    def build(lib):
        inner = two_outputs(lib)
        x = lib.Input((3,))
        a, b = inner(x)
        return lib.Model(x, [a, lib.layers.Dense(2, name="after_b")(b)])

    theirs, ours = same_weights(build(keras), build(nnlite))
    y = [Y1, np.concatenate([Y2, Y1], axis=1)]
    for model in (theirs, ours):
        model.compile("sgd", loss=["mse", "mse"])
    h_theirs = theirs.fit(X, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    h_ours = ours.fit(X, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert_close(h_ours.history["loss"], h_theirs.history["loss"], RTOL["float64"], "loss")
    for w_ours, w_theirs in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(w_ours, w_theirs, RTOL["float64"], "weights")
    ours.save(tmp_path / "m.keras")
    again = nnlite.saving.load_model(tmp_path / "m.keras")
    for p, q in zip(again.predict(X, verbose=0), ours.predict(X, verbose=0)):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("loss", ["mse", ["mse"], {"output_a": "mse"}, {"output_a": ["mse"]}])
def test_one_output_takes_its_loss_and_metrics_by_name_or_in_a_list(keras, float64, loss):
    histories = []
    theirs, ours = same_weights(one_output(keras), one_output(nnlite))
    for model in (theirs, ours):
        model.compile("sgd", loss=loss, metrics={"output_a": ["mean_squared_error", "mean_absolute_error"]},
                      weighted_metrics={"output_a": "mean_squared_error"})
        histories.append(model.fit(X, Y1, batch_size=2, epochs=1, shuffle=False, verbose=0).history)
    assert sorted(histories[1]) == sorted(histories[0]) == ["loss", "mean_absolute_error", "mean_squared_error",
                                                           "weighted_mean_squared_error"]
    for key, values in histories[0].items():
        assert_close(histories[1][key], values, RTOL["float64"], key)


@pytest.mark.parametrize("structure", ["list", "dict"])
def test_each_output_takes_a_one_loss_list(keras, float64, structure):
    loss = ["mse", ["binary_crossentropy"]] if structure == "list" else {"output_a": "mse",
                                                                         "output_b": ["binary_crossentropy"]}
    metrics = ["mse", ["mse", "accuracy"]] if structure == "list" else {"output_a": ["mse"],
                                                                        "output_b": ["mse", "accuracy"]}
    results = []
    theirs, ours = same_weights(two_outputs(keras, structure), two_outputs(nnlite, structure))
    for model in (theirs, ours):
        model.compile("sgd", loss=loss, metrics=metrics, loss_weights=[0.1, 2] if structure == "list" else None)
        model.fit(X, [Y1, Y2], batch_size=2, epochs=1, shuffle=False, verbose=0)
        results.append(model.evaluate(X, [Y1, Y2], verbose=0, return_dict=True))
    assert sorted(results[1]) == sorted(results[0])
    for key, value in results[0].items():
        assert_close(results[1][key], value, RTOL["float64"], key)


def test_unknown_output_names_are_refused_at_compile(keras):
    model = two_outputs(nnlite)
    with pytest.raises(ValueError, match=r"Expected keys \['output_a', 'output_b'\] in loss dict"):
        model.compile("sgd", loss={"output_a": "mse", "output_c": "mse"})
    with pytest.raises(ValueError, match=r"(?s)Invalid `metrics`.*output_c"):
        model.compile("sgd", loss="mse", metrics={"output_c": ["mse"]})
    with pytest.raises(ValueError, match=r"Invalid `weighted_metrics`.*output_c"):
        model.compile("sgd", loss="mse", weighted_metrics={"output_c": ["mse"]})
    with pytest.raises(ValueError, match=r"Expected keys \['output_a'\] in loss dict"):
        one_output(nnlite).compile("sgd", loss={"output_b": "mse"})


def two_heads(lib, as_dict=False):
    """A subclass with two Dense outputs, returned as a list (or a dict by name)."""

    class TwoHeads(lib.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = lib.layers.Dense(1, name="a"), lib.layers.Dense(2, name="b")

        def call(self, x):
            a, b = self.a(x), self.b(x)
            return {"first": a, "second": b} if as_dict else [a, b]

    return TwoHeads()


def test_a_subclassed_model_compiled_before_it_is_built_takes_a_loss_per_output(keras, float64):
    y = [Y1, np.concatenate([Y1, Y2], axis=1)]
    results = []
    for model in (two_heads(keras), two_heads(nnlite)):
        model.compile("sgd", loss=["mse", "mae"])  # before the model knows its outputs
        model.fit(X[:2], [y[0][:2], y[1][:2]], epochs=1, verbose=0)  # builds it
        results.append(model)
    results[1].set_weights(results[0].get_weights())
    out = [m.evaluate(X, y, verbose=0, return_dict=True) for m in results]
    assert set(out[1]) == set(out[0]) == {"loss", "mse_loss", "mae_loss"}  # named after the losses, as Keras's
    for key in out[0]:
        assert_close(out[1][key], out[0][key], RTOL["float64"], key)


@pytest.mark.parametrize("case", range(5))
def test_the_logs_of_a_subclass_with_unnamed_outputs_are_keras(keras, float64, case):
    """A subclass whose call returns a list has no output names in Keras: each output's loss is logged after the
    loss (the string given, a loss object's name, a function's), a loss used twice shares one entry (the last
    output's), metrics carry no prefix and repeat as mae, mae_1. History, evaluate's list and dict and
    metrics_names equal Keras's; a call returning a dict is named by its keys."""
    y = [Y1, np.concatenate([Y1, Y2], axis=1)]
    results = []
    for lib in (keras, nnlite):
        loss = [["mse", "mae"], ["mse", "mse"], ["mse", lib.losses.MeanAbsoluteError()],
                [lib.losses.mean_squared_error, "mse"], {"first": "mse", "second": "mae"}][case]
        metrics = {"first": ["mae"], "second": ["mse"]} if case == 4 else ([["mae"], ["mae"]] if case == 1
                                                                            else [["mae"], ["mse"]])
        model = two_heads(lib, as_dict=case == 4)
        model.compile("sgd", loss=loss, metrics=metrics)
        model(X[:2])
        results.append(model)
    results[1].set_weights(results[0].get_weights())
    yd = {"first": y[0], "second": y[1]} if case == 4 else y
    histories = [m.fit(X, yd, epochs=2, verbose=0, shuffle=False).history for m in results]
    assert set(histories[1]) == set(histories[0])
    for key in histories[0]:
        assert_close(histories[1][key], histories[0][key], RTOL["float64"], key)
    listed = [m.evaluate(X, yd, verbose=0) for m in results]
    assert_close(listed[1], listed[0], RTOL["float64"], "evaluate's list")
    assert results[1].metrics_names == results[0].metrics_names


def _two_heads(lib):
    x = lib.Input((3,))
    a = lib.layers.Dense(2, name="a")(x)
    b = lib.layers.Dense(1, activation="sigmoid", name="b")(x)
    return lib.Model(x, [a, b])


@pytest.mark.parametrize(("loss", "loss_weights"), [
    (["mse", ["mse", "binary_crossentropy"]], None),
    (["mse", ["mse", "binary_crossentropy"]], [0.5, 1.0, 2.0]),  # flat: one weight per loss
    (["mse", ["mse", "binary_crossentropy"]], [0.5, [1.0, 2.0]]),  # nested like the losses
    ({"a": "mae", "b": ["binary_crossentropy", "mse"]}, {"a": 2.0, "b": [0.3, 1.5]}),
], ids=["unweighted", "flat weights", "nested weights", "dict"])
def test_several_losses_on_one_output_train_as_keras(keras, float64, rng, loss, loss_weights):
    """An output with a list of losses: L adds each one's weighted value; the output's log shows the last loss's
    unweighted value (Keras's entries share the name); fit, evaluate and the compile config equal Keras's."""
    x = rng.normal(size=(16, 3))
    y = [rng.normal(size=(16, 2)), rng.integers(0, 2, size=(16, 1)).astype(float)]
    theirs, ours = _two_heads(keras), _two_heads(nnlite)
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras.optimizers.SGD(0.1), loss=loss, loss_weights=loss_weights)
    ours.compile(nnlite.optimizers.SGD(0.1), loss=loss, loss_weights=loss_weights)
    expected = theirs.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    history = ours.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    assert sorted(history) == sorted(expected)
    for key in expected:
        assert_close(history[key], expected[key], 1e-9, key)
    for w, e in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(w, e, 1e-9, "weights after the fit")
    mine, want = ours.evaluate(x, y, verbose=0, return_dict=True), theirs.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(mine) == sorted(want)
    for key in want:
        assert_close(mine[key], want[key], 1e-9, f"evaluate {key}")
    # the list repeats the output's entry once per loss, as Keras's does
    assert_close(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), 1e-9, "evaluate's list")
    assert ours.metrics_names == theirs.metrics_names
    assert ours.get_compile_config()["loss"] == theirs.get_compile_config()["loss"]


def test_several_losses_need_as_many_weights_as_keras_says(keras):
    for lib in (keras, nnlite):
        model = _two_heads(lib)
        with pytest.raises(ValueError, match="`loss_weights` must match the number of losses"):
            model.compile("sgd", loss=["mse", ["mse", "binary_crossentropy"]], loss_weights=[1.0, 2.0, 3.0, 4.0])
            model.fit(np.ones((4, 3)), [np.ones((4, 2)), np.ones((4, 1))], verbose=0)


def test_several_losses_on_one_output_survive_a_file_both_ways(keras, rng, tmp_path):
    """The compile config keeps the list of losses (and their weights): a loaded model trains on the same sum."""
    require("h5py")
    x = rng.normal(size=(8, 3)).astype("float32")
    y = [rng.normal(size=(8, 2)).astype("float32"), rng.integers(0, 2, size=(8, 1)).astype("float32")]
    ours = _two_heads(nnlite)
    ours.compile("sgd", loss=["mse", ["mse", "binary_crossentropy"]], loss_weights=[1.0, [0.5, 2.0]])
    ours.save(tmp_path / "ours.keras")
    for loaded in (nnlite.saving.load_model(tmp_path / "ours.keras"), keras.saving.load_model(tmp_path / "ours.keras")):
        got = loaded.evaluate(x, y, verbose=0, return_dict=True)
        want = ours.evaluate(x, y, verbose=0, return_dict=True)
        for key in want:
            assert_close(got[key], want[key], 1e-6, key)


def test_a_sequential_passes_a_list_or_dict_to_its_first_layer_as_keras(keras, rng):
    """Keras's test_list_inputs/test_dict_inputs: a Sequential whose first layer takes a list or a dict (a layer of
    your own, or a merge layer) gets it as given, and the layers after it run on its output."""
    for lib in (keras, nnlite):
        class Passes(lib.layers.Layer):
            def __init__(self, kind, **kwargs):
                super().__init__(**kwargs)
                self.kind = kind

            def call(self, inputs):
                assert isinstance(inputs, self.kind), type(inputs)
                return inputs

        listed = [rng.random((3, 2)), rng.random((3, 2))]
        assert type(lib.Sequential([Passes(list)])(listed)) is list
        named = {"a": rng.random((3, 2)), "b": rng.random((3, 2))}
        assert type(lib.Sequential([Passes(dict)])(named)) is dict
    merged = [nnlite.Sequential([nnlite.layers.Concatenate(), nnlite.layers.Dense(2, kernel_initializer="ones")]),
              keras.Sequential([keras.layers.Concatenate(), keras.layers.Dense(2, kernel_initializer="ones")])]
    outputs = [np.asarray(model(listed)) for model in merged]
    assert_close(outputs[0], outputs[1], RTOL["float32"], "a merge layer first")
    lines = []
    merged[0].summary(print_fn=lines.append)
    assert "concatenate (Concatenate)" in "\n".join(lines) and "10" in "\n".join(lines)

"""Inputs and outputs nested more than one level deep (``Model(x, {"a": (y1, y2), "b": y3})``), against Keras run
in the test: the structure predict and a call give, compile's arguments read along it (every form Keras takes), the
log names (a/d1_loss, b_loss, d1_mae), the numbers of a fit, files both ways, the model called as a layer, and
configs that keep tuples (Keras's functional_test)."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

X = np.linspace(-1, 1, 24, dtype="float32").reshape(8, 3)
Y = {"a": (np.linspace(0, 1, 16).reshape(8, 2), np.linspace(1, -1, 24).reshape(8, 3)), "b": np.ones((8, 1))}


def _build(lib):
    x = lib.Input((3,), name="x")
    y1 = lib.layers.Dense(2, name="d1", kernel_initializer="glorot_uniform")(x)
    y2 = lib.layers.Dense(3, name="d2", activation="tanh")(x)
    y3 = lib.layers.Dense(1, name="d3")(x)
    return lib.Model(x, {"a": (y1, y2), "b": y3})


def _pair(keras):
    ours, theirs = _build(nnlite), _build(keras)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _same_structure(a, b, rtol=1e-6):
    """The same containers (a list for a tuple allowed) holding equal arrays."""
    if isinstance(a, (dict, list, tuple)) or isinstance(b, (dict, list, tuple)):
        assert type(a) is type(b) or {type(a), type(b)} <= {list, tuple}, (type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _same_structure(a[key], b[key], rtol)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _same_structure(u, v, rtol)
    else:
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=1e-7)


def test_predict_a_call_and_the_names_keep_the_structure(keras):
    ours, theirs = _pair(keras)
    assert ours.output_names == theirs.output_names == ["d1", "d2", "d3"]
    predicted = ours.predict(X, verbose=0)
    assert isinstance(predicted["a"], tuple) and predicted["b"].shape == (8, 1)
    _same_structure(predicted, theirs.predict(X, verbose=0))
    _same_structure(ours(X), theirs(X))
    assert ours.output_shape == {"a": ((None, 2), (None, 3)), "b": (None, 1)}
    assert [t.dtype for t in ours.outputs] == ["float32"] * 3


LOSSES = [
    ("mse", None),
    ({"a": ("mse", "mae"), "b": "mse"}, {"a": (1.0, 0.5), "b": 2.0}),
    (["mse", "mae", "huber"], [0.5, 1.0, 2.0]),
    ({"a": ["mse", "mae"], "b": None}, None),
    ({"a": (None, "mse"), "b": "mae"}, None),
]


@pytest.mark.parametrize(("loss", "loss_weights"), LOSSES)
def test_every_form_of_compile_trains_as_keras(keras, loss, loss_weights):
    """The loss for every output, along the structure (a None leaves an output untrained), as a flat list; loss
    weights along the structure or flat; metrics along it: the history (names and values, validation too) and the
    weights after two epochs equal Keras's."""
    ours, theirs = _pair(keras)
    metrics = {"a": (["mae"], None), "b": ["mse"]}
    for model, lib in ((ours, nnlite), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss=loss, loss_weights=loss_weights, metrics=metrics)
    got = ours.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False, validation_data=(X, Y)).history
    expected = theirs.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False, validation_data=(X, Y)).history
    assert sorted(got) == sorted(expected)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=2e-5, err_msg=name)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-7)
    assert ours.evaluate(X, Y, verbose=0, return_dict=True).keys() == theirs.evaluate(
        X, Y, verbose=0, return_dict=True).keys()


def test_a_loss_for_part_of_the_structure_is_refused_and_y_must_follow_it():
    """One loss for the pair under "a" (Keras stacks the pair there, which fails or mixes them) is refused by
    compile; y missing a level of the structure is refused by fit, before any weight changes."""
    model = _build(nnlite)
    with pytest.raises(ValueError, match=r"`loss` at /a must follow the outputs' structure there \(a tuple of 2\)"):
        model.compile(optimizer="sgd", loss={"a": "mse", "b": "mae"})
    with pytest.raises(ValueError, match=r"keys \['c'\] at the top"):
        model.compile(optimizer="sgd", loss={"a": ("mse", "mse"), "c": "mae"})
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"`y` at /a must follow"):
        model.fit(X, {"a": Y["a"][0], "b": Y["b"]}, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_files_both_ways(keras, tmp_path):
    """A nested model saved by nnlite loads in Keras, and one saved by Keras in nnlite: equal predictions in the
    same structure (a tuple comes back a list, as from Keras's own files), and the compiled losses' log names."""
    ours, theirs = _pair(keras)
    for model in (ours, theirs):
        model.compile(optimizer="sgd", loss={"a": ("mse", "mae"), "b": "mse"}, metrics={"a": (["mae"], None),
                                                                                         "b": ["mse"]})
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    in_keras = keras.saving.load_model(tmp_path / "ours.keras")
    in_nnlite = nnlite.saving.load_model(tmp_path / "theirs.keras")
    _same_structure(in_keras.predict(X, verbose=0), ours.predict(X, verbose=0))
    _same_structure(in_nnlite.predict(X, verbose=0), theirs.predict(X, verbose=0))
    names = sorted(in_nnlite.fit(X, Y, epochs=1, verbose=0).history)
    assert names == sorted(in_keras.fit(X, Y, epochs=1, verbose=0).history)
    assert names == ["a/d1_loss", "a/d2_loss", "b_loss", "d1_mae", "d3_mse", "loss"]


def test_called_as_a_layer_it_gives_the_structure(keras):
    """Called on a symbolic tensor inside another graph: the same structure of tensors as Keras's, and the outer
    model computes what Keras's does."""
    def outer(lib, inner):
        z = lib.Input((3,))
        parts = inner(z)
        assert isinstance(parts, dict) and isinstance(parts["a"], tuple) and len(parts["a"]) == 2
        return lib.Model(z, lib.layers.Concatenate()([parts["a"][0], parts["a"][1], parts["b"]]))

    ours_inner, theirs_inner = _pair(keras)
    ours, theirs = outer(nnlite, ours_inner), outer(keras, theirs_inner)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=1e-6, atol=1e-7)


def test_a_subclass_returning_a_nested_structure_trains_as_keras(keras):
    """A subclass's call returning {"a": (y1, y2), "b": y3}: its outputs have no layer names, so Keras names a leaf
    reached by position after its loss (a/mse_loss); history and weights equal Keras's."""
    def make(lib):
        class Nested(lib.Model):
            def __init__(self):
                super().__init__()
                self.d1, self.d2, self.d3 = lib.layers.Dense(2), lib.layers.Dense(3), lib.layers.Dense(1)

            def call(self, x):
                return {"a": (self.d1(x), self.d2(x)), "b": self.d3(x)}

        model = Nested()
        model(X)
        return model

    ours, theirs = make(nnlite), make(keras)
    ours.set_weights(theirs.get_weights())
    for model, lib in ((ours, nnlite), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss={"a": ("mse", "mae"), "b": "mse"})
    got = ours.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    expected = theirs.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    assert sorted(got) == sorted(expected) == ["a/mae_loss", "a/mse_loss", "b_loss", "loss"]
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=2e-5, err_msg=name)



def _deep(lib):
    """Keras's test_deeply_nested_model: inputs and outputs both nested two levels."""
    i1, i2, i3 = lib.Input((1,), name="1"), lib.Input((2,), name="i2"), lib.Input((3,), name="i3")
    o1, o2, o3 = lib.layers.Dense(1, name="o1")(i1), lib.layers.Dense(2, name="o2")(i2), lib.layers.Dense(
        3, name="o3")(i3)
    return lib.Model({"1": i1, "others": {"2": i2, "3": i3}}, {"1": o1, "others": {"2": o2, "3": o3}})


DEEP_X = {"1": np.full((4, 1), 0.5), "others": {"2": np.linspace(0, 1, 8).reshape(4, 2),
                                                "3": np.linspace(1, 2, 12).reshape(4, 3)}}


def test_deeply_nested_inputs_and_outputs_as_keras(keras, tmp_path):
    """Called eagerly and on symbolic inputs of the same structure, fitted, saved and loaded both ways: the same
    structures and numbers as Keras's."""
    ours, theirs = _deep(nnlite), _deep(keras)
    ours.set_weights(theirs.get_weights())
    _same_structure(ours(DEEP_X), theirs(DEEP_X))
    symbolic = ours({"1": nnlite.Input((1,), batch_size=2), "others": {"2": nnlite.Input((2,), batch_size=2),
                                                                       "3": nnlite.Input((3,), batch_size=2)}})
    assert set(symbolic) == {"1", "others"} and set(symbolic["others"]) == {"2", "3"}
    assert symbolic["others"]["3"].shape == (2, 3)
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    _same_structure(keras.saving.load_model(tmp_path / "ours.keras")(DEEP_X), theirs(DEEP_X))
    _same_structure(nnlite.saving.load_model(tmp_path / "theirs.keras")(DEEP_X), ours(DEEP_X))
    for model in (ours, theirs):
        model.compile(optimizer="sgd", loss="mse")
    got = ours.fit(DEEP_X, DEEP_X, epochs=2, batch_size=2, shuffle=False, verbose=0).history
    expected = theirs.fit(DEEP_X, DEEP_X, epochs=2, batch_size=2, shuffle=False, verbose=0).history
    assert sorted(got) == sorted(expected) == ["1_loss", "loss", "others/2_loss", "others/3_loss"]
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=2e-5, err_msg=name)
    with pytest.raises(ValueError, match=r"`x` at /others must follow"):
        ours.predict({"1": DEEP_X["1"], "others": DEEP_X["others"]["2"]}, verbose=0)


@pytest.mark.parametrize("kind", [list, tuple, dict])
def test_a_restored_model_keeps_its_output_container(kind):
    """Keras's test_restored_multi_output_type: Model.from_config(get_config()) of a functional model gives the
    same container (a tuple stays a tuple) for an eager and a symbolic call, and predict."""
    inputs = nnlite.Input((3,), batch_size=2, name="input")
    h = nnlite.layers.Dense(5)(inputs)
    a, b = nnlite.layers.Dense(4)(h), nnlite.layers.Dense(5)(h)
    model = nnlite.Model(inputs, {"a": a, "b": b} if kind is dict else kind([a, b]))
    restored = nnlite.Model.from_config(model.get_config())
    assert type(restored).__name__ == "Functional"
    assert isinstance(restored(np.ones((2, 3))), kind)
    assert isinstance(restored(nnlite.Input((3,), batch_size=2)), kind)
    assert isinstance(model.predict(np.ones((2, 3)), verbose=0), kind)


def test_a_nested_input_list_survives_json():
    """Keras's test_restored_nested_input: Model([[x]], y) written to JSON and read back writes the same JSON."""
    x = nnlite.Input((3,), batch_size=2, name="input_a")
    model = nnlite.Model([[x]], nnlite.layers.Dense(4)(nnlite.layers.Dense(5)(x)))
    text = model.to_json()
    assert nnlite.models.model_from_json(text).to_json() == text
    assert '"input_layers": [[["input_a", 0, 0]]]' in text

"""clone_model as Keras's tests specify it: new layers by default, a clone_function (say, to rename or to keep the
layers), a call_function that adds layers, input_tensors, nested models with ``recursive``, shared layers kept
shared, structured inputs and outputs, and a compiled model's clone compiled alike; the clones compute what Keras's
clones compute from the same weights."""

from __future__ import annotations

import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close


def mlp(lib, shared=False):
    inputs = lib.Input((3,))
    x = lib.layers.Dense(2)(inputs)
    if shared:
        layer = lib.layers.Dense(2, name="shared")
        x = layer(layer(x))
    return lib.Model(inputs, lib.layers.Dense(2)(x))


def nested(lib):
    inputs = lib.Input((4,))
    x = mlp(lib)(lib.layers.Dense(3)(inputs))
    return lib.Model(inputs, lib.layers.Dense(2)(x))


def stack(lib, explicit_input=True):
    return lib.Sequential(([lib.Input((3,))] if explicit_input else []) + [lib.layers.Dense(2), lib.layers.Dense(2)])


@pytest.mark.parametrize("build, shape", [(mlp, (3,)), (lambda lib: mlp(lib, True), (3,)), (nested, (4,)),
                                          (stack, (3,)), (lambda lib: stack(lib, False), (3,))])
def test_a_clone_has_new_layers_and_computes_as_keras_clone_from_the_same_weights(keras, float64, rng, build, shape):
    """The clone's layers are new (same classes and configs, fresh weights, the same count as Keras's clone,
    a shared layer still shared); given the model's weights, it predicts what the model and Keras's clone predict."""
    x = rng.normal(size=(5, *shape))
    ours, theirs = build(nnlite), build(keras)
    ours(x)
    theirs(x)
    ours.set_weights(theirs.get_weights())
    clone, kclone = nnlite.models.clone_model(ours), keras.models.clone_model(theirs)
    clone(x)
    kclone(x)
    assert [type(la).__name__ for la in clone.layers] == [type(la).__name__ for la in kclone.layers]
    assert len(clone.weights) == len(kclone.weights) == len(ours.weights)
    assert not any(w is v for w in clone.weights for v in ours.weights)
    clone.set_weights(ours.get_weights())
    kclone.set_weights(theirs.get_weights())
    assert_close(clone.predict(x, verbose=0), kclone.predict(x, verbose=0), RTOL["float64"], "the clones")
    assert_close(clone.predict(x, verbose=0), ours.predict(x, verbose=0), RTOL["float64"], "clone and model")


def test_clone_function_and_call_function_as_in_keras(keras, float64, rng):
    """A clone_function that renames; ``lambda l: l`` with a call_function that adds a Dropout after each Dense (the
    same layers, so the same predictions outside training), also inside a nested model with ``recursive``."""
    def renamed(layer):
        config = layer.get_config()
        config["name"] = f"{config['name']}_custom"
        return type(layer).from_config(config)

    for model in (mlp(nnlite), stack(nnlite)):
        clone = nnlite.models.clone_model(model, clone_function=renamed)
        assert [la.name for la in clone.layers if not isinstance(la, nnlite.layers.InputLayer)] == [
            f"{la.name}_custom" for la in model.layers if not isinstance(la, nnlite.layers.InputLayer)]

    def with_dropout(lib):
        def call_function(layer, *args, **kwargs):
            out = layer(*args, **kwargs)
            return lib.layers.Dropout(0.5)(out) if isinstance(layer, lib.layers.Dense) else out
        return call_function

    model, kmodel = mlp(nnlite), mlp(keras)
    model.set_weights(kmodel.get_weights())
    clone = nnlite.models.clone_model(model, clone_function=lambda layer: layer, call_function=with_dropout(nnlite))
    kclone = keras.models.clone_model(kmodel, clone_function=lambda layer: layer, call_function=with_dropout(keras))
    assert [type(la).__name__ for la in clone.layers] == [type(la).__name__ for la in kclone.layers] == [
        "InputLayer", "Dense", "Dropout", "Dense", "Dropout"]
    assert clone.layers[1] is model.layers[1]
    x = rng.normal(size=(4, 3))
    assert_close(clone.predict(x, verbose=0), kclone.predict(x, verbose=0), RTOL["float64"], "call_function")
    outer = nested(nnlite)
    deep = nnlite.models.clone_model(outer, clone_function=lambda layer: layer, call_function=with_dropout(nnlite),
                                     recursive=True)
    assert [type(la).__name__ for la in deep.layers[3].layers] == [
        "InputLayer", "Dense", "Dropout", "Dense", "Dropout"]
    x4 = rng.normal(size=(2, 4))
    assert_close(deep.predict(x4, verbose=0), outer.predict(x4, verbose=0), RTOL["float64"], "recursive, same layers")

    def flagged(layer):
        layer = type(layer).from_config(layer.get_config())
        layer.flag = True
        return layer

    inner_stack = nnlite.Sequential([nnlite.layers.Dense(2), stack(nnlite, False), nnlite.layers.Dense(2)])
    for model in (nested(nnlite), inner_stack):
        clone = nnlite.models.clone_model(model, clone_function=flagged, recursive=True)
        inner = [la for la in clone.layers if isinstance(la, nnlite.Model)][0]
        assert all(getattr(la, "flag", False) for la in inner.layers if isinstance(la, nnlite.layers.Dense))
        assert not hasattr(model.layers[-1], "flag")


def test_input_tensors_structures_and_errors_as_in_keras(keras):
    """input_tensors of the model's structure (a dict here, with x + y in the graph) give the clone those inputs;
    another structure, a subclassed model with a clone_function, a call_function with a Sequential and unknown
    keywords are refused with Keras's words; a compiled model's clone is compiled alike."""
    x, y = nnlite.Input((3,), name="x"), nnlite.Input((3,), name="y")
    z1 = x + y
    model = nnlite.Model({"x": x, "y": y}, {"z1": z1, "z2": nnlite.layers.Dense(5)(z1)})
    clone = nnlite.models.clone_model(model)
    assert set(clone.input) == {"x", "y"} and set(clone.output) == {"z1", "z2"}
    given = {"x": nnlite.Input((3,), name="x"), "y": nnlite.Input((3,), name="y")}
    clone = nnlite.models.clone_model(model, input_tensors=given)
    assert clone.input["x"] is given["x"]
    with pytest.raises(ValueError, match="`input_tensors` must have the same structure as model.input"):
        nnlite.models.clone_model(model, input_tensors=(x, y))
    seq = stack(nnlite)
    clone = nnlite.models.clone_model(seq, input_tensors=nnlite.Input((3,)))
    assert clone.input_shape == (None, 3) and len(clone.layers) == 2
    with pytest.raises(ValueError, match="`call_function` argument is not supported with Sequential"):
        nnlite.models.clone_model(seq, call_function=lambda layer, *a: layer(*a))
    with pytest.raises(ValueError, match="Unexpected keyword argument"):
        nnlite.models.clone_model(seq, deep=True)

    class Sub(nnlite.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = nnlite.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    with pytest.raises(ValueError, match="only supported for Sequential models or Functional models"):
        nnlite.models.clone_model(Sub(), clone_function=lambda layer: layer)
    seq.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    clone = nnlite.models.clone_model(seq)
    kseq = stack(keras)
    kseq.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    assert clone.compiled == keras.models.clone_model(kseq).compiled is True
    assert clone.get_compile_config()["loss"] == "binary_crossentropy" and clone.optimizer is not seq.optimizer

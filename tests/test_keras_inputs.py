"""A model's inputs as Keras's functional tests check them: rank standardisation (an extra trailing axis of 1
squeezed, a missing one added), and the errors for a wrong shape, a wrong rank or a wrong number of inputs,
with Keras's words where its tests match them."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite


def one_input(lib, shape, name=None):
    inputs = lib.Input(shape=shape, name=name)
    return lib.Model(inputs, lib.layers.Dense(3)(inputs))


@pytest.mark.parametrize("declared, given", [((3,), (2, 3, 1)), ((3, 1), (2, 3)), ((1,), (4,))])
def test_inputs_are_rank_standardised_as_keras_does(keras, declared, given):
    x = np.random.default_rng(0).uniform(size=given)
    theirs, ours = one_input(keras, declared), one_input(nnlite, declared)
    ours.set_weights(theirs.get_weights())
    out_theirs, out_ours = np.asarray(theirs(x)), np.asarray(ours(x))
    assert out_ours.shape == out_theirs.shape
    np.testing.assert_allclose(out_ours, out_theirs, rtol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), out_theirs, rtol=1e-5)


def test_a_sequential_is_rank_standardised_too(keras):
    x = np.random.default_rng(0).uniform(size=(4,))
    for lib in (keras, nnlite):
        model = lib.Sequential([lib.Input((1,)), lib.layers.Dense(2)])
        assert tuple(np.asarray(model(x)).shape) == (4, 2)


def test_wrong_inputs_are_named_as_keras_names_them():
    model = one_input(nnlite, (3,), name="foo")
    with pytest.raises(ValueError, match="name 'foo' .* path ''"):
        model(np.zeros((2, 3, 4)))
    model = one_input(nnlite, (4,))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(2, 3\)"):
        model(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expects 1 .*input"):
        model([np.zeros((2, 4)), np.zeros((2, 4))])
    a, b = nnlite.Input((4,), name="a"), nnlite.Input((4,), name="b")
    out = nnlite.layers.Dense(2)(nnlite.layers.Add()([a, b]))
    listed, named = nnlite.Model([a, b], out), nnlite.Model({"a": a, "b": b}, out)
    with pytest.raises(ValueError, match=r"expects 2 .*input"):
        listed(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(2, 3\)"):
        listed([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"named input\(s\) with keys"):
        named(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"path 'b'"):
        named({"a": np.zeros((2, 4)), "b": np.zeros((2, 4, 3))})


def test_inputs_of_another_structure_warn_as_keras_and_are_used(keras):
    a = nnlite.Input((3,), name="a")
    model = nnlite.Model({"a": a}, nnlite.layers.Dense(2)(a))
    with pytest.warns(UserWarning, match="The structure of `inputs` doesn't match the expected structure"):
        out = model({"a": np.ones((2, 3)), "b": np.ones((2, 1))})
    np.testing.assert_array_equal(np.asarray(out), np.asarray(model(np.ones((2, 3)))))
    i1, i2 = nnlite.Input((2,), name="i1"), nnlite.Input((2,), name="i2")
    named = nnlite.Model({"i1": i1, "i2": i2}, nnlite.layers.Subtract()([i1, i2]))
    with pytest.warns(UserWarning, match="The structure of `inputs` doesn't match the expected structure"):
        out = named.predict([np.ones((2, 2)), np.zeros((2, 2))], verbose=0)
    np.testing.assert_array_equal(out, np.ones((2, 2)))


def test_dict_keys_that_differ_from_the_input_names_warn_as_keras(keras):
    for lib in (keras, nnlite):
        x = lib.Input((2,), name="first")
        with pytest.warns(UserWarning, match="all keys in the dict must match the names of the corresponding"):
            lib.Model({"other": x}, lib.layers.Dense(1)(x))



@pytest.mark.parametrize("kwargs", [{"shape": (2, 4)}, {"batch_shape": (2, 4)}, {"batch_size": 5},
                                    {"dtype": "float16"}, {"sparse": True}, {}])
def test_an_input_around_an_existing_tensor_as_keras(keras, kwargs):
    """InputLayer(input_tensor=t) / Input(tensor=t) as Keras's input_layer_test checks it (it was ignored): the
    tensor is the layer's output, its shape and dtype rule, and disagreeing arguments give Keras's error."""
    from nnlite.layers.node import KerasTensor

    theirs, ours = keras.KerasTensor(shape=(2, 3), dtype="float32"), KerasTensor((2, 3), "float32")
    if kwargs:
        with pytest.raises(ValueError) as keras_error:
            keras.layers.InputLayer(input_tensor=theirs, **kwargs)
        with pytest.raises(ValueError) as our_error:
            nnlite.layers.InputLayer(input_tensor=ours, **kwargs)
        assert str(our_error.value) == str(keras_error.value)
        return
    layer = nnlite.layers.InputLayer(input_tensor=ours)
    assert layer.output is ours and layer.batch_shape == (2, 3) and layer.dtype == "float32" and layer.trainable
    nnlite.layers.InputLayer(shape=(3,), batch_size=2, sparse=False, dtype="float32", input_tensor=KerasTensor(
        (2, 3), "float32"))  # agreeing arguments are fine
    x = nnlite.Input(tensor=KerasTensor((None, 3), "float32"))
    model = nnlite.Model(x, nnlite.layers.Dense(2)(x))
    assert model.predict(np.ones((4, 3)), verbose=0).shape == (4, 2)
    with pytest.raises(ValueError, match="Argument `input_tensor` must be a KerasTensor"):
        nnlite.Input((3,), tensor=np.zeros((2, 3)))


def optional_model(lib, named):
    """Keras's functional_test case: a layer adding its second input when one is given, then a Dense."""

    class OptionalInputLayer(lib.layers.Layer):
        def call(self, x, y=None):
            if y is not None:
                return x + y
            return x

    i1 = lib.Input((2,), name="input1")
    i2 = lib.Input((2,), name="input2", optional=True)
    out = lib.layers.Dense(1)(OptionalInputLayer()(i1, i2))
    return lib.Model({"input1": i1, "input2": i2} if named else [i1, i2], out)


@pytest.mark.filterwarnings("ignore:The structure of `inputs` doesn't match")  # a list for named inputs, both
@pytest.mark.parametrize("named", [False, True], ids=["list", "dict"])
def test_an_optional_input_takes_none_as_in_keras(keras, named):
    """Input(optional=True) given None: the layer receives None (Keras's functional tests, list and dict models,
    either structure passed); the outputs equal Keras's with the same weights, and with an array given the layer
    adds it."""
    x = np.random.default_rng(0).normal(size=(3, 2))
    theirs, ours = optional_model(keras, named), optional_model(nnlite, named)
    ours.set_weights(theirs.get_weights())
    for given in ([x, None], {"input1": x, "input2": None}, [x, 2 * x]):
        expected = np.asarray(theirs(given))
        np.testing.assert_allclose(np.asarray(ours(given)), expected, rtol=1e-6)
        np.testing.assert_allclose(ours.predict(given, verbose=0), expected, rtol=1e-6)


def test_none_for_a_required_input_is_refused_as_keras_refuses_it(keras):
    """Keras's words, in a call and in fit, before anything runs."""
    for lib in (keras, nnlite):
        i1, i2 = lib.Input((2,), name="input1"), lib.Input((2,), name="input2", optional=False)
        model = lib.Model({"input1": i1, "input2": i2}, lib.layers.Add()([i1, i2]))
        with pytest.raises(ValueError, match="The input 'input2' is not optional, but None was passed"):
            model({"input1": np.ones((2, 2)), "input2": None})
        x = lib.Input((3,), name="x")
        model = lib.Model(x, lib.layers.Dense(1)(x))
        model.compile(optimizer="sgd", loss="mse")
        weights = [w.copy() for w in model.get_weights()]
        with pytest.raises(ValueError, match="not optional"):
            model.fit([None], np.ones((4, 1)), epochs=1, verbose=0)
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))


def test_a_model_with_an_optional_input_trains_without_it(rng):
    """fit, evaluate and predict with None for the optional input: the Dense after the layer trains (its loss
    falls), the layer's input gradient stops at the None, and the same model trains with the input given."""
    x, y = rng.normal(size=(16, 2)), rng.normal(size=(16, 1))
    model = optional_model(nnlite, named=True)
    model.compile(nnlite.optimizers.SGD(0.1), "mse")
    history = model.fit({"input1": x, "input2": None}, y, epochs=3, batch_size=4, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert np.isfinite(model.evaluate({"input1": x, "input2": None}, y, verbose=0))
    assert model.predict({"input1": x, "input2": None}, verbose=0).shape == (16, 1)
    again = model.fit({"input1": x, "input2": x}, y, epochs=1, batch_size=4, verbose=0).history
    assert np.isfinite(again["loss"][0])

"""Smaller parts of the API Keras's tests use: dtype objects of other libraries, the activity penalty in
layer.losses after an eager call, Embedding.build() without a shape."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite


def test_dtypes_given_as_tensorflow_objects(keras, tf):
    assert nnlite.Input((2,), dtype=tf.int64).dtype == keras.Input((2,), dtype=tf.int64).dtype == "int64"
    assert nnlite.Input((1,), dtype=tf.string).dtype == keras.Input((1,), dtype=tf.string).dtype == "string"
    assert nnlite.layers.Dense(2, dtype=tf.float64).dtype == "float64"
    with pytest.raises(ValueError, match="float16, float32 or float64"):
        nnlite.layers.Dense(2, dtype=tf.int32)


@pytest.mark.parametrize("make", [lambda k: k.layers.ActivityRegularization(l1=0.1, l2=0.2),
                                  lambda k: k.layers.Dense(2, activity_regularizer=k.regularizers.L1L2(0.1, 0.2),
                                                           kernel_initializer="ones", activation="tanh")])
def test_an_eager_call_leaves_the_activity_penalty_in_layer_losses(keras, float64, make):
    for x in (np.array([[1.0, -2.0]]), np.array([[1.0, 1.0], [0.5, -3.0], [2.0, 0.0]])):
        values = []
        for lib in (keras, nnlite):
            layer = make(lib)
            layer(x)
            layer(x)  # the last call's penalty only
            values.append([float(np.asarray(v)) for v in layer.losses])
        np.testing.assert_allclose(values[1], values[0], rtol=1e-9)


def test_an_embedding_builds_without_a_shape(keras):
    for lib in (keras, nnlite):
        layer = lib.layers.Embedding(5, 2)
        layer.build()
        assert layer.built and tuple(layer.embeddings.shape) == (5, 2)
        assert tuple(np.asarray(layer(np.array([[1, 2, 3]]))).shape) == (1, 3, 2)


@pytest.mark.parametrize("args, kwargs", [((np.ones(2),), {}), ((np.ones(2, dtype="int32"),), {}), (([1, 2],), {}),
                                          ((3.0,), {}), ((True,), {}), (("zeros",), {"shape": (2, 3)}),
                                          (("ones",), {"shape": (2,), "dtype": "float64"}),
                                          ((np.ones(3),), {"trainable": False, "name": "w"})])
def test_a_variable_is_made_as_keras_makes_it(keras, args, kwargs):
    theirs, ours = keras.Variable(*args, **kwargs), nnlite.Variable(*args, **kwargs)
    assert str(np.dtype(ours.dtype)) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    assert ours.trainable == theirs.trainable
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs))
    if "name" in kwargs:
        assert ours.name == theirs.name == kwargs["name"]


def test_a_variable_from_an_initializer_needs_a_shape():
    with pytest.raises(ValueError, match="the `shape` argument should be specified"):
        nnlite.Variable("zeros")


def test_default_model_names_are_numbered_per_session_as_keras_numbers_them(keras):
    names = []
    for lib in (keras, nnlite):
        lib.utils.clear_session()

        class MyModel(lib.Model):
            def call(self, x):
                return x

        inputs = lib.Input((2,))
        made = [lib.Sequential(), lib.Sequential(name="mine"), lib.Sequential(), lib.Model(inputs, inputs),
                lib.Model(inputs, inputs), MyModel(), MyModel()]
        names.append([m.name for m in made])
        lib.utils.clear_session()
        names[-1].append(lib.Sequential().name)
    assert names[1] == names[0] == ["sequential", "mine", "sequential_1", "functional", "functional_1", "my_model",
                                    "my_model_1", "sequential"]

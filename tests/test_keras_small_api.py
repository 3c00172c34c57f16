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


def test_monitor_callback_and_add_variable_as_keras(keras):
    """Keras's MonitorCallback (in keras.src; nnlite.callbacks names it) is the base of the watching callbacks: its
    direction (monitor_op: ops.greater or ops.less, in mode "auto" from the model's metrics after a fit), baseline
    and min_delta as Keras's tests check them; EarlyStopping exposes the same monitor_op. Layer.add_variable is
    add_weight in Keras's argument order, and add_weight takes Keras's autocast/aggregation and refuses a name given
    by position."""
    x, y = np.random.default_rng(0).random((10, 5)), np.random.default_rng(1).random((10, 1))
    cases = [("max", "val_mse", "greater"), ("min", "val_loss", "less"), ("auto", "val_mse", "less"),
             ("auto", "loss", "less"), ("auto", "acc", "greater"), ("auto", "val_accuracy", "greater"),
             ("auto", "hinge", "less"), ("auto", "f1_score", "greater")]
    model = nnlite.Sequential([nnlite.Input((5,)), nnlite.layers.Dense(1, activation="relu")])
    model.compile(loss="mae", optimizer="adam",
                  metrics=["mse", "acc", "accuracy", "hinge", nnlite.metrics.F1Score(name="f1_score")])
    model.fit(x, y, batch_size=5, validation_data=(x, y), epochs=1, verbose=0)
    for mode, monitor, expected in cases:
        for make in (nnlite.callbacks.MonitorCallback, nnlite.callbacks.EarlyStopping):
            watch = make(monitor=monitor, mode=mode)
            watch.set_model(model)
            watch._set_monitor_op()
            assert watch.monitor_op is getattr(nnlite.ops, expected), (monitor, mode)
    for lib in (keras, nnlite):  # a quantity no metric names, in mode "auto": refused at the first epoch's end
        for make in (lib.callbacks.EarlyStopping, lib.callbacks.ReduceLROnPlateau):
            with pytest.raises(ValueError, match="isn't able to automatically determine whether that metric"):
                lib_model = model if lib is nnlite else keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
                if lib is keras:
                    lib_model.compile(loss="mae", optimizer="adam")
                lib_model.fit(x, y, epochs=1, verbose=0, callbacks=[make(monitor="unknown")])
    watch = nnlite.callbacks.MonitorCallback("val_loss", mode="min", baseline=0.5, min_delta=0.1)
    from keras.src.callbacks.monitor_callback import MonitorCallback  # Keras keeps it out of its public names

    theirs = MonitorCallback("val_loss", mode="min", baseline=0.5, min_delta=0.1)
    theirs._set_monitor_op()
    watch._set_monitor_op()
    assert watch.best == theirs.best == 0.5
    for value, reference in ((0.45, 0.5), (0.35, 0.5), (0.6, None)):
        assert watch._is_improvement(value, reference) == bool(theirs._is_improvement(value, reference))
    layer = nnlite.layers.Dense(2, name="d")
    assert layer.add_variable((2, 3), "ones", name="extra").path == "d/extra"
    assert layer.add_weight(shape=(2,), initializer="zeros", autocast=False, aggregation="mean").shape == (2,)
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="`name` must be passed as a keyword argument"):
            lib.layers.Dense(2).add_weight("w")


def test_add_weight_defaults_as_keras(keras):
    """add_weight() with no arguments is a float scalar drawn by glorot_uniform; an int or bool weight starts at zero
    (Keras's default initializer for them), whatever its shape."""
    for lib in (keras, nnlite):
        class Holder(lib.layers.Layer):
            def __init__(self):
                super().__init__()
                self.w1 = self.add_weight()
                self.w2 = self.add_weight(dtype="int32", trainable=False)
                self.w3 = self.add_weight(dtype="bool", trainable=False)
                self.w4 = self.add_weight(dtype="int32", shape=(2, 2), trainable=False)
                self.w5 = self.add_weight(initializer="ones", shape=(2, 2))

        layer = Holder()
        assert (tuple(layer.w1.shape), str(layer.w1.dtype)) == ((), "float32")
        assert np.asarray(layer.w2).dtype == np.int32 and np.asarray(layer.w2) == 0
        assert np.asarray(layer.w3).dtype == np.bool_ and not np.asarray(layer.w3)
        assert np.array_equal(np.asarray(layer.w4), np.zeros((2, 2), np.int32))
        assert np.array_equal(np.asarray(layer.w5), np.ones((2, 2)))


@pytest.mark.filterwarnings("ignore:`build\\(\\)` was called on layer")  # Keras's note on a build without a build()
def test_the_bare_layer_and_build_none_as_keras(keras):
    """The bare Layer has no call and no compute_output_shape (Keras's NotImplementedError words); build(None) builds
    a layer of your own whose weights are made in __init__, sublayers' weights with their paths."""
    for lib in (keras, nnlite):
        layer = lib.layers.Layer()
        layer.built = True
        for method in ("call", "compute_output_shape"):
            with pytest.raises(NotImplementedError, match=f"does not have a `{method}` method implemented"):
                getattr(layer, method)(None)

        class InnerInnerLayer(lib.layers.Layer):
            def __init__(self):
                super().__init__()
                self.var = self.add_weight(shape=(1,), name="inner")

        class InnerLayer(InnerInnerLayer):
            def __init__(self):
                super().__init__()
                self.inner = InnerInnerLayer()

        class Outer(lib.layers.Layer):
            def __init__(self):
                super().__init__()
                self.inner = InnerLayer()

        outer = Outer()
        outer.build(None)
        assert outer.built and {v.path for v in outer.variables} == {"inner_layer/inner", "inner_inner_layer/inner"}


def test_a_constant_passed_by_position_in_a_graph_is_refused_with_keras_words(keras):
    for lib in (keras, nnlite):
        class Shift(lib.layers.Layer):
            def call(self, x, flag):
                return x if flag else x + 1

        with pytest.raises(ValueError, match="Only input tensors may be passed as positional arguments"):
            Shift()(lib.Input((3,)), True)

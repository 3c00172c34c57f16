"""Methods and attributes Keras's own tests use that nnlite lacked: the model's state tree, metrics_variables,
Sequential's functional view (inputs, outputs), the metrics' stateless API and their constraint attributes,
Optimizer.scale_loss. Each against Keras run beside it."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

X = np.random.default_rng(0).uniform(size=(8, 3))
Y = np.random.default_rng(1).uniform(size=(8, 1))


def fitted(lib):
    inputs = lib.Input((3,))
    model = lib.Model(inputs, lib.layers.Dense(1, name="output_a")(lib.layers.Dense(2, name="hidden")(inputs)))
    # named: Keras numbers default optimizer names per session (adam_1, ...), and the paths hold the name
    model.compile(loss="mse", optimizer=lib.optimizers.Adam(name="adam"), metrics=["mae"])
    return model


def leaves(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        out.update(leaves(value, f"{prefix}{key}/") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return out


def test_the_state_tree_has_keras_paths_and_values(keras, float64):
    theirs, ours = fitted(keras), fitted(nnlite)
    ours.set_weights(theirs.get_weights())
    for model in (theirs, ours):
        model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    tree_theirs = leaves(theirs.get_state_tree(value_format="numpy_array"))
    tree_ours = leaves(ours.get_state_tree(value_format="numpy_array"))
    keras_names = {k for k in tree_theirs if not k.startswith("metrics_variables/")}
    assert {k for k in tree_ours if not k.startswith("metrics_variables/")} == keras_names
    for path in keras_names:
        np.testing.assert_allclose(tree_ours[path], tree_theirs[path], rtol=1e-9, err_msg=path)
    assert {"metrics_variables/loss/total", "metrics_variables/loss/count"} <= set(tree_ours)
    assert [v.path for v in ours.metrics_variables][:2] == ["loss/total", "loss/count"]
    with pytest.raises(ValueError, match="Invalid `value_format`"):
        ours.get_state_tree(value_format="list")


def test_set_state_tree_assigns_what_it_is_given_and_refuses_the_unknown(keras):
    model = fitted(nnlite)
    model.fit(X, Y, epochs=1, verbose=0)
    tree = model.get_state_tree()
    kernel = np.full((2, 1), 0.25)
    model.set_state_tree({"trainable_variables": {"output_a": {"kernel": kernel}}})
    np.testing.assert_array_equal(model.get_layer("output_a").kernel.numpy(), kernel)
    before = model.get_weights()
    with pytest.raises(ValueError, match="'output_b/kernel', which the model does not have"):
        model.set_state_tree({"trainable_variables": {"hidden": {"kernel": np.zeros((3, 2))},
                                                      "output_b": {"kernel": kernel}}})
    with pytest.raises(ValueError, match=r"has shape \(3, 3\); the variable has shape \(3, 2\)"):
        model.set_state_tree({"trainable_variables": {"hidden": {"kernel": np.zeros((3, 3))}}})
    with pytest.raises(ValueError, match="Unknown variable name: weights"):
        model.set_state_tree({"weights": {}})
    for now, then in zip(model.get_weights(), before):  # nothing changed by a refused tree
        np.testing.assert_array_equal(now, then)
    model.set_state_tree(tree)
    assert int(model.optimizer.iterations) == int(tree["optimizer_variables"]["adam"]["iteration"])


def test_a_sequential_has_keras_functional_view(keras):
    for lib in (keras, nnlite):
        model = lib.Sequential(name="seq")
        assert not any(hasattr(model, a) for a in ("inputs", "outputs", "input_shape", "output_shape"))
        deferred = lib.Sequential([lib.layers.Dense(2)])
        with pytest.raises(AttributeError, match="has no defined input shape yet"):
            deferred.input_shape  # noqa: B018 (the property is the test)
        with pytest.raises(AttributeError, match="has no defined output shape yet"):
            deferred.output_shape  # noqa: B018
        deferred(np.zeros((1, 3)))
        assert deferred.input_shape[1:] == (3,) and deferred.output_shape[1:] == (2,)  # Keras keeps the batch's 1
        inputs = lib.Input(shape=(2,))
        model.add(inputs)
        model.add(lib.layers.Dense(4))
        assert model.inputs == [inputs]
        assert model.outputs == [model.layers[-1].output] and tuple(model.outputs[0].shape) == (None, 4)
        assert model.input_shape == (None, 2) and model.output_shape == (None, 4)
        grown = lib.Model(model.inputs, lib.layers.Dense(1)(model.outputs[0]))
        assert tuple(grown.output_shape) == (None, 1)


def test_the_stateless_metric_api_leaves_the_metric_as_it_was(keras):
    y, p = np.array([[0.0], [1.0], [1.0]]), np.array([[0.2], [0.7], [0.4]])
    for lib in (keras, nnlite):
        metric = lib.metrics.MeanSquaredError()
        metric.update_state([[1.0]], [[0.0]])
        own = [np.array(v.numpy()) for v in metric.variables]
        state = metric.stateless_reset_state()
        state = metric.stateless_update_state(state, y, p)
        value = float(metric.stateless_result(state))
        np.testing.assert_allclose(value, np.mean((y - p) ** 2), rtol=1e-6)
        for v, o in zip(metric.variables, own):
            np.testing.assert_array_equal(np.array(v.numpy()), o)
        with pytest.raises(ValueError, match="corresponding 1:1"):
            metric.stateless_result(state[:1])


@pytest.mark.parametrize("name, attribute", [("PrecisionAtRecall", "recall"), ("RecallAtPrecision", "precision"),
                                             ("SensitivityAtSpecificity", "specificity"),
                                             ("SpecificityAtSensitivity", "sensitivity")])
def test_constraint_metrics_expose_their_constraint(keras, name, attribute):
    theirs, ours = getattr(keras.metrics, name)(0.7), getattr(nnlite.metrics, name)(0.7)
    assert getattr(ours, attribute) == getattr(theirs, attribute) == 0.7
    with pytest.raises(AttributeError):
        ours.no_such_attribute  # noqa: B018


def test_scale_loss_as_keras(keras):
    for factor in (None, 4.0):
        ours = nnlite.optimizers.SGD(loss_scale_factor=factor).scale_loss(3.0)
        theirs = keras.optimizers.SGD(loss_scale_factor=factor).scale_loss(3.0)
        assert float(ours) == float(theirs)


def test_evaluate_refuses_arguments_it_does_not_know():
    """Keras's words for an unknown keyword (nnlite took and ignored it, so a misspelt sample_weight was lost)."""
    model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="Arguments not recognized: {'sample_weights'"):
        model.evaluate(np.ones((2, 2)), np.ones((2, 1)), sample_weights=np.ones(2), verbose=0)


def test_automatic_layer_names_count_over_the_session_as_keras(keras):
    """Default names are numbered across the session (dense, dense_1, ... until clear_session), so two models'
    layers and a two-output model's log names are Keras's."""
    def names(lib):
        if lib is keras:
            keras.backend.clear_session()
        else:
            nnlite.config.clear_session()
        first = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4), lib.layers.Dense(2)])
        x = lib.Input((3,))
        second = lib.Model(x, [lib.layers.Dense(2)(x), lib.layers.Dense(1)(x)])
        second.compile(optimizer="sgd", loss=["mse", "mse"])
        logs = second.fit(np.ones((4, 3)), [np.ones((4, 2)), np.ones((4, 1))], verbose=0).history
        return [layer.name for layer in first.layers], [layer.name for layer in second.layers], sorted(logs)
    assert names(nnlite) == names(keras)
    nnlite.config.clear_session()
    assert nnlite.layers.Dense(1).name == "dense"


def test_a_sequential_takes_the_functional_names_keras_takes(keras):
    """Keras's Sequential makes a functional graph when built (with an Input, on add, on build), which uses a
    default name: the Models made in between are numbered as in Keras."""
    def names(lib):
        def next_model():
            x = lib.Input((3,))
            return lib.Model(x, lib.layers.Dense(1)(x)).name
        (keras.backend.clear_session if lib is keras else nnlite.config.clear_session)()
        seen = []
        first = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        seen.append(next_model())
        first.add(lib.layers.Dense(2))
        seen.append(next_model())
        second = lib.Sequential([lib.layers.Dense(1)])
        seen.append(next_model())
        second.build((None, 3))
        seen.append(next_model())
        first.compile(loss="mse")
        first.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
        first.predict(np.ones((2, 3)), verbose=0)
        seen.append(next_model())
        return seen
    assert names(nnlite) == names(keras)


def test_sequential_and_model_refusals_as_keras(keras):
    """Keras's sequential_test and model_test: a second Input, building for another input shape and an empty
    Sequential are refused in Keras's words; `layers` cannot be assigned (Sequential, Functional, Model); Model()
    alone is an empty model whose call is not implemented."""
    def message(lib, action):
        with pytest.raises((ValueError, AttributeError, NotImplementedError)) as caught:
            action(lib)
        return type(caught.value), str(caught.value)

    def second_input(lib):
        model = lib.Sequential(name="s")
        model.add(lib.Input(shape=(2,), batch_size=3))
        model.add(lib.Input(shape=(2,), batch_size=3))

    def other_shape(lib):
        model = lib.Sequential(name="s")
        model.add(lib.Input(shape=(2,), batch_size=3))
        model.add(lib.layers.Dense(2))
        model.build((3, 4))

    def empty(lib):
        lib.Sequential(name="s")(np.ones((3, 2)))

    def assign_sequential(lib):
        lib.Sequential().layers = [lib.layers.Dense(4)]

    def assign_functional(lib):
        x = lib.Input((3,))
        lib.Model(x, lib.layers.Dense(5)(x)).layers = [lib.layers.Dense(4)]

    def assign_model(lib):
        lib.Model().layers = []

    for action in (second_input, other_shape, empty, assign_sequential, assign_functional, assign_model):
        assert message(nnlite, action) == message(keras, action), action.__name__
    with pytest.raises(NotImplementedError):
        keras.Model()(np.ones((2, 3)))
    with pytest.raises(NotImplementedError, match="does not have a `call\\(\\)` method"):
        nnlite.Model()(np.ones((2, 3)))


def test_sequential_edge_layers_as_keras(keras):
    """Keras's sequential_test: a Sequential holding only an Input nests inside another (an identity, here also
    as a layer of a graph); a layer whose compute_output_spec raises NotImplementedError is run on data to find its
    output shape (values and a fit equal Keras's from the same weights); a layer whose call requires a second positional
    argument is refused at build, and a non-layer at add, in Keras's words."""
    def messages(build):
        found = []
        for lib in (nnlite, keras):
            with pytest.raises(ValueError) as caught:
                build(lib)
            found.append(str(caught.value))
        return found

    for lib in (nnlite, keras):
        inner = lib.Sequential()
        inner.add(lib.Input(shape=(16,)))
        assert len(lib.Sequential([inner]).layers) == 1
    inner = nnlite.Sequential([nnlite.Input((3,))])
    x = nnlite.Input((3,))
    model = nnlite.Model(x, nnlite.layers.Dense(2, kernel_initializer="ones")(inner(x)))
    np.testing.assert_allclose(model.predict(np.full((2, 3), 0.5), verbose=0), np.full((2, 2), 1.5))

    def plus_one_model(lib):
        class Unshaped(lib.layers.Layer):
            def call(self, inputs):
                return inputs + 1.0

            def compute_output_spec(self, *args, **kwargs):
                raise NotImplementedError

        return lib.Sequential([Unshaped(), lib.layers.Dense(3)])

    ours, theirs = plus_one_model(nnlite), plus_one_model(keras)
    batch = np.arange(8, dtype="float32").reshape(4, 2) / 8
    theirs(batch)
    ours(batch)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(batch), theirs(batch), rtol=1e-6)
    ours.compile(optimizer="sgd", loss="mse")
    theirs.compile(optimizer="sgd", loss="mse")
    y = np.ones((4, 3), "float32")
    ours.fit(batch, y, epochs=2, verbose=0, shuffle=False)
    theirs.fit(batch, y, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5)

    def needs_training(lib):
        class Bad(lib.layers.Layer):
            def call(self, inputs, training):
                return inputs

        model = lib.Sequential(name="seq")
        model.add(Bad())
        model.build((None, 2))

    ours_text, theirs_text = messages(needs_training)
    assert ours_text == theirs_text and "training" in ours_text
    ours_text, theirs_text = messages(lambda lib: lib.Sequential(name="seq").add({}))
    assert ours_text == theirs_text

"""Lambda against Keras: a function of ops (a Python lambda and a named op) trained as Keras trains it, the
config, Keras's file of an op loaded here, a Python lambda's bytecode refused (nnlite never runs code from a file),
a registered function round-tripped, masks and the training flag handed over."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .helpers import fit_both


def _model(lib, function):
    inputs = lib.Input((4,))
    h = lib.layers.Lambda(function)(lib.layers.Dense(5)(inputs))
    return lib.Model(inputs, lib.layers.Dense(1)(h))


@pytest.mark.parametrize("kind", ["python lambda", "an op"])
def test_a_lambda_trains_as_keras_trains_it(keras, float64, rng, kind):
    if kind == "python lambda":
        theirs = _model(keras, lambda t: keras.ops.tanh(t) * 2.0)
        ours = _model(nnlite, lambda t: nnlite.ops.tanh(t) * 2.0)
    else:
        theirs, ours = _model(keras, keras.ops.square), _model(nnlite, nnlite.ops.square)
    fit_both(keras, theirs, ours, rng.normal(size=(32, 4)), rng.normal(size=(32, 1)), ("Adam", 0.01), "mse", 8)


def test_files_keep_functions_by_name_and_refuse_bytecode(keras, rng, tmp_path):
    x = rng.normal(size=(6, 4)).astype("float32")
    theirs = _model(keras, keras.ops.square)
    theirs.save(tmp_path / "op.keras")
    loaded = nnlite.saving.load_model(tmp_path / "op.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5)
    _model(keras, lambda t: t * 2.0).save(tmp_path / "lambda.keras")
    with pytest.raises(nnlite.saving.LoadError, match="never runs code from a file"):
        nnlite.saving.load_model(tmp_path / "lambda.keras")

    @nnlite.saving.register_keras_serializable(package="tests")
    def halve(t):
        return t * 0.5
    ours = _model(nnlite, halve)
    ours.save(tmp_path / "registered.keras")
    again = nnlite.saving.load_model(tmp_path / "registered.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-6)
    assert again.layers[2].function is halve


def test_config_mask_and_training_as_keras(keras):
    ours = nnlite.layers.Lambda(nnlite.ops.square, output_shape=(3,), arguments={})
    theirs = keras.layers.Lambda(keras.ops.square, output_shape=(3,), arguments={})
    assert sorted(ours.get_config()) == sorted(theirs.get_config())
    assert ours.get_config()["function"] == theirs.get_config()["function"]
    masked = nnlite.layers.Lambda(lambda t: t, mask=lambda inputs, mask: np.asarray(inputs)[:, :, 0] > 0)
    assert masked.supports_masking
    assert masked.compute_mask(np.array([[[1.0], [-1.0]]])).tolist() == [[True, False]]
    scaled = nnlite.layers.Lambda(lambda t, training=None: t * (3.0 if training else 1.0))
    assert np.asarray(scaled(np.ones((1, 2)), training=True)).tolist() == [[3.0, 3.0]]
    assert np.asarray(scaled(np.ones((1, 2)))).tolist() == [[1.0, 1.0]]
    with pytest.raises(TypeError, match="Lambda takes a function"):
        nnlite.layers.Lambda(3)


def test_from_config_takes_keras_arguments_and_still_refuses_bytecode(keras):
    """Lambda.from_config(config, custom_objects=..., safe_mode=False) as Keras's signature has it: a named function
    is found through custom_objects; a lambda's bytecode is refused even with safe_mode=False (which Keras obeys)."""
    def squared(x):
        return x ** 2

    config = nnlite.layers.Lambda(squared).get_config()
    layer = nnlite.layers.Lambda.from_config(config, custom_objects={"squared": squared}, safe_mode=False)
    assert np.array_equal(layer(np.full((2, 3), 2.0)), np.full((2, 3), 4.0))
    config = nnlite.layers.Lambda(lambda x: x ** 2).get_config()
    assert np.array_equal(keras.layers.Lambda.from_config(dict(config), safe_mode=False)(np.full((1, 2), 2.0)),
                          np.full((1, 2), 4.0))  # the same config Keras would run
    with pytest.raises(ValueError, match="Lambda's function is a Python lambda stored as bytecode"):
        nnlite.layers.Lambda.from_config(config, safe_mode=False)


def test_a_symbolic_call_keeps_the_batch_size_it_is_given_as_keras(keras):
    """Keras's lambda_layer_test: a Lambda (or a layer of one's own) called on a tensor of batch 2 gives batch 2;
    an input with no batch size gives None."""
    def shapes(lib, batch):
        x = lib.Input(batch_shape=(batch, 3))

        class Pair(lib.layers.Layer):
            def call(self, x):
                return [lib.ops.square(x), x[:, :1]]

        stacked = lib.layers.Lambda(lambda t: lib.ops.concatenate([t, t], axis=1), output_shape=(6,))(x)
        return [tuple(lib.layers.Lambda(lib.ops.square)(x).shape), tuple(stacked.shape),
                *[tuple(t.shape) for t in Pair()(x)]]

    for batch in (2, None):
        assert shapes(nnlite, batch) == shapes(keras, batch)
    assert shapes(nnlite, 2)[0] == (2, 3)

"""The random state a layer holds, as Keras's layers hold it: a ``SeedGenerator`` whose state [seed, counter] is a
non-trainable variable (in ``variables``, not in ``weights``), moved on by each draw; initializers seeded by one.

The draws themselves are NumPy's, never TensorFlow's numbers, so Keras is compared on what is observable apart from
them: which layers hold a generator, where its state sits among the variables, how the counter moves, the configs.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import nnlite
from nnlite import layers

# (layer factory, input shape): each built on the shape, in both libraries
LAYERS = {
    "dropout": (lambda lib: lib.layers.Dropout(0.5, seed=3), (2, 4)),
    "dropout_rate_0": (lambda lib: lib.layers.Dropout(0.0), (2, 4)),
    "gaussian_noise": (lambda lib: lib.layers.GaussianNoise(0.1, seed=3), (2, 4)),
    "gaussian_noise_0": (lambda lib: lib.layers.GaussianNoise(0.0), (2, 4)),
    "gaussian_dropout": (lambda lib: lib.layers.GaussianDropout(0.2), (2, 4)),
    "alpha_dropout": (lambda lib: lib.layers.AlphaDropout(0.1), (2, 4)),
    "spatial_dropout": (lambda lib: lib.layers.SpatialDropout1D(0.2), (2, 3, 4)),
    "simple_rnn": (lambda lib: lib.layers.SimpleRNN(2), (2, 3, 4)),
    "lstm_dropout": (lambda lib: lib.layers.LSTM(2, dropout=0.2, recurrent_dropout=0.1, seed=1), (2, 3, 4)),
    "gru": (lambda lib: lib.layers.GRU(2), (2, 3, 4)),
    "stacked_cells": (lambda lib: lib.layers.RNN([lib.layers.LSTMCell(2), lib.layers.GRUCell(3)]), (2, 3, 4)),
    "bidirectional": (lambda lib: lib.layers.Bidirectional(lib.layers.GRU(2)), (2, 3, 4)),
    "attention_dropout": (lambda lib: lib.layers.Attention(dropout=0.1), [[(2, 3, 4), (2, 5, 4)]]),
    "attention": (lambda lib: lib.layers.Attention(), [[(2, 3, 4), (2, 5, 4)]]),
    "additive_attention": (lambda lib: lib.layers.AdditiveAttention(dropout=0.3), [[(2, 3, 4), (2, 5, 4)]]),
    "multi_head": (lambda lib: lib.layers.MultiHeadAttention(2, 3, dropout=0.1), [(2, 3, 4), (2, 5, 4)]),
    "multi_head_no_dropout": (lambda lib: lib.layers.MultiHeadAttention(2, 3), [(2, 3, 4), (2, 5, 4)]),
    "grouped_query": (lambda lib: lib.layers.GroupQueryAttention(4, 2, 2, dropout=0.1), [(2, 3, 4), (2, 5, 4)]),
    "dense": (lambda lib: lib.layers.Dense(3), (2, 4)),
}


def _built(lib, name):
    make, shape = LAYERS[name]
    layer = make(lib)
    if isinstance(shape, list):
        layer.build(*shape)
    else:
        layer.build(shape)
    return layer


def _is_seed_state(v):
    return v.name == "seed_generator_state"


def _layout(layer):
    """What a layer's variables are, seed states marked, without the numbers the global counters give names."""
    return {"variables": ["seed" if _is_seed_state(v) else "weight" for v in layer.variables],
            "non_trainable_variables": ["seed" if _is_seed_state(v) else "weight"
                                        for v in layer.non_trainable_variables],
            "weights": len(layer.weights), "trainable": len(layer.trainable_variables)}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_hold_seed_generators_where_keras_layers_do(keras, name):
    theirs, ours = _built(keras, name), _built(nnlite, name)
    assert _layout(ours) == _layout(theirs)
    assert all(not _is_seed_state(w) for w in ours.weights)  # weights never include the random state


def test_a_model_lists_each_seed_state_among_its_variables_in_keras_order(keras):
    def model(lib):
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(2), lib.layers.Dropout(0.3, seed=1),
                               lib.layers.Dense(4),
                               lib.layers.Reshape((2, 2)), lib.layers.SimpleRNN(1)])

    theirs, ours = model(keras), model(nnlite)
    assert _layout(ours) == _layout(theirs)
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights) == 0
    ours.compile("sgd", "mse")
    tree = ours.get_state_tree()["non_trainable_variables"]
    states = [re.sub(r"_\d+$", "", name) for name in tree]
    assert states == ["seed_generator", "seed_generator"]
    assert all(list(entry) == ["seed_generator_state"] for entry in tree.values())


def test_each_draw_moves_the_counter_on_as_keras(keras):
    x = np.ones((4, 6), np.float32)
    seen = []
    for lib in (keras, nnlite):
        drop = lib.layers.Dropout(0.5, seed=7)
        before = np.array(drop.seed_generator.state.numpy())
        drop(x, training=True)
        drop(x, training=True)
        drop(x, training=False)  # inference draws nothing
        seen.append((before, np.array(drop.seed_generator.state.numpy())))
    np.testing.assert_array_equal(seen[1][0], seen[0][0])
    np.testing.assert_array_equal(seen[1][1], seen[0][1])
    assert seen[1][1].tolist() == [7, 2]


def test_masks_repeat_from_a_seed_and_differ_from_call_to_call():
    x = np.ones((8, 16), np.float32)
    a, b = layers.Dropout(0.5, seed=11), layers.Dropout(0.5, seed=11)
    first = np.asarray(a(x, training=True))
    np.testing.assert_array_equal(first, np.asarray(b(x, training=True)))
    assert not np.array_equal(first, np.asarray(a(x, training=True)))
    assert set(np.unique(first).tolist()) == {0.0, 2.0}  # a mask of 0 and 1 / (1 - rate)


def test_unseeded_layers_are_reproducible_after_set_random_seed():
    x = np.ones((8, 16), np.float32)
    draws = []
    for _ in range(2):
        nnlite.utils.set_random_seed(5)
        noise = layers.GaussianNoise(1.0)
        draws.append(np.asarray(noise(x, training=True)))
    nnlite.config.set_rng(None)
    np.testing.assert_array_equal(draws[0], draws[1])
    assert draws[0].std() > 0.5


def test_a_generator_given_as_seed_is_drawn_from_and_holds_no_state():
    drop = layers.Dropout(0.5, seed=np.random.default_rng(0))
    assert drop.variables == [] and drop.get_config()["seed"] is None
    expected = np.random.default_rng(0).random((2, 3)) >= 0.5
    np.testing.assert_array_equal(np.asarray(drop(np.ones((2, 3)), training=True)) > 0, expected)


def test_a_recurrent_layer_with_dropout_trains_from_its_seed_generator(rng):
    x, y = rng.normal(size=(16, 5, 3)), rng.normal(size=(16, 2))

    def fitted():
        gru = layers.GRU(2, dropout=0.3, recurrent_dropout=0.2, seed=4, kernel_initializer="ones",
                         recurrent_initializer="ones")
        model = nnlite.Sequential([nnlite.Input((5, 3)), gru])
        model.compile(nnlite.optimizers.SGD(0.1), "mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        return model

    a, b = fitted(), fitted()
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    state = a.layers[0].seed_generator.state.numpy()
    assert state.tolist() == [4, 8]  # two draws (inputs, recurrent state) for each of four steps


@pytest.mark.parametrize("cls", ["RandomNormal", "RandomUniform", "TruncatedNormal", "GlorotUniform", "Orthogonal",
                                 "VarianceScaling"])
def test_an_initializer_seeded_by_a_seed_generator_as_keras(keras, cls):
    configs = []
    for lib in (keras, nnlite):
        init = getattr(lib.initializers, cls)(seed=lib.random.SeedGenerator(3, name="init_seed"))
        configs.append(init.get_config())
    assert configs[1] == configs[0]
    ours = getattr(nnlite.initializers, cls).from_config(configs[0])
    first, second = ours((4, 4)), ours((4, 4))
    assert not np.array_equal(first, second)  # the counter moved on: new values each call
    again = getattr(nnlite.initializers, cls).from_config(configs[0])
    np.testing.assert_array_equal(again((4, 4)), first)  # and the same sequence from the same seed
    assert ours.seed.state.numpy().tolist() == [3, 2]


def test_an_initializer_refuses_a_seed_of_another_kind(keras):
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="`seed` argument should be an instance of `keras.random.SeedGenerator"):
            lib.initializers.RandomNormal(seed="seven")

"""``layer(x, mask=m)`` on values, as Keras takes it: the layers whose Keras ``call`` has a ``mask`` (global average
pooling, batch normalization, attention, the wrappers, the recurrent layers) use it; the others refuse it. Outputs
and, under a GradientTape, gradients equal TensorFlow's from the same weights."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close


def _layers(lib):
    L = lib.layers
    return {
        "GlobalAveragePooling1D": L.GlobalAveragePooling1D(),
        "BatchNormalization": L.BatchNormalization(),
        "TimeDistributed": L.TimeDistributed(L.Dense(2, kernel_initializer="glorot_uniform")),
        "Bidirectional": L.Bidirectional(L.LSTM(2)),
        "GRU": L.GRU(3, return_sequences=True),
        "Attention": L.Attention(),
    }


@pytest.mark.parametrize("name", list(_layers(nnlite)))
def test_an_explicit_mask_gives_keras_outputs_and_gradients(keras, tf, float64, rng, name):
    """The same layer, weights and mask (a sample with its last steps masked, one with a step masked inside, one
    fully kept) in both: equal outputs (training, so BatchNormalization takes the masked moments), and the
    gradient of a weighted sum of the output with respect to the input equal to TensorFlow's."""
    ours, theirs = _layers(nnlite)[name], _layers(keras)[name]
    x = rng.normal(size=(3, 5, 4))
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1], [1, 1, 1, 1, 1]], dtype=bool)
    inputs, masks = ([x, x[:, :4]], [mask, mask[:, :4]]) if name == "Attention" else (x, mask)
    theirs(inputs, mask=masks, training=True)
    ours(inputs, mask=masks, training=False)  # built
    ours.set_weights(theirs.get_weights())
    expected = np.asarray(theirs(inputs, mask=masks, training=True))
    assert_close(ours(inputs, mask=masks, training=True), expected, RTOL["float64"], name)
    seed = rng.normal(size=expected.shape)
    tx = tf.Variable(x)
    with tf.GradientTape() as tape:
        tloss = tf.reduce_sum(theirs([tx, tx[:, :4]] if name == "Attention" else tx, mask=masks, training=True)
                              * seed)
    wx = nnlite.Variable(x)
    with nnlite.GradientTape() as ours_tape:
        loss = nnlite.ops.sum(ours([wx, wx[:, :4]] if name == "Attention" else wx, mask=masks, training=True) * seed)
    assert_close(ours_tape.gradient(loss, wx), tape.gradient(tloss, tx).numpy(), RTOL["float64"], f"{name} grad_x")


def test_layers_that_take_no_mask_refuse_it_as_keras(keras):
    x, mask = np.ones((2, 3, 4)), np.ones((2, 3), dtype=bool)
    for lib in (keras, nnlite):
        for layer in (lib.layers.Dense(2), lib.layers.GlobalMaxPooling1D(), lib.layers.Flatten()):
            with pytest.raises(TypeError, match="mask"):
                layer(x, mask=mask)


def test_global_average_pooling_takes_its_mask_by_position_as_keras(keras, rng):
    """GlobalAveragePooling1D's Keras call is call(inputs, mask=None): layer(x, mask) averages the kept steps."""
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], dtype=bool)
    expected = np.asarray(keras.layers.GlobalAveragePooling1D()(x, mask))
    assert_close(nnlite.layers.GlobalAveragePooling1D()(x, mask), expected, RTOL["float32"], "mask by position")

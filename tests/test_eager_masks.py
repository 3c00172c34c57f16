"""Masks on values, as Keras takes them: ``layer(x, mask=m)`` for the layers whose Keras ``call`` has a ``mask``
(global average pooling, batch normalization, attention, the wrappers, the recurrent layers; the others refuse it),
and the mask a layer's output carries (Embedding(mask_zero=True), Masking, and what passes it on) read by the next
layer called on it. Outputs and, under a GradientTape, gradients equal TensorFlow's from the same weights."""

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


def _keras_mask(value):
    """The mask Keras attached to a layer's output called on values (TensorFlow tensors carry it privately)."""
    mask = getattr(value, "_keras_mask", None)
    return None if mask is None else np.asarray(mask)


MERGES = ["Maximum", "Minimum", "Multiply", "Add", "Average", "Subtract", "Concatenate"]


@pytest.mark.parametrize("merge", MERGES)
def test_a_mask_a_layer_made_on_values_reaches_the_next_layer_as_keras(keras, merge):
    """Keras's merging tests: Masking on values marks its output; a merge called on it reads that mask (masked
    entries taken from the other input, or left out), and marks its own output with the combined mask."""
    a = np.array([[[0, 0], [-1, -2], [0, 0], [-3, -4]]], np.float32)
    b = np.array([[[0, 0], [0, 0], [-1, -2], [-3, -4]]], np.float32)
    results = []
    for lib in (keras, nnlite):
        masking = lib.layers.Masking()
        x1 = masking(a)
        plain = getattr(lib.layers, merge)()([x1, b])
        both = getattr(lib.layers, merge)()([x1, masking(b)])
        mask_of = _keras_mask if lib is keras else (lambda t: t.keras_mask)
        results.append((np.asarray(plain), mask_of(plain), np.asarray(both), mask_of(both)))
    theirs, ours = results
    np.testing.assert_allclose(ours[0], theirs[0])
    np.testing.assert_allclose(ours[2], theirs[2])
    for m_ours, m_theirs in ((ours[1], theirs[1]), (ours[3], theirs[3])):
        assert (m_ours is None) == (m_theirs is None)
        if m_theirs is not None:
            np.testing.assert_array_equal(m_ours, m_theirs)


def _after_embedding(lib):
    return {"LSTM": lib.layers.LSTM(3), "GRU": lib.layers.GRU(3, return_sequences=True),
            "GlobalAveragePooling1D": lib.layers.GlobalAveragePooling1D(), "Dense": lib.layers.Dense(2)}


@pytest.mark.parametrize("name", list(_after_embedding(nnlite)))
def test_layers_called_on_an_embeddings_output_use_its_mask_as_keras(keras, name):
    """Embedding(mask_zero=True) called on ids marks its output; the next layer called on it uses the mask (the
    recurrent layers skip the padded steps, the pooling averages the kept ones) and passes on what Keras's
    passes on."""
    ids = np.array([[4, 2, 0, 0], [3, 0, 0, 0], [1, 5, 6, 7]])
    outs, masks, weights = [], [], []
    for lib in (keras, nnlite):
        embed = lib.layers.Embedding(8, 4, mask_zero=True, embeddings_initializer="ones")
        layer = _after_embedding(lib)[name]
        h = embed(ids)
        if lib is nnlite:
            layer.build(h.shape)
            layer.set_weights(weights)
        out = layer(h)
        weights = layer.get_weights()
        outs.append(np.asarray(out))
        masks.append(_keras_mask(out) if lib is keras else out.keras_mask)
    assert_close(outs[1], outs[0], RTOL["float32"], name)
    assert (masks[1] is None) == (masks[0] is None)
    if masks[0] is not None:
        np.testing.assert_array_equal(masks[1], masks[0])
    again = _after_embedding(nnlite)[name]
    again.build((3, 4, 4))
    again.set_weights(weights)
    explicit = again(np.ones((3, 4, 4), np.float32), mask=ids != 0) if name != "Dense" else None
    if explicit is not None:  # the carried mask and the same mask given by hand give the same numbers
        assert_close(outs[1], np.asarray(explicit), RTOL["float32"], f"{name} with mask=")


def test_a_layer_of_ones_own_gets_the_mask_its_input_carries():
    class MaskedMean(nnlite.layers.Layer):
        def call(self, x, mask=None):
            m = nnlite.ops.cast(mask, x.dtype)[..., None]
            return nnlite.ops.sum(x * m, axis=1) / nnlite.ops.sum(m, axis=1)

    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    h = nnlite.layers.Embedding(10, 3, mask_zero=True)(ids)
    expected = [np.asarray(h)[0, :2].mean(axis=0), np.asarray(h)[1, :1].mean(axis=0)]
    np.testing.assert_allclose(np.asarray(MaskedMean()(h)), expected, rtol=1e-6)

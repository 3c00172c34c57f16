"""Multiply, Maximum and Minimum read their inputs' masks as Keras's do (a dropped step counts as 1 in a product and
takes no part in a maximum or minimum); Add and the others ignore them. Whole fits through masked merges equal
Keras's, in a graph and with ``mask=`` on values."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close, fit_both

MERGES = ["Multiply", "Maximum", "Minimum", "Add", "Average", "Subtract"]


def _model(lib, merge, both_masked):
    """Two id sequences through Embedding(mask_zero=True), merged with a third input's Dense features (or the
    second embedding), then an LSTM that reads the merged mask."""
    ids_a, ids_b = lib.Input((5,), dtype="int32", name="a"), lib.Input((5,), dtype="int32", name="b")
    floats = lib.Input((5, 3), name="c")
    init = lib.initializers.RandomNormal(seed=1)
    first = lib.layers.Embedding(6, 3, mask_zero=True, embeddings_initializer=init)(ids_a)
    second = (lib.layers.Embedding(6, 3, mask_zero=True, embeddings_initializer=init)(ids_b) if both_masked
              else lib.layers.Dense(3, kernel_initializer=init)(floats))
    merged = getattr(lib.layers, merge)()([first, second])
    h = lib.layers.LSTM(2, kernel_initializer=init, recurrent_initializer="orthogonal")(merged)
    return lib.Model([ids_a, ids_b, floats], lib.layers.Dense(1, kernel_initializer=init)(h))


@pytest.mark.parametrize("both_masked", [True, False], ids=["both masked", "one masked"])
@pytest.mark.parametrize("merge", MERGES)
def test_a_masked_merge_fits_as_keras(keras, float64, rng, merge, both_masked):
    """Steps dropped by one input, by the other, by both (trailing zeros, a zero inside) and by none."""
    ids_a = np.array([[1, 2, 0, 3, 0], [4, 0, 0, 0, 0], [1, 1, 2, 2, 3], [5, 3, 0, 0, 1]] * 2)
    ids_b = np.array([[0, 2, 1, 3, 0], [4, 5, 0, 0, 0], [0, 0, 0, 0, 0], [5, 3, 2, 0, 1]] * 2)
    x = [ids_a, ids_b, rng.normal(size=(8, 5, 3))]
    y = rng.normal(size=(8, 1))
    theirs, ours = _model(keras, merge, both_masked), _model(nnlite, merge, both_masked)
    ours.set_weights(theirs.get_weights())
    assert_close(ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), RTOL["float64"], "predict")
    fit_both(keras, theirs, ours, x, y, ("Adam", 0.05), "mse", batch_size=4)


@pytest.mark.parametrize("merge", ["Multiply", "Maximum", "Minimum"])
def test_mask_on_values_gives_kerass_merge(keras, merge):
    """``layer([x1, x2], mask=[m1, m2])`` on values equals Keras's merge of Masking outputs (Keras's own cases),
    with ties across inputs, a step both inputs drop and a step one input drops."""
    x1 = np.array([[[0.0, 0.0], [1.0, 2.0], [0.0, 0.0], [3.0, 4.0]]])
    x2 = np.array([[[0.0, 0.0], [0.0, 0.0], [1.0, 2.0], [3.0, 4.0]]])
    sign = -1.0 if merge == "Maximum" else 1.0
    x1, x2 = sign * x1, sign * x2
    masking = keras.layers.Masking()
    for both in (False, True):
        expected = getattr(keras.layers, merge)()([masking(x1), masking(x2) if both else x2])
        masks = [np.any(x1 != 0, axis=-1), np.any(x2 != 0, axis=-1) if both else None]
        got = getattr(nnlite.layers, merge)()([x1, x2], mask=masks)
        np.testing.assert_array_equal(got, np.asarray(expected))


def test_masked_merge_gradients_are_zero_where_an_input_is_dropped(rng):
    """Under a tape: a dropped entry of an input gets no gradient (it took no part); the winner of a maximum gets
    all of it; where every input is dropped, a product's gradient is zero."""
    x1, x2 = (nnlite.Variable(rng.normal(size=(1, 3, 2)).astype("float32")) for _ in range(2))
    m1, m2 = np.array([[True, False, False]]), np.array([[True, True, False]])
    with nnlite.GradientTape() as tape:
        product = nnlite.layers.Multiply()([x1, x2], mask=[m1, m2])
    g1, g2 = tape.gradient(product, [x1, x2], output_gradients=np.ones((1, 3, 2)))
    np.testing.assert_array_equal(np.asarray(g1)[0, 1:], 0.0)  # x1 dropped at steps 1 and 2
    np.testing.assert_array_equal(np.asarray(g2)[0, 2], 0.0)  # both dropped at step 2
    np.testing.assert_allclose(np.asarray(g2)[0, 1], 1.0)  # x1 counted as 1 there
    np.testing.assert_allclose(np.asarray(product)[0, 2], 0.0)
    with nnlite.GradientTape() as tape:
        largest = nnlite.layers.Maximum()([x1, x2], mask=[m1, m2])
    g1, g2 = tape.gradient(largest, [x1, x2], output_gradients=np.ones((1, 3, 2)))
    np.testing.assert_array_equal(np.asarray(g1) + np.asarray(g2), 1.0)  # one winner per entry
    np.testing.assert_array_equal(np.asarray(largest)[0, 1], np.asarray(x2.value)[0, 1])  # x1 dropped: x2 wins
    np.testing.assert_array_equal(np.asarray(largest)[0, 2], np.asarray(x1.value)[0, 2])  # both dropped: x1's

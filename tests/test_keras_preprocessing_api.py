"""Preprocessing layers as Keras's tests call them: a 1-D input is one sample (multi_hot and count give one
row), other modes map each value; an adapted Discretization's config (num_bins and its boundaries) loads."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

LAYERS = {
    "CategoryEncoding multi_hot": (lambda k: k.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot"),
                                   np.array([1, 2, 2])),
    "CategoryEncoding count": (lambda k: k.layers.CategoryEncoding(num_tokens=4, output_mode="count"),
                               np.array([1, 2, 2])),
    "CategoryEncoding one_hot": (lambda k: k.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot"),
                                 np.array([1, 2, 3])),
    "IntegerLookup multi_hot": (lambda k: k.layers.IntegerLookup(vocabulary=[1, 2, 3], output_mode="multi_hot"),
                                np.array([1, 3, 9])),
    "IntegerLookup count": (lambda k: k.layers.IntegerLookup(vocabulary=[1, 2, 3], output_mode="count"),
                            np.array([1, 3, 3])),
    "IntegerLookup int": (lambda k: k.layers.IntegerLookup(vocabulary=[1, 2, 3]), np.array([1, 3, 9])),
    "StringLookup multi_hot": (lambda k: k.layers.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot"),
                               np.array(["a", "c", "a"])),
    "StringLookup one_hot": (lambda k: k.layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot"),
                             np.array(["a", "c", "b"])),
    "Hashing": (lambda k: k.layers.Hashing(num_bins=3), np.array([1, 2, 3])),
    "Discretization one_hot": (lambda k: k.layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot"),
                               np.array([0.5, 1.5, -1.0])),
    "Discretization multi_hot": (lambda k: k.layers.Discretization(bin_boundaries=[0.0, 1.0],
                                                                  output_mode="multi_hot"),
                                 np.array([0.5, 1.5, 1.7])),
}


@pytest.mark.parametrize("case", list(LAYERS))
def test_a_one_dimensional_input_is_encoded_as_keras_encodes_it(keras, case):
    make, x = LAYERS[case]
    theirs, ours = np.asarray(make(keras)(x)), np.asarray(make(nnlite)(x))
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_an_adapted_discretization_round_trips_its_config(keras):
    data = np.array([1.0, 2.0, 3.0, 4.0, 8.0])
    for lib in (keras, nnlite):
        layer = lib.layers.Discretization(num_bins=3)
        layer.adapt(data)
        again = lib.layers.Discretization.from_config(layer.get_config())
        np.testing.assert_array_equal(np.asarray(again(data)), np.asarray(layer(data)))
    with pytest.raises(ValueError, match="Both `num_bins` and `bin_boundaries` should not be set"):
        nnlite.layers.Discretization(num_bins=3, bin_boundaries=[1.0])

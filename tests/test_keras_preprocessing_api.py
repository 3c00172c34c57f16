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


def test_discretization_configs_go_round_as_kerass(keras):
    """Before adapt, after an adapt that finds fewer boundaries than num_bins asks, after one that finds them all,
    and with boundaries given: from_config(get_config()) gives the same config, equal to Keras's; a one-hot
    output of a scalar input is one vector of the bins."""
    configs = []
    for lib in (keras, nnlite):
        seen = []
        layer = lib.layers.Discretization(num_bins=5)
        for data in (None, np.array([0.0, 1.0, 5.0]), np.arange(8.0)):
            if data is not None:
                layer.adapt(data)
            seen.append(layer.get_config())
        seen.append(lib.layers.Discretization(bin_boundaries=[0.0, 0.35, 0.5, 1.0]).get_config())
        for config in seen:
            assert lib.layers.Discretization.from_config(config).get_config() == config
        configs.append([{k: v for k, v in c.items() if k not in ("dtype", "name")} for c in seen])
        one_hot = lib.layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")
        assert tuple(one_hot.compute_output_shape(())) == (3,)
        assert tuple(one_hot.compute_output_shape((None, 5, 1))) == (None, 5, 3)
    assert configs[0] == configs[1]


def test_symbolic_and_eager_output_dtypes_are_kerass(keras):
    """Ids out of Hashing, the lookups and Discretization carry Keras's integer dtypes in a graph (they were
    float32 there) and Discretization's ids are int32 eagerly too (they were int64)."""
    cases = [
        ("Hashing", {"num_bins": 3}, "string"), ("Hashing", {"num_bins": 3, "dtype": "int32"}, "string"),
        ("Hashing", {"num_bins": 3, "output_mode": "one_hot"}, "string"),
        ("StringLookup", {"vocabulary": ["a", "b"]}, "string"),
        ("StringLookup", {"vocabulary": ["a", "b"], "output_mode": "multi_hot"}, "string"),
        ("IntegerLookup", {"vocabulary": [3, 7]}, "int64"),
        ("IntegerLookup", {"vocabulary": [3, 7], "invert": True}, "int64"),
        ("Discretization", {"bin_boundaries": [0.0, 1.0]}, "float32"),
        ("Discretization", {"bin_boundaries": [0.0, 1.0], "output_mode": "count"}, "float32"),
        ("CategoryEncoding", {"num_tokens": 4}, "int64"),
    ]  # (ids 2 and 1: ids for the inverted lookup, and values for the forward one, 1 out of its vocabulary)
    samples = {"string": np.array([["a"], ["c"]]), "int64": np.array([[2], [1]]), "float32": np.array([[0.5], [2.0]])}
    for name, kwargs, input_dtype in cases:
        ours = getattr(nnlite.layers, name)(**kwargs)(nnlite.Input((1,), dtype=input_dtype)).dtype
        theirs = getattr(keras.layers, name)(**kwargs)(keras.Input((1,), dtype=input_dtype)).dtype
        assert ours == theirs, (name, kwargs, ours, theirs)
        if not ours.startswith("int"):
            continue  # (Keras's eager multi_hot from a StringLookup is int64 against its own float32 graph dtype)
        eager = np.asarray(getattr(nnlite.layers, name)(**kwargs)(samples[input_dtype]))
        their_eager = keras.ops.convert_to_numpy(getattr(keras.layers, name)(**kwargs)(samples[input_dtype]))
        assert eager.dtype == their_eager.dtype, (name, kwargs, eager.dtype, their_eager.dtype)

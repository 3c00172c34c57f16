"""Refusals and warnings Keras's own tests match by their words: the same call, in Keras and in nnlite, is
refused with the same exception type and a message that matches the pattern Keras's tests use."""

from __future__ import annotations

import warnings

import numpy as np
import pytest


def _with_weight(lib, *args, **kwargs):
    """A layer of one's own whose constructor calls add_weight(*args, **kwargs)."""
    class WithWeight(lib.layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = self.add_weight(*args, **kwargs)
    return WithWeight()


def _built_dense(lib):
    layer = lib.layers.Dense(units=2, activation="relu")
    layer(lib.Input((2,)))
    return layer


def _config_missing_a_node(lib):
    """Keras's functional_test: a layer called on a node the config never defines."""
    return lib.Model.from_config({
        "name": "loop", "input_layers": [["input_1", 0, 0]], "output_layers": [["node_a", 0, 0]],
        "layers": [{"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
                    "config": {"batch_input_shape": [None, 10], "dtype": "float32", "name": "input_1"}},
                   {"class_name": "Dense", "name": "node_a", "config": {"units": 10, "name": "node_a"},
                    "inbound_nodes": [[["node_b", 0, 0, {}]]]}]})


CASES = {
    "a functional config missing a node": (_config_missing_a_node, r"Missing node: node_b"),
    "Hashing's int mode in floats": (lambda k: k.layers.Hashing(num_bins=3, output_mode="int", dtype="float32"),
                                     r'When `output_mode="int"`, `dtype` should be an integer type,'),
    "max_tokens of a StringLookup": (lambda k: k.layers.StringLookup(max_tokens=1),
                                     r"`max_tokens` must be greater than 1. Received: max_tokens=1"),
    "max_tokens of an IntegerLookup": (lambda k: k.layers.IntegerLookup(max_tokens=0),
                                       r"it must be greater than 1. Received: max_tokens=0"),
    "a Reshape that changes the size": (lambda k: k.layers.Reshape((5,))(k.Input((3,))),
                                        r"total size of the tensor must be unchanged"),
    "shape and batch_shape together": (lambda k: k.Input(shape=(2,), batch_shape=(None, 2)),
                                       r"cannot pass both `shape` and `batch_shape`"),
    "an Input without a shape": (lambda k: k.Input(), r"You must pass a `shape` argument"),
    "a LeakyReLU slope of None": (lambda k: k.layers.LeakyReLU(negative_slope=None),
                                  r"The negative_slope value of a Leaky ReLU layer cannot be None"),
    "attention on one tensor": (lambda k: k.layers.Attention()(np.ones((1, 2, 2))), r"must be called on a list"),
    "attention on four tensors": (lambda k: k.layers.Attention()([np.ones((1, 2, 2))] * 4), r"length 2 or 3"),
    "an attention mask not a list": (lambda k: k.layers.AdditiveAttention()([np.ones((1, 2, 2))] * 2,
                                                                            mask=np.ones((1, 2))),
                                     r"layer mask must be a list"),
    "a depthwise kernel longer than the input": (
        lambda k: k.layers.DepthwiseConv1D(11, strides=5, data_format="channels_last")(np.ones((4, 10, 3))),
        r"Computed output size would be zero or negative\."),
    "a separable kernel longer than the input": (
        lambda k: k.layers.SeparableConv1D(2, 11, data_format="channels_last")(k.Input((10, 3))),
        r"Computed output size would be zero or negative\."),
    "a pooling window larger than the image": (lambda k: k.layers.MaxPooling2D(5)(k.Input((3, 3, 1))),
                                               r"Computed output size would be zero or negative\."),
    "a Cropping1D larger than the sequence": (lambda k: k.layers.Cropping1D((2, 2))(np.ones((1, 3, 2))),
                                              r"`cropping` parameter of `Cropping1D` layer must be smaller than"),
    "a Dense called on another width": (lambda k: _built_dense(k)(k.Input((3,))), r"incompatible with the layer"),
    "a Dense called on a vector": (lambda k: k.layers.Dense(2)(np.ones(3)), r"expected min_ndim=2, found ndim=1"),
    "a TimeDistributed mask of another batch": (
        lambda k: k.layers.TimeDistributed(k.layers.Dense(5))(np.zeros((4, 5, 3)), mask=np.ones((5, 5), bool)),
        r"The `mask` passed to the `TimeDistributed` layer has a shape"),
    "a TimeDistributed mask of other steps": (
        lambda k: k.layers.TimeDistributed(k.layers.Dense(5))(np.zeros((4, 5, 3)), mask=np.ones((4, 6, 2), bool)),
        r"The `mask` passed to the `TimeDistributed` layer has a shape"),
    "a TimeDistributed mask of one axis": (
        lambda k: k.layers.TimeDistributed(k.layers.Dense(5))(np.zeros((4, 5, 3)), mask=np.ones(4, bool)),
        r"must be at least 2D"),
    "merging incompatible shapes": (lambda k: k.layers.Add()([k.Input((3,)), k.Input((4,))]),
                                    r"Inputs have incompatible shapes"),
    "a merge's mask not a list": (lambda k: k.layers.Add().compute_mask([k.Input((2,)), k.Input((2,))],
                                                                   np.ones((2, 2))), r"`mask` should be a list\."),
    "a merge's inputs not a list": (lambda k: k.layers.Maximum().compute_mask(k.Input((2,)), [None, None]),
                                    r"`inputs` should be a list\."),
    "a merge's masks of another length": (lambda k: k.layers.Concatenate().compute_mask(
        [k.Input((2,)), k.Input((2,))], [None]), r" should have the same length\."),
    "a RepeatVector of 0": (lambda k: k.layers.RepeatVector(0), r"Argument `n` should be a positive integer"),
    "a Permute with a gap": (lambda k: k.layers.Permute((1, 3)), r"must be consecutive and start from 1"),
    "two clipping options": (lambda k: k.optimizers.Adam(clipnorm=1, global_clipnorm=1),
                             r"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set"),
    "an AUC of one threshold": (lambda k: k.metrics.AUC(num_thresholds=1),
                                r"`num_thresholds` must be an integer > 1"),
    "a Normalization axis of unknown size": (lambda k: k.layers.Normalization(axis=0)(k.Input((3,))),
                                             r"All `axis` values to be kept must have a known shape"),
    "an Embedding of no ids": (lambda k: k.layers.Embedding(0, 2), r"`input_dim` must be a positive integer"),
    "an Embedding of float width": (lambda k: k.layers.Embedding(3, 2.5), r"`output_dim` must be a positive integer"),
    "a Reshape to -2": (lambda k: k.layers.Reshape((-2, 5)), r"non-negative integer.*-1.*target_shape=\(-2, 5\)"),
    "a Reshape with two -1": (lambda k: k.layers.Reshape((-1, -1, 5)),
                              r"at most one unknown dimension.*target_shape=\(-1, -1, 5\)"),
    "a Dropout noise_shape of floats": (lambda k: k.layers.Dropout(0.5, noise_shape=(20, 1.5, 10)),
                                        r"Expected all elements to be integers or None\."),
    "a Dropout noise_shape of 0": (lambda k: k.layers.Dropout(0.5, noise_shape=(20, 0)),
                                   r"Expected all dimensions to be positive integers or None\."),
    "an FBetaScore of a negative beta": (lambda k: k.metrics.FBetaScore(beta=-0.5),
                                         r"Invalid `beta` argument value\. It should be > 0\. Received: beta=-0\.5"),
    "an FBetaScore of an int beta": (lambda k: k.metrics.FBetaScore(beta=1),
                                     r"Invalid `beta` argument value\. It should be a Python float\."),
    "a CategoryEncoding mode": (lambda k: k.layers.CategoryEncoding(3, output_mode="invalid_mode"),
                                r"Unknown arg for output_mode: invalid_mode"),
    "a Hashing mode": (lambda k: k.layers.Hashing(3, output_mode="tf_idf"),
                       r"Invalid value for argument `output_mode`\. Expected one of"),
    "a lookup mode": (lambda k: k.layers.StringLookup(output_mode="bad"),
                      r"Unknown value for `output_mode` argument of StringLookup\. Allowed values are"),
    "a Discretization of bins and boundaries": (lambda k: k.layers.Discretization(num_bins=3, bin_boundaries=[0., 1.]),
                                                r"Both `num_bins` and `bin_boundaries` should not be set"),
    "a Discretization of neither": (lambda k: k.layers.Discretization(), r"either `num_bins` or `bin_boundaries`"),
    "an output that needs an Input left out": (lambda k: k.Model(k.Input((2,), name="i1"), {
        "output1": k.Input((2,), name="i0") * 2, "output2": k.Input((2,), name="i2") * 3}),
                                               r"Output with path `output1` is not connected to `inputs`"),
    "a list for inputs named out of order": (lambda k: k.Model({"IT": (i := k.Input((2,), name="IT")),
                                                               "IS": (j := k.Input((2,), name="IS"))},
                                                              k.layers.subtract([i, j]))([np.ones((1, 2))] * 2),
                                             r"The structure of `inputs` doesn't match the expected structure"),
    "add_weight with a name first": (lambda k: _with_weight(k, "my_weight"), r"name.*keyword argument"),
    "add_weight with a name first and a shape": (lambda k: _with_weight(k, "matrix", shape=(3, 4)),
                                                 r"name.*keyword argument"),
    "add_weight with a shape twice": (lambda k: _with_weight(k, (3, 4), shape=(3, 4)),
                                      r"`shape` was passed both positionally and as a keyword argument"),
    "add_weight with four positions": (lambda k: _with_weight(k, (3, 4), "zeros", "float32", True),
                                       r"takes at most 3 positional arguments but 4 were given"),
    "a layer trainable='yes'": (lambda k: k.layers.Dense(2, trainable="yes"), r"Expected `trainable` to be a boolean"),
    "a layer trainable=1": (lambda k: k.layers.Dense(2, trainable=1), r"Expected `trainable` to be a boolean"),
    "a layer trainable=None": (lambda k: k.layers.Dense(2, trainable=None), r"Expected `trainable` to be a boolean"),
    "an InputLayer of batch_size and batch_shape": (lambda k: k.layers.InputLayer(batch_size=4, batch_shape=(2, 3)),
                                                    r"cannot pass both `batch_size` and `batch_shape`"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_refused_as_keras_refuses(keras, case):
    call, pattern = CASES[case]
    import nnlite

    kinds = []
    for lib in (keras, nnlite):
        with pytest.raises(Exception, match=pattern) as caught:
            call(lib)
        kinds.append(type(caught.value))
    assert issubclass(kinds[1], kinds[0]) or issubclass(kinds[0], kinds[1]), kinds


@pytest.mark.parametrize("argument", [{"input_shape": (3,)}, {"input_dim": 3}])
def test_input_shape_on_a_layer_warns_as_keras_and_still_works(keras, argument):
    import nnlite

    for lib in (keras, nnlite):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer = lib.layers.Dense(2, **argument)
        assert any("Do not pass an `input_shape`/`input_dim` argument to a layer" in str(w.message) for w in caught)
        model = lib.Sequential([layer])
        assert tuple(model(np.ones((4, 3))).shape) == (4, 2)


def test_input_shape_on_an_input_layer_warns_as_keras_and_still_works(keras):
    import nnlite

    for lib in (keras, nnlite):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer = lib.layers.InputLayer(input_shape=(2, 3), batch_size=4, dtype="float32")
        assert [str(w.message) for w in caught if issubclass(w.category, UserWarning)] == [
            "Argument `input_shape` is deprecated. Use `shape` instead."]
        assert tuple(layer.batch_shape) == (4, 2, 3)
        assert layer.sparse is False and layer.ragged is False
        assert tuple(lib.layers.InputLayer(batch_input_shape=(None, 5)).batch_shape) == (None, 5)


def test_add_weight_takes_shape_initializer_and_dtype_by_position_as_keras(keras):
    import nnlite

    for lib in (keras, nnlite):
        layer = _with_weight(lib, (3, 4), "ones", "float64")
        assert tuple(layer.w.shape) == (3, 4) and str(layer.w.dtype) == "float64"
        np.testing.assert_array_equal(np.asarray(layer.w), np.ones((3, 4)))
        assert tuple(_with_weight(lib).w.shape) == ()

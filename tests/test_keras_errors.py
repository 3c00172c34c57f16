"""Refusals and warnings Keras's own tests match by their words: the same call, in Keras and in nnlite, is
refused with the same exception type and a message that matches the pattern Keras's tests use."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

CASES = {
    "max_tokens of a StringLookup": (lambda k: k.layers.StringLookup(max_tokens=1),
                                     r"`max_tokens` must be greater than 1. Received: max_tokens=1"),
    "max_tokens of an IntegerLookup": (lambda k: k.layers.IntegerLookup(max_tokens=0),
                                       r"it must be greater than 1. Received: max_tokens=0"),
    "a Reshape that changes the size": (lambda k: k.layers.Reshape((5,))(k.Input((3,))),
                                        r"total size of the tensor must be unchanged"),
    "shape and batch_shape together": (lambda k: k.Input(shape=(2,), batch_shape=(None, 2)),
                                       r"cannot pass both `shape` and `batch_shape`"),
    "an Input without a shape": (lambda k: k.Input(), r"You must pass a `shape` argument"),
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

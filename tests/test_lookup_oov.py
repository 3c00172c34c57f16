"""IntegerLookup and StringLookup with Keras's special indices: a mask token (id 0 in "int" mode, dropped from the
vectors of the other modes), no OOV index (an unknown value is an error), or several (ints by floor-mod, strings by
FarmHash's fingerprint, as TensorFlow's to_hash_bucket_fast). Every output, vocabulary and error is compared with
Keras's own layer built with the same arguments."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

INTS = dict(cls="IntegerLookup", vocabulary=[12, 36, 7, 1000], mask=0,
            data=np.array([[12, 7, 99, 0], [-5, 36, 1000, 8], [0, 0, 3, 123456789]]))
STRINGS = dict(cls="StringLookup", vocabulary=["cat", "dog", "fish"], mask="",
               data=np.array([["cat", "zebra", "", "dog"], ["émile", "fish", "cow", "cat"], ["", "a", "bb", "ccc"]]))


def _both(keras, case, **kwargs):
    return (getattr(nnlite.layers, case["cls"])(vocabulary=case["vocabulary"], **kwargs),
            getattr(keras.layers, case["cls"])(vocabulary=case["vocabulary"], **kwargs))


@pytest.mark.parametrize("case", [INTS, STRINGS], ids=["ints", "strings"])
@pytest.mark.parametrize("num_oov", [1, 2, 3])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_lookups_with_mask_and_several_oov_indices_give_keras_ids(keras, case, num_oov, masked, mode):
    kwargs = dict(num_oov_indices=num_oov, mask_token=case["mask"] if masked else None, output_mode=mode)
    ours, theirs = _both(keras, case, **kwargs)
    data = case["data"][:, :1] if mode == "one_hot" else case["data"]
    assert np.array_equal(np.asarray(ours(data)), np.asarray(theirs(data)))
    assert ours.vocabulary_size() == int(theirs.vocabulary_size())
    for special in (True, False):
        assert [str(v) for v in ours.get_vocabulary(include_special_tokens=special)] == [
            str(v.decode() if isinstance(v, bytes) else v) for v in theirs.get_vocabulary(special)]
    again = getattr(keras.layers, case["cls"]).from_config(ours.get_config())
    assert np.array_equal(np.asarray(again(data)), np.asarray(theirs(data)))


@pytest.mark.parametrize("case", [INTS, STRINGS], ids=["ints", "strings"])
def test_inverted_lookups_give_the_special_tokens_back(keras, case):
    ours, theirs = _both(keras, case, num_oov_indices=2, mask_token=case["mask"], invert=True)
    ids = np.array([[0, 1, 2, 3], [4, 5, 6, 3]])
    expected = np.asarray(theirs(ids))
    expected = expected.astype(str) if expected.dtype == object else expected
    assert np.array_equal(np.asarray(ours(ids)).astype(expected.dtype), expected)


def test_integer_oov_by_farmhash_and_the_unknown_without_an_oov_index(keras):
    """IntegerLookup's oov_method="farmhash" hashes the decimal strings; with num_oov_indices=0 a known value maps
    to its id from 0 and an unknown one is refused (TensorFlow's assertion; here a ValueError naming it)."""
    ours, theirs = _both(keras, INTS, num_oov_indices=4, oov_method="farmhash")
    assert np.array_equal(np.asarray(ours(INTS["data"])), np.asarray(theirs(INTS["data"])))
    ours, theirs = _both(keras, INTS, num_oov_indices=0)
    known = np.array([[12, 7], [1000, 36]])
    assert np.array_equal(np.asarray(ours(known)), np.asarray(theirs(known)))
    with pytest.raises(ValueError, match=r"found OOV values \[99\], consider setting `num_oov_indices=1`"):
        ours(np.array([[12, 99]]))
    with pytest.raises(Exception, match="num_oov_indices=1"):
        theirs(np.array([[12, 99]]))


@pytest.mark.parametrize("case", [INTS, STRINGS], ids=["ints", "strings"])
def test_adapt_keeps_room_for_the_special_indices(keras, case):
    """adapt with max_tokens keeps max_tokens - (mask + OOV indices) terms, the mask and OOV tokens not counted."""
    data = np.concatenate([case["data"].ravel(), case["data"].ravel()[:5]])
    for kwargs in (dict(max_tokens=6, num_oov_indices=2, mask_token=case["mask"]), dict(max_tokens=4),
                   dict(num_oov_indices=0)):
        ours = getattr(nnlite.layers, case["cls"])(**kwargs)
        theirs = getattr(keras.layers, case["cls"])(**kwargs)
        ours.adapt(data)
        theirs.adapt(data)
        assert [str(v) for v in ours.get_vocabulary()] == [
            str(v.decode() if isinstance(v, bytes) else v) for v in theirs.get_vocabulary()], kwargs


@pytest.mark.parametrize("case", [INTS, STRINGS], ids=["ints", "strings"])
def test_vocabulary_rules_and_errors_as_keras(keras, case):
    """A vocabulary may start with the special tokens in order (they are taken off); the mask token elsewhere,
    the OOV token in an inverted lookup's vocabulary, a repeated term and a vocabulary over max_tokens are refused
    with Keras's words; "binary" is Keras's older name for multi_hot."""
    mask, oov = case["mask"], -1 if case["cls"] == "IntegerLookup" else "[UNK]"
    vocab = case["vocabulary"]
    for lib in (nnlite, keras):
        cls = getattr(lib.layers, case["cls"])
        layer = cls(vocabulary=[mask, oov, oov, *vocab], num_oov_indices=2, mask_token=mask)
        assert [str(v.decode() if isinstance(v, bytes) else v) for v in layer.get_vocabulary(False)] == [
            str(v) for v in vocab]
        with pytest.raises(ValueError, match="Found reserved mask token at unexpected location"):
            cls(vocabulary=[*vocab, mask], mask_token=mask)
        with pytest.raises(ValueError, match="Found reserved OOV token at unexpected location"):
            cls(vocabulary=[*vocab, oov], invert=True)
        with pytest.raises(ValueError, match="repeated"):
            cls(vocabulary=[*vocab, vocab[0]])
        with pytest.raises(ValueError, match="Attempted to set a vocabulary larger than the maximum vocab size"):
            cls(vocabulary=vocab, max_tokens=3)
        binary = cls(vocabulary=vocab, output_mode="binary")
        assert binary.output_mode == "multi_hot"
    plain = getattr(nnlite.layers, case["cls"])(vocabulary=[*vocab, oov])  # not inverted: the OOV token is a term
    assert plain.vocabulary_size() == len(vocab) + 2

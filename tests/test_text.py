"""TextVectorization against Keras: the vocabulary adapt makes (order and ties, max_tokens), the ids and vectors of
every output mode, standardize/split/ngrams settings, TensorFlow's ASCII-only lower case, tf_idf's weights, configs;
a text classifier trained from raw strings as Keras trains it; .keras files both ways; Keras's errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close, files_load_both_ways

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat cat dog", "Éclair au café, s'il vous plaît",
         "  spaces\tand\nnew lines  ", ""]
QUERIES = ["the cat and the dog", "homework", "Éclair CAFÉ s'il", "", "dog dog dog cat"]
CASES = [
    {},
    {"max_tokens": 8},
    {"output_mode": "multi_hot", "ngrams": 2},
    {"output_mode": "count", "max_tokens": 6, "pad_to_max_tokens": True},
    {"output_mode": "one_hot", "split": None, "standardize": None},
    {"output_mode": "tf_idf"},
    {"output_sequence_length": 4, "split": "character", "standardize": "lower"},
    {"ngrams": (1, 3), "standardize": "strip_punctuation"},
    {"output_mode": "int", "split": None},
]


@pytest.mark.parametrize("settings", CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_adapted_vocabularies_and_outputs_equal_keras(keras, settings):
    ours, theirs = nnlite.layers.TextVectorization(**settings), keras.layers.TextVectorization(**settings)
    ours.adapt(TEXTS)
    theirs.adapt(TEXTS)
    assert ours.get_vocabulary() == [str(t) for t in theirs.get_vocabulary()]
    queries = QUERIES[:4] if settings.get("output_mode") == "one_hot" else QUERIES  # one_hot: one token each
    expected = np.asarray(theirs(np.array(queries)))
    got = np.asarray(ours(np.array(queries)))
    assert got.shape == expected.shape
    assert_close(got, expected, RTOL["float32"], "output")
    assert got.dtype == (np.int64 if settings.get("output_mode", "int") == "int" else np.float32)
    config, reference = ours.get_config(), theirs.get_config()
    assert sorted(config) == sorted(reference)
    for key in reference:
        if key not in ("name", "dtype", "vocabulary", "idf_weights"):
            assert config[key] == reference[key], key


def test_split_none_reads_the_input_last_axis_as_the_sequence_as_keras(keras):
    """With split=None every string is a token and the input's last axis is the sequence: (tokens,) is one
    sequence (one vector, ngrams across it), (batch, 1) a batch of one-token sequences; "one_hot" encodes each
    token on its own; "int" keeps the input's shape or pads its last axis; adapt reads 2-D batches; the symbolic
    shapes agree (where Keras's graph leaves the length of an int sequence open, nnlite's gives it)."""
    inputs = [["foo", "bar", "unk"], [["foo"], ["bar"], ["unk"]], [["foo", "bar"], ["bar", "bar"]], "foo"]
    settings = [{"output_mode": mode} for mode in ("int", "one_hot", "multi_hot", "count")] + [
        {"output_mode": "tf_idf", "idf_weights": [1.0, 2.0, 3.0]}, {"output_sequence_length": 3},
        {"ngrams": 2, "vocabulary": ["foo", "bar", "baz", "foo bar"]}]
    for setting in settings:
        given = {"vocabulary": ["foo", "bar", "baz"], **setting}
        ours, theirs = (lib.layers.TextVectorization(split=None, **given) for lib in (nnlite, keras))
        for x in inputs:
            if x == "foo" and setting.get("output_mode", "int") == "int":
                continue  # Keras's int mode refuses a scalar
            expected, got = np.asarray(theirs(x)), np.asarray(ours(x))
            assert got.shape == expected.shape, (setting, x)
            assert_close(got, expected, RTOL["float32"], f"{setting} on {x}")
        for shape in ((1,), (3,)):
            symbolic = [lib.layers.TextVectorization(split=None, **given)(lib.Input(shape, dtype="string"))
                        for lib in (nnlite, keras)]
            ours_shape, keras_shape = tuple(symbolic[0].shape), tuple(symbolic[1].shape)  # Keras leaves an int
            assert len(ours_shape) == len(keras_shape) and all(  # sequence's length open (None); nnlite knows it
                k is None or o == k for o, k in zip(ours_shape, keras_shape)), (setting, shape, ours_shape)
    adapted = [lib.layers.TextVectorization(split=None) for lib in (nnlite, keras)]
    for layer in adapted:
        layer.adapt(np.array([["a", "b"], ["b", "c"]]))
    assert adapted[0].get_vocabulary() == [str(t) for t in adapted[1].get_vocabulary()]


def test_given_vocabularies_and_idf_weights_as_keras(keras):
    for lib in (keras, nnlite):
        layer = lib.layers.TextVectorization(output_mode="tf_idf", vocabulary=["a", "b"], idf_weights=[0.5, 2.0])
        got = np.asarray(layer(np.array(["a b b z"])))
        if lib is keras:
            expected = got
    assert_close(got, expected, RTOL["float32"], "tf_idf")  # the unknown token weighs the mean idf
    ids = nnlite.layers.TextVectorization(vocabulary=["a"], output_sequence_length=3)(np.array(["a a a a", "b"]))
    assert np.asarray(ids).tolist() == [[2, 2, 2], [1, 0, 0]]
    both = nnlite.layers.TextVectorization(ngrams=(1, 2), vocabulary=["a", "b", "a b", "b c", "c"])
    assert np.asarray(both(np.array(["a b c"]))).tolist() == [[2, 3, 6, 4, 5]]  # the unigrams, then the bigrams


def _classifier(lib, vectorize):
    strings = lib.Input(shape=(1,), dtype="string")
    x = vectorize(strings)
    x = lib.layers.Embedding(vectorize.vocabulary_size(), 8, mask_zero=True)(x)
    x = lib.layers.GlobalAveragePooling1D()(x)
    return lib.Model(strings, lib.layers.Dense(1, activation="sigmoid")(x))


def test_a_classifier_on_raw_strings_trains_as_keras(keras, float64, tmp_path):
    """keras.io's "text classification from scratch" shape: TextVectorization inside the model, adapted on the
    training texts; then Keras's file of it loads here and nnlite's there (the vocabulary travels)."""
    rng = np.random.default_rng(0)
    words = ["good", "great", "fine", "bad", "awful", "poor", "the", "movie", "was", "plot"]
    texts = np.array([" ".join(rng.choice(words, size=rng.integers(2, 7))) for _ in range(48)], dtype=object)
    y = np.array([[float(sum(w in ("good", "great", "fine") for w in t.split()) >
                         sum(w in ("bad", "awful", "poor") for w in t.split()))] for t in texts])
    models = []
    for lib in (keras, nnlite):
        vectorize = lib.layers.TextVectorization(max_tokens=12, output_sequence_length=6)
        vectorize.adapt(texts)
        models.append(_classifier(lib, vectorize))
    theirs, ours = models
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    ours.compile(nnlite.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    expected = theirs.fit(texts, y, batch_size=8, epochs=3, verbose=0, shuffle=False).history
    history = ours.fit(texts, y, batch_size=8, epochs=3, verbose=0, shuffle=False).history
    for key in expected:
        assert_close(history[key], expected[key], RTOL["float64"], key)
    files_load_both_ways(keras, theirs, ours, texts, tmp_path)


def test_keras_errors(keras):
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="Unknown value for `output_mode`"):
            lib.layers.TextVectorization(output_mode="foo")
        with pytest.raises(ValueError, match="`output_sequence_length` must not be set"):
            lib.layers.TextVectorization(output_mode="multi_hot", output_sequence_length=3)
    with pytest.raises(ValueError, match="needs a vocabulary"):
        nnlite.layers.TextVectorization()(np.array(["a"]))
    with pytest.raises(ValueError, match="repeated term"):
        nnlite.layers.TextVectorization(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="`split` must be one of"):
        nnlite.layers.TextVectorization(split="comma")


def test_bad_inputs_are_named():
    layer = nnlite.layers.TextVectorization(vocabulary=["a"])
    with pytest.raises(ValueError, match=r"shape \(batch,\) or \(batch, 1\); got shape \(1, 2\)"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="takes strings"):
        layer(np.array([[1], [2]]))

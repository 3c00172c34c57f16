"""StringLookup and IntegerLookup with output_mode="tf_idf" and pad_to_max_tokens, as Keras: idf learnt by adapt
(a document is a row of a batch; each value of a 1-D array given whole), or given with the vocabulary; the OOV
ids weigh the terms' mean idf; vectors padded to max_tokens. A vocabulary read from a text file (never from one a
model file names). Outputs, configs, errors and .keras files both ways are compared with Keras's own layers."""

from __future__ import annotations

import io

import numpy as np
import pytest

import nnlite
from nnlite.limits import LoadError

from .helpers import with_config, write_zip, zip_members

DOCS = np.array([["a", "b", "b", "c"], ["d", "a", "e", "a"], ["b", "x", "a", "b"]])
IDS = np.array([[1, 2, 2, 5], [7, 1, 1, 9], [5, 5, 5, 5]])

ADAPTED = [{}, {"num_oov_indices": 2}, {"mask_token": "x"}, {"max_tokens": 9, "pad_to_max_tokens": True},
           {"max_tokens": 4}, {"num_oov_indices": 0}]


def _out(layer, x, tf=None):
    return np.asarray(layer(tf.constant(x) if tf is not None else x))


@pytest.mark.parametrize("kwargs", ADAPTED, ids=str)
def test_adapted_tf_idf_is_kerass(keras, tf, kwargs):
    for cls, data, query in (("StringLookup", DOCS, DOCS), ("IntegerLookup", IDS, IDS)):
        if cls == "IntegerLookup" and "mask_token" in kwargs:
            kwargs = {"mask_token": 5}
        if kwargs.get("num_oov_indices") == 0:
            query = query[:, :2]  # no unknown values: there is no OOV id to take them
        ours, theirs = (getattr(lib.layers, cls)(output_mode="tf_idf", **kwargs) for lib in (nnlite, keras))
        ours.adapt(data)
        theirs.adapt(data)
        np.testing.assert_allclose(_out(ours, query), _out(theirs, query, tf), rtol=1e-6, err_msg=cls)
        assert [str(v) for v in ours.get_vocabulary()] == [str(v.decode() if isinstance(v, bytes) else v)
                                                           for v in theirs.get_vocabulary()]
        again = getattr(keras.layers, cls).from_config(ours.get_config())  # the config carries vocabulary and idf
        np.testing.assert_allclose(_out(again, query, tf), _out(theirs, query, tf), rtol=1e-6)


def test_what_a_document_is_when_adapting(keras, tf):
    """A 1-D array given whole: each value is a document; a 1-D batch from a generator: the batch is one."""
    for source in (lambda: np.array(["a", "b", "b"]), lambda: (b for b in [np.array(["a", "b", "b"])] * 2)):
        ours, theirs = (lib.layers.StringLookup(output_mode="tf_idf") for lib in (nnlite, keras))
        ours.adapt(source())
        theirs.adapt(source())
        query = np.array([["a", "b", "q"]])
        np.testing.assert_allclose(_out(ours, query), _out(theirs, query, tf), rtol=1e-6)


@pytest.mark.parametrize("kwargs", [
    {"vocabulary": ["a", "b"], "idf_weights": [0.5, 2.0]},
    {"vocabulary": ["[UNK]", "a", "b"], "idf_weights": [0.1, 0.5, 2.0]},  # the OOV id's own weight
    {"vocabulary": ["a", "b"], "idf_weights": [0.5, 2.0], "max_tokens": 5, "pad_to_max_tokens": True},
    {"vocabulary": ["a", "b"], "idf_weights": [0.5, 2.0], "num_oov_indices": 2, "mask_token": "m"},
], ids=str)
def test_given_idf_weights_are_kerass(keras, tf, kwargs):
    ours, theirs = (lib.layers.StringLookup(output_mode="tf_idf", **kwargs) for lib in (nnlite, keras))
    query = np.array([["a", "b", "z", "b"], ["m", "m", "a", "q"]])
    np.testing.assert_allclose(_out(ours, query), _out(theirs, query, tf), rtol=1e-7)
    assert tuple(ours.compute_output_shape((None, 4))) == tuple(theirs.compute_output_shape((None, 4)))


def test_padding_to_max_tokens_in_the_other_modes(keras, tf):
    for mode in ("multi_hot", "count", "one_hot"):
        ours, theirs = (lib.layers.IntegerLookup(vocabulary=[3, 4], max_tokens=6, pad_to_max_tokens=True,
                                                 output_mode=mode) for lib in (nnlite, keras))
        query = np.array([[3], [9]]) if mode == "one_hot" else np.array([[3, 4, 4, 9]])
        np.testing.assert_array_equal(_out(ours, query), _out(theirs, query, tf))


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"output_mode": "tf_idf", "vocabulary": ["a"]}, r"the `idf_weights` argument must also be provided"),
    ({"output_mode": "count", "vocabulary": ["a"], "idf_weights": [1.0]}, r"`idf_weights` should only be set"),
    ({"output_mode": "tf_idf", "vocabulary": ["a", "b"], "idf_weights": [1.0]},
     r"`idf_weights` must be the same length as vocabulary"),
], ids=["no idf", "idf without tf_idf", "idf of another length"])
def test_idf_arguments_are_refused_as_keras_refuses_them(keras, kwargs, pattern):
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match=pattern):
            lib.layers.StringLookup(**kwargs)


def _model(lib, **kwargs):
    text = lib.Input((4,), dtype="string")
    lookup = lib.layers.StringLookup(**kwargs)
    lookup.adapt(DOCS)
    return lib.Model(text, lib.layers.Dense(2, kernel_initializer="ones")(lookup(text)))


@pytest.mark.parametrize("kwargs", [{"output_mode": "tf_idf", "num_oov_indices": 2},
                                    {"output_mode": "int", "num_oov_indices": 2, "mask_token": "x"}], ids=str)
def test_adapted_lookups_go_both_ways_as_keras_files(keras, tf, tmp_path, kwargs):
    """Keras keeps an adapted lookup's vocabulary (special tokens first) in the file's assets and a tf_idf one's
    idf in the weights file; nnlite writes the idf there and in the config, and reads both of Keras's."""
    ours, theirs = _model(nnlite, **kwargs), _model(keras, **kwargs)
    expected = np.asarray(theirs(tf.constant(DOCS)))
    ours.save(tmp_path / "n.keras")
    theirs.save(tmp_path / "k.keras")
    np.testing.assert_allclose(np.asarray(keras.models.load_model(tmp_path / "n.keras")(tf.constant(DOCS))),
                               expected, rtol=1e-6)
    np.testing.assert_allclose(nnlite.models.load_model(tmp_path / "k.keras").predict(DOCS, verbose=0), expected,
                               rtol=1e-6)


def test_a_file_whose_tf_idf_lookup_lost_its_idf_is_refused(keras, tmp_path):
    import h5py

    _model(keras, output_mode="tf_idf").save(tmp_path / "k.keras")
    members = zip_members(tmp_path / "k.keras")
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        del f["layers/string_lookup/vars/idf_weights"]
    members["model.weights.h5"] = buffer.getvalue()
    with pytest.raises(LoadError, match="idf_weights"):
        nnlite.models.load_model(write_zip(tmp_path / "broken.keras", members))


def test_a_vocabulary_file_is_read_as_keras_reads_it(keras, tf, tmp_path):
    """vocabulary="path": one term a line (the special ids before them, as given in a list)."""
    words, ids = tmp_path / "words.txt", tmp_path / "ids.txt"
    words.write_text("a\nb\nc\n", encoding="utf-8")
    ids.write_text("10\n20\n30\n", encoding="utf-8")
    for cls, path, query in (("StringLookup", words, np.array([["a", "c", "z"]])),
                             ("IntegerLookup", ids, np.array([[10, 30, 999]]))):
        ours, theirs = (getattr(lib.layers, cls)(vocabulary=str(path), num_oov_indices=2) for lib in (nnlite, keras))
        np.testing.assert_array_equal(_out(ours, query), _out(theirs, query, tf))
        assert ours.vocabulary_size() == int(theirs.vocabulary_size())
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="does not exist"):
            lib.layers.StringLookup(vocabulary=str(tmp_path / "missing.txt"))
        with pytest.raises(ValueError, match="does not support loading a vocabulary from file"):
            lib.layers.StringLookup(vocabulary=str(words), output_mode="tf_idf", idf_weights=[1.0])
        with pytest.raises(ValueError, match="Only `vocabulary_dtype='int64'` is supported"):
            lib.layers.IntegerLookup(vocabulary_dtype="int32")


def test_a_model_file_cannot_make_a_lookup_read_a_file_outside_it(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password\n", encoding="utf-8")
    text = nnlite.Input((1,), dtype="string")
    nnlite.Model(text, nnlite.layers.StringLookup(vocabulary=["a"], name="lookup")(text)).save(tmp_path / "m.keras")

    def point_at_the_secret(spec):
        entry = next(e for e in spec["config"]["layers"] if e["class_name"] == "StringLookup")
        entry["config"]["vocabulary"] = str(secret)
    with pytest.raises(LoadError, match="outside of the model archive"):
        nnlite.models.load_model(with_config(tmp_path / "m.keras", tmp_path / "evil.keras", point_at_the_secret))


def test_a_generator_of_lists_of_terms_adapts_as_keras(keras):
    def batches():
        yield ["cat", "dog"]
        yield ["bird", "cat"]
    vocabularies = []
    for lib in (keras, nnlite):
        layer = lib.layers.StringLookup()
        layer.adapt(batches())
        vocabularies.append([str(v.decode() if isinstance(v, bytes) else v) for v in layer.get_vocabulary()])
    assert vocabularies[0] == vocabularies[1] == ["[UNK]", "cat", "dog", "bird"]

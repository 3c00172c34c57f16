"""CategoryEncoding, Discretization and IntegerLookup against Keras 3 run in the test: outputs in every
mode, values on the bin boundaries, adapt (quantiles, vocabulary order with tied counts), invert, and a
functional model that starts from raw ids and trains as Keras trains it."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .conftest import RTOL, require
from .helpers import assert_close, fit_side_by_side


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(6, 1), (6, 3)])
def test_category_encoding_as_keras(keras, rng, mode, shape):
    ids = rng.integers(0, 5, size=shape)
    ids[0] = 4  # repeats within a row
    ours = nnlite.layers.CategoryEncoding(5, output_mode=mode)(ids)
    theirs = keras.layers.CategoryEncoding(5, output_mode=mode)(ids)
    assert_close(ours, keras.ops.convert_to_numpy(theirs), 0, f"{mode} {shape}")
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        nnlite.layers.CategoryEncoding(5, output_mode=mode)(np.array([[5]]))


@pytest.mark.parametrize("mode", ["int", "one_hot", "count"])
def test_discretization_with_boundaries_and_adapted(keras, rng, mode):
    bins = [-1.0, 0.0, 1.5]
    x = np.array([[-2.0, -1.0, -0.5], [0.0, 1.5, 3.0]])  # values on the boundaries go up a bin
    ours = nnlite.layers.Discretization(bin_boundaries=bins, output_mode=mode)(x)
    theirs = keras.layers.Discretization(bin_boundaries=bins, output_mode=mode)(x)
    assert_close(ours, keras.ops.convert_to_numpy(theirs), 0, mode)
    data = rng.normal(size=(500, 1)) * 3
    mine, keras_layer = nnlite.layers.Discretization(num_bins=5), keras.layers.Discretization(num_bins=5)
    mine.adapt(data)
    keras_layer.adapt(data)
    assert_close(mine.bin_boundaries, keras_layer.bin_boundaries, 1e-6, "adapted boundaries")
    batches = [data[:200], data[200:]]
    mine.adapt(batches)
    keras_layer.adapt(batches)
    assert_close(mine.bin_boundaries, keras_layer.bin_boundaries, 1e-6, "adapted over batches")


def test_integer_lookup_as_keras(keras, rng):
    data = np.array([[7, 3, 3], [11, 7, 3], [42, 7, 11], [5, 5, 9]])  # 3 and 7 tie, 5 and 11 tie
    ours, theirs = nnlite.layers.IntegerLookup(), keras.layers.IntegerLookup()
    ours.adapt(data)
    theirs.adapt(data)
    assert ours.get_vocabulary() == [int(v) for v in theirs.get_vocabulary()]
    queries = np.array([[3, 100, 7], [42, 9, -5]])
    assert_close(ours(queries), keras.ops.convert_to_numpy(theirs(queries)), 0, "ids")
    for mode in ("one_hot", "multi_hot", "count"):
        a = nnlite.layers.IntegerLookup(vocabulary=[3, 7, 11], output_mode=mode)(queries)
        b = keras.layers.IntegerLookup(vocabulary=[3, 7, 11], output_mode=mode)(queries)
        assert_close(a, keras.ops.convert_to_numpy(b), 0, mode)
    inverse = nnlite.layers.IntegerLookup(vocabulary=[3, 7, 11], invert=True)(np.array([[0, 1, 3]]))
    keras_inverse = keras.layers.IntegerLookup(vocabulary=[3, 7, 11], invert=True)(np.array([[0, 1, 3]]))
    assert_close(inverse, keras.ops.convert_to_numpy(keras_inverse), 0, "invert")
    with pytest.raises(ValueError, match="repeated term"):
        nnlite.layers.IntegerLookup(vocabulary=[3, 3])
    with pytest.raises(ValueError, match="takes integer ids"):
        ours(np.array([[1.5]]))


def test_a_model_from_raw_ids_trains_as_in_keras(keras, float64, rng, tmp_path):
    """Integer ids through IntegerLookup and CategoryEncoding beside a Discretization of a float column,
    concatenated into Dense layers: fit, predict and .keras files both ways."""
    require("h5py")
    codes = rng.choice([10, 20, 30, 40, 1000], size=(40, 1))
    amount = rng.normal(size=(40, 1)) * 2
    y = ((codes[:, 0] > 20) ^ (amount[:, 0] > 0)).astype(float)[:, None]

    def build(lib):
        L = lib.layers
        code_in, amount_in = lib.Input((1,), dtype="int64", name="code"), lib.Input((1,), name="amount")
        looked = L.IntegerLookup(vocabulary=[10, 20, 30, 40], output_mode="one_hot", name="lookup")(code_in)
        binned = L.CategoryEncoding(4, output_mode="one_hot", name="bins")(
            L.Discretization(bin_boundaries=[-1.0, 0.0, 1.0], name="disc")(amount_in))
        h = L.Dense(6, activation="relu", name="h")(L.concatenate([looked, binned, amount_in]))
        return lib.Model({"code": code_in, "amount": amount_in}, L.Dense(1, activation="sigmoid", name="out")(h))

    theirs, ours = build(keras), build(nnlite)
    for name in ("h", "out"):
        ours.get_layer(name).set_weights(theirs.get_layer(name).get_weights())
    x = {"code": codes, "amount": amount}
    fit_side_by_side(theirs, ours, x, y, RTOL["float64"])
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "predict")
    ours.save(tmp_path / "ours.keras")
    assert_close(keras.models.load_model(tmp_path / "ours.keras").predict(x, verbose=0), ours.predict(x, verbose=0),
                 RTOL["float64"], "Keras opens it")
    theirs.save(tmp_path / "theirs.keras")
    assert_close(nnlite.models.load_model(tmp_path / "theirs.keras").predict(x, verbose=0),
                 theirs.predict(x, verbose=0), RTOL["float64"], "nnlite opens Keras's")


def test_string_lookup_as_keras_and_a_model_from_strings(keras, tf, float64, rng, tmp_path):
    require("h5py")
    words = np.array([["b", "a", "a"], ["c", "b", "é"]])  # "a" and "b" tie, "c" and "é" tie
    ours, theirs = nnlite.layers.StringLookup(), keras.layers.StringLookup()
    ours.adapt(words)
    theirs.adapt(words)
    assert ours.get_vocabulary() == [str(v) for v in theirs.get_vocabulary()]
    queries = np.array([["a", "zz", "é"]])
    assert_close(ours(queries), keras.ops.convert_to_numpy(theirs(queries)), 0, "ids")
    for mode in ("one_hot", "multi_hot", "count"):
        a = nnlite.layers.StringLookup(vocabulary=["x", "y"], output_mode=mode)(np.array([["x", "q", "x"]]))
        b = keras.layers.StringLookup(vocabulary=["x", "y"], output_mode=mode)(np.array([["x", "q", "x"]]))
        assert_close(a, keras.ops.convert_to_numpy(b), 0, mode)
    back = nnlite.layers.StringLookup(vocabulary=["x", "y"], invert=True)(np.array([[0, 2]]))
    assert back.tolist() == [["[UNK]", "y"]]

    colours = rng.choice(["red", "green", "blue", "teal"], size=(30, 1))
    y = (colours[:, 0] == "red").astype(float)[:, None]

    def build(lib):
        text = lib.Input((1,), dtype="string", name="colour")
        onehot = lib.layers.StringLookup(vocabulary=["red", "green", "blue"], output_mode="one_hot")(text)
        hashed = lib.layers.Hashing(3, output_mode="one_hot")(text)
        both = lib.layers.concatenate([onehot, hashed])
        return lib.Model(text, lib.layers.Dense(1, activation="sigmoid", name="out")(both))

    theirs, ours = build(keras), build(nnlite)
    ours.get_layer("out").set_weights(theirs.get_layer("out").get_weights())
    as_tf = tf.constant(colours)  # Keras's fit takes strings as TensorFlow tensors, nnlite as NumPy arrays
    for m in (theirs, ours):
        m.compile(optimizer="adam", loss="binary_crossentropy")
    h_theirs = theirs.fit(as_tf, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    h_ours = ours.fit(colours, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert_close(h_ours.history["loss"], h_theirs.history["loss"], RTOL["float64"], "loss")
    ours.save(tmp_path / "strings.keras")
    assert_close(keras.models.load_model(tmp_path / "strings.keras").predict(as_tf, verbose=0),
                 ours.predict(colours, verbose=0), RTOL["float64"], "Keras opens it")
    with pytest.raises(TypeError, match="string input"):
        ours.predict(np.ones((2, 1)), verbose=0)


def test_farmhash_fingerprint_is_tensorflows(tf, rng):
    """nnlite.farmhash against TensorFlow's farmhash64 fingerprint for every length class: 0-16, 17-32,
    33-64 and the 64-byte rounds (65, 128, 129, ... bytes), ASCII and multi-byte UTF-8."""
    from nnlite.farmhash import fingerprint64

    words = ["", "a", "é", "abc", "abcd", "abcdefgh", "abcdefghi", "x" * 16, "y" * 17, "w" * 32, "q" * 33, "t" * 64,
             "u" * 65, "é" * 40, "k" * 128, "p" * 129]
    words += ["".join(chr(int(c)) for c in rng.integers(32, 0x24F, size=int(n))) for n in rng.integers(0, 300, 200)]
    expected = tf.fingerprint(tf.constant(words), method="farmhash64").numpy()
    for word, reference in zip(words, expected):
        assert fingerprint64(word.encode("utf-8")) == int.from_bytes(reference.tobytes(), "little"), len(word)


@pytest.mark.parametrize("kwargs", [{"num_bins": 7}, {"num_bins": 7, "mask_value": "b"}, {"num_bins": 1},
                                    {"num_bins": 5, "output_mode": "one_hot"}, {"num_bins": 5, "output_mode": "count"}])
def test_hashing_as_keras(keras, kwargs):
    text = np.array([["a"], ["b"], ["zz"], ["é"]], dtype=object)
    assert_close(np.asarray(nnlite.layers.Hashing(**kwargs)(text)),
                 keras.ops.convert_to_numpy(keras.layers.Hashing(**kwargs)(text)), 0, str(kwargs))
    numbers = np.array([[1, 2], [30, -7]])
    assert_close(np.asarray(nnlite.layers.Hashing(**{**kwargs, "mask_value": None})(numbers)),
                 keras.ops.convert_to_numpy(keras.layers.Hashing(**{**kwargs, "mask_value": None})(numbers)), 0)


def test_vocabularies_keras_keeps_in_assets_are_read(keras, tf, tmp_path):
    """Keras writes an adapted lookup's vocabulary to assets/<layer path>/vocabulary.txt, not config.json;
    nnlite reads it from there (as text) before building, so the widths and the predictions match."""
    require("h5py")
    text, code = keras.Input((1,), dtype="string"), keras.Input((1,), dtype="int64")
    words = keras.layers.StringLookup(output_mode="one_hot")
    words.adapt(np.array([["x"], ["y"], ["x"], ["é"]], dtype=object))
    numbers = keras.layers.IntegerLookup(output_mode="one_hot")
    numbers.adapt(np.array([[3], [5], [5], [9]]))
    theirs = keras.Model([text, code], keras.layers.Dense(1)(keras.layers.concatenate([words(text), numbers(code)])))
    theirs.save(tmp_path / "adapted.keras")
    ours = nnlite.models.load_model(tmp_path / "adapted.keras")
    queries = [np.array([["x"], ["q"], ["é"]], dtype=object), np.array([[5], [3], [4]])]
    expected = theirs.predict([tf.constant(queries[0].astype(str)), queries[1]], verbose=0)
    assert_close(ours.predict(queries, verbose=0), expected, 2e-6, "predictions")
    assert ours.layers[2].get_vocabulary() == [str(v) for v in words.get_vocabulary()]


def test_a_large_vocabulary_is_sorted_once_not_per_batch(monkeypatch):
    """StringLookup with 200,000 terms: 100 batches of 32 cost about what one batch of 3,200 does (22x before:
    the vocabulary was sorted, and turned into objects to compare with the batch, on every batch); the table is
    built once and rebuilt when the vocabulary changes."""
    import time

    from nnlite.layers import preprocessing

    layer = nnlite.layers.StringLookup(vocabulary=[f"tok{i}" for i in range(200_000)])
    model = nnlite.Sequential([nnlite.Input((1,), dtype="string"), layer])
    x = np.array([[f"tok{i}"] for i in range(0, 6400, 2)], dtype=object)
    expected = np.arange(0, 6400, 2)[:, None] + 1
    sorts = []
    real_argsort = np.argsort
    monkeypatch.setattr(preprocessing.np, "argsort", lambda *a, **k: sorts.append(1) or real_argsort(*a, **k))
    np.testing.assert_array_equal(model.predict(x, batch_size=3200, verbose=0), expected)
    start = time.process_time()
    model.predict(x, batch_size=3200, verbose=0)
    one = time.process_time() - start
    start = time.process_time()
    np.testing.assert_array_equal(model.predict(x, batch_size=32, verbose=0), expected)
    many = time.process_time() - start
    assert len(sorts) == 1
    assert many < 6 * max(one, 0.005), (many, one)
    layer.set_vocabulary(["b", "a"])
    np.testing.assert_array_equal(layer(np.array([["a"], ["b"], ["c"]])), [[2], [1], [0]])
    assert len(sorts) == 2


@pytest.mark.parametrize(("scale", "offset"), [(1 / 255, 0.0), (1 / 127.5, -1.0), ([0.5, 1.0, 2.0], [0.0, 1.0, -1.0])])
def test_rescaling_matches_keras(keras, rng, scale, offset):
    """Rescaling on uint8 images (cast to float32 first, the scale rounded to float32, as Keras does) and per-channel
    factors: outputs equal Keras's; a model that rescales then learns trains as Keras's; the config reads both
    ways."""
    images = rng.integers(0, 256, size=(6, 4, 4, 3)).astype("uint8")
    ours, theirs = nnlite.layers.Rescaling(scale, offset), keras.layers.Rescaling(scale, offset)
    np.testing.assert_array_equal(np.asarray(ours(images)), theirs(images).numpy())
    assert np.asarray(ours(images)).dtype == np.float32
    again = keras.layers.Rescaling.from_config(ours.get_config())
    assert again.scale == theirs.scale and again.offset == theirs.offset
    y = rng.normal(size=(6, 1)).astype("float32")

    def model(lib):
        x = lib.Input((4, 4, 3), dtype="uint8")
        h = lib.layers.Flatten()(lib.layers.Rescaling(scale, offset)(x))
        return lib.Model(x, lib.layers.Dense(1)(h))
    k_model, n_model = model(keras), model(nnlite)
    n_model.set_weights(k_model.get_weights())
    k_model.compile(keras.optimizers.SGD(0.01), "mse")
    n_model.compile(nnlite.optimizers.SGD(0.01), "mse")
    expected = k_model.fit(images, y, batch_size=3, epochs=2, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(n_model.fit(images, y, batch_size=3, epochs=2, verbose=0, shuffle=False)
                               .history["loss"], expected, rtol=2e-5)


@pytest.mark.parametrize("mode", ["count", "multi_hot"])
def test_vector_modes_count_over_axis_1_at_every_rank_as_keras(keras, mode):
    """Keras's multi_hot and count reduce axis 1: the tokens of (batch, tokens), and for (batch, a, b) ids each of
    the b columns over its a rows, giving (batch, b, depth); a 1-D input is one sample. CategoryEncoding,
    Discretization and the lookups all encode so, and the symbolic shape is the one the values have."""
    ids = np.array([[[0, 1, 1, 4], [2, 2, 2, 3], [0, 0, 0, 0]], [[1, 1, 1, 1], [4, 4, 0, 3], [0, 2, 0, 0]]])
    x = np.array([[[0.5, 1.5, 3.0, 6.0], [0.1, 0.2, 0.3, 5.5], [2.5, 2.6, 9.0, -1.0]]])
    for sample in (ids, ids[0], ids[0, 0]):
        expected = np.asarray(keras.layers.CategoryEncoding(num_tokens=5, output_mode=mode)(sample))
        assert np.array_equal(nnlite.layers.CategoryEncoding(num_tokens=5, output_mode=mode)(sample), expected)
    layers = [lib.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0, 5.0], output_mode=mode) for lib in (nnlite,
                                                                                                            keras)]
    assert np.array_equal(layers[0](x), np.asarray(layers[1](x)))
    lookups = [lib.layers.IntegerLookup(vocabulary=[1, 2, 3], output_mode=mode) for lib in (nnlite, keras)]
    assert np.array_equal(lookups[0](ids), np.asarray(lookups[1](ids)))
    symbolic = nnlite.layers.CategoryEncoding(num_tokens=5, output_mode=mode)(nnlite.Input((3, 4)))
    values = nnlite.layers.CategoryEncoding(num_tokens=5, output_mode=mode)(ids)
    assert symbolic.shape == (None, 4, 5) and np.shape(values) == (2, 4, 5)


def test_count_weights_as_keras(keras):
    """CategoryEncoding(output_mode="count")(ids, count_weights=w) adds each id's weight (Keras's test case), also
    for (batch, a, b) ids; in another mode count_weights is refused with Keras's words."""
    ids = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])
    weights = np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]])
    for sample, w in ((ids, weights), (ids.reshape(2, 2, 2), weights.reshape(2, 2, 2))):
        expected = np.asarray(keras.layers.CategoryEncoding(6, output_mode="count")(sample, count_weights=w))
        assert_close(nnlite.layers.CategoryEncoding(6, output_mode="count")(sample, count_weights=w), expected,
                     RTOL["float32"], "weighted counts")
    for lib in (nnlite, keras):
        with pytest.raises(ValueError, match=r"`count_weights` is not used when `output_mode`"):
            lib.layers.CategoryEncoding(6, output_mode="multi_hot")(ids, count_weights=weights)

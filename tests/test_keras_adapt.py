"""adapt() reads what Keras's adapt reads: arrays, generators, iterables, PyDatasets and (x, y) batches, and the
adapted state is Keras's (vocabularies, bin boundaries, Normalization.mean and .variance)."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

FLOATS = [np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[2.0, 2.0], [7.0, 1.0], [0.0, 4.0]])]
WORDS = [np.array(["a", "b", "b"]), np.array(["c", "b", "a", "d"])]
INTS = [np.array([1, 2, 2]), np.array([3, 2, 7, 7])]


def dataset(lib, batches):
    class Batches(lib.utils.PyDataset):
        def __len__(self):
            return len(batches)

        def __getitem__(self, index):
            return batches[index]

    return Batches()


SOURCES = {
    "generator": lambda lib, b: (x for x in b),
    "list iterator": lambda lib, b: iter(b),
    "PyDataset": dataset,
    "(x, y) pairs": lambda lib, b: ((x, np.zeros(len(x))) for x in b),
}


def adapted(lib, layer_name, batches, source, **kwargs):
    layer = getattr(lib.layers, layer_name)(**kwargs)
    layer.adapt(SOURCES[source](lib, batches))
    return layer


@pytest.mark.parametrize("source", [s for s in SOURCES if s != "(x, y) pairs"])  # Keras's lookups read x alone
def test_lookups_and_discretization_adapt_on_batches_as_keras(keras, source):
    for name, batches, kwargs, state in (
            ("StringLookup", WORDS, {}, lambda la: [str(v) for v in la.get_vocabulary()]),
            ("IntegerLookup", INTS, {}, lambda la: [int(v) for v in la.get_vocabulary()]),
            ("Discretization", [b.astype("float32") for b in FLOATS], {"num_bins": 3},
             lambda la: list(la.bin_boundaries))):
        ours, theirs = (state(adapted(lib, name, batches, source, **kwargs)) for lib in (nnlite, keras))
        assert ours == theirs, name


@pytest.mark.parametrize("source", list(SOURCES))
def test_normalization_adapts_on_batches_and_shows_its_statistics(keras, float64, source):
    ours, theirs = (adapted(lib, "Normalization", FLOATS, source) for lib in (nnlite, keras))
    for what in ("mean", "variance"):
        np.testing.assert_allclose(getattr(ours, what), np.asarray(getattr(theirs, what)), rtol=1e-6, err_msg=what)
    assert ours.mean.shape == (1, 2)
    x = np.array([[1.0, 1.0]])
    np.testing.assert_allclose(ours(x), np.asarray(theirs(x)), rtol=1e-6)


def test_normalization_given_its_statistics_shows_them_once_built(keras):
    for lib in (nnlite, keras):
        layer = lib.layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
        assert layer.mean is None
        layer.build((None, 2))
        np.testing.assert_array_equal(np.asarray(layer.mean), [[1.0, 2.0]])
        np.testing.assert_array_equal(np.asarray(layer.variance), [[4.0, 9.0]])


def test_adapt_reads_at_most_steps_batches_and_refuses_nothing():
    layer = nnlite.layers.StringLookup()
    layer.adapt((w for w in WORDS), steps=1)
    assert layer.get_vocabulary() == ["[UNK]", "b", "a"]
    with pytest.raises(ValueError, match="no batches"):
        nnlite.layers.Normalization().adapt(x for x in [])
    with pytest.raises(ValueError, match="steps"):
        nnlite.layers.IntegerLookup().adapt(iter(INTS), steps=0)


def test_normalization_reads_a_list_as_batches_and_joins_their_statistics_as_keras(keras, rng):
    """A list of arrays (or of (x, y) pairs) is a list of batches, as in Keras 3.15; batches whose reduced axes
    differ in length (sequences of 3 and 5 steps) join exactly: the statistics of all their values at once."""
    short, long = rng.normal(2.0, 3.0, size=(2, 3, 2)), rng.normal(-1.0, 0.5, size=(4, 5, 2))
    values = np.concatenate([short.reshape(-1, 2), long.reshape(-1, 2)])  # every value of each feature
    for data in ([short, long], [(short, np.zeros(2)), (long, np.zeros(4))], (b for b in [short, long])):
        layer = nnlite.layers.Normalization()
        layer.adapt(data)
        np.testing.assert_allclose(layer.mean[0, 0], values.mean(axis=0), rtol=1e-6)
        np.testing.assert_allclose(layer.variance[0, 0], values.var(axis=0), rtol=1e-6)
    batches = [rng.normal(size=(8, 4, 3, 5)).astype("float32") for _ in range(3)]
    for axis, source in ((-1, lambda: batches[:1]), ((1, 2), lambda: batches), (None, lambda: iter(batches))):
        ours, theirs = nnlite.layers.Normalization(axis=axis), keras.layers.Normalization(axis=axis)
        ours.adapt(source())
        theirs.adapt(source())
        np.testing.assert_allclose(ours.mean, np.asarray(theirs.mean), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.variance, np.asarray(theirs.variance), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours(batches[0]), np.asarray(theirs(batches[0])), rtol=1e-4, atol=1e-5)


def _same_error(keras, build, call, error, pattern):
    """``call(layer)`` on a layer from ``build(lib)`` raises ``error`` matching ``pattern`` in Keras and in nnlite;
    nnlite's layer is left unadapted."""
    for lib in (keras, nnlite):
        layer = build(lib)
        with pytest.raises(error, match=pattern):
            call(layer)
    return layer


def test_normalization_adapt_refuses_what_keras_refuses_in_its_words(keras):
    plain = lambda lib: lib.layers.Normalization()  # noqa: E731
    _same_error(keras, plain, lambda la: la.adapt([]), ValueError, "empty iterable")
    _same_error(keras, plain, lambda la: la.adapt(x for x in []), ValueError, "empty iterable")
    _same_error(keras, plain, lambda la: la.adapt(x for x in [42]), TypeError, "`.shape`")
    ragged = [np.ones((8, 4)), np.ones((8, 6))]
    layer = _same_error(keras, plain, lambda la: la.adapt(iter(ragged)), ValueError, "incompatible shape")
    layer.adapt(ragged[:1])  # the refused adapt changed nothing that stops a good one
    np.testing.assert_array_equal(layer.mean, np.ones((1, 4)))

    def built(lib):
        layer = lib.layers.Normalization()
        layer.build((10, 5))
        return layer
    layer = _same_error(keras, built, lambda la: la.adapt(np.ones((10, 3))), ValueError, "an incompatible shape")
    np.testing.assert_array_equal(layer.variance, np.ones((1, 5)))  # still the initial statistics
    for axis, shape in ((3, (2, 2)), (-4, (2, 3, 4))):
        _same_error(keras, lambda lib, a=axis: lib.layers.Normalization(axis=a), lambda la, s=shape: la.build(s),
                    ValueError, r"All `axis` values must be in the range \[-ndim, ndim\)")

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

"""nnlite.datasets: scikit-learn's train_test_split contract and the CSV reader of the command line."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite.datasets import load_csv, train_test_split


def test_reachable_from_the_package():
    assert nnlite.datasets.train_test_split is train_test_split


def test_scikit_learn_documented_example():
    # scikit-learn's documented example: 5 rows, test_size=0.33, random_state=42 ->
    # train rows [2, 0, 3], test rows [1, 4].
    X, y = np.arange(10).reshape((5, 2)), list(range(5))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.33, random_state=42)
    np.testing.assert_array_equal(X_train, [[4, 5], [0, 1], [6, 7]])
    np.testing.assert_array_equal(y_train, [2, 0, 3])
    np.testing.assert_array_equal(X_test, [[2, 3], [8, 9]])
    np.testing.assert_array_equal(y_test, [1, 4])
    # ... and without shuffling the last rows are the test part
    y_train, y_test = train_test_split(y, shuffle=False)
    assert y_train.tolist() == [0, 1, 2] and y_test.tolist() == [3, 4]


@pytest.mark.parametrize("n, test_size, train_size, expected", [
    (10, None, None, (7, 3)),   # 25% held out, rounded up
    (10, 0.25, None, (7, 3)),
    (10, 0.2, None, (8, 2)),
    (10, 3, None, (7, 3)),
    (10, None, 0.55, (5, 5)),   # train rounded down
    (10, 0.2, 0.5, (5, 2)),     # both given: the rest is dropped
    (3, 0.5, None, (1, 2)),
])
def test_sizes_follow_scikit_learn_rounding(n, test_size, train_size, expected):
    a_train, a_test = train_test_split(np.arange(n), test_size=test_size, train_size=train_size,
                                       random_state=0)
    assert (len(a_train), len(a_test)) == expected
    assert len(set(a_train) | set(a_test)) == sum(expected)  # disjoint rows


def test_every_array_is_split_by_the_same_rows():
    x = np.arange(40).reshape(20, 2)
    y, w = np.arange(20), np.arange(20) * 10.0
    x_tr, x_te, y_tr, y_te, w_tr, w_te = train_test_split(x, y, w, random_state=3)
    np.testing.assert_array_equal(x_tr[:, 0] // 2, y_tr)
    np.testing.assert_array_equal(w_te / 10, y_te)


def test_stratify_keeps_class_shares():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    x = np.arange(100)
    _, _, y_train, y_test = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
    np.testing.assert_array_equal(np.bincount(y_test), [10, 6, 4])
    np.testing.assert_array_equal(np.bincount(y_train), [40, 24, 16])


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(test_size=1.0), ValueError, "a float test_size must lie in (0, 1)"),
    (dict(test_size=0), ValueError, "an int test_size must lie in [1, 9]"),
    (dict(test_size="0.2"), TypeError, "test_size must be a float"),
    (dict(test_size=0.6, train_size=0.6), ValueError, "more than the 10 there are"),
    (dict(train_size=0.05), ValueError, "both need at least one"),
    (dict(stratify=[0] * 9 + [1]), ValueError, "at least 2 rows of each class"),
    (dict(stratify=[0, 1]), ValueError, "one label per row (10)"),
    (dict(stratify=[0, 1] * 5, shuffle=False), ValueError, "stratify needs shuffle=True"),
])
def test_bad_sizes_are_named(kwargs, error, message):
    with pytest.raises(error) as raised:
        train_test_split(np.arange(10), **kwargs)
    assert message in str(raised.value)


def test_arrays_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match=r"same number of rows; received \[3, 4\]"):
        train_test_split(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        train_test_split()


def test_csv_without_header_numeric_labels(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("1,2,7\n3,4,5\n\n5,6,7\n")  # blank lines are skipped
    x, y, names = load_csv(str(path))
    np.testing.assert_array_equal(x, [[1, 2], [3, 4], [5, 6]])
    assert names == ["5", "7"] and y.tolist() == [1, 0, 1]
    x0, y0, names0 = load_csv(str(path), label=0)
    np.testing.assert_array_equal(x0, [[2, 7], [4, 5], [6, 7]])
    assert names0 == ["1", "3", "5"]


@pytest.mark.parametrize("text, label, message", [
    ("", -1, "holds no rows"),
    ("a,b\n", -1, "a header and no data rows"),
    ("a,b\n1,2\n3\n", -1, "line 3 of"),
    ("a,b\n1,x\n2,y\n", "b", None),  # string labels are fine
    ("a,b\nx,1\n", "b", "column 'a' of"),
    ("a,b\nnan,1\n", "b", "line 2 of"),
    ("a,b\n1,2\n", "c", "no column named 'c'"),
    ("1,2\n3,4\n", "c", "give the label as an index"),
    ("1,2\n3,4\n", 5, "label column 5 is outside the 2 columns"),
])
def test_csv_mistakes_are_named(tmp_path, text, label, message):
    path = tmp_path / "t.csv"
    path.write_text(text)
    if message is None:
        x, y, names = load_csv(str(path), label=label)
        assert names == ["x", "y"] and x.shape == (2, 1)
        return
    with pytest.raises(ValueError) as raised:
        load_csv(str(path), label=label)
    assert message in str(raised.value)


@pytest.mark.parametrize("name", nnlite.datasets.TOY_2D)
def test_toy_sets_are_two_balanced_classes_in_the_plane(name):
    x, y = nnlite.datasets.make_2d(name, n=400, noise=0.0, seed=1)
    assert x.shape == (400, 2) and x.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(y).tolist()) == {0, 1}
    assert abs(np.mean(y) - 0.5) < 0.1
    np.testing.assert_array_equal(nnlite.datasets.make_2d(name, n=400, noise=0.0, seed=1)[0], x)  # seeded


def test_toy_sets_have_the_shapes_they_are_named_after():
    x, y = nnlite.datasets.make_2d("circles", n=200, noise=0.0)
    np.testing.assert_allclose(np.hypot(*x.T), np.where(y == 1, 0.5, 1.0), atol=1e-12)
    x, y = nnlite.datasets.make_2d("xor", n=200, noise=0.0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] > 0))
    x, y = nnlite.datasets.make_2d("spirals", n=200, noise=0.0)
    assert np.all(np.hypot(*x.T) <= 1 + 1e-12)
    x, y = nnlite.datasets.make_2d("moons", n=200, noise=0.0)
    upper = x[y == 0]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-12)
    noisy, _ = nnlite.datasets.make_2d("moons", n=200, noise=0.2)
    assert 0.1 < np.std(noisy - x) < 0.3


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="swirl"), "unknown data set 'swirl'; choose one of ['circles', 'moons', 'xor', 'spirals']"),
    (dict(name="xor", n=1), "n must be an int of at least 2"),
    (dict(name="xor", n=10.0), "n must be an int of at least 2"),
    (dict(name="xor", noise=-0.1), "noise is a standard deviation and must be >= 0"),
    (dict(name="xor", noise=float("nan")), "noise is a standard deviation and must be >= 0"),
])
def test_toy_set_mistakes_are_named(kwargs, message):
    with pytest.raises(ValueError) as raised:
        nnlite.datasets.make_2d(**kwargs)
    assert message in str(raised.value)

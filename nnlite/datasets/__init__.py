"""Small real data sets shipped with nnlite, for the main job, tests and notebooks."""

from __future__ import annotations

import numpy as np

from .csv_table import load_csv as load_csv  # re-exported: nnlite.datasets.load_csv


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits: x (1797, 64) pixel counts 0..16, y (1797,) digits 0..9.

    Optical Recognition of Handwritten Digits, E. Alpaydin and C. Kaynak (UCI, CC BY 4.0);
    see DIGITS-LICENSE.txt beside the data file.

    Example:
        >>> import numpy as np, nnlite
        >>> x, y = nnlite.datasets.load_digits()
        >>> x.shape, y.shape, int(x.max())
        ((1797, 64), (1797,), 16)
    """
    import gzip  # here rather than at the top: import nnlite loads no file machinery
    from importlib import resources

    with resources.files(__name__).joinpath("digits.csv.gz").open("rb") as raw:
        table = np.loadtxt(gzip.open(raw, "rt"), delimiter=",", dtype=np.int64)
    return table[:, :64].astype(np.float64), table[:, 64]


def train_test_split(*arrays: np.ndarray, test_size: float | int | None = None,
                     train_size: float | int | None = None, random_state: int | None = None,
                     shuffle: bool = True, stratify: np.ndarray | None = None) -> list[np.ndarray]:
    """Split each array's rows into train and test: ``[a_train, a_test, b_train, b_test, ...]``.

    scikit-learn's order and arguments. A float size is a fraction of the n rows (the test part
    rounded up, the train part down), an int is a row count; with neither given, 25% is held out.
    With ``shuffle`` the rows are ``RandomState(random_state).permutation(n)``, test rows first, so
    an integer ``random_state`` picks the same rows as scikit-learn's ``ShuffleSplit``. ``stratify``
    (labels, one per row) keeps each class's share in both parts; its rows are drawn per class
    from the same generator and need not be the ones scikit-learn draws.

    Args:
        *arrays: arrays with the same number of rows.
        test_size: the test part: a fraction of the rows or a row count (default 0.25 when neither is given).
        train_size: the train part likewise (default: the rest).
        random_state: the seed of the shuffle.
        shuffle: shuffle the rows before splitting.
        stratify: one label per row, whose classes keep their shares in both parts.

    Returns:
        ``[a_train, a_test, b_train, b_test, ...]``.

    Example:
        >>> import numpy as np
        >>> from nnlite.datasets import train_test_split
        >>> x_train, x_test = train_test_split(np.arange(10), test_size=0.2, random_state=0)
        >>> len(x_train), len(x_test)
        (8, 2)
    """
    if not arrays:
        raise ValueError("train_test_split: expected at least one array, received none.")
    arrays = tuple(np.asarray(a) for a in arrays)
    n = len(arrays[0])
    lengths = [len(a) for a in arrays]
    if any(length != n for length in lengths):
        raise ValueError(f"train_test_split: all arrays need the same number of rows; received {lengths}.")
    n_train, n_test = _split_sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ValueError("train_test_split: stratify needs shuffle=True, as in scikit-learn.")
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    elif stratify is None:
        order = np.random.RandomState(random_state).permutation(n)
        test, train = order[:n_test], order[n_test:n_test + n_train]
    else:
        labels = np.asarray(stratify)
        if labels.ndim == 0 or len(labels) != n:
            raise ValueError(f"train_test_split: stratify needs one label per row ({n}); received "
                             f"shape {labels.shape}.")
        train, test = _stratified_rows(labels, n_train, n_test, random_state)
    return [part for a in arrays for part in (a[train], a[test])]


def _split_sizes(n: int, test_size: float | int | None, train_size: float | int | None) -> tuple[int, int]:
    """Row counts (n_train, n_test) by scikit-learn's rule: ceil for a test fraction, floor for train."""
    if test_size is None and train_size is None:
        test_size = 0.25

    def count(size: float | int | None, name: str, rounding) -> int | None:
        if size is None:
            return None
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, float, np.integer, np.floating)):
            raise TypeError(f"train_test_split: {name} must be a float in (0, 1), an int or None; "
                            f"received {size!r}.")
        if isinstance(size, (float, np.floating)):
            if not 0.0 < size < 1.0:
                raise ValueError(f"train_test_split: a float {name} must lie in (0, 1); received {size}.")
            return int(rounding(size * n))
        if not 0 < size < n:
            raise ValueError(f"train_test_split: an int {name} must lie in [1, {n - 1}] for {n} rows; "
                             f"received {size}.")
        return int(size)

    n_test = count(test_size, "test_size", np.ceil)
    n_train = count(train_size, "train_size", np.floor)
    n_test = n - n_train if n_test is None else n_test
    n_train = n - n_test if n_train is None else n_train
    if n_train + n_test > n:
        raise ValueError(f"train_test_split: train_size + test_size = {n_train} + {n_test} rows, more "
                         f"than the {n} there are.")
    if n_train == 0 or n_test == 0:
        raise ValueError(f"train_test_split: with {n} rows these sizes leave {n_train} for training and "
                         f"{n_test} for testing; both need at least one.")
    return n_train, n_test


def _stratified_rows(labels: np.ndarray, n_train: int, n_test: int,
                     random_state: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Rows per class in proportion to the class's share, largest remainders first."""
    classes, y = np.unique(labels, axis=0, return_inverse=True)
    y = y.reshape(-1)
    counts = np.bincount(y, minlength=len(classes))
    if counts.min() < 2:
        raise ValueError(f"train_test_split: stratify needs at least 2 rows of each class; class "
                         f"{classes[int(np.argmin(counts))]!r} has {counts.min()}.")
    rng = np.random.RandomState(random_state)

    def allocate(total: int, available: np.ndarray) -> np.ndarray:
        share = total * available / available.sum()
        taken = np.floor(share).astype(np.int64)
        for k in np.argsort(-(share - taken), kind="stable")[: total - taken.sum()]:
            taken[k] += 1
        return np.minimum(taken, available)

    test_counts = allocate(n_test, counts)
    train_counts = allocate(n_train, counts - test_counts)
    train, test = [], []
    for k in range(len(classes)):
        rows = rng.permutation(np.flatnonzero(y == k))
        test.append(rows[: test_counts[k]])
        train.append(rows[test_counts[k]: test_counts[k] + train_counts[k]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


TOY_2D = ("circles", "moons", "xor", "spirals")


def make_2d(name: str, n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two-class points in the plane for the playground: x (n, 2) float64, y (n,) labels 0/1, half each.

    circles: a ring of radius 1 (class 0) around a ring of radius 0.5 (class 1); moons: two interleaved
    half circles; xor: uniform in [-1, 1]^2, class 1 where x1 * x2 > 0; spirals: two arms winding
    one and a half turns. ``noise`` is the standard deviation of Gaussian noise added to every point.

    Args:
        name: one of "circles", "moons", "xor", "spirals".
        n: the number of points.
        noise: the standard deviation of the Gaussian noise added to each coordinate.
        seed: the seed of the points and the noise.

    Returns:
        (x, y): points (n, 2) float64 and labels (n,) int64.

    Example:
        >>> from nnlite.datasets import make_2d
        >>> x, y = make_2d("circles", n=4, noise=0.0)
        >>> x.shape, y.tolist()
        ((4, 2), [0, 1, 0, 1])
    """
    if name not in TOY_2D:
        raise ValueError(f"make_2d: unknown data set {name!r}; choose one of {list(TOY_2D)}.")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"make_2d: n must be an int of at least 2; received {n!r}.")
    if not noise >= 0:
        raise ValueError(f"make_2d: noise is a standard deviation and must be >= 0; received {noise!r}.")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2  # 0, 1, 0, 1, ...: half of each class
    t = rng.uniform(0.0, 1.0, n)
    if name == "circles":
        angle, radius = 2 * np.pi * t, np.where(y == 1, 0.5, 1.0)
        x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    elif name == "moons":
        angle = np.pi * t
        x = np.where(y[:, None] == 0, np.stack([np.cos(angle), np.sin(angle)], axis=1),
                     np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], axis=1))
    elif name == "xor":
        x = rng.uniform(-1.0, 1.0, (n, 2))
        y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    else:  # spirals: radius grows with the angle; the second arm is the first turned by pi
        angle = 3 * np.pi * t
        radius = angle / (3 * np.pi)
        turn = np.pi * y
        x = np.stack([radius * np.cos(angle + turn), radius * np.sin(angle + turn)], axis=1)
    x = x + rng.normal(0.0, noise, x.shape)
    return x, y.astype(np.int64)

"""Small real data sets shipped with nnlite, for the main job, tests and notebooks."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits: x (1797, 64) pixel counts 0..16, y (1797,) digits 0..9.

    Optical Recognition of Handwritten Digits, E. Alpaydin and C. Kaynak (UCI, CC BY 4.0);
    see DIGITS-LICENSE.txt beside the data file.
    """
    with resources.files(__name__).joinpath("digits.csv.gz").open("rb") as raw:
        table = np.loadtxt(gzip.open(raw, "rt"), delimiter=",", dtype=np.int64)
    return table[:, :64].astype(np.float64), table[:, 64]


def train_test_split(x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle rows with ``seed`` and hold out the last ``test_fraction`` for testing."""
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(round(len(x) * (1 - test_fraction)))
    train, test = order[:cut], order[cut:]
    return x[train], y[train], x[test], y[test]

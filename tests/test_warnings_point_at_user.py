"""nnlite's warnings name the user's file and line, however deep in nnlite they are raised."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnlite


def _caught(action):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    assert caught, "no warning was raised"
    return caught


def test_divergence_warning_points_at_the_fit_call():
    model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
    model.compile(optimizer=nnlite.optimizers.SGD(learning_rate=1e30), loss="mse")
    x = np.full((8, 2), 1e10)
    caught = _caught(lambda: model.fit(x, np.ones(8), epochs=2, batch_size=2, verbose=0))
    stopped = [w for w in caught if "fit stopped" in str(w.message)]
    assert stopped and stopped[0].filename == __file__


@pytest.mark.parametrize("make", [
    lambda: nnlite.layers.LeakyReLU(alpha=0.1),
    lambda: nnlite.optimizers.SGD(decay=0.1),
    lambda: nnlite.callbacks.EarlyStopping(mode="upward"),
])
def test_constructor_warnings_point_at_the_caller(make):
    caught = _caught(make)
    assert all(w.filename == __file__ for w in caught), [(w.filename, str(w.message)) for w in caught]


def test_from_logits_on_a_softmax_output_warns_at_the_users_line():
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(2, activation="softmax")])
    loss = nnlite.losses.SparseCategoricalCrossentropy(from_logits=True)

    def run():
        model.compile(optimizer="sgd", loss=loss)
        model.fit(np.zeros((4, 3)), np.zeros(4), verbose=0)

    caught = _caught(run)
    assert any("from_logits=True" in str(w.message) and w.filename == __file__ for w in caught), \
        [(w.filename, str(w.message)) for w in caught]

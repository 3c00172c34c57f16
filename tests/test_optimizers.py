"""Optimizers: several steps on the same variables and gradients as Keras 3."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite.variables import Variable

from .conftest import RTOL
from .helpers import assert_close

SGD_CASES = [
    {},
    {"learning_rate": 0.3},
    {"learning_rate": 0.1, "momentum": 0.9},
    {"learning_rate": 0.1, "momentum": 0.7, "nesterov": True},
    {"learning_rate": 0.1, "clipnorm": 0.5},
    {"learning_rate": 0.1, "global_clipnorm": 0.8},
    {"learning_rate": 0.1, "clipvalue": 0.2},
    {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.05},
]


def run_steps(keras, name, kwargs, shapes, grads_per_step, dtype):
    rng = np.random.default_rng(0)
    start = [rng.normal(size=s).astype(dtype) for s in shapes]
    k_vars = [keras.Variable(w.copy(), dtype=dtype) for w in start]
    k_opt = getattr(keras.optimizers, name)(**kwargs)
    n_vars = [Variable(w.copy(), f"w{i}") for i, w in enumerate(start)]
    n_opt = getattr(nnlite.optimizers, name)(**kwargs)
    for grads in grads_per_step:
        k_opt.apply_gradients(zip([g.astype(dtype) for g in grads], k_vars))
        n_opt.apply([g.astype(dtype) for g in grads], n_vars)
    return [v.numpy() for v in n_vars], [np.asarray(v.numpy()) for v in k_vars], n_opt, k_opt


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=[str(c) for c in SGD_CASES])
def test_sgd_steps_match_keras(keras, floatx, kwargs):
    rng = np.random.default_rng(1)
    shapes = [(3, 4), (4,)]
    steps = [[rng.normal(scale=2, size=s) for s in shapes] for _ in range(5)]
    mine, theirs, n_opt, k_opt = run_steps(keras, "SGD", kwargs, shapes, steps, floatx)
    for a, b in zip(mine, theirs):
        assert a.dtype == np.dtype(floatx)
        assert_close(a, b, RTOL[floatx], f"SGD{kwargs}")
    assert n_opt.iterations == int(k_opt.iterations.numpy()) == 5


def test_get_by_name_and_object():
    sgd = nnlite.optimizers.SGD(0.5)
    assert nnlite.optimizers.get(sgd) is sgd
    assert isinstance(nnlite.optimizers.get("SGD"), nnlite.optimizers.SGD)
    assert nnlite.optimizers.get("sgd").learning_rate == 0.01


def test_learning_rate_schedule_callable_is_called_with_the_step_count():
    seen = []
    opt = nnlite.optimizers.SGD(learning_rate=lambda step: seen.append(step) or 0.1)
    w = Variable(np.ones(2), "w")
    for _ in range(3):
        opt.apply([np.ones(2)], [w])
    assert seen == [0, 1, 2]
    assert np.allclose(w.value, 1 - 0.3)


def test_gradient_count_must_match():
    with pytest.raises(ValueError, match="Got 1 gradients for 2 variables"):
        nnlite.optimizers.SGD().apply([np.ones(1)], [Variable(np.ones(1), "a"), Variable(np.ones(1), "b")])

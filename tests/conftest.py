"""Shared fixtures: the real Keras (TensorFlow backend) as the reference, and floatx.

Parity tests take the ``keras`` fixture. Without TensorFlow they skip on a
developer's machine, and fail when CI=true: a skipped parity test proves nothing.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import nnlite

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Relative tolerances of the Keras contract, by floatx.
RTOL = {"float64": 1e-9, "float32": 2e-4}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(module: str):
    """``module`` imported; a test dependency missing is a skip on a developer's machine and a failure in CI
    (where ``pytest.importorskip`` would pass silently)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        if _in_ci():
            pytest.fail(f"{module} is a test dependency and must be installed in CI: {err}")
        pytest.skip(f"{module} not installed ({err})")


@pytest.fixture(autouse=True)
def _fresh_names():
    """Each test starts a fresh session, as Keras's own tests do: automatic names count from dense, dense_1, ..."""
    nnlite.config.clear_session(free_memory=False)


@pytest.fixture(scope="session")
def keras():
    try:
        import keras as real_keras
        import tensorflow  # noqa: F401
    except ImportError as err:
        if _in_ci():
            pytest.fail(f"TensorFlow and Keras are required in CI for the parity tests: {err}")
        pytest.skip(f"TensorFlow/Keras not installed ({err}); parity tests skipped outside CI")
    if real_keras.backend.backend() != "tensorflow":
        pytest.fail(f"Keras must run on TensorFlow, not {real_keras.backend.backend()}")
    return real_keras


@pytest.fixture
def tf(keras):
    import tensorflow

    return tensorflow


@pytest.fixture(params=["float64", "float32"])
def floatx(request):
    """Run the test in both frameworks at this floatx; yields the dtype name."""
    return _set_floatx(request, request.param)


@pytest.fixture
def float64(request):
    """Run the test in float64 in nnlite (and Keras, if the test uses it)."""
    return _set_floatx(request, "float64")


def _set_floatx(request, value):
    before = nnlite.config.floatx()
    nnlite.config.set_floatx(value)
    keras_before = None
    if "keras" in request.fixturenames:
        real_keras = request.getfixturevalue("keras")
        keras_before = real_keras.config.floatx()
        _set_keras_floatx(real_keras, value)

    def restore():
        nnlite.config.set_floatx(before)
        if keras_before is not None:
            _set_keras_floatx(request.getfixturevalue("keras"), keras_before)

    request.addfinalizer(restore)
    return value


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def _set_keras_floatx(real_keras, value):
    # Keras caches its default dtype policy on first use; reset it with floatx.
    real_keras.config.set_floatx(value)
    real_keras.config.set_dtype_policy(value)

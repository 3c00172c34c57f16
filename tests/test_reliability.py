"""Reliability: properties over random models, numerical extremes, divergence, Ctrl-C, fuzzed files."""

from __future__ import annotations

import io
import json
import os
import signal
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnlite
from nnlite import activations, layers
from nnlite.saving import LoadError

from .helpers import write_zip

SMOOTH = ["linear", "sigmoid", "tanh", "softplus", "softsign", "silu", "mish", "gelu", "selu", "celu", "elu",
          "log_sigmoid", "squareplus", "tanh_shrink", "exponential"]
LOSS_KINDS = {"mse": "regression", "mae": "regression", "huber": "regression", "log_cosh": "regression",
              "binary_crossentropy": "binary", "categorical_crossentropy": "categorical",
              "sparse_categorical_crossentropy": "sparse", "kl_divergence": "categorical", "poisson": "positive"}
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def models(draw):
    """A random Sequential (widths, activations, loss), compiled, with data that fits it."""
    depth = draw(st.integers(1, 3))
    widths = [draw(st.integers(1, 6)) for _ in range(depth + 1)]
    loss = draw(st.sampled_from(sorted(LOSS_KINDS)))
    kind = LOSS_KINDS[loss]
    if kind in ("categorical", "sparse"):
        widths[-1] = max(widths[-1], 2)
    hidden = [draw(st.sampled_from(SMOOTH)) for _ in range(depth - 1)]
    last = {"binary": "sigmoid", "categorical": "softmax", "sparse": "softmax", "positive": "softplus"}.get(
        kind, draw(st.sampled_from(SMOOTH)))
    seed = draw(st.integers(0, 2**16))
    init = nnlite.initializers.GlorotUniform(seed=seed)
    model = nnlite.Sequential([nnlite.Input((widths[0],))] + [
        layers.Dense(w, activation=a, kernel_initializer=init,
                     bias_initializer=nnlite.initializers.RandomNormal(stddev=0.1, seed=seed))
        for w, a in zip(widths[1:], hidden + [last])])
    model.compile(optimizer=nnlite.optimizers.SGD(0.05), loss=loss)
    rng = np.random.default_rng(seed)
    n, k = draw(st.integers(2, 9)), widths[-1]
    x = rng.normal(size=(n, widths[0]))
    y = {"regression": lambda: rng.normal(size=(n, k)),
         "binary": lambda: (rng.random((n, k)) > 0.5).astype(float),
         "categorical": lambda: np.eye(k)[rng.integers(0, k, n)],
         "sparse": lambda: rng.integers(0, k, n),
         "positive": lambda: rng.uniform(0, 3, (n, k))}[kind]()
    return model, x, y


@PROPERTY_SETTINGS
@given(models())
def test_property_gradient_check_passes(case):
    model, x, y = case
    # central differences err by O(h^2) (truncation) plus O(eps |L| / h) (round-off): h = 1e-5 balances the two in
    # float64 (eps^(1/3)); at 1e-6 a saturated sigmoid's tiny gradient drowned in round-off (a case hypothesis found:
    # 4.9e-5 at h = 1e-6, 8.9e-7 at 1e-5, 5.7e-7 at 1e-4)
    errors = nnlite.utils.check_gradients(model, x, y, epsilon=1e-5)
    # mae has a kink at p = y, never hit by random data; allow the finite differences a margin there
    assert max(errors.values()) < (1e-4 if model.loss.name == "mean_absolute_error" else 1e-5), errors


@PROPERTY_SETTINGS
@given(models(), st.integers(1, 5))
def test_property_predictions_do_not_depend_on_batch_size(case, batch_size):
    model, x, _ = case
    np.testing.assert_allclose(model.predict(x, batch_size=batch_size), model.predict(x, batch_size=len(x)),
                               rtol=2e-6, atol=1e-6)


@PROPERTY_SETTINGS
@given(models())
def test_property_save_load_gives_same_predictions_and_next_step(tmp_path_factory, case):
    model, x, y = case
    path = tmp_path_factory.mktemp("prop") / "m.keras"
    model.fit(x, y, epochs=1, verbose=0, shuffle=False)
    model.save(path)
    loaded = nnlite.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    h1 = model.fit(x, y, epochs=1, verbose=0, shuffle=False)
    h2 = loaded.fit(x, y, epochs=1, verbose=0, shuffle=False)
    assert h1.history == h2.history
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


@PROPERTY_SETTINGS
@given(st.integers(0, 2**16))
def test_property_fit_is_deterministic_for_a_seed(seed):
    results = []
    for _ in range(2):
        nnlite.utils.set_random_seed(seed)
        model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(4, activation="relu"), layers.Dropout(0.3),
                                   layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        rng = np.random.default_rng(seed)
        h = model.fit(rng.normal(size=(20, 3)), rng.normal(size=20), epochs=2, batch_size=6, verbose=0)
        results.append((h.history["loss"], [w.tolist() for w in model.get_weights()]))
    nnlite.utils.set_random_seed(None)
    assert results[0] == results[1]


# -- numerical extremes -------------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in activations.names() if n != "exponential"])
def test_extreme_inputs_activations(name):
    """Inputs of +-1e4 and 1e6: finite values and gradients, no floating-point warnings."""
    f = activations.Threshold(0.5, -1.0) if name == "threshold" else activations.get(name)
    for dtype in (np.float32, np.float64):
        z = np.array([[-1e6, -1e4, -30.0, 0.5, 30.0, 1e4, 1e6, -0.5]], dtype=dtype)  # 8: glu halves it
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
            warnings.simplefilter("error")
            a = f(z)
            g = f.backward(z, a, np.ones_like(a))
        assert np.all(np.isfinite(a)) and np.all(np.isfinite(g)), (name, a, g)


@pytest.mark.parametrize("loss", ["binary_crossentropy", "categorical_crossentropy",
                                  "sparse_categorical_crossentropy"])
def test_extreme_logits_in_the_fused_losses(loss):
    fused = nnlite.losses.resolve(loss)
    fused.from_logits = True
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], dtype=np.float32)
    y = np.array([1, 0]) if loss.startswith("sparse") else np.eye(3, dtype=np.float32)[[1, 0]]
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        value, grad = fused.value_and_grad(y, z)
    assert np.isfinite(value) and value > 1e3 and np.all(np.isfinite(grad))


@pytest.mark.parametrize("loss", sorted(set(nnlite.losses.names()) - {"mape", "mean_absolute_percentage_error",
                                                                      "MeanAbsolutePercentageError", "CTC", "ctc"}))
def test_extreme_predictions_in_every_loss(loss):
    """Predictions near the edges of each loss's domain give finite values and gradients (CTC, whose labels and
    logits have other shapes, is checked in test_ctc)."""
    fn = nnlite.losses.resolve(loss)
    p = np.array([[1e-12, 1 - 1e-9, 0.5], [0.999999, 1e-30, 1e-3]], dtype=np.float64)
    y = np.array([0, 1]) if fn.sparse_labels else np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    if loss in ("mse", "mae", "huber", "log_cosh", "logcosh", "huber_loss", "mean_squared_error",
                "mean_absolute_error", "cosine_similarity", "hinge", "squared_hinge", "categorical_hinge"):
        p = p * 1e6  # unbounded outputs: large values
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        value, grad = fn.value_and_grad(y, p)
    assert np.isfinite(value) and np.all(np.isfinite(grad)), (loss, value, grad)


# -- divergence and interruption ----------------------------------------------------------------
def test_divergence_stops_fit_with_the_last_finite_weights(rng):
    model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=nnlite.optimizers.SGD(learning_rate=5.0), loss="mse")
    x, y = rng.normal(size=(64, 3)) * 10, rng.normal(size=64) * 10
    snapshots = []
    cb = nnlite.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: snapshots.append(model.get_weights()))
    with pytest.warns(RuntimeWarning, match=r"fit stopped: the loss became (nan|inf) at batch \d+"):
        history = model.fit(x, y, epochs=20, batch_size=4, verbose=0, callbacks=[cb])
    assert len(history.epoch) < 20
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())
    # the final weights are those after the last applied (finite) step
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), snapshots[-1]))
    with np.errstate(over="ignore"):  # the last finite weights are large: predictions may overflow
        assert model.predict(x).shape == (64, 1)


def test_ctrl_c_stops_between_steps(rng):
    model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.compile(optimizer=nnlite.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    x, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    after_step = []

    def on_begin(batch, logs=None):
        if batch == 3:
            os.kill(os.getpid(), signal.SIGINT)  # arrives mid-epoch, inside the training step

    cb = nnlite.callbacks.LambdaCallback(on_train_batch_begin=on_begin,
                                         on_train_batch_end=lambda b, logs: after_step.append(model.get_weights()))
    with pytest.raises(KeyboardInterrupt, match="fit interrupted after batch 4"):
        model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[cb])
    assert len(after_step) == 4
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), after_step[-1]))
    assert model.optimizer.iterations == 4
    model.fit(x, y, epochs=1, verbose=0)  # still usable
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# -- fuzzing the loaders ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(4, activation="relu"), layers.Dropout(0.1),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.ones((4, 3)), np.array([0, 1, 0, 1]), verbose=0)
    model.save(folder / "m.keras")
    model.save_weights(folder / "m.weights.h5")
    return (folder / "m.keras").read_bytes(), (folder / "m.weights.h5").read_bytes(), model


def _mutate(data: bytes, edits, cut: int | None) -> bytes:
    buf = bytearray(data)
    for position, value in edits:
        buf[position % len(buf)] = value
    return bytes(buf[:cut] if cut is not None else buf)


# NNLITE_FUZZ_EXAMPLES=3000 runs the fuzzers longer (150 cases each by default)
FUZZ = settings(max_examples=int(os.environ.get("NNLITE_FUZZ_EXAMPLES", 150)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _loaded_model_is_sound(model) -> None:
    """What any model a file yields must satisfy: finite weights, and a forward pass of the declared shape."""
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())
    out = model.predict(np.ones((2,) + tuple(model.input_shape[1:])), verbose=0)
    assert np.shape(out)[0] == 2


def _loads_soundly_or_is_refused(path) -> None:
    """A .keras file either loads into a sound model or is refused with a LoadError naming it; any other
    error (a defect in nnlite's own parsing) fails the test."""
    try:
        model = nnlite.models.load_model(path)
    except LoadError as err:
        assert str(path) in str(err)
        return
    _loaded_model_is_sound(model)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), max_size=8),
       cut=st.one_of(st.none(), st.integers(0, 6000)))
def test_fuzzed_keras_files_load_or_fail_cleanly(tmp_path_factory, saved_files, edits, cut):
    """The zip's own bytes mutated: most cases stop at the zip layer (its checksums), as they should."""
    path = tmp_path_factory.mktemp("f") / "x.keras"
    path.write_bytes(_mutate(saved_files[0], edits, cut))
    _loads_soundly_or_is_refused(path)


@FUZZ
@given(member=st.sampled_from(["config.json", "model.weights.h5", "metadata.json"]),
       edits=st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.one_of(st.none(), st.integers(0, 20000)))
def test_fuzzed_members_behind_valid_checksums_load_or_fail_cleanly(tmp_path_factory, saved_files, member, edits,
                                                                    cut):
    """One member's bytes mutated and the zip written again, so every case gets past the zip's checksums to
    nnlite's own parsing; an error other than a LoadError (a defect in nnlite) fails the test."""
    parts = _keras_parts(saved_files)
    parts[member] = _mutate(parts[member], edits, cut)
    path = _rezip(parts, tmp_path_factory)
    _loads_soundly_or_is_refused(path)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.one_of(st.none(), st.integers(0, 8000)))
def test_fuzzed_weights_files_load_or_fail_cleanly(tmp_path_factory, saved_files, edits, cut):
    path = tmp_path_factory.mktemp("f") / "x.weights.h5"
    path.write_bytes(_mutate(saved_files[1], edits, cut))
    model = saved_files[2]
    before = model.get_weights()
    try:
        model.load_weights(path)
    except LoadError as err:  # refused: the model is as it was
        assert str(path) in str(err)
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    else:  # loaded: every weight kept its shape and dtype and is finite, and the model still predicts
        after = model.get_weights()
        assert [(a.shape, a.dtype) for a in after] == [(b.shape, b.dtype) for b in before]
        _loaded_model_is_sound(model)
    finally:
        model.set_weights(before)


@FUZZ
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
                    lambda inner: st.one_of(st.lists(inner, max_size=4),
                                            st.dictionaries(st.sampled_from(
                                                ["class_name", "module", "config", "layers", "name", "units",
                                                 "activation", "batch_shape", "compile_config", "loss",
                                                 "optimizer", "learning_rate", "registered_name"]), inner,
                                                max_size=5)),
                    max_leaves=20))
def test_fuzzed_configs_fail_cleanly(saved_files, spec):
    try:
        nnlite.saving.model_from_spec(spec)
    except LoadError as err:  # every failure is a LoadError that says what was wrong
        assert str(err)


def _paths(node, prefix=()):
    """Every place in a JSON tree: (path to it, value)."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _rezip(parts: dict, tmp_path_factory) -> str:
    return write_zip(tmp_path_factory.mktemp("z") / "x.keras", parts)


def _keras_parts(saved_files) -> dict:
    with zipfile.ZipFile(io.BytesIO(saved_files[0])) as z:
        return {n: z.read(n) for n in z.namelist()}


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=True, allow_infinity=True),
              st.text(max_size=12), st.sampled_from(["Dense", "relu", "float64", "keras.layers", "sgd", "Lambda"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


@FUZZ
@given(data=st.data())
def test_fuzzed_config_inside_a_valid_file_loads_or_says_why(tmp_path_factory, saved_files, data):
    """The zip and the weights are intact; one place of config.json is replaced or removed."""
    parts = _keras_parts(saved_files)
    spec = json.loads(parts["config.json"])
    places = [p for p, _ in _paths(spec) if p]
    path = data.draw(st.sampled_from(places))
    parent = spec
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES)
    parts["config.json"] = json.dumps(spec).encode()
    try:
        model = nnlite.models.load_model(_rezip(parts, tmp_path_factory))
    except LoadError as err:
        assert str(err)
        return
    assert model.predict(np.ones((2,) + tuple(model.input_shape[1:])), verbose=0).shape[0] == 2


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), min_size=1, max_size=8))
def test_fuzzed_weights_inside_a_valid_file_load_or_say_why(tmp_path_factory, saved_files, edits):
    parts = _keras_parts(saved_files)
    parts["model.weights.h5"] = _mutate(parts["model.weights.h5"], edits, None)
    try:
        model = nnlite.models.load_model(_rezip(parts, tmp_path_factory))
    except LoadError as err:
        assert str(err)
        return
    _loaded_model_is_sound(model)


def test_a_small_file_declaring_a_huge_array_is_refused_before_reading(tmp_path, saved_files):
    import h5py

    model = saved_files[2]
    path = tmp_path / "bomb.weights.h5"
    path.write_bytes(saved_files[1])
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f.create_dataset("layers/dense/vars/0", shape=(200_000, 200_000), dtype="f8", chunks=(1000, 1000),
                         compression="gzip", fillvalue=1.0)  # 320 GB when read; a few kB on disk
    assert path.stat().st_size < 100_000
    with pytest.raises(LoadError, match=r"datasets \(/\) declares 3200000\d+ bytes but stores \d+: over the limit"):
        model.load_weights(path)


def test_zip_bomb_sized_member_is_refused(tmp_path, saved_files):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", b" " * (65 * 2**20))
        z.writestr("model.weights.h5", b"")
    with pytest.raises(LoadError, match="over the limit"):
        nnlite.models.load_model(path)


def test_weights_in_bytes_are_read_without_touching_other_files(saved_files):
    import h5py

    raw = io.BytesIO()
    with h5py.File(raw, "w") as f:
        f["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/x")
    with pytest.raises(LoadError, match="link to elsewhere"):
        nnlite.saving.read_weights(saved_files[2], io.BytesIO(raw.getvalue()))

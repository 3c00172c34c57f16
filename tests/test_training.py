"""Keras-complete training against Keras 3: metrics, weighted metrics, class weights, callbacks."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close, dense_model, keras_twin


def _pair(keras, sizes, acts, optimizer, loss, seed=0, **compile_kwargs):
    model = dense_model(sizes, acts, seed=seed)
    twin = keras_twin(keras, model)
    name, kwargs = optimizer
    model.compile(optimizer=getattr(nnlite.optimizers, name)(**kwargs), loss=loss, **compile_kwargs)
    twin.compile(optimizer=getattr(keras.optimizers, name)(**kwargs), loss=loss, **compile_kwargs)
    return model, twin


def _same_history(h1, h2, rtol):
    assert h1.epoch == h2.epoch
    assert list(h1.history) == list(h2.history), (list(h1.history), list(h2.history))
    for key, values in h2.history.items():
        assert_close(h1.history[key], values, rtol, key)


def _same_weights(model, twin, rtol):
    for a, b in zip(model.get_weights(), twin.get_weights()):
        assert_close(a, b, rtol, "weights")


METRIC_SETS = {
    "sparse": ("sparse_categorical_crossentropy", "sparse",
               ["accuracy", "sparse_categorical_crossentropy"], ["accuracy"]),
    "categorical": ("categorical_crossentropy", "categorical",
                    ["acc", "categorical_accuracy", "mse", "kl_divergence"],
                    ["categorical_crossentropy", "acc"]),
    "binary": ("binary_crossentropy", "binary", ["accuracy", "binary_crossentropy", "mae", "hinge"],
               ["accuracy"]),
}


# TensorFlow's in_top_k takes float32 only, so the top-k metrics are compared in float32.
TOP_K_SETS = {
    "sparse-top-k": ("sparse_categorical_crossentropy", "sparse", ["sparse_top_k_categorical_accuracy", "accuracy"],
                     []),
    "categorical-top-k": ("categorical_crossentropy", "categorical", ["top_k_categorical_accuracy"], ["acc"]),
}


@pytest.mark.parametrize("case", list(TOP_K_SETS))
def test_top_k_metrics_match_keras_in_float32(keras, request, rng, case):
    from .conftest import _set_floatx

    _set_floatx(request, "float32")
    _metrics_case(keras, "float32", rng, *TOP_K_SETS[case])


@pytest.mark.parametrize("case", list(METRIC_SETS))
def test_metrics_and_weighted_metrics_match_keras(keras, floatx, rng, case):
    _metrics_case(keras, floatx, rng, *METRIC_SETS[case])


def _metrics_case(keras, floatx, rng, loss, kind, metrics, weighted):
    k = 1 if kind == "binary" else 6
    act = "sigmoid" if kind == "binary" else "softmax"
    model, twin = _pair(keras, [4, 7, k], ["relu", act], ("Adam", {"learning_rate": 0.01}), loss,
                        metrics=metrics, weighted_metrics=weighted)
    n = 40
    x = rng.normal(size=(n, 4)).astype(floatx)
    labels = rng.integers(0, k if k > 1 else 2, n)
    if kind == "sparse":
        y = labels
    elif kind == "binary":  # (n, 1): Keras's binary_crossentropy metric refuses rank-1 labels
        y = labels[:, None].astype(floatx)
    else:
        y = np.eye(k, dtype=floatx)[labels]
    sw = rng.uniform(0, 2, n).astype(floatx)
    kwargs = {"batch_size": 9, "epochs": 3, "sample_weight": sw, "validation_split": 0.25}
    h1 = model.fit(x, y, shuffle=False, verbose=0, **kwargs)
    h2 = twin.fit(x, y, shuffle=False, verbose=0, **kwargs)
    _same_history(h1, h2, RTOL[floatx])
    _same_weights(model, twin, RTOL[floatx])
    r1 = model.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
    r2 = twin.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
    assert list(r1) == list(r2)
    for key in r2:
        assert_close(r1[key], r2[key], RTOL[floatx], key)


@pytest.mark.parametrize(("kind", "loss", "metrics"), [
    ("binary", "mse", ["binary_crossentropy", "accuracy"]),
    ("categorical", "mse", ["categorical_crossentropy", "accuracy"]),
    ("categorical", "poisson", ["categorical_crossentropy"]),
])
def test_crossentropy_metrics_read_the_logits_whatever_the_loss(keras, float64, rng, kind, loss, metrics):
    """Keras hands a crossentropy metric the logits of a sigmoid or softmax output even when the loss is
    not a crossentropy; saturated outputs (large logits) make the clipped path visibly different."""
    k = 1 if kind == "binary" else 4
    act = "sigmoid" if kind == "binary" else "softmax"
    model, twin = _pair(keras, [3, 5, k], ["linear", act], ("SGD", {"learning_rate": 0.01}), loss, metrics=metrics)
    x = rng.normal(size=(24, 3)) * 40
    labels = rng.integers(0, max(k, 2), 24)
    y = labels[:, None].astype(float) if kind == "binary" else np.eye(k)[labels]
    h1 = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    h2 = twin.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    _same_history(h1, h2, RTOL["float64"])
    name = metrics[0]
    p = np.clip(model.predict(x, verbose=0), 1e-7, 1 - 1e-7)  # what the clipped path would give instead
    clipped = float(np.mean(getattr(nnlite.losses, name)(y, p)))
    assert abs(model.evaluate(x, y, verbose=0, return_dict=True)[name] - clipped) > 1e-3


def test_class_weight_matches_keras(keras, float64, rng):
    model, twin = _pair(keras, [3, 5, 3], ["tanh", "softmax"], ("SGD", {"learning_rate": 0.1}),
                        "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = rng.normal(size=(30, 3)), rng.integers(0, 3, 30)
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    h1 = model.fit(x, y, class_weight=cw, batch_size=7, epochs=3, shuffle=False, verbose=0, validation_split=0.2)
    h2 = twin.fit(x, y, class_weight=cw, batch_size=7, epochs=3, shuffle=False, verbose=0, validation_split=0.2)
    _same_history(h1, h2, RTOL["float64"])
    _same_weights(model, twin, RTOL["float64"])
    with pytest.raises(ValueError, match="class_weight and sample_weight"):
        model.fit(x, y, class_weight=cw, sample_weight=np.ones(30), verbose=0)


def test_initial_epoch_matches_keras(keras, float64, rng):
    model, twin = _pair(keras, [3, 2], [None], ("SGD", {"learning_rate": 0.1}), "mse")
    x, y = rng.normal(size=(12, 3)), rng.normal(size=(12, 2))
    h1 = model.fit(x, y, epochs=5, initial_epoch=3, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, epochs=5, initial_epoch=3, shuffle=False, verbose=0)
    assert h1.epoch == h2.epoch == [3, 4]
    _same_history(h1, h2, RTOL["float64"])


@pytest.mark.parametrize("kwargs", [
    {"monitor": "val_loss", "patience": 1, "restore_best_weights": True},
    {"monitor": "val_accuracy", "patience": 2, "restore_best_weights": True, "min_delta": 0.01},
    {"monitor": "loss", "patience": 0, "mode": "min", "start_from_epoch": 2},
    {"monitor": "val_loss", "patience": 3, "baseline": 0.5, "restore_best_weights": True},
], ids=["val_loss", "val_accuracy", "loss-start-from", "baseline"])
def test_early_stopping_matches_keras(keras, float64, rng, kwargs):
    model, twin = _pair(keras, [4, 16, 3], ["relu", "softmax"], ("Adam", {"learning_rate": 0.05}),
                        "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)  # random labels: validation soon worsens
    h1 = model.fit(x, y, epochs=30, batch_size=8, validation_split=0.3, shuffle=False, verbose=0,
                   callbacks=[nnlite.callbacks.EarlyStopping(**kwargs)])
    h2 = twin.fit(x, y, epochs=30, batch_size=8, validation_split=0.3, shuffle=False, verbose=0,
                  callbacks=[keras.callbacks.EarlyStopping(**kwargs)])
    if kwargs["monitor"].startswith("val_"):
        assert len(h1.epoch) < 30  # random labels: validation worsens and training stops early
    _same_history(h1, h2, RTOL["float64"])
    _same_weights(model, twin, RTOL["float64"])


def test_reduce_lr_on_plateau_and_scheduler_match_keras(keras, float64, rng):
    model, twin = _pair(keras, [3, 8, 1], ["tanh", None], ("SGD", {"learning_rate": 0.2, "momentum": 0.5}), "mse")
    x, y = rng.normal(size=(24, 3)), rng.normal(size=(24, 1))

    def schedule(epoch, lr):
        return lr * 0.9 if epoch >= 2 else lr

    h1 = model.fit(x, y, epochs=12, batch_size=6, validation_split=0.25, shuffle=False, verbose=0, callbacks=[
        nnlite.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.01, cooldown=1),
        nnlite.callbacks.LearningRateScheduler(schedule)])
    h2 = twin.fit(x, y, epochs=12, batch_size=6, validation_split=0.25, shuffle=False, verbose=0, callbacks=[
        keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.01, cooldown=1),
        keras.callbacks.LearningRateScheduler(schedule)])
    assert "learning_rate" in h1.history
    assert len(set(h1.history["learning_rate"])) > 3
    _same_history(h1, h2, RTOL["float64"])
    _same_weights(model, twin, RTOL["float64"])


def test_terminate_on_nan_stops_after_the_bad_batch(rng):
    model = dense_model([2, 1], [None], seed=0)
    model.compile(optimizer=nnlite.optimizers.SGD(learning_rate=1e3), loss="mse")
    x, y = rng.normal(size=(64, 2)) * 100, rng.normal(size=64) * 100
    with pytest.warns(RuntimeWarning, match="fit stopped: the loss became"):
        h = model.fit(x, y, epochs=50, batch_size=4, verbose=0, callbacks=[nnlite.callbacks.TerminateOnNaN()])
    assert len(h.epoch) == 1 and not np.isfinite(h.history["loss"][-1])
    with pytest.warns(RuntimeWarning), pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[nnlite.callbacks.TerminateOnNaN(raise_error=True)])


def test_csv_logger_writes_keras_layout(tmp_path, rng):
    model = dense_model([2, 1], [None], seed=0)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    path = tmp_path / "log.csv"
    model.fit(rng.normal(size=(10, 2)), rng.normal(size=10), epochs=3, verbose=0,
              callbacks=[nnlite.callbacks.CSVLogger(path)])
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r["epoch"] for r in rows] == ["0", "1", "2"] and rows[0]["val_loss"] == "NA"
    model.fit(rng.normal(size=(10, 2)), rng.normal(size=10), epochs=1, verbose=0,
              callbacks=[nnlite.callbacks.CSVLogger(path, append=True)])
    assert len(list(csv.DictReader(path.open()))) == 4


def test_lambda_callback_and_batch_hooks(rng):
    seen = []
    cb = nnlite.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, sorted(logs))),
                                         on_train_batch_end=lambda batch, logs: seen.append(batch))
    model = dense_model([2, 1], [None], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(rng.normal(size=(4, 2)), np.zeros(4), batch_size=2, epochs=1, verbose=0, callbacks=[cb])
    assert seen == [0, 1, (0, ["loss"])]


def test_compile_default_optimizer_is_rmsprop():
    model = dense_model([2, 1], [None])
    model.compile(loss="mse")
    assert isinstance(model.optimizer, nnlite.optimizers.RMSprop)
    assert model.optimizer.learning_rate == 0.001


@pytest.mark.parametrize("sgd", [
    lambda: nnlite.optimizers.SGD(nnlite.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)),
    lambda: nnlite.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    lambda: nnlite.optimizers.SGD(0.05, clipnorm=0.1),
], ids=["schedule", "nesterov", "clipnorm"])
def test_fit_with_the_learning_rate_folded_takes_the_plain_steps(rng, sgd):
    """fit hands plain SGD lr g from backward (lr folded into every gradient entering it: the loss's,
    the activity and weight penalties'); the weights equal those of unfolded optimizer.apply steps."""
    def model():
        init = nnlite.initializers.GlorotUniform(seed=5)
        return nnlite.Sequential([
            nnlite.Input((4,)),
            nnlite.layers.Dense(6, activation="tanh", kernel_initializer=init,
                                kernel_regularizer=nnlite.regularizers.L2(0.01),
                                activity_regularizer=nnlite.regularizers.L1(0.02)),
            nnlite.layers.Dense(3, activation="softmax", kernel_initializer=init, bias_regularizer="l2")])
    x, y = rng.normal(size=(20, 4)), np.eye(3)[rng.integers(0, 3, 20)]
    folded, plain = model(), model()
    for m in (folded, plain):
        m.compile(optimizer=sgd(), loss="categorical_crossentropy")
    assert folded.optimizer.folds_learning_rate() is (folded.optimizer.clipnorm is None)
    folded.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    for _ in range(2):
        for rows in range(0, 20, 5):
            plain.loss_and_gradients(x[rows:rows + 5], y[rows:rows + 5], need_prediction=False)
            plain.optimizer.apply([v.grad for v in plain.trainable_weights], plain.trainable_weights)
    for a, b in zip(folded.get_weights(), plain.get_weights()):
        assert_close(a, b, 1e-12, "weights")
    assert not np.array_equal(folded.get_weights()[0], model().get_weights()[0])  # it trained


def test_only_sgd_without_gradient_preprocessing_folds_the_learning_rate():
    assert nnlite.optimizers.SGD(0.1, momentum=0.5, weight_decay=0.01).folds_learning_rate()
    for opt in (nnlite.optimizers.SGD(clipvalue=1.0), nnlite.optimizers.SGD(global_clipnorm=1.0),
                nnlite.optimizers.SGD(loss_scale_factor=128.0), nnlite.optimizers.SGD(gradient_accumulation_steps=2),
                nnlite.optimizers.Adam(), nnlite.optimizers.RMSprop()):
        assert not opt.folds_learning_rate(), opt


@pytest.mark.parametrize(("dtype", "folded"), [("float32", True), ("float16", False)])
def test_the_learning_rate_is_not_folded_into_float16_gradients(rng, dtype, folded):
    """fit with plain SGD leaves lr g on kernel.grad, except in a float16 model, whose gradients would
    sink lr times deeper into float16's subnormals: there it keeps g."""
    def model():
        init = nnlite.initializers.GlorotUniform(seed=7)
        m = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(4, activation="relu", kernel_initializer=init,
                                                                        dtype=dtype),
                               nnlite.layers.Dense(2, kernel_initializer=init, dtype=dtype)])
        m.compile(optimizer=nnlite.optimizers.SGD(0.125), loss="mse")
        return m
    x, y = rng.normal(size=(8, 3)).astype(dtype), rng.normal(size=(8, 2)).astype(dtype)
    reference = model()
    reference.loss_and_gradients(x, y, need_prediction=False)
    g = reference.layers[0].kernel.grad.astype(np.float64)
    fitted = model()
    fitted.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    expected = 0.125 * g if folded else g
    np.testing.assert_allclose(fitted.layers[0].kernel.grad, expected, rtol=2e-3 if dtype == "float16" else 1e-6)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("case", ["dense", "embedding", "dropout", "schedule"])
def test_fits_shortcuts_give_the_general_paths_numbers_bit_for_bit(rng, case, momentum):
    """A Sequential of plain layers runs as a chain, and SGD steps by w -= lr g (or m <- mu m - lr g, w += m) alone:
    the same layers in a functional model (no chain) and an SGD subclass (no shortcut) give the same weights, bit
    for bit."""

    class GeneralSGD(nnlite.optimizers.SGD):
        pass

    def layer_list():
        head = ([layers.Embedding(11, 4), layers.Flatten()] if case == "embedding" else [])
        middle = [layers.Dropout(0.3, seed=1)] if case == "dropout" else []
        return head + [layers.Dense(5, activation="relu"), *middle, layers.Dense(3, activation="softmax")]

    layers = nnlite.layers
    shape = (6,) if case == "embedding" else (4,)
    x = rng.integers(0, 11, (40, 6)) if case == "embedding" else rng.normal(size=(40, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 40)]
    rate = (nnlite.optimizers.schedules.ExponentialDecay(0.5, 3, 0.7) if case == "schedule" else 0.5)
    results = []
    for functional, optimizer in [(False, nnlite.optimizers.SGD), (True, GeneralSGD)]:
        stack = layer_list()
        if functional:
            inputs = nnlite.Input(shape, dtype="int64" if case == "embedding" else "float32")
            out = inputs
            for layer in stack:
                out = layer(out)
            model = nnlite.Model(inputs, out)
        else:
            model = nnlite.Sequential([nnlite.Input(shape, dtype="int64" if case == "embedding" else "float32"),
                                       *stack])
        nnlite.utils.set_random_seed(3)
        model.set_weights([np.linspace(-1, 1, w.size).reshape(w.shape) for w in model.get_weights()])
        model.compile(optimizer(rate, momentum=momentum), "categorical_crossentropy")
        history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
        results.append((model.get_weights(), history.history["loss"]))
    (weights, loss), (expected_weights, expected_loss) = results
    assert loss == expected_loss
    for w, expected in zip(weights, expected_weights):
        np.testing.assert_array_equal(w, expected)

"""Keras files both ways, loading that refuses what it does not know, atomic saves, corrupt files."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

import nnlite
from nnlite import layers
from nnlite.saving import LoadError

from .conftest import RTOL
from .helpers import assert_close

OPTIMIZERS = [
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.01}),
    ("Adagrad", {"learning_rate": 0.05}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01, "clipnorm": 1.0}),
    ("Lion", {"learning_rate": 0.001, "beta_2": 0.95}),
    ("Lamb", {"learning_rate": 0.01}),
    ("Ftrl", {"learning_rate": 0.05, "l1_regularization_strength": 0.01}),
    ("Adafactor", {"learning_rate": 0.01}),
    ("Muon", {"learning_rate": 0.01}),
]


def _model(seed=0):
    init = nnlite.initializers.GlorotUniform(seed=seed)
    return nnlite.Sequential([
        nnlite.Input((4,)),
        layers.Dense(6, activation="tanh", kernel_initializer=init, kernel_regularizer=nnlite.regularizers.L2(0.01)),
        layers.Dropout(0.0),
        layers.LeakyReLU(),
        layers.Dense(3, activation="softmax", kernel_initializer=init),
    ])


def _data(rng, n=24):
    return rng.normal(size=(n, 4)), rng.integers(0, 3, n)


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_nnlite_file_resumes_in_keras(keras, float64, rng, tmp_path, name, kwargs):
    """Train in nnlite, save, open in Keras: same predictions; one more epoch in each: same weights."""
    x, y = _data(rng)
    model = _model()
    model.compile(optimizer=getattr(nnlite.optimizers, name)(**kwargs), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    twin = keras.models.load_model(path)
    assert_close(twin.predict(x, verbose=0), model.predict(x), RTOL["float64"], "predictions in Keras")
    assert int(twin.optimizer.iterations.numpy()) == model.optimizer.iterations == 6
    h1 = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert_close(h1.history["loss"], h2.history["loss"], RTOL["float64"], "resumed loss")
    for a, b in zip(model.get_weights(), twin.get_weights()):
        assert_close(a, b, RTOL["float64"], "weights after resuming")


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_keras_file_resumes_in_nnlite(keras, float64, rng, tmp_path, name, kwargs):
    x, y = _data(rng)
    twin = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])
    twin.compile(optimizer=getattr(keras.optimizers, name)(**kwargs), loss="sparse_categorical_crossentropy")
    twin.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    path = tmp_path / "k.keras"
    twin.save(path)
    model = nnlite.models.load_model(path)
    assert type(model.optimizer).__name__ == name
    assert_close(model.predict(x), twin.predict(x, verbose=0), RTOL["float64"], "predictions in nnlite")
    h1 = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert_close(h1.history["loss"], h2.history["loss"], RTOL["float64"], "resumed loss")
    for a, b in zip(model.get_weights(), twin.get_weights()):
        assert_close(a, b, RTOL["float64"], "weights after resuming")


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # Keras says so for its own files too
def test_compile_settings_travel(keras, tmp_path):
    model = _model()
    schedule = nnlite.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model.compile(optimizer=nnlite.optimizers.SGD(schedule, momentum=0.5),
                  loss=nnlite.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"],
                  weighted_metrics=[nnlite.metrics.SparseTopKCategoricalAccuracy(k=2)])
    model.save(tmp_path / "c.keras")
    twin = keras.models.load_model(tmp_path / "c.keras")
    keras_schedule = twin.optimizer._learning_rate
    assert type(keras_schedule).__name__ == "ExponentialDecay"
    assert keras_schedule.get_config()["decay_steps"] == 10 and twin.optimizer.momentum == 0.5
    assert twin.loss.__class__.__name__ == "SparseCategoricalCrossentropy"
    back = nnlite.models.load_model(tmp_path / "c.keras")
    assert isinstance(back.optimizer._learning_rate, nnlite.optimizers.schedules.ExponentialDecay)
    assert back.optimizer.momentum == 0.5 and back._metric_ids == ["accuracy"]
    assert back._weighted_metric_ids[0].k == 2
    assert [type(layer).__name__ for layer in back.layers] == ["Dense", "Dropout", "LeakyReLU", "Dense"]
    assert back.layers[0].kernel_regularizer.l2 == 0.01


def test_weights_files_both_ways(keras, float64, rng, tmp_path):
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = _data(rng)
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "n.weights.h5")
    twin = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="tanh"), keras.layers.Dropout(0.0),
                             keras.layers.LeakyReLU(), keras.layers.Dense(3, activation="softmax")])
    twin.load_weights(tmp_path / "n.weights.h5")
    assert_close(twin.predict(x, verbose=0), model.predict(x), RTOL["float64"])
    twin.set_weights([w * 0.5 for w in twin.get_weights()])
    twin.save_weights(tmp_path / "k.weights.h5")
    model.load_weights(tmp_path / "k.weights.h5")
    assert_close(model.predict(x), twin.predict(x, verbose=0), RTOL["float64"])


def test_keras_lambda_layer_is_refused_by_name(keras, tmp_path):
    twin = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda t: t * 2), keras.layers.Dense(1)])
    twin.save(tmp_path / "lambda.keras")
    with pytest.raises(LoadError, match=r"Python lambda stored as bytecode: nnlite never runs code from a file"):
        nnlite.models.load_model(tmp_path / "lambda.keras")


def _edit_config(src, dst, edit):
    with zipfile.ZipFile(src) as a:
        parts = {n: a.read(n) for n in a.namelist()}
    spec = json.loads(parts["config.json"])
    edit(spec)
    parts["config.json"] = json.dumps(spec).encode()
    with zipfile.ZipFile(dst, "w") as b:
        for n, data in parts.items():
            b.writestr(n, data)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s["config"]["layers"][1].update(module="my_package.layers"), r"my_package.layers.Dense is not"),
    (lambda s: s["config"]["layers"][1].update(class_name="Conv3D"), r"Conv3D is a convolution layer"),
    (lambda s: s["config"]["layers"][1].update(registered_name="Custom>Dense"), r"resolved to a Keras built-in"),
    (lambda s: s["config"]["layers"][1]["config"].update(activation={"module": "os", "class_name": "system"}),
     r"os.system is not something nnlite loads: not an? activation"),
    (lambda s: s["compile_config"].update(loss={"module": "builtins", "class_name": "eval", "config": {}}),
     r"builtins.eval is not something nnlite loads"),
    (lambda s: s["config"]["layers"][1]["config"].update(lora_rank=4), r"Dense has no lora_rank"),
    (lambda s: s["config"]["layers"][1]["config"].update(kernel_constraint={"class_name": "Eval"}),
     r"None.Eval is not something nnlite loads: not a constraint"),
    (lambda s: s.update(class_name="Functional"), r"keras.Functional is not something nnlite loads"),
])
def test_unknown_objects_in_a_config_are_refused(tmp_path, edit, message):
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "ok.keras")
    _edit_config(tmp_path / "ok.keras", tmp_path / "bad.keras", edit)
    with pytest.raises(LoadError, match=message):
        nnlite.models.load_model(tmp_path / "bad.keras")


def test_save_is_atomic(tmp_path, monkeypatch):
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    model.set_weights([w + 1 for w in model.get_weights()])

    def explode(*args, **kwargs):
        raise KeyboardInterrupt  # interrupted half-way

    monkeypatch.setattr("nnlite.saving.json.dumps", explode)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]  # no temporary file left behind


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "no_weights", "bad_json", "missing"])
def test_damaged_files_give_a_clear_error(tmp_path, damage):
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    path = tmp_path / "m.keras"
    model.save(path)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(os.urandom(2000))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "no_weights":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("config.json", "{}")
    elif damage == "bad_json":
        _edit_config(path, path, lambda s: None)
        with zipfile.ZipFile(path) as a:
            parts = {n: a.read(n) for n in a.namelist()}
        with zipfile.ZipFile(path, "w") as b:
            for n, d in parts.items():
                b.writestr(n, d[:-5] if n == "config.json" else d)
    else:
        path = tmp_path / "nothing.keras"
    with pytest.raises(LoadError, match=r"^Cannot load .*"):
        nnlite.models.load_model(path)


def test_weights_file_with_wrong_shapes_changes_nothing(tmp_path, rng):
    model = _model()
    other = nnlite.Sequential([nnlite.Input((4,)), layers.Dense(7), layers.Dropout(0.0), layers.LeakyReLU(),
                               layers.Dense(3)])
    other.save_weights(tmp_path / "o.weights.h5")
    before = model.get_weights()
    with pytest.raises(LoadError, match=r"kernel needs shape \(4, 6\), the file has \(4, 7\)"):
        model.load_weights(tmp_path / "o.weights.h5")
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def test_model_checkpoint(tmp_path, rng):
    x, y = _data(rng, 30)
    model = _model()
    model.compile(optimizer=nnlite.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    best = nnlite.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), save_best_only=True)
    every = nnlite.callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch:02d}-{loss:.2f}.weights.h5"),
                                             save_weights_only=True, monitor="loss")
    history = model.fit(x, y, epochs=4, validation_split=0.3, verbose=0, callbacks=[best, every])
    saved = sorted(p for p in os.listdir(tmp_path) if p.endswith(".weights.h5"))
    assert [p[:4] for p in saved] == ["w-01", "w-02", "w-03", "w-04"]
    best_epoch = int(np.argmin(history.history["val_loss"]))
    reloaded = nnlite.models.load_model(tmp_path / "best.keras")
    assert reloaded.evaluate(x[21:], y[21:], verbose=0) == pytest.approx(history.history["val_loss"][best_epoch],
                                                                          rel=1e-5)
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        nnlite.callbacks.ModelCheckpoint("x.keras", save_weights_only=True)


def test_a_loss_scale_optimizer_resumes_across_files_both_ways(keras, float64, rng, tmp_path, recwarn):
    """A model compiled with LossScaleOptimizer(Adam): nnlite's file opens in Keras without its "Skipping variable
    loading" warning (the inner optimizer's state is written again under optimizer/inner_optimizer, as Keras writes
    it), the scale, counters and moments carry over, one more epoch gives the same loss; Keras's file loads back."""
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(1)])
    model.compile(nnlite.optimizers.LossScaleOptimizer(nnlite.optimizers.Adam(0.01), 64.0, 2), "mse")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    model.save(tmp_path / "n.keras")
    twin = keras.models.load_model(tmp_path / "n.keras")
    assert not [w for w in recwarn if "Skipping variable loading" in str(w.message)]
    assert float(twin.optimizer.dynamic_scale.numpy()) == float(model.optimizer.dynamic_scale.numpy()) == 1024.0
    assert int(twin.optimizer.iterations.numpy()) == 8
    h1 = model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False).history
    h2 = twin.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False).history
    assert_close(h1["loss"], h2["loss"], RTOL["float64"], "resumed loss")
    twin.save(tmp_path / "k.keras")
    back = nnlite.models.load_model(tmp_path / "k.keras")
    assert type(back.optimizer) is nnlite.optimizers.LossScaleOptimizer
    for a, b in zip(back.optimizer.variables, twin.optimizer.variables):
        assert_close(a.numpy(), np.asarray(b.numpy()), RTOL["float64"], b.path)


def test_graphs_with_arithmetic_go_both_ways_as_keras_files(keras, float64, rng, tmp_path):
    """x + y, h * 2, 2 - h, h / 3, -h, h * h and a maximum are written as Keras writes its ops
    (keras.src.ops.numpy.Add, ... with the number constants in place): Keras opens nnlite's file and nnlite Keras's,
    with the same predictions; a sum over an axis (an op with settings) round-trips too (the ops with settings:
    test_keras_op_files.py)."""
    def build(lib):
        a, b = lib.Input((3,), name="a"), lib.Input((3,), name="b")
        h = lib.layers.Dense(3, name="d1")(a + b)
        h = (h * 2.0 - b) / 3.0
        h = 2.0 - (-h)
        h = lib.ops.maximum(h * h, a)
        return lib.Model([a, b], lib.layers.Dense(2, name="d2")(h))

    x = [rng.normal(size=(4, 3)), rng.normal(size=(4, 3))]
    ours, theirs = build(nnlite), build(keras)
    ours.set_weights(theirs.get_weights())
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "built alike")
    ours.save(tmp_path / "n.keras")
    theirs.save(tmp_path / "k.keras")
    in_keras = keras.models.load_model(tmp_path / "n.keras")
    in_nnlite = nnlite.models.load_model(tmp_path / "k.keras")
    assert_close(in_keras.predict(x, verbose=0), ours.predict(x, verbose=0), RTOL["float64"], "nnlite's file in Keras")
    assert_close(in_nnlite.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "Keras's in nnlite")
    config = json.loads(zipfile.ZipFile(tmp_path / "n.keras").read("config.json"))
    classes = [entry["class_name"] for entry in config["config"]["layers"]]
    assert "Operation" not in classes and {"Add", "Multiply", "Subtract", "Divide", "Negative", "Maximum"} <= set(
        classes)
    inp = nnlite.Input((3,))
    summed = nnlite.Model(inp, nnlite.ops.sum(inp, axis=-1, keepdims=True) + 1.0)
    summed.save(tmp_path / "s.keras")
    again = nnlite.models.load_model(tmp_path / "s.keras")
    assert_close(again.predict(x[0], verbose=0), x[0].sum(axis=-1, keepdims=True) + 1.0, 1e-12, "nnlite's own op")

"""``get()`` in every module resolves identifiers as Keras's does: what comes back (a function, an instance of
which class, under which name), or that it is refused. Keras runs beside nnlite in each case."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nnlite

CASES = {
    "losses": ["mse", "MSE", "bce", "BCE", "mae", "MAE", "mape", "msle", "kld", "KLD", "mean_squared_error",
               "MeanSquaredError", "binary_crossentropy", "BinaryCrossentropy", "huber", "Huber", "log_cosh",
               "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge", "poisson", None,
               {"class_name": "MeanSquaredError", "config": {}}, "no_such_loss"],
    "metrics": ["mse", "MSE", "bce", "BCE", "mae", "MAPE", "accuracy", "mean_squared_error", "MeanSquaredError",
                "binary_accuracy", "BinaryAccuracy", "precision", "binary_crossentropy",
                "top_k_categorical_accuracy", None, {"class_name": "MeanSquaredError", "config": {}}, "no_such"],
    "initializers": ["glorot_uniform", "GlorotUniform", "IdentityInitializer", "Identity", "identity",
                     "OrthogonalInitializer", "orthogonal", "Orthogonal", "zeros", "Zeros", "he_normal",
                     "random_normal", "RandomNormal", None, {"class_name": "Zeros", "config": {}}, "no_such"],
    "optimizers": ["adam", "Adam", "sgd", "SGD", "rmsprop", "RMSprop", "adamw", "AdamW", "nadam",
                   {"class_name": "adam", "config": {}}, {"class_name": "Adam", "config": {}},
                   {"class_name": "SGD", "config": {"learning_rate": 0.5}}, None, "no_such"],
    "activations": ["relu", "linear", "softmax", "sigmoid", None, "leaky_relu", "gelu", "tanh", "no_such"],
    "regularizers": ["l1", "l2", "L1", "L2", "L1L2", "l1l2", "orthogonal_regularizer", "OrthogonalRegularizer",
                     None, {"class_name": "L2", "config": {"l2": 0.1}}, "no_such"],
    "constraints": ["max_norm", "MaxNorm", "non_neg", "NonNeg", "unit_norm", "min_max_norm", None, "no_such"],
}


def describe(module: str, obj) -> str:
    """What get() gave, in terms both libraries share: None, a function's name, or a class and its name."""
    if obj is None:
        return "None"
    if module == "activations":  # Keras gives functions, nnlite callable objects: compare what they are called
        return "activation " + (getattr(obj, "__name__", None) or obj.name)
    if isinstance(obj, type):
        return "class " + obj.__name__
    if not hasattr(obj, "get_config"):
        return "function " + obj.__name__
    name = getattr(obj, "name", None)
    if module in ("metrics", "optimizers") and isinstance(name, str):
        name = re.sub(r"_\d+$", "", name)  # Keras numbers its default names per session: auc_1, adam_2
    return f"{type(obj).__name__} named {name}"


def outcome(module: str, lib, identifier) -> str:
    try:
        return describe(module, getattr(lib, module).get(identifier))
    except (ValueError, TypeError, KeyError) as err:
        return f"refused ({type(err).__name__})" if not isinstance(err, KeyError) else "refused (ValueError)"


@pytest.mark.parametrize("module, identifier", [(m, i) for m, ids in CASES.items() for i in ids],
                         ids=lambda v: str(v)[:30])
def test_get_resolves_as_keras_does(keras, module, identifier):
    assert outcome(module, nnlite, identifier) == outcome(module, keras, identifier)


def test_a_loss_function_from_get_gives_keras_numbers(keras, float64):
    y, p = np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[0.2, 0.7], [0.9, 0.4]])
    for name in ("mse", "bce", "kld", "mape", "msle", "MAE"):
        ours, theirs = nnlite.losses.get(name)(y, p), keras.losses.get(name)(y, p)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-9, err_msg=name)


def test_compile_trains_with_a_short_name_and_logs_it_as_written(keras):
    x, y = np.random.default_rng(0).normal(size=(8, 3)), np.random.default_rng(1).uniform(size=(8, 1))
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", loss="bce", metrics=["MSE", "mae"])
    history = model.fit(x, y, epochs=1, verbose=0)
    assert sorted(history.history) == ["MSE", "loss", "mae"]
    assert nnlite.losses.resolve("bce").name == "binary_crossentropy"


@pytest.mark.parametrize("case", ["binary", "sparse", "categorical", "sparse (n, 1)", "two outputs"])
def test_compile_takes_crossentropy_by_the_shapes_as_keras(keras, float64, rng, case):
    """compile(loss="crossentropy") (or "ce"): binary for one output column, sparse categorical for integer labels
    (lower rank, or one column against several), categorical for one-hot rows, decided at the first labels; per
    output too. Two epochs' logs equal Keras's and the compile config keeps the word."""
    x = rng.normal(size=(16, 3))
    labels = rng.integers(0, 3, 16)
    y = {"binary": (x[:, :1] > 0).astype(float), "sparse": labels, "categorical": np.eye(3)[labels],
         "sparse (n, 1)": labels[:, None], "two outputs": [labels, (x[:, :1] > 0).astype(float)]}[case]
    histories, models = [], []
    for lib in (keras, nnlite):
        inputs = lib.Input((3,))
        a = lib.layers.Dense(1 if case == "binary" else 3, activation="sigmoid" if case == "binary" else "softmax",
                             kernel_initializer="ones", name="a")(inputs)
        outputs = [a, lib.layers.Dense(1, activation="sigmoid", kernel_initializer="ones", name="b")(inputs)] \
            if case == "two outputs" else a
        model = lib.Model(inputs, outputs)
        model.compile("sgd", ["crossentropy", "CE"] if case == "two outputs" else "crossentropy",
                      metrics=[["accuracy"], ["accuracy"]] if case == "two outputs" else ["accuracy"])
        histories.append(model.fit(x, y, epochs=2, verbose=0, shuffle=False).history)
        models.append(model)
    assert set(histories[1]) == set(histories[0])
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-9, err_msg=key)
    assert models[1].get_compile_config()["loss"] == models[0].get_compile_config()["loss"]

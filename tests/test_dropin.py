"""A Keras script made of Dense-style layers runs unchanged with ``import nnlite as keras``,
and gives the numbers it gives under Keras."""

from __future__ import annotations

import numpy as np
import pytest

from .helpers import assert_close

SCRIPT = '''
import numpy as np

keras.utils.set_random_seed(0)
keras.config.set_floatx("float64")
rng = np.random.default_rng(0)
x = rng.normal(size=(200, 8))
y = (x[:, 0] * x[:, 1] + x[:, 2] > 0).astype("int64")
y_onehot = keras.utils.to_categorical(y, num_classes=2)

model = keras.Sequential([
    keras.Input(shape=(8,)),
    keras.layers.Dense(16, activation="relu", kernel_initializer=keras.initializers.Constant(0.05),
                       kernel_regularizer=keras.regularizers.L2(1e-3)),
    keras.layers.Dropout(0.0),
    keras.layers.Dense(8, kernel_initializer="ones"),
    keras.layers.LeakyReLU(negative_slope=0.1),
    keras.layers.Dense(2, activation="softmax", kernel_initializer="zeros"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.ExponentialDecay(
                  1e-2, decay_steps=10, decay_rate=0.9)),
              loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
              metrics=["accuracy", keras.metrics.CategoricalAccuracy(name="cat_acc")])
history = model.fit(x, y_onehot, batch_size=32, epochs=4, validation_split=0.2, shuffle=False, verbose=0,
                    callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5,
                                                             restore_best_weights=True)])
results = model.evaluate(x, y_onehot, verbose=0, return_dict=True)
predictions = model.predict(x[:5], verbose=0)
keras.config.set_floatx("float32")
'''


def _run(module):
    namespace = {"keras": module}
    exec(SCRIPT, namespace)
    return namespace


def test_the_same_script_in_both(keras):
    import nnlite

    # Keras caches its dtype policy on first use; in a fresh process set_floatx alone would do
    keras.config.set_dtype_policy("float64")
    try:
        theirs = _run(keras)
    finally:
        keras.config.set_floatx("float32")
        keras.config.set_dtype_policy("float32")
    mine = _run(nnlite)
    assert list(mine["history"].history) == list(theirs["history"].history)
    for key, values in theirs["history"].history.items():
        assert_close(mine["history"].history[key], values, 1e-9, key)
    assert mine["results"].keys() == theirs["results"].keys()
    for key in theirs["results"]:
        assert_close(mine["results"][key], theirs["results"][key], 1e-9, key)
    assert_close(mine["predictions"], theirs["predictions"], 1e-9, "predictions")
    assert np.all(np.isfinite(mine["predictions"]))


def test_ops_and_tensors_as_keras_scripts_use_them(keras, rng):
    """from keras import ops, and .numpy() on what models, losses and metrics return."""
    import nnlite

    x = rng.normal(size=(4, 3)).astype("float32")
    for name, args in [("softmax", (x,)), ("sigmoid", (x,)), ("relu", (x,)), ("mean", (x,)), ("square", (x,)),
                       ("matmul", (x, x.T)), ("concatenate", ([x, x], 1)), ("argmax", (x, -1)),
                       ("clip", (x, -0.5, 0.5)), ("expand_dims", (x, 1)), ("one_hot", (np.array([0, 2]), 3))]:
        ours, theirs = getattr(nnlite.ops, name)(*args), getattr(keras.ops, name)(*args)
        np.testing.assert_allclose(ours.numpy(), keras.ops.convert_to_numpy(theirs), rtol=1e-6, err_msg=name)
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(2)])
    assert isinstance(model(x).numpy(), np.ndarray) and model(x).numpy().shape == (4, 2)
    assert float(nnlite.losses.MeanSquaredError()(x, x * 2).numpy()) > 0
    assert nnlite.metrics.Mean()(x).numpy().shape == ()
    with pytest.raises(ValueError, match="must be KerasTensors"):  # as Keras: outputs are tensors, not a model
        nnlite.Model(nnlite.Input((3,)), model)

"""Training state lives in each pass, optimizer state with each variable.

predict, evaluate, model(x) and trace change nothing a training step reads: not the layers,
not the gradients, not the random streams. The optimizer's slots follow the variables they
belong to, as in Keras.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

import nnlite
from nnlite import layers


def _model(seed=0):
    init = nnlite.initializers.GlorotUniform(seed=seed)
    model = nnlite.Sequential([nnlite.Input((4,)), layers.Dense(16, activation="relu", kernel_initializer=init),
                               layers.Dropout(0.3, seed=seed), layers.Dense(3, activation="softmax",
                                                                           kernel_initializer=init)])
    model.compile(optimizer=nnlite.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data(rng, n=200):
    return rng.normal(size=(n, 4)), rng.integers(0, 3, n)


def test_predict_in_another_thread_during_fit_changes_nothing(rng):
    x, y = _data(rng)
    reference = _model()
    nnlite.utils.set_random_seed(1)
    expected = reference.fit(x, y, epochs=3, batch_size=8, verbose=0).history

    model = _model()
    stop, predictions, errors = threading.Event(), [], []

    def predict_while_training():
        while not stop.is_set():
            try:
                predictions.append(model.predict(x[:16], verbose=0))
                model(x[:4])
                model.evaluate(x[:16], y[:16], verbose=0)
            except Exception as err:  # reported below
                errors.append(err)
                return

    worker = threading.Thread(target=predict_while_training)
    nnlite.utils.set_random_seed(1)
    cb = nnlite.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: worker.is_alive() or worker.start())
    try:
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[cb]).history
    finally:
        stop.set()
        worker.join()
    nnlite.utils.set_random_seed(None)
    assert errors == [] and len(predictions) > 0
    assert all(p.shape == (16, 3) and np.allclose(p.sum(axis=1), 1, atol=1e-5) for p in predictions)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history["loss"] == expected["loss"]


def test_trace_uses_the_next_masks_without_using_them_up(rng):
    x, y = _data(rng, 10)
    traced, plain = _model(seed=5), _model(seed=5)
    trace = traced.trace(x, y)
    traced.fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0)
    plain.fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0)
    for a, b in zip(traced.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)  # the dropout stream was not consumed by trace
    again = _model(seed=5)
    before = again.get_weights()[0]
    again.fit(x, y, epochs=1, batch_size=10, shuffle=False, verbose=0)
    np.testing.assert_allclose(trace[0]["update kernel"], again.get_weights()[0] - before, rtol=1e-5, atol=1e-7)


def test_trace_leaves_the_gradients_alone(rng):
    x, y = _data(rng, 10)
    model = _model()
    model.loss_and_gradients(x.astype("float32"), y)
    grads = [v.grad.copy() for v in model.trainable_weights]
    model.trace(x[:3], y[:3])
    for v, g in zip(model.trainable_weights, grads):
        np.testing.assert_array_equal(v.grad, g)


def test_an_optimizer_keeps_state_per_variable_and_refuses_new_ones(rng):
    """Keras raises when a recompiled model hands its optimizer variables it was not built for."""
    first, second = layers.Dense(3), layers.Dense(1)
    model = nnlite.Sequential([nnlite.Input((2,)), first, second])
    first.trainable = False
    optimizer = nnlite.optimizers.SGD(0.1, momentum=0.9)
    model.compile(optimizer, "mse")
    model.fit(np.ones((4, 2)), np.ones(4), verbose=0)
    momentum = {v.name: v.numpy() for v in optimizer.variables}
    assert f"{model.name}_dense_1_kernel_momentum" in momentum and not any("dense_kernel" in n for n in momentum)
    first.trainable, second.trainable = True, False
    model.compile(optimizer, "mse")
    kernel = first.kernel.numpy()
    refusal = f"Unknown variable: <Variable path={model.name}/dense/kernel.*originally built"
    with pytest.raises(ValueError, match=refusal):
        model.fit(np.ones((4, 2)), np.ones(4), verbose=0)
    np.testing.assert_array_equal(first.kernel.numpy(), kernel)  # refused before any change


def test_a_layer_a_callback_freezes_between_epochs_stops_changing_from_the_next_epoch(rng):
    """fit keeps what its epochs share (the trainable variables, the optimizer's step) from the first epoch
    while the weights' trainable flags stay as they are: a freeze between epochs is followed."""
    first, second = layers.Dense(3), layers.Dense(1)
    model = nnlite.Sequential([nnlite.Input((2,)), first, second])
    model.compile(nnlite.optimizers.SGD(0.1), "mse")
    seen = []

    class Freeze(nnlite.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((first.kernel.numpy().copy(), second.kernel.numpy().copy()))
            if epoch == 0:
                first.trainable = False

    model.fit(rng.normal(size=(8, 2)), rng.normal(size=(8, 1)), epochs=3, batch_size=4, verbose=0,
              callbacks=[Freeze()])
    np.testing.assert_array_equal(seen[1][0], seen[0][0])
    np.testing.assert_array_equal(seen[2][0], seen[0][0])
    assert not np.array_equal(seen[2][1], seen[1][1]) and not np.array_equal(seen[1][1], seen[0][1])


def test_train_on_batch_keeps_its_plan_until_the_model_or_its_flags_change(rng):
    """A loop of train_on_batch walks the model once; a freeze between calls is followed, and a layer added
    afterwards meets Keras's refusal of variables the optimizer was not built for (not a stale plan)."""
    first, second = layers.Dense(3), layers.Dense(2)
    model = nnlite.Sequential([nnlite.Input((2,)), first, second])
    model.compile(nnlite.optimizers.SGD(0.1), "mse")
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    model.train_on_batch(x, y)
    kernel = first.kernel.numpy()
    model.train_on_batch(x, y)
    assert not np.array_equal(first.kernel.numpy(), kernel)
    first.trainable = False
    kernel, other = first.kernel.numpy(), second.kernel.numpy()
    model.train_on_batch(x, y)
    np.testing.assert_array_equal(first.kernel.numpy(), kernel)
    assert not np.array_equal(second.kernel.numpy(), other)
    model.add(layers.Dense(2))
    with pytest.raises(ValueError, match="Unknown variable"):
        model.train_on_batch(x, y)
    model.compile(nnlite.optimizers.SGD(0.1), "mse")
    last = model.layers[-1].kernel.numpy()
    model.train_on_batch(x, y)
    assert not np.array_equal(model.layers[-1].kernel.numpy(), last)


def test_the_keras_freeze_scenario_raises_in_keras_too(keras):
    first, second = keras.layers.Dense(3), keras.layers.Dense(1)
    model = keras.Sequential([keras.Input((2,)), first, second])
    first.trainable = False
    optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
    model.compile(optimizer, "mse")
    model.fit(np.ones((4, 2)), np.ones(4), verbose=0)
    first.trainable, second.trainable = True, False
    model.compile(optimizer, "mse")
    with pytest.raises(ValueError, match="Unknown variable"):
        model.fit(np.ones((4, 2)), np.ones(4), verbose=0)


def test_optimizer_variables_as_keras_lists_them(keras):
    nn_model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(2), layers.Dense(1)])
    k_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1)])
    for name, kwargs in [("Adam", {"amsgrad": True}), ("RMSprop", {"momentum": 0.5, "centered": True}),
                         ("Nadam", {}), ("Adadelta", {}), ("Adamax", {}), ("Adagrad", {}), ("SGD", {"momentum": 0.9}),
                         ("AdamW", {}), ("Lion", {})]:
        nn_opt = getattr(nnlite.optimizers, name)(**kwargs)
        k_opt = getattr(keras.optimizers, name)(**kwargs)
        nn_opt.build(nn_model.trainable_weights)
        k_opt.build(k_model.trainable_variables)
        def unnumbered(names):  # Keras numbers layers per session: sequential_1_dense_2_kernel
            return [re.sub(r"_\d+", "", n) for n in names]

        assert unnumbered(v.name for v in nn_opt.variables) == unnumbered(v.name for v in k_opt.variables), name
        assert [v.shape for v in nn_opt.variables] == [tuple(v.shape) for v in k_opt.variables], name


def test_exclude_from_weight_decay(float64):
    model = nnlite.Sequential([nnlite.Input((2,)), layers.Dense(2, kernel_initializer="ones",
                                                                bias_initializer="ones")])
    optimizer = nnlite.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    model.compile(optimizer, "mse")
    zero = [np.zeros((2, 2)), np.zeros(2)]
    optimizer.apply(zero, model.trainable_weights)
    kernel, bias = model.get_weights()
    assert np.allclose(kernel, 1 - 0.5 * 0.1) and np.allclose(bias, 1)  # zero gradients: only the decay moves w
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["kernel"])

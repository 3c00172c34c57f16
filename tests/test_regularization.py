"""Regularisers, the weightless layers and Dropout, in whole fits against Keras 3."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite import layers, regularizers

from .conftest import RTOL
from .helpers import assert_close, fit_both, keras_twin


def _fit_both(keras, model, x, y, loss, rtol, epochs=3, **fit_kwargs):
    twin = keras_twin(keras, model)
    model.compile(optimizer=nnlite.optimizers.SGD(0.05, momentum=0.5), loss=loss)
    twin.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5), loss=loss)
    h1 = model.fit(x, y, epochs=epochs, shuffle=False, verbose=0, **fit_kwargs)
    h2 = twin.fit(x, y, epochs=epochs, shuffle=False, verbose=0, **fit_kwargs)
    for key in h2.history:
        assert_close(h1.history[key], h2.history[key], rtol, key)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        assert_close(a, b, rtol, "weights")
    assert_close(model.evaluate(x, y, verbose=0), twin.evaluate(x, y, verbose=0), rtol, "evaluate")
    return h1


REGULARIZED = {
    "kernel-l2": {"kernel_regularizer": regularizers.L2(0.01)},
    "kernel-l1": {"kernel_regularizer": regularizers.L1(0.003)},
    "bias-l1l2": {"bias_regularizer": regularizers.L1L2(l1=0.01, l2=0.02)},
    "activity-l2": {"activity_regularizer": regularizers.L2(0.05)},
    "all": {"kernel_regularizer": "l2", "bias_regularizer": "l1", "activity_regularizer": regularizers.L1(0.02)},
}


@pytest.mark.parametrize("case", list(REGULARIZED))
def test_regularized_fit_matches_keras(keras, floatx, rng, case):
    init = nnlite.initializers.GlorotUniform(seed=1)
    bias_init = nnlite.initializers.RandomNormal(seed=2)
    kw = REGULARIZED[case]
    model = nnlite.Sequential([
        nnlite.Input((4,)),
        layers.Dense(6, activation="tanh", kernel_initializer=init, bias_initializer=bias_init, **kw),
        layers.Dense(3, activation="softmax", kernel_initializer=init, bias_initializer=bias_init, **kw),
    ])
    x = rng.normal(size=(29, 4)).astype(floatx)
    y = rng.integers(0, 3, 29)
    h = _fit_both(keras, model, x, y, "sparse_categorical_crossentropy", RTOL[floatx],
                  batch_size=8, validation_split=0.2)
    assert h.history["loss"][0] > 0


def test_penalties_enter_the_gradient_check(rng):
    model = nnlite.Sequential([
        nnlite.Input((3,)),
        layers.Dense(4, activation="softplus", kernel_regularizer=regularizers.L2(0.1),
                     activity_regularizer=regularizers.L2(0.2)),
        layers.Dense(2, activation="sigmoid", bias_regularizer=regularizers.L2(0.3),
                     bias_initializer=nnlite.initializers.RandomNormal(seed=0),
                     activity_regularizer=regularizers.L2(0.1)),
    ])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    x, y = rng.normal(size=(6, 3)), (rng.random((6, 2)) > 0.5).astype(float)
    errors = nnlite.utils.check_gradients(model, x, y)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("layer", [
    lambda: layers.Activation("tanh"),
    lambda: layers.ReLU(),
    lambda: layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
    lambda: layers.LeakyReLU(),
    lambda: layers.LeakyReLU(negative_slope=0.1),
], ids=["activation-tanh", "relu", "relu-params", "leaky-default", "leaky-0.1"])
def test_activation_layers_match_keras(keras, floatx, rng, layer):
    init = nnlite.initializers.GlorotUniform(seed=3)
    model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(5, kernel_initializer=init), layer(),
                               layers.Dense(2, kernel_initializer=init)])
    x, y = rng.normal(size=(20, 3)).astype(floatx), rng.normal(size=(20, 2)).astype(floatx)
    _fit_both(keras, model, x, y, "mse", RTOL[floatx], batch_size=6)


@pytest.mark.parametrize(("last", "loss"), [
    (lambda: layers.Softmax(), "categorical_crossentropy"),
    (lambda: layers.Activation("sigmoid"), "binary_crossentropy"),
])
def test_logit_layers_at_the_output_take_the_fused_path_like_keras(keras, float64, rng, last, loss):
    init = nnlite.initializers.GlorotUniform(seed=4)
    model = nnlite.Sequential([nnlite.Input((3,)), layers.Dense(4, kernel_initializer=init), last()])
    x = rng.normal(size=(18, 3)) * 20  # large logits: the clipped and logits paths differ
    y = np.eye(4)[rng.integers(0, 4, 18)]
    _fit_both(keras, model, x, y, loss, RTOL["float64"], batch_size=6)


def test_dropout_keeps_the_rate_and_scales(rng):
    drop = layers.Dropout(0.3, seed=0)
    x = np.ones((400, 500), dtype=np.float32)
    a = drop(x, training=True)
    kept = a != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.005)
    assert np.allclose(a[kept], 1 / 0.7)
    assert a.mean() == pytest.approx(1.0, abs=0.01)
    ctx = layers.Context(training=True)
    a, mask = drop.forward(x, ctx)
    assert np.array_equal(drop.backward(mask, np.ones_like(x), ctx), a)  # the same mask scales the gradient
    assert np.array_equal(drop(x), x)  # identity at inference


def test_dropout_is_reproducible_from_a_seed():
    x = np.ones((10, 10))
    assert np.array_equal(layers.Dropout(0.5, seed=7)(x, training=True),
                          layers.Dropout(0.5, seed=7)(x, training=True))


def test_dropout_gradient_check_with_a_fixed_mask(rng):
    """With the mask frozen, the network is smooth and the finite differences apply."""
    model = nnlite.Sequential([nnlite.Input((4,)), layers.Dense(8, activation="tanh"),
                               layers.Dropout(0.5, seed=3), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    dropout = model.layers[1]
    mask = (np.random.default_rng(0).random((5, 8)) >= 0.5) / 0.5
    mask[:, 0] = 0  # unit 0 dropped for every sample
    dropout.forward = lambda a, ctx: (a * mask, None)  # fixed mask, in every pass
    dropout.backward = lambda saved, g, ctx, need_grad_x=True: g * mask
    errors = nnlite.utils.check_gradients(model, x, y)
    assert max(errors.values()) < 1e-6, errors
    kernel = model.layers[0].kernel
    model.loss_and_gradients(x.astype(np.float32), y.astype(np.float32))
    dead = np.all(mask == 0, axis=0)  # hidden units dropped for every sample get no gradient
    assert dead.any() and np.all(kernel.grad[:, dead] == 0) and np.any(kernel.grad[:, ~dead] != 0)


def test_dropout_rate_is_checked():
    with pytest.raises(ValueError, match=r"Expected a float value between 0 and 1. Received: rate=1.2"):
        layers.Dropout(1.2)


def test_keras_default_names(keras):
    model = nnlite.Sequential([nnlite.Input((2,)), layers.Dense(3), layers.LeakyReLU(), layers.ReLU(),
                               layers.Dropout(0.1), layers.Dense(1), layers.Activation("sigmoid")])
    assert [layer.name for layer in model.layers] == [
        "dense", "leaky_re_lu", "re_lu", "dropout", "dense_1", "activation"]


@pytest.mark.parametrize("kind", ["function", "subclass", "activity-function"])
def test_regularizers_the_user_writes_train_as_in_keras(keras, float64, rng, kind):
    """A penalty written as a function or a Regularizer subclass with ops (Keras's own way to write one) is
    differentiated by the tape: the weights after a fit equal Keras's (before, only the built-in L1/L2 factors
    had a gradient and these penalties trained nothing)."""
    def penalty(ops):
        return lambda w: 0.05 * ops.sum(ops.abs(w) ** 3) + 0.01 * ops.sum(ops.cos(w))

    def regularizer(module, ops):
        if kind == "subclass":
            class Cubic(module.regularizers.Regularizer):
                def __call__(self, w):
                    return penalty(ops)(w)
            return Cubic()
        return penalty(ops)

    def build(module, ops):
        key = "activity_regularizer" if kind == "activity-function" else "kernel_regularizer"
        return module.Sequential([module.Input((3,)), module.layers.Dense(
            4, activation="tanh", kernel_initializer=module.initializers.GlorotUniform(seed=3),
            **{key: regularizer(module, ops)}), module.layers.Dense(1)])

    ours, theirs = build(nnlite, nnlite.ops), build(keras, keras.ops)
    theirs.set_weights(ours.get_weights())
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    start = ours.get_weights()[0]
    for model, module in ((ours, nnlite), (theirs, keras)):
        model.compile(optimizer=module.optimizers.SGD(0.1), loss="mse")
    h1 = ours.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    h2 = theirs.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    assert_close(h1.history["loss"], h2.history["loss"], RTOL["float64"], "loss")
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(a, b, RTOL["float64"], "weights")
    assert not np.allclose(ours.get_weights()[0], start)  # it trained


def test_a_regularizer_the_tape_cannot_follow_warns_and_adds_its_value():
    layer = layers.Dense(2, kernel_initializer="ones", kernel_regularizer=lambda w: 0.1 * np.sum(np.asarray(w)))
    model = nnlite.Sequential([nnlite.Input((2,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match="gave no gradient: write it with nnlite.ops"):
        history = model.fit(np.zeros((2, 2)), np.zeros((2, 2)), verbose=0)
    assert history.history["loss"][0] == pytest.approx(0.4)  # the penalty's value counts: 0.1 * 4 ones
    assert regularizers.get(abs) is abs and isinstance(regularizers.get(regularizers.L2), regularizers.L2)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_matches_keras(keras, tf, rng, mode):
    """OrthogonalRegularizer (float32, the only dtype Keras's holds its float32 factor against): the penalty and its
    gradient equal Keras's, a zero row included (its gradient 0, not NaN, and no warning); a Dense kernel under it
    trains as in Keras; the config (factor rounded to float32, as Keras's), get("orthogonal_regularizer") and
    get("l1l2"), and the errors for a mode and a rank."""
    import warnings

    w = rng.normal(size=(5, 3)).astype("float32")
    w[1] = 0.0
    theirs, ours = keras.regularizers.OrthogonalRegularizer(0.3, mode), regularizers.OrthogonalRegularizer(0.3, mode)
    v = tf.Variable(w)
    with tf.GradientTape() as tape:
        expected = theirs(v)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = ours(w), ours.grad(w)
    assert_close(value, expected.numpy(), RTOL["float32"], "penalty")
    assert_close(grad, tape.gradient(expected, v).numpy(), RTOL["float32"], "gradient")
    assert np.all(np.isfinite(grad))
    assert ours.get_config() == theirs.get_config()
    assert type(regularizers.get("orthogonal_regularizer")) is regularizers.OrthogonalRegularizer
    assert type(regularizers.get("l1l2")) is type(regularizers.get("L1L2")) is regularizers.L1L2
    x, y = rng.normal(size=(16, 5)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")

    def model(lib):
        return lib.Sequential([lib.Input((5,)), lib.layers.Dense(
            3, kernel_regularizer=lib.regularizers.OrthogonalRegularizer(0.5, mode)), lib.layers.Dense(1)])
    fit_both(keras, model(keras), model(nnlite), x, y, ("SGD", 0.1), "mse", 8, rtol=RTOL["float32"],
             weights_rtol=RTOL["float32"])
    with pytest.raises(ValueError, match="Invalid value for argument `mode`"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="must have rank 2"):
        ours(np.ones((2, 2, 2)))


def test_a_layer_of_your_own_adds_its_activity_penalty_on_every_call_as_keras(keras):
    """Keras's test: a layer of your own with activity_regularizer="l1" (or "l2") has one loss after a call on values,
    R(a) / batch (0 for an empty batch), replaced at each call; a symbolic call adds none."""
    for lib in (keras, nnlite):
        class Identity(lib.layers.Layer):
            def call(self, x):
                return x

        layer = Identity(activity_regularizer="l1")
        for _ in range(2):
            layer(np.ones((1,)))
            assert len(layer.losses) == 1 and np.isclose(float(layer.losses[0]), 0.01)
        for batch, expected in ((0, 0.0), (1, 0.2), (5, 0.2)):
            layer = Identity(activity_regularizer="l2")
            layer(np.ones((batch, 5), dtype="float32") * 2.0)
            assert len(layer.losses) == 1 and np.isclose(float(layer.losses[0]), expected), (lib.__name__, batch)
        layer = Identity(activity_regularizer="l1")
        layer(lib.layers.Input(batch_shape=(2, 2)))
        assert len(layer.losses) == 0

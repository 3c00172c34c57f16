"""BatchNormalization, LayerNormalization and UnitNormalization against Keras 3 run in the test: whole fits
(weights, moving statistics, history), inference after training, and gradients under TensorFlow's tape at
the edges (a constant feature: zero variance; an all-zero sample: zero norm)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nnlite
from nnlite import layers
from nnlite.layers import Context

from .conftest import RTOL, require
from .helpers import assert_close, layer_against_tensorflow


def _stack(lib, middle, input_shape=(6,)):
    """Dense, the normalization, Dense. Before BatchNormalization in training the Dense has no bias, as
    usual: the batch mean takes any bias away, so its gradient is zero and its value rounding noise."""
    init = lib.initializers.GlorotUniform(seed=1)
    bias = not (isinstance(middle, lib.layers.BatchNormalization) and middle.trainable)
    return lib.Sequential([lib.Input(input_shape), lib.layers.Dense(5, kernel_initializer=init, use_bias=bias),
                           middle,
                           lib.layers.Flatten(), lib.layers.Dense(1, activation="sigmoid", kernel_initializer=init)])


CASES = {
    "batch": lambda lib: lib.layers.BatchNormalization(momentum=0.8),
    "batch frozen": lambda lib: lib.layers.BatchNormalization(trainable=False),
    "batch no scale": lambda lib: lib.layers.BatchNormalization(scale=False, epsilon=1e-2),
    "layer": lambda lib: lib.layers.LayerNormalization(),
    "layer no center": lambda lib: lib.layers.LayerNormalization(center=False, epsilon=1e-5),
    "layer rms scaling": lambda lib: lib.layers.LayerNormalization(rms_scaling=True),
    "unit": lambda lib: lib.layers.UnitNormalization(),
}


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
@pytest.mark.parametrize("case", list(CASES))
def test_fit_matches_keras(keras, floatx, rng, case):
    theirs, ours = _stack(keras, CASES[case](keras)), _stack(nnlite, CASES[case](nnlite))
    ours.set_weights(theirs.get_weights())
    x = rng.normal(size=(30, 6)).astype(floatx) * 3 + 1
    y = rng.integers(0, 2, size=(30, 1)).astype(floatx)
    for m in (theirs, ours):
        m.compile(optimizer="adam" if floatx == "float64" else "sgd", loss="binary_crossentropy",
                  metrics=["accuracy"])
    h_theirs = theirs.fit(x, y, batch_size=7, epochs=3, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=7, epochs=3, shuffle=False, verbose=0)
    for key, values in h_theirs.history.items():
        assert_close(h_ours.history[key], values, RTOL[floatx], key)
    for w_ours, w_theirs in zip(ours.weights, theirs.weights):  # moving statistics included
        assert_close(w_ours.numpy(), w_theirs.numpy(), RTOL[floatx], w_theirs.path)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL[floatx], "inference")
    assert_close(ours(x, training=True), theirs(x, training=True), RTOL[floatx], "training-mode call")


def test_batch_normalization_on_a_middle_axis_and_layer_normalization_over_two_axes(keras, float64, rng):
    x = rng.normal(size=(9, 6))
    y = rng.integers(0, 2, size=(9, 1)).astype(float)
    for make in (lambda lib: lib.layers.BatchNormalization(axis=1),
                 lambda lib: lib.layers.LayerNormalization(axis=[1, 2])):
        def build(lib, make=make):
            init = lib.initializers.GlorotUniform(seed=2)
            return lib.Sequential([lib.Input((6,)), lib.layers.Dense(6, kernel_initializer=init),
                                   lib.layers.Reshape((3, 2)), make(lib), lib.layers.Flatten(),
                                   lib.layers.Dense(1, activation="sigmoid", kernel_initializer=init)])

        theirs, ours = build(keras), build(nnlite)
        ours.set_weights(theirs.get_weights())
        for m in (theirs, ours):
            m.compile(optimizer="sgd", loss="binary_crossentropy")
        h_theirs = theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        h_ours = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        assert_close(h_ours.history["loss"], h_theirs.history["loss"], RTOL["float64"])
        for w_ours, w_theirs in zip(ours.weights, theirs.weights):
            assert_close(w_ours.numpy(), w_theirs.numpy(), RTOL["float64"], w_theirs.path)


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
@pytest.mark.parametrize("name", ["BatchNormalization", "LayerNormalization", "UnitNormalization",
                                  "LayerNormalization rms_scaling"])
def test_gradients_match_tensorflow_at_zero_variance_and_zero_norm(keras, tf, float64, rng, name):
    x = rng.normal(size=(5, 4))
    x[:, 2] = 1.5  # a constant feature: zero batch variance
    x[3] = 0.0  # a zero sample: zero norm and zero variance of that row
    x[4] = 2.0  # a constant sample: zero variance, nonzero values (rms_scaling divides them by sqrt(epsilon))
    cls, *options = name.split()
    ours = getattr(nnlite.layers, cls)(**{option: True for option in options})
    theirs = getattr(keras.layers, cls)(**{option: True for option in options})
    ours.build((None, 4))
    theirs.build((None, 4))
    if ours.weights:
        values = [rng.normal(size=w.shape) for w in theirs.weights]
        theirs.set_weights(values)
        ours.set_weights(values)
    x_var = tf.Variable(x)
    with tf.GradientTape() as tape:
        out = theirs(x_var, training=True)
    grad_a = rng.normal(size=x.shape)
    expected = tape.gradient(out, [x_var, *theirs.trainable_weights], output_gradients=tf.constant(grad_a))
    ctx = nnlite.layers.Context(training=True)
    a, saved = ours.forward(x, ctx)
    assert_close(a, out.numpy(), RTOL["float64"], f"{name} forward")
    grads = [ours.backward(saved, grad_a, ctx)] + [w.grad for w in ours.trainable_weights]
    for g, e in zip(grads, expected):
        assert_close(g, e.numpy(), RTOL["float64"], f"{name} gradients")


def test_batch_normalization_arguments_and_files(keras, tmp_path, rng):
    require("h5py")
    with pytest.raises(TypeError, match="axis"):
        nnlite.layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="out of bounds"):
        nnlite.layers.LayerNormalization(axis=3).build((None, 4))
    model = _stack(nnlite, nnlite.layers.BatchNormalization())
    x = rng.normal(size=(8, 6)).astype("float32")
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(x, np.ones((8, 1)), verbose=0)
    model.save(tmp_path / "bn.keras")
    theirs = keras.models.load_model(tmp_path / "bn.keras")
    assert_close(theirs.predict(x, verbose=0), model.predict(x, verbose=0), RTOL["float32"], "Keras reads it")
    assert [w.name for w in theirs.weights] == [w.name for w in model.weights]


def test_rms_scaling_warns_as_keras_and_round_trips(keras):
    for lib in (keras, nnlite):
        with pytest.warns(UserWarning, match="rms_scaling=True`, which is deprecated"):
            layer = lib.layers.LayerNormalization(rms_scaling=True, center=True)
        layer.build((None, 3))
        assert [w.name for w in layer.weights] == ["gamma"]
    config = layer.get_config()
    assert config["rms_scaling"] is True and config["center"] is True
    with pytest.warns(UserWarning):
        again = nnlite.layers.LayerNormalization.from_config(config)
    assert again.rms_scaling and again.beta is None


@pytest.mark.parametrize(("mean", "variance", "message"), [
    ([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], r"shape \(3,\) do not fit inputs of shape \(None, 2\)"),
    (1.0, 4.0, None),
    ([1.0, 2.0], [1.0, 4.0], None),
    ([1.0, 2.0], [1.0, 1.0, 1.0], "must have the same shape"),
    ([[1.0, 2.0]], [[1.0, 1.0]], r"The rank of `mean` must be less than or equal to the number of axes \(1\)"),
])
def test_a_given_mean_that_cannot_fit_is_refused_when_the_graph_is_built(keras, tf, mean, variance, message):
    """Keras refuses a 3-value mean on 2 features when the layer is called on the Input, not at predict (and
    means of other shapes or ranks when made); a scalar broadcasts as in Keras (outputs equal to Keras's)."""
    x = np.array([[1.0, 4.0], [3.0, 0.0]])
    if message is None:
        ours = nnlite.Sequential([nnlite.Input((2,)), layers.Normalization(mean=mean, variance=variance)])
        theirs = keras.Sequential([keras.Input((2,)), keras.layers.Normalization(mean=mean, variance=variance)])
        np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-6)
        np.testing.assert_allclose(ours.layers[0].mean, np.asarray(theirs.layers[0].mean), rtol=1e-6)
        return
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError)):  # Keras too refuses when the graph is built
        keras.layers.Normalization(mean=mean, variance=variance)(keras.Input((2,)))
    with pytest.raises(ValueError, match=message):
        layers.Normalization(mean=mean, variance=variance)(nnlite.Input((2,)))


RENORM = [{}, {"renorm_clipping": {"rmax": 1.5, "rmin": 0.8, "dmax": 0.3}, "momentum": 0.5, "renorm_momentum": 0.6},
          {"scale": False, "center": False, "renorm_clipping": {"rmax": 1.2}}]


@pytest.mark.parametrize("masked", [False, True], ids=["plain", "masked"])
@pytest.mark.parametrize("kwargs", RENORM, ids=str)
def test_batch_renormalization_matches_tensorflow_batch_after_batch(keras, tf, float64, rng, kwargs, masked):
    """renorm=True: over three training batches the output, dL/dx, dL/dgamma and dL/dbeta (r and d held
    constant) and all seven variables (moving_stddev, renorm_mean, renorm_stddev, the moving variance derived
    from the stddev) equal TensorFlow's, clipped or not, with a mask or not; inference uses the moving statistics."""
    ours = nnlite.layers.BatchNormalization(renorm=True, **kwargs)
    theirs = keras.layers.BatchNormalization(renorm=True, **kwargs)
    ours.build((None, 4, 3))
    theirs.build((None, 4, 3))
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    start = [rng.uniform(0.5, 2, w.shape) if "stddev" in w.name or "variance" in w.name else rng.normal(size=w.shape)
             for w in theirs.weights]
    ours.set_weights(start)
    theirs.set_weights(start)
    for step in range(3):
        x, g = rng.normal(size=(5, 4, 3)) * 3 + 1, rng.normal(size=(5, 4, 3))
        mask = rng.random((5, 4)) > 0.3 if masked else None
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            out = theirs(xt, training=True, mask=None if mask is None else tf.constant(mask))
            loss = tf.reduce_sum(out * g)
        expected = tape.gradient(loss, [xt, *theirs.trainable_weights])
        ctx = Context(training=True)
        a, saved = ours.forward_masked(x, mask, ctx)
        grads = [ours.backward(saved, g, ctx)] + [ctx.grad(w) for w in ours.trainable_weights]
        assert_close(a, out.numpy(), RTOL["float64"], f"output {step}")
        for got, want in zip(grads, expected):
            assert_close(got, want.numpy(), RTOL["float64"], f"gradient {step}")
        for w, k in zip(ours.weights, theirs.weights):
            assert_close(w.numpy(), k.numpy(), RTOL["float64"], f"{w.name} after batch {step}")
    x = rng.normal(size=(2, 4, 3))
    assert_close(ours(x), theirs(x, training=False).numpy(), RTOL["float64"], "inference")


def test_batch_renormalization_trains_saves_and_refuses_as_keras(keras, float64, rng, tmp_path):
    """A fit with renorm equals Keras's; files go both ways with the three renorm variables; Keras's errors for
    the clipping dictionary."""
    from .helpers import files_load_both_ways, fit_both

    def model(lib):
        return lib.Sequential([lib.Input((4,)), lib.layers.Dense(5, use_bias=False),  # BN cancels a bias
                               lib.layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 2.0, "dmax": 1.0},
                                                             momentum=0.8),
                               lib.layers.Dense(1)])
    x, y = rng.normal(size=(24, 4)), rng.normal(size=(24, 1))
    theirs, ours = model(keras), model(nnlite)
    fit_both(keras, theirs, ours, x, y, ("SGD", 0.05), "mse", 8)
    files_load_both_ways(keras, theirs, ours, x, tmp_path)
    assert ours.layers[1].get_config() == {**theirs.layers[1].get_config(), "name": ours.layers[1].name}
    for bad in ({"rmax": 1.0, "other": 2.0}, {"rmax": 0.5, "rmin": 1.0}, {"dmax": -1.0}):
        with pytest.raises(ValueError) as error:
            keras.layers.BatchNormalization(renorm=True, renorm_clipping=bad)
        words = str(error.value).split(" Received")[0]
        with pytest.raises(ValueError, match=re.escape(words)):
            nnlite.layers.BatchNormalization(renorm=True, renorm_clipping=bad)


@pytest.mark.parametrize("mask_value", [0.0, 1.0])
def test_batch_normalization_ignores_masked_steps_in_a_fit_with_open_timesteps(keras, mask_value):
    """Keras's test: Input((None, 2)) (the timesteps left open), Masking, BatchNormalization(momentum=0); the
    moving statistics are those of the unmasked steps alone ([1.5, 5], [0.25, 0]) and the losses Keras's."""
    padded = np.array([[[1, 5], [2, 5], [mask_value] * 2, [mask_value] * 2]] * 10, dtype="float32")
    results = []
    for lib in (nnlite, keras):
        inputs = lib.layers.Input((None, 2))
        normed = lib.layers.BatchNormalization(momentum=0.0)(lib.layers.Masking(mask_value=mask_value)(inputs))
        model = lib.Model(inputs, normed)
        model.compile("rmsprop", loss="mse")
        history = model.fit(padded, padded, batch_size=10, epochs=5, verbose=0).history
        layer = model.layers[2]
        results.append((np.asarray(layer.moving_mean), np.asarray(layer.moving_variance), history["loss"]))
    assert_close(results[0][0], [1.5, 5.0], RTOL["float32"], "moving mean")
    assert_close(results[0][1], results[1][1], RTOL["float32"], "moving variance")
    assert_close(results[0][2], results[1][2], RTOL["float32"], "losses")


@pytest.mark.parametrize(("kwargs", "shape"), [({}, (4, 5)), ({"epsilon": 1e-3}, (4, 3, 5)),
                                               ({"axis": [1, 2]}, (4, 3, 5)), ({"axis": 1}, (4, 5, 5))], ids=str)
def test_rms_normalization_matches_tensorflow(keras, tf, float64, rng, kwargs, shape):
    """RMSNormalization: output, the input's and scale's gradients and the config (axis made a list at build, as
    Keras's) equal Keras's, over one axis or several."""
    ours, theirs = nnlite.layers.RMSNormalization(**kwargs), keras.layers.RMSNormalization(**kwargs)
    assert ours.get_config()["axis"] == theirs.get_config()["axis"]
    layer_against_tensorflow(tf, ours, theirs, rng.normal(size=shape), rng)


def test_rms_normalization_of_float16_computes_in_float32(keras):
    """A float16 batch is normalized in float32 and given back in float16, equal to Keras's."""
    x = np.linspace(-3, 3, 12).reshape(3, 4).astype("float16")
    ours = nnlite.layers.RMSNormalization(dtype="float16")
    theirs = keras.layers.RMSNormalization(dtype="float16")
    got, expected = np.asarray(ours(x)), np.asarray(theirs(x))
    assert got.dtype == expected.dtype == np.float16
    np.testing.assert_array_equal(got, expected)

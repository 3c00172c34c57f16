"""Embedding with GlobalAveragePooling1D (the text-classification MLP), Permute, RepeatVector, Identity,
ActivityRegularization and the noise layers, against Keras 3 run in the test."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .conftest import RTOL, require
from .helpers import assert_close, layer_against_tensorflow


def _fit_both(keras, build, x, y, optimizer="adam", epochs=3):
    theirs, ours = build(keras), build(nnlite)
    ours.set_weights(theirs.get_weights())
    for m in (theirs, ours):
        m.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    for key, values in h_theirs.history.items():
        assert_close(h_ours.history[key], values, RTOL["float64"], key)
    for w_ours, w_theirs in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(w_ours, w_theirs, RTOL["float64"], "weights")
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "predict")
    return ours


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "adamax", "nadam", "rmsprop", "adagrad", "adadelta"])
def test_the_text_classification_mlp_trains_as_in_keras(keras, float64, rng, optimizer):
    """Token ids -> Embedding -> Dropout (inactive at rate 0) -> GlobalAveragePooling1D -> Dense, as in
    TensorFlow's basic text classification tutorial. Ids repeat within a batch, so rows of the embedding
    matrix collect several gradients, and every optimizer that squares (or takes |g| of) a gradient must
    do so per token occurrence, as Keras's TensorFlow backend does (optimizers.base.RowGrad)."""
    x = rng.integers(0, 12, size=(24, 7))

    def build(lib):
        return lib.Sequential([lib.Input((7,), dtype="int32"), lib.layers.Embedding(12, 4),
                               lib.layers.Dropout(0.0), lib.layers.GlobalAveragePooling1D(),
                               lib.layers.Dense(3, activation="relu"), lib.layers.Dense(1, activation="sigmoid")])

    y = (x[:, 0] > 5).astype(float)[:, None]
    _fit_both(keras, build, x, y, optimizer)


def test_permute_repeat_vector_identity_and_activity_regularization(keras, float64, rng):
    x = rng.normal(size=(20, 4))
    y = rng.integers(0, 2, size=(20, 1)).astype(float)

    def build(lib):
        L = lib.layers
        return lib.Sequential([lib.Input((4,)), L.Dense(3, activation="tanh"), L.RepeatVector(2), L.Permute((2, 1)),
                               L.Identity(), L.ActivityRegularization(l1=0.01, l2=0.03), L.Flatten(),
                               L.Dense(1, activation="sigmoid")])

    _fit_both(keras, build, x, y)
    for name, args in (("GaussianNoise", (0.5,)), ("GaussianDropout", (0.3,)), ("AlphaDropout", (0.2,))):
        assert_close(getattr(nnlite.layers, name)(*args)(x), getattr(keras.layers, name)(*args)(x), 0, name)


def test_noise_layers_in_training(keras, float64, rng):
    """In training the noise layers draw their noise (nnlite's own random source, so compared by its laws):
    GaussianNoise adds N(0, stddev^2), GaussianDropout multiplies by N(1, rate / (1 - rate)), AlphaDropout
    keeps a SELU output's mean 0 and variance 1; gradients pass as the equations say."""
    x = rng.normal(size=(400, 50))
    ctx = nnlite.layers.Context(training=True)
    a, _ = nnlite.layers.GaussianNoise(0.4, seed=1).forward(x, ctx)
    assert abs(np.std(a - x) - 0.4) < 0.01 and abs(np.mean(a - x)) < 0.01
    layer = nnlite.layers.GaussianDropout(0.5, seed=2)
    a, saved = layer.forward(x, ctx)
    m = a / x
    assert abs(np.std(m) - 1.0) < 0.02 and abs(np.mean(m) - 1.0) < 0.02
    g = rng.normal(size=x.shape)
    assert_close(layer.backward(saved, g, ctx), g * m, 1e-12)
    layer = nnlite.layers.AlphaDropout(0.3, seed=3)
    a, saved = layer.forward(x, ctx)
    assert abs(np.mean(a)) < 0.02 and abs(np.var(a) - 1.0) < 0.03
    alpha_p = -nnlite.activations.SELU_ALPHA * nnlite.activations.SELU_SCALE
    scale = ((1 - 0.3) * (1 + 0.3 * alpha_p ** 2)) ** -0.5
    dropped = np.isclose(a, scale * alpha_p - scale * alpha_p * 0.3, rtol=0, atol=1e-12)  # all set to one value
    assert abs(dropped.mean() - 0.3) < 0.01
    assert_close(layer.backward(saved, g, ctx), np.where(dropped, 0.0, scale * g), 1e-12)
    a2, _ = nnlite.layers.AlphaDropout(0.3, seed=3).forward(x, ctx)
    assert_close(a2, a, 0)  # the same seed, the same mask


def test_argument_checks_as_keras(keras):
    for make in (lambda lib: lib.layers.RepeatVector(0), lambda lib: lib.layers.Permute((1, 3)),
                 lambda lib: lib.layers.GaussianNoise(-1), lambda lib: lib.layers.AlphaDropout(1.5),
                 lambda lib: lib.layers.Embedding(0, 3), lambda lib: lib.layers.GlobalAveragePooling1D("nhwc")):
        with pytest.raises(ValueError):
            make(keras)
        with pytest.raises(ValueError):
            make(nnlite)
    with pytest.raises(TypeError):
        nnlite.layers.RepeatVector(2.5)
    embedding = nnlite.layers.Embedding(5, 2)
    with pytest.raises(ValueError, match=r"ids in \[0, 5\)"):
        embedding(np.array([[1, 5]]))
    assert nnlite.layers.Embedding(5, 2, mask_zero=True).compute_mask(np.array([[1, 0, 3]])).tolist() == [
        [True, False, True]]


def test_layers_outside_the_scope_say_so(keras, tmp_path):
    """3-D convolutions and the convolutional recurrent layers: a clear refusal that points to Keras,
    when a script asks for one and when a .keras file holds one."""
    require("h5py")
    for name in ("Conv3D", "Conv3DTranspose", "ConvLSTM2D"):
        assert hasattr(keras.layers, name) and not hasattr(nnlite.layers, name)
        with pytest.raises(AttributeError, match="layer nnlite does not have yet"):
            getattr(nnlite.layers, name)
    theirs = keras.Sequential([keras.Input((4, 4, 4, 1)), keras.layers.Conv3D(2, 3), keras.layers.Flatten(),
                               keras.layers.Dense(1)])
    theirs.save(tmp_path / "cnn.keras")
    with pytest.raises(nnlite.saving.LoadError, match="Conv3D is a convolution layer"):
        nnlite.models.load_model(tmp_path / "cnn.keras")
    with pytest.raises(AttributeError, match="no attribute 'Dense2'"):
        nnlite.layers.Dense2  # noqa: B018


ALIASES = ["Convolution1D", "Convolution2D", "Convolution1DTranspose", "Convolution2DTranspose", "GlobalAvgPool1D",
           "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "MaxPool1D",
           "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D"]


def test_keras_short_names_are_the_same_classes(keras):
    """Keras's second names for a layer (Convolution2D, GlobalAvgPool2D, MaxPool3D, ...) are that layer's class, in
    nnlite as in Keras."""
    for alias in ALIASES:
        theirs = getattr(keras.layers, alias)
        ours = getattr(nnlite.layers, alias)
        assert ours.__name__ == theirs.__name__, alias
        assert ours is getattr(nnlite.layers, theirs.__name__), alias


@pytest.mark.parametrize(("kwargs", "shape"), [({}, (4, 5)), ({"shared_axes": [1]}, (4, 3, 5)),
                                               ({"shared_axes": [1, 2], "alpha_initializer": "random_normal"},
                                                (4, 3, 2, 5))], ids=str)
def test_prelu_matches_tensorflow(keras, tf, float64, rng, kwargs, shape):
    """PReLU: output, the input's and alpha's gradients (a zero input gets none, as TensorFlow's relu(x) -
    alpha relu(-x)) and the config equal Keras's; a model with it fits as Keras's from the same weights."""
    x = rng.normal(size=shape)
    x.flat[0] = 0.0
    grad_x = layer_against_tensorflow(tf, nnlite.layers.PReLU(**kwargs), keras.layers.PReLU(**kwargs), x, rng)
    assert grad_x.flat[0] == 0.0
    assert nnlite.layers.PReLU().supports_masking == keras.layers.PReLU().supports_masking

    def model(lib):
        net = lib.Sequential([lib.Input(shape[1:]), lib.layers.PReLU(**kwargs), lib.layers.Flatten(),
                              lib.layers.Dense(1)])
        net.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        return net

    ours_model, theirs_model = model(nnlite), model(keras)
    ours_model.set_weights(theirs_model.get_weights())
    y = rng.normal(size=(shape[0], 1))
    ours_model.fit(x, y, epochs=3, batch_size=2, shuffle=False, verbose=0)
    theirs_model.fit(x, y, epochs=3, batch_size=2, shuffle=False, verbose=0)
    for a, b in zip(ours_model.get_weights(), theirs_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)

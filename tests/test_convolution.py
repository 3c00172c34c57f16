"""Conv2D, MaxPooling2D and AveragePooling2D against Keras (TensorFlow): outputs, every gradient (kernel, bias,
input) and whole fits, over strides, padding, dilation and both data formats; max pooling's ties; the
keras.io MNIST convnet trained on the digits nnlite ships."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close, files_load_both_ways, fit_both

CONV_CASES = [
    {"filters": 4, "kernel_size": 3},
    {"filters": 3, "kernel_size": (2, 3), "strides": 2},
    {"filters": 2, "kernel_size": 3, "padding": "same"},
    {"filters": 2, "kernel_size": (3, 2), "strides": (2, 1), "padding": "same"},
    {"filters": 3, "kernel_size": 2, "dilation_rate": 2},
    {"filters": 2, "kernel_size": 3, "dilation_rate": (2, 1), "padding": "same", "activation": "tanh"},
    {"filters": 3, "kernel_size": 2, "data_format": "channels_first", "activation": "relu"},
    {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first",
     "use_bias": False},
    {"filters": 2, "kernel_size": 1, "activation": "softmax"},  # the softmax runs over the channels, as Keras's
]


def _grads(keras, tf, layer, x, seed, first):
    """Keras's output and its gradients (input, then weights) for dL/da = seed. TensorFlow convolves and pools only
    channels-last on a CPU, so a channels-first case runs Keras channels-last on the transposed batch (the same
    numbers) and transposes the results back."""
    if first:
        x, seed = np.moveaxis(x, 1, -1), np.moveaxis(seed, 1, -1)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        a = layer(xt)
    grads = [np.asarray(g) for g in tape.gradient(a, [xt, *layer.trainable_weights],
                                                  output_gradients=tf.constant(seed))]
    if first:
        return np.moveaxis(np.asarray(a), -1, 1), [np.moveaxis(grads[0], -1, 1), *grads[1:]]
    return np.asarray(a), grads


def _keras_layer(keras, name, kwargs):
    return getattr(keras.layers, name)(**{**kwargs, "data_format": "channels_last"})


def _check_convolution(keras, tf, rng, name, kwargs, x):
    """Output, the input's, kernel's and bias's gradients and the config of nnlite's layer ``name`` against
    Keras's, from the same weights."""
    first = kwargs.get("data_format") == "channels_first"
    ours = getattr(nnlite.layers, name)(**kwargs, bias_initializer="random_normal")
    theirs = _keras_layer(keras, name, kwargs)
    ours.build(x.shape)
    theirs.build(np.moveaxis(x, 1, -1).shape if first else x.shape)
    theirs.set_weights(ours.get_weights())  # the kernel is (window..., C, F), as Keras's
    a = ours(x)
    assert a.shape == ours.compute_output_shape(x.shape)
    seed = rng.normal(size=a.shape).astype(x.dtype)
    expected, expected_grads = _grads(keras, tf, theirs, x, seed, first)
    rtol = RTOL[x.dtype.name]
    assert_close(a, expected, rtol, "output")
    with nnlite.GradientTape() as tape:
        xv = nnlite.Variable(x, name="x")
        out = ours(xv)
    grads = tape.gradient(out, [xv, *ours.trainable_weights], output_gradients=seed)
    names = ["x", *[w.name for w in ours.trainable_weights]]
    assert len(grads) == len(expected_grads) == len(names)
    for what, g, e in zip(names, grads, expected_grads):
        assert_close(g, e, rtol, f"grad {what}")
    plain = {k: v for k, v in getattr(nnlite.layers, name)(**kwargs).get_config().items() if k != "name"}
    assert plain == {k: v for k, v in getattr(keras.layers, name)(**kwargs).get_config().items() if k != "name"}


@pytest.mark.parametrize("kwargs", CONV_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_conv2d_output_and_gradients_match_tensorflow(keras, tf, float64, rng, kwargs):
    first = kwargs.get("data_format") == "channels_first"
    _check_convolution(keras, tf, rng, "Conv2D", kwargs, rng.normal(size=(2, 3, 7, 6) if first else (2, 7, 6, 3)))


@pytest.mark.parametrize("kwargs", [{"filters": 3, "kernel_size": (3, 2), "strides": (2, 1), "padding": "same"},
                                    {"filters": 2, "kernel_size": 2, "dilation_rate": (1, 2)}], ids=str)
def test_conv2d_on_one_channel_matches_tensorflow(keras, tf, float64, rng, kwargs):
    """A grey image's patches are gathered tap by tap (patches.im2col's one-channel path)."""
    _check_convolution(keras, tf, rng, "Conv2D", kwargs, rng.normal(size=(3, 9, 8, 1)))


def _check_weightless(keras, tf, rng, name, kwargs, x, transposed):
    """Output, the input's gradient and the config of nnlite's layer ``name`` against Keras's (``transposed``: Keras
    runs channels-last on the transposed batch, see ``_grads``)."""
    ours = getattr(nnlite.layers, name)(**kwargs)
    theirs = _keras_layer(keras, name, kwargs) if transposed else getattr(keras.layers, name)(**kwargs)
    a = ours(x)
    assert a.shape == ours.compute_output_shape(x.shape)
    seed = rng.normal(size=a.shape).astype(x.dtype)
    expected, (expected_grad,) = _grads(keras, tf, theirs, x, seed, transposed)
    assert_close(a, expected, RTOL[x.dtype.name], "output")
    with nnlite.GradientTape() as tape:
        xv = nnlite.Variable(x, name="x")
        out = ours(xv)
    assert_close(tape.gradient(out, xv, output_gradients=seed), expected_grad, RTOL[x.dtype.name], "grad x")
    plain = {k: v for k, v in getattr(keras.layers, name)(**kwargs).get_config().items() if k != "name"}
    assert {k: v for k, v in ours.get_config().items() if k != "name"} == plain


POOL_CASES = [
    ("MaxPooling2D", {"pool_size": 2}),
    ("MaxPooling2D", {"pool_size": 3, "strides": 1}),  # overlapping windows: a tap collects several gradients
    ("MaxPooling2D", {"pool_size": (2, 3), "strides": 2, "padding": "same"}),
    ("MaxPooling2D", {"pool_size": 2, "data_format": "channels_first"}),
    ("AveragePooling2D", {"pool_size": 2}),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}),  # padded taps not counted
    ("AveragePooling2D", {"pool_size": (2, 2), "strides": 1, "data_format": "channels_first"}),
]


@pytest.mark.parametrize(("name", "kwargs"), POOL_CASES, ids=lambda c: str(c))
@pytest.mark.parametrize("ties", [False, True])
def test_pooling_output_and_gradient_match_tensorflow(keras, tf, float64, rng, name, kwargs, ties):
    first = kwargs.get("data_format") == "channels_first"
    shape = (2, 2, 7, 6) if first else (2, 7, 6, 2)
    x = rng.integers(0, 3, size=shape).astype(float) if ties else rng.normal(size=shape)  # ties: repeated maxima
    _check_weightless(keras, tf, rng, name, kwargs, x, transposed=first)


POOL_3D_CASES = [
    ("MaxPooling3D", {"pool_size": 2}),
    ("MaxPooling3D", {"pool_size": (2, 3, 2), "strides": 1}),  # overlapping windows
    ("MaxPooling3D", {"pool_size": 2, "strides": (1, 2, 2), "padding": "same"}),
    ("MaxPooling3D", {"pool_size": 2, "data_format": "channels_first"}),
    ("AveragePooling3D", {"pool_size": 2}),
    ("AveragePooling3D", {"pool_size": 3, "strides": 2, "padding": "same"}),  # padded taps not counted
    ("AveragePooling3D", {"pool_size": (1, 2, 2), "strides": 1, "data_format": "channels_first"}),
]


@pytest.mark.parametrize("floatx", ["float32"], indirect=True)
@pytest.mark.parametrize(("name", "kwargs"), POOL_3D_CASES, ids=lambda c: str(c))
@pytest.mark.parametrize("ties", [False, True])
def test_3d_pooling_output_and_gradient_match_tensorflow(keras, tf, floatx, rng, name, kwargs, ties):
    """MaxPooling3D and AveragePooling3D, tap by tap over depth, rows and columns: output, input gradient (a tied
    max's gradient to every tied entry, TensorFlow's 3-D rule) and config equal TensorFlow's; in float32, as
    TensorFlow's 3-D pooling takes no float64."""
    first = kwargs.get("data_format") == "channels_first"
    shape = (2, 2, 5, 6, 4) if first else (2, 5, 6, 4, 2)
    x = (rng.integers(0, 3, size=shape) if ties else rng.normal(size=shape)).astype("float32")  # ties: repeated maxima
    _check_weightless(keras, tf, rng, name, kwargs, x, transposed=first)


@pytest.mark.parametrize("kwargs", [{"pool_size": 2}, {"pool_size": 3, "strides": 1}], ids=str)
def test_max_pooling_over_a_batch_larger_than_the_cache_slice_matches_tensorflow(keras, tf, float64, rng, kwargs):
    """The backward pass runs a cache-sized slice of images at a time (patches.cache_sized): nine 64 x 64 x 32
    images of 1 MiB each make nine slices, with relu-like ties at zero in every window and overlapping windows."""
    x = np.maximum(rng.integers(-2, 3, size=(9, 64, 64, 32)), 0).astype(float)
    assert len(nnlite.layers.patches.cache_sized(x)) == 9
    _check_weightless(keras, tf, rng, "MaxPooling2D", kwargs, x, transposed=False)


def test_a_conv2d_bias_gradient_over_many_positions_matches_tensorflow_in_float32(keras, tf, rng):
    """bias.grad = 1^T G as one product over 27,040 positions (patches.row_sums), float32 as Keras computes it,
    and within float32's rounding of the exact (float64) sum (sqrt(27,040) eps is about 1e-5); an empty batch
    gives zeros."""
    x = rng.normal(size=(40, 28, 28, 1)).astype("float32")
    ours = nnlite.layers.Conv2D(8, 3, bias_initializer="random_normal")
    theirs = keras.layers.Conv2D(8, 3)
    ours.build(x.shape)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    seed = (rng.normal(size=(40, 26, 26, 8)) + 0.5).astype("float32")  # not centred: the sum is large
    _, (_, _, expected) = _grads(keras, tf, theirs, x, seed, False)
    with nnlite.GradientTape() as tape:
        out = ours(x)
    (grad_bias,) = tape.gradient(out, [ours.bias], output_gradients=seed)
    assert grad_bias.dtype == np.float32
    assert_close(grad_bias, expected, 1e-5, "grad bias")
    exact = seed.astype(np.float64).sum(axis=(0, 1, 2))
    assert_close(grad_bias, exact, 1e-5, "grad bias against the exact sum")
    out = np.empty(8, np.float32)
    assert np.array_equal(nnlite.layers.patches.row_sums(np.zeros((0, 8), np.float32), out=out), np.zeros(8))


def _convnet(module, seed=0):
    """The keras.io "Simple MNIST convnet", sized for the 8x8 digits (3x3 kernels, one 2x2 pooling)."""
    init = module.initializers.GlorotUniform(seed=seed)
    return module.Sequential([
        module.Input((8, 8, 1)),
        module.layers.Conv2D(8, kernel_size=(3, 3), activation="relu", kernel_initializer=init),
        module.layers.MaxPooling2D(pool_size=(2, 2)),
        module.layers.Conv2D(16, kernel_size=(2, 2), padding="same", activation="relu", kernel_initializer=init),
        module.layers.AveragePooling2D(pool_size=(2, 2), padding="same"),
        module.layers.Flatten(),
        module.layers.Dense(10, activation="softmax", kernel_initializer=init),
    ])


def test_the_mnist_convnet_fits_as_keras_fits_it(keras, float64):
    """Weights, losses and accuracies of a whole fit equal Keras's (the logits path through softmax included)."""
    x, y = nnlite.datasets.load_digits()
    x, y = (x[:96] / 16.0).reshape(-1, 8, 8, 1), y[:96]
    ours, theirs = _convnet(nnlite), _convnet(keras)
    theirs.set_weights(ours.get_weights())
    for model, module in ((ours, nnlite), (theirs, keras)):
        model.compile(optimizer=module.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    h1 = ours.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, validation_split=0.25).history
    h2 = theirs.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, validation_split=0.25).history
    for key in h2:
        assert_close(np.array(h1[key]), np.array(h2[key]), 1e-7, key)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(a, b, 1e-7, "weights")
    assert h1["loss"][-1] < h1["loss"][0]


def test_convolution_arguments_are_checked_as_keras_checks_them():
    with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction with `dilation_rate > 1`"):
        nnlite.layers.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="Expected a strictly positive value"):
        nnlite.layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match="must be a tuple of 2 integers"):
        nnlite.layers.Conv2D(2, (3, 0))
    with pytest.raises(ValueError, match="one of \\['valid', 'same'\\]"):
        nnlite.layers.MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="evenly divisible by the number of groups"):
        nnlite.layers.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        nnlite.layers.Conv2D(2, 5)(np.zeros((1, 3, 3, 1)))


def test_convnet_files_load_both_ways(keras, tmp_path, rng):
    """A Keras .keras file holding Conv2D and pooling layers loads in nnlite (they were refused) and predicts as
    Keras does; nnlite's file loads in Keras."""
    x = rng.random((4, 8, 8, 1)).astype("float32")
    theirs = _convnet(keras)
    theirs.save(tmp_path / "keras.keras")
    ours = nnlite.saving.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-7)
    mine = _convnet(nnlite, seed=3)
    mine.save(tmp_path / "nnlite.keras")
    back = keras.saving.load_model(tmp_path / "nnlite.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), mine.predict(x, verbose=0), rtol=1e-5, atol=1e-7)


SPATIAL_CASES = [
    ("ZeroPadding2D", {"padding": 1}),
    ("ZeroPadding2D", {"padding": ((1, 0), (2, 3)), "data_format": "channels_first"}),
    ("Cropping2D", {"cropping": (2, 1)}),
    ("Cropping2D", {"cropping": ((2, 0), (1, 1)), "data_format": "channels_first"}),
    ("UpSampling2D", {"size": (2, 3)}),
    ("UpSampling2D", {"size": 2, "data_format": "channels_first"}),
    ("GlobalMaxPooling2D", {}),
    ("GlobalMaxPooling2D", {"keepdims": True, "data_format": "channels_first"}),
    ("GlobalAveragePooling2D", {}),
    ("GlobalAveragePooling2D", {"keepdims": True, "data_format": "channels_first"}),
]


@pytest.mark.parametrize(("name", "kwargs"), SPATIAL_CASES, ids=lambda c: str(c))
@pytest.mark.parametrize("ties", [False, True])
def test_image_shape_layers_match_tensorflow(keras, tf, float64, rng, name, kwargs, ties):
    """ZeroPadding2D, Cropping2D, UpSampling2D and the global 2-D poolings: outputs, gradients (a tie in a global
    max shares the gradient, TensorFlow's reduce_max rule) and configs equal Keras's."""
    shape = (2, 3, 5, 4) if kwargs.get("data_format") == "channels_first" else (2, 5, 4, 3)
    x = rng.integers(0, 2, size=shape).astype(float) if ties else rng.normal(size=shape)
    assert getattr(nnlite.layers, name)(**kwargs).compute_output_shape(x.shape) == tuple(
        getattr(keras.layers, name)(**kwargs).compute_output_shape(x.shape))
    _check_weightless(keras, tf, rng, name, kwargs, x, transposed=False)


CONV1D_CASES = [
    {"filters": 4, "kernel_size": 3},
    {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same"},
    {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2, "activation": "relu"},
    {"filters": 2, "kernel_size": (2,), "padding": "causal"},
    {"filters": 3, "kernel_size": 2, "data_format": "channels_first", "activation": "tanh"},
]


@pytest.mark.parametrize("kwargs", CONV1D_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_conv1d_output_and_gradients_match_tensorflow(keras, tf, float64, rng, kwargs):
    first = kwargs.get("data_format") == "channels_first"
    _check_convolution(keras, tf, rng, "Conv1D", kwargs, rng.normal(size=(2, 3, 9) if first else (2, 9, 3)))


SEQUENCE_POOL_CASES = [
    ("MaxPooling1D", {"pool_size": 2}),
    ("MaxPooling1D", {"pool_size": 3, "strides": 1, "padding": "same"}),
    ("AveragePooling1D", {"pool_size": 2}),
    ("AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"}),
    ("GlobalMaxPooling1D", {}),
    ("GlobalMaxPooling1D", {"keepdims": True, "data_format": "channels_first"}),
]


@pytest.mark.parametrize(("name", "kwargs"), SEQUENCE_POOL_CASES, ids=lambda c: str(c))
@pytest.mark.parametrize("ties", [False, True])
def test_sequence_pooling_matches_tensorflow(keras, tf, float64, rng, name, kwargs, ties):
    first = kwargs.get("data_format") == "channels_first"
    shape = (2, 3, 7) if first else (2, 7, 3)
    x = rng.integers(0, 2, size=shape).astype(float) if ties else rng.normal(size=shape)
    # a global pooling is a reduction, which TensorFlow runs in either layout
    _check_weightless(keras, tf, rng, name, kwargs, x, transposed=first and not name.startswith("Global"))


def test_a_text_convnet_fits_as_keras_fits_it(keras, float64, rng):
    """Keras's classic text classifier: Embedding, Conv1D, MaxPooling1D, Conv1D, GlobalMaxPooling1D, Dense."""
    def model(module):
        init = module.initializers.GlorotUniform(seed=2)
        return module.Sequential([
            module.Input((12,), dtype="int32"), module.layers.Embedding(20, 6),
            module.layers.Conv1D(8, 3, activation="relu", kernel_initializer=init),
            module.layers.MaxPooling1D(2), module.layers.Conv1D(8, 2, padding="causal", activation="relu"),
            module.layers.GlobalMaxPooling1D(), module.layers.Dense(1, activation="sigmoid", kernel_initializer=init)])

    x, y = rng.integers(0, 20, size=(48, 12)), rng.integers(0, 2, size=(48, 1)).astype(float)
    ours, theirs = model(nnlite), model(keras)
    theirs.set_weights(ours.get_weights())
    for m, module in ((ours, nnlite), (theirs, keras)):
        m.compile(optimizer=module.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    h1 = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    h2 = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    for key in h2:
        assert_close(np.array(h1[key]), np.array(h2[key]), 1e-7, key)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(a, b, 1e-7, "weights")


@pytest.mark.parametrize(("name", "kwargs"), [
    ("ZeroPadding1D", {"padding": 2}), ("ZeroPadding1D", {"padding": (0, 3), "data_format": "channels_first"}),
    ("Cropping1D", {"cropping": (2, 1)}), ("UpSampling1D", {"size": 3}),
], ids=lambda c: str(c))
def test_sequence_shape_layers_match_tensorflow(keras, tf, float64, rng, name, kwargs):
    x = rng.normal(size=(2, 3, 6) if kwargs.get("data_format") == "channels_first" else (2, 6, 3))
    _check_weightless(keras, tf, rng, name, kwargs, x, transposed=False)


VOLUME_CASES = [
    ("ZeroPadding3D", {"padding": 1}), ("ZeroPadding3D", {"padding": ((1, 0), (0, 2), (2, 1))}),
    ("ZeroPadding3D", {"padding": (1, 0, 2), "data_format": "channels_first"}),
    ("Cropping3D", {"cropping": 1}), ("Cropping3D", {"cropping": ((1, 0), (0, 1), (1, 1))}),
    ("Cropping3D", {"cropping": (0, 1, 1), "data_format": "channels_first"}),
    ("UpSampling3D", {"size": 2}), ("UpSampling3D", {"size": (1, 2, 3)}),
    ("UpSampling3D", {"size": (2, 1, 2), "data_format": "channels_first"}),
    ("GlobalMaxPooling3D", {}), ("GlobalMaxPooling3D", {"keepdims": True, "data_format": "channels_first"}),
    ("GlobalAveragePooling3D", {}), ("GlobalAveragePooling3D", {"keepdims": True}),
    ("GlobalAveragePooling3D", {"data_format": "channels_first"}),
]


@pytest.mark.parametrize(("name", "kwargs"), VOLUME_CASES, ids=lambda c: str(c))
def test_volume_shape_layers_match_tensorflow(keras, tf, float64, rng, name, kwargs):
    """The 3-D padding, cropping, upsampling and global pooling (the 2-D layers' equations over one more axis):
    output, input gradient and config equal TensorFlow's, both data formats; ties in the max share the gradient."""
    x = rng.normal(size=(2, 3, 4, 5, 6) if kwargs.get("data_format") == "channels_first" else (2, 4, 5, 6, 3))
    if name == "GlobalMaxPooling3D":
        x[:, 1, 1, 1] = x[:, 0, 0, 0] = 5.0  # a tie for the max
    _check_weightless(keras, tf, rng, name, kwargs, x, transposed=False)


@pytest.mark.parametrize(("name", "kwargs", "shape", "shared"), [
    ("SpatialDropout1D", {"rate": 0.5, "seed": 1}, (64, 5, 8), (1,)),
    ("SpatialDropout2D", {"rate": 0.5, "seed": 1}, (64, 4, 3, 8), (1, 2)),
    ("SpatialDropout2D", {"rate": 0.5, "seed": 1, "data_format": "channels_first"}, (64, 8, 4, 3), (2, 3)),
    ("SpatialDropout3D", {"rate": 0.5, "seed": 1}, (64, 3, 2, 2, 8), (1, 2, 3)),
    ("SpatialDropout3D", {"rate": 0.5, "seed": 1, "data_format": "channels_first"}, (64, 8, 3, 2, 2), (2, 3, 4)),
])
def test_spatial_dropout_drops_whole_channels(keras, float64, rng, name, kwargs, shape, shared):
    """A channel is kept or dropped whole (the same mask over its steps or pixels), kept ones scaled by 1 / (1 - rate),
    the gradient is the same mask; inference passes x through; the config is Keras's."""
    layer = getattr(nnlite.layers, name)(**kwargs)
    x = rng.normal(size=shape) + 3.0  # no zeros in x: a zero in the output is a dropped entry
    xv = nnlite.Variable(x, name="x")
    with nnlite.GradientTape() as tape:
        a = layer(xv, training=True)
    ratio = np.asarray(a) / x
    assert set(np.unique(ratio.round(12))) <= {0.0, 2.0} and 0.2 < np.mean(ratio == 0) < 0.8
    assert np.allclose(ratio, np.take(ratio, [0], axis=shared[0]))  # every step (or pixel) of a channel alike
    assert np.allclose(tape.gradient(a, xv, output_gradients=np.ones(shape)), ratio)
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    theirs = getattr(keras.layers, name)(**kwargs).get_config()
    ours = layer.get_config()
    assert {k: ours[k] for k in theirs if k != "name"} == {k: v for k, v in theirs.items() if k != "name"}


TRANSPOSE_CASES = [
    {"filters": 3, "kernel_size": 3},
    {"filters": 2, "kernel_size": 2, "strides": 2},
    {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
    {"filters": 2, "kernel_size": (3, 3), "strides": (2, 1), "padding": "same", "output_padding": (1, 0)},
    {"filters": 2, "kernel_size": 1, "strides": 3},  # kernel smaller than stride: rows no window reaches
    {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1, "activation": "relu"},
    {"filters": 3, "kernel_size": 2, "strides": 2, "data_format": "channels_first"},
]


@pytest.mark.parametrize("kwargs", TRANSPOSE_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_conv2d_transpose_matches_tensorflow(keras, tf, float64, rng, kwargs):
    """Conv2DTranspose (the Functional API guide's autoencoder needs it): output shape, output and every gradient
    equal TensorFlow's, with strides, dilation, both paddings, output_padding and both data formats; the config is
    Keras's."""
    first = kwargs.get("data_format") == "channels_first"
    x = rng.normal(size=(2, 3, 4, 5) if first else (2, 4, 5, 3))
    assert nnlite.layers.Conv2DTranspose(**kwargs).compute_output_shape(x.shape) == tuple(
        keras.layers.Conv2DTranspose(**kwargs).compute_output_shape(x.shape))
    _check_convolution(keras, tf, rng, "Conv2DTranspose", kwargs, x)


TRANSPOSE_1D_CASES = [
    {"filters": 3, "kernel_size": 3},
    {"filters": 2, "kernel_size": 2, "strides": 2},
    {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
    {"filters": 2, "kernel_size": 1, "strides": 3},  # kernel shorter than the stride: steps no window reaches
    {"filters": 2, "kernel_size": (4,), "strides": (3,), "activation": "tanh"},
    {"filters": 3, "kernel_size": 2, "strides": 2, "data_format": "channels_first"},
]


@pytest.mark.parametrize("kwargs", TRANSPOSE_1D_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_conv1d_transpose_matches_tensorflow(keras, tf, float64, rng, kwargs):
    """Conv1DTranspose (Conv2DTranspose on a one-row image): output shape, output and every gradient equal
    TensorFlow's, with strides, both paddings, output_padding and both data formats; the config is Keras's."""
    first = kwargs.get("data_format") == "channels_first"
    x = rng.normal(size=(2, 3, 6) if first else (2, 6, 3))
    assert nnlite.layers.Conv1DTranspose(**kwargs).compute_output_shape(x.shape) == tuple(
        keras.layers.Conv1DTranspose(**kwargs).compute_output_shape(x.shape))
    _check_convolution(keras, tf, rng, "Conv1DTranspose", kwargs, x)


DILATED_TRANSPOSE_CASES = [
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "dilation_rate": 2}, (2, 4, 5, 3)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": (2, 3), "dilation_rate": (2, 3), "padding": "same"},
     (2, 4, 5, 3)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "dilation_rate": (1, 2), "output_padding": 0,
                         "data_format": "channels_first"}, (2, 3, 4, 5)),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 3, "dilation_rate": 2}, (2, 6, 3)),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 4, "dilation_rate": 3, "padding": "same"}, (2, 6, 3)),
]


@pytest.mark.parametrize("floatx", ["float32"], indirect=True)
@pytest.mark.parametrize(("name", "kwargs", "shape"), DILATED_TRANSPOSE_CASES, ids=str)
def test_dilated_conv_transpose_matches_tensorflow(keras, tf, floatx, rng, name, kwargs, shape):
    """A dilated transpose (strides of 1, as Keras requires): output shape, output and every gradient equal
    TensorFlow's; in float32, as TensorFlow's CPU kernel for it takes no float64."""
    x = rng.normal(size=shape).astype("float32")
    assert getattr(nnlite.layers, name)(**kwargs).compute_output_shape(shape) == tuple(
        getattr(keras.layers, name)(**kwargs).compute_output_shape(shape))
    _check_convolution(keras, tf, rng, name, kwargs, x)


def test_conv_transpose_refuses_what_keras_refuses(keras):
    """Dilation with a stride, an output_padding not below the stride, an input of the wrong rank."""
    for lib in (nnlite, keras):
        for layer in (lib.layers.Conv1DTranspose, lib.layers.Conv2DTranspose):
            with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction with `dilation_rate > 1`"):
                layer(2, 3, strides=2, dilation_rate=2)
    for make in (lambda lib: lib.layers.Conv1DTranspose(2, 3, strides=2, output_padding=2),
                 lambda lib: lib.layers.Conv2DTranspose(2, 3, strides=(2, 3), output_padding=(1, 3))):
        messages = []
        for lib in (nnlite, keras):
            with pytest.raises(ValueError, match="`output_padding` must be strictly less than `strides`") as caught:
                make(lib)
            messages.append(str(caught.value))
        assert messages[0] == messages[1]
    ours, theirs = (lib.layers.Conv1DTranspose(2, 3, strides=2, output_padding=1) for lib in (nnlite, keras))
    for name in ("kernel_size", "strides", "dilation_rate", "output_padding"):  # the layer's own rank, as Keras's
        assert getattr(ours, name) == getattr(theirs, name), name
    with pytest.raises(ValueError, match="takes inputs of rank 3"):
        nnlite.layers.Conv1DTranspose(2, 3)(np.ones((1, 4, 4, 2)))


def test_a_convolutional_autoencoder_fits_as_keras_fits_it(keras, float64):
    """The Functional API guide's autoencoder, sized for the digits: Conv2D, MaxPooling2D, GlobalMaxPooling2D,
    Reshape, Conv2DTranspose, UpSampling2D."""
    def model(module):
        init = module.initializers.GlorotUniform(seed=4)
        image = module.Input((8, 8, 1))
        h = module.layers.Conv2D(4, 3, activation="relu", kernel_initializer=init)(image)
        h = module.layers.MaxPooling2D(2)(h)
        code = module.layers.GlobalMaxPooling2D()(h)
        h = module.layers.Reshape((2, 2, 1))(code)
        h = module.layers.Conv2DTranspose(4, 2, strides=2, activation="relu", kernel_initializer=init)(h)
        h = module.layers.UpSampling2D(2)(h)
        out = module.layers.Conv2DTranspose(1, 3, padding="same", kernel_initializer=init)(h)
        return module.Model(image, out)

    x, _ = nnlite.datasets.load_digits()
    x = (x[:64] / 16.0).reshape(-1, 8, 8, 1)
    ours, theirs = model(nnlite), model(keras)
    theirs.set_weights(ours.get_weights())
    for m, module in ((ours, nnlite), (theirs, keras)):
        m.compile(optimizer=module.optimizers.Adam(0.01), loss="mse")
    h1 = ours.fit(x, x, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    h2 = theirs.fit(x, x, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    assert_close(np.array(h1["loss"]), np.array(h2["loss"]), 1e-7, "loss")
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(a, b, 1e-7, "weights")


def test_a_transpose_no_convolution_maps_back_is_refused_clearly():
    layer = nnlite.layers.Conv2DTranspose(2, (3, 2), strides=(2, 1), padding="same", output_padding=(1, 0))
    with pytest.raises(ValueError, match=r"is not what a convolution maps back to \(4, 5\)"):
        layer(np.zeros((1, 4, 5, 3)))
    with pytest.raises(ValueError, match="`output_padding` must be strictly less than `strides`"):
        nnlite.layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)


@pytest.mark.parametrize(("name", "kwargs"), [
    ("Conv1D", {"filters": 0, "kernel_size": 1}),
    ("Conv2D", {"filters": 2, "kernel_size": (1, 0)}),
    ("Conv2D", {"filters": 2, "kernel_size": (2, 2), "strides": (1, 0)}),
    ("Conv1D", {"filters": 2, "kernel_size": 2, "strides": 0}),
    ("Conv2D", {"filters": 2, "kernel_size": (2, 2, 2)}),
    ("Conv2D", {"filters": 2, "kernel_size": (2, 2), "strides": 2, "dilation_rate": (2, 1)}),
    ("Conv2D", {"filters": 5, "kernel_size": (2, 2), "groups": 0}),
    ("Conv2D", {"filters": 5, "kernel_size": (2, 2), "groups": 2}),
    ("MaxPooling2D", {"pool_size": (2, 0)}),
], ids=lambda c: str(c))
def test_bad_window_arguments_get_kerass_errors(keras, name, kwargs):
    """Keras's conv_test.py test_bad_init_args cases (and the poolings'): the same error and message."""
    with pytest.raises(ValueError) as theirs:
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(nnlite.layers, name)(**kwargs)
    assert str(ours.value) == str(theirs.value)


GROUPED_CASES = [
    ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 2}, (2, 6, 5, 4)),
    ("Conv2D", {"filters": 6, "kernel_size": 2, "groups": 3, "strides": 2, "padding": "same"}, (2, 6, 5, 6)),
    ("Conv2D", {"filters": 4, "kernel_size": 2, "groups": 2, "data_format": "channels_first"}, (2, 4, 5, 6)),
    ("Conv1D", {"filters": 8, "kernel_size": 3, "groups": 4, "dilation_rate": 2}, (2, 7, 4)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 6, 5, 3)),
    ("DepthwiseConv2D", {"kernel_size": 2, "strides": 2, "padding": "same", "activation": "relu"}, (2, 6, 5, 3)),
    ("DepthwiseConv2D", {"kernel_size": 2, "data_format": "channels_first"}, (2, 3, 5, 6)),
    ("DepthwiseConv1D", {"kernel_size": 3, "dilation_rate": 2, "depth_multiplier": 3}, (2, 7, 4)),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2}, (2, 6, 5, 3)),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same"}, (2, 6, 5, 3)),
    ("SeparableConv1D", {"filters": 5, "kernel_size": 3, "dilation_rate": 2, "activation": "tanh"}, (2, 7, 4)),
]


@pytest.mark.parametrize(("name", "kwargs", "shape"), GROUPED_CASES, ids=lambda c: str(c))
def test_grouped_depthwise_and_separable_convolutions_match_tensorflow(keras, tf, float64, rng, name, kwargs,
                                                                         shape):
    """Each channel group convolved by its own filters (groups; depthwise: a group per channel; separable: then a
    1 x 1 convolution): outputs, every weight's and the input's gradient, and the config, against Keras."""
    _check_convolution(keras, tf, rng, name, kwargs, rng.normal(size=shape))


def test_a_depthwise_separable_convnet_fits_as_keras_fits_it(keras, float64, rng, tmp_path):
    def model(lib):
        layers = lib.layers
        return lib.Sequential([lib.Input((8, 8, 2)), layers.SeparableConv2D(4, 3, activation="relu"),
                               layers.DepthwiseConv2D(3, depth_multiplier=2), layers.Conv2D(4, 1, groups=2),
                               layers.GlobalAveragePooling2D(), layers.Dense(3, activation="softmax")])
    theirs, ours = model(keras), model(nnlite)
    x, y = rng.normal(size=(24, 8, 8, 2)), rng.integers(0, 3, size=24)
    fit_both(keras, theirs, ours, x, y, ("Adam", 0.01), "sparse_categorical_crossentropy", 8)
    files_load_both_ways(keras, theirs, ours, x, tmp_path)


def test_group_and_depth_arguments_are_checked_as_keras_checks_them(keras):
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="evenly divisible by the number of groups"):
            lib.Sequential([lib.Input((5, 5, 3)), lib.layers.Conv2D(4, 2, groups=2)])
        with pytest.raises(ValueError, match="depth_multiplier"):
            lib.layers.DepthwiseConv2D(2, depth_multiplier=0)


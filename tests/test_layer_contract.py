"""The contract every registered layer keeps, checked the same way for each (Keras's run_layer_test idea):
output shape and dtype, weights in a stable order, backward against finite differences, config and
.keras round trips, and a place in trace and plot_network. A newly registered layer is covered as it is."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite.layers import LAYERS, Context

from .conftest import require
from .helpers import FD_FLOOR, assert_close

STRUCTURES = ("InputLayer", "Sequential", "Functional")  # not layers a batch passes through on its own
# ... nor are the recurrent cells (one step on (inputs, states)): theirs is in test_rnn_cells, inside RNN
CELLS = ("SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells")
# merge layers take a list of batches: their contract is in test_functional
# ... and preprocessing layers map ids forward only: theirs is in test_preprocessing
NAMES = [name for name, cls in LAYERS.classes().items()
         if name not in STRUCTURES + CELLS and (not cls.takes_list or "initial_state" in cls.file_keywords)
         and cls.trainable_input]


SEQUENCES = ("Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D",
             "ZeroPadding1D", "Cropping1D", "UpSampling1D", "SpatialDropout1D", "SimpleRNN", "LSTM", "GRU", "RNN",
             "Masking", "Bidirectional", "TimeDistributed", "DepthwiseConv1D", "SeparableConv1D", "Conv1DTranspose")
IMAGES = ("Conv2D", "Conv2DTranspose", "MaxPooling2D", "AveragePooling2D", "ZeroPadding2D", "Cropping2D",
          "UpSampling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "SpatialDropout2D", "DepthwiseConv2D",
          "SeparableConv2D")


VOLUMES = ("ZeroPadding3D", "Cropping3D", "UpSampling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D",
           "MaxPooling3D", "AveragePooling3D", "SpatialDropout3D")


def _sample(name):
    """The shape of one sample the layer takes: (steps, channels) for a 1-D pooling, (rows, columns, channels) for
    the image layers, (depth, rows, columns, channels) for the volumes, 5 features otherwise."""
    if name in VOLUMES:
        return (4, 5, 3, 2)
    return (5, 3) if name in SEQUENCES else (5, 4, 2) if name in IMAGES else (5,)


def _input(name, rng, shape, dtype="float64"):
    """A batch for the layer: token ids for an Embedding, normals otherwise."""
    if name == "Embedding":
        return rng.integers(0, LAYERS.examples[name]["input_dim"], size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def _layer(name, dtype):
    example = dict(LAYERS.examples[name])
    for key in ("layer", "cell"):  # a wrapper (an RNN): its layer (cell) computes in the dtype, as in Keras
        if isinstance(example.get(key), dict):
            example[key] = {**example[key], "config": {**example[key]["config"], "dtype": dtype}}
    return LAYERS.classes()[name](**example, dtype=dtype)


def _pass(layer, x):
    """A forward pass that draws the same random masks every time (a peeking context)."""
    ctx = Context(training=True, peek=True)
    a, saved = layer.forward(x, ctx)
    return a, saved, ctx


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtype_and_weights(name, dtype, rng):
    layer = _layer(name, dtype)
    x = _input(name, rng, (6, *_sample(name)), dtype)
    a = layer(x)
    assert layer.built
    assert a.shape == (6,) + tuple(layer.compute_output_shape((None, *_sample(name)))[1:])
    assert a.dtype == np.dtype(dtype)
    weights = layer.get_weights()
    assert all(w.dtype == np.dtype(dtype) for w in weights if w.dtype.kind == "f")  # counters may be ints
    assert layer.count_params() == sum(w.size for w in weights)
    names = [w.name for w in layer.weights]
    paths = [w.path for w in layer.weights]  # a wrapper's two layers both have a "kernel": their paths differ
    assert len(set(paths)) == len(paths)
    layer.set_weights([w + 1 for w in weights])
    assert all(np.array_equal(a, b + 1) for a, b in zip(layer.get_weights(), weights))
    assert [w.name for w in layer.trainable_weights] + [w.name for w in layer.non_trainable_weights] == names


@pytest.mark.parametrize("name", NAMES)
def test_backward_matches_finite_differences(name, rng):
    """L = sum(grad_a * a): backward's grad_x and weight gradients against central differences."""
    layer = _layer(name, "float64")
    x = _input(name, rng, (4, *_sample(name)))
    layer(x)
    a, saved, ctx = _pass(layer, x)
    grad_a = rng.normal(size=a.shape)
    grad_x = layer.backward(saved, grad_a, ctx)
    targets = [(w.name, w.value, ctx.grads[id(w)]) for w in layer.trainable_weights]
    if name != "Embedding":  # token ids are not differentiable
        targets.insert(0, ("x", x, grad_x))
    for what, array, analytic in targets:
        numeric = np.empty_like(array)
        for idx in np.ndindex(array.shape):
            keep = array[idx]
            array[idx] = keep + 1e-6
            up = np.sum(grad_a * _pass(layer, x)[0])
            array[idx] = keep - 1e-6
            down = np.sum(grad_a * _pass(layer, x)[0])
            array[idx] = keep
            numeric[idx] = (up - down) / 2e-6
        assert_close(analytic, numeric, 1e-6, f"{name} {what}", floor=FD_FLOOR)


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip_gives_the_same_layer(name, rng):
    layer = _layer(name, "float64")
    x = _input(name, rng, (4, *_sample(name)))
    layer(x)
    clone = type(layer).from_config(layer.get_config())
    clone.build((None, *_sample(name)))
    clone.set_weights(layer.get_weights())
    assert clone.get_config() == layer.get_config()
    assert_close(clone(x), layer(x), 1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_keras_file_round_trip(name, dtype, rng, tmp_path):
    require("h5py")
    model = nnlite.Sequential([nnlite.Input(_sample(name)), _layer(name, dtype)])
    x = _input(name, rng, (4, *_sample(name)), dtype)
    model.save(tmp_path / "m.keras")
    back = nnlite.models.load_model(tmp_path / "m.keras")
    assert type(back.layers[0]) is type(model.layers[0])
    assert back.layers[0].get_config() == model.layers[0].get_config()
    assert_close(back.predict(x, verbose=0), model.predict(x, verbose=0), 1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_trace_and_plot_network_show_the_layer(name, rng):
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    model = nnlite.Sequential([nnlite.Input(_sample(name)), _layer(name, "float64"),
                               nnlite.layers.Dense(2, dtype="float64")])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _input(name, rng, (3, *_sample(name))), rng.normal(size=(3,) + model.output_shape[1:])
    trace = model.trace(x, y)
    rows = trace[0]
    assert_close(rows["x"], x, 0)
    assert rows["a"].shape == model.layers[0](x).shape and rows["grad_a"].shape == rows["a"].shape
    for w in model.layers[0].trainable_weights:
        assert rows[f"{w.name}.grad"].shape == w.shape and rows[f"update {w.name}"].shape == w.shape
    figure = nnlite.utils.plot_network(model)
    assert figure.axes and any(t.get_text().startswith(model.layers[0].name) for t in figure.axes[0].texts)
    matplotlib.pyplot.close(figure)

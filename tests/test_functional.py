"""The functional API (Model(inputs, outputs)) and the merge layers, against Keras 3 run in the test.

The same builder makes the graph in both libraries (the API is the same), the weights are copied
layer by layer, and fit histories, weights and predictions are compared at the contract's tolerance.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import nnlite

from .conftest import RTOL, require
from .helpers import assert_close

MERGES = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"]


def two_in_two_out(lib):
    """Inputs a (4) and b (3); a Dense shared by both branches; Concatenate, Multiply and Dot; a sigmoid
    output and a softmax output (both on Keras's logits path with crossentropy losses)."""
    L = lib.layers
    a, b = lib.Input((4,), name="a"), lib.Input((3,), name="b")
    lift = L.Dense(4, activation="tanh", name="lift")(b)
    shared = L.Dense(5, activation="relu", name="shared")
    ha, hb = shared(a), shared(lift)
    joined = L.Concatenate(name="joined")([ha, hb])
    product = L.Multiply(name="product")([ha, hb])
    similarity = L.Dot(axes=1, normalize=True, name="similarity")([ha, hb])
    body = L.Dense(6, activation="elu", name="body")(L.Concatenate(name="all")([joined, product, similarity]))
    yes = L.Dense(1, activation="sigmoid", name="yes")(body)
    kind = L.Dense(3, activation="softmax", name="kind")(L.Subtract(name="diff")([body, L.Dense(6, name="ref")(a)]))
    return lib.Model([a, b], [yes, kind])


def _data(rng, n=37):
    x = [rng.normal(size=(n, 4)), rng.normal(size=(n, 3))]
    y = [rng.integers(0, 2, size=(n, 1)).astype(float), np.eye(3)[rng.integers(0, 3, size=n)]]
    return x, y


def _copy_weights(keras_model, model):
    for layer in keras_model.layers:
        if layer.weights:
            model.get_layer(layer.name).set_weights(layer.get_weights())


def test_two_inputs_two_outputs_and_a_shared_layer_train_as_in_keras(keras, floatx, rng):
    _train_both(keras, floatx, rng, "sgd")


def test_the_same_graph_with_adam(keras, float64, rng):
    """Adam in float64 only: its update m / sqrt(v) turns the float32 rounding noise of a gradient near
    zero into a step of size lr, and TensorFlow's float32 sums differ from run to run."""
    _train_both(keras, "float64", rng, "adam")


def _train_both(keras, floatx, rng, optimizer):
    theirs, ours = two_in_two_out(keras), two_in_two_out(nnlite)
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]  # Keras's layer order
    _copy_weights(theirs, ours)
    x, y = _data(rng)
    x = [v.astype(floatx) for v in x]
    options = {"loss": {"yes": "binary_crossentropy", "kind": "categorical_crossentropy"},
               "loss_weights": {"yes": 1.0, "kind": 0.5}, "metrics": {"yes": ["accuracy"], "kind": ["accuracy"]}}
    for m in (theirs, ours):
        opt = (keras if m is theirs else nnlite).optimizers.get(optimizer)
        opt.learning_rate = 0.05
        m.compile(optimizer=opt, **options)
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key, values in h_theirs.history.items():
        assert_close(h_ours.history[key], values, RTOL[floatx], key)
    for layer in theirs.layers:
        for w_ours, w_theirs in zip(ours.get_layer(layer.name).get_weights(), layer.get_weights()):
            assert_close(w_ours, w_theirs, RTOL[floatx], f"{layer.name} weights")
    for p_ours, p_theirs in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        assert_close(p_ours, p_theirs, RTOL[floatx], "predictions")
    assert ours.metrics_names == theirs.metrics_names
    assert_close(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), RTOL[floatx], "evaluate")


def test_one_loss_for_every_output_and_an_output_without_loss(keras, float64, rng):
    x, y = _data(rng)
    for loss in ("mse", ["mse", None]):
        theirs, ours = two_in_two_out(keras), two_in_two_out(nnlite)
        _copy_weights(theirs, ours)
        theirs.compile(optimizer="sgd", loss=loss)
        ours.compile(optimizer="sgd", loss=loss)
        h_theirs = theirs.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
        h_ours = ours.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
        assert sorted(h_ours.history) == sorted(h_theirs.history)
        for key, values in h_theirs.history.items():
            assert_close(h_ours.history[key], values, RTOL["float64"], f"{loss} {key}")
        assert_close(ours.get_layer("shared").get_weights()[0], theirs.get_layer("shared").get_weights()[0],
                     RTOL["float64"], f"{loss} shared kernel")


def test_dict_inputs_and_outputs_by_name(keras, float64, rng):
    def build(lib):
        a, b = lib.Input((4,), name="a"), lib.Input((3,), name="b")
        h = lib.layers.concatenate([a, b])
        return lib.Model({"a": a, "b": b}, {"score": lib.layers.Dense(1, name="score")(h),
                                             "code": lib.layers.Dense(2, name="code")(h)})

    theirs, ours = build(keras), build(nnlite)
    _copy_weights(theirs, ours)
    x, _ = _data(rng)
    feed = {"b": x[1], "a": x[0]}
    y = {"score": rng.normal(size=(37, 1)), "code": rng.normal(size=(37, 2))}
    out = ours.predict(feed, verbose=0)
    assert isinstance(out, dict) and set(out) == {"score", "code"}
    for key, value in theirs.predict(feed, verbose=0).items():
        assert_close(out[key], value, RTOL["float64"], key)
    for m in (theirs, ours):
        m.compile(optimizer="sgd", loss={"score": "mse", "code": "mae"})
    assert_close(ours.fit(feed, y, epochs=2, shuffle=False, verbose=0).history["loss"],
                 theirs.fit(feed, y, epochs=2, shuffle=False, verbose=0).history["loss"], RTOL["float64"])


def test_nested_models_as_layers(keras, float64, rng):
    """A Sequential inside a graph, and a graph called inside another graph, as Keras runs them."""
    def build(lib):
        L = lib.layers
        inner_in = lib.Input((4,), name="inner_in")
        inner = lib.Model(inner_in, L.Dense(3, activation="relu", name="inner_dense")(inner_in), name="inner")
        stack = lib.Sequential([lib.Input((3,)), L.Dense(2, name="stack_dense")], name="stack")
        x = lib.Input((4,), name="x")
        h = L.Add(name="twice")([inner(x), inner(x)])  # the inner model shared by two calls
        return lib.Model(x, L.Dense(1, activation="sigmoid", name="out")(stack(h)))

    theirs, ours = build(keras), build(nnlite)
    for name in ("inner", "stack"):
        ours.get_layer(name).set_weights(theirs.get_layer(name).get_weights())
    ours.get_layer("out").set_weights(theirs.get_layer("out").get_weights())
    x = rng.normal(size=(20, 4))
    y = rng.integers(0, 2, size=(20, 1)).astype(float)
    for m in (theirs, ours):
        m.compile(optimizer="adam", loss="binary_crossentropy")
    h_theirs = theirs.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    assert_close(h_ours.history["loss"], h_theirs.history["loss"], RTOL["float64"], "loss")
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "predictions")


def test_keras_files_both_ways(keras, float64, rng, tmp_path):
    require("h5py")
    x, y = _data(rng)
    ours = two_in_two_out(nnlite)
    ours.compile(optimizer="adam", loss=["binary_crossentropy", "categorical_crossentropy"], loss_weights=[1.0, 0.3],
                 metrics=[["accuracy"], []])
    ours.fit(x, y, epochs=1, verbose=0)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    for p_theirs, p_ours in zip(theirs.predict(x, verbose=0), ours.predict(x, verbose=0)):
        assert_close(p_theirs, p_ours, RTOL["float64"], "Keras opening nnlite's graph")
    theirs.save(tmp_path / "theirs.keras")
    back = nnlite.models.load_model(tmp_path / "theirs.keras")
    assert isinstance(back, nnlite.models.Functional) and back.output_names == ["yes", "kind"]
    for p_back, p_theirs in zip(back.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        assert_close(p_back, p_theirs, RTOL["float64"], "nnlite opening Keras's graph")
    assert back.get_layer("shared").inbound_nodes[1].inputs[0].keras_history[0].name == "lift"
    config = json.loads(zipfile.ZipFile(tmp_path / "theirs.keras").read("config.json"))
    assert back.get_config()["output_layers"] == config["config"]["output_layers"]
    # the compile settings came too: a training step from both files agrees
    theirs.fit(x, y, epochs=1, shuffle=False, verbose=0)
    back.fit(x, y, epochs=1, shuffle=False, verbose=0)
    assert_close(back.get_layer("shared").get_weights()[0], theirs.get_layer("shared").get_weights()[0],
                 RTOL["float64"], "a step after loading")


@pytest.mark.parametrize("name", MERGES)
def test_merge_layers_match_tensorflow_at_ties_zeros_and_zero_norms(keras, tf, float64, rng, name):
    """Values and input gradients of every merge layer against Keras's own layer under TensorFlow's tape,
    on inputs with ties (Maximum, Minimum), zeros (Multiply) and a zero-norm row (Dot normalize)."""
    x1 = rng.normal(size=(5, 4))
    x2 = rng.normal(size=(5, 4))
    x2[:, 0] = x1[:, 0]  # ties
    x1[1, 1] = 0.0  # a zero factor
    x1[2], x2[3] = 0.0, 0.0  # zero-norm rows
    inputs = [x1, x2] if name in ("Subtract", "Dot") else [x1, x2, x1 * 0.5]
    kwargs = {"axes": 1, "normalize": True} if name == "Dot" else {}
    ours = getattr(nnlite.layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    tensors = [tf.Variable(v) for v in inputs]
    with tf.GradientTape() as tape:
        out = theirs(tensors)
    grad_a = rng.normal(size=tuple(out.shape))
    expected = tape.gradient(out, tensors, output_gradients=tf.constant(grad_a))
    a, saved = ours.forward(list(inputs), nnlite.layers.Context())
    assert_close(a, out.numpy(), RTOL["float64"], f"{name} forward")
    for i, (g, e) in enumerate(zip(ours.backward(saved, grad_a, nnlite.layers.Context()), expected)):
        assert_close(g, e.numpy(), RTOL["float64"], f"{name} grad_x{i + 1}")


@pytest.mark.parametrize("name", MERGES)
def test_merge_layers_backward_matches_finite_differences(name, rng):
    kwargs = {"axes": 1, "normalize": True} if name == "Dot" else {}
    layer = getattr(nnlite.layers, name)(**kwargs)
    xs = [rng.normal(size=(3, 4)), rng.normal(size=(3, 4))]
    a, saved = layer.forward(xs, nnlite.layers.Context())
    grad_a = rng.normal(size=a.shape)
    grads = layer.backward(saved, grad_a, nnlite.layers.Context())
    for x, g in zip(xs, grads):
        numeric = np.empty_like(x)
        for idx in np.ndindex(x.shape):
            keep = x[idx]
            x[idx] = keep + 1e-6
            up = np.sum(grad_a * layer.forward(xs, nnlite.layers.Context())[0])
            x[idx] = keep - 1e-6
            down = np.sum(grad_a * layer.forward(xs, nnlite.layers.Context())[0])
            x[idx] = keep
            numeric[idx] = (up - down) / 2e-6
        assert_close(g, numeric, 1e-6, name, floor=1e-8)


@pytest.mark.parametrize("name", MERGES)
def test_merge_layer_configs_and_shape_checks_as_keras(keras, name):
    kwargs = {"axes": -1} if name == "Dot" else {}
    ours, theirs = getattr(nnlite.layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    config = ours.get_config()
    assert set(config) == set(theirs.get_config())
    assert type(ours).from_config(config).get_config() == config
    shapes = [(None, 4), (None, 4)]
    assert ours.compute_output_shape(shapes) == tuple(theirs.compute_output_shape(shapes))
    bad = [(None, 4), (None, 5)] if name != "Concatenate" else [(None, 4, 2), (None, 5, 2)]
    with pytest.raises(ValueError):
        theirs.build(bad) if name != "Concatenate" else theirs.build(bad)
    with pytest.raises(ValueError):
        ours.build(bad)


def test_graph_errors_say_what_is_wrong():
    a, b = nnlite.Input((3,), name="a"), nnlite.Input((3,), name="b")
    out = nnlite.layers.Add()([a, b])
    with pytest.raises(ValueError, match=r"Output with path `` is not connected to `inputs`: it needs the Input 'b'"):
        nnlite.Model(a, out)  # Keras's words
    with pytest.raises(ValueError, match="used more than once"):
        c = nnlite.layers.Dense(2, name="same")(a)
        nnlite.Model(a, nnlite.layers.Dense(2, name="same")(c))
    model = nnlite.Model([a, b], out)
    with pytest.raises(ValueError, match=r"expects 2 input\(s\)"):
        model.predict(np.ones((2, 3)), verbose=0)
    with pytest.raises(ValueError, match="missing the inputs"):
        model.predict({"a": np.ones((2, 3))}, verbose=0)
    with pytest.raises(ValueError, match="expects samples of shape"):
        model.predict([np.ones((2, 3)), np.ones((2, 4))], verbose=0)
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(a)
    with pytest.raises(ValueError, match="incompatible with the layer: expected axis -1"):  # Keras's words
        dense = nnlite.layers.Dense(2)
        dense(a)
        dense(nnlite.Input((5,)))
    two = nnlite.Model(a, [nnlite.layers.Dense(1, name="p")(a), nnlite.layers.Dense(1, name="q")(a)])
    with pytest.raises(ValueError, match="Expected keys"):
        two.compile(loss={"p": "mse", "r": "mse"})
    two.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="2 outputs"):
        two.fit(np.ones((2, 3)), np.ones((2, 1)), verbose=0)
    weights = two.get_weights()
    with pytest.raises(ValueError, match=r"y\['q'\] is missing"):
        two.fit(np.ones((2, 3)), {"p": np.ones((2, 1))}, verbose=0)
    assert all(np.array_equal(u, v) for u, v in zip(weights, two.get_weights()))


def test_summary_shows_the_connections(capsys):
    model = two_in_two_out(nnlite)
    model.summary()
    text = capsys.readouterr().out
    assert "Connected to" in text
    assert "shared[0][0], shared[1][0]" in text and "lift[0][0]" in text


def test_trace_of_a_graph_sums_a_shared_layers_gradients(float64, rng):
    """trace on a graph: one entry per layer call, and the shared kernel's gradient is the sum over its
    calls, checked against central differences of the loss."""
    model = two_in_two_out(nnlite)
    model.compile(optimizer="sgd", loss=["binary_crossentropy", "categorical_crossentropy"], loss_weights=[1.0, 0.5])
    x, y = _data(rng, n=5)
    trace = model.trace(x, y)
    names = [t.name for t in trace.layers]
    assert "shared (call 1)" in names and "shared (call 2)" in names
    assert_close(trace["shared (call 1)"]["x"], x[0], 0)
    kernel = model.get_layer("shared").kernel.value
    numeric = np.empty_like(kernel)
    for idx in np.ndindex(kernel.shape):
        keep = kernel[idx]
        kernel[idx] = keep + 1e-6
        up = model.compute_loss(x, y, training=False)
        kernel[idx] = keep - 1e-6
        down = model.compute_loss(x, y, training=False)
        kernel[idx] = keep
        numeric[idx] = (up - down) / 2e-6
    assert_close(trace["shared (call 1)"]["kernel.grad"], numeric, 1e-6, "shared kernel", floor=1e-8)
    assert_close(trace["shared (call 1)"]["update kernel"], -0.01 * numeric, 1e-6, "SGD update", floor=1e-10)


def test_plot_model_draws_the_graph(tmp_path):
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    from nnlite.plotting import layer_diagram

    model = two_in_two_out(nnlite)
    edges = {(t.keras_history[0].name, n.layer.name) for n in model.nodes for t in n.inputs}
    figure = layer_diagram(model, show_layer_names=True)
    ax = figure.axes[0]
    assert len(ax.texts) - len(model.layers) == len(edges)  # one arrow per (source layer, target layer)
    centres = {t.get_text().split(" ")[0]: t.get_position() for t in ax.texts if t.get_text()}
    for source, target in edges:  # every arrow points down the page, from a layer to one it feeds
        assert centres[source][1] > centres[target][1]
    nnlite.utils.plot_model(model, to_file=tmp_path / "graph.png")
    assert (tmp_path / "graph.png").stat().st_size > 0
    matplotlib.pyplot.close("all")


def test_calling_a_graph_gives_tensors_in_the_outputs_layout(rng):
    a = nnlite.Input((3,), name="a")
    x = rng.normal(size=(2, 3))
    p, q = nnlite.layers.Dense(1, name="p")(a), nnlite.layers.Dense(2, name="q")(a)
    as_list = nnlite.Model(a, [p, q])(x)
    as_dict = nnlite.Model(a, {"p": p, "q": q})(x)
    assert [o.numpy().shape for o in as_list] == [(2, 1), (2, 2)]
    assert {k: v.numpy().shape for k, v in as_dict.items()} == {"p": (2, 1), "q": (2, 2)}
    assert_close(as_dict["q"], as_list[1], 0)


def test_metrics_names_follow_keras_through_compile_and_fit(keras, rng):
    """Keras 3.15: [] before compile, ["loss"] after it, then "compile_metrics" (and each output's loss)
    once a pass has run; evaluate's list follows the same order."""
    x = rng.normal(size=(10, 4)).astype("float32")
    y = [rng.integers(0, 2, size=(10, 1)).astype("float32"), rng.normal(size=(10, 3)).astype("float32")]
    for outputs, metrics, target in ((1, ["accuracy"], y[0]), (2, [["accuracy"], ["mae"]], y), (2, None, y)):
        names = []
        for lib in (keras, nnlite):
            a = lib.Input((4,), name="a")
            outs = [lib.layers.Dense(1, activation="sigmoid", name="p")(a), lib.layers.Dense(3, name="q")(a)]
            model = lib.Model(a, outs[0] if outputs == 1 else outs)
            seen = [list(model.metrics_names)]
            model.compile(optimizer="sgd", loss="binary_crossentropy" if outputs == 1 else ["binary_crossentropy",
                                                                                         "mse"], metrics=metrics)
            seen.append(list(model.metrics_names))
            model.fit(x, target, epochs=1, verbose=0)
            seen.append(list(model.metrics_names))
            seen.append(len(np.atleast_1d(model.evaluate(x, target, verbose=0))))
            names.append(seen)
        assert names[1] == names[0], (outputs, metrics)


def test_a_model_from_intermediate_tensors_shares_the_layers_as_in_keras(keras, float64, rng, tmp_path):
    """Model(h, outputs) with h out of a layer: a new Input in h's place (Keras's ``...CLONE`` name), the calls
    after h recorded again on the same layers: equal predictions, the weights shared with the whole model (training
    the tail moves the whole model's predictions as in Keras), files both ways, and an output that needs an Input
    the tail does not have refused."""
    def build(lib):
        x = lib.Input((4,), name="x")
        h = lib.layers.Dense(5, activation="relu", name="d1")(x)
        g, k = lib.layers.Dense(3, name="d2")(h), lib.layers.Dense(3, name="d3")(h)
        out = lib.layers.Dense(2, name="out")(lib.layers.Add()([g, k * 2.0]))
        return lib.Model(x, out), lib.Model(h, out)

    (whole, tail), (kwhole, ktail) = build(nnlite), build(keras)
    whole.set_weights(kwhole.get_weights())
    assert [type(la).__name__ for la in tail.layers] == [type(la).__name__ for la in ktail.layers] == [
        "InputLayer", "Dense", "Dense", "Add", "Dense"]
    assert tail.layers[0].name.endswith("CLONE") and tail.input_shape == (None, 5)
    assert len(tail.weights) == 6 and all(any(w is v for v in whole.weights) for w in tail.weights)
    h, x = rng.normal(size=(6, 5)), rng.normal(size=(6, 4))
    assert_close(tail.predict(h, verbose=0), ktail.predict(h, verbose=0), RTOL["float64"], "the tail")
    for model, lib in ((tail, nnlite), (ktail, keras)):
        model.compile(lib.optimizers.SGD(0.1), "mse")
        model.fit(h, np.ones((6, 2)), epochs=2, batch_size=3, shuffle=False, verbose=0)
    assert_close(whole.predict(x, verbose=0), kwhole.predict(x, verbose=0), RTOL["float64"],
                 "whole after the tail's fit")
    assert_close(whole.predict(x, verbose=0), whole.get_layer("out")(whole.get_layer("add")([
        whole.get_layer("d2")(whole.get_layer("d1")(x)), whole.get_layer("d3")(whole.get_layer("d1")(x)) * 2.0])),
        RTOL["float64"], "the whole model reads the same layers")
    tail.save(tmp_path / "n.keras")
    ktail.save(tmp_path / "k.keras")
    assert_close(keras.models.load_model(tmp_path / "n.keras").predict(h, verbose=0), ktail.predict(h, verbose=0),
                 RTOL["float64"], "nnlite's tail in Keras")
    assert_close(nnlite.models.load_model(tmp_path / "k.keras").predict(h, verbose=0), ktail.predict(h, verbose=0),
                 RTOL["float64"], "Keras's tail in nnlite")
    a, b = nnlite.Input((2,)), nnlite.Input((2,))
    inner = nnlite.layers.Dense(2)(a)
    with pytest.raises(ValueError, match="Output with path `` is not connected to `inputs`"):
        nnlite.Model(inner, nnlite.layers.Add()([inner, b]))

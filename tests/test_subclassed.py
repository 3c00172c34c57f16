"""keras.ops and arithmetic inside graphs, and subclassed models whose call nnlite traces into graphs,
against Keras 3 run in the test."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close, fit_side_by_side


def _subclassed(lib):
    class Wide(lib.Model):
        """A hidden layer beside the raw inputs, joined with ops, as Keras's guide writes subclassed models."""

        def __init__(self):
            super().__init__()
            self.hidden = lib.layers.Dense(6, activation="relu")
            self.dropout = lib.layers.Dropout(0.0)
            self.out = lib.layers.Dense(1, activation="sigmoid")

        def call(self, x, training=False):
            h = self.dropout(self.hidden(x), training=training)
            joined = lib.ops.concatenate([h, lib.ops.square(x) * 0.5 - x], axis=-1)
            return self.out(joined)

    return Wide()


def test_a_subclassed_model_trains_as_in_keras(keras, float64, rng):
    x = rng.normal(size=(30, 4))
    y = (x[:, :1] * x[:, 1:2] > 0).astype(float)
    theirs, ours = _subclassed(keras), _subclassed(nnlite)
    theirs(x[:1])  # built by a first call, as Keras's guides do
    ours(x[:1])
    ours.set_weights(theirs.get_weights())
    fit_side_by_side(theirs, ours, x, y, RTOL["float64"])
    for w_ours, w_theirs in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(w_ours, w_theirs, RTOL["float64"], "weights")
    assert_close(ours(x), theirs(x), RTOL["float64"], "call")
    assert [layer.name for layer in ours.layers][:1] == ["dense"]
    assert ours.get_config() == theirs.get_config()  # Keras's automatic config: trainable and dtype, no name


def test_ops_and_operators_in_a_functional_graph_train_as_in_keras(keras, float64, rng):
    def build(lib):
        ops, L = lib.ops, lib.layers
        a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
        h = L.Dense(5, activation="tanh", name="h")(a)
        g = L.Dense(5, name="g")(b)
        mixed = ops.maximum(h, g) + ops.minimum(h, g) * 0.3 - ops.abs(g) / 2.0
        pooled = ops.mean(ops.reshape(mixed, (-1, 5, 1)), axis=-1)
        scaled = ops.sigmoid(pooled) * ops.exp(ops.clip(g, -1.0, 1.0)) + ops.sqrt(ops.square(h) + 1.0)
        logits = L.Dense(3, name="logits")(ops.concatenate([scaled, ops.relu(-g)], axis=1))
        return lib.Model([a, b], L.Softmax()(logits))

    theirs, ours = build(keras), build(nnlite)
    for name in ("h", "g", "logits"):
        ours.get_layer(name).set_weights(theirs.get_layer(name).get_weights())
    x = [rng.normal(size=(24, 4)), rng.normal(size=(24, 4))]
    y = np.eye(3)[rng.integers(0, 3, size=24)]
    for m in (theirs, ours):
        m.compile(optimizer="sgd", loss="categorical_crossentropy")
    h_theirs = theirs.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    assert_close(h_ours.history["loss"], h_theirs.history["loss"], RTOL["float64"], "loss")
    for name in ("h", "g", "logits"):
        assert_close(ours.get_layer(name).get_weights()[0], theirs.get_layer(name).get_weights()[0],
                     RTOL["float64"], name)


OPS = ["add", "subtract", "multiply", "divide", "negative", "power", "matmul", "concatenate", "mean", "sum", "square",
       "sqrt", "exp", "log", "abs", "tanh", "maximum", "minimum", "clip", "reshape", "expand_dims", "squeeze",
       "transpose", "softmax", "sigmoid", "relu"]  # the ops graphs recorded before the tape, still read from files
UNARY = ["negative", "square", "sqrt", "exp", "log", "abs", "tanh", "sigmoid", "relu", "softmax"]


@pytest.mark.parametrize("op", sorted(OPS))
def test_each_op_differentiates_as_tensorflow(keras, tf, float64, rng, op):
    """Every op's vector-Jacobian product against TensorFlow's tape running keras.ops, on inputs with
    ties (maximum, minimum), values on the clip bounds and zeros (abs, relu)."""
    x1 = rng.normal(size=(3, 4))
    x2 = rng.normal(size=(3, 4))
    x2[0] = x1[0]  # ties
    x1[1, :2] = [-1.0, 1.0]  # on the clip bounds
    x1[2, 0] = 0.0
    positive = np.abs(x1) + 0.5
    cases = {
        "add": ([x1, x2], {}), "subtract": ([x1, x2], {}), "multiply": ([x1, x2], {}),
        "divide": ([x1, positive], {}), "maximum": ([x1, x2], {}), "minimum": ([x1, x2], {}),
        "matmul": ([x1, x2.T], {}), "power": ([positive, 3.0], {}), "concatenate": ([[x1, x2]], {"axis": 1}),
        "mean": ([x1], {"axis": 1}), "sum": ([x1], {"axis": 0}), "clip": ([x1, -1.0, 1.0], {}),
        "reshape": ([x1, (3, 2, 2)], {}), "expand_dims": ([x1, 1], {}), "squeeze": ([x1[:, :1]], {}),
        "transpose": ([x1], {}), "sqrt": ([positive], {}), "log": ([positive], {}),
    }
    args, kwargs = cases.get(op, ([x1], {}))
    flat = [a for a in args if isinstance(a, np.ndarray)] + [v for a in args if isinstance(a, list) for v in a]
    variables = [tf.Variable(v) for v in flat]
    filled, k = [], 0
    for a in args:
        if isinstance(a, np.ndarray):
            filled.append(variables[k])
            k += 1
        else:
            filled.append(a)
    if op == "concatenate":
        filled = [[variables[0], variables[1]]]
    with tf.GradientTape() as tape:
        out = getattr(keras.ops, op)(*filled, **kwargs)
    grad_a = rng.normal(size=tuple(out.shape))
    expected = tape.gradient(out, variables, output_gradients=tf.constant(grad_a))
    layer = nnlite.layers.Operation(op, _template(args), kwargs)
    a, saved = layer.forward(flat, nnlite.layers.Context())
    assert_close(a, keras.ops.convert_to_numpy(out), RTOL["float64"], f"{op} value")
    for g, e in zip(layer.backward(saved, grad_a, nnlite.layers.Context()), expected):
        assert_close(g, e.numpy(), RTOL["float64"], f"{op} gradient")


def _template(args):
    out, k = [], 0
    for a in args:
        if isinstance(a, np.ndarray):
            out.append(f"#{k}")
            k += 1
        elif isinstance(a, list):
            out.append([f"#{k + i}" for i in range(len(a))])
            k += len(a)
        else:
            out.append(list(a) if isinstance(a, tuple) else a)
    return out


def test_a_call_tracing_cannot_follow_runs_as_written():
    """A branch on the values cannot be traced into a graph: the model runs its call as written (the tape
    records whichever branch ran), so it predicts and trains."""
    class Branchy(nnlite.Model):
        def __init__(self):
            super().__init__()
            self.d = nnlite.layers.Dense(1, kernel_initializer="ones")

        def call(self, x):
            if nnlite.ops.mean(x) > 0:  # a branch on the values
                return self.d(x)
            return self.d(-x)

    model = Branchy()
    assert model.predict(np.ones((2, 3)), verbose=0).tolist() == [[3.0], [3.0]]
    assert model.predict(-np.ones((2, 3)), verbose=0).tolist() == [[3.0], [3.0]]
    assert model.built_eager
    model.compile(optimizer="sgd", loss="mse")
    errors = nnlite.utils.check_gradients(model, -np.ones((4, 3)), np.zeros((4, 1)))
    assert max(errors.values()) < 1e-6
    with pytest.raises(NotImplementedError, match="does not have a `call\\(\\)` method"):
        nnlite.Model()(np.ones((2, 3)))  # Model() alone is an empty model, as in Keras


def test_dict_inputs_tuple_outputs_and_graphs_grown_from_a_layers_output(keras, float64, rng):
    """A subclassed model reading a dict of inputs and returning a tuple; a new functional model grown from
    an inner layer's ``output``; a custom metric built with add_weight: all as Keras runs them."""
    def build(lib):
        class Ticket(lib.Model):
            def __init__(self):
                super().__init__()
                self.mix = lib.layers.Dense(5, activation="relu")
                self.score = lib.layers.Dense(1, activation="sigmoid")
                self.kind = lib.layers.Dense(3, activation="softmax")

            def call(self, inputs):
                h = self.mix(lib.layers.concatenate([inputs["a"], inputs["b"]]))
                return self.score(h), self.kind(h)

        return Ticket()

    data = {"a": rng.normal(size=(16, 3)), "b": rng.normal(size=(16, 2))}
    y = [rng.random(size=(16, 1)), np.eye(3)[rng.integers(0, 3, size=16)]]
    theirs, ours = build(keras), build(nnlite)
    theirs(data)
    ours(data)
    ours.set_weights(theirs.get_weights())
    for m in (theirs, ours):
        m.compile(optimizer="adam", loss=["mse", "categorical_crossentropy"])
    h_theirs = theirs.fit(data, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    h_ours = ours.fit(data, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert_close(h_ours.history["loss"], h_theirs.history["loss"], RTOL["float64"], "loss")

    a = nnlite.Input((3,), name="a")
    hidden = nnlite.layers.Dense(4, name="hidden")
    first = nnlite.Model(a, nnlite.layers.Dense(1, name="p")(hidden(a)))
    assert first.get_layer("hidden").input is a and first.get_layer("hidden").output.shape == (None, 4)
    grown = nnlite.Model(a, [first.output if hasattr(first, "output") else first.get_layer("p").output,
                             nnlite.layers.Dense(2, name="q")(hidden.output)])
    assert [t.shape for t in grown.outputs] == [(None, 1), (None, 2)]
    hidden(nnlite.Input((3,)))
    assert hidden.output is hidden.inbound_nodes[0].outputs[0]  # Keras's layer.output: the first call's

    class Total(nnlite.metrics.Metric):
        def __init__(self, name="total", **kwargs):
            super().__init__(name=name, **kwargs)
            self.sum = self.add_weight(name="sum", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.sum.assign_add(nnlite.ops.sum(nnlite.ops.array(y_pred)))

        def result(self):
            return self.sum.value

    metric = Total()
    metric.update_state(None, [[1.0], [2.5]])
    assert float(metric.result()) == 3.5


def test_a_custom_layer_made_of_layers_trains_as_in_keras(keras, float64, rng):
    """A keras.layers.Layer subclass whose call combines other layers (a dict of inputs in, a sigmoid out):
    nnlite traces its call as it does a subclassed model's, and trains it as Keras does."""
    def build(lib):
        class Head(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.hidden = lib.layers.Dense(5, activation="relu")
                self.dropout = lib.layers.Dropout(0.0)
                self.out = lib.layers.Dense(1, activation="sigmoid")

            def call(self, inputs):
                return self.out(self.dropout(self.hidden(lib.layers.concatenate(list(inputs.values())))))

            def build(self, input_shape):
                self.built = True

        inputs = {"b": lib.Input((2,), name="b"), "a": lib.Input((3,), name="a")}
        return lib.Model(inputs, Head()(inputs))

    theirs, ours = build(keras), build(nnlite)
    ours.set_weights(theirs.get_weights())
    data = {"a": rng.normal(size=(24, 3)), "b": rng.normal(size=(24, 2))}
    y = rng.integers(0, 2, size=(24, 1)).astype(float)
    fit_side_by_side(theirs, ours, data, y, RTOL["float64"])
    assert len(ours.trainable_weights) == 4

    class Linear(nnlite.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight((input_shape[-1], 2))
            self.built = True

        def call(self, x):
            return nnlite.ops.matmul(x, self.w)

    assert Linear()(nnlite.Input((3,))).shape == (None, 2)  # its own weights through ops: run on the tape

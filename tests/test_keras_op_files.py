"""Graphs with keras.ops in them: op nodes are written and read as Keras writes them (keras.src.ops.numpy.Sum with
its settings as config), ``model.layers`` leaves the ops out as Keras's does, and ops with several results (split,
top_k) give a tensor each, with their gradients. Every comparison is against Keras running here."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import zipfile

import numpy as np
import pytest

import nnlite
from nnlite import autodiff
from nnlite.models import keras_ops

from .conftest import RTOL
from .helpers import assert_close, fit_both

# ops the table leaves out: they take no tensor (a graph node needs one), or return nested structures
NOT_IN_GRAPHS = {"arange", "linspace", "logspace", "full", "ctc_decode"}


def _keras_class(keras, where):
    return getattr(importlib.import_module(f"keras.src.ops.{where.module}"), where.class_name)


def _parameters(function):
    return {k: p for k, p in inspect.signature(function).parameters.items() if k not in ("self", "name")}


def test_every_op_of_the_table_is_where_keras_keeps_it_with_its_call_and_settings(keras):
    """For each op of the table, Keras's class exists where the table says, its ``call`` takes the parameters the
    table names (nnlite writes those as the node's arguments), and every other parameter of nnlite's op is a
    setting Keras's constructor takes (or one nnlite leaves unsaid at None); a setting Keras requires is one
    nnlite's op has. And no Keras op class that has an nnlite op of the same name is missing from the table."""
    from keras.src.ops.operation import Operation

    for op, where in keras_ops.KERAS_OPS.items():
        cls = _keras_class(keras, where)
        assert issubclass(cls, Operation), op
        call = [k for k, p in _parameters(cls.call).items() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        assert tuple(call) == where.call, (op, call)
        ours = _parameters(autodiff.OPS[op])
        settings = {k for k, p in ours.items() if k not in where.call and p.kind is not inspect.Parameter.VAR_KEYWORD}
        theirs = _parameters(cls.__init__)
        for setting in settings - set(theirs):
            assert ours[setting].default is None, (op, setting)  # written only when given, and then refused by Keras
        required = {k for k, p in theirs.items() if p.default is inspect.Parameter.empty
                    and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)}
        assert required <= settings, (op, required - settings)
    missing = []
    for module in ("numpy", "nn", "math", "core", "linalg"):
        mod = importlib.import_module(f"keras.src.ops.{module}")
        for name, cls in vars(mod).items():
            if inspect.isclass(cls) and issubclass(cls, Operation) and cls.__module__ == mod.__name__:
                op = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
                if op in autodiff.OPS and op not in keras_ops.KERAS_OPS and op not in NOT_IN_GRAPHS:
                    missing.append(f"{module}.{name}")
    assert not missing


def _broad(lib):
    """A graph that applies ops with settings, several results, index keys and array constants."""
    o = lib.ops
    a, b = lib.Input((4, 3), name="a"), lib.Input((4, 3), name="b")
    h = lib.layers.Dense(3, name="d1")(a)
    parts = [
        o.sum(h, axis=-1, keepdims=True), o.mean(h, axis=1), o.max(h, axis=1), o.min(b, axis=1),
        o.concatenate([h, b], axis=-1), o.reshape(h, (-1, 12)), o.squeeze(o.expand_dims(h, 1), axis=1),
        o.transpose(h, (0, 2, 1)), h[:, -1], h[:, 1:3, ::2], h[..., 0], h[:, None],
        o.softmax(h, axis=1), o.relu(h), o.sigmoid(h), o.tanh(h), o.gelu(h), o.silu(h), o.elu(h),
        o.leaky_relu(h, negative_slope=0.3), o.clip(h, -0.5, 0.5), o.stack([h, b], axis=1),
        o.where(h > 0, h, 0.1 * b), o.einsum("bij,bkj->bik", h, b), o.split(h, 2, axis=1)[1],
        o.top_k(o.reshape(h, (-1, 12)), 3)[0], h * np.array([1.0, 2.0, 3.0]), o.logsumexp(h, axis=-1),
        o.cumsum(h, axis=1), o.tile(h, (1, 2, 1)), o.repeat(h, 2, axis=1), o.pad(h, ((0, 0), (1, 1), (0, 0))),
        o.flip(h, axis=1), o.moveaxis(h, 1, 2), o.swapaxes(h, 1, 2), o.abs(h), o.square(h), o.exp(-h),
        o.cast(h, "float64"), o.log_softmax(h, axis=-1), o.matmul(h, o.transpose(b, (0, 2, 1))),
        o.maximum(h, b), o.power(o.abs(h) + 1.0, 1.5), h - b / 2.0,
        # written by nnlite as the ops they are made of, by Keras as one entry each
        o.std(h, axis=1), o.var(h, axis=-1, keepdims=True), o.norm(h, axis=-1), o.normalize(h, axis=-1),
        o.logaddexp(h, b), o.glu(o.concatenate([h, b], axis=-1)), o.average(h, axis=1),
    ]
    flat = o.concatenate([lib.layers.Flatten()(p) for p in parts], axis=-1)
    return lib.Model([a, b], lib.layers.Dense(1, name="out")(flat))


def _classes(path):
    return [e["class_name"] for e in json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["layers"]]


def test_graphs_with_ops_go_both_ways_as_keras_files_and_train_alike(keras, float64, rng, tmp_path):
    """The same graph of ~50 ops built in both: equal predictions; nnlite's file holds no nnlite-only entry and
    opens in Keras, Keras's (with its single Std, Norm, Normalize, ... entries) opens in nnlite; the model nnlite
    read trains as Keras's (gradients through every op), and written again it opens in Keras."""
    nnlite.utils.clear_session()  # the layers' automatic names count from zero in both, whatever ran before
    keras.utils.clear_session()
    ours, theirs = _broad(nnlite), _broad(keras)
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    ours.set_weights(theirs.get_weights())
    x = [rng.normal(size=(5, 4, 3)), rng.normal(size=(5, 4, 3))]
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "built alike")
    ours.save(tmp_path / "n.keras")
    theirs.save(tmp_path / "k.keras")
    assert "Operation" not in _classes(tmp_path / "n.keras")
    in_keras = keras.models.load_model(tmp_path / "n.keras")
    assert_close(in_keras.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"],
                 "nnlite's file in Keras")
    read = nnlite.models.load_model(tmp_path / "k.keras")
    assert {"Std", "Var", "Norm", "Normalize", "Glu", "Average", "GetItem", "TopK", "Split"} <= set(
        _classes(tmp_path / "k.keras"))
    assert_close(read.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "Keras's file in nnlite")
    read.save(tmp_path / "again.keras")
    assert "Operation" not in _classes(tmp_path / "again.keras")
    back = keras.models.load_model(tmp_path / "again.keras")
    assert_close(back.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "read, written, in Keras")
    y = rng.normal(size=(5, 1))
    fit_both(keras, keras.models.load_model(tmp_path / "k.keras"), read, x, y, ("SGD", 0.05), "mse", batch_size=5)


def test_an_index_array_keeps_nnlite_entry_and_round_trips(rng, tmp_path):
    """h[:, [0, 2]] has no Keras file form that Keras can load (its GetItem fails on an index array): nnlite writes
    its own Operation entry for it, and reads it back with the same predictions."""
    a = nnlite.Input((4, 3))
    model = nnlite.Model(a, nnlite.layers.Flatten()(a[:, [0, 2]] * 2.0))
    model.save(tmp_path / "fancy.keras")
    classes = _classes(tmp_path / "fancy.keras")
    assert "Operation" in classes and "Multiply" in classes
    x = rng.normal(size=(2, 4, 3))
    assert_close(nnlite.models.load_model(tmp_path / "fancy.keras").predict(x, verbose=0),
                 model.predict(x, verbose=0), 0.0, "index array")


def test_model_layers_leave_the_ops_out_as_keras_does(keras):
    """``layers`` holds the layers alone (get_layer finds no op), ``operations`` every op in Keras's order, and the
    summary names an op by Keras's class."""
    def build(lib):
        a = lib.Input((4, 3))
        p, q = lib.ops.split(a, 2, axis=1)
        v, _ = lib.ops.top_k(lib.layers.Flatten()(q), 2)
        h = lib.layers.Flatten()(lib.ops.sum(p * 2.0, axis=-1))
        return lib.Model(a, lib.layers.Dense(1)(lib.ops.concatenate([h, v], axis=-1)))

    ours, theirs = build(nnlite), build(keras)
    assert [type(la).__name__ for la in ours.layers] == [type(la).__name__ for la in theirs.layers] == [
        "InputLayer", "Flatten", "Flatten", "Dense"]
    assert [keras_ops.class_name(op) for op in ours.operations] == [type(op).__name__ for op in theirs.operations]
    for model in (ours, theirs):
        top_k = next(op for op in model.operations if op.name.startswith("top_k"))
        with pytest.raises(ValueError, match=f"No such layer: {top_k.name}"):
            model.get_layer(top_k.name)
    text = []
    ours.summary(print_fn=text.append)
    assert "split (Split)" in "\n".join(text) and "top_k (TopK)" in "\n".join(text)
    assert len(ours.weights) == len(theirs.weights) == 2


def test_ops_with_several_results_give_a_tensor_each_with_gradients_as_tensorflow(keras, float64, rng):
    """split and top_k on symbolic tensors return one tensor per result with Keras's shapes (before, nnlite
    returned one tensor of a stacked shape); eagerly top_k's values carry the gradient TensorFlow gives."""
    import tensorflow as tf

    a = nnlite.Input((4, 3))
    parts = nnlite.ops.split(a, [1, 3], axis=1)
    values, indices = nnlite.ops.top_k(nnlite.layers.Flatten()(a), 5)
    k = keras.Input((4, 3))
    kparts = keras.ops.split(k, [1, 3], axis=1)
    kvalues, kindices = keras.ops.top_k(keras.layers.Flatten()(k), 5)
    assert [p.shape for p in parts] == [tuple(p.shape) for p in kparts] == [(None, 1, 3), (None, 2, 3), (None, 1, 3)]
    assert (values.shape, indices.shape) == (tuple(kvalues.shape), tuple(kindices.shape)) == ((None, 5), (None, 5))
    x = np.array([[3.0, 1.0, 2.0, 5.0, 2.0, -1.0]])  # a tie at 2.0
    weights = np.array([1.0, 10.0, 100.0])
    w = nnlite.Variable(x)
    with nnlite.GradientTape() as tape:
        loss = nnlite.ops.sum(nnlite.ops.top_k(w, 3)[0] * weights)
    tw = tf.Variable(x)
    with tf.GradientTape() as ttape:
        tloss = tf.reduce_sum(tf.math.top_k(tw, 3).values * weights)
    assert_close(tape.gradient(loss, w), ttape.gradient(tloss, tw).numpy(), 0.0, "top_k's gradient")


def _entry(cls, config, args, kwargs=None, module="keras.src.ops.numpy"):
    return {"module": module, "class_name": cls, "config": {"name": "op", **config}, "registered_name": cls,
            "name": "op", "inbound_nodes": [{"args": args, "kwargs": kwargs or {}}]}


def test_keras_op_entries_nnlite_cannot_read_are_refused_by_name():
    """An op nnlite does not have, a setting its op does not take, a call with too many arguments: each a
    ValueError that names the op and what was wrong."""
    tensor = {"class_name": "__keras_tensor__", "config": {"shape": [None, 3], "dtype": "float32",
                                                           "keras_history": ["a", 0, 0]}}
    with pytest.raises(ValueError, match=r"keras.src.ops.numpy.Kaiser .*does not have"):
        keras_ops.from_keras_entry(_entry("Kaiser", {"beta": 1.0}, [tensor]))
    with pytest.raises(ValueError, match=r"setting scale=2.0, which nnlite's ops.sum does not take"):
        keras_ops.from_keras_entry(_entry("Sum", {"axis": 1, "scale": 2.0}, [tensor]))
    with pytest.raises(ValueError, match="takes at most 1 arguments, got 2"):
        keras_ops.from_keras_entry(_entry("Sum", {"axis": 1}, [tensor, tensor]))
    with pytest.raises(ValueError, match="an index nnlite cannot read"):
        keras_ops.from_keras_entry(_entry("GetItem", {}, [tensor, [{"class_name": "__lambda__", "config": {}}]]))
    read = keras_ops.from_keras_entry(_entry("Sum", {"axis": 1, "keepdims": True}, [tensor]))
    assert read["config"] == {"name": "op", "op": "sum", "arguments": ["#0", 1, True], "keywords": {}}
    assert keras_ops.from_keras_entry({"module": "keras.layers", "class_name": "Dense"})["class_name"] == "Dense"

"""What a file can make nnlite allocate or visit is bounded by what it holds (``nnlite.limits``).

Memory is measured as the peak resident size of a child process that only loads the file, over its peak
after importing nnlite; time as the ratio of CPU time between two sizes of the same graph.
"""

from __future__ import annotations

import gc
import io
import json
import subprocess
import sys
import time
import warnings
import zipfile

import numpy as np
import pytest

import nnlite
from nnlite import layers, limits
from nnlite.layers import op_shapes
from nnlite.models.functional import Functional
from nnlite.saving import LoadError

from .conftest import require

MB = 2**20
CHILD = """
import resource, sys
import h5py, nnlite
def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before = peak()
try:
    model = nnlite.models.load_model(sys.argv[1])
    outcome = "loaded " + repr(model.output_shape)
except nnlite.saving.LoadError as err:
    outcome = "LoadError " + str(err)
print(peak() - before)
print(outcome)
"""


def _load_in_child(path) -> tuple[int, str]:
    """(peak bytes the load added, what happened) for loading ``path`` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    grown, outcome = done.stdout.strip().split("\n", 1)
    return int(grown), outcome


def _parts(model, folder) -> dict[str, bytes]:
    """The members of ``model`` saved as a .keras file."""
    model.save(folder / "saved.keras")
    with zipfile.ZipFile(folder / "saved.keras") as z:
        return {n: z.read(n) for n in z.namelist()}


def _write(path, parts: dict[str, bytes], compression: dict[str, int] | None = None):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data, compress_type=(compression or {}).get(name, zipfile.ZIP_STORED))
    return path


def _small_functional():
    x = nnlite.Input((2,), name="x")
    return nnlite.Model(x, layers.Dense(3, name="dense")(x))


@pytest.mark.parametrize("build_config", [None, {"input_shape": [None, 2]}])
def test_a_declared_huge_layer_is_refused_before_its_weights_exist(tmp_path, build_config):
    """Input(8000) -> Dense(8000) in a tiny file whose weights are a 2 x 3 kernel: it asked for 64 million numbers
    (~690 MB before); with or without a build_config the layer is refused as it creates its kernel."""
    require("h5py")
    parts = _parts(_small_functional(), tmp_path)
    spec = json.loads(parts["config.json"])
    spec["config"]["layers"][0]["config"]["batch_shape"] = [None, 8000]
    dense = spec["config"]["layers"][1]
    dense["config"]["units"] = 8000
    dense.pop("build_config", None)
    if build_config:
        dense["build_config"] = build_config
    parts["config.json"] = json.dumps(spec).encode()
    path = _write(tmp_path / "bomb.keras", parts)
    assert path.stat().st_size < 20_000
    grown, outcome = _load_in_child(path)
    assert outcome.startswith("LoadError") and "refused before allocating" in outcome, outcome
    assert "(8000, 8000)" in outcome
    assert grown < 40 * MB, grown


def test_an_operation_on_a_declared_huge_input_gets_its_shape_without_running(tmp_path):
    """Input((8000, 8000)) -> x + 1 in a 1 kB file: the add's shape comes from its rule (447 MB before)."""
    require("h5py")
    x = nnlite.Input((2, 2), name="x")
    parts = _parts(nnlite.Model(x, x + 1.0), tmp_path)
    spec = json.loads(parts["config.json"])
    spec["config"]["layers"][0]["config"]["batch_shape"] = [None, 8000, 8000]
    parts["config.json"] = json.dumps(spec).encode()
    grown, outcome = _load_in_child(_write(tmp_path / "op.keras", parts))
    assert outcome == "loaded (None, 8000, 8000)", outcome
    assert grown < 40 * MB, grown


def test_unused_assets_are_never_read(tmp_path):
    """Three 24 MB vocabulary assets no lookup layer uses: the load reads none of them."""
    require("h5py")
    parts = _parts(_small_functional(), tmp_path)
    for i in range(3):
        parts[f"assets/unused_{i}/vocabulary.txt"] = b"token\n" * (4 * MB)
    grown, outcome = _load_in_child(_write(tmp_path / "assets.keras", parts))
    assert outcome.startswith("loaded"), outcome
    assert grown < 20 * MB, grown


def test_a_weights_member_that_inflates_is_refused_before_it_is_read(tmp_path):
    """model.weights.h5 padded with 96 MB of zeros packs into ~100 kB: refused from the zip's sizes."""
    require("h5py")
    parts = _parts(_small_functional(), tmp_path)
    parts["model.weights.h5"] += bytes(96 * MB)
    path = _write(tmp_path / "inflate.keras", parts, {"model.weights.h5": zipfile.ZIP_DEFLATED})
    assert path.stat().st_size < 1 * MB
    grown, outcome = _load_in_child(path)
    assert outcome.startswith("LoadError") and "model.weights.h5 declares" in outcome, outcome
    assert grown < 20 * MB, grown


def test_a_compressed_dataset_cannot_pay_for_a_huge_layer(tmp_path):
    """The h5 holds the 8000 x 8000 kernel the config asks for, but as a gzip of zeros (a few hundred kB): what
    its datasets declare exceeds what they store by over the limit, so nothing is built or read."""
    h5py = require("h5py")
    x = nnlite.Input((8000,), name="x")
    parts = _parts(nnlite.Model(x, layers.Dense(1, name="dense")(x)), tmp_path)
    spec = json.loads(parts["config.json"])
    spec["config"]["layers"][1]["config"]["units"] = 8000
    parts["config.json"] = json.dumps(spec).encode()
    raw = io.BytesIO()
    with h5py.File(raw, "w") as f:
        f.create_dataset("layers/dense/vars/0", shape=(8000, 8000), dtype="f4", chunks=(1000, 1000),
                         compression="gzip", fillvalue=0.0)
        f["layers/dense/vars/1"] = np.zeros(8000, "f4")
    parts["model.weights.h5"] = raw.getvalue()
    path = _write(tmp_path / "gzip.keras", parts)
    grown, outcome = _load_in_child(path)
    assert outcome.startswith("LoadError") and "datasets" in outcome and "declares" in outcome, outcome
    assert grown < 40 * MB, grown


def _chain(n: int, outputs_first: bool) -> dict:
    """A functional config: Input -> n Activation layers in a chain, listed in order or outputs first."""
    def tensor(name):
        return {"class_name": "__keras_tensor__", "config": {"shape": [None, 2], "dtype": "float32",
                                                             "keras_history": [name, 0, 0]}}
    entries = [{"class_name": "Activation", "config": {"activation": "relu", "name": f"a{i}"}, "name": f"a{i}",
                "inbound_nodes": [{"args": [tensor(f"a{i - 1}" if i else "x")], "kwargs": {}}]} for i in range(n)]
    inputs = [{"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "x"}, "name": "x",
               "inbound_nodes": []}]
    return {"name": "chain", "layers": inputs + (entries[::-1] if outputs_first else entries),
            "input_layers": [["x", 0, 0]], "output_layers": [[f"a{n - 1}", 0, 0]]}


def _wide(n: int) -> dict:
    """A functional config: n Activation layers all reading one Input, each an output."""
    entries = [{"class_name": "Activation", "config": {"activation": "relu", "name": f"a{i}"}, "name": f"a{i}",
                "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                    "shape": [None, 2], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}
               for i in range(n)]
    return {"name": "wide", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "x"},
                                        "name": "x", "inbound_nodes": []}] + entries,
            "input_layers": [["x", 0, 0]], "output_layers": [[f"a{i}", 0, 0] for i in range(n)]}


def _cpu(config: dict) -> float:
    """The CPU time of loading the graph, best of two, the garbage collector held off (a full suite's large heap
    made a collection land inside one measurement and not the other)."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(2):
            start = time.process_time()
            Functional.from_config(json.loads(json.dumps(config)))
            best = min(best, time.process_time() - start)
    finally:
        gc.enable()
    return best


def test_graph_loading_is_linear_in_the_graph():
    """A 1,500-deep chain listed outputs first costs about what the same chain in order costs (20x before), and a
    deep chain loads at all (a recursive walk stopped at Python's recursion limit); four times as wide a graph
    costs about four times as much (10.7x before)."""
    in_order, outputs_first = _cpu(_chain(1500, False)), _cpu(_chain(1500, True))
    assert outputs_first < 3 * in_order, (outputs_first, in_order)
    model = Functional.from_config(_chain(3000, True))
    assert len(model.layers) == 3001
    np.testing.assert_array_equal(model.predict(np.array([[-1.0, 2.0]]), verbose=0), [[0.0, 2.0]])
    narrow, wide = _cpu(_wide(1500)), _cpu(_wide(6000))
    assert wide < 8 * narrow, (wide, narrow)


def test_a_weight_budget_applies_only_while_a_file_loads():
    """The same huge layer made in code is not limited (the budget is the file's, not the program's)."""
    with limits.weight_budget(10):
        with pytest.raises(LoadError, match="refused before allocating"):
            layers.Dense(4).build((None, 3))
    layers.Dense(4).build((None, 3))  # no budget outside


# -- the shape rules agree with the ops ----------------------------------------------------------------
SHAPE_CASES = [((None, 3, 4),), ((None, 4), (4,)), ((None, 1, 4), (None, 3, 1)), ((None, 2, 3), ())]


@pytest.mark.parametrize("op", sorted(op_shapes.SAME_SHAPE | op_shapes.BROADCAST | op_shapes.REDUCE))
def test_each_shape_rule_gives_the_shape_the_op_computes(op):
    """For every op with a rule: its rule's shape equals that of running the op on real data of those shapes,
    through nnlite.ops on symbolic tensors (a broadcast of a size 1 and a scalar included)."""
    from nnlite import autodiff, ops

    rng = np.random.default_rng(0)
    arity = 3 if op in ("where", "clip") else 2 if op in op_shapes.BROADCAST else 1
    checked = 0
    for shapes in SHAPE_CASES:
        shapes = (shapes * 3)[:arity] if len(shapes) < arity else shapes[:arity]
        if len(shapes) != arity:
            continue
        tensors = [nnlite.Input(s[1:], batch_size=None) if s and s[0] is None else nnlite.ops.convert_to_tensor(
            np.float64(0.5)) for s in shapes]
        values = [rng.uniform(0.1, 0.9, (5, *s[1:]) if s and s[0] is None else s) for s in shapes]
        extra = {"axis": 1} if op in op_shapes.REDUCE else {}
        if op == "cast":
            extra = {"dtype": "float32"}
        extra = {"full_like": {"fill_value": 2.0}, "roll": {"shift": 1, "axis": 1},
                 "leaky_relu": {"negative_slope": 0.1}}.get(op, extra)
        symbolic = getattr(ops, op)(*tensors, **extra)
        with np.errstate(all="ignore"), warnings.catch_warnings():  # arccosh of 0.5 is NaN: only shapes matter
            warnings.simplefilter("ignore", RuntimeWarning)
            real = np.shape(autodiff.OPS[op](*values, **extra))
        assert symbolic.shape[1:] == real[1:] and symbolic.shape[0] in (None, real[0]), (shapes, symbolic.shape, real)
        checked += 1
    assert checked


def test_broadcast_with_unknown_sizes_follows_keras():
    assert op_shapes.broadcast((None, 1, 4), (3, 1)) == (None, 3, 4)
    assert op_shapes.broadcast((None, 4), (1,)) == (None, 4)
    assert op_shapes.broadcast((None,), (5,)) == (5,)
    with pytest.raises(ValueError, match="Cannot broadcast"):
        op_shapes.broadcast((None, 3), (4,))


def test_a_reduction_over_the_batch_and_an_operation_without_tensors():
    from nnlite import ops
    from nnlite.layers.operation import Operation

    x = nnlite.Input((8000, 8000))
    assert ops.max(x, axis=0).shape == (8000, 8000)
    assert ops.sum(x, axis=(1, 2), keepdims=True).shape == (None, 1, 1)
    with pytest.raises(ValueError, match="axis=3 is out of range"):
        ops.mean(x, axis=3)
    with pytest.raises(ValueError, match="must take at least one tensor"):
        Operation("zeros", [[100000, 100000]])


def test_a_custom_layer_in_a_file_is_not_run_on_a_huge_declared_input(tmp_path):
    """A registered layer of your own whose shape nnlite finds by running its call: a file declaring a huge
    input is refused instead of running it on 128 million zeros; the same layer loads at its real size."""
    require("h5py")

    @nnlite.saving.register_keras_serializable(package="limits_test")
    class Double(layers.Layer):  # a weight of its own: its call runs as written, not traced
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, x):
            return nnlite.ops.concatenate([x, self.scale * x], axis=-1)

    x = nnlite.Input((2, 3), name="x")
    parts = _parts(nnlite.Model(x, Double(name="double")(x)), tmp_path)
    assert nnlite.models.load_model(tmp_path / "saved.keras").output_shape == (None, 2, 6)
    spec = json.loads(parts["config.json"])
    spec["config"]["layers"][0]["config"]["batch_shape"] = [None, 8000, 8000]
    parts["config.json"] = json.dumps(spec).encode()
    with pytest.raises(LoadError, match=r"running its call on zeros of shape \(2, 8000, 8000\).*compute_output_shape"):
        nnlite.models.load_model(_write(tmp_path / "custom.keras", parts))


@pytest.mark.parametrize("metric", [{"class_name": "AUC", "config": {"num_thresholds": 10**9}},
                                    {"class_name": "MeanIoU", "config": {"num_classes": 10**5}},
                                    {"class_name": "PrecisionAtRecall", "config": {"recall": 0.5,
                                                                                   "num_thresholds": 10**9}}])
def test_metric_state_a_file_declares_is_limited(tmp_path, metric):
    """A compile_config whose metric would hold a billion thresholds (or a 10^5 x 10^5 confusion matrix) that
    the file does not contain: refused before the state exists; the same metric in code is not limited."""
    require("h5py")
    parts = _parts(_small_functional(), tmp_path)
    spec = json.loads(parts["config.json"])
    spec["compile_config"] = {"optimizer": "sgd", "loss": "mse", "metrics": [metric]}
    parts["config.json"] = json.dumps(spec).encode()
    grown, outcome = _load_in_child(_write(tmp_path / "metric.keras", parts))
    assert outcome.startswith("LoadError") and "numbers the file does not contain" in outcome, outcome
    assert grown < 40 * MB, grown
    assert nnlite.metrics.AUC(num_thresholds=3 * 10**6).num_thresholds == 3 * 10**6


@pytest.mark.parametrize(("op", "arguments", "keywords", "message"), [
    ("add", ["#0", 1.0], {"where": False}, "unexpected keyword argument 'where'"),
    ("add", ["#0", 1.7], {"casting": "unsafe", "dtype": "int8"}, "unexpected keyword argument 'casting'"),
    ("cast", ["#0", "object"], {}, "dtype must be one of"),
    ("cast", ["#0", {"a": 1}], {}, "dtype must be one of"),
    ("sum", ["#0"], {"axis": "abc"}, "axis must be an int"),
    ("sum", ["#0"], {"axis": [1, True]}, "axis must be an int"),
    ("zeros", [[100000, 100000]], {}, "at least one tensor"),
])
def test_an_operation_takes_only_what_its_keras_op_takes(op, arguments, keywords, message):
    """An Operation node's arguments are checked against the op's signature (names) and what keras.ops means by
    a dtype or an axis (types), in code and in files alike (a file's node is made by this constructor)."""
    from nnlite.layers.operation import Operation

    with pytest.raises(ValueError, match=message):
        Operation(op, arguments, keywords)
    x = nnlite.Input((3,))
    assert nnlite.ops.cast(x, np.float32).shape == (None, 3)  # a NumPy type in code is taken by its name

"""Keras's public API, name by name: every public name of the modules nnlite has is here or on the list of what is
absent (kept honest both ways), every shared callable takes Keras's arguments by Keras's names and positions, and
the smaller pieces this touched (CallbackList, deserialize with custom_objects, MultiHeadAttention's shape methods,
pack/unpack, scatter_update's reductions, activations' positional parameters) behave as Keras's."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

import nnlite

MODULES = ["", "activations", "losses", "metrics", "optimizers", "optimizers.schedules", "initializers",
           "regularizers", "constraints", "callbacks", "layers", "models", "saving", "backend", "utils", "random",
           "config", "ops", "dtype_policies"]

_IMAGE_LAYERS = ["AugMix", "AutoContrast", "CenterCrop", "ContrastLimitedAdaptiveHistogramEqualization", "CutMix",
                 "Equalization", "MaxNumBoundingBoxes", "MixUp", "RandAugment", "RandomBrightness",
                 "RandomColorDegeneration", "RandomColorJitter", "RandomContrast", "RandomCrop",
                 "RandomElasticTransform", "RandomErasing", "RandomFlip", "RandomGaussianBlur", "RandomGrayscale",
                 "RandomHue", "RandomInvert", "RandomPerspective", "RandomPosterization", "RandomRotation",
                 "RandomSaturation", "RandomSharpness", "RandomShear", "RandomTranslation", "RandomZoom", "Resizing",
                 "Solarization"]
# What Keras 3.15 has and nnlite does not, module by module (docs/keras-differences.md says why, in groups).
ABSENT = {
    "": ["Function", "Operation", "Quantizer", "RematScope", "StatelessScope",
         "SymbolicScope", "applications", "device", "distillation", "distribution", "export",
         "legacy", "mixed_precision", "name_scope", "preprocessing", "quantizers", "remat", "src", "tree",
         "visualization", "wrappers"],
    "activations": ["sparsemax"],
    "optimizers": ["MultiOptimizer", "OptimizerMap", "ScheduleFreeAdamW", "legacy"],
    "initializers": ["STFT", "STFTInitializer", "stft"],
    "callbacks": ["OrbaxCheckpoint", "RemoteMonitor", "SwapEMAWeights"],
    "layers": ["AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
               "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "Conv3D", "Conv3DTranspose",
               "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Convolution3D", "Convolution3DTranspose", "EinsumDense",
               "FlaxLayer", "GroupNormalization", "HashedCrossing", "JaxLayer", "MelSpectrogram", "Pipeline",
               "ReversibleEmbedding", "STFTSpectrogram", "SpectralNormalization", "TFSMLayer", "TorchModuleWrapper",
               *_IMAGE_LAYERS],
    "saving": ["KerasFileEditor"],
    "dtype_policies": ["AWQDTypePolicy", "DTypePolicyMap", "GPTQDTypePolicy", "Int4DTypePolicy", "QuantizedDTypePolicy",
                       "QuantizedFloat8DTypePolicy"],
    "utils": ["Config", "FeatureSpace", "Progbar", "array_to_img", "audio_dataset_from_directory", "bounding_boxes",
              "disable_interactive_logging", "enable_interactive_logging", "get_file", "get_source_inputs",
              "image_dataset_from_directory", "img_to_array", "is_interactive_logging_enabled", "legacy",
              "load_img", "model_to_dot", "save_img", "split_dataset", "text_dataset_from_directory",
              "timeseries_dataset_from_array"],
    "config": ["disable_flash_attention", "enable_flash_attention", "is_flash_attention_enabled", "is_nnx_enabled"],
    "ops": ["adaptive_average_pool", "adaptive_max_pool", "allclose", "angle", "argpartition", "array_split",
            "associative_scan", "average_pool", "bartlett", "bincount", "bitwise_and", "bitwise_invert",
            "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "blackman",
            "cdist", "cholesky_inverse", "conv", "conv_transpose", "corrcoef", "correlate", "cross",
            "depth_to_space", "depthwise_conv", "diagflat", "digitize", "eig", "empty_like", "erfc", "erfinv",
            "extract_sequences", "fabs", "fft", "fft2", "fmax", "fmin", "fmod", "fold", "gcd", "geomspace",
            "get_item", "hamming", "hanning", "histogram", "i0", "ifft2", "imag", "image", "irfft", "isin", "isreal",
            "istft", "jvp", "kaiser", "kron", "lcm", "ldexp", "left_shift", "logdet", "lu_factor", "matrix_rank",
            "max_pool", "median", "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmedian", "nanpercentile",
            "nanquantile", "nanstd", "nanvar", "nextafter", "percentile", "pinv", "polar", "quantile", "rearrange",
            "rfft", "right_shift", "searchsorted", "segment_min", "segment_prod", "select", "separable_conv", "sinc",
            "slogdet", "solve_triangular", "space_to_depth", "sparsemax", "stft", "trapezoid", "unfold", "unique",
            "unravel_index", "vander", "vectorize", "view", "view_as_complex", "view_as_real"],
}

# Shared callables whose arguments differ from Keras's on purpose: a name only (positions still match), or nnlite
# taking more (a default where Keras requires a value, several dicts where Keras takes one).
SIGNATURE_EXCEPTIONS = {
    "losses.deserialize", "losses.serialize", "metrics.serialize", "optimizers.serialize",
    "optimizers.schedules.serialize", "losses.categorical_generalized_cross_entropy", "backend.standardize_dtype",
    "saving.CustomObjectScope", "saving.custom_object_scope", "utils.CustomObjectScope", "utils.custom_object_scope",
    "utils.standardize_dtype", ".KerasTensor", ".Variable",  # record_history, layout: Keras's tracing, distribution
}


def _module(root, name):
    return importlib.import_module(f"{root.__name__}.{name}" if name else root.__name__)


@pytest.mark.parametrize("name", MODULES)
def test_every_public_keras_name_is_here_or_listed_as_absent(keras, name):
    theirs, ours = _module(keras, name), _module(nnlite, name)
    missing = sorted(n for n in dir(theirs) if not n.startswith("_") and not hasattr(ours, n))
    assert missing == sorted(ABSENT.get(name, [])), f"keras.{name}: missing now {missing}"


def _parameters(obj):
    try:
        return inspect.signature(obj.__init__ if inspect.isclass(obj) else obj).parameters
    except (TypeError, ValueError):
        return None


def _signature_problems(theirs, ours):
    """How ours fails to take Keras's arguments: a name it lacks, a required/optional flip, a different position."""
    kp, op = _parameters(theirs), _parameters(ours)
    if kp is None or op is None:
        return []
    taken = {p.name: p for p in op.values() if p.name != "self"}
    anything = any(p.kind is p.VAR_KEYWORD for p in op.values())
    order = [p.name for p in op.values() if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD]
    problems = []
    named = [p for p in kp.values() if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for i, p in enumerate(named):
        q = taken.get(p.name)
        if q is None:
            if not anything:
                problems.append(f"no argument {p.name!r}")
            continue
        if (p.default is p.empty) != (q.default is q.empty):
            problems.append(f"{p.name!r} required: Keras {p.default is p.empty}, nnlite {q.default is q.empty}")
        if p.kind is p.POSITIONAL_OR_KEYWORD and (i >= len(order) or order[i] != p.name):
            problems.append(f"{p.name!r} not at position {i}")
    return problems


@pytest.mark.parametrize("name", MODULES)
def test_shared_callables_take_keras_arguments_by_name_and_position(keras, name):
    theirs, ours = _module(keras, name), _module(nnlite, name)
    found = {}
    for attr in sorted(dir(theirs)):
        if attr.startswith("_") or not hasattr(ours, attr) or f"{name}.{attr}" in SIGNATURE_EXCEPTIONS:
            continue
        k, o = getattr(theirs, attr), getattr(ours, attr)
        if inspect.ismodule(k) or not callable(k) or isinstance(o, nnlite.activations.Activation):
            continue  # an activation object takes its parameters as keywords (see the positional test below)
        problems = _signature_problems(k, o)
        if problems:
            found[attr] = problems
    assert not found


def test_the_exceptions_still_differ(keras):
    for dotted in sorted(SIGNATURE_EXCEPTIONS):
        module, attr = dotted.rsplit(".", 1)
        assert _signature_problems(getattr(_module(keras, module), attr), getattr(_module(nnlite, module), attr))


@pytest.mark.parametrize("name, args", [("relu", (0.1,)), ("relu", (0.0, 1.5, 0.2)), ("elu", (0.5,)),
                                        ("leaky_relu", (0.3,)), ("softmax", (0,)), ("gelu", (True,)),
                                        ("celu", (2.0,)), ("squareplus", (2.0,)), ("soft_shrink", (0.2,)),
                                        ("threshold", (0.2, -1.0)), ("glu", (0,))])
def test_activation_parameters_given_by_position_as_keras_takes_them(keras, float64, name, args):
    x = np.random.default_rng(0).normal(size=(4, 6))
    np.testing.assert_allclose(getattr(nnlite.activations, name)(x, *args),
                               getattr(keras.activations, name)(x, *args), rtol=1e-12)
    with pytest.raises(TypeError, match="positional"):
        nnlite.activations.elu(x, 0.5, 0.5)


def _loop(lib, x, y):
    """Keras's training loop written by hand, its callbacks driven through a CallbackList."""
    seen = []

    class Watch(lib.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, sorted(self.params.items()), dict(logs)))

    model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse")
    hooks = lib.callbacks.CallbackList([Watch()], add_history=True, model=model, epochs=2, steps=1, verbose=0)
    hooks.on_train_begin()
    for epoch in range(2):
        hooks.on_epoch_begin(epoch)
        logs = {"loss": float(np.mean((x @ np.ones((2, 1)) - y) ** 2)) + epoch}
        hooks.on_epoch_end(epoch, logs)
    hooks.on_train_end()
    return seen, model.history.history, [type(cb).__name__ for cb in hooks.callbacks]


def test_a_callback_list_drives_a_training_loop_of_your_own_as_keras(keras):
    x, y = np.ones((3, 2)), np.zeros((3, 1))
    assert _loop(nnlite, x, y) == _loop(keras, x, y)
    for lib in (keras, nnlite):
        hooks = lib.callbacks.CallbackList(add_progbar=True)
        assert [type(cb).__name__ for cb in hooks.callbacks] == ["ProgbarLogger"]
        assert lib.callbacks.CallbackList([[lib.callbacks.History()], lib.callbacks.History()]).params == {}


def test_fit_takes_a_callback_list(keras):
    x, y = np.ones((4, 2)), np.zeros((4, 1))
    histories = []
    for lib in (keras, nnlite):
        epochs = []
        watch = lib.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs, seen=epochs: seen.append(epoch))
        model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1, kernel_initializer="zeros")])
        model.compile(optimizer="sgd", loss="mse")
        hooks = lib.callbacks.CallbackList([watch], add_history=True, model=model)
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=hooks)
        histories.append((epochs, history.history["loss"]))
    assert histories[1][0] == histories[0][0] == [0, 1]
    np.testing.assert_allclose(histories[1][1], histories[0][1], rtol=1e-6)


def _twice(x):
    return 2 * x


@pytest.mark.parametrize("module, entry", [
    ("losses", {"module": None, "class_name": "Mine", "config": {}, "registered_name": "Mine"}),
    ("layers", {"module": None, "class_name": "Mine", "config": {"units": 2}, "registered_name": "Mine"}),
    ("activations", "twice"),
])
def test_deserialize_reads_custom_objects_as_keras(keras, module, entry):
    for lib in (keras, nnlite):
        base = {"losses": lib.losses.MeanSquaredError, "layers": lib.layers.Dense}.get(module)
        mine = type("Mine", (base,), {}) if base is not None else _twice
        custom = {"Mine": mine} if base is not None else {"twice": _twice}
        made = getattr(lib, module).deserialize(entry, custom_objects=custom)
        if base is not None:
            assert type(made) is mine
        else:
            assert np.allclose(np.asarray(made(np.ones(2))), 2.0)


def test_deserialize_of_every_module_reads_keras_entries(keras):
    for lib in (keras, nnlite):
        assert type(lib.optimizers.deserialize({"class_name": "Adam", "config": {}})).__name__ == "Adam"
        assert type(lib.initializers.deserialize({"class_name": "Ones", "config": {}})).__name__ == "Ones"
        assert type(lib.constraints.deserialize({"class_name": "NonNeg", "config": {}})).__name__ == "NonNeg"
        assert type(lib.regularizers.deserialize({"class_name": "L2", "config": {"l2": 0.1}})).__name__ == "L2"


@pytest.mark.parametrize("key", [False, True])
def test_multi_head_attention_builds_and_gives_shapes_from_keras_arguments(keras, key):
    shapes = ((None, 4, 6), (None, 5, 3), (None, 5, 2) if key else None)
    built = []
    for lib in (keras, nnlite):
        layer = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3, output_shape=7)
        layer.build(*shapes)
        built.append(sorted(tuple(w.shape) for w in layer.weights))
        assert tuple(layer.compute_output_shape(*shapes)) == (None, 4, 7)
        with pytest.raises(ValueError, match="All dimensions of `value` and `key`, except the last one, must be equal"):
            layer.compute_output_shape((None, 4, 6), (None, 5, 3), (None, 6, 3))
    assert built[1] == built[0]


@pytest.mark.parametrize("data", [(np.ones(2),), (np.ones(2), np.zeros(2)), [np.ones(2), np.zeros(2), np.ones(2)],
                                  np.ones(2)])
def test_pack_and_unpack_as_keras(keras, data):
    theirs = keras.utils.unpack_x_y_sample_weight(data)
    ours = nnlite.utils.unpack_x_y_sample_weight(data)
    assert [None if v is None else np.asarray(v).tolist() for v in ours] == \
        [None if v is None else np.asarray(v).tolist() for v in theirs]
    for args in ([np.ones(2)], [[np.ones(2), np.ones(1)]], [np.ones(2), np.zeros(2)], [1, 2, 3]):
        packed = (nnlite.utils.pack_x_y_sample_weight(*args), keras.utils.pack_x_y_sample_weight(*args))
        assert type(packed[0]) is type(packed[1]) and len(packed[0]) == len(packed[1])
    with pytest.raises(ValueError, match="Data is expected to be in format"):
        nnlite.utils.unpack_x_y_sample_weight((1, 2, 3, 4))


@pytest.mark.parametrize("reduction", [None, "add", "max", "min", "mul"])
def test_scatter_update_reductions_and_their_gradients_equal_tensorflows(keras, tf, float64, reduction):
    rng = np.random.default_rng(1)
    x, updates = rng.normal(size=(4, 3)), rng.normal(size=(3, 3))
    indices = np.array([[1], [2], [1]]) if reduction else np.array([[1], [2], [0]])
    updates[2] = updates[0]  # a tie at row 1: max and min share its gradient
    x[2] = updates[1]  # and a tie between an input and an update at row 2
    seed = np.arange(12.0).reshape(4, 3)
    xt, ut = tf.constant(x), tf.constant(updates)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([xt, ut])
        expected = keras.ops.scatter_update(xt, indices, ut, reduction=reduction)
    expected_grads = tape.gradient(expected, [xt, ut], output_gradients=tf.constant(seed))
    with nnlite.GradientTape() as tape:
        xv, uv = nnlite.Variable(x, name="x"), nnlite.Variable(updates, name="u")
        got = nnlite.ops.scatter_update(xv, indices, uv, reduction=reduction)
    grads = tape.gradient(got, [xv, uv], output_gradients=seed)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    for g, e in zip(grads, expected_grads):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="Unsupported reduction: sum"):
        nnlite.ops.scatter_update(x, indices, updates, reduction="sum")


def _against_tensorflow(keras, tf, name, arrays, kwargs, rtol):
    """keras.ops.<name> and nnlite.ops.<name> on the same arrays: values, dtypes, and the gradient of every array
    for one random output gradient."""
    rng = np.random.default_rng(3)
    tensors = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        expected = getattr(keras.ops, name)(*tensors, **kwargs)
    seed = rng.normal(size=tuple(expected.shape)).astype(expected.dtype.name)
    expected_grads = tape.gradient(expected, tensors, output_gradients=tf.constant(seed))
    with nnlite.GradientTape() as tape:
        variables = [nnlite.Variable(a, name=f"v{i}") for i, a in enumerate(arrays)]
        got = getattr(nnlite.ops, name)(*variables, **kwargs)
    grads = tape.gradient(got, variables, output_gradients=seed)
    assert np.asarray(got).dtype == expected.dtype.name
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * 1e-3)
    for g, e in zip(grads, expected_grads):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"scale": 0.3}, {"mask": "padding"}, {"bias": True},
                                    {"grouped": True}])
def test_dot_product_attention_equals_tensorflows(keras, tf, dtype, kwargs):
    rng = np.random.default_rng(0)
    kwargs = dict(kwargs)
    kv_heads = 2 if kwargs.pop("grouped", False) else 4
    q = rng.normal(size=(2, 3, 4, 5)).astype(dtype)
    k, v = (rng.normal(size=(2, 6, kv_heads, 5)).astype(dtype) for _ in range(2))
    if kwargs.get("mask") == "padding":  # the last two key steps of the second sample are padding
        mask = np.ones((2, 1, 3, 6), bool)
        mask[1, :, :, 4:] = False
        kwargs["mask"] = mask
    arrays = [q, k, v]
    if kwargs.pop("bias", False):
        arrays.append(rng.normal(size=(1, 4, 3, 6)).astype(dtype))
    _against_tensorflow(keras, tf, "dot_product_attention", arrays, kwargs, 1e-9 if dtype == "float64" else 2e-5)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("axis", [-1, 1, (1, 2)])
def test_the_normalisation_ops_equal_tensorflows(keras, tf, dtype, axis):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 4)).astype(dtype)
    shape = [x.shape[a] for a in ([axis] if isinstance(axis, int) else axis)]
    gamma, beta = rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)
    rtol = {"float64": 1e-9, "float32": 2e-5, "float16": 2e-3}[dtype]
    scaled = [x, gamma] if axis == -1 else [x]  # Keras's rms_normalization lays its scale on the last axis only
    if dtype != "float16":  # TensorFlow's tape takes no float16 gradient seeds here: values only below
        _against_tensorflow(keras, tf, "layer_normalization", [x, gamma, beta], {"axis": axis}, rtol)
        _against_tensorflow(keras, tf, "rms_normalization", scaled, {"axis": axis, "epsilon": 1e-5}, rtol)
    for name, args in (("layer_normalization", (x, gamma, beta)), ("rms_normalization", scaled)):
        expected, got = getattr(keras.ops, name)(*args, axis=axis), getattr(nnlite.ops, name)(*args, axis=axis)
        assert np.asarray(got).dtype == np.asarray(expected).dtype
        np.testing.assert_allclose(np.asarray(got, "float64"), np.asarray(expected, "float64"), rtol=rtol, atol=rtol)


def test_psnr_equals_tensorflows(keras, tf):
    rng = np.random.default_rng(2)
    x1, x2 = rng.random((2, 4, 4, 3)), rng.random((2, 4, 4, 3))
    _against_tensorflow(keras, tf, "psnr", [x1, x2], {"max_val": 1.0}, 1e-9)
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="must match for PSNR calculation"):
            lib.ops.psnr(x1, x2[:1], 1.0)


def test_attention_and_normalisation_ops_in_a_graph_predict_save_and_load(tmp_path):
    rng = np.random.default_rng(4)
    q, k = nnlite.Input((3, 2, 4)), nnlite.Input((5, 1, 4))  # one key/value head for two query heads
    attended = nnlite.ops.dot_product_attention(q, k, k, is_causal=False)
    out = nnlite.ops.layer_normalization(nnlite.ops.rms_normalization(attended), axis=(2, 3))
    model = nnlite.Model([q, k], out)
    x = [rng.normal(size=(2, 3, 2, 4)).astype("float32"), rng.normal(size=(2, 5, 1, 4)).astype("float32")]
    eager = nnlite.ops.layer_normalization(nnlite.ops.rms_normalization(nnlite.ops.dot_product_attention(
        x[0], x[1], x[1])), axis=(2, 3))
    np.testing.assert_allclose(model.predict(x, verbose=0), eager, rtol=1e-6)
    model.save(tmp_path / "attention.keras")
    again = nnlite.saving.load_model(tmp_path / "attention.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), eager, rtol=1e-6)


def test_keras_files_with_the_new_ops_load_in_nnlite(keras, tmp_path):
    rng = np.random.default_rng(5)
    q, k = keras.Input((3, 2, 4)), keras.Input((5, 2, 4))
    attended = keras.ops.dot_product_attention(q, k, k, is_causal=True)
    normed = keras.ops.layer_normalization(keras.ops.rms_normalization(attended, epsilon=1e-5), epsilon=1e-4)
    model = keras.Model([q, k], normed)
    model.save(tmp_path / "keras.keras")
    x = [rng.normal(size=(2, 3, 2, 4)).astype("float32"), rng.normal(size=(2, 5, 2, 4)).astype("float32")]
    ours = nnlite.saving.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), model.predict(x, verbose=0), rtol=2e-5, atol=2e-6)


_M = np.array([[1.5, -2.0, 0.0, 3.25], [-0.0, 4.0, -1.0, 2.5], [0.5, 0.5, -3.0, 1.0]])
# (op, arguments, keywords, differentiable): edge values too (zeros of both signs, ties, infinities)
SIMPLE_OPS = [
    ("deg2rad", [_M], {}, True), ("rad2deg", [_M], {}, True), ("exp2", [_M], {}, True),
    ("signbit", [_M], {}, False), ("isneginf", [np.array([-np.inf, 0.0, np.inf, -1.0])], {}, False),
    ("isposinf", [np.array([-np.inf, 0.0, np.inf, 1.0])], {}, False),
    ("heaviside", [_M, np.array([0.5, 0.5, 2.0, 0.0])], {}, False), ("logaddexp2", [_M, _M[::-1]], {}, True),
    ("fliplr", [_M], {}, True), ("flipud", [_M], {}, True), ("rot90", [_M], {}, True),
    ("rot90", [_M], {"k": 3}, True), ("rot90", [_M[:, :3]], {"k": -2}, True),
    ("rot90", [_M.reshape(3, 2, 2)], {"k": 1, "axes": (1, 2)}, True),
    ("diff", [_M], {}, True), ("diff", [_M], {"n": 2, "axis": 0}, True), ("ptp", [_M], {}, True),
    ("ptp", [_M], {"axis": 1, "keepdims": True}, True), ("hsplit", [_M, 2], {}, False),
    ("vsplit", [_M, [1]], {}, False), ("dsplit", [_M.reshape(1, 3, 4), 2], {}, False),
]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
@pytest.mark.parametrize("case", SIMPLE_OPS, ids=lambda c: f"{c[0]}{c[2] or ''}")
def test_the_simple_ops_give_keras_values_dtypes_and_gradients(keras, tf, dtype, case):
    name, args, kwargs, differentiable = case
    args = [a.astype(dtype) if isinstance(a, np.ndarray) and (dtype != "int32" or np.all(np.isfinite(a))) else a
            for a in args]
    expected, got = getattr(keras.ops, name)(*args, **kwargs), getattr(nnlite.ops, name)(*args, **kwargs)
    if isinstance(expected, (list, tuple)):
        assert len(got) == len(expected)
        pairs = list(zip(got, expected))
    else:
        pairs = [(got, expected)]
    for ours, theirs in pairs:
        theirs = np.asarray(theirs)
        assert np.asarray(ours).dtype == theirs.dtype, (name, dtype)
        np.testing.assert_allclose(np.asarray(ours, "float64"), np.asarray(theirs, "float64"), rtol=1e-6,
                                   atol=1e-8)  # TensorFlow's logaddexp2(-1, -1) is -2.7e-9, not 0
    if differentiable and dtype != "int32":
        tensors = [a for a in args if isinstance(a, np.ndarray)]
        _against_tensorflow(keras, tf, name, tensors, kwargs, 1e-9 if dtype == "float64" else 2e-6)


def test_rot90_turns_a_plane_that_is_not_square_twice_as_numpy():
    """(Keras 3.15's TensorFlow rot90 scrambles a non-square plane turned twice: it reshapes to the unturned shape
    after the first turn; nnlite gives NumPy's.)"""
    for k in (-2, 2, 6):
        np.testing.assert_array_equal(nnlite.ops.rot90(_M, k), np.rot90(_M, k))
        np.testing.assert_array_equal(nnlite.ops.rot90(_M.reshape(3, 2, 2), k, axes=(0, 2)),
                                      np.rot90(_M.reshape(3, 2, 2), k, axes=(0, 2)))


def test_dstack_as_keras(keras):
    for xs in ([np.array([1.0, 2.0]), np.array([3.0, 4.0])], [_M, _M], [_M.reshape(3, 4, 1), _M.reshape(3, 4, 1)]):
        np.testing.assert_allclose(nnlite.ops.dstack(xs), keras.ops.dstack(xs))


def test_keras_files_with_the_simple_ops_load_in_nnlite(keras, tmp_path):
    x = keras.Input((4, 3))
    parts = [keras.ops.rot90(x, k=1, axes=(1, 2)), keras.ops.diff(x, n=2, axis=1), keras.ops.ptp(x, axis=1),
             keras.ops.logaddexp2(x, keras.ops.flipud(x)), keras.ops.deg2rad(keras.ops.fliplr(x)),
             keras.ops.heaviside(x, keras.ops.abs(x)), keras.ops.exp2(x), keras.ops.nansum(x, axis=1),
             keras.ops.nanmean(x, axis=2, keepdims=True), keras.ops.nanmax(x, axis=1), keras.ops.nanprod(x, axis=1)]
    model = keras.Model(x, parts)
    model.save(tmp_path / "simple.keras")
    data = np.random.default_rng(6).normal(size=(2, 4, 3)).astype("float32")
    ours = nnlite.saving.load_model(tmp_path / "simple.keras")
    for got, expected in zip(ours.predict(data, verbose=0), model.predict(data, verbose=0)):
        np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-6)


_NAN = np.array([[1.5, np.nan, -2.0], [np.nan, np.nan, np.nan], [0.0, 4.0, np.nan]])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int8", "bool"])
@pytest.mark.parametrize("name", ["nansum", "nanmean", "nanmax", "nanmin", "nanprod"])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), (0, True)])
def test_the_nan_reductions_give_keras_values_dtypes_and_gradients(keras, tf, dtype, name, axis, keepdims):
    x = _NAN.astype(dtype) if "float" in dtype else np.nan_to_num(_NAN).astype(dtype)
    with np.errstate(invalid="ignore"):
        expected = np.asarray(getattr(keras.ops, name)(x, axis=axis, keepdims=keepdims))
        got = np.asarray(getattr(nnlite.ops, name)(x, axis=axis, keepdims=keepdims))
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got.astype("float64"), expected.astype("float64"), rtol=1e-6)
    if dtype == "float64":  # the gradient reaches the entries that count, NaN slices aside
        seed_shape = expected.shape
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            out = getattr(keras.ops, name)(xt, axis=axis, keepdims=keepdims)
            out = tf.where(tf.math.is_nan(out), tf.zeros_like(out), out)
        seed = np.random.default_rng(7).normal(size=seed_shape)
        expected_grad = tape.gradient(out, xt, output_gradients=tf.constant(seed))
        with nnlite.GradientTape() as tape:
            xv = nnlite.Variable(x, name="x")
            out = getattr(nnlite.ops, name)(xv, axis=axis, keepdims=keepdims)
            out = nnlite.ops.where(nnlite.ops.isnan(out), 0.0, out)
        grad = tape.gradient(out, xv, output_gradients=seed)
        np.testing.assert_allclose(np.nan_to_num(grad), np.nan_to_num(expected_grad), rtol=1e-9, atol=1e-12)

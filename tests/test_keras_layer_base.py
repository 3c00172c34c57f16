"""The base-layer API Keras's layer tests check: InputSpec and its errors, the Wrapper base class, stateless layers
built once made (and not when a subclass writes its own build), the Softmax layer's mask, a Loss subclass that
overrides ``__call__`` -- each against the real Keras."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .helpers import fit_both, layer_against_tensorflow


def _error(fn, *args, **kwargs):
    """The ValueError's message fn(*args, **kwargs) raises (None if it raises nothing)."""
    try:
        fn(*args, **kwargs)
    except ValueError as error:
        return str(error)
    return None


SPECS = [
    dict(ndim=2), dict(min_ndim=3), dict(max_ndim=1), dict(axes={-1: 4}), dict(shape=(None, 5)),
    dict(dtype="int32"), dict(shape=(None, 3, 1), allow_last_axis_squeeze=True), dict(min_ndim=2, axes={1: 3}),
]
INPUTS = [np.ones((2, 3)), np.ones((2, 3), "int32"), np.ones((2, 3, 1)), np.ones((2, 4)), np.ones(3)]


def _spec_layer(lib, spec):
    class Checked(lib.layers.Layer):
        def __init__(self):
            super().__init__(name="checked")
            self.input_spec = lib.InputSpec(**spec)

        def call(self, x):
            return x

    return Checked()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: ",".join(s))
def test_an_input_spec_accepts_and_refuses_what_keras_does_in_its_words(keras, spec):
    ours, theirs = nnlite.InputSpec(**spec), keras.InputSpec(**spec)
    assert repr(ours) == repr(theirs)
    assert ours.get_config() == theirs.get_config()
    for x in INPUTS:
        expected = _error(_spec_layer(keras, spec), x)
        got = _error(_spec_layer(nnlite, spec), x)
        assert got == expected, (spec, x.shape, x.dtype)


def test_input_spec_argument_errors_and_several_inputs(keras):
    for lib in (keras, nnlite):
        with pytest.raises(TypeError, match="must be a dict with integer keys"):
            lib.InputSpec(axes={"a": 1})
        with pytest.raises(ValueError, match="Axis 3 is greater than the maximum allowed value: 1"):
            lib.InputSpec(ndim=2, axes={3: 1})
    named = [dict(name="a", ndim=2), dict(name="b", ndim=2)]
    for x in ({"a": np.ones((1, 2))}, [np.ones((1, 2))], {"a": np.ones((1, 2)), "b": np.ones(2)}):
        messages = []
        for lib in (keras, nnlite):
            specs = [lib.InputSpec(**s) for s in named]
            messages.append(_error(_check_with, lib, specs, x))
        assert messages[1] == messages[0] and messages[0] is not None


def _check_with(lib, specs, x):
    class Pair(lib.layers.Layer):
        def __init__(self):
            super().__init__(name="pair")
            self.input_spec = specs

        def call(self, inputs):
            return inputs

    return Pair()(x)


def _narrowing(lib):
    class Narrowing(lib.layers.Layer):
        def build(self, input_shape):
            self.input_spec = lib.InputSpec(min_ndim=2, axes={-1: input_shape[-1]})

        def call(self, x):
            return x

    return Narrowing(name="narrowing")


def test_build_may_narrow_the_spec_and_the_next_call_is_checked(keras):
    messages = []
    for lib in (keras, nnlite):
        layer = _narrowing(lib)
        layer(np.ones((2, 3)))
        messages.append(_error(layer, np.ones((2, 4))))
    assert messages[1] == messages[0] and "expected axis -1 of input shape to have value 3" in messages[0]


def test_a_wrapper_subclass_trains_and_saves_as_keras(keras, tmp_path):
    x = np.random.default_rng(0).normal(size=(8, 3))
    y = np.random.default_rng(1).normal(size=(8, 2))
    results, configs = [], []
    for lib in (keras, nnlite):
        class Doubled(lib.layers.Wrapper):
            def call(self, inputs):
                return 2.0 * self.layer(inputs)

        wrapper = Doubled(lib.layers.Dense(2, kernel_initializer="ones", activity_regularizer="l2"), name="doubled")
        model = lib.Sequential([lib.Input((3,)), wrapper])
        model.compile(optimizer=lib.optimizers.SGD(0.01), loss="mse")
        history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
        results.append((history.history["loss"], [np.asarray(w) for w in model.get_weights()]))
        configs.append({k: v for k, v in wrapper.get_config().items() if k != "layer"})
        assert len(wrapper.trainable_weights) == 2 and len(wrapper.non_trainable_weights) == 0
        again = Doubled.from_config(wrapper.get_config())
        assert isinstance(again.layer, lib.layers.Dense) and again.layer.units == 2
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=2e-5)
    for ours, theirs in zip(results[1][1], results[0][1]):
        np.testing.assert_allclose(ours, theirs, rtol=2e-5)
    assert configs[1] == configs[0]
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="supplied to Wrapper isn't a supported layer type"):
            lib.layers.Wrapper("not a layer")


STATELESS = ["Activation", "ELU", "LeakyReLU", "ReLU", "Softmax", "Identity", "Masking", "UnitNormalization",
             "GlobalAveragePooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling3D", "MaxPooling2D",
             "AveragePooling1D", "MaxPooling3D", "ActivityRegularization", "AlphaDropout", "Dropout",
             "GaussianDropout", "GaussianNoise", "Dense", "PReLU", "BatchNormalization"]
ARGUMENTS = {"Activation": ("relu",), "AlphaDropout": (0.1,), "Dropout": (0.1,), "GaussianDropout": (0.1,),
             "GaussianNoise": (0.1,), "Dense": (2,), "AveragePooling1D": (2,)}


@pytest.mark.parametrize("name", STATELESS)
def test_a_layer_without_weights_is_built_once_made_unless_a_subclass_writes_build(keras, name):
    made, overridden = [], []
    for lib in (keras, nnlite):
        cls = getattr(lib.layers, name)
        made.append(cls(*ARGUMENTS.get(name, ())).built)

        class Own(cls):
            def build(self, input_shape):
                self.seen = input_shape

        layer = Own(*ARGUMENTS.get(name, ()))
        overridden.append(layer.built)
        shape = (2, 4, 4, 4, 3) if "3D" in name else (2, 4, 4, 3) if "2D" in name else (2, 4, 3)
        if name not in ("Dense", "PReLU", "BatchNormalization"):  # their call needs the weights build makes
            layer(np.ones(shape, "float32"))
            assert layer.built and layer.seen[1:] == shape[1:]
    assert made[1] == made[0]
    assert overridden[1] == overridden[0] is False


@pytest.mark.parametrize("mask_shape, axis", [((2, 3, 4), -1), ((2, 1, 4), -1), ((4,), -1), ((2, 3, 4), 1),
                                              ((2, 3, 1), -1)])
def test_a_masked_softmax_equals_tensorflows_with_its_gradient(keras, tf, float64, mask_shape, axis):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 4))
    mask = rng.random(mask_shape) > 0.4
    mask.reshape(-1)[0] = False
    if mask_shape == (2, 3, 4):
        mask[1, 2] = False  # a wholly masked row: zeros, and no gradient
    seed = rng.normal(size=x.shape)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        expected = keras.layers.Softmax(axis=axis)(xt, mask=tf.constant(mask))
    expected_grad = tape.gradient(expected, xt, output_gradients=tf.constant(seed))
    with nnlite.GradientTape() as tape:
        xv = nnlite.Variable(x, name="x")
        got = nnlite.layers.Softmax(axis=axis)(xv, mask=mask)
    grad = tape.gradient(got, xv, output_gradients=seed)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-15)
    float_mask = mask.astype("float64") * 0.9  # a float mask keeps what is above 0.5
    np.testing.assert_allclose(nnlite.layers.Softmax(axis=axis)(x, mask=float_mask),
                               keras.layers.Softmax(axis=axis)(x, mask=float_mask), rtol=1e-12, atol=1e-300)


def test_a_masked_softmax_refuses_what_keras_refuses(keras):
    x = np.ones((2, 3))
    for mask in (np.ones((2, 2), bool), np.ones((1, 2, 3), bool)):
        messages = [_error(lib.layers.Softmax(), x, mask=mask) for lib in (keras, nnlite)]
        assert messages[1] is not None and messages[0] is not None
        assert messages[1].startswith("The `mask` must be broadcastable to `inputs`")
        assert "The `mask` must be broadcastable to `inputs`" in messages[0]


def test_the_unmasked_softmax_layer_still_equals_tensorflows(keras, tf, float64):
    rng = np.random.default_rng(4)
    layer_against_tensorflow(tf, nnlite.layers.Softmax(axis=1), keras.layers.Softmax(axis=1),
                             rng.normal(size=(2, 3, 4)), rng)


def _sum_of_squares(lib):
    class SumOfSquares(lib.losses.Loss):
        def __call__(self, y_true, y_pred, sample_weight=None):
            return lib.ops.sum(lib.ops.square(y_pred - y_true)) * 0.1

    return SumOfSquares()


def test_a_loss_that_overrides_call_trains_as_keras(keras):
    x = np.random.default_rng(5).normal(size=(6, 3))
    y = np.random.default_rng(6).normal(size=(6, 2))
    results = []
    for lib in (keras, nnlite):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, kernel_initializer="ones")])
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss=_sum_of_squares(lib))
        history = model.fit(x, y, batch_size=3, epochs=2, verbose=0, shuffle=False)
        results.append((history.history["loss"], model.get_weights()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=2e-5)
    for ours, theirs in zip(results[1][1], results[0][1]):
        np.testing.assert_allclose(ours, theirs, rtol=2e-5)


@pytest.mark.parametrize("floatx", ["float32"], indirect=True)
@pytest.mark.parametrize("size, data_format", [((2, 2), "channels_last"), ((3, 1), "channels_last"),
                                               ((1, 4), "channels_first"), ((2, 3), "channels_first")])
def test_bilinear_upsampling_equals_tensorflows_with_its_gradient(keras, tf, floatx, size, data_format):
    rng = np.random.default_rng(7)
    shape = (2, 3, 4, 5) if data_format == "channels_last" else (2, 5, 3, 4)
    x = rng.normal(size=shape).astype("float32")
    theirs = keras.layers.UpSampling2D(size, data_format=data_format, interpolation="bilinear")
    ours = nnlite.layers.UpSampling2D(size, data_format=data_format, interpolation="bilinear")
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        expected = theirs(xt)
    seed = rng.normal(size=tuple(expected.shape)).astype("float32")
    expected_grad = tape.gradient(expected, xt, output_gradients=tf.constant(seed))
    with nnlite.GradientTape() as tape:
        xv = nnlite.Variable(x, name="x")
        got = ours(xv)
    grad = tape.gradient(got, xv, output_gradients=seed)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-5)
    assert ours.get_config()["interpolation"] == theirs.get_config()["interpolation"] == "bilinear"
    assert tuple(ours.compute_output_shape(shape)) == tuple(theirs.compute_output_shape(shape))
    with pytest.raises(ValueError, match="'nearest' or 'bilinear'"):
        nnlite.layers.UpSampling2D(interpolation="lanczos3")


def test_a_layer_takes_its_input_by_the_keyword_inputs(keras):
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    for lib in (keras, nnlite):
        np.testing.assert_allclose(lib.layers.UpSampling2D(2)(inputs=x), np.repeat(np.repeat(x, 2, 1), 2, 2))


@pytest.mark.parametrize("layer", ["SimpleRNN", "GRU", "LSTM"])
def test_a_stateful_recurrent_layer_called_on_values_keeps_that_batch_as_keras(keras, layer):
    sequence = np.arange(24).reshape((2, 3, 4)).astype("float32")
    outputs = []
    for lib in (keras, nnlite):
        rnn = getattr(lib.layers, layer)(4, stateful=True, kernel_initializer=lib.initializers.Constant(0.01),
                                         recurrent_initializer=lib.initializers.Constant(0.02),
                                         bias_initializer=lib.initializers.Constant(0.03))
        rnn(sequence)
        first = np.asarray(rnn(sequence))
        rnn.reset_state()
        rnn(sequence)
        outputs.append((first, np.asarray(rnn(sequence)), [tuple(s.shape) for s in rnn.states]))
    np.testing.assert_allclose(outputs[1][0], outputs[0][0], rtol=1e-5)
    np.testing.assert_allclose(outputs[1][1], outputs[0][1], rtol=1e-5)
    assert outputs[1][2] == outputs[0][2]


def test_a_dense_layer_whose_activation_is_set_to_none_is_linear_as_keras(keras):
    kernel = np.array([[1.0, -2.0], [3.0, -4.0]])
    outputs = []
    for lib in (keras, nnlite):
        layer = lib.layers.Dense(units=2, use_bias=False, activation="relu")
        layer.build((1, 2))
        layer.set_weights([kernel])
        layer.activation = None
        outputs.append(np.asarray(layer(np.array([[-1.0, 2.0]]))))
    np.testing.assert_allclose(outputs[1], outputs[0])
    assert outputs[1].tolist() == [[5.0, -6.0]]


@pytest.mark.parametrize("name", ["float32", "float64", None])
def test_a_dtype_policy_is_an_object_as_keras(keras, name):
    ours, theirs = nnlite.DTypePolicy(name), keras.DTypePolicy(name)
    for attribute in ("name", "compute_dtype", "variable_dtype", "quantization_mode"):
        assert getattr(ours, attribute) == getattr(theirs, attribute)
    assert repr(ours) == repr(theirs) and ours.get_config() == theirs.get_config()
    assert nnlite.dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    assert nnlite.dtype_policies.deserialize(keras.dtype_policies.serialize(theirs)) == ours
    assert nnlite.dtype_policies.get(name) == ours and ours == nnlite.DTypePolicy.from_config(ours.get_config())
    for lib in (keras, nnlite):
        layer = lib.layers.Dense(2, dtype=lib.DTypePolicy("float64"))
        assert layer.dtype_policy.compute_dtype == "float64"
        assert lib.layers.Dense(2, dtype=layer.dtype_policy).dtype_policy.name == "float64"  # handed on
        assert layer.get_config()["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                                               "config": {"name": "float64"}, "registered_name": None}
    with pytest.raises(ValueError, match="not supported"):
        nnlite.DTypePolicy("mixed_float16")
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="Cannot convert 'invalid_name' to a mixed precision DTypePolicy"):
            lib.DTypePolicy("invalid_name")
    for lib in (keras, nnlite):
        with pytest.raises(TypeError, match="'name' must be a string"):
            lib.DTypePolicy(3)


def test_a_weight_that_takes_its_gradient_as_its_value_as_keras(keras):
    results = []
    for lib in (keras, nnlite):
        v = lib.Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
        v.overwrite_with_gradient = True
        v2 = lib.Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
        lib.optimizers.SGD(learning_rate=1.0).apply_gradients([(np.ones((2, 2)), v), (np.ones((2, 2)), v2)])
        results.append((np.asarray(v), np.asarray(v2)))
    np.testing.assert_allclose(results[1][0], results[0][0])
    np.testing.assert_allclose(results[1][1], results[0][1])
    assert results[1][0].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def _overwritten_steps(lib, optimizer, grads):
    """The two variables (one overwritten by its gradient) after each call of ``optimizer.apply_gradients``."""
    v = lib.Variable(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    v.overwrite_with_gradient = True
    v2 = lib.Variable(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    seen = []
    for g in grads:
        optimizer.apply_gradients([(g, v), (g, v2)])
        seen.append((v.numpy().copy(), v2.numpy().copy()))
    return seen


@pytest.mark.parametrize("steps", [2, 3])
def test_an_overwritten_weight_under_gradient_accumulation_as_keras(keras, steps):
    # between steps the largest gradient so far is kept, the stepping call takes it: edge values include a tie
    grads = [np.full((2, 2), c, np.float32) for c in (1.0, 2.0, 1.0, -3.0, 2.0, 2.0, 0.5)]
    grads[2] = np.array([[5.0, -1.0], [1.0, 1.0]], np.float32)
    theirs, ours = (_overwritten_steps(lib, lib.optimizers.SGD(1.0, gradient_accumulation_steps=steps), grads)
                    for lib in (keras, nnlite))
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_allclose(a, c, rtol=1e-6)
        np.testing.assert_allclose(b, d, rtol=1e-6)
    assert ours[0][0].tolist() == [[1.0, 2.0], [3.0, 4.0]]  # no step yet: the value is left alone


def test_an_overwritten_weight_takes_its_gradient_unscaled_under_loss_scaling(keras):
    grads = [np.array([[1.0, 6.0], [7.0, 2.0]], np.float32), np.array([[np.inf, 1.0], [1.0, 1.0]], np.float32),
             np.array([[0.5, 0.25], [3.0, 8.0]], np.float32)]
    theirs, ours = (_overwritten_steps(lib, lib.optimizers.LossScaleOptimizer(lib.optimizers.SGD(0.5)), grads)
                    for lib in (keras, nnlite))
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_allclose(a, c, rtol=1e-6)
        np.testing.assert_allclose(b, d, rtol=1e-6)
    assert ours[0][0].tolist() == grads[0].tolist()


def _overwritten_layer(lib):
    class Tracked(lib.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="ones")
            self.seen = self.add_weight(shape=(input_shape[-1], 1), initializer="zeros",
                                        overwrite_with_gradient=True)

        def call(self, x):
            return lib.ops.matmul(x, self.w) + lib.ops.matmul(x, self.seen)

    return Tracked()


def test_fit_sets_an_overwritten_weight_to_its_gradient_as_keras(keras):
    x, y = np.ones((4, 2)), np.zeros((4, 1))
    seen = []
    for lib in (keras, nnlite):
        model = lib.Sequential([lib.Input((2,)), _overwritten_layer(lib)])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)
        seen.append([np.asarray(w) for w in model.get_weights()])
    for ours, theirs in zip(seen[1], seen[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("make", [lambda lib: lib.initializers.get(np.arange(6.0).reshape(2, 3))])
def test_an_array_is_an_initializer_as_keras(keras, make):
    values = [np.asarray(make(lib)((2, 3), dtype="float32")) for lib in (keras, nnlite)]
    np.testing.assert_allclose(values[1], values[0])
    assert values[1].dtype == values[0].dtype
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="Expected `shape` to be"):
            make(lib)((3, 2))


def test_text_vectorization_reads_its_vocabulary_from_a_file_as_keras(keras, tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("foo\nbar\nbaz\n")
    outputs = [np.asarray(lib.layers.TextVectorization(vocabulary=str(path), output_mode="int")(
        np.array(["foo bar baz unknown"]))) for lib in (keras, nnlite)]
    np.testing.assert_array_equal(outputs[1], outputs[0])
    assert outputs[1].tolist() == [[2, 3, 4, 1]]
    with pytest.raises(ValueError, match="does not exist"):
        nnlite.layers.TextVectorization(vocabulary=str(tmp_path / "missing.txt"))


def test_from_config_names_the_class_and_config_as_keras(keras):
    """A config the constructor refuses: the constructor's ValueError, and from_config's TypeError that names the
    class and quotes that error (Keras's Operation.from_config); Embedding masks only with mask_zero."""
    for lib in (keras, nnlite):
        for bad in (3.7, True, 0):
            with pytest.raises(ValueError, match="`input_dim` must be a positive integer"):
                lib.layers.Embedding(input_dim=bad, output_dim=8)
        with pytest.raises(TypeError, match=r"(?s)Error when deserializing class 'Embedding' using config=.*"
                                            r"`output_dim` must be a positive integer"):
            lib.layers.Embedding.from_config({"input_dim": 10, "output_dim": 3.7})
        with pytest.raises(TypeError, match=r"Error when deserializing class 'Dense'"):
            lib.layers.Dense.from_config({"units": 2, "no_such_setting": 1})
        assert [lib.layers.Embedding(3, 2, mask_zero=z).supports_masking for z in (False, True)] == [False, True]


def _layer_with_state(lib):
    """A layer keeping, beside its kernel, a NumPy array that is no weight, through Keras's
    save_own_variables/load_own_variables."""
    class Scaled(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.scale = np.ones(2)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="random_normal", name="kernel")

        def call(self, x):
            return lib.ops.matmul(x, self.kernel) * self.scale

        def save_own_variables(self, store):
            super().save_own_variables(store)
            store["scale"] = self.scale

        def load_own_variables(self, store):
            self.scale = np.array(store["scale"])
            super().load_own_variables({key: store[key] for key in store.keys() if key != "scale"})
    return Scaled


@pytest.mark.parametrize("writer", ["keras", "nnlite"])
def test_save_and_load_own_variables_are_the_extension_point_keras_calls(keras, tmp_path, writer):
    """A layer overriding save_own_variables/load_own_variables keeps its extra state through a .keras file, written
    by either library and read by the other (and by itself); the default methods write the own weights as "0", "1",
    ... and refuse a wrong count in Keras's words."""
    libs = {"keras": keras, "nnlite": nnlite}
    first, second = libs[writer], libs["nnlite" if writer == "keras" else "keras"]
    x = np.arange(6.0).reshape(2, 3)
    model = first.Sequential([first.Input((3,)), _layer_with_state(first)(name="scaled")])
    model.layers[0].scale = np.array([2.5, -0.5])
    expected = np.asarray(model.predict(x, verbose=0))
    model.save(tmp_path / "m.keras")
    for lib in (first, second):
        loaded = lib.saving.load_model(tmp_path / "m.keras", custom_objects={"Scaled": _layer_with_state(lib)})
        np.testing.assert_allclose(loaded.layers[0].scale, [2.5, -0.5])
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), expected, rtol=1e-6)
    for lib in (keras, nnlite):
        dense = lib.layers.Dense(2)
        dense.build((None, 3))
        store = {}
        dense.save_own_variables(store)
        assert sorted(store) == ["0", "1"] and np.shape(store["0"]) == (3, 2)
        with pytest.raises(ValueError, match=r"Layer 'dense\w*' expected 2 variables, but received 1 variables during "
                                             r"loading\. Expected: \['kernel', 'bias'\]"):
            dense.load_own_variables({"0": np.ones((3, 2))})
    dense.load_own_variables({"0": np.full((3, 2), 2.0), "1": np.ones(2)})
    np.testing.assert_allclose(dense.get_weights()[0], 2.0)


def test_a_load_own_variables_that_fails_is_a_load_error(tmp_path):
    class Picky(_layer_with_state(nnlite)):
        def load_own_variables(self, store):
            raise KeyError("no such entry")
    model = nnlite.Sequential([nnlite.Input((3,)), Picky(name="picky")])
    model.save(tmp_path / "m.keras")
    with pytest.raises(nnlite.saving.LoadError, match=r"Layer 'picky''s load_own_variables refused what the file "
                                                      r"holds: KeyError"):
        nnlite.saving.load_model(tmp_path / "m.keras", custom_objects={"Picky": Picky})


def _holding_layers(lib, explicit):
    """A layer of one's own whose get_config returns the layers it holds as objects (Keras writes them in its
    dict form); ``explicit``: its from_config deserializes them, as Keras asks."""
    class Factor(lib.layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    class Holder(lib.layers.Layer):
        def __init__(self, first, second=None, **kwargs):
            super().__init__(**kwargs)
            self.first, self.second = first, second if second is not None else lib.layers.Dense(3)

        def call(self, x):
            return self.first(self.second(x))

        def get_config(self):
            return {**super().get_config(), "first": self.first, "second": self.second}

        if explicit:
            @classmethod
            def from_config(cls, config):
                config = dict(config)
                for key in ("first", "second"):
                    config[key] = lib.saving.deserialize_keras_object(config[key])
                return cls(**config)
    return {"Factor": Factor, "Holder": Holder}


@pytest.mark.parametrize("writer", ["keras", "nnlite"])
def test_layers_a_get_config_returns_are_written_in_keras_form(keras, tmp_path, writer):
    """Objects in a get_config of one's own are written in Keras's dict form, so a from_config that deserializes
    them loads the file written by either library; one that does not gets Keras's hint (a LoadError here)."""
    libs = {"keras": keras, "nnlite": nnlite}
    first = libs[writer]
    classes = _holding_layers(first, explicit=True)
    x = np.arange(8.0).reshape(2, 4)
    inputs = first.Input((4,))
    model = first.Model(inputs, classes["Holder"](classes["Factor"](0.5))(inputs))
    expected = np.asarray(model.predict(x, verbose=0))
    model.save(tmp_path / "m.keras")
    for lib in (keras, nnlite):
        loaded = lib.saving.load_model(tmp_path / "m.keras", custom_objects=_holding_layers(lib, explicit=True))
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), expected, rtol=1e-6)
    with pytest.raises(nnlite.saving.LoadError, match="are explicitly deserialized in the model's `from_config"):
        nnlite.saving.load_model(tmp_path / "m.keras", custom_objects=_holding_layers(nnlite, explicit=False))


def _unconfigured(lib):
    """A layer of one's own holding a Dense and writing no get_config (Keras's automatic config)."""
    class Projected(lib.layers.Layer):
        def __init__(self, units, activation=None, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(units, activation=activation)
            self.scale = scale

        def call(self, x):
            return self.dense(x) * self.scale
    return Projected


@pytest.mark.parametrize("writer", ["keras", "nnlite"])
def test_a_layer_without_get_config_is_configured_by_its_arguments_as_keras(keras, tmp_path, writer):
    """Keras keeps the plain arguments of a layer of one's own that writes no get_config as its config: the same
    keys and values here, Model.from_config with custom_objects, a .keras file read both ways (the held Dense
    under the layer's path); an argument that is no plain value makes get_config Keras's NotImplementedError."""
    configs = [_unconfigured(lib)(3, "relu", scale=0.5, name="p").get_config() for lib in (keras, nnlite)]
    assert sorted(configs[1]) == sorted(configs[0])
    assert all(configs[1][key] == configs[0][key] for key in ("units", "activation", "scale", "name", "trainable"))
    libs = {"keras": keras, "nnlite": nnlite}
    first = libs[writer]
    inputs = first.Input((4,))
    model = first.Model(inputs, _unconfigured(first)(3, "tanh", scale=2.0)(inputs))
    x = np.arange(8.0).reshape(2, 4)
    expected = np.asarray(model.predict(x, verbose=0))
    model.save(tmp_path / "m.keras")
    for lib in (keras, nnlite):
        custom = {"Projected": _unconfigured(lib)}
        rebuilt = lib.Model.from_config(model.get_config() if lib is first else
                                        lib.saving.load_model(tmp_path / "m.keras", custom_objects=custom).get_config(),
                                        custom_objects=custom)
        assert tuple(rebuilt.output_shape) == (None, 3)
        loaded = lib.saving.load_model(tmp_path / "m.keras", custom_objects=custom)
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), expected, rtol=1e-6)
        with pytest.raises(NotImplementedError, match="non-serializable argument values in `__init__"):
            _unconfigured(lib)(2, scale=object()).get_config()


def _masked_mean(lib):
    """A pooling layer of one's own that reads the mask its call is handed (keras.io's masking guide shape)."""
    class MaskedMean(lib.layers.Layer):
        def call(self, x, mask=None):
            if mask is None:
                return lib.ops.mean(x, axis=1)
            weights = lib.ops.expand_dims(lib.ops.cast(mask, x.dtype), -1)
            return lib.ops.sum(x * weights, axis=1) / lib.ops.maximum(lib.ops.sum(weights, axis=1), 1.0)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], input_shape[2])
    return MaskedMean


@pytest.mark.parametrize("kind", ["functional", "sequential"])
def test_a_layer_of_your_own_gets_the_mask_in_its_call_as_keras(keras, float64, kind):
    """Keras hands the mask an Embedding(mask_zero=True) makes to the next layer's call when that call takes
    ``mask``: the same predictions, fit and weights (the padding's rows get no gradient) in a model of each kind."""
    def model(lib):
        layers = [lib.layers.Embedding(12, 4, mask_zero=True), _masked_mean(lib)(), lib.layers.Dense(1)]
        if kind == "sequential":
            return lib.Sequential([lib.Input((5,)), *layers])
        ids = lib.Input((5,))
        x = ids
        for layer in layers:
            x = layer(x)
        return lib.Model(ids, x)
    rng = np.random.default_rng(0)
    x = rng.integers(1, 12, size=(16, 5)).astype(float)
    x[np.arange(5)[None, :] >= rng.integers(1, 6, size=16)[:, None]] = 0  # padded at the end
    y = rng.normal(size=(16, 1))
    theirs, ours = model(keras), model(nnlite)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), rtol=1e-9)
    fit_both(keras, theirs, ours, x, y, ("SGD", 0.5), "mse", batch_size=4)


def test_time_distributed_hands_each_step_its_mask_as_keras(keras, float64):
    """TimeDistributed gives step t's mask[:, t] to an inner layer whose call takes mask (Keras's test_masking
    numbers, computed by Keras here), and in a model over token ids of shape (batch, steps, tokens) the masked
    mean per step trains as Keras's."""
    def masked_dense(lib):
        class MaskedDense(lib.layers.Wrapper):
            def __init__(self, units, **kwargs):
                super().__init__(lib.layers.Dense(units, kernel_initializer=lib.initializers.Constant(0.01),
                                                  use_bias=False), **kwargs)

            def call(self, inputs, mask=None):
                out = self.layer(inputs)
                return out if mask is None else out * lib.ops.expand_dims(lib.ops.cast(mask, inputs.dtype), -1)
        return lib.layers.TimeDistributed(MaskedDense(1))
    sequence = np.arange(24.0).reshape((3, 2, 4))
    mask = np.array([[False, True], [True, False], [True, True]])
    outputs = [np.asarray(masked_dense(lib)(sequence, mask=mask)) for lib in (keras, nnlite)]
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-12)
    assert outputs[1][0, 0, 0] == 0.0 and outputs[1][1, 1, 0] == 0.0

    def model(lib):
        ids = lib.Input((3, 4))
        x = lib.layers.Embedding(10, 2, mask_zero=True)(ids)
        x = lib.layers.TimeDistributed(_masked_mean(lib)())(x)
        return lib.Model(ids, lib.layers.Dense(1)(lib.layers.Flatten()(x)))
    rng = np.random.default_rng(1)
    x = rng.integers(0, 10, size=(8, 3, 4)).astype(float)
    x[..., 0] = np.maximum(x[..., 0], 1)  # each step keeps a token
    y = rng.normal(size=(8, 1))
    theirs, ours = model(keras), model(nnlite)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), rtol=1e-9)
    fit_both(keras, theirs, ours, x, y, ("SGD", 0.3), "mse", batch_size=4)


def test_an_input_spec_set_on_a_model_is_checked_as_keras(keras):
    for lib in (keras, nnlite):
        inputs = lib.Input(shape=(None, 3))
        model = lib.Model(inputs, lib.layers.Dense(2)(inputs))
        model.input_spec = lib.InputSpec(shape=(None, 4, 3))
        with pytest.raises(ValueError, match=r"Input 0 with name 'None' of layer 'functional\w*' is incompatible with "
                                             r"the layer: expected shape=\(None, 4, 3\), found shape=\(2, 3, 3\)"):
            model(np.zeros((2, 3, 3)))
        assert tuple(model(np.zeros((2, 4, 3))).shape) == (2, 4, 2)


def test_bidirectional_keeps_the_layer_use_cudnn_as_keras(keras):
    """No config holds use_cudnn, yet Bidirectional's two copies keep the wrapped layer's (Keras's test)."""
    for lib in (keras, nnlite):
        for rnn in (lib.layers.GRU, lib.layers.LSTM):
            for use_cudnn in (True, False, "auto"):
                both = lib.layers.Bidirectional(rnn(1, use_cudnn=use_cudnn))
                assert both.forward_layer.use_cudnn == use_cudnn and both.backward_layer.use_cudnn == use_cudnn
        assert not hasattr(lib.layers.Bidirectional(lib.layers.SimpleRNN(1)).forward_layer, "use_cudnn")


def _lazy_projection(lib):
    """A layer of one's own whose Dense is built at its first real call: its call reads the mask (not traceable
    on symbolic inputs without one), and it says its output shape itself."""
    class LazyProjection(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(3, kernel_initializer=lib.initializers.Constant(0.05))

        def call(self, x, mask=None):
            if mask is None:
                raise ValueError("LazyProjection reads the padding's mask.")
            weights = lib.ops.expand_dims(lib.ops.cast(mask, x.dtype), -1)
            return self.dense(lib.ops.sum(x * weights, axis=1))

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 3)
    return LazyProjection


def test_a_layer_built_at_its_first_call_trains_as_keras(keras, float64):
    """Keras's first training step builds the layers a layer of one's own holds and calls lazily, and its
    optimizer takes their weights too; nnlite's fit does the same (it refused their unknown variables before)."""
    def model(lib):
        ids = lib.Input((4,))
        x = lib.layers.Embedding(6, 2, mask_zero=True)(ids)
        return lib.Model(ids, lib.layers.Dense(1)(_lazy_projection(lib)()(x)))
    rng = np.random.default_rng(2)
    x = rng.integers(0, 6, size=(8, 4)).astype(float)
    x[:, 0] = np.maximum(x[:, 0], 1)
    y = rng.normal(size=(8, 1))
    theirs, ours = model(keras), model(nnlite)
    for mine, other in zip(ours.layers, theirs.layers):
        if other.weights and mine.weights:
            mine.set_weights(other.get_weights())
    assert not ours.layers[2].dense.built
    for lib, m in ((keras, theirs), (nnlite, ours)):
        m.compile(lib.optimizers.SGD(0.2), "mse")
    expected = theirs.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(ours.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"],
                               expected, rtol=1e-9)
    np.testing.assert_allclose(ours.layers[2].dense.get_weights()[0], theirs.layers[2].dense.get_weights()[0],
                               rtol=1e-7)


def _trainable_flags(lib):
    """What freezing and unfreezing show, in one library: each weight's flag and the trainable counts."""
    seen = {}
    dense = lib.layers.Dense(2, trainable=False)
    dense.build((None, 3))
    seen["frozen at birth"] = ([w.trainable for w in dense.weights], len(dense.trainable_weights))
    dense.trainable = True
    seen["thawed"] = [w.trainable for w in dense.weights]
    norm = lib.layers.BatchNormalization()
    norm.build((None, 3))
    norm.trainable = False
    seen["norm frozen"] = [w.trainable for w in norm.weights]
    norm.trainable = True
    seen["norm thawed"] = [w.trainable for w in norm.weights]  # the moving statistics stay non-trainable
    inner = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
    inner.layers[0].trainable = False
    outer = lib.Sequential([inner, lib.layers.Dense(1)])
    seen["kept frozen inside a model"] = (inner.layers[0].trainable, len(outer.trainable_weights))
    outer.trainable = False
    seen["model frozen"] = ([layer.trainable for layer in outer.layers], len(outer.non_trainable_weights))
    return seen


def test_freezing_sets_the_weights_flags_as_keras(keras):
    assert _trainable_flags(nnlite) == _trainable_flags(keras)


def _frozen_inside(lib):
    class Block(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = lib.layers.Dense(3, kernel_initializer="ones")
            self.head = lib.layers.Dense(1, kernel_initializer="ones")

        def call(self, x):
            return self.head(self.inner(x))

    block = Block()
    model = lib.Sequential([lib.Input((2,)), block])
    block.inner.trainable = False
    model.compile(lib.optimizers.AdamW(0.1, weight_decay=0.5), "mse")
    return model, block


def test_a_layer_frozen_inside_a_layer_of_ones_own_is_not_trained_as_keras(keras):
    """The frozen layer's weights leave the model's trainable weights, so no step (weight decay included) moves
    them; the trainable ones train to Keras's values."""
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    results = []
    for lib in (keras, nnlite):
        model, block = _frozen_inside(lib)
        assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
        model.fit(x, y, epochs=2, batch_size=4, verbose=0)
        results.append((np.array(block.inner.kernel.numpy()), np.array(block.head.kernel.numpy())))
    assert (results[1][0] == 1.0).all()
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5)


def _nested_settings(lib, **kwargs):
    """Keras's layer_test shapes: a layer with a trainable and a frozen weight and a SeedGenerator, inside another
    with the same two weights, built (the inner one made in build)."""
    class Inner(lib.layers.Layer):
        def build(self, _):
            self.w1 = self.add_weight(shape=(), initializer="ones", trainable=True)
            self.w2 = self.add_weight(shape=(), initializer="ones", trainable=False)
            self.seed = lib.random.SeedGenerator(123)

        def call(self, inputs):
            return inputs

    class Outer(lib.layers.Layer):
        def build(self, _):
            self.w1 = self.add_weight(shape=(), initializer="ones", trainable=True)
            self.w2 = self.add_weight(shape=(), initializer="ones", trainable=False)
            self.nested = Inner()
            self.nested.build(None)

        def call(self, inputs):
            return inputs

    layer = Outer(**kwargs)
    layer.build(None)
    return layer


def _counts(layer):
    return (len(layer.trainable_weights), len(layer.trainable_variables), len(layer.non_trainable_weights),
            len(layer.non_trainable_variables), layer.w1.trainable, layer.nested.w1.trainable)


@pytest.mark.parametrize("frozen_at_birth", [False, True])
def test_trainable_counts_weights_and_seed_states_as_keras(keras, frozen_at_birth):
    """The counts equal Keras's at each step; the flags follow Keras's setter (each weight made trainable and each
    held layer take the value). Under TensorFlow, setting False again on a layer born frozen does not reach a
    layer its build made (an attribute hook of TensorFlow's backend, not Keras's setter), so flags are checked here
    against the setter's rule."""
    seen = []
    for lib in (keras, nnlite):
        layer = _nested_settings(lib, **({"trainable": False} if frozen_at_birth else {}))
        steps = [_counts(layer)]
        for value in (False, True):
            layer.trainable = value
            steps.append(_counts(layer))
        seen.append(steps)
    assert [step[:4] for step in seen[1]] == [step[:4] for step in seen[0]]
    assert seen[1][1] == (0, 0, 4, 5, False, False)  # frozen: every weight non-trainable, the seed state a variable
    assert seen[1][2] == (2, 2, 2, 3, True, True)

"""keras.saving's API as Keras's own saving tests check it: arguments and their errors, unzipped models,
weights read from a .keras file, objects_to_skip, custom objects (registered, in a scope, or passed to
load_model) and Keras's serialize/deserialize functions."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import nnlite
from nnlite import saving
from nnlite.saving import LoadError

from .conftest import RTOL
from .helpers import assert_close


def model(seed=0):
    nnlite.utils.set_random_seed(seed)
    m = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(4, activation="relu"), nnlite.layers.Dense(1)])
    m.compile("adam", loss="mse")
    return m


X = np.random.default_rng(0).uniform(size=(6, 3)).astype("float32")


def test_save_model_takes_keras_arguments_and_refuses_others(tmp_path):
    m = model()
    with pytest.raises(ValueError, match=r"The following argument\(s\) are not supported: \['random_arg'\]"):
        saving.save_model(m, tmp_path / "m.keras", random_arg=True)
    with pytest.raises(ValueError, match="The `save_format` argument is deprecated"):
        saving.save_model(m, tmp_path / "model.txt", save_format=True)
    with pytest.warns(UserWarning, match="save_format"):
        saving.save_model(m, tmp_path / "m.keras", save_format="keras")
    with pytest.raises(ValueError, match="Invalid filepath extension for saving"):
        m.save(tmp_path / "model.png")
    with pytest.raises(ValueError, match="legacy HDF5"):
        m.save(tmp_path / "model.h5")
    with pytest.raises(ValueError, match="should not end in .keras"):
        m.save(tmp_path / "m2.keras", zipped=False)
    assert not (tmp_path / "model.png").exists() and not (tmp_path / "m2.keras").exists()


def test_an_unzipped_model_is_a_folder_that_loads(tmp_path):
    m = model()
    m.fit(X, X[:, :1], epochs=1, verbose=0)
    m.save(tmp_path / "folder", zipped=False)
    assert sorted(p.name for p in (tmp_path / "folder").iterdir()) == ["config.json", "metadata.json",
                                                                      "model.weights.h5"]
    again = saving.load_model(tmp_path / "folder")
    np.testing.assert_array_equal(again.predict(X, verbose=0), m.predict(X, verbose=0))
    assert again.optimizer.iterations == m.optimizer.iterations


def test_an_unzipped_model_with_a_link_is_refused(tmp_path):
    m = model()
    m.save(tmp_path / "folder", zipped=False)
    (tmp_path / "folder" / "model.weights.h5").unlink()
    (tmp_path / "folder" / "model.weights.h5").symlink_to(tmp_path / "elsewhere.h5")
    with pytest.raises(LoadError, match="not a plain file"):
        saving.load_model(tmp_path / "folder")


def test_include_optimizer_false_leaves_the_optimizer_out(tmp_path):
    m = model()
    m.fit(X, X[:, :1], epochs=1, verbose=0)
    m.save(tmp_path / "m.keras", include_optimizer=False)
    again = saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(again.predict(X, verbose=0), m.predict(X, verbose=0))
    assert int(again.optimizer.iterations) == 0


def test_load_errors_name_the_problem_as_keras_does(tmp_path):
    with pytest.raises(LoadError, match="File not found: filepath=.*nothing.keras"):
        saving.load_model(tmp_path / "nothing.keras")
    with pytest.raises(LoadError, match="File format not supported"):
        saving.load_model(tmp_path / "model.pkl")
    with pytest.raises(ValueError, match="File format not supported"):
        model().load_weights("invalid_extension.pkl")


def test_load_weights_reads_a_keras_file_and_checks_its_arguments(tmp_path):
    source, target = model(0), model(1)
    source.save(tmp_path / "m.keras")
    assert not np.allclose(target.predict(X, verbose=0), source.predict(X, verbose=0))
    target.load_weights(tmp_path / "m.keras")
    np.testing.assert_array_equal(target.predict(X, verbose=0), source.predict(X, verbose=0))
    with pytest.raises(ValueError, match=r"only supports loading '.weights.h5' files"):
        target.load_weights(tmp_path / "m.keras", objects_to_skip=[])
    with pytest.raises(ValueError, match=r"only supports loading legacy '.h5' or '.hdf5' files"):
        target.load_weights(tmp_path / "m.keras", by_name=True)
    with pytest.raises(ValueError, match="Invalid keyword arguments"):
        target.load_weights(tmp_path / "m.keras", colour="red")
    with pytest.raises(ValueError, match=r"must end in `.weights.h5`"):
        source.save_weights(tmp_path / "w.h5")


def test_objects_to_skip_keeps_those_layers_out_of_both_ways(tmp_path):
    source, target = model(0), model(1)
    before = [w.copy() for w in target.layers[0].get_weights()]
    source.save_weights(tmp_path / "w.weights.h5", objects_to_skip=[source.layers[0]])
    target.load_weights(tmp_path / "w.weights.h5", objects_to_skip=[target.layers[0]])
    for kept, original in zip(target.layers[0].get_weights(), before):
        np.testing.assert_array_equal(kept, original)
    for loaded, saved in zip(target.layers[1].get_weights(), source.layers[1].get_weights()):
        np.testing.assert_array_equal(loaded, saved)


def test_a_custom_layer_saves_and_loads_with_custom_objects(tmp_path):
    class Twice(nnlite.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    m = nnlite.Sequential([nnlite.Input((3,)), Twice(), nnlite.layers.Dense(2)])
    m.save(tmp_path / "m.keras")
    with pytest.raises(LoadError, match="Twice"):
        saving.load_model(tmp_path / "m.keras")
    again = saving.load_model(tmp_path / "m.keras", custom_objects={"Twice": Twice})
    assert isinstance(again.layers[0], Twice)
    np.testing.assert_array_equal(again.predict(X, verbose=0), m.predict(X, verbose=0))
    with saving.custom_object_scope({"Twice": Twice}):
        assert isinstance(saving.load_model(tmp_path / "m.keras").layers[0], Twice)


def test_registration_and_serialization_functions(keras):
    @saving.register_keras_serializable()
    def my_fn():
        return 42

    @saving.register_keras_serializable("TestPackage", "CustomName")
    class Other:
        def __init__(self, val):
            self.val = val

        def get_config(self):
            return {"val": self.val}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    assert saving.get_registered_name(my_fn) == "Custom>my_fn"
    assert saving.get_registered_object("Custom>my_fn")() == 42
    assert saving.deserialize_keras_object(saving.serialize_keras_object(my_fn))() == 42
    config = saving.serialize_keras_object(Other(5))
    assert config["class_name"] == "Other" and config["registered_name"] == "TestPackage>CustomName"
    assert saving.deserialize_keras_object(config).val == 5
    assert saving.get_registered_object("TestPackage>CustomName") is Other
    with pytest.raises(ValueError, match="Cannot register a class that does not have a get_config"):
        saving.register_keras_serializable("TestPackage", "TestClass")(type("NoConfig", (), {}))
    # built-in objects and functions read back as Keras writes them
    for obj in (nnlite.layers.Dense(3, activation="relu"), nnlite.optimizers.Adam(0.01), nnlite.losses.Huber()):
        written = saving.serialize_keras_object(obj)
        theirs = keras.saving.serialize_keras_object(keras.saving.deserialize_keras_object(written))
        assert theirs["class_name"] == written["class_name"] and theirs["module"] == written["module"]
        assert type(saving.deserialize_keras_object(written)) is type(obj)
    theirs = keras.saving.serialize_keras_object(keras.losses.mean_squared_error)
    assert saving.deserialize_keras_object(theirs) is nnlite.losses.mean_squared_error


def test_a_custom_object_scope_holds_in_its_thread(keras):
    def custom_fn(x):
        return x

    class CustomClass:
        pass

    seen = []

    def in_thread():
        with saving.custom_object_scope({"CustomClass": CustomClass, "custom_fn": custom_fn}):
            seen.append(nnlite.activations.get("custom_fn") == custom_fn)
            seen.append(type(nnlite.regularizers.get("CustomClass")) is CustomClass)
        seen.append(saving.get_registered_object("custom_fn") is None)

    with saving.custom_object_scope({"custom_fn": custom_fn}):
        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
        assert saving.get_registered_object("custom_fn") is custom_fn
    assert seen == [True, True, True]
    assert saving.get_registered_object("custom_fn") is None
    assert nnlite.utils.custom_object_scope is saving.custom_object_scope


def _subclassed(lib):
    """A subclassed model holding a layer of its own (a list of layers, a private one, a weight of its own), a
    head, and the head again under a second name."""
    class Blocks(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.stack = [lib.layers.Dense(4, activation="tanh"), lib.layers.Dense(4)]
            self._norm = lib.layers.LayerNormalization()

        def build(self, input_shape):
            self.gain = self.add_weight(shape=(4,), initializer="random_normal", name="gain")

        def call(self, x):
            for layer in self.stack:
                x = layer(x)
            return self._norm(x) * self.gain

    class Net(lib.Model):
        def __init__(self):
            super().__init__()
            self.blocks = Blocks()
            self.head = lib.layers.Dense(2)
            self.shared = self.head  # reached twice: kept once, at its first path

        def call(self, x):
            return self.head(self.blocks(x))
    return Net()


def _datasets(path):
    import h5py
    found = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: found.append(name) if isinstance(item, h5py.Dataset) else None)
    return sorted(found)


def test_a_subclassed_model_weights_file_has_keras_layout_both_ways(keras, tmp_path):
    """Keras lays out a subclassed model's weights by walking its attributes (sorted, private ones last; lists as
    <attribute>/<class>[_n]; a layer once): nnlite writes the same datasets, and each library reads the other's
    file to the same predictions."""
    theirs, ours = _subclassed(keras), _subclassed(nnlite)
    theirs(X)
    ours(X)
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    ours.save_weights(tmp_path / "ours.weights.h5")
    assert _datasets(tmp_path / "ours.weights.h5") == _datasets(tmp_path / "theirs.weights.h5")
    assert "blocks/stack/dense_1/vars/0" in _datasets(tmp_path / "ours.weights.h5")
    expected = np.asarray(theirs.predict(X, verbose=0))
    ours.load_weights(tmp_path / "theirs.weights.h5")
    assert_close(ours.predict(X, verbose=0), expected, RTOL["float32"], "nnlite reads Keras's file")
    other = _subclassed(nnlite)
    other(X)
    other.save_weights(tmp_path / "other.weights.h5")
    theirs.load_weights(tmp_path / "other.weights.h5")
    assert_close(np.asarray(theirs.predict(X, verbose=0)), other.predict(X, verbose=0), RTOL["float32"],
                 "Keras reads nnlite's file")


def _over_a_graph(lib):
    """Keras's model_test shape: a Model subclass built on inputs and outputs, with a setting of its own."""
    class OverGraph(lib.Model):
        def __init__(self, *args, param=1, **kwargs):
            super().__init__(*args, **kwargs)
            self.param = param

        def get_config(self):
            return super().get_config() | {"param": self.param}
    return OverGraph


@pytest.mark.parametrize("writer", ["keras", "nnlite"])
def test_a_subclass_built_on_a_graph_has_a_functional_config_as_keras(keras, tmp_path, writer):
    """CustomModel(inputs, outputs): get_config is the graph's functional config (with the subclass's additions),
    from_config rebuilds the subclass on the graph, and its .keras file loads in either library with the class
    passed in custom_objects, predicting the same."""
    libs = {"keras": keras, "nnlite": nnlite}
    first = libs[writer]
    inputs = first.Input((3,))
    model = _over_a_graph(first)(inputs=inputs, outputs=first.layers.Dense(5)(inputs), param=3)
    keys = sorted(model.get_config())
    assert keys == ["input_layers", "layers", "name", "output_layers", "param", "trainable"]
    model.save(tmp_path / "m.keras")
    expected = np.asarray(model.predict(X, verbose=0))
    for lib in (keras, nnlite):
        cls = _over_a_graph(lib)
        again = cls.from_config(model.get_config()) if lib is first else None
        assert again is None or (type(again) is cls and again.param == 3)
        loaded = lib.saving.load_model(tmp_path / "m.keras", custom_objects={"OverGraph": cls})
        assert type(loaded) is cls and loaded.param == 3
        assert_close(np.asarray(loaded.predict(X, verbose=0)), expected, RTOL["float32"], f"{lib.__name__} loads it")


def _task_on_a_backbone(lib):
    """Keras's saving_api_test: a graph-built backbone holding a decoder outside its graph, used by a task model."""
    class Backbone(lib.Model):
        def __init__(self):
            decoder, encoder = lib.layers.Dense(2, name="decoder"), lib.layers.Dense(4, name="encoder")
            inputs = lib.layers.Input((3,))
            super().__init__(inputs, encoder(inputs))
            self.decoder = decoder

    class Task(lib.Model):
        def __init__(self, backbone):
            inputs = backbone.input
            super().__init__(inputs, backbone.decoder(backbone(inputs)))
            self.backbone = backbone
    task = Task(Backbone())
    task(np.ones((1, 3)))
    return task


def test_graph_built_subclasses_nest_in_keras_layout_and_skip_objects(keras, tmp_path):
    """A task built on a backbone's input and output: the weights file has Keras's datasets (the decoder once,
    under the backbone that holds it), each library reads the other's, and objects_to_skip keeps the backbone's
    own weights (Keras's test_objects_to_skip_with_functional_subclass_attribute_layer)."""
    theirs, ours = _task_on_a_backbone(keras), _task_on_a_backbone(nnlite)
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    ours.save_weights(tmp_path / "ours.weights.h5")
    assert _datasets(tmp_path / "ours.weights.h5") == _datasets(tmp_path / "theirs.weights.h5")
    x = np.ones((2, 3))
    fresh = _task_on_a_backbone(nnlite)
    fresh.load_weights(tmp_path / "theirs.weights.h5")
    assert_close(fresh.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), RTOL["float32"], "read")
    kernel = np.array(fresh.backbone.decoder.kernel.numpy())
    other = _task_on_a_backbone(nnlite)
    other.save_weights(tmp_path / "other.weights.h5")
    fresh.load_weights(tmp_path / "other.weights.h5", objects_to_skip=[fresh.backbone, fresh.backbone.decoder])
    np.testing.assert_array_equal(fresh.backbone.decoder.kernel.numpy(), kernel)
    theirs.load_weights(tmp_path / "other.weights.h5")
    assert_close(np.asarray(theirs.predict(x, verbose=0)), other.predict(x, verbose=0), RTOL["float32"], "Keras")


def _nested_containers(lib):
    """Keras's saving_lib_test shapes: layers in lists, tuples and dicts nested in each other (a container holding
    itself too), in a subclassed model with a plain setting of its own and no get_config."""
    class Nested(lib.Model):
        def __init__(self, width=4, **kwargs):
            super().__init__(**kwargs)
            self.width = width
            self.out_layer = lib.layers.Dense(2)
            self.blocks = [[lib.layers.Dense(width), lib.layers.Dense(3)],
                           {"b": (lib.layers.Dense(3), [lib.layers.Dense(3)]), "a": lib.layers.Dense(3)}]
            self.loop = []
            self.loop.append(self.loop)

        def call(self, x):
            first, second = self.blocks
            for layer in (*first, second["b"][0], second["b"][1][0], second["a"]):
                x = layer(x)
            return self.out_layer(x)
    return Nested


def test_layers_nested_in_containers_are_tracked_and_saved_in_keras_layout(keras, tmp_path):
    """Layers at any depth of lists, tuples and dicts are the model's (weights, training) and a weights file lays
    them out as Keras's does (<attribute>/container[_n]/<class>[_n]); each library reads the other's file."""
    theirs, ours = _nested_containers(keras)(), _nested_containers(nnlite)()
    theirs(X)
    ours(X)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    ours.save_weights(tmp_path / "ours.weights.h5")
    assert _datasets(tmp_path / "ours.weights.h5") == _datasets(tmp_path / "theirs.weights.h5")
    assert "blocks/container_1/container/container/dense/vars/0" in _datasets(tmp_path / "ours.weights.h5")
    ours.load_weights(tmp_path / "theirs.weights.h5")
    assert_close(ours.predict(X, verbose=0), np.asarray(theirs.predict(X, verbose=0)), RTOL["float32"],
                 "nnlite reads Keras's file")
    before = [w.numpy().copy() for w in ours.weights]
    ours.compile(nnlite.optimizers.SGD(0.1), "mse")
    ours.fit(X, np.ones((len(X), 2)), epochs=1, verbose=0)
    assert all(not np.array_equal(a, w.numpy()) for a, w in zip(before, ours.weights))  # every layer trained


@pytest.mark.parametrize("writer", ["keras", "nnlite"])
def test_a_subclassed_model_without_get_config_saves_its_constructor_arguments_as_keras(keras, tmp_path, writer):
    """Keras's automatic config: a subclassed model whose constructor takes plain values is written with them and
    made again by cls(**config); its .keras file (nested containers and all) loads in either library. (Keras 3.15
    notes a subclassed model's defaults, not the values it was given: width=5 is written as 4 there, so Keras
    writes a model at its defaults here; nnlite writes the values given, which Keras reads back.)"""
    libs = {"keras": keras, "nnlite": nnlite}
    classes = {lib: _nested_containers(lib) for lib in (keras, nnlite)}
    configs = {lib: classes[lib](name="nested").get_config() for lib in (keras, nnlite)}
    assert configs[nnlite] == configs[keras]
    assert classes[nnlite](width=5).get_config()["width"] == 5
    width = 4 if writer == "keras" else 5
    model = classes[libs[writer]](width=width, name="nested")
    model(X)
    model.save(tmp_path / "m.keras")
    expected = np.asarray(model.predict(X, verbose=0))
    for lib in (keras, nnlite):
        loaded = lib.saving.load_model(tmp_path / "m.keras", custom_objects={"Nested": classes[lib]})
        assert type(loaded) is classes[lib] and loaded.width == width and loaded.name == "nested"
        assert_close(np.asarray(loaded.predict(X, verbose=0)), expected, RTOL["float32"], f"{lib.__name__} loads it")


def test_a_subclassed_model_made_from_objects_has_no_automatic_config(keras):
    def made(lib):
        class Holder(lib.Model):
            def __init__(self, head):
                super().__init__()
                self.head = head

            def call(self, x):
                return self.head(x)
        return Holder(lib.layers.Dense(2))

    for lib in (keras, nnlite):
        with pytest.raises(NotImplementedError, match="must override `get_config\\(\\)`"):
            made(lib).get_config()


def test_classes_of_one_name_in_two_packages_are_told_apart_by_their_registered_names(keras, tmp_path):
    """Keras keys registrations by "package>name": two classes named alike (and one named as a built-in layer)
    each save and load as themselves, and the built-in keeps its name."""
    def scale(lib, package, k):
        @lib.saving.register_keras_serializable(package=package)
        class Scale(lib.layers.Layer):
            def call(self, x):
                return x * k
        return Scale

    @saving.register_keras_serializable(package="mine")
    class Dense(nnlite.layers.Layer):
        def call(self, x):
            return x + 1.0

    first, second = scale(nnlite, "first", 2.0), scale(nnlite, "second", 3.0)
    for cls, package in ((first, "first"), (second, "second")):
        assert saving.get_registered_name(cls) == keras.saving.get_registered_name(scale(keras, package, 1.0))
    assert saving.get_registered_name(Dense) == "mine>Dense"
    inputs = nnlite.Input((3,))
    model = nnlite.Model(inputs, Dense()(second()(first()(nnlite.layers.Dense(3)(inputs)))))
    model.save(tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    assert [type(layer) for layer in loaded.layers[1:]] == [nnlite.layers.Dense, first, second, Dense]
    assert_close(loaded.predict(X, verbose=0), model.predict(X, verbose=0), 1e-7, "reloaded")
    assert type(nnlite.layers.deserialize({"class_name": "Dense", "config": {"units": 2}})) is nnlite.layers.Dense


def _own_activations(lib):
    """Dense layers whose activations are a registered function of one's own, a plain one (passed in
    custom_objects) and a layer with settings, as Keras's serialization_lib_test gives them."""
    @lib.saving.register_keras_serializable(package="activations_of_ones_own")
    def cube(x):
        return x * x * x

    def halve(x):
        return x * 0.5

    inputs = lib.Input((3,))
    h = lib.layers.Dense(4, activation=cube)(inputs)
    h = lib.layers.Dense(4, activation=lib.layers.LeakyReLU(negative_slope=0.15, name="leaky"))(h)
    return lib.Model(inputs, lib.layers.Dense(2, activation=halve)(h)), halve


@pytest.mark.parametrize("writer", ["keras", "nnlite"])
def test_activations_of_ones_own_are_written_as_keras_writes_them(keras, tmp_path, writer):
    """A function of one's own is written as Keras's function entry (its registered name), a layer given as the
    activation as its config; the file loads in either library (the unregistered function through
    custom_objects), predicting the same."""
    models = {lib: _own_activations(lib) for lib in (keras, nnlite)}
    configs = {lib: [layer.get_config()["activation"] for layer in models[lib][0].layers[1:]]
               for lib in (keras, nnlite)}
    for ours, theirs in zip(configs[nnlite], configs[keras]):
        if isinstance(theirs, dict) and theirs.get("class_name") == "LeakyReLU":
            assert ours["config"]["negative_slope"] == theirs["config"]["negative_slope"]
            assert ours["config"]["name"] == theirs["config"]["name"] == "leaky"
        else:
            assert ours == theirs
    assert configs[nnlite][0]["config"] == "activations_of_ones_own>cube"
    libs = {"keras": keras, "nnlite": nnlite}
    model = models[libs[writer]][0]
    model.save(tmp_path / "m.keras")
    expected = np.asarray(model.predict(X, verbose=0))
    for lib in (keras, nnlite):
        loaded = lib.saving.load_model(tmp_path / "m.keras", custom_objects={"halve": models[lib][1]})
        assert_close(np.asarray(loaded.predict(X, verbose=0)), expected, RTOL["float32"], f"{lib.__name__} loads it")


def test_a_lambda_is_written_as_keras_writes_it_and_never_read(keras):
    """Keras writes a lambda's bytecode (loaded only with safe_mode=False); nnlite writes the same entry and refuses
    to read it, as Keras's safe mode does (its words: arbitrary code execution)."""
    config = nnlite.layers.Dense(2, activation=lambda x: x * 2).get_config()
    assert config["activation"]["class_name"] == "__lambda__"
    entry = saving.serialize_keras_object({"activation": lambda x: x * 2})
    assert entry["activation"]["class_name"] == keras.saving.serialize_keras_object(lambda x: x)["class_name"]
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="arbitrary code execution"):
            lib.saving.deserialize_keras_object(entry)
    with pytest.raises(TypeError, match="arbitrary code execution"):  # Keras's from_config wraps the error so
        nnlite.layers.Dense.from_config(config)


SPECIAL_VALUES = [b"hello", np.array([0, 1]), np.array([[0.5, 1.0]], np.float32), slice(None, 20, 1),
                  slice(2, np.array([0, 1]), None), Ellipsis, {"inner": {"x": np.array([1.5])}, "n": 3},
                  ["a", b"b", np.float32(2.0)]]


@pytest.mark.parametrize("value", range(len(SPECIAL_VALUES)))
def test_values_json_cannot_hold_are_written_as_keras_writes_them(keras, value):
    """bytes, arrays, slices and the Ellipsis: serialize_keras_object's entries equal Keras's, and each library reads
    the other's entries back to the value (through JSON, as a file holds them)."""
    import json

    obj = SPECIAL_VALUES[value]
    ours = json.loads(json.dumps(saving.serialize_keras_object(obj)))
    theirs = json.loads(json.dumps(keras.saving.serialize_keras_object(obj)))
    assert ours == theirs
    for back in (saving.deserialize_keras_object(theirs), keras.saving.deserialize_keras_object(ours)):
        assert repr(saving.serialize_keras_object(back)) == repr(saving.serialize_keras_object(obj))


def test_a_tensor_is_written_as_a_tensor_entry_and_read_back_as_one(keras):
    x = nnlite.ops.convert_to_tensor(np.array([[1.25, -2.0]], np.float64))
    entry = saving.serialize_keras_object({"x": x})
    assert entry == keras.saving.serialize_keras_object({"x": keras.ops.convert_to_tensor(np.asarray(x))})
    back = saving.deserialize_keras_object(entry)["x"]
    assert type(back) is type(x) and back.dtype == np.float64 and back.tolist() == [[1.25, -2.0]]


BAD_ENTRIES = [
    ({"class_name": "function", "config": ["not", "a", "string"]}, TypeError,
     "Expected 'config' to be a non-null str"),
    ({"class_name": "Dense", "config": [1, 2, 3]}, TypeError, "Expected 'config' to be a dict"),
    ({"class_name": "function", "module": "builtins", "registered_name": "other", "config": "relu"}, ValueError,
     "resolved to a Keras built-in"),
    ({"class_name": "Dense", "module": "keras.layers", "registered_name": "subprocess.Popen", "config": {"units": 1}},
     ValueError, "resolved to a Keras built-in"),
    ({"class_name": "Sequential", "module": "keras", "config": {"layers": []}}, ValueError,
     "must be a dictionary containing the 'name' and 'layers' keys"),
    ({"class_name": "Sequential", "module": "keras", "config": {"name": "s", "layers": [{}]}}, ValueError,
     "Expected a dictionary containing a 'config' key"),
]


@pytest.mark.parametrize("case", range(len(BAD_ENTRIES)))
def test_malformed_entries_are_refused_in_keras_words(keras, case):
    entry, error, words = BAD_ENTRIES[case]
    for lib in (keras, nnlite):
        with pytest.raises(error, match=words):
            lib.saving.deserialize_keras_object(entry)


def test_entries_keras_reads_are_read(keras):
    """An empty registered name is none; a registered function written by its plain name (as Keras 3.6 wrote it) is
    found by that name."""
    entry = {"class_name": "Dense", "module": "keras.layers", "registered_name": "", "config": {"units": 1}}
    assert type(saving.deserialize_keras_object(entry)) is nnlite.layers.Dense

    @saving.register_keras_serializable(package="written_by_keras_36")
    def squared(x):
        return x * x

    for name in ("squared", "written_by_keras_36>squared"):
        found = saving.deserialize_keras_object({"module": "builtins", "class_name": "function", "config": name,
                                                  "registered_name": "function"})
        assert found is squared

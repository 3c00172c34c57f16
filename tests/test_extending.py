"""Adding an activation, a loss, an optimizer with a state slot and a layer, each defined once below,
with no edit anywhere else: they work by name in compile and fit, in check_gradients, in trace,
and through .keras files. They stay registered for the session, so the tests parametrised over the
registries that are collected after this module (layer contract, gradient checks, extreme inputs)
check them too."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import nnlite
from nnlite.activations import ACTIVATIONS, Activation
from nnlite.layers import LAYERS, Layer
from nnlite.losses import LOSSES, Loss
from nnlite.optimizers import OPTIMIZERS, Optimizer

from .conftest import RTOL, require
from .helpers import assert_close, fit_both


@ACTIVATIONS.register()
class Cube(Activation):
    """a = z^3;  da/dz = 3 z^2."""

    name = "cube"

    def forward(self, z):
        return z**3

    def backward(self, z, a, grad_a):
        return grad_a * 3 * z * z


@LOSSES.register("quartic")
class QuarticError(Loss):
    """v = mean((p - y)^4);  dv/dp = 4 (p - y)^3 / k."""

    def __init__(self, reduction="sum_over_batch_size", name="quartic_error", dtype=None):
        super().__init__(name, reduction, dtype)

    def call(self, y, p):
        return np.mean((p - y) ** 4, axis=-1)

    def grad(self, y, p):
        return 4 * (p - y) ** 3 / p.shape[-1]


@OPTIMIZERS.register("heavy_ball")
class HeavyBall(Optimizer):
    """v <- beta v + g;  w <- w - lr v (a state slot "velocity" per weight)."""

    def __init__(self, learning_rate=0.001, beta: float = 0.5, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta = beta

    def slot_layout(self):
        return [("velocity",)]

    def update(self, w, g, lr, state):
        v = state["velocity"]
        v *= self.beta
        v += g
        w -= lr * v

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


@LAYERS.register()
class Scale(Layer):
    """a = x * s, a trainable scale s (features,);  grad_s = sum over the batch of grad_a * x;  grad_x = grad_a * s."""

    def __init__(self, initial: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial

    def build(self, input_shape):
        self.scale = self.add_weight((input_shape[-1],), nnlite.initializers.Constant(self.initial), name="scale")
        super().build(input_shape)

    def forward(self, x, ctx):
        return x * self.scale.value, x

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        np.sum(grad_a * saved, axis=0, out=ctx.grad(self.scale))
        return grad_a * self.scale.value

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


def _model():
    init = nnlite.initializers.GlorotUniform(seed=3)
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(4, activation="cube", kernel_initializer=init),
                               Scale(initial=0.5), nnlite.layers.Dense(2, kernel_initializer=init)])
    model.compile(optimizer="heavy_ball", loss="quartic")
    return model


def test_new_pieces_work_by_name_in_fit_and_the_gradient_check(float64, rng):
    model = _model()
    assert isinstance(model.optimizer, HeavyBall) and isinstance(model.loss, QuarticError)
    x, y = rng.normal(size=(12, 3)) * 0.5, rng.normal(size=(12, 2)) * 0.5
    errors = nnlite.utils.check_gradients(model, x, y)
    assert max(errors.values()) < 1e-6 and "scale/scale" in errors
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 3 and np.all(np.isfinite(history.history["loss"]))
    slots = [v.name for v in model.optimizer.variables]
    assert f"{model.name}_scale_scale_velocity" in slots  # Keras's naming of the declared slot


def test_trace_shows_the_new_layer_and_its_update(float64, rng):
    model = _model()
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    model.fit(x, y, epochs=1, batch_size=2, verbose=0)  # a velocity that is not zero
    before = model.get_weights()
    trace = model.trace(x, y)
    model.fit(x, y, epochs=1, batch_size=6, shuffle=False, verbose=0)
    step = model.get_weights()[2] - before[2]
    assert_close(trace["scale"]["update scale"], step, 1e-12)
    assert_close(trace["scale"]["a"], trace["scale"]["x"] * before[2], 1e-12)


def test_new_pieces_travel_through_keras_files(float64, rng, tmp_path):
    require("h5py")
    model = _model()
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    model.save(tmp_path / "custom.keras")
    back = nnlite.models.load_model(tmp_path / "custom.keras")
    assert [type(layer).__name__ for layer in back.layers] == ["Dense", "Scale", "Dense"]
    assert back.layers[0].activation == Cube() and back.layers[1].initial == 0.5
    assert isinstance(back.optimizer, HeavyBall) and isinstance(back.loss, QuarticError)
    assert_close(back.predict(x, verbose=0), model.predict(x, verbose=0), 1e-15)
    for mine, theirs in zip(model.optimizer.variables, back.optimizer.variables):
        assert_close(theirs.numpy(), mine.numpy(), 1e-15, mine.name)
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    back.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)  # resumes with the same velocity
    for a, b in zip(back.get_weights(), model.get_weights()):
        assert_close(a, b, 1e-15)


def keras_style_optimizer(lib):
    """An optimizer written as Keras's guide writes one (build with add_variable_from_reference, update_step with
    assign/assign_sub and ops), the same source for Keras and nnlite: Adam-like with a bias-free second moment."""

    class Steady(lib.optimizers.Optimizer):
        def __init__(self, learning_rate=0.01, beta=0.9, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)
            self.beta = beta

        def build(self, var_list):
            if self.built:
                return
            super().build(var_list)
            self.moments = [self.add_variable_from_reference(v, "moment") for v in var_list]
            self.squares = [self.add_variable_from_reference(v, "square", initializer="ones") for v in var_list]

        def update_step(self, gradient, variable, learning_rate):
            k = self._get_variable_index(variable)
            m, s = self.moments[k], self.squares[k]
            self.assign(m, lib.ops.add(lib.ops.multiply(m, self.beta), gradient))
            self.assign_add(s, lib.ops.square(gradient))
            self.assign_sub(variable, lib.ops.divide(lib.ops.multiply(m, learning_rate), lib.ops.sqrt(s)))

    return Steady


def test_an_optimizer_written_for_keras_steps_as_in_keras(keras, float64, rng):
    """build adds state with add_variable_from_reference (named after the variable's path, in creation order),
    update_step changes one variable: the same class in Keras and nnlite gives the same weights and state after
    a fit of two epochs; nnlite's own optimizers answer update_step too (one variable's step)."""
    x, y = rng.normal(size=(24, 3)), rng.normal(size=(24, 1))

    def model(lib):
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="tanh"), lib.layers.Dense(1)])
    theirs, ours = model(keras), model(nnlite)
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras_style_optimizer(keras)(0.05), "mse")
    ours.compile(keras_style_optimizer(nnlite)(0.05), "mse")
    expected = theirs.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    history = ours.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    assert_close(history["loss"], expected["loss"], 1e-9, "loss")
    for w, e in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(w, e, 1e-9, "weights")
    assert [v.shape for v in ours.optimizer.variables] == [tuple(v.shape) for v in theirs.optimizer.variables]
    assert [v.name.split("_")[-2:] for v in ours.optimizer.variables[2:]] == [
        ["kernel", "moment"], ["bias", "moment"]] * 2 + [["kernel", "square"], ["bias", "square"]] * 2
    for a, b in zip(ours.optimizer.variables[2:], theirs.optimizer.variables[2:]):
        assert_close(a.numpy(), np.asarray(b.numpy()), 1e-9, b.name)
    w = nnlite.Variable(np.array([1.0, 2.0]))
    sgd = nnlite.optimizers.SGD(0.1, momentum=0.5)
    sgd.build([w])
    sgd.update_step(np.array([1.0, 1.0]), w, 0.1)
    assert_close(w.numpy(), [0.9, 1.9], 1e-15, "SGD.update_step")


def test_a_layer_of_your_own_takes_constant_keywords_in_a_graph_as_keras(keras, float64, rng, tmp_path):
    """Shift()(h, flag=True) in a functional graph: the keyword reaches call at every pass (traced or run as
    written), predictions and a fit equal Keras's, the keyword is written into the file's node as Keras writes it
    and read back both ways; one layer called with two different sets of keywords is refused."""
    def build(lib, registered):
        x = lib.Input((3,))
        h = lib.layers.Dense(4, name="d1")(x)
        h = registered(name="shift")(h, offset=2.5, negate=True)
        return lib.Model(x, lib.layers.Dense(1, name="d2")(h))

    made = {}
    for lib in (keras, nnlite):
        @lib.saving.register_keras_serializable(package="kw_test")
        class Shift(lib.layers.Layer):
            def call(self, x, offset=0.0, negate=False):
                return -(x + offset) if negate else x + offset

        made[lib] = (Shift, build(lib, Shift))
    (_, theirs), (Shift, ours) = made[keras], made[nnlite]
    ours.set_weights(theirs.get_weights())
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 1))
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "keywords")
    ours.save(tmp_path / "n.keras")
    theirs.save(tmp_path / "k.keras")
    node = [e for e in json.loads(zipfile.ZipFile(tmp_path / "n.keras").read("config.json"))["config"]["layers"]
            if e["name"] == "shift"][0]["inbound_nodes"][0]
    assert node["kwargs"] == {"offset": 2.5, "negate": True}
    assert_close(keras.models.load_model(tmp_path / "n.keras").predict(x, verbose=0), theirs.predict(x, verbose=0),
                 RTOL["float64"], "nnlite's file in Keras")
    read = nnlite.models.load_model(tmp_path / "k.keras")
    assert_close(read.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "Keras's file in nnlite")
    fit_both(keras, theirs, ours, x, y, ("SGD", 0.05), "mse", batch_size=3)
    shift = Shift()
    shift(nnlite.Input((3,)), offset=1.0)
    for other in ({"offset": 2.0}, {}):
        with pytest.raises(ValueError, match="one set of keywords"):
            shift(nnlite.Input((3,)), **other)
    with pytest.raises(ValueError, match="got keyword arguments"):
        Shift()(nnlite.Input((3,)), offset=np.ones(3))  # an array is no constant a file's node holds


def test_a_layer_that_counts_its_calls_counts_the_batches_as_keras(keras):
    """A layer of your own that assigns to a weight in call (a counter): working out its output shape when the
    graph is built leaves no trace (Keras's probe is stateless too), so a fit of 4 batches counts 4 in both."""
    counts = []
    for lib in (keras, nnlite):
        class Counter(lib.layers.Layer):
            def build(self, shape):
                self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

            def call(self, x):
                self.count.assign(self.count + 1)
                return x

        x = lib.Input((1,))
        counter = Counter()
        model = lib.Model(x, lib.layers.Dense(1)(counter(x)))
        model.compile("sgd", "mse")
        model.fit(np.ones((8, 1)), np.ones((8, 1)), batch_size=2, verbose=0)
        counts.append(float(np.asarray(counter.count)))
    assert counts == [4.0, 4.0]


@pytest.mark.filterwarnings("ignore:The model does not have any trainable weights")
def test_a_model_whose_call_assigns_runs_as_written_and_counts_every_batch(keras):
    """Keras's test_model_state_is_current_on_epoch_end: a subclassed model whose call adds 1 to a variable of its
    own; a fixed graph would not repeat the assignment, so nnlite runs such a call as written, and each batch's end
    sees the count Keras's does (1, 2, 3, 4)."""
    for lib in (keras, nnlite):
        seen = []

        class Counting(lib.Model):
            def __init__(self):
                super().__init__()
                self.iterations = self.add_variable(shape=(), initializer="zeros", trainable=False)

            def call(self, inputs):
                self.iterations.assign(self.iterations + 1)
                return inputs

        class Watch(lib.callbacks.Callback):
            def __init__(self, seen):
                super().__init__()
                self.seen = seen

            def on_batch_end(self, batch, logs=None):
                self.seen.append((int(np.asarray(self.model.iterations)), batch + 1))

        model = Counting()
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.random.random((8, 1)), np.random.random((8, 1)), callbacks=[Watch(seen)], batch_size=2, verbose=0)
        assert seen == [(1, 1), (2, 2), (3, 3), (4, 4)], lib.__name__

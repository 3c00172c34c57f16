"""Keras's extension points on nnlite's tape, against Keras 3 (TensorFlow) run in the test, float64 to 1e-9:
a custom Dense-like layer with its own weights through ops, a Loss subclass with only call, add_loss, a
custom train_step (gradient clipping inside it) and test_step, CustomModel(inputs, outputs), compile without
a loss, and a training loop of your own with GradientTape and apply_gradients."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close


def _linear(lib):
    class Linear(lib.layers.Layer):
        """a = x @ w + b, with its own weights used through ops (the subclassing guide's layer)."""

        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            self.add_loss(1e-2 * lib.ops.sum(lib.ops.square(self.w)))
            return lib.ops.matmul(inputs, self.w) + self.b

    return Linear


def _quartic(lib):
    class Quartic(lib.losses.Loss):
        """v = mean((p - y)^4) over the last axis: only call, as Keras users write losses."""

        def call(self, y_true, y_pred):
            return lib.ops.mean(lib.ops.square(lib.ops.square(y_pred - y_true)), axis=-1)

    return Quartic


def _model(lib, x):
    inputs = lib.Input((x.shape[1],))
    h = _linear(lib)(5)(inputs)
    h = lib.layers.Activation("tanh")(h)
    return lib.Model(inputs, lib.layers.Dense(1)(h))


def _same_weights(theirs, ours):
    ours.set_weights(theirs.get_weights())


def _fit_and_compare(theirs, ours, x, y, batch_size, epochs):
    """Fit both models on the same batches in order; every History entry and every weight agree (float64)."""
    h_theirs = theirs.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    assert set(h_ours.history) == set(h_theirs.history)
    for key, values in h_theirs.history.items():
        assert_close(h_ours.history[key], values, RTOL["float64"], key)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(a, b, RTOL["float64"], "weights")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_custom_layer_and_a_loss_subclass_train_as_in_keras(keras, float64, rng, optimizer):
    x, y = rng.normal(size=(24, 3)), rng.normal(size=(24, 1))
    theirs, ours = _model(keras, x), _model(nnlite, x)
    _same_weights(theirs, ours)
    theirs.compile(optimizer=optimizer, loss=_quartic(keras)(), metrics=["mae"])
    ours.compile(optimizer=optimizer, loss=_quartic(nnlite)(), metrics=["mae"])
    _fit_and_compare(theirs, ours, x, y, batch_size=6, epochs=3)
    ours(x[:2])
    assert len(ours.losses) == 1 and len(theirs.losses) == 1  # the add_loss of the last call


def _clipping_model(lib):
    class Clipped(lib.Model):
        """train_step written with the tape, the gradients clipped by their global norm inside it."""

        def train_step(self, data):
            x, y = data
            with tape_of(lib)() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            norm = lib.ops.sqrt(sum(lib.ops.sum(lib.ops.square(g)) for g in grads))
            scale = lib.ops.minimum(1.0, 0.5 / norm)
            self.optimizer.apply([g * scale for g in grads], self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    return Clipped


def tape_of(lib):
    if lib is nnlite:
        return nnlite.GradientTape
    import tensorflow as tf

    return tf.GradientTape


def test_a_custom_train_step_with_clipping_on_a_functional_subclass_as_in_keras(keras, float64, rng):
    x = rng.normal(size=(20, 4))
    y = (x[:, :1] > 0).astype(float)

    def build(lib):
        inputs = lib.Input((4,))
        h = lib.layers.Dense(6, activation="relu")(inputs)
        return _clipping_model(lib)(inputs, lib.layers.Dense(1, activation="sigmoid")(h))

    theirs, ours = build(keras), build(nnlite)
    _same_weights(theirs, ours)
    for m in (theirs, ours):
        m.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    _fit_and_compare(theirs, ours, x, y, batch_size=5, epochs=3)
    assert_close(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), RTOL["float64"], "evaluate")


def test_the_default_step_on_the_tape_equals_the_fused_fit(float64, rng):
    """Model.train_step (the tape) and fit's fused loop give the same weights, batch after batch."""
    x, y = rng.normal(size=(12, 3)), rng.integers(0, 3, size=12)

    def build():
        init = nnlite.initializers.GlorotUniform(seed=1)
        hidden = nnlite.layers.Dense(4, activation="relu", kernel_initializer=init, kernel_regularizer="l2")
        model = nnlite.Sequential([nnlite.Input((3,)), hidden,
                                   nnlite.layers.Dense(3, activation="softmax", kernel_initializer=init)])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    fused, stepped = build(), build()
    fused.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    stepped.resolve_compiled_metrics(y)
    for _ in range(2):
        for start in range(0, 12, 4):
            logs = stepped.train_step((x[start:start + 4], y[start:start + 4]))
    for a, b in zip(stepped.get_weights(), fused.get_weights()):
        assert_close(a, b, 1e-12, "weights")
    assert set(logs) >= {"loss", "accuracy"}


def test_a_training_loop_of_your_own_with_gradient_tape(keras, float64, rng):
    """The subclassing guide's loop: logits, a from_logits loss, sum(model.losses), apply_gradients."""
    x, y = rng.normal(size=(16, 3)), rng.integers(0, 2, size=(16, 1)).astype(float)

    def run(lib):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="tanh", kernel_regularizer="l2"),
                                lib.layers.Dense(1)])
        model.set_weights([np.full(w.shape, 0.1) + 0.01 * k for k, w in enumerate(model.get_weights())])
        optimizer = lib.optimizers.SGD(learning_rate=0.1)
        loss_fn = lib.losses.BinaryCrossentropy(from_logits=True)
        losses = []
        for start in range(0, 16, 4):
            with tape_of(lib)() as tape:
                logits = model(x[start:start + 4], training=True)
                loss = loss_fn(y[start:start + 4], logits) + sum(model.losses)
            grads = tape.gradient(loss, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            losses.append(float(loss))
        return losses, model.get_weights()

    (l_theirs, w_theirs), (l_ours, w_ours) = run(keras), run(nnlite)
    assert_close(l_ours, l_theirs, RTOL["float64"], "losses")
    for a, b in zip(w_ours, w_theirs):
        assert_close(a, b, RTOL["float64"], "weights")


def test_compile_without_a_loss_trains_on_add_loss_and_says_when_there_is_none(rng):
    class Penalty(nnlite.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, inputs):
            out = inputs * self.scale
            self.add_loss(nnlite.ops.mean(nnlite.ops.square(out - 1.0)))
            return out

    inputs = nnlite.Input((2,))
    model = nnlite.Model(inputs, Penalty()(inputs))
    model.compile(optimizer=nnlite.optimizers.SGD(0.1))
    x = np.ones((8, 2)) * 2.0
    history = model.fit(x, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 1e-6 < history.history["loss"][0]
    np.testing.assert_allclose(model.get_weights()[0], [0.5, 0.5], rtol=1e-4)
    plain = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
    plain.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        plain.fit(x, np.ones((8, 1)), verbose=0)


def test_a_custom_dense_through_the_tape_equals_the_built_in_dense(float64, rng):
    """The same network with Dense and with a Dense written in ops (its activation called as a function):
    identical losses and weights after training, so the tape and the hand-written backward agree."""
    class OpsDense(nnlite.layers.Layer):
        def __init__(self, units, activation=None):
            super().__init__()
            self.units, self.act = units, nnlite.activations.get(activation)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units))
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, x):
            return self.act(nnlite.ops.matmul(x, self.kernel) + self.bias)

    def build(dense):
        return nnlite.Sequential([nnlite.Input((6,)), dense(5, activation="relu"), dense(4, activation="tanh"),
                                  nnlite.layers.Dense(3, activation="softmax")])

    built_in, written = build(nnlite.layers.Dense), build(OpsDense)
    written.set_weights(built_in.get_weights())
    x, y = rng.normal(size=(20, 6)), np.eye(3)[rng.integers(0, 3, size=20)]
    histories = []
    for m in (built_in, written):
        m.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        histories.append(m.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0).history)
    for key in ("loss", "accuracy"):
        assert_close(histories[1][key], histories[0][key], 1e-12, key)
    for a, b in zip(written.get_weights(), built_in.get_weights()):
        assert_close(a, b, 1e-12, "weights")


def _sliced(lib):
    class Sliced(lib.Model):
        """A subclassed model with a weight of its own (build) and its input sliced in call."""

        def __init__(self):
            super().__init__()
            self.hidden = lib.layers.Dense(4, activation="tanh")
            self.out = lib.layers.Dense(1)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(1,), initializer="ones", name="scale")

        def call(self, x):
            return self.out(self.hidden(x[:, 1:])) * self.scale + lib.ops.square(x[:, :1])

    return Sliced()


def test_a_subclassed_model_with_a_sliced_input_and_its_own_weight_trains_as_in_keras(keras, float64, rng):
    x, y = rng.normal(size=(18, 4)), rng.normal(size=(18, 1))
    theirs, ours = _sliced(keras), _sliced(nnlite)
    theirs(x[:1])
    ours(x[:1])
    assert len(ours.get_weights()) == len(theirs.get_weights()) == 5
    ours.set_weights(theirs.get_weights())
    for m in (theirs, ours):
        m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    _fit_and_compare(theirs, ours, x, y, batch_size=6, epochs=3)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "predict")


def test_symbolic_tensors_sliced_and_compared_in_a_functional_graph_as_in_keras(keras, float64, rng, tmp_path):
    def build(lib):
        x = lib.Input((5,))
        gate = lib.ops.where(x[:, :1] > 0.0, 1.0, 0.5)  # a comparison and a slice, in the graph
        h = lib.layers.Dense(4, activation="tanh", name="h")(x[:, 1:])
        return lib.Model(x, lib.layers.Dense(1, name="out")(h * gate + abs(x[..., -1:])))

    theirs, ours = build(keras), build(nnlite)
    for name in ("h", "out"):
        ours.get_layer(name).set_weights(theirs.get_layer(name).get_weights())
    x, y = rng.normal(size=(20, 5)), rng.normal(size=(20, 1))
    for m in (theirs, ours):
        m.compile(optimizer="sgd", loss="mse")
    _fit_and_compare(theirs, ours, x, y, batch_size=5, epochs=2)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "predict")
    ours.save(tmp_path / "sliced.keras")  # the index keys travel in nnlite's own file
    back = nnlite.models.load_model(tmp_path / "sliced.keras")
    assert_close(back.predict(x, verbose=0), ours.predict(x, verbose=0), 1e-15, "reloaded")
    with pytest.raises(ValueError, match="index key"):
        nnlite.Input((3,))[{"a": 1}]


def test_the_step_methods_on_a_model_with_two_outputs_equal_the_fused_fit(float64, rng):
    """Two outputs with their own losses and metrics: fit through train_step (a compute_metrics override
    makes fit call the steps) logs what the fused fit logs, every output's loss included."""
    class Stepped(nnlite.Model):
        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            return super().compute_metrics(x, y, y_pred, sample_weight)

    def build(cls):
        init = nnlite.initializers.GlorotUniform(seed=2)
        x = nnlite.Input((4,))
        h = nnlite.layers.Dense(5, activation="tanh", kernel_initializer=init)(x)
        score = nnlite.layers.Dense(1, name="score", kernel_initializer=init)(h)
        kind = nnlite.layers.Dense(3, activation="softmax", name="kind", kernel_initializer=init)(h)
        model = cls(x, [score, kind])
        model.compile(optimizer="adam", loss=["mse", "categorical_crossentropy"], loss_weights=[0.5, 1.0],
                      metrics=[["mae"], ["accuracy"]])
        return model

    x = rng.normal(size=(20, 4))
    y = [rng.normal(size=(20, 1)), np.eye(3)[rng.integers(0, 3, size=20)]]
    fused = build(nnlite.Model).fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0).history
    stepped_model = build(Stepped)
    stepped = stepped_model.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0).history
    assert set(stepped) == set(fused) >= {"loss", "score_loss", "kind_loss", "score_mae", "kind_accuracy"}
    for key in fused:
        assert_close(stepped[key], fused[key], 1e-12, key)


def test_a_weight_assigned_inside_the_tape_keeps_the_value_its_ops_read(float64):
    w = nnlite.variables.Variable(np.array([[2.0], [3.0]]), "w")
    x = nnlite.ops.convert_to_tensor(np.array([[1.0, 1.0]]))
    with nnlite.GradientTape() as tape:
        tape.watch(x)
        y = nnlite.ops.matmul(x, w)
        w.assign(w.numpy() * 10)  # after the matmul read it
        loss = nnlite.ops.sum(y)
    grad_x, grad_w = tape.gradient(loss, [x, w])
    assert grad_x.tolist() == [[2.0, 3.0]] and grad_w.tolist() == [[1.0], [1.0]]
    assert w.numpy().tolist() == [[20.0], [30.0]]


def test_a_layers_activity_regularizer_joins_its_losses_under_the_tape(keras, float64, rng):
    x = rng.normal(size=(5, 3))

    def run(lib):
        layer = lib.layers.Dense(2, activity_regularizer=lib.regularizers.L2(0.1))
        layer.build((None, 3))
        layer.set_weights([np.arange(6.0).reshape(3, 2) / 10, np.zeros(2)])
        with tape_of(lib)() as tape:
            out = layer(x)
            loss = lib.ops.sum(out) + sum(layer.losses)
        return float(loss), [g.numpy() for g in tape.gradient(loss, layer.trainable_weights)]

    (l_theirs, g_theirs), (l_ours, g_ours) = run(keras), run(nnlite)
    assert_close(l_ours, l_theirs, RTOL["float64"], "loss")
    for a, b in zip(g_ours, g_theirs):
        assert_close(a, b, RTOL["float64"], "gradient")


def _residual(lib):
    class ResidualBlock(lib.layers.Layer):
        """a = x + Dense(relu(LayerNormalization(x))) with a learned scale of its own: layers and a weight in
        one call, the input used twice (its gradient is summed over both uses)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.norm = lib.layers.LayerNormalization()
            self.inner = None

        def build(self, input_shape):
            self.inner = lib.layers.Dense(input_shape[-1])
            self.scale = self.add_weight(shape=(1,), initializer="ones", name="scale")

        def call(self, x):
            return x + self.scale * self.inner(lib.ops.relu(self.norm(x)))

    return ResidualBlock


class _Tally:
    """A Metric subclass as Keras users write one: state in add_variable, update with ops."""

    @staticmethod
    def make(lib):
        class SignAgreement(lib.metrics.Metric):
            def __init__(self, name="sign_agreement", **kwargs):
                super().__init__(name=name, **kwargs)
                self.agree = self.add_variable(shape=(), initializer="zeros", name="agree")
                self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

            def update_state(self, y_true, y_pred, sample_weight=None):
                same = lib.ops.cast(lib.ops.equal(lib.ops.sign(y_true), lib.ops.sign(y_pred)), self.dtype)
                if sample_weight is not None:
                    same = same * lib.ops.reshape(lib.ops.cast(sample_weight, self.dtype), (-1, 1))
                self.agree.assign_add(lib.ops.sum(same))
                self.seen.assign_add(lib.ops.cast(lib.ops.size(same), self.dtype))

            def result(self):
                return self.agree / self.seen

        return SignAgreement()


def test_a_residual_block_layer_and_a_metric_subclass_train_as_in_keras(keras, float64, rng):
    def build(lib):
        inputs = lib.Input((4,))
        h = _residual(lib)()(inputs)
        h = _residual(lib)()(h)
        return lib.Model(inputs, lib.layers.Dense(1)(h))

    theirs, ours = build(keras), build(nnlite)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    x, y = rng.normal(size=(24, 4)), rng.normal(size=(24, 1))
    for lib, m in ((keras, theirs), (nnlite, ours)):
        m.compile(optimizer="adam", loss="mse", metrics=[_Tally.make(lib)])
    _fit_and_compare(theirs, ours, x, y, batch_size=8, epochs=3)


def test_predict_calls_an_overridden_predict_step(rng):
    class Rounded(nnlite.Model):
        def predict_step(self, data):
            (x,) = data
            return nnlite.ops.round(self(x, training=False) * 10)

    inputs = nnlite.Input((3,))
    model = Rounded(inputs, nnlite.layers.Dense(2)(inputs))
    x = rng.normal(size=(7, 3))
    np.testing.assert_array_equal(model.predict(x, batch_size=3, verbose=0), np.round(model(x).numpy() * 10))


def test_compute_output_spec_keeps_a_layers_call_out_of_tracing(keras):
    """Keras's functional_test (training argument): a layer that gives compute_output_spec is never traced or probed
    on zeros; its call runs as written at every pass and sees training=True in a training call and in fit. A
    KerasTensor is made as Keras's (dtype float32 by default; sparse and ragged are refused: nnlite is dense)."""
    seen = []

    class Canary(nnlite.layers.Layer):
        def call(self, x, training=False):
            seen.append(bool(training))
            return x * 2.0

        def compute_output_spec(self, x, training=False):
            return nnlite.KerasTensor(x.shape, dtype=x.dtype)

    inputs = nnlite.Input(shape=(3,), batch_size=2)
    hidden = Canary()(inputs)
    assert hidden.shape == (2, 3) and seen == []
    model = nnlite.Model(inputs, nnlite.layers.Dense(1, kernel_initializer="ones")(hidden))
    out = model(np.ones((2, 3)), training=True)
    assert seen == [True] and np.allclose(np.asarray(out), 6.0)
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), batch_size=2, epochs=1, verbose=0)
    assert seen == [True, True, True]
    assert nnlite.KerasTensor((None, 4)).dtype == keras.KerasTensor((None, 4)).dtype == "float32"
    assert nnlite.KerasTensor((None, 4)).sparse is False
    with pytest.raises(ValueError, match="dense"):
        nnlite.KerasTensor((None, 4), sparse=True)

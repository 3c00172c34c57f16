"""Optimizers: several steps on the same variables and gradients as Keras 3."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite.variables import Variable

from .conftest import RTOL
from .helpers import assert_close

SGD_CASES = [
    {},
    {"learning_rate": 0.3},
    {"learning_rate": 0.1, "momentum": 0.9},
    {"learning_rate": 0.1, "momentum": 0.7, "nesterov": True},
    {"learning_rate": 0.1, "clipnorm": 0.5},
    {"learning_rate": 0.1, "global_clipnorm": 0.8},
    {"learning_rate": 0.1, "clipvalue": 0.2},
    {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.05},
]


def run_steps(keras, name, kwargs, shapes, grads_per_step, dtype):
    rng = np.random.default_rng(0)
    start = [rng.normal(size=s).astype(dtype) for s in shapes]
    k_vars = [keras.Variable(w.copy(), dtype=dtype) for w in start]
    k_opt = getattr(keras.optimizers, name)(**kwargs)
    n_vars = [Variable(w.copy(), f"w{i}") for i, w in enumerate(start)]
    n_opt = getattr(nnlite.optimizers, name)(**kwargs)
    for grads in grads_per_step:
        k_opt.apply_gradients(zip([g.astype(dtype) for g in grads], k_vars))
        n_opt.apply([g.astype(dtype) for g in grads], n_vars)
    return [v.numpy() for v in n_vars], [np.asarray(v.numpy()) for v in k_vars], n_opt, k_opt


CASES = [("SGD", c) for c in SGD_CASES] + [
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 1.0}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.9, "global_clipnorm": 2.0}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "clipvalue": 1.0}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.9}),
    ("Adamax", {}),
    ("Adamax", {"learning_rate": 0.02, "beta_1": 0.7, "weight_decay": 0.01}),
    ("Nadam", {}),
    ("Nadam", {"learning_rate": 0.01, "beta_1": 0.85, "beta_2": 0.98}),
    ("Lion", {}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 1.0}),
    ("Lamb", {}),
    ("Lamb", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4}),
    ("Ftrl", {}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.3, "l2_regularization_strength": 0.1,
              "l2_shrinkage_regularization_strength": 0.05, "beta": 0.2, "learning_rate_power": -0.3}),
    ("Ftrl", {"learning_rate": 0.2, "initial_accumulator_value": 0.0, "learning_rate_power": 0.0}),
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.1, "beta_2_decay": -0.5, "clip_threshold": 0.5, "epsilon_2": 1e-2}),
    ("Adafactor", {"learning_rate": 0.5, "relative_step": False}),
    ("Muon", {}),
    ("Muon", {"learning_rate": 0.05, "nesterov": False, "rms_rate": None, "ns_steps": 3}),
    ("Muon", {"learning_rate": 0.05, "adam_lr_ratio": 0.1, "momentum": 0.9, "adam_weight_decay": None,
              "adam_beta_1": 0.8, "adam_beta_2": 0.99, "epsilon": 1e-5, "muon_a": 3.0, "muon_b": -4.0,
              "muon_c": 1.5}),
]
# every optimizer with every base option: the three clipping kinds and weight decay
BASE_OPTIONS = [{"clipnorm": 0.7}, {"clipvalue": 0.3}, {"global_clipnorm": 1.1}, {"weight_decay": 0.02}]
CASES += [(name, {"learning_rate": 0.05, **option})
          for name in ("RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion", "Lamb", "Ftrl",
                       "Adafactor", "Muon")
          for option in BASE_OPTIONS]
# the options every optimizer takes beyond clipping: moving averages, loss scaling, gradient accumulation
MORE_OPTIONS = [{"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 2}, {"loss_scale_factor": 8.0},
                {"gradient_accumulation_steps": 2}, {"gradient_accumulation_steps": 3, "clipnorm": 0.5},
                {"use_ema": True, "gradient_accumulation_steps": 2, "ema_overwrite_frequency": 1}]
CASES += [(name, {"learning_rate": 0.05, **option})
          for name in ("SGD", "Adam", "Nadam", "RMSprop", "Lion", "Lamb", "Ftrl", "Adafactor", "Muon")
          for option in MORE_OPTIONS]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{c}" for n, c in CASES])
def test_steps_match_keras(keras, floatx, name, kwargs):
    rng = np.random.default_rng(1)
    shapes = [(3, 4), (4,)]
    steps = [[rng.normal(scale=2, size=s) for s in shapes] for _ in range(6)]
    mine, theirs, n_opt, k_opt = run_steps(keras, name, kwargs, shapes, steps, floatx)
    for a, b in zip(mine, theirs):
        assert a.dtype == np.dtype(floatx)
        assert_close(a, b, RTOL[floatx], f"{name}{kwargs}")
    assert int(n_opt.iterations) == int(k_opt.iterations.numpy()) == 6 // kwargs.get("gradient_accumulation_steps", 1)
    mine = [v.numpy() for v in n_opt.variables]
    theirs = [np.asarray(v.numpy()) for v in k_opt.variables]
    assert [v.shape for v in mine] == [v.shape for v in theirs]  # the same state, in Keras's order
    for a, b in zip(mine[2:], theirs[2:]):
        assert_close(a, b, RTOL[floatx], f"{name}{kwargs} state")


SCHEDULES = [
    ("ExponentialDecay", (0.1, 7, 0.5), {}),
    ("ExponentialDecay", (0.1, 7, 0.5), {"staircase": True}),
    ("InverseTimeDecay", (0.1, 5, 0.3), {}),
    ("InverseTimeDecay", (0.1, 5, 0.3), {"staircase": True}),
    ("PolynomialDecay", (0.1, 12), {}),
    ("PolynomialDecay", (0.1, 6), {"end_learning_rate": 0.01, "power": 2.0, "cycle": True}),
    ("PiecewiseConstantDecay", ([3, 9], [0.1, 0.05, 0.01]), {}),
    ("CosineDecay", (0.1, 15), {}),
    ("CosineDecay", (0.1, 15), {"alpha": 0.1}),
    ("CosineDecay", (0.0, 10), {"warmup_target": 0.1, "warmup_steps": 5}),
    ("CosineDecayRestarts", (0.1, 3), {}),
    ("CosineDecayRestarts", (0.1, 4), {"t_mul": 1.0, "alpha": 0.1}),
    ("CosineDecayRestarts", (0.1, 3), {"t_mul": 1.5, "m_mul": 0.7, "alpha": 0.1}),
    ("CosineDecayRestarts", (0.1, 2), {"t_mul": 3.0, "m_mul": 0.5}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), SCHEDULES, ids=[f"{n}-{k}" for n, _, k in SCHEDULES])
def test_schedules_match_keras_bit_for_bit(keras, tf, name, args, kwargs):
    """The rate Keras applies in fit: its schedule evaluated inside a TensorFlow graph."""
    mine = getattr(nnlite.optimizers.schedules, name)(*args, **kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(*args, **kwargs)
    step = tf.Variable(0, dtype="int64")
    in_graph = tf.function(lambda: theirs(step))
    # TensorFlow's graph kernels for float32 cos (and, rarely, a division chain) are not
    # always correctly rounded; nnlite's are. Those two schedules may differ by 2 ulps of
    # the peak rate (cos's error is absolute; 1 + cos near -1 cancels, so relative to a
    # small late rate it looks larger). The others are bit for bit.
    exact = name in ("ExponentialDecay", "PolynomialDecay", "PiecewiseConstantDecay")
    limit = 0 if exact else 2 * np.spacing(np.float32(max(args[0], kwargs.get("warmup_target") or 0)))
    for k in range(40):
        step.assign(k)
        expected = np.float32(in_graph().numpy())
        assert abs(np.float32(mine(k)) - expected) <= limit, (name, k)


@pytest.mark.parametrize("floatx_name", ["float64", "float32"])
def test_scheduled_fit_matches_keras(keras, request, floatx_name):
    from .conftest import _set_floatx
    from .helpers import dense_model, keras_twin

    _set_floatx(request, floatx_name)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    model = dense_model([3, 5, 2], ["tanh", None], seed=2)
    twin = keras_twin(keras, model)
    model.compile(optimizer=nnlite.optimizers.Adam(nnlite.optimizers.schedules.ExponentialDecay(0.05, 3, 0.7)),
                  loss="mse")
    twin.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.05, 3, 0.7)),
                 loss="mse")
    h1 = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert_close(h1.history["loss"], h2.history["loss"], RTOL[floatx_name])
    for a, b in zip(model.get_weights(), twin.get_weights()):
        assert_close(a, b, RTOL[floatx_name])


def test_get_by_name_and_object_with_keras_defaults(keras):
    sgd = nnlite.optimizers.SGD(0.5)
    assert nnlite.optimizers.get(sgd) is sgd
    for name in ("sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam"):
        mine, theirs = nnlite.optimizers.get(name), keras.optimizers.get(name)
        assert type(mine).__name__ == type(theirs).__name__
        config = theirs.get_config()
        for key, value in mine.get_config().items():
            if key not in ("name", "learning_rate"):
                assert config[key] == value, (name, key)
        assert mine.learning_rate == pytest.approx(float(config["learning_rate"]))


def test_learning_rate_schedule_callable_is_called_with_the_step_count():
    seen = []
    opt = nnlite.optimizers.SGD(learning_rate=lambda step: seen.append(step) or 0.1)
    w = Variable(np.ones(2), "w")
    for _ in range(3):
        opt.apply([np.ones(2)], [w])
    assert seen == [0, 1, 2]
    assert np.allclose(w.value, 1 - 0.3)


def test_gradient_count_must_match():
    with pytest.raises(ValueError, match="Got 1 gradients for 2 variables"):
        nnlite.optimizers.SGD().apply([np.ones(1)], [Variable(np.ones(1), "a"), Variable(np.ones(1), "b")])


@pytest.mark.parametrize("beta_1", [-0.1, 0.0, 1.1])
def test_lion_refuses_a_beta_1_outside_its_range_as_keras_does(keras, beta_1):
    """Keras's lion_test.py test_invalid_beta_1: the same error and message."""
    with pytest.raises(ValueError) as theirs:
        keras.optimizers.Lion(beta_1=beta_1)
    with pytest.raises(ValueError) as ours:
        nnlite.optimizers.Lion(beta_1=beta_1)
    assert str(ours.value) == str(theirs.value)


def test_lamb_keeps_a_zero_weight_and_a_zero_step_at_trust_ratio_one(keras, float64):
    """A variable of zeros (||w|| = 0) and one whose gradient is 0 (||u|| = 0): the trust ratio is 1 in both, as
    Keras's; the zero variable still moves by lr u."""
    mine, theirs, _, _ = run_steps(keras, "Lamb", {"learning_rate": 0.1}, [(3,), (2, 2)],
                                   [[np.array([1.0, -2.0, 0.5]), np.zeros((2, 2))]] * 3, "float64")
    for a, b in zip(mine, theirs):
        assert_close(a, b, RTOL["float64"], "Lamb at the zero norms")


@pytest.mark.parametrize("kwargs", [{"initial_accumulator_value": -0.1}, {"learning_rate_power": 0.5},
                                    {"l1_regularization_strength": -1.0}, {"l2_regularization_strength": -1.0},
                                    {"l2_shrinkage_regularization_strength": -0.5}])
def test_ftrl_refuses_what_keras_refuses(keras, kwargs):
    with pytest.raises(ValueError) as theirs:
        keras.optimizers.Ftrl(**kwargs)
    with pytest.raises(ValueError) as ours:
        nnlite.optimizers.Ftrl(**kwargs)
    assert str(ours.value) == str(theirs.value)


def test_ftrl_l1_sets_weights_to_exactly_zero():
    """Where |z| <= l1 the closed form gives w = 0 exactly: the sparsity FTRL is used for."""
    w = Variable(np.array([0.3, -0.2, 0.1]), "w")
    opt = nnlite.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=1.0)
    for _ in range(3):
        opt.apply([np.array([0.01, -0.02, 5.0])], [w])
    assert w.numpy()[0] == 0.0 and w.numpy()[1] == 0.0 and w.numpy()[2] != 0.0


def test_adafactor_keeps_a_matrix_second_moment_as_row_and_column_means(keras, float64):
    """A rank-3 kernel, a vector and a schedule (which relative_step leaves uncapped): the steps and the factored
    state (R of shape[:-1], C of shape[:-2] + shape[-1:], scalars for a vector) are Keras's."""
    schedule = {"learning_rate": (0.1, 3, 0.5)}
    rng = np.random.default_rng(4)
    shapes = [(2, 3, 4), (4,)]
    steps = [[rng.normal(size=s) for s in shapes] for _ in range(5)]
    k_vars = [keras.Variable(np.ones(s)) for s in shapes]
    n_vars = [Variable(np.ones(s), f"w{i}") for i, s in enumerate(shapes)]
    k_opt = keras.optimizers.Adafactor(keras.optimizers.schedules.ExponentialDecay(*schedule["learning_rate"]))
    n_opt = nnlite.optimizers.Adafactor(nnlite.optimizers.schedules.ExponentialDecay(*schedule["learning_rate"]))
    for grads in steps:
        k_opt.apply_gradients(zip(grads, k_vars))
        n_opt.apply(grads, n_vars)
    for a, b in zip(n_vars, k_vars):
        assert_close(a.numpy(), np.asarray(b.numpy()), RTOL["float64"], "Adafactor weights")
    assert [v.shape for v in n_opt.variables] == [tuple(v.shape) for v in k_opt.variables]
    for a, b in zip(n_opt.variables[1:], k_opt.variables[1:]):
        assert_close(a.numpy(), np.asarray(b.numpy()), RTOL["float64"], "Adafactor state")


def test_muon_orthogonalises_matrices_and_leaves_the_rest_to_adam(keras, float64):
    """Muon's choice per weight, as Keras makes it from shapes and paths: a wide and a tall matrix (transposed for the
    iteration) step by Muon; a vector, a rank-3 kernel, an embedding and a path ``exclude_layers`` matches step by
    Adam, with their own velocity and weight decay. Weights and state (which weights have a velocity) equal Keras's
    after six steps; the iteration itself is near-orthogonal (the singular values of NS(G) near 1)."""
    shapes = {"dense/kernel": (3, 5), "tall/kernel": (6, 2), "dense/bias": (5,), "conv/kernel": (2, 3, 4),
              "embedding/embeddings": (7, 3), "head/kernel": (4, 2)}
    rng = np.random.default_rng(8)
    steps = [[rng.normal(size=s) for s in shapes.values()] for _ in range(6)]
    kwargs = {"learning_rate": 0.02, "exclude_layers": ["head"], "weight_decay": 0.01, "adam_weight_decay": 0.03,
              "name": "muon"}
    layer = keras.layers.Layer()
    k_vars = [layer.add_weight(shape=s, initializer="ones", name=path.replace("/", "_"))
              for path, s in shapes.items()]
    n_vars = [Variable(np.ones(s), path.split("/")[1], path=path) for path, s in shapes.items()]
    k_opt, n_opt = keras.optimizers.Muon(**kwargs), nnlite.optimizers.Muon(**kwargs)
    for v, path in zip(k_vars, shapes):  # Keras decides by path: give its variables the same ones
        v._path = path
    for grads in steps:
        k_opt.apply_gradients(zip(grads, k_vars))
        n_opt.apply(grads, n_vars)
    assert [n_opt.uses_adam(v) for v in n_vars] == [False, False, True, True, True, True]
    for a, b, path in zip(n_vars, k_vars, shapes):
        assert_close(a.numpy(), np.asarray(b.numpy()), RTOL["float64"], path)
    assert [v.shape for v in n_opt.variables] == [tuple(v.shape) for v in k_opt.variables]
    for a, b in zip(n_opt.variables[2:], k_opt.variables[2:]):
        assert_close(a.numpy(), np.asarray(b.numpy()), RTOL["float64"], "Muon state")
    singular = np.linalg.svd(nnlite.optimizers.muon.newton_schulz(rng.normal(size=(6, 3)), 5, 3.4445, -4.7750, 2.0315),
                             compute_uv=False)
    assert np.all((singular > 0.6) & (singular < 1.25))
    ours, theirs = nnlite.optimizers.Muon(**kwargs).get_config(), keras.optimizers.Muon(**kwargs).get_config()
    assert ours == {k: v for k, v in theirs.items() if k in ours} and set(theirs) - set(ours) <= {"is_legacy_optimizer"}
    assert nnlite.optimizers.Muon.from_config(ours).get_config() == ours
    with pytest.raises(ValueError, match="ns_steps"):
        nnlite.optimizers.Muon(ns_steps=-1)


def test_a_model_trains_with_muon_as_keras(keras, float64, rng):
    """Embedding + Dense layers under Muon (the embedding and the biases by Adam, the kernels by Muon): two epochs'
    losses and the weights equal Keras's."""
    from .helpers import fit_both

    x = rng.integers(0, 10, size=(32, 4))
    y = rng.integers(0, 3, size=32)

    def model(lib):
        return lib.Sequential([lib.Input((4,), dtype="int32"), lib.layers.Embedding(10, 3), lib.layers.Flatten(),
                               lib.layers.Dense(6, activation="tanh"), lib.layers.Dense(3, activation="softmax")])
    fit_both(keras, model(keras), model(nnlite), x, y, ("Muon", 0.02), "sparse_categorical_crossentropy", 8)


def test_loss_scale_optimizer_steps_as_keras(keras, float64):
    """Finite steps unscale g by s and step the inner optimizer; a step with inf or NaN is skipped and halves s;
    dynamic_growth_steps finite steps double it. Weights, s, the step counter, both iteration counts and the
    variables (the wrapper's, then the inner optimizer's) equal Keras's after every step."""
    rng = np.random.default_rng(3)
    grads = [[rng.normal(size=(2, 3)) * 8, rng.normal(size=3) * 8] for _ in range(7)]
    grads[2][0][0, 1] = np.inf
    grads[5][1][2] = np.nan
    start = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    k_vars = [keras.Variable(w.copy()) for w in start]
    n_vars = [Variable(w.copy(), f"w{i}") for i, w in enumerate(start)]
    k_opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.1), initial_scale=8.0, dynamic_growth_steps=2)
    n_opt = nnlite.optimizers.LossScaleOptimizer(nnlite.optimizers.Adam(0.1), initial_scale=8.0,
                                                 dynamic_growth_steps=2)
    for step in grads:
        k_opt.apply_gradients(zip(step, k_vars))
        n_opt.apply_gradients(zip(step, n_vars))
        for a, b in zip(n_vars, k_vars):
            assert_close(a.numpy(), np.asarray(b.numpy()), RTOL["float64"], "weights")
        assert [v.path for v in n_opt.variables][:4] == [v.path for v in k_opt.variables][:4]
        for a, b in zip(n_opt.variables, k_opt.variables):
            assert_close(a.numpy(), np.asarray(b.numpy()), RTOL["float64"], b.path)
        assert int(n_opt.iterations) == int(k_opt.iterations.numpy())
    assert float(n_opt.dynamic_scale.numpy()) == float(k_opt.dynamic_scale.numpy()) == 8.0  # 8 16 8 8 16 8 8
    assert float(n_opt.scale_loss(2.0)) == float(k_opt.scale_loss(2.0)) == 16.0


def test_loss_scale_optimizer_config_and_errors_match_keras(keras):
    kwargs = {"initial_scale": 64.0, "dynamic_growth_steps": 5, "name": "lso"}
    ours = nnlite.optimizers.LossScaleOptimizer(nnlite.optimizers.SGD(0.1, momentum=0.5, name="sgd"), **kwargs)
    theirs = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1, momentum=0.5, name="sgd"), **kwargs)
    assert ours.get_config() == theirs.get_config()
    again = nnlite.optimizers.deserialize(nnlite.optimizers.serialize(ours))
    assert type(again.inner_optimizer) is nnlite.optimizers.SGD and again.get_config() == ours.get_config()
    assert float(ours.learning_rate.numpy()) == float(np.float32(0.1))
    ours.learning_rate = 0.05
    assert float(ours.inner_optimizer.learning_rate.numpy()) == float(np.float32(0.05))
    inner = nnlite.optimizers.SGD(loss_scale_factor=4.0)
    nnlite.optimizers.LossScaleOptimizer(inner)
    assert inner.loss_scale_factor is None  # the wrapper's scale replaces it, as in Keras
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="does not support `clipnorm`. Instead, set `clipnorm` on the"):
            lib.optimizers.LossScaleOptimizer(lib.optimizers.SGD(), clipnorm=1.0)
        with pytest.raises(ValueError, match="no longer supports `dynamic=False`"):
            lib.optimizers.LossScaleOptimizer(lib.optimizers.SGD(), dynamic=False)
        with pytest.raises(ValueError, match="does not support arguments: `foo`"):
            lib.optimizers.LossScaleOptimizer(lib.optimizers.SGD(), foo=1)


@pytest.mark.parametrize("inner", ["SGD", "Adam"])
def test_fit_scales_the_loss_as_keras(keras, float64, rng, inner):
    """fit multiplies the loss by s before backward and the step divides by s (Keras's scale_loss): a fixed
    loss_scale_factor of 8 and a LossScaleOptimizer give Keras's losses and weights (they were 8 times off before:
    the gradient was divided without the loss being scaled)."""
    from .helpers import fit_both

    x, y = rng.normal(size=(24, 3)), rng.normal(size=(24, 1))

    def model(lib):
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="tanh"), lib.layers.Dense(1)])
    fit_both(keras, model(keras), model(nnlite), x, y, (inner, 0.05), "mse", 8)
    for make in (lambda lib: getattr(lib.optimizers, inner)(0.05, loss_scale_factor=8.0),
                 lambda lib: lib.optimizers.LossScaleOptimizer(getattr(lib.optimizers, inner)(0.05), 2.0 ** 10, 3)):
        theirs, ours = model(keras), model(nnlite)
        ours.set_weights(theirs.get_weights())
        theirs.compile(make(keras), "mse")
        ours.compile(make(nnlite), "mse")
        stepped = Stepped([nnlite.Input((3,)), nnlite.layers.Dense(4, activation="tanh"), nnlite.layers.Dense(1)])
        stepped.set_weights(theirs.get_weights())
        stepped.compile(make(nnlite), "mse")
        expected = theirs.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
        for twin in (ours, stepped):  # the fused loop, and Model.train_step (which a subclass calls)
            history = twin.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
            assert_close(history["loss"], expected["loss"], 1e-9, "loss")
            for w, e in zip(twin.get_weights(), theirs.get_weights()):
                assert_close(w, e, 1e-7, "weights after the fit")


class Stepped(nnlite.Sequential):
    """A model whose train_step is its own (calling Keras's): fit runs it batch by batch."""

    def train_step(self, data):
        return super().train_step(data)


def test_loss_scale_optimizer_skips_overflowing_steps_in_a_fit(keras, rng):
    """float32, an initial scale of 2^127: the scaled gradients overflow to inf, so the first steps are skipped and
    s halves until they fit, as in Keras (weights, s and the counters after the fit agree)."""
    x, y = rng.normal(size=(40, 3)).astype("float32"), 30 * rng.normal(size=(40, 1)).astype("float32")

    def model(lib):
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, activation="tanh"), lib.layers.Dense(1)])
    theirs, ours = model(keras), model(nnlite)
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.01), 2.0 ** 127, 1000), "mse")
    ours.compile(nnlite.optimizers.LossScaleOptimizer(nnlite.optimizers.SGD(0.01), 2.0 ** 127, 1000), "mse")
    expected = theirs.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    history = ours.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    assert float(ours.optimizer.dynamic_scale.numpy()) == float(theirs.optimizer.dynamic_scale.numpy()) < 2.0 ** 127
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations.numpy()) < 20
    assert_close(history["loss"], expected["loss"], 2e-4, "loss")
    for w, e in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(w, e, 2e-4, "weights after the fit")


def test_optimizer_api_edges_as_keras(keras):
    """Keras's optimizer_test: automatic names count per class (adam, adam_1; AdamW is adam_w) until clear_session;
    no gradient at all is an error and a missing one a warning naming the variable (the others still step); a
    learning-rate callable takes no argument; get(None) is None."""
    names = [nnlite.optimizers.Adam().name, nnlite.optimizers.Adam().name, nnlite.optimizers.AdamW().name,
             nnlite.optimizers.AdamW().name, nnlite.optimizers.SGD().name]
    assert names == ["adam", "adam_1", "adam_w", "adam_w_1", "sgd"]
    nnlite.config.clear_session()
    assert nnlite.optimizers.Adam().name == "adam"
    for lib, make in ((keras, keras.Variable), (nnlite, lambda v, name: Variable(np.array(v), name))):
        v = make([[3.0, 4.0], [5.0, 6.0]], name="v")
        with pytest.raises(ValueError, match="No gradients provided for any variable."):
            lib.optimizers.SGD(learning_rate=1.0).apply_gradients([(None, v)])
        v2 = make([[3.0, 4.0], [5.0, 6.0]], name="v2")
        optimizer = lib.optimizers.SGD(learning_rate=1.0)
        with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['v'\]"):
            optimizer.apply_gradients([(None, v), (np.ones((2, 2)), v2)])
        np.testing.assert_allclose(np.asarray(v2.numpy()), [[2.0, 3.0], [4.0, 5.0]])
        np.testing.assert_allclose(np.asarray(v.numpy()), [[3.0, 4.0], [5.0, 6.0]])
        w = make([1.0, 2.0], name="w")
        optimizer = lib.optimizers.SGD(learning_rate=lambda: 0.5)
        optimizer.apply_gradients([(np.array([1.0, 1.0]), w)])
        np.testing.assert_allclose(np.asarray(w.numpy()), [0.5, 1.5])
        assert lib.optimizers.get(None) is None

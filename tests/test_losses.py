"""Losses: reduced values and gradients against Keras 3, by finite differences, and shape rules."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnlite
from nnlite import losses

from .conftest import RTOL
from .helpers import FD_FLOOR, assert_close

# (nnlite class, Keras class name, kwargs, kind of data)
CASES = [
    (losses.MeanSquaredError, "MeanSquaredError", {}, "regression"),
    (losses.MeanAbsoluteError, "MeanAbsoluteError", {}, "regression"),
    (losses.Huber, "Huber", {}, "regression"),
    (losses.Huber, "Huber", {"delta": 0.3}, "regression"),
    (losses.BinaryCrossentropy, "BinaryCrossentropy", {}, "binary"),
    (losses.BinaryCrossentropy, "BinaryCrossentropy", {"from_logits": True}, "logits"),
    (losses.BinaryCrossentropy, "BinaryCrossentropy", {"label_smoothing": 0.1}, "binary"),
    (losses.BinaryCrossentropy, "BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "logits"),
    (losses.CategoricalCrossentropy, "CategoricalCrossentropy", {}, "categorical"),
    (losses.CategoricalCrossentropy, "CategoricalCrossentropy", {"from_logits": True}, "logits"),
    (losses.CategoricalCrossentropy, "CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
    (losses.CategoricalCrossentropy, "CategoricalCrossentropy",
     {"from_logits": True, "label_smoothing": 0.1}, "logits"),
    (losses.SparseCategoricalCrossentropy, "SparseCategoricalCrossentropy", {}, "sparse"),
    (losses.SparseCategoricalCrossentropy, "SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    (losses.LogCosh, "LogCosh", {}, "regression"),
    (losses.MeanAbsolutePercentageError, "MeanAbsolutePercentageError", {}, "regression"),
    (losses.MeanSquaredLogarithmicError, "MeanSquaredLogarithmicError", {}, "positive"),
    (losses.Poisson, "Poisson", {}, "positive"),
    (losses.CosineSimilarity, "CosineSimilarity", {}, "regression"),
    (losses.Hinge, "Hinge", {}, "margin"),
    (losses.SquaredHinge, "SquaredHinge", {}, "margin"),
    (losses.Hinge, "Hinge", {}, "signed_margin"),
    (losses.CategoricalHinge, "CategoricalHinge", {}, "logits"),
    (losses.KLDivergence, "KLDivergence", {}, "distributions"),
    (losses.BinaryFocalCrossentropy, "BinaryFocalCrossentropy", {}, "binary"),
    (losses.BinaryFocalCrossentropy, "BinaryFocalCrossentropy",
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "label_smoothing": 0.1}, "binary"),
    (losses.BinaryFocalCrossentropy, "BinaryFocalCrossentropy", {"from_logits": True, "apply_class_balancing": True},
     "logits"),
    (losses.BinaryFocalCrossentropy, "BinaryFocalCrossentropy", {"from_logits": True, "gamma": 0.0}, "logits"),
    (losses.CategoricalFocalCrossentropy, "CategoricalFocalCrossentropy", {}, "categorical"),
    (losses.CategoricalFocalCrossentropy, "CategoricalFocalCrossentropy",
     {"alpha": [0.1, 0.2, 0.3, 0.4], "gamma": 3.0, "label_smoothing": 0.1}, "categorical"),
    (losses.CategoricalFocalCrossentropy, "CategoricalFocalCrossentropy", {"from_logits": True}, "logits"),
]
IDS = [f"{cls.__name__}-{kw}" for cls, _, kw, _ in CASES]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean_with_sample_weight"]


def make_data(kind, rng, dtype, n=12, k=4):
    if kind == "regression":
        return rng.normal(size=(n, k)).astype(dtype), rng.normal(size=(n, k)).astype(dtype)
    if kind == "binary":
        return (rng.random((n, k)) > 0.5).astype(dtype), rng.uniform(0.02, 0.98, (n, k)).astype(dtype)
    if kind == "categorical":
        y = np.eye(k)[rng.integers(0, k, n)].astype(dtype)
        p = rng.uniform(0.05, 1.0, (n, k))
        return y, (p / p.sum(axis=1, keepdims=True)).astype(dtype)
    if kind == "logits":
        y = np.eye(k)[rng.integers(0, k, n)].astype(dtype)
        return y, rng.normal(scale=3, size=(n, k)).astype(dtype)
    if kind == "sparse":
        p = rng.uniform(0.05, 1.0, (n, k))
        return rng.integers(0, k, n), (p / p.sum(axis=1, keepdims=True)).astype(dtype)
    if kind == "positive":
        return rng.uniform(0.1, 3, (n, k)).astype(dtype), rng.uniform(0.1, 3, (n, k)).astype(dtype)
    if kind == "margin":
        return (rng.random((n, k)) > 0.5).astype(dtype), rng.normal(size=(n, k)).astype(dtype)
    if kind == "signed_margin":
        return np.where(rng.random((n, k)) > 0.5, 1.0, -1.0).astype(dtype), rng.normal(size=(n, k)).astype(dtype)
    if kind == "distributions":
        y, p = rng.uniform(0.05, 1, (n, k)), rng.uniform(0.05, 1, (n, k))
        return (y / y.sum(1, keepdims=True)).astype(dtype), (p / p.sum(1, keepdims=True)).astype(dtype)
    if kind == "sparse_logits":
        return rng.integers(0, k, n), rng.normal(scale=3, size=(n, k)).astype(dtype)
    raise AssertionError(kind)


def keras_value_and_grad(keras, tf, name, kwargs, y, p, sample_weight, reduction):
    loss = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    p_var = tf.Variable(p)
    with tf.GradientTape() as tape:
        value = loss(y, p_var, sample_weight=sample_weight)
    return value.numpy(), tape.gradient(value, p_var).numpy()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("cls", "name", "kwargs", "kind"), CASES, ids=IDS)
def test_value_and_gradient_match_keras(keras, tf, floatx, rng, cls, name, kwargs, kind, weighted, reduction):
    y, p = make_data(kind, rng, floatx)
    sw = rng.uniform(0, 2, len(p)).astype(floatx) if weighted else None
    if weighted:
        sw[3] = 0.0  # a zero weight counts in the divisor, as in Keras
    expected_value, expected_grad = keras_value_and_grad(keras, tf, name, kwargs, y, p, sw, reduction)
    value, grad = cls(reduction=reduction, **kwargs).value_and_grad(y, p, sw)
    assert grad.dtype == np.dtype(floatx)
    assert_close(value, expected_value, RTOL[floatx], "loss value")
    assert_close(grad, expected_grad, RTOL[floatx], "loss gradient")
    # calling the loss gives the same reduced value
    assert_close(cls(reduction=reduction, **kwargs)(y, p, sw), expected_value, RTOL[floatx], "__call__")


@pytest.mark.parametrize(("cls", "name", "kwargs", "kind"), CASES, ids=IDS)
def test_gradient_matches_finite_differences(rng, cls, name, kwargs, kind):
    y, p = make_data(kind, rng, np.float64)
    sw = rng.uniform(0.5, 2, len(p))
    loss = cls(dtype="float64", **kwargs)
    _, grad = loss.value_and_grad(y, p, sw)
    numeric = np.empty_like(p)
    for idx in np.ndindex(p.shape):
        h = 1e-6
        up, down = p.copy(), p.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (loss(y, up, sw) - loss(y, down, sw)) / (2 * h)
    assert_close(grad, numeric, 1e-6, "finite differences", floor=FD_FLOOR)


FUNCTION_KINDS = {
    "mean_squared_error": "regression", "mean_absolute_error": "regression", "huber": "regression",
    "binary_crossentropy": "binary", "categorical_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "sparse", "log_cosh": "regression",
    "mean_absolute_percentage_error": "regression", "mean_squared_logarithmic_error": "positive",
    "poisson": "positive", "cosine_similarity": "regression", "hinge": "margin", "squared_hinge": "margin",
    "categorical_hinge": "logits", "kl_divergence": "distributions", "binary_focal_crossentropy": "binary",
    "categorical_focal_crossentropy": "categorical", "dice": "binary", "tversky": "binary",
}


@pytest.mark.parametrize("fn_name", list(FUNCTION_KINDS))
def test_per_sample_functions_match_keras(keras, float64, rng, fn_name):
    kind = FUNCTION_KINDS[fn_name]
    y, p = make_data(kind, rng, np.float64)
    expected = getattr(keras.losses, fn_name)(y, p).numpy()
    assert_close(getattr(losses, fn_name)(y, p), expected, RTOL["float64"], fn_name)


def test_rank_one_labels_meet_one_output_column(keras, float64, rng):
    y = rng.normal(size=10)
    p = rng.normal(size=(10, 1))
    expected = keras.losses.MeanSquaredError()(y, p).numpy()
    assert_close(losses.MeanSquaredError()(y, p), expected, RTOL["float64"])


def test_sample_weights_divide_by_count_not_sum():
    # the contract's example: weights [1, 0, 5] on losses [a, b, c] give (a + 5c) / 3
    y = np.zeros((3, 1))
    p = np.array([[1.0], [2.0], [3.0]])
    value = losses.MeanSquaredError(dtype="float64")(y, p, sample_weight=[1, 0, 5])
    assert value == pytest.approx((1 + 5 * 9) / 3)


def test_logits_path_is_taken_only_by_crossentropies_after_sigmoid_or_softmax(rng):
    from nnlite import activations, metrics

    bce, mse = losses.BinaryCrossentropy(), losses.MeanSquaredError()
    assert losses.reads_logits(bce, activations.sigmoid) and losses.reads_logits(bce, activations.softmax)
    assert losses.reads_logits(metrics.BinaryCrossentropy(), activations.sigmoid)
    assert not losses.reads_logits(mse, activations.sigmoid)
    assert not losses.reads_logits(bce, activations.relu) and not losses.reads_logits(bce, None)
    assert not bce.from_logits  # the loss object itself is not changed
    with pytest.warns(UserWarning, match="from_logits=True"):
        losses.reads_logits(losses.CategoricalCrossentropy(from_logits=True), activations.softmax)
    z, y = rng.normal(size=(4, 1)), (rng.random((4, 1)) > 0.5).astype(float)
    value, grad_z = bce.value_and_grad_from_logits(y, z)
    assert value == pytest.approx(losses.BinaryCrossentropy(from_logits=True)(y, z))
    assert np.allclose(grad_z, (1 / (1 + np.exp(-z)) - y) / 4)  # (sigmoid(z) - y) / batch


def test_errors_say_what_was_expected():
    with pytest.raises(ValueError, match=r"same shape: got y_true \(4, 3\) and y_pred \(4, 2\)"):
        losses.MeanSquaredError()(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"integers in \[0, 2\].*\[3\]"):
        losses.SparseCategoricalCrossentropy()([0, 3], np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="one-hot labels"):
        losses.SparseCategoricalCrossentropy()(np.eye(3), np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match="loss identifier: msee. Did you mean .mse.. Valid names: .*mse"):
        losses.get("msee")
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`.*Received: reduction='average'"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(ValueError, match="one weight per sample"):
        losses.MeanSquaredError()(np.zeros((4, 1)), np.zeros((4, 1)), sample_weight=[1, 2])


def test_custom_callable_loss_gets_a_numerical_gradient(rng):
    def cubic(y, p):
        return np.mean((p - y) ** 3, axis=-1)

    loss = losses.resolve(cubic)
    y, p = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    loss.dtype = "float64"
    _, grad = loss.value_and_grad(y, p)
    assert_close(grad, 3 * (p - y) ** 2 / 3 / 5, 1e-7)


def test_unnormalised_labels_follow_tensorflows_logits_gradient(keras, tf, float64, rng):
    """TensorFlow's fused kernel returns softmax(z) - y even when label rows do not sum to 1."""
    y = rng.uniform(0, 1, (5, 3))
    z = rng.normal(size=(5, 3))
    z_var = tf.Variable(z)
    with tf.GradientTape() as tape:
        value = keras.losses.CategoricalCrossentropy(from_logits=True)(y, z_var)
    mine_value, mine_grad = losses.CategoricalCrossentropy(from_logits=True).value_and_grad(y, z)
    assert_close(mine_value, value.numpy(), RTOL["float64"])
    assert_close(mine_grad, tape.gradient(value, z_var).numpy(), RTOL["float64"])


@pytest.mark.parametrize("case", ["soft labels", "sequence", "label smoothing", "sum", "axis 1", "weighted"])
def test_the_logits_path_of_fit_equals_keras_with_the_learning_rate_folded_in(keras, tf, float64, rng, case):
    """fit's logits path: the unweighted mean or sum from one dot product (summed_values_and_grads), c dL/dz
    with c folded into the loss's pass; a weighted or other-axis loss goes through the values per sample."""
    shape = (4, 3, 5) if case in ("sequence", "axis 1") else (6, 4)
    y, z = rng.uniform(0, 1, shape), rng.normal(size=shape) * 3
    kwargs = {"label smoothing": {"label_smoothing": 0.2}, "sum": {"reduction": "sum"},
              "axis 1": {"axis": 1}}.get(case, {})
    sample_weight = rng.uniform(0, 2, shape[:-1]) if case == "weighted" else None
    z_var = tf.Variable(z)
    with tf.GradientTape() as tape:
        value = keras.losses.CategoricalCrossentropy(from_logits=True, **kwargs)(y, z_var, sample_weight)
    c = 0.037
    mine_value, mine_grad = losses.CategoricalCrossentropy(**kwargs).value_and_grad_from_logits(
        y, z, sample_weight, grad_scale=c)
    assert_close(mine_value, value.numpy(), RTOL["float64"])
    assert_close(mine_grad, c * tape.gradient(value, z_var).numpy(), RTOL["float64"])


def test_the_logits_path_of_no_rows_is_zero():
    value, grad = losses.CategoricalCrossentropy().value_and_grad_from_logits(np.zeros((0, 3)), np.zeros((0, 3)))
    assert value == 0 and grad.shape == (0, 3)


@pytest.mark.parametrize("shape", ["per-sample", "per-element", "scalar"])
def test_a_loss_function_of_any_shape_trains_as_in_keras(keras, float64, rng, shape):
    """Keras reduces whatever a loss function returns; the gradient is that of the reduced loss."""
    def squared(y_true, y_pred, np_like):
        error = np_like.square(y_true - y_pred)
        if shape == "per-sample":
            return np_like.mean(error, axis=-1)
        return error if shape == "per-element" else np_like.mean(error)

    from nnlite.optimizers import SGD

    from .helpers import dense_model, keras_twin

    model = dense_model([3, 4, 2], ["tanh", None])
    twin = keras_twin(keras, model)
    model.compile(optimizer=SGD(0.1), loss=lambda y, p: squared(y, p, np))
    twin.compile(optimizer=keras.optimizers.SGD(0.1), loss=lambda y, p: squared(y, p, keras.ops))
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    sw = None if shape == "per-element" else rng.uniform(0.5, 2, 8)  # Keras refuses (n, k) values * (n,) weights
    h1 = model.fit(x, y, sample_weight=sw, batch_size=4, epochs=2, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, sample_weight=sw, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-7)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)  # finite differences: ~1e-9 relative


def test_binary_crossentropy_warns_once_about_labels_outside_0_1(recwarn):
    """Labels 0, 1, 2 train as Keras computes them, with one warning per fit naming the range and the fix;
    probabilities in [0, 1] and labels 0/1 give none."""
    import warnings

    model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    x = np.ones((8, 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, np.array([0, 1, 2, 1, 0, 1, 2, 0]), batch_size=2, epochs=2, verbose=0)
        outside = [str(w.message) for w in caught if "outside [0, 1]" in str(w.message)]
        assert len(outside) == 1 and "from 0 to 2" in outside[0] and "sparse_categorical_crossentropy" in outside[0]
        assert caught[0].filename == __file__
        caught.clear()
        model.fit(x, np.array([0, 1, 0.5, 1, 0, 1, 0.25, 0]), batch_size=2, epochs=2, verbose=0)
        assert not [w for w in caught if "outside [0, 1]" in str(w.message)]


@pytest.mark.parametrize("name", ["BinaryFocalCrossentropy", "CategoricalFocalCrossentropy"])
def test_focal_losses_at_the_edges_match_keras(keras, tf, float64, name):
    """Probabilities exactly 0 and 1 (p_t = 1: the focal factor and its derivative vanish), inside and outside the
    clip, a row of ties, and the class axis first: value and gradient as Keras's."""
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    p = np.array([[1.0, 0.0, 0.0], [0.2, 1e-9, 0.8], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 1e-12]])
    for kwargs in ({}, {"gamma": 0.0}, {"axis": 0}, {"gamma": 1.0, "label_smoothing": 0.3}):
        if name == "BinaryFocalCrossentropy" and kwargs.get("axis") == 0:
            kwargs = {**kwargs, "apply_class_balancing": True}
        expected = keras_value_and_grad(keras, tf, name, kwargs, y, p, None, "sum_over_batch_size")
        value, grad = getattr(losses, name)(**kwargs).value_and_grad(y, p)
        assert_close(value, expected[0], RTOL["float64"], f"{name} {kwargs} value")
        if name == "BinaryFocalCrossentropy" and kwargs == {"gamma": 0.0}:
            # Keras's gradient is NaN where p_t = 1 (0 * 0^-1 from its power's derivative); with gamma = 0 the loss
            # is the binary crossentropy, and nnlite gives its gradient there
            assert np.isnan(expected[1]).any()
            expected = losses.BinaryCrossentropy().value_and_grad(y, p)
        assert_close(grad, expected[1], RTOL["float64"], f"{name} {kwargs} gradient")


@pytest.mark.parametrize("loss", ["binary_focal_crossentropy", "categorical_focal_crossentropy"])
def test_focal_losses_train_as_keras(keras, float64, rng, loss):
    """Whole fits: BinaryFocalCrossentropy after a sigmoid output takes Keras's logits path (the crossentropy from
    the logits, the focal factor from the probabilities); the categorical one reads the softmax's probabilities."""
    from .helpers import fit_both

    classes = 1 if loss.startswith("binary") else 3
    x = rng.normal(size=(40, 5))
    y = ((x[:, :1] > 0).astype(float) if classes == 1 else np.eye(3)[rng.integers(0, 3, 40)])

    def model(lib):
        return lib.Sequential([lib.Input((5,)), lib.layers.Dense(4, activation="tanh"),
                               lib.layers.Dense(classes, activation="sigmoid" if classes == 1 else "softmax")])
    theirs, ours = model(keras), model(nnlite)
    fit_both(keras, theirs, ours, x, y, ("Adam", 0.05), loss, 8)


def test_focal_configs_and_errors_match_keras(keras):
    for name, kwargs in [("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.0}),
                         ("CategoricalFocalCrossentropy", {"alpha": [0.2, 0.8], "from_logits": True})]:
        assert getattr(losses, name)(**kwargs).get_config() == getattr(keras.losses, name)(**kwargs).get_config()
        again = getattr(losses, name).from_config(getattr(losses, name)(**kwargs).get_config())
        assert again.get_config() == getattr(losses, name)(**kwargs).get_config()
    with pytest.raises(ValueError, match="`axis` must be of type `int`"):
        losses.CategoricalFocalCrossentropy(axis=True)
    with pytest.warns(SyntaxWarning, match="num_classes > 1"):
        losses.CategoricalFocalCrossentropy()(np.ones((2, 1)), np.full((2, 1), 0.5))
    assert isinstance(losses.get("BinaryFocalCrossentropy"), losses.BinaryFocalCrossentropy)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "kwargs"), [("Dice", {}), ("Dice", {"axis": (1, 2, 3)}),
                                              ("Tversky", {"alpha": 0.3, "beta": 0.7}),
                                              ("Tversky", {"axis": (1, 2, 3)})], ids=str)
def test_overlap_losses_match_keras(keras, tf, floatx, rng, name, kwargs, reduction):
    """Dice and Tversky on masks (batch, rows, columns, channels): one value for the batch (axis None) or one per
    sample, weighted or not: the value and the gradient the tape gives equal Keras's; an empty mask and an empty
    prediction (the epsilon's case) included."""
    y = (rng.random((5, 4, 4, 2)) > 0.6).astype(floatx)
    p = rng.random((5, 4, 4, 2)).astype(floatx)
    y[0], p[1] = 0.0, 0.0
    for sw in (None, rng.uniform(0, 2, 5).astype(floatx)):
        expected = keras_value_and_grad(keras, tf, name, kwargs, y, p, sw, reduction)
        value, grad = getattr(losses, name)(reduction=reduction, **kwargs).value_and_grad(y, p, sw)
        assert_close(value, expected[0], RTOL[floatx], f"{name} value")
        assert_close(grad, expected[1], RTOL[floatx], f"{name} gradient")


def test_a_segmentation_net_trains_with_dice_as_keras(keras, float64, rng):
    """A small convolutional segmenter with a sigmoid output per pixel, trained on Dice (per image) with an
    accuracy metric: logs and weights equal Keras's."""
    x = rng.normal(size=(16, 6, 6, 1))
    y = (x > 0.3).astype(float)

    def model(lib):
        return lib.Sequential([lib.Input((6, 6, 1)), lib.layers.Conv2D(3, 3, padding="same", activation="relu"),
                               lib.layers.Conv2D(1, 1, activation="sigmoid")])
    theirs, ours = model(keras), model(nnlite)
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras.optimizers.Adam(0.05), keras.losses.Dice(axis=(1, 2, 3)), metrics=["binary_accuracy"])
    ours.compile(nnlite.optimizers.Adam(0.05), nnlite.losses.Dice(axis=(1, 2, 3)), metrics=["binary_accuracy"])
    expected = theirs.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    history = ours.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    for key in expected:
        assert_close(history[key], expected[key], 1e-9, key)
    for w, e in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(w, e, 1e-7, "weights after the fit")


def test_overlap_configs_match_keras(keras):
    for name, kwargs in [("Dice", {"axis": [1, 2]}), ("Tversky", {"alpha": 0.2, "beta": 0.8})]:
        ours, theirs = getattr(losses, name)(**kwargs), getattr(keras.losses, name)(**kwargs)
        assert ours.get_config() == theirs.get_config()
        assert type(losses.get({"class_name": name, "config": ours.get_config()})) is type(ours)


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 10.0, "margin": 0.25}, {"remove_diagonal": False}], ids=str)
def test_circle_loss_matches_keras(keras, tf, float64, rng, kwargs):
    """Circle on L2-normalised embeddings with integer labels: value and gradient (through both sides of E E^T)
    equal TensorFlow's, weighted or not; rows with no positive pair (a label seen once) give 0 and leave the mean
    (Keras's mask), without a warning from the -inf they pass through."""
    x = rng.normal(size=(8, 5))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.array([0, 0, 1, 1, 1, 2, 3, 3])  # label 2 once: no positives for that row
    for sw in (None, rng.uniform(0, 2, 8)):
        expected = keras_value_and_grad(keras, tf, "Circle", kwargs, y, x, sw, "sum_over_batch_size")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value, grad = losses.Circle(**kwargs).value_and_grad(y, x, sw)
        assert_close(value, expected[0], RTOL["float64"], "circle value")
        assert_close(grad, expected[1], RTOL["float64"], "circle gradient")
    per_row = keras.losses.circle(y, x, **{k: v for k, v in kwargs.items()})
    assert_close(np.asarray(losses.circle(y, x, **kwargs)), np.asarray(per_row), RTOL["float64"], "circle()")
    refs = rng.normal(size=(4, 5))
    refs /= np.linalg.norm(refs, axis=1, keepdims=True)
    ref_labels = np.array([0, 1, 2, 3])
    assert_close(np.asarray(losses.circle(y, x, ref_labels=ref_labels, ref_embeddings=refs, remove_diagonal=False)),
                 np.asarray(keras.losses.circle(y, x, ref_labels=ref_labels, ref_embeddings=refs,
                                                remove_diagonal=False)), RTOL["float64"], "circle() with references")


def test_an_embedding_net_trains_on_circle_loss_as_keras(keras, float64, rng):
    """Dense, then UnitNormalization: embeddings trained by Circle (compiled by name) as Keras trains them."""
    from .helpers import fit_both

    x, y = rng.normal(size=(32, 6)), rng.integers(0, 4, size=32)

    def model(lib):
        return lib.Sequential([lib.Input((6,)), lib.layers.Dense(4), lib.layers.UnitNormalization()])
    theirs, ours = model(keras), model(nnlite)
    fit_both(keras, theirs, ours, x, y, ("SGD", 0.01), "circle", 8)
    assert losses.Circle(gamma=3.0).get_config() == keras.losses.Circle(gamma=3.0).get_config()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", ["classes", "segmentation"])
def test_generalized_crossentropy_matches_keras(keras, tf, floatx, rng, shape, reduction):
    """CategoricalGeneralizedCrossEntropy, (1 - p_y^q) / q, on integer labels: per sample and per pixel; value and
    the tape's gradient equal Keras's, weighted or not, with an exact p_y = 1 (a zero loss); its function, config
    and q's error as Keras's."""
    p = rng.uniform(0.05, 1.0, size=(6, 4, 3) if shape == "segmentation" else (6, 3))
    p = (p / p.sum(-1, keepdims=True)).astype(floatx)
    y = rng.integers(0, 3, size=p.shape[:-1])
    p.reshape(-1, 3)[0] = 0.0
    p.reshape(-1, 3)[0, y.flat[0]] = 1.0  # the first true class certain: p_y = 1
    for sw in (None, rng.uniform(0, 2, y.shape).astype(floatx)):  # a weight per sample, or per pixel
        for q in (0.5, 0.2):
            expected = keras_value_and_grad(keras, tf, "CategoricalGeneralizedCrossEntropy", {"q": q}, y, p, sw,
                                            reduction)
            value, grad = losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=reduction).value_and_grad(y, p, sw)
            assert_close(value, expected[0], RTOL[floatx], "value")
            assert_close(grad, expected[1], RTOL[floatx], "gradient")
    assert_close(losses.categorical_generalized_cross_entropy(y, p, q=0.3),
                 keras.losses.categorical_generalized_cross_entropy(y, p, q=0.3).numpy(), RTOL[floatx], "function")
    ours = losses.CategoricalGeneralizedCrossEntropy(q=0.1, name="gce")
    assert ours.get_config() == keras.losses.CategoricalGeneralizedCrossEntropy(q=0.1, name="gce").get_config()
    with pytest.raises(ValueError, match=r"q must be in the interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.0)


def test_generalized_crossentropy_at_its_edges(keras, tf, float64):
    """p_y = 0: the value is 1/q and the gradient -inf at the true class (NaN beside it, 0 times inf), as Keras's,
    with NumPy's warning rather than in silence; labels of shape (batch, 1) give the same per-sample values as
    (batch,) (Keras pairs every sample with every label there)."""
    y = np.array([[0, 2], [1, 1]])
    p = np.array([[[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [[0.2, 0.5, 0.3], [0.1, 0.8, 0.1]]])
    expected = keras_value_and_grad(keras, tf, "CategoricalGeneralizedCrossEntropy", {}, y, p, None,
                                    "sum_over_batch_size")
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        value, grad = losses.CategoricalGeneralizedCrossEntropy().value_and_grad(y, p)
    assert_close(value, expected[0], 1e-12, "value")
    np.testing.assert_array_equal(np.isnan(grad), np.isnan(expected[1]))
    assert grad[0, 1, 2] == expected[1][0, 1, 2] == -np.inf
    finite = np.isfinite(expected[1])
    assert_close(grad[finite], expected[1][finite], 1e-12, "gradient")
    flat_y, flat_p = np.array([0, 1, 2]), np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]])
    per_sample = losses.CategoricalGeneralizedCrossEntropy(reduction=None)
    assert_close(per_sample(flat_y[:, None], flat_p), per_sample(flat_y, flat_p), 0, "labels (batch, 1)")

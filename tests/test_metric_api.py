"""The metric object API as Keras 3.15 has it: callable, update/result/reset, variables, sample weights
of any rank; and the loss options the issue lists (ignore_class)."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

from .helpers import assert_close


def _both(keras, name, **kwargs):
    return getattr(nnlite.metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)


def test_binary_accuracy_on_rank_1_inputs_with_weights(keras):
    ours, theirs = _both(keras, "BinaryAccuracy")
    y_true, y_pred, sw = [1, 0, 1, 1], [0.9, 0.8, 0.2, 0.7], [1, 2, 3, 0]
    assert float(ours(y_true, y_pred, sample_weight=sw)) == pytest.approx(float(theirs(y_true, y_pred, sw)))
    assert float(ours.result()) == pytest.approx(1 / 6)  # (1*1 + 2*0 + 3*0 + 0*1) / 6


@pytest.mark.parametrize("name", ["BinaryAccuracy", "MeanSquaredError", "CategoricalAccuracy", "BinaryCrossentropy"])
def test_per_element_and_per_sample_weights(keras, rng, name):
    """Per-sample weights everywhere; per-element weights where the values are per element (BinaryAccuracy):
    for the others Keras fails inside TensorFlow, nnlite says what was expected."""
    ours, theirs = _both(keras, name)
    y_true = (rng.random((6, 3)) > 0.5).astype("float32")
    y_pred = rng.random((6, 3)).astype("float32")
    for sw in (rng.uniform(0, 2, 6), rng.uniform(0, 2, (6, 1))):
        np.testing.assert_allclose(ours(y_true, y_pred, sample_weight=sw), theirs(y_true, y_pred, sample_weight=sw),
                                   rtol=1e-6)
    per_element = rng.uniform(0, 2, (6, 3))
    if name == "BinaryAccuracy":
        np.testing.assert_allclose(ours(y_true, y_pred, sample_weight=per_element),
                                   theirs(y_true, y_pred, sample_weight=per_element), rtol=1e-6)
    else:
        with pytest.raises(ValueError, match="expected one weight per sample"):
            ours.update_state(y_true, y_pred, sample_weight=per_element)


def test_the_metric_protocol(keras, rng):
    ours, theirs = _both(keras, "MeanAbsoluteError")
    assert [v.name for v in ours.variables] == [v.name for v in theirs.variables] == ["total", "count"]
    for _ in range(3):
        a, b = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
        ours.update_state(a, b)
        theirs.update_state(a, b)
    np.testing.assert_allclose(ours.result(), theirs.result(), rtol=1e-6)
    ours.reset_state()
    assert float(ours.result()) == 0 and all(float(v.numpy()) == 0 for v in ours.variables)
    mean, total = nnlite.metrics.Mean(), nnlite.metrics.Sum()
    assert float(mean([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])) == 2.0  # Keras's documented examples
    assert float(total([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])) == 4.0


def test_sparse_top_k_from_sorted_ids(keras):
    ours, theirs = _both(keras, "SparseTopKCategoricalAccuracy", k=2, from_sorted_ids=True)
    y_true, ids = np.array([2, 0, 1]), np.array([[2, 1, 0], [1, 2, 0], [0, 1, 2]])
    assert float(ours(y_true, ids)) == pytest.approx(float(theirs(y_true, ids))) == pytest.approx(2 / 3)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
def test_sparse_crossentropy_ignore_class_matches_keras(keras, tf, float64, rng, from_logits, reduction):
    y = np.array([0, 2, -1, 1, -1, 2])
    p = rng.random((6, 3)) + 0.1
    p = p if from_logits else p / p.sum(axis=1, keepdims=True)
    sw = rng.uniform(0.5, 2, 6)
    ours = nnlite.losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=-1, reduction=reduction)
    theirs = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=-1, reduction=reduction)
    variable = tf.Variable(p)
    with tf.GradientTape() as tape:
        expected = theirs(y, variable, sample_weight=sw)
    value, grad = ours.value_and_grad(y, p, sample_weight=sw)
    np.testing.assert_allclose(value, expected.numpy(), rtol=1e-9)
    np.testing.assert_allclose(grad, tape.gradient(expected, variable).numpy(), rtol=1e-9, atol=1e-12)
    metric = nnlite.metrics.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=-1)
    keras_metric = keras.metrics.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=-1)
    np.testing.assert_allclose(metric(y, p), keras_metric(y, p), rtol=1e-9)


@pytest.mark.parametrize(("name", "kwargs"), [
    ("F1Score", {}), ("F1Score", {"average": "micro", "threshold": 0.5}), ("F1Score", {"average": "macro"}),
    ("FBetaScore", {"beta": 2.0, "average": "weighted", "threshold": 0.3}), ("FBetaScore", {"beta": 0.5}),
    ("R2Score", {}), ("R2Score", {"class_aggregation": "variance_weighted_average"}),
    ("R2Score", {"class_aggregation": None}), ("R2Score", {"num_regressors": 2}),
])
@pytest.mark.parametrize("weighted", [False, True])
def test_epoch_scores_match_keras(keras, rng, name, kwargs, weighted):
    ours, theirs = _both(keras, name, **kwargs)
    for _ in range(3):
        if name == "R2Score":
            y_true = rng.normal(size=(9, 3)).astype("float32")
            y_pred = (y_true + rng.normal(scale=0.5, size=(9, 3))).astype("float32")
        else:
            y_true = np.eye(3, dtype="float32")[rng.integers(0, 3, 9)]
            y_pred = rng.random((9, 3)).astype("float32")
        sw = rng.uniform(0.5, 2, 9).astype("float32") if weighted else None
        ours.update_state(y_true, y_pred, sample_weight=sw)
        theirs.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=2e-5, atol=1e-6, err_msg=name)
    unnamed = {k: v for k, v in theirs.get_config().items() if k != "name"}
    assert {k: v for k, v in ours.get_config().items() if k != "name"} == unnamed


@pytest.mark.parametrize("name", ["PearsonCorrelation", "ConcordanceCorrelation"])
@pytest.mark.parametrize("case", ["rows", "axis0", "weighted", "ties"])
def test_correlation_metrics_match_keras(keras, rng, name, case):
    """PearsonCorrelation and ConcordanceCorrelation (missing before) equal Keras's after each of three batches,
    along either axis, with sample weights, and on rows with repeated values; configs are Keras's."""
    axis = 0 if case == "axis0" else -1
    ours, theirs = getattr(nnlite.metrics, name)(axis=axis), getattr(keras.metrics, name)(axis=axis)
    for _ in range(3):
        y_true = rng.normal(size=(6, 5)).astype("float32")
        y_pred = (y_true * rng.uniform(-1, 2) + rng.normal(size=(6, 5))).astype("float32")
        if case == "ties":
            y_true[:, :3] = 1.0  # repeated values, one distinct
        sw = rng.uniform(0, 2, 6 if axis == -1 else 5).astype("float32") if case == "weighted" else None
        ours.update_state(y_true, y_pred, sample_weight=sw)
        theirs.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(float(ours.result()), float(np.asarray(theirs.result())), rtol=1e-5, atol=1e-7)
    assert ours.get_config() | {"name": None} == theirs.get_config() | {"name": None}
    function = getattr(nnlite.metrics, name.replace("Correlation", "_correlation").lower())
    their_function = getattr(keras.metrics, name.replace("Correlation", "_correlation").lower())
    theirs_per_sample = np.asarray(their_function(y_true, y_pred, axis=axis))
    np.testing.assert_allclose(function(y_true, y_pred, axis=axis), theirs_per_sample, rtol=1e-5, atol=1e-7)


def test_correlation_metrics_by_name_in_a_fit_match_keras(keras, rng):
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(4)])
    twin = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    twin.set_weights(model.get_weights())
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 4))
    for m, module in ((model, nnlite), (twin, keras)):
        m.compile(optimizer=module.optimizers.SGD(0.01), loss="mse",
                  metrics=[module.metrics.PearsonCorrelation(), module.metrics.concordance_correlation])
    h1 = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h2 = twin.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert sorted(h1) == sorted(h2)
    for key in h2:
        assert np.all(np.isfinite(h1[key]))
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-5, err_msg=key)


def _holder(lib):
    """A metric of one's own holding a variable, a Mean and a list of two Sums (Keras tracks all three)."""
    class Holder(lib.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")
            self.inner = lib.metrics.Mean(name="inner")
            self.parts = [lib.metrics.Sum(name="first"), lib.metrics.Sum(name="second")]

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign(self.total + lib.ops.sum(y_pred))
            self.inner.update_state(y_pred)
            self.parts[0].update_state(y_true)
            self.parts[1].update_state(y_pred * 2)

        def result(self):
            return self.total + self.inner.result() + self.parts[0].result() + self.parts[1].result()
    return Holder(name="holder")


def test_a_metric_tracks_the_metrics_it_holds_as_keras(keras, rng):
    """variables lists the metric's own, then its held metrics' (attributes and lists), in Keras's order;
    reset_state and the stateless API cover them; a model's metrics_variables counts them."""
    ours, theirs = _holder(nnlite), _holder(keras)
    y, p = rng.normal(size=4).astype("float32"), rng.normal(size=4).astype("float32")
    ours.update_state(y, p)
    theirs.update_state(y, p)
    assert [v.path for v in ours.variables] == [v.path for v in theirs.variables]
    assert_close(np.asarray(ours.result()), np.asarray(theirs.result()), 1e-6, "result")
    start = [np.float32(k) for k in range(5)]
    after = ours.stateless_update_state(start, y, p)
    expected = theirs.stateless_update_state([keras.ops.convert_to_tensor(v) for v in start], y, p)
    assert_close(np.array(after, float), np.array([np.asarray(v) for v in expected], float), 1e-6, "stateless")
    ours.reset_state()
    assert all(float(np.asarray(v.value)) == 0 for v in ours.variables)
    models = []
    for lib, metric in ((nnlite, _holder(nnlite)), (keras, _holder(keras))):
        model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1)])
        model.compile(loss="mse", metrics=[metric])
        model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
        models.append(model)
    assert len(models[0].metrics_variables) == len(models[1].metrics_variables)


def test_argument_errors_and_ignored_labels_as_keras(keras):
    """Keras's words for bad thresholds (the out-of-range values listed; FBetaScore's two messages), and
    SparseCategoricalCrossentropy's ignore_class: without weights the ignored samples count with 0, with weights
    their weights become 0 (Keras's mean applies the mask to given weights only)."""
    def message(cls, **kwargs):
        with pytest.raises(ValueError) as caught:
            cls(**kwargs)
        return str(caught.value)

    for thresholds in ([-1, 0.5, 2], 1.5):
        assert message(nnlite.metrics.FalsePositives, thresholds=thresholds) == message(
            keras.metrics.FalsePositives, thresholds=thresholds)
    for threshold in (1, "0.5", 1.1, 0.0):
        assert message(nnlite.metrics.FBetaScore, threshold=threshold) == message(
            keras.metrics.FBetaScore, threshold=threshold)
    y = np.array([0, 1, 2])
    p = np.array([[0.8, 0.1, 0.1], [0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    for sw in (None, np.array([0.5, 1.5, 2.0])):
        expected = keras.metrics.SparseCategoricalCrossentropy(ignore_class=0)(y, p, sample_weight=sw)
        ours = nnlite.metrics.SparseCategoricalCrossentropy(ignore_class=0)(y, p, sample_weight=sw)
        np.testing.assert_allclose(float(ours), float(expected), rtol=1e-6)


@pytest.mark.parametrize("name", ["CategoricalAccuracy", "SparseCategoricalAccuracy", "Accuracy"])
def test_accuracies_on_ties_lists_and_tensors_as_keras(keras, name):
    """Tied scores (the first of the largest counts, as Keras's argmax), a tie in a one-hot label, lists and
    nnlite tensors as inputs, and sample weights that leave nothing counted."""
    if name == "CategoricalAccuracy":
        y_true = [[0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 0, 1]]
    elif name == "SparseCategoricalAccuracy":
        y_true = [[1], [2], [0], [2]]
    else:
        y_true = [[1.0], [2.0], [0.0], [2.0]]
    scores = [[0.2, 0.4, 0.4], [0.3, 0.3, 0.3], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0]]
    y_pred = [[1.0], [2.0], [2.0], [0.0]] if name == "Accuracy" else scores
    as_tensor = nnlite.ops.convert_to_tensor
    for a, b in ((y_true, y_pred), (as_tensor(np.float32(y_true)), as_tensor(np.float32(y_pred)))):
        for sw in (None, [1.0, 2.0, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0]):
            ours, theirs = _both(keras, name)
            assert float(ours(a, b, sample_weight=sw)) == float(theirs(y_true, y_pred, sample_weight=sw))

"""AUC over several labels as Keras computes it: ``multi_label`` (one curve per label, the mean of their
areas, weighted by ``label_weights``) and ``label_weights`` on the flattened curve; Keras runs beside."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

RNG = np.random.default_rng(3)
Y_TRUE = RNG.integers(0, 2, size=(40, 3)).astype("float32")
Y_PRED = np.clip(0.6 * Y_TRUE + RNG.uniform(-0.3, 0.5, size=(40, 3)), 0, 1).astype("float32")
Y_PRED[:5] = 0.5  # ties at one threshold
WEIGHTS = RNG.uniform(0.2, 2.0, size=(40,)).astype("float32")


@pytest.mark.parametrize("curve", ["ROC", "PR", "PRGAIN"])
@pytest.mark.parametrize("summation", ["interpolation", "minoring", "majoring"])
@pytest.mark.parametrize("options", [{"multi_label": True}, {"multi_label": True, "label_weights": [0.5, 2.0, 0.0]},
                                     {"multi_label": True, "num_labels": 3}, {"label_weights": [0.5, 2.0, 1.0]},
                                     {"multi_label": True, "thresholds": [0.3, 0.5, 0.8]}])
def test_auc_over_labels_equals_keras(keras, curve, summation, options):
    values = []
    for lib in (keras, nnlite):
        metric = lib.metrics.AUC(curve=curve, summation_method=summation, **options)
        metric.update_state(Y_TRUE[:25], Y_PRED[:25])
        metric.update_state(Y_TRUE[25:], Y_PRED[25:], sample_weight=WEIGHTS[25:])
        values.append(float(np.asarray(metric.result())))
    np.testing.assert_allclose(values[1], values[0], rtol=1e-5)


def test_multi_label_needs_rank_two_and_num_labels_needs_multi_label(keras):
    with pytest.raises(ValueError, match="`num_labels` is needed only when `multi_label` is True"):
        nnlite.metrics.AUC(num_labels=3)
    metric = nnlite.metrics.AUC(multi_label=True)
    assert metric.variables == [] and float(metric.result()) == 0.0
    with pytest.raises(ValueError, match="must have rank 2 when `multi_label=True`"):
        metric.update_state(Y_TRUE[:, 0], Y_PRED[:, 0])
    metric.update_state(Y_TRUE, Y_PRED)
    assert [tuple(v.shape) for v in metric.variables] == [(200, 3)] * 4
    again = nnlite.metrics.AUC.from_config(nnlite.metrics.AUC(multi_label=True, label_weights=[1, 2, 3]).get_config())
    assert again.multi_label and again.label_weights.tolist() == [1.0, 2.0, 3.0]


def test_a_model_compiled_with_a_multi_label_auc_logs_keras_value(keras):
    def build(lib):
        inputs = lib.Input((4,))
        return lib.Model(inputs, lib.layers.Dense(3, activation="sigmoid")(inputs))

    x = RNG.normal(size=(40, 4)).astype("float32")
    theirs, ours = build(keras), build(nnlite)
    ours.set_weights(theirs.get_weights())
    results = []
    for model, lib in ((theirs, keras), (ours, nnlite)):
        model.compile("sgd", loss="binary_crossentropy", metrics=[lib.metrics.AUC(multi_label=True, name="auc")])
        results.append(model.evaluate(x, Y_TRUE, verbose=0, return_dict=True)["auc"])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5)


def test_an_unknown_curve_is_refused_with_keras_message(keras):
    with pytest.raises(ValueError) as theirs:
        keras.metrics.AUC(curve="Invalid")
    with pytest.raises(ValueError) as ours:
        nnlite.metrics.AUC(curve="Invalid")
    assert str(ours.value) == str(theirs.value)

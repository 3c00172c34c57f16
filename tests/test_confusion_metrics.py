"""Confusion-matrix metrics against Keras 3.15's own: counts, precision, recall and AUC, batch by batch."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite

CASES = {
    "TruePositives": {}, "FalsePositives": {"thresholds": [0.2, 0.5, 0.8]}, "TrueNegatives": {},
    "FalseNegatives": {"thresholds": 0.3},
    "Precision": {}, "Recall": {"thresholds": [0.25, 0.5]}, "Precision-top-k": {"top_k": 2},
    "Recall-class": {"class_id": 1}, "Precision-top-k-class": {"top_k": 1, "class_id": 2},
    "AUC": {}, "AUC-PR": {"curve": "PR"}, "AUC-few": {"num_thresholds": 7},
    "AUC-minoring": {"summation_method": "minoring"},
    "AUC-PR-majoring": {"curve": "PR", "summation_method": "majoring"},
    "AUC-thresholds": {"thresholds": [0.1, 0.35, 0.6, 0.9]}, "AUC-logits": {"from_logits": True},
    "PrecisionAtRecall": {"recall": 0.6}, "RecallAtPrecision": {"precision": 0.7, "num_thresholds": 9},
    "SensitivityAtSpecificity": {"specificity": 0.5}, "SpecificityAtSensitivity": {"sensitivity": 0.8},
    "PrecisionAtRecall-one": {"recall": 0.3, "num_thresholds": 1}, "RecallAtPrecision-class": {"precision": 0.4,
                                                                                               "class_id": 1},
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_metrics_match_keras(keras, rng, case, weighted):
    name = case.split("-")[0]
    kwargs = CASES[case]
    ours, theirs = getattr(nnlite.metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    multi = "top_k" in kwargs or "class_id" in kwargs
    for _ in range(3):  # state accumulates over batches
        n = 17
        if multi:
            y_true = (rng.random((n, 4)) > 0.6).astype("float32")
            y_pred = rng.random((n, 4)).astype("float32")
        else:
            y_true = (rng.random((n, 1)) > 0.5).astype("float32")
            y_pred = np.round(rng.random((n, 1)), 1).astype("float32")  # ties at round thresholds
            if kwargs.get("from_logits"):
                y_pred = (y_pred - 0.5) * 8
        sw = rng.uniform(0, 2, n).astype("float32") if weighted else None
        ours.update_state(y_true, y_pred, sample_weight=sw)
        theirs.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=2e-6, atol=1e-7, err_msg=case)
    ours.reset_state()
    assert np.all(np.asarray(ours.result()) == 0)
    unnamed = {k: v for k, v in theirs.get_config().items() if k != "name"}  # Keras numbers names per session
    assert {k: v for k, v in ours.get_config().items() if k != "name"} == unnamed


def test_confusion_metrics_in_fit_match_keras(keras, float64, rng):
    from .helpers import dense_model, keras_twin

    model = dense_model([4, 6, 1], ["relu", "sigmoid"])
    twin = keras_twin(keras, model)

    def metrics(m):
        return ["AUC", m.metrics.Precision(name="p"), m.metrics.Recall(thresholds=[0.3, 0.7], name="r"),
                "TruePositives"]

    model.compile(optimizer=nnlite.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=metrics(nnlite))
    twin.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=metrics(keras))
    x, y = rng.normal(size=(40, 4)), (rng.random(40) > 0.5).astype(float)[:, None]
    h1 = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    h2 = twin.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    assert sorted(h1.history) == sorted(h2.history)
    for key in h2.history:
        np.testing.assert_allclose(np.array(h1.history[key], dtype=float), np.array(h2.history[key], dtype=float),
                                   rtol=1e-6, err_msg=key)

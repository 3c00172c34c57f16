"""Confusion-matrix metrics against Keras 3.15's own: counts, precision, recall and AUC, batch by batch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnlite

from .conftest import RTOL
from .helpers import assert_close

CASES = {
    "TruePositives": {}, "FalsePositives": {"thresholds": [0.2, 0.5, 0.8]}, "TrueNegatives": {},
    "FalseNegatives": {"thresholds": 0.3},
    "Precision": {}, "Recall": {"thresholds": [0.25, 0.5]}, "Precision-top-k": {"top_k": 2},
    "Recall-class": {"class_id": 1}, "Precision-top-k-class": {"top_k": 1, "class_id": 2},
    "AUC": {}, "AUC-PR": {"curve": "PR"}, "AUC-few": {"num_thresholds": 7},
    "AUC-minoring": {"summation_method": "minoring"},
    "AUC-PR-majoring": {"curve": "PR", "summation_method": "majoring"},
    "AUC-PRGAIN": {"curve": "PRGAIN"}, "AUC-PRGAIN-minoring": {"curve": "PRGAIN", "summation_method": "minoring"},
    "AUC-prgain-majoring": {"curve": "prgain", "summation_method": "majoring", "num_thresholds": 9},
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
        assert_close(np.array(h1.history[key], dtype=float), np.array(h2.history[key], dtype=float),
                     RTOL["float64"], key)


@pytest.mark.parametrize("kwargs", [{"num_classes": 3}, {"num_classes": 4, "ignore_class": 0},
                                    {"num_classes": 3, "sparse_y_pred": False}, {"num_classes": 3, "dtype": "float32"}])
@pytest.mark.parametrize("weights", [None, "int", "float"])
def test_mean_iou_matches_keras(keras, rng, kwargs, weights):
    ours, theirs = nnlite.metrics.MeanIoU(**kwargs), keras.metrics.MeanIoU(**kwargs)
    k = kwargs["num_classes"]
    for _ in range(3):
        y_true = rng.integers(-1, k + 1, 20)  # some ids out of range, left out by both
        y_pred = rng.random((20, k)).astype("float32") if kwargs.get("sparse_y_pred") is False else \
            rng.integers(0, k, 20)
        sw = {None: None, "int": rng.integers(0, 3, 20), "float": rng.uniform(0, 3, 20).astype("float32")}[weights]
        with warnings.catch_warnings(record=True) as ours_said:
            warnings.simplefilter("always")
            ours.update_state(y_true, y_pred, sample_weight=sw)
        with warnings.catch_warnings(record=True) as keras_said:
            warnings.simplefilter("always")
            theirs.update_state(y_true, y_pred, sample_weight=sw)
        assert bool(ours_said) == bool([w for w in keras_said if "weight as `float`" in str(w.message)])
        np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=1e-6)
    unnamed = {k: v for k, v in theirs.get_config().items() if k != "name"}  # Keras numbers names per session
    assert {k: v for k, v in ours.get_config().items() if k != "name"} == unnamed


IOU_CASES = [
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "ids"),
    ("IoU", {"num_classes": 4, "target_class_ids": [1], "ignore_class": 0}, "ids"),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 1, 2], "sparse_y_true": False}, "onehot-true"),
    ("IoU", {"num_classes": 5, "target_class_ids": [3, 4]}, "absent"),  # class 4 never occurs: left out, not 0 or 1
    ("BinaryIoU", {}, "binary"),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary"),
    ("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "onehot"),
    ("OneHotIoU", {"num_classes": 3, "target_class_ids": [1], "sparse_y_pred": True}, "onehot-true"),
    ("OneHotMeanIoU", {"num_classes": 3}, "onehot"),
    ("OneHotMeanIoU", {"num_classes": 4, "ignore_class": 2}, "onehot"),
]


@pytest.mark.parametrize(("name", "kwargs", "data"), IOU_CASES)
@pytest.mark.parametrize("weights", [None, "int"])
def test_the_iou_family_matches_keras(keras, rng, name, kwargs, data, weights):
    """IoU, BinaryIoU, OneHotIoU and OneHotMeanIoU (MeanIoU's siblings, missing before) give Keras's result after
    each of three batches, with ignored and out-of-range ids, a class that never occurs and integer weights; their
    configs are Keras's."""
    ours, theirs = getattr(nnlite.metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    k = kwargs.get("num_classes", 2)
    for _ in range(3):
        ids_true, ids_pred = rng.integers(0, min(k, 4), 24), rng.integers(0, min(k, 4), 24)
        y_true, y_pred = {
            "ids": (rng.integers(-1, k + 1, 24), rng.integers(0, k, 24)),
            "absent": (ids_true, ids_pred),
            "onehot-true": (np.eye(k)[ids_true], ids_pred),
            "onehot": (np.eye(k)[ids_true], rng.random((24, k)).astype("float32")),
            "binary": (rng.integers(0, 2, 24), rng.random(24).astype("float32")),
        }[data]
        if name == "OneHotIoU" and kwargs.get("sparse_y_pred"):
            y_pred = ids_pred
        sw = None if weights is None else rng.integers(0, 3, 24)
        ours.update_state(y_true, y_pred, sample_weight=sw)
        theirs.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=1e-6)
    unnamed = {k: v for k, v in theirs.get_config().items() if k not in ("name", "dtype")}
    assert {k: v for k, v in ours.get_config().items() if k not in ("name", "dtype")} == unnamed
    assert type(nnlite.metrics.get({"class_name": name, "config": ours.get_config()})) is type(ours)


def test_iou_with_nothing_seen_and_in_a_compiled_model_as_keras(keras):
    """Keras's iou_metrics_test.py: a result of 0 before any update, one class seen, and MeanIoU with ignore_class
    as a compiled metric of a fit (the logged value equal to Keras's)."""
    for module in (nnlite, keras):
        assert float(np.asarray(module.metrics.IoU(num_classes=2, target_class_ids=[0, 1]).result())) == 0.0
        m = module.metrics.IoU(num_classes=2, target_class_ids=[0, 1])
        assert abs(float(np.asarray(m(np.array([1]), np.array([1.0], dtype="float32")))) - 1.0) < 1e-3
    logged = []
    for module in (nnlite, keras):
        model = module.Sequential([module.layers.Dense(2, activation="softmax", kernel_initializer="ones")])
        metric = module.metrics.MeanIoU(num_classes=2, ignore_class=0, name="miou")  # (Keras numbers default names)
        model.compile(optimizer="rmsprop", loss="mse", metrics=[metric])
        logged.append(model.fit(np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]), verbose=0).history["miou"])
    np.testing.assert_allclose(logged[0], logged[1], rtol=1e-6)

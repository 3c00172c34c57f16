"""Helpers for learners and tests: the gradient check, one-hot labels, seeding."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import config


def plot_model(model: Any, show_weights: bool | None = None, ax: Any = None) -> Any:
    """The network drawn as neurons and connections (see ``nnlite.plotting.plot_model``)."""
    from .plotting import plot_model as draw

    return draw(model, show_weights, ax)


def plot_history(history: Any, metrics: list[str] | None = None, ax: Any = None) -> Any:
    """Training curves, validation dashed (see ``nnlite.plotting.plot_history``)."""
    from .plotting import plot_history as draw

    return draw(history, metrics, ax)


def set_random_seed(seed: int) -> None:
    """Make unseeded initialisers and fit's shuffling reproducible (kept in ``nnlite.config``)."""
    config.set_rng(seed)


def to_categorical(y: Any, num_classes: int | None = None, dtype: str | None = None) -> np.ndarray:
    """One-hot rows from integer class labels: (n,) -> (n, num_classes)."""
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    labels = y.astype(np.int64)
    if np.any(labels != y) or np.any(labels < 0):
        raise ValueError("to_categorical expects non-negative integer labels.")
    num_classes = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"Label {int(labels.max())} is out of range for num_classes={num_classes}.")
    return (labels[..., None] == np.arange(num_classes)).astype(dtype or config.floatx())


def check_gradients(model: Any, x: Any, y: Any, sample_weight: Any = None,
                    epsilon: float = 1e-6) -> dict[str, float]:
    """Compare backprop's gradients with central differences, in float64.

    For every weight w: (L(w + h) - L(w - h)) / 2h, with h = epsilon * max(1, |w|),
    against the gradient that ``loss_and_gradients`` leaves on ``variable.grad``. Both
    are taken in inference mode (Dropout off), so that L is a fixed function of w.
    Returns the relative error ||g - g_num|| / (||g|| + ||g_num||) per weight array, keyed
    "layer/weight". The model's weights are restored before returning. Errors below
    ~1e-6 mean backprop is right; a wrong derivative gives errors near 1.
    """
    from .layers import Context

    if not model.compiled:
        raise RuntimeError("check_gradients needs a compiled model (it uses the model's loss).")
    x64 = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    y64 = y if model.loss.sparse_labels else y.astype(np.float64)
    model.check_data(x64)
    saved = [(layer, layer.dtype) for layer in model.layers]
    values = [(w, w.value) for w in model.weights]
    loss_dtype = model.loss.dtype
    try:
        for layer, _ in saved:  # run the whole check in float64
            layer.dtype = "float64"
        for w, value in values:
            w.value = value.astype(np.float64)
        model.loss.dtype = "float64"
        model.loss_and_gradients(x64, y64, sample_weight, ctx=Context(training=False))
        errors = {}
        names = {id(w): f"{layer.name}/{w.name}" for layer in model.layers for w in layer.weights}
        for w in model.trainable_weights:
            g = w.grad.copy()
            g_num = np.empty_like(g)
            for idx in np.ndindex(w.shape):
                original = w.value[idx]
                h = epsilon * max(1.0, abs(original))
                w.value[idx] = original + h
                up = model.compute_loss(x64, y64, sample_weight=sample_weight, training=False)
                w.value[idx] = original - h
                down = model.compute_loss(x64, y64, sample_weight=sample_weight, training=False)
                w.value[idx] = original
                g_num[idx] = (up - down) / (2 * h)
            scale = max(float(np.linalg.norm(g) + np.linalg.norm(g_num)), 1e-300)
            errors[names[id(w)]] = float(np.linalg.norm(g - g_num)) / scale
        return errors
    finally:
        model.loss.dtype = loss_dtype
        for layer, dtype in saved:
            layer.dtype = dtype
        for w, value in values:
            w.value = value
            w.grad = None

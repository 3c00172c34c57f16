"""How closely nnlite matches Keras 3: the largest relative error per optimizer and per loss.

    python -m benchmarks.parity      # needs tensorflow-cpu and keras; about a minute

Optimizers: six steps on the same variables and gradients. Losses: value and gradient on random
data with sample weights. Reported in float64 and float32, as max |nnlite - keras| / max|keras|.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

OPTIMIZERS = [("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
              ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
              ("Adam", {"learning_rate": 0.01, "amsgrad": True}), ("AdamW", {"learning_rate": 0.01}),
              ("Adagrad", {"learning_rate": 0.05}), ("Adadelta", {"learning_rate": 1.0}),
              ("Adamax", {"learning_rate": 0.02}), ("Nadam", {"learning_rate": 0.01})]
LOSSES = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
          "Huber", "LogCosh", "Poisson", "CosineSimilarity", "Hinge", "SquaredHinge", "CategoricalHinge",
          "KLDivergence", "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy"]


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def optimizer_error(keras, nnlite, name, kwargs, dtype):
    from nnlite.variables import Variable

    rng = np.random.default_rng(0)
    start = [rng.normal(size=s).astype(dtype) for s in [(5, 4), (4,)]]
    kv = [keras.Variable(w.copy(), dtype=dtype) for w in start]
    nv = [Variable(w.copy(), "w") for w in start]
    ko, no = getattr(keras.optimizers, name)(**kwargs), getattr(nnlite.optimizers, name)(**kwargs)
    for _ in range(6):
        grads = [rng.normal(scale=2, size=w.shape).astype(dtype) for w in start]
        ko.apply_gradients(zip(grads, kv))
        no.apply(grads, nv)
    return max(rel(n.value, k.numpy()) for n, k in zip(nv, kv))


def loss_error(keras, tf, nnlite, name, dtype):
    rng = np.random.default_rng(1)
    n, k = 16, 4
    p = rng.uniform(0.05, 1, (n, k))
    p = (p / p.sum(1, keepdims=True)).astype(dtype)
    y = np.eye(k, dtype=dtype)[rng.integers(0, k, n)]
    if name == "SparseCategoricalCrossentropy":
        y = rng.integers(0, k, n)
    elif name in ("MeanSquaredError", "MeanAbsoluteError", "Huber", "LogCosh", "CosineSimilarity",
                  "MeanAbsolutePercentageError"):
        y, p = rng.normal(size=(n, k)).astype(dtype), rng.normal(size=(n, k)).astype(dtype)
    sw = rng.uniform(0, 2, n).astype(dtype)
    pv = tf.Variable(p)
    with tf.GradientTape() as tape:
        kv = getattr(keras.losses, name)()(y, pv, sample_weight=sw)
    kg = tape.gradient(kv, pv).numpy()
    nv, ng = getattr(nnlite.losses, name)().value_and_grad(y, p, sw)
    return max(rel(nv, kv.numpy()), rel(ng, kg))


def main() -> None:
    import keras
    import tensorflow as tf

    import nnlite

    rows = []
    for dtype in ("float64", "float32"):
        keras.config.set_floatx(dtype)
        keras.config.set_dtype_policy(dtype)
        nnlite.config.set_floatx(dtype)
        for name, kwargs in OPTIMIZERS:
            rows.append(("optimizer", name, dtype, optimizer_error(keras, nnlite, name, kwargs, dtype)))
        for name in LOSSES:
            rows.append(("loss", name, dtype, loss_error(keras, tf, nnlite, name, dtype)))
    print("| kind | name | float64 | float32 |\n|---|---|---|---|")
    table = {}
    for kind, name, dtype, err in rows:
        table.setdefault((kind, name), {})[dtype] = err
    for (kind, name), errs in table.items():
        print(f"| {kind} | {name} | {errs['float64']:.1e} | {errs['float32']:.1e} |")


if __name__ == "__main__":
    main()

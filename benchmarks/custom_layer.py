"""A Dense written with nnlite.ops (differentiated by the tape) against the built-in Dense (hand-written
backward), on the protocol's M network (784-256-128-10, batch 128, SGD, float32), alternating, in one run.

    python -m benchmarks.custom_layer [--rows 25600] [--rounds 5]

Prints the seconds per epoch of each and their ratio (the goal: the tape within 1.5x of the built-in).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import nnlite as keras
from nnlite import ops


class OpsDense(keras.layers.Layer):
    """a = activation(x @ w + b), written with ops as a Keras user writes a layer."""

    def __init__(self, units: int, activation: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units, self.act = units, keras.activations.get(activation)

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, x):
        return self.act(ops.matmul(x, self.w) + self.b)


def epoch_seconds(dense: type, x: np.ndarray, y: np.ndarray) -> float:
    model = keras.Sequential([keras.Input((784,)), dense(256, activation="relu"), dense(128, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.01), "categorical_crossentropy")
    model.fit(x[:1280], y[:1280], batch_size=128, verbose=0, shuffle=False)  # warm-up
    start = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25600)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.rows, 784)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, args.rows)]
    times: dict[str, list[float]] = {"built-in Dense": [], "Dense in ops (tape)": []}
    for _ in range(args.rounds):
        times["built-in Dense"].append(epoch_seconds(keras.layers.Dense, x, y))
        times["Dense in ops (tape)"].append(epoch_seconds(OpsDense, x, y))
    medians = {k: statistics.median(v) for k, v in times.items()}
    for name, seconds in medians.items():
        print(f"{name:22s} {seconds:.3f} s/epoch")
    print(f"ratio {medians['Dense in ops (tape)'] / medians['built-in Dense']:.2f}")


if __name__ == "__main__":
    main()

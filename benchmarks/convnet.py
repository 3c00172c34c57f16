"""The convnet row: one training epoch of the keras.io "Simple MNIST convnet" in each framework, own process each.

    python -m benchmarks.convnet                  # every framework, results/convnet.md and convnet.json
    python -m benchmarks.convnet --framework nnlite   # one line of JSON

The job: float32 images (28, 28, 1) from a standard normal, random labels, seed 0; Conv2D(32, 3, relu),
MaxPooling2D(2), Conv2D(64, 3, relu), MaxPooling2D(2), Flatten, Dense(10, softmax); categorical crossentropy,
plain SGD lr 0.01, batch 128, 6,400 rows (50 batches), no shuffling (keras.io's Dropout left out: its masks
differ between frameworks). Median of 3 epochs after a warm-up. The floor is the epoch's matrix products over
the patches alone (forward P @ K, backward P.T @ G and G @ K.T, with the patches made beforehand): what any
im2col convolution must multiply.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROWS, BATCH, LEARNING_RATE = 6400, 128, 0.01
RESULTS = Path(__file__).resolve().parent / "results"


def data(rows: int = ROWS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, 10, rows)
    return x, np.eye(10, dtype=np.float32)[labels], labels


def _convnet(module):
    return module.Sequential([
        module.Input((28, 28, 1)),
        module.layers.Conv2D(32, 3, activation="relu"), module.layers.MaxPooling2D(2),
        module.layers.Conv2D(64, 3, activation="relu"), module.layers.MaxPooling2D(2),
        module.layers.Flatten(), module.layers.Dense(10, activation="softmax")])


def _fit(module, rows):
    x, y, _ = data(rows)
    model = _convnet(module)
    model.compile(optimizer=module.optimizers.SGD(LEARNING_RATE), loss="categorical_crossentropy")
    marks: list[float] = []
    clock = module.callbacks.LambdaCallback(on_epoch_begin=lambda *_: marks.append(time.perf_counter()),
                                            on_epoch_end=lambda *_: marks.append(time.perf_counter()))

    def run(epochs):
        marks.clear()
        model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0, callbacks=[clock])
        return [end - start for start, end in zip(marks[0::2], marks[1::2])]
    return run


def nnlite_fit(rows):
    import nnlite

    return _fit(nnlite, rows)


def keras_fit(rows):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return _fit(keras, rows)


def torch_eager(rows):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    x, _, labels = data(rows)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 5 * 5, 10))
    opt = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(np.moveaxis(x, -1, 1).copy()), torch.from_numpy(labels)

    def epoch():
        for start in range(0, rows, BATCH):
            opt.zero_grad()
            loss = loss_fn(net(xt[start:start + BATCH]), yt[start:start + BATCH])
            loss.backward()
            opt.step()
    return epoch


def floor(rows):
    """The matrix products of an epoch (see the module), the patches made before the clock starts."""
    from nnlite.layers.patches import im2col

    x, _, _ = data(rows)
    rng = np.random.default_rng(1)
    k1, k2 = rng.standard_normal((9, 32), dtype=np.float32), rng.standard_normal((288, 64), dtype=np.float32)
    dense = rng.standard_normal((1600, 10), dtype=np.float32)
    first = [im2col(x[s:s + BATCH], (3, 3), (1, 1), (1, 1), ((0, 0), (0, 0))) for s in range(0, rows, BATCH)]
    second = [rng.standard_normal((len(p) // 676 * 121, 288), dtype=np.float32) for p in first]  # 11 x 11 patches
    flats = [rng.standard_normal((len(p) // 676, 1600), dtype=np.float32) for p in first]  # pooled, flattened

    def epoch():
        for p1, p2, flat in zip(first, second, flats):
            z1, z2 = p1 @ k1, p2 @ k2  # the two convolutions' forward products
            g = flat @ dense  # the dense layer's forward
            _ = flat.T @ g, g @ dense.T  # ... and backward
            _ = p2.T @ z2, z2 @ k2.T  # the second convolution's backward (a gradient of z2's shape)
            _ = p1.T @ z1  # the first's kernel gradient (its input needs none)
    return epoch


FRAMEWORKS = {"floor": floor, "nnlite": nnlite_fit, "pytorch": torch_eager, "keras": keras_fit}


def measure(framework: str, epochs: int = 3, rows: int = ROWS) -> dict:
    try:
        epoch = FRAMEWORKS[framework](rows)
    except ImportError as err:
        return {"framework": framework, "missing": str(err)}
    if framework in ("nnlite", "keras"):  # epochs timed inside one fit; the first is the warm-up
        seconds = epoch(epochs + 1)[1:]
    else:
        epoch()
        seconds = []
        for _ in range(epochs):
            start = time.perf_counter()
            epoch()
            seconds.append(time.perf_counter() - start)
    return {"framework": framework, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", choices=sorted(FRAMEWORKS))
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    if args.framework:
        print(json.dumps(measure(args.framework, args.epochs, args.rows)))
        return
    rows = {}
    for name in FRAMEWORKS:  # each in its own process, one after another
        done = subprocess.run([sys.executable, "-m", "benchmarks.convnet", "--framework", name],
                              capture_output=True, text=True, check=True)
        rows[name] = json.loads(done.stdout.strip().splitlines()[-1])
    median = {k: statistics.median(v["seconds"]) for k, v in rows.items() if "seconds" in v}
    lines = ["# Convnet epoch (keras.io MNIST convnet, batch 128, 6,400 rows, float32)", "",
             f"{os.cpu_count()} cores. Seconds per epoch, median of 3 after a warm-up; ratios to nnlite.", "",
             "| framework | seconds | nnlite / it |", "|---|---|---|"]
    for name, seconds in median.items():
        lines.append(f"| {name} | {seconds:.3f} | {median['nnlite'] / seconds:.2f} |")
    lines += [f"| {name} | missing: {row['missing']} | |" for name, row in rows.items() if "missing" in row]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "convnet.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "convnet.json").write_text(json.dumps({"cores": os.cpu_count(), "rows": rows}, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

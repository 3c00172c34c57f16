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

import os

import numpy as np

from .epochs import frameworks, jax_sgd_epoch, main, timed_fit, torch_sgd_epoch

ROWS, BATCH, LEARNING_RATE = 6400, 128, 0.01


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
    return timed_fit(model, module, x, y, BATCH)


def torch_eager(rows):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    x, _, labels = data(rows)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 5 * 5, 10))
    xt, yt = torch.from_numpy(np.moveaxis(x, -1, 1).copy()), torch.from_numpy(labels)
    return torch_sgd_epoch(torch, net, torch.nn.CrossEntropyLoss(), xt, yt, rows, BATCH, LEARNING_RATE)


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


def jax_jit(rows):
    """The same convnet in JAX: lax convolutions and max pooling, one jitted SGD step per batch."""
    import jax
    import jax.numpy as jnp

    x, y, _ = data(rows)
    rng = np.random.default_rng(0)
    params = [jnp.asarray(rng.standard_normal(shape, dtype=np.float32) * 0.1) for shape in
              ((3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (1600, 10), (10,))]
    dims = ("NHWC", "HWIO", "NHWC")

    def loss(params, xb, yb):
        a = xb
        for k in (0, 2):
            a = jax.nn.relu(jax.lax.conv_general_dilated(a, params[k], (1, 1), "VALID", dimension_numbers=dims)
                            + params[k + 1])
            a = jax.lax.reduce_window(a, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        z = a.reshape(len(a), -1) @ params[4] + params[5]
        return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(z), axis=1))
    return jax_sgd_epoch(loss, params, jnp.asarray(x), jnp.asarray(y), rows, BATCH, LEARNING_RATE)


FRAMEWORKS = frameworks(_fit, floor, torch_eager, jax_jit)



if __name__ == "__main__":
    main("benchmarks.convnet", FRAMEWORKS, ROWS,
         "Convnet epoch (keras.io MNIST convnet, batch 128, 6,400 rows, float32)")

"""The LSTM row: one training epoch of an IMDB-shaped text classifier in each framework, own process each.

    python -m benchmarks.lstm                     # every framework, results/lstm.md and lstm.json
    python -m benchmarks.lstm --framework nnlite  # one line of JSON

The job: token ids in [1, 20000) for 200 steps (seed 0), random 0/1 labels; Embedding(20000, 128), LSTM(64),
Dense(1, sigmoid); binary crossentropy, plain SGD lr 0.01, batch 64, 2,048 rows (32 batches), no shuffling, no
masking (every framework reads all 200 steps). Median of 3 epochs after a warm-up. The floor is the epoch's
matrix products alone: the input projection X W and its two backward products over all steps at once, and per
step the recurrent product h U with its two backward products (dZ U^T, h^T dZ): what any LSTM must multiply.
"""

from __future__ import annotations

import os

import numpy as np

from .epochs import frameworks, jax_sgd_epoch, main, timed_fit, torch_sgd_epoch

ROWS, BATCH, STEPS, VOCABULARY, WIDTH, UNITS, LEARNING_RATE = 2048, 64, 200, 20000, 128, 64, 0.01


def data(rows: int = ROWS) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(1, VOCABULARY, size=(rows, STEPS)), rng.integers(0, 2, size=(rows, 1)).astype(np.float32)


def _classifier(module):
    return module.Sequential([module.Input((STEPS,), dtype="int32"), module.layers.Embedding(VOCABULARY, WIDTH),
                              module.layers.LSTM(UNITS), module.layers.Dense(1, activation="sigmoid")])


def _fit(module, rows):
    x, y = data(rows)
    model = _classifier(module)
    model.compile(optimizer=module.optimizers.SGD(LEARNING_RATE), loss="binary_crossentropy")
    return timed_fit(model, module, x, y, BATCH)


def torch_eager(rows):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    x, y = data(rows)

    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(VOCABULARY, WIDTH)
            self.lstm = torch.nn.LSTM(WIDTH, UNITS, batch_first=True)
            self.dense = torch.nn.Linear(UNITS, 1)

        def forward(self, ids):
            _, (h, _) = self.lstm(self.embedding(ids))
            return self.dense(h[-1])

    net = Classifier()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    return torch_sgd_epoch(torch, net, torch.nn.BCEWithLogitsLoss(), xt, yt, rows, BATCH, LEARNING_RATE)


def floor(rows):
    """The matrix products of an epoch (see the module), on inputs made before the clock starts."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((WIDTH, 4 * UNITS), dtype=np.float32)
    u = rng.standard_normal((UNITS, 4 * UNITS), dtype=np.float32)
    batches = [rng.standard_normal((BATCH * STEPS, WIDTH), dtype=np.float32) for _ in range(rows // BATCH)]
    h = rng.standard_normal((BATCH, UNITS), dtype=np.float32)
    g = rng.standard_normal((BATCH, 4 * UNITS), dtype=np.float32)

    def epoch():
        for x in batches:
            xw = x @ w  # every step's input projection
            for _ in range(STEPS):
                _ = h @ u  # forward: the recurrent product
                _ = g @ u.T, h.T @ g  # backward: dL/dh_{t-1} and the step's dU
            _ = x.T @ xw, xw @ w.T  # backward: dW and dX over all steps
    return epoch


def jax_jit(rows):
    """The same classifier in JAX: the LSTM's steps as a lax.scan, one jitted SGD step per batch."""
    import jax
    import jax.numpy as jnp

    x, y = data(rows)
    rng = np.random.default_rng(0)
    params = [jnp.asarray(rng.standard_normal(shape, dtype=np.float32) * 0.05) for shape in
              ((VOCABULARY, WIDTH), (WIDTH, 4 * UNITS), (UNITS, 4 * UNITS), (4 * UNITS,), (UNITS, 1), (1,))]

    def loss(params, ids, yb):
        table, w, u, b, dense, bias = params
        xw = jnp.take(table, ids, axis=0) @ w + b  # (N, T, 4 units)

        def step(carry, xw_t):
            h, c = carry
            i, f, g, o = jnp.split(xw_t + h @ u, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None
        zeros = jnp.zeros((ids.shape[0], UNITS), jnp.float32)
        (h, _), _ = jax.lax.scan(step, (zeros, zeros), jnp.swapaxes(xw, 0, 1))
        z = h @ dense + bias
        return jnp.mean(jnp.maximum(z, 0) - z * yb + jnp.log1p(jnp.exp(-jnp.abs(z))))  # crossentropy on logits
    return jax_sgd_epoch(loss, params, jnp.asarray(x), jnp.asarray(y), rows, BATCH, LEARNING_RATE)


FRAMEWORKS = frameworks(_fit, floor, torch_eager, jax_jit)



if __name__ == "__main__":
    main("benchmarks.lstm", FRAMEWORKS, ROWS,
         "LSTM epoch (Embedding(20000, 128) + LSTM(64) + Dense(1), 200 steps, batch 64, 2,048 rows, float32)")

"""One framework, one size, in its own process: time one training epoch of the protocol's MLP.

    python -m benchmarks.workers --framework nnlite --size M

prints one JSON line: {"framework", "size", "seconds": [per epoch, after one warm-up epoch]}.
The job (../shared/peers.md): a dense MLP, float32, relu hidden layers, softmax output with
categorical crossentropy, plain SGD with lr 0.01, no shuffling, the same starting weights
and data in every framework (standard-normal inputs, random labels, seed 0).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

SIZES = {  # layer widths, batch size, rows
    "S": ([64, 32, 10], 32, 1797),
    "M": ([784, 256, 128, 10], 128, 60000),
    "L": ([784, 1024, 1024, 10], 256, 20480),
}
LEARNING_RATE = 0.01


def problem(widths: list[int], rows: int):
    """Inputs, one-hot labels and Glorot-uniform starting weights, all from seed 0, float32."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, widths[0]), dtype=np.float32)
    labels = rng.integers(0, widths[-1], rows)
    y = np.eye(widths[-1], dtype=np.float32)[labels]
    weights = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        limit = np.sqrt(6 / (n_in + n_out))
        weights += [rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32), np.zeros(n_out, np.float32)]
    return x, y, labels, weights


def batches(rows: int, batch: int):
    return [slice(i, min(i + batch, rows)) for i in range(0, rows, batch)]


# -- the floor and a hand-written loop ----------------------------------------------------------
def floor(widths, batch, rows):
    """Only the matrix products of an epoch: a @ W forward, a.T @ delta and delta @ W.T backward
    (no delta @ W.T for the first layer, whose input needs no gradient)."""
    x, _, _, weights = problem(widths, rows)
    kernels = weights[0::2]

    def epoch():
        for rows_ in batches(rows, batch):
            acts = [x[rows_]]
            for W in kernels:
                acts.append(acts[-1] @ W)
            delta = acts[-1]
            for i in range(len(kernels) - 1, -1, -1):
                _ = acts[i].T @ delta
                if i > 0:
                    delta = delta @ kernels[i].T
    return epoch


def jax_floor(widths, batch, rows):
    """The floor's matrix products, jitted in JAX, every product kept live (XLA drops unused ones):
    where JAX's matrix multiply is faster than NumPy's, this row says by how much."""
    import jax
    import jax.numpy as jnp

    x, _, _, weights = problem(widths, rows)
    kernels = [jnp.asarray(w) for w in weights[0::2]]

    @jax.jit
    def products(kernels, xb):
        acts = [xb]
        for W in kernels:
            acts.append(acts[-1] @ W)
        delta, grads = acts[-1], []
        for i in range(len(kernels) - 1, -1, -1):
            grads.append(acts[i].T @ delta)
            if i > 0:
                delta = delta @ kernels[i].T
        return grads

    xj = jnp.asarray(x)

    def epoch():
        out = None
        for rows_ in batches(rows, batch):
            out = products(kernels, xj[rows_])
        jax.block_until_ready(out)
    return epoch


def numpy_loop(widths, batch, rows):
    """A plain, hand-written NumPy training loop: what a careful person writes in an afternoon."""
    x, y, _, weights = problem(widths, rows)
    params = [w.copy() for w in weights]

    def epoch():
        for rows_ in batches(rows, batch):
            xb, yb = x[rows_], y[rows_]
            acts = [xb]
            for i in range(0, len(params), 2):
                z = acts[-1] @ params[i] + params[i + 1]
                acts.append(np.maximum(z, 0) if i < len(params) - 2 else z)
            z = acts[-1]
            e = np.exp(z - z.max(axis=1, keepdims=True))
            delta = (e / e.sum(axis=1, keepdims=True) - yb) / len(xb)
            for i in range(len(params) - 2, -1, -2):
                grad_w, grad_b = acts[i // 2].T @ delta, delta.sum(axis=0)
                if i > 0:
                    delta = (delta @ params[i].T) * (acts[i // 2] > 0)
                params[i] -= LEARNING_RATE * grad_w
                params[i + 1] -= LEARNING_RATE * grad_b
    return epoch


# -- the frameworks ----------------------------------------------------------------------------------
def mlp(module, widths, optimizer=None):
    """The protocol's network in ``module`` (nnlite or keras): relu layers, softmax output, compiled."""
    model = module.Sequential([module.Input((widths[0],))] + [
        module.layers.Dense(w, activation="relu" if i < len(widths) - 2 else "softmax")
        for i, w in enumerate(widths[1:])])
    model.compile(optimizer=optimizer or module.optimizers.SGD(LEARNING_RATE), loss="categorical_crossentropy")
    return model


def _fit_in(module, widths, batch, rows):
    """The same script for nnlite and for Keras (nnlite is a drop-in): epochs timed inside one fit,
    so fit's one-off input checks are not counted as an epoch's cost."""
    x, y, _, weights = problem(widths, rows)
    model = mlp(module, widths)
    model.set_weights(weights)
    marks = []

    def mark(epoch, logs=None):
        marks.append(time.perf_counter())

    clock = module.callbacks.LambdaCallback(on_epoch_begin=mark, on_epoch_end=mark)

    def run(epochs):
        marks.clear()
        model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0, callbacks=[clock])
        return [end - start for start, end in zip(marks[0::2], marks[1::2])]
    return run


def nnlite_fit(widths, batch, rows):
    import nnlite

    return _fit_in(nnlite, widths, batch, rows)


def keras_fit(widths, batch, rows):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return _fit_in(keras, widths, batch, rows)


def torch_eager(widths, batch, rows):
    import torch

    torch.set_num_threads(int(os.environ.get("BENCH_CORES") or os.cpu_count() or 2))
    x, _, labels, weights = problem(widths, rows)
    modules = []
    for i in range(0, len(weights), 2):
        linear = torch.nn.Linear(weights[i].shape[0], weights[i].shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights[i].T))
            linear.bias.copy_(torch.from_numpy(weights[i + 1]))
        modules += [linear, torch.nn.ReLU()]
    net = torch.nn.Sequential(*modules[:-1])
    opt = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)

    def epoch():
        for rows_ in batches(rows, batch):
            opt.zero_grad()
            loss = loss_fn(net(xt[rows_]), yt[rows_])
            loss.backward()
            opt.step()
    return epoch


def jax_jit(widths, batch, rows):
    import jax
    import jax.numpy as jnp

    x, y, _, weights = problem(widths, rows)
    params = [jnp.asarray(w) for w in weights]

    def loss_fn(params, xb, yb):
        a = xb
        for i in range(0, len(params) - 2, 2):
            a = jax.nn.relu(a @ params[i] + params[i + 1])
        z = a @ params[-2] + params[-1]
        return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(z), axis=1))

    @jax.jit
    def step(params, xb, yb):
        grads = jax.grad(loss_fn)(params, xb, yb)
        return [p - LEARNING_RATE * g for p, g in zip(params, grads)]

    xj, yj = jnp.asarray(x), jnp.asarray(y)
    state = {"params": params}

    def epoch():
        p = state["params"]
        for rows_ in batches(rows, batch):
            p = step(p, xj[rows_], yj[rows_])
        jax.block_until_ready(p)
        state["params"] = p
    return epoch


def sklearn_partial_fit(widths, batch, rows):
    from sklearn.neural_network import MLPClassifier

    x, _, labels, weights = problem(widths, rows)
    net = MLPClassifier(hidden_layer_sizes=tuple(widths[1:-1]), solver="sgd", learning_rate_init=LEARNING_RATE,
                        momentum=0.0, nesterovs_momentum=False, alpha=0.0, batch_size=batch, shuffle=False)
    classes = np.arange(widths[-1])
    net.partial_fit(x[:batch], labels[:batch], classes=classes)  # builds the layers
    net.coefs_ = [w.copy() for w in weights[0::2]]
    net.intercepts_ = [b.copy() for b in weights[1::2]]
    return lambda: net.partial_fit(x, labels)


FRAMEWORKS = {"floor": floor, "numpy": numpy_loop, "nnlite": nnlite_fit, "pytorch": torch_eager,
              "jax": jax_jit, "sklearn": sklearn_partial_fit, "keras": keras_fit, "jax-floor": jax_floor}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", choices=sorted(FRAMEWORKS), required=True)
    parser.add_argument("--size", choices=sorted(SIZES), required=True)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    cores = os.environ.get("BENCH_CORES")  # the cores sweep: this process on the first n cores only
    if cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, range(int(cores)))
    widths, batch, rows = SIZES[args.size]
    try:
        epoch = FRAMEWORKS[args.framework](widths, batch, rows)
    except ImportError as err:
        print(json.dumps({"framework": args.framework, "size": args.size, "missing": str(err)}))
        return
    if args.framework in ("nnlite", "keras"):  # epochs timed inside one fit; the first is the warm-up
        seconds = epoch(args.epochs + 1)[1:]
    else:
        epoch()  # warm-up: compilation, caches, first allocations
        seconds = []
        for _ in range(args.epochs):
            start = time.perf_counter()
            epoch()
            seconds.append(time.perf_counter() - start)
    print(json.dumps({"framework": args.framework, "size": args.size, "seconds": seconds}))


if __name__ == "__main__":
    main()

"""Two more measurements run through ``python -m benchmarks.run``:

* a busy machine: an epoch of M and L while a competing process (started and stopped here) keeps one
  core busy, against the same epoch on the quiet machine; nnlite as it runs (BLAS threads chosen
  per free core, ``nnlite.threads``), nnlite with that choice off (NNLITE_THREADS=off), and the peers;
* every activation: the epoch of a 784-256-128-10 network with that activation in the hidden layers,
  relative to relu.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

from .workers import SIZES, mlp, problem


@contextlib.contextmanager
def competitor():
    """One other program keeping a core busy, for as long as the block runs."""
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(1.0)  # let it take its core
    try:
        yield
    finally:
        process.kill()
        process.wait()


def busy_machine(run_worker, sizes=("M", "L"), frameworks=("nnlite", "pytorch", "jax"), epochs=3) -> list[dict]:
    """Median seconds per epoch, quiet and with a competitor, per framework and size."""
    rows = []
    for size in sizes:
        cases = [(fw, {}) for fw in frameworks] + [("nnlite", {"NNLITE_THREADS": "off"})]
        for fw, env in cases:
            quiet = run_worker(fw, size, epochs, env)
            with competitor():
                busy = run_worker(fw, size, epochs, env)
            if "seconds" not in quiet or "seconds" not in busy:
                continue
            q, b = statistics.median(quiet["seconds"]), statistics.median(busy["seconds"])
            label = fw + (" (threads off)" if env else "")
            rows.append({"framework": label, "size": size, "quiet": q, "busy": b, "ratio": b / q})
            print(rows[-1], flush=True)
    return rows


def one_epoch_fits(size: str = "M", fits: int = 4) -> list[dict]:
    """Median seconds of ``fit(..., epochs=1)`` called in a loop (live plots, notebooks), quiet and with a
    competitor, nnlite as it runs and with its thread choice off: each call decides its BLAS threads afresh."""
    import os

    import nnlite

    widths, batch, rows = SIZES[size]
    x, y, _, _ = problem(widths, rows)

    def median_fit() -> float:
        model = nnlite.Sequential([nnlite.Input((widths[0],))]
                                  + [nnlite.layers.Dense(w, activation="relu") for w in widths[1:-1]]
                                  + [nnlite.layers.Dense(widths[-1])])
        model.compile(nnlite.optimizers.SGD(0.01), "mse")
        model.fit(x[:batch * 2], y[:batch * 2], batch_size=batch, epochs=1, verbose=0)  # builds it
        times = []
        for _ in range(fits):
            start = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    out = []
    for label, setting in (("nnlite, fit(epochs=1) in a loop", None), ("nnlite (threads off), fit(epochs=1)", "off")):
        before = os.environ.get("NNLITE_THREADS")
        if setting:
            os.environ["NNLITE_THREADS"] = setting
        try:
            quiet = median_fit()
            with competitor():
                busy = median_fit()
        finally:
            if setting:
                os.environ.pop("NNLITE_THREADS") if before is None else os.environ.update(NNLITE_THREADS=before)
        out.append({"framework": label, "size": size, "quiet": quiet, "busy": busy, "ratio": busy / quiet})
        print(out[-1], flush=True)
    return out


def activations(rows: int = 8192, repeats: int = 3) -> list[dict]:
    """Seconds per epoch of the M network with each activation in its hidden layers, and the ratio to relu."""
    import nnlite

    widths, batch, _ = SIZES["M"]
    x, y, _, weights = problem(widths, rows)
    out = []
    for name in nnlite.activations.names():
        if name in ("softmax", "log_softmax", "glu"):  # normalizations over a layer, and glu halves its input:
            continue  # not hidden activations of this network
        try:
            activation = nnlite.activations.get(name)
        except ValueError:  # one whose parameters have no defaults (threshold): not given by its name alone
            continue
        model = mlp(nnlite, widths)
        for layer in model.layers[:-1]:
            layer.activation = activation
        model.set_weights(weights)
        with warnings.catch_warnings():  # an activation that diverges here (exponential) is reported, not shown
            warnings.simplefilter("ignore", RuntimeWarning)
            model.fit(x[:batch * 4], y[:batch * 4], batch_size=batch, epochs=1, shuffle=False, verbose=0)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            history = model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
            times.append(time.perf_counter() - start)
        finite = bool(np.isfinite(history.history["loss"][-1]))  # a diverged fit stops early: no comparison
        out.append({"activation": name, "seconds": statistics.median(times) if finite else float("nan")})
    relu = next(r["seconds"] for r in out if r["activation"] == "relu")
    for r in out:
        r["vs_relu"] = r["seconds"] / relu
    return out


def markdown(busy: list[dict], per_activation: list[dict]) -> str:
    lines = ["## A busy machine (one competing process on the cores)\n",
             "| framework | size | quiet s/epoch | busy s/epoch | busy / quiet |", "|---|---|---|---|---|"]
    lines += [f"| {r['framework']} | {r['size']} | {r['quiet']:.3f} | {r['busy']:.3f} | {r['ratio']:.2f}x |"
              for r in busy]
    lines += ["", "## Every activation (784-256-128-10, hidden layers), epoch time relative to relu\n",
              "| activation | s/epoch | vs relu |", "|---|---|---|"]
    lines += [f"| {r['activation']} | {r['seconds']:.3f} | {r['vs_relu']:.2f}x |" if r["seconds"] == r["seconds"]
              else f"| {r['activation']} | diverges at this learning rate | - |" for r in per_activation]
    return "\n".join(lines) + "\n"

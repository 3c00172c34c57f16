"""Extra measurements: step time against batch size and width, peak memory of a fit, import time,
predict throughput. Run through ``python -m benchmarks.run``; each sweep compares nnlite with
the floor (the same step's matrix products alone)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from .workers import floor, mlp, problem


def _nnlite_model(widths, optimizer="sgd"):
    import nnlite

    return mlp(nnlite, widths, None if optimizer == "sgd" else nnlite.optimizers.Adam())


def _per_step(widths, batch, steps=20, repeats=3):
    """Median seconds per training step for nnlite and for the floor."""
    rows = batch * steps
    x, y, _, weights = problem(widths, rows)
    model = _nnlite_model(widths)
    model.set_weights(weights)
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)  # warm-up
    mine, base = [], []
    floor_epoch = floor(widths, batch, rows)
    floor_epoch()
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
        mine.append((time.perf_counter() - start) / steps)
        start = time.perf_counter()
        floor_epoch()
        base.append((time.perf_counter() - start) / steps)
    return statistics.median(mine), statistics.median(base)


def batch_sweep():
    out = []
    for batch in [1, 4, 16, 64, 256, 1024]:
        mine, base = _per_step([784, 256, 128, 10], batch, steps=max(5, min(40, 4096 // batch)))
        out.append({"batch": batch, "nnlite": mine, "floor": base})
    return out


def width_sweep():
    out = []
    for width in [64, 128, 256, 512, 1024, 2048]:
        mine, base = _per_step([784, width, width, 10], 128, steps=10)
        out.append({"width": width, "nnlite": mine, "floor": base})
    return out


def peak_memory(optimizer: str):
    """tracemalloc's peak during a fit, against weights + gradients + optimizer state + one batch's activations."""
    widths, batch = [784, 1024, 1024, 10], 256
    x, y, _, weights = problem(widths, 4096)
    tracemalloc.start()
    model = _nnlite_model(widths, optimizer)
    model.set_weights(weights)
    tracemalloc.reset_peak()
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    params = sum(w.nbytes for w in weights)
    state = {"sgd": 0, "adam": 2 * params}[optimizer]
    activations = batch * 4 * (widths[0] + 2 * sum(widths[1:]))  # x, then z and a of every layer
    need = 2 * params + state + activations  # weights and their gradients
    return {"optimizer": optimizer, "peak_bytes": peak, "need_bytes": need, "ratio": peak / need}


def import_time(repeats=7):
    """Seconds to ``import numpy`` and ``import nnlite`` in fresh interpreters, with nnlite's bytecode cached as an
    installed package has it (a first import writes it; PYTHONDONTWRITEBYTECODE would make every run compile
    nnlite from source while NumPy's installed bytecode is read, which is not what a user's import costs)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def timed(code):
        subprocess.run([sys.executable, "-c", code], check=True, env=env)  # writes the bytecode cache
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    bare = timed("pass")
    numpy_s = timed("import numpy") - bare
    nnlite_s = timed("import nnlite") - bare
    heavy = subprocess.run([sys.executable, "-c", "import sys, nnlite; print(sorted(m for m in sys.modules if "
                            "m.split('.')[0] in ('tensorflow','keras','torch','jax','scipy','matplotlib','h5py',"
                            "'tqdm')))"], capture_output=True, text=True).stdout.strip()
    return {"numpy_s": numpy_s, "nnlite_s": nnlite_s, "ratio": nnlite_s / numpy_s, "heavy_modules": heavy}


def predict_throughput():
    widths = [784, 256, 128, 10]
    x, _, _, weights = problem(widths, 60000)
    model = _nnlite_model(widths)
    model.set_weights(weights)
    out = {}
    for batch in (32, 1024):
        model.predict(x[:2048], batch_size=batch, verbose=0)
        start = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        out[f"nnlite_rows_per_s_batch{batch}"] = len(x) / (time.perf_counter() - start)
    kernels = weights[0::2]
    start = time.perf_counter()
    for i in range(0, len(x), 1024):
        a = x[i:i + 1024]
        for W in kernels:
            a = a @ W
    out["floor_rows_per_s_batch1024"] = len(x) / (time.perf_counter() - start)
    return out


def run_all(results: Path) -> dict:
    extras = {"batch_sweep": batch_sweep(), "width_sweep": width_sweep(),
              "memory": [peak_memory("sgd"), peak_memory("adam")], "import": import_time(),
              "predict": predict_throughput()}
    plot_sweeps(extras, results / "sweeps.png")
    return extras


def plot_sweeps(extras, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, key, label in ((axes[0], "batch", "batch size (784-256-128-10)"),
                           (axes[1], "width", "hidden width (784-w-w-10, batch 128)")):
        rows = extras[f"{key}_sweep"]
        xs = [r[key] for r in rows]
        ax.loglog(xs, [r["nnlite"] * 1e3 for r in rows], "o-", color="#d62728", label="nnlite")
        ax.loglog(xs, [r["floor"] * 1e3 for r in rows], "s--", color="#888888", label="floor")
        ax.set_xlabel(label)
        ax.set_ylabel("ms per training step")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(extras) -> str:
    lines = ["## Step time against batch size and width\n", "| batch | nnlite ms/step | floor ms/step | ratio |",
             "|---|---|---|---|"]
    lines += [f"| {r['batch']} | {r['nnlite'] * 1e3:.3f} | {r['floor'] * 1e3:.3f} | {r['nnlite'] / r['floor']:.2f}x |"
              for r in extras["batch_sweep"]]
    lines += ["", "| width | nnlite ms/step | floor ms/step | ratio |", "|---|---|---|---|"]
    lines += [f"| {r['width']} | {r['nnlite'] * 1e3:.3f} | {r['floor'] * 1e3:.3f} | {r['nnlite'] / r['floor']:.2f}x |"
              for r in extras["width_sweep"]]
    lines += ["", "![sweeps](sweeps.png)", "", "## Peak memory of a fit (784-1024-1024-10, batch 256)\n",
              "| optimizer | peak (tracemalloc) | weights + gradients + state + one batch | ratio |",
              "|---|---|---|---|"]
    lines += [f"| {m['optimizer']} | {m['peak_bytes'] / 2**20:.1f} MiB | {m['need_bytes'] / 2**20:.1f} MiB | "
              f"{m['ratio']:.2f}x |" for m in extras["memory"]]
    imp = extras["import"]
    lines += ["", "## Import time\n", f"`import numpy` {imp['numpy_s'] * 1e3:.0f} ms; `import nnlite` (NumPy "
              f"included) {imp['nnlite_s'] * 1e3:.0f} ms: {imp['ratio']:.2f}x. Heavy modules loaded: "
              f"{imp['heavy_modules']}.", "", "## Predict throughput (784-256-128-10, 60,000 rows)\n"]
    lines += [f"- {k.replace('_', ' ')}: {v:,.0f}" for k, v in extras["predict"].items()]
    return "\n".join(lines) + "\n"

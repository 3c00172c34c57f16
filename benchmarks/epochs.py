"""What the convnet and LSTM rows share: a Keras-style fit timed per epoch, one framework per process, and the
results table with its ratios."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def keras_like(name: str) -> Any:
    """nnlite or Keras (TensorFlow's logging quiet), imported when its row is measured."""
    if name == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return importlib.import_module(name)


def frameworks(fit: Callable, floor: Callable, torch_epoch: Callable, jax_epoch: Callable) -> dict[str, Callable]:
    """A row's frameworks: name -> (rows -> the epoch to time), nnlite and Keras through the same ``fit``."""
    return {"floor": floor, "nnlite": lambda rows: fit(keras_like("nnlite"), rows), "pytorch": torch_epoch,
            "jax": jax_epoch, "keras": lambda rows: fit(keras_like("keras"), rows)}


def jax_sgd_epoch(loss: Callable, params: Any, x: Any, y: Any, rows: int, batch: int, rate: float
                  ) -> Callable[[], None]:
    """One epoch of a jitted JAX step: params - rate * grad(loss), per batch in order, on the CPU."""
    import jax

    @jax.jit
    def step(params: Any, xb: Any, yb: Any) -> Any:
        grads = jax.grad(loss)(params, xb, yb)
        return jax.tree_util.tree_map(lambda p, g: p - rate * g, params, grads)

    state = {"params": params}

    def epoch() -> None:
        p = state["params"]
        for start in range(0, rows, batch):
            p = step(p, x[start:start + batch], y[start:start + batch])
        jax.block_until_ready(p)
        state["params"] = p
    return epoch


def torch_sgd_epoch(torch: Any, net: Any, loss_fn: Any, x: Any, y: Any, rows: int, batch: int, rate: float
                    ) -> Callable[[], None]:
    """One epoch of PyTorch's plain loop: zero_grad, forward, loss, backward, SGD step, per batch in order."""
    opt = torch.optim.SGD(net.parameters(), lr=rate)

    def epoch() -> None:
        for start in range(0, rows, batch):
            opt.zero_grad()
            loss = loss_fn(net(x[start:start + batch]), y[start:start + batch])
            loss.backward()
            opt.step()
    return epoch


def timed_fit(model: Any, module: Any, x: Any, y: Any, batch: int) -> Callable[[int], list[float]]:
    """run(epochs) -> the seconds of each epoch of ``model.fit`` (compiled already), timed by a callback."""
    marks: list[float] = []
    clock = module.callbacks.LambdaCallback(on_epoch_begin=lambda *_: marks.append(time.perf_counter()),
                                            on_epoch_end=lambda *_: marks.append(time.perf_counter()))

    def run(epochs: int) -> list[float]:
        marks.clear()
        model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0, callbacks=[clock])
        return [end - start for start, end in zip(marks[0::2], marks[1::2])]
    return run


def measure(frameworks: dict[str, Callable], framework: str, epochs: int, rows: int) -> dict:
    """Seconds of ``epochs`` epochs after a warm-up one; a framework that is not installed says so."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")  # JAX on the CPU, as every other framework here
    try:
        epoch = frameworks[framework](rows)
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


def main(module_name: str, frameworks: dict[str, Callable], rows: int, title: str) -> None:
    """The command line of a row: one framework as JSON, or every one (each in its own process) into
    results/<row>.md and .json."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", choices=sorted(frameworks))
    parser.add_argument("--rows", type=int, default=rows)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    if args.framework:
        print(json.dumps(measure(frameworks, args.framework, args.epochs, args.rows)))
        return
    found = {}
    for name in frameworks:  # each in its own process, one after another
        done = subprocess.run([sys.executable, "-m", module_name, "--framework", name],
                              capture_output=True, text=True, check=True)
        found[name] = json.loads(done.stdout.strip().splitlines()[-1])
    median = {k: statistics.median(v["seconds"]) for k, v in found.items() if "seconds" in v}
    lines = [f"# {title}", "",
             f"{os.cpu_count()} cores. Seconds per epoch, median of 3 after a warm-up; ratios to nnlite.", "",
             "| framework | seconds | nnlite / it |", "|---|---|---|"]
    for name, seconds in median.items():
        lines.append(f"| {name} | {seconds:.3f} | {median['nnlite'] / seconds:.2f} |")
    lines += [f"| {name} | missing: {row['missing']} | |" for name, row in found.items() if "missing" in row]
    row = module_name.rsplit(".", 1)[-1]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{row}.md").write_text("\n".join(lines) + "\n")
    (RESULTS / f"{row}.json").write_text(json.dumps({"cores": os.cpu_count(), "rows": found}, indent=1) + "\n")
    print("\n".join(lines))

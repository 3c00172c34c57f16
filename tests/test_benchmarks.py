"""A smoke test of the benchmark harness at toy size: it runs, and reports seconds or "missing"."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_workers_report_epoch_times():
    for framework in ("floor", "numpy", "nnlite"):
        done = subprocess.run([sys.executable, "-m", "benchmarks.workers", "--framework", framework, "--size", "S",
                               "--epochs", "1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["framework"] == framework and len(result["seconds"]) == 1 and result["seconds"][0] > 0


def test_same_starting_weights_and_data_for_every_framework():
    sys.path.insert(0, str(ROOT))
    from benchmarks.workers import problem

    a, b = problem([8, 4, 3], 10), problem([8, 4, 3], 10)
    assert all((u == v).all() for u, v in zip(a[3], b[3])) and (a[0] == b[0]).all()
    assert a[0].dtype.name == "float32" and a[1].sum(axis=1).tolist() == [1.0] * 10


@pytest.mark.parametrize("row", ["convnet", "lstm"])
def test_the_convnet_and_lstm_rows_run_at_toy_size(row):
    for framework in ("floor", "nnlite"):
        done = subprocess.run([sys.executable, "-m", f"benchmarks.{row}", "--framework", framework, "--rows", "128",
                               "--epochs", "1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["framework"] == framework and len(result["seconds"]) == 1 and result["seconds"][0] > 0


def test_the_cores_sweep_holds_a_worker_to_n_cores_and_tabulates_ratios():
    """The sweep's core counts (1, 2, 4, ... and the machine's own), a worker held to one core by BENCH_CORES
    (it still reports an epoch), and the table's ratio to the floor on as many cores."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.run import amdahl, core_counts, sweep_table

    assert core_counts(1) == [1] and core_counts(2) == [1, 2] and core_counts(12) == [1, 2, 4, 8, 12]
    done = subprocess.run([sys.executable, "-m", "benchmarks.workers", "--framework", "nnlite", "--size", "S",
                           "--epochs", "1"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "BENCH_CORES": "1", "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["seconds"][0] > 0
    table = sweep_table([{"cores": 1, "framework": "floor", "size": "M", "seconds": 0.5},
                         {"cores": 1, "framework": "nnlite", "size": "M", "seconds": 0.6},
                         {"cores": 2, "framework": "floor", "size": "M", "seconds": 0.3}])
    assert "| M | 1 | 0.500 (1.00x) | 0.600 (1.20x) |" in table and "| M | 2 | 0.300 (1.00x) | - |" in table
    # R = 0.1 s beside F = 0.5 s: 1 + 0.1 * 8 / 0.5 = 2.6 on 8 cores
    assert "8 cores 2.60x, 16 cores 4.20x" in amdahl([{"cores": 1, "framework": "floor", "size": "M", "seconds": 0.5},
                                                      {"cores": 1, "framework": "nnlite", "size": "M", "seconds": 0.6}])


def test_the_activation_row_times_every_hidden_activation_nnlite_names():
    """Every activation that a name gives and that keeps a layer's width is timed (glu halves it, threshold needs
    arguments); relu is the reference, so its ratio is 1."""
    sys.path.insert(0, str(ROOT))
    import nnlite
    from benchmarks.busy import activations

    rows = activations(rows=256, repeats=1)
    timed = {r["activation"] for r in rows}
    assert {"relu", "gelu", "selu", "tanh"} <= timed and not {"glu", "threshold", "softmax"} & timed
    assert len(timed) == len(nnlite.activations.names()) - 4
    assert next(r for r in rows if r["activation"] == "relu")["vs_relu"] == 1.0

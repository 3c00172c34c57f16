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

"""The project's promises about itself: light import, README commands, style."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_import_needs_numpy_only():
    code = ("import sys, nnlite; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'torch', 'jax', 'tqdm', 'scipy', 'matplotlib', 'h5py')]; "
            "print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_import_leaves_file_and_message_machinery_until_it_is_used():
    """``import nnlite`` does not load what only saving, reading the digits, CSV logs, TensorBoard, Jupyter tables
    or a misspelt name need (they load on first use); their first use still works."""
    lazy = ("json", "csv", "shutil", "gzip", "difflib", "html", "importlib.resources", "h5py", "zipfile")
    code = (f"import sys, nnlite; print(sorted(m for m in {lazy!r} if m in sys.modules)); "
            "nnlite.datasets.load_digits(); nnlite.callbacks.CSVLogger; nnlite.activations.get('relu'); "
            "print(sorted(m for m in ('gzip', 'importlib.resources') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "['gzip', 'importlib.resources']"], done.stdout


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```\n(.*?)\n```", readme, re.S)
    test_command = next(b for b in blocks if "pytest" in b)
    assert test_command in (ROOT / ".ci" / "run").read_text()
    assert any(b.strip().endswith("python -m nnlite") and b.startswith("pip install") for b in blocks)


README_BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


@pytest.mark.parametrize("block", README_BLOCKS, ids=[f"block{k}" for k in range(len(README_BLOCKS))])
def test_every_readme_code_block_runs_as_written(block, tmp_path, keras):
    done = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]


def test_ruff_is_clean():
    if importlib.util.find_spec("ruff") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("ruff is part of the test dependencies and must be installed in CI")
        pytest.skip("ruff not installed")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "nnlite", "tests"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr

"""The reference manual: every public name has a docstring, the core API documents each argument, the
examples in the docstrings run as written, and the manual builds with warnings as errors."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pathlib
import pkgutil
import re
import runpy
import subprocess
import sys
import types

import pytest

import nnlite

from .conftest import require

ROOT = pathlib.Path(__file__).resolve().parents[1]
MANUAL = runpy.run_path(str(ROOT / "docs" / "conf.py"))  # the manual's own module list and public-name rule
MODULES = MANUAL["MODULES"]
CORE = [nnlite.Input, nnlite.Model, nnlite.layers.Dense, nnlite.Sequential, nnlite.Model.compile, nnlite.Model.fit,
        nnlite.Model.evaluate, nnlite.Model.predict, nnlite.Model.save, nnlite.saving.load_model,
        nnlite.optimizers.Adam, nnlite.optimizers.SGD, nnlite.optimizers.RMSprop, nnlite.callbacks.EarlyStopping,
        nnlite.callbacks.ModelCheckpoint, nnlite.callbacks.ReduceLROnPlateau, nnlite.layers.Dropout,
        nnlite.layers.Embedding, nnlite.layers.Normalization, nnlite.layers.BatchNormalization,
        nnlite.losses.MeanSquaredError, nnlite.losses.BinaryCrossentropy, nnlite.losses.CategoricalCrossentropy,
        nnlite.losses.SparseCategoricalCrossentropy]




def _public(module: types.ModuleType) -> list[tuple[str, object]]:
    """(name, object) for each class and function the manual documents for ``module``."""
    return [(name, getattr(module, name)) for name in MANUAL["public_names"](module)]


def test_every_public_class_and_function_has_a_docstring():
    missing = [f"{m}.{n}" for m in MODULES for n, o in _public(importlib.import_module(f"nnlite.{m}"))
               if not (o.__dict__.get("__doc__") if inspect.isclass(o) else o.__doc__)]
    assert not missing, missing


@pytest.mark.parametrize("obj", CORE, ids=lambda o: o.__qualname__)
def test_the_core_api_documents_every_argument_and_shows_an_example(obj):
    """help() on these shows each argument of the signature under Args, and an example (or what it returns)."""
    doc = inspect.getdoc(obj)
    assert "Args:" in doc
    assert not _undocumented_arguments(obj), f"{obj.__qualname__}: {_undocumented_arguments(obj)} not described"
    assert ">>>" in doc


# every module of the manual describes every argument of every public name
FULLY_DOCUMENTED = MODULES


def _undocumented_arguments(obj) -> list[str]:
    """The parameters of ``obj``'s signature its docstring's Args section does not describe."""
    doc = inspect.getdoc(obj) or ""
    args = doc.split("Args:", 1)[1] if "Args:" in doc else ""
    try:
        parameters = inspect.signature(obj).parameters.items()
    except (TypeError, ValueError):
        return []
    missing = []
    for name, parameter in parameters:
        if name == "self":
            continue
        stars = {inspect.Parameter.VAR_KEYWORD: "**", inspect.Parameter.VAR_POSITIONAL: "*"}.get(parameter.kind, "")
        if not re.search(rf"^\s+{re.escape(stars + name)}:", args, re.M):
            missing.append(stars + name)
    return missing


@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_shows_an_example_that_runs(module):
    """help() on any public class or function shows an example (the doctest test runs them all)."""
    missing = [name for name, obj in _public(importlib.import_module(f"nnlite.{module}"))
               if ">>>" not in (inspect.getdoc(obj) or "")]
    assert not missing, missing


@pytest.mark.parametrize("module", FULLY_DOCUMENTED)
def test_fully_documented_modules_describe_every_argument_of_every_public_name(module):
    """help() on any public class or function of these modules lists each of its arguments."""
    gaps = {name: missing for name, obj in _public(importlib.import_module(f"nnlite.{module}"))
            if (missing := _undocumented_arguments(obj))}
    assert not gaps, gaps


def _doctests() -> list[doctest.DocTest]:
    """The examples in every module's docstrings, and in every public name's (ops made by a factory live in a
    module that does not define them by name), each docstring once."""
    finder = doctest.DocTestFinder()
    found: dict[str, doctest.DocTest] = {}
    for info in pkgutil.walk_packages(nnlite.__path__, "nnlite."):
        if info.name.endswith("__main__"):
            continue
        for test in finder.find(importlib.import_module(info.name)):
            found.setdefault(test.docstring or "", test)
    for module in MODULES:
        for name, obj in _public(importlib.import_module(f"nnlite.{module}")):
            for test in finder.find(obj, f"nnlite.{module}.{name}", globs={}):
                found.setdefault(test.docstring or "", test)
    return [t for t in found.values() if t.examples]


def test_the_examples_in_the_docstrings_run_as_written():
    tests = _doctests()
    assert len(tests) >= 500  # an example for each public name of every module (some share a docstring)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0 and results.attempted > 1500, results


def test_the_manual_builds_without_a_warning(tmp_path):
    """python -m sphinx -W (warnings are errors), the README as the front page, a page per module; the notebooks
    are rendered without running them here (test_notebooks runs them; the README's docs command runs them too)."""
    require("sphinx")
    require("myst_nb")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           "-D", "nb_execution_mode=off", str(ROOT / "docs"), str(tmp_path / "html")],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-4000:]
    pages = {p.name for p in (tmp_path / "html" / "reference").glob("*.html")}
    assert {f"{m}.html" for m in MODULES} <= pages
    dense = (tmp_path / "html" / "reference" / "layers.html").read_text()
    assert "nnlite.layers.Dense" in dense and "kernel_initializer" in dense and "grad_z" in dense
    assert (tmp_path / "html" / "notebooks" / "04_playground.html").exists()



BASES = [nnlite.Model, nnlite.Sequential, nnlite.layers.Layer, nnlite.metrics.Metric, nnlite.optimizers.Optimizer,
         nnlite.callbacks.Callback, nnlite.losses.Loss]


@pytest.mark.parametrize("cls", BASES, ids=lambda c: c.__name__)
def test_the_methods_users_call_and_override_describe_their_arguments(cls):
    """help(Model.train_on_batch), help(Layer.add_weight), help(Callback.on_epoch_end): every public method of the
    classes users subclass has a docstring that lists each argument."""
    gaps = {name: _undocumented_arguments(fn) or "no docstring"
            for name, fn in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_") and (not fn.__doc__ or _undocumented_arguments(fn))}
    assert not gaps, gaps

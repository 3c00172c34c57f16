"""The shape of the code: no import cycle, no reaching into another object's private names,
every concept's names in its registry."""

from __future__ import annotations

import ast
import importlib

import pytest

import nnlite
from nnlite import registry

from .import_graph import cycles, graph, modules


def test_the_import_graph_has_no_cycle():
    edges = graph()
    assert "nnlite.saving" in edges["nnlite.models.model"]  # the walk sees imports inside functions too
    assert cycles(edges) == []


def test_no_module_reaches_into_private_names_of_other_objects():
    offenders = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                offenders.append(f"{name}:{node.lineno} {ast.unparse(node)}")
    assert offenders == []


def test_no_submodule_is_hidden_by_a_name_in_its_package():
    for name in modules():
        package, _, leaf = name.rpartition(".")
        if package and leaf != "__main__":
            attribute = getattr(importlib.import_module(package), leaf, None)
            assert attribute is None or attribute is importlib.import_module(name), name


@pytest.mark.parametrize("reg", registry.ALL, ids=lambda r: r.kind)
def test_every_public_class_of_a_concept_is_registered(reg):
    """A class exported under a Keras name is in its registry (so it works by name and in files)."""
    homes = {"activation": nnlite.activations, "loss": nnlite.losses, "metric": nnlite.metrics,
             "optimizer": nnlite.optimizers, "learning-rate schedule": nnlite.optimizers.schedules,
             "initializer": nnlite.initializers, "regularizer": nnlite.regularizers,
             "constraint": nnlite.constraints, "layer": nnlite.layers, "callback": nnlite.callbacks,
             "seed generator": nnlite.random}
    home = homes.get(reg.kind)
    if home is None:  # a registry a test module made
        pytest.skip(f"no public module for {reg.kind}")
    registered = set(reg.classes().values())
    public = {obj for n, obj in vars(home).items() if isinstance(obj, type) and issubclass(obj, reg.base)
              and obj is not reg.base and not n.startswith("_") and n[0].isupper()}
    abstract = {getattr(home, n, None) for n in ("MeanMetricWrapper", "CrossentropyMetric", "LossFunctionWrapper",
                                                  "Crossentropy", "RandomInitializer", "Model",
                                                  "NumericalActivation", "Wrapper")}
    assert public - registered - abstract == set()

"""Every registered object: get_config() is Keras's JSON-safe config, from_config() rebuilds it, and
Keras reads it. Parametrised over the registries, so a newly registered class is covered as it is."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nnlite
from nnlite import registry

CASES = [(reg, name) for reg in registry.ALL if reg.kind != "callback" for name in reg.classes()]


def _example(reg, name):
    example = reg.examples[name]
    return reg.classes()[name](**(example() if callable(example) else example))


@pytest.mark.parametrize(("reg", "name"), CASES, ids=[f"{r.kind}-{n}" for r, n in CASES])
def test_from_config_of_get_config_is_the_same_object(reg, name):
    obj = _example(reg, name)
    config = json.loads(json.dumps(obj.get_config()))  # JSON-safe, as config.json needs (tuples become lists)
    again = type(obj).from_config(config)
    assert type(again) is type(obj) and json.loads(json.dumps(again.get_config())) == config
    entry = json.loads(json.dumps(reg.serialize(obj)))
    assert entry["class_name"] == name and entry["config"] == config
    assert json.loads(json.dumps(reg.deserialize(entry).get_config())) == config


def test_settings_survive_the_round_trip():
    """Non-default settings come back (a config that forgot one would silently reset it)."""
    examples = [
        nnlite.losses.Huber(delta=0.3), nnlite.losses.CategoricalCrossentropy(label_smoothing=0.2, axis=0),
        nnlite.losses.SparseCategoricalCrossentropy(ignore_class=2, reduction="sum"),
        nnlite.metrics.BinaryAccuracy(threshold=0.7), nnlite.metrics.SparseTopKCategoricalAccuracy(k=3),
        nnlite.optimizers.Adam(0.02, beta_1=0.8, amsgrad=True, clipnorm=1.5, use_ema=True),
        nnlite.optimizers.SGD(nnlite.optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=5)),
        nnlite.initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=4),
        nnlite.initializers.Constant(np.array([1.0, 2.0])), nnlite.regularizers.L1L2(0.1, 0.2),
        nnlite.constraints.MinMaxNorm(0.5, 2.0, rate=0.5), nnlite.layers.Dropout(0.3, noise_shape=(None, 1), seed=5),
        nnlite.layers.Dense(3, activation="tanh", use_bias=False, kernel_regularizer="l2",
                            activity_regularizer=nnlite.regularizers.L1(0.5), kernel_constraint="non_neg"),
    ]
    for obj in examples:
        config = json.loads(json.dumps(obj.get_config()))
        again = type(obj).from_config(config)
        assert again.get_config() == obj.get_config(), type(obj).__name__
    adam = nnlite.optimizers.Adam.from_config(examples[5].get_config())
    assert adam.beta_1 == 0.8 and adam.amsgrad and adam.clipnorm == 1.5 and adam.use_ema


KERAS_HOMES = {"keras": "", "keras.layers": "layers", "keras.losses": "losses", "keras.metrics": "metrics",
               "keras.optimizers": "optimizers", "keras.optimizers.schedules": "optimizers.schedules",
               "keras.initializers": "initializers", "keras.regularizers": "regularizers",
               "keras.constraints": "constraints", "keras.src.models.functional": "src.models.functional"}
# Operation (a keras.ops call in a graph) is nnlite's own: Keras records ops under classes of its own
KERAS_CASES = [(reg, name) for reg, name in CASES if reg.module in KERAS_HOMES and name != "Operation"]


def _keras_class(keras, reg, name):
    home = keras
    for part in filter(None, KERAS_HOMES[reg.serialize(_example(reg, name))["module"]].split(".")):
        home = getattr(home, part)
    return getattr(home, name, None)


@pytest.mark.parametrize(("reg", "name"), KERAS_CASES, ids=[f"{r.kind}-{n}" for r, n in KERAS_CASES])
def test_keras_reads_the_config(keras, reg, name):
    """Keras 3.15 builds its own class from nnlite's config, with the same settings and keys."""
    keras_cls = _keras_class(keras, reg, name)
    if keras_cls is None:
        pytest.fail(f"{name} is registered under {reg.module} but Keras has no such class")
    obj = _example(reg, name)
    config = json.loads(json.dumps(obj.get_config()))
    twin = keras_cls.from_config(json.loads(json.dumps(config)))  # (Keras pops keys from what it is given)
    theirs = json.loads(json.dumps(twin.get_config()))
    # Keras 3.15 leaves these out of its own configs (it still reads them); nnlite keeps them
    extra = {"Huber": {"delta"}, "CosineSimilarity": {"axis"}, "SparseTopKCategoricalAccuracy": {"from_sorted_ids"},
             "Identity": {"gain"}, "SparseCategoricalCrossentropy": {"axis"}}
    assert set(theirs) - set(config) == set(), f"keys Keras writes that nnlite does not: {set(theirs) - set(config)}"
    assert set(config) - set(theirs) <= extra.get(name, set())
    for key, value in theirs.items():
        mine = config[key]
        if name == "Lambda" and key == "function":  # Keras reads the "builtins" tanh back as keras.activations.tanh:
            assert float(twin.function(np.array(0.5))) == pytest.approx(np.tanh(0.5))  # the same function
            continue
        if isinstance(value, float) and isinstance(mine, float):
            assert value == pytest.approx(mine, rel=1e-7), key  # Keras keeps some factors as float32
        elif key != "name" or reg.kind != "optimizer":  # Keras numbers optimizer names (sgd_1) per session
            assert value == mine, key

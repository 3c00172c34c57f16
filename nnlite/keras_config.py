"""Keras 3 config dicts (``config.json``) to and from nnlite objects, through an allow-list.

Only the classes below are read; every name in a file is looked up in these tables,
never imported. A config that asks for anything else is refused with its name.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from . import activations, initializers, layers, losses, metrics, optimizers, regularizers
from .optimizers import schedules
from .saving import LoadError

LAYERS = {"Dense": layers.Dense, "Dropout": layers.Dropout, "Activation": layers.Activation,
          "ReLU": layers.ReLU, "LeakyReLU": layers.LeakyReLU, "Softmax": layers.Softmax}
OPTIMIZERS = {cls.__name__: cls for cls in (optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.AdamW,
                                             optimizers.Adagrad, optimizers.Adadelta, optimizers.Adamax,
                                             optimizers.Nadam)}
SCHEDULES = dict(schedules._SCHEDULES)
LOSSES = {cls.__name__: cls for cls in set(losses._LOSSES.values())}
INITIALIZERS = {cls.__name__: cls for cls in set(initializers._INITIALIZERS.values())}
METRICS = {"BinaryAccuracy": metrics.BinaryAccuracy, "CategoricalAccuracy": metrics.CategoricalAccuracy,
           "SparseCategoricalAccuracy": metrics.SparseCategoricalAccuracy,
           "TopKCategoricalAccuracy": metrics.TopKCategoricalAccuracy,
           "SparseTopKCategoricalAccuracy": metrics.SparseTopKCategoricalAccuracy,
           "MeanSquaredError": metrics.MeanSquaredError, "MeanAbsoluteError": metrics.MeanAbsoluteError,
           "BinaryCrossentropy": metrics.BinaryCrossentropy, "CategoricalCrossentropy": metrics.CategoricalCrossentropy,
           "SparseCategoricalCrossentropy": metrics.SparseCategoricalCrossentropy}
# keys Keras writes that nnlite accepts only at these (default) values
IGNORED = {"axis": (-1, None), "dtype": None, "ignore_class": (None,), "registered_name": (None,),
           "use_ema": (False,), "ema_momentum": None, "ema_overwrite_frequency": (None,),
           "loss_scale_factor": (None,), "gradient_accumulation_steps": (None,), "kernel_constraint": (None,),
           "bias_constraint": (None,), "quantization_config": (None,), "lora_rank": (None,), "lora_alpha": None,
           "input_axes": (None,), "output_axes": (None,), "noise_shape": (None,), "trainable": (True,)}


def _keras_object(module: str, class_name: str, config: dict) -> dict:
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def _dtype(name: str) -> dict:
    return _keras_object("keras", "DTypePolicy", {"name": name})


# -- nnlite -> Keras ------------------------------------------------------------------------
def _initializer(init: initializers.Initializer) -> dict:
    cfg = init.get_config()
    if "seed" in cfg and not isinstance(cfg["seed"], (int, type(None))):
        cfg["seed"] = None
    return _keras_object("keras.initializers", type(init).__name__, cfg)


def _regularizer(reg: regularizers.Regularizer | None) -> dict | None:
    if reg is None:
        return None
    if reg.l1 and not reg.l2:
        return _keras_object("keras.regularizers", "L1", {"l1": reg.l1})
    if reg.l2 and not reg.l1:
        return _keras_object("keras.regularizers", "L2", {"l2": reg.l2})
    return _keras_object("keras.regularizers", "L1L2", {"l1": reg.l1, "l2": reg.l2})


def _activation_name(activation: activations.Activation, where: str) -> str:
    named = activations._ACTIVATIONS.get(activation.name)
    if named is None or type(named) is not type(activation) or named.params != activation.params:
        raise ValueError(f"{where}: only named activations with default parameters can be saved in a Keras "
                         f"file, got {activation!r}.")
    return activation.name


def layer_config(layer: layers.Layer) -> dict:
    """One entry of Sequential's "layers" list."""
    base = {"name": layer.name, "trainable": layer.trainable, "dtype": _dtype(layer.compute_dtype)}
    if isinstance(layer, layers.Dense):
        cfg = {**base, "units": layer.units, "activation": _activation_name(layer.activation, layer.name),
               "use_bias": layer.use_bias, "kernel_initializer": _initializer(layer.kernel_initializer),
               "bias_initializer": _initializer(layer.bias_initializer),
               "kernel_regularizer": _regularizer(layer.kernel_regularizer),
               "bias_regularizer": _regularizer(layer.bias_regularizer),
               "activity_regularizer": _regularizer(layer.activity_regularizer),
               "kernel_constraint": None, "bias_constraint": None}
    elif isinstance(layer, layers.Dropout):
        cfg = {**base, "rate": layer.rate, "seed": layer.seed if isinstance(layer.seed, int) else None,
               "noise_shape": layer.noise_shape}
    elif isinstance(layer, layers.ReLU):
        cfg = {**base, **{k: layer.activation.params[k] for k in ("max_value", "negative_slope", "threshold")}}
    elif isinstance(layer, layers.LeakyReLU):
        cfg = {**base, "negative_slope": layer.activation.negative_slope}
    elif isinstance(layer, layers.Softmax):
        cfg = {**base, "axis": layer.activation.params.get("axis", -1)}
    elif isinstance(layer, layers.Activation):
        cfg = {**base, "activation": _activation_name(layer.activation, layer.name)}
    else:
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) has no Keras config.")
    entry = _keras_object("keras.layers", type(layer).__name__, cfg)
    if layer.input_shape is not None:
        entry["build_config"] = {"input_shape": list(layer.input_shape)}
    return entry


def _learning_rate(lr: Any) -> Any:
    if isinstance(lr, schedules.LearningRateSchedule):
        return _keras_object("keras.optimizers.schedules", type(lr).__name__, lr.get_config())
    if callable(lr):
        raise ValueError("Only float learning rates and nnlite schedules can be saved in a Keras file.")
    return lr


def _optimizer(opt: optimizers.Optimizer) -> dict:
    cfg = {**opt.get_config(), "learning_rate": _learning_rate(opt.learning_rate), "name": opt.name.lower(),
           "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
           "loss_scale_factor": None, "gradient_accumulation_steps": None}
    return _keras_object("keras.optimizers", type(opt).__name__, cfg)


def _loss(identifier: Any) -> Any:
    if isinstance(identifier, str):
        return identifier
    loss = losses.get(identifier)
    if type(loss).__name__ not in LOSSES:
        raise ValueError(f"The loss {identifier!r} has no Keras config.")
    return _keras_object("keras.losses", type(loss).__name__, loss.get_config())


def _metric(identifier: Any) -> Any:
    if isinstance(identifier, str):
        return identifier
    for class_name, factory in METRICS.items():
        probe = factory()
        if isinstance(identifier, metrics.Metric) and identifier.fn is probe.fn:
            return _keras_object("keras.metrics", class_name, {"name": identifier.name, **identifier.kwargs})
    raise ValueError(f"The metric {identifier!r} has no Keras config.")


def model_config(model: Any) -> dict:
    """The whole config.json of a Sequential."""
    input_shape = list(model.input_shape)
    entries = [_keras_object("keras.layers", "InputLayer", {
        "batch_shape": input_shape, "dtype": model.layers[0].compute_dtype, "sparse": False, "ragged": False,
        "name": "input_layer", "optional": False})]
    entries += [layer_config(layer) for layer in model.layers]
    spec = _keras_object("keras", "Sequential", {"name": model.name, "trainable": True,
                                                 "dtype": _dtype(model.layers[0].compute_dtype),
                                                 "layers": entries, "build_input_shape": input_shape})
    spec["build_config"] = {"input_shape": input_shape}
    if model.compiled:
        spec["compile_config"] = {
            "optimizer": _optimizer(model.optimizer), "loss": _loss(model._loss_id), "loss_weights": None,
            "metrics": [_metric(m) for m in model._metric_ids] or None,
            "weighted_metrics": [_metric(m) for m in model._weighted_metric_ids] or None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}
    return spec


# -- Keras -> nnlite (every name checked) ----------------------------------------------------------
def _expect(obj: Any, what: str, kind: type = dict) -> Any:
    if not isinstance(obj, kind):
        raise LoadError(f"{what} must be a {kind.__name__}, got {type(obj).__name__}.")
    return obj


def _lookup(entry: Any, table: dict, module: str, what: str) -> tuple[Any, dict]:
    """The allowed class an entry names, and its config; anything else is refused by name."""
    entry = _expect(entry, what)
    class_name = entry.get("class_name")
    if entry.get("module", module) != module or class_name not in table:
        named = f"{entry.get('module')}.{class_name}"
        raise LoadError(f"{what}: {named} is not something nnlite loads (allowed: {', '.join(sorted(table))}).")
    if entry.get("registered_name") not in (None, class_name):
        raise LoadError(f"{what}: registered custom object {entry.get('registered_name')!r} refused.")
    return table[class_name], _expect(entry.get("config", {}), f"{what} config")


def _kwargs(cls: Any, cfg: dict, what: str, rename: dict | None = None) -> dict:
    """Keep the config keys ``cls`` takes; the rest must be Keras defaults nnlite does not model."""
    params = inspect.signature(cls).parameters
    accepted = {k for k, p in params.items() if p.kind is not p.VAR_KEYWORD}
    if isinstance(cls, type) and issubclass(cls, layers.Layer):
        accepted |= {"name", "trainable"}
    out = {}
    for key, value in cfg.items():
        key = (rename or {}).get(key, key)
        if key in accepted:
            out[key] = value
        elif key in IGNORED and (IGNORED[key] is None or value in IGNORED[key]):
            continue
        else:
            raise LoadError(f"{what}: setting {key}={value!r} is not supported by nnlite.")
    return out


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LoadError(f"{what} must be a finite number, got {value!r}.")
    return value


def _load_regularizer(entry: Any, what: str) -> regularizers.Regularizer | None:
    if entry is None:
        return None
    table = {"L1": regularizers.L1, "L2": regularizers.L2, "L1L2": regularizers.L1L2}
    factory, cfg = _lookup(entry, table, "keras.regularizers", what)
    return factory(**{k: _number(v, f"{what} {k}") for k, v in _kwargs(factory, cfg, what).items()})


def _load_activation(value: Any, what: str) -> activations.Activation:
    if value is None:
        return activations.linear
    if not isinstance(value, str) or value not in activations._ACTIVATIONS:
        raise LoadError(f"{what}: activation {value!r} is not a known activation name "
                        f"({', '.join(activations.names())}).")
    return activations._ACTIVATIONS[value]


def _load_layer(entry: Any, index: int) -> layers.Layer:
    what = f"layer {index}"
    cls, cfg = _lookup(entry, LAYERS, "keras.layers", what)
    cfg = dict(cfg)
    name = cfg.get("name")
    if not isinstance(name, str) or not name or "/" in name:
        raise LoadError(f"{what}: a layer name must be a non-empty string without '/', got {name!r}.")
    dtype = cfg.pop("dtype", None)
    if isinstance(dtype, dict):
        dtype = _expect(dtype.get("config"), f"{what} dtype").get("name")
    if dtype not in (None, "float16", "float32", "float64"):
        raise LoadError(f"{what}: dtype {dtype!r} is not supported.")
    if cls is layers.Dense:
        for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
            cfg[key] = _load_regularizer(cfg.get(key), f"{what} {key}")
        for key in ("kernel_initializer", "bias_initializer"):
            if key in cfg:
                init_cls, init_cfg = _lookup(cfg[key], INITIALIZERS, "keras.initializers", f"{what} {key}")
                cfg[key] = init_cls(**_kwargs(init_cls, init_cfg, f"{what} {key}"))
        cfg["activation"] = _load_activation(cfg.get("activation"), what)
    elif cls is layers.Activation:
        cfg["activation"] = _load_activation(cfg.get("activation"), what)
    layer = cls(**_kwargs(cls, cfg, what), dtype=dtype)
    return layer


def _load_schedule_or_rate(value: Any, what: str) -> Any:
    if isinstance(value, dict):
        cls, cfg = _lookup(value, SCHEDULES, "keras.optimizers.schedules", what)
        return cls(**_kwargs(cls, cfg, what))
    return _number(value, what)


def _load_optimizer(entry: Any) -> optimizers.Optimizer:
    cls, cfg = _lookup(entry, OPTIMIZERS, "keras.optimizers", "optimizer")
    cfg = dict(cfg)
    cfg["learning_rate"] = _load_schedule_or_rate(cfg.get("learning_rate", 0.001), "learning_rate")
    for key in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm"):
        if cfg.get(key) is not None:
            cfg[key] = _number(cfg[key], key)
    accepted = set(inspect.signature(cls).parameters) | {"weight_decay", "clipnorm", "clipvalue",
                                                           "global_clipnorm", "name"}
    kwargs = {}
    for key, value in cfg.items():
        if key in accepted:
            kwargs[key] = value
        elif not (key in IGNORED and (IGNORED[key] is None or value in IGNORED[key])):
            raise LoadError(f"optimizer: setting {key}={value!r} is not supported by nnlite.")
    if cls is optimizers.AdamW and kwargs.get("weight_decay") is None:
        kwargs.pop("weight_decay", None)
    return cls(**kwargs)


def _load_loss(value: Any) -> Any:
    if isinstance(value, str):
        if value not in losses.names():
            raise LoadError(f"loss {value!r} is not a known loss name.")
        return value
    cls, cfg = _lookup(value, LOSSES, "keras.losses", "loss")
    return cls(**_kwargs(cls, cfg, "loss"))


def _load_metrics(values: Any, what: str) -> list[Any]:
    if values is None:
        return []
    out = []
    for value in _expect(values, what, list):
        if isinstance(value, str):
            if value not in metrics.names():
                raise LoadError(f"{what}: metric {value!r} is not a known metric name.")
            out.append(value)
        else:
            factory, cfg = _lookup(value, METRICS, "keras.metrics", what)
            out.append(factory(**_kwargs(factory, cfg, what)))
    return out


def model_from_config(spec: Any, compile: bool = True) -> Any:
    """A Sequential from a Keras config dict; only allowed classes and settings."""
    from .models import Sequential

    _, cfg = _lookup(spec, {"Sequential": Sequential}, "keras", "model")
    entries = _expect(cfg.get("layers"), "model layers", list)
    if not entries:
        raise LoadError("The model has no layers.")
    input_shape = None
    first = _expect(entries[0], "layer 0")
    if first.get("class_name") == "InputLayer":
        if first.get("module", "keras.layers") != "keras.layers":
            raise LoadError("layer 0: InputLayer from an unknown module refused.")
        input_shape = _expect(first.get("config"), "InputLayer config").get("batch_shape")
        entries = entries[1:]
    if input_shape is None:
        input_shape = cfg.get("build_input_shape")
    shape = _expect(input_shape, "input shape", list)
    if len(shape) != 2 or not isinstance(shape[1], int) or isinstance(shape[1], bool) or not 0 < shape[1] < 2**31:
        raise LoadError(f"nnlite models take inputs (batch, features); the file has input shape {shape}.")
    name = cfg.get("name", "sequential")
    model = Sequential([_load_layer(entry, i + 1) for i, entry in enumerate(entries)],
                       name=name if isinstance(name, str) else "sequential")
    if len({layer.name for layer in model.layers}) != len(model.layers):
        raise LoadError("Layer names repeat; each layer needs its own name.")
    model.build((None, shape[1]))
    compile_config = spec.get("compile_config")
    if compile and compile_config:
        compile_config = _expect(compile_config, "compile_config")
        if compile_config.get("loss_weights") is not None:
            raise LoadError("loss_weights are not supported.")
        model.compile(optimizer=_load_optimizer(compile_config.get("optimizer")),
                      loss=_load_loss(compile_config.get("loss")),
                      metrics=_load_metrics(compile_config.get("metrics"), "metrics"),
                      weighted_metrics=_load_metrics(compile_config.get("weighted_metrics"), "weighted_metrics"))
    return model

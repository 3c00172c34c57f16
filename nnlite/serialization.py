"""Keras's object (de)serialization API: ``serialize_keras_object``, ``deserialize_keras_object`` and the
custom-object registrations (``register_keras_serializable``, ``custom_object_scope``, ``get_custom_objects``,
``get_registered_name``, ``get_registered_object``), as ``keras.saving`` and ``keras.utils`` export them.

An object is written as Keras writes it, ``{"module", "class_name", "config", "registered_name"}``; a function
as ``{"class_name": "function", "config": its name}``. Reading looks a name up among what the program made
known (its registrations and scopes) and then in nnlite's registries of built-in classes: nothing is imported
or evaluated, so a config can only name what is already there.
"""

from __future__ import annotations

import base64
import importlib
import marshal
import types
from typing import Any

import numpy as np

from .registry import (
    ALL,
    GLOBAL_CUSTOM_NAMES,
    CustomObjectScope,
    custom_object,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    registry_for,
)
from .tensor import Tensor, as_tensor

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
           "get_registered_name", "get_registered_object", "register_keras_serializable", "serialize_keras_object"]

#: Keras modules whose functions a config may name, and where nnlite keeps them
_FUNCTION_MODULES = {"keras.losses": "losses", "keras.metrics": "metrics", "keras.activations": "activations"}


def _is_function(obj: Any) -> bool:
    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)) or (
        callable(obj) and hasattr(obj, "loss_class"))


def serialize_keras_object(obj: Any) -> Any:
    """Keras's config form of ``obj``: plain values as they are, containers entry by entry, a function by its
    (registered) name, an object by its class name and ``get_config()``.

    Args:
        obj: the object: a layer, loss, metric, optimizer, function or plain value.

    Example:
        >>> import numpy as np, nnlite
        >>> config = nnlite.saving.serialize_keras_object(nnlite.optimizers.SGD(0.5))
        >>> config["class_name"], config["config"]["learning_rate"]
        ('SGD', 0.5)
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    special = _special_entry(obj)
    if special is not None:
        return special
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if _is_function(obj) and obj.__name__ == "<lambda>":
        return _lambda_entry(obj)
    if _is_function(obj):
        registered = GLOBAL_CUSTOM_NAMES.get(obj)
        name = registered or obj.__name__
        if obj.__module__.startswith("nnlite.ops.") and registered is None:  # an op: as Keras writes keras.ops'
            return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
        module = next((k for k, v in _FUNCTION_MODULES.items() if obj.__module__.startswith(f"nnlite.{v}")), None)
        return {"module": module or obj.__module__, "class_name": "function", "config": name,
                "registered_name": registered or name}
    try:
        return registry_for(type(obj)).serialize(obj)
    except (TypeError, ValueError):
        pass
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {obj!r}: it has no get_config().")
    return {"module": type(obj).__module__, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": GLOBAL_CUSTOM_NAMES.get(type(obj), type(obj).__name__)}


def _lambda_entry(function: Any) -> dict[str, Any]:
    """A Python lambda as Keras writes it: its bytecode (which Keras loads only with safe_mode=False, nnlite never)."""
    code = base64.b64encode(marshal.dumps(function.__code__)).decode("ascii")
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": function.__defaults__, "closure": None}}


def refused_lambda(what: str) -> ValueError:
    """The error for a lambda's bytecode met in a config: ``what`` names where it was."""
    return ValueError(f"{what} is a Python lambda stored as bytecode: nnlite never runs code from a file (it would "
                      "be arbitrary code execution, whatever safe_mode says). Define the function in your program, "
                      "register it with @keras.saving.register_keras_serializable() and save again, or rebuild the "
                      "object in code.")


def _special_entry(obj: Any) -> dict[str, Any] | None:
    """Keras's entries for values a JSON file cannot hold as they are: bytes, arrays (a tensor or a NumPy array),
    slices and the Ellipsis; None for any other value."""
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, np.ndarray):
        kind = "__tensor__" if isinstance(obj, Tensor) else "__numpy__"
        return {"class_name": kind, "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {"start": serialize_keras_object(obj.start),
                                                       "stop": serialize_keras_object(obj.stop),
                                                       "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    return None


def _special_value(config: dict[str, Any]) -> Any:
    """The value one of :func:`_special_entry`'s entries stands for."""
    kind, inner = config["class_name"], config.get("config") or {}
    if kind == "__bytes__":
        return str(inner["value"]).encode("utf-8")
    if kind in ("__numpy__", "__tensor__"):
        value = np.array(inner["value"], dtype=inner["dtype"])
        return as_tensor(value) if kind == "__tensor__" else value
    if kind == "__slice__":
        return slice(*(deserialize_keras_object(inner.get(k)) for k in ("start", "stop", "step")))
    return Ellipsis


SPECIAL = ("__bytes__", "__numpy__", "__tensor__", "__slice__", "__ellipsis__")


def serialize_in(registry: Any, obj: Any) -> Any:
    """``obj`` as a config entry of ``registry``'s concept: an instance of its base by the registry, anything else
    (a user's function) as :func:`serialize_keras_object` writes it; None stays None.

    Args:
        registry: the concept's registry (initializers, regularizers, constraints).
        obj: the object to write.
    """
    if obj is None or not isinstance(obj, registry.base):
        return serialize_keras_object(obj)
    return registry.serialize(obj)


def _function(config: dict[str, Any]) -> Any:
    name, registered = config.get("config"), config.get("registered_name")
    if not isinstance(name, str):
        raise TypeError(f"Expected 'config' to be a non-null str for a function classname, instead got "
                        f"{type(name)}. Full config: {config}")
    found = custom_object(registered) or custom_object(name) or _registered_as(name)
    if found is not None:
        return found
    if registered not in (None, "", "function", name):  # Keras's error, in its words
        raise ValueError(f"`registered_name={registered!r}` was provided in the config, but '{name}' resolved to a "
                         "Keras built-in and does not use registered names. Remove the `registered_name` field from "
                         f"the config. Full object config: {config}")
    module = config.get("module")
    # Keras writes its own functions with their module, or as "builtins" (then any of the three may hold it)
    modules = [_FUNCTION_MODULES[module]] if module in _FUNCTION_MODULES else (
        ["losses", "metrics", "activations"] if module == "builtins" else [])
    op_modules = ("keras.src.ops.", "keras.ops.", "nnlite.ops.")
    if isinstance(module, str) and f"{module}.".startswith(op_modules) and isinstance(name, str):  # an op (a Lambda's)
        op = getattr(importlib.import_module("nnlite.ops"), name, None) if not name.startswith("_") else None
        if isinstance(op, types.FunctionType):  # a public op, not a module or class of nnlite.ops
            return op
    if module == "builtins" and isinstance(name, str):  # Keras writes its ops' functions as "builtins" too
        modules.append("ops")
    for where in modules if isinstance(name, str) else []:
        table = importlib.import_module(f"nnlite.{where}")
        if where == "losses" and name in table.FUNCTIONS:
            return table.FUNCTIONS[name]
        if where == "metrics" and name in table.__all__ and callable(getattr(table, name, None)):
            return getattr(table, name)
        if where == "activations" and name in table.ACTIVATIONS:
            return table.get(name)
        if where == "ops" and not name.startswith("_") and isinstance(getattr(table, name, None), types.FunctionType):
            return getattr(table, name)
    raise ValueError(f"Could not locate function {name!r}: register it with @register_keras_serializable() or "
                     f"pass it in custom_objects. Full config: {config}")


def _registered_as(name: str) -> Any:
    """The one registered object whose name after its package is ``name`` (Keras 3.6 wrote registered functions by
    their plain name), else None."""
    found = [obj for key, obj in get_custom_objects().items() if key.rpartition(">")[2] == name and ">" in key]
    return found[0] if len(found) == 1 else None


def deserialize_keras_object(config: Any, custom_objects: dict[str, Any] | None = None, safe_mode: bool = True,
                             **kwargs: Any) -> Any:
    """The object a Keras config describes (the inverse of :func:`serialize_keras_object`), looked up among
    ``custom_objects``, the registrations and nnlite's built-in classes.

    Args:
        config: what :func:`serialize_keras_object` returns: a dict with class_name and config, a name, or a plain
            value.
        custom_objects: extra name -> class or function to look names up in first.
        safe_mode: refuse configs that would run code (a lambda's bytecode); nnlite never runs such code, whatever the
            value.
        **kwargs: ``module_objects``, a further name -> object mapping searched last, as Keras's.

    Example:
        >>> import numpy as np, nnlite
        >>> config = nnlite.saving.serialize_keras_object(nnlite.layers.Dense(3))
        >>> layer = nnlite.saving.deserialize_keras_object(config)
        >>> type(layer).__name__, layer.units
        ('Dense', 3)
    """
    with CustomObjectScope(custom_objects, kwargs.get("module_objects")):
        if isinstance(config, list):
            return [deserialize_keras_object(v) for v in config]
        if isinstance(config, str):
            found = custom_object(config)
            return found if found is not None else config
        if isinstance(config, dict) and "class_name" not in config:
            return {k: deserialize_keras_object(v) for k, v in config.items()}  # a plain dict, entry by entry
        if not isinstance(config, dict):
            return config
        if config["class_name"] in SPECIAL:
            return _special_value(config)
        if config["class_name"] == "__lambda__":
            raise refused_lambda("This entry")
        if config["class_name"] == "function":
            return _function(config)
        custom = custom_object(config.get("registered_name")) or custom_object(config["class_name"])
        if custom is not None:
            return custom.from_config(config.get("config") or {}) if isinstance(custom, type) else custom
        module = config.get("module")
        candidates = [r for r in ALL if config["class_name"] in r.classes() and module in (None, r.module)]
        candidates = candidates or [r for r in ALL if config["class_name"] in r.classes()]
        if not candidates:
            raise TypeError(f"Could not locate class {config['class_name']!r}: register it with "
                            "@register_keras_serializable() or pass it in custom_objects. "
                            f"Full config: {config}")
        return candidates[0].deserialize({**config, "module": None} if module != candidates[0].module else config)

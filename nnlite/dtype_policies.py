"""``keras.dtype_policies``: the dtype a layer computes in and keeps its weights in, as an object.

A layer's ``dtype_policy`` is a :class:`DTypePolicy` (``layer.dtype_policy.compute_dtype``), and one may be handed
to a layer as its ``dtype`` (``Dense(4, dtype=other.dtype_policy)``). nnlite computes each layer in one float dtype,
so ``compute_dtype`` and ``variable_dtype`` are the same; Keras's mixed and quantized policies are refused by name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import config
from .registry import CustomObjectScope, custom_object

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]

FLOATS = ("float16", "float32", "float64")


def _is_dtype(name: str) -> bool:
    """Whether ``name`` names a dtype (Keras's policies carry any dtype's name; nnlite's layers take the floats)."""
    try:
        np.dtype(name)
    except TypeError:
        return name == "bfloat16"
    return True


class DTypePolicy:
    """A dtype policy: the layer computes in ``compute_dtype`` and keeps its weights in ``variable_dtype``, both the
    policy's ``name`` here.

    Args:
        name: "float32", "float64" or "float16"; None for ``config.floatx()``.

    Example:
        >>> import numpy as np, nnlite
        >>> policy = nnlite.DTypePolicy("float64")
        >>> policy, policy.compute_dtype, policy.get_config()
        (<DTypePolicy "float64">, 'float64', {'name': 'float64'})
        >>> nnlite.layers.Dense(2, dtype=policy).dtype_policy == policy
        True
    """

    def __init__(self, name: str | None = None) -> None:
        name = config.floatx() if name is None else name
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. Received: name={name} (of type "
                            f"{type(name)})")
        if not name.startswith("mixed_") and not _is_dtype(name):
            raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include "
                             "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as 'float32'.")
        if name not in FLOATS:
            raise ValueError(f"nnlite computes every layer in one float dtype ({', '.join(FLOATS)}); the dtype "
                             f"policy {name!r} is not supported (mixed precision, bfloat16 and quantization are "
                             "Keras's).")
        self._name = name

    @property
    def name(self) -> str:
        """The policy's name."""
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype a layer computes in."""
        return self._name

    @property
    def variable_dtype(self) -> str:
        """The dtype a layer keeps its weights in."""
        return self._name

    @property
    def quantization_mode(self) -> None:
        """None: nnlite does not quantize."""
        return None

    def get_config(self) -> dict[str, Any]:
        """{"name": name}, as Keras writes it."""
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        """The policy ``get_config`` describes.

        Args:
            config: {"name": ...}.
        """
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("DTypePolicy", self._name))

    def __repr__(self) -> str:
        return f'<{type(self).__name__} "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """Keras's older name for a float :class:`DTypePolicy`.

    Args:
        name: "float32", "float64" or "float16"; None for ``config.floatx()``.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.dtype_policies.FloatDTypePolicy("float32").variable_dtype
        'float32'
    """


def serialize(dtype_policy: DTypePolicy) -> dict[str, Any]:
    """Keras's config entry for a policy: {"module": "keras", "class_name", "config", "registered_name"}.

    Args:
        dtype_policy: the policy.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.dtype_policies.serialize(nnlite.DTypePolicy("float32"))["config"]
        {'name': 'float32'}
    """
    return {"module": "keras", "class_name": type(dtype_policy).__name__, "config": dtype_policy.get_config(),
            "registered_name": None}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> DTypePolicy:
    """The policy a Keras config entry describes (a policy class of your own through ``custom_objects``).

    Args:
        config: {"class_name": "DTypePolicy", "config": {"name": ...}}.
        custom_objects: policy classes of your own the entry may name.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.dtype_policies.deserialize({"class_name": "DTypePolicy", "config": {"name": "float64"}})
        <DTypePolicy "float64">
    """
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ValueError(f"A dtype policy's config is a dict with its class_name and config; got {config!r:.200}.")
    name = config.get("class_name")
    with CustomObjectScope(custom_objects):
        cls = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy}.get(name) or custom_object(name)
    if not (isinstance(cls, type) and issubclass(cls, DTypePolicy)):
        raise ValueError(f"Unknown dtype policy {name!r}: nnlite has DTypePolicy and FloatDTypePolicy (mixed and "
                         "quantized policies are Keras's).")
    return cls.from_config(config["config"])


def get(identifier: Any) -> DTypePolicy:
    """A policy from a name, a config entry or a policy (None: floatx's).

    Args:
        identifier: "float64", {"class_name": ..., "config": ...}, a DTypePolicy, or None.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.dtype_policies.get("float64").compute_dtype
        'float64'
    """
    if identifier is None or isinstance(identifier, str):
        return DTypePolicy(identifier)
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Cannot interpret `dtype` argument. Expected a string or an instance of DTypePolicy. "
                     f"Received: dtype={identifier}")

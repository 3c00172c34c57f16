"""A model's whole state as one nested dict (Keras's ``get_state_tree``/``set_state_tree``):

    {"trainable_variables": {"dense": {"kernel": W, "bias": b}}, "non_trainable_variables": {...},
     "optimizer_variables": {"adam": {"iteration": t, ...}}, "metrics_variables": {"loss": {"total": ...}}}

Each variable sits at its path ("dense/kernel") split at the slashes. ``set_state_tree`` checks every path and
shape it is given before it assigns any.
"""

from __future__ import annotations

from typing import Any

import numpy as np

KINDS = ("trainable_variables", "non_trainable_variables", "optimizer_variables", "metrics_variables")


def nest(variables: list[Any], value_format: str) -> dict[str, Any]:
    """{"a": {"b": value}} for the variables at paths "a/b", ...; every path must be unique."""
    if value_format not in ("backend_tensor", "numpy_array"):
        raise ValueError("Invalid `value_format` argument. Expected one of {'numpy_array', 'backend_tensor'}. "
                         f"Received: value_format={value_format}")
    tree: dict[str, Any] = {}
    seen: set[str] = set()
    for v in variables:
        if v.path in seen:
            raise ValueError(f"The following variable path is found twice in the model: '{v.path}'. "
                             "`get_state_tree()` can only be called when all variable paths are unique. Make sure "
                             "to give unique names to your layers (and other objects).")
        seen.add(v.path)
        *parents, leaf = v.path.split("/")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = np.array(v.value)
    return tree


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """The inverse of :func:`nest`: {"a/b": value}."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class StateTree:
    """get_state_tree / set_state_tree and metrics_variables (a mixin of Model)."""

    @property
    def metrics_variables(self) -> list[Any]:
        """The variables of every metric the model tracks (its loss tracker first)."""
        return [v for metric in self.metrics for v in metric.variables]

    def _variables_of(self, kind: str) -> list[Any]:
        if kind == "optimizer_variables":
            return list(self.optimizer.variables) if getattr(self, "optimizer", None) is not None else []
        return list(getattr(self, kind))

    def get_state_tree(self, value_format: str = "backend_tensor") -> dict[str, Any]:
        """Every variable's value (a copy), nested by path under its kind (see the module).

        Args:
            value_format: "backend_tensor" (Tensors) or "numpy_array" (plain arrays).
        """
        return {kind: nest(self._variables_of(kind), value_format) for kind in KINDS}

    def set_state_tree(self, state_tree: dict[str, Any]) -> None:
        """Assign the values a (possibly partial) state tree holds; all paths and shapes are checked first.

        Args:
            state_tree: a dict shaped as :meth:`get_state_tree`'s (any part of it).
        """
        if not isinstance(state_tree, dict):
            raise TypeError(f"state_tree must be a dict like get_state_tree()'s, got {type(state_tree).__name__}.")
        plan = []
        for kind, subtree in state_tree.items():
            if kind not in KINDS:
                raise ValueError(f"Unknown variable name: {kind}. Expected one of {list(KINDS)}.")
            by_path = {v.path: v for v in self._variables_of(kind)}
            for path, value in flatten(subtree).items():
                if path not in by_path:
                    raise ValueError(f"The state tree names {kind} '{path}', which the model does not have "
                                     f"(it has {sorted(by_path)}).")
                value = np.asarray(value)
                if value.shape != tuple(by_path[path].shape):
                    raise ValueError(f"The state tree's {kind} '{path}' has shape {value.shape}; the variable has "
                                     f"shape {tuple(by_path[path].shape)}.")
                plan.append((by_path[path], value))
        for variable, value in plan:
            variable.assign(value)

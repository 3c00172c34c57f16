"""Structures of tensors nested at any depth, as a functional model's inputs and outputs may be
(``Model(x, {"a": (y1, y2), "b": y3})``): their leaves in order, the structure rebuilt from leaves, and compile's
arguments, the data and the labels read along the structure.

    leaves({"a": (y1, y2), "b": y3}) = [y1, y2, y3]        (dicts in their order, lists and tuples in theirs)
    pack({"a": (., .), "b": .}, [p1, p2, p3]) = {"a": (p1, p2), "b": p3}

A loss, loss weight, metric list or label given for such outputs follows the structure (a dict where it has a
dict, a list or tuple as long as its list or tuple), or is one per leaf in a flat list, or one for every leaf.
"""

from __future__ import annotations

from typing import Any


def is_container(value: Any) -> bool:
    """Whether ``value`` is a level of structure (a dict, list or tuple), not a leaf."""
    return isinstance(value, (dict, list, tuple))


def leaves(structure: Any) -> list[Any]:
    """The leaves of ``structure`` in order (a leaf alone is a list of one)."""
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in leaves(value)]
    if isinstance(structure, (list, tuple)):
        return [leaf for value in structure for leaf in leaves(value)]
    return [structure]


def is_deep(structure: Any) -> bool:
    """Whether a container in ``structure`` holds another container (a structure nested more than one level)."""
    children = structure.values() if isinstance(structure, dict) else structure if is_container(structure) else ()
    return any(is_container(child) for child in children)


def pack(structure: Any, values: list[Any]) -> Any:
    """``values`` (one per leaf, in order) in the containers of ``structure``."""
    remaining = iter(values)

    def build(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: build(child) for key, child in node.items()}
        if isinstance(node, (list, tuple)):
            return type(node)(build(child) for child in node)
        return next(remaining)

    return build(structure)


def as_lists(structure: Any) -> Any:
    """``structure`` with every tuple made a list (as JSON holds it)."""
    if isinstance(structure, dict):
        return {key: as_lists(value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [as_lists(value) for value in structure]
    return structure


def labels(structure: Any, names: list[str]) -> list[str]:
    """Keras's label of each leaf: the dict keys on its path joined by "/", a leaf reached by a list position
    named by its output (``names``, one per leaf): {"a": (y1, y2), "b": y3} gives a/d1, a/d2, b."""
    names_left = iter(names)
    found: list[str] = []

    def walk(node: Any, path: tuple[str, ...], by_position: bool) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*path, str(key)), False)
        elif isinstance(node, (list, tuple)):
            for child in node:
                walk(child, path, True)
        else:
            name = next(names_left)
            found.append("/".join((*path, name)) if by_position or not path else "/".join(path))

    walk(structure, (), False)
    return found


def along(value: Any, structure: Any, what: str, entry: Any = None) -> list[Any]:
    """``value`` (compile's loss, loss_weights, metrics, or y) as one entry per leaf of ``structure``: following the
    structure, a flat list with one entry per leaf, or (not a container) one value for every leaf. ``entry(v)`` says
    whether a list ``v`` is one leaf's entry (a list of metrics, several losses) rather than a level of structure."""
    count = len(leaves(structure))
    is_entry = entry or (lambda v: False)
    if not is_container(value) or is_entry(value):
        return [value] * count
    if isinstance(value, (list, tuple)) and len(value) == count and not any(
            is_container(v) and not is_entry(v) for v in value) and not (
            isinstance(structure, (list, tuple)) and len(structure) == count):
        return list(value)

    def walk(node: Any, given: Any, path: str) -> list[Any]:
        if not is_container(node):
            return [given]
        if given is None:
            return [None] * len(leaves(node))
        if isinstance(node, dict) and isinstance(given, dict):
            unknown = [key for key in given if key not in node]
            if unknown:
                raise ValueError(f"`{what}` has keys {unknown} at {path or 'the top'} that the model's outputs do not "
                                 f"have there (they have {list(node)}).")
            return [v for key, child in node.items() for v in walk(child, given.get(key), f"{path}/{key}")]
        if isinstance(node, (list, tuple)) and isinstance(given, (list, tuple)) and not is_entry(given) \
                and len(given) == len(node):
            return [v for k, child in enumerate(node) for v in walk(child, given[k], f"{path}/{k}")]
        raise ValueError(f"`{what}` at {path or 'the top'} must follow the outputs' structure there "
                         f"({_describe(node)}), or be a flat list with one entry per output ({count}); "
                         f"got {given!r:.200}")

    return walk(structure, value, "")


def _describe(node: Any) -> str:
    if isinstance(node, dict):
        return f"a dict with keys {list(node)}"
    return f"a {type(node).__name__} of {len(node)}"

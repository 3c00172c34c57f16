"""Op nodes of a functional graph in Keras's file form, both ways: ``x + y`` or ``keras.ops.add(x, y)`` is written as
Keras writes it (``{"module": "keras.src.ops.numpy", "class_name": "Add", ...}``, its tensors and constants as the
node's positional arguments), and such an entry from a Keras file becomes nnlite's Operation. Only the elementwise
arithmetic and the matrix product, which take no settings, are translated; other ops keep nnlite's own entry."""

from __future__ import annotations

from typing import Any

from ..layers.operation import Operation

# nnlite's op name -> Keras's class in keras.src.ops.numpy
KERAS_OPS = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "divide": "Divide", "power": "Power",
             "maximum": "Maximum", "minimum": "Minimum", "negative": "Negative", "absolute": "Absolute",
             "square": "Square", "sqrt": "Sqrt", "exp": "Exp", "log": "Log", "matmul": "Matmul"}
OPS_BY_CLASS = {**{cls: op for op, cls in KERAS_OPS.items()}, "TrueDivide": "divide"}  # Keras writes x / y so
MODULE = "keras.src.ops.numpy"


def writes_as_keras(layer: Any) -> bool:
    """Whether an Operation node is written in Keras's form (an op of the table, without keywords, on tensors
    and numbers).

    Args:
        layer: a layer of the graph.
    """
    if not isinstance(layer, Operation) or layer.op not in KERAS_OPS or layer.keywords:
        return False
    return all(isinstance(a, str) and a.startswith("#") or isinstance(a, (int, float)) and not isinstance(a, bool)
               for a in layer.arguments)  # tensors and numbers (an array constant keeps nnlite's entry)


def keras_entry(layer: Any, tensors: list[Any], tensor_entry: Any) -> dict[str, Any]:
    """The op's config entry as Keras writes it: class and name, its one call with the tensors ("#k" in its
    arguments) and constants in their places.

    Args:
        layer: the Operation.
        tensors: the tensors its call was fed, in order.
        tensor_entry: how a tensor is written in a node (``__keras_tensor__``).
    """
    args = [tensor_entry(tensors[int(a[1:])]) if isinstance(a, str) and a.startswith("#") else a
            for a in layer.arguments]
    cls = KERAS_OPS[layer.op]
    return {"module": MODULE, "class_name": cls, "config": {"name": layer.name}, "registered_name": cls,
            "name": layer.name, "inbound_nodes": [{"args": args, "kwargs": {}}]}


def from_keras_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A Keras op entry of the table as nnlite's Operation entry (its call's tensors as one list, "#k" in the
    arguments); any other entry as it is.

    Args:
        entry: a layer entry of a functional config.
    """
    cls = entry.get("class_name")
    if entry.get("module") != MODULE or cls not in OPS_BY_CLASS:
        return entry
    nodes = entry.get("inbound_nodes") or []
    if len(nodes) != 1 or not isinstance(nodes[0], dict) or not isinstance(nodes[0].get("args"), list) \
            or nodes[0].get("kwargs"):
        raise ValueError(f"The op {entry.get('name')!r} ({cls}) must be called once, on positional arguments.")
    arguments, tensors = [], []
    for arg in nodes[0]["args"]:
        if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
            arguments.append(f"#{len(tensors)}")
            tensors.append(arg)
        elif isinstance(arg, (int, float)) and not isinstance(arg, bool):
            arguments.append(arg)
        else:
            raise ValueError(f"The op {entry.get('name')!r} ({cls}) takes tensors and numbers, got {arg!r:.80}.")
    name = entry.get("name") or (entry.get("config") or {}).get("name")
    return {"module": "nnlite", "class_name": "Operation", "registered_name": None, "name": name,
            "config": {"name": name, "op": OPS_BY_CLASS[cls], "arguments": arguments, "keywords": {}},
            "inbound_nodes": [{"args": [tensors], "kwargs": {}}]}

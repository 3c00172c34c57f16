"""A graph that starts at intermediate tensors: ``Model(h, outputs)`` where ``h`` came out of a layer.

Each such input becomes a new ``Input`` of its shape and dtype (named after the tensor, ``...CLONE``, as Keras names
it), and the layer calls between the inputs and the outputs are recorded again on the new tensors: the same layers
(the same weights, shared with the graph they came from), new nodes. The outputs are those calls' tensors.
"""

from __future__ import annotations

from typing import Any

from ..layers.input_layer import Input, InputLayer
from ..layers.node import KerasTensor, Node
from . import nesting


def map_structure(structure: Any, fn: Any) -> Any:
    """fn applied to each tensor of one, a list/tuple or a dict of them, in the same structure."""
    if isinstance(structure, dict):
        return {k: fn(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(fn(v) for v in structure)
    return fn(structure)


def flat(structure: Any) -> list[Any]:
    """The tensors of one, a list/tuple or a dict of them (nested at any depth), in order."""
    return nesting.leaves(structure)


def starts_inside(inputs: Any) -> bool:
    """Whether some input is not an ``Input``'s tensor (it came out of a layer)."""
    return any(not isinstance(t.keras_history[0], InputLayer) for t in flat(inputs))


def from_intermediate(inputs: Any, outputs: Any) -> tuple[Any, Any]:
    """The inputs with each intermediate tensor replaced by a new Input, and the outputs of the layer calls between
    them recorded again (see the module); both in the structures they were given.

    Args:
        inputs: the tensors the model starts at: one, a list or a dict.
        outputs: the tensors it ends in.
    """
    new: dict[int, KerasTensor] = {}
    for t in flat(inputs):
        if isinstance(t.keras_history[0], InputLayer):
            new[id(t)] = t
        else:
            new[id(t)] = Input(batch_shape=t.shape, dtype=t.dtype, name=f"{t.name}CLONE")
    for node in _between(new, flat(outputs)):
        layer = node.layer
        args = map_structure(node.args, lambda t: new.get(id(t), t))
        index = len(layer.inbound_nodes)
        outs = [KerasTensor(t.shape, t.dtype, name=f"keras_tensor_{layer.name}_{index}" + (
            f"_{k}" if len(node.outputs) > 1 else ""), history=(layer, index, k)) for k, t in enumerate(node.outputs)]
        layer.inbound_nodes.append(Node(layer, args, outs))
        new.update(zip(map(id, node.outputs), outs))
    return map_structure(inputs, lambda t: new[id(t)]), map_structure(outputs, lambda t: new.get(id(t), t))


def _between(starts: dict[int, KerasTensor], outputs: list[KerasTensor]) -> list[Node]:
    """The layer calls the outputs depend on, back to the start tensors (not beyond), in an order that puts each
    after the calls it reads from (a walk without recursion, as graphs can be deep)."""
    ordered: list[Node] = []
    done: set[int] = set()
    stack: list[tuple[Node, bool]] = [(_node(t), False) for t in outputs if id(t) not in starts]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            ordered.append(node)
            continue
        stack.append((node, True))
        for t in node.inputs:
            if id(t) not in starts and id(_node(t)) not in done and not _node(t).is_input:
                stack.append((_node(t), False))
    return ordered


def _node(t: KerasTensor) -> Node:
    layer, index, _ = t.keras_history
    return layer.inbound_nodes[index]

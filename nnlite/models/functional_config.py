"""A functional model's Keras config: each layer with the calls (nodes) that feed it, and the graph's ends,
both ways (``get_config`` writes it, ``from_config`` replays the calls as their inputs become available)."""

from __future__ import annotations

from collections import deque
from typing import Any

from ..layers.base import Layer
from ..layers.input_layer import InputLayer
from ..layers.node import KerasTensor
from . import keras_ops

MAX_NESTING = 32  # levels of structure a file's inputs and outputs may nest (none goes deeper in practice)


class _NotYet(IndexError):
    """A tensor reference to a layer call not replayed yet (``layer`` names the layer)."""

    def __init__(self, layer: str, ref: Any) -> None:
        super().__init__(ref)
        self.layer = layer


class FunctionalConfig:
    """get_config and from_config of a functional model (a mixin of Functional)."""

    # -- config ---------------------------------------------------------------------------------------
    def _node_numbers(self) -> dict[int, int]:
        """Node -> its index in a file: counted among its layer's nodes in this model (a nested
        functional model's first call is number 1, as Keras counts a node of its own first)."""
        members = {id(n) for n in self._nodes} | {id(t.keras_history[0].inbound_nodes[0]) for t in self.inputs}
        numbers: dict[int, int] = {}
        for layer in self._layers:
            kept = 1 if isinstance(layer, FunctionalConfig) else 0
            for node in layer.inbound_nodes:
                if id(node) in members:
                    numbers[id(node)] = kept
                    kept += 1
        return numbers

    def get_config(self) -> dict[str, Any]:
        """Keras's functional config: each layer with the calls (nodes) that feed it, and the graph's ends."""
        from .. import layers as layers_module

        numbers = self._node_numbers()
        own = {id(n) for n in self._nodes}

        def history(t: KerasTensor) -> list[Any]:
            layer, index, tensor_index = t.keras_history
            return [layer.name, numbers[id(layer.inbound_nodes[index])], tensor_index]

        def tensor_entry(t: KerasTensor) -> dict[str, Any]:
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": history(t)}}

        entries = []
        for layer in self._layers:
            calls = [n for n in layer.inbound_nodes if id(n) in own]
            keras_form = keras_ops.keras_entry(layer, list(calls[0].inputs), tensor_entry) if len(calls) == 1 \
                else None  # an op node in Keras's form (keras.src.ops.numpy.Sum, ...) where Keras has the op
            if keras_form is not None:
                entries.append(keras_form)
                continue
            entry = layers_module.serialize(layer)
            entry["name"] = layer.name
            entry["inbound_nodes"] = []
            for n in layer.inbound_nodes:
                if id(n) not in own:
                    continue
                if layer.file_keywords:  # a call with keywords: initial_state, MultiHeadAttention's key, mask...
                    args, kwargs = layer.file_call(n.inputs)
                    entry["inbound_nodes"].append({"args": [[tensor_entry(u) for u in t] if isinstance(t, list)
                                                            else tensor_entry(t) for t in args], "kwargs": {
                        k: [tensor_entry(t) for t in v] if isinstance(v, list) else
                        tensor_entry(v) if isinstance(v, KerasTensor) else v for k, v in kwargs.items()}})
                    continue
                args = [[tensor_entry(t) for t in n.inputs] if isinstance(n.args, list) else tensor_entry(n.args)]
                entry["inbound_nodes"].append({"args": args, "kwargs": dict(layer.call_keywords)})
            entries.append(entry)

        def ends(struct: Any) -> Any:  # [layer, node, tensor] per tensor, in the structure given
            if isinstance(struct, dict):
                return {k: ends(t) for k, t in struct.items()}
            if isinstance(struct, (list, tuple)):
                return type(struct)(ends(t) for t in struct)
            return history(struct)

        return {"name": self.name, "trainable": self.trainable, "layers": entries,
                "input_layers": ends(self._inputs_struct), "output_layers": ends(self._outputs_struct)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """Rebuild the graph: create every layer, then replay its calls as their inputs become available."""
        from .. import layers as layers_module

        entries = config.get("layers")
        if not isinstance(entries, list) or not entries:
            raise ValueError("A functional model's config needs a non-empty list of layers.")
        created: dict[str, Layer] = {}
        pending: dict[str, list[Any]] = {}
        order: list[str] = []
        only_masks = _mask_only_ops(entries, config.get("output_layers"))
        for entry in entries:
            if not isinstance(entry, dict):
                raise ValueError(f"Each layer entry must be a dict, got {type(entry).__name__}.")
            if entry.get("name") in only_masks:  # Keras's symbolic mask computation: masks are made as nnlite runs
                continue
            entry = keras_ops.from_keras_entry(entry)  # Keras's ops.sum(h, axis=1), x + y: nnlite's Operation
            layer = layers_module.deserialize({k: v for k, v in entry.items() if k not in ("inbound_nodes", "name")})
            name = entry.get("name", layer.name)
            if not isinstance(name, str) or name in created:
                raise ValueError(f"Layer names in a functional config must be unique strings; got {name!r} again.")
            layer.name, layer.auto_named = name, False
            if isinstance(layer, InputLayer):
                layer.output.name = name
            created[name] = layer
            nodes = entry.get("inbound_nodes") or []
            if not isinstance(nodes, list):
                raise ValueError(f"inbound_nodes of layer {name!r} must be a list.")
            pending[name] = list(nodes)
            order.append(name)

        def tensor(ref: Any) -> KerasTensor:
            if not (isinstance(ref, (list, tuple)) and len(ref) == 3 and isinstance(ref[0], str)
                    and all(isinstance(i, int) and not isinstance(i, bool) for i in ref[1:])):
                raise ValueError(f"A tensor reference must be [layer name, node index, tensor index], got {ref!r}.")
            name, index, tensor_index = ref
            if name not in created:
                raise ValueError(f"Missing node: {name}. The config refers to a layer {name!r} it does not define.")
            layer = created[name]
            index -= 1 if isinstance(layer, FunctionalConfig) else 0
            if not 0 <= index < len(layer.inbound_nodes) or not 0 <= tensor_index < len(
                    layer.inbound_nodes[index].outputs):
                raise _NotYet(name, ref)
            return layer.inbound_nodes[index].outputs[tensor_index]

        def argument(value: Any) -> Any:
            if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
                return tensor((value.get("config") or {}).get("keras_history"))
            if isinstance(value, list) and value:
                return [argument(v) for v in value]
            raise ValueError(f"A node's argument must be a tensor or a list of tensors, got {value!r:.80}.")

        # Replay the calls as their inputs appear: a layer whose next call waits for another layer's
        # call is woken when that layer is called, so each call is tried O(1 + its inputs) times.
        ready, queued = deque(order), set(order)
        waiting: dict[str, list[str]] = {}  # layer name -> the layers whose next call waits for it
        while ready:
            name = ready.popleft()
            queued.discard(name)
            while pending[name]:
                node = pending[name][0]
                if isinstance(node, dict):
                    args = node.get("args")
                elif isinstance(node, list):  # the older form: [[name, node, tensor, kwargs], ...]
                    args = [[{"class_name": "__keras_tensor__", "config": {"keras_history": r[:3]}}
                             for r in node]]
                    args = [args[0][0]] if len(node) == 1 else args
                else:
                    raise ValueError(f"A node of layer {name!r} must be a dict, got {type(node).__name__}.")
                layer = created[name]
                positional = 2 if layer.file_keywords else 1  # MultiHeadAttention's query and value
                if not isinstance(args, list) or not 1 <= len(args) <= positional:
                    raise ValueError(f"A node of layer {name!r} must call it on one argument, got {args!r:.80}.")
                given = _keywords(node) if isinstance(node, dict) else {}
                if layer.composite and any(_references(v) for k, v in given.items() if k != "mask"):
                    raise ValueError(f"Layer {name!r} (a layer of your own) is called in the file with a tensor by "
                                     f"keyword ({sorted(given)}): nnlite hands a layer of your own its tensors by "
                                     "position.")
                keywords = {k: v for k, v in given.items() if k in layer.file_keywords or (
                    layer.composite and k not in ("mask", "training"))}  # masks are made as it runs
                try:
                    inputs = [argument(a) for a in args]
                    keywords = {k: argument(v) if _references(v) else v for k, v in keywords.items()}
                except _NotYet as missing:  # its inputs are not made yet
                    waiting.setdefault(missing.layer, []).append(name)
                    break
                layer(*inputs, **keywords)
                pending[name].pop(0)
                for woken in waiting.pop(name, []):
                    if woken not in queued:
                        ready.append(woken)
                        queued.add(woken)
        if any(pending.values()):
            stuck = {k: len(v) for k, v in pending.items() if v}
            raise ValueError(f"Invalid functional model configuration: the graph has loops or nodes whose inputs "
                             f"never appear ({stuck}).")

        def ends(refs: Any, depth: int = 0) -> Any:  # the structure of [layer, node, tensor] references
            if depth > MAX_NESTING:
                raise ValueError(f"input_layers and output_layers may nest at most {MAX_NESTING} levels deep.")
            if isinstance(refs, dict):
                return {k: ends(v, depth + 1) for k, v in refs.items()}
            if isinstance(refs, (list, tuple)) and len(refs) == 3 and isinstance(refs[0], str):
                return tensor(refs)
            if isinstance(refs, (list, tuple)):
                return type(refs)(ends(v, depth + 1) for v in refs)
            raise ValueError(f"input_layers and output_layers must be lists or dicts, got {refs!r:.80}.")

        try:
            inputs, outputs = ends(config.get("input_layers")), ends(config.get("output_layers"))
        except IndexError as err:
            raise ValueError(f"The config's inputs or outputs refer to a layer call that does not exist: {err}.") \
                from None
        return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))

    def get_build_config(self) -> dict[str, Any] | None:
        return {"input_shape": None}

    def build_from_config(self, config: dict[str, Any]) -> None:
        pass


def _references(value: Any) -> list[str]:
    """The layer names a node argument refers to (its __keras_tensor__ entries, at any depth)."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = (value.get("config") or {}).get("keras_history")
            return [history[0]] if isinstance(history, (list, tuple)) and history and isinstance(history[0], str) \
                else []
        return [name for v in value.values() for name in _references(v)]
    if isinstance(value, (list, tuple)):
        if len(value) >= 3 and isinstance(value[0], str) and all(isinstance(i, int) for i in value[1:3]):
            return [value[0]]  # an output reference [name, node, tensor]
        return [name for v in value for name in _references(v)]
    return []


def _keywords(node: dict[str, Any]) -> dict[str, Any]:
    kwargs = node.get("kwargs")
    return kwargs if isinstance(kwargs, dict) else {}


def _mask_only_ops(entries: Any, outputs: Any) -> set[str]:
    """The keras.ops entries the outputs do not depend on but through ``mask=`` keywords: Keras writes the ops that
    compute a mask (NotEqual, Any, ...) into the graph; nnlite propagates masks itself and leaves them out."""
    if not isinstance(entries, list):
        return set()
    needs: dict[str, list[str]] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            nodes = entry.get("inbound_nodes") if isinstance(entry.get("inbound_nodes"), list) else []
            needs[entry["name"]] = [name for node in nodes if isinstance(node, dict)
                                    for name in _references([node.get("args"), {
                                        k: v for k, v in _keywords(node).items() if k != "mask"}])]
    reached, stack = set(), _references(outputs)
    while stack:
        name = stack.pop()
        if name not in reached:
            reached.add(name)
            stack.extend(needs.get(name, []))
    return {entry["name"] for entry in entries if isinstance(entry, dict) and entry.get("name") not in reached
            and str(entry.get("module", "")).startswith("keras.src.ops")}


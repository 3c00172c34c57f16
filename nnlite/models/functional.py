"""Functional: a model that is a graph of layer calls, ``Model(inputs, outputs)``.

The graph is the nodes recorded when layers were called on ``Input`` tensors (``layers.node``).
With the nodes in topological order n_1..n_N (each after every node it reads from):

Forward:   t = x for each input tensor, then for n = n_1..n_N:  t_out(n) = layer_n(t_in(n))
Backward:  grad_t = dL/dt for each output tensor, then for n = n_N..n_1:
               grad_t_in(n) += layer_n.backward(grad_t_out(n))
           A tensor read by several nodes collects the sum of their gradients,
               dL/dt = sum over the nodes c that read t of dL/dt through c,
           and a layer called at several nodes (a shared layer) the sum of its weight gradients,
               dL/dW = sum over its nodes of x_n^T grad_z_n   (for a Dense).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import config, data
from ..layers.base import LAYERS, Context, Layer
from ..layers.eager import EagerCall
from ..layers.input_layer import InputLayer
from ..layers.node import KerasTensor, Node
from ..layers.operation import Operation
from ..warn import warn
from . import nesting, subgraph
from .functional_config import FunctionalConfig
from .model import Model
from .subgraph import flat
from .tape import Tape


def _reaches(output: KerasTensor, tensor: KerasTensor, node_of: Any) -> bool:
    """Whether ``output`` is computed from ``tensor`` (a walk up the graph from the output)."""
    seen: set[int] = set()
    stack = [output]
    while stack:
        t = stack.pop()
        if t is tensor:
            return True
        node = node_of(t)
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.inputs)
    return False


def output_paths(structure: Any) -> list[str]:
    """Each output's path in the structure the model was given (one, a list or a dict of them, as ``flat``
    reads it), as Keras names it: its key or position; "" for a single output."""
    if isinstance(structure, dict):
        return [str(k) for k in structure]
    return [str(i) for i in range(len(structure))] if isinstance(structure, (list, tuple)) else [""]


def _batch_axis(shape: Any) -> Any:
    """The batch size of the first input shape in a shape, a list or a dict of them (None if unknown)."""
    if isinstance(shape, dict):
        return _batch_axis(next(iter(shape.values()), ()))
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        return _batch_axis(shape[0])
    return shape[0] if shape else None


def graph_order(inputs: list[KerasTensor], outputs: list[KerasTensor],
                paths: list[str] | None = None) -> tuple[list[Node], list[Layer]]:
    """The nodes from the inputs to the outputs in a topological order, and the layers in Keras's order
    (deepest first, ties by when a depth-first walk from the outputs first met them). ``paths`` name the outputs
    (their keys or positions) in the error for an output that needs an Input the model was not given."""
    finished: set[int] = set()
    in_progress: set[int] = set()
    ordered: list[Node] = []  # inputs -> outputs
    first_seen: dict[int, int] = {}
    layers_by_id: dict[int, Layer] = {}

    def node_of(tensor: KerasTensor) -> Node:
        layer, node_index, _ = tensor.keras_history
        return layer.inbound_nodes[node_index]

    for output in outputs:  # a depth-first walk from each output, without recursion (graphs can be deep)
        stack: list[tuple[Node, int]] = [(node_of(output), 0)]
        while stack:
            node, next_parent = stack.pop()
            if next_parent == 0:
                if id(node) in finished:
                    continue
                if id(node) in in_progress:
                    raise ValueError(f"Tensor {node.outputs[0]} from layer '{node.layer.name}' is part of a cycle.")
                first_seen.setdefault(id(node.layer), len(first_seen))
                layers_by_id[id(node.layer)] = node.layer
                in_progress.add(id(node))
            if next_parent < len(node.inputs):
                stack.append((node, next_parent + 1))
                parent = node_of(node.inputs[next_parent])
                if id(parent) not in finished:
                    stack.append((parent, 0))
                continue
            in_progress.discard(id(node))
            finished.add(id(node))
            ordered.append(node)
    # depth: how many layer calls lie between a node and an output
    depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    members = {id(n) for n in ordered}
    for node in reversed(ordered):
        d = max(depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth[id(node)] = d
        for parent in node.parent_nodes:
            if id(parent) in members:
                depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
    for t in inputs:  # an input no output depends on is still part of the model
        layer = t.keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], layers_by_id[id(layer)] = 0, layer
            first_seen.setdefault(id(layer), len(first_seen))
    layers = sorted(layers_by_id.values(), key=lambda la: (-layer_depth[id(la)], first_seen[id(la)]))
    known = {id(t) for t in inputs}
    done: list[str] = []
    for node in ordered:
        for t in node.inputs:
            if id(t) not in known and node_of(t).is_input and paths is not None:  # an Input left out of `inputs`
                path = next(p for p, out in zip(paths, outputs) if _reaches(out, t, node_of))
                raise ValueError(f"Output with path `{path}` is not connected to `inputs`: it needs the Input "
                                 f"{t.name!r}, which is not one of the model's inputs.")
            if id(t) not in known:
                raise ValueError(f"Graph disconnected: cannot find parent for tensor {t} at layer "
                                 f"'{node.layer.name}'. The following previous layers were accessed without issue: "
                                 f"{done}. Pass every Input the outputs depend on in `inputs`.")
        if not node.is_input:  # an Input's tensor is known only if it is one of the model's inputs
            done.append(node.layer.name)
            known.update(id(t) for t in node.outputs)
    return [n for n in ordered if not n.is_input], layers


def _example() -> dict[str, Any]:
    """Two inputs, a shared Dense and a merge: the arguments of a typical functional model."""
    from ..layers import Concatenate, Dense, Input

    a, b = Input((3,), name="a"), Input((3,), name="b")
    shared = Dense(2, name="shared")
    return {"inputs": [a, b], "outputs": Dense(1, name="out")(Concatenate()([shared(a), shared(b)]))}


@LAYERS.register(module="keras.src.models.functional", registered_name="Functional", example=_example)
class Functional(FunctionalConfig, Model):
    """``Model(inputs, outputs)``: layers wired by calling them on ``Input`` tensors (see the module).

    Args:
        inputs: the ``Input`` tensors: one, a list, or a dict by name.
        outputs: the tensors the graph ends in: one, a list, or a dict by name.
        name: the model's name.
        trainable: whether ``fit`` trains its weights.
        **kwargs: ``dtype``.

    Example:
        >>> import numpy as np, nnlite
        >>> x = nnlite.Input((3,))
        >>> y = nnlite.layers.Dense(2)(x)
        >>> model = nnlite.models.Functional(x, y)
        >>> type(model).__name__, model.output_shape
        ('Functional', (None, 2))
    """

    keeps_layers_by_class = True  # a weights file holds its layers at layers/<class in snake case>[_n] (Keras's)

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, trainable: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable, dtype=kwargs.pop("dtype", None))
        if kwargs:
            raise TypeError(f"Model() got unexpected keyword arguments {sorted(kwargs)}.")
        for what, structure in (("inputs", inputs), ("outputs", outputs)):
            for t in flat(structure):
                if not isinstance(t, KerasTensor):
                    raise ValueError(f"All `{what}` values must be KerasTensors. Received: {what}={structure!r} "
                                     f"including invalid value {t!r} of type {type(t).__name__}")
            if not flat(structure):
                raise ValueError(f"A model needs at least one tensor in `{what}`.")
        for key, t in (inputs.items() if isinstance(inputs, dict) else ()):
            if isinstance(t, KerasTensor) and t.name != key:
                warn(f"When providing `inputs` as a dict, all keys in the dict must match the names of the "
                     f"corresponding tensors. Received key '{key}' mapping to value {t} which has name '{t.name}'. "
                     f"Change the tensor name to '{key}' (via `Input(..., name='{key}')`)", UserWarning)
        if subgraph.starts_inside(inputs):  # Model(h, outputs) from an intermediate h: a new Input in its place
            inputs, outputs = subgraph.from_intermediate(inputs, outputs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs: list[KerasTensor] = flat(inputs)
        self.outputs: list[KerasTensor] = flat(outputs)
        self._nodes, self._layers = graph_order(self.inputs, self.outputs, output_paths(outputs))
        self._unique_names()
        self.output_names = list(outputs) if isinstance(outputs, dict) and not nesting.is_deep(outputs) else [
            t.keras_history[0].name for t in self.outputs]  # nested deeper: the leaves' layers, as Keras names them
        self.input_names = list(inputs) if isinstance(inputs, dict) and not nesting.is_deep(inputs) else [
            t.keras_history[0].name for t in self.inputs]
        readers: dict[int, int] = {}
        for node in self._nodes:
            for t in node.inputs:
                readers[id(t)] = readers.get(id(t), 0) + 1
        self._read_inside = readers  # tensor -> how many nodes read it
        self._output_node_list = [t.keras_history[0].inbound_nodes[t.keras_history[1]] for t in self.outputs]
        calls: dict[int, int] = {}
        for node in self._nodes:
            calls[id(node.layer)] = calls.get(id(node.layer), 0) + 1
        self._shared = {layer_id for layer_id, count in calls.items() if count > 1}
        for layer in self._layers:
            if not layer.path_prefix:
                layer.path_prefix = f"{self.name}/"

    def _unique_names(self) -> None:
        """Layer names must be unique in a model (its config refers to layers by name); default names
        that repeat are numbered (dense, dense_1, ...), names you chose are never changed."""
        taken: set[str] = set()
        for layer in self._layers:
            if layer.name in taken:
                if not layer.auto_named:
                    raise ValueError(f'The name "{layer.name}" is used more than once in the model. All layer names '
                                     "should be unique.")
                base, index = layer.name, 1
                while f"{base}_{index}" in taken:
                    index += 1
                layer.name = f"{base}_{index}"
                if isinstance(layer, InputLayer):
                    layer.output.name = layer.name
            taken.add(layer.name)

    # -- structure --------------------------------------------------------------------------------
    @property
    def nodes(self) -> list[Node]:
        """Every layer call of the graph (Input nodes aside), in the order the forward pass runs them."""
        return list(self._nodes)

    def output_losses(self) -> dict[str, Any]:
        """With several outputs: the name of each output's layer -> its loss (for ``trace``)."""
        if self._heads is None:
            return {}
        return {t.keras_history[0].name: h.loss for t, h in zip(self.outputs, self._heads) if h.loss is not None}

    @property
    def operations(self) -> list[Layer]:
        """Every operation of the graph in Keras's order: its layers, inputs included, and the ops applied to
        its tensors (``x + y``, ``keras.ops.mean(h, axis=1)``) (a copy)."""
        return list(self._layers)

    @property
    def layers(self) -> list[Layer]:
        """The graph's layers, inputs included, in Keras's order (a copy); the ops applied to its tensors are
        not layers (see ``operations``)."""
        return [layer for layer in self._layers if not isinstance(layer, Operation)]

    @layers.setter
    def layers(self, _: Any) -> None:
        raise AttributeError("`Model.layers` attribute is reserved and should not be used. Please use another name.")

    @property
    def built(self) -> bool:
        return True

    @built.setter
    def built(self, value: bool) -> None:  # Layer.__init__ sets it; a graph is built when made
        pass

    def build(self, input_shape: Any = None) -> None:
        """A functional model is built when it is made; nothing to do."""

    @property
    def input_shape(self) -> Any:
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @input_shape.setter
    def input_shape(self, value: Any) -> None:  # Layer.__init__ sets it; a graph takes it from its Inputs
        pass

    @property
    def declared_input_shape(self) -> Any:
        return self.inputs[0].shape[1:] if len(self.inputs) == 1 else None

    @declared_input_shape.setter
    def declared_input_shape(self, value: Any) -> None:
        pass

    @property
    def output_shape(self) -> Any:
        shapes = [t.shape for t in self.outputs]
        if nesting.is_deep(self._outputs_struct):
            return nesting.pack(self._outputs_struct, shapes)
        return shapes[0] if len(shapes) == 1 else shapes

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shapes (in the outputs' structure), the batch axis taken from the inputs'."""
        batch = _batch_axis(input_shape)
        shapes = [(batch, *t.shape[1:]) if t.shape and t.shape[0] is None else t.shape for t in self.outputs]
        if nesting.is_deep(self._outputs_struct):
            return nesting.pack(self._outputs_struct, shapes)
        if isinstance(self._outputs_struct, dict):
            return dict(zip(self._outputs_struct, shapes))
        if isinstance(self._outputs_struct, tuple):
            return tuple(shapes)
        return shapes[0] if len(shapes) == 1 and not isinstance(self._outputs_struct, list) else shapes

    def known_output_names(self) -> list[str]:
        return self.output_names

    def _arranged_inputs(self, x: Any) -> Any:
        """Symbolic inputs for a call as a layer: flat, in the inputs' order, where the inputs nest deeper than one
        level (``{"1": i1, "others": {"2": i2}}``); as given otherwise."""
        return nesting.along(x, self._inputs_struct, "inputs") if nesting.is_deep(self._inputs_struct) else x

    def nested_outputs(self) -> Any:
        """The outputs' structure where it is nested more than one level deep (``{"a": (y1, y2), "b": y3}``),
        else None."""
        return self._outputs_struct if nesting.is_deep(self._outputs_struct) else None

    @property
    def input(self) -> Any:
        """The inputs as given to the constructor (a tensor, list or dict), as Keras's ``model.input``."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The outputs as given to the constructor (a tensor, list or dict), as Keras's ``model.output``."""
        return self._outputs_struct

    @property
    def input_dtype(self) -> str:
        return self.inputs[0].dtype

    @property
    def output_dtype(self) -> str:
        return self.outputs[0].dtype

    def output_activations(self) -> list[Any]:
        """Per output, f of a = f(z) if nothing else in the graph reads a (the logits path stops at z)."""
        out = []
        for t in self.outputs:
            layer = t.keras_history[0]
            out.append(None if self._read_inside.get(id(t)) or isinstance(layer, InputLayer)
                       or not layer.activation_is_output else layer.activation)
        return out

    @property
    def output_activation(self) -> Any:
        return self.output_activations()[0] if len(self.outputs) == 1 else None

    def _output_nodes(self) -> list[Node]:
        return self._output_node_list

    def connections(self, layer: Layer) -> tuple[Any, str]:
        """For summary: the layer's output shape here, and the tensors that feed it, as Keras prints
        them (``layer[node][tensor]``, "-" for an Input)."""
        numbers = self._node_numbers()
        own = [n for n in layer.inbound_nodes if id(n) in numbers]
        sources = []
        for node in own:
            for t in node.inputs:
                source, index, tensor_index = t.keras_history
                sources.append(f"{source.name}[{numbers[id(source.inbound_nodes[index])]}][{tensor_index}]")
        return (own[0].outputs[0].shape if own else None), ", ".join(sources) or "-"

    # -- as a layer in another graph --------------------------------------------------------------
    takes_list = property(lambda self: len(self.inputs) > 1)

    # -- the passes ---------------------------------------------------------------------------------
    def forward_pass(self, x: Any, ctx: Context, stop_at_z: bool = False) -> Tape:
        """t_out(n) = layer_n(t_in(n)) for the nodes in order; the output node stops at z if asked."""
        tape = Tape(ctx)
        xs = [x[k] for k in self.input_names] if isinstance(x, dict) else (x if isinstance(x, list) else [x])
        values: dict[int, np.ndarray] = {id(t): v for t, v in zip(self.inputs, xs)}
        masks: dict[int, np.ndarray] = {}  # tensor -> the mask it carries (Embedding(mask_zero=True), Masking)
        stops = stop_at_z if isinstance(stop_at_z, list) else [stop_at_z] + [False] * (len(self.outputs) - 1)
        at_z = {id(n) for n, stop in zip(self._output_nodes(), stops) if stop}
        for i, node in enumerate(self._nodes):
            layer = node.layer
            args = [values[id(t)] for t in node.inputs]
            args = [a.astype(layer.dtype) if a is not None and a.dtype != layer.dtype and a.dtype.kind in layer.casts
                    else a for a in args]  # Keras casts a layer's input to its dtype (ids stay ids; None: optional)
            if isinstance(node.args, dict):  # by name: the called graph orders them its own way
                given: Any = dict(zip(node.args, args))
            else:
                given = args if isinstance(node.args, list) else args[0]
            z_here = id(node) in at_z
            mask = [masks.get(id(t)) for t in node.inputs]
            mask = None if all(m is None for m in mask) else (mask if isinstance(node.args, list) else mask[0])
            if mask is not None and not z_here:
                a, saved = layer.forward_masked(given, mask, ctx)
            else:
                a, saved = (layer.forward_z if z_here else layer.forward)(given, ctx)
            if layer.supports_masking:
                out_mask = layer.compute_mask(given, mask)
                for t, m in zip(node.outputs, out_mask if len(node.outputs) > 1 else [out_mask]):
                    if m is not None:
                        masks[id(t)] = m
            tape.saved.append(saved)
            if isinstance(saved, EagerCall):  # a custom layer's add_loss joins the loss
                tape.penalty += saved.added_loss
            if ctx.peek:
                tape.layer_outputs.append(a)
            if layer.activity_regularizer is not None:
                tape.add_activity_penalty(i, layer, layer.activation.forward(a) if z_here else a)
            if len(node.outputs) == 1:
                values[id(node.outputs[0])] = a
            else:  # a model with several outputs used as a layer
                values.update(zip(map(id, node.outputs), a.values() if isinstance(a, dict) else a))
        outs = [values[id(t)] for t in self.outputs]
        tape.output = outs[0] if len(outs) == 1 else outs
        out_masks = [masks.get(id(t)) for t in self.outputs]
        tape.output_mask = out_masks[0] if len(outs) == 1 else (None if all(m is None for m in out_masks)
                                                                 else out_masks)
        tape.from_z = stops[0] if len(outs) == 1 else [bool(s) for s in stops]
        return tape

    def backward_pass(self, tape: Tape, grad: Any, need_grad_x: bool = False) -> Any:
        """grad_t_in(n) += layer_n.backward(grad_t_out(n)) for the nodes in reverse order (see the module)."""
        ctx = tape.ctx
        grads: dict[int, np.ndarray] = {}
        for t, g in zip(self.outputs, grad if isinstance(grad, list) else [grad]):
            if g is not None:
                grads[id(t)] = g
        from_z = tape.from_z if isinstance(tape.from_z, list) else [tape.from_z]
        outs = tape.output if isinstance(tape.output, list) else [tape.output]
        z_of = {id(n): z for n, z, stop in zip(self._output_nodes(), outs, from_z) if stop}  # output node -> z
        input_ids = {id(t) for t in self.inputs}
        reached: set[int] = set()
        for i in range(len(self._nodes) - 1, -1, -1):
            node = self._nodes[i]
            layer = node.layer
            if len(node.outputs) == 1:
                grad_a = grads.pop(id(node.outputs[0]), None)
            else:  # one gradient per output of an inner model (None where the loss does not reach it)
                grad_a = [grads.pop(id(t), None) for t in node.outputs]
                grad_a = None if all(g is None for g in grad_a) else grad_a
            if grad_a is None:  # nothing the loss depends on comes from this node
                continue
            z_here = id(node) in z_of
            if ctx.peek:
                tape.arriving[i] = grad_a
            if layer.activity_regularizer is not None:  # R(a) / batch reaches a, and through a reaches z
                grad_r = tape.activity_grad(i, layer)
                grad_a = grad_a + (layer.activation.backward(z_of[id(node)], tape.outputs[i], grad_r)
                                   if z_here else grad_r)
            need = need_grad_x or any(id(t) not in input_ids for t in node.inputs)
            earlier = None
            if id(layer) in self._shared and id(layer) in reached:  # keep the other calls' dL/dW
                earlier = [(ctx.grad(w).copy(), w.grad_rows) for w in layer.trainable_weights]
            step = layer.backward_z if z_here else layer.backward
            grad_in = step(tape.saved[i], grad_a, ctx, need)
            if earlier is not None:
                for w, (g, rows) in zip(layer.trainable_weights, earlier):
                    ctx.grad(w)[...] += g
                    if rows is not None and w.grad_rows is not None:  # an embedding's token occurrences: all calls'
                        w.grad_rows = rows.joined(w.grad_rows)
            reached.add(id(layer))
            if grad_in is None:
                continue
            if isinstance(node.args, dict):  # the called graph answers in its own input order
                by_name = dict(zip(getattr(layer, "input_names", list(node.args)), grad_in))
                grad_in = [by_name[k] for k in node.args]
            for t, g in zip(node.inputs, grad_in if isinstance(node.args, (list, dict)) else [grad_in]):
                grads[id(t)] = grads[id(t)] + g if id(t) in grads else g  # dL/dt summed over its readers
        for layer in self._layers:  # weights the loss does not depend on: dL/dW = 0
            if id(layer) not in reached:
                for w in layer.trainable_weights:
                    ctx.grad(w)[...] = 0
        if not need_grad_x:
            return None
        out = [grads.get(id(t), np.zeros(t.shape[1:])) for t in self.inputs]
        return out[0] if len(out) == 1 else out

    def pack_outputs(self, outputs: list[np.ndarray]) -> Any:
        """Per-output arrays as the model's outputs were given: a dict by name, a list, one array, or the structure
        they were nested in."""
        if nesting.is_deep(self._outputs_struct):
            return nesting.pack(self._outputs_struct, outputs)
        if isinstance(self._outputs_struct, dict):
            return dict(zip(self._outputs_struct, outputs))
        if isinstance(self._outputs_struct, tuple):
            return tuple(outputs)
        return outputs if isinstance(self._outputs_struct, list) else outputs[0]

    # -- data ------------------------------------------------------------------------------------------
    def check_inputs(self, x: Any, name: str = "x") -> Any:
        """The input arrays in ``self.inputs`` order (one array for a one-input model), each checked."""
        deep = nesting.is_deep(self._inputs_struct)
        if deep and nesting.is_container(x):  # inputs nested deeper than one level: x follows their structure
            x = nesting.along(x, self._inputs_struct, name)
        elif isinstance(x, dict) and set(self.input_names) < set(x):  # extra entries: Keras warns and drops them
            warn(f"The structure of `inputs` doesn't match the expected structure.\nExpected: {self.input_names}\n"
                 f"Received: inputs with keys {sorted(x)}; the extra ones are not used.", UserWarning)
            x = {k: x[k] for k in self.input_names}
        elif (isinstance(self._inputs_struct, dict) and isinstance(x, (list, tuple)) and len(x) == len(self.inputs)
              and len(self.inputs) > 1):  # a list for named inputs: Keras takes them in the keys' sorted order
            message = (f"The structure of `inputs` doesn't match the expected structure.\nExpected: named inputs "
                       f"{list(self._inputs_struct)}\nReceived: inputs as a {type(x).__name__} of {len(x)}")
            if list(self._inputs_struct) != sorted(self._inputs_struct):  # that order is not the one they were given
                raise ValueError(f"{message}; the model's inputs were named in an order that is not their sorted "
                                 f"order, so which array is which is ambiguous: pass a dict.")
            warn(f"{message}; taken in that order.", UserWarning)
            x = dict(zip(self.input_names, x))
        if len(self.inputs) == 1 and isinstance(x, dict) and set(x) == set(self.input_names):
            x = next(iter(x.values()))
        if len(self.inputs) == 1:
            if isinstance(x, (list, tuple)) and len(x) == 1 and x[0] is None:  # [None]: Keras flattens it
                x = None
            if isinstance(x, (list, tuple)) and len(x) > 1 and all(isinstance(v, np.ndarray) and v.ndim == len(
                    self.inputs[0].shape) for v in x):
                raise ValueError(f"The model {self.name!r} expects 1 input(s), but it received {len(x)} input "
                                 f"arrays in {name}.")
            return self._check_one(x, self.inputs[0], name, "")
        if isinstance(x, dict):
            missing = [k for k in self.input_names if k not in x]
            if missing:
                raise ValueError(f"{name} is missing the inputs {missing}; the model's inputs are "
                                 f"{self.input_names}, the dict has {sorted(x)}.")
            x = [x[k] for k in self.input_names]
        elif hasattr(x, "columns") and hasattr(x, "__getitem__"):  # a DataFrame with a column per input
            x = [x[k] for k in self.input_names]
        if not isinstance(x, (list, tuple)) or len(x) != len(self.inputs):
            got = f"a list of {len(x)}" if isinstance(x, (list, tuple)) else type(x).__name__
            kind = (f"named input(s) with keys {self.input_names}" if isinstance(self._inputs_struct, dict)
                    else f"{len(self.inputs)} input(s) {self.input_names}")
            raise ValueError(f"The model {self.name!r} expects {kind}: pass {name} as a list of {len(self.inputs)} "
                             f"arrays or a dict by name; got {got}.")
        paths = (nesting.labels(self._inputs_struct, self.input_names) if deep else list(self._inputs_struct)
                 if isinstance(self._inputs_struct, dict) else range(len(self.inputs)))
        arrays = [self._check_one(v, t, f"{name}[{k!r}]", str(p))
                  for v, t, k, p in zip(x, self.inputs, self.input_names, paths)]
        data.check_rows({f"{name}[{k!r}]": a for k, a in zip(self.input_names, arrays)})
        return arrays

    def _check_one(self, x: Any, tensor: KerasTensor, name: str, path: str) -> np.ndarray | None:
        """One input array, its rank standardised as Keras does, checked against the Input's shape; None for an
        ``Input(optional=True)`` given None (its layers receive None, as in Keras)."""
        if x is None:
            layer = tensor.keras_history[0] if tensor.keras_history else None
            if getattr(layer, "optional", False):
                return None
            raise ValueError(f"The input '{tensor.name}' is not optional, but None was passed. Please provide a "
                             "valid tensor.")
        if tensor.dtype == "string":
            x = data.as_strings(x, name)
        else:
            x = data.as_array(x, name, tensor.dtype if np.dtype(tensor.dtype).kind in "fiu" else config.floatx())
        x = data.standardize_rank(x, tensor.shape)
        expected = tensor.shape[1:]
        if x.ndim != len(expected) + 1:
            raise ValueError(f"Invalid input shape for input {name} with name '{tensor.name}' and path '{path}'. "
                             f"Expected shape {tensor.shape}, but input has incompatible shape {x.shape}.")
        if any(e is not None and e != d for e, d in zip(expected, x.shape[1:])):
            raise ValueError(f"{name} has shape {x.shape}, but the input {tensor.name!r} expects samples of shape "
                             f"{expected}: expected shape={tensor.shape}, found shape={x.shape}.")
        return x


    def __repr__(self) -> str:
        return f"<Functional name={self.name}, inputs={self.input_names}, outputs={self.output_names}>"

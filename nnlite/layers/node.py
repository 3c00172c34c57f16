"""Symbolic tensors and nodes: what calling a layer on ``keras.Input(...)`` records.

Calling a layer on a :class:`KerasTensor` computes nothing. The layer is built for the
tensor's shape, a :class:`Node` records "this layer, applied to these tensors, gave this
tensor", and the new KerasTensor is returned::

    x = Input((4,))          # KerasTensor (None, 4), made by an InputLayer's node
    h = Dense(8)(x)          # KerasTensor (None, 8); Dense.inbound_nodes[0] links x -> h

``Model(inputs, outputs)`` (``models.functional``) walks these nodes back from ``outputs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Shape = tuple[int | None, ...]


class KerasTensor:
    """A placeholder for a batch: its shape (batch axis first, None where unknown), dtype and the
    layer call that makes it (``keras_history`` = (layer, node index, tensor index))."""

    __slots__ = ("shape", "dtype", "name", "keras_history")
    sparse = False  # Keras's flags: nnlite's tensors are dense and rectangular
    ragged = False

    def __init__(self, shape: Sequence[int | None], dtype: str = "float32", name: str | None = None,
                 history: tuple[Any, int, int] | None = None, *, sparse: bool = False, ragged: bool = False,
                 record_history: bool = True) -> None:
        if sparse or ragged:
            raise ValueError("nnlite's tensors are dense: sparse and ragged KerasTensors are not supported.")
        self.shape: Shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self.keras_history = history

    @property
    def _keras_history(self) -> tuple[Any, int, int] | None:  # Keras's name for it
        return self.keras_history

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self!r} is symbolic: it has no values. Build a model with nnlite.Model(inputs, outputs) "
                        "and call the model (or predict) on arrays.")

    def __bool__(self) -> bool:
        raise TypeError(f"{self!r} is symbolic: it has no truth value. A model's call is traced once on symbolic "
                        "inputs, so it cannot branch on values; use ops.where or ops.maximum instead.")

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of ``layer`` in a graph: ``args`` as given (a tensor or a list of them), the flat
    ``inputs``, and the ``outputs`` it made."""

    __slots__ = ("layer", "args", "inputs", "outputs")

    def __init__(self, layer: Any, args: Any, outputs: list[KerasTensor]) -> None:
        self.layer = layer
        self.args = args
        if isinstance(args, dict):
            self.inputs: list[KerasTensor] = list(args.values())
        else:
            self.inputs = list(args) if isinstance(args, (list, tuple)) else ([] if args is None else [args])
        self.outputs = outputs

    @property
    def is_input(self) -> bool:
        return not self.inputs

    @property
    def parent_nodes(self) -> list[Node]:
        return [t.keras_history[0].inbound_nodes[t.keras_history[1]] for t in self.inputs]

    def __repr__(self) -> str:
        return f"<Node {self.layer.name}({', '.join(t.name or '?' for t in self.inputs)})>"


def is_symbolic(x: Any) -> bool:
    """Whether ``x`` is a KerasTensor, or a list/tuple (a merge layer's inputs) or dict holding one."""
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, dict):
        return any(is_symbolic(t) for t in x.values())
    return isinstance(x, (list, tuple)) and any(is_symbolic(t) for t in x)


def shape_of(args: Any) -> Any:
    if isinstance(args, dict):
        return {k: t.shape for k, t in args.items()}
    return [t.shape for t in args] if isinstance(args, (list, tuple)) else args.shape


def connect(layer: Any, args: Any) -> Any:
    """``layer(args)`` on KerasTensors: build the layer, record the node, return its output tensor (tensors, for
    a model with several outputs)."""
    if isinstance(args, (list, tuple, dict)):
        values = args.values() if isinstance(args, dict) else args
        strangers = [type(t).__name__ for t in values if not isinstance(t, KerasTensor)]
        if strangers:
            raise TypeError(f"Layer {layer.name!r} was called on a mix of symbolic tensors and {strangers}: in a "
                            "functional model every input must come from keras.Input or another layer.")
        args = dict(args) if isinstance(args, dict) else list(args)
    shape = shape_of(args)
    if layer.composite and not layer.traced and not layer.built_eager:  # a custom layer: its own build first
        if not layer.built and layer.has_own_build:
            layer.build(shape)
            layer.built = True
        layer.place_in_graph(shape)
    elif not layer.built:
        layer.build(shape)
    else:
        layer.check_input_shape(shape)
    out_shape = layer.compute_output_shape(shape)
    index = len(layer.inbound_nodes)
    several = several_shapes(out_shape)  # a model with several outputs, called as a layer: a tensor for each
    shapes = _shape_leaves(out_shape) if several else [out_shape]  # (in the outputs' order, at any depth)
    outputs = getattr(layer, "outputs", None) if several else None  # a model's outputs carry their dtypes
    dtypes = [t.dtype for t in outputs] if outputs else layer.symbolic_dtypes(args, len(shapes))
    outs = [KerasTensor(tuple(s), dtype, name=f"keras_tensor_{layer.name}_{index}" + (f"_{k}" if several else ""),
                        history=(layer, index, k)) for k, (s, dtype) in enumerate(zip(shapes, dtypes))]
    layer.inbound_nodes.append(Node(layer, args, outs))
    if not several:
        return outs[0]
    remaining = iter(outs)

    def packed(shape: Any) -> Any:  # the tensors in the containers the shapes came in
        if isinstance(shape, dict):
            return {key: packed(s) for key, s in shape.items()}
        if several_shapes(shape):
            return type(shape)(packed(s) for s in shape)
        return next(remaining)

    return packed(out_shape)


def _shape_leaves(shape: Any) -> list[Any]:
    """The shapes in a structure of them (dicts, lists, tuples at any depth), in order."""
    if isinstance(shape, dict):
        return [leaf for s in shape.values() for leaf in _shape_leaves(s)]
    if several_shapes(shape):
        return [leaf for s in shape for leaf in _shape_leaves(s)]
    return [shape]


def several_shapes(shape: Any) -> bool:
    """Whether an output shape is several shapes (a list, tuple or dict of them), not one."""
    if isinstance(shape, dict):
        return True
    return isinstance(shape, (list, tuple)) and len(shape) > 0 and all(isinstance(s, (list, tuple)) for s in shape)

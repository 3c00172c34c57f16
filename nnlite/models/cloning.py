"""``clone_model``: a model's architecture again, with new layers (new weights) or any layers a function gives.

A Sequential is rebuilt from its layers, each passed through ``clone_function``; a functional model is called
again, node by node in the graph's order, on new Inputs (or ``input_tensors``): each layer ``l`` is replaced by
``clone_function(l)`` (once, so a shared layer stays shared) and called as ``call_function(l', *args)`` says. Any
other model is rebuilt from its config. A compiled model's clone is compiled the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..layers.base import Layer
from ..layers.input_layer import Input
from ..layers.node import KerasTensor
from .functional import Functional
from .model import Model
from .sequential import Sequential
from .subgraph import flat as _flat
from .subgraph import map_structure as _map


def clone_model(model: Model, input_tensors: Any = None, clone_function: Callable[[Layer], Layer] | None = None,
                call_function: Callable[..., Any] | None = None, recursive: bool = False, **kwargs: Any) -> Model:
    """A new model with ``model``'s architecture: by default new layers of the same configs, freshly initialised.

    Args:
        model: a Sequential, a functional model, or a subclassed model with ``get_config``.
        input_tensors: the Input tensors the clone starts from (a functional model: the structure of
            ``model.input``; a Sequential: one tensor); new Inputs of the same shapes by default.
        clone_function: layer -> the layer the clone uses in its place; by default
            ``layer.__class__.from_config(layer.get_config())``. ``lambda layer: layer`` keeps the layers (and
            weights).
        call_function: ``call_function(layer, *args, **kwargs)`` calls the layer in a functional clone (say, to add
            a Dropout after every Dense); by default ``layer(*args, **kwargs)``.
        recursive: whether models inside the model are cloned the same way (else ``clone_function`` gets them).
        **kwargs: nothing else is accepted.

    Raises:
        ValueError: for other keywords, ``call_function`` with a Sequential, ``clone_function`` or
            ``input_tensors`` with a subclassed model, or ``input_tensors`` of another structure.

    Example:
        >>> import numpy as np, nnlite
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> clone = nnlite.models.clone_model(model)
        >>> clone.output_shape, clone is model, clone.layers[0] is model.layers[0]
        ((None, 1), False, False)
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs)}")
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError("`call_function` argument is not supported with Sequential models. In a Sequential "
                             "model, layers aren't called at model-construction time (they're merely listed). Use "
                             f"`call_function` with Functional models only. Received model of type "
                             f"'{type(model).__name__}', with call_function={call_function}")
        clone = _clone_sequential(model, _each_once(clone_function, None, recursive, cache), input_tensors)
    elif isinstance(model, Functional):
        clone = _clone_functional(model, _each_once(clone_function, call_function, recursive, cache),
                                  call_function, input_tensors)
    else:
        if clone_function is not None or input_tensors is not None:
            raise ValueError("Arguments `clone_function` and `input_tensors` are only supported for Sequential "
                             f"models or Functional models. Received model of type '{type(model).__name__}', with "
                             f"clone_function={clone_function} and input_tensors={input_tensors}")
        if call_function is not None:
            raise ValueError("Argument `call_function` is only supported for Functional models. Received model of "
                             f"type '{type(model).__name__}', with call_function={call_function}")
        return type(model).from_config(model.get_config())
    if model.compiled:
        clone.compile_from_config(model.get_compile_config())
    return clone


def _each_once(clone_function: Callable[[Layer], Layer] | None, call_function: Callable[..., Any] | None,
               recursive: bool, cache: dict[int, Layer] | None) -> Callable[[Layer], Layer]:
    """clone_function made to answer each layer once (a shared layer stays shared in the clone), and with
    ``recursive`` to clone the models inside the model as the model itself."""
    made: dict[int, Layer] = {} if cache is None else cache

    def fresh(layer: Layer) -> Layer:
        return type(layer).from_config(layer.get_config())

    chosen = clone_function or fresh
    if not callable(chosen):
        raise ValueError(f"Expected `clone_function` argument to be a callable. Received: "
                         f"clone_function={clone_function}")

    def once(layer: Layer) -> Layer:
        if id(layer) not in made:
            if recursive and isinstance(layer, (Sequential, Functional)):
                made[id(layer)] = clone_model(layer, clone_function=clone_function, recursive=True, cache=made,
                                              call_function=call_function if isinstance(layer, Functional) else None)
            else:
                made[id(layer)] = chosen(layer)
        return made[id(layer)]

    return once


def _clone_sequential(model: Sequential, clone: Callable[[Layer], Layer], input_tensors: Any) -> Sequential:
    """A Sequential of the cloned layers, after an Input like the model's (or on ``input_tensors``)."""
    layers = [clone(layer) for layer in model.layers]
    source = model.input_layer
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(f"Argument `input_tensors` must be a KerasTensor. Received invalid value: "
                             f"input_tensors={input_tensors}")
        layers = [Input(tensor=input_tensors, name=source.name if source is not None else None)] + layers
    elif source is not None:
        layers = [Input(batch_shape=source.batch_shape, dtype=source.dtype, name=source.name,
                        optional=source.optional)] + layers
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _clone_functional(model: Functional, clone: Callable[[Layer], Layer], call_function: Callable[..., Any] | None,
                      input_tensors: Any) -> Functional:
    """The graph called again on new Inputs, each layer replaced by its clone (see the module)."""
    structure = model.input  # the inputs as given: one, a list or a dict
    if input_tensors is None:
        input_tensors = _map(structure, lambda t: Input(batch_shape=t.shape, dtype=t.dtype, name=t.name))
    else:
        if not all(isinstance(t, KerasTensor) for t in _flat(input_tensors)):
            raise ValueError(f"All entries in `input_tensors` must be KerasTensors. Received invalid values: "
                             f"inputs_tensors={input_tensors}")
        if not _same_structure(input_tensors, structure):
            raise ValueError(f"`input_tensors` must have the same structure as model.input\nReference structure: "
                             f"{structure}\nReceived structure: {input_tensors}")
    new = dict(zip(map(id, model.inputs), _flat(input_tensors)))
    for node in model.nodes:
        layer = clone(node.layer)
        if node.layer.file_keywords:  # a call with keywords (MultiHeadAttention's value, initial_state, ...)
            args, kwargs = node.layer.file_call([new[id(t)] for t in node.inputs])
        else:
            args, kwargs = [_map(node.args, lambda t: new[id(t)])], {}
        out = call_function(layer, *args, **kwargs) if call_function is not None else layer(*args, **kwargs)
        outs = _flat(out)
        if len(outs) != len(node.outputs):
            raise ValueError(f"The clone of layer {node.layer.name!r} gave {len(outs)} tensors where the model's "
                             f"gave {len(node.outputs)}.")
        new.update(zip(map(id, node.outputs), outs))
    outputs = _map(model.output, lambda t: new[id(t)])
    return Functional(input_tensors, outputs, name=model.name, trainable=model.trainable)


def _same_structure(a: Any, b: Any) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
    return True


"""Sequential: a stack of layers, each feeding the next (the equations are in ``tape``)."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import blas, config, dtype_policies
from ..layers.base import LAYERS, Context, Layer
from ..layers.core import Dense
from ..layers.eager import EagerCall
from ..layers.input_layer import InputLayer
from ..layers.node import KerasTensor, connect, is_symbolic
from .model import Model
from .tape import Tape


@LAYERS.register(module="keras")
class Sequential(Model):
    """A linear stack of layers with Keras's model API: a = layer_L(... layer_2(layer_1(x))).

    Args:
        layers: the layers in order, an ``Input`` first to build it at once (or ``add`` them later).
        trainable: whether ``fit`` trains its weights.
        name: the model's name (default "sequential", numbered as Keras numbers them).
        **kwargs: ``dtype``.

    Example:
        >>> import nnlite
        >>> model = nnlite.Sequential([nnlite.Input((4,)), nnlite.layers.Dense(8, activation="relu"),
        ...                            nnlite.layers.Dense(1)])
        >>> model.output_shape, model.count_params()
        ((None, 1), 49)
    """

    keeps_layers_by_class = True  # a weights file holds its layers at layers/<class in snake case>[_n] (Keras's)

    def __init__(self, layers: Sequence[Layer] | None = None, trainable: bool = True, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable, dtype=kwargs.pop("dtype", None))
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to Sequential: {kwargs}")
        self._layers: list[Layer] = []
        self.input_layer: InputLayer | None = None
        self._symbolic_key: tuple | None = None  # the layers the functional view (inputs, outputs) was made for
        self._quiet = True  # building while the constructor adds the layers: one graph, as Keras makes one
        for layer in layers or []:
            self.add(layer)
        self._quiet = False
        if self.input_layer is not None and self._layers:
            config.get_uid("functional")  # Keras builds a functional graph here, which takes a default name

    @property
    def layers(self) -> list[Layer]:
        """The layers, first to last (a copy: change the model with add and pop)."""
        return list(self._layers)

    @layers.setter
    def layers(self, _: Any) -> None:
        raise AttributeError("`Sequential.layers` attribute is reserved and should not be used. Use `add()` and "
                             "`pop()` to change the layers in this model.")

    # -- structure --------------------------------------------------------------------------------
    def add(self, layer: Layer, rebuild: bool = True) -> None:
        """Append a layer (an ``Input`` is accepted only first); names must be unique.

        Args:
            layer: the layer (or an ``Input``, first).
            rebuild: build the model again when it can (Keras's).
        """
        if isinstance(layer, KerasTensor) and isinstance(layer.keras_history[0], InputLayer):
            layer = layer.keras_history[0]  # Input(...) gives the InputLayer's tensor
        if isinstance(layer, InputLayer):
            if self.input_layer is not None:
                raise ValueError(f"Sequential model '{self.name}' has already been configured to use input shape "
                                 f"{self.input_layer.shape}. You cannot add a different Input layer to it.")
            if self._layers:
                raise ValueError("An Input can only be the first entry of a Sequential.")
            self.input_layer = layer
            return
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential model. Received: "
                             f"{layer!r} (of type {type(layer)})")
        if any(other is layer for other in self._layers):
            raise ValueError(f"Layer {layer.name!r} is already in this model; a layer can appear once.")
        taken = {other.name for other in self._layers}
        if layer.name in taken:
            if not layer.auto_named:
                raise ValueError(f"All layers added to a Sequential model should have unique names. Name "
                                 f"'{layer.name}' is already the name of a layer in this model. Update the `name` "
                                 "argument to pass a unique name.")
            base, index = layer.name, 1
            while f"{base}_{index}" in taken:
                index += 1
            layer.name = f"{base}_{index}"
        self._layers.append(layer)
        self._forget_plans()
        if self.input_layer is None and layer.declared_input_shape is not None and len(self._layers) == 1:
            self.input_layer = InputLayer(shape=layer.declared_input_shape)
        if self.input_layer is not None and rebuild:
            self.build()

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer.

        Args:
            rebuild: accepted for Keras's signature (the remaining layers keep their weights, nothing is rebuilt).
        """
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        self._forget_plans()
        return self._layers.pop()

    # -- Keras's functional view: the layers called on the Input's tensor -------------------------------
    @property
    def inputs(self) -> list[KerasTensor]:
        """The Input's symbolic tensor, in a list (once the model has an Input)."""
        return self._symbolic("inputs")[0]

    @property
    def outputs(self) -> list[KerasTensor]:
        """The last layer's symbolic output, in a list (the layers called on the Input's tensor)."""
        return self._symbolic("outputs")[1]

    def _symbolic(self, what: str) -> tuple[list[KerasTensor], list[KerasTensor]]:
        if self.input_layer is None or not self._layers:
            raise AttributeError(f"Sequential model '{self.name}' has no defined {what} yet.")
        key = (id(self.input_layer), *map(id, self._layers))
        if self._symbolic_key != key:  # called once per set of layers, as Keras builds it
            x = self.input_layer.output
            for layer in self._layers:
                x = connect(layer, x)
            self._symbolic_view = ([self.input_layer.output], [x])
            self._symbolic_key = key
        return self._symbolic_view

    @property
    def built(self) -> bool:
        return self.input_layer is not None and all(layer.built for layer in self._layers)

    @built.setter
    def built(self, value: bool) -> None:  # Layer.__init__ sets it; a Sequential derives it
        pass

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """Create every layer's weights for inputs of ``input_shape`` = (batch, features...).

        Args:
            input_shape: the input shape, batch first (None for the batch); ``None`` takes the Input's.
        """
        if not self._layers and self.input_layer is None:  # (an Input alone is the identity, as in Keras)
            raise ValueError(f"Sequential model {self.name} cannot be built because it has no layers. Call "
                             "`model.add(layer)`.")
        if input_shape is None:
            if self.input_layer is None:
                raise ValueError("You must provide an `input_shape` argument, or give the model an Input first.")
            input_shape = self.input_layer.shape
        elif self.input_layer is not None and tuple(input_shape)[1:] != tuple(self.input_layer.shape)[1:]:
            raise ValueError(f"Sequential model '{self.name}' has already been configured to use input shape "
                             f"{self.input_layer.shape}. You cannot build it with input_shape {tuple(input_shape)}")
        if not getattr(self, "_quiet", False):
            config.get_uid("functional")  # each build makes Keras's graph anew: the next Model is functional_<n + 1>
        shape = tuple(input_shape)  # a fixed batch size stays (a stateful recurrent layer needs it)
        if self.input_layer is None:
            self.input_layer = InputLayer(shape=shape[1:])
        for layer in self._layers:
            _check_one_input(layer)
            if not layer.built:
                layer.path_prefix = f"{self.name}/"
                layer.build(shape)
                layer.built = True  # a custom build need not say so (Keras marks it built)
            elif (built_for := getattr(layer, "input_shape", None)) is not None and tuple(built_for[1:]) != tuple(
                    shape[1:]):
                raise ValueError(f"Layer {layer.name!r} was built for inputs {built_for}, now given {shape}.")
            elif built_for is None:
                layer.input_shape = shape
            shape = layer.compute_output_shape(shape)

    def __call__(self, x: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """The stack on a batch. Given a list or dict of arrays with a first layer that takes one (a layer of your
        own, a merge layer) and no Input, the layers run one after another on values, as Keras runs them."""
        first = self._layers[0] if self._layers else None
        if (isinstance(x, (list, tuple, dict)) and self.input_layer is None and first is not None
                and (first.composite or first.takes_list) and not is_symbolic(x)):
            out = x
            for layer in self._layers:
                out = layer(out, training=training)
            return out
        return super().__call__(x, training=training, **kwargs)

    @property
    def input_dtype(self) -> str:
        """An Input's integer dtype (token ids), else the first layer's float dtype."""
        if self.input_layer is not None and (self.input_layer.dtype == "string"
                                             or np.dtype(self.input_layer.dtype).kind in "iu"):
            return self.input_layer.dtype
        return self._layers[0].compute_dtype if self._layers else config.floatx()

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        """Its Input's shape, batch first; an AttributeError before it has one (``hasattr`` says False), as
        Keras's."""
        if self.input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return self.input_layer.shape

    @property
    def declared_input_shape(self) -> tuple[int | None, ...] | None:
        """What an outer Sequential takes this one's input to be (its Input's shape, without the batch)."""
        return None if self.input_layer is None else self.input_layer.shape[1:]

    @declared_input_shape.setter
    def declared_input_shape(self, value: Any) -> None:  # Layer.__init__ sets it; a Sequential takes it from its Input
        pass

    @input_shape.setter
    def input_shape(self, value: Any) -> None:  # Layer.__init__ sets it; a Sequential takes it from its Input
        pass

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        """The output shape for inputs of ``input_shape``: each layer's output shape in turn.

        Args:
            input_shape: the input shape, batch first.
        """
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        """Its last layer's output shape, batch first; an AttributeError before it is built, as Keras's."""
        if self.input_layer is None or not self.built:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape yet.")
        return self.compute_output_shape(self.input_shape)

    # -- the passes ---------------------------------------------------------------------------------
    def forward_pass(self, x: np.ndarray, ctx: Context, stop_at_z: bool = False) -> Tape:
        """a_l = layer_l(a_{l-1}) from a_0 = x; with ``stop_at_z`` the last layer stops at z.

        Args:
            x: the batch.
            ctx: the pass's :class:`~nnlite.layers.Context`.
            stop_at_z: stop the last layer before its activation (the logits path).
        """
        tape = Tape(ctx)
        a, mask = x, None  # mask: which steps of a count (Embedding(mask_zero=True), Masking), passed on
        last = len(self._layers) - 1
        for i, layer in enumerate(self._layers):
            if a.dtype != layer.dtype and a.dtype.kind in layer.casts:  # Keras casts each layer's input to its dtype
                a = a.astype(layer.dtype)
            a_in = a
            if i == last and stop_at_z:
                a, saved = layer.forward_z(a, ctx)
                tape.from_z = True
            elif mask is not None:
                a, saved = layer.forward_masked(a, mask, ctx)
            else:
                a, saved = layer.forward(a, ctx)
            mask = layer.compute_mask(a_in, mask) if layer.supports_masking else None
            tape.saved.append(saved)
            if isinstance(saved, EagerCall):  # a custom layer's add_loss joins the loss
                tape.penalty += saved.added_loss
            if ctx.peek:
                tape.layer_outputs.append(a)
            if layer.activity_regularizer is not None:
                tape.add_activity_penalty(i, layer, layer.activation.forward(a) if tape.from_z else a)
        tape.output, tape.output_mask = a, mask
        return tape

    def backward_pass(self, tape: Tape, grad: np.ndarray, need_grad_x: bool = False) -> np.ndarray | None:
        """grad_a_{l-1} = layer_l.backward(grad_a_l), from the last layer down (from dL/dz on the logits path).

        Args:
            tape: what :meth:`forward_pass` recorded.
            grad: dL/da at the output (dL/dz on the logits path).
            need_grad_x: whether dL/dx of the model's input is wanted.
        """
        last = len(self._layers) - 1
        for i in range(last, -1, -1):
            layer, saved = self._layers[i], tape.saved[i]
            from_z = i == last and tape.from_z
            if tape.ctx.peek:
                tape.arriving[i] = grad
            if layer.activity_regularizer is not None:  # R(a) / batch reaches a, and through a reaches z
                grad_r = tape.activity_grad(i, layer)
                grad = grad + (layer.activation.backward(tape.output, tape.outputs[i], grad_r) if from_z else grad_r)
            need = i > 0 or need_grad_x
            step = layer.backward_z if from_z else layer.backward
            grad = step(saved, grad, tape.ctx, need)
        return grad

    def _plain_chain(self, dtype: np.dtype) -> bool:
        """Whether forward_pass and backward_pass have nothing to do between the layers, so that ``fit`` may run
        the chain alone (``_chain_forward``): every layer has passes of its own (not a call run on a tape), makes no
        mask, adds no activity penalty and computes in ``dtype``, the batches' dtype."""
        return bool(self._layers) and all(
            type(layer).forward is not Layer.forward and type(layer).compute_mask is Layer.compute_mask
            and layer.activity_regularizer is None and layer.dtype == dtype for layer in self._layers)

    def _kernels_stepped_inside(self, variables: list) -> list:
        """The kernels whose SGD step the chain's backward may take inside its product: of a Dense (that class,
        whose backward_z takes it), trainable (among ``variables``), held by no other layer and with blas.WORTH_IT
        entries or more (smaller ones: the call costs more than the subtraction it saves)."""
        held = [id(w) for layer in self._layers for w in layer.weights]
        trainable = {id(v) for v in variables}
        return [layer.kernel for layer in self._layers
                if type(layer) is Dense and id(layer.kernel) in trainable and held.count(id(layer.kernel)) == 1
                and layer.kernel.value.size >= blas.WORTH_IT]

    def _chain_forward(self, x: np.ndarray, ctx: Context, stop_at_z: bool) -> Tape:
        """forward_pass of a plain chain: a_l = layer_l(a_{l-1}), the last layer stopping at z on the logits path."""
        tape = Tape(ctx)
        *body, last = self._layers
        a = x
        for layer in body:
            a, saved = layer.forward(a, ctx)
            tape.saved.append(saved)
        tape.output, saved = last.forward_z(a, ctx) if stop_at_z else last.forward(a, ctx)
        tape.saved.append(saved)
        tape.from_z = stop_at_z
        return tape

    def _chain_backward(self, tape: Tape, grad: np.ndarray) -> None:
        """backward_pass of a plain chain: grad_a_{l-1} = layer_l.backward(grad_a_l), from dL/dz on the logits path;
        the first layer's grad_x is not computed."""
        *body, last = self._layers
        step = last.backward_z if tape.from_z else last.backward
        grad = step(tape.saved[-1], grad, tape.ctx, bool(body))
        for i in range(len(body) - 1, -1, -1):
            grad = body[i].backward(tape.saved[i], grad, tape.ctx, i > 0)

    # -- config ---------------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Keras's Sequential config: the InputLayer, then every layer's config entry."""
        from .. import layers as layers_module

        entries = [layers_module.serialize(self.input_layer)] if self.input_layer is not None else []
        entries += [layers_module.serialize(layer) for layer in self._layers]
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policies.serialize(self.dtype_policy), "layers": entries}
        if self.input_layer is not None:
            config["build_input_shape"] = list(self.input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        from .. import layers as layers_module

        if not isinstance(config, dict) or "name" not in config or not isinstance(config.get("layers"), list):
            raise ValueError("A Sequential model configuration must be a dictionary containing the 'name' and "
                             f"'layers' keys (a list of layer entries). Received: config={config}")
        entries = config["layers"]
        for entry in entries:
            if not isinstance(entry, dict) or "config" not in entry:
                raise ValueError("Expected a dictionary containing a 'config' key. Received: a layer entry "
                                 f"{entry!r} of Sequential {config['name']!r}.")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in entries:
            model.add(layers_module.deserialize(entry), rebuild=False)
        if model.input_layer is None and config.get("build_input_shape") is not None:
            model.input_layer = InputLayer(batch_shape=config["build_input_shape"])
        if model.input_layer is not None and model.layers:
            model.build()
        return model

    def get_build_config(self) -> dict[str, Any] | None:
        """``{"input_shape": ...}`` once built, for Keras's ``build_from_config``; None before."""
        return {"input_shape": list(self.input_layer.shape)} if self.input_layer is not None else None

    def __repr__(self) -> str:
        return f"<Sequential name={self.name}, layers={[layer.name for layer in self._layers]}>"


def _check_one_input(layer: Layer) -> None:
    """A layer in a Sequential is called on one tensor: its ``call`` may require no other positional argument."""
    if not layer.composite:
        return
    positional = [p for p in inspect.signature(layer.call).parameters.values()
                  if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    if not positional:
        raise ValueError("Layers added to a Sequential model should have a single positional argument, the input "
                         f"tensor. Layer {type(layer).__name__} has no positional arguments.")
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    if len(required) > 1:
        raise ValueError("Layers added to a Sequential model can only have a single required positional argument, the "
                         f"input tensor. Layer {type(layer).__name__} has multiple required positional arguments: "
                         f"{required}")

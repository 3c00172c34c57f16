"""Model: Keras's model API over a structure of layers, assembled from the trainer's seams.

What a model computes is its structure: ``layers``, ``build``, ``input_shape``/``output_shape``,
``forward_pass(x, ctx, stop_at_z) -> Tape`` and ``backward_pass(tape, grad, need_grad_x)`` (Sequential,
Functional, a subclass's traced call, or a call run as written). The rest lives beside it, one concern a
module, each a mixin of Model:

    compile_state   compile, the losses and metrics per output, compute_loss, metrics, get_metrics_result
    steps           train_step, test_step, predict_step, compute_metrics (the seams you override), run_steps
    fused           the fused step fit runs when no seam is overridden, and its epoch loop
    loops           fit, evaluate, predict, train_on_batch, test_on_batch, predict_on_batch

This module keeps the model as a layer: its structure, its call (a recorded node under a GradientTape),
its weights, the checks of its inputs, its files and its summary.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import autodiff, config, data, losses, optimizers
from .. import callbacks as callbacks_module
from .. import metrics as metrics_module
from ..layers import eager
from ..layers.base import LAYERS, Context, Layer, assign_all, held_layers, snake_names
from ..layers.eager import outer_training
from ..layers.input_spec import assert_input_compatibility
from ..layers.node import connect, is_symbolic
from ..registry import CustomObjectScope, snake_case
from ..tensor import as_tensor
from . import heads as heads_module
from . import nesting, taped
from . import summary as summary_module
from .compile_state import CompileState
from .fused import FusedSteps
from .loops import Loops
from .state import StateTree
from .steps import Steps
from .tape import Tape


class Model(Loops, FusedSteps, CompileState, Steps, StateTree, Layer):
    """Keras's model API: compile, fit, evaluate, predict, weights, files, summary.

    ``Model(inputs, outputs)`` makes a functional model: the layers called from ``inputs`` to ``outputs``
    (tensors, or lists or dicts of them). Subclass it, create layers in ``__init__`` and write ``call`` to
    make a model of your own, as in Keras.

    Args:
        *args: ``inputs`` and ``outputs`` for a functional model.
        name: the model's name.
        trainable: whether ``fit`` trains its weights.
        dtype: the dtype of a subclassed model's own computations.
        **kwargs: ``inputs=`` and ``outputs=`` by name.

    Example:
        >>> import nnlite
        >>> nnlite.config.clear_session()  # automatic names count from here: dense, dense_1, ...
        >>> x = nnlite.Input((3,), name="x")
        >>> hidden = nnlite.layers.Dense(4)(x)
        >>> model = nnlite.Model(x, nnlite.layers.Dense(2, activation="softmax")(hidden))
        >>> [layer.name for layer in model.layers], model.output_shape
        (['x', 'dense', 'dense_1'], (None, 2))
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        """``Model(inputs, outputs)`` makes a functional model (``models.functional``), as in Keras."""
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return super().__new__(LAYERS.lookup("Functional"))
        return super().__new__(cls)

    def __init__(self, *args: Any, name: str | None = None, trainable: bool = True, dtype: Any = None,
                 **kwargs: Any) -> None:
        if type(self) is Model and (args or kwargs):  # Model() alone is an empty model, as Keras's
            raise TypeError("Model() needs inputs and outputs: Model(inputs, outputs) with tensors from keras.Input "
                            "and the layers called on them; or use Sequential([...]).")
        graph_args = _graph_arguments(args, kwargs)
        if (args or kwargs) and graph_args is None:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {args or ''} {kwargs or ''}.")
        default = name is None
        if default:  # Keras's automatic names: sequential, sequential_1, ... (until clear_session)
            base = snake_case(type(self).__name__)
            uid = config.get_uid(base)
            name = base if uid == 1 else f"{base}_{uid - 1}"
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self.auto_named = default
        if graph_args is not None:  # CustomModel(inputs, outputs): your subclass over a functional graph (Keras's)
            graph = LAYERS.lookup("Functional")(*graph_args, name=name)
            self._graphs = (graph, graph)
            self.inputs, self.outputs = graph.inputs, graph.outputs  # as Keras's Functional has them
            self.built = True
        self._over_graph = graph_args is not None and type(self) is not Model  # CustomModel(inputs, outputs)
        self.optimizer: optimizers.Optimizer | None = None
        self.loss: losses.Loss | None = None
        self.compiled = False
        self.stop_training = False
        self.history: callbacks_module.History | None = None
        self.stop_predicting = False
        self.restored_epoch: int | None = None  # set by BackupAndRestore: the epoch fit resumes from
        self._loss_id: Any = None
        self._metric_ids: list[Any] = []
        self._weighted_metric_ids: list[Any] = []
        self._tracked: list[tuple[str, metrics_module.Metric, bool]] = []  # (log name, metric, weighted?)
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._heads: list[heads_module.Head] | None = None  # per output, for a model with several
        self._resolved = False  # whether a pass has set up the metrics (Keras lists them from then on)
        self._diverged = False
        self._deferred_compile: dict[str, Any] | None = None  # losses per output of a model not yet built
        self._loss_by_shapes: str | None = None  # compile's "crossentropy", until the first labels

    # -- the structure ------------------------------------------------------------------------------
    # Sequential and Functional define these. A subclass of Model with its own ``call`` gets them from
    # graphs: ``call`` is traced on symbolic inputs (``build``), once in training mode and once not, and
    # the two graphs (sharing the layers) are trained and run as functional models are. So ``call`` must
    # build its result from nnlite layers, nnlite.ops and arithmetic, with no branch on the values.
    _graphs: tuple[Any, Any] | None = None  # (training graph, inference graph) of a traced call

    def _graph(self, training: bool = False) -> Any:
        if self._graphs is None:
            raise ValueError(f"The model {self.name!r} is not built yet: call it on data, fit it, or call "
                             "build(input_shape) first.")
        return self._graphs[0 if training else 1]

    @property
    def layers(self) -> list[Layer]:
        """The layers this model holds as attributes, in the order they were set (Keras's tracking); for a
        subclass built as CustomModel(inputs, outputs), its graph's layers (as Keras's Functional)."""
        if vars(self).get("_over_graph"):
            return self._graphs[0].layers
        own = self.sublayers()
        return own if own or self._graphs is None else self._graphs[0].layers

    @layers.setter
    def layers(self, _: Any) -> None:
        raise AttributeError("`Model.layers` attribute is reserved and should not be used. Please use another name.")

    keeps_layers_by_class = False  # Functional and Sequential: their layers at layers/<class in snake case>[_n]

    @property
    def input(self) -> Any:
        """The graph's inputs as given (a tensor, list or dict) for CustomModel(inputs, outputs), as Keras's
        ``model.input``; else the tensor(s) the model was first called on in a graph."""
        return self._graphs[1].input if vars(self).get("_over_graph") else Layer.input.fget(self)

    @property
    def output(self) -> Any:
        """The graph's outputs as given for CustomModel(inputs, outputs), as Keras's ``model.output``; else what
        the model made when first called in a graph."""
        return self._graphs[1].output if vars(self).get("_over_graph") else Layer.output.fget(self)

    def saved_layers(self) -> list[tuple[str, Layer]]:
        """(path, layer) for each layer a weights file holds, as Keras walks a model: the layers of a graph
        (functional, Sequential) at layers/<class in snake case>[_n]; a subclassed model's as its attributes
        lead to them, its ``layers`` among them."""
        layers = self.layers
        by_class = [(f"layers/{name}", layer) for name, layer in zip(snake_names(
            [type(layer).__name__ for layer in layers]), layers)]
        if self.keeps_layers_by_class:
            return by_class
        if vars(self).get("_over_graph"):  # Keras's Functional: its graph's layers, then what its attributes hold
            listed = {id(layer) for layer in layers}
            return by_class + [(path, layer) for path, layer in held_layers(self) if id(layer) not in listed]
        return held_layers(self, {"layers": layers})

    def build(self, input_shape: Any = None) -> None:
        """Trace ``call`` on Inputs of ``input_shape`` (batch first; a list, or a dict by name, for several
        inputs) into graphs (``Layer.trace_call``).

        Args:
            input_shape: the input shape, batch first; a list, or a dict by input name, for several inputs.
        """
        if input_shape is None:
            raise ValueError("build() needs the input shape, e.g. build((None, 8)).")
        self.build_structure(input_shape)

    def build_structure(self, input_shape: Any) -> None:
        """A subclass's call traced into graphs, or, where tracing cannot follow it, run as written.

        Args:
            input_shape: the input shape, batch axis first (None for the batch).
        """
        before = eager.weight_values(self)
        try:
            self.trace_call(input_shape)
        except (TypeError, ValueError, NotImplementedError, AttributeError, IndexError):
            self._graphs = None
            self.run_as_written(input_shape)
            return
        if eager.put_back(before):  # call assigns to its weights (a counter): a fixed graph would not repeat it
            self._graphs = None
            self.run_as_written(input_shape)

    built_eager = False  # a subclass whose call runs as written at every step (see run_as_written)
    eager_shapes: tuple[Any, Any] = (None, None)  # its input and output shapes, from the call that built it

    def run_as_written(self, input_shape: Any) -> None:
        """A ``call`` that cannot be traced into graphs (weights of its own used through ops, Python on the
        values, shapes read at run time) runs as written: once now on zeros to build the layers, then at every
        step, its ops recorded by the tape (``fit`` runs ``train_step``).

        Args:
            input_shape: the input shape, batch axis first (None for the batch).
        """
        self.built_eager = True
        self.eager_shapes = (input_shape, eager.output_shape_by_running(self, input_shape))
        self.built = True

    def forward_pass(self, x: Any, ctx: Context, stop_at_z: Any = False) -> Tape:
        """One forward pass through the layers, recording what the backward pass needs.

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            ctx: the pass's :class:`~nnlite.layers.Context` (training or not, where each weight's gradient goes).
            stop_at_z: stop before the last layer's activation (the logits path).

        Returns:
            The recorded pass (its output is ``tape.output``).
        """
        if self.built_eager:  # the call as written: on a tape of its own when a backward pass follows
            tape = Tape(ctx)
            tape.output, saved = eager.eager_forward(self, x, ctx, several_outputs=True)
            tape.saved, tape.penalty = [saved], saved.added_loss
            return tape
        return self._graph(ctx.training).forward_pass(x, ctx, stop_at_z)

    def backward_pass(self, tape: Tape, grad: Any, need_grad_x: bool = False) -> Any:
        """The backward pass of a forward pass: grad = dL/da at the output, then each layer's backward, last to first;
        the weights' gradients land where the pass's context says.

        Args:
            tape: what :meth:`forward_pass` recorded.
            grad: dL/da (or dL/dz on the logits path) at the output.
            need_grad_x: whether dL/dx of the model's input is wanted.

        Returns:
            dL/dx when asked for, else None.
        """
        if self.built_eager:
            return eager.eager_backward(self, tape.saved[0], grad, tape.ctx, need_grad_x)
        return self._graph(tape.ctx.training).backward_pass(tape, grad, need_grad_x)

    def _plain_chain(self, dtype: np.dtype) -> bool:
        """Whether a training pass does nothing but call the layers in turn (``Sequential``'s may); not here."""
        return False

    def _kernels_stepped_inside(self, variables: list) -> list:
        """The weights whose SGD step backward may take itself (``Sequential``'s); none here."""
        return []

    def several_outputs(self) -> list[str]:
        """The output names of a model with several outputs; [] for one."""
        names = self.known_output_names()
        return names if len(names) > 1 else []

    def writes_its_call(self) -> bool:
        """Whether the model is a subclass with its own ``call`` (not a graph given as Model(inputs, outputs))."""
        return type(self).call is not Model.call

    def names_its_outputs(self) -> bool:
        """Whether Keras names this model's outputs in its logs: a functional graph's (Functional, Sequential,
        CustomModel(inputs, outputs)) and a call's that returns a dict do; a subclass's call returning a list does
        not (its logs name each output's loss after the loss)."""
        if type(self).call is Model.call or self._graphs is None:
            return True
        return isinstance(self._graph().output, dict)

    def known_output_names(self) -> list[str]:
        """The output names, once the model has a graph ([] before)."""
        return self._graph().output_names if self._graphs is not None else []

    def _arranged_inputs(self, x: Any) -> Any:
        """The symbolic inputs of a call as a layer, as ``connect`` takes them (see Functional's)."""
        return x

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Any:
        """A functional model's config (layers, input_layers, output_layers) rebuilds the graph, as Keras's
        ``Model.from_config`` does; any other goes to the class's constructor.

        Args:
            config: the dict ``get_config`` returned.
            custom_objects: classes or functions of your own the config names (registered ones are found by name).
        """
        if custom_objects:
            with CustomObjectScope(custom_objects):
                return cls.from_config(config)
        graph_keys = {"name", "layers", "input_layers", "output_layers"}
        if isinstance(config, dict) and graph_keys <= set(config) and _takes_a_graph(cls):
            functional = LAYERS.lookup("Functional")
            graph = functional.from_config({k: v for k, v in config.items() if k in graph_keys | {"trainable"}})
            if cls is Model or cls is functional:
                return graph
            rest = {k: v for k, v in config.items() if k not in graph_keys | {"trainable"}}
            return cls(inputs=graph.input, outputs=graph.output, name=config["name"],  # your subclass over the graph
                       trainable=config.get("trainable", True), **rest)
        return super().from_config(config)

    def output_shapes(self) -> list[Any]:
        """Each output's shape, in the outputs' order (the output shape of a model with one output)."""
        structure = self.nested_outputs()
        return [t.shape for t in nesting.leaves(structure)] if structure is not None else self.output_shape

    def nested_outputs(self) -> Any:
        """The outputs' structure where it nests more than one level deep, else None (see ``nesting``)."""
        return self._graph().nested_outputs() if self._graphs is not None else None

    def pack_outputs(self, outputs: list[np.ndarray]) -> Any:
        """Per-output arrays laid out as the model's outputs.

        Args:
            outputs: one array per output, in graph order.
        """
        return self._graph().pack_outputs(outputs) if self._graphs is not None else outputs

    @property
    def input_shape(self) -> Any:
        if self.built_eager:
            return self.eager_shapes[0]
        return self._graph().input_shape if self._graphs is not None else None

    @input_shape.setter
    def input_shape(self, value: Any) -> None:  # Layer.__init__ sets it; the traced graph says what it is
        pass

    @property
    def output_shape(self) -> Any:
        return self.eager_shapes[1] if self.built_eager else self._graph().output_shape

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape(s) for inputs of ``input_shape``, from the graph (or by tracing).

        Args:
            input_shape: the input shape, batch first (a list or dict for several inputs).
        """
        if self._graphs is None:
            self.build(input_shape)
        return self.output_shape

    @property
    def input_dtype(self) -> str:
        """The dtype input arrays are cast to (the first layer's)."""
        if self._graphs is not None:
            return self._graph().input_dtype
        return self.layers[0].compute_dtype if self.layers and not self.built_eager else config.floatx()

    @property
    def output_dtype(self) -> str:
        """The dtype of y_pred (the last layer's); y is cast to it."""
        if self._graphs is not None:
            return self._graph().output_dtype
        return self.layers[-1].compute_dtype if self.layers and not self.built_eager else config.floatx()

    def output_activations(self) -> list[Any]:
        """Per output (several outputs), the activation f of a = f(z) the logits path may stop before."""
        return self._graph(True).output_activations() if self._graphs is not None else [self.output_activation]

    @property
    def output_activation(self) -> Any:
        """The activation f of an output a = f(z), if the last layer has one (the logits path reads it)."""
        if self._graphs is not None:
            return self._graph(True).output_activation
        last = self.layers[-1] if self.layers and not self.built_eager else None
        return last.activation if last is not None and last.activation_is_output else None

    def _require_built(self) -> None:
        if not self.built:
            raise ValueError("The model is not built yet: give it an Input(shape=...), call build(input_shape), "
                             "or call it on data first.")

    # -- as a layer (a model inside a model) ------------------------------------------------------
    @property
    def activation(self) -> Any:
        """The output activation, so that an outer model's logits path reaches through this one."""
        return self.output_activation

    def forward(self, x, ctx):
        """(a, saved): the model's output and what :meth:`backward` needs (a model used as a layer).

        Args:
            x: the batch.
            ctx: the pass's :class:`~nnlite.layers.Context` (training or not, where each weight's gradient goes).
        """
        tape = self.forward_pass(x, ctx)
        return tape.output, tape

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        """grad_x from grad_a through every layer, last to first (a model used as a layer).

        Args:
            saved: what :meth:`forward` kept for the backward pass.
            grad_a: dL/da at the model's output.
            ctx: the pass's :class:`~nnlite.layers.Context` (training or not, where each weight's gradient goes).
            need_grad_x: whether the caller needs grad_x (False for the first layer: the product is skipped).
        """
        return self.backward_pass(saved, grad_a, need_grad_x)

    def forward_z(self, x, ctx):
        """(z, saved): the output before the last layer's activation, and what :meth:`backward_z` needs.

        Args:
            x: the batch.
            ctx: the pass's :class:`~nnlite.layers.Context` (training or not, where each weight's gradient goes).
        """
        tape = self.forward_pass(x, ctx, stop_at_z=True)
        return tape.output, tape

    def backward_z(self, saved, grad_z, ctx, need_grad_x=True):
        """grad_x from dL/dz of the last layer (the logits path), through every layer.

        Args:
            saved: what :meth:`forward` kept for the backward pass.
            grad_z: dL/dz before the output activation.
            ctx: the pass's :class:`~nnlite.layers.Context` (training or not, where each weight's gradient goes).
            need_grad_x: whether the caller needs grad_x (False for the first layer: the product is skipped).
        """
        return self.backward_pass(saved, grad_z, need_grad_x)

    def call(self, x: Any, training: bool = False) -> np.ndarray:
        """The model's output for a batch x (Keras's ``call``); a subclass writes its own.

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            training: whether the pass trains (Dropout drops, BatchNormalization uses the batch's statistics).
        """
        if type(self) is Model and self._graphs is None:  # Model() alone: nothing to run
            raise NotImplementedError(f"Model {self.name!r} does not have a `call()` method implemented: give "
                                      "Model(inputs, outputs), or subclass Model and write its call.")
        out = self.forward_pass(self.check_inputs(x), Context(training=bool(training))).output
        return self.pack_outputs([as_tensor(o) for o in out]) if isinstance(out, list) else as_tensor(out)

    def __call__(self, x: Any, training: bool | None = None, **kwargs: Any) -> Any:
        assert_input_compatibility(self.input_spec, x, self.name, None)  # one set by hand (Keras checks it)
        if is_symbolic(x):  # a model used as a layer in a functional graph
            return connect(self, self._arranged_inputs(x))
        if training is None:
            outer = outer_training()
            training = False if outer is None else outer
        traced = type(self).call is not Model.call
        if traced and self._graphs is None and not self.built_eager:
            self.build(_shapes_of(x))
            if type(self).build is not Model.build:  # your own build made its weights; now the call
                self.build_structure(_shapes_of(x))
        if self.built_eager:  # the call as written (recorded op by op under a tape)
            return self.call_eagerly((x,), kwargs, bool(training))
        if autodiff.recording():  # inside a GradientTape: the model is one recorded node (see ``taped``)
            recorded = taped.call_as_node(self._graph(bool(training)) if traced else self, x, bool(training))
            if recorded is not None:
                return recorded
        if traced:  # a subclass's own call, run on arrays
            return self._graph(bool(training)).call(x, training=training)  # the traced call, run
        return self.call(x, training=training)

    # -- weights ------------------------------------------------------------------------------------
    def _layers_after_own(self) -> list[Layer]:
        """After the model's own weights (a subclass's add_weight): its layers', then those of layers it holds as
        attributes beside its graph's, as Keras lists them."""
        layers = self.layers
        return layers + [layer for layer in self.sublayers() if all(layer is not other for other in layers)]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set all weights at once, in :meth:`get_weights` order; nothing changes on error.

        Args:
            weights: one array per weight, shaped as the weight, in :meth:`get_weights` order.
        """
        self._require_built()
        assign_all(self.weights, weights, f"Model {self.name!r}")

    def count_params(self) -> int:
        """The number of numbers in all the model's weights."""
        self._require_built()
        return sum(layer.count_params() for layer in self.layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index (Keras's get_layer).

        Args:
            name: the layer's name.
            index: its position in ``model.layers``.
        """
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")


    # -- checks -------------------------------------------------------------------------------------
    def check_data(self, x: Any, y: Any = None, sample_weight: Any = None) -> tuple:
        """(x, y, sample_weight) checked against each other and the model and cast as fit casts them
        (nnlite's; ``trace`` and ``check_gradients`` use it). Without y: x alone.

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            y: the labels, or None.
            sample_weight: a weight per sample, or None.
        """
        if y is None:
            return self.check_inputs(x)
        return self._check_xy(x, y, sample_weight)

    def check_inputs(self, x: Any, name: str = "x") -> np.ndarray:
        """x checked against the model's inputs (shapes, dtypes, NaN) and cast as the layers compute.

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            name: the argument's name in error messages.
        """
        traced = type(self).call is not Model.call or self._graphs is not None
        if self.built_eager or (not traced and type(self).forward_pass is Model.forward_pass):  # as written
            return {k: data.as_array(v, f"{name}[{k!r}]") for k, v in x.items()} if isinstance(x, dict) else (
                [data.as_array(v, name) for v in x] if isinstance(x, (list, tuple)) else data.as_array(x, name))
        if traced and type(self).check_inputs is Model.check_inputs:  # a traced call
            if self._graphs is None and not self.built_eager:
                self.build(_shapes_of(x))
                if type(self).build is not Model.build:
                    self.build_structure(_shapes_of(x))
            if self.built_eager:  # the build found the call cannot be traced
                return self.check_inputs(x, name)
            return self._graph().check_inputs(x, name)
        x = data.as_strings(x, name) if self.input_dtype == "string" else data.as_array(x, name, self.input_dtype)
        if not self.built:
            self.build((None,) + x.shape[1:])
        expected = self.input_shape[1:]
        x = data.standardize_rank(x, self.input_shape)
        if x.ndim != len(expected) + 1:
            axes = "(samples, features)" if len(expected) == 1 else f"(samples, *{expected})"
            raise ValueError(f"{name} must be {len(expected) + 1}-D {axes}; got shape {x.shape}.")
        if any(e is not None and e != d for e, d in zip(expected, x.shape[1:])):
            what = (f"{x.shape[1]} features per sample" if x.ndim == 2 and len(expected) == 1
                    else f"samples of shape {x.shape[1:]}")
            want = f"{expected[0]}" if len(expected) == 1 else f"samples of shape {expected}"
            raise ValueError(f"{name} has {what} (shape {x.shape}), but the model expects {want} "
                             f"(input shape {self.input_shape}).")
        return x

    def _check_xy(self, x: Any, y: Any, sample_weight: Any = None, prefix: str = "") -> tuple:
        """x, y and sample weights checked against each other and the model; cast to floatx."""
        if not self.compiled:
            raise RuntimeError("You must call `compile()` before using the model for training or evaluation: "
                               "call compile(optimizer, loss).")
        x = self.check_inputs(x, f"{prefix}x")
        if self._deferred_compile is not None:  # built now: its outputs are known, so compile as asked
            deferred, self._deferred_compile = self._deferred_compile, None
            self.compile(**deferred)
        if self._loss_by_shapes is not None and y is not None:  # "crossentropy": the labels say which one
            self.loss = losses.resolve(losses.by_shapes(self._loss_by_shapes, np.shape(y), self.output_shape))
            self._loss_by_shapes = None
        out_dtype = self.output_dtype
        if self._heads is not None:
            rows = data.num_rows(x)
            if self.nested_outputs() is not None:  # y nested as the outputs are: one array per output, in order
                y = nesting.along(y, self.nested_outputs(), f"{prefix}y")
            y = heads_module.check_y(self._heads, y, rows, self.output_shapes(), out_dtype, prefix)
            return x, y, data.as_sample_weight(sample_weight, rows, f"{prefix}sample_weight")
        if self.loss is None:  # no compiled loss: y is the step's business (it may be absent)
            y = None if y is None else data.as_array(y, f"{prefix}y", out_dtype)
            rows = data.check_rows({f"{prefix}x": x} if y is None else {f"{prefix}x": x, f"{prefix}y": y})
            return x, y, data.as_sample_weight(sample_weight, rows, f"{prefix}sample_weight")
        y = data.as_array(y, f"{prefix}y", None if self.loss.sparse_labels else out_dtype)
        rows = data.check_rows({f"{prefix}x": x, f"{prefix}y": y})
        sw = data.as_sample_weight(sample_weight, rows, f"{prefix}sample_weight")
        out = (rows,) + tuple(self.output_shape[1:])
        # an axis the model leaves open (timesteps: Input((None, 2))) is taken from y where y has it
        out = tuple(y.shape[i] if d is None and i < y.ndim else 1 if d is None else d for i, d in enumerate(out))
        try:
            self.loss.prepare(y, np.broadcast_to(np.zeros((), out_dtype), out))  # shapes only: no memory
            self.loss.check_labels(y)
        except ValueError as err:
            raise ValueError(f"{prefix}y does not fit the model output {out}: {err}") from None
        return x, y, sw


    # -- files and description ----------------------------------------------------------------------
    def save(self, filepath: Any, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any) -> None:
        """Write a Keras 3 ``.keras`` file (architecture, weights, compile settings, optimizer state) that
        ``keras.models.load_model`` and ``nnlite.models.load_model`` open.

        Args:
            filepath: the file, ending in ``.keras`` (with ``zipped=False``, a folder).
            overwrite: replace an existing file (else ``FileExistsError``).
            zipped: False writes the same members into a folder instead of a zip.
            **kwargs: ``include_optimizer=False`` leaves the optimizer state out.

        Example:
            >>> import os, tempfile, nnlite
            >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
            >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
            >>> model.save(path)
            >>> nnlite.models.load_model(path).output_shape
            (None, 1)
        """
        from .. import saving

        saving.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, max_shard_size: Any = None,
                     **kwargs: Any) -> None:
        """Write a Keras ``.weights.h5`` file.

        Args:
            filepath: the path, ending in ``.weights.h5``.
            overwrite: replace an existing file.
            max_shard_size: must stay None: nnlite writes one file.
            **kwargs: ``objects_to_skip``, layers left out of the file.
        """
        from .. import saving

        saving.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size, **kwargs)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Read a Keras ``.weights.h5`` file (or the weights of a ``.keras`` file) into this (built) model.

        Args:
            filepath: a ``.weights.h5`` or ``.keras`` file.
            skip_mismatch: must stay False: nnlite loads only when every shape fits.
            **kwargs: ``objects_to_skip``, layers whose weights are left as they are.
        """
        from .. import saving

        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def get_config(self) -> dict[str, Any]:
        """A subclass built as CustomModel(inputs, outputs) has its graph's functional config (as Keras's); one with
        its own ``call`` has a layer's: name, trainable, dtype, and the constructor's plain arguments when the class
        writes no get_config (Keras's automatic config; other arguments raise Keras's NotImplementedError), so that
        ``from_config`` makes it again as ``cls(**config)``."""
        if vars(self).get("_over_graph"):
            return {**self._graphs[1].get_config(), "name": self.name, "trainable": self.trainable}
        return super().get_config()

    def to_json(self, **kwargs: Any) -> str:
        """The model's architecture as Keras's JSON (``models.model_from_json`` reads it).

        Args:
            **kwargs: passed to ``json.dumps`` (``indent=2``, ...).
        """
        import json

        from .. import layers as layers_module

        return json.dumps(layers_module.serialize(self), **kwargs)

    def summary(self, line_length: int | None = None, positions: Any = None, print_fn: Any = None,
                expand_nested: bool = False, show_trainable: bool = False, layer_range: Any = None) -> None:
        """Print the layer table: name (type), output shape, parameter count; then the totals.

        Args:
            line_length: the table's width; ``None`` fits the terminal (100 columns in Jupyter).
            positions: accepted for Keras's signature; the columns are placed by the width.
            print_fn: where each line goes; ``None`` for ``print``.
            expand_nested: show the layers of nested models.
            show_trainable: add a column saying whether each layer trains.
            layer_range: accepted for Keras's signature; every layer is listed.
        """
        (print_fn or print)(summary_module.text(self, line_length=line_length, show_trainable=show_trainable,
                                                expand_nested=expand_nested))

    def _repr_html_(self) -> str:
        return summary_module.html(self)

    def trace(self, x: Any, y: Any, sample_weight: Any = None) -> Any:
        """One training step laid open (see ``nnlite.trace``); the model is not changed.

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            y: the labels.
            sample_weight: a weight per sample, or None.
        """
        from ..trace import trace

        return trace(self, x, y, sample_weight)


def _takes_a_graph(cls: type) -> bool:
    """Whether ``cls`` is rebuilt from a functional config as Keras rebuilds one: Model or Functional itself, or a
    subclass whose constructor takes what Functional's does, or ``*args, **kwargs``."""
    if cls is Model or cls is LAYERS.lookup("Functional"):
        return True
    spec = inspect.getfullargspec(cls.__init__)
    functional = inspect.getfullargspec(LAYERS.lookup("Functional").__init__)
    return spec.args[1:] == functional.args[1:] or (spec.varargs is not None and spec.varkw is not None)


def _graph_arguments(args: tuple, kwargs: dict[str, Any]) -> tuple[Any, Any] | None:
    """(inputs, outputs) when a Model subclass is made as CustomModel(inputs, outputs), else None."""
    given = list(args) + [kwargs[k] for k in ("inputs", "outputs") if k in kwargs]
    if len(given) != 2 or set(kwargs) - {"inputs", "outputs"} or not all(is_symbolic(g) for g in given):
        return None
    return given[0], given[1]


def _shapes_of(x: Any) -> Any:
    """The input shape(s) of data, batch axis None: a shape, a list of them, or a dict by name."""
    if isinstance(x, dict):
        return {k: (None,) + np.shape(v)[1:] for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [(None,) + np.shape(v)[1:] for v in x]
    return (None,) + np.shape(x)[1:]



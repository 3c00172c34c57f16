"""Model: Keras's model API over a structure of layers (Sequential here; see ``tape`` for the step).

A structure provides ``layers``, ``build``, ``input_shape``/``output_shape``,
``forward_pass(x, ctx, stop_at_z) -> Tape`` and ``backward_pass(tape, grad, need_grad_x)``; this
class turns them into compile, fit, evaluate, predict and the rest. Every argument is
checked before any weight changes.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import autodiff, config, data, interrupts, losses, optimizers, streams, threads
from .. import callbacks as callbacks_module
from .. import metrics as metrics_module
from ..layers import eager
from ..layers.base import LAYERS, Context, Layer, assign_all
from ..layers.eager import outer_training
from ..layers.node import connect, is_symbolic
from ..losses.base import reads_logits
from ..tensor import as_tensor
from ..variables import Variable
from ..warn import warn
from . import heads as heads_module
from . import summary as summary_module
from . import taped
from .steps import Steps
from .tape import Tape, add_weight_penalty_grads, weight_penalty

COMPILE_OPTIONS = ("run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss")


class Model(Steps, Layer):
    """Keras's model API: compile, fit, evaluate, predict, weights, files, summary."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        """``Model(inputs, outputs)`` makes a functional model (``models.functional``), as in Keras."""
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return super().__new__(LAYERS.lookup("Functional"))
        return super().__new__(cls)

    def __init__(self, *args: Any, name: str | None = None, trainable: bool = True, dtype: Any = None,
                 **kwargs: Any) -> None:
        if type(self) is Model:
            raise TypeError("Model() needs inputs and outputs: Model(inputs, outputs) with tensors from keras.Input "
                            "and the layers called on them; or use Sequential([...]).")
        graph_args = _graph_arguments(args, kwargs)
        if (args or kwargs) and graph_args is None:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {args or ''} {kwargs or ''}.")
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        if graph_args is not None:  # CustomModel(inputs, outputs): your subclass over a functional graph (Keras's)
            graph = LAYERS.lookup("Functional")(*graph_args, name=name)
            self._graphs = (graph, graph)
            self.built = True
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
        subclass built as CustomModel(inputs, outputs), its graph's layers."""
        own = self.sublayers()
        return own if own or self._graphs is None else self._graphs[0].layers

    def build(self, input_shape: Any = None) -> None:
        """Trace ``call`` on Inputs of ``input_shape`` (batch first; a list, or a dict by name, for several
        inputs) into graphs (``Layer.trace_call``)."""
        if input_shape is None:
            raise ValueError("build() needs the input shape, e.g. build((None, 8)).")
        self.build_structure(input_shape)

    def build_structure(self, input_shape: Any) -> None:
        """A subclass's call traced into graphs, or, where tracing cannot follow it, run as written."""
        try:
            self.trace_call(input_shape)
        except (TypeError, ValueError, NotImplementedError, AttributeError, IndexError):
            self._graphs = None
            self.run_as_written(input_shape)

    built_eager = False  # a subclass whose call runs as written at every step (see run_as_written)
    eager_shapes: tuple[Any, Any] = (None, None)  # its input and output shapes, from the call that built it

    def run_as_written(self, input_shape: Any) -> None:
        """A ``call`` that cannot be traced into graphs (weights of its own used through ops, Python on the
        values, shapes read at run time) runs as written: once now on zeros to build the layers, then at every
        step, its ops recorded by the tape (``fit`` runs ``train_step``)."""
        self.built_eager = True
        self.eager_shapes = (input_shape, eager.output_shape_by_running(self, input_shape))
        self.built = True

    def forward_pass(self, x: Any, ctx: Context, stop_at_z: Any = False) -> Tape:
        if self.built_eager:  # the call as written: on a tape of its own when a backward pass follows
            tape = Tape(ctx)
            tape.output, saved = eager.eager_forward(self, x, ctx, several_outputs=True)
            tape.saved, tape.penalty = [saved], saved.added_loss
            return tape
        return self._graph(ctx.training).forward_pass(x, ctx, stop_at_z)

    def backward_pass(self, tape: Tape, grad: Any, need_grad_x: bool = False) -> Any:
        if self.built_eager:
            return eager.eager_backward(self, tape.saved[0], grad, tape.ctx, need_grad_x)
        return self._graph(tape.ctx.training).backward_pass(tape, grad, need_grad_x)

    def several_outputs(self) -> list[str]:
        """The output names of a model with several outputs; [] for one."""
        return self._graph().several_outputs() if self._graphs is not None else []

    def pack_outputs(self, outputs: list[np.ndarray]) -> Any:
        """Per-output arrays laid out as the model's outputs."""
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
        return self.layers[-1].activation if self.layers and not self.built_eager else None

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
        tape = self.forward_pass(x, ctx)
        return tape.output, tape

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return self.backward_pass(saved, grad_a, need_grad_x)

    def forward_z(self, x, ctx):
        tape = self.forward_pass(x, ctx, stop_at_z=True)
        return tape.output, tape

    def backward_z(self, saved, grad_z, ctx, need_grad_x=True):
        return self.backward_pass(saved, grad_z, need_grad_x)

    def call(self, x: Any, training: bool = False) -> np.ndarray:
        out = self.forward_pass(self.check_inputs(x), Context(training=bool(training))).output
        return self.pack_outputs([as_tensor(o) for o in out]) if isinstance(out, list) else as_tensor(out)

    def __call__(self, x: Any, training: bool | None = None, **kwargs: Any) -> Any:
        if is_symbolic(x):  # a model used as a layer in a functional graph
            return connect(self, x)
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
    @property
    def weights(self) -> list[Variable]:
        """The model's own weights (a subclass's add_weight) first, then its layers', as Keras lists them."""
        return [w for w in self._weights if w.trainable] + [w for w in self._weights if not w.trainable] + [
            w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        return [w for w in self._weights if w.trainable] + [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self.weights
        return [w for w in self._weights if not w.trainable] + [
            w for layer in self.layers for w in layer.non_trainable_weights]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set all weights at once, in :meth:`get_weights` order; nothing changes on error."""
        self._require_built()
        assign_all(self.weights, weights, f"Model {self.name!r}")

    def count_params(self) -> int:
        self._require_built()
        return sum(layer.count_params() for layer in self.layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index (Keras's get_layer)."""
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

    # -- compile ------------------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Sequence[Any] | None = None, weighted_metrics: Sequence[Any] | None = None,
                **kwargs: Any) -> None:
        """Choose the optimizer, the loss, the metrics to report and those weighted by sample_weight."""
        unknown = set(kwargs) - set(COMPILE_OPTIONS)
        if unknown:
            raise TypeError(f"compile() got unexpected keyword arguments {sorted(unknown)}.")
        names = self.several_outputs() if loss is not None else []
        if names:
            self._heads = heads_module.make_heads(names, self.output_activations(), loss, loss_weights, metrics,
                                                  weighted_metrics, _metric_list)
            self.optimizer = optimizers.get(optimizer)
            self.loss, self._loss_id = loss, loss
            self._metric_ids, self._weighted_metric_ids, self._tracked = [], [], []
            self._resolved = False
            self.compiled = True
            return
        if isinstance(loss, (list, tuple)) and len(loss) == 1:  # one output: [loss] means loss
            loss = loss[0]
        if loss_weights is not None and not (isinstance(loss_weights, (int, float)) and loss_weights == 1):
            raise ValueError("loss_weights weigh the losses of several outputs; this model has one output.")
        self._heads = None
        self.optimizer = optimizers.get(optimizer)
        self.loss = None if loss is None else losses.get(loss)  # None: the model's own losses (add_loss) alone
        self._loss_id = loss
        self._metric_ids = _metric_list(metrics)
        self._weighted_metric_ids = _metric_list(weighted_metrics)
        self._tracked = []
        self._resolved = False
        self.compiled = True

    def get_compile_config(self) -> dict[str, Any] | None:
        """Keras's compile_config: the optimizer, loss and metrics, serialized."""
        if not self.compiled:
            return None
        if self._heads is not None:
            structure = "dict" if isinstance(self._loss_id, dict) else "list"
            return {"optimizer": optimizers.serialize(self.optimizer),
                    **heads_module.compile_config(self._heads, structure, _serialize_loss, _serialize_metric),
                    "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}
        return {"optimizer": optimizers.serialize(self.optimizer), "loss": _serialize_loss(self._loss_id),
                "loss_weights": None, "metrics": [_serialize_metric(m) for m in self._metric_ids] or None,
                "weighted_metrics": [_serialize_metric(m) for m in self._weighted_metric_ids] or None,
                "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """compile() from a compile_config; names and classes come only from the registries."""
        if not isinstance(config, dict):
            raise TypeError(f"compile_config must be a dict, got {type(config).__name__}.")
        options = {k: v for k, v in config.items() if k not in COMPILE_OPTIONS}
        self.compile(optimizer=optimizers.get(options.get("optimizer", "rmsprop")),
                     loss=_map_entries(options.get("loss"), _deserialize_loss),
                     loss_weights=options.get("loss_weights"),
                     metrics=_map_entries(options.get("metrics"), _deserialize_metric, deep=True),
                     weighted_metrics=_map_entries(options.get("weighted_metrics"), _deserialize_metric, deep=True))

    @property
    def metrics(self) -> list[metrics_module.Metric]:
        """The loss tracker and the compiled metrics (once fit or evaluate has resolved them)."""
        if not (self._tracked or self.compiled):
            return []
        per_output = [h.tracker for h in self._logged_heads()]
        return [self._loss_tracker, *per_output] + [m for _, m, _, _ in self._tracked]

    @property
    def metrics_names(self) -> list[str]:
        """Keras's: "loss", then "compile_metrics" once metrics have been resolved, then each output's loss."""
        if not self.compiled:
            return []
        given = self._metric_ids or self._weighted_metric_ids or any(
            h.metric_ids or h.weighted_metric_ids for h in self._heads or [])
        names = ["loss"] + (["compile_metrics"] if given else [])
        return names + [h.tracker.name for h in self._logged_heads()]

    def _result_order(self) -> list[str]:
        """The first names of evaluate's list: the loss, one output's metrics in compile order, each output's loss."""
        own = [name for name, _, _, k in self._tracked if k is None]
        return ["loss", *own, *(h.tracker.name for h in self._logged_heads())]

    def _logged_heads(self) -> list[heads_module.Head]:
        """The outputs whose own loss is logged: all with a loss, when more than one has."""
        with_loss = [h for h in self._heads or [] if h.loss is not None]
        return with_loss if len(with_loss) > 1 and self._resolved else []

    def get_metrics_result(self) -> dict[str, float]:
        """The current result of every metric, by log name (Keras's order: sorted)."""
        results = {"loss": float(self._loss_tracker.result()),
                   **{h.tracker.name: float(h.tracker.result()) for h in self._logged_heads()},
                   **{n: _log_value(m.result()) for n, m, _, _ in self._tracked}}
        return dict(sorted(results.items()))

    def reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    # -- checks -------------------------------------------------------------------------------------
    def check_data(self, x: Any, y: Any = None, sample_weight: Any = None) -> tuple:
        """(x, y, sample_weight) checked against each other and the model and cast as fit casts them
        (nnlite's; ``trace`` and ``check_gradients`` use it). Without y: x alone."""
        if y is None:
            return self.check_inputs(x)
        return self._check_xy(x, y, sample_weight)

    def check_inputs(self, x: Any, name: str = "x") -> np.ndarray:
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
        out_dtype = self.output_dtype
        if self._heads is not None:
            rows = data.num_rows(x)
            y = heads_module.check_y(self._heads, y, rows, self.output_shape, out_dtype, prefix)
            return x, y, data.as_sample_weight(sample_weight, rows, f"{prefix}sample_weight")
        if self.loss is None:  # no compiled loss: y is the step's business (it may be absent)
            y = None if y is None else data.as_array(y, f"{prefix}y", out_dtype)
            rows = data.check_rows({f"{prefix}x": x} if y is None else {f"{prefix}x": x, f"{prefix}y": y})
            return x, y, data.as_sample_weight(sample_weight, rows, f"{prefix}sample_weight")
        y = data.as_array(y, f"{prefix}y", None if self.loss.sparse_labels else out_dtype)
        rows = data.check_rows({f"{prefix}x": x, f"{prefix}y": y})
        sw = data.as_sample_weight(sample_weight, rows, f"{prefix}sample_weight")
        out = (rows,) + tuple(self.output_shape[1:])
        try:
            self.loss.prepare(y, np.zeros(out, dtype=out_dtype))
        except ValueError as err:
            raise ValueError(f"{prefix}y does not fit the model output {out}: {err}") from None
        return x, y, sw

    # -- one step ------------------------------------------------------------------------------------
    def _loss_reads_logits(self) -> bool:
        return reads_logits(self.loss, self.output_activation)

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
                           need_prediction: bool = True, ctx: Context | None = None) -> tuple[float, np.ndarray | None]:
        """Forward in training mode, the loss (penalties included), then backward: (L, y_pred).

        Every trainable weight's dL/dw is left on ``variable.grad``. On the logits path
        the prediction a = f(z) is computed only if ``need_prediction``.
        """
        tape = self.training_pass(x, y, sample_weight, ctx)
        return tape.loss, self._prediction(tape) if need_prediction else None

    def training_pass(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
                      ctx: Context | None = None) -> Tape:
        """One forward pass, the loss and one backward pass, on checked arrays; returns the Tape that
        holds every number of the pass (nnlite's; ``model.trace`` reads it). No weight changes."""
        return self._train_pass(x, y, sample_weight, ctx or Context(training=True))

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
                     training: bool = True) -> Any:
        """L = compile's loss (per output, weighted) + ``self.losses`` (add_loss, weight penalties; Keras's
        compute_loss, recorded on the tape in a training step). Without ``y_pred`` the model runs on x (in
        ``training`` mode or not), and takes the logits path where Keras would (a float then)."""
        if y_pred is None:
            return float(self._test_pass(x, y, sample_weight, need_logits=False, training=training).loss)
        terms = []
        if self._heads is not None:
            predictions = list(y_pred.values()) if isinstance(y_pred, dict) else list(y_pred)
            labels = [y.get(h.name) for h in self._heads] if isinstance(y, dict) else list(y)
            terms += [h.loss(yk, pk, sample_weight) * h.weight if h.weight != 1.0 else h.loss(yk, pk, sample_weight)
                      for h, yk, pk in zip(self._heads, labels, predictions) if h.loss is not None]
        elif self.loss is not None:
            terms.append(self.loss(y, y_pred, sample_weight))
        terms += self.losses
        if not terms:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    base_compute_loss = compute_loss  # what overrides_steps compares an override with

    def stop_on_divergence(self, loss: float) -> None:
        """Stop fit with a warning: the loss became NaN or inf (before that batch's update, when nnlite's step
        makes it)."""
        self._stop_on_divergence(loss, -1)

    def resolve_compiled_metrics(self, y: Any) -> None:
        """Build compile's metrics for labels like ``y`` ("accuracy" resolved as Keras resolves it)."""
        self._resolve_metrics(y)

    def update_compiled_metrics(self, y: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """compile's metrics updated with (y, y_pred); a crossentropy reads the logits y_pred carries."""
        tracked = self._resolve_metrics(y)
        for _, metric, weighted, k in tracked:
            yk = y if k is None else (y[k] if not isinstance(y, dict) else y[self._heads[k].name])
            pk = y_pred if k is None else (list(y_pred.values())[k] if isinstance(y_pred, dict) else y_pred[k])
            weights = sample_weight if weighted else None
            logits = getattr(pk, "keras_logits", None)
            if logits is not None and metric.takes_logits:
                metric.update_state_from_logits(np.asarray(autodiff.value_of(yk)), autodiff.value_of(logits), weights)
            else:
                metric.update_state(np.asarray(autodiff.value_of(yk)), np.asarray(autodiff.value_of(pk)), weights)

    def _regularized(self) -> tuple[list[Variable], list[Variable]]:
        """The weights that carry a regularizer R(w): all of them (for L), the trainable ones (for dL/dw)."""
        every = [w for w in self.weights if getattr(w, "regularizer", None) is not None]
        trainable = {id(w) for w in self.trainable_weights}
        return every, [w for w in every if id(w) in trainable]

    def _train_pass(self, x, y, sample_weight, ctx: Context, regularized: tuple | None = None,
                    from_z: bool | None = None, need_logits: bool = False) -> Tape:
        """Forward, loss, backward. The pass stops at z of the last layer when the loss reads the logits
        (then dL/dz comes from the loss) or a metric does (then dL/dz = f'(z)^T dL/da, by the chain rule)."""
        every, trainable = regularized or self._regularized()
        if self._heads is not None:
            return self._heads_pass(x, y, sample_weight, ctx, every, trainable, need_logits)
        from_z = self._loss_reads_logits() if from_z is None else from_z
        tape = self.forward_pass(x, ctx, stop_at_z=from_z or need_logits)
        if from_z:
            loss, grad = self.loss.value_and_grad_from_logits(y, tape.output, sample_weight)
        else:
            loss, grad = self.loss.value_and_grad(y, self._prediction(tape), sample_weight)
            if tape.from_z:
                grad = self.output_activation.backward(tape.output, self._prediction(tape), grad)
        if ctx.grad_scale != 1:
            grad = grad * ctx.grad_scale
        self.backward_pass(tape, grad)
        add_weight_penalty_grads(trainable, ctx)
        tape.loss = loss + tape.penalty + weight_penalty(every)
        return tape

    def _heads_pass(self, x, y, sample_weight, ctx: Context, every: list, trainable: list | None,
                    need_logits: Any = False) -> Tape:
        """Several outputs: forward (each output stops at z where its loss or a metric reads it), L = sum of
        w_k L_k (see ``heads``), then backward from every output at once unless ``trainable`` is None."""
        heads = self._heads
        stops = [h.from_z or bool(need_logits and need_logits[k]) for k, h in enumerate(heads)]
        tape = self.forward_pass(x, ctx, stop_at_z=stops)
        predictions = self._prediction(tape)
        with_grad = trainable is not None
        total, tape.head_losses, grads = heads_module.loss_and_grads(heads, tape.output, predictions, y,
                                                                    sample_weight, with_grad)
        if with_grad:
            if ctx.grad_scale != 1:
                grads = [None if g is None else g * ctx.grad_scale for g in grads]
            self.backward_pass(tape, grads)
            add_weight_penalty_grads(trainable, ctx)
        tape.loss = total + tape.penalty + weight_penalty(every)
        return tape

    def _prediction(self, tape: Tape) -> Any:
        """y_pred from a pass: its output, or f(z) where the pass stopped at z (computed once)."""
        if isinstance(tape.from_z, list):  # several outputs
            if tape.prediction is None:
                tape.prediction = [h.activation.forward(out) if z else out
                                   for h, out, z in zip(self._heads, tape.output, tape.from_z)]
            return tape.prediction
        if not tape.from_z:
            return tape.output
        if tape.prediction is None:
            tape.prediction = self.output_activation.forward(tape.output)
        return tape.prediction

    def _test_pass(self, x, y, sample_weight, need_logits: bool, regularized: tuple | None = None,
                   from_z: bool | None = None, training: bool = False) -> Tape:
        """A forward pass (inference unless ``training``) and the loss with its penalties; stops at z
        if the loss or a metric reads it."""
        every, _ = regularized or self._regularized()
        if self._heads is not None:
            return self._heads_pass(x, y, sample_weight, Context(training=bool(training)), every, None, need_logits)
        from_z = self._loss_reads_logits() if from_z is None else from_z
        tape = self.forward_pass(x, Context(training=bool(training)), stop_at_z=from_z or need_logits)
        if from_z:
            loss = self.loss.value_from_logits(y, tape.output, sample_weight)
        else:
            loss = self.loss(y, self._prediction(tape), sample_weight)
        tape.loss = loss + tape.penalty + weight_penalty(every)
        return tape

    def _resolve_metrics(self, y: Any) -> list[tuple[str, metrics_module.Metric, bool, int | None]]:
        """(log name, metric, weighted?, output index or None) for compile's metrics, then its
        weighted_metrics (once per compile)."""
        self._resolved = True
        if self._tracked:
            return self._tracked
        if self._heads is not None:
            self._tracked = heads_module.resolve_metrics(self._heads, y, self.output_shape)
            return self._tracked
        tracked, names = [], {"loss"}
        for ids, weighted in ((self._metric_ids, False), (self._weighted_metric_ids, True)):
            for identifier in ids:
                metric = metrics_module.resolve(identifier, y, self.output_shape)
                name = heads_module.log_name(metric.name, names, weighted, f"weighted_{metric.name}")
                tracked.append((name, metric, weighted, None))
        self._tracked = tracked
        return tracked

    def _stop_on_divergence(self, loss: float, step: int) -> None:
        self._diverged = True
        self.stop_training = True
        where = f"at batch {step + 1}, before that batch's update" if step >= 0 else "in a training step"
        warn(
            f"fit stopped: the loss became {float(loss)} {where}. "
            "The weights are those after the last finite step; a smaller learning rate usually helps.",
            RuntimeWarning,
        )

    def _run_epoch(self, batches, train, callbacks=None, interrupt=None) -> dict[str, float]:
        """One pass over ``batches`` of checked (x, y, sample_weight): per batch the loss (before the
        update) and metrics; returns the logs ({} if there was no batch)."""
        if self.overrides_steps(train):  # your own step (or compute_loss, compute_metrics): called per batch
            return self.run_steps(batches, train, callbacks, interrupt)
        batches = iter(batches)
        first = next(batches, None)
        if first is None:
            return {}
        tracked = self._resolve_metrics(first[1])
        logged = self._logged_heads()
        for metric in (self._loss_tracker, *(h.tracker for h in logged), *(m for _, m, _, _ in tracked)):
            metric.reset_state()
        activations = self.output_activations() if self._heads is not None else [self.output_activation]
        on_z = [reads_logits(m, activations[k or 0]) for _, m, _, k in tracked]
        need_a = not all(on_z)
        if self._heads is not None:  # per output: whether one of its metrics reads the logits
            need_logits: Any = [any(z for (_, _, _, k), z in zip(tracked, on_z) if k == j)
                                for j in range(len(self._heads))]
            head_totals = [0.0] * len(self._heads)
        else:
            need_logits = any(on_z)
        variables = self.trainable_weights
        apply_step = self.optimizer.stepper(variables) if train else None  # variables checked once, first
        # backward leaves lr g (see Context.grad_scale), unless a float16 layer would carry gradients lr times
        # smaller, down among its subnormal numbers
        fold = train and self.optimizer.folds_learning_rate() and not _computes_in_float16(self)
        regularized = self._regularized()
        from_z = self._loss_reads_logits()
        hooks = callbacks or callbacks_module.CallbackList([], self, {})
        begin_hook = "on_train_batch_begin" if train else "on_test_batch_begin"
        end_hook = "on_train_batch_end" if train else "on_test_batch_end"
        call_begin, call_end = hooks.wants(begin_hook), hooks.wants(end_hook)
        ctx = Context(training=True)
        loss_total, seen = 0.0, 0
        one_x = not isinstance(first[0], list)  # one input (the usual case)
        for step, (xb, yb, swb) in enumerate(itertools.chain([first], batches)):
            if call_begin:
                getattr(hooks, begin_hook)(step, {})
            if train:
                if fold:
                    ctx.grad_scale = self.optimizer.current_learning_rate()
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # checked just below
                    tape = self._train_pass(xb, yb, swb, ctx, regularized, from_z, need_logits)
                if math.isfinite(tape.loss):
                    apply_step([v.grad for v in variables], fold)
                else:  # diverged: keep the weights of the last finite step
                    self._stop_on_divergence(tape.loss, step)
            else:
                tape = self._test_pass(xb, yb, swb, need_logits, regularized, from_z)
            n = len(xb) if one_x else data.num_rows(xb)
            loss_total += float(tape.loss) * n  # the epoch loss: batch-size-weighted mean of batch losses
            seen += n
            if logged:  # each output's loss: the plain mean of its batch values (Keras 3.15 weighs
                for k, value in enumerate(tape.head_losses):  # these by batch count, unlike the total loss)
                    if value is not None:
                        head_totals[k] += value
            if tracked:
                y_pred = self._prediction(tape) if need_a else None
                for (_, metric, weighted, k), z_path in zip(tracked, on_z):
                    weights = swb if weighted else None
                    if k is None:
                        yk, zk, ak = yb, tape.output, y_pred
                    else:
                        yk, zk, ak = yb[k], tape.output[k], None if y_pred is None else y_pred[k]
                    if z_path:
                        metric.update_state_from_logits(yk, zk, weights)
                    else:
                        metric.update_state(yk, ak, weights)
            if call_end:
                self._set_loss_trackers(loss_total, seen, head_totals if logged else None, step + 1)
                getattr(hooks, end_hook)(step, self.get_metrics_result())
            if interrupt is not None and interrupt.requested:
                interrupt.check(f"after batch {step + 1}")
            if train and (self._diverged or self.stop_training):  # a batch hook may stop training, as in Keras
                break
        self._set_loss_trackers(loss_total, seen, head_totals if logged else None, step + 1)
        return self.get_metrics_result()

    def _set_loss_trackers(self, total: float, seen: int, head_totals: list[float] | None, batches: int) -> None:
        """The epoch's loss trackers from the running sums kept as floats in the loop."""
        self._loss_tracker.total.value[...], self._loss_tracker.count.value[...] = total, seen
        for head in self._logged_heads():
            k = self._heads.index(head)
            head.tracker.total.value[...], head.tracker.count.value[...] = head_totals[k], batches

    # -- fit, evaluate, predict --------------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int | str = "auto", callbacks: Sequence[callbacks_module.Callback] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            class_weight: dict[int, float] | None = None, sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None, validation_freq: int = 1) -> callbacks_module.History:
        """Train for ``epochs`` passes over (x, y) in batches; returns the History."""
        batch_size = data.check_int(32 if batch_size is None else batch_size, "batch_size", 1)
        epochs = data.check_int(epochs, "epochs", 0)
        if config.max_epochs() is not None:  # keras.config.set_max_epochs: a cap for quick runs
            epochs = min(epochs, config.max_epochs())
        initial_epoch = data.check_int(initial_epoch, "initial_epoch", 0)
        verbose = _check_verbose(verbose)
        steps_per_epoch = streams.check_steps(steps_per_epoch, "steps_per_epoch")
        validation_steps = streams.check_steps(validation_steps, "validation_steps")
        if isinstance(validation_freq, bool) or not isinstance(validation_freq, (int, list)) or (
                isinstance(validation_freq, int) and validation_freq < 1):
            raise ValueError(f"Expected `validation_freq` to be a list or int. Received: validation_freq="
                             f"{validation_freq!r} of the type {type(validation_freq)}.")
        if not self.compiled:
            raise RuntimeError("You must call `compile()` before using the model for training: "
                               "call compile(optimizer, loss).")
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot use class_weight and sample_weight at the same time.")
        source = self._source(x, y, sample_weight, batch_size, shuffle, class_weight, steps_per_epoch,
                              validation_split)
        val = None
        if validation_data is not None:
            val = self._validation_source(validation_data, validation_batch_size or batch_size, validation_steps)
        elif validation_split:
            source, val = source.split(validation_split, validation_batch_size or batch_size)

        history = callbacks_module.History()
        cbs = [*(callbacks or []), history]  # Keras's order: yours, History, then the progress bar
        if verbose:
            cbs.append(callbacks_module.ProgbarLogger(verbose))
        cb = callbacks_module.CallbackList(cbs, self, {"verbose": verbose, "epochs": epochs,
                                                       "steps": source.num_batches})
        self.stop_training = False
        self._diverged = False
        self.history = history
        largest = max((w.value.size for w in self.trainable_weights if w.value.ndim == 2), default=0)
        blas = threads.BlasThreads() if largest * batch_size >= threads.WORTH_IT else contextlib.nullcontext()
        with interrupts.deferred_interrupt() as interrupt, blas:
            cb.on_train_begin({})
            if self.restored_epoch is not None:  # a callback restored a backup (Keras: model._initial_epoch)
                initial_epoch, self.restored_epoch = self.restored_epoch, None
            logs: dict[str, float] = {}
            for epoch in range(initial_epoch, epochs):
                cb.on_epoch_begin(epoch, {})
                batches = source.epoch()
                if config.max_steps_per_epoch() is not None:  # keras.config.set_max_steps_per_epoch
                    batches = itertools.islice(batches, config.max_steps_per_epoch())
                logs = self._run_epoch(batches, train=True, callbacks=cb, interrupt=interrupt)
                if not logs:  # a generator with nothing left: there is no epoch to run
                    warn("fit stopped: the data source gave no batches for this epoch (a generator is read once; "
                         "give steps_per_epoch with a generator that repeats, or a dataset that can be read again).",
                         UserWarning)
                    break
                if val is not None and _should_validate(epoch, validation_freq):
                    cb.on_test_begin({})  # Keras validates through evaluate(callbacks=...): the test hooks run
                    val_logs = self._run_epoch(val.epoch(), train=False, callbacks=cb)
                    cb.on_test_end(val_logs)
                    logs = _sorted({**logs, **{f"val_{k}": v for k, v in val_logs.items()}})
                cb.on_epoch_end(epoch, logs)
                interrupt.check(f"at the end of epoch {epoch + 1}")
                if blas is not None and hasattr(blas, "adjust"):  # BLAS threads for the cores left free
                    blas.adjust()
                if self.stop_training:
                    break
            if epochs > 0:  # as Keras: with use_ema the weights become their moving averages
                self.optimizer.finalize_variable_values(self.trainable_weights)
            cb.on_train_end(logs)
        return history

    def _source(self, x: Any, y: Any, sample_weight: Any, batch_size: int, shuffle: bool = False,
                class_weight: Any = None, steps: int | None = None, validation_split: float = 0.0,
                prefix: str = "") -> Any:
        """Where an epoch's checked batches come from: arrays (checked once, sliced per batch) or a stream
        of batches (each checked as it arrives)."""
        if streams.is_stream(x):
            for name, value in (("y", y), ("sample_weight", sample_weight)):
                if value is not None:
                    raise ValueError(f"`{name}` argument is not supported when using a generator or dataset as "
                                     f"input: its batches carry (x, y[, sample_weight]).")
            if validation_split:
                raise ValueError("`validation_split` is only supported for arrays, not for a generator or "
                                 "dataset: pass validation_data.")
            stream = streams.Stream(x, steps, f"{prefix}x", config.default_rng() if shuffle else None)
            return StreamBatches(stream, lambda xb, yb, swb: self._check_xy(xb, yb, swb, prefix=prefix),
                                 class_weight, self.output_dtype, prefix)
        x, y, sw = self._check_xy(x, y, sample_weight, prefix=prefix)
        return data.ArrayBatches(x, y, sw, batch_size, config.default_rng() if shuffle else None, class_weight,
                                 self.output_dtype, steps)

    def _validation_source(self, validation_data: Any, batch_size: int, steps: int | None) -> Any:
        if streams.is_stream(validation_data):
            return self._source(validation_data, None, None, batch_size, steps=steps, prefix="validation ")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val), "
                             "or a generator or dataset of such batches.")
        vx, vy, vsw = (*validation_data, None)[:3]
        return self._source(vx, vy, vsw, batch_size, steps=steps, prefix="validation ")

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: int | str = "auto",
                 sample_weight: Any = None, steps: int | None = None,
                 callbacks: Sequence[callbacks_module.Callback] | None = None, return_dict: bool = False,
                 **kwargs: Any) -> Any:
        """The loss (and metrics) over (x, y): a float, [loss, *metrics], or a dict."""
        batch_size = data.check_int(32 if batch_size is None else batch_size, "batch_size", 1)
        verbose = _check_verbose(verbose)
        if not self.compiled:
            raise RuntimeError("You must call `compile()` before using the model for training or evaluation: "
                               "call compile(optimizer, loss).")
        source = self._source(x, y, sample_weight, batch_size, steps=streams.check_steps(steps, "steps"))
        cbs = list(callbacks or []) + ([callbacks_module.ProgbarLogger(verbose)] if verbose else [])
        cb = callbacks_module.CallbackList(cbs, self, {"verbose": verbose, "epochs": 1, "steps": source.num_batches})
        cb.on_test_begin({})
        logs = self._run_epoch(source.epoch(), train=False, callbacks=cb)
        cb.on_test_end(logs)
        return _results(logs, self._result_order(), return_dict)

    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = "auto", steps: int | None = None,
                callbacks: Sequence[callbacks_module.Callback] | None = None) -> np.ndarray:
        """y_pred for every row of x, computed batch by batch (nothing on the model changes).

        Callbacks get Keras's predict hooks; ``on_predict_batch_end`` receives {"outputs": batch}.
        """
        batch_size = data.check_int(32 if batch_size is None else batch_size, "batch_size", 1)
        verbose = _check_verbose(verbose)
        steps = streams.check_steps(steps, "steps")
        if streams.is_stream(x):
            stream = streams.Stream(x, steps)
            inputs = (self.check_inputs(streams.unpack(batch, "predict")[0]) for batch in stream.epoch())
            count = stream.num_batches
        else:
            x = self.check_inputs(x)
            inputs = (data.take(x, rows) for rows in data.batches(data.num_rows(x), batch_size))
            count = -(-data.num_rows(x) // batch_size)
            inputs = itertools.islice(inputs, steps) if steps is not None else inputs
        ctx = Context(training=False)
        callbacks = list(callbacks or []) + ([callbacks_module.ProgbarLogger(verbose)] if verbose else [])
        if not callbacks:
            return self._join([self.forward_pass(xb, ctx).output for xb in inputs])
        cb = callbacks_module.CallbackList(callbacks, self, {"verbose": verbose, "steps": count})
        self.stop_predicting = False
        outputs = []
        cb.on_predict_begin({})
        for step, xb in enumerate(inputs):
            cb.on_predict_batch_begin(step, {})
            outputs.append(self.forward_pass(xb, ctx).output)
            cb.on_predict_batch_end(step, {"outputs": outputs[-1]})
            if self.stop_predicting:
                break
        cb.on_predict_end({})
        return self._join(outputs)

    def _join(self, batches: list[Any]) -> Any:
        """predict's answer from the per-batch outputs (per output, for a model with several)."""
        if not batches:
            raise ValueError("predict got no batches: the data source was empty.")
        if isinstance(batches[0], list):
            return self.pack_outputs([np.concatenate(parts) for parts in zip(*batches)])
        return np.concatenate(batches)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        """One optimizer step on (x, y); returns the loss before the step (and metrics)."""
        x, y, sw = self._check_xy(x, y, sample_weight)
        if class_weight is not None:
            sw = data.class_weights_to_sample_weights(y, class_weight, self.output_dtype)
        self._diverged = False
        logs = self._run_epoch([(x, y, sw)], train=True)
        return _results(logs, self._result_order(), return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """The loss (and metrics) on one batch, without training."""
        x, y, sw = self._check_xy(x, y, sample_weight)
        logs = self._run_epoch([(x, y, sw)], train=False)
        return _results(logs, self._result_order(), return_dict)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        """y_pred for one batch."""
        return self(x)

    # -- files and description ----------------------------------------------------------------------
    def save(self, filepath: Any, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any) -> None:
        """Write a Keras 3 ``.keras`` file (architecture, weights, compile settings, optimizer state)."""
        from .. import saving

        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Write a Keras ``.weights.h5`` file."""
        from .. import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Read a Keras ``.weights.h5`` file into this (built) model."""
        from .. import saving

        saving.load_weights(self, filepath)

    def get_config(self) -> dict[str, Any]:
        """A subclass with its own ``call`` has no config of its own (Keras asks it to define get_config)."""
        raise NotImplementedError(f"{type(self).__name__} is a subclassed model: its architecture is its Python "
                                  "code, which a file does not hold. Save its weights (save_weights) and rebuild it "
                                  "in code, or define get_config/from_config, or build it with the functional API.")

    def to_json(self, **kwargs: Any) -> str:
        """The model's architecture as Keras's JSON (``models.model_from_json`` reads it)."""
        import json

        from .. import layers as layers_module

        return json.dumps(layers_module.serialize(self), **kwargs)

    def summary(self, line_length: int | None = None, positions: Any = None, print_fn: Any = None,
                expand_nested: bool = False, show_trainable: bool = False, layer_range: Any = None) -> None:
        """Print the layer table: name (type), output shape, parameter count; then the totals."""
        (print_fn or print)(summary_module.text(self, line_length=line_length, show_trainable=show_trainable,
                                                expand_nested=expand_nested))

    def _repr_html_(self) -> str:
        return summary_module.html(self)

    def trace(self, x: Any, y: Any, sample_weight: Any = None) -> Any:
        """One training step laid open (see ``nnlite.trace``); the model is not changed."""
        from ..trace import trace

        return trace(self, x, y, sample_weight)


class StreamBatches:
    """An epoch's batches from a stream, each checked (``check``) and class-weighted as it arrives."""

    def __init__(self, stream: streams.Stream, check: Any, class_weight: Any, dtype: str, prefix: str) -> None:
        self.stream, self.check, self.class_weight, self.dtype, self.prefix = stream, check, class_weight, dtype, prefix

    @property
    def num_batches(self) -> int | None:
        return self.stream.num_batches

    def epoch(self) -> Any:
        for step, batch in enumerate(self.stream.epoch()):
            x, y, sw = streams.unpack(batch, f"{self.prefix}batch {step + 1}")
            if y is None:
                raise ValueError(f"{self.prefix}batch {step + 1} holds no y: training and evaluation need batches "
                                 "(x, y) or (x, y, sample_weight).")
            x, y, sw = self.check(x, y, sw)
            if self.class_weight is not None:
                if sw is not None:
                    raise ValueError("You cannot use class_weight and sample_weight at the same time.")
                sw = data.class_weights_to_sample_weights(y, self.class_weight, self.dtype)
            yield x, y, sw


def _graph_arguments(args: tuple, kwargs: dict[str, Any]) -> tuple[Any, Any] | None:
    """(inputs, outputs) when a Model subclass is made as CustomModel(inputs, outputs), else None."""
    given = list(args[:2]) + [kwargs.pop(k) for k in ("inputs", "outputs") if k in kwargs]
    if len(given) != 2 or kwargs or len(args) > 2:
        return None
    return is_symbolic(given[0]) and is_symbolic(given[1]) and (given[0], given[1]) or None


def _computes_in_float16(layer: Layer) -> bool:
    """Whether the layer, or one inside it, computes in float16."""
    return layer.dtype == "float16" or any(_computes_in_float16(inner) for inner in layer.sublayers())


def _shapes_of(x: Any) -> Any:
    """The input shape(s) of data, batch axis None: a shape, a list of them, or a dict by name."""
    if isinstance(x, dict):
        return {k: (None,) + np.shape(v)[1:] for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [(None,) + np.shape(v)[1:] for v in x]
    return (None,) + np.shape(x)[1:]


def _should_validate(epoch: int, validation_freq: int | list[int]) -> bool:
    """Keras's rule: every ``validation_freq``-th epoch (counted from 1), or the epochs listed."""
    return (epoch + 1) % validation_freq == 0 if isinstance(validation_freq, int) else epoch + 1 in validation_freq


def _log_value(result: Any) -> Any:
    """A metric's result in the logs: a float, or an array for a metric at several thresholds."""
    return float(result) if np.ndim(result) == 0 else np.array(result)


def _sorted(logs: dict[str, float]) -> dict[str, float]:
    """Keras hands logs over with their keys sorted (History, progress lines, return_dict)."""
    return dict(sorted(logs.items()))


def _results(logs: dict[str, float], order: list[str], return_dict: bool) -> Any:
    """evaluate's answer: a dict, the loss alone, or a list: the names in ``order``, then the rest sorted
    (Keras's order: with one output [loss, *metrics in compile order])."""
    if return_dict:
        return logs
    values = [logs[name] for name in order if name in logs]
    values += [logs[name] for name in sorted(logs) if name not in order]
    return values[0] if len(values) == 1 else values


def _metric_list(metrics: Any) -> list[Any]:
    if metrics is None:
        return []
    if isinstance(metrics, (str, metrics_module.Metric, dict)) or callable(metrics):
        metrics = [metrics]
    for m in metrics:  # names are checked now, resolved against y later
        if isinstance(m, str) and m not in metrics_module.names():
            raise ValueError(f"Unknown metric {m!r}. Valid names: {', '.join(metrics_module.names())}.")
    return list(metrics)


def _serialize_loss(identifier: Any) -> Any:
    if isinstance(identifier, str):
        return identifier
    return losses.serialize(losses.get(identifier))


def _serialize_metric(identifier: Any) -> Any:
    if isinstance(identifier, str):
        return identifier
    return metrics_module.serialize(metrics_module.get(identifier))


def _deserialize_loss(entry: Any) -> Any:
    return entry if entry is None or isinstance(entry, str) else losses.get(entry)


def _map_entries(value: Any, read: Any, deep: bool = False) -> Any:
    """A compile_config entry read with ``read``: one entry, a list (per output, or a list of metrics), or
    a dict by output name (a serialized object is a dict too: it has a "class_name")."""
    if value is None:
        return None
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _map_entries(v, read, deep) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_map_entries(v, read, deep) for v in value]
    return read(value)


def _deserialize_metric(entry: Any) -> Any:
    if isinstance(entry, str):
        if entry not in metrics_module.names():
            raise ValueError(f"Unknown metric {entry!r}. Valid names: {', '.join(metrics_module.names())}.")
        return entry
    return metrics_module.deserialize(entry)


def _check_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2; got {verbose!r}.")
    return int(verbose)

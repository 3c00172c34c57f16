"""The layer base: weights, build-on-first-call, config, and the forward/backward contract.

Every layer maps a batch forward and a gradient backward, and keeps nothing between
the two itself::

    a, saved = layer.forward(x, ctx)              # ctx: this pass's Context (training? random source)
    grad_x = layer.backward(saved, grad_a, ctx)   # writes dL/dw where ctx.grad(w) says (w.grad)

``saved`` is exactly what backward needs, handed to whoever runs the pass (the model's
training step, ``model.trace``), so an inference pass elsewhere (``predict`` in another
thread, say) can never disturb a training step. A layer whose output is an activation
``a = f(z)`` (Dense, Activation) also offers ``forward_z``/``backward_z``, which stop at
and start from z: that is how the model takes Keras's logits path.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import autodiff, config, constraints, dtype_policies, initializers, limits, regularizers
from ..docstrings import with_arguments
from ..dtype_policies import DTypePolicy
from ..registry import Registry, snake_case
from ..seed_generator import SeedGenerator
from ..tensor import Tensor, as_tensor
from ..variables import Variable
from ..warn import warn
from . import eager
from .context import Context as Context  # re-exported: one pass through the layers
from .input_spec import assert_input_compatibility
from .node import KerasTensor, Node, connect, is_symbolic

Shape = tuple[int | None, ...]


def shape_tuple(shape: Any, what: str) -> tuple[int, ...]:
    """A shape without the batch axis, checked: positive integers (None allowed for unknown sizes)."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{what} must be a tuple of positive integers, got {shape!r}.") from None
    if not all(d is None or (isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0) for d in shape):
        raise ValueError(f"{what} must be a tuple of positive integers, got {shape!r}.")
    return tuple(None if d is None else int(d) for d in shape)


def foreign_dtype(dtype: Any) -> Any:
    """Another library's dtype object by its name (tf.float32 -> "float32", torch.int64 -> "int64")."""
    if isinstance(dtype, (str, np.dtype, type, dict)) or dtype is None:
        return dtype
    name = getattr(dtype, "name", None)
    if isinstance(name, str):
        return name
    text = str(dtype)
    return text.split(".", 1)[1] if text.startswith("torch.") else dtype


def dtype_name(dtype: Any) -> str:
    """A float dtype name from a name, a NumPy dtype (or another library's), or Keras's DTypePolicy config."""
    dtype = foreign_dtype(dtype)
    if isinstance(dtype, dict):  # {"class_name": "DTypePolicy", "config": {"name": "float32"}}
        inner = dtype.get("config")
        if not isinstance(inner, dict):
            raise ValueError(f"A dtype policy's config must be a dict holding its name; got dtype={dtype!r:.200}.")
        dtype = inner.get("name")
    if dtype is None:
        return config.floatx()
    name = str(np.dtype(dtype)) if not isinstance(dtype, str) or dtype in ("float16", "float32", "float64") else dtype
    if name not in ("float16", "float32", "float64"):
        raise ValueError(f"nnlite layers compute in float16, float32 or float64; got dtype={dtype!r}.")
    return name


BASE_ARGUMENTS = """\
        activity_regularizer: a penalty on the layer's output, divided by the batch size, added to the loss.
        trainable: whether its weights are trained (``False`` freezes them).
        dtype: the float dtype it computes and keeps its weights in; ``None`` for ``config.floatx()``.
        autocast: accepted for Keras's signature (nnlite computes in one dtype, so nothing is cast).
        name: its name; ``None`` for the class name in snake case (numbered to stay unique in a model).
        **kwargs: Keras's deprecated ``input_shape``/``input_dim`` (accepted with Keras's warning); any other is
            refused.
"""
KEYWORDS = """\
        **kwargs: the base layer's keywords: ``name``, ``dtype``, ``trainable``, ``activity_regularizer`` (see
            :class:`Layer`).
"""
document_base = with_arguments(BASE_ARGUMENTS, "base arguments")
document_keywords = with_arguments(KEYWORDS, "layer keywords")


@document_base
class Layer:
    """Base class: name, dtype, weights in creation order, build on first call, Keras's config.

    Args:
        {base arguments}

    A custom layer creates its weights in ``build`` and computes in ``call`` with ``nnlite.ops`` (or arithmetic);
    the tape differentiates it:

    Example:
        >>> import numpy as np, nnlite
        >>> class Scale(nnlite.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        ...     def call(self, x):
        ...         return x * self.w
        >>> layer = Scale()
        >>> layer(np.array([[1.0, 2.0]])).tolist()
        [[1.0, 2.0]]
        >>> [w.shape for w in layer.weights]
        [(2,)]
    """

    activation: Any = None  # set by layers whose output is activation(z): the model's logits path reads it
    activation_is_output = True  # False where ``activation`` acts inside the layer (a recurrent cell's)
    supports_masking = False  # whether a mask on the input passes on to the output (Keras's supports_masking)
    input_spec: Any = None  # an InputSpec (or a list or dict of them) the first input is checked against

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A layer class of one's own keeps the arguments its object is made with, when they are plain values, to
        be its config if it writes no ``get_config`` (Keras's automatic config): its ``__init__`` is wrapped to
        note them at the outermost call."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or cls.__module__.startswith("nnlite."):
            return

        @functools.wraps(init)
        def noting_init(self: Layer, *args: Any, **kwargs: Any) -> None:
            if "_auto_config" not in vars(self):  # the outermost constructor's arguments
                vars(self)["_auto_config"] = _plain_arguments(type(self), args, kwargs)
            init(self, *args, **kwargs)
        cls.__init__ = noting_init

    def __init__(self, activity_regularizer: Any = None, trainable: bool = True, dtype: Any = None,
                 autocast: bool = True, name: str | None = None, **kwargs: Any) -> None:
        input_dim = kwargs.pop("input_dim", None)
        input_shape = kwargs.pop("input_shape", None) if input_dim is None else (input_dim,)
        kwargs.pop("batch_input_shape", None)
        if input_shape is not None:  # Keras 3 accepts it, with this warning
            warn("Do not pass an `input_shape`/`input_dim` argument to a layer. When using Sequential models, "
                 "prefer using an `Input(shape)` object as the first layer in the model instead.", UserWarning)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if not isinstance(trainable, (bool, np.bool_)):
            raise ValueError(f"Expected `trainable` to be a boolean. Received: trainable={trainable} of type "
                             f"{type(trainable)}")
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(f"A layer name must be a non-empty string without '/', got {name!r}.")
        self.auto_named = name is None  # a default name, which a model may number to keep names unique
        if name is None:  # Keras's automatic names: dense, dense_1, ... (counted until clear_session)
            base = snake_case(type(self).__name__)
            uid = config.get_uid(base)
            name = base if uid == 1 else f"{base}_{uid - 1}"
        self.name = name
        self.dtype = dtype_name(dtype)  # fixed at construction, as in Keras
        self._made_trainable: list[Variable] = []  # the weights add_weight made trainable (Keras's first list)
        self.trainable = bool(trainable)
        self.autocast = autocast
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.input_shape: Shape | None = None  # the shape it was built for (batch axis first)
        self.declared_input_shape = None if input_shape is None else shape_tuple(input_shape, "input_shape")
        self._weights: list[Variable] = []
        self.path_prefix = ""  # the model's name and "/", once the layer is built inside one
        self.inbound_nodes: list[Node] = []  # one per call on symbolic tensors (see ``node``)
        self.added: list[Any] = []  # the losses the last call added (``add_loss``)

    @property
    def compute_dtype(self) -> str:
        return self.dtype

    @property
    def symbolic_dtype(self) -> str:
        """The dtype of the tensor a call on symbolic tensors makes: the compute dtype (ids for Hashing, the
        lookups and Discretization in "int" mode)."""
        return self.compute_dtype

    def symbolic_dtypes(self, inputs: Any, count: int) -> list[str]:
        """The dtypes of the ``count`` tensors a call on the symbolic ``inputs`` makes: ``symbolic_dtype`` each
        (an op's depend on its inputs', see ``Operation``).

        Args:
            inputs: the symbolic tensors the layer is called on (one, or a list or dict of them).
            count: how many tensors the call makes.
        """
        return [self.symbolic_dtype] * count

    @property
    def variable_dtype(self) -> str:
        return self.dtype

    @property
    def dtype_policy(self) -> DTypePolicy:
        """The layer's dtype policy (``dtype_policy.compute_dtype``; another layer may take it as its dtype)."""
        return DTypePolicy(self.dtype)

    # -- building ------------------------------------------------------------------------------
    def build(self, input_shape: Shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis first); the base has none.

        Args:
            input_shape: the input shape, batch axis first (None for the batch).
        """
        self.input_shape = None if input_shape is None else tuple(input_shape)  # build(None): a layer of no input
        self.built = True

    def _eager_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        """The shape a call on values builds the layer for: the batch axis left open (None), except where the
        layer keeps per-sample state across calls (a stateful recurrent layer: the batch it was first called on)."""
        return tuple(shape) if getattr(self, "stateful", False) else (None, *shape[1:])

    def _build_at_init(self, owner: type) -> None:
        """A layer without weights is built once made, as Keras's stateless layers are, unless a subclass of
        ``owner`` writes a build of its own: that build then runs at the first call."""
        self.built = type(self).build is owner.build

    def add_weight(self, *args: Any, shape: Sequence[int] | None = None, initializer: Any = None, dtype: Any = None,
                   trainable: bool = True, autocast: bool = True, regularizer: Any = None, constraint: Any = None,
                   aggregation: str = "none", overwrite_with_gradient: bool = False,
                   name: str | None = None) -> Variable:
        """A new weight of this layer: Keras's add_weight (glorot_uniform for floats unless told).

        Args:
            *args: ``shape``, ``initializer`` and ``dtype`` by position (at most these three, as Keras takes
                them); Keras 2's ``add_weight("name", ...)`` is refused with the keyword to use.
            shape: the weight's shape (``()`` when not given).
            initializer: how it starts: a name, an initializer or a function; ``None`` for glorot_uniform (floats) or
                zeros.
            dtype: its dtype; ``None`` for the layer's.
            trainable: whether optimizers update it.
            regularizer: a penalty R(w) added to the loss, or None.
            constraint: a projection applied after each optimizer step, or None.
            name: its name within the layer.
            autocast: Keras's mixed-precision casting (accepted: nnlite computes in the layer's dtype).
            aggregation: Keras's multi-device aggregation (accepted: nnlite runs on one device).
            overwrite_with_gradient: the optimizer sets the weight to its gradient instead of stepping it
                (Keras's float8 bookkeeping).

        Returns:
            The new :class:`~nnlite.Variable`, also in ``layer.weights``.
        """
        shape, initializer, dtype = _positional_weight_arguments(args, shape, initializer, dtype)
        shape = () if shape is None else shape
        name = name or f"variable_{len(self._weights)}"
        if dtype is None:
            dtype = self.dtype
        elif isinstance(dtype, dict) or np.dtype(dtype).kind == "f":
            dtype = dtype_name(dtype)
        if initializer is None:  # Keras's default: glorot_uniform for floats, zeros for ints and flags
            initializer = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        init = initializers.get(initializer)
        limits.charge(shape, f"{self.name}/{name}")  # while a file loads: paid for by the data it holds
        value = np.asarray(init(tuple(shape), np.dtype(dtype).name), dtype=np.dtype(dtype))  # a user's function too
        if value.shape != tuple(shape):
            raise ValueError(f"The initializer of {self.name}/{name} returned an array of shape {value.shape}; "
                             f"the weight's shape is {tuple(shape)}.")
        variable = Variable(value, name, trainable=trainable, path=f"{self.path_prefix}{self.name}/{name}",
                            constraint=constraints.get(constraint))
        variable.regularizer = regularizers.get(regularizer)
        variable.overwrite_with_gradient = bool(overwrite_with_gradient)
        self._weights.append(variable)
        if trainable:
            self._made_trainable.append(variable)
            variable.trainable = self.trainable  # a frozen layer's new weight is frozen too (Keras's)
        return variable

    @property
    def trainable(self) -> bool:
        """Whether the layer trains. Setting it sets the ``trainable`` of each weight the layer made trainable and
        of each layer it holds, as Keras's does (freezing a model freezes its layers)."""
        return vars(self).get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        vars(self)["_trainable"] = value
        for variable in vars(self).get("_made_trainable", ()):
            variable.trainable = value
        for layer in self.sublayers():
            layer.trainable = value

    def add_variable(self, shape: Sequence[int], initializer: Any, dtype: Any = None, trainable: bool = True,
                     autocast: bool = True, regularizer: Any = None, constraint: Any = None,
                     name: str | None = None) -> Variable:
        """Keras's other name for :meth:`add_weight` (its arguments in Keras's order).

        Args:
            shape: the weight's shape.
            initializer: how it starts.
            dtype: its dtype; ``None`` for the layer's.
            trainable: whether optimizers update it.
            autocast: accepted, as in add_weight.
            regularizer: a penalty R(w), or None.
            constraint: a projection after each step, or None.
            name: its name within the layer.
        """
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable,
                               regularizer=regularizer, constraint=constraint, name=name, autocast=autocast)

    takes_list = False  # True for layers called on a list of tensors (the merge layers)
    file_keywords: tuple[str, ...] = ()  # the keywords of a call a .keras file's node may hold (see file_call)

    @property
    def state_inputs(self) -> bool:
        """Whether a list call is [x, *initial states] (a layer that takes Keras's initial_state keyword)."""
        return "initial_state" in self.file_keywords

    def file_call(self, inputs: list[Any]) -> tuple[list[Any], dict[str, Any]]:
        """(args, kwargs) a .keras file writes for a call of this layer on the node's ``inputs``, for a layer with
        ``file_keywords`` (the recurrent layers' initial_state, MultiHeadAttention's key and options).

        Args:
            inputs: the node's input tensors, in the order the layer's forward pass reads them.
        """
        if self.state_inputs and len(inputs) > 1:  # [x, *states]: Keras's initial_state keyword
            return [inputs[0]], {"initial_state": list(inputs[1:])}
        return [inputs[0]], {}
    trainable_input = True  # False for preprocessing layers: ids and counts, no gradient flows back
    casts = "fiub"  # the kinds of input array cast to the layer's dtype ("" for layers that read ids as they are)

    def _first_node(self, what: str) -> Node:
        if not self.inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called on a symbolic tensor, so it has no "
                                 f"{what}.")
        return self.inbound_nodes[0]

    @property
    def input(self) -> Any:
        """The symbolic tensor(s) the layer was first called on in a functional graph (Keras's ``layer.input``)."""
        node = self._first_node("input")
        return node.args if node.args is not None else node.outputs[0]

    @property
    def output(self) -> Any:
        """The symbolic tensor the layer made when first called in a functional graph (Keras's ``layer.output``;
        a list for a model with several outputs)."""
        outputs = self._first_node("output").outputs
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for inputs of ``input_shape`` (batch axis first), without computing.

        Args:
            input_shape: the input shape, batch axis first (None for the batch).
        """
        if self._graphs is not None:  # a custom layer: what its traced call gives, the batch axis the inputs'
            return self._graphs[1].compute_output_shape(input_shape)
        if self.gives_output_spec:  # Keras's extension point: the layer says what its call returns
            try:
                return _spec_shapes(self.compute_output_spec(_symbolic_like(input_shape, self.compute_dtype)))
            except NotImplementedError:  # it cannot say: a call on data in the graph's place, as below
                if not self.composite:
                    raise
                return eager.output_shape_by_running(self, input_shape)
        if self.composite:  # a custom layer run as its call says: what one call on zeros gives
            return eager.output_shape_by_running(self, input_shape)
        if type(self) is Layer:  # the bare base computes nothing
            raise NotImplementedError("Layer Layer does not have a `compute_output_shape` method implemented.")
        return tuple(input_shape)

    @property
    def gives_output_spec(self) -> bool:
        """Whether the class defines Keras's ``compute_output_spec(inputs)`` (symbolic tensors in, the symbolic
        result out): its call then is not traced or probed on zeros, but run as written at every pass."""
        return callable(getattr(type(self), "compute_output_spec", None))

    def check_input_shape(self, input_shape: Any) -> None:
        """For a built layer called again (a shared layer): the weights it has must fit ``input_shape``.

        Args:
            input_shape: the input shape, batch axis first (None for the batch).
        """
        expected = self.weight_shapes(input_shape) if self._weights else None
        if expected is not None and [tuple(s) for s in expected] != [w.shape for w in self._weights]:
            raise ValueError(f"Layer {self.name!r} was built for inputs {self.input_shape} (weights "
                             f"{[w.shape for w in self._weights]}); it cannot take inputs of shape {input_shape}.")

    def weight_shapes(self, input_shape: Shape) -> list[tuple[int, ...]] | None:
        """The shapes of the weights ``build(input_shape)`` would create, without creating them (the
        loader compares them with a file before building): none for a layer that builds nothing,
        None (unknown) for one that does not say.

        Args:
            input_shape: the input shape, batch axis first (None for the batch).
        """
        return [] if type(self).build is Layer.build else None

    def get_build_config(self) -> dict[str, Any] | None:
        """What :meth:`build_from_config` needs to build the layer again (Keras's ``{"input_shape": ...}``); None
        before it is built."""
        if self.input_shape is None:
            return None
        shape = self.input_shape
        return {"input_shape": [list(s) for s in shape] if shape and isinstance(shape[0], (list, tuple))
                else list(shape)}

    def build_from_config(self, config: dict[str, Any]) -> None:
        """Build the layer from the ``build_config`` a file holds (Keras's ``{"input_shape": ...}``).

        Args:
            config: the dict :meth:`get_build_config` returned.
        """
        if config and config.get("input_shape") is not None:
            self.build(tuple(config["input_shape"]))

    # -- the passes -------------------------------------------------------------------------------
    def forward(self, x: np.ndarray, ctx: Context) -> tuple[np.ndarray, Any]:
        """(a, saved): the output, and what :meth:`backward` needs. A layer that defines only ``call``, out
        of other layers and nnlite.ops (Keras's custom layer), runs the graph its call was traced into.

        Args:
            x: the batch, an array.
            ctx: the pass's :class:`~nnlite.layers.Context` (training or not, where each weight's gradient goes).
        """
        if self._graphs is None:  # a layer of your own: its call, run on a tape of its own (see ``eager``)
            if not self.composite:
                raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call` method implemented "
                                          "(nor forward and backward).")
            return eager.eager_forward(self, x, ctx)
        tape = self._graphs[0 if ctx.training else 1].forward_pass(x, ctx)
        return tape.output, tape

    def backward(self, saved: Any, grad_a: np.ndarray, ctx: Context, need_grad_x: bool = True) -> np.ndarray | None:
        """grad_x = dL/dx from grad_a = dL/da; writes dL/dw into ``ctx.grad(w)`` for each weight.

        Args:
            saved: what :meth:`forward` kept for the backward pass.
            grad_a: dL/da, the gradient at the layer's output.
            ctx: the pass's :class:`~nnlite.layers.Context` (training or not, where each weight's gradient goes).
            need_grad_x: whether the caller needs grad_x (False for the first layer: the product is skipped).

        Returns:
            grad_x = dL/dx (None when ``need_grad_x`` is False).
        """
        if isinstance(saved, eager.EagerCall):
            return eager.eager_backward(self, saved, grad_a, ctx, need_grad_x)
        if self._graphs is None:
            raise NotImplementedError(f"{type(self).__name__} has no backward pass.")
        return self._graphs[0 if saved.ctx.training else 1].backward_pass(saved, grad_a, need_grad_x)

    _graphs: tuple[Any, Any] | None = None  # a custom layer's call, traced (training, inference)

    @property
    def composite(self) -> bool:
        """Whether this layer is made of other layers and ops (it defines ``call`` and no forward pass of its own)."""
        return type(self).forward is Layer.forward and type(self).call is not Layer.call

    def trace_call(self, input_shape: Any) -> None:
        """Trace ``call`` on Inputs of ``input_shape`` (a shape, a list or a dict of shapes) into a training
        and an inference graph that share the layers.

        Args:
            input_shape: a shape, a list or a dict of shapes, batch axis first.
        """
        functional = LAYERS.lookup("Functional")
        takes_training = "training" in inspect.signature(self.call).parameters
        graphs = []
        for training in (True, False):
            if isinstance(input_shape, dict):
                inputs: Any = {k: _symbolic_input(v, name=k) for k, v in input_shape.items()}
            elif isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
                inputs = [_symbolic_input(v) for v in input_shape]
            else:
                inputs = _symbolic_input(input_shape)
            keywords = {**self.call_keywords, **({"training": training} if takes_training else {})}
            outputs = self.call(inputs, **keywords)
            graphs.append(functional(inputs, list(outputs) if isinstance(outputs, tuple) else outputs,
                                     name=self.name))
        self._graphs = (graphs[0], graphs[1])
        if not isinstance(getattr(type(self), "activation", None), property):  # a model derives its own
            self.activation = graphs[1].output_activation  # the logits path reaches through the layer
        self.input_names = graphs[1].input_names  # how a dict of inputs is ordered
        self.built = True

    def take_call_keywords(self, keywords: dict[str, Any]) -> None:
        """The constant keyword arguments a graph passes to this layer's call at every pass (one set per layer).

        Args:
            keywords: the keywords of the symbolic call, none of them a tensor.
        """
        if self.inbound_nodes and keywords != self.call_keywords:
            raise ValueError(f"Layer {self.name!r} was called in a graph with the keywords {self.call_keywords} and "
                             f"now with {keywords}: nnlite passes one set of keywords to a layer of your own; use a "
                             "second layer for the other.")
        self.call_keywords = dict(keywords)

    call_keywords: dict[str, Any] = {}  # noqa: RUF012 (read-only default; take_call_keywords sets a new dict)
    built_eager = False  # a custom layer whose call runs as written inside graphs (see place_in_graph)
    positional_inputs = False  # a custom layer a graph calls with several tensors by position

    def place_in_graph(self, input_shape: Any) -> None:
        """A custom layer called on symbolic tensors: a call made only of layers and ops is traced into graphs
        (``trace_call``); one that uses weights of its own, or that tracing cannot follow (Python on the values,
        shapes known only at run time), runs its call as written at every pass, on a tape of its own.

        Args:
            input_shape: the input shape, batch axis first (None for the batch).
        """
        if not self._weights and not self.positional_inputs and not self.gives_output_spec:
            try:
                self.trace_call(input_shape)
                return
            except (TypeError, ValueError, NotImplementedError, AttributeError, IndexError):
                self._graphs = None  # not traceable: run as written
        self.built_eager = True
        self.built = True

    @property
    def has_own_build(self) -> bool:
        """Whether the layer's class defines build (a custom layer's build runs before its call is traced)."""
        return type(self).build is not Layer.build

    @property
    def traced(self) -> bool:
        """Whether a custom layer's call has been traced into graphs."""
        return self._graphs is not None


    def forward_z(self, x: np.ndarray, ctx: Context) -> tuple[np.ndarray, Any]:
        """(z, saved) for a layer with an output ``activation``: the forward pass up to a = f(z).

        Args:
            x: the batch, an array.
            ctx: the pass's :class:`~nnlite.layers.Context` (training or not, where each weight's gradient goes).
        """
        if self._graphs is None:
            raise NotImplementedError(f"{type(self).__name__} has no output activation.")
        tape = self._graphs[0 if ctx.training else 1].forward_pass(x, ctx, stop_at_z=True)
        return tape.output, tape

    def backward_z(self, saved: Any, grad_z: np.ndarray, ctx: Context, need_grad_x: bool = True) -> np.ndarray | None:
        """grad_x from grad_z = dL/dz (the loss handed it over on the logits path).

        Args:
            saved: what :meth:`forward_z` kept.
            grad_z: dL/dz, the gradient before the output activation.
            ctx: the pass's :class:`~nnlite.layers.Context` (training or not, where each weight's gradient goes).
            need_grad_x: whether the caller needs grad_x (False for the first layer: the product is skipped).

        Returns:
            grad_x = dL/dx (None when ``need_grad_x`` is False).
        """
        return self.backward(saved, grad_z, ctx, need_grad_x)

    def forward_masked(self, x: Any, mask: Any, ctx: Context) -> tuple[Any, Any]:
        """(a, saved) when the input carries a mask (True where a step counts): a layer that reads masks
        (the recurrent layers, GlobalAveragePooling1D) uses it; a layer of one's own whose ``call`` takes
        ``mask`` gets it there (as Keras hands it over), on a tape; the base passes x to :meth:`forward`.

        Args:
            x: the batch.
            mask: the input's mask (a list of them for a layer called on a list), or None.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        if mask is not None and self.composite and "mask" in inspect.signature(self.call).parameters:
            return eager.eager_forward(self, x, ctx, mask=mask)
        return self.forward(x, ctx)

    @property
    def call_takes_mask(self) -> bool:
        """Whether a call takes ``mask=`` (the layer reads masks: it has its own :meth:`forward_masked`)."""
        return type(self).forward_masked is not Layer.forward_masked

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output's mask from the input and its mask, for a layer that ``supports_masking``: the input's mask
        unchanged here (Keras's default); Embedding(mask_zero=True) and Masking make one, a recurrent layer
        without return_sequences ends it.

        Args:
            inputs: the layer's input (values).
            mask: the input's mask, or None.
        """
        return mask

    grad_equations: dict[str, str] = {}  # weight name -> how backward computes its gradient (for trace)

    def explain(self, saved: Any, grad_a: np.ndarray | None = None) -> list[tuple[str, str, Any]]:
        """This layer's own quantities in a pass, as (symbol, equation, value) rows for ``model.trace``:
        forward ones without ``grad_a``, backward ones with it. The base has none.

        Args:
            saved: what :meth:`forward` kept for the backward pass.
            grad_a: dL/da, or None for the forward rows.
        """
        return []

    def call(self, x: Any, training: bool = False) -> np.ndarray:
        """a for a batch x (Keras's ``call``); nothing is kept.

        Args:
            x: the batch.
            training: whether the pass trains (Dropout drops, BatchNormalization uses the batch's statistics).
        """
        return self.forward(x, Context(training=bool(training)))[0]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The layer on a batch (or on symbolic tensors: a node of a functional graph). A layer of your own runs
        its ``call`` as written, with ``training`` handed over only if call takes it; a built-in layer on
        tensors a GradientTape follows is recorded as one node (see ``eager``)."""
        if not args and "inputs" in kwargs:  # layer(inputs=x), as Keras takes it
            args = (kwargs.pop("inputs"),)
        if not args:
            raise TypeError(f"Layer {self.name!r} was called without inputs.")
        x, training = args[0], kwargs.pop("training", None)
        assert_input_compatibility(self.input_spec, x, self.name, self.compute_dtype if self.autocast else None)
        if is_symbolic(x) or any(is_symbolic(a) for a in args[1:]):  # a functional graph: record the call
            constant = next((a for a in args if not is_symbolic(a)), None) if len(args) > 1 else None
            if constant is not None:
                raise ValueError(f"Only input tensors may be passed as positional arguments. The following argument "
                                 f"value should be passed as a keyword argument: {constant!r} (of type "
                                 f"{type(constant)})")
            if self.composite and all(_plain(v) for v in kwargs.values()):
                self.take_call_keywords(kwargs)  # call(x, flag=True) of your own: the graph hands flag=True over
                kwargs = {}
            if kwargs or (len(args) > 1 and not self.composite):
                raise ValueError(f"Layer {self.name!r}: in a functional graph nnlite calls a layer on tensors given "
                                 "by position (one, a list or a dict of them, or several for a layer of your own) "
                                 f"and a layer of your own with constant keywords; got keyword arguments "
                                 f"{sorted(kwargs)}.")
            if len(args) > 1:  # call(self, targets, logits): the tensors are handed over by position
                self.positional_inputs = True
                return connect(self, list(args))
            return connect(self, x)
        outer = eager.outer_training()
        training = (outer if outer is not None else False) if training is None else bool(training)
        if self.composite:  # Keras's custom layer: its call, as written
            return self.call_eagerly(args, kwargs, training)
        if len(args) == 2 and getattr(self, "mask_by_position", False) and "mask" not in kwargs:
            args, kwargs = args[:1], {**kwargs, "mask": args[1]}  # call(inputs, mask): the mask second
        mask = kwargs.pop("mask", None) if self.call_takes_mask else None  # Keras's call(inputs, mask=None)
        carried = carried_mask(x)  # the mask a layer's output called on values carries (Keras's _keras_mask)
        if mask is None and self.call_takes_mask:
            mask = carried
        if len(args) > 1 or kwargs:
            takes = "`training` and `mask`" if self.call_takes_mask else "`training`"
            raise TypeError(f"{type(self).__name__}.__call__ takes one input (a tensor or a list of them) and {takes}; "
                            f"got {len(args)} positional and {sorted(kwargs)} keyword arguments.")
        if mask is not None:
            mask = ([None if m is None else np.asarray(m, dtype=bool) for m in mask]  # None: an input without one
                    if isinstance(mask, (list, tuple)) else np.asarray(mask, dtype=bool))
        arriving = mask if mask is not None else carried
        if autodiff.recording():
            recorded = eager.call_as_node(self, x, training, mask)
            if recorded is not None:
                return self._carrying_mask(recorded, x, arriving)
        if isinstance(x, (list, tuple)) and (self.takes_list or mask is not None):  # a merge layer's batches
            xs = [np.asarray(v).astype(self.compute_dtype, copy=False) for v in x]
            if not self.built:
                self.build([self._eager_shape(v.shape) for v in xs])
                self.built = True  # as Keras's build wrapper marks it, even where a subclass's build did not
            if mask is None:
                return self._carrying_mask(_tensors(self.call(xs, training=training)), xs, arriving)
            x = xs
        else:
            x = np.asarray(x)
            if x.dtype.kind in self.casts:  # ids stay ids (a lookup's 123456789 is not rounded to float32)
                x = x.astype(self.compute_dtype, copy=False)
            if not self.built:
                self.build(self._eager_shape(x.shape))
                self.built = True
        # with a mask: a = the layer on the steps or entries the mask keeps
        a = _tensors(self.call(x, training=training) if mask is None else
                     self.forward_masked(x, mask, Context(training=training))[0])
        if isinstance(a, list):  # several outputs (a recurrent layer's states): a list, as Keras returns them
            return self._carrying_mask(a, x, arriving)
        if self.activity_regularizer is not None:  # R(a) / batch joins layer.losses, as Keras adds it on a call
            if eager.outer_training() is None:
                self.clear_losses()
            self.add_loss(as_tensor(np.asarray(self.activity_regularizer(np.asarray(a)) / max(len(a), 1))))
        return self._carrying_mask(a, x, arriving)

    def _carrying_mask(self, out: Any, x: Any, mask: Any) -> Any:
        """``out`` with its mask attached (``compute_mask(x, mask)``), as Keras marks a layer's output on values: for
        a layer that supports masking or makes a mask of its own (Embedding(mask_zero=True), Masking)."""
        if not (self.supports_masking or type(self).compute_mask is not Layer.compute_mask):
            return out
        made = self.compute_mask(x, mask)
        outs, masks = (out, made) if isinstance(out, list) else ([out], [made])
        if isinstance(masks, (list, tuple)) and len(masks) == len(outs):
            for tensor, m in zip(outs, masks):
                if m is not None and isinstance(tensor, Tensor):
                    tensor.keras_mask = np.asarray(m, dtype=bool)
        return out

    def call_eagerly(self, args: tuple, kwargs: dict[str, Any], training: bool) -> Any:
        """A custom layer's call on values: built first for the shape of its first input (its own build), the
        losses of the last call cleared when this is the outermost call.

        Args:
            args: the positional arguments of the call.
            kwargs: its keyword arguments.
            training: whether the pass trains.
        """
        if not self.built:
            first = args[0]
            shape = ([(None,) + np.shape(autodiff.value_of(v))[1:] for v in first]
                     if isinstance(first, (list, tuple)) else (None,) + np.shape(autodiff.value_of(first))[1:])
            self.build(shape)
            self.built = True
            assert_input_compatibility(self.input_spec, first, self.name,  # build may have narrowed the spec
                                       self.compute_dtype if self.autocast else None)
        if eager.outer_training() is None:
            self.clear_losses()
        carried = carried_mask(args[0])
        if carried is not None and "mask" not in kwargs and "mask" in inspect.signature(self.call).parameters:
            kwargs = {**kwargs, "mask": carried}  # the mask the input carries, handed to call(x, mask=None)
        out = eager.run_call(self, args, kwargs, training)
        if self.activity_regularizer is not None and not isinstance(out, (list, tuple, dict)):
            self.add_loss(eager.activity_penalty(self.activity_regularizer, out))  # R(a) / batch, as Keras adds it
        out = as_tensor(out) if type(out) is np.ndarray else out
        return self._carrying_mask(out, args[0], kwargs.get("mask", carried))

    # -- losses added by calls ------------------------------------------------------------------------
    def add_loss(self, loss: Any) -> None:
        """Add a scalar loss (computed with nnlite.ops in ``call``): ``fit`` adds it to the loss it minimises,
        and the tape differentiates it (Keras's add_loss).

        Args:
            loss: a scalar tensor (computed with ``nnlite.ops`` from the layer's inputs or weights).
        """
        for value in loss if isinstance(loss, (list, tuple)) else [loss]:
            if not isinstance(value, (np.ndarray, np.generic, float, int)) or isinstance(value, bool):
                raise ValueError("`add_loss()` can only be called from inside `build()` or `call()`, on a tensor "
                                 f"input. Received invalid value: {value!r}")
            self.added.append(value)

    def added_losses(self) -> list[Any]:
        """The losses this layer's last call added, and those of the layers it holds."""
        out = list(getattr(self, "added", []))
        for layer in self.sublayers():
            out.extend(layer.added_losses())
        return out

    def clear_losses(self) -> None:
        """Forget the losses of the last call (here and in the layers held), as a new outermost call does."""
        if hasattr(self, "added"):
            self.added.clear()
        for layer in self.sublayers():
            layer.clear_losses()

    @property
    def has_forward_z(self) -> bool:
        """Whether the layer can stop at z of its output activation (Dense, Activation)."""
        return type(self).forward_z is not Layer.forward_z

    # -- weights ------------------------------------------------------------------------------------
    @property
    def weights(self) -> list[Variable]:
        """Every weight: the trainable ones first, then the others, each in creation order; then those of
        the layers this one holds as attributes (a layer made of layers, as Keras tracks them), each once."""
        return _each_once(self._created_weights() + [w for layer in self._layers_after_own() for w in layer.weights])

    @property
    def variables(self) -> list[Variable]:
        """Every variable of the layer's state, as Keras's ``variables``: its weights, then the state [seed, counter]
        of each ``SeedGenerator`` it holds (its random draws), then those of the layers it holds, each once."""
        return _each_once(self._own_variables() + [v for layer in self._layers_after_own() for v in layer.variables])

    def _own_variables(self) -> list[Variable]:
        """The layer's own weights (Keras's order), then the state of each SeedGenerator it holds."""
        return self._created_weights() + [item.state for value in vars(self).values() for item in _items(value)
                                          if isinstance(item, SeedGenerator)]

    def _layers_after_own(self) -> list[Layer]:
        """The layers whose weights and variables follow this layer's own: those it holds (a model: its layers)."""
        return self.sublayers()

    def _created_weights(self) -> list[Variable]:
        """The weights this layer's add_weight made: the trainable ones first, then the others, each in creation
        order (Keras's order of a layer's own variables)."""
        made = {id(w) for w in self._made_trainable}
        return [w for w in self._weights if id(w) in made] + [w for w in self._weights if id(w) not in made]

    def sublayers(self) -> list[Layer]:
        """The layers held as attributes (or in lists, tuples or dicts of them), in the order they were set."""
        found: list[Layer] = []
        containers: set[int] = set()  # those walked already (a list may hold itself)

        def take(item: Any) -> None:
            if isinstance(item, Layer):
                if item is not self and all(item is not f for f in found):
                    found.append(item)
            elif isinstance(item, (list, tuple, dict)) and id(item) not in containers:
                containers.add(id(item))  # a container, at any depth: Keras tracks the layers it holds
                for inner in item.values() if isinstance(item, dict) else item:
                    take(inner)

        for key, value in vars(self).items():
            if isinstance(value, (Layer, list, tuple, dict)) and key != "_graphs":
                take(value)
        return found

    @property
    def trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if w.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if not w.trainable] if self.trainable else self.weights

    trainable_variables = trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        """The variables no optimizer changes: the non-trainable weights and the SeedGenerators' states."""
        return [v for v in self.variables if not v.trainable] if self.trainable else self.variables

    def weight_groups(self) -> list[tuple[str, list[Variable]]]:
        """Where a .keras file keeps the layer's weights: (sub-path, weights) pairs under layers/<layer>/. The
        layer's own weights in its "vars"; each layer it holds under its own path (:func:`held_layers`), as Keras
        walks a layer of one's own; a recurrent layer keeps "cell/vars", a wrapper one group per wrapped layer."""
        return [("", self._created_weights())] + [(f"{path}/{sub}" if sub else path, weights)
                                                  for path, layer in self.saved_layers()
                                                  for sub, weights in layer.weight_groups()]

    def saved_layers(self) -> list[tuple[str, Layer]]:
        """(path, layer) for each layer this one holds, where a file keeps it (:func:`held_layers`)."""
        return held_layers(self)

    def file_arrays(self) -> dict[str, np.ndarray]:
        """State a .keras file keeps by name beside the weights (in the layer's "vars" group), as Keras's
        ``save_own_variables`` writes it: none for most layers; a tf_idf lookup's ``idf_weights``."""
        return {}

    def set_file_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Take the arrays :meth:`file_arrays` names, read (and checked against its shapes) from a file.

        Args:
            arrays: by name, each of the shape :meth:`file_arrays` gives.
        """

    def save_own_variables(self, store: dict[str, Any]) -> None:
        """store["0"], store["1"], ... = the layer's own weights (those its "vars" group in a file holds, in
        :attr:`weights` order), then the arrays it keeps by name. Keras's extension point: ``save`` and
        ``save_weights`` call it; override it, with :meth:`load_own_variables`, to keep more in the file.

        Args:
            store: where the arrays go, by name.
        """
        for i, w in enumerate(self._own_weights()):
            store[str(i)] = w.numpy()
        store.update(self.file_arrays())

    def load_own_variables(self, store: Any) -> None:
        """The layer's own weights from ``store["0"]``, ``store["1"]``, ... (and its arrays kept by name): what
        :meth:`save_own_variables` wrote, checked (how many, shapes, finite values) before any is set. Loading a
        file calls it for a layer that overrides it, after the other layers' weights are set.

        Args:
            store: the arrays by name (a dict, or the mapping a file's loader hands over).
        """
        own, named = self._own_weights(), self.file_arrays()
        keys = [k for k in store.keys() if k not in named]
        if len(keys) != len(own):
            raise ValueError(f"Layer '{self.name}' expected {len(own)} variables, but received {len(keys)} variables "
                             f"during loading. Expected: {[w.name for w in own]}")
        assign_all(own, [store[str(i)] for i in range(len(own))], f"Layer {self.name!r}")
        if named:
            self.set_file_arrays({key: np.asarray(store[key]) for key in named})

    def _own_weights(self) -> list[Variable]:
        """The weights of the layer's own "vars" group (not those of the layers it holds)."""
        return dict(self.weight_groups()).get("", [])

    def get_weights(self) -> list[np.ndarray]:
        """Every weight's value as a NumPy array (a copy), in :attr:`weights` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set every weight, in :attr:`weights` order; all are checked before any changes.

        Args:
            weights: one array per weight, shaped as the weight.
        """
        assign_all(self.weights, weights, f"Layer {self.name!r}")

    def count_params(self) -> int:
        """The number of numbers in the layer's weights (trainable or not)."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                             "You can build it manually via: `layer.build(input_shape)`.")
        return int(sum(w.value.size for w in self.weights))

    @property
    def losses(self) -> list[Any]:
        """The losses the last call added (here and in the layers held), then the weight penalties R(w) at the
        current weights (recorded, so differentiated, while a GradientTape follows the weight)."""
        penalties = [eager.penalty(w) for w in self.weights if getattr(w, "regularizer", None) is not None]
        return self.added_losses() + penalties

    # -- config ------------------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The layer's constructor arguments as Keras's config dict (``from_config`` rebuilds it)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": dtype_policies.serialize(self.dtype_policy)}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if type(self).get_config.__module__.startswith("nnlite.") and not type(self).__module__.startswith("nnlite."):
            config = {**self._constructor_config(), **config}  # a class of one's own that writes no get_config
            takes = inspect.signature(type(self).__init__).parameters
            spread = "kwargs" in takes and takes["kwargs"].kind == inspect.Parameter.VAR_KEYWORD
            if "name" not in takes and not spread:
                config.pop("name")  # Keras's rule: a constructor without `name` or `**kwargs` is not given one
        return config

    def _constructor_config(self) -> dict[str, Any]:
        """The constructor's arguments its ``__init__`` noted (Keras's automatic config), or Keras's error."""
        kept = vars(self).get("_auto_config", {})  # {}: no __init__ of its own, nothing to keep
        if kept is None:
            raise NotImplementedError(
                f"Object {type(self).__name__} was created by passing non-serializable argument values in "
                f"`__init__()`, and therefore the object must override `get_config()` in order to be serializable. "
                f"Please implement `get_config()`: return {{**super().get_config(), \"arg1\": self.arg1, ...}} for "
                f"each argument of `__init__`.")
        return dict(kept)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """The layer ``cls(**config)``; a config the constructor refuses raises a TypeError naming the class and
        the config (Keras's words), the constructor's own error quoted.

        Args:
            config: the layer's settings, as :meth:`get_config` gives them.
        """
        try:
            return cls(**config)
        except limits.LoadError:  # a file's limits (nnlite.limits) speak for themselves
            raise
        except Exception as err:
            raise TypeError(f"Error when deserializing class '{cls.__name__}' using config={config}.\n\nException "
                            f"encountered: {err}") from err

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _positional_weight_arguments(args: tuple, shape: Any, initializer: Any, dtype: Any) -> tuple[Any, Any, Any]:
    """(shape, initializer, dtype) from add_weight's positional arguments and keywords, refused as Keras refuses
    them: more than three, a name first (Keras 2's order), or one given both ways."""
    if len(args) > 3:
        raise TypeError(f"add_weight() takes at most 3 positional arguments but {len(args)} were given.")
    if args and isinstance(args[0], str):
        raise ValueError(f"`name` must be passed as a keyword argument. Received: add_weight('{args[0]}', ...). "
                         f"Use: add_weight(shape=..., name='{args[0]}').")
    given = [shape, initializer, dtype]
    for i, (what, value) in enumerate(zip(("shape", "initializer", "dtype"), args)):
        if given[i] is not None:
            raise ValueError(f"`{what}` was passed both positionally and as a keyword argument.")
        given[i] = value
    return given[0], given[1], given[2]


LAYERS = Registry(Layer, "keras.layers")


class MaskReader:
    """A mixin for the layers whose pass reads the input's mask (the recurrent layers, Bidirectional,
    MultiHeadAttention): they write ``forward_masked``; ``forward`` is it without a mask."""

    def call(self, x: Any, training: bool = False) -> Any:
        """a for a batch x, every step counting.

        Args:
            x: the batch (or the list the layer is called on).
            training: whether the pass trains (dropout drops).
        """
        return self.forward(x, Context(training=bool(training)))[0]

    def forward(self, x: Any, ctx: Context) -> tuple[Any, Any]:
        """(a, saved) with every step counting: ``forward_masked`` without a mask.

        Args:
            x: the batch (or the list the layer is called on).
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        return self.forward_masked(x, None, ctx)


def _symbolic_like(input_shape: Any, dtype: str) -> Any:
    """Symbolic tensors for a shape, or a list or dict of shapes (what compute_output_spec is handed)."""
    if isinstance(input_shape, dict):
        return {k: KerasTensor(tuple(v), dtype) for k, v in input_shape.items()}
    if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
        return [KerasTensor(tuple(v), dtype) for v in input_shape]
    return KerasTensor(tuple(input_shape), dtype)


def _spec_shapes(spec: Any) -> Any:
    """The shape (or list of shapes) of what compute_output_spec returned."""
    if isinstance(spec, (list, tuple)):
        return [tuple(s.shape) for s in spec]
    return tuple(spec.shape)


def _plain(value: Any) -> bool:
    """Whether a value is a constant a file's node can hold: None, a bool, number or string, or lists and dicts of
    them."""
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return value is None or isinstance(value, (bool, int, float, str))


def carried_mask(x: Any) -> Any:
    """The mask a value carries (a layer's output called on values, Keras's ``_keras_mask``): for a list, one per
    entry (None where an entry has none); None when none does.

    Args:
        x: a value or a list of them.
    """
    if isinstance(x, (list, tuple)):
        masks = [getattr(v, "keras_mask", None) for v in x]
        return None if all(m is None for m in masks) else masks
    return getattr(x, "keras_mask", None)


def _tensors(out: Any) -> Any:
    """A call's result as a Tensor, or a list of Tensors for several outputs (never stacked into one)."""
    return [as_tensor(o) for o in out] if isinstance(out, (list, tuple)) else as_tensor(out)


def _plain_arguments(cls: type, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The arguments of ``cls(*args, **kwargs)`` by name, defaults included (``name`` left out, ``**kwargs``
    spread), when every one is a string, number, bool or None (also inside lists and dicts); else None."""
    signature = inspect.signature(cls.__init__)
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    params = list(signature.parameters.values())
    arguments.pop(params[0].name, None)  # self
    for parameter in params[1:]:
        if parameter.kind == inspect.Parameter.VAR_POSITIONAL and arguments.pop(parameter.name, ()):
            return None  # *args cannot come back as cls(**config)
        if parameter.kind == inspect.Parameter.VAR_KEYWORD:
            arguments |= arguments.pop(parameter.name, {})
    arguments.pop("name", None)

    def plain(value: Any) -> bool:
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        return value is None or isinstance(value, (str, int, float, bool))
    return arguments if plain(arguments) else None


def _each_once(variables: list[Variable]) -> list[Variable]:
    """``variables`` in order, each at its first place only."""
    found, seen = [], set()
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            found.append(v)
    return found


def _items(value: Any) -> list[Any]:
    """What an attribute holds: the entries of a list, tuple or dict, else the value itself."""
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, (list, tuple)) else [value]


def snake_names(class_names: list[str]) -> list[str]:
    """Keras's names for the objects of a container in a file: the class in snake case, numbered per class in
    order (dense, dense_1, dropout, ...)."""
    used: dict[str, int] = {}
    names = []
    for class_name in class_names:
        base = snake_case(class_name)
        used[base] = used.get(base, -1) + 1
        names.append(f"{base}_{used[base]}" if used[base] else base)
    return names


def held_layers(owner: Any, extra: dict[str, Any] | None = None) -> list[tuple[str, Layer]]:
    """(path, layer) for each layer ``owner`` holds, as Keras's saving walks it: the attributes (and ``extra``,
    names a class gives, such as a model's ``layers``) in sorted order, private ones last; a layer at its
    attribute's name, those of a list, tuple or dict below it (:func:`_contained_layers`); each layer once, at the
    first path that reaches it.

    Args:
        owner: the layer or model whose attributes are walked.
        extra: more attributes by name, walked with the others.
    """
    attributes = {k: v for k, v in vars(owner).items() if k != "_graphs"} | (extra or {})
    found: list[tuple[str, Layer]] = []
    seen = {id(owner)}
    for name in sorted(attributes, key=lambda k: f"~{k}" if k.startswith("_") else k):
        value = attributes[name]
        if isinstance(value, Layer):
            pairs = [(name, value)]
        elif isinstance(value, (list, tuple, dict)):
            pairs = _contained_layers(value, name, set())
        else:
            continue
        for path, layer in pairs:
            if id(layer) not in seen:
                seen.add(id(layer))
                found.append((path, layer))
    return found


def _contained_layers(container: Any, path: str, walked: set[int]) -> list[tuple[str, Layer]]:
    """(path, layer) for the layers a list, tuple or dict holds, named as Keras's saving names them: each at
    <path>/<class in snake case>[_n], a container inside at <path>/container[_n] with its own layers below it (each
    numbered in its container's order); a container met again (one holding itself) is walked once."""
    if id(container) in walked:
        return []
    walked.add(id(container))
    items = [item for item in _items(container) if isinstance(item, (Layer, list, tuple, dict))]
    names = snake_names([type(item).__name__ if isinstance(item, Layer) else "container" for item in items])
    pairs: list[tuple[str, Layer]] = []
    for name, item in zip(names, items):
        inner = f"{path}/{name}"
        pairs += [(inner, item)] if isinstance(item, Layer) else _contained_layers(item, inner, walked)
    return pairs


def assign_all(variables: list[Variable], weights: Sequence[Any], owner: str) -> None:
    """Copy ``weights`` into ``variables`` after checking every one: count, shapes, finite values."""
    if len(weights) != len(variables):
        expected = ", ".join(f"{w.path} {w.shape}" for w in variables)
        raise ValueError(f"{owner}: set_weights expects {len(variables)} arrays ({expected}); got {len(weights)}.")
    arrays = [np.asarray(w) for w in weights]
    for w, a in zip(variables, arrays):
        if a.shape != w.shape:
            raise ValueError(f"{owner}: {w.path} needs shape {w.shape}, got an array of shape {a.shape}.")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{owner}: the array for {w.path} contains NaN or inf.")
    for w, a in zip(variables, arrays):
        w.value[...] = a


def _symbolic_input(batch_shape: Any, name: str | None = None) -> KerasTensor:
    """keras.Input(batch_shape[1:]): the tensor of a new InputLayer (looked up by name: it lives in ``input_layer``)."""
    return LAYERS.lookup("InputLayer")(shape=tuple(batch_shape)[1:], name=name).output

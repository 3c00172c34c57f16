"""SimpleRNN, LSTM and GRU: one cell applied at every time step, its gradient summed back through time (BPTT).

Every recurrent layer runs the same loop (:class:`Recurrent`); the cell's equations are each layer's own::

    XW = X @ W + b                               every step's input projection in one product, (N, T, G H)
    for t in 0..T-1 (T-1..0 with go_backwards):
        y_t, s_t = cell(XW_t, s_{t-1})            s: the states (h; LSTM: h and c)
        with a mask m_t:  s_t = m_t s_t + (1 - m_t) s_{t-1},  o_t = m_t y_t + (1 - m_t) o_{t-1}  (o_{-1} = 0;
                          o_{t-1} read as 0 with zero_output_for_mask)

Backward walks the steps in reverse. Each step turns dL/dy_t and dL/ds_t into dL/dXW_t (kept for every step)
and dL/ds_{t-1}, adding its share of dL/dU; then the input side is one product each over all the steps::

    dW = X^T dXW,   db = sum of dXW,   dX = dXW W^T

Dropout draws one mask for the inputs and one for the recurrent state per call, the same at every step.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import activations, constraints, initializers, regularizers
from ..docstrings import with_arguments
from ..variables import Variable
from .base import LAYERS, Context, Layer, MaskReader, document_keywords
from .regularization import check_rate, check_seed, dropout_mask, seed_config, seed_generator


class Step:
    """What one time step keeps for its backward pass: the cell's cache and, with a mask, the mask's column."""

    __slots__ = ("cache", "m")

    def __init__(self, cache: Any, m: np.ndarray | None) -> None:
        self.cache, self.m = cache, m


class Run:
    """A forward pass's record: the inputs as the cell saw them, the dropout masks and every step."""

    __slots__ = ("x", "drop_x", "drop_h", "steps", "order", "listed")

    def __init__(self, x: np.ndarray, drop_x: Any, drop_h: Any, order: range, listed: bool) -> None:
        self.x, self.drop_x, self.drop_h, self.order, self.listed = x, drop_x, drop_h, order, listed
        self.steps: list[Step] = []


def flat_states(states: Any) -> list[Any]:
    """States (or state sizes) nested per cell, as one flat list.

    Args:
        states: an entry, or a list of entries and lists.
    """
    if isinstance(states, (list, tuple)):
        return [s for item in states for s in flat_states(item)]
    return [states]


def nested_like(flat: list[Any], like: Any) -> Any:
    """``flat`` in the nesting of ``like``: the inverse of :func:`flat_states`.

    Args:
        flat: the entries in order.
        like: the nesting to give them.
    """
    items = iter(flat)

    def rebuild(template: Any) -> Any:
        if isinstance(template, (list, tuple)):
            return [rebuild(t) for t in template]
        return next(items)
    return rebuild(like)


class SequenceLayer(MaskReader):
    """What every layer that runs over sequences shares (the recurrent layers and RNN): sequences or
    [sequences, *initial states] in, ``initial_state=`` and ``mask=`` on eager calls, Keras's build config for
    build(sequences, initial_state), and carried states reset to zeros."""

    supports_masking = True
    activation_is_output = False  # the cell's activation, not an output one the logits path could read
    states: list[Variable] | None = None  # a stateful layer's carried states

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The layer on sequences; ``initial_state=[...]`` starts it from given states and ``mask=`` (eager
        calls) skips the masked steps."""
        initial_state = kwargs.pop("initial_state", None)
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            args = ([args[0], *states], *args[1:])
        return super().__call__(*args, **kwargs)  # a mask= goes to forward_masked there

    takes_list = True  # sequences, or [sequences, *initial states]
    file_keywords = ("initial_state",)

    def get_build_config(self):
        shape = self.input_shape
        if shape is None:
            return None
        if shape and isinstance(shape[0], (list, tuple)):  # Keras's form for build(sequences, initial_state)
            return {"shapes_dict": {"sequences_shape": list(shape[0]),
                                    "initial_state_shape": [list(s) for s in shape[1:]]}}
        return {"input_shape": list(shape)}

    def build_from_config(self, config):
        shapes = (config or {}).get("shapes_dict")
        if isinstance(shapes, dict) and "sequences_shape" in shapes:
            states = shapes.get("initial_state_shape")
            self.build([tuple(shapes["sequences_shape"]), *[tuple(s) for s in states]] if states
                       else tuple(shapes["sequences_shape"]))
            return
        super().build_from_config(config)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output's mask: the input's with return_sequences, else None (and None for each state).

        Args:
            inputs: the layer's inputs.
            mask: the mask of the sequences, (batch, timesteps), or None.
        """
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        out = mask if self.return_sequences else None
        return [out] + [None] * len(flat_states(self.state_size)) if self.return_state else out

    def reset_state(self) -> None:
        """A stateful layer's carried states back to zeros."""
        for v in self.states or []:
            v.assign(np.zeros_like(v.value))

    def reset_states(self) -> None:
        """Keras's older name for :meth:`reset_state`."""
        self.reset_state()


class Recurrent(SequenceLayer, Layer):
    """The loop every recurrent layer shares (see the module): shapes, initial and carried states, masks,
    dropout masks and the returned sequences and states. A subclass sets ``gates`` (G) and ``state_names`` and
    writes its cell: ``cell_forward`` and ``cell_backward``."""

    gates = 1
    state_names: tuple[str, ...] = ("h",)

    def __init__(self, units: int, activation: Any, use_bias: bool, kernel_initializer: Any,
                 recurrent_initializer: Any, bias_initializer: Any, kernel_regularizer: Any,
                 recurrent_regularizer: Any, bias_regularizer: Any, activity_regularizer: Any, kernel_constraint: Any,
                 recurrent_constraint: Any, bias_constraint: Any, dropout: float, recurrent_dropout: float, seed: Any,
                 return_sequences: bool, return_state: bool, go_backwards: bool, stateful: bool, unroll: bool,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, "
                             f"got {units}.")
        kwargs.pop("implementation", None)  # Keras's choice of kernels; one way of computing here
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, check_rate(dropout, "dropout")))
        self.recurrent_dropout = min(1.0, max(0.0, check_rate(recurrent_dropout, "recurrent_dropout")))
        self.seed = check_seed(seed)
        self.seed_generator = seed_generator(seed)  # as Keras's cells: one, whatever the dropout
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), bool(stateful), bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.kernel: Variable | None = None
        self.recurrent_kernel: Variable | None = None
        self.bias: Variable | None = None
        self.states: list[Variable] | None = None  # a stateful layer's carried states

    # -- shapes -------------------------------------------------------------------------------------------------
    @property
    def state_size(self) -> list[int]:
        """The size of each state (Keras's ``state_size``): [units], or [units, units] for LSTM."""
        return [self.units] * len(self.state_names)

    def _sequence_shape(self, input_shape: Any) -> tuple:
        listed = isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple))
        shape = tuple(input_shape[0] if listed else input_shape)
        if len(shape) != 3:
            raise ValueError(f"{type(self).__name__} {self.name!r} takes sequences of rank 3 (batch, timesteps, "
                             f"features); got input shape {shape}.")
        if listed and len(input_shape) != 1 + len(self.state_names):
            raise ValueError(f"{type(self).__name__} {self.name!r} has {len(self.state_names)} state(s) "
                             f"({', '.join(self.state_names)}); got {len(input_shape) - 1} initial state(s).")
        return shape

    def build(self, input_shape):
        n, t, d = self._sequence_shape(input_shape)
        if d is None:
            raise ValueError(f"{type(self).__name__} {self.name!r} needs a known number of features; got input "
                             f"shape {tuple(input_shape)}.")
        if self.stateful and n is None:
            raise ValueError(f"When using `stateful=True` in a RNN, the batch size must be static. Found dynamic "
                             f"batch size: sequence.shape={(n, t, d)}")
        gh = self.gates * self.units
        self.kernel = self.add_weight((d, gh), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight((self.units, gh), self.recurrent_initializer, name="recurrent_kernel",
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight(self.bias_shape(), self.bias_start(), name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        if self.stateful:
            self.states = [Variable(np.zeros((n, self.units), self.dtype), f"rnn_state_{k}", trainable=False)
                           for k in range(len(self.state_names))]
        super().build(input_shape)

    def bias_shape(self) -> tuple[int, ...]:
        """The bias's shape: (G units,)."""
        return (self.gates * self.units,)

    def bias_start(self) -> Any:
        """How the bias starts: the bias_initializer (LSTM puts ones on the forget gate)."""
        return self.bias_initializer

    def weight_shapes(self, input_shape):
        d = self._sequence_shape(input_shape)[2]
        gh = self.gates * self.units
        return [(d, gh), (self.units, gh)] + ([self.bias_shape()] if self.use_bias else [])

    def compute_output_shape(self, input_shape):
        n, t, _ = self._sequence_shape(input_shape)
        out = (n, t, self.units) if self.return_sequences else (n, self.units)
        if self.return_state:
            return [out] + [(n, size) for size in self.state_size]
        return out

    def weight_groups(self) -> list[tuple[str, list[Variable]]]:
        """Keras keeps a recurrent layer's weights in its cell: layers/<layer>/cell/vars."""
        return [("cell", self.weights)]

    # -- the states -----------------------------------------------------------------------------------------------
    def get_initial_state(self, batch_size: int) -> list[np.ndarray]:
        """Zeros, (batch_size, units) for each state.

        Args:
            batch_size: the number of sequences.
        """
        return [np.zeros((batch_size, self.units), self.dtype) for _ in self.state_names]

    # -- the passes ---------------------------------------------------------------------------------------------
    def forward_masked(self, x: Any, mask: np.ndarray | None, ctx: Context) -> tuple[Any, Run]:
        """The loop of the module over x (N, T, D), from the initial states given after x in a list, the
        stateful layer's states or zeros; ``mask`` (N, T) True where a step counts.

        Args:
            x: the sequences, or [sequences, *initial states].
            mask: which steps count, or None for all.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        listed = isinstance(x, (list, tuple))
        seq = np.asarray(x[0] if listed else x)
        if seq.ndim != 3 or seq.shape[2] != self.kernel.shape[0]:
            raise ValueError(f"{type(self).__name__} {self.name!r} was built for sequences (batch, timesteps, "
                             f"{self.kernel.shape[0]}); got shape {seq.shape}.")
        n, t_len, _ = seq.shape
        if listed:
            states = [np.asarray(s, seq.dtype) for s in x[1:]]
            for s in states:
                if s.shape != (n, self.units):
                    raise ValueError(f"{type(self).__name__} {self.name!r}: an initial state must have shape "
                                     f"(batch, units) = {(n, self.units)}; got {s.shape}.")
        elif self.stateful:
            if self.states[0].shape[0] != n:
                raise ValueError(f"If an RNN is stateful, the batch size of the input sequences must be the same as "
                                 f"the batch size of the initial state. \n- Expected batch size: "
                                 f"{self.states[0].shape[0]}\n- Received batch size: {n}")
            states = [np.array(v.value, seq.dtype) for v in self.states]
        else:
            states = self.get_initial_state(n)
        if mask is not None and mask.shape != (n, t_len):
            raise ValueError(f"{type(self).__name__} {self.name!r}: the mask must have shape (batch, timesteps) = "
                             f"{(n, t_len)}; got {mask.shape}.")
        drop_x = dropout_mask(ctx, self.seed_generator, self.dropout, (n, seq.shape[2]), seq.dtype)
        drop_h = dropout_mask(ctx, self.seed_generator, self.recurrent_dropout, (n, self.units), seq.dtype)
        seen = seq * drop_x[:, None, :] if drop_x is not None else seq
        xw = seen @ self.kernel.value  # XW, (N, T, G H)
        if self.use_bias:
            xw += self.input_bias()
        order = range(t_len - 1, -1, -1) if self.go_backwards else range(t_len)
        run = Run(seen, drop_x, drop_h, order, listed)
        outputs = []
        o = np.zeros((n, self.units), seq.dtype)  # o_{t-1}: what a masked step outputs
        for t in order:
            y, new, cache = self.cell_forward(xw[:, t], states, drop_h)
            m = None
            if mask is not None:
                m = mask[:, t, None]  # (N, 1)
                new = [np.where(m, s_new, s_old) for s_new, s_old in zip(new, states)]
                y = np.where(m, y, 0.0 if self.zero_output_for_mask else o)
            run.steps.append(Step(cache, m))
            states, o = new, y
            outputs.append(y)
        if self.stateful and not ctx.peek:
            for v, s in zip(self.states, states):
                v.assign(s)
        if self.return_sequences:  # (N, T, H) in the order computed
            out = np.stack(outputs, axis=1) if outputs else np.zeros((n, 0, self.units), seq.dtype)
        else:  # (N, H)
            out = o
        return ([out, *states] if self.return_state else out), run

    def input_bias(self) -> np.ndarray:
        """The bias added to X W (GRU with reset_after keeps a second one for the recurrent side)."""
        return self.bias.value

    def backward(self, saved: Run, grad_a, ctx, need_grad_x=True):
        grads = grad_a if isinstance(grad_a, list) else [grad_a]
        g_out, g_states = grads[0], grads[1:]
        x = saved.x
        n, t_len, _ = x.shape
        g_s = [np.zeros((n, self.units), x.dtype) if g is None else np.array(g, x.dtype)
               for g in (g_states if g_states else [None] * len(self.state_names))]
        g_o = np.zeros((n, self.units), x.dtype)  # dL/do_t, carried back to masked steps
        if g_out is not None and not self.return_sequences:
            g_o += g_out
        g_xw = np.empty((n, t_len, self.gates * self.units), x.dtype)  # dL/dXW for every step
        sums = self.step_sums()  # [dL/dU, ...], added to by every step
        for k in range(len(saved.steps) - 1, -1, -1):
            t, step = saved.order[k], saved.steps[k]
            if g_out is not None and self.return_sequences:
                g_o = g_o + g_out[:, k]
            g_y, g_new = g_o, g_s
            if step.m is not None:  # the masked rows pass their gradient to the step before untouched
                g_y = step.m * g_o
                g_new = [step.m * g for g in g_s]
                g_o = 0.0 * g_o if self.zero_output_for_mask else (1 - step.m) * g_o
            else:
                g_o = np.zeros_like(g_o)
            g_xw[:, t], g_prev = self.cell_backward(step.cache, g_y, g_new, sums, saved.drop_h)
            g_s = g_prev if step.m is None else [p + (1 - step.m) * g for p, g in zip(g_prev, g_s)]
        flat = g_xw.reshape(n * t_len, -1)  # (N T, G H)
        ctx.grad(self.kernel)[...] = x.reshape(n * t_len, -1).T @ flat  # dW = X^T dXW
        ctx.grad(self.recurrent_kernel)[...] = sums[0]  # dU = sum over steps of s_{t-1}^T d(rec_t)
        if self.use_bias:
            self.bias_grad(ctx.grad(self.bias), flat, sums)
        if not need_grad_x:
            return None
        g_x = g_xw @ self.kernel.value.T  # dX = dXW W^T, (N, T, D)
        if saved.drop_x is not None:
            g_x *= saved.drop_x[:, None, :]
        return [g_x, *g_s] if saved.listed else g_x

    def step_sums(self) -> list[np.ndarray]:
        """The sums the steps of a backward pass add to: [dL/dU] (GRU adds its recurrent bias's)."""
        return [np.zeros_like(self.recurrent_kernel.value)]

    def bias_grad(self, out: np.ndarray, g_xw: np.ndarray, sums: list[np.ndarray]) -> None:
        """db = sum of dXW over every row (GRU's recurrent bias takes its sum from ``sums``).

        Args:
            out: where dL/db goes.
            g_xw: dL/dXW, (N T, G units).
            sums: what the steps added up.
        """
        np.add.reduce(g_xw, axis=0, out=out)

    def cell_forward(self, xw_t: np.ndarray, states: list[np.ndarray], drop_h: np.ndarray | None
                     ) -> tuple[np.ndarray, list[np.ndarray], Any]:
        """(y_t, new states, cache) of one step from XW_t (N, G units) and the states before it.

        Args:
            xw_t: the step's input projection x_t W + b.
            states: s_{t-1}.
            drop_h: the recurrent dropout mask, or None.
        """
        raise NotImplementedError

    def cell_backward(self, cache: Any, g_y: np.ndarray, g_states: list[np.ndarray], sums: list[np.ndarray],
                      drop_h: np.ndarray | None) -> tuple[np.ndarray, list[np.ndarray]]:
        """(dL/dXW_t, dL/ds_{t-1}) from dL/dy_t and dL/ds_t; adds the step's dL/dU into ``sums[0]``.

        Args:
            cache: what cell_forward kept.
            g_y: dL/dy_t.
            g_states: dL/ds_t.
            sums: the sums over the steps (see ``step_sums``), added to.
            drop_h: the recurrent dropout mask, or None.
        """
        raise NotImplementedError

    def recurrent_input(self, h: np.ndarray, drop_h: np.ndarray | None) -> np.ndarray:
        """h as the recurrent product sees it: dropped out while training with recurrent_dropout."""
        return h if drop_h is None else h * drop_h

    # -- config ---------------------------------------------------------------------------------------------------
    def get_config(self):
        config = {**super().get_config(), "return_sequences": self.return_sequences,
                  "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": self.stateful,
                  "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask, "units": self.units,
                  "activation": activations.serialize(self.activation)}
        config.update(self.cell_config())
        config.update({"use_bias": self.use_bias,
                       "kernel_initializer": initializers.serialize(self.kernel_initializer),
                       "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                       "bias_initializer": initializers.serialize(self.bias_initializer),
                       "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                       "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                       "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                       "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                       "kernel_constraint": constraints.serialize(self.kernel_constraint),
                       "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                       "bias_constraint": constraints.serialize(self.bias_constraint),
                       "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout})
        return config

    def cell_config(self) -> dict[str, Any]:
        """The cell's own config entries (LSTM's recurrent_activation and unit_forget_bias, ...)."""
        return {}


def blocks(z: np.ndarray, k: int) -> list[np.ndarray]:
    """[z[:, :w], z[:, w:2w], ...]: the k gate blocks of z (N, k w) as views (``np.split`` without its overhead).

    Args:
        z: the gates side by side.
        k: how many.
    """
    w = z.shape[1] // k
    return [z[:, j * w:(j + 1) * w] for j in range(k)]


def check_use_cudnn(use_cudnn: Any) -> None:
    """Keras's check of LSTM's and GRU's ``use_cudnn``."""
    if use_cudnn not in ("auto", True, False):
        raise ValueError(f"Invalid valid received for argument `use_cudnn`. Expected one of {{'auto', True, False}}. "
                         f"Received: use_cudnn={use_cudnn}")


CELL_ARGUMENTS = """\
        units: the size of the state h (and of each output step).
        use_bias: whether the layer has a bias.
        kernel_initializer: how the input kernel W (features, G units) starts.
        recurrent_initializer: how the recurrent kernel U (units, G units) starts.
        bias_initializer: how the bias starts.
        kernel_regularizer: a penalty on W added to the loss.
        recurrent_regularizer: a penalty on U added to the loss.
        bias_regularizer: a penalty on the bias added to the loss.
        kernel_constraint: a projection applied to W after each optimizer step.
        recurrent_constraint: a projection applied to U after each optimizer step.
        bias_constraint: a projection applied to the bias after each optimizer step.
        dropout: the fraction of the input features dropped while training (one mask per call, at every step).
        recurrent_dropout: the fraction of h dropped in the recurrent product while training (one mask per call).
        seed: the start of the layer's ``seed_generator`` (an int, for reproducible dropout masks; None: drawn from
            nnlite's generator), or a NumPy Generator to draw from.
"""

RECURRENT_ARGUMENTS = CELL_ARGUMENTS + """\
        activity_regularizer: a penalty on the output, divided by the batch size, added to the loss.
        return_sequences: return every step's output (batch, timesteps, units), not only the last (batch, units).
        return_state: also return the final states (a list: output, then each state).
        go_backwards: read the sequences from the last step to the first (the outputs come in that order).
        stateful: carry the final states of one batch into the next (the batch size must be fixed;
            ``reset_state()`` sets them back to zeros).
        unroll: Keras's choice of compiling the loop unrolled; accepted, the loop is the same here.
"""


@with_arguments(RECURRENT_ARGUMENTS, "recurrent arguments")
@document_keywords
@LAYERS.register(example={"units": 3})
class SimpleRNN(Recurrent):
    """h_t = f(a_t),  a_t = x_t W + b + h_{t-1} U;  the output y_t = h_t.

    Shapes: x (batch, timesteps, features), W (features, units), U (units, units), b (units,).
    Backward, from the step's dL/dh_t (its output's and the next step's):
    dL/da_t = f'(a_t) dL/dh_t, dL/dh_{t-1} = dL/da_t U^T, dU += h_{t-1}^T dL/da_t; then dW, db and dX over all
    steps at once (see the module).

    Args:
        activation: f, by name or a function (tanh by default; None is linear).
        {recurrent arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> rnn = nnlite.layers.SimpleRNN(2, kernel_initializer="ones", recurrent_initializer="zeros")
        >>> [round(float(h), 3) for h in rnn(np.ones((1, 3, 1)))[0]]  # tanh(1 + tanh(1 + tanh(1)))
        [0.762, 0.762]
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False, seed: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
                         return_sequences, return_state, go_backwards, stateful, unroll, **kwargs)

    def cell_forward(self, xw_t, states, drop_h):
        h_in = self.recurrent_input(states[0], drop_h)
        a = xw_t + h_in @ self.recurrent_kernel.value
        h = self.activation.forward(a)
        return h, [h], (h_in, a, h)

    def cell_backward(self, cache, g_y, g_states, sums, drop_h):
        h_in, a, h = cache
        g_a = self.activation.backward(a, h, g_y + g_states[0])  # dL/da_t = f'(a_t) dL/dh_t
        sums[0] += h_in.T @ g_a  # dU += h_{t-1}^T dL/da_t
        g_h = g_a @ self.recurrent_kernel.value.T  # dL/dh_{t-1} = dL/da_t U^T
        return g_a, [g_h if drop_h is None else g_h * drop_h]

    grad_equations = {"kernel": "X^T dA (every step)", "recurrent_kernel": "sum of h_{t-1}^T dA_t",
                      "bias": "dA summed over batch and steps"}

    def get_config(self):
        config = super().get_config()
        if self.seed is not None:
            config["seed"] = seed_config(self.seed)
        return config


@with_arguments(RECURRENT_ARGUMENTS, "recurrent arguments")
@document_keywords
@LAYERS.register(example={"units": 3})
class LSTM(Recurrent):
    """z_t = x_t W + b + h_{t-1} U, split into the gates [i, f, c~, o] (each units wide):
    i = s(z_i), f = s(z_f), o = s(z_o), c~ = g(z_c);  c_t = f c_{t-1} + i c~,  h_t = o g(c_t);  the output y_t = h_t.

    s is recurrent_activation (sigmoid), g is activation (tanh). Shapes: W (features, 4 units), U (units, 4 units),
    b (4 units,). Backward, from dL/dh_t and dL/dc_t: dL/dc_t += dL/dh_t o g'(c_t); dL/do = dL/dh_t g(c_t),
    dL/di = dL/dc_t c~, dL/df = dL/dc_t c_{t-1}, dL/dc~ = dL/dc_t i; each gate's dL/dz through its activation;
    dL/dh_{t-1} = dL/dz_t U^T, dL/dc_{t-1} = dL/dc_t f, dU += h_{t-1}^T dL/dz_t.

    Args:
        activation: g, for c~ and the output (tanh by default).
        recurrent_activation: s, the gates' activation (sigmoid by default).
        unit_forget_bias: start the forget gate's bias at 1 (the rest with bias_initializer).
        use_cudnn: Keras's choice of the GPU kernel: "auto", True or False; the loop is the same here.
        {recurrent arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> lstm = nnlite.layers.LSTM(2, return_state=True)
        >>> [np.shape(t) for t in lstm(np.ones((4, 3, 5)))]  # the output, h and c
        [(4, 2), (4, 2), (4, 2)]
    """

    gates = 4
    state_names = ("h", "c")

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: Any = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 use_cudnn: Any = "auto", **kwargs: Any) -> None:
        check_use_cudnn(use_cudnn)
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
                         return_sequences, return_state, go_backwards, stateful, unroll, **kwargs)
        self.recurrent_activation, self.use_cudnn = activations.get(recurrent_activation), use_cudnn
        self.unit_forget_bias = bool(unit_forget_bias)

    def bias_start(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, start = self.units, self.bias_initializer

        def forget_ones(shape, dtype=None):  # [b_i, 1, b_c, b_o], Keras's unit forget bias
            return np.concatenate([np.asarray(start((units,), dtype)), np.ones(units, dtype),
                                   np.asarray(start((2 * units,), dtype))])
        return forget_ones

    def cell_forward(self, xw_t, states, drop_h):
        h_prev, c_prev = states
        h_in = self.recurrent_input(h_prev, drop_h)
        z = xw_t + h_in @ self.recurrent_kernel.value  # (N, 4 units): [z_i, z_f, z_c, z_o]
        z_i, z_f, z_c, z_o = blocks(z, 4)
        s, g = self.recurrent_activation, self.activation
        i, f, c_new, o = s.forward(z_i), s.forward(z_f), g.forward(z_c), s.forward(z_o)
        c = f * c_prev + i * c_new
        g_c = g.forward(c)
        h = o * g_c
        return h, [h, c], (h_in, c_prev, (z_i, z_f, z_c, z_o), (i, f, c_new, o), c, g_c)

    def cell_backward(self, cache, g_y, g_states, sums, drop_h):
        h_in, c_prev, (z_i, z_f, z_c, z_o), (i, f, c_new, o), c, g_c = cache
        s, g = self.recurrent_activation, self.activation
        g_h = g_y + g_states[0]
        g_cell = g_states[1] + g.backward(c, g_c, g_h * o)  # dL/dc_t += dL/dh_t o g'(c_t)
        g_z = np.concatenate([s.backward(z_i, i, g_cell * c_new),  # dL/dz_i = s'(z_i) dL/dc_t c~
                              s.backward(z_f, f, g_cell * c_prev),  # dL/dz_f = s'(z_f) dL/dc_t c_{t-1}
                              g.backward(z_c, c_new, g_cell * i),  # dL/dz_c = g'(z_c) dL/dc_t i
                              s.backward(z_o, o, g_h * g_c)], axis=1)  # dL/dz_o = s'(z_o) dL/dh_t g(c_t)
        sums[0] += h_in.T @ g_z  # dU += h_{t-1}^T dL/dz_t
        g_h_prev = g_z @ self.recurrent_kernel.value.T  # dL/dh_{t-1} = dL/dz_t U^T
        return g_z, [g_h_prev if drop_h is None else g_h_prev * drop_h, g_cell * f]  # dL/dc_{t-1} = dL/dc_t f

    grad_equations = {"kernel": "X^T dZ (every step)", "recurrent_kernel": "sum of h_{t-1}^T dZ_t",
                      "bias": "dZ summed over batch and steps"}

    def cell_config(self):
        return {"recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}

    def get_config(self):
        return {**super().get_config(), "seed": seed_config(self.seed)}


@with_arguments(RECURRENT_ARGUMENTS, "recurrent arguments")
@document_keywords
@LAYERS.register(example={"units": 3})
class GRU(Recurrent):
    """x_t W + b_x = [x_z, x_r, x_h] and h_{t-1} U + b_h = [r_z, r_r, r_h] (each units wide):
    z = s(x_z + r_z), r = s(x_r + r_r), h~ = g(x_h + r * r_h);  h_t = z h_{t-1} + (1 - z) h~;  y_t = h_t.

    That is reset_after=True (Keras's default; the bias is (2, 3 units): b_x and b_h). With reset_after=False the
    reset gate acts before the product and there is one bias: h~ = g(x_h + (r h_{t-1}) U_h), U_h the last third of U.
    Backward, from dL/dh_t: dL/dz = dL/dh_t (h_{t-1} - h~), dL/dh~ = dL/dh_t (1 - z); dL/da_h = g' dL/dh~,
    dL/dr = dL/da_h r_h, dL/dr_h = dL/da_h r; then through s for z and r; dU += h_{t-1}^T dL/d[r_z, r_r, r_h],
    dL/dh_{t-1} = dL/dh_t z + dL/d[r_z, r_r, r_h] U^T.

    Args:
        activation: g, for h~ (tanh by default).
        recurrent_activation: s, the gates' activation (sigmoid by default).
        reset_after: apply the reset gate after the recurrent product (True, Keras's and cuDNN's) or before it.
        use_cudnn: Keras's choice of the GPU kernel: "auto", True or False; the loop is the same here.
        {recurrent arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> gru = nnlite.layers.GRU(2, return_sequences=True)
        >>> np.shape(gru(np.ones((4, 3, 5))))
        (4, 3, 2)
    """

    gates = 3

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: Any = None,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, reset_after: bool = True, use_cudnn: Any = "auto",
                 **kwargs: Any) -> None:
        check_use_cudnn(use_cudnn)
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
                         return_sequences, return_state, go_backwards, stateful, unroll, **kwargs)
        self.recurrent_activation, self.use_cudnn = activations.get(recurrent_activation), use_cudnn
        self.reset_after = bool(reset_after)

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def input_bias(self):
        return self.bias.value[0] if self.reset_after else self.bias.value

    def cell_forward(self, xw_t, states, drop_h):
        h_prev = states[0]
        h_in = self.recurrent_input(h_prev, drop_h)
        u, s, g, n = self.recurrent_kernel.value, self.recurrent_activation, self.activation, self.units
        x_z, x_r, x_h = blocks(xw_t, 3)
        if self.reset_after:
            rec = h_in @ u  # [r_z, r_r, r_h], (N, 3 units)
            if self.use_bias:
                rec += self.bias.value[1]
            r_z, r_r, r_h = blocks(rec, 3)
        else:
            r_z, r_r = blocks(h_in @ u[:, :2 * n], 2)
        a_z, a_r = x_z + r_z, x_r + r_r
        z, r = s.forward(a_z), s.forward(a_r)
        if self.reset_after:
            rh = None
            a_h = x_h + r * r_h
        else:
            rh = r * h_in
            r_h = None
            a_h = x_h + rh @ u[:, 2 * n:]
        h_new = g.forward(a_h)
        h = z * h_prev + (1 - z) * h_new
        return h, [h], (h_prev, h_in, a_z, a_r, a_h, z, r, h_new, r_h, rh)

    def step_sums(self):
        sums = super().step_sums()
        return sums + [np.zeros(3 * self.units, self.dtype)] if self.reset_after and self.use_bias else sums

    def cell_backward(self, cache, g_y, g_states, sums, drop_h):
        h_prev, h_in, a_z, a_r, a_h, z, r, h_new, r_h, rh = cache
        u, s, g, n = self.recurrent_kernel.value, self.recurrent_activation, self.activation, self.units
        g_h = g_y + g_states[0]
        g_a_h = g.backward(a_h, h_new, g_h * (1 - z))  # dL/da_h = g'(a_h) dL/dh_t (1 - z)
        g_a_z = s.backward(a_z, z, g_h * (h_prev - h_new))  # dL/da_z = s'(a_z) dL/dh_t (h_{t-1} - h~)
        if self.reset_after:
            g_a_r = s.backward(a_r, r, g_a_h * r_h)  # dL/da_r = s'(a_r) dL/da_h r_h
            g_rec = np.concatenate([g_a_z, g_a_r, g_a_h * r], axis=1)  # dL/d[r_z, r_r, r_h]
            sums[0] += h_in.T @ g_rec
            if len(sums) > 1:  # the recurrent bias b_h
                sums[1] += g_rec.sum(axis=0)
            g_h_in = g_rec @ u.T
        else:
            g_rh = g_a_h @ u[:, 2 * n:].T  # dL/d(r h_{t-1})
            g_a_r = s.backward(a_r, r, g_rh * h_in)
            g_zr = np.concatenate([g_a_z, g_a_r], axis=1)
            sums[0][:, :2 * n] += h_in.T @ g_zr
            sums[0][:, 2 * n:] += rh.T @ g_a_h
            g_h_in = g_zr @ u[:, :2 * n].T + g_rh * r
        if drop_h is not None:
            g_h_in = g_h_in * drop_h
        return np.concatenate([g_a_z, g_a_r, g_a_h], axis=1), [g_h * z + g_h_in]

    def bias_grad(self, out, g_xw, sums):
        if self.reset_after:
            np.add.reduce(g_xw, axis=0, out=out[0])
            out[1] = sums[1]
        else:
            np.add.reduce(g_xw, axis=0, out=out)

    grad_equations = {"kernel": "X^T d[a_z, a_r, a_h] (every step)",
                      "recurrent_kernel": "sum of h_{t-1}^T d[r_z, r_r, r_h]_t",
                      "bias": "[dXW summed, d[r_z, r_r, r_h] summed]"}

    def cell_config(self):
        return {"recurrent_activation": activations.serialize(self.recurrent_activation)}

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after, "seed": seed_config(self.seed)}

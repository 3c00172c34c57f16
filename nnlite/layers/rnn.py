"""RNN: any cell looped over the time steps of a sequence, differentiated by the tape through every step.

    s_{-1} = initial states (zeros, given, or a stateful layer's)
    for t in 0..T-1 (T-1..0 with go_backwards):
        y_t, s_t = cell(x_t, s_{t-1})
        with a mask m_t:  s_t = m_t s_t + (1 - m_t) s_{t-1},  y_t = m_t y_t + (1 - m_t) y_{t-1}  (y_{-1} = 0; 0 for
                          every masked step with zero_output_for_mask)

The loop runs on a tape of its own that follows the inputs and the cell's weights; backward is that tape's
sweep back through the steps (backprop through time), each built-in cell's step by its own equations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autodiff, ops
from ..variables import Variable
from . import eager
from .base import LAYERS, Context, Layer, document_keywords
from .cells import StackedRNNCells, check_cell, output_size_of
from .node import is_symbolic
from .recurrent import SequenceLayer, flat_states, nested_like


@document_keywords
@LAYERS.register(example={"cell": {"class_name": "SimpleRNNCell", "config": {"units": 2}}})
class RNN(SequenceLayer, Layer):
    """y_t, s_t = cell(x_t, s_{t-1}) at every step (see the module): Keras's loop for a cell, a list of cells, or a
    cell of your own.

    Args:
        cell: a cell (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, or a layer with ``state_size`` and
            ``call(inputs, states)``), or a list of cells (stacked).
        return_sequences: return every step's output (batch, timesteps, output_size), not only the last.
        return_state: also return the final states (the output, then one entry per entry of the state size: a
            stacked cell's states as a list per cell, as Keras returns them).
        go_backwards: read the sequences from the last step to the first (the outputs come in that order).
        stateful: carry the final states of one batch into the next (the batch size must be fixed).
        unroll: Keras's choice of compiling the loop unrolled; accepted, the loop is the same here.
        zero_output_for_mask: a masked step outputs zeros instead of the last output.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> class Running(nnlite.layers.Layer):  # a cell of your own: h_t = h_{t-1} + x_t w
        ...     state_size = 1
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="ones")
        ...     def call(self, x, states):
        ...         h = states[0] + nnlite.ops.matmul(x, self.w)
        ...         return h, [h]
        >>> nnlite.layers.RNN(Running(), return_sequences=True)(np.ones((1, 3, 2)))[0, :, 0].tolist()
        [2.0, 4.0, 6.0]
    """

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        if isinstance(cell, dict):
            cell = LAYERS.deserialize(cell)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        check_cell(cell)
        super().__init__(**kwargs)
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError("state_size must be specified as property on the RNN cell.")
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError("state_size must be an integer, or a list/tuple of integers (one for each state "
                             "tensor).")
        self.cell = cell
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), bool(stateful), bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states: list[Variable] | None = None

    @property
    def state_size(self) -> list[Any]:
        """The cell's state sizes as a list (Keras's ``RNN.state_size``)."""
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    def _sequence_shape(self, input_shape: Any) -> tuple:
        listed = isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple))
        shape = tuple(input_shape[0] if listed else input_shape)
        if len(shape) < 3:
            raise ValueError(f"RNN {self.name!r} takes sequences (batch, timesteps, ...); got input shape {shape}.")
        return shape

    def build(self, input_shape: Any) -> None:
        shape = self._sequence_shape(input_shape)
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((shape[0],) + shape[2:])
            self.cell.built = True
        if self.stateful:
            if shape[0] is None:
                raise ValueError(f"When using `stateful=True` in a RNN, the batch size must be static. Found dynamic "
                                 f"batch size: sequence.shape={shape}")
            self.states = [Variable(np.asarray(s, self.dtype), f"rnn_state_{k}", trainable=False)
                           for k, s in enumerate(flat_states(self.get_initial_state(shape[0])))]
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = self._sequence_shape(input_shape)
        size = output_size_of(self.cell)
        out = (shape[0], shape[1], size) if self.return_sequences else (shape[0], size)
        if self.return_state:  # as Keras's: one shape per entry of state_size, a list of them for a stacked cell's
            return (out, *[[(shape[0], s) for s in size] if isinstance(size, (list, tuple)) else (shape[0], size)
                           for size in self.state_size])
        return out

    def get_initial_state(self, batch_size: int) -> list[Any]:
        """The cell's initial states (its get_initial_state, else zeros of each state_size), as a list.

        Args:
            batch_size: the number of sequences.
        """
        if hasattr(self.cell, "get_initial_state"):
            states = self.cell.get_initial_state(batch_size=batch_size)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        return [np.zeros((batch_size, d), self.dtype) for d in self.state_size]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The layer on sequences (see SequenceLayer); with return_state over stacked cells the states come back
        nested per cell, as Keras returns them (an eager call: a list for each cell; a graph: as
        ``compute_output_shape`` gives them)."""
        out = super().__call__(*args, **kwargs)
        if not (self.return_state and isinstance(self.cell, StackedRNNCells) and isinstance(out, (list, tuple))) or any(
                is_symbolic(o) for o in out):
            return out
        return [out[0], *nested_like(out[1:], self.get_initial_state(len(np.asarray(out[0]))))]

    # -- the pass ----------------------------------------------------------------------------------------------------
    def forward_masked(self, x: Any, mask: np.ndarray | None, ctx: Context) -> tuple[Any, Any]:
        """The loop (see the module) on a tape of its own that follows x (and the initial states in a list) and
        the cell's weights; backward sweeps it.

        Args:
            x: the sequences, or [sequences, *initial states].
            mask: which steps count (batch, timesteps), or None for all.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        listed = isinstance(x, (list, tuple))
        xs, (out, states), losses = eager.run_taped(
            self, x, lambda xs: self.run(xs[0], xs[1:] if listed else None, mask, ctx.training))
        flat = flat_states(states)
        if self.stateful and not ctx.peek:
            for v, s in zip(self.states, flat):
                v.assign(np.asarray(autodiff.value_of(s)))
        outputs = [out, *flat] if self.return_state else out
        values = ([np.asarray(autodiff.value_of(o)) for o in outputs] if self.return_state
                  else np.asarray(autodiff.value_of(out)))
        return values, eager.EagerCall(xs, listed, outputs, losses)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return eager.eager_backward(self, saved, grad_a, ctx, need_grad_x)

    def run(self, sequences: Any, initial_state: list[Any] | None, mask: np.ndarray | None, training: bool
            ) -> tuple[Any, Any]:
        """(output, final states): the cell at every step (ops, recorded while a tape follows).

        Args:
            sequences: x, (N, T, ...).
            initial_state: the initial states (flat), or None for the stateful layer's or the cell's own.
            mask: which steps count, (N, T), or None.
            training: whether the cell's dropout drops.
        """
        n, t_len = np.shape(sequences)[:2]
        start = self.get_initial_state(n)
        if initial_state:
            flat = list(initial_state)
            if len(flat) != len(flat_states(start)):
                raise ValueError(f"RNN {self.name!r} has {len(flat_states(start))} state(s); got {len(flat)} initial "
                                 "state(s).")
            states = nested_like(flat, start)
        elif self.stateful:
            if self.states[0].shape[0] != n:
                raise ValueError(f"If an RNN is stateful, the batch size of the input sequences must be the same as "
                                 f"the batch size of the initial state. \n- Expected batch size: "
                                 f"{self.states[0].shape[0]}\n- Received batch size: {n}")
            states = nested_like([np.array(v.value) for v in self.states], start)
        else:
            states = start
        if mask is not None and np.shape(mask) != (n, t_len):
            raise ValueError(f"RNN {self.name!r}: the mask must have shape (batch, timesteps) = {(n, t_len)}; got "
                             f"{np.shape(mask)}.")
        self._reset_dropout(self.cell)
        kwargs = {"training": training} if eager.takes(self.cell.call, "training") else {}
        outputs, y_prev = [], None
        for t in (range(t_len - 1, -1, -1) if self.go_backwards else range(t_len)):
            y, new = self.cell(sequences[:, t], states, **kwargs)
            new = new if isinstance(new, (list, tuple)) else [new]
            if mask is not None:
                m = np.asarray(mask)[:, t, None]  # (N, 1)
                new = nested_like([ops.where(m, a, b) for a, b in zip(flat_states(new), flat_states(states))], new)
                y = ops.where(m, y, ops.zeros_like(y) if y_prev is None or self.zero_output_for_mask else y_prev)
            states, y_prev = new, y
            outputs.append(y)
        self._reset_dropout(self.cell)
        if not outputs:
            raise ValueError(f"RNN {self.name!r} got sequences of no steps (shape {np.shape(sequences)}).")
        return (ops.stack(outputs, axis=1) if self.return_sequences else y_prev), states

    def _reset_dropout(self, cell: Any) -> None:
        """Forget the cells' dropout masks (one mask per call)."""
        for c in getattr(cell, "cells", [cell]):
            for name in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
                if hasattr(c, name):
                    getattr(c, name)()

    def weight_groups(self):
        """Keras keeps the cell's weights under layers/<rnn>/cell/ (stacked: cell/cells/<cell class>/)."""
        return [(f"cell/{sub}" if sub else "cell", weights) for sub, weights in self.cell.weight_groups()]

    def get_config(self):
        from ..serialization import serialize_keras_object

        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize_keras_object(self.cell)}

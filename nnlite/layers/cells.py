"""Keras's recurrent cells: one time step of SimpleRNN, LSTM or GRU as a layer of its own, for ``RNN`` to loop.

A cell maps (x_t, s_{t-1}) to (y_t, s_t). The built-in cells run the same equations as the layers of the same
name, one step at a time::

    XW_t = x_t W + b                                (N, G units)
    y_t, s_t = cell(XW_t, s_{t-1})                  the layer's cell_forward

and, under a tape, each step is one recorded node whose backward is the layer's own cell_backward::

    dL/dXW_t, dL/ds_{t-1} = cell_backward(dL/dy_t, dL/ds_t)      dU += s_{t-1}^T dL/dZ_t
    dW = x_t^T dL/dXW_t,   db = sum of dL/dXW_t,   dL/dx_t = dL/dXW_t W^T

so RNN(LSTMCell(n)) computes what LSTM(n) computes, with the loop in RNN. StackedRNNCells chains cells: the
output of one is the input of the next at the same step. A cell of your own is any layer with a ``state_size``
and ``call(inputs, states)`` returning (output, new states), written with nnlite.ops: the tape differentiates it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autodiff
from ..docstrings import with_arguments
from ..registry import snake_case
from .base import LAYERS, Context, Layer, document_keywords
from .eager import takes
from .recurrent import CELL_ARGUMENTS, GRU, LSTM, SimpleRNN
from .regularization import dropout_mask, seed_config

LAYER_ONLY = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "use_cudnn",
              "activity_regularizer", "zero_output_for_mask")


class RecurrentCell:
    """One step of a recurrent layer (the class this mixin comes before) as Keras's cell: ``state_size``,
    ``output_size``, ``call(inputs, states, training)``, ``get_initial_state`` and the dropout masks an RNN
    keeps for a whole call."""

    _dropout_mask: np.ndarray | None = None
    _recurrent_dropout_mask: np.ndarray | None = None

    @property
    def state_size(self) -> Any:
        """Keras's: units for a cell of one state, [units, units] for LSTMCell."""
        return self.units if len(self.state_names) == 1 else [self.units] * len(self.state_names)

    @property
    def output_size(self) -> int:
        """The size of each output step: units."""
        return self.units

    def build(self, input_shape: Any) -> None:
        """W, U and b for steps of shape (batch, features).

        Args:
            input_shape: one step's shape, (batch, features).
        """
        shape = tuple(input_shape)
        if len(shape) != 2:
            raise ValueError(f"{type(self).__name__} {self.name!r} takes one step (batch, features); got input "
                             f"shape {shape}.")
        super().build((shape[0], None, shape[1]))

    def get_initial_state(self, batch_size: int | None = None) -> list[np.ndarray]:
        """Zeros, (batch_size, units) for each state.

        Args:
            batch_size: the number of sequences.
        """
        return [np.zeros((batch_size or 0, self.units), self.dtype) for _ in self.state_names]

    def weight_groups(self):
        return [("", self.weights)]

    # -- dropout: one mask per RNN call ------------------------------------------------------------------------
    def get_dropout_mask(self, step_input: Any) -> np.ndarray | None:
        """The mask on the inputs for this call (drawn on first use), or None without dropout.

        Args:
            step_input: one step of the inputs, (batch, features).
        """
        if self._dropout_mask is None and self.dropout > 0:
            x = np.asarray(autodiff.value_of(step_input))
            self._dropout_mask = dropout_mask(Context(training=True), self.seed_generator, self.dropout, x.shape,
                                              x.dtype)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_input: Any) -> np.ndarray | None:
        """The mask on h in the recurrent product for this call (drawn on first use), or None.

        Args:
            step_input: the state h, (batch, units).
        """
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            h = np.asarray(autodiff.value_of(step_input))
            self._recurrent_dropout_mask = dropout_mask(Context(training=True), self.seed_generator,
                                                        self.recurrent_dropout, h.shape, h.dtype)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        """Forget the inputs' mask (RNN does at the start and end of each call)."""
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        """Forget the recurrent mask (RNN does at the start and end of each call)."""
        self._recurrent_dropout_mask = None

    # -- one step -----------------------------------------------------------------------------------------------
    def __call__(self, inputs: Any, states: Any = None, training: bool | None = None, **kwargs: Any) -> Any:
        """(output, new states) of one step; ``states`` a list (or one array for a cell of one state).

        Args:
            inputs: x_t.
            states: s_{t-1}.
            training: whether dropout drops.
            **kwargs: ignored (Keras's call arguments the cell does not take).
        """
        if states is None:
            raise ValueError(f"{type(self).__name__} {self.name!r} is called on (inputs, states); got no states.")
        if not self.built:
            self.build((None,) + np.shape(autodiff.value_of(inputs))[1:])
        return self.call(inputs, states, training=bool(training))

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[Any, Any]:
        """y_t, s_t = cell(x_t W + b, s_{t-1}), recorded as one node while a tape follows (see the module).

        Args:
            inputs: x_t, (batch, features).
            states: s_{t-1}: a list (LSTM: [h, c]), or one array.
            training: whether dropout drops.
        """
        listed = isinstance(states, (list, tuple))
        states = list(states) if listed else [states]
        if len(states) != len(self.state_names):
            raise ValueError(f"{type(self).__name__} {self.name!r} has {len(self.state_names)} state(s) "
                             f"({', '.join(self.state_names)}); got {len(states)}.")
        x = np.asarray(autodiff.value_of(inputs), self.dtype)
        s = [np.asarray(autodiff.value_of(v), self.dtype) for v in states]
        drop_x = self.get_dropout_mask(x) if training else None
        drop_h = self.get_recurrent_dropout_mask(s[0]) if training else None
        seen = x * drop_x if drop_x is not None else x
        xw = seen @ self.kernel.value  # x_t W + b, (N, G units)
        if self.use_bias:
            xw = xw + self.input_bias()
        y, new, cache = self.cell_forward(xw, s, drop_h)
        weights = [self.kernel, self.recurrent_kernel] + ([self.bias] if self.use_bias else [])

        def vjp(grads: list[Any], needed: list[bool] | None = None) -> list[Any]:
            g_y = np.zeros_like(y) if grads[0] is None else np.asarray(grads[0])
            g_new = [np.zeros_like(v) if g is None else np.asarray(g) for g, v in zip(grads[1:], new)]
            sums = self.step_sums()
            g_xw, g_prev = self.cell_backward(cache, g_y, g_new, sums, drop_h)
            g_x = g_xw @ self.kernel.value.T  # dL/dx_t = dL/dXW_t W^T
            grads_w = [seen.T @ g_xw, sums[0]]  # dW = x_t^T dL/dXW_t, dU from the step
            if self.use_bias:
                g_b = np.empty(self.bias.shape, self.dtype)
                self.bias_grad(g_b, g_xw, sums)
                grads_w.append(g_b)
            return [g_x if drop_x is None else g_x * drop_x, *g_prev, *grads_w]

        outs = ([np.asarray(v).view(autodiff.Tensor) for v in [y, *new]] if not autodiff.recording()
                else autodiff.record([y, *new], [inputs, *states, *weights], vjp, self.name))
        output, new_states = outs[0], outs[1:]
        return output, (new_states if listed or len(new_states) > 1 else new_states[0])

    def get_config(self):
        config = super().get_config()
        for key in LAYER_ONLY:
            config.pop(key, None)
        return {**config, "seed": seed_config(self.seed)}


@with_arguments(CELL_ARGUMENTS, "cell arguments")
@document_keywords
@LAYERS.register(example={"units": 3})
class SimpleRNNCell(RecurrentCell, SimpleRNN):
    """One step of SimpleRNN: h_t = f(x_t W + b + h_{t-1} U), the output y_t = h_t (see SimpleRNN).

    Args:
        activation: f, by name or a function (tanh by default; None is linear).
        {cell arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> cell = nnlite.layers.SimpleRNNCell(2)
        >>> y, h = cell(np.ones((4, 3)), [np.zeros((4, 2))])
        >>> np.shape(y), np.shape(h[0])
        ((4, 2), (4, 2))
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: Any = None,
                 **kwargs: Any) -> None:
        SimpleRNN.__init__(self, units, activation, use_bias, kernel_initializer, recurrent_initializer,
                           bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                           kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                           bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                           seed=seed, **kwargs)


@with_arguments(CELL_ARGUMENTS, "cell arguments")
@document_keywords
@LAYERS.register(example={"units": 3})
class LSTMCell(RecurrentCell, LSTM):
    """One step of LSTM: [i, f, c~, o] from x_t W + b + h_{t-1} U; c_t = f c_{t-1} + i c~, h_t = o g(c_t)
    (see LSTM). Its states are [h, c].

    Args:
        activation: g, for c~ and the output (tanh by default).
        recurrent_activation: s, the gates' activation (sigmoid by default).
        unit_forget_bias: start the forget gate's bias at 1.
        {cell arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> cell = nnlite.layers.LSTMCell(2)
        >>> cell.state_size, nnlite.layers.RNN(cell)(np.ones((4, 5, 3))).shape
        ([2, 2], (4, 2))
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: Any = None,
                 **kwargs: Any) -> None:
        LSTM.__init__(self, units, activation, recurrent_activation, use_bias, kernel_initializer,
                      recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
                      recurrent_regularizer, bias_regularizer, kernel_constraint=kernel_constraint,
                      recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                      recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)


@with_arguments(CELL_ARGUMENTS, "cell arguments")
@document_keywords
@LAYERS.register(example={"units": 3})
class GRUCell(RecurrentCell, GRU):
    """One step of GRU: z, r and h~ from x_t W + b and h_{t-1} U; h_t = z h_{t-1} + (1 - z) h~ (see GRU).

    Args:
        activation: g, for the candidate h~ (tanh by default).
        recurrent_activation: s, the gates' activation (sigmoid by default).
        reset_after: apply the reset gate after the recurrent product (Keras's default, with a second bias).
        {cell arguments}
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.RNN(nnlite.layers.GRUCell(2), return_sequences=True)(np.ones((4, 5, 3))).shape
        (4, 5, 2)
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, reset_after: bool = True, seed: Any = None,
                 **kwargs: Any) -> None:
        GRU.__init__(self, units, activation, recurrent_activation, use_bias, kernel_initializer,
                     recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                     bias_regularizer, kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                     bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                     seed=seed, reset_after=reset_after, **kwargs)


def output_size_of(cell: Any) -> int:
    """A cell's output size: its ``output_size``, else its (first) state's size.

    Args:
        cell: the cell.
    """
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state = cell.state_size
    return state[0] if isinstance(state, (list, tuple)) else state


def check_cell(cell: Any, what: str = "cell") -> None:
    """Keras's checks that ``cell`` can be a cell: a ``call`` method and a ``state_size``.

    Args:
        cell: the candidate.
        what: its name in the messages.
    """
    if "call" not in dir(cell):
        raise ValueError(f"Argument `{what}` should have a `call` method. Received: {what}={cell}")
    if "state_size" not in dir(cell):
        raise ValueError(f"The RNN cell should have a `state_size` attribute (single integer or list of integers, "
                         f"one integer per RNN state). Received: {what}={cell}")


@document_keywords
@LAYERS.register(example={"cells": [{"class_name": "SimpleRNNCell", "config": {"units": 2}},
                                    {"class_name": "SimpleRNNCell", "config": {"units": 3}}]})
class StackedRNNCells(Layer):
    """Cells run one after the other at each step: y^(k)_t, s^(k)_t = cell_k(y^(k-1)_t, s^(k)_{t-1}), y^(0)_t = x_t;
    the output is the last cell's. The states are one entry per cell (a list for a cell of several).

    Args:
        cells: the cells, first to last.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> cells = nnlite.layers.StackedRNNCells([nnlite.layers.SimpleRNNCell(3), nnlite.layers.LSTMCell(2)])
        >>> cells.state_size, nnlite.layers.RNN(cells)(np.ones((4, 5, 3))).shape
        ([3, [2, 2]], (4, 2))
    """

    def __init__(self, cells: list[Any], **kwargs: Any) -> None:
        cells = [LAYERS.deserialize(c) if isinstance(c, dict) else c for c in cells]
        for cell in cells:
            if "call" not in dir(cell):
                raise ValueError(f"All cells must have a `call` method. Received cell without a `call` method: "
                                 f"{cell}")
            if "state_size" not in dir(cell):
                raise ValueError(f"All cells must have a `state_size` attribute. Received cell without a "
                                 f"`state_size`: {cell}")
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self) -> list[Any]:
        """One entry per cell: its state_size."""
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        """The last cell's output size."""
        return output_size_of(self.cells[-1])

    def build(self, input_shape: Any) -> None:
        """Each cell built for the output of the one before it.

        Args:
            input_shape: one step's shape, (batch, features).
        """
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(shape)
                cell.built = True
            shape = (shape[0], output_size_of(cell))
        self.built = True

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        """Each cell's initial states (zeros where the cell has no get_initial_state).

        Args:
            batch_size: the number of sequences.
        """
        out = []
        for cell in self.cells:
            if hasattr(cell, "get_initial_state"):
                out.append(cell.get_initial_state(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                out.append(np.zeros((batch_size, cell.state_size), self.dtype))
            else:
                out.append([np.zeros((batch_size, d), self.dtype) for d in cell.state_size])
        return out

    def __call__(self, inputs: Any, states: Any = None, training: bool | None = None, **kwargs: Any) -> Any:
        """(output, new states) of one step through every cell.

        Args:
            inputs: x_t.
            states: one entry per cell.
            training: whether dropout drops.
            **kwargs: ignored.
        """
        if not self.built:
            self.build((None,) + np.shape(autodiff.value_of(inputs))[1:])
        return self.call(inputs, states, training=bool(training))

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[Any, list[Any]]:
        """The step through the cells (see the class).

        Args:
            inputs: x_t.
            states: one entry per cell.
            training: whether dropout drops.
        """
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            listed = isinstance(cell_states, (list, tuple))
            kwargs = {"training": training} if takes(cell.call, "training") else {}
            inputs, cell_states = cell(inputs, list(cell_states) if listed else [cell_states], **kwargs)
            if not listed and isinstance(cell_states, (list, tuple)) and len(cell_states) == 1:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        return inputs, new_states

    def weight_groups(self):
        groups, used = [], {}
        for cell in self.cells:  # Keras names a list's entries by class, numbered: simple_rnn_cell, simple_rnn_cell_1
            name = snake_case(type(cell).__name__)
            used[name] = used.get(name, 0) + 1
            where = name if used[name] == 1 else f"{name}_{used[name] - 1}"
            groups += [(f"cells/{where}/{sub}" if sub else f"cells/{where}", weights)
                       for sub, weights in cell.weight_groups()]
        return groups

    def get_config(self):
        from ..serialization import serialize_keras_object

        return {**super().get_config(), "cells": [serialize_keras_object(c) for c in self.cells]}

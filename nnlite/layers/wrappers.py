"""Bidirectional and TimeDistributed: layers that run another layer, over both directions of a sequence or at
every step of it."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ..registry import CustomObjectScope
from .base import LAYERS, Context, Layer, MaskReader, document_keywords
from .recurrent import SequenceLayer

MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _copy_of(layer: Layer, **changes: Any) -> Layer:
    """A fresh layer from ``layer``'s config with ``changes`` (Keras makes Bidirectional's two layers this way)."""
    config = {**layer.get_config(), **changes}
    return type(layer).from_config(config)


@document_keywords
class Wrapper(Layer):
    """The base of a layer that wraps another: ``self.layer``, built with this one and saved inside its config; a
    subclass writes ``call`` (using ``self.layer``), and the tape differentiates it as any layer of your own.

    Args:
        layer: the layer to wrap.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> class Doubled(nnlite.layers.Wrapper):
        ...     def call(self, x):
        ...         return 2.0 * self.layer(x)
        >>> twice = Doubled(nnlite.layers.Dense(2, kernel_initializer="ones"))
        >>> twice(np.ones((1, 3))).tolist()
        [[6.0, 6.0]]
        >>> len(twice.trainable_weights)
        2
    """

    def __init__(self, layer: Any, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please ensure wrapped "
                             "layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        """Build the wrapped layer for ``input_shape`` (if it is not built yet).

        Args:
            input_shape: the input shape, batch axis first.
        """
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        super().build(input_shape)

    def get_config(self) -> dict[str, Any]:
        """The layer's config with the wrapped layer's entry under "layer"."""
        return {**super().get_config(), "layer": LAYERS.serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Wrapper:
        """The wrapper ``get_config`` describes, its layer rebuilt from its entry.

        Args:
            config: a dict from ``get_config``.
            custom_objects: classes of your own the entry may name.
        """
        config = dict(config)
        with CustomObjectScope(custom_objects):
            layer = LAYERS.deserialize(config.pop("layer"))
        return cls(layer, **config)


@document_keywords
@LAYERS.register(example={"layer": {"class_name": "SimpleRNN", "config": {"units": 2}}})
class Bidirectional(MaskReader, Layer):
    """y = merge(y_f, flip(y_b)): the sequence read forwards by one recurrent layer and backwards by another.

    The backward layer reads x from the last step to the first (go_backwards); with return_sequences its outputs
    are flipped back to the input's order before the merge: "concat" [y_f, y_b] on the last axis, "sum" y_f + y_b,
    "ave" (y_f + y_b) / 2, "mul" y_f y_b, None both as a list. Backward splits dL/dy by the same rule
    (concat: the two halves; mul: dL/dy y_b and dL/dy y_f) and adds the two layers' dL/dx.

    Args:
        layer: the recurrent layer (SimpleRNN, LSTM, GRU); Bidirectional builds fresh copies of it: the forward layer
            and, without ``backward_layer``, a go_backwards one.
        merge_mode: how the two directions join: "concat", "sum", "ave", "mul" or None.
        weights: starting weights for both layers (the forward layer's, then the backward layer's).
        backward_layer: a recurrent layer to read backwards instead of the copy (go_backwards=True, and the same
            return_sequences, return_state and stateful as ``layer``).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> both = nnlite.layers.Bidirectional(nnlite.layers.LSTM(3))
        >>> np.shape(both(np.ones((2, 5, 4))))  # [forward h, backward h]
        (2, 6)
    """

    supports_masking = True
    takes_list = True  # sequences, or [sequences, *initial states] (half forward, half backward)
    file_keywords = ("initial_state",)
    activation_is_output = False

    def __init__(self, layer: Any, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Any = None, **kwargs: Any) -> None:
        if isinstance(layer, dict):
            layer = LAYERS.deserialize(layer)
        if isinstance(backward_layer, dict):
            backward_layer = LAYERS.deserialize(backward_layer)
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` need to be a `keras.layers.Layer` instance. Received: "
                             f"{backward_layer}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                             '{"sum", "mul", "ave", "concat", None}')
        for which in (layer, backward_layer):
            if which is not None and not isinstance(which, SequenceLayer):
                raise ValueError(f"nnlite's Bidirectional wraps SimpleRNN, LSTM, GRU or RNN; got "
                                 f"{type(which).__name__}.")
        super().__init__(**kwargs)
        self.forward_layer = _copy_of(layer, name=f"forward_{layer.name.removeprefix('forward_')}")
        self.backward_layer = backward_layer if backward_layer is not None else _copy_of(
            layer, go_backwards=True, name=f"backward_{layer.name.removeprefix('backward_')}")
        forward, backward = self.forward_layer, self.backward_layer
        if hasattr(layer, "use_cudnn"):  # kept though no config holds it (Keras's)
            forward.use_cudnn = backward.use_cudnn = layer.use_cudnn
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(f"Forward layer and backward layer should have different `go_backwards` value. "
                             f"Received: forward_layer.go_backwards {forward.go_backwards}, "
                             f"backward_layer.go_backwards={backward.go_backwards}")
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attribute) != getattr(backward, attribute):
                raise ValueError(f'Forward layer and backward layer are expected to have the same value for '
                                 f'attribute "{attribute}", got "{getattr(forward, attribute)}" for forward layer '
                                 f'and "{getattr(backward, attribute)}" for backward layer')
        for inner in (forward, backward):  # a masked step outputs zeros, in both directions (Keras's rule)
            inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        self.stateful, self.return_sequences = forward.stateful, forward.return_sequences
        self.return_state = forward.return_state
        self.initial_weights = weights

    # -- shapes -------------------------------------------------------------------------------------------------
    def build(self, input_shape):
        sequences = input_shape[0] if isinstance(input_shape, list) else input_shape
        for inner in (self.forward_layer, self.backward_layer):
            if not inner.built:
                inner.path_prefix = f"{self.path_prefix}{self.name}/"
                inner.build(tuple(sequences))
        super().build(input_shape)
        if self.initial_weights is not None:
            self.set_weights(self.initial_weights)
            self.initial_weights = None

    def compute_output_shape(self, input_shape):
        out = self.forward_layer.compute_output_shape(input_shape[0] if isinstance(input_shape, list)
                                                      else input_shape)
        states = out[1:] if self.return_state else []
        out = out[0] if self.return_state else out
        if self.merge_mode == "concat":
            out = (*out[:-1], out[-1] * 2)
        outs = [tuple(out), tuple(out)] if self.merge_mode is None else [tuple(out)]
        if self.return_state:
            return outs + [tuple(s) for s in states] * 2
        return outs if self.merge_mode is None else outs[0]

    def compute_mask(self, inputs, mask=None):
        mask = mask[0] if isinstance(mask, list) else mask
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            return outs + [None] * (2 * len(self.forward_layer.state_names))
        return outs if self.merge_mode is None else outs[0]

    def weight_groups(self):
        return [(f"{role}/{sub}", weights) for role, inner in (("forward_layer", self.forward_layer),
                                                              ("backward_layer", self.backward_layer))
                for sub, weights in inner.weight_groups()]

    @property
    def states(self) -> list[Any] | None:
        """The two stateful layers' states (forward, then backward), or None."""
        if self.forward_layer.states and self.backward_layer.states:
            return self.forward_layer.states + self.backward_layer.states
        return None

    def reset_state(self) -> None:
        """Both layers' carried states back to zeros (a stateful layer only)."""
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self) -> None:
        """Keras's older name for :meth:`reset_state`."""
        self.reset_state()

    # -- the passes ---------------------------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        initial_state = kwargs.pop("initial_state", None)
        if initial_state is not None:
            args = ([args[0], *initial_state], *args[1:])
        return super().__call__(*args, **kwargs)

    def forward_masked(self, x: Any, mask: Any, ctx: Context) -> tuple[Any, Any]:
        """y = merge(y_f, flip(y_b)), each direction's layer run on x (and its half of the initial states).

        Args:
            x: the sequences, or [sequences, *initial states].
            mask: which steps count, or None.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        mask = mask[0] if isinstance(mask, list) else mask
        if isinstance(x, (list, tuple)):
            half = (len(x) - 1) // 2
            x_f, x_b = [x[0], *x[1:1 + half]], [x[0], *x[1 + half:]]
        else:
            x_f = x_b = x
        a_f, saved_f = self.forward_layer.forward_masked(x_f, mask, ctx)
        a_b, saved_b = self.backward_layer.forward_masked(x_b, mask, ctx)
        y_f, states_f = (a_f[0], a_f[1:]) if self.return_state else (a_f, [])
        y_b, states_b = (a_b[0], a_b[1:]) if self.return_state else (a_b, [])
        if self.return_sequences:
            y_b = y_b[:, ::-1]  # the backward layer's outputs in the input's order
        if self.merge_mode == "concat":
            out: Any = [np.concatenate([y_f, y_b], axis=-1)]
        elif self.merge_mode == "sum":
            out = [y_f + y_b]
        elif self.merge_mode == "ave":
            out = [(y_f + y_b) / 2]
        elif self.merge_mode == "mul":
            out = [y_f * y_b]
        else:
            out = [y_f, y_b]
        out += [*states_f, *states_b]
        saved = (saved_f, saved_b, y_f, y_b, isinstance(x, (list, tuple)))
        return (out[0] if len(out) == 1 else out), saved

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        saved_f, saved_b, y_f, y_b, listed = saved
        grads = grad_a if isinstance(grad_a, list) else [grad_a]
        n_out = 2 if self.merge_mode is None else 1
        g_out, g_states = grads[:n_out], grads[n_out:]
        g = g_out[0]
        zero = np.zeros_like(y_f)
        if g is None and (self.merge_mode is not None or g_out[1] is None):
            g_f, g_b = None, None
        elif self.merge_mode == "concat":
            g_f, g_b = g[..., :y_f.shape[-1]], g[..., y_f.shape[-1]:]  # the two halves
        elif self.merge_mode == "sum":
            g_f, g_b = g, g
        elif self.merge_mode == "ave":
            g_f = g_b = g / 2
        elif self.merge_mode == "mul":
            g_f, g_b = g * y_b, g * y_f
        else:
            g_f = zero if g_out[0] is None else g_out[0]
            g_b = zero if g_out[1] is None else g_out[1]
        if g_b is not None and self.return_sequences:
            g_b = g_b[:, ::-1]  # back to the order the backward layer computed in
        half = len(g_states) // 2
        grad_f = [g_f, *g_states[:half]] if self.return_state else g_f
        grad_b = [g_b, *g_states[half:]] if self.return_state else g_b
        in_f = self._backward_of(self.forward_layer, saved_f, grad_f, ctx, need_grad_x, y_f)
        in_b = self._backward_of(self.backward_layer, saved_b, grad_b, ctx, need_grad_x, y_b)
        if not need_grad_x:
            return None
        if not listed:
            return in_f + in_b
        return [in_f[0] + in_b[0], *in_f[1:], *in_b[1:]]  # dL/dx from both, then each layer's state gradients

    @staticmethod
    def _backward_of(inner: SequenceLayer, saved: Any, grad: Any, ctx: Context, need_grad_x: bool,
                     y: np.ndarray) -> Any:
        empty = grad is None or (isinstance(grad, list) and all(g is None for g in grad))
        if empty:  # the loss does not reach this direction: zero gradients at its output y
            grad = [np.zeros_like(y), *grad[1:]] if isinstance(grad, list) else np.zeros_like(y)
        return inner.backward(saved, grad, ctx, need_grad_x)

    # -- config ---------------------------------------------------------------------------------------------------
    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": LAYERS.serialize(self.forward_layer), "backward_layer": LAYERS.serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        config = copy.deepcopy(config)
        return cls(**config)


@document_keywords
@LAYERS.register(example={"layer": {"class_name": "Dense", "config": {"units": 2}}})
class TimeDistributed(Layer):
    """a[:, t] = layer(x[:, t]) for every step t: one layer, the same weights, applied to each step in turn.

    Backward runs the layer's backward at each step and sums its weight gradients over the steps:
    dL/dw = sum_t dL/dw at step t; dL/dx[:, t] is the layer's dL/dx at step t.

    Args:
        layer: the layer to apply at every step (a Dense, a Conv2D over frames, ...).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> frames = nnlite.layers.TimeDistributed(nnlite.layers.Dense(3))
        >>> np.shape(frames(np.ones((2, 5, 4))))  # Dense(3) at each of the 5 steps
        (2, 5, 3)
    """

    supports_masking = True
    call_takes_mask = True  # mask= (batch, timesteps, ...): step t's slice goes to an inner layer that reads masks

    def __init__(self, layer: Any, **kwargs: Any) -> None:
        if isinstance(layer, dict):
            layer = LAYERS.deserialize(layer)
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        super().__init__(**kwargs)
        self.layer = layer

    @property
    def activation_is_output(self) -> bool:  # the logits path stops before the inner layer's activation
        return self.layer.activation_is_output

    @property
    def activation(self) -> Any:
        return self.layer.activation

    def _step_shape(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, "
                             f"received: {input_shape}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        step = self._step_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer.path_prefix = f"{self.path_prefix}{self.name}/"
            self.layer.build(step)
            self.layer.built = True
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        out = self.layer.compute_output_shape(self._step_shape(tuple(input_shape)))
        return (out[0], input_shape[1], *out[1:])

    def weight_groups(self):
        return [(f"layer/{sub}" if sub else "layer", weights) for sub, weights in self.layer.weight_groups()]

    def forward_masked(self, x: Any, mask: Any, ctx: Context) -> tuple[Any, Any]:
        """The mask checked as Keras checks it (at least (batch, timesteps), those two as x's), then every step run
        with its slice of the mask (see ``_run``).

        Args:
            x: the batch (batch, timesteps, ...).
            mask: the mask, or None.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        if mask is not None:
            shape = np.shape(mask)
            if len(shape) < 2:
                raise ValueError(f"The `mask` passed to the `TimeDistributed` layer must be at least 2D (e.g., "
                                 f"`(batch_size, timesteps)`), but it has {len(shape)} dimension(s) with shape "
                                 f"{shape}.")
            if tuple(shape[:2]) != tuple(x.shape[:2]):
                raise ValueError(f"The `mask` passed to the `TimeDistributed` layer has a shape {shape} that is "
                                 f"incompatible with the input shape {x.shape}. The first two dimensions of the mask "
                                 "(batch size and timesteps) must match the input's first two dimensions. Expected "
                                 f"mask shape prefix: ({x.shape[0]}, {x.shape[1]}).")
        a, saved = self._run(x, ctx, False, mask)
        return a, (saved, False)

    def _run(self, x: np.ndarray, ctx: Context, at_z: bool, mask: Any = None) -> tuple[np.ndarray, list[Any]]:
        """Each step through the layer; with a mask, step t's mask[:, t] goes to a layer that reads masks (a call of
        one's own taking ``mask``, a recurrent layer), as Keras hands it over."""
        step = self.layer.forward_z if at_z else self.layer.forward
        outs, saved = [], []
        for t in range(x.shape[1]):
            a_t, saved_t = step(x[:, t], ctx) if mask is None else self.layer.forward_masked(x[:, t], mask[:, t], ctx)
            outs.append(a_t)
            saved.append(saved_t)
        return np.stack(outs, axis=1), saved

    def forward(self, x, ctx: Context):
        a, saved = self._run(x, ctx, False)
        return a, (saved, False)

    def forward_z(self, x, ctx: Context):
        z, saved = self._run(x, ctx, True)
        return z, (saved, True)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        steps, at_z = saved
        step = self.layer.backward_z if at_z else self.layer.backward
        weights = self.layer.trainable_weights
        total = [np.zeros_like(w.value) for w in weights]
        grads = []
        for t, saved_t in enumerate(steps):
            grads.append(step(saved_t, grad_a[:, t], ctx, need_grad_x))
            for g, w in zip(total, weights):  # dL/dw summed over the steps
                g += ctx.grad(w)
        for g, w in zip(total, weights):
            ctx.grad(w)[...] = g
        return np.stack(grads, axis=1) if need_grad_x else None

    def backward_z(self, saved, grad_z, ctx, need_grad_x=True):
        return self.backward(saved, grad_z, ctx, need_grad_x)

    def get_config(self):
        return {**super().get_config(), "layer": LAYERS.serialize(self.layer)}

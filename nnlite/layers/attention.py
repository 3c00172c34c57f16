"""MultiHeadAttention: three projections, a softmax over dot products, and one more projection.

For each head h (Keras's shapes: B batch, T query steps, S value steps, N heads):

    Q = query W_q + b_q  (B, T, N, k),   K = key W_k + b_k  (B, S, N, k),   V = value W_v + b_v  (B, S, N, v)
    scores = Q K^T / sqrt(k)  (B, N, T, S),   P = softmax over S of scores (masked entries set to -1e9 first)
    O = P V  (B, T, N, v),   output = O W_o + b_o  (B, T, output_dim), W_o (N, v, output_dim)

and the backward pass is the same products transposed: dP = dO V^T, dV = P^T dO, dScores = P (dP - sum(dP P)),
dQ = dScores K / sqrt(k), dK = dScores^T Q / sqrt(k), then each projection's dW = x^T dQ (K, V) and dx = dQ W^T.

With ``use_gate`` the heads' outputs are gated before the output projection, O * s(query W_g + b_g). Grouped-query
attention projects K and V to fewer heads and repeats each for its group of query heads (see the class).

Inputs of higher rank, (B, inner..., dim), attend over their ``attention_axes`` A: the other inner axes F are more
batch axes and the steps of A are read as one axis of T = prod(A) steps (:class:`StepLayout`), so the equations
above run unchanged on (B prod(F), T, dim); the scores come back as Keras lays them out, (B, F..., N, T_A..., S_A...).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import activations, constraints, initializers, regularizers
from ..variables import Variable
from .base import LAYERS, Context, Layer, MaskReader, document_keywords
from .dot_attention import SOFTMAX, take_call_options
from .node import is_symbolic
from .regularization import check_rate, check_seed, dropout_mask, seed_config, seed_generator

SIGMOID = activations.get("sigmoid")  # the gate's activation
LARGE_NEGATIVE = -1e9  # what a masked score becomes before the softmax (Keras's, for float32 and float64)


def inverse_sqrt(key_dim: int) -> float:
    """1 / sqrt(key_dim) rounded to float32, in any dtype: TensorFlow turns the Python float into a float32 tensor
    before casting it, so Keras's float64 attention multiplies by the rounded value (and so does this one)."""
    return float(np.float32(1.0 / math.sqrt(key_dim)))


def _fresh(initializer: Any) -> Any:
    """A copy of an initializer for each projection (Keras gives each sublayer its own: an unseeded one then draws
    different values for the query and the key kernels)."""
    from_config = getattr(type(initializer), "from_config", None)
    return from_config(initializer.get_config()) if from_config is not None else initializer


def _einsum(equation: str, *operands: np.ndarray) -> np.ndarray:
    return np.einsum(equation, *operands, optimize=True)


def attention_axes_for(given: tuple[int, ...] | None, rank: int) -> tuple[int, ...]:
    """The attention axes of inputs of this rank, as Keras reads them: every axis between the batch and the features
    when ``None``; a negative axis counts from the input's end (-2 is the last before the features)."""
    if given is None:
        return tuple(range(1, rank - 1))
    axes = tuple(int(a) + rank if a < 0 else int(a) for a in given)
    if not axes or len(set(axes)) != len(axes) or any(not 1 <= a <= rank - 2 for a in axes):
        raise ValueError(f"`attention_axes` must name distinct axes between the batch axis and the features of inputs "
                         f"of rank {rank} (1 to {rank - 2}, or -{rank - 1} to -2); got attention_axes={given}.")
    return axes


class StepLayout:
    """An input (B, inner..., *tail) read as rows of steps: its inner axes outside the attention axes A (F) join the
    batch, the steps of A become one axis of T = prod(A): x -> (B prod(F), T, *tail). For (B, T, dim) inputs
    attending over axis 1 nothing moves (a view).

    Args:
        shape: the input's shape, batch axis first, features last.
        axes: the attention axes A, in the order the scores list them.
    """

    def __init__(self, shape: tuple[int, ...], axes: tuple[int, ...]) -> None:
        free = tuple(i for i in range(1, len(shape) - 1) if i not in axes)
        self.order = (0, *free, *axes)  # every axis before the features, batch-like ones first
        self.lead = tuple(shape[i] for i in (0, *free))  # (B, F...)
        self.steps = tuple(shape[i] for i in axes)  # the sizes of A

    def rows(self, x: np.ndarray) -> np.ndarray:
        """x (B, inner..., *tail) as (B prod(F), T, *tail).

        Args:
            x: an array laid out as the input, with any trailing axes.
        """
        k = len(self.order)
        x = x.transpose(*self.order, *range(k, x.ndim))
        return x.reshape(math.prod(self.lead), math.prod(self.steps), *x.shape[k:])

    def unrows(self, y: np.ndarray) -> np.ndarray:
        """y (B prod(F), T, *tail) back as (B, inner..., *tail): the inverse of :meth:`rows`.

        Args:
            y: rows of steps, with any trailing axes.
        """
        k = len(self.order)
        y = y.reshape(*self.lead, *self.steps, *y.shape[2:])
        return y.transpose(*np.argsort(self.order), *range(k, y.ndim))


@document_keywords
@LAYERS.register(example={"num_heads": 2, "key_dim": 3})
class MultiHeadAttention(MaskReader, Layer):
    """output = concat over heads of softmax(Q_h K_h^T / sqrt(key_dim)) V_h, projected back (see the module).

    Called as ``mha(query, value)`` (self-attention: ``mha(x, x)``), with ``key`` (default: value),
    ``attention_mask`` (B, T, S), True where a query step may attend a value step, ``use_causal_mask`` (step t
    attends steps <= t) and ``return_attention_scores`` (also return P, (B, N, T, S)). Masks the inputs carry
    (Embedding(mask_zero=True), Masking) join the attention mask as Keras joins them; the output carries the
    query's mask. Inputs of higher rank attend over ``attention_axes`` (see the module): the mask is then read
    against the scores (B, F..., N, T_A..., S_A...), its leading axes left out or 1 where they broadcast.

    Args:
        num_heads: N, the number of attention heads.
        key_dim: k, the size of each head's query and key.
        value_dim: v, the size of each head's value; ``None`` for key_dim.
        dropout: the fraction of attention probabilities dropped while training.
        use_bias: whether the four projections have biases.
        output_shape: the output's sizes after the query's inner axes (an int or a tuple: W_o's shape is
            (N, v) + output_shape); ``None`` for the query's last size.
        attention_axes: the inner axes attention runs over (an int or a tuple; negative ones count from the
            end); ``None`` for every axis between batch and features. The other inner axes are batch axes.
        sliding_window: w: step t attends only steps within w - 1 of it; ``None`` for all.
        flash_attention: Keras's choice of a fused kernel; accepted, the products are the same here.
        kernel_initializer: how the four kernels start.
        bias_initializer: how the four biases start.
        kernel_regularizer: a penalty on each kernel added to the loss.
        bias_regularizer: a penalty on each bias added to the loss.
        activity_regularizer: a penalty on the output, divided by the batch size, added to the loss.
        kernel_constraint: a projection applied to each kernel after each optimizer step.
        bias_constraint: a projection applied to each bias after each optimizer step.
        use_gate: gate the heads' outputs by s(query W_g + b_g) (sigmoid, per head and size) before the output
            projection; the gate's gradient flows back to its kernel and the query.
        seed: the start of the layer's ``seed_generator`` (an int, for reproducible dropout; None: drawn from nnlite's
            generator), or a NumPy Generator to draw from.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> mha = nnlite.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = np.ones((3, 5, 8))  # 3 sequences of 5 steps
        >>> out, scores = mha(x, x, return_attention_scores=True)
        >>> np.shape(out), np.shape(scores)
        ((3, 5, 8), (3, 2, 5, 5))
    """

    supports_masking = True
    takes_list = True  # [query, value, (key), (attention_mask)]: see call_options
    file_keywords = ("key", "attention_mask", "use_causal_mask", "return_attention_scores")

    def file_call(self, inputs):
        query, value, key, mask = self._parts(list(inputs))
        options = self.call_options
        kwargs = {"key": key} if options["key"] else {}
        if options["attention_mask"]:
            kwargs["attention_mask"] = mask
        kwargs.update({k: True for k in ("use_causal_mask", "return_attention_scores") if options[k]})
        return [query, value], kwargs

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None, dropout: float = 0.0,
                 use_bias: bool = True, output_shape: Any = None, attention_axes: Any = None,
                 sliding_window: int | None = None, flash_attention: bool | None = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, use_gate: bool = False, seed: Any = None,
                 **kwargs: Any) -> None:
        for name, value, optional in (("num_heads", num_heads, False), ("key_dim", key_dim, False),
                                      ("value_dim", value_dim, True)):
            if optional and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                expected = "a positive integer or `None`" if optional else "a positive integer"
                raise ValueError(f"Received an invalid value for argument `{name}`, expected {expected}. Received: "
                                 f"{name}={value}")
        if isinstance(output_shape, numbers.Integral) and not isinstance(output_shape, bool):
            output_shape = (output_shape,)
        if output_shape is not None and not (isinstance(output_shape, (tuple, list)) and all(
                isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in output_shape)):
            raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the `output_shape` should be of "
                             f"type tuple, list, or int: the output's sizes after the query's inner axes, positive "
                             f"integers.")
        if isinstance(attention_axes, numbers.Integral) and not isinstance(attention_axes, bool):
            attention_axes = (attention_axes,)
        if attention_axes is not None and not (isinstance(attention_axes, (list, tuple)) and all(
                isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in attention_axes)):
            raise ValueError(f"`attention_axes` must be an int, list, or tuple.Received: "
                             f"attention_axes={attention_axes}")
        if sliding_window is not None and (isinstance(sliding_window, bool) or not isinstance(
                sliding_window, numbers.Integral) or sliding_window <= 0):
            raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: "
                             f"sliding_window={sliding_window}")
        dropout = check_rate(dropout, "dropout")
        if flash_attention and dropout > 0.0:
            raise ValueError("Dropout is not supported when flash attention is enabled. Please set dropout to 0.0 "
                             "to use flash attention.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout, self.use_bias = dropout, bool(use_bias)
        self.output_shape_setting = tuple(int(d) for d in output_shape) if output_shape else None
        self.attention_axes = tuple(int(a) for a in attention_axes) if attention_axes is not None else None
        self.sliding_window, self.flash_attention = sliding_window, flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.use_gate, self.seed = bool(use_gate), check_seed(seed)
        self.seed_generator = seed_generator(seed) if self.dropout > 0 else None  # (Keras's Dropout inside)
        self.kv_heads = self.num_heads  # the heads of the keys and values (fewer in GroupedQueryAttention)
        self.projections: dict[str, tuple[Variable, Variable | None]] = {}
        # what the list a graph calls the layer on holds, and the call's settings (one per layer in a graph)
        self.call_options = {"key": False, "attention_mask": False, "use_causal_mask": False,
                             "return_attention_scores": False}

    # -- the call -------------------------------------------------------------------------------------------------
    def __call__(self, query: Any, value: Any = None, key: Any = None, query_mask: Any = None, value_mask: Any = None,
                 key_mask: Any = None, attention_mask: Any = None, return_attention_scores: bool = False,
                 training: bool | None = None, use_causal_mask: bool = False) -> Any:
        """The attention of ``query`` (B, T, dim) over ``value`` (B, S, dim) (see the class)."""
        if value is None:
            raise ValueError(f"{type(self).__name__} {self.name!r} needs a query and a value (mha(x, x) for "
                             "self-attention).")
        options = {"key": key is not None, "attention_mask": attention_mask is not None,
                   "use_causal_mask": bool(use_causal_mask), "return_attention_scores": bool(return_attention_scores)}
        inputs = [query, value] + ([key] if key is not None else []) + (
            [attention_mask] if attention_mask is not None else [])
        symbolic = any(is_symbolic(t) for t in inputs)
        take_call_options(self, options, symbolic)
        if symbolic:
            return super().__call__(inputs)
        values = [np.asarray(t) for t in inputs]
        floats = [v.astype(self.compute_dtype, copy=False) for v in values[:2 + options["key"]]]
        values = floats + values[len(floats):]
        if not self.built:
            self.build([(None,) + v.shape[1:] for v in values])
        masks = [query_mask, value_mask, key_mask]
        masks = None if all(m is None for m in masks) else masks
        out = self.forward_masked(values, masks, Context(training=bool(training)))[0]
        return tuple(out) if isinstance(out, list) else out  # (output, scores) as Keras returns them

    def _parts(self, x: list[Any]) -> tuple[Any, Any, Any, Any]:
        """(query, value, key, attention_mask) from the list the layer is called on."""
        options = self.call_options
        key = x[2] if options["key"] else x[1]
        mask = x[-1] if options["attention_mask"] else None
        return x[0], x[1], key, mask

    # -- shapes ---------------------------------------------------------------------------------------------------
    def _check_shapes(self, query_shape: Any, value_shape: Any, key_shape: Any) -> tuple[int, ...]:
        """Keras's checks of the three shapes, then nnlite's: one rank of 3 or more, and the batch and the inner axes
        outside the attention axes alike in the query and the key (they pair up); returns the attention axes."""
        query_shape, value_shape, key_shape = tuple(query_shape), tuple(value_shape), tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        rank = len(query_shape)
        if rank < 3 or len(value_shape) != rank:
            raise ValueError(f"{type(self).__name__} {self.name!r} takes a query, value and key of one rank, 3 or more "
                             f"(batch, inner axes, features); got query_shape={query_shape}, "
                             f"value_shape={value_shape}, key_shape={key_shape}.")
        axes = attention_axes_for(self.attention_axes, rank)
        lead = [i for i in range(rank - 1) if i not in axes]  # the batch and the free inner axes
        if any(None not in (query_shape[i], other[i]) and query_shape[i] != other[i]
               for other in (key_shape, value_shape) for i in lead):
            raise ValueError(f"{type(self).__name__} {self.name!r} pairs each query with the key of its batch and "
                             f"non-attention axes {tuple(lead)} (attention_axes={axes}), so their sizes must be "
                             f"equal; got query_shape={query_shape} and key_shape={key_shape}.")
        return axes

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the projections for these shapes: Keras's ``build(query_shape, value_shape, key_shape=None)``,
        or one list of the call's shapes ([query, value(, key)(, mask)]) as the layer's call builds it.

        Args:
            query_shape: the query's shape, batch axis first (or the list of the call's shapes).
            value_shape: the value's shape.
            key_shape: the key's shape (None: the value is the key).
        """
        if value_shape is not None:
            self.build_from_config({"shapes_dict": {"query_shape": query_shape, "value_shape": value_shape,
                                                    "key_shape": key_shape}})
            return
        input_shape = query_shape
        query_shape, value_shape, key_shape, _ = self._parts(list(input_shape))
        self.attention_axes = self._check_shapes(query_shape, value_shape, key_shape)  # Keras keeps them so
        if any(shape[-1] is None for shape in (query_shape, value_shape, key_shape)):
            raise ValueError(f"{type(self).__name__} {self.name!r} needs inputs with a known number of features; got "
                             f"shapes {list(input_shape)}.")
        n, k, v, kv = self.num_heads, self.key_dim, self.value_dim, self.kv_heads
        out = self.output_shape_setting or (query_shape[-1],)
        gate = [("gate", (query_shape[-1], n, v), (n, v))] if self.use_gate else []
        for name, kernel_shape, bias_shape in (("query", (query_shape[-1], n, k), (n, k)),
                                               ("key", (key_shape[-1], kv, k), (kv, k)), *gate,
                                               ("value", (value_shape[-1], kv, v), (kv, v)),
                                               ("attention_output", (n, v, *out), out)):
            kernel = self.add_weight(kernel_shape, _fresh(self.kernel_initializer), name=f"{name}_kernel",
                                     regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
            bias = self.add_weight(bias_shape, _fresh(self.bias_initializer), name=f"{name}_bias",
                                   regularizer=self.bias_regularizer,
                                   constraint=self.bias_constraint) if self.use_bias else None
            self.projections[name] = (kernel, bias)
        self.input_shape, self.built = [tuple(s) for s in input_shape], True

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        """The output's shape: Keras's ``compute_output_shape(query_shape, value_shape, key_shape=None)`` gives the
        attention output's; one list of the call's shapes gives every output's (the scores' too, when returned).

        Args:
            query_shape: the query's shape, batch axis first (or the list of the call's shapes).
            value_shape: the value's shape.
            key_shape: the key's shape (None: the value's).
        """
        if value_shape is not None:
            key_shape = value_shape if key_shape is None else key_shape
            self._check_shapes(query_shape, value_shape, key_shape)
            return tuple(query_shape)[:-1] + (self.output_shape_setting or tuple(query_shape)[-1:])
        query_shape, value_shape, key_shape, _ = self._parts(list(query_shape))
        axes = self._check_shapes(query_shape, value_shape, key_shape)
        out = (*query_shape[:-1], *(self.output_shape_setting or query_shape[-1:]))
        if self.call_options["return_attention_scores"]:  # (B, F..., N, T_A..., S_A...)
            queries, keys = StepLayout(query_shape, axes), StepLayout(key_shape, axes)
            return [out, (*queries.lead, self.num_heads, *queries.steps, *keys.steps)]
        return out

    def compute_mask(self, inputs, mask=None):
        query_mask = mask[0] if isinstance(mask, list) else mask
        return [query_mask, None] if self.call_options["return_attention_scores"] else query_mask

    def _own_variables(self):
        """The projections' weights with the dropout's seed state between the value's and the output's, where
        Keras's Dropout sublayer (built before the output projection) puts it."""
        weights = self._created_weights()
        if self.seed_generator is None:
            return weights
        output = self.projections.get("attention_output", (None,))[0]
        at = next((i for i, w in enumerate(weights) if w is output), len(weights))
        return weights[:at] + [self.seed_generator.state] + weights[at:]

    def weight_groups(self):
        files = {"attention_output": "output"}  # Keras's attribute is _output_dense
        return [(f"{files.get(name, name)}_dense", [w for w in pair if w is not None])
                for name, pair in self.projections.items()]

    def get_build_config(self):
        if self.input_shape is None:
            return None
        query_shape, value_shape, key_shape, _ = self._parts(list(self.input_shape))
        return {"shapes_dict": {"query_shape": list(query_shape), "value_shape": list(value_shape),
                                "key_shape": list(key_shape) if self.call_options["key"] else None}}

    def build_from_config(self, config):
        shapes = (config or {}).get("shapes_dict")
        if not isinstance(shapes, dict) or "query_shape" not in shapes:
            return
        listed = [tuple(shapes["query_shape"]), tuple(shapes["value_shape"])]
        if shapes.get("key_shape") is not None:
            self.call_options = {**self.call_options, "key": True}
            listed.append(tuple(shapes["key_shape"]))
        self.build(listed)

    # -- the passes -----------------------------------------------------------------------------------------------
    def _project(self, name: str, x: np.ndarray) -> np.ndarray:
        kernel, bias = self.projections[name]
        y = _einsum("btd,dhk->bthk", x, kernel.value)  # x W, (B, steps, N, size)
        return y + bias.value if bias is not None else y

    def _mask_rows(self, given: Any, queries: StepLayout, keys: StepLayout) -> np.ndarray:
        """A given attention mask as rows (B prod(F), 1 or N, T, S). Keras reads it against the scores
        (B, F..., N, T_A..., S_A...): its last 2|A| axes are the steps, its first ones the batch axes from the left,
        and the axes it lacks are inserted just before the steps ((B, T, S) -> (B, 1, T, S), (T, S) -> (1, 1, T, S))."""
        m = np.asarray(given).astype(bool)
        steps, rank = 2 * len(queries.steps), len(queries.lead) + 1 + 2 * len(queries.steps)
        scores = (*queries.lead, self.num_heads, *queries.steps, *keys.steps)
        if steps <= m.ndim <= rank:
            m = m.reshape(m.shape[:m.ndim - steps] + (1,) * (rank - m.ndim) + m.shape[m.ndim - steps:])
            heads = m.shape[len(queries.lead)]
            if heads in (1, self.num_heads) and all(a in (1, b) for a, b in zip(m.shape, scores)):
                m = np.broadcast_to(m, (*queries.lead, heads, *queries.steps, *keys.steps))
                return m.reshape(-1, heads, math.prod(queries.steps), math.prod(keys.steps))
        raise ValueError(f"{type(self).__name__} {self.name!r} reads `attention_mask` against its scores of shape "
                         f"{scores} (batch, non-attention axes, heads, query steps, key steps; leading axes may be "
                         f"left out or 1); got attention_mask of shape {np.shape(given)}.")

    def _allowed(self, queries: StepLayout, keys: StepLayout, attention_mask: Any,
                 masks: Any) -> np.ndarray | None:
        """Which (query step, key step) pairs may attend: the given mask, the inputs' masks, causal and sliding
        window, joined by "and" (Keras's _compute_attention_mask); rows (B prod(F), 1 or N, T, S), or None for all."""
        t, s = math.prod(queries.steps), math.prod(keys.steps)
        parts = [] if attention_mask is None else [self._mask_rows(attention_mask, queries, keys)]
        if masks is not None:
            query_mask, value_mask = masks[0], masks[1]
            key_mask = masks[2] if len(masks) > 2 and self.call_options["key"] else None
            if query_mask is not None:  # a masked query step attends nothing
                parts.append(queries.rows(np.asarray(query_mask, bool)[..., None]).reshape(-1, 1, t, 1))
            for m in (value_mask, key_mask):  # a masked key step is attended by none
                if m is not None:
                    parts.append(keys.rows(np.asarray(m, bool)[..., None]).reshape(-1, 1, 1, s))
        if self.call_options["use_causal_mask"]:
            parts.append(np.tril(np.ones((t, s), bool))[None, None])  # step t sees steps <= t
        if self.sliding_window is not None:
            steps = np.arange(t)[:, None] - np.arange(s)[None, :]
            parts.append((np.abs(steps) < self.sliding_window)[None, None])
        if not parts:
            return None
        allowed = np.logical_and.reduce(np.broadcast_arrays(*parts))
        return np.broadcast_to(allowed, (math.prod(queries.lead), allowed.shape[1], t, s))

    def forward_masked(self, x: Any, mask: Any, ctx: Context) -> tuple[Any, Any]:
        """The equations of the module, from [query, value, (key), (attention_mask)] and the inputs' masks.

        Args:
            x: the list the layer is called on.
            mask: the inputs' masks (a list), or None.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        query, value, key, attention_mask = self._parts(list(x))
        axes = self._check_shapes(query.shape, value.shape, key.shape)
        for name, given in (("query", query), ("key", key), ("value", value)):
            features = self.projections[name][0].shape[0]
            if given.shape[-1] != features:
                raise ValueError(f"{type(self).__name__} {self.name!r} was built for {name} inputs of {features} "
                                 f"features; got shape {given.shape}.")
        if len(axes) > 1 and (self.call_options["use_causal_mask"] or self.sliding_window is not None):
            raise ValueError(f"{type(self).__name__} {self.name!r} orders the steps of one attention axis only; "
                             f"`use_causal_mask` and `sliding_window` need one, got attention_axes={axes}.")
        rank, queries, keys = query.ndim, StepLayout(query.shape, axes), StepLayout(key.shape, axes)
        allowed = self._allowed(queries, keys, attention_mask, mask)
        query, key, value = queries.rows(query), keys.rows(key), keys.rows(value)  # (B prod(F), T or S, dim)
        q = self._project("query", query) * query.dtype.type(inverse_sqrt(self.key_dim))  # Q / sqrt(k), (B, T, N, k)
        k = self.repeat_heads(self._project("key", key))  # (B, S, N, k)
        v = self.repeat_heads(self._project("value", value))  # (B, S, N, v)
        scores = _einsum("bshk,bthk->bhts", k, q)  # (B, N, T, S)
        if allowed is not None:
            scores = np.where(allowed, scores, query.dtype.type(LARGE_NEGATIVE))
        p = SOFTMAX.forward(scores)  # P = softmax over the value steps
        zeroed = None  # Keras's masked softmax zeroes the masked entries where it forms P itself (with dropout,
        fused = self.dropout == 0 and not self.call_options["return_attention_scores"] and rank == 3  # scores, or
        if allowed is not None and not fused:  # inputs of another rank than 3; else its fused kernel runs)
            zeroed = allowed  # a step with nothing to attend then attends nothing (fused: attends all alike)
            p = np.where(zeroed, p, 0.0)
        drop = dropout_mask(ctx, self.seed_generator, self.dropout, p.shape, p.dtype)
        o = _einsum("bhts,bshv->bthv", p if drop is None else p * drop, v)  # O = P V, (B, T, N, v)
        gate = SIGMOID.forward(self._project("gate", query)) if self.use_gate else None  # s(query W_g + b_g)
        kernel, bias = self.projections["attention_output"]
        w_o = kernel.value.reshape(*kernel.shape[:2], -1)  # (N, v, prod(output_shape))
        out = _einsum("bthv,hvo->bto", o if gate is None else o * gate, w_o)  # O W_o (O * gate W_o)
        if bias is not None:
            out = out + bias.value.reshape(-1)
        out = queries.unrows(out.reshape(*out.shape[:2], *kernel.shape[2:]))  # (B, inner..., *output_shape)
        saved = (queries, keys, query, value, key, q, k, v, p, drop, o, attention_mask, allowed, zeroed, gate)
        if self.call_options["return_attention_scores"]:  # P as Keras lays it out, (B, F..., N, T_A..., S_A...)
            return [out, p.reshape(*queries.lead, self.num_heads, *queries.steps, *keys.steps)], saved
        return out, saved

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        queries, keys, query, value, key, q, k, v, p, drop, o, attention_mask, allowed, zeroed, gate = saved
        grads = grad_a if isinstance(grad_a, list) else [grad_a, None]
        g_out, g_p_returned = grads[0], grads[1] if len(grads) > 1 else None
        kernel, bias = self.projections["attention_output"]
        w_o = kernel.value.reshape(*kernel.shape[:2], -1)  # (N, v, O), O = prod(output_shape)
        if g_out is None:
            g_out = np.zeros(o.shape[:2] + w_o.shape[-1:], o.dtype)
        else:
            g_out = queries.rows(g_out).reshape(*o.shape[:2], -1)  # G as rows, (B, T, O)
        ctx.grad(kernel)[...] = _einsum("bthv,bto->hvo", o if gate is None else o * gate,
                                        g_out).reshape(kernel.shape)  # dW_o = O^T G
        if bias is not None:
            ctx.grad(bias)[...] = g_out.sum(axis=(0, 1)).reshape(bias.shape)
        g_o = _einsum("bto,hvo->bthv", g_out, w_o)  # dO = G W_o^T
        if gate is not None:  # through O * gate: dgate = dO O, then dZ_g = s'(Z_g) dgate; dO = dO gate
            g_gate = SIGMOID.backward(None, gate, g_o * o)
            g_o = g_o * gate
        p_used = p if drop is None else p * drop
        g_v = _einsum("bhts,bthv->bshv", p_used, g_o)  # dV = P^T dO
        g_p = _einsum("bthv,bshv->bhts", g_o, v)  # dP = dO V^T
        if drop is not None:
            g_p = g_p * drop
        if g_p_returned is not None:
            g_p = g_p + np.reshape(g_p_returned, p.shape)
        if zeroed is not None:
            g_p = np.where(zeroed, g_p, 0.0)
        g_scores = SOFTMAX.backward(None, p, g_p)  # through the softmax: P (dP - sum(dP P))
        if allowed is not None:  # a masked score is a constant (in a wholly masked row too, where P is not 0)
            g_scores = np.where(allowed, g_scores, 0.0)
        scale = q.dtype.type(inverse_sqrt(self.key_dim))
        g_q = _einsum("bhts,bshk->bthk", g_scores, k) * scale  # dQ = dScores K / sqrt(k)
        g_k = _einsum("bhts,bthk->bshk", g_scores, q)  # dK = dScores^T (Q / sqrt(k))
        g_k, g_v = self.fold_heads(g_k), self.fold_heads(g_v)  # back to the key/value heads
        g_x = {}
        gated = [("gate", query, g_gate)] if gate is not None else []
        for name, x, g in (("query", query, g_q), ("key", key, g_k), *gated, ("value", value, g_v)):
            w, b = self.projections[name]
            ctx.grad(w)[...] = _einsum("btd,bthk->dhk", x, g)  # dW = x^T dY
            if b is not None:
                ctx.grad(b)[...] = g.sum(axis=(0, 1))
            g_x[name] = _einsum("bthk,dhk->btd", g, w.value) if need_grad_x else None  # dx = dY W^T
        if not need_grad_x:
            return None
        if gate is not None:  # the query feeds the gate too
            g_x["query"] = g_x["query"] + g_x["gate"]
        g_query, g_value, g_key = queries.unrows(g_x["query"]), keys.unrows(g_x["value"]), keys.unrows(g_x["key"])
        if self.call_options["key"]:
            out = [g_query, g_value, g_key]
        else:  # the value is the key too: both paths reach it
            out = [g_query, g_value + g_key]
        if self.call_options["attention_mask"]:  # a mask is not differentiated: zeros
            out.append(np.zeros(np.shape(attention_mask), query.dtype))
        return out

    def repeat_heads(self, y: np.ndarray) -> np.ndarray:
        """The key or value projection (B, S, heads, size) as the N query heads read it: itself here."""
        return y

    def fold_heads(self, g: np.ndarray) -> np.ndarray:
        """The gradient at the N heads (B, S, N, size) back at the projection's heads: itself here."""
        return g

    grad_equations = {"attention_output_kernel": "O^T G", "query_kernel": "query^T dQ",
                      "key_kernel": "key^T dK", "value_kernel": "value^T (P^T dO)"}

    # -- config ---------------------------------------------------------------------------------------------------
    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "output_shape": self.output_shape_setting, "attention_axes": self.attention_axes,
                "sliding_window": self.sliding_window, "use_gate": self.use_gate,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint), "seed": seed_config(self.seed)}


@document_keywords
@LAYERS.register("GroupedQueryAttention", name="GroupQueryAttention",
                 example={"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2})
class GroupedQueryAttention(MultiHeadAttention):
    """MultiHeadAttention whose num_query_heads query heads share num_key_value_heads key and value heads: query
    head u reads key/value head u // r, r = num_query_heads / num_key_value_heads (r = 1: multi-head attention;
    one key/value head: multi-query attention).

    K and V are projected to the fewer heads and repeated r times along the heads before the scores; backward sums
    each repeated head's dK and dV back onto the head it was copied from. The output has the query's width.

    Args:
        head_dim: the size of each head (queries, keys and values alike).
        num_query_heads: the query heads.
        num_key_value_heads: the key/value heads; must divide num_query_heads.
        dropout: the fraction of attention probabilities dropped while training.
        use_bias: whether the projections have biases.
        sliding_window: attend only value steps within this distance of the query step (None: all).
        flash_attention: Keras's choice of a fused kernel; only None or False here.
        kernel_initializer: how the projection kernels start (each its own copy).
        bias_initializer: how the biases start.
        kernel_regularizer: a penalty on each kernel added to the loss.
        bias_regularizer: a penalty on each bias added to the loss.
        activity_regularizer: a penalty on the output added to the loss.
        kernel_constraint: a projection applied to each kernel after each optimizer step.
        bias_constraint: a projection applied to each bias after each optimizer step.
        use_gate: gate the heads' outputs by s(query W_g + b_g) before the output projection.
        seed: the start of the layer's ``seed_generator`` (an int, for reproducible dropout; None: drawn from nnlite's
            generator), or a NumPy Generator to draw from.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> gqa = nnlite.layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
        >>> x = np.ones((1, 3, 8))
        >>> gqa(x, x).shape, [w.shape for w in gqa.weights][:3:2]  # query kernel: 4 heads; key kernel: 2
        ((1, 3, 8), [(8, 4, 2), (8, 2, 2)])
    """

    def __init__(self, head_dim: int, num_query_heads: int, num_key_value_heads: int, dropout: float = 0.0,
                 use_bias: bool = True, sliding_window: int | None = None, flash_attention: bool | None = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, use_gate: bool = False, seed: Any = None,
                 **kwargs: Any) -> None:
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        if flash_attention:
            raise ValueError("Flash attention is not supported in tensorflow backend.")
        super().__init__(num_query_heads, head_dim, head_dim, dropout, use_bias, None, None, sliding_window,
                         flash_attention, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, use_gate, seed, **kwargs)
        self.head_dim, self.num_query_heads = int(head_dim), int(num_query_heads)
        self.num_key_value_heads = self.kv_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        """The output's shape, as MultiHeadAttention's; in Keras's form the query and the value must have the same
        last size (Keras's check).

        Args:
            query_shape: the query's shape, batch axis first (or the list of the call's shapes).
            value_shape: the value's shape.
            key_shape: the key's shape (None: the value's).
        """
        if value_shape is not None and query_shape[-1] != value_shape[-1]:
            raise ValueError(f"The last dimension of `query_shape` and `value_shape` must be equal, but are "
                             f"{query_shape[-1]}, {value_shape[-1]}. Received: query_shape={query_shape}, "
                             f"value_shape={value_shape}")
        return super().compute_output_shape(query_shape, value_shape, key_shape)

    def repeat_heads(self, y):
        return np.repeat(y, self.num_repeats, axis=2)  # (B, S, kv heads, h) -> (B, S, query heads, h)

    def weight_groups(self):
        return [(f"_{where}", weights) for where, weights in super().weight_groups()]  # Keras's _query_dense, ...

    def fold_heads(self, g):
        b, s, _, h = g.shape
        return g.reshape(b, s, self.num_key_value_heads, self.num_repeats, h).sum(axis=3)  # each copy's share

    def get_config(self):
        config = super().get_config()
        for key in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"):
            config.pop(key)
        return {**config, "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, "seed": self.seed}

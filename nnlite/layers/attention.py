"""MultiHeadAttention: three projections, a softmax over dot products, and one more projection.

For each head h (Keras's shapes: B batch, T query steps, S value steps, N heads):

    Q = query W_q + b_q  (B, T, N, k),   K = key W_k + b_k  (B, S, N, k),   V = value W_v + b_v  (B, S, N, v)
    scores = Q K^T / sqrt(k)  (B, N, T, S),   P = softmax over S of scores (masked entries set to -1e9 first)
    O = P V  (B, T, N, v),   output = O W_o + b_o  (B, T, output_dim), W_o (N, v, output_dim)

and the backward pass is the same products transposed: dP = dO V^T, dV = P^T dO, dScores = P (dP - sum(dP P)),
dQ = dScores K / sqrt(k), dK = dScores^T Q / sqrt(k), then each projection's dW = x^T dQ (K, V) and dx = dQ W^T.

With ``use_gate`` the heads' outputs are gated before the output projection, O * s(query W_g + b_g). Grouped-query
attention projects K and V to fewer heads and repeats each for its group of query heads (see the class).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import activations, constraints, initializers, regularizers
from ..variables import Variable
from .base import LAYERS, Context, Layer, MaskReader, document_keywords
from .dot_attention import SOFTMAX, check_attention_shapes, take_call_options
from .node import is_symbolic
from .regularization import check_rate, dropout_mask, generator, seed_config

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


@document_keywords
@LAYERS.register(example={"num_heads": 2, "key_dim": 3})
class MultiHeadAttention(MaskReader, Layer):
    """output = concat over heads of softmax(Q_h K_h^T / sqrt(key_dim)) V_h, projected back (see the module).

    Called as ``mha(query, value)`` (self-attention: ``mha(x, x)``), with ``key`` (default: value),
    ``attention_mask`` (B, T, S), True where a query step may attend a value step, ``use_causal_mask`` (step t
    attends steps <= t) and ``return_attention_scores`` (also return P, (B, N, T, S)). Masks the inputs carry
    (Embedding(mask_zero=True), Masking) join the attention mask as Keras joins them; the output carries the
    query's mask.

    Args:
        num_heads: N, the number of attention heads.
        key_dim: k, the size of each head's query and key.
        value_dim: v, the size of each head's value; ``None`` for key_dim.
        dropout: the fraction of attention probabilities dropped while training.
        use_bias: whether the four projections have biases.
        output_shape: the output's last size; ``None`` for the query's.
        attention_axes: the axes attention runs over; only ``None`` (the steps of (B, T, dim) inputs) here.
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
        seed: an int or a NumPy Generator for reproducible dropout.
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
        if isinstance(output_shape, numbers.Integral):
            output_shape = (int(output_shape),)
        if output_shape is not None and (not isinstance(output_shape, (tuple, list)) or len(output_shape) != 1):
            raise ValueError(f"nnlite's MultiHeadAttention takes one output size (an int or a tuple of one); got "
                             f"output_shape={output_shape!r}.")
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        if attention_axes is not None and tuple(attention_axes) not in ((1,), (-2,)):
            raise ValueError(f"nnlite's MultiHeadAttention attends over the steps of (batch, steps, features) "
                             f"inputs (attention_axes=None); got attention_axes={attention_axes!r}.")
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
        self.output_shape_setting = tuple(output_shape) if output_shape is not None else None
        self.attention_axes = tuple(attention_axes) if attention_axes is not None else None
        self.sliding_window, self.flash_attention = sliding_window, flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.use_gate, self.seed, self.rng = bool(use_gate), seed, generator(seed)
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
        return list(out) if isinstance(out, list) else out

    def _parts(self, x: list[Any]) -> tuple[Any, Any, Any, Any]:
        """(query, value, key, attention_mask) from the list the layer is called on."""
        options = self.call_options
        key = x[2] if options["key"] else x[1]
        mask = x[-1] if options["attention_mask"] else None
        return x[0], x[1], key, mask

    # -- shapes ---------------------------------------------------------------------------------------------------
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
        for shape in (query_shape, value_shape, key_shape):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(f"{type(self).__name__} {self.name!r} takes (batch, steps, features) inputs with a "
                                 f"known number of features; got shapes {list(input_shape)}.")
        n, k, v, kv = self.num_heads, self.key_dim, self.value_dim, self.kv_heads
        out = self.output_shape_setting[0] if self.output_shape_setting else query_shape[-1]
        gate = [("gate", (query_shape[-1], n, v), (n, v))] if self.use_gate else []
        for name, kernel_shape, bias_shape in (("query", (query_shape[-1], n, k), (n, k)),
                                               ("key", (key_shape[-1], kv, k), (kv, k)), *gate,
                                               ("value", (value_shape[-1], kv, v), (kv, v)),
                                               ("attention_output", (n, v, out), (out,))):
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
            value_shape = tuple(value_shape)
            key_shape = value_shape if key_shape is None else tuple(key_shape)
            if value_shape[1:-1] != key_shape[1:-1]:
                raise ValueError(f"All dimensions of `value` and `key`, except the last one, must be equal. "
                                 f"Received: value_shape={value_shape} and key_shape={key_shape}")
            query_shape = tuple(query_shape)
            return query_shape[:-1] + (tuple(self.output_shape_setting) if self.output_shape_setting else
                                       query_shape[-1:])
        query_shape, value_shape, _, _ = self._parts(list(query_shape))
        out = (*query_shape[:-1], self.output_shape_setting[0] if self.output_shape_setting else query_shape[-1])
        if self.call_options["return_attention_scores"]:
            return [out, (query_shape[0], self.num_heads, query_shape[1], value_shape[1])]
        return out

    def compute_mask(self, inputs, mask=None):
        query_mask = mask[0] if isinstance(mask, list) else mask
        return [query_mask, None] if self.call_options["return_attention_scores"] else query_mask

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

    def _allowed(self, query: np.ndarray, value: np.ndarray, attention_mask: Any, masks: Any) -> np.ndarray | None:
        """Which (query step, value step) pairs may attend: the given mask, the inputs' masks, causal and sliding
        window, joined by "and" (Keras's _compute_attention_mask); (B, T, S), or None for all."""
        t, s = query.shape[1], value.shape[1]
        allowed = None if attention_mask is None else np.asarray(attention_mask).astype(bool)

        def join(m: np.ndarray) -> None:
            nonlocal allowed
            allowed = m if allowed is None else allowed & m
        if masks is not None:
            query_mask, value_mask = masks[0], masks[1]
            key_mask = masks[2] if len(masks) > 2 and self.call_options["key"] else None
            if query_mask is not None:
                join(np.asarray(query_mask, bool)[:, :, None])
            for m in (value_mask, key_mask):
                if m is not None:
                    join(np.asarray(m, bool)[:, None, :])
        if self.call_options["use_causal_mask"]:
            join(np.tril(np.ones((t, s), bool))[None])  # step t sees steps <= t
        if self.sliding_window is not None:
            steps = np.arange(t)[:, None] - np.arange(s)[None, :]
            join((np.abs(steps) < self.sliding_window)[None])
        return None if allowed is None else np.broadcast_to(allowed, (query.shape[0], t, s))

    def forward_masked(self, x: Any, mask: Any, ctx: Context) -> tuple[Any, Any]:
        """The equations of the module, from [query, value, (key), (attention_mask)] and the inputs' masks.

        Args:
            x: the list the layer is called on.
            mask: the inputs' masks (a list), or None.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        query, value, key, attention_mask = self._parts(list(x))
        check_attention_shapes(self, query, value, key, same_width=False)
        for name, given in (("query", query), ("key", key), ("value", value)):
            features = self.projections[name][0].shape[0]
            if given.shape[-1] != features:
                raise ValueError(f"{type(self).__name__} {self.name!r} was built for {name} inputs of {features} "
                                 f"features; got shape {given.shape}.")
        q = self._project("query", query) * query.dtype.type(inverse_sqrt(self.key_dim))  # Q / sqrt(k), (B, T, N, k)
        k = self.repeat_heads(self._project("key", key))  # (B, S, N, k)
        v = self.repeat_heads(self._project("value", value))  # (B, S, N, v)
        scores = _einsum("bshk,bthk->bhts", k, q)  # (B, N, T, S)
        allowed = self._allowed(query, value, attention_mask, mask)
        if allowed is not None:
            scores = np.where(allowed[:, None], scores, query.dtype.type(LARGE_NEGATIVE))
        p = SOFTMAX.forward(scores)  # P = softmax over the value steps
        zeroed = None  # Keras's masked softmax zeroes the masked entries where it forms P itself: with dropout or
        if allowed is not None and (self.dropout > 0 or self.call_options["return_attention_scores"]):  # scores
            zeroed = allowed[:, None]  # a step with nothing to attend then attends nothing (else: all alike)
            p = np.where(zeroed, p, 0.0)
        drop = dropout_mask(ctx, self.rng, self.dropout, p.shape, p.dtype)
        o = _einsum("bhts,bshv->bthv", p if drop is None else p * drop, v)  # O = P V, (B, T, N, v)
        gate = SIGMOID.forward(self._project("gate", query)) if self.use_gate else None  # s(query W_g + b_g)
        kernel, bias = self.projections["attention_output"]
        out = _einsum("bthv,hvo->bto", o if gate is None else o * gate, kernel.value)  # O W_o (O * gate W_o)
        if bias is not None:
            out = out + bias.value
        saved = (query, value, key, q, k, v, p, drop, o, attention_mask, zeroed, gate)
        return ([out, p] if self.call_options["return_attention_scores"] else out), saved

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        query, value, key, q, k, v, p, drop, o, attention_mask, zeroed, gate = saved
        grads = grad_a if isinstance(grad_a, list) else [grad_a, None]
        g_out, g_p_returned = grads[0], grads[1] if len(grads) > 1 else None
        if g_out is None:
            g_out = np.zeros(o.shape[:2] + self.projections["attention_output"][0].shape[-1:], o.dtype)
        kernel, bias = self.projections["attention_output"]
        ctx.grad(kernel)[...] = _einsum("bthv,bto->hvo", o if gate is None else o * gate, g_out)  # dW_o = O^T G
        if bias is not None:
            ctx.grad(bias)[...] = g_out.sum(axis=(0, 1))
        g_o = _einsum("bto,hvo->bthv", g_out, kernel.value)  # dO = G W_o^T
        if gate is not None:  # through O * gate: dgate = dO O, then dZ_g = s'(Z_g) dgate; dO = dO gate
            g_gate = SIGMOID.backward(None, gate, g_o * o)
            g_o = g_o * gate
        p_used = p if drop is None else p * drop
        g_v = _einsum("bhts,bthv->bshv", p_used, g_o)  # dV = P^T dO
        g_p = _einsum("bthv,bshv->bhts", g_o, v)  # dP = dO V^T
        if drop is not None:
            g_p = g_p * drop
        if g_p_returned is not None:
            g_p = g_p + g_p_returned
        if zeroed is not None:
            g_p = np.where(zeroed, g_p, 0.0)
        g_scores = SOFTMAX.backward(None, p, g_p)  # through the softmax: P (dP - sum(dP P))
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
        if self.call_options["key"]:
            out = [g_x["query"], g_x["value"], g_x["key"]]
        else:  # the value is the key too: both paths reach it
            out = [g_x["query"], g_x["value"] + g_x["key"]]
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
        seed: an int or a NumPy Generator for reproducible dropout.
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

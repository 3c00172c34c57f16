"""Attention and AdditiveAttention: one head, no projections; the scores come straight from the query and key.

    Attention (score_mode "dot"):     S = c Q K^T                     (c the learnt scale with use_scale, else 1)
    Attention (score_mode "concat"):  S_ij = w sum_d tanh(c (q_i + k_j)_d)
    AdditiveAttention:                S_ij = sum_d s_d tanh(q_i + k_j)_d   (s a learnt vector with use_scale)
    then P = softmax over j of S (a masked value step gets S - 1e9), output = P V (zero where the query is masked).

Backward: dP = dOut V^T, dV = P^T dOut, dS = P (dP - sum(dP P)), and through each score mode to Q, K and its
weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations, initializers
from .base import LAYERS, Context, Layer, MaskReader, document_keywords
from .node import is_symbolic
from .regularization import check_rate, check_seed, dropout_mask, seed_config, seed_generator

MASKED = 1e9  # what a masked value step's score loses (Keras's)
SOFTMAX = activations.Softmax(axis=-1)  # over the value steps


def take_call_options(layer: Layer, options: dict[str, bool], symbolic: bool) -> None:
    """Keep a call's options (use_causal_mask, return_attention_scores) on an attention layer: its forward pass
    reads them there, so a graph calls one layer with one set of them."""
    if symbolic and layer.inbound_nodes and options != layer.call_options:
        raise ValueError(f"{type(layer).__name__} {layer.name!r} is already called in a graph with "
                         f"{layer.call_options}; nnlite calls one layer with one set of options (make another layer "
                         "for other options).")
    layer.call_options = options


def check_attention_shapes(layer: Layer, query: np.ndarray, value: np.ndarray, key: np.ndarray) -> None:
    """Query, value and key as an attention layer reads them: (batch..., steps, features) of one rank and the same
    batch axes, as many key steps as value steps, and the query's and key's widths equal (the scores are read off
    q + k or q k^T)."""
    shapes = {"query": np.shape(query), "value": np.shape(value), "key": np.shape(key)}
    if shapes["value"][1:-1] != shapes["key"][1:-1]:  # Keras's check and words
        raise ValueError(f"All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                         f"value_shape={shapes['value']} and key_shape={shapes['key']}")
    if len(shapes["query"]) < 3 or len({len(s) for s in shapes.values()}) != 1 or \
            len({s[:-2] for s in shapes.values()}) != 1 or shapes["key"][-2] != shapes["value"][-2] or \
            shapes["query"][-1] != shapes["key"][-1]:
        raise ValueError(f"{type(layer).__name__} {layer.name!r} takes (batch, ..., steps, features) inputs of one "
                         f"rank with the same batch axes, as many key steps as value steps and the query's and key's "
                         f"features equal; got shapes {shapes}.")


@document_keywords
@LAYERS.register()
class Attention(MaskReader, Layer):
    """output = softmax(S) V with S = c Q K^T ("dot") or S_ij = w sum_d tanh(c (q_i + k_j)_d) ("concat").

    Called on [query (B, Tq, dim), value (B, Tv, dim)] or [query, value, key] (key defaults to value). Masks the
    inputs carry skip value steps and zero masked query steps; ``use_causal_mask`` (a call keyword) lets step i
    attend steps <= i, ``return_attention_scores`` also returns P (B, Tq, Tv) (as dropout left it, as Keras's). Inputs
    of higher rank, (B, ..., Tq, dim), read every axis before the steps as a batch axis.

    Args:
        use_scale: learn the scale c (a scalar starting at 1).
        score_mode: "dot" or "concat".
        dropout: the fraction of attention probabilities dropped while training.
        seed: the start of the layer's ``seed_generator`` (an int, for reproducible dropout; None: drawn from nnlite's
            generator), or a NumPy Generator to draw from.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> q, v = np.array([[[1.0, 0.0]]]), np.array([[[1.0, 0.0], [0.0, 1.0]]])
        >>> out, p = nnlite.layers.Attention()([q, v], return_attention_scores=True)
        >>> [round(float(w), 3) for w in np.asarray(p)[0, 0]]  # softmax([1, 0])
        [0.731, 0.269]
    """

    supports_masking = True
    takes_list = True
    score_modes = ("dot", "concat")

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0, seed: Any = None,
                 **kwargs: Any) -> None:
        if score_mode not in self.score_modes:
            raise ValueError(f"Invalid value for argument score_mode. Expected one of {{'dot', 'concat'}}. "
                             f"Received: score_mode={score_mode}")
        super().__init__(**kwargs)
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.dropout, self.seed = check_rate(dropout, "dropout"), check_seed(seed)
        self.seed_generator = seed_generator(seed) if self.dropout > 0 else None  # (Keras's holds none then)
        self.scale = None
        self.concat_score_weight = None
        self.call_options = {"use_causal_mask": False, "return_attention_scores": False}

    def __call__(self, inputs: Any, mask: Any = None, training: bool | None = None,
                 return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        """The attention of the query over the value (see the class)."""
        name = type(self).__name__  # Keras's checks, in its words
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely [query, value] or [query, "
                             f"value, key]. Received: inputs={inputs}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or [query, "
                             f"value, key]. Received length: {len(inputs)}.")
        if mask is not None and not isinstance(mask, (list, tuple)):
            raise ValueError(f"{name} layer mask must be a list, namely [query_mask, value_mask]. Received: "
                             f"mask={mask}.")
        if mask is not None and not 2 <= len(mask) <= 3:
            raise ValueError(f"{name} layer accepts mask list of length 2 or 3. Received: inputs={inputs}, "
                             f"mask={mask}.")
        options = {"use_causal_mask": bool(use_causal_mask), "return_attention_scores": bool(return_attention_scores)}
        symbolic = is_symbolic(list(inputs))
        take_call_options(self, options, symbolic)
        if symbolic:
            return super().__call__(list(inputs))
        out = super().__call__(list(inputs), mask=mask, training=training)  # on a tape too: one recorded node
        return tuple(out) if isinstance(out, list) else out  # (output, scores) as Keras returns them

    file_keywords = ("use_causal_mask", "return_attention_scores")

    def file_call(self, inputs):
        return [list(inputs)], {k: True for k, on in self.call_options.items() if on}

    def build(self, input_shape):
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight")
        self.input_shape, self.built = [tuple(s) for s in input_shape], True

    def compute_output_shape(self, input_shape):
        query, value = input_shape[0], input_shape[1]
        out = (*query[:-1], value[-1])
        if self.call_options["return_attention_scores"]:
            key = input_shape[2] if len(input_shape) > 2 else value
            return [out, (*query[:-1], key[-2])]
        return out

    def compute_mask(self, inputs, mask=None):
        query_mask = mask[0] if isinstance(mask, list) and mask else None
        return [query_mask, None] if self.call_options["return_attention_scores"] else query_mask

    # -- the scores ---------------------------------------------------------------------------------------------------
    def scores(self, q: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, Any]:
        """S (B, Tq, Tv) and what its backward needs."""
        if self.score_mode == "dot":
            raw = q @ k.transpose(0, 2, 1)  # Q K^T
            return (raw * self.scale.value if self.scale is not None else raw), raw
        pair = q[:, :, None, :] + k[:, None, :, :]  # q_i + k_j, (B, Tq, Tv, dim)
        t = np.tanh(pair * self.scale.value if self.scale is not None else pair)
        return self.concat_score_weight.value * t.sum(axis=-1), (pair, t)

    def scores_backward(self, cache: Any, g_s: np.ndarray, q: np.ndarray, k: np.ndarray, ctx: Context
                        ) -> tuple[np.ndarray, np.ndarray]:
        """(dL/dQ, dL/dK) from dL/dS, the weights' gradients written."""
        if self.score_mode == "dot":
            raw = cache
            if self.scale is not None:
                ctx.grad(self.scale)[...] = np.sum(g_s * raw)  # dc = sum(dS Q K^T)
                g_s = g_s * self.scale.value
            return g_s @ k, g_s.transpose(0, 2, 1) @ q  # dQ = dS K, dK = dS^T Q
        pair, t = cache
        w = self.concat_score_weight.value
        ctx.grad(self.concat_score_weight)[...] = np.sum(g_s * t.sum(axis=-1))  # dw = sum(dS sum_d tanh)
        g_a = g_s[..., None] * w * (1 - t * t)  # through tanh, (B, Tq, Tv, dim)
        if self.scale is not None:
            ctx.grad(self.scale)[...] = np.sum(g_a * pair)
            g_a = g_a * self.scale.value
        return g_a.sum(axis=2), g_a.sum(axis=1)  # q_i reaches every j, k_j every i

    # -- the passes -------------------------------------------------------------------------------------------------
    def forward_masked(self, x: Any, mask: Any, ctx: Context) -> tuple[Any, Any]:
        """The equations of the module, from [query, value, (key)] and the inputs' masks.

        Args:
            x: [query, value] or [query, value, key].
            mask: [query mask, value mask] (either None), or None.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        q, v = x[0], x[1]
        k = x[2] if len(x) > 2 else v
        check_attention_shapes(self, q, v, k)
        lead = q.shape[:-2]  # (B, ...): more batch axes than one are read as one, (B..., steps, features) -> rows
        q, v, k = (t.reshape(-1, *t.shape[-2:]) for t in (q, v, k))
        q_mask = mask[0] if isinstance(mask, list) and mask else None
        v_mask = mask[1] if isinstance(mask, list) and len(mask) > 1 else None
        q_mask, v_mask = (None if m is None else np.reshape(m, (-1, np.shape(m)[-1])) for m in (q_mask, v_mask))
        s, cache = self.scores(q, k)
        allowed = None if v_mask is None else np.asarray(v_mask, bool)[:, None, :]
        if self.call_options["use_causal_mask"]:
            causal = np.tril(np.ones(s.shape[-2:], bool))[None]
            allowed = causal if allowed is None else allowed & causal
        if allowed is not None:
            s = np.where(allowed, s, s - s.dtype.type(MASKED))
        p = SOFTMAX.forward(s)  # P = softmax over the value steps
        drop = dropout_mask(ctx, self.seed_generator, self.dropout, p.shape, p.dtype)
        out = (p if drop is None else p * drop) @ v  # P V
        keep_q = None if q_mask is None else np.asarray(q_mask, bool)[..., None]
        if keep_q is not None:
            out = np.where(keep_q, out, 0.0)
        saved = (q, v, k, cache, p, drop, keep_q, len(x) > 2, lead)
        if self.call_options["return_attention_scores"]:  # Keras returns P as dropout left it
            p_used = p if drop is None else p * drop
            return [out.reshape(*lead, *out.shape[1:]), p_used.reshape(*lead, *p.shape[1:])], saved
        return out.reshape(*lead, *out.shape[1:]), saved

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        q, v, k, cache, p, drop, keep_q, has_key, lead = saved
        grads = grad_a if isinstance(grad_a, list) else [grad_a, None]
        g_out = np.zeros(q.shape[:-1] + v.shape[-1:], q.dtype) if grads[0] is None else grads[0]
        g_out = g_out.reshape(-1, *g_out.shape[-2:])  # as rows, like the inputs
        if keep_q is not None:
            g_out = np.where(keep_q, g_out, 0.0)
        p_used = p if drop is None else p * drop
        g_v = p_used.transpose(0, 2, 1) @ g_out  # dV = P^T dOut
        g_p = g_out @ v.transpose(0, 2, 1)  # dP = dOut V^T (at P as dropout left it)
        if len(grads) > 1 and grads[1] is not None:
            g_p = g_p + grads[1].reshape(g_p.shape)  # the returned P is that one too
        if drop is not None:
            g_p = g_p * drop
        g_s = SOFTMAX.backward(None, p, g_p)  # through the softmax: P (dP - sum(dP P))
        g_q, g_k = self.scores_backward(cache, g_s, q, k, ctx)
        if not need_grad_x:
            return None
        grads = [g_q, g_v, g_k] if has_key else [g_q, g_v + g_k]
        return [g.reshape(*lead, *g.shape[1:]) for g in grads]

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": seed_config(self.seed)}


@document_keywords
@LAYERS.register()
class AdditiveAttention(Attention):
    """output = softmax(S) V with S_ij = sum_d s_d tanh(q_i + k_j)_d (Bahdanau's), s a learnt vector (dim,).

    Called as Attention is: on [query, value] or [query, value, key], with the same masks and call keywords.
    Backward through the scores: dL/d(q_i + k_j) = dS_ij s (1 - tanh^2), summed over j for q_i and over i for k_j;
    ds = sum of dS_ij tanh(q_i + k_j).

    Args:
        use_scale: learn the vector s (glorot_uniform); without it s is 1.
        dropout: the fraction of attention probabilities dropped while training.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> layer = nnlite.layers.AdditiveAttention(use_scale=False)
        >>> np.shape(layer([np.ones((2, 3, 4)), np.ones((2, 5, 4))]))
        (2, 3, 4)
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        if self.use_scale:
            self.scale = self.add_weight((input_shape[0][-1],), initializers.get("glorot_uniform"), name="scale")
        self.input_shape, self.built = [tuple(s) for s in input_shape], True

    def scores(self, q, k):
        t = np.tanh(q[:, :, None, :] + k[:, None, :, :])  # tanh(q_i + k_j), (B, Tq, Tv, dim)
        return (t * self.scale.value if self.scale is not None else t).sum(axis=-1), t

    def scores_backward(self, cache, g_s, q, k, ctx):
        t = cache
        if self.scale is not None:
            ctx.grad(self.scale)[...] = np.einsum("bij,bijd->d", g_s, t)  # ds = sum dS_ij tanh(q_i + k_j)
            g_a = g_s[..., None] * self.scale.value * (1 - t * t)
        else:
            g_a = g_s[..., None] * (1 - t * t)
        return g_a.sum(axis=2), g_a.sum(axis=1)

    def get_config(self):
        config = super().get_config()
        config.pop("score_mode")
        return config

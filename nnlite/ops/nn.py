"""``keras.ops.nn``: activations, softmax, one-hot, the crossentropies and normalisation as ops.

An activation op is the activation of ``nnlite.activations`` (its forward and its hand-written
backward, ``grad_z = activation.backward(z, a, g)``), so ops and layers differentiate it the same way.
Keras's ops keep their own defaults: ``gelu`` is the tanh form (``approximate=True``) and
``leaky_relu``'s slope 0.2.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .. import activations, autodiff, config, promotion
from ..warn import warn
from .core import cast, convert_to_tensor
from .ctc import ctc_decode, ctc_loss  # noqa: F401 (keras.ops.nn's names)
from .math import rsqrt
from .numpy import clip, einsum, log, log10, mean, multiply, repeat, reshape, square, subtract, sum, var, where
from .primitive import float_array, op


def _activation(name: str, doc: str, integers: str = "float", **defaults: Any) -> Any:
    """The op a = f(x, *settings) of the activation ``name``: its settings (Keras's defaults) come after x, by
    position or by keyword, as in Keras's signature. ``integers``: "float" computes integer x in floatx, "same"
    keeps its dtype (relu, relu6, as TensorFlow's)."""
    make = activations.ACTIVATIONS.lookup(name)
    names = list(defaults)

    def settings(given: tuple, params: dict) -> dict:
        return {**defaults, **dict(zip(names, given)), **params}

    def vjp(g: Any, a: Any, x: Any, *given: Any, **params: Any) -> list:
        return [make(**settings(given, params)).backward(np.asarray(x), a, g)]

    def forward(x: Any, *given: Any, **params: Any) -> Any:
        x = float_array(x) if integers == "float" else np.asarray(x)
        a = make(**settings(given, params)).forward(x)
        return a.astype(x.dtype) if x.dtype.kind == "f" and a.dtype != x.dtype else a  # x's float dtype kept

    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = doc
    forward.__signature__ = inspect.Signature(
        [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=v) for k, v in defaults.items()])
    return op(vjp, name=name)(forward)


relu = _activation("relu", "a = max(x, 0);  grad_x = g where x > 0.", integers="same")
relu6 = _activation("relu6", "a = min(max(x, 0), 6);  grad_x = g where 0 < x < 6.", integers="same")
sigmoid = _activation("sigmoid", "a = 1 / (1 + e^-x);  grad_x = g a (1 - a).")
softplus = _activation("softplus", "a = ln(1 + e^x);  grad_x = g sigmoid(x).")
softsign = _activation("softsign", "a = x / (1 + |x|);  grad_x = g / (1 + |x|)^2.")
silu = _activation("silu", "a = x sigmoid(x);  grad_x = g (s + a (1 - s)), s = sigmoid(x).")
swish = silu
log_sigmoid = _activation("log_sigmoid", "a = -softplus(-x);  grad_x = g sigmoid(-x).")
leaky_relu = _activation("leaky_relu", "a = x if x > 0 else slope x;  grad_x = g or slope g.", negative_slope=0.2)
hard_sigmoid = _activation("hard_sigmoid", "a = clip(x / 6 + 1/2, 0, 1);  grad_x = g / 6 inside.")
hard_silu = _activation("hard_silu", "a = x hard_sigmoid(x).")
hard_swish = hard_silu
elu = _activation("elu", "a = x if x > 0 else alpha (e^x - 1).", alpha=1.0)
selu = _activation("selu", "a = scale elu(x, alpha) with SELU's constants.")
celu = _activation("celu", "a = max(x, 0) + min(alpha (e^(x/alpha) - 1), 0).", alpha=1.0)
gelu = _activation("gelu", "a = x Phi(x) (tanh form unless approximate=False).", approximate=True)
mish = _activation("mish", "a = x tanh(softplus(x)).")
hard_tanh = _activation("hard_tanh", "a = clip(x, -1, 1).")
sparse_plus = _activation("sparse_plus", "a = 0, (x + 1)^2 / 4 or x.")
sparse_sigmoid = _activation("sparse_sigmoid", "a = clip((x + 1) / 2, 0, 1).")
squareplus = _activation("squareplus", "a = (x + sqrt(x^2 + b)) / 2.", b=4.0)
tanh_shrink = _activation("tanh_shrink", "a = x - tanh(x).")
soft_shrink = _activation("soft_shrink", "a = x -+ threshold outside [-threshold, threshold], else 0.", threshold=0.5)
hard_shrink = _activation("hard_shrink", "a = x outside [-threshold, threshold], else 0.", threshold=0.5)
softmax = _activation("softmax", "a = e^x / sum e^x over axis;  grad_x = a (g - sum g a).", axis=-1)
log_softmax = _activation("log_softmax", "a = x - logsumexp(x);  grad_x = g - softmax(x) sum g.", axis=-1)


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """x where x > threshold, else ``default_value``."""
    from .numpy import greater, where

    return where(greater(x, threshold), x, default_value)


def glu(x: Any, axis: int = -1) -> Any:
    """a = first half of x times sigmoid(second half), halves along ``axis``."""
    from .numpy import split

    first, second = split(x, 2, axis=axis)
    return multiply(first, sigmoid(second))


@op(None)
def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Any:
    """1 at each label's class along ``axis`` (a label outside [0, num_classes) gives a row of zeros)."""
    labels = np.asarray(x).astype(np.int64)
    out = (labels[..., None] == np.arange(num_classes)).astype(dtype or config.floatx())
    return np.moveaxis(out, -1, axis) if axis != -1 else out


@op(None)
def multi_hot(inputs: Any, num_classes: int | None = None, axis: int = -1, dtype: Any = None,
              sparse: bool = False, **kwargs: Any) -> Any:
    """1 at every class a row's labels name (the one-hot rows combined with or)."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    labels = np.asarray(inputs).astype(np.int64)
    hot = (labels[..., None] == np.arange(num_classes)).any(axis=-2).astype(dtype or config.floatx())
    return np.moveaxis(hot, -1, axis) if axis != -1 else hot


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    """-(y log p + (1 - y) log(1 - p)) per entry, p clipped to [eps, 1 - eps] (from logits: the stable form)."""
    from .numpy import absolute, exp, log1p, maximum, negative

    if from_logits:  # max(z, 0) - z y + log(1 + e^-|z|)
        return subtract(maximum(output, 0.0), multiply(output, target)) + log1p(exp(negative(absolute(output))))
    eps = config.epsilon()
    p = clip(output, eps, 1.0 - eps)
    return negative(multiply(target, log(p)) + multiply(subtract(1.0, target), log(subtract(1.0, p))))


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Any:
    """-sum y log p over ``axis``, p renormalised and clipped (from logits: y times log_softmax)."""
    from .numpy import divide, negative

    if from_logits:
        return negative(sum(multiply(target, log_softmax(output, axis=axis)), axis=axis))
    p = divide(output, sum(output, axis=axis, keepdims=True))
    eps = config.epsilon()
    return negative(sum(multiply(target, log(clip(p, eps, 1.0 - eps))), axis=axis))


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Any:
    """categorical_crossentropy with integer class labels (a trailing label axis of 1 is dropped)."""
    labels = np.asarray(getattr(target, "value", target))
    if labels.ndim == np.ndim(getattr(output, "value", output)) and labels.shape[-1:] == (1,):
        labels = labels[..., 0]
    return categorical_crossentropy(one_hot(labels, np.shape(getattr(output, "value", output))[axis], axis=axis,
                                            dtype=np.asarray(getattr(output, "value", output)).dtype),
                                    output, from_logits=from_logits, axis=axis)


def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> tuple[Any, Any]:
    """(mean, variance) of x over ``axes``."""
    return mean(x, axis=axes, keepdims=keepdims), var(x, axis=axes, keepdims=keepdims)


def batch_normalization(x: Any, mean: Any, variance: Any, axis: int, offset: Any = None, scale: Any = None,
                        epsilon: float = 1e-3) -> Any:
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, the statistics laid along ``axis``."""
    from .numpy import reshape, sqrt

    shape = [1] * np.ndim(getattr(x, "value", x))
    shape[axis] = -1

    def laid(v: Any) -> Any:
        return reshape(v, shape) if np.ndim(getattr(v, "value", v)) == 1 else v

    out = (x - laid(mean)) / sqrt(laid(variance) + epsilon)
    if scale is not None:
        out = out * laid(scale)
    if offset is not None:
        out = out + laid(offset)
    return out


def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Any:
    """x / ||x|| along ``axis``: for the L2 norm x min(1/sqrt(sum x^2), 1/epsilon) (Keras's), else
    x / max(||x||, epsilon)."""
    from .linalg import norm
    from .math import rsqrt
    from .numpy import divide, maximum, minimum

    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    eps = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        with np.errstate(divide="ignore"):  # a zero vector: rsqrt gives inf, and the minimum takes 1/eps
            inverse_norm = rsqrt(sum(square(x), axis=axis, keepdims=True))
        return multiply(x, minimum(inverse_norm, 1.0 / eps))
    return divide(x, maximum(norm(x, ord=order, axis=axis, keepdims=True), eps))


def _at_least_float32(x: Any) -> tuple[Any, str, str]:
    """x in its float dtype or float32, whichever is wider (Keras's normalisations compute so); its dtype; that
    computing dtype."""
    dtype = promotion.tensor_dtype(x)
    compute = promotion.result_type(dtype, "float32")
    return cast(x, compute), dtype, compute


def rms_normalization(x: Any, scale: Any = None, axis: Any = -1, epsilon: float | None = None) -> Any:
    """a = x / sqrt(mean(x^2 over axis) + epsilon) * scale, computed in at least float32."""
    x, dtype, compute = _at_least_float32(x)
    eps = config.epsilon() if epsilon is None else epsilon
    axis = sorted(axis) if isinstance(axis, (list, tuple)) else axis
    out = multiply(x, rsqrt(mean(square(x), axis=axis, keepdims=True) + eps))
    if scale is not None:
        out = multiply(out, cast(scale, compute))
    return cast(out, dtype)


def layer_normalization(x: Any, gamma: Any = None, beta: Any = None, axis: Any = -1, epsilon: float | None = None,
                        rms_scaling: bool = False) -> Any:
    """a = (x - mean) / sqrt(var + epsilon) * gamma + beta over ``axis``, computed in at least float32 (Keras's
    order: r = gamma / sqrt(var + epsilon), a = x r + (beta - mean r))."""
    x, dtype, compute = _at_least_float32(x)
    eps = config.epsilon() if epsilon is None else epsilon
    rank = len(x.shape)
    axes = sorted(a % rank for a in ([axis] if isinstance(axis, int) else axis))
    shape = [1] * rank
    for a in axes:
        shape[a] = -1 if x.shape[a] is None else x.shape[a]

    def laid(v: Any) -> Any:  # gamma and beta along the normalised axes
        v = cast(v, compute)
        return reshape(v, shape) if len(v.shape) != rank and axes != [rank - 1] else v

    if rms_scaling:  # Keras's deprecated form: x / sqrt(var + epsilon) * gamma
        warn("You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales the input by the "
             "variance, not the root mean square. To correctly use RMS Normalization, please use "
             "`keras.ops.rms_normalization` / `keras.ops.nn.rms_normalization` instead.")
        out = multiply(x, rsqrt(var(x, axis=axes, keepdims=True) + eps))
        return cast(out if gamma is None else multiply(out, laid(gamma)), dtype)
    mu, variance = moments(x, axes=axes, keepdims=True)
    r = rsqrt(variance + eps)
    if gamma is not None:
        r = multiply(r, laid(gamma))
    offset = -mu * r
    if beta is not None:
        offset = offset + laid(beta)
    return cast(multiply(x, r) + offset, dtype)


def psnr(x1: Any, x2: Any, max_val: Any) -> Any:
    """PSNR = 20 log10(max_val) - 10 log10(mean((x1 - x2)^2)), in decibels."""
    shapes = np.shape(autodiff.value_of(x1)), np.shape(autodiff.value_of(x2))
    if shapes[0] != shapes[1]:
        raise ValueError(f"Input shapes {shapes[0]} and {shapes[1]} must match for PSNR calculation. ")
    peak = convert_to_tensor(max_val, dtype=promotion.tensor_dtype(x2))
    return 20 * log10(peak) - 10 * log10(mean(square(subtract(x1, x2))))


def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: float | None = None, is_causal: bool = False, flash_attention: bool | None = None,
                          attn_logits_soft_cap: float | None = None) -> Any:
    """out = softmax(scale Q K^T + bias, masked) V per head, on (batch, steps, heads, head size) inputs; key and
    value may have fewer heads (each serves a group of query heads). The logits and softmax are in at least float32;
    masked logits are -0.7 x the dtype's largest (TensorFlow's); ``attn_logits_soft_cap`` is ignored, as on
    TensorFlow."""
    if flash_attention:
        raise ValueError("Flash attention is not supported in tensorflow backend.")
    shapes = [np.shape(autodiff.value_of(t)) for t in (query, key, value)]
    if len(shapes[0]) != 4:
        raise ValueError(f"`dot_product_attention` only supports 4D inputs. Received: query.shape={shapes[0]}, "
                         f"key.shape={shapes[1]}, value.shape={shapes[2]}.")
    dtype = promotion.result_type(*(promotion.tensor_dtype(t) for t in (query, key, value)))
    query, key, value = cast(query, dtype), cast(key, dtype), cast(value, dtype)
    heads, kv_heads = query.shape[2], key.shape[2]
    if heads > kv_heads > 1:  # grouped heads: each key/value head serves heads // kv_heads query heads
        key, value = repeat(key, heads // kv_heads, axis=2), repeat(value, heads // kv_heads, axis=2)
    # the scale as Keras hands it over: a float32 number (1 / sqrt(head size) when not given)
    scale = float(np.float32(1.0) / np.sqrt(np.float32(key.shape[-1])) if scale is None else np.float32(scale))
    logits_dtype = promotion.result_type(dtype, "float32")
    logits = cast(einsum("btnh,bsnh->bnts", query, key), logits_dtype) * scale  # (B, N, T, S)
    if bias is not None:
        logits = logits + cast(bias, logits_dtype)
    allowed = None if mask is None else convert_to_tensor(mask).astype(bool)
    if is_causal:
        if None in tuple(logits.shape[-2:]):
            raise ValueError(f"dot_product_attention(is_causal=True) needs the numbers of query and key steps; got "
                             f"logits of shape {tuple(logits.shape)}.")
        causal = np.tril(np.ones(logits.shape[-2:], bool))[None, None]
        allowed = causal if allowed is None else np.logical_and(allowed, causal)
    if allowed is not None:
        big = 65500.0 if logits_dtype == "float16" else 3.38953e38
        logits = where(allowed, logits, np.asarray(big * -0.7, logits_dtype))
    probs = cast(softmax(logits, axis=-1), dtype)
    return einsum("bnts,bsnh->btnh", probs, value)

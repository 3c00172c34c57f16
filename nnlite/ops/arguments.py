"""What each argument of ``nnlite.ops`` means, written once and put into every op's docstring.

An op's docstring opens with its formula (``a = ...``, with ``g`` the gradient arriving at ``a``);
:func:`describe` adds the ``Args:`` entries its signature needs from :data:`MEANINGS`: a name means the
same in every op (``x``, ``axis``, ``keepdims``, ``dtype``), and ``"op.name"`` keys say what a name
means in one op alone. Entries the docstring already writes are kept.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .examples import EXAMPLES

WIDTH = 100  # help() lines
TENSOR = "an array, a Tensor, a Variable or a symbolic tensor"

MEANINGS: dict[str, str] = {
    # names shared by many ops
    "x": f"Input tensor ({TENSOR}).",
    "x1": "First input tensor; it and ``x2`` broadcast against each other.",
    "x2": "Second input tensor; it and ``x1`` broadcast against each other.",
    "xs": "The input tensors, a list or tuple (the same shape, but for the joined axis).",
    "axis": "The axis the op works along (negative counts from the end); where allowed, ``None`` means the "
            "whole tensor (flattened) and a tuple several axes at once.",
    "keepdims": "Keep each reduced axis as an axis of length 1, so that the result broadcasts against ``x``.",
    "dtype": "Dtype of the result, a Keras dtype name such as ``\"float32\"`` or ``\"int32\"``; ``None`` keeps "
             "the input's dtype (``config.floatx()`` for new floating tensors).",
    "shape": "Shape of the result, a tuple of ints.",
    "initial": "A starting value the reduction includes (so an empty reduction has a result); ``None`` for none.",
    "target": "The true labels, probabilities of the same shape as ``output``.",
    "output": "The predictions: probabilities, or logits when ``from_logits``.",
    "from_logits": "Whether ``output`` holds logits (the op applies the sigmoid or softmax itself, more "
                   "accurately) rather than probabilities.",
    "sparse": "Accepted for Keras's signature; nnlite's tensors are dense, so the result is dense either way.",
    "fill_value": "The value of every entry.",
    "num_classes": "The number of classes, the length of the new class axis.",
    "epsilon": "A small number added to keep the division away from zero.",
    "inputs": f"The tensor to work on ({TENSOR}).",
    "indices": "Integer positions, as an integer tensor.",
    "updates": "The new values, a tensor shaped as the entries they replace.",
    "start_indices": "Where the block starts, one index per axis.",
    "data": "The rows to combine, a tensor whose leading axis runs over the rows.",
    "segment_ids": "The segment of each row of ``data``, an integer vector as long as its leading axis.",
    "num_segments": "The number of segments; ``None`` takes the largest id + 1.",
    "sorted": "Whether the ids (or the result) are sorted; accepted as Keras's hint, the result is the same.",
    "start": "The first value.",
    "stop": "The end value (included where ``endpoint``).",
    "num": "How many values.",
    "endpoint": "Whether ``stop`` is the last value.",
    "axis1": "The first of the two axes.",
    "axis2": "The second of the two axes.",
    "offset": "Which diagonal: 0 the main one, positive above it, negative below.",
    "k": "Which diagonal: 0 the main one, positive above it, negative below.",
    "N": "The number of rows.",
    "M": "The number of columns; ``None`` for ``N``.",
    "repeats": "How many times, one count (or one per entry or axis).",
    "mode": "The variant, one of the names the op lists.",
    "f": "The function to apply.",
    "a": "The matrix (or stack of matrices) of coefficients.",
    "b": "The right-hand side, a vector or matrix with as many rows as ``a``.",
    "upper": "Return the upper-triangular factor instead of the lower.",
    "axes": "The axes, an int or a tuple of ints.",
    "*operands": "The tensors the subscripts name, in order.",
    # one op alone
    "amax.initial": "A value the maximum includes (so an empty reduction has one); ``None`` for none.",
    "amin.initial": "A value the minimum includes (so an empty reduction has one); ``None`` for none.",
    "append.axis": "The axis to join along; ``None`` flattens both first.",
    "arange.start": "The first value, or the end value when ``stop`` is ``None`` (then counting from 0).",
    "arange.stop": "The end value (not included); ``None`` makes ``start`` the end.",
    "arange.step": "The spacing; ``None`` for 1.",
    "average.weights": "A weight per entry along ``axis`` (or per entry); ``None`` gives the plain mean.",
    "batch_normalization.mean": "The mean to subtract, shaped as x's ``axis``.",
    "batch_normalization.variance": "The variance to divide by (its square root), shaped as x's ``axis``.",
    "batch_normalization.axis": "The feature axis the statistics run along.",
    "batch_normalization.offset": "beta, added after scaling; ``None`` for 0.",
    "batch_normalization.scale": "gamma, the factor after normalising; ``None`` for 1.",
    "categorical_crossentropy.axis": "The class axis.",
    "sparse_categorical_crossentropy.target": "The true labels, integer class indices.",
    "sparse_categorical_crossentropy.axis": "The class axis of ``output``.",
    "clip.x_min": "The lower bound (a number or a tensor that broadcasts against x).",
    "clip.x_max": "The upper bound (a number or a tensor that broadcasts against x).",
    "concatenate.axis": "The axis to join along.",
    "cond.pred": "A boolean, or a tensor holding one.",
    "cond.true_fn": "A function of no arguments, run when ``pred`` is true.",
    "cond.false_fn": "A function of no arguments, run when ``pred`` is false.",
    "convert_to_tensor.ragged": "Accepted for Keras's signature; the result is a dense tensor either way.",
    "count_nonzero.axis": "The axis (or tuple of axes) to count along; ``None`` counts all entries.",
    "cumprod.axis": "The axis to accumulate along; ``None`` accumulates the flattened tensor.",
    "cumsum.axis": "The axis to accumulate along; ``None`` accumulates the flattened tensor.",
    "custom_gradient.f": "A function returning ``(y, grad_fn)``: its result and the function that maps the "
                         "gradient arriving at y to the gradients of f's arguments.",
    "einsum.subscripts": "Einstein notation, e.g. ``\"ij,jk->ik\"``: the letters of each operand's axes, and of "
                         "the result after ``->``.",
    "eye.k": "Which diagonal holds the ones: 0 the main one, positive above it, negative below.",
    "flip.axis": "The axis (or tuple of axes) to reverse; ``None`` reverses every axis.",
    "fori_loop.lower": "The first value of i.",
    "fori_loop.upper": "The end of the range of i (not included).",
    "fori_loop.body_fun": "``body_fun(i, val)`` returns the next ``val``.",
    "fori_loop.init_val": "The starting ``val``.",
    "getitem.key": "What NumPy's indexing takes: an int, a slice, a tuple of them, an index array or a "
                   "boolean mask.",
    "glu.axis": "The axis split into the two halves (its length must be even).",
    "identity.n": "The number of rows and of columns.",
    "in_top_k.targets": "The true class index of each row, an integer vector.",
    "in_top_k.predictions": "The scores, a (batch, classes) tensor.",
    "in_top_k.k": "How many of the largest scores count.",
    "isclose.rtol": "The tolerance relative to ``|x2|``.",
    "isclose.atol": "The absolute tolerance.",
    "isclose.equal_nan": "Whether two NaNs count as close.",
    "linspace.retstep": "Also return the spacing, as ``(values, step)``.",
    "linspace.axis": "The axis of the result the values run along (when start and stop are tensors).",
    "logspace.start": "The first exponent: the first value is ``base ** start``.",
    "logspace.stop": "The last exponent (included where ``endpoint``).",
    "logspace.base": "The base of the powers.",
    "logspace.axis": "The axis of the result the values run along (when start and stop are tensors).",
    "lstsq.rcond": "Singular values below ``rcond`` times the largest count as zero; ``None`` for NumPy's "
                   "machine-precision default.",
    "map.xs": "The tensor (or structure of tensors) whose leading axis is mapped over.",
    "meshgrid.*x": "The coordinate vectors, one per axis of the grid.",
    "meshgrid.indexing": "``\"xy\"`` (Cartesian: the first two axes swapped) or ``\"ij\"`` (matrix indexing).",
    "moments.synchronized": "Accepted for Keras's signature (replicas do not exist here).",
    "moveaxis.source": "The axis (or axes) to move.",
    "moveaxis.destination": "Where each moved axis goes.",
    "multi_hot.inputs": "Integer labels, one row of labels per sample.",
    "multi_hot.**kwargs": "``num_tokens``, Keras's older name for ``num_classes``.",
    "nan_to_num.nan": "The value that replaces NaN.",
    "nan_to_num.posinf": "The value that replaces +inf; ``None`` for the dtype's largest number.",
    "nan_to_num.neginf": "The value that replaces -inf; ``None`` for the dtype's smallest number.",
    "norm.ord": "Which norm: over one axis ``None`` or 2 (Euclidean), a number p, ``inf`` or ``-inf``; over two "
                "axes ``None`` or ``\"fro\"`` (Frobenius).",
    "norm.axis": "The axis of a vector norm, or the two axes of the Frobenius norm; ``None`` takes every entry "
                 "(the Euclidean norm of x flattened).",
    "normalize.axis": "The axis along which each vector is normalised.",
    "normalize.order": "The norm's order p (2: Euclidean).",
    "normalize.epsilon": "The smallest norm divided by; ``None`` for ``backend.epsilon()``.",
    "one_hot.x": "Integer class labels.",
    "one_hot.axis": "Where the new class axis goes.",
    "pad.pad_width": "How much to add before and after each axis: ``((before, after), ...)``, one pair for all "
                     "axes, or one number for both sides of every axis.",
    "pad.mode": "``\"constant\"``, ``\"edge\"``, ``\"reflect\"``, ``\"symmetric\"`` and NumPy's other modes.",
    "pad.constant_values": "The value added in ``\"constant\"`` mode; ``None`` for 0.",
    "prod.dtype": "Dtype of the product; ``None`` keeps x's.",
    "qr.mode": "``\"reduced\"`` (q is m x k, k = min(m, n)) or ``\"complete\"`` (q is m x m).",
    "repeat.axis": "The axis to repeat along; ``None`` flattens x first.",
    "reshape.newshape": "The new shape, a tuple of ints; one entry may be -1 (or ``None``), inferred from the "
                        "size.",
    "roll.shift": "How far to shift (an int, or one per axis).",
    "roll.axis": "The axis (or axes) to shift along; ``None`` shifts the flattened tensor.",
    "round.decimals": "How many decimal places to keep (negative rounds to tens, hundreds...).",
    "scan.f": "``f(carry, x_t)`` returns ``(carry, y_t)``.",
    "scan.init": "The starting carry.",
    "scan.xs": "The tensor whose leading axis is scanned over; ``None`` scans ``length`` steps of ``None``.",
    "scan.length": "The number of steps when ``xs`` is ``None``.",
    "scan.reverse": "Scan from the last entry to the first.",
    "scan.unroll": "Accepted for Keras's signature; the loop runs in Python here either way.",
    "scatter.indices": "Where the values go: an integer (n, rank) tensor, one index tuple per row.",
    "scatter.values": "The n values added at those indices.",
    "scatter.shape": "Shape of the result.",
    "dot_product_attention.query": "The queries, (batch, query steps, heads, head size).",
    "dot_product_attention.key": "The keys, (batch, key steps, key heads, head size); key heads may divide the "
                                 "query heads (each then serves a group).",
    "dot_product_attention.value": "The values, (batch, key steps, key heads, head size).",
    "dot_product_attention.bias": "Added to the logits (broadcast to (batch, heads, query steps, key steps)); None "
                                  "for none.",
    "dot_product_attention.mask": "True where a query step may attend a key step (broadcast to the logits' shape); "
                                  "None for all.",
    "dot_product_attention.scale": "The logits' factor; None for 1 / sqrt(head size).",
    "dot_product_attention.is_causal": "Let query step i attend key steps <= i only.",
    "dot_product_attention.flash_attention": "Keras's fused kernel; refused when true (TensorFlow has none).",
    "dot_product_attention.attn_logits_soft_cap": "Ignored, as Keras's TensorFlow backend ignores it.",
    "rms_normalization.scale": "A factor on the result (broadcast along ``axis``); None for 1.",
    "layer_normalization.gamma": "The scale laid along ``axis``; None for 1.",
    "layer_normalization.beta": "The offset laid along ``axis``; None for 0.",
    "layer_normalization.rms_scaling": "Keras's deprecated form, with its warning: x / sqrt(var + epsilon) * gamma.",
    "psnr.x1": "The first signal.",
    "psnr.x2": "The second signal, of x1's shape.",
    "psnr.max_val": "The largest value a signal can take (1.0 for images in [0, 1], 255 for bytes).",
    "indices_or_sections": "A number of equal pieces, or the indices along the axis where the cuts go.",
    "rot90.array": f"The tensor to turn ({TENSOR}).",
    "rot90.k": "The number of quarter turns (negative turns the other way).",
    "rot90.axes": "The two axes of the plane it turns in, from the first towards the second.",
    "diff.a": f"Input tensor ({TENSOR}).",
    "diff.n": "How many times the differences are taken.",
    "scatter_update.indices": "Which entries change: an integer (n, rank) tensor, one index tuple per row.",
    "scatter_update.reduction": "None (the updates replace the entries), or how they combine with them: \"add\", "
                                "\"max\", \"min\" or \"mul\".",
    "segment_max.sorted": "Whether ``segment_ids`` are sorted; accepted as Keras's hint, the result is the same.",
    "segment_sum.sorted": "Whether ``segment_ids`` are sorted; accepted as Keras's hint, the result is the same.",
    "slice.shape": "The block's size along each axis.",
    "split.indices_or_sections": "A number of equal pieces, or the indices along ``axis`` where the cuts go.",
    "split.axis": "The axis to cut.",
    "squeeze.axis": "The length-1 axis (or axes) to drop; ``None`` drops every one.",
    "stack.x": "The tensors to stack, a list or tuple of tensors of one shape.",
    "stack.axis": "The position of the new axis in the result.",
    "stop_gradient.variable": f"The tensor ({TENSOR}).",
    "svd.full_matrices": "u and v^T square (m x m, n x n) rather than reduced to k = min(m, n).",
    "svd.compute_uv": "Return u and v^T too; ``False`` returns the singular values alone.",
    "swapaxes.axis1": "The first axis.",
    "swapaxes.axis2": "The axis it swaps with.",
    "switch.index": "Which branch to run, an int (clipped to the branches).",
    "switch.branches": "The functions to choose from.",
    "switch.*operands": "The arguments passed to the chosen branch.",
    "take.indices": "The integer positions to pick along ``axis``.",
    "take.axis": "The axis to pick along; ``None`` picks from the flattened tensor.",
    "take_along_axis.indices": "Integer positions, shaped as x but along ``axis``, where any length is allowed.",
    "take_along_axis.axis": "The axis to pick along; ``None`` picks from the flattened tensor.",
    "tensordot.axes": "An int n (the last n axes of x1 against the first n of x2) or a pair of axis lists.",
    "threshold.threshold": "The value x must exceed to be kept.",
    "threshold.default_value": "The value placed where x <= threshold.",
    "tile.repeats": "How many copies along each axis (one count for the last axis).",
    "top_k.x": "Input tensor; the last axis is searched.",
    "top_k.k": "How many of the largest entries to return.",
    "top_k.sorted": "Return them largest first (``False``: in any order; nnlite's order is the same).",
    "trace.offset": "Which diagonal: 0 the main one, positive above it, negative below.",
    "transpose.axes": "The new order of the axes; ``None`` reverses them.",
    "tri.k": "The diagonal at and below which the ones go: 0 the main one, positive above it, negative below.",
    "tril.k": "The diagonal above which entries are zeroed: 0 the main one, positive above, negative below.",
    "triu.k": "The diagonal below which entries are zeroed: 0 the main one, positive above, negative below.",
    "unstack.num": "The length of ``axis``, checked when given.",
    "vectorized_map.function": "The function applied to each entry.",
    "vectorized_map.elements": "The tensor whose leading axis is mapped over.",
    "where.condition": "Where to take ``x1`` (true) or ``x2`` (false), a boolean tensor.",
    "where.x1": "The values where ``condition`` holds; ``None`` (with ``x2``) returns the true entries' "
                "indices.",
    "where.x2": "The values elsewhere.",
    "while_loop.cond": "``cond(*loop_vars)``: whether to run the body again.",
    "while_loop.body": "``body(*loop_vars)`` returns the next ``loop_vars``.",
    "while_loop.loop_vars": "The starting values, a tensor or a tuple of them.",
    "while_loop.maximum_iterations": "Stop after this many runs of the body; ``None`` for no limit.",
    # the activation ops' settings (Keras's defaults)
    "elu.alpha": "The scale of the negative part, alpha.",
    "celu.alpha": "The scale alpha of the negative part (and of x inside its exponential).",
    "gelu.approximate": "Use the tanh approximation (Keras's default) rather than the exact erf form.",
    "leaky_relu.negative_slope": "The slope for x < 0.",
    "softmax.axis": "The axis the probabilities sum to 1 along.",
    "log_softmax.axis": "The axis the softmax normalises along.",
    "squareplus.b": "The constant b; it smooths the kink at 0.",
    "soft_shrink.threshold": "The half-width of the band around 0 that maps to 0.",
    "hard_shrink.threshold": "The half-width of the band around 0 that maps to 0.",
}


def describe(fn: Callable[..., Any], name: str | None = None) -> None:
    """Add an ``Args:`` entry to ``fn``'s docstring for each parameter of its signature the docstring does not
    describe yet, from :data:`MEANINGS` (``"<name>.<parameter>"`` first), with its default; and its example
    from :data:`~nnlite.ops.examples.EXAMPLES`."""
    name = name or fn.__name__
    doc = fn.__doc__ or ""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return
    body = doc.split("\n")[1:]
    pad = " " * min((len(line) - len(line.lstrip()) for line in body if line.strip()), default=4)
    entries = []
    for parameter in parameters:
        stars = {parameter.VAR_POSITIONAL: "*", parameter.VAR_KEYWORD: "**"}.get(parameter.kind, "")
        key = stars + parameter.name
        meaning = MEANINGS.get(f"{name}.{key}") or MEANINGS.get(key)
        if meaning is None or f"{pad}    {key}:" in doc:
            continue
        default = "" if parameter.default is parameter.empty else f" Default: ``{parameter.default!r}``."
        entries.append(_wrapped(f"{key}: {meaning}{default}", f"{pad}    "))
    if entries and f"\n{pad}Args:\n" in doc:
        head, tail = doc.split(f"\n{pad}Args:\n", 1)
        doc = f"{head}\n{pad}Args:\n" + "\n".join(entries) + "\n" + tail
    elif entries:
        doc = doc.rstrip() + f"\n\n{pad}Args:\n" + "\n".join(entries) + f"\n{pad}"
    if name in EXAMPLES and ">>>" not in doc:
        lines = ["Example:", "    >>> from nnlite import ops", *("    " + line for line in EXAMPLES[name].split("\n"))]
        doc = doc.rstrip() + "\n\n" + "\n".join(pad + line for line in lines) + f"\n{pad}"
    fn.__doc__ = doc


def _wrapped(text: str, indent: str) -> str:
    """``text`` broken into lines of at most WIDTH columns, the first indented by ``indent``, the rest by 4 more
    (textwrap's result, at a tenth of its cost: this runs for every op when nnlite is imported)."""
    lines, line = [], indent
    for word in text.split(" "):
        if len(line) + len(word) > WIDTH and line.strip():
            lines.append(line.rstrip())
            line = indent + "    "
        line += word + " "
    return "\n".join(lines + [line.rstrip()])

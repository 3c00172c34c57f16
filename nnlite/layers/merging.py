"""Merge layers: one output from a list of inputs x_1..x_n (Add, Subtract, Multiply, Average,
Maximum, Minimum, Concatenate, Dot), and their lower-case functions (``add([a, b])``).

Element-wise merges broadcast as NumPy does; backward sums each input's gradient over the
axes it was broadcast along (``unbroadcast``), so every grad_x_i has x_i's shape.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import config
from ..autodiff import unbroadcast
from .base import LAYERS, Context, Layer, document_base, document_keywords

Shapes = list[tuple[int | None, ...]]


def _check_list(layer: Layer, input_shape: Any, exactly: int | None = None) -> Shapes:
    """The list of input shapes a merge layer was built or called with (Keras's checks)."""
    if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(input_shape[0], (list, tuple)):
        raise ValueError(f"A merge layer should be called on a list of inputs. Received: input_shape={input_shape} "
                         f"(not a list of shapes), in layer {layer.name!r}.")
    if exactly is not None and len(input_shape) != exactly:
        raise ValueError(f"A `{type(layer).__name__}` layer should be called on exactly {exactly} inputs. "
                         f"Received: input_shape={input_shape}")
    batch_sizes = {s[0] for s in input_shape if s} - {None}
    if len(batch_sizes) > 1:
        raise ValueError(f"Cannot merge tensors with different batch sizes. Received tensors with shapes "
                         f"{input_shape}")
    return [tuple(s) for s in input_shape]


def _broadcast_shape(shape1: tuple, shape2: tuple) -> tuple:
    """The shape of an element-wise result, as Keras works it out (None where unknown)."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    out = list(shape1[:len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i != j:
            raise ValueError(f"Inputs have incompatible shapes. Received shapes {shape1} and {shape2}")
        else:
            out.append(i)
    return tuple(out)


def _elementwise_shape(layer: Layer, input_shape: Any, exactly: int | None = None) -> tuple:
    shapes = _check_list(layer, input_shape, exactly)
    out = shapes[0][1:]
    for shape in shapes[1:]:
        out = _broadcast_shape(out, shape[1:])
    batch = next((s[0] for s in shapes if s[0] is not None), None)
    return (batch,) + out


def _build_elementwise(self: Layer, input_shape: Any) -> None:
    """build of an element-wise merge: the shapes are checked, there are no weights."""
    _elementwise_shape(self, input_shape)
    Layer.build(self, input_shape)


def _elementwise_output_shape(self: Layer, input_shape: Any) -> tuple:
    return _elementwise_shape(self, input_shape)


def _as_list(layer: Layer, xs: Any, exactly: int | None = None) -> list[np.ndarray]:
    if not isinstance(xs, (list, tuple)) or not xs:
        raise ValueError(f"A merge layer should be called on a list of inputs; layer {layer.name!r} got "
                         f"{type(xs).__name__}.")
    if exactly is not None and len(xs) != exactly:
        raise ValueError(f"A `{type(layer).__name__}` layer should be called on exactly {exactly} inputs. "
                         f"Received {len(xs)}.")
    return list(xs)


def _grads(saved: list[tuple[int, ...]], grads: list[np.ndarray], need: bool) -> list[np.ndarray] | None:
    return [unbroadcast(g, shape) for g, shape in zip(grads, saved)] if need else None


def _either_mask(self: Layer, inputs: Any, mask: Any = None) -> Any:
    """The output's mask of an elementwise merge: m = m_1 or m_2 or ... (None when an input has none), as Keras's.

    Args:
        inputs: the merged batches.
        mask: their masks, a list (None entries for unmasked inputs), or None.
    """
    if mask is None:
        return None
    check_masks(inputs, mask)
    if any(m is None for m in mask):
        return None
    return np.logical_or.reduce([np.asarray(m, bool) for m in mask])


def check_masks(inputs: Any, mask: Any) -> None:
    """Keras's errors for a merge's masks: a list, beside a list of inputs of the same length.

    Args:
        inputs: the merged batches.
        mask: their masks.
    """
    if not isinstance(mask, (tuple, list)):
        raise ValueError(f"`mask` should be a list. Received: mask={mask}")
    if not isinstance(inputs, (tuple, list)):
        raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
    if len(mask) != len(inputs):
        raise ValueError(f"The lists `inputs` and `mask` should have the same length. Received: inputs={inputs} of "
                         f"length {len(inputs)}, and mask={mask} of length {len(mask)}")


@document_base
@LAYERS.register()
class Add(Layer):
    """a = x_1 + x_2 + ... + x_n;   grad_x_i = grad_a.

    Args:
        {base arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Add()([np.array([[1.0, 2.0]]), np.array([[10.0, 20.0]])])
        Tensor([[11., 22.]], dtype=float32)
    """

    supports_masking = True
    compute_mask = _either_mask

    takes_list = True

    build = _build_elementwise
    compute_output_shape = _elementwise_output_shape

    def forward(self, xs, ctx: Context):
        xs = _as_list(self, xs)
        a = xs[0] + xs[1] if len(xs) > 1 else xs[0].copy()
        for x in xs[2:]:
            a += x
        return a, [x.shape for x in xs]

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return _grads(saved, [grad_a] * len(saved), need_grad_x)


@document_base
@LAYERS.register()
class Subtract(Layer):
    """a = x_1 - x_2;   grad_x_1 = grad_a,  grad_x_2 = -grad_a.

    Args:
        {base arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Subtract()([np.array([[1.0, 2.0]]), np.array([[10.0, 20.0]])])
        Tensor([[ -9., -18.]], dtype=float32)
    """

    supports_masking = True
    compute_mask = _either_mask

    takes_list = True

    def build(self, input_shape):
        _elementwise_shape(self, input_shape, exactly=2)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return _elementwise_shape(self, input_shape, exactly=2)

    def forward(self, xs, ctx: Context):
        x1, x2 = _as_list(self, xs, exactly=2)
        return x1 - x2, [x1.shape, x2.shape]

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return _grads(saved, [grad_a, -grad_a], need_grad_x)


@document_base
@LAYERS.register()
class Multiply(Layer):
    """a = x_1 * x_2 * ... * x_n;   grad_x_i = grad_a * (product of the other inputs).

    Args:
        {base arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Multiply()([np.array([[1.0, 2.0]]), np.array([[10.0, 20.0]])])
        Tensor([[10., 40.]], dtype=float32)
    """

    supports_masking = True
    compute_mask = _either_mask

    takes_list = True

    build = _build_elementwise
    compute_output_shape = _elementwise_output_shape

    def forward(self, xs, ctx: Context):
        xs = _as_list(self, xs)
        a = xs[0] * xs[1] if len(xs) > 1 else xs[0].copy()
        for x in xs[2:]:
            a *= x
        return a, xs

    def forward_masked(self, xs, mask, ctx: Context):
        """Keras's masked product: an entry an input's mask drops counts as 1; when every input has a mask, an entry
        all of them drop is 0:  a = prod_i where(m_i, x_i, 1), then where(m_1 or ... or m_n, a, 0).
        Backward: the unmasked equations on those factors, grad_x_i zero where m_i drops the entry."""
        xs = _as_list(self, xs)
        check_masks(xs, mask)
        kept = _kept_entries(xs, mask)
        factors = [x if k is None else np.where(k, x, np.ones((), x.dtype)) for x, k in zip(xs, kept)]
        a, saved = self.forward(factors, ctx)
        some = None
        if all(k is not None for k in kept):
            some = np.logical_or.reduce(np.broadcast_arrays(*kept))
            a = np.where(some, a, np.zeros((), a.dtype))
        return a, _Masked(saved, kept, some)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        if isinstance(saved, _Masked):
            if saved.some is not None:
                grad_a = np.where(saved.some, grad_a, np.zeros((), grad_a.dtype))
            grads = self.backward(saved.saved, grad_a, ctx)
            return [g if k is None else np.where(k, g, np.zeros((), g.dtype)) for g, k in zip(grads, saved.kept)]
        grads = []
        for i in range(len(saved)):
            g = grad_a
            for j, x in enumerate(saved):  # the product of the others, not a / x_i (x_i may be 0)
                if j != i:
                    g = g * x
            grads.append(g)
        return _grads([x.shape for x in saved], grads, True)


@document_base
@LAYERS.register()
class Average(Layer):
    """a = (x_1 + ... + x_n) / n;   grad_x_i = grad_a / n.

    Args:
        {base arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Average()([np.array([[1.0, 2.0]]), np.array([[10.0, 20.0]])])
        Tensor([[ 5.5, 11. ]], dtype=float32)
    """

    supports_masking = True
    compute_mask = _either_mask

    takes_list = True

    build = _build_elementwise
    compute_output_shape = _elementwise_output_shape

    def forward(self, xs, ctx: Context):
        xs = _as_list(self, xs)
        a = xs[0] + xs[1] if len(xs) > 1 else xs[0].copy()
        for x in xs[2:]:
            a += x
        return a / len(xs), [x.shape for x in xs]

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return _grads(saved, [grad_a / len(saved)] * len(saved), need_grad_x)


class _Masked(NamedTuple):
    """What a masked merge keeps for its backward pass: the plain pass's, each input's kept entries (None for an
    unmasked input) and, when every input has a mask, the entries some input keeps."""

    saved: Any
    kept: list[np.ndarray | None]
    some: np.ndarray | None


def _kept_entries(xs: list[np.ndarray], mask: Any) -> list[np.ndarray | None]:
    """Each input's mask over its entries: m[..., None] broadcast to x (a step's mask covers its features), or None
    for an input without one."""
    return [None if m is None else np.broadcast_to(np.asarray(m, bool)[..., None], np.shape(x))
            for x, m in zip(xs, mask)]


def _extreme(self: Layer, xs: Any, ctx: Context) -> tuple[np.ndarray, Any]:
    """forward of Maximum/Minimum: a = the largest (smallest) x_i per element, the winner being the first
    x_i reaching it (TensorFlow's gradient for a chain of maximum(a, x_i) routes ties to the earlier input)."""
    xs = _as_list(self, xs)
    stacked = np.stack(np.broadcast_arrays(*xs))  # (n, batch, ...)
    winner = self.pick(stacked, axis=0)
    a = np.take_along_axis(stacked, winner[None], axis=0)[0]
    return a, ([x.shape for x in xs], winner)


def _extreme_masked(self: Layer, xs: Any, mask: Any, ctx: Context) -> tuple[np.ndarray, Any]:
    """forward of Maximum/Minimum with masks (Keras's): an entry an input's mask drops takes no part, so
    a = the largest (smallest) x_i among the inputs that keep it, the first such x_i winning; where every input
    drops it, x_1's entry. The backward pass routes grad_a to the winner, as unmasked."""
    xs = _as_list(self, xs)
    check_masks(xs, mask)
    stacked = np.stack(np.broadcast_arrays(*xs))  # (n, batch, ...)
    kept = [np.ones(np.shape(x), bool) if k is None else k for x, k in zip(xs, _kept_entries(xs, mask))]
    valid = np.stack(np.broadcast_arrays(*kept))
    largest = self.pick is np.argmax
    candidates = np.where(valid, stacked, -np.inf if largest else np.inf)
    best = candidates.max(axis=0) if largest else candidates.min(axis=0)
    winner = np.argmax(valid & (candidates == best), axis=0)  # the first kept input reaching it; 0 where none is
    a = np.take_along_axis(stacked, winner[None], axis=0)[0]
    return a, ([x.shape for x in xs], winner)


def _route(self: Layer, saved: Any, grad_a: np.ndarray, ctx: Context,
           need_grad_x: bool = True) -> list[np.ndarray] | None:
    """backward of Maximum/Minimum: grad_x_i = grad_a where x_i won, 0 elsewhere."""
    if not need_grad_x:
        return None
    shapes, winner = saved
    return [unbroadcast(np.where(winner == i, grad_a, 0), shape) for i, shape in enumerate(shapes)]


@document_base
@LAYERS.register()
class Maximum(Layer):
    """a = max_i x_i per element;   grad_x_i = grad_a where x_i is the (first) maximum, else 0.

    Args:
        {base arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Maximum()([np.array([[1.0, 20.0]]), np.array([[10.0, 2.0]])])
        Tensor([[10., 20.]], dtype=float32)
    """

    supports_masking = True
    compute_mask = _either_mask

    takes_list = True

    build = _build_elementwise
    compute_output_shape = _elementwise_output_shape

    pick = staticmethod(np.argmax)
    forward = _extreme
    forward_masked = _extreme_masked
    backward = _route


@document_base
@LAYERS.register()
class Minimum(Layer):
    """a = min_i x_i per element;   grad_x_i = grad_a where x_i is the (first) minimum, else 0.

    Args:
        {base arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Minimum()([np.array([[1.0, 20.0]]), np.array([[10.0, 2.0]])])
        Tensor([[1., 2.]], dtype=float32)
    """

    supports_masking = True
    compute_mask = _either_mask

    takes_list = True

    build = _build_elementwise
    compute_output_shape = _elementwise_output_shape

    pick = staticmethod(np.argmin)
    forward = _extreme
    forward_masked = _extreme_masked
    backward = _route


@document_keywords
@LAYERS.register()
class Concatenate(Layer):
    """a = [x_1, x_2, ..., x_n] joined along ``axis``;   grad_x_i = grad_a's slice where x_i sits.

    Args:
        axis: the axis to join along.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Concatenate(axis=-1)([np.zeros((1, 2)), np.ones((1, 1))])
        Tensor([[0., 0., 1.]], dtype=float32)
    """

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: each input's mask (all True for an unmasked one) broadcast to the input, joined along
        ``axis``, then any() over the last axis."""
        if mask is None:
            return None
        check_masks(inputs, mask)
        if all(m is None for m in mask):
            return None
        full = [np.ones(np.shape(x), bool) if m is None else
                (np.asarray(m, bool)[..., None] | np.zeros(np.shape(x), bool) if np.ndim(m) < np.ndim(x) else m)
                for x, m in zip(inputs, mask)]
        return np.concatenate(full, axis=self.axis).any(axis=-1)

    takes_list = True

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"Concatenate's axis must be an integer, got {axis!r}.")
        self.axis = int(axis)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        shapes = _check_list(self, input_shape)
        rank = len(shapes[0])
        axis = self.axis % rank if -rank <= self.axis < rank else None
        if axis is None or axis == 0 or any(len(s) != rank for s in shapes):
            raise ValueError(f"A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
                             f"axis. Received: input_shape={input_shape}")
        for k in range(rank):
            sizes = {s[k] for s in shapes} - {None}
            if k != axis and len(sizes) > 1:
                raise ValueError(f"A `Concatenate` layer requires inputs with matching shapes except for the "
                                 f"concatenation axis. Received: input_shape={input_shape}")
        joined = None if any(s[axis] is None for s in shapes) else sum(s[axis] for s in shapes)
        out = list(shapes[0])
        out[axis] = joined
        return tuple(out)

    def forward(self, xs, ctx: Context):
        xs = _as_list(self, xs)
        return np.concatenate(xs, axis=self.axis), np.cumsum([x.shape[self.axis] for x in xs])[:-1]

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return np.split(grad_a, saved, axis=self.axis) if need_grad_x else None

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _l2_normalize(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """x_hat = x * r with r = min(1 / sqrt(sum x^2), 1 / epsilon) along ``axis`` (Keras's normalize)."""
    with np.errstate(divide="ignore"):
        r = np.minimum(1.0 / np.sqrt(np.sum(x * x, axis=axis, keepdims=True)), 1.0 / config.epsilon())
    return x * r, r


def _l2_normalize_backward(x_hat: np.ndarray, r: np.ndarray, grad: np.ndarray, axis: int) -> np.ndarray:
    """grad_x = r * (grad - x_hat * sum(x_hat * grad)) where r = 1/||x||; r * grad where r is clipped."""
    clipped = r >= 1.0 / config.epsilon()
    projected = grad - x_hat * np.sum(x_hat * grad, axis=axis, keepdims=True)
    return r * np.where(clipped, grad, projected)


@document_keywords
@LAYERS.register(example={"axes": -1})
class Dot(Layer):
    """a_b = sum over k of x1[b, ..., k, ...] * x2[b, ..., k, ...] (k on ``axes``), per sample b;
    with ``normalize`` both are first scaled to unit L2 norm along k (a = cosine similarity).

    Backward (einsum with the output's indices): grad_x1 = grad_a . x2, grad_x2 = grad_a . x1,
    through the normalization when there is one.

    Args:
        axes: the axis of each input to sum over: one int for both, or a pair.
        normalize: scale both inputs to unit L2 norm along those axes first (the result is then the cosine
            similarity).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])])
        Tensor([[11.]], dtype=float32)
    """

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None  # a product over the steps ends their mask

    takes_list = True

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. Received: "
                                f"axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. Received: "
                                 f"axes={axes}")
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(f"Invalid format for argument `axes`: list elements should be integers. Received: "
                                 f"axes={axes}")
            axes = list(axes)
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes(self, ranks: tuple[int, int]) -> list[int]:
        axes = [self.axes] * 2 if isinstance(self.axes, int) else self.axes
        axes = [a % r if a < 0 else a for a, r in zip(axes, ranks)]
        if 0 in axes:
            raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy "
                             "batch dimension to your inputs using keras.ops.expand_dims(x, 0)")
        return axes

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={input_shape}")
        shape1, shape2 = (list(s) for s in _check_list(self, input_shape, exactly=2))
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes "
                             f"{tuple(shape1)} and {tuple(shape2)}.")
        a1, a2 = self._axes((len(shape1), len(shape2)))
        if shape1[a1] is not None and shape2[a2] is not None and shape1[a1] != shape2[a2]:
            raise ValueError(f"Incompatible input shapes: axis values {shape1[a1]} (at axis {a1}) != {shape2[a2]} "
                             f"(at axis {a2}). Full input shapes: {tuple(shape1)}, {tuple(shape2)}")
        shape1.pop(a1)
        shape2.pop(a2)
        out = shape1 + shape2[1:]
        return tuple(out + [1] if len(out) == 1 else out)

    def _subscripts(self, ranks: tuple[int, int]) -> tuple[str, str, str]:
        """einsum indices: batch 'a', the summed axis 'k', every other axis its own letter."""
        a1, a2 = self._axes(ranks)
        letters = iter("bcdefghijlmnopqrstuvwxyz")
        s1 = ["a"] + [next(letters) for _ in range(ranks[0] - 1)]
        s2 = ["a"] + [next(letters) for _ in range(ranks[1] - 1)]
        s1[a1] = s2[a2] = "k"
        out = [c for c in s1 if c != "k"] + [c for c in s2[1:] if c != "k"]
        return "".join(s1), "".join(s2), "".join(out)

    def forward(self, xs, ctx: Context):
        x1, x2 = _as_list(self, xs, exactly=2)
        s1, s2, so = self._subscripts((x1.ndim, x2.ndim))
        a1, a2 = self._axes((x1.ndim, x2.ndim))
        norms = None
        if self.normalize:
            (x1, r1), (x2, r2) = _l2_normalize(x1, a1), _l2_normalize(x2, a2)
            norms = (r1, r2)
        a = np.einsum(f"{s1},{s2}->{so}", x1, x2)
        return (a[:, None] if a.ndim == 1 else a), (x1, x2, norms)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        if not need_grad_x:
            return None
        x1, x2, norms = saved
        s1, s2, so = self._subscripts((x1.ndim, x2.ndim))
        g = grad_a.reshape(grad_a.shape[:1]) if len(so) == 1 else grad_a
        g1 = np.einsum(f"{so},{s2}->{s1}", g, x2)
        g2 = np.einsum(f"{so},{s1}->{s2}", g, x1)
        if norms is not None:
            a1, a2 = self._axes((x1.ndim, x2.ndim))
            g1 = _l2_normalize_backward(x1, norms[0], g1, a1)
            g2 = _l2_normalize_backward(x2, norms[1], g2, a2)
        return [g1, g2]

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs: list[Any], **kwargs: Any) -> Any:
    """``Add(**kwargs)(inputs)``.

    Args:
        inputs: the tensors to combine, a list (symbolic tensors build a graph node; arrays are computed now).
        **kwargs: the layer's keywords (``name``, ...).

    Example:
        >>> import numpy as np, nnlite
        >>> a, b = nnlite.Input((2,)), nnlite.Input((2,))
        >>> nnlite.layers.add([a, b]).shape  # a graph node
        (None, 2)
        >>> nnlite.layers.add([np.ones((1, 2)), np.ones((1, 2))])  # computed now
        Tensor([[2., 2.]], dtype=float32)
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: list[Any], **kwargs: Any) -> Any:
    """``Subtract(**kwargs)(inputs)``.

    Args:
        inputs: the tensors to combine, a list (symbolic tensors build a graph node; arrays are computed now).
        **kwargs: the layer's keywords (``name``, ...).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.subtract([np.array([[5.0]]), np.array([[2.0]])])
        Tensor([[3.]], dtype=float32)
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list[Any], **kwargs: Any) -> Any:
    """``Multiply(**kwargs)(inputs)``.

    Args:
        inputs: the tensors to combine, a list (symbolic tensors build a graph node; arrays are computed now).
        **kwargs: the layer's keywords (``name``, ...).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.multiply([np.array([[5.0]]), np.array([[2.0]])])
        Tensor([[10.]], dtype=float32)
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: list[Any], **kwargs: Any) -> Any:
    """``Average(**kwargs)(inputs)``.

    Args:
        inputs: the tensors to combine, a list (symbolic tensors build a graph node; arrays are computed now).
        **kwargs: the layer's keywords (``name``, ...).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.average([np.array([[5.0]]), np.array([[2.0]])])
        Tensor([[3.5]], dtype=float32)
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: list[Any], **kwargs: Any) -> Any:
    """``Maximum(**kwargs)(inputs)``.

    Args:
        inputs: the tensors to combine, a list (symbolic tensors build a graph node; arrays are computed now).
        **kwargs: the layer's keywords (``name``, ...).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.maximum([np.array([[5.0]]), np.array([[2.0]])])
        Tensor([[5.]], dtype=float32)
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list[Any], **kwargs: Any) -> Any:
    """``Minimum(**kwargs)(inputs)``.

    Args:
        inputs: the tensors to combine, a list (symbolic tensors build a graph node; arrays are computed now).
        **kwargs: the layer's keywords (``name``, ...).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.minimum([np.array([[5.0]]), np.array([[2.0]])])
        Tensor([[2.]], dtype=float32)
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list[Any], axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis, **kwargs)(inputs)``.

    Args:
        inputs: the tensors to combine, a list (symbolic tensors build a graph node; arrays are computed now).
        axis: the axis to join along.
        **kwargs: the layer's keywords (``name``, ...).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.concatenate([np.zeros((1, 2)), np.ones((1, 1))], axis=-1)
        Tensor([[0., 0., 1.]], dtype=float32)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list[Any], axes: int | Sequence[int] = -1, normalize: bool = False, **kwargs: Any) -> Any:
    """``Dot(axes, normalize, **kwargs)(inputs)``.

    Args:
        inputs: the two tensors, a list.
        axes: the axis of each input to sum over: one int for both, or a pair.
        normalize: scale both to unit L2 norm along those axes first.
        **kwargs: the layer's keywords (``name``, ...).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.dot([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])], axes=1)
        Tensor([[11.]], dtype=float32)
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)

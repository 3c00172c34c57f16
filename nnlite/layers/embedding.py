"""Embedding and GlobalAveragePooling1D: the text-classification MLP's first two layers (token ids to
vectors, then their average over the sequence)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import constraints, initializers, regularizers
from ..variables import Occurrences, row_sums
from .base import LAYERS, Context, Layer, document_keywords


@LAYERS.register(example={"input_dim": 10, "output_dim": 3})
class Embedding(Layer):
    """a[b, t] = embeddings[x[b, t]]: each token id x in [0, input_dim) picks a row of the
    (input_dim, output_dim) matrix; (batch, steps) -> (batch, steps, output_dim).

    Backward: embeddings.grad[i] = sum of grad_a[b, t] over the positions where x[b, t] = i (ids are not
    differentiable: no grad_x).

    Args:
        input_dim: the vocabulary size: ids run from 0 to input_dim - 1.
        output_dim: the length of each token's vector.
        embeddings_initializer: how the matrix starts (default "uniform" in [-0.05, 0.05], as Keras).
        embeddings_regularizer: a penalty on the matrix added to the loss.
        embeddings_constraint: a projection applied to the matrix after each step.
        mask_zero: whether id 0 is padding: the output then carries the mask x != 0, which the recurrent layers,
            GlobalAveragePooling1D and the loss read (masked steps skipped).
        weights: a starting matrix (input_dim, output_dim) instead of the initializer.
        lora_rank: Keras's low-rank adaptation; not supported (must be None).
        lora_alpha: with ``lora_rank``; must be None.
        quantization_config: Keras's quantization; not supported (must be None).
        **kwargs: ``name``, ``dtype``, ``trainable``.

    Example:
        >>> import numpy as np, nnlite
        >>> table = nnlite.layers.Embedding(3, 2, weights=np.arange(6.0).reshape(3, 2))
        >>> table(np.array([[2, 0]])).tolist()
        [[[4.0, 5.0], [0.0, 1.0]]]
    """

    casts = ""  # token ids are read as they come (a float32 cast would change ids above 2^24)

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None, mask_zero: bool = False,
                 weights: Any = None, lora_rank: int | None = None, lora_alpha: float | None = None,
                 quantization_config: Any = None, **kwargs: Any) -> None:
        for key, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"`{key}` must be a positive integer. Received: {key}={value} (of type "
                                 f"{type(value).__name__}).")
        for key, value in (("lora_rank", lora_rank), ("quantization_config", quantization_config)):
            if value is not None:
                raise ValueError(f"nnlite's Embedding has no {key}; got {key}={value!r}.")
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.supports_masking = bool(mask_zero)  # it makes the mask (Keras's)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.lora_rank, self.lora_alpha = lora_rank, lora_alpha
        self.embeddings = None
        if weights is not None:
            self.build(None)
            self.set_weights(weights if isinstance(weights, (list, tuple)) else [weights])

    def build(self, input_shape=None):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, name="embeddings")
        super().build((None, None) if input_shape is None else input_shape)  # Keras builds it without a shape

    def weight_shapes(self, input_shape):
        return [(self.input_dim, self.output_dim)]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_mask(self, inputs, mask=None):
        """m = x != 0 with mask_zero (the padding id), else None.

        Args:
            inputs: the token ids.
            mask: ignored: an Embedding makes its own.
        """
        return np.asarray(inputs) != 0 if self.mask_zero else None

    def forward(self, x, ctx: Context):
        ids = np.asarray(x)
        if ids.dtype.kind == "f":
            if not np.all(ids == np.floor(ids)):
                raise ValueError(f"Embedding {self.name!r} takes token ids (whole numbers); got values such as "
                                 f"{ids[ids != np.floor(ids)][0]!r}.")
        ids = ids.astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            raise ValueError(f"Embedding {self.name!r} takes ids in [0, {self.input_dim}); got ids from {ids.min()} "
                             f"to {ids.max()}.")
        return self.embeddings.value[ids], ids

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        ids, slices = saved.ravel(), grad_a.reshape(-1, self.output_dim)  # one slice per token occurrence
        row_sums(ids, slices, self.input_dim, out=ctx.grad(self.embeddings))  # rows hit by several ids add up
        if not ctx.peek:  # what Keras's optimizers square (see optimizers.base.RowGrad)
            self.embeddings.grad_rows = Occurrences(ids, slices, self.input_dim)
        return None

    grad_equations = {"embeddings": "grad_a added into the rows of the ids that picked them"}

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero, "quantization_config": None}


@document_keywords
@LAYERS.register()
class GlobalAveragePooling1D(Layer):
    """a[b, c] = mean over the steps t of x[b, t, c] (channels_last; x[b, c, t] with channels_first).
    grad_x = grad_a / steps, copied to every step.

    Args:
        data_format: "channels_last" (batch, steps, channels) or "channels_first" (batch, channels, steps); ``None`` for
            "channels_last".
        keepdims: keep the steps axis, of length 1.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.GlobalAveragePooling1D()(np.array([[[1.0, 10.0], [3.0, 30.0]]]))  # mean over steps
        Tensor([[ 2., 20.]], dtype=float32)
    """

    mask_by_position = True  # Keras's call(inputs, mask=None): layer(x, mask) works too

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        data_format = "channels_last" if data_format is None else str(data_format).lower()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                             f"Received: data_format={data_format}")
        self.data_format, self.keepdims = data_format, bool(keepdims)
        self._build_at_init(GlobalAveragePooling1D)

    @property
    def _steps_axis(self) -> int:
        return 1 if self.data_format == "channels_last" else 2

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: expected ndim=3, "
                             f"found ndim={len(input_shape)}. Full shape received: {tuple(input_shape)}")
        shape = list(input_shape)
        if self.keepdims:
            shape[self._steps_axis] = 1
        else:
            shape.pop(self._steps_axis)
        return tuple(shape)

    def forward(self, x, ctx: Context):
        self.compute_output_shape(x.shape)
        return x.mean(axis=self._steps_axis, keepdims=self.keepdims), x.shape

    def forward_masked(self, x, mask, ctx: Context):
        """With a mask m (batch, steps): a = sum_t m_t x_t / sum_t m_t (Keras's; 0/0 where every step is masked).

        Args:
            x: the batch.
            mask: True for the steps that count, or None.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        if mask is None:
            return self.forward(x, ctx)
        self.compute_output_shape(x.shape)
        axis = self._steps_axis
        m = np.expand_dims(np.asarray(mask, x.dtype), 2 if axis == 1 else 1)  # (N, T, 1) or (N, 1, T)
        with np.errstate(invalid="ignore", divide="ignore"):
            count = m.sum(axis=axis, keepdims=True)
            a = (x * m).sum(axis=axis, keepdims=True) / count
        return (a if self.keepdims else a.squeeze(axis)), (x.shape, m / count)

    def compute_mask(self, inputs, mask=None):
        return None  # the steps are averaged away

    supports_masking = True

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        axis = self._steps_axis
        g = grad_a if self.keepdims else np.expand_dims(grad_a, axis)
        if isinstance(saved, tuple) and isinstance(saved[1], np.ndarray):  # masked: grad_x_t = grad_a m_t / sum m
            shape, weights = saved
            return np.broadcast_to(g * weights, shape).copy()
        return np.broadcast_to(g / saved[axis], saved).copy()

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}

"""Masking: padded steps marked as missing, for the layers after it that read masks (the recurrent layers,
GlobalAveragePooling1D) and for the loss."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .base import LAYERS, Context, Layer, document_keywords


@document_keywords
@LAYERS.register()
class Masking(Layer):
    """m[b, t] = any over the features c of x[b, t, c] != mask_value;  a = x m (the masked steps set to zero).

    The mask m travels with the output: a recurrent layer skips the steps where m is False (its state carries
    over), GlobalAveragePooling1D averages the others, and the loss leaves them out. Backward: grad_x = grad_a m.

    Args:
        mask_value: the value that marks a padded step: a step is masked when all its features equal it.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
        >>> nnlite.layers.Masking().compute_mask(x).tolist()  # the all-zero step is masked
        [[True, False, True]]
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        if isinstance(mask_value, dict) and mask_value.get("class_name") in ("__numpy__", "__tensor__"):
            mask_value = np.asarray(mask_value.get("config", {}).get("value"))  # a value serialized as Keras does
        if not isinstance(mask_value, (numbers.Real, np.ndarray)) or isinstance(mask_value, bool):
            raise TypeError(f"Masking's mask_value must be a number; got {mask_value!r}.")
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self._build_at_init(Masking)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_mask(self, inputs, mask=None):
        return np.any(np.asarray(inputs) != self.mask_value, axis=-1)  # (batch, steps)

    def forward(self, x, ctx: Context):
        m = np.any(x != self.mask_value, axis=-1, keepdims=True).astype(x.dtype)  # (batch, steps, 1)
        return x * m, m

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a * saved

    def get_config(self):
        value = self.mask_value
        return {**super().get_config(), "mask_value": value.tolist() if isinstance(value, np.ndarray) else value}

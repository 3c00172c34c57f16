"""The Tensor that calls hand back: a NumPy array with Keras's ``.numpy()``."""

from __future__ import annotations

from typing import Any

import numpy as np


class Tensor(np.ndarray):
    """A NumPy array with Keras's tensor conveniences (``numpy()``)."""

    def numpy(self) -> np.ndarray:
        """The values as a plain NumPy array (a copy)."""
        return np.array(self)


def as_tensor(value: Any) -> Tensor:
    """``value`` as a Tensor (a view where it already is an array)."""
    return np.asarray(value).view(Tensor)

"""``keras.backend``: the names Keras programs call (floatx, epsilon, clear_session, dtype checks, ...)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import promotion
from .config import (
    backend,
    clear_session,
    epsilon,
    floatx,
    get_uid,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from .layers.node import KerasTensor


def is_keras_tensor(x: Any) -> bool:
    """Whether x is a symbolic tensor (from ``keras.Input`` or a layer called on one).

    Args:
        x: any object.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.backend.is_keras_tensor(nnlite.Input((2,))), nnlite.backend.is_keras_tensor(np.ones(2))
        (True, False)
    """
    return isinstance(x, KerasTensor)


def standardize_dtype(dtype: Any = None) -> str:
    """A dtype's name ("float32", "int64", ...; floatx for None).

    Args:
        dtype: a dtype, its name, another library's dtype object, or None.

    Returns:
        The dtype's name.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.backend.standardize_dtype(np.float64), nnlite.backend.standardize_dtype(None)
        ('float64', 'float32')
    """
    if dtype is None:
        return floatx()
    if dtype in (int, float, bool):  # Python's types, as Keras names them on TensorFlow
        return {int: "int64", float: "float32", bool: "bool"}[dtype]
    return np.dtype(getattr(dtype, "name", dtype)).name


def is_float_dtype(dtype: Any) -> bool:
    """Whether the dtype is a float one.

    Args:
        dtype: a dtype, its name, or an array's dtype.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.backend.is_float_dtype("float16"), nnlite.backend.is_float_dtype("int32")
        (True, False)
    """
    return np.dtype(standardize_dtype(dtype)).kind == "f"


def is_int_dtype(dtype: Any) -> bool:
    """Whether the dtype is an integer one.

    Args:
        dtype: a dtype, its name, or an array's dtype.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.backend.is_int_dtype("int64"), nnlite.backend.is_int_dtype("float32")
        (True, False)
    """
    return np.dtype(standardize_dtype(dtype)).kind in "iu"


def result_type(*dtypes: Any) -> str:
    """The dtype an operation on these dtypes gives, by Keras's promotion (``nnlite.promotion``): Python's int and
    float are weak types that give way to a tensor's dtype; floatx when none is given.

    Args:
        *dtypes: dtypes, their names, or Python's int, float and bool.

    Example:
        >>> import nnlite
        >>> nnlite.backend.result_type("int32", "float32"), nnlite.backend.result_type("int8", int)
        ('float32', 'int8')
    """
    return promotion.result_type(*dtypes)


__all__ = ["backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format", "is_float_dtype",
           "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon", "set_floatx", "set_image_data_format",
           "standardize_dtype"]

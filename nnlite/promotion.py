"""Type promotion: the dtype an operation on tensors of several dtypes gives, by Keras's rules.

    result = join(d_1, ..., d_n)  on the promotion lattice below (the least dtype above all of them),

where a Python number counts as a *weak* type ("int" for 3, "float" for 2.5) that gives way to any
tensor's dtype: int32 + 2 stays int32, float16 * 2.0 stays float16, int32 * 2.5 is a float. A weak result
(only Python numbers, or an integer tensor meeting a Python float) takes floatx's precision: int32 * 2.5
is float32 under floatx float32. Keras took the lattice from JAX; on its TensorFlow backend int64 and
float64 stay themselves (uint64 becomes uint32, complex128 complex64).

Lattice (each dtype points at the ones immediately above it):

    bool -> int;  int -> uint8, int8, complex64;  uint8 -> int16, uint16;  uint16 -> int32, uint32;
    uint32 -> int64, uint64;  uint64 -> float;  int8 -> int16 -> int32 -> int64 -> float;
    float -> bfloat16, float16;  bfloat16, float16 -> float32 -> float64, complex64;
    float64 -> complex128;  complex64 -> complex128
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from . import config

ABOVE = {  # each dtype -> the dtypes immediately above it
    "bool": ("int",), "int": ("uint8", "int8", "complex64"),
    "uint8": ("int16", "uint16"), "uint16": ("int32", "uint32"), "uint32": ("int64", "uint64"), "uint64": ("float",),
    "int8": ("int16",), "int16": ("int32",), "int32": ("int64",), "int64": ("float",),
    "float": ("bfloat16", "float16"), "bfloat16": ("float32",), "float16": ("float32",),
    "float32": ("float64", "complex64"), "float64": ("complex128",), "complex64": ("complex128",), "complex128": (),
}
WEAK = ("int", "float")  # Python's int and float, giving way to any tensor's dtype
NARROWED = {"uint64": "uint32", "complex128": "complex64"}  # as the TensorFlow backend narrows them


def _closure() -> dict[str, frozenset[str]]:
    """For each dtype, every dtype at or above it."""
    up: dict[str, frozenset[str]] = {}

    def above(d: str) -> frozenset[str]:
        if d not in up:
            up[d] = frozenset({d}).union(*(above(e) for e in ABOVE[d]))
        return up[d]

    for d in ABOVE:
        above(d)
    return up


UPPER = _closure()


@functools.lru_cache(256)
def join(*nodes: str) -> str:
    """The least dtype at or above every one of ``nodes`` on the lattice."""
    unknown = [n for n in nodes if n not in UPPER]
    if unknown:
        raise ValueError(f"dtype={unknown[0]!r} is not a valid dtype for Keras type promotion; the dtypes are "
                         f"{sorted(d for d in UPPER if d not in WEAK)}.")
    common = frozenset.intersection(*(UPPER[n] for n in nodes))
    least = [c for c in common if common <= UPPER[c]]  # the one all the others are above
    if len(least) != 1:
        raise ValueError(f"Input dtypes {nodes} have no available implicit dtype promotion path. Try explicitly "
                         "casting inputs to the desired output type.")
    return least[0]


def _name(dtype: Any) -> tuple[str, bool]:
    """(dtype name, weak) of a dtype, its name, or Python's int, float or bool."""
    if dtype is int:
        return "int64", True
    if dtype is float:
        return "float32", True
    if dtype is bool:
        return "bool", False
    if dtype is None:
        return config.floatx(), False
    if isinstance(dtype, str) and dtype in ABOVE:  # names NumPy may not know (bfloat16)
        return dtype, False
    return np.dtype(getattr(dtype, "name", dtype)).name, False


def result_type(*dtypes: Any) -> str:
    """The dtype an operation on ``dtypes`` gives (dtypes, their names, or Python's int, float and bool as
    weak types); floatx when none is given.

    Example:
        >>> from nnlite import promotion
        >>> promotion.result_type("int32", int), promotion.result_type("int32", float)
        ('int32', 'float32')
        >>> promotion.result_type("float16", float), promotion.result_type("int32", "float16")
        ('float16', 'float16')
    """
    if not dtypes:
        return config.floatx()
    names, weak = zip(*(_name(d) for d in dtypes))
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):  # Python numbers only: their strong forms joined, the result weak
        out, out_weak = join(*set(names)), True
    else:
        nodes = {_weak_node(n) if w else n for n, w in zip(names, weak)}
        out = join(*nodes)
        out_weak = out in WEAK
    if out_weak and out != "bool":  # at floatx's precision: "int" -> int32 under float32, "float" -> float32
        kind = {"i": "int", "u": "uint"}.get(out[0], "float")
        out = kind + config.floatx()[-2:]
    return NARROWED.get(out, out)


def _weak_node(name: str) -> str:
    return "float" if "float" in name else "int" if "int" in name else name


def tensor_dtype(value: Any) -> str:
    """The dtype of the tensor Keras makes of ``value``: a Python int as int32, a float as float32, a bool as bool
    (no weak types), an array's or tensor's own."""
    dtype = dtype_of(value)
    return {int: "int32", float: "float32"}.get(dtype, dtype)


def dtype_of(value: Any) -> Any:
    """What ``result_type`` reads for one argument of an op: an array's or tensor's dtype name, Python's int or
    float (weak) for a Python number, "bool" for True/False; a list as NumPy reads it (float64, int64)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return type(value)
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        return dtype if isinstance(dtype, str) else np.dtype(dtype).name
    return np.asarray(value).dtype.name


def promoted(*values: Any, floating: bool = False) -> str:
    """The dtype an op on ``values`` computes in (``floating``: at least a float, as a true division)."""
    return result_type(*(dtype_of(v) for v in values), *((float,) if floating else ()))


def floating(*values: Any) -> str:
    """The dtype a true division of ``values`` computes in: the promoted one, at least a float."""
    return promoted(*values, floating=True)


def floating_tensors(*values: Any) -> str:
    """As ``floating``, with a Python number taken as the tensor Keras makes of it (atan2: float16 and 2.5 meet
    in float32)."""
    return result_type(*(tensor_dtype(v) for v in values), float)

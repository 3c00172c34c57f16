"""What a file being loaded may make nnlite allocate: no more than the file itself justifies.

A ``.keras`` file declares shapes (an ``Input((8000, 8000))``, a ``Dense(8000)``) in a few bytes of JSON; the
arrays it may ask for must be paid for by data it actually holds. While a file is loaded, every weight a
layer creates is charged against the weight elements its ``model.weights.h5`` holds,

    sum over weights w built so far of size(w)  <=  B = sum over the file's datasets d of size(d),

and a weight that would go over ``B`` is refused before its array is made. ``B`` itself is bounded by the
bytes stored: the datasets' declared size may exceed their stored size by at most ``MAX_INFLATION`` (an HDF5
dataset can be compressed, or never written and read as its fill value), and a zip member's unpacked size
its packed size likewise (``keras_file.read_member``). State the file does not hold (a metric's confusion
counts at ``num_thresholds`` thresholds, say) is limited to ``MAX_UNPAID_ELEMENTS`` numbers in all. Outside a
load nothing is charged.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from typing import Any

MAX_CONFIG_BYTES = 64 * 2**20  # config.json and each vocabulary asset
MAX_WEIGHTS_BYTES = 8 * 2**30  # model.weights.h5 unpacked
MAX_INFLATION = 100  # unpacked (or declared) size / stored size, above FREE_BYTES
FREE_BYTES = 16 * 2**20  # a member or a weights file this small may inflate freely
MAX_PROBE_ELEMENTS = 2**24  # an op whose output shape needs running it, on stand-ins of at most this size
MAX_UNPAID_ELEMENTS = 2**24  # numbers a file may make nnlite allocate that it does not hold (metric state)


class LoadError(ValueError):
    """A file that nnlite cannot or will not load; the message says what and why.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "bad.keras")
        >>> _ = open(path, "wb").write(b"not a zip")
        >>> try:
        ...     nnlite.saving.load_model(path)
        ... except nnlite.saving.LoadError as error:
        ...     print(type(error).__name__)
        LoadError
    """


# [weight numbers the file still pays for, unpaid numbers still allowed], while a file loads
_budget: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("nnlite_weight_budget", default=None)


def inflation_checked(declared: int, stored: int, what: str) -> int:
    """``declared`` bytes, refused when they exceed ``max(MAX_INFLATION * stored, FREE_BYTES)``."""
    if declared > max(MAX_INFLATION * stored, FREE_BYTES):
        raise LoadError(f"{what} declares {declared} bytes but stores {stored}: over the limit of {MAX_INFLATION}x "
                        f"(above {FREE_BYTES} bytes); refused before reading it.")
    return declared


@contextlib.contextmanager
def weight_budget(elements: int) -> Iterator[None]:
    """Within the block, the weights layers create may hold ``elements`` numbers in all (see the module)."""
    token = _budget.set([int(elements), MAX_UNPAID_ELEMENTS])
    try:
        yield
    finally:
        _budget.reset(token)


def loading() -> bool:
    """Whether a file is being loaded in this context (a weight budget is in force)."""
    return _budget.get() is not None


def charge(shape: Any, name: str) -> None:
    """Pay for a weight of ``shape`` from the current load's budget; refuse it (LoadError) when too large."""
    left = _budget.get()
    if left is None:
        return
    size = math.prod(int(d) for d in shape)
    if size > left[0]:
        raise LoadError(f"the config asks for a weight {name!r} of shape {tuple(shape)} ({size} numbers), but the "
                        f"weights file holds only {left[0]} numbers not yet used; refused before allocating it.")
    left[0] -= size


def charge_unpaid(size: int, what: str) -> None:
    """Allow ``size`` numbers of state the file does not hold (see the module); refuse them while loading
    once ``MAX_UNPAID_ELEMENTS`` are spent."""
    left = _budget.get()
    if left is None:
        return
    if size > left[1]:
        raise LoadError(f"{what} would hold {size} numbers the file does not contain, over the limit of "
                        f"{MAX_UNPAID_ELEMENTS} in all while a file loads; refused before allocating them.")
    left[1] -= size

"""Warnings that point at the user's line, not at nnlite's."""

from __future__ import annotations

import inspect
import os
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` with the stack level of the first caller outside the nnlite package."""
    frame, level = inspect.currentframe().f_back, 2  # level 2: whoever called warn()
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)

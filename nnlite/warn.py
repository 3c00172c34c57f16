"""Warnings that point at the user's line, not at nnlite's."""

from __future__ import annotations

import inspect
import os
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_PROGRAM = _PACKAGE + "__main__.py"  # python -m nnlite: the program the user runs, so their line


def _inside(frame) -> bool:
    path = os.path.abspath(frame.f_code.co_filename)
    return path.startswith(_PACKAGE) and path != _PROGRAM


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` with the stack level of the first caller outside the nnlite package."""
    frame, level = inspect.currentframe().f_back, 2  # level 2: whoever called warn()
    while frame is not None and _inside(frame):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)

"""Argument texts that several classes share, written once and put into each docstring (so help() shows them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def with_arguments(text: str, placeholder: str = "common arguments") -> Callable[[T], T]:
    """A class (or function) decorator: the docstring's ``{<placeholder>}`` line becomes ``text`` (Args entries
    indented as the class's own)."""
    line = f"        {{{placeholder}}}\n"

    def document(cls: T) -> T:
        if line not in (cls.__doc__ or ""):
            raise ValueError(f"{getattr(cls, '__name__', cls)}'s docstring has no {line.strip()} line to fill.")
        cls.__doc__ = cls.__doc__.replace(line, text)
        return cls
    return document

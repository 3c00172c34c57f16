"""Argument texts that several classes share, written once and put into each docstring (so help() shows them)."""

from __future__ import annotations

from collections.abc import Callable

PLACEHOLDER = "        {common arguments}\n"


def with_arguments(text: str) -> Callable[[type], type]:
    """A class decorator: the docstring's ``{common arguments}`` line becomes ``text`` (Args entries indented
    as the class's own)."""
    def document(cls: type) -> type:
        if PLACEHOLDER not in (cls.__doc__ or ""):
            raise ValueError(f"{cls.__name__}'s docstring has no {PLACEHOLDER.strip()} line to fill.")
        cls.__doc__ = cls.__doc__.replace(PLACEHOLDER, text)
        return cls
    return document

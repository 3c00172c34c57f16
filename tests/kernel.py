"""Run code as one notebook cell in a fresh Jupyter kernel and return its stored outputs."""

from __future__ import annotations

from .conftest import require


def run_cell(source: str) -> list:
    """The outputs a saved notebook would keep for a cell of ``source`` (display updates applied)."""
    nbformat = require("nbformat")
    nbclient = require("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(source))
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    return notebook.cells[0].outputs

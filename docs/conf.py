"""Sphinx configuration of nnlite's reference manual: python -m sphinx -W -b html docs docs/_build/html.

The README is the front page, the notebooks are rendered with their outputs (run while the manual is built),
and every public module gets a page written from its docstrings (``reference/<module>.rst``, generated here
from the module's public names, so a new class appears without editing anything).
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import re
import shutil
import sys
import types

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import nnlite  # noqa: E402

project = "nnlite"
author = "the nnlite authors"
release = version = nnlite.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax", "sphinx.ext.viewcode", "myst_nb"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "images/*.py", "**.ipynb_checkpoints"]
html_theme = "furo"
html_title = f"nnlite {release}"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
nb_execution_mode = "force"  # the notebooks are run as the manual is built: their pictures are today's
nb_execution_timeout = 600
nb_execution_raise_on_error = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # the README's first heading is the page title; later levels may skip

# the public modules, each a page; the order is the README's table
MODULES = ["layers", "models", "activations", "losses", "metrics", "optimizers", "initializers", "regularizers",
           "constraints", "callbacks", "ops", "autodiff", "saving", "utils", "datasets", "random", "backend", "config",
           "dtype_policies"]


def public_names(module: types.ModuleType) -> list[str]:
    """The classes and functions a module offers: its ``__all__``, else its names without a leading underscore
    that are defined in nnlite (not NumPy's or the standard library's)."""
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    keep = []
    for name in names:
        obj = getattr(module, name, None)
        if isinstance(obj, types.ModuleType) or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if str(getattr(obj, "__module__", "")).startswith("nnlite"):
            keep.append(name)
    return keep


def write_reference(_app=None) -> None:
    """reference/<module>.rst for each public module, and reference/index.rst listing them."""
    folder = HERE / "reference"
    folder.mkdir(exist_ok=True)
    documented: set[int] = set()
    for name in MODULES:
        module = importlib.import_module(f"nnlite.{name}")
        lines = [f"nnlite.{name}", "=" * (len(name) + 7), "", f".. automodule:: nnlite.{name}", "   :no-members:", ""]
        for public in public_names(module):
            obj = getattr(module, public)
            kind = "autoclass" if inspect.isclass(obj) else "autofunction"
            lines += [f".. {kind}:: nnlite.{name}.{public}"]
            if id(obj) in documented:  # the same object offered by another module: described once
                lines += ["   :no-index:"]
            documented.add(id(obj))
            lines += [""]
        (folder / f"{name}.rst").write_text("\n".join(lines))
    index = ["Reference", "=========", "", "One page per module, written from the docstrings.", "",
             ".. toctree::", "   :maxdepth: 1", ""] + [f"   {name}" for name in MODULES]
    (folder / "index.rst").write_text("\n".join(index) + "\n")


SECTIONS = re.compile(r"^\s*(Args|Arguments|Returns|Raises|Example|Examples|Note|Notes|Yields|Attributes):\s*$")


def _escaped(text: str) -> str:
    """Plain text with formulas: |x|, x * y and val_ are text here, not reST markup."""
    parts = re.split(r"(``.*?``|`[^`]*`)", text)
    return "".join(part if part.startswith("`") else re.sub(r"(\w)_(?=\W|$)", r"\1\\_",
                                                             re.sub(r"([|*])", r"\\\1", part))
                   for part in parts)


def plain_docstrings(app, what, name, obj, options, lines) -> None:
    """nnlite's docstrings are plain text that opens with the formula, with equations indented under the
    line that introduces them: the indented runs become literal blocks (shown as written) and the rest is
    escaped where reST would read markup. Runs before napoleon, which then reads its Args/Returns sections."""
    out: list[str] = []
    literal_at: int | None = None  # indent of the line a literal block hangs from
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if literal_at is not None:
            if line.strip() and indent <= literal_at:
                out.append("")
                literal_at = None
            else:
                out.append(line)
                continue
        if line.rstrip().endswith("::"):
            out.append(line)
            literal_at = indent
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        deeper = following.strip() and len(following) - len(following.lstrip()) > indent
        if line.strip() and deeper and not SECTIONS.match(line):
            out += [_escaped(line), "", " " * indent + "::", ""]
            literal_at = indent
            continue
        out.append(line if SECTIONS.match(line) else _escaped(line))
    lines[:] = out


def copy_linked_files(_app=None) -> None:
    """The README links the notebooks and the benchmark results by their paths in the repository; the manual
    is built from docs/, so copies of them are put there (they are build products, not kept in git)."""
    (HERE / "notebooks").mkdir(exist_ok=True)
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy2(notebook, HERE / "notebooks" / notebook.name)
    (HERE / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    for name in ("README.md", "cores.md", "peers.png", "sweeps.png"):
        shutil.copy2(ROOT / "benchmarks" / "results" / name, HERE / "benchmarks" / "results" / name)


def setup(app):
    app.connect("builder-inited", write_reference)
    app.connect("builder-inited", copy_linked_files)
    app.connect("autodoc-process-docstring", plain_docstrings, priority=400)

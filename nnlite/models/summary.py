"""model.summary() as text and as an HTML table: name (type), output shape, parameters, and the totals."""

from __future__ import annotations

import os
import sys
import textwrap
from typing import Any

from . import keras_ops


def _size(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return ""


def rows(model: Any, expand_nested: bool = False, indent: str = "") -> list[tuple[str, ...]]:
    """(name (type), output shape, parameter count, trainable, connected to) for each layer; with
    ``expand_nested`` the layers of a model inside the model follow it, indented. "Connected to"
    (a graph's: which layer calls feed this one, as layer[node][tensor]) is empty for a stack."""
    out = []
    shape = getattr(model, "input_shape", None)  # None: a Sequential without its Input yet
    graph = callable(getattr(model, "connections", None))
    for layer in model.operations if graph else model.layers:  # a graph lists its ops too, as Keras's summary does
        if graph:
            shape, sources = model.connections(layer)
        else:
            shape, sources = (layer.compute_output_shape(shape) if shape is not None else None), ""
        params = layer.count_params() if layer.built else 0
        out.append((f"{indent}{layer.name} ({keras_ops.class_name(layer)})", str(shape or "?"), f"{params:,}",
                    "Y" if layer.trainable else "N", sources))
        if expand_nested and hasattr(layer, "layers"):
            out += rows(layer, True, indent + "  ")
    return out


def totals(model: Any) -> list[str]:
    """The lines under the table: total, trainable and non-trainable parameters with their sizes."""
    if not model.built:
        return []
    weights, trainable = model.weights, model.trainable_weights
    trainable_ids = {id(w) for w in trainable}
    count = sum(w.value.size for w in weights)
    n_train = sum(w.value.size for w in trainable)
    size_train = sum(w.value.nbytes for w in trainable)
    size_other = sum(w.value.nbytes for w in weights if id(w) not in trainable_ids)
    return [f"Total params: {count:,} ({_size(size_train + size_other)})",
            f"Trainable params: {n_train:,} ({_size(size_train)})",
            f"Non-trainable params: {count - n_train:,} ({_size(size_other)})"]


def available_width() -> int | None:
    """The columns the table may take: $COLUMNS, else the terminal's, else 100 in Jupyter (its output area
    wraps long lines), else None (a pipe or a file: lines are kept whole)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        pass
    return 100 if "ipykernel" in sys.modules else None


def _fit(widths: list[int], target: int, minimum: list[int]) -> list[int]:
    """Narrow the widest columns first, one character at a time, until the row fits ``target`` (separators
    included) or every column is at its minimum."""
    widths = list(widths)
    while sum(widths) + len(widths) - 1 > target:
        wide = [i for i in range(len(widths)) if widths[i] > minimum[i]]
        if not wide:
            break
        widest = max(wide, key=lambda i: widths[i] - minimum[i])
        widths[widest] -= 1
    return widths


def text(model: Any, line_length: int | None = None, show_trainable: bool = False,
         expand_nested: bool = False) -> str:
    """The table in plain text, columns fitted to their contents; narrowed to ``line_length`` (or the
    terminal's width) by wrapping the cells that do not fit, or spread over a wider ``line_length``."""
    header = ("Layer (type)", "Output Shape", "Param #", "Trainable", "Connected to")
    table = [header, *rows(model, expand_nested)]
    graph = callable(getattr(model, "connections", None))
    keep = [0, 1, 2] + ([3] if show_trainable else []) + ([4] if graph else [])
    table = [[r[i] for i in keep] for r in table]
    widths = [max(len(r[j]) for r in table) + 2 for j in range(len(keep))]
    target = line_length if line_length is not None else available_width()
    if target is not None and target > sum(widths) + len(widths) - 1 and line_length is not None:
        widths[0] += target - (sum(widths) + len(widths) - 1)
    elif target is not None:  # first keep names and sources readable, then give way down to the headers' words
        hard = [max(8, max(len(word) for word in cell.split()) + 2) for cell in table[0]]
        soft = [max(h, min(w, (22, 14, 99, 99, 18)[keep[j]])) for j, (h, w) in enumerate(zip(hard, widths))]
        widths = _fit(_fit(widths, target, soft), target, hard)
    line = "+".join("-" * w for w in widths)
    out = [f'Model: "{model.name}"', line]
    right = {keep.index(2)}
    center = {keep.index(3)} if show_trainable else set()
    for i, r in enumerate(table):
        wrapped = [textwrap.wrap(cell, w - 2, break_on_hyphens=False) or [""] for cell, w in zip(r, widths)]
        for k in range(max(len(c) for c in wrapped)):
            cells = []
            for j, (parts, w) in enumerate(zip(wrapped, widths)):
                piece = parts[k] if k < len(parts) else ""
                cells.append(f"{piece:>{w - 1}} " if j in right else f"{piece:^{w}}" if j in center
                             else f" {piece:<{w - 1}}")
            out.append("|".join(cells))
        if i == 0:
            out.append(line.replace("-", "="))
    out.append(line)
    out += [f" {t}" for t in totals(model)]
    return "\n".join(out)


def html(model: Any) -> str:
    """The same table as HTML, for Jupyter."""
    import html as html_module  # only Jupyter needs it

    graph = callable(getattr(model, "connections", None))
    body = "".join(f"<tr><td>{html_module.escape(r[0])}</td><td>{html_module.escape(r[1])}</td>"
                   f"<td style='text-align:right'>{r[2]}</td>"
                   + (f"<td>{html_module.escape(r[4])}</td>" if graph else "") + "</tr>" for r in rows(model))
    notes = "".join(f"<div>{html_module.escape(t)}</div>" for t in totals(model))
    return (f"<p><b>Model: {html_module.escape(model.name)}</b></p><table><tr><th>Layer (type)</th>"
            f"<th>Output Shape</th><th>Param #</th>" + ("<th>Connected to</th>" if graph else "")
            + f"</tr>{body}</table>{notes}")

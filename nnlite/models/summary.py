"""model.summary() as text and as an HTML table: name (type), output shape, parameters, and the totals."""

from __future__ import annotations

import html as html_module
from typing import Any


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
    shape = model.input_shape
    graph = callable(getattr(model, "connections", None))
    for layer in model.layers:
        if graph:
            shape, sources = model.connections(layer)
        else:
            shape, sources = (layer.compute_output_shape(shape) if shape is not None else None), ""
        params = layer.count_params() if layer.built else 0
        out.append((f"{indent}{layer.name} ({type(layer).__name__})", str(shape or "?"), f"{params:,}",
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


def text(model: Any, line_length: int | None = None, show_trainable: bool = False,
         expand_nested: bool = False) -> str:
    """The table in plain text, columns fitted to their contents (or spread over ``line_length``)."""
    header = ("Layer (type)", "Output Shape", "Param #", "Trainable", "Connected to")
    table = [header, *rows(model, expand_nested)]
    graph = callable(getattr(model, "connections", None))
    columns = 4 if show_trainable else 3
    widths = [max(len(r[i]) for r in table) + 2 for i in range(columns)]
    if graph:
        widths.append(max(len(r[4]) for r in table) + 2)
    if line_length is not None and line_length > sum(widths) + columns - 1:
        widths[0] += line_length - (sum(widths) + columns - 1)
    line = "+".join("-" * w for w in widths)
    out = [f'Model: "{model.name}"', line]
    for i, r in enumerate(table):
        cells = [f" {r[0]:<{widths[0] - 1}}", f" {r[1]:<{widths[1] - 1}}", f"{r[2]:>{widths[2] - 1}} "]
        if show_trainable:
            cells.append(f"{r[3]:^{widths[3]}}")
        if graph:
            cells.append(f" {r[4]:<{widths[-1] - 1}}")
        out.append("|".join(cells))
        if i == 0:
            out.append(line.replace("-", "="))
    out.append(line)
    out += [f" {t}" for t in totals(model)]
    return "\n".join(out)


def html(model: Any) -> str:
    """The same table as HTML, for Jupyter."""
    graph = callable(getattr(model, "connections", None))
    body = "".join(f"<tr><td>{html_module.escape(r[0])}</td><td>{html_module.escape(r[1])}</td>"
                   f"<td style='text-align:right'>{r[2]}</td>"
                   + (f"<td>{html_module.escape(r[4])}</td>" if graph else "") + "</tr>" for r in rows(model))
    notes = "".join(f"<div>{html_module.escape(t)}</div>" for t in totals(model))
    return (f"<p><b>Model: {html_module.escape(model.name)}</b></p><table><tr><th>Layer (type)</th>"
            f"<th>Output Shape</th><th>Param #</th>" + ("<th>Connected to</th>" if graph else "")
            + f"</tr>{body}</table>{notes}")

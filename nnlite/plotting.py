"""Pictures for learners: the network as neurons and connections, and training curves.

matplotlib is imported only here, and only when a plot is asked for.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

MAX_DRAWN_NEURONS = 16   # per layer; wider networks are drawn as layer boxes
MAX_LABELLED_WEIGHTS = 40


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("Plotting needs matplotlib: pip install matplotlib "
                          '(or pip install "nnlite-keras[plot]").') from None
    return plt


@cache
def _figure_class() -> type:
    """A matplotlib Figure that Jupyter draws once in a cell that returns it.

    Jupyter's matplotlib backend shows every pyplot figure made in a cell, and a Figure that is
    the cell's value is shown as well: twice. This one remembers the cell it was shown in.
    """
    from matplotlib.figure import Figure

    class ShownOnce(Figure):
        def _ipython_display_(self) -> None:
            """The picture, unless this cell has shown it already."""
            import io

            from IPython import get_ipython
            from IPython.display import Image, display

            shell = get_ipython()
            cell = getattr(shell, "execution_count", None)
            if cell is not None and getattr(self, "shown_in_cell", None) == cell:
                return
            self.shown_in_cell = cell
            png = io.BytesIO()
            self.savefig(png, format="png", bbox_inches="tight")
            display(Image(data=png.getvalue(), format="png"))

    return ShownOnce


def _new_figure(plt: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """``plt.subplots`` with the Figure drawn once in Jupyter."""
    return plt.subplots(*args, FigureClass=_figure_class(), **kwargs)


def _columns(model: Any) -> list[dict[str, Any]]:
    """One column per layer output: its width, title, activation, and what connects it to the column before."""
    shape = getattr(model, "input_shape", None)  # None: a Sequential without its Input yet
    columns = [{"width": shape[-1], "title": "input", "short": None, "kernel": None, "bias": None}]
    for layer in model.layers:
        shape = layer.compute_output_shape(shape)
        kernel, bias = getattr(layer, "kernel", None), getattr(layer, "bias", None)
        activation = getattr(layer.activation, "name", None)
        # a kernel joins the neurons of two columns only where it is (width before, width after): Dense's
        neuron_to_neuron = kernel is not None and kernel.value.shape == (columns[-1]["width"], shape[-1])
        columns.append({
            "width": shape[-1], "layer": layer, "short": activation,
            "title": f"{layer.name}\n{type(layer).__name__}({shape[-1]})" if kernel is not None
            else f"{layer.name}\n{type(layer).__name__}",
            "kernel": kernel.value if neuron_to_neuron else None,
            "bias": bias.value if bias is not None and bias.value.shape == (shape[-1],) else None})
    return columns


def plot_network(model: Any, show_weights: bool | None = None, ax: Any = None) -> Any:
    """Draw ``model``: neurons and connections with w and b labelled on small networks, layer boxes on large ones.

    Any layer is drawn from its own interface: the width of its output
    (``compute_output_shape``), its ``activation``, and its ``kernel`` and ``bias`` where it has
    them (full connections); a layer without a kernel connects each unit to the same one.
    Returns the matplotlib Figure.
    """
    plt = _pyplot()
    if not model.built:
        raise ValueError("plot_network needs a built model: give it an Input(shape=...) or call it on data first.")
    columns = _columns(model)
    sizes = [c["width"] for c in columns]
    boxes = max(sizes) > MAX_DRAWN_NEURONS
    if ax is None:  # sized for the mode chosen: a row of boxes, or columns of neurons
        size = (2.3 * len(sizes), 1.5) if boxes else (min(2.6 * len(sizes), 14), 1.2 + 0.7 * max(sizes))
        fig, ax = _new_figure(plt, figsize=size)
    else:
        fig = ax.figure
    ax.set_axis_off()
    if boxes:
        _draw_boxes(ax, model, sizes)
        return fig
    n_weights = sum(c["kernel"].size for c in columns if c["kernel"] is not None)
    label = n_weights <= MAX_LABELLED_WEIGHTS if show_weights is None else show_weights
    positions = [[(col, (n - 1) / 2 - j) for j in range(n)] for col, n in enumerate(sizes)]
    for col, column in enumerate(columns[1:], start=1):
        W = column["kernel"]
        scale = (np.abs(W).max() or 1.0) if W is not None else 1.0
        for i, (x0, y0) in enumerate(positions[col - 1]):
            for j, (x1, y1) in enumerate(positions[col]):
                if W is None:
                    if i == j:
                        ax.plot([x0, x1], [y0, y1], color="#7f7f7f", linewidth=1, alpha=0.7, zorder=1)
                    continue
                w = W[i, j]
                ax.plot([x0, x1], [y0, y1], color="#d62728" if w < 0 else "#1f77b4",
                        linewidth=0.5 + 2.5 * abs(w) / scale, alpha=0.7, zorder=1)
                if label:
                    t = 0.3 if len(positions[col]) > 1 else 0.5
                    ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), f"{w:.3g}", fontsize=7, ha="center",
                            va="center", bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"}, zorder=3)
    for col, column in enumerate(positions):
        for j, (x, y) in enumerate(column):
            ax.scatter([x], [y], s=750, color="white", edgecolors="black", zorder=2)
            text = f"x{j + 1}" if col == 0 else (columns[col]["short"] or "")
            ax.text(x, y, text, ha="center", va="center", fontsize=8 if len(text) <= 5 else 6, zorder=4)
            bias = columns[col]["bias"]
            if col and label and bias is not None:
                ax.text(x, y + 0.28, f"b={bias[j]:.3g}", ha="center", fontsize=7, zorder=4)
    for col in range(len(sizes)):
        ax.text(col, (max(sizes) - 1) / 2 + 0.8, columns[col]["title"], ha="center", fontsize=9)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-(max(sizes) - 1) / 2 - 0.6, (max(sizes) - 1) / 2 + 1.3)
    return fig


def _draw_boxes(ax: Any, model: Any, sizes: list[int]) -> None:
    labels = [f"Input\n{sizes[0]} features"]
    for layer, width in zip(model.layers, sizes[1:]):
        activation = getattr(layer.activation, "name", None)
        detail = f"({width}, {activation})" if activation else f"({width})"
        labels.append(f"{layer.name}\n{type(layer).__name__}{detail}\n{layer.count_params():,} params")
    for i, text in enumerate(labels):
        ax.text(i, 0, text, ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.5", "fc": "#eef3fb", "ec": "#1f77b4"})
        if i:  # the arrow ends at the boxes' edges, which matplotlib knows once the text is laid out
            ax.annotate("", xy=(i, 0), xytext=(i - 1, 0), xycoords="data",
                        arrowprops={"arrowstyle": "->", "shrinkA": 52, "shrinkB": 52})
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylim(-1, 1)


def _boxes(model: Any, expand_nested: bool) -> list[tuple[Any, int]]:
    """(layer, nesting depth) in drawing order, the model's input first."""
    rows: list[tuple[Any, int]] = []

    def walk(m: Any, depth: int) -> None:
        for layer in m.layers:
            rows.append((layer, depth))
            if expand_nested and hasattr(layer, "layers"):
                walk(layer, depth + 1)

    if getattr(model, "input_layer", None) is not None:
        rows.append((model.input_layer, 0))
    walk(model, 0)
    return rows


def _layer_shapes(layer: Any) -> tuple[Any, Any]:
    """(input shape, output shape) of a layer: from its first call in a graph (the tensors it read and made),
    else from the shape it was built for; a list where there are several."""
    nodes = getattr(layer, "inbound_nodes", None)
    if nodes:
        ins, outs = [t.shape for t in nodes[0].inputs], [t.shape for t in nodes[0].outputs]
        return (ins[0] if len(ins) == 1 else ins), (outs[0] if len(outs) == 1 else outs)
    shape = layer.input_shape
    return shape, (layer.compute_output_shape(shape) if shape is not None else None)


def _box_text(layer: Any, show_shapes: bool, show_dtype: bool, show_layer_names: bool,
              show_layer_activations: bool, show_trainable: bool) -> str:
    """A box's lines as Keras's diagram has them: 'name (Class)', then the asked-for details."""
    kind = type(layer).__name__
    lines = [f"{layer.name} ({kind})" if show_layer_names else kind]
    if show_shapes:
        if kind == "InputLayer":
            lines.append(f"Output shape: {tuple(layer.shape)}")
        else:
            shape, out = _layer_shapes(layer)
            lines.append(f"Input shape: {shape}")
            lines.append(f"Output shape: {out if out is not None else '?'}")
    if show_dtype:
        lines.append(f"dtype: {layer.dtype}")
    activation = getattr(getattr(layer, "activation", None), "name", None)
    if show_layer_activations and activation is not None:
        lines.append(f"Activation: {activation}")
    if show_trainable and kind != "InputLayer":
        lines.append(f"Trainable: {'Y' if layer.trainable else 'N'}")
    return "\n".join(lines)


def layer_diagram(model: Any, show_shapes: bool = False, show_dtype: bool = False,
                  show_layer_names: bool = False, rankdir: str = "TB", expand_nested: bool = False,
                  show_layer_activations: bool = False, show_trainable: bool = False) -> Any:
    """Keras's ``plot_model`` picture drawn with matplotlib: one box per layer, arrows in data order,
    top to bottom (rankdir "TB") or left to right ("LR"). Returns the Figure."""
    plt = _pyplot()
    rows, at, edges = _layout(model, expand_nested, rankdir == "TB")
    texts = [_box_text(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
             for layer, _ in rows]
    tall = max(t.count("\n") + 1 for t in texts)
    wide = max(len(line) for t in texts for line in t.split("\n"))
    down = rankdir == "TB"
    box_w, box_h = 0.075 * wide + 0.4, 0.17 * tall + 0.25  # inches, from the longest line and the line count
    xs, ys = [p[0] for p in at], [p[1] for p in at]
    across, along = max(xs) - min(xs) + 1, max(ys) - min(ys) + 1  # in boxes: the width and depth of the drawing
    size = (across * (box_w + 0.6), along * (box_h + 0.45)) if down else (along * (box_w + 0.5),
                                                                           across * (box_h + 0.6))
    fig, ax = plt.subplots(figsize=size)
    ax.set_axis_off()
    at = [(x, y) if down else (-y, -x) for x, y in at]  # left to right: ranks become columns
    for (x, y), text, (_, depth) in zip(at, texts, rows):
        ax.text(x, y, text, ha="center", va="center", fontsize=9, family="monospace",
                bbox={"boxstyle": "round,pad=0.5", "fc": "#eef3fb" if depth == 0 else "#f6f6f6",
                      "ec": "#1f77b4" if depth == 0 else "#7f7f7f"})
    gap = 72 * ((box_h if down else box_w) / 2 + 0.05)  # points from a box's centre to its edge
    for i, j in edges:
        ax.annotate("", xy=at[j], xytext=at[i], arrowprops={"arrowstyle": "->", "shrinkA": gap, "shrinkB": gap})
    xs, ys = [p[0] for p in at], [p[1] for p in at]
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.5)
    fig.subplots_adjust(0, 0, 1, 1)
    return fig


def _layout(model: Any, expand_nested: bool, down: bool) -> tuple[list[tuple[Any, int]], list[tuple[float, float]],
                                                                   list[tuple[int, int]]]:
    """Boxes (layer, nesting depth), their centres (x across, y = -rank) and arrows (from, to) by index.

    A stack is one column. A graph (a model with ``nodes``) is drawn by rank: an Input is rank 0 and a
    layer one below the lowest-placed layer that feeds it; layers of a rank sit side by side."""
    nodes = getattr(model, "nodes", None)
    if nodes is None:
        rows = _boxes(model, expand_nested)
        return rows, [(0.0, -float(i)) for i in range(len(rows))], [(i, i + 1) for i in range(len(rows) - 1)]
    layers = model.operations
    index = {id(layer): i for i, layer in enumerate(layers)}
    rank = dict.fromkeys(index, 0)
    edges: list[tuple[int, int]] = []
    for node in nodes:
        for t in node.inputs:
            source = index[id(t.keras_history[0])]
            rank[id(node.layer)] = max(rank[id(node.layer)], rank[id(layers[source])] + 1)
            if (source, index[id(node.layer)]) not in edges:
                edges.append((source, index[id(node.layer)]))
    by_rank: dict[int, list[int]] = {}
    for i, layer in enumerate(layers):
        by_rank.setdefault(rank[id(layer)], []).append(i)
    at = [(0.0, 0.0)] * len(layers)
    for r, members in by_rank.items():
        for k, i in enumerate(members):
            at[i] = (k - (len(members) - 1) / 2, -float(r))
    return [(layer, 0) for layer in layers], at, edges


def plot_history(history: Any, metrics: list[str] | None = None, ax: Any = None) -> Any:
    """Loss and metric curves per epoch; validation curves dashed. Returns the Figure."""
    plt = _pyplot()
    logs = history.history
    names = metrics or [k for k in logs if not k.startswith("val_") and k != "learning_rate"]
    if not names:
        raise ValueError("The history holds no values to plot.")
    if ax is None:
        fig, axes = _new_figure(plt, 1, len(names), figsize=(4.2 * len(names), 3.2), squeeze=False)
        axes = list(axes[0])
    else:
        axes = [ax] * len(names)
        fig = ax.figure
    epochs = [e + 1 for e in history.epoch]
    for a, name in zip(axes, names):
        if name not in logs:
            raise ValueError(f"No {name!r} in this history; it holds {sorted(logs)}.")
        line, = a.plot(epochs, logs[name], marker="o", markersize=3, label=name)
        if f"val_{name}" in logs:
            a.plot(epochs, logs[f"val_{name}"], linestyle="--", marker="o", markersize=3, color=line.get_color(),
                   label=f"val_{name}")
        a.set_xlabel("epoch")
        a.xaxis.set_major_locator(plt.MaxNLocator(integer=True))  # epochs are whole numbers
        a.set_title(name)
        a.legend()
    fig.tight_layout()
    return fig


MAX_NEURONS = 16  # hidden-neuron panels plot_decision draws


def plot_decision(model: Any, x: np.ndarray, y: np.ndarray, resolution: int = 80, title: str = "") -> Any:
    """A two-input classifier seen in the plane: the probability of class 1 over a grid with the
    points on top (the decision boundary is where it crosses 0.5), and beside it the output of
    each neuron of the first hidden layer over the same grid. Returns the Figure."""
    plt = _pyplot()
    if model.input_shape[-1] != 2:
        raise ValueError(f"plot_decision draws models of 2 inputs; this one takes {model.input_shape[-1]}.")
    pad = 0.3
    (x0, y0), (x1, y1) = x.min(axis=0) - pad, x.max(axis=0) + pad
    u, v = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.stack([u.ravel(), v.ravel()], axis=1)  # (resolution^2, 2)
    p = np.asarray(model.predict(grid, verbose=0))
    p1 = p[:, -1] if p.shape[-1] <= 2 else p.argmax(axis=1)  # P(class 1), or the class for softmax
    hidden = model.layers[0] if len(model.layers) > 1 else None
    neurons = np.asarray(hidden(grid)) if hidden is not None else np.zeros((len(grid), 0))
    shown = min(neurons.shape[1], MAX_NEURONS)
    cols = min(shown, 4)
    rows = -(-shown // 4) if shown else 0
    panel = 1.9  # inches per neuron panel (square, like the plane it shows)
    width_in = 4.9 + panel * cols  # the main panel and its colour bar, then a column per neuron (four at most)
    height_in = max(4.4, panel * rows + 0.95)
    fig = plt.figure(FigureClass=_figure_class(), figsize=(width_in, height_in))
    side = 3.6  # inches: the main panel is square
    main = fig.add_axes((0.25 / width_in, (height_in - side - 0.45) / height_in, side / width_in, side / height_in))
    filled = main.contourf(u, v, p1.reshape(u.shape), levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.7)
    main.contour(u, v, p1.reshape(u.shape), levels=[0.5], colors="black", linewidths=1)
    main.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu_r", edgecolors="white", linewidths=0.5, s=18)
    main.set_xticks([]), main.set_yticks([])
    main.set_aspect("equal", adjustable="box")
    main.set_title(title or "P(class 1) and the points", fontsize=11)
    bar = fig.add_axes(((side + 0.35) / width_in, (height_in - side - 0.45) / height_in, 0.15 / width_in,
                        side / height_in))
    fig.colorbar(filled, cax=bar).set_label("P(class 1)", fontsize=9)
    if shown:
        low, high = float(neurons[:, :shown].min()), float(neurons[:, :shown].max())
        left = 4.9 / width_in
        image = None
        for j in range(shown):
            r, c = divmod(j, 4)
            ax = fig.add_axes(((4.9 + c * panel) / width_in, (height_in - 0.45 - (r + 1) * panel + 0.3) / height_in,
                               (panel - 0.25) / width_in, (panel - 0.45) / height_in))
            image = ax.imshow(neurons[:, j].reshape(u.shape), origin="lower", extent=(x0, x1, y0, y1),
                              cmap="PuOr_r", vmin=low, vmax=high, aspect="equal")
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(f"{hidden.name}[{j}]", fontsize=9)
        legend = fig.add_axes((left, 0.5 / height_in, min(4, cols) * panel * 0.8 / width_in, 0.12 / height_in))
        fig.colorbar(image, cax=legend, orientation="horizontal").set_label(
            f"hidden neuron output ({hidden.activation.name})"
            + (f"; the first {shown} of {neurons.shape[1]} shown" if shown < neurons.shape[1] else ""), fontsize=9)
    return fig

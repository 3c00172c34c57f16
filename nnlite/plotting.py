"""Pictures for learners: the network as neurons and connections, and training curves.

matplotlib is imported only here, and only when a plot is asked for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .layers import Dense

MAX_DRAWN_NEURONS = 16   # per layer; wider networks are drawn as layer boxes
MAX_LABELLED_WEIGHTS = 40
SHORT = {"sigmoid": "σ", "linear": "id", "softmax": "soft", "tanh": "tanh", "relu": "relu"}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("Plotting needs matplotlib: pip install matplotlib (or nnlite[plot]).") from None
    return plt


def plot_model(model: Any, show_weights: bool | None = None, ax: Any = None) -> Any:
    """Draw ``model``: neurons and connections with w and b labelled on small networks, layer boxes on large ones.

    Returns the matplotlib Figure.
    """
    plt = _pyplot()
    model._require_built()
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    sizes = [model.input_shape[1]] + [layer.units for layer in dense]
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(2.6 * len(sizes), 14), 1.2 + 0.7 * min(max(sizes), MAX_DRAWN_NEURONS)))
    else:
        fig = ax.figure
    ax.set_axis_off()
    if max(sizes) > MAX_DRAWN_NEURONS:
        _draw_boxes(ax, model, sizes)
        return fig
    n_weights = sum(layer.kernel.value.size for layer in dense)
    label = n_weights <= MAX_LABELLED_WEIGHTS if show_weights is None else show_weights
    positions = [[(col, (n - 1) / 2 - j) for j in range(n)] for col, n in enumerate(sizes)]
    for col, layer in enumerate(dense):
        W = layer.kernel.value
        scale = np.abs(W).max() or 1.0
        for i, (x0, y0) in enumerate(positions[col]):
            for j, (x1, y1) in enumerate(positions[col + 1]):
                w = W[i, j]
                ax.plot([x0, x1], [y0, y1], color="#d62728" if w < 0 else "#1f77b4",
                        linewidth=0.5 + 2.5 * abs(w) / scale, alpha=0.7, zorder=1)
                if label:
                    t = 0.3 if len(positions[col + 1]) > 1 else 0.5
                    ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), f"{w:.3g}", fontsize=7, ha="center",
                            va="center", bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"}, zorder=3)
    for col, column in enumerate(positions):
        for j, (x, y) in enumerate(column):
            ax.scatter([x], [y], s=500, color="white", edgecolors="black", zorder=2)
            if col == 0:
                ax.text(x, y, f"x{j + 1}", ha="center", va="center", fontsize=8, zorder=4)
            else:
                layer = dense[col - 1]
                short = SHORT.get(layer.activation.name, layer.activation.name[:4])
                ax.text(x, y, short, ha="center", va="center", fontsize=8, zorder=4)
                if label and layer.use_bias:
                    ax.text(x, y + 0.28, f"b={layer.bias.value[j]:.3g}", ha="center", fontsize=7, zorder=4)
    for col, n in enumerate(sizes):
        title = "input" if col == 0 else f"{dense[col - 1].name}\nDense({n})"
        ax.text(col, (max(sizes) - 1) / 2 + 0.8, title, ha="center", fontsize=9)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-(max(sizes) - 1) / 2 - 0.6, (max(sizes) - 1) / 2 + 1.3)
    return fig


def _draw_boxes(ax: Any, model: Any, sizes: list[int]) -> None:
    labels = [f"Input\n{sizes[0]} features"] + [
        f"{layer.name}\n{type(layer).__name__}" + (f"({layer.units}, {layer.activation.name})"
                                                  if isinstance(layer, Dense) else "")
        + f"\n{layer.count_params():,} params" for layer in model.layers]
    for i, text in enumerate(labels):
        ax.text(i, 0, text, ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.5", "fc": "#eef3fb", "ec": "#1f77b4"})
        if i:
            ax.annotate("", xy=(i - 0.32, 0), xytext=(i - 0.68, 0), arrowprops={"arrowstyle": "->"})
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylim(-1, 1)


def plot_history(history: Any, metrics: list[str] | None = None, ax: Any = None) -> Any:
    """Loss and metric curves per epoch; validation curves dashed. Returns the Figure."""
    plt = _pyplot()
    logs = history.history
    names = metrics or [k for k in logs if not k.startswith("val_") and k != "learning_rate"]
    if not names:
        raise ValueError("The history holds no values to plot.")
    if ax is None:
        fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.2), squeeze=False)
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
        a.set_title(name)
        a.legend()
    fig.tight_layout()
    return fig

"""One training step laid open: ``model.trace(x, y)``.

For every layer, from the input up: its input x, z = x @ kernel + bias, a = activation(z);
then, from the loss down: the gradient arriving at a, delta = dL/dz, the kernel and bias
gradients, and the update the optimizer would make. Nothing in the model changes: the
update is computed on copies.
"""

from __future__ import annotations

import copy
import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .layers import Dense


@dataclass
class LayerTrace:
    """The numbers of one layer in one step; ``rows`` keeps them in reading order."""

    name: str
    kind: str
    rows: list[tuple[str, str, np.ndarray | None]] = field(default_factory=list)

    def add(self, symbol: str, equation: str, value: np.ndarray | None) -> None:
        self.rows.append((symbol, equation, None if value is None else np.array(value, copy=True)))

    def __getitem__(self, symbol: str) -> np.ndarray | None:
        for name, _, value in self.rows:
            if name == symbol:
                return value
        raise KeyError(f"{symbol!r} is not traced for layer {self.name}; traced: {[r[0] for r in self.rows]}")


@dataclass
class Trace:
    """``loss``, and ``layers``: one LayerTrace per layer, first to last."""

    loss: float
    loss_equation: str
    layers: list[LayerTrace]

    def __getitem__(self, name_or_index: str | int) -> LayerTrace:
        if isinstance(name_or_index, int):
            return self.layers[name_or_index]
        for layer in self.layers:
            if layer.name == name_or_index:
                return layer
        raise KeyError(f"No layer {name_or_index!r}; layers: {[layer.name for layer in self.layers]}")

    def __repr__(self) -> str:
        lines = [f"Trace: L = {self.loss:.6g}   ({self.loss_equation})"]
        for layer in self.layers:
            lines.append(f"\n{layer.name} ({layer.kind})")
            for symbol, equation, value in layer.rows:
                shown = "-" if value is None else np.array2string(value, precision=4, threshold=12, edgeitems=2)
                shape = "" if value is None else f" {value.shape}"
                lines.append(f"  {symbol:<12}{shape:<12} = {equation}\n    {shown.replace(chr(10), chr(10) + '    ')}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [f"<p><b>L = {self.loss:.6g}</b> &nbsp; <code>{html.escape(self.loss_equation)}</code></p>"]
        for layer in self.layers:
            parts.append(f"<h4 style='margin-bottom:2px'>{html.escape(layer.name)} "
                         f"({html.escape(layer.kind)})</h4><table><tr><th>quantity</th><th>equation</th>"
                         "<th>shape</th><th>values</th></tr>")
            for symbol, equation, value in layer.rows:
                shown = "-" if value is None else np.array2string(value, precision=4, threshold=36, edgeitems=3)
                shape = "" if value is None else str(value.shape)
                parts.append(f"<tr><td><code>{html.escape(symbol)}</code></td><td><code>{html.escape(equation)}"
                             f"</code></td><td>{shape}</td><td><pre style='margin:0'>{html.escape(shown)}</pre>"
                             "</td></tr>")
            parts.append("</table>")
        return "\n".join(parts)


def trace(model: Any, x: Any, y: Any, sample_weight: Any = None) -> Trace:
    """Run one training step on (x, y) without changing the model, and return every number in it."""
    x, y, sw = model._check_xy(x, y, sample_weight)
    loss, y_pred = model.loss_and_gradients(x, y, sw)
    fused = model._fused_loss()
    layers = model.layers
    traces = [LayerTrace(layer.name, type(layer).__name__) for layer in layers]

    # forward, as the caches hold it
    for layer, t in zip(layers, traces):
        if isinstance(layer, Dense):
            x_in, z, a = layer._require_cache()
            t.add("x", "input of the layer (the previous layer's a)", x_in)
            t.add("kernel", "W", layer.kernel.value)
            if layer.use_bias:
                t.add("bias", "b", layer.bias.value)
            t.add("z", "x @ W + b", z)
            t.add("a", f"{layer.activation.name}(z)", a)

    # backward, from the loss down; grad_a is what arrives at each layer's output
    last = len(layers) - 1
    if fused is None:
        _, grad_a = model.loss.value_and_grad(y, y_pred, sw)
        traces[last].add("grad_a", f"dL/da from {model.loss.name}", grad_a)
    for i in range(last, -1, -1):
        layer, t = layers[i], traces[i]
        if i == last and fused is not None:
            _, grad_z = fused.value_and_grad(y, layer.pre_activation(), sw)
            t.add("grad_a", "not needed: the loss is taken from z (the fused path)", None)
            t.add("grad_z", f"dL/dz = {_fused_formula(fused)}", grad_z)
            grad_x = layer.backward_from_z(grad_z, need_grad_x=i > 0)
        else:
            if i != last:
                t.add("grad_a", "the next layer's gradient at its input", grad_a)
            if isinstance(layer, Dense):
                _, z, a = layer._require_cache()
                t.add("grad_z", f"delta = grad_a * {layer.activation.name}'(z)",
                      layer.activation.backward(z, a, grad_a))
            grad_x = layer.backward(grad_a, need_grad_x=i > 0)
        if isinstance(layer, Dense):
            t.add("kernel.grad", "x.T @ grad_z", layer.kernel.grad)
            if layer.use_bias:
                t.add("bias.grad", "grad_z summed over the batch", layer.bias.grad)
        grad_a = grad_x

    # the update the optimizer would make, on copies
    variables = model.trainable_weights
    optimizer = copy.deepcopy(model.optimizer)
    shadows = [copy.copy(v) for v in variables]
    for shadow, v in zip(shadows, variables):
        shadow.value = v.value.copy()
    optimizer.apply([v.grad.copy() for v in variables], shadows)
    by_layer = iter(zip(variables, shadows))
    for layer, t in zip(layers, traces):
        for _ in layer.trainable_weights:
            v, shadow = next(by_layer)
            t.add(f"update {v.name}", f"{type(optimizer).__name__} step: new {v.name} - {v.name}",
                  shadow.value - v.value)
    equation = f"{model.loss.name}" + (" from the logits z" if fused is not None else "")
    return Trace(float(loss), equation, traces)


def _fused_formula(fused: Any) -> str:
    name = type(fused).__name__
    if name == "BinaryCrossentropy":
        return "(sigmoid(z) - y) / outputs, per sample weight and / batch"
    if name == "SparseCategoricalCrossentropy":
        return "(softmax(z) - onehot(y)) / batch"
    return "(softmax(z) - y) / batch"

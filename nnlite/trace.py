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

from .layers import Context

DIGITS = 8  # significant digits shown: enough to check a hand computation such as 1.0009536


def _show(value: np.ndarray, threshold: int) -> str:
    """The array with DIGITS significant digits, trailing zeros dropped; large arrays summarised."""
    return np.array2string(value, precision=DIGITS, floatmode="maxprec", threshold=threshold, edgeitems=3,
                           max_line_width=10_000)  # one line per row: the cell scrolls rather than wraps


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
        lines = [f"Trace: L = {self.loss:.10g}   ({self.loss_equation})"]
        for layer in self.layers:
            lines.append(f"\n{layer.name} ({layer.kind})")
            for symbol, equation, value in layer.rows:
                shown = "-" if value is None else _show(value, threshold=12)
                shape = "" if value is None else f" {value.shape}"
                lines.append(f"  {symbol:<12}{shape:<12} = {equation}\n    {shown.replace(chr(10), chr(10) + '    ')}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [f"<p><b>L = {self.loss:.10g}</b> &nbsp; <code>{html.escape(self.loss_equation)}</code></p>"]
        for layer in self.layers:
            parts.append(f"<h4 style='margin-bottom:2px'>{html.escape(layer.name)} "
                         f"({html.escape(layer.kind)})</h4><table><tr><th>quantity</th><th>equation</th>"
                         "<th>shape</th><th>values</th></tr>")
            keep = "white-space:nowrap;text-align:left;vertical-align:top"  # no break inside a token
            for symbol, equation, value in layer.rows:
                shown = "-" if value is None else _show(value, threshold=36)
                shape = "" if value is None else str(value.shape)
                parts.append(f"<tr><td style='{keep}'><code>{html.escape(symbol)}</code></td>"
                             f"<td style='text-align:left;vertical-align:top'><code>{html.escape(equation)}</code>"
                             f"</td><td style='{keep}'>{shape}</td><td style='{keep}'><pre style='margin:0;"
                             f"white-space:pre;overflow-x:auto'>{html.escape(shown)}</pre></td></tr>")
            parts.append("</table>")
        return "\n".join(parts)


def trace(model: Any, x: Any, y: Any, sample_weight: Any = None) -> Trace:
    """Run one training step on (x, y) without changing the model, and return every number in it.

    The step is a peeking pass: it draws its random masks from copies of the model's
    generators, keeps its gradients to itself and records what each layer saw; the
    optimizer's update is applied to copies.
    """
    x, y, sw = model.check_data(x, y, sample_weight)
    ctx = Context(training=True, peek=True)
    tape = model.training_pass(x, y, sw, ctx)
    steps = _steps(model, x, tape)
    traces = []
    seen: set[int] = set()
    for i, (layer, inputs, a, from_z, call) in enumerate(steps):
        name = layer.name if call is None else f"{layer.name} (call {call + 1})"
        t = LayerTrace(name, type(layer).__name__)
        traces.append(t)
        saved = tape.saved[i]
        # forward: the layer's input, its own quantities, its output
        for symbol, (source, value) in zip(_input_symbols(len(inputs)), inputs):
            t.add(symbol, source, value)
        for row in layer.explain(saved):
            t.add(*row)
        activation = getattr(layer.activation, "name", None)
        t.add("a", f"{activation}(z)" if activation else "output of the layer", a)
        # backward: what arrives at the output, the layer's own quantities, its weights' gradients
        arriving = tape.arriving.get(i)
        if from_z:
            t.add("grad_a", "not needed: the loss is taken from z (the fused path)", None)
            t.add("grad_z", f"dL/dz = {_fused_formula(_loss_of(model, layer))}", arriving)
        elif arriving is None:
            t.add("grad_a", "none: the loss does not depend on this output", None)
        else:
            t.add("grad_a", "dL/da from the loss" if i == len(steps) - 1 else "the gradient of the layers it feeds",
                  arriving)
            for row in layer.explain(saved, arriving):
                t.add(*row)
        if id(layer) not in seen:  # a shared layer's weight gradients are summed over its calls
            for w in layer.trainable_weights:
                equation = layer.grad_equations.get(w.name, f"dL/d{w.name}")
                t.add(f"{w.name}.grad", equation + (", summed over its calls" if call is not None else ""),
                      ctx.grads[id(w)])
        seen.add(id(layer))

    # the update the optimizer would make, on copies
    variables = model.trainable_weights
    optimizer, shadows = copy.deepcopy((model.optimizer, variables))  # copied together: its state keys the copies
    optimizer.apply([ctx.grads[id(v)].copy() for v in variables], shadows)
    update = {id(v): shadow.value - v.value for v, shadow in zip(variables, shadows)}
    done: set[int] = set()
    for (layer, *_), t in zip(steps, traces):
        if id(layer) in done:
            continue
        done.add(id(layer))
        for v in layer.trainable_weights:
            t.add(f"update {v.name}", f"{type(optimizer).__name__} step: new {v.name} - {v.name}", update[id(v)])
    from_logits = any(tape.from_z) if isinstance(tape.from_z, list) else tape.from_z
    loss = model.loss
    equation = (getattr(loss, "name", None) or "sum of w_k L_k over the outputs") + (
        " from the logits z" if from_logits else "")
    return Trace(float(tape.loss), equation, traces)


def _steps(model: Any, x: Any, tape: Any) -> list[tuple[Any, list[tuple[str, Any]], Any, bool, int | None]]:
    """(layer, [(where the input comes from, value)], output a, whether the pass stopped at z, which call of a
    shared layer or None) for each layer call of the pass, in order."""
    outputs = list(tape.layer_outputs)
    nodes = getattr(model, "nodes", None)
    if nodes is None:  # a stack: each layer reads the one before
        layers = model.layers
        last = len(layers) - 1
        if tape.from_z:  # the pass stopped at z of the last layer; its a = f(z)
            outputs[last] = layers[last].activation.forward(outputs[last])
        return [(layer, [("input of the layer (the previous layer's a)", outputs[i - 1]) if i else ("the batch", x)],
                 outputs[i], i == last and bool(tape.from_z), None) for i, layer in enumerate(layers)]
    xs = x if isinstance(x, list) else [x]
    value = {id(t): (f"the input {t.name!r}", v) for t, v in zip(model.inputs, xs)}
    stops = tape.from_z if isinstance(tape.from_z, list) else [tape.from_z]
    at_z = {id(t.keras_history[0].inbound_nodes[t.keras_history[1]]) for t, z in zip(model.outputs, stops) if z}
    calls: dict[int, int] = {}
    shared = {id(n.layer) for n in nodes if sum(m.layer is n.layer for m in nodes) > 1}
    steps = []
    for i, node in enumerate(nodes):
        a = outputs[i]
        if id(node) in at_z:
            a = node.layer.activation.forward(a)
        call = calls[id(node.layer)] = calls.get(id(node.layer), -1) + 1
        steps.append((node.layer, [value[id(t)] for t in node.inputs], a, id(node) in at_z,
                      call if id(node.layer) in shared else None))
        for k, t in enumerate(node.outputs):
            value[id(t)] = (f"output of {node.layer.name}", a if len(node.outputs) == 1 else a[k])
    return steps


def _input_symbols(count: int) -> list[str]:
    return ["x"] if count == 1 else [f"x{k + 1}" for k in range(count)]


def _loss_of(model: Any, layer: Any) -> Any:
    """The loss that reads this output layer's z (the model's, or its output's with several)."""
    heads = model.output_losses() if callable(getattr(model, "output_losses", None)) else None
    if heads:
        return heads.get(layer.name, model.loss)
    return model.loss


def _fused_formula(loss: Any) -> str:
    name = type(loss).__name__
    if name == "BinaryCrossentropy":
        return "(sigmoid(z) - y) / outputs, per sample weight and / batch"
    if name == "SparseCategoricalCrossentropy":
        return "(softmax(z) - onehot(y)) / batch"
    return "(softmax(z) - y) / batch"

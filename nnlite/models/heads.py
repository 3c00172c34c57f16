"""The losses and metrics of a model with several outputs (``compile(loss=[...] or {...})``).

For outputs k = 1..K with losses L_k and weights w_k (``loss_weights``, default 1):

    L = sum over k of w_k * L_k(y_k, y_pred_k) + penalties,      dL/dy_pred_k = w_k * dL_k/dy_pred_k

Each output's gradient enters the graph's backward pass at its own output tensor. As in Keras,
the logs hold ``loss`` (L), ``<output>_loss`` (L_k, unweighted) when more than one output has
a loss, and ``<output>_<metric>`` for each output's metrics. An output may have several losses
(``loss=[..., ["mse", "bce"]]``): L_k = sum_i w_ki L_ki, each with its own weight, and its log shows the
last one's unweighted value, as Keras's does (its entries share the output's name).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autodiff, data, losses
from .. import metrics as metrics_module
from ..losses.base import apply_mask, reads_logits
from ..registry import snake_case
from . import nesting


class LossSum(losses.Loss):
    """L = sum_i w_i L_i(y, y_pred): the several losses of one output, each reduced as it reduces on its own;
    dL/dy_pred = sum_i w_i dL_i/dy_pred. ``last`` keeps the last loss's unweighted value, which the logs show.

    Args:
        parts: the losses L_i.
        weights: their weights w_i.
    """

    def __init__(self, parts: list[losses.Loss], weights: list[float]) -> None:
        if len({part.sparse_labels for part in parts}) > 1:
            raise ValueError(f"One output's losses must all read class indices or all read one value per class; got "
                             f"{[part.name for part in parts]}.")
        super().__init__(parts[-1].name, parts[-1].reduction)
        self.parts, self.weights = parts, [float(w) for w in weights]
        self.sparse_labels = parts[0].sparse_labels
        self.last = 0.0

    def prepare(self, y_true, y_pred):
        for part in self.parts[1:]:  # each must accept the labels
            part.prepare(y_true, y_pred)
        return self.parts[0].prepare(y_true, y_pred)

    def check_labels(self, y_true):
        for part in self.parts:
            part.check_labels(y_true)

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = [part(y_true, y_pred, sample_weight) for part in self.parts]
        self.last = float(np.asarray(autodiff.value_of(values[-1])))
        total = values[0] * self.weights[0]
        for value, w in zip(values[1:], self.weights[1:]):
            total = total + value * w
        return total

    def value_and_grad(self, y_true, y_pred, sample_weight=None):
        pairs = [part.value_and_grad(y_true, y_pred, sample_weight) for part in self.parts]
        self.last = float(pairs[-1][0])
        total = sum(w * value for w, (value, _) in zip(self.weights, pairs))
        grad = sum(w * g for w, (_, g) in zip(self.weights, pairs))
        return total, grad


class Head:
    """One output: its name, loss (None: not trained on; a LossSum for several), weight, activation and loss
    tracker. ``labelled``: its logs carry the output's name (``out_loss``, ``out_mae``), as Keras's for a functional
    model or outputs in a dict; a subclass's list of outputs has no names in Keras, so its logs name the loss
    (``mse_loss``) and the metrics alone (``mae``)."""

    def __init__(self, name: str, loss_id: Any, weight: Any, activation: Any, labelled: bool = True,
                 loss_label: str | None = None) -> None:
        self.name = name
        self.label = name if labelled else ""
        self.loss_id = loss_id
        self.by_shapes = loss_id if isinstance(loss_id, str) and loss_id.lower() in losses.BY_SHAPES else None
        if isinstance(loss_id, list):  # several losses: their weights travel with them
            self.loss: Any = LossSum([losses.resolve(i) for i in loss_id], weight)
            weight = 1.0
        else:  # "crossentropy" is read as categorical until the first labels say which it is (resolve_by_shapes)
            self.loss = None if loss_id is None else losses.resolve(
                "categorical_crossentropy" if self.by_shapes else loss_id)
        self.weight = float(weight)
        self.activation = activation
        self.from_z = self.loss is not None and reads_logits(self.loss, activation)
        self.tracker = metrics_module.Mean(name=f"{loss_label or self.label or loss_name(loss_id)}_loss")
        self.metric_ids: list[Any] = []
        self.weighted_metric_ids: list[Any] = []

    def resolve_by_shapes(self, y: Any, output_shape: tuple) -> None:
        """Compile's "crossentropy" made the one the labels ``y`` and the output's shape call for (once).

        Args:
            y: the labels of this output.
            output_shape: the output's shape.
        """
        if self.by_shapes is not None and y is not None:
            self.loss = losses.resolve(losses.by_shapes(self.by_shapes, np.shape(y), tuple(output_shape)))
            self.from_z = reads_logits(self.loss, self.activation)
            self.by_shapes = None

    def logged(self, value: float) -> float:
        """What the output's log shows for a batch whose loss is ``value``: it, or the last loss's of several."""
        return self.loss.last if isinstance(self.loss, LossSum) else value

    @property
    def log_names(self) -> list[str]:
        """The output's loss in Keras's lists of names: once per loss it has (the entries share the name)."""
        return [self.tracker.name] * (len(self.loss.parts) if isinstance(self.loss, LossSum) else 1)

    @property
    def loss_weight(self) -> Any:
        """The weight as compile took it: a number, or a list for several losses."""
        return self.loss.weights if isinstance(self.loss, LossSum) else self.weight


def loss_name(identifier: Any) -> str:
    """The name Keras gives a loss in the logs of an unnamed output: the string as given where it names a function
    ("mse"), else the loss object's name or the function's (the last of several losses, whose value the log shows).

    Args:
        identifier: the loss as compile took it (None for no loss).
    """
    if isinstance(identifier, list):
        return loss_name(identifier[-1])
    if identifier is None:
        return "none"
    if isinstance(identifier, str) and identifier.lower() in losses.BY_SHAPES:
        return identifier
    if isinstance(identifier, str) and not isinstance(losses.get(identifier), losses.Loss):
        return identifier
    resolved = identifier if isinstance(identifier, losses.Loss) else losses.get(identifier)
    return getattr(resolved, "name", None) or snake_case(getattr(resolved, "__name__", type(resolved).__name__))


def _per_output(value: Any, names: list[str], what: str, broadcast: bool) -> list[Any]:
    """``value`` as one entry per output: a list in output order, a dict by output name, or (if
    ``broadcast``) one value for every output."""
    if isinstance(value, dict) and not ("class_name" in value and "config" in value):
        unknown = [k for k in value if k not in names]
        if unknown and what in ("metrics", "weighted_metrics"):
            raise ValueError(f"Invalid `{what}`. `{what}` should contain metrics objects and either be a dict or a "
                             f"list matching the output names of the functional model {names}; {unknown} are not "
                             f"among them. Received: {what}={value!r}")
        if unknown:
            raise ValueError(f"Expected keys {names} in {what} dict, but found {what}.keys()={list(value)}")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and not (what.endswith("metrics") and len(value) != len(names)):
        if len(value) != len(names):
            raise ValueError(f"`{what}` must have one entry per output ({len(names)}: {names}); got {len(value)}.")
        return list(value)
    if broadcast:
        return [value] * len(names)
    raise ValueError(f"Invalid `{what}`. `{what}` should be a dict or a list matching the output names of the "
                     f"model {names}. Received: {what}={value!r}")


def _one_loss(identifier: Any) -> Any:
    """One output's loss: ``[loss]`` means loss; several become a list (summed, see ``LossSum``)."""
    if isinstance(identifier, (list, tuple)):
        return identifier[0] if len(identifier) == 1 else list(identifier)
    return identifier


def _loss_weights(loss_ids: list[Any], loss_weights: Any, names: list[str]) -> list[Any]:
    """One weight per output (a list of them for an output of several losses), from compile's loss_weights:
    per output (by position or name), or flat, one per loss in order, as Keras also takes them."""
    counts = [len(lo) if isinstance(lo, list) else 1 for lo in loss_ids]
    if loss_weights is None:
        return [[1.0] * c if isinstance(lo, list) else 1.0 for lo, c in zip(loss_ids, counts)]
    listed = isinstance(loss_weights, (list, tuple))
    if listed and sum(counts) != len(names) and len(loss_weights) not in (len(names), sum(counts)):
        raise ValueError(f"`loss_weights` must match the number of losses, got {sum(counts)} losses and "
                         f"{len(loss_weights)} weights.")
    flat = listed and len(loss_weights) == sum(counts) != len(names)
    if flat:
        starts = np.cumsum([0] + counts)
        weights = [list(loss_weights[a:b]) if isinstance(lo, list) else loss_weights[a]
                   for lo, a, b in zip(loss_ids, starts[:-1], starts[1:])]
    else:
        weights = _per_output(loss_weights, names, "loss_weights", broadcast=False)
    for lo, w, c in zip(loss_ids, weights, counts):
        several = isinstance(lo, list)
        if several != isinstance(w, (list, tuple)) or (several and len(w) != c):
            raise ValueError(f"`loss_weights` must match the number of losses, got {sum(counts)} losses and "
                             f"{len(loss_weights) if isinstance(loss_weights, (list, tuple, dict)) else 1} weights.")
    return [list(w) if isinstance(w, (list, tuple)) else w for w in weights]


def make_heads(names: list[str], activations: list[Any], loss: Any, loss_weights: Any, metrics: Any,
               weighted_metrics: Any, metric_list: Any, labelled: bool = True,
               loss_labels: list[str] | None = None) -> list[Head]:
    """The heads ``compile`` describes, every argument checked (Keras's rules for several outputs); ``labelled``:
    the logs name the outputs (see Head); ``loss_labels``: each output's loss in the logs, where it differs from
    the output's name (outputs nested deeper: a/d1_loss)."""
    loss_ids = [_one_loss(lo) for lo in _per_output(loss, names, "loss", broadcast=True)]
    if all(lo is None for lo in loss_ids):
        raise ValueError(f"compile() needs a loss for at least one output; valid names: "
                         f"{', '.join(losses.names())}.")
    weights = _loss_weights(loss_ids, loss_weights, names)
    for w in weights:
        for value in w if isinstance(w, list) else [w]:
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not np.isfinite(value)):
                raise ValueError(f"loss_weights must be finite numbers, got {loss_weights!r}.")
    heads = [Head(n, lo, 1.0 if w is None else w, act, labelled, label)
             for n, lo, w, act, label in zip(names, loss_ids, weights, activations, loss_labels or [None] * len(names))]
    for ids, attribute, what in ((metrics, "metric_ids", "metrics"),
                                 (weighted_metrics, "weighted_metric_ids", "weighted_metrics")):
        if ids is None:
            continue
        if not isinstance(ids, (list, tuple, dict)):
            raise ValueError(f"Expected `{what}` argument to be a list, tuple, or dict. Received instead: "
                             f"{what}={ids} of type {type(ids)}")
        for head, entry in zip(heads, _per_output(ids, names, what, broadcast=False)):
            setattr(head, attribute, metric_list(entry))
    return heads


def check_y(heads: list[Head], y: Any, rows: int, shapes: list[tuple], dtype: str, prefix: str) -> list[Any]:
    """y as one array per output (None where the output has no loss), each checked against its output."""
    names = [h.name for h in heads]
    if isinstance(y, dict):
        unknown = [k for k in y if k not in names]
        if unknown:
            raise ValueError(f"{prefix}y has keys {unknown} that are not outputs of the model ({names}).")
        y = [y.get(n) for n in names]
    elif not isinstance(y, (list, tuple)) or len(y) != len(heads):
        got = f"a list of {len(y)}" if isinstance(y, (list, tuple)) else type(y).__name__
        raise ValueError(f"This model has {len(heads)} outputs {names}: pass {prefix}y as a list of {len(heads)} "
                         f"arrays or a dict by output name; got {got}.")
    out = []
    for head, yk, shape in zip(heads, y, shapes):
        head.resolve_by_shapes(yk, shape)
        if head.loss is None and not head.metric_ids and not head.weighted_metric_ids:
            out.append(None)
            continue
        name = f"{prefix}y[{head.name!r}]"
        if yk is None:
            raise ValueError(f"{name} is missing: output {head.name!r} has a loss or metrics, so it needs labels.")
        yk = data.as_array(yk, name, None if head.loss is not None and head.loss.sparse_labels else dtype)
        if len(yk) != rows:
            raise ValueError(f"Row counts differ: x has {rows}, {name} has {len(yk)}; expected one row per sample.")
        if head.loss is not None:
            try:
                head.loss.prepare(yk, np.broadcast_to(np.zeros((), dtype), (rows,) + tuple(shape[1:])))
                head.loss.check_labels(yk)
            except ValueError as err:
                raise ValueError(f"{name} does not fit the output {head.name!r} {(rows,) + tuple(shape[1:])}: "
                                 f"{err}") from None
        out.append(yk)
    return out


def log_name(name: str, taken: set[str], weighted: bool, weighted_name: str) -> str:
    """A metric's name in the logs, unique among ``taken`` (which it joins): Keras's ``weighted_name``
    for a weighted metric that repeats a name, then _1, _2, ..."""
    if name in taken and weighted:
        name = weighted_name
    base, index = name, 1
    while name in taken:
        name, index = f"{base}_{index}", index + 1
    taken.add(name)
    return name


def resolve_metrics(heads: list[Head], y: list[Any], shapes: list[tuple]) -> list[tuple]:
    """(log name, metric, weighted?, output index) for every output's metrics: ``<output>_<metric>`` (``<metric>``,
    made unique, for an unlabelled output)."""
    tracked, taken = [], {"loss"} | {h.tracker.name for h in heads}
    for k, (head, yk, shape) in enumerate(zip(heads, y, shapes)):
        prefix = f"{head.label}_" if head.label else ""
        for ids, weighted in ((head.metric_ids, False), (head.weighted_metric_ids, True)):
            for identifier in ids:
                metric = metrics_module.resolve(identifier, yk, shape)
                name = log_name(f"{prefix}{metric.name}", taken, weighted, f"{prefix}weighted_{metric.name}")
                tracked.append((name, metric, weighted, k))
    return tracked


def loss_and_grads(heads: list[Head], outputs: list[np.ndarray], predictions: list[Any], y: list[Any],
                   sample_weight: Any, with_grad: bool, masks: Any = None
                   ) -> tuple[float, list[float | None], list[Any]]:
    """L = sum_k w_k L_k, each L_k, and dL/d(output_k) (from z on the logits path, scaled by w_k); an output
    that carries a mask leaves its masked entries out of its L_k."""
    total, each, grads = 0.0, [], []
    for k, (head, out, a, yk) in enumerate(zip(heads, outputs, predictions, y)):
        if head.loss is None:
            each.append(None)
            grads.append(None)
            continue
        sample_weight_k = sample_weight if masks is None else apply_mask(sample_weight, masks[k],
                                                                         head.loss.reduction)
        if with_grad:
            if head.from_z:
                value, grad = head.loss.value_and_grad_from_logits(yk, out, sample_weight_k)
            else:
                value, grad = head.loss.value_and_grad(yk, a, sample_weight_k)
                if a is not out:  # the pass stopped at z for a metric: dL/dz = f'(z)^T dL/da
                    grad = head.activation.backward(out, a, grad)
            grads.append(grad * head.weight if head.weight != 1.0 else grad)
        else:
            value = (head.loss.value_from_logits(yk, out, sample_weight_k) if head.from_z
                     else head.loss(yk, a, sample_weight_k))
            grads.append(None)
        each.append(float(head.logged(value)))
        total += head.weight * float(value)
    return total, each, grads


def compile_config(heads: list[Head], structure: Any, serialize_loss: Any, serialize_metric: Any) -> dict[str, Any]:
    """The per-output parts of Keras's compile_config: a dict by name ("dict"), a list in output order ("list"), or
    (outputs nested deeper) the outputs' structure, with lists for tuples as a file holds them and None for an
    output without metrics."""
    def pack(values: list[Any]) -> Any:
        if structure == "dict":
            return dict(zip([h.name for h in heads], values))
        if structure == "list":
            return values
        return nesting.as_lists(nesting.pack(structure, [v if v != [] else None for v in values]))

    def loss_entry(identifier: Any) -> Any:
        if identifier is None:
            return None
        return [serialize_loss(i) for i in identifier] if isinstance(identifier, list) else serialize_loss(identifier)

    return {"loss": pack([loss_entry(h.loss_id) for h in heads]),
            "loss_weights": pack([h.loss_weight for h in heads]),
            "metrics": pack([[serialize_metric(m) for m in h.metric_ids] for h in heads])
            if any(h.metric_ids for h in heads) else None,
            "weighted_metrics": pack([[serialize_metric(m) for m in h.weighted_metric_ids] for h in heads])
            if any(h.weighted_metric_ids for h in heads) else None}

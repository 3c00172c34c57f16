"""The compile state of a model: its optimizer, its loss per output (weighted), its metrics per output, and
how they report (Keras's compile, metrics, metrics_names, get_metrics_result, compute_loss).

    L = sum over outputs k of w_k L_k(y_k, y_pred_k) + model.losses

``compile`` checks every argument before anything changes; the metrics are resolved against the first
labels they see ("accuracy" becomes binary, categorical or sparse as Keras decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import autodiff, losses, optimizers
from .. import metrics as metrics_module
from ..registry import did_you_mean
from . import heads as heads_module
from . import nesting

COMPILE_OPTIONS = ("run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss")


class CompileState:
    """compile() and what it sets up: the losses and metrics per output (a mixin of Model)."""

    # -- compile ------------------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Sequence[Any] | None = None, weighted_metrics: Sequence[Any] | None = None,
                **kwargs: Any) -> None:
        """Choose the optimizer, the loss, the metrics to report and those weighted by sample_weight.

        Args:
            optimizer: an optimizer name ("adam", "sgd", ...) or ``Optimizer`` object (default "rmsprop",
                as Keras).
            loss: a loss name ("mse", "sparse_categorical_crossentropy", ...), a ``Loss`` object or a function
                ``loss(y_true, y_pred)``; for several outputs a list or a dict by output name.
            loss_weights: a weight per output's loss (list or dict), the total being their weighted sum.
            metrics: names ("accuracy", "mae", ...), ``Metric`` objects or functions; for several outputs a
                list or dict per output.
            weighted_metrics: metrics computed with ``sample_weight`` (and ``class_weight``).
            **kwargs: Keras's ``run_eagerly``, ``steps_per_execution``, ``jit_compile`` and ``auto_scale_loss``
                are taken (nnlite always runs as written).

        Example:
            >>> import nnlite
            >>> model = nnlite.Sequential([nnlite.Input((4,)), nnlite.layers.Dense(3, activation="softmax")])
            >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            >>> model.optimizer.name, type(model.loss).__name__
            ('adam', 'SparseCategoricalCrossentropy')
        """
        unknown = set(kwargs) - set(COMPILE_OPTIONS)
        if unknown:
            raise TypeError(f"compile() got unexpected keyword arguments {sorted(unknown)}.")
        names = self.several_outputs() if loss is not None else []
        per_output = (isinstance(loss, (list, tuple)) and len(loss) > 1
                      or isinstance(loss, dict) and not ("class_name" in loss and "config" in loss))
        if per_output and not names and not self.built:
            # a subclassed model not built yet: its outputs are known at the first batch, as in Keras
            self._set_compiled(optimizer, None, loss)
            self._deferred_compile = {"optimizer": self.optimizer, "loss": loss, "loss_weights": loss_weights,
                                      "metrics": metrics, "weighted_metrics": weighted_metrics, **kwargs}
            return
        if names:
            loss_labels = None
            structure = self.nested_outputs()
            if structure is not None:  # outputs nested deeper than one level: every argument read along them
                loss, loss_weights, metrics, weighted_metrics, loss_labels = _along_outputs(
                    structure, names, loss, loss_weights, metrics, weighted_metrics, self.writes_its_call())
            heads = heads_module.make_heads(names, self.output_activations(), loss, loss_weights, metrics,
                                            weighted_metrics, _metric_list, self.names_its_outputs(), loss_labels)
            self._set_compiled(optimizer, loss, loss, heads)
            return
        own = self.known_output_names()
        loss = _for_one_output(loss, own, "loss")
        metrics = _for_one_output(metrics, own, "metrics")
        weighted_metrics = _for_one_output(weighted_metrics, own, "weighted_metrics")
        if isinstance(loss, (list, tuple)) and len(loss) == 1:  # one output: [loss] means loss
            loss = loss[0]
        if loss_weights is not None and not (isinstance(loss_weights, (int, float)) and loss_weights == 1):
            raise ValueError("loss_weights weigh the losses of several outputs; this model has one output.")
        metric_ids, weighted_ids = _metric_list(metrics), _metric_list(weighted_metrics)
        # loss None: the model's own losses (add_loss) alone; "crossentropy": the first labels say which one
        pending = isinstance(loss, str) and loss.lower() in losses.BY_SHAPES
        self._set_compiled(optimizer, None if loss is None or pending else losses.resolve(loss), loss, None,
                           metric_ids, weighted_ids)
        self._loss_by_shapes = loss if pending else None

    def _set_compiled(self, optimizer: Any, loss: Any, loss_id: Any, heads: Any = None,
                      metric_ids: list[Any] | None = None, weighted_metric_ids: list[Any] | None = None) -> None:
        """The state compile leaves: its optimizer, loss (per output in ``heads``), metrics not yet resolved."""
        self.optimizer = optimizers.get(optimizer)
        self._heads, self.loss, self._loss_id = heads, loss, loss_id
        self._metric_ids, self._weighted_metric_ids = metric_ids or [], weighted_metric_ids or []
        self._tracked = []
        self._resolved = False
        self._forget_plans()
        self.compiled = True

    def get_compile_config(self) -> dict[str, Any] | None:
        """Keras's compile_config: the optimizer, loss and metrics, serialized."""
        if not self.compiled:
            return None
        if self._heads is not None:
            structure = self.nested_outputs()  # nested outputs: the entries in their structure
            if structure is None:
                structure = "dict" if isinstance(self._loss_id, dict) else "list"
            return {"optimizer": optimizers.serialize(self.optimizer),
                    **heads_module.compile_config(self._heads, structure, _serialize_loss, _serialize_metric),
                    "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}
        return {"optimizer": optimizers.serialize(self.optimizer), "loss": _serialize_loss(self._loss_id),
                "loss_weights": None, "metrics": [_serialize_metric(m) for m in self._metric_ids] or None,
                "weighted_metrics": [_serialize_metric(m) for m in self._weighted_metric_ids] or None,
                "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """compile() from a compile_config; names and classes come only from the registries.

        Args:
            config: the dict ``get_compile_config`` returned (or a file's ``compile_config``).
        """
        if not isinstance(config, dict):
            raise TypeError(f"compile_config must be a dict, got {type(config).__name__}.")
        options = {k: v for k, v in config.items() if k not in COMPILE_OPTIONS}
        self.compile(optimizer=optimizers.get(options.get("optimizer", "rmsprop")),
                     loss=_map_entries(options.get("loss"), _deserialize_loss),
                     loss_weights=options.get("loss_weights"),
                     metrics=_map_entries(options.get("metrics"), _deserialize_metric, deep=True),
                     weighted_metrics=_map_entries(options.get("weighted_metrics"), _deserialize_metric, deep=True))

    @property
    def metrics(self) -> list[metrics_module.Metric]:
        """The loss tracker and the compiled metrics (once fit or evaluate has resolved them)."""
        if not (self._tracked or self.compiled):
            return []
        per_output = [h.tracker for h in self._logged_heads()]
        return [self._loss_tracker, *per_output] + [m for _, m, _, _ in self._tracked]

    @property
    def metrics_names(self) -> list[str]:
        """Keras's: "loss", then "compile_metrics" once metrics have been resolved, then each output's loss."""
        if not self.compiled:
            return []
        given = self._metric_ids or self._weighted_metric_ids or any(
            h.metric_ids or h.weighted_metric_ids for h in self._heads or [])
        names = ["loss"] + (["compile_metrics"] if given else [])
        return names + [name for h in self._logged_heads() for name in h.log_names]

    def _result_order(self) -> list[str]:
        """The first names of evaluate's list (Keras's): the loss, compile's metrics by their own names (the
        unweighted, then the weighted; an output-prefixed log name matches none of them, and a repeated name
        repeats its value), each output's loss; the rest of the logs follow, sorted."""
        metric_names = [m.name for weighted in (False, True) for _, m, w, _ in self._tracked if w == weighted]
        return ["loss", *metric_names, *(name for h in self._logged_heads() for name in h.log_names)]

    def _logged_heads(self) -> list[heads_module.Head]:
        """The outputs whose own loss is logged: all with a loss, when more than one has."""
        with_loss = [h for h in self._heads or [] if h.loss is not None]
        return with_loss if len(with_loss) > 1 and self._resolved else []

    def get_metrics_result(self) -> dict[str, float]:
        """The current result of every metric, by log name (Keras's order: sorted)."""
        results = {"loss": float(self._loss_tracker.result()),
                   **{h.tracker.name: float(h.tracker.result()) for h in self._logged_heads()},
                   **{n: _log_value(m.result()) for n, m, _, _ in self._tracked}}
        return dict(sorted(results.items()))

    def reset_metrics(self) -> None:
        """Reset every metric's state (the loss tracker's and compile's metrics'), as at the start of an epoch."""
        for metric in self.metrics:
            metric.reset_state()

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
                     training: bool = True) -> Any:
        """L = compile's loss (per output, weighted) + ``self.losses`` (add_loss, weight penalties; Keras's
        compute_loss, recorded on the tape in a training step). Without ``y_pred`` the model runs on x (in
        ``training`` mode or not), and takes the logits path where Keras would (a float then).

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            y: the labels.
            y_pred: the model's output for x.
            sample_weight: a weight per sample, or None.
            training: whether it is a training step (add_loss terms computed in training count).
        """
        if y_pred is None:
            return float(self._test_pass(x, y, sample_weight, need_logits=False, training=training).loss)
        terms = []
        if self._heads is not None:
            predictions = list(y_pred.values()) if isinstance(y_pred, dict) else list(y_pred)
            labels = [y.get(h.name) for h in self._heads] if isinstance(y, dict) else list(y)
            logged = self._logged_heads()
            for head, yk, pk in zip(self._heads, labels, predictions):
                if head.loss is None:
                    continue
                value = head.loss(yk, pk, sample_weight)
                if head in logged:  # each output's own loss: the plain mean of its batch values (Keras 3.15)
                    head.tracker.update_state(head.logged(autodiff.value_of(value)))
                terms.append(value * head.weight if head.weight != 1.0 else value)
        elif self.loss is not None:
            terms.append(self.loss(y, y_pred, sample_weight))
        terms += self.losses
        if not terms:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    base_compute_loss = compute_loss  # what overrides_steps compares an override with

    def resolve_compiled_metrics(self, y: Any) -> None:
        """Build compile's metrics for labels like ``y`` ("accuracy" resolved as Keras resolves it).

        Args:
            y: labels of the data fit or evaluate will see.
        """
        self._resolve_metrics(y)

    def update_compiled_metrics(self, y: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """compile's metrics updated with (y, y_pred); a crossentropy reads the logits y_pred carries.

        Args:
            y: the labels.
            y_pred: the model's output.
            sample_weight: a weight per sample, or None.
        """
        tracked = self._resolve_metrics(y)
        for _, metric, weighted, k in tracked:
            yk = y if k is None else (y[k] if not isinstance(y, dict) else y[self._heads[k].name])
            pk = y_pred if k is None else (list(y_pred.values())[k] if isinstance(y_pred, dict) else y_pred[k])
            weights = sample_weight if weighted else None
            logits = getattr(pk, "keras_logits", None)
            if logits is not None and metric.takes_logits:
                metric.update_state_from_logits(np.asarray(autodiff.value_of(yk)), autodiff.value_of(logits), weights)
            else:
                metric.update_state(np.asarray(autodiff.value_of(yk)), np.asarray(autodiff.value_of(pk)), weights)

    def _resolve_metrics(self, y: Any) -> list[tuple[str, metrics_module.Metric, bool, int | None]]:
        """(log name, metric, weighted?, output index or None) for compile's metrics, then its
        weighted_metrics (once per compile)."""
        self._resolved = True
        if self._tracked:
            return self._tracked
        if self._heads is not None:
            self._tracked = heads_module.resolve_metrics(self._heads, y, self.output_shapes())
            return self._tracked
        tracked, names = [], {"loss"}
        for ids, weighted in ((self._metric_ids, False), (self._weighted_metric_ids, True)):
            for identifier in ids:
                metric = metrics_module.resolve(identifier, y, self.output_shape)
                name = heads_module.log_name(metric.name, names, weighted, f"weighted_{metric.name}")
                tracked.append((name, metric, weighted, None))
        self._tracked = tracked
        return tracked


def _for_one_output(value: Any, names: list[str], what: str) -> Any:
    """A loss or metrics given by output name ({"out": ...}) to a model with one output: that output's entry."""
    if not isinstance(value, dict) or ("class_name" in value and "config" in value):
        return value
    unknown = [k for k in value if k not in names] if names else list(value)[1:]
    if unknown:
        raise ValueError(f"Expected keys {names} in {what} dict, but found {what}.keys()={list(value)}")
    return next(iter(value.values()), None)


def _metric_list(metrics: Any) -> list[Any]:
    if metrics is None:
        return []
    if isinstance(metrics, (str, metrics_module.Metric, dict)) or callable(metrics):
        metrics = [metrics]
    for m in metrics:  # names are checked now, resolved against y later
        if isinstance(m, str) and m not in metrics_module.names():
            raise ValueError(f"Unknown metric {m!r}.{did_you_mean(m, metrics_module.names())} Valid names: "
                             f"{', '.join(metrics_module.names())}.")
    return list(metrics)


def _serialize_loss(identifier: Any) -> Any:
    if isinstance(identifier, str):
        return identifier
    return losses.serialize(losses.resolve(identifier))


def _serialize_metric(identifier: Any) -> Any:
    if isinstance(identifier, str):
        return identifier
    return metrics_module.serialize(metrics_module.get(identifier))


def _deserialize_loss(entry: Any) -> Any:
    return entry if entry is None or isinstance(entry, str) else losses.resolve(entry)


def _map_entries(value: Any, read: Any, deep: bool = False) -> Any:
    """A compile_config entry read with ``read``: one entry, a list (per output, or a list of metrics), or
    a dict by output name (a serialized object is a dict too: it has a "class_name")."""
    if value is None:
        return None
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _map_entries(v, read, deep) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_map_entries(v, read, deep) for v in value]
    return read(value)


def _deserialize_metric(entry: Any) -> Any:
    if isinstance(entry, str):
        if entry not in metrics_module.names():
            raise ValueError(f"Unknown metric {entry!r}. Valid names: {', '.join(metrics_module.names())}.")
        return entry
    return metrics_module.deserialize(entry)


def _log_value(result: Any) -> Any:
    """A metric's result in the logs: a float, or an array for a metric at several thresholds."""
    return float(result) if np.ndim(result) == 0 else np.array(result)


def _along_outputs(structure: Any, names: list[str], loss: Any, loss_weights: Any, metrics: Any,
                   weighted_metrics: Any, unnamed: bool) -> tuple[Any, Any, Any, Any, list[str]]:
    """compile's arguments for outputs nested deeper than one level, as one entry per output (in the outputs'
    order), and the outputs' labels in the logs (Keras's: a/d1 for the first of {"a": (y1, y2), ...}; where
    the outputs are ``unnamed``, a subclass's call, a/mse after the output's loss)."""

    def metric_entry(value: Any) -> bool:  # one output's list of metrics, not a level of the structure
        return isinstance(value, (list, tuple)) and not any(nesting.is_container(v) for v in value)

    def per_output(value: Any, what: str, entry: Any = None) -> Any:
        return None if value is None else nesting.along(value, structure, what, entry)

    losses_per_output = per_output(loss, "loss")
    leaf_names = [heads_module.loss_name(lo) for lo in losses_per_output or [None] * len(names)] if unnamed else names
    return (losses_per_output, per_output(loss_weights, "loss_weights"),
            per_output(metrics, "metrics", metric_entry),
            per_output(weighted_metrics, "weighted_metrics", metric_entry),
            nesting.labels(structure, leaf_names))

"""The fused training step: what ``fit`` runs when no seam is overridden (see ``steps``), the layers'
hand-written backward passes without a tape.

    forward (each layer, its ``saved``) -> L (from z on the logits path) -> dL/dy_pred -> backward

With plain SGD the learning rate is folded into the gradient entering backward (``Context.grad_scale``),
so the update is one subtraction per weight. ``_run_epoch`` runs one pass over the batches: the loss of
each batch before its update, the metrics, the callbacks' batch hooks, a stop on a NaN loss.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import callbacks as callbacks_module
from .. import data
from ..layers.base import Context, Layer
from ..losses.base import apply_mask, reads_logits
from ..metrics.base import MeanMetricWrapper
from ..variables import Variable
from ..warn import warn
from . import heads as heads_module
from .tape import Tape, add_weight_penalty_grads, weight_penalty


class FusedSteps:
    """The fused forward-loss-backward step and the epoch loop that runs it (a mixin of Model)."""

    # -- one step ------------------------------------------------------------------------------------
    def _loss_reads_logits(self) -> bool:
        return reads_logits(self.loss, self.output_activation)

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
                           need_prediction: bool = True, ctx: Context | None = None) -> tuple[float, np.ndarray | None]:
        """Forward in training mode, the loss (penalties included), then backward: (L, y_pred).

        Every trainable weight's dL/dw is left on ``variable.grad``. On the logits path
        the prediction a = f(z) is computed only if ``need_prediction``.

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            y: the labels.
            sample_weight: a weight per sample, or None.
            need_prediction: also return y_pred.
            ctx: the pass's context; ``None`` for a training pass.
        """
        tape = self.training_pass(x, y, sample_weight, ctx)
        return tape.loss, self._prediction(tape) if need_prediction else None

    def training_pass(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
                      ctx: Context | None = None) -> Tape:
        """One forward pass, the loss and one backward pass, on checked arrays; returns the Tape that
        holds every number of the pass (nnlite's; ``model.trace`` reads it). No weight changes.

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            y: the labels.
            sample_weight: a weight per sample, or None.
            ctx: the pass's context; ``None`` for a training pass.
        """
        return self._train_pass(x, y, sample_weight, ctx or Context(training=True))

    def stop_on_divergence(self, loss: float) -> None:
        """Stop fit with a warning: the loss became NaN or inf (before that batch's update, when nnlite's step
        makes it).

        Args:
            loss: the batch's loss, NaN or inf.
        """
        self._stop_on_divergence(loss, -1)

    def _regularized(self) -> tuple[list[Variable], list[Variable]]:
        """The weights that carry a regularizer R(w): all of them (for L), the trainable ones (for dL/dw)."""
        every = [w for w in self.weights if getattr(w, "regularizer", None) is not None]
        trainable = {id(w) for w in self.trainable_weights}
        return every, [w for w in every if id(w) in trainable]

    def _train_pass(self, x, y, sample_weight, ctx: Context, regularized: tuple | None = None,
                    from_z: bool | None = None, need_logits: bool = False, chain: bool = False) -> Tape:
        """Forward, loss, backward. The pass stops at z of the last layer when the loss reads the logits
        (then dL/dz comes from the loss) or a metric does (then dL/dz = f'(z)^T dL/da, by the chain rule).
        ``chain``: the model is a plain chain of layers (see ``Sequential._plain_chain``)."""
        every, trainable = regularized or self._regularized()
        if self._heads is not None:
            return self._heads_pass(x, y, sample_weight, ctx, every, trainable, need_logits)
        from_z = self._loss_reads_logits() if from_z is None else from_z
        if chain:
            tape = self._chain_forward(x, ctx, from_z or need_logits)
        else:
            tape = self.forward_pass(x, ctx, stop_at_z=from_z or need_logits)
        sample_weight = apply_mask(sample_weight, tape.output_mask, self.loss.reduction)
        if from_z:  # c dL/dz, c = ctx.grad_scale folded into the loss's own pass over the gradient
            loss, grad = self.loss.value_and_grad_from_logits(y, tape.output, sample_weight, ctx.grad_scale)
        else:
            loss, grad = self.loss.value_and_grad(y, self._prediction(tape), sample_weight)
            if tape.from_z:
                grad = self.output_activation.backward(tape.output, self._prediction(tape), grad)
            if ctx.grad_scale != 1:
                grad = grad * ctx.grad_scale
        if chain:
            if ctx.descend_inside and not math.isfinite(loss):  # fit skips a diverged batch's step: backward too
                ctx.descend_inside = {}
            self._chain_backward(tape, grad)
        else:
            self.backward_pass(tape, grad)
        add_weight_penalty_grads(trainable, ctx)
        tape.loss = loss + tape.penalty + weight_penalty(every)
        return tape

    def _heads_pass(self, x, y, sample_weight, ctx: Context, every: list, trainable: list | None,
                    need_logits: Any = False) -> Tape:
        """Several outputs: forward (each output stops at z where its loss or a metric reads it), L = sum of
        w_k L_k (see ``heads``), then backward from every output at once unless ``trainable`` is None."""
        heads = self._heads
        stops = [h.from_z or bool(need_logits and need_logits[k]) for k, h in enumerate(heads)]
        tape = self.forward_pass(x, ctx, stop_at_z=stops)
        predictions = self._prediction(tape)
        with_grad = trainable is not None
        total, tape.head_losses, grads = heads_module.loss_and_grads(heads, tape.output, predictions, y,
                                                                    sample_weight, with_grad, tape.output_mask)
        if with_grad:
            if ctx.grad_scale != 1:
                grads = [None if g is None else g * ctx.grad_scale for g in grads]
            self.backward_pass(tape, grads)
            add_weight_penalty_grads(trainable, ctx)
        tape.loss = total + tape.penalty + weight_penalty(every)
        return tape

    def _prediction(self, tape: Tape) -> Any:
        """y_pred from a pass: its output, or f(z) where the pass stopped at z (computed once)."""
        if isinstance(tape.from_z, list):  # several outputs
            if tape.prediction is None:
                tape.prediction = [h.activation.forward(out) if z else out
                                   for h, out, z in zip(self._heads, tape.output, tape.from_z)]
            return tape.prediction
        if not tape.from_z:
            return tape.output
        if tape.prediction is None:
            tape.prediction = self.output_activation.forward(tape.output)
        return tape.prediction

    def _test_pass(self, x, y, sample_weight, need_logits: bool, regularized: tuple | None = None,
                   from_z: bool | None = None, training: bool = False) -> Tape:
        """A forward pass (inference unless ``training``) and the loss with its penalties; stops at z
        if the loss or a metric reads it."""
        every, _ = regularized or self._regularized()
        if self._heads is not None:
            return self._heads_pass(x, y, sample_weight, Context(training=bool(training)), every, None, need_logits)
        from_z = self._loss_reads_logits() if from_z is None else from_z
        tape = self.forward_pass(x, Context(training=bool(training)), stop_at_z=from_z or need_logits)
        sample_weight = apply_mask(sample_weight, tape.output_mask, self.loss.reduction)
        if from_z:
            loss = self.loss.value_from_logits(y, tape.output, sample_weight)
        else:
            loss = self.loss(y, self._prediction(tape), sample_weight)
        tape.loss = loss + tape.penalty + weight_penalty(every)
        return tape

    def _stop_on_divergence(self, loss: float, step: int) -> None:
        self._diverged = True
        self.stop_training = True
        where = f"at batch {step + 1}, before that batch's update" if step >= 0 else "in a training step"
        warn(
            f"fit stopped: the loss became {float(loss)} {where}. "
            "The weights are those after the last finite step; a smaller learning rate usually helps.",
            RuntimeWarning,
        )

    def _run_epoch(self, batches, train, callbacks=None, interrupt=None, plan: EpochPlan | None = None,
                   after_batch: Callable[[], None] | None = None) -> dict[str, float]:
        """One pass over ``batches`` of checked (x, y, sample_weight): per batch the loss (before the
        update) and metrics; returns the logs ({} if there was no batch). ``plan``: what the epochs of one
        ``fit`` share (made at the first, kept while it holds); ``after_batch``: called after each update
        (the BLAS threads' trial, see ``nnlite.threads``)."""
        if self.overrides_steps(train):  # your own step (or compute_loss, compute_metrics): called per batch
            return self.run_steps(batches, train, callbacks, interrupt)
        batches = iter(batches)
        first = next(batches, None)
        if first is None:
            return {}
        tracked = self._resolve_metrics(first[1])
        logged = self._logged_heads()
        for metric in (self._loss_tracker, *(h.tracker for h in logged), *(m for _, m, _, _ in tracked)):
            metric.reset_state()
        activations = self.output_activations() if self._heads is not None else [self.output_activation]
        on_z = [reads_logits(m, activations[k or 0]) for _, m, _, k in tracked]
        need_a = not all(on_z)
        if self._heads is not None:  # per output: whether one of its metrics reads the logits
            need_logits: Any = [any(z for (_, _, _, k), z in zip(tracked, on_z) if k == j)
                                for j in range(len(self._heads))]
            head_totals = [0.0] * len(self._heads)
        else:
            need_logits = any(on_z)
        plan = self._brought_up_to_date(plan or EpochPlan(), first[0], train)
        apply_step, regularized = plan.apply_step, plan.regularized
        # backward leaves lr g (see Context.grad_scale), unless a float16 layer would carry gradients lr times
        # smaller, down among its subnormal numbers, or a variable takes g itself
        fold = train and plan.may_fold and self.optimizer.folds_learning_rate()
        may_step_inside = fold and bool(plan.inside)  # SGD may take some steps in backward (Context.descend_inside)
        variables = plan.variables
        from_z = self._loss_reads_logits()
        hooks = callbacks or callbacks_module.CallbackList(model=self)
        begin_hook = "on_train_batch_begin" if train else "on_test_batch_begin"
        end_hook = "on_train_batch_end" if train else "on_test_batch_end"
        call_begin, call_end = hooks.wants(begin_hook), hooks.wants(end_hook)
        ctx = Context(training=True)
        loss_total, seen = 0.0, 0
        one_x = not isinstance(first[0], list)  # one input (the usual case)
        for step, (xb, yb, swb) in enumerate(itertools.chain([first], batches)):
            if call_begin:
                getattr(hooks, begin_hook)(step, {})
            if train:
                # Keras's scale_loss: the loss times s (loss scaling), its gradients divided by s in the step
                ctx.grad_scale = self.optimizer.current_learning_rate() if fold else self.optimizer.gradient_scale()
                if may_step_inside:
                    ctx.descend_inside = plan.inside_targets(self.optimizer)
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # checked just below
                    tape = self._train_pass(xb, yb, swb, ctx, regularized, from_z, need_logits, plan.chain)
                if math.isfinite(tape.loss):
                    apply_step(plan.gradients(ctx.descend_inside) if may_step_inside else [v.grad for v in variables],
                               fold)
                else:  # diverged: keep the weights of the last finite step
                    self._stop_on_divergence(tape.loss, step)
                if after_batch is not None:
                    after_batch()
            else:
                tape = self._test_pass(xb, yb, swb, need_logits, regularized, from_z)
            n = len(xb) if one_x else data.num_rows(xb)
            loss_total += float(tape.loss) * n  # the epoch loss: batch-size-weighted mean of batch losses
            seen += n
            if logged:  # each output's loss: the plain mean of its batch values (Keras 3.15 weighs
                for k, value in enumerate(tape.head_losses):  # these by batch count, unlike the total loss)
                    if value is not None:
                        head_totals[k] += value
            if tracked:
                y_pred = self._prediction(tape) if need_a else None
                for (_, metric, weighted, k), z_path in zip(tracked, on_z):
                    weights = swb if weighted else None
                    if k is None:
                        yk, zk, ak, mask = yb, tape.output, y_pred, tape.output_mask
                    else:
                        yk, zk, ak = yb[k], tape.output[k], None if y_pred is None else y_pred[k]
                        mask = None if tape.output_mask is None else tape.output_mask[k]
                    if mask is not None and isinstance(metric, MeanMetricWrapper):  # Keras masks these
                        weights = apply_mask(weights, mask, "sum")
                    if z_path:
                        metric.update_state_from_logits(yk, zk, weights)
                    else:
                        metric.update_state(yk, ak, weights)
            if call_end:
                self._set_loss_trackers(loss_total, seen, head_totals if logged else None, step + 1)
                getattr(hooks, end_hook)(step, self.get_metrics_result())
            if interrupt is not None and interrupt.requested:
                interrupt.check(f"after batch {step + 1}")
            if train and (self._diverged or self.stop_training):  # a batch hook may stop training, as in Keras
                break
        self._set_loss_trackers(loss_total, seen, head_totals if logged else None, step + 1)
        return self.get_metrics_result()

    def _brought_up_to_date(self, plan: EpochPlan, x: Any, train: bool) -> EpochPlan:
        """``plan`` as it is if nothing it depends on changed, else made again (``x``: a batch, to build the
        layers a layer of one's own makes at its first call, as Keras's first step does)."""
        if plan.key is not None and plan.key == plan.key_for(self, train):
            return plan
        if train and _holds_unbuilt_layers(self):
            self.forward(x, Context(training=False))
        plan.weights = self.weights
        plan.variables = self.trainable_weights
        plan.apply_step = self.optimizer.stepper(plan.variables) if train else None  # variables checked here
        plan.regularized = self._regularized()
        plan.may_fold = not _computes_in_float16(self) and not any(v.overwrite_with_gradient
                                                                    for v in plan.variables)
        plan.chain = (train and plan.one_dtype and self._heads is None and isinstance(x, np.ndarray)
                      and self._plain_chain(x.dtype))
        # SGD on a chain without weight penalties: large kernels' steps inside backward's products
        sgd = (plan.chain and plan.may_fold and not plan.regularized[0] and self.optimizer.folds_learning_rate()
               and self.optimizer.inside_targets(plan.variables) is not None)
        plan.inside = self._kernels_stepped_inside(plan.variables) if sgd else []
        plan.key = plan.key_for(self, train)
        return plan

    _batch_plans: tuple[EpochPlan, EpochPlan] | None = None  # train_on_batch's and test_on_batch's

    def _batch_plan(self, train: bool) -> EpochPlan:
        """The plan of train_on_batch (or test_on_batch), kept from call to call (as one fit keeps its own) until
        ``compile`` or a layer added or removed: a loop of train_on_batch calls walks the model once."""
        if self._batch_plans is None:
            self._batch_plans = (EpochPlan(), EpochPlan())
        return self._batch_plans[0 if train else 1]

    def _forget_plans(self) -> None:
        """Make train_on_batch and test_on_batch find their plans afresh (the model's layers changed)."""
        self._batch_plans = None

    def _set_loss_trackers(self, total: float, seen: int, head_totals: list[float] | None, batches: int) -> None:
        """The epoch's loss trackers from the running sums kept as floats in the loop."""
        self._loss_tracker.total.value[...], self._loss_tracker.count.value[...] = total, seen
        for head in self._logged_heads():
            k = self._heads.index(head)
            head.tracker.total.value[...], head.tracker.count.value[...] = head_totals[k], batches


class EpochPlan:
    """What every epoch of one ``fit`` (or every call of ``train_on_batch``) needs before its first batch: the
    trainable variables (with the optimizer's step for them), the regularized weights, whether lr may be folded
    into backward, whether the model trains as a plain chain. Walking the model for them takes about 0.2 ms, a
    tenth of a small epoch and two thirds of a small ``train_on_batch``, so they are found once and kept while
    nothing they depend on changes: the optimizer, the model's ``trainable`` and its weights' ``trainable``
    flags (a callback that freezes a layer between epochs is followed from the next epoch on)."""

    __slots__ = ("one_dtype", "key", "weights", "variables", "apply_step", "regularized", "may_fold", "chain",
                 "inside")

    def __init__(self, one_dtype: bool = False) -> None:
        self.one_dtype = one_dtype  # every batch has the first one's dtype (arrays checked once, then sliced)
        self.key: tuple | None = None
        self.weights: list[Variable] = []
        self.variables: list[Variable] = []
        self.apply_step: Any = None
        self.regularized: tuple[list[Variable], list[Variable]] = ([], [])
        self.may_fold = False
        self.chain = False  # the model is a plain chain of layers (Sequential._plain_chain)
        self.inside: list[Variable] = []  # the weights SGD may step in backward (Context.descend_inside)

    def inside_targets(self, optimizer: Any) -> dict[int, tuple[np.ndarray, float]]:
        """``Context.descend_inside`` for this batch: id(w) -> (t, beta) for the weights in ``inside``, where the
        optimizer's step begins t <- beta t - lr g now ({} where it does not)."""
        targets = optimizer.inside_targets(self.inside) if self.inside else None
        return {} if targets is None else {id(v): target for v, target in zip(self.inside, targets)}

    def gradients(self, inside: dict[int, Any]) -> list[np.ndarray | None]:
        """Each variable's gradient for the step; None for those stepped in backward (``inside``)."""
        if not inside:
            return [v.grad for v in self.variables]
        return [None if id(v) in inside else v.grad for v in self.variables]

    def key_for(self, model: Any, train: bool) -> tuple:
        """What the plan depends on, as it is now."""
        return (train, id(model.optimizer) if train else None, model.trainable,
                *(w.trainable for w in self.weights))


def _holds_unbuilt_layers(layer: Layer) -> bool:
    """Whether some layer held inside ``layer`` (at any depth) is not built yet."""
    return any(not held.built or _holds_unbuilt_layers(held) for held in layer.sublayers())


def _computes_in_float16(layer: Layer) -> bool:
    """Whether the layer, or one inside it, computes in float16."""
    return layer.dtype == "float16" or any(_computes_in_float16(inner) for inner in layer.sublayers())

"""fit, evaluate and predict: the data in batches, the epochs, the callbacks, validation.

Arguments are checked before any weight changes; data comes as arrays (checked once, sliced per batch) or
as a stream of batches (each checked as it arrives, ``nnlite.streams``).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import autodiff, config, data, heap, interrupts, streams, threads
from .. import callbacks as callbacks_module
from ..layers.base import Context
from ..warn import warn
from .fused import EpochPlan
from .steps import Steps


class Loops:
    """fit, evaluate, predict and their one-batch forms (a mixin of Model)."""

    # -- fit, evaluate, predict --------------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int | str = "auto", callbacks: Sequence[callbacks_module.Callback] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            class_weight: dict[int, float] | None = None, sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None, validation_freq: int = 1) -> callbacks_module.History:
        """Train for ``epochs`` passes over (x, y): for each batch, loss -> gradients -> one optimizer step.

        Args:
            x: the inputs: an array (n, ...), a list or dict of arrays for a model with several inputs, a
                DataFrame, a generator or ``PyDataset`` yielding (x, y[, sample_weight]) batches.
            y: the targets, as many rows as ``x`` (None when ``x`` yields them).
            batch_size: rows per gradient step (default 32; not for generators, which batch themselves).
            epochs: the epoch to stop at (with ``initial_epoch``, the number of passes is the difference).
            verbose: "auto" or 1 a progress bar per epoch, 2 one line per epoch, 0 silent.
            callbacks: ``Callback`` objects called at each epoch and batch (History is always added).
            validation_split: the fraction of the rows (the last ones, before shuffling) held out and
                evaluated after each epoch as ``val_*``.
            validation_data: (x_val, y_val) or (x_val, y_val, sample_weight_val) evaluated after each epoch.
            shuffle: shuffle the rows before each epoch.
            class_weight: {class index: weight}, multiplying each sample's loss by its class's weight.
            sample_weight: one weight per row (or per output element), multiplying its loss.
            initial_epoch: the epoch to start from (to resume a run).
            steps_per_epoch: batches per epoch (default: all the data once).
            validation_steps: batches of the validation data to evaluate (default: all).
            validation_batch_size: batch size for validation (default ``batch_size``).
            validation_freq: evaluate the validation data every this many epochs.

        Returns:
            The ``History``: ``history.history["loss"]`` and each metric, one value per epoch.

        Example:
            >>> import numpy as np, nnlite
            >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=3, verbose=0)
            >>> len(history.history["loss"])
            3
        """
        batch_size = data.check_int(32 if batch_size is None else batch_size, "batch_size", 1)
        epochs = data.check_int(epochs, "epochs", 0)
        if config.max_epochs() is not None:  # keras.config.set_max_epochs: a cap for quick runs
            epochs = min(epochs, config.max_epochs())
        initial_epoch = data.check_int(initial_epoch, "initial_epoch", 0)
        verbose = _check_verbose(verbose)
        steps_per_epoch = streams.check_steps(steps_per_epoch, "steps_per_epoch")
        validation_steps = streams.check_steps(validation_steps, "validation_steps")
        if isinstance(validation_freq, bool) or not isinstance(validation_freq, (int, list)) or (
                isinstance(validation_freq, int) and validation_freq < 1):
            raise ValueError(f"Expected `validation_freq` to be a list or int. Received: validation_freq="
                             f"{validation_freq!r} of the type {type(validation_freq)}.")
        if not self.compiled:
            raise RuntimeError("You must call `compile()` before using the model for training: "
                               "call compile(optimizer, loss).")
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot use class_weight and sample_weight at the same time.")
        kept = heap.KeptHeap()  # freed memory kept for the next batch (glibc); NNLITE_HEAP checked here
        source = self._source(x, y, sample_weight, batch_size, shuffle, class_weight, steps_per_epoch,
                              validation_split)
        val = None
        if validation_data is not None:
            val = self._validation_source(validation_data, validation_batch_size or batch_size, validation_steps)
        elif validation_split:
            source, val = source.split(validation_split, validation_batch_size or batch_size)

        cbs = _given(callbacks)
        history = next((c for c in cbs if isinstance(c, callbacks_module.History)), None)
        if history is None:  # Keras's order: yours, History, then the progress bar
            history = callbacks_module.History()
            cbs.append(history)
        if verbose and not any(isinstance(c, callbacks_module.ProgbarLogger) for c in cbs):
            cbs.append(callbacks_module.ProgbarLogger(verbose))
        cb = callbacks_module.CallbackList(cbs, model=self, verbose=verbose, epochs=epochs, steps=source.num_batches)
        self.stop_training = False
        self._diverged = False
        self.history = history
        largest = max((w.value.size for w in self.trainable_weights if w.value.ndim == 2), default=0)
        # the BLAS's thread count, and the counts the model's earlier fits at this batch size settled on
        settled = self.__dict__.setdefault("_settled_threads", {}).setdefault(batch_size, {})
        blas = threads.BlasThreads(settled) if largest * batch_size >= threads.WORTH_IT else contextlib.nullcontext()
        after_batch = getattr(blas, "batch_done", None)
        with interrupts.deferred_interrupt() as interrupt, blas, kept:
            cb.on_train_begin({})
            if self.restored_epoch is not None:  # a callback restored a backup (Keras: model._initial_epoch)
                initial_epoch, self.restored_epoch = self.restored_epoch, None
            logs: dict[str, float] = {}
            # what the epochs share, made at the first
            plan, val_plan = EpochPlan(one_dtype=isinstance(source, data.ArrayBatches)), EpochPlan()
            for epoch in range(initial_epoch, epochs):
                cb.on_epoch_begin(epoch, {})
                batches = source.epoch()
                if config.max_steps_per_epoch() is not None:  # keras.config.set_max_steps_per_epoch
                    batches = itertools.islice(batches, config.max_steps_per_epoch())
                logs = self._run_epoch(batches, train=True, callbacks=cb, interrupt=interrupt, plan=plan,
                                       after_batch=after_batch)
                if not logs:  # a generator with nothing left: there is no epoch to run
                    warn("fit stopped: the data source gave no batches for this epoch (a generator is read once; "
                         "give steps_per_epoch with a generator that repeats, or a dataset that can be read again).",
                         UserWarning)
                    break
                if val is not None and _should_validate(epoch, validation_freq):
                    cb.on_test_begin({})  # Keras validates through evaluate(callbacks=...): the test hooks run
                    val_logs = self._run_epoch(val.epoch(), train=False, callbacks=cb, plan=val_plan)
                    cb.on_test_end(val_logs)
                    logs = _sorted({**logs, **{f"val_{k}": v for k, v in val_logs.items()}})
                cb.on_epoch_end(epoch, logs)
                interrupt.check(f"at the end of epoch {epoch + 1}")
                if blas is not None and hasattr(blas, "adjust"):  # BLAS threads for the cores left free
                    blas.adjust()
                if self.stop_training:
                    break
            if epochs > 0:  # as Keras: with use_ema the weights become their moving averages
                self.optimizer.finalize_variable_values(self.trainable_weights)
            cb.on_train_end(logs)
        self.history = history  # this fit's, even if a callback ran another fit meanwhile
        return history

    def _source(self, x: Any, y: Any, sample_weight: Any, batch_size: int, shuffle: bool = False,
                class_weight: Any = None, steps: int | None = None, validation_split: float = 0.0,
                prefix: str = "") -> Any:
        """Where an epoch's checked batches come from: arrays (checked once, sliced per batch) or a stream
        of batches (each checked as it arrives)."""
        if streams.is_stream(x):
            for name, value in (("y", y), ("sample_weight", sample_weight)):
                if value is not None:
                    raise ValueError(f"`{name}` argument is not supported when using a generator or dataset as "
                                     f"input: its batches carry (x, y[, sample_weight]).")
            if validation_split:
                raise ValueError("`validation_split` is only supported for arrays, not for a generator or "
                                 "dataset: pass validation_data.")
            stream = streams.Stream(x, steps, f"{prefix}x", config.default_rng() if shuffle else None)
            return StreamBatches(stream, lambda xb, yb, swb: self._check_xy(xb, yb, swb, prefix=prefix),
                                 class_weight, self.output_dtype, prefix)
        x, y, sw = self._check_xy(x, y, sample_weight, prefix=prefix)
        return data.ArrayBatches(x, y, sw, batch_size, config.default_rng() if shuffle else None, class_weight,
                                 self.output_dtype, steps)

    def _validation_source(self, validation_data: Any, batch_size: int, steps: int | None) -> Any:
        if streams.is_stream(validation_data):
            return self._source(validation_data, None, None, batch_size, steps=steps, prefix="validation ")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val), "
                             "or a generator or dataset of such batches.")
        vx, vy, vsw = (*validation_data, None)[:3]
        return self._source(vx, vy, vsw, batch_size, steps=steps, prefix="validation ")

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: int | str = "auto",
                 sample_weight: Any = None, steps: int | None = None,
                 callbacks: Sequence[callbacks_module.Callback] | None = None, return_dict: bool = False,
                 **kwargs: Any) -> Any:
        """The loss (and metrics) over (x, y), batch by batch, the weights unchanged.

        Args:
            x: the inputs, as for ``fit``.
            y: the targets, as for ``fit``.
            batch_size: rows per batch (default 32).
            verbose: "auto" or 1 a progress bar, 2 one line, 0 silent.
            sample_weight: one weight per row, as for ``fit``.
            steps: batches to evaluate (default: all the data).
            callbacks: ``Callback`` objects given Keras's test hooks.
            return_dict: return {name: value} instead of a list.
            **kwargs: Keras's internal ``_use_cached_eval_dataset`` is taken; any other name is refused.

        Returns:
            The loss as a float when there are no metrics, else [loss, *metrics] (or a dict).

        Example:
            >>> import numpy as np, nnlite
            >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="zeros")])
            >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
            >>> model.evaluate(np.ones((4, 2)), np.full((4, 1), 2.0), verbose=0, return_dict=True)
            {'loss': 4.0, 'mae': 2.0}
        """
        kwargs.pop("_use_cached_eval_dataset", None)
        if kwargs:
            raise ValueError(f"Arguments not recognized: {kwargs}")
        batch_size = data.check_int(32 if batch_size is None else batch_size, "batch_size", 1)
        verbose = _check_verbose(verbose)
        if not self.compiled:
            raise RuntimeError("You must call `compile()` before using the model for training or evaluation: "
                               "call compile(optimizer, loss).")
        source = self._source(x, y, sample_weight, batch_size, steps=streams.check_steps(steps, "steps"))
        cbs = _given(callbacks) + ([callbacks_module.ProgbarLogger(verbose)] if verbose else [])
        cb = callbacks_module.CallbackList(cbs, model=self, verbose=verbose, epochs=1, steps=source.num_batches)
        cb.on_test_begin({})
        logs = self._run_epoch(source.epoch(), train=False, callbacks=cb)
        cb.on_test_end(logs)
        return _results(logs, self._result_order(), return_dict)

    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = "auto", steps: int | None = None,
                callbacks: Sequence[callbacks_module.Callback] | None = None) -> np.ndarray:
        """y_pred for every row of x, computed batch by batch (nothing on the model changes).

        Args:
            x: the inputs, as for ``fit`` (a generator yields batches of inputs).
            batch_size: rows per batch (default 32).
            verbose: "auto" or 1 a progress bar, 2 one line, 0 silent.
            steps: batches to predict (default: all the data).
            callbacks: ``Callback`` objects given Keras's predict hooks; ``on_predict_batch_end`` receives
                {"outputs": batch}.

        Returns:
            An array (n, ...) of outputs; a list or dict of them for a model with several outputs.

        Example:
            >>> import numpy as np, nnlite
            >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
            >>> model.predict(np.array([[1.0, 2.0]]), verbose=0)
            array([[3.]], dtype=float32)
        """
        batch_size = data.check_int(32 if batch_size is None else batch_size, "batch_size", 1)
        verbose = _check_verbose(verbose)
        steps = streams.check_steps(steps, "steps")
        if streams.is_stream(x):
            stream = streams.Stream(x, steps)
            inputs = (self.check_inputs(streams.unpack(batch, "predict")[0]) for batch in stream.epoch())
            count = stream.num_batches
        else:
            x = self.check_inputs(x)
            inputs = (data.take(x, rows) for rows in data.batches(data.num_rows(x), batch_size))
            count = -(-data.num_rows(x) // batch_size)
            inputs = itertools.islice(inputs, steps) if steps is not None else inputs
        ctx = Context(training=False)
        if type(self).predict_step is not Steps.predict_step:  # your own predict_step, called per batch
            def one_batch(xb: Any) -> Any:
                with autodiff.step_scope():
                    out = self.predict_step((xb,))
                return ([np.asarray(autodiff.value_of(o)) for o in out] if isinstance(out, (list, tuple))
                        else np.asarray(autodiff.value_of(out)))
        else:
            def one_batch(xb: Any) -> Any:
                return self.forward_pass(xb, ctx).output
        callbacks = _given(callbacks) + ([callbacks_module.ProgbarLogger(verbose)] if verbose else [])
        if not callbacks:
            return self._join([one_batch(xb) for xb in inputs])
        cb = callbacks_module.CallbackList(callbacks, model=self, verbose=verbose, steps=count)
        self.stop_predicting = False
        outputs = []
        cb.on_predict_begin({})
        for step, xb in enumerate(inputs):
            cb.on_predict_batch_begin(step, {})
            outputs.append(one_batch(xb))
            cb.on_predict_batch_end(step, {"outputs": outputs[-1]})
            if self.stop_predicting:
                break
        cb.on_predict_end({})
        return self._join(outputs)

    def _join(self, batches: list[Any]) -> Any:
        """predict's answer from the per-batch outputs (per output, for a model with several)."""
        if not batches:
            raise ValueError("predict got no batches: the data source was empty.")
        if isinstance(batches[0], list):
            return self.pack_outputs([np.concatenate(parts) for parts in zip(*batches)])
        return np.concatenate(batches)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        """One optimizer step on (x, y); returns the loss before the step (and metrics).

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            y: the labels (targets) of the batch, or None for a model trained only by ``add_loss``.
            sample_weight: a weight per sample, or None.
            class_weight: a weight per class, as in ``fit``.
            return_dict: return the results by name.
        """
        x, y, sw = self._check_xy(x, y, sample_weight)
        if class_weight is not None:
            sw = data.class_weights_to_sample_weights(y, class_weight, self.output_dtype)
        self._diverged = False
        logs = self._run_epoch([(x, y, sw)], train=True, plan=self._batch_plan(train=True))
        return _results(logs, self._result_order(), return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """The loss (and metrics) on one batch, without training.

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
            y: the labels (targets) of the batch, or None for a model trained only by ``add_loss``.
            sample_weight: a weight per sample, or None.
            return_dict: return the results by name.
        """
        x, y, sw = self._check_xy(x, y, sample_weight)
        logs = self._run_epoch([(x, y, sw)], train=False, plan=self._batch_plan(train=False))
        return _results(logs, self._result_order(), return_dict)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        """y_pred for one batch.

        Args:
            x: the inputs of the batch: an array, or a list or dict of arrays for several inputs.
        """
        return self(x)


class StreamBatches:
    """An epoch's batches from a stream, each checked (``check``) and class-weighted as it arrives."""

    def __init__(self, stream: streams.Stream, check: Any, class_weight: Any, dtype: str, prefix: str) -> None:
        self.stream, self.check, self.class_weight, self.dtype, self.prefix = stream, check, class_weight, dtype, prefix

    @property
    def num_batches(self) -> int | None:
        return self.stream.num_batches

    def epoch(self) -> Any:
        for step, batch in enumerate(self.stream.epoch()):
            x, y, sw = streams.unpack(batch, f"{self.prefix}batch {step + 1}")
            if y is None:
                raise ValueError(f"{self.prefix}batch {step + 1} holds no y: training and evaluation need batches "
                                 "(x, y) or (x, y, sample_weight).")
            x, y, sw = self.check(x, y, sw)
            if self.class_weight is not None:
                if sw is not None:
                    raise ValueError("You cannot use class_weight and sample_weight at the same time.")
                sw = data.class_weights_to_sample_weights(y, self.class_weight, self.dtype)
            yield x, y, sw


def _should_validate(epoch: int, validation_freq: int | list[int]) -> bool:
    """Keras's rule: every ``validation_freq``-th epoch (counted from 1), or the epochs listed."""
    return (epoch + 1) % validation_freq == 0 if isinstance(validation_freq, int) else epoch + 1 in validation_freq


def _sorted(logs: dict[str, float]) -> dict[str, float]:
    """Keras hands logs over with their keys sorted (History, progress lines, return_dict)."""
    return dict(sorted(logs.items()))


def _results(logs: dict[str, float], order: list[str], return_dict: bool) -> Any:
    """evaluate's answer: a dict, the loss alone, or a list: the names in ``order``, then the rest sorted
    (Keras's order: with one output [loss, *metrics in compile order])."""
    if return_dict:
        return logs
    values = [logs[name] for name in order if name in logs]
    values += [logs[name] for name in sorted(logs) if name not in order]
    return values[0] if len(values) == 1 else values


def _check_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2; got {verbose!r}.")
    return int(verbose)


def _given(callbacks: Any) -> list[callbacks_module.Callback]:
    """The callbacks a user hands fit, evaluate or predict: a list, or Keras's CallbackList (its callbacks)."""
    if isinstance(callbacks, callbacks_module.CallbackList):
        return list(callbacks.callbacks)
    return list(callbacks or [])

"""The optimizer base: one step of :meth:`Optimizer.apply`, in Keras's order.

1. unscale (g / loss_scale_factor) and, with gradient accumulation, add g to an
   accumulator, stepping only every ``gradient_accumulation_steps`` calls with their mean;
2. clip the gradients (``clipnorm`` per tensor g c / max(|g|, c), ``global_clipnorm`` over
   all tensors together, or ``clipvalue`` elementwise; at most one, 0 meaning off);
3. decoupled weight decay ``w <- w - w * weight_decay * lr``;
4. the optimizer's own update with ``lr = learning_rate(iterations)``;
5. the moving average of the weights (``use_ema``), then each variable's constraint;
6. ``iterations += 1``.

State is kept by variable, as Keras keeps it: a subclass declares its slots with
:meth:`Optimizer.slot_layout` (Keras's variable names and order) and finds them for a
variable ``v`` in ``state[v]``. Using the optimizer on a variable it was not built for
raises Keras's error.
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .. import config
from ..registry import Registry, snake_case
from ..variables import Variable
from ..warn import warn
from .common_arguments import document_common
from .keras_steps import KerasSteps
from .schedules import SCHEDULES, LearningRateSchedule


def as_cast_constant(value: float) -> float:
    """A Python-float hyperparameter as Keras applies it: ``ops.cast(value, dtype)``
    first makes a float32 tensor, so momentum 0.9 acts as 0.8999999761581421 even in
    float64. (The learning rate is a variable of floatx and is not rounded.)"""
    return float(np.float32(value))


def _takes_no_arguments(fn: Callable) -> bool:
    """Whether ``fn`` can be called with no arguments (Keras's learning-rate callables are)."""
    try:
        inspect.signature(fn).bind()
    except TypeError:
        return False
    except ValueError:  # no signature to read (a builtin): give it the step
        return False
    return True


def check_rate(name: str, value: Any, maximum: float | None = None) -> float:
    """A hyperparameter that must be a finite number >= 0 (and <= maximum)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a float, got {type(value).__name__}: {value!r}.")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (maximum is not None and value > maximum):
        bound = f"in [0, {maximum:g}]" if maximum is not None else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}.")
    return value


@document_common
class Optimizer(KerasSteps):
    """Base class: learning rate (float, schedule or callable), clipping, weight decay, EMA, iterations.

    Args:
        learning_rate: lr, a float, a ``LearningRateSchedule`` or a function of the step.
        {common arguments}

    A subclass names its per-weight state in ``slot_layout`` and changes w in place in ``update``:

    Example:
        >>> import numpy as np, nnlite
        >>> class SignSGD(nnlite.optimizers.Optimizer):  # w <- w - lr sign(g)
        ...     def update(self, w, g, lr, state):
        ...         w -= lr * np.sign(g)
        >>> w = nnlite.Variable(np.array([1.0, -1.0]))
        >>> SignSGD(learning_rate=0.1).apply_gradients([(np.array([3.0, -0.5]), w)])
        >>> w.numpy()
        array([ 0.9, -0.9])
    """

    def __init__(self, learning_rate: float | LearningRateSchedule | Callable[[int], float] = 0.001,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None, gradient_accumulation_steps: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        if "lr" in kwargs:
            raise ValueError("Argument `lr` is no longer supported: use `learning_rate=` (as in Keras 3).")
        if kwargs.pop("decay", None) is not None:
            warn("Argument `decay` is no longer supported and will be ignored.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clips.values()) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                             + ", ".join(f"{k}={v}" for k, v in clips.items()))
        for key, value in clips.items():
            setattr(self, key, None if value is None else check_rate(key, value))
        self.weight_decay = None if weight_decay is None else check_rate("weight_decay", weight_decay)
        self.use_ema = bool(use_ema)
        self.ema_momentum = check_rate("ema_momentum", ema_momentum, maximum=1.0)
        if ema_overwrite_frequency is not None and (
                isinstance(ema_overwrite_frequency, bool) or not isinstance(ema_overwrite_frequency, numbers.Integral)
                or ema_overwrite_frequency < 1):
            raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                             f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = None if loss_scale_factor is None else check_rate("loss_scale_factor",
                                                                                   loss_scale_factor)
        if gradient_accumulation_steps is not None and (
                isinstance(gradient_accumulation_steps, bool) or not isinstance(gradient_accumulation_steps, int)
                or gradient_accumulation_steps < 2):
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. "
                             f"Received: gradient_accumulation_steps={gradient_accumulation_steps}")
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if name is None:  # Keras's automatic names: adam, adam_1, ... (until clear_session)
            base = snake_case(type(self).__name__)
            uid = config.get_uid(base)
            name = base if uid == 1 else f"{base}_{uid - 1}"
        self.name = name
        self._iterations = Variable(np.array(0, dtype=np.int64), "iteration", trainable=False,
                                    path=f"{self.name}/iteration")
        self._learning_rate: Any = None
        self._lr_variable: Variable | None = None
        self._set_initial_learning_rate(learning_rate)
        self.built = False
        self._excluded: set[Variable] = set()
        self._exclude_pattern: re.Pattern | None = None
        self._index: dict[Variable, int] = {}  # variable (by identity) -> position in _trainable_variables
        self._trainable_variables: list[Variable] = []
        self._state: list[dict[str, np.ndarray]] = []  # per variable: slot name -> array
        self._work: dict[tuple[str, np.dtype], np.ndarray] = {}  # scratch buffers, see scratch()
        self._slot_variables: list[Variable] = []
        self._scalars: dict[str, Variable] = {}
        self.t = 0  # during a step: the step being taken, t = iterations + 1

    # -- the learning rate, as Keras exposes it --------------------------------------------
    def _set_initial_learning_rate(self, learning_rate: Any) -> None:
        if isinstance(learning_rate, LearningRateSchedule) or (callable(learning_rate)
                                                               and not isinstance(learning_rate, Variable)):
            self._learning_rate = learning_rate
            return
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (numbers.Real, Variable)):
            raise ValueError("Argument `learning_rate` should be float, or an instance of LearningRateSchedule, "
                             "or a callable (that takes in the current iteration value and returns the "
                             f"corresponding learning rate value). Received instead: learning_rate={learning_rate!r}")
        value = check_rate("learning_rate", float(learning_rate))
        self._lr_variable = Variable(np.array(value, dtype=config.floatx()), "learning_rate", trainable=False,
                                     path=f"{self.name}/learning_rate")
        self._learning_rate = self._lr_variable

    @property
    def learning_rate(self) -> Any:
        """The learning rate variable, or a schedule's value at ``iterations`` (a float)."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return self._scheduled_rate()

    def _scheduled_rate(self) -> float:
        """A schedule's rate at ``iterations``; a plain callable's value, called without arguments as Keras calls
        it (or with ``iterations``, where it needs an argument)."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule) or not _takes_no_arguments(lr):
            return lr(int(self.iterations))
        return lr()

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(value, LearningRateSchedule) or (callable(value) and not isinstance(value, Variable)):
            self._learning_rate = value
            return
        if not isinstance(self._learning_rate, Variable):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as its "
                            "`learning_rate` constructor argument, hence its learning rate is not settable. If you "
                            "need the learning rate to be settable, you should instantiate the optimizer with a "
                            "float `learning_rate` argument.")
        self._learning_rate.assign(check_rate("learning_rate", float(value)))

    def current_learning_rate(self) -> float:
        """lr for the coming step: the variable's value, or the schedule at ``iterations``."""
        lr = self._learning_rate
        return float(lr.value) if type(lr) is Variable else float(self._scheduled_rate())

    @property
    def iterations(self) -> Variable | int:
        """The step count (a Variable); with gradient accumulation, the number of applied steps."""
        if self.gradient_accumulation_steps:
            return int(self._iterations.value) // self.gradient_accumulation_steps
        return self._iterations

    @iterations.setter
    def iterations(self, value: Any) -> None:
        self._iterations.assign(int(value))

    # -- state, by variable -----------------------------------------------------------------
    def slot_layout(self) -> list[tuple[str, ...]]:
        """Keras's per-variable state as groups of slot names: every variable gets the slots of a
        group, in turn, before the next group starts (Keras's variable order in files)."""
        return []

    def scalar_slots(self) -> tuple[str, ...]:
        """Optimizer-wide scalars created after the slots (Nadam's momentum product)."""
        return ()

    def has_slot(self, name: str, v: Variable) -> bool:
        """Whether variable ``v`` keeps slot ``name`` (all do by default; Muon's Adam velocity only where it steps
        by Adam).

        Args:
            name: the slot's name.
            v: the variable.
        """
        return True

    def weight_decay_of(self, v: Variable) -> float | None:
        """The decoupled weight decay rate of variable ``v`` (``weight_decay`` for every one by default).

        Args:
            v: the variable.
        """
        return self.weight_decay

    def initial_slot(self, name: str, w: np.ndarray) -> np.ndarray:
        """The starting value of slot ``name`` for weights ``w``: zeros, unless a subclass says otherwise.

        Args:
            name: the slot's name.
            w: the weight the slot belongs to.
        """
        return np.zeros_like(w)

    def build(self, variables: Sequence[Variable]) -> None:
        """Create the state for ``variables``, in Keras's order (averages, accumulators, then the slots).

        Args:
            variables: the variables it will update.
        """
        variables = list(variables)
        self._trainable_variables = variables
        self._index = {v: i for i, v in enumerate(variables)}
        self._state = [{} for _ in variables]
        self._slot_variables = []
        groups = ([("average",)] if self.use_ema else []) + (
            [("gradient_accumulator",)] if self.gradient_accumulation_steps else []) + self.slot_layout()
        for group in groups:
            for v, state in zip(variables, self._state):
                for slot in group:
                    if not self.has_slot(slot, v):
                        continue
                    value = v.value.copy() if slot == "average" else (
                        np.zeros_like(v.value) if slot == "gradient_accumulator" else self.initial_slot(slot, v.value))
                    name = f"{v.path.replace('/', '_')}_{slot}"
                    variable = Variable(value, name, trainable=False, path=f"{self.name}/{name}")
                    self._slot_variables.append(variable)
                    state[slot] = variable.value
        dtype = variables[0].dtype if variables else np.dtype(config.floatx())
        self._scalars = {s: Variable(np.array(1.0, dtype=dtype), "variable", trainable=False,
                                     path=f"{self.name}/variable") for s in self.scalar_slots()}
        self.built = True

    @property
    def variables(self) -> list[Variable]:
        """iteration, learning_rate (unless a schedule), then the state in Keras's order."""
        head = [self._iterations] + ([self._learning_rate] if isinstance(self._learning_rate, Variable) else [])
        return head + self._slot_variables + list(self._scalars.values())

    def get_weights(self) -> list[np.ndarray]:
        """The optimizer's variables as NumPy arrays, in Keras's order (the iteration count and learning rate first)."""
        return [v.numpy() for v in self.variables]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set every optimizer variable (in :attr:`variables` order); the optimizer must be built.

        Args:
            weights: one array per optimizer variable, in :meth:`get_weights` order.
        """
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been built. Please "
                             "call `optimizer.build(trainable_variables)` to create the optimizer weights before "
                             "calling `set_weights()`.")
        mine = self.variables
        if len(weights) != len(mine):
            raise ValueError(f"The optimizer has {len(mine)} variables, got {len(weights)} arrays.")
        arrays = [np.asarray(w) for w in weights]
        for v, a in zip(mine, arrays):
            if v.shape != a.shape:
                raise ValueError(f"Optimizer variable {v.path} has shape {v.shape} not compatible with provided "
                                 f"weight shape {a.shape}.")
        for v, a in zip(mine, arrays):
            v.assign(a)

    def exclude_from_weight_decay(self, var_list: Iterable[Variable] | None = None,
                                  var_names: Iterable[str] | None = None) -> None:
        """Leave these variables (or any whose name contains one of ``var_names``) out of weight decay.

        Args:
            var_list: variables to exclude.
            var_names: name fragments; a variable whose name contains one is excluded.
        """
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._excluded = set(var_list or [])
        names = list(var_names or [])
        self._exclude_pattern = re.compile("|".join(map(re.escape, names))) if names else None

    def _decays(self, v: Variable) -> bool:
        if v in self._excluded:
            return False
        return self._exclude_pattern is None or not self._exclude_pattern.search(v.name)

    # -- the step -------------------------------------------------------------------------------
    def apply(self, grads: Sequence[np.ndarray], trainable_variables: Sequence[Variable] | None = None) -> None:
        """One step: every check first, then clip, decay, update in place, average, constrain, count.

        Args:
            grads: one gradient per variable.
            trainable_variables: the variables, in the same order; ``None`` for those the optimizer was built with.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be built on "
                                 "a list of variables. Call `optimizer.build(trainable_variables)` first.")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(f"When passing `grads` as a list of gradient tensors, the gradients must match "
                                 f"`optimizer.variables` one-to-one. Received a list of {len(grads)} gradients, but "
                                 f"the optimizer is tracking {len(self._trainable_variables)} trainable variables.")
            trainable_variables = self._trainable_variables
        elif len(grads) != len(trainable_variables):
            raise ValueError(f"Got {len(grads)} gradients for {len(trainable_variables)} variables.")
        elif not self.built:
            self.build(trainable_variables)
        kept, variables, states = [], [], []  # each variable with a gradient, and its slots, all checked first
        missing, overwritten = [], []
        index = self._index
        for g, v in zip(grads, trainable_variables):
            if v not in index:
                raise ValueError(f"Unknown variable: {v}. This optimizer can only be called for the variables "
                                 "it was originally built with. When working with a new set of variables, you "
                                 "should recreate a new optimizer instance.")
            if g is None:  # no gradient: the variable is left alone
                missing.append(v.path)
                continue
            if type(g) is not np.ndarray:
                g = np.asarray(g)
            if g.shape != v.value.shape:
                raise ValueError(f"The gradient for {v.path} has shape {g.shape}, the variable {v.shape}.")
            if v.overwrite_with_gradient:  # Keras's float8 bookkeeping: the value becomes g
                overwritten.append((v, g))
                continue
            kept.append(g)
            variables.append(v)
            states.append(self._state[index[v]])
        if not kept and not overwritten:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warn(f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                 "`model.compile()`, did you forget to provide a `loss` argument?", UserWarning)
        for v, g in overwritten:
            self._overwrite(v, g)
        if kept:
            self._step(kept, variables, states)
        self._iterations.value[()] += 1  # (indexing the 0-d array: ten times faster than +=)

    def stepper(self, variables: Sequence[Variable]) -> Callable[[list[np.ndarray]], None]:
        """``apply`` for a fixed list of variables, checked once here (building the optimizer if needed):
        the returned function takes one gradient per variable and does only the step. ``fit`` uses it.

        Args:
            variables: the variables every step will update.
        """
        variables = list(variables)
        if not self.built:
            self.build(variables)
        unknown = [v for v in variables if v not in self._index]
        if unknown:
            raise ValueError(f"Unknown variable: {unknown[0]}. This optimizer can only be called for the variables "
                             "it was originally built with. When working with a new set of variables, you should "
                             "recreate a new optimizer instance.")
        states = [self._state[self._index[v]] for v in variables]
        overwritten = [v.overwrite_with_gradient for v in variables]
        if any(overwritten):  # those take their gradient as their value; the rest step
            stepped = [i for i, o in enumerate(overwritten) if not o]

            def step(grads: list[np.ndarray], scaled: bool = False) -> None:
                for g, v, o in zip(grads, variables, overwritten):
                    if o:
                        self._overwrite(v, np.asarray(g))
                if stepped:
                    self._step([grads[i] for i in stepped], [variables[i] for i in stepped],
                               [states[i] for i in stepped], scaled)
                self._iterations.value[()] += 1

            return step

        def step(grads: list[np.ndarray], scaled: bool = False) -> None:
            self._step(grads, variables, states, scaled)
            self._iterations.value[()] += 1

        return step

    def _overwrite(self, v: Variable, g: np.ndarray) -> None:
        """v <- g for a variable with ``overwrite_with_gradient`` (Keras's float8 bookkeeping). With gradient
        accumulation, as Keras: acc <- max(g, acc) on the calls between steps, v <- max(g, acc) and acc <- 0 on the
        call that steps."""
        if self.gradient_accumulation_steps:
            acc = self._state[self._index[v]]["gradient_accumulator"]
            if (int(self._iterations.value) + 1) % self.gradient_accumulation_steps:
                np.maximum(g, acc, out=acc)
                return
            g = np.maximum(g, acc)
            acc[...] = 0
        v.assign(g.astype(v.value.dtype, copy=False))

    def _preprocesses(self) -> bool:
        """Whether step 1 or 2 of the module docstring has work to do."""
        return bool(self.loss_scale_factor is not None or self.gradient_accumulation_steps or self.clipnorm
                    or self.global_clipnorm or self.clipvalue)

    def folds_learning_rate(self) -> bool:
        """Whether the update needs g only as lr g, so that ``fit`` can fold lr into the gradient entering
        backward and hand the step lr g (``scaled``): one pass over the weights fewer. Plain SGD does;
        clipping, unscaling or accumulating need g itself."""
        return False

    def inside_targets(self, variables: Sequence[Variable]) -> list[tuple[np.ndarray, float]] | None:
        """Where the step for ``variables`` begins t <- beta t - lr g for one array t per variable, with lr g handed
        over by ``fit`` (see :meth:`folds_learning_rate`), and needs g for nothing else: each variable's (t, beta).
        Backward may then take that part itself (``Context.descend_inside``) and the step function, handed None as
        those variables' gradients, does the rest. None for every optimizer but SGD.

        Args:
            variables: the variables whose step backward would take.
        """
        return None

    def _step(self, grads: list[np.ndarray], variables: list[Variable], states: list[dict[str, np.ndarray]],
              scaled: bool = False) -> None:
        """Steps 1-5 of the module docstring for the gradients of ``variables`` (``states``: their slots);
        ``scaled``: the gradients are already lr g (see :meth:`folds_learning_rate`)."""
        if self._preprocesses():
            grads = self._preprocessed(grads, states)  # None while accumulating: no update this time
        if grads is not None:
            lr = self.current_learning_rate()
            self.t = int(self.iterations) + 1 if self.gradient_accumulation_steps else int(self._iterations.value) + 1
            if self.weight_decay or type(self).weight_decay_of is not Optimizer.weight_decay_of:
                for v in variables:
                    wd = self.weight_decay_of(v)
                    if wd and self._decays(v):
                        v.value -= v.value * as_cast_constant(wd) * lr
            self.before_updates()
            step_lr = 1.0 if scaled else lr
            keras_written = type(self).update_step is not KerasSteps.update_step  # stepped variable by variable
            for g, v, state in zip(grads, variables, states):
                w, rows = v.value, v.grad_rows
                if rows is not None:  # this step's rows, when the gradient is the layer's
                    v.grad_rows = None
                    rows = rows if g is v.grad and not keras_written else None
                if g.dtype != w.dtype:
                    g = g.astype(w.dtype)
                if keras_written:
                    self.update_step(g, v, w.dtype.type(step_lr))
                    continue
                if rows is not None:
                    g = RowGrad.of(g, rows)
                self.update(w, g, w.dtype.type(step_lr), state)
        if self.use_ema:  # every call, accumulating ones included, as Keras does
            self._average(variables)
        for v in variables:
            if v.constraint is not None:
                v.assign(v.constraint(v.value))

    def _preprocessed(self, grads: list[np.ndarray], states: list[dict]) -> list[np.ndarray] | None:
        """Unscaled, accumulated (None until the step that applies the mean) and clipped gradients."""
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            accumulators = [state["gradient_accumulator"] for state in states]
            if (int(self._iterations.value) + 1) % steps:
                for acc, g in zip(accumulators, grads):
                    acc += g
                return None
            grads = [(g + acc) / steps for g, acc in zip(grads, accumulators)]
            for acc in accumulators:
                acc[...] = 0
        if self.clipnorm or self.global_clipnorm or self.clipvalue:
            grads = self.clip(grads)
        return grads

    def _average(self, variables: list[Variable]) -> None:
        """average <- mu average + (1 - mu) w (mu = 0 on the first step); every ema_overwrite_frequency
        steps the weights take the averages."""
        first = int(self.iterations) == 0
        mu = 0.0 if first else self.ema_momentum
        overwrite = self.ema_overwrite_frequency and (int(self.iterations) + 1) % self.ema_overwrite_frequency == 0
        for v in variables:
            average = self._state[self._index[v]]["average"]
            average[...] = mu * average + (1 - mu) * v.value
            if overwrite:
                v.value[...] = average

    def finalize_variable_values(self, variables: Sequence[Variable]) -> None:
        """At the end of fit: with ``use_ema``, the weights take their moving averages (as Keras does).

        Args:
            variables: the trained variables.
        """
        if self.use_ema and self.built:
            for v in variables:
                if v in self._index:
                    v.value[...] = self._state[self._index[v]]["average"]

    def clip(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        """Apply clipnorm, global_clipnorm or clipvalue (each off at 0 or None).

        Args:
            grads: the gradients of one step.

        Returns:
            The clipped gradients.
        """
        if self.clipnorm:
            c = self.clipnorm
            return [g * (c / max(float(np.sqrt(np.sum(g * g))), c)) for g in grads]
        if self.global_clipnorm:
            c = self.global_clipnorm
            norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
            return [g * (c / max(norm, c)) for g in grads]
        if self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def apply_gradients(self, grads_and_vars: Iterable[tuple[np.ndarray, Variable]]) -> None:
        """Keras's spelling: ``apply_gradients(zip(grads, variables))``.

        Args:
            grads_and_vars: (gradient, variable) pairs.
        """
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def scratch(self, state: dict[str, np.ndarray], key: str, like: np.ndarray) -> np.ndarray:
        """A work buffer shaped like ``like`` for the update of the variable whose slots are ``state``: the
        update writes its intermediate values there with ``out=`` instead of into new arrays. The variables
        share one buffer per key (their updates run one after another), as large as the largest variable;
        each keeps its view in ``state`` (beside, never in place of, its slots). Not a Keras variable, never
        saved.

        Args:
            state: the variable's slots.
            key: the buffer's name.
            like: an array of the wanted shape and dtype.
        """
        view = state.get(f"scratch {key}")
        if view is not None and view.shape == like.shape and view.dtype == like.dtype:
            return view
        largest = max((v.value.size for v in self._trainable_variables), default=0)
        flat = self._work.get((key, like.dtype))
        if flat is None or flat.size < like.size:
            flat = self._work[(key, like.dtype)] = np.empty(max(like.size, largest), like.dtype)
        view = state[f"scratch {key}"] = flat[:like.size].reshape(like.shape)
        return view

    def before_updates(self) -> None:
        """Optimizer-wide work once per step, after clipping and decay (Nadam's momentum product)."""

    def update(self, w: np.ndarray, g: np.ndarray, lr: np.floating, state: dict[str, np.ndarray]) -> None:
        """Change ``w`` in place from its gradient ``g``; ``state`` holds this variable's slots.

        Args:
            w: the weight's value, changed in place.
            g: its gradient.
            lr: the learning rate of this step.
            state: the variable's slots by name (see :meth:`slot_layout`).
        """
        raise NotImplementedError

    # -- config --------------------------------------------------------------------------------------
    def gradient_scale(self) -> float:
        """s, the factor ``scale_loss`` multiplies the loss by (``fit`` multiplies the gradient entering backward by
        it, which is the same); 1 without loss scaling."""
        return 1.0 if self.loss_scale_factor is None else self.loss_scale_factor

    def scale_loss(self, loss: Any) -> Any:
        """L * loss_scale_factor (the gradients are divided by it again in apply); L when none is set.

        Args:
            loss: the loss L.
        """
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    def get_config(self) -> dict[str, Any]:
        """The optimizer's constructor arguments as Keras's config dict (``from_config`` rebuilds it)."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = SCHEDULES.serialize(lr)
        elif isinstance(lr, Variable):
            lr = float(lr.value)
        else:
            raise ValueError(f"The learning rate {lr!r} is a plain callable; only floats and registered "
                             "schedules have a config.")
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency, "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = SCHEDULES.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        lr = self._learning_rate
        shown = f"learning_rate={float(lr.value) if isinstance(lr, Variable) else lr!r}"
        return f"{type(self).__name__}({shown}, name={self.name!r})"


OPTIMIZERS = Registry(Optimizer, "keras.optimizers")


class RowGrad(np.ndarray):
    """dL/dE of an embedding matrix E, which Keras's TensorFlow backend holds as one slice per token
    occurrence. Element-wise maps of a gradient (g^2, |g|) act on those slices before they are summed
    into rows, so the second moments of Adam, RMSprop, Adagrad, Adadelta, Nadam and Adamax see
    sum over occurrences of g_i^2 (or |g_i|), not (sum of g_i)^2: ``squared`` and ``magnitude`` give that."""

    occurrences: Any = None  # the variable's Occurrences this step

    @classmethod
    def of(cls, g: np.ndarray, occurrences: Any) -> RowGrad:
        out = g.view(cls)
        out.occurrences = occurrences
        return out

    @property
    def squares(self) -> np.ndarray | None:
        """sum of g_k^2 over the token occurrences k of each row (None for an array computed from this one)."""
        return None if self.occurrences is None else self.occurrences.squares.astype(self.dtype, copy=False)

    @property
    def magnitudes(self) -> np.ndarray | None:
        """sum of |g_k| over the token occurrences k of each row (None for an array computed from this one)."""
        return None if self.occurrences is None else self.occurrences.magnitudes.astype(self.dtype, copy=False)


def squared(g: np.ndarray) -> np.ndarray:
    """g * g, as Keras squares a gradient (per token occurrence for an embedding's; see RowGrad)."""
    squares = getattr(g, "squares", None)
    return np.asarray(g) * np.asarray(g) if squares is None else squares


def squared_into(g: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``squared(g)`` written into ``out``."""
    squares = getattr(g, "squares", None)
    if squares is None:
        return np.multiply(g, g, out=out)
    out[...] = squares
    return out


def magnitude(g: np.ndarray) -> np.ndarray:
    """|g|, as Keras takes it (per token occurrence for an embedding's; see RowGrad)."""
    magnitudes = getattr(g, "magnitudes", None)
    return np.abs(np.asarray(g)) if magnitudes is None else magnitudes


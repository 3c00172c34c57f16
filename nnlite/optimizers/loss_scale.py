"""Dynamic loss scaling: the loss multiplied by a scale s before backward (so that small float16 gradients do not
underflow to 0), the gradients divided by s again before another optimizer's step; s halves on a step whose
gradients overflow (the step is skipped) and doubles after ``dynamic_growth_steps`` finite ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..variables import Variable
from .base import OPTIMIZERS, Optimizer
from .sgd import SGD

# the base options Keras refuses on the wrapper (they belong on the inner optimizer), with their defaults
_INNER_ONLY = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False,
               "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
               "gradient_accumulation_steps": None}


@OPTIMIZERS.register("loss_scale_optimizer", example=lambda: {"inner_optimizer": SGD(0.1), "initial_scale": 64.0})
class LossScaleOptimizer(Optimizer):
    """L_scaled = s L in training; the inner optimizer steps with g / s when every g is finite, then

        s <- 2 s after ``dynamic_growth_steps`` finite steps in a row,
        s <- s / 2 and no step when a gradient holds inf or NaN.

    ``iterations`` and ``learning_rate`` are the inner optimizer's; ``variables`` are the wrapper's (its iteration,
    learning rate 0, the step counter and s) and then the inner optimizer's, as Keras lists them.

    Args:
        inner_optimizer: the optimizer that takes the steps.
        initial_scale: s at the start (high: a scale too high falls faster than one too low rises).
        dynamic_growth_steps: how many finite steps double s.
        name: the optimizer's name.
        **kwargs: ``dynamic=True`` only; the base options belong on ``inner_optimizer``.

    Example:
        >>> import numpy as np, nnlite
        >>> opt = nnlite.optimizers.LossScaleOptimizer(nnlite.optimizers.SGD(0.1), initial_scale=4.0)
        >>> w = nnlite.Variable(np.ones(2))
        >>> opt.apply_gradients([(np.array([4.0, 8.0]), w)])  # g / s = [1, 2]
        >>> w.numpy(), float(opt.dynamic_scale.numpy())
        (array([0.9, 0.8]), 4.0)
        >>> opt.apply_gradients([(np.array([np.inf, 8.0]), w)])  # skipped, the scale halved
        >>> w.numpy(), float(opt.dynamic_scale.numpy())
        (array([0.9, 0.8]), 2.0)
    """

    def __init__(self, inner_optimizer: Optimizer, initial_scale: float = 2.0 ** 15, dynamic_growth_steps: int = 2000,
                 name: str | None = None, **kwargs: Any) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                             "`loss_scale_factor` directly on the `inner_optimizer`.")
        for key, default in _INNER_ONLY.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{key}`. Instead, set `{key}` on the "
                                 "`inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"`inner_optimizer` must be an Optimizer; received {type(inner_optimizer).__name__}.")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        inner_optimizer.loss_scale_factor = None
        self.step_counter: Variable | None = None
        self.dynamic_scale: Variable | None = None

    def build(self, variables: Sequence[Variable]) -> None:
        """Create the step counter and the scale s, and build the inner optimizer.

        Args:
            variables: the variables it will update.
        """
        self.step_counter = Variable(np.array(0, np.int64), "step_counter", trainable=False,
                                     path=f"{self.name}/step_counter")
        self.dynamic_scale = Variable(np.array(self.initial_scale, np.float32), "dynamic_scale", trainable=False,
                                      path=f"{self.name}/dynamic_scale")
        self.inner_optimizer.build(variables)
        self._trainable_variables = list(variables)
        self._index = {v: i for i, v in enumerate(self._trainable_variables)}
        self.built = True

    @property
    def variables(self) -> list[Variable]:
        own = [self._iterations, self._learning_rate]
        if self.built:
            own += [self.step_counter, self.dynamic_scale]
        return own + self.inner_optimizer.variables

    @property
    def learning_rate(self) -> Any:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    def current_learning_rate(self) -> float:
        return self.inner_optimizer.current_learning_rate()

    @property
    def iterations(self) -> Any:
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value: Any) -> None:
        self.inner_optimizer.iterations = value

    def gradient_scale(self) -> float:
        """s now: the dynamic scale once built, the initial one before."""
        return float(self.dynamic_scale.value) if self.built else float(self.initial_scale)

    def scale_loss(self, loss: Any) -> Any:
        return loss * self.gradient_scale()

    def apply(self, grads: Sequence[np.ndarray], trainable_variables: Sequence[Variable] | None = None) -> None:
        """The inner optimizer's step with g / s when every g is finite (then s doubles every
        ``dynamic_growth_steps`` such steps); no step and s halved otherwise.

        Args:
            grads: one gradient per variable (of the scaled loss).
            trainable_variables: the variables, in the same order; ``None`` for those it was built with.
        """
        if not self.built:
            self.build(trainable_variables if trainable_variables is not None else [])
        grads = list(grads)
        if not all(g is None or np.all(np.isfinite(g)) for g in grads):
            self.step_counter.assign(0)
            self.dynamic_scale.assign(self.dynamic_scale.value * np.float32(0.5))
            return
        s = self.dynamic_scale.value
        variables = self._trainable_variables if trainable_variables is None else list(trainable_variables)
        # a variable that takes its gradient as its value (overwrite_with_gradient) takes it unscaled, as in Keras
        self.inner_optimizer.apply([g if g is None or v.overwrite_with_gradient else np.asarray(g) / s
                                    for g, v in zip(grads, variables)], trainable_variables)
        if int(self.step_counter.value) == self.dynamic_growth_steps - 1:
            self.step_counter.assign(0)
            self.dynamic_scale.assign(s * np.float32(2.0))
        else:
            self.step_counter.assign(int(self.step_counter.value) + 1)

    def stepper(self, variables: Sequence[Variable]) -> Callable[[list[np.ndarray]], None]:
        variables = list(variables)
        if not self.built:
            self.build(variables)

        def step(grads: list[np.ndarray], scaled: bool = False) -> None:
            self.apply(grads, variables)

        return step

    def finalize_variable_values(self, variables: Sequence[Variable]) -> None:
        self.inner_optimizer.finalize_variable_values(variables)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "inner_optimizer": OPTIMIZERS.serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LossScaleOptimizer:
        config = dict(config)
        return cls(OPTIMIZERS.deserialize(config.pop("inner_optimizer")), **config)

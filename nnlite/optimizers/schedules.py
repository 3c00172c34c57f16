"""Learning-rate schedules ``lr = schedule(step)``, as ``keras.optimizers.schedules``.

``step`` is the optimizer's ``iterations`` before the update (0 on the first step).
Keras evaluates every built-in schedule in float32, whatever floatx is, and so does
nnlite: each formula below runs on ``np.float32`` values (pow and cos correctly
rounded, as TensorFlow's scalar kernels give them), and the learning rate the
optimizer applies is that float32 number. Keras's ``fit`` runs the schedule inside a
TensorFlow graph, where ``step / decay_steps`` becomes ``step * (1 / decay_steps)``;
nnlite gives the rates that ``fit`` applies (an eager call of a Keras schedule can
differ from them in the last bit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..registry import Registry

f32 = np.float32


def _pow(base, exponent) -> np.float32:
    """base^exponent in float32, correctly rounded (as TensorFlow's scalar pow gives it)."""
    return f32(float(base) ** float(exponent))


def _over(x, constant) -> np.float32:
    """x / constant as Keras's fit computes it: TensorFlow's graph optimizer rewrites a
    division by a constant into a product with its float32 reciprocal."""
    return f32(x) * (f32(1) / f32(constant))


def _cos(x) -> np.float32:
    """cos x in float32, correctly rounded."""
    return f32(math.cos(float(x)))


class LearningRateSchedule:
    """A callable from the step count to a learning rate; its config is its constructor's arguments."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


SCHEDULES = Registry(LearningRateSchedule, "keras.optimizers.schedules", kind="learning-rate schedule")


def _positive(name: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    return value


class _RateDecay(LearningRateSchedule):
    """Shared by the two decays of a rate: p = step / decay_steps, floored when ``staircase``."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name or type(self).__name__

    def exponent(self, step: int) -> np.float32:
        p = _over(step, self.decay_steps)
        return np.floor(p) if self.staircase else p


@SCHEDULES.register(example={"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5})
class ExponentialDecay(_RateDecay):
    """lr = lr0 * rate^p with p = step / decay_steps, floored when ``staircase``."""

    def __call__(self, step):
        return float(f32(self.initial_learning_rate) * _pow(f32(self.decay_rate), self.exponent(step)))


@SCHEDULES.register(example={"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5})
class InverseTimeDecay(_RateDecay):
    """lr = lr0 / (1 + rate * p) with p = step / decay_steps, floored when ``staircase``."""

    def __call__(self, step):
        return float(f32(self.initial_learning_rate) / (f32(1) + f32(self.decay_rate) * self.exponent(step)))


@SCHEDULES.register(example={"initial_learning_rate": 0.1, "decay_steps": 10})
class PolynomialDecay(LearningRateSchedule):
    """lr = (lr0 - end) (1 - s / decay_steps)^power + end with s = min(step, decay_steps).

    With ``cycle``, decay_steps is stretched to the next multiple that covers step.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str = "PolynomialDecay") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        s, steps = f32(step), f32(self.decay_steps)
        if self.cycle:
            steps = steps * (f32(1) if s == 0 else np.ceil(_over(s, self.decay_steps)))
            fraction = s / steps
        else:
            fraction = _over(min(s, steps), self.decay_steps)
        lr0, end = f32(self.initial_learning_rate), f32(self.end_learning_rate)
        return float((lr0 - end) * _pow(f32(1) - fraction, f32(self.power)) + end)


@SCHEDULES.register(example={"boundaries": [10, 20], "values": [0.1, 0.01, 0.001]})
class PiecewiseConstantDecay(LearningRateSchedule):
    """lr = values[0] for step <= boundaries[0], values[i] for boundaries[i-1] < step <= boundaries[i], ..."""

    def __init__(self, boundaries: Sequence[int], values: Sequence[float],
                 name: str = "PiecewiseConstant") -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"PiecewiseConstantDecay needs one more value than boundaries: got {len(boundaries)} "
                f"boundaries and {len(values)} values."
            )
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return float(f32(value))
        return float(f32(self.values[-1]))


@SCHEDULES.register(example={"initial_learning_rate": 0.1, "decay_steps": 10})
class CosineDecay(LearningRateSchedule):
    """lr = lr0 ((1 - alpha) (1 + cos(pi s / decay_steps)) / 2 + alpha), s = min(step, decay_steps).

    With a warm-up (warmup_target, warmup_steps): first a straight line from lr0 to
    warmup_target over warmup_steps, then the cosine decays from warmup_target.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: int = 0) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, s, decay_from):
        fraction = _over(s, self.decay_steps)
        cosine = f32(0.5) * (f32(1) + _cos(f32(math.pi) * fraction))
        return decay_from * (f32(1 - self.alpha) * cosine + f32(self.alpha))

    def __call__(self, step):
        s, lr0 = f32(step), f32(self.initial_learning_rate)
        if self.warmup_target is None:
            return float(self._decay(min(s, f32(self.decay_steps)), lr0))
        target, warm = f32(self.warmup_target), f32(self.warmup_steps)
        s = min(s, f32(self.decay_steps) + warm)
        if s < warm:
            return float((target - lr0) * _over(s, warm) + lr0)
        return float(self._decay(s - warm, target))


@SCHEDULES.register(example={"initial_learning_rate": 0.1, "first_decay_steps": 10})
class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): the k-th period lasts first_decay_steps t_mul^k steps and starts
    at lr0 m_mul^k; within a period at fraction f, lr = lr0 m_mul^k ((1 - alpha) (1 + cos(pi f)) / 2 + alpha).

    With c = step / first_decay_steps: k = floor(c) and f = c - k when t_mul = 1, else
    k = floor(log(1 - c (1 - t_mul)) / log(t_mul)) and f = (c - (1 - t_mul^k) / (1 - t_mul)) / t_mul^k.
    """

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0,
                 m_mul: float = 1.0, alpha: float = 0.0, name: str = "SGDRDecay") -> None:
        if first_decay_steps <= 0:
            raise ValueError(f"Argument `first_decay_steps` must be > 0. Received: first_decay_steps="
                             f"{first_decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul, self.m_mul, self.alpha = t_mul, m_mul, alpha
        self.name = name

    def __call__(self, step):
        c = _over(step, self.first_decay_steps)
        t_mul = f32(self.t_mul)
        if t_mul == f32(1):
            k = f32(math.floor(c))
            f = f32(c - k)
        else:
            k = f32(math.floor(_over(f32(math.log(f32(f32(1) - c * (f32(1) - t_mul)))), f32(math.log(t_mul)))))
            restarts = _over(f32(f32(1) - _pow(t_mul, k)), f32(1) - t_mul)
            f = f32(f32(c - restarts) / _pow(t_mul, k))
        cosine = f32(0.5) * _pow(f32(self.m_mul), k) * (f32(1) + _cos(f32(math.pi) * f))
        decayed = (f32(1) - f32(self.alpha)) * cosine + f32(self.alpha)
        return float(f32(self.initial_learning_rate) * decayed)


serialize, deserialize = SCHEDULES.serialize, SCHEDULES.deserialize

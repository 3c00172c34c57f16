"""The metric base: state (Keras's variables) updated batch by batch, and a result.

``update_state`` adds to the state, ``result`` reads it, ``reset_state`` clears it, and
calling the metric does the first two. ``Mean`` keeps ``total = sum_i s_i m_i`` and
``count = sum_i s_i`` (or the number of samples): its result is their ratio. A metric
function's values are first reduced to one per sample as Keras does it
(:func:`reduce_to_samplewise_values`): weights meet values over a trailing axis of 1,
values with more axes than the weights are averaged over the extra ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import config, initializers, limits
from ..docstrings import with_arguments
from ..losses.base import align
from ..registry import Registry, snake_case
from ..tensor import as_tensor
from ..variables import Variable

COMMON_ARGUMENTS = """        name: the metric's name, its key in the logs and in ``History``.
        dtype: the dtype of its state and result; ``None`` for ``config.floatx()``.
"""
document_common = with_arguments(COMMON_ARGUMENTS)


class Metric:
    """Base class: a name, a dtype (floatx by default), variables, and Keras's update/result/reset protocol.

    Args:
        dtype: the dtype of its state and result; ``None`` for ``config.floatx()``.
        name: the metric's name, its key in the logs; ``None`` takes the class name in snake case.

    Example:
        >>> import numpy as np, nnlite
        >>> class Largest(nnlite.metrics.Metric):  # the largest prediction seen
        ...     def __init__(self, name="largest", dtype=None):
        ...         super().__init__(dtype=dtype, name=name)
        ...         self.top = self.add_variable((), initializer="zeros", name="top")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.top.assign(max(float(self.top.numpy()), float(np.max(y_pred))))
        ...     def result(self):
        ...         return self.top.numpy()
        >>> m = Largest()
        >>> m.update_state(None, [0.2, 0.7])
        >>> m.update_state(None, [0.5])
        >>> round(float(m.result()), 4)  # kept in float32, floatx
        0.7
        >>> m.reset_state()
        >>> float(m.result())
        0.0
    """

    direction: str | None = None  # "up" when larger is better, "down" when smaller is (callbacks' mode "auto")
    takes_logits = False  # True for the crossentropies (Keras's logits path)

    def __init__(self, dtype: str | None = None, name: str | None = None) -> None:
        self.name = name or snake_case(type(self).__name__)
        self.dtype = str(np.dtype(dtype or config.floatx()))
        self._variables: list[Variable] = []

    def add_variable(self, shape: tuple[int, ...] = (), initializer: Any = "zeros", dtype: str | None = None,
                     aggregation: str = "sum", name: str | None = None) -> Variable:
        """A state variable of this metric (zeros unless ``initializer`` says otherwise).

        Args:
            shape: its shape.
            initializer: how it starts (a name or an initializer).
            dtype: its dtype; ``None`` for the metric's.
            aggregation: how replicas combine it (Keras's; one replica here).
            name: its name.
        """
        limits.charge_unpaid(math.prod(int(d) for d in shape), f"metric {self.name!r} variable {name!r}")
        value = initializers.get(initializer)(tuple(shape), dtype or self.dtype)
        variable = Variable(value, name or "variable", trainable=False, path=f"{self.name}/{name or 'variable'}")
        variable.initializer = initializers.get(initializer)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape: tuple[int, ...] = (), initializer: Any = None, dtype: str | None = None,
                   name: str | None = None) -> Variable:
        """Keras's older name for :meth:`add_variable`.

        Args:
            shape: its shape.
            initializer: how it starts; ``None`` for zeros.
            dtype: its dtype; ``None`` for the metric's.
            name: its name.
        """
        return self.add_variable(shape, "zeros" if initializer is None else initializer, dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        """The metric's own variables, then those of the metrics it holds as attributes (or in lists of them), as
        Keras tracks them: resetting or passing state statelessly covers them all."""
        out = list(self._variables)
        for metric in self.submetrics():
            out.extend(v for v in metric.variables if all(v is not o for o in out))
        return out

    def submetrics(self) -> list[Metric]:
        """The metrics held as attributes (or in lists of them), in the order they were set."""
        found: list[Metric] = []
        for value in vars(self).values():
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, Metric) and item is not self and all(item is not f for f in found):
                    found.append(item)
        return found

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulate a batch into the metric's state; a subclass defines it.

        Args:
            *args: y_true and y_pred for most metrics (values alone for Mean and Sum).
            **kwargs: ``sample_weight``, a weight per sample.
        """
        raise NotImplementedError

    def result(self) -> Any:
        """The metric's value from its state (a Tensor); a subclass computes it."""
        raise NotImplementedError

    def reset_state(self) -> None:
        """Every variable back to its initial value."""
        for v in self.variables:
            v.assign(v.initializer(v.shape, v.dtype))

    # -- Keras's stateless API: the state passed in and returned, the metric's own left as it was --------------
    def _with_values(self, values: list[Any], action: Any) -> Any:
        variables = self.variables
        if len(values) != len(variables):
            raise ValueError(f"Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                             f"{type(self).__name__}().variables. Received list with length {len(values)}, but "
                             f"expected {len(variables)} variables.")
        own = [np.array(v.value) for v in variables]
        try:
            for v, value in zip(variables, values):
                v.assign(value)
            return action()
        finally:
            for v, value in zip(variables, own):
                v.assign(value)

    def stateless_update_state(self, metric_variables: list[Any], *args: Any, **kwargs: Any) -> list[np.ndarray]:
        """The variables update_state(*args) would leave, starting from ``metric_variables``.

        Args:
            metric_variables: values for the metric's variables, in their order.
            *args: what :meth:`update_state` takes (y_true, y_pred).
            **kwargs: likewise (``sample_weight``).
        """
        return self._with_values(metric_variables, lambda: (self.update_state(*args, **kwargs),
                                                             [np.array(v.value) for v in self.variables])[1])

    def stateless_result(self, metric_variables: list[Any]) -> Any:
        """result() for the state ``metric_variables``.

        Args:
            metric_variables: values for the metric's variables, in their order.
        """
        return self._with_values(metric_variables, lambda: as_tensor(self.result()))

    def stateless_reset_state(self) -> list[np.ndarray]:
        """The variables' initial values."""
        return [np.asarray(v.initializer(v.shape, v.dtype)) for v in self.variables]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """update_state(...) then result() (a Tensor, as in Keras: ``m(y, p).numpy()``)."""
        self.update_state(*args, **kwargs)
        return as_tensor(self.result())

    def get_config(self) -> dict[str, Any]:
        """The metric's constructor arguments as Keras's config dict (``name``, ``dtype`` and its own)."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name} result={float(self.result()):.4f}>"


METRICS = Registry(Metric, "keras.metrics")


def reduce_to_samplewise_values(values: Any, sample_weight: Any, reduce_fn: Callable,
                                dtype: str) -> tuple[np.ndarray, np.ndarray | None]:
    """One value per sample, weighted, and the weights per sample (Keras's rule).

    Args:
        values: the metric's values, (batch, ...).
        sample_weight: a weight per sample (or per leading entries of values), or None.
        reduce_fn: how the trailing axes are reduced (``np.mean``, ``np.sum``).
        dtype: the dtype to compute in.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.metrics.reduce_to_samplewise_values([[1.0, 3.0], [5.0, 7.0]], None, np.mean, "float64")
        (array([2., 6.]), None)
    """
    values = np.asarray(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=dtype)
        values, sample_weight = align(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        try:
            sample_weight = np.broadcast_to(sample_weight, values.shape)
        except ValueError:
            raise ValueError(f"sample_weight of shape {sample_weight.shape} does not fit metric values of shape "
                             f"{values.shape}: expected one weight per sample.") from None
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


@document_common
@METRICS.register()
class Sum(Metric):
    """total = sum_i s_i m_i.

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.Sum()
        >>> m.update_state([1.0, 2.0, 6.0])
        >>> float(m.result())
        9.0
    """

    def __init__(self, name: str = "sum", dtype: str | None = None) -> None:
        super().__init__(dtype=dtype, name=name)
        self.total = self.add_variable(name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Add a batch of values.

        Args:
            values: the values, one per sample (trailing axes are reduced first).
            sample_weight: a weight per sample, or None.
        """
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum, self.dtype)
        self.total.value += np.sum(values)

    def result(self) -> Any:
        return as_tensor(self.total.value[()])


@document_common
@METRICS.register()
class Mean(Metric):
    """total / count with total = sum_i s_i m_i and count = sum_i s_i (or the number of samples).

    Args:
        {common arguments}

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.Mean()
        >>> m.update_state([1.0, 2.0, 6.0])
        >>> float(m.result())
        3.0
        >>> m.update_state([10.0], sample_weight=[3.0])
        >>> float(m.result())  # (9 + 30) / (3 + 3)
        6.5
    """

    def __init__(self, name: str = "mean", dtype: str | None = None) -> None:
        super().__init__(dtype=dtype, name=name)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Add a batch of values.

        Args:
            values: the values, one per sample (trailing axes are reduced first).
            sample_weight: a weight per sample, or None.
        """
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, np.mean, self.dtype)
        self.total.value += np.add.reduce(values, axis=None)
        if sample_weight is not None:
            self.count.value += np.add.reduce(sample_weight, axis=None)
        else:
            self.count.value += values.shape[0] if values.ndim >= 1 else 1

    def result(self) -> np.floating:
        count = self.count.value[()]
        return as_tensor(self.total.value[()] / count if count else self.total.value[()] * 0)


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)`` over the samples seen.

    Args:
        fn: the function ``m(y_true, y_pred, **kwargs)`` giving one value per sample (or per entry).
        name: the metric's name; ``None`` takes the function's name.
        dtype: the dtype of its state and result; ``None`` for ``config.floatx()``.
        **kwargs: further keyword arguments passed to ``fn`` on every update.

    Example:
        >>> import numpy as np, nnlite
        >>> m = nnlite.metrics.MeanMetricWrapper(lambda y, p: abs(y - p), name="gap")
        >>> m.update_state(np.array([1.0, 2.0]), np.array([1.5, 3.0]))
        >>> float(m.result())
        0.75
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add fn(y_true, y_pred) of a batch.

        Args:
            y_true: the labels.
            y_pred: the predictions.
            sample_weight: a weight per sample, or None.
        """
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self):
        if type(self) is MeanMetricWrapper:
            raise ValueError(f"The metric {self.name!r} wraps a Python function, which a Keras config cannot hold; "
                             "subclass nnlite.metrics.Metric and register it to save it.")
        return super().get_config()


class CrossentropyMetric(MeanMetricWrapper):
    """A crossentropy metric; on a sigmoid or softmax output ``fit`` and ``evaluate`` hand it the logits z
    (Keras's logits path, see ``nnlite.losses.base``) through :meth:`update_state_from_logits`.

    Args:
        fn: the crossentropy function ``m(y_true, y_pred, from_logits=..., **kwargs)``.
        name: the metric's name; ``None`` takes the function's name.
        dtype: the dtype of its state and result; ``None`` for ``config.floatx()``.
        **kwargs: its settings (``from_logits``, ``label_smoothing``, ``axis``...), passed to ``fn``.

    Example:
        >>> import numpy as np, nnlite
        >>> isinstance(nnlite.metrics.BinaryCrossentropy(), nnlite.metrics.CrossentropyMetric)
        True
    """

    takes_logits = True
    direction = "down"

    def update_state_from_logits(self, y_true: Any, z: Any, sample_weight: Any = None) -> None:
        Mean.update_state(self, self.fn(y_true, z, **{**self.fn_kwargs, "from_logits": True}), sample_weight)

    @property
    def from_logits(self) -> bool:
        return self.fn_kwargs.get("from_logits", False)

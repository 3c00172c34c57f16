"""The loss base: ``L = reduce(sample_weight * v(y_true, y_pred))`` and its gradient.

Each loss has a per-sample form ``v`` (mostly a mean over the last axis) and the
default reduction ``sum_over_batch_size``::

    L = sum_i s_i v_i / n        (n = number of per-sample values, NOT sum_i s_i)

so ``dL/dy_pred_i = s_i dv_i/dy_pred_i / n``. :meth:`Loss.value_and_grad` returns both; a
Loss object called on arrays returns ``L`` as Keras does.

The logits path (Keras's): when a model's output comes straight from a sigmoid or
softmax activation, a = f(z), Keras computes the crossentropies, losses and metrics
alike, from ``z`` instead of ``a``, without clipping. :func:`reads_logits` says when; a
crossentropy then gives (L, dL/dz) through :meth:`Crossentropy.value_and_grad_from_logits`,
the familiar ``sigmoid(z) - y`` or ``softmax(z) - y``. Arrays passed to a loss directly
(say, from ``predict``) take the clipped probability path, as in Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import autodiff, config, ops
from ..docstrings import with_arguments
from ..registry import Registry, snake_case
from ..tensor import as_tensor
from ..warn import warn

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")
LOGIT_ACTIVATIONS = ("sigmoid", "softmax")


def align(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras's squeeze-or-expand: ranks that differ by one meet over a trailing axis of 1."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
        else:
            y_true = y_true[..., 0]
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        if y_true.ndim == 1:
            y_true = y_true[:, None]
        else:
            y_pred = y_pred[..., 0]
    return y_true, y_pred


def check_same_shape(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if y_true.shape != y_pred.shape:
        hint = ""
        labels = y_true.shape[:-1] if y_true.ndim == y_pred.ndim and y_true.shape[-1:] == (1,) else y_true.shape
        if y_pred.shape[-1] > 1 and labels == y_pred.shape[:-1]:  # one number per sample: class labels
            hint = (" Integer class labels? Use sparse_categorical_crossentropy, or one-hot the labels with "
                    "nnlite.utils.to_categorical.")
        raise ValueError(f"y_true and y_pred must have the same shape: got y_true {y_true.shape} "
                         f"and y_pred {y_pred.shape}.{hint}")


def reads_logits(fn: Any, activation: Any) -> bool:
    """Keras's logits path: does the crossentropy ``fn`` (loss or metric) read z of an output a = activation(z)?

    Args:
        fn: the loss or metric (or its function).
        activation: the activation of the model output it reads, or None.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.losses.reads_logits(nnlite.losses.BinaryCrossentropy(), nnlite.activations.get("sigmoid"))
        True
    """
    if activation is None or getattr(activation, "name", None) not in LOGIT_ACTIVATIONS:
        return False
    if not getattr(fn, "takes_logits", False):
        return False
    warn_not_logits(fn, f"a {activation.name}")
    return True


def apply_mask(sample_weight: Any, mask: Any, reduction: str | None = "sum_over_batch_size") -> Any:
    """The sample weights a loss or metric uses on a prediction that carries a mask m (Keras's apply_mask):
    s = w m (total / valid) for a mean ("sum_over_batch_size", "mean": the mean over the valid entries only),
    s = w m otherwise; w is 1 without sample weights, and a mask of None leaves them as they are.

    Args:
        sample_weight: the sample weights, or None.
        mask: True where an entry counts (e.g. (batch, steps) from Embedding(mask_zero=True)), or None.
        reduction: the loss's reduction ("sum" for a metric).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.losses.apply_mask(None, np.array([[True, False], [True, True]])).tolist()  # 4 entries, 3 valid
        [[1.3333333333333333, 0.0], [1.3333333333333333, 1.3333333333333333]]
    """
    if mask is None:
        return sample_weight
    m = np.asarray(mask, bool)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = int(m.sum())
        weights = np.where(m, m.size / valid if valid else 0.0, 0.0)
    else:
        weights = m.astype(np.float64)
    if sample_weight is None:
        return weights
    s = np.asarray(sample_weight, np.float64)
    if s.ndim == weights.ndim - 1 and s.shape == weights.shape[:s.ndim]:  # one weight per sample: every step's
        s = s[..., None]
    return s * weights


def warn_not_logits(fn: Any, source: str) -> None:
    """Keras's warning when a crossentropy given from_logits=True meets the output of ``source`` (which it
    reads from its logits all the same)."""
    if fn.from_logits:
        warn(f"{fn.name} has from_logits=True but the model output comes from {source} activation and so is not "
             "logits; computing from the activation's input, as Keras does.", UserWarning)


class Loss:
    """L = reduce(s * v(y_true, y_pred)); subclasses give ``call`` (v) and ``grad`` (dv/dy_pred).

    Args:
        name: the loss's name in logs and files; ``None`` takes the class name in snake case.
        reduction: how per-sample values become the loss: "sum_over_batch_size" (their mean, the default), "sum",
            "mean", "mean_with_sample_weight", or None / "none" (one value per sample).
        dtype: the dtype it computes in; ``None`` for ``config.floatx()``, as Keras.

    A subclass that gives only ``call``, written with ``nnlite.ops``, is differentiated by the tape:

    Example:
        >>> import numpy as np, nnlite
        >>> class Squared(nnlite.losses.Loss):
        ...     def call(self, y_true, y_pred):  # one value per sample
        ...         return nnlite.ops.mean((y_true - y_pred) ** 2, axis=-1)
        >>> float(Squared()(np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]])))  # (1 + 9) / 2
        5.0
    """

    sparse_labels = False  # True where y_true holds class indices
    takes_logits = False  # True for the crossentropies (Keras's logits path)

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: str | None = None) -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"Invalid value for argument `reduction`. Expected one of {set(REDUCTIONS)}. "
                             f"Received: reduction={reduction!r}")
        self.name = name or snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = None if dtype is None else str(np.dtype(dtype))

    # -- per sample --------------------------------------------------------------------------
    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """v, one value per sample (Keras's ``call``); a subclass defines it, with ``nnlite.ops`` when it gives no
        ``grad``.

        Args:
            y_true: the labels, prepared (cast and aligned).
            y_pred: the predictions, prepared.
        """
        raise NotImplementedError

    def grad(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """dv/dy_pred, the gradient of each sample's value; a built-in loss writes it by hand.

        Args:
            y_true: the labels, prepared (cast and aligned).
            y_pred: the predictions, prepared.
        """
        raise NotImplementedError

    def call_and_grad(self, y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(v, dv/dy_pred) together; losses that share work between the two override this.

        Args:
            y_true: the labels, prepared (cast and aligned).
            y_pred: the predictions, prepared.
        """
        return self.call(y_true, y_pred), self.grad(y_true, y_pred)

    def prepare(self, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
        """Cast to the loss dtype and align shapes as Keras does.

        Args:
            y_true: the labels as given.
            y_pred: the predictions as given.
        """
        dtype = self.dtype or config.floatx()
        if type(y_true) is np.ndarray and type(y_pred) is np.ndarray and y_true.shape == y_pred.shape \
                and y_true.dtype == y_pred.dtype == dtype:  # fit's batches: nothing to cast or align
            return y_true, y_pred
        y_true, y_pred = align(np.asarray(y_true, dtype=dtype), np.asarray(y_pred, dtype=dtype))
        check_same_shape(y_true, y_pred)
        return y_true, y_pred

    def check_labels(self, y_true: np.ndarray) -> None:
        """Warn about labels this loss computes with but that are almost surely a mistake (once per fit:
        ``fit`` and ``evaluate`` call it on all the labels); nothing by default.

        Args:
            y_true: the labels of a fit.
        """

    def mask(self, y_true: np.ndarray, v: np.ndarray) -> np.ndarray | None:
        """Which per-sample values count (None: all); sparse crossentropy's ignore_class uses it.

        Args:
            y_true: the labels, prepared (cast and aligned).
            v: the per-sample values.
        """
        return None

    # -- reduced --------------------------------------------------------------------------------
    def _weights(self, v: np.ndarray, sample_weight: Any, mask: np.ndarray | None) -> np.ndarray | None:
        """Sample weights aligned to v, with a mask merged in as Keras merges it."""
        s = None
        if sample_weight is not None and v.ndim == 0:  # a scalar loss: the weights broadcast over it
            return np.asarray(sample_weight, dtype=v.dtype)
        if sample_weight is not None:
            s = np.asarray(sample_weight, dtype=v.dtype)
            v_aligned, s = align(v, s)
            try:
                fits = np.broadcast_shapes(v_aligned.shape, s.shape) == v_aligned.shape
            except ValueError:
                fits = False
            if fits and v_aligned.shape != v.shape:  # v (batch,) met weights (batch, 1): one weight per value
                s = s.reshape(v.shape)
            if not fits:
                raise ValueError(f"sample_weight of shape {np.shape(sample_weight)} does not fit the per-sample "
                                 f"loss values of shape {v.shape}: expected one weight per sample.")
        if mask is not None:
            m = mask.astype(v.dtype)
            if self.reduction in ("mean", "sum_over_batch_size"):  # the mean over the valid entries
                valid = m.sum()
                m *= m.size / valid if valid else 0.0
            s = m if s is None else s * m
        return s

    def _divisor(self, v: np.ndarray, s: np.ndarray | None) -> float:
        if self.reduction == "sum":
            return 1.0
        if self.reduction == "mean_with_sample_weight" and s is not None:
            return float(np.sum(s))
        return float(v.size)

    @property
    def has_grad(self) -> bool:
        """Whether the loss writes its gradient (``grad`` or ``call_and_grad``); a subclass with only ``call``
        is differentiated by the tape through the nnlite.ops its call uses, and so is one that overrides
        ``__call__`` (Keras's other extension point: the whole reduced loss)."""
        if type(self).__call__ is not Loss.__call__:
            return False
        return type(self).grad is not Loss.grad or type(self).call_and_grad is not Loss.call_and_grad

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        if not self.has_grad:
            return self.reduce_recorded(y_true, y_pred, sample_weight)
        if autodiff.recording() and autodiff.is_tracked(y_pred) and self.reduction not in ("none", None):
            return self.recorded(y_true, y_pred, sample_weight)
        y_true, y_pred = self.prepare(y_true, autodiff.value_of(y_pred))
        v = self.call(y_true, y_pred)
        s = self._weights(v, sample_weight, self.mask(y_true, v))
        if s is not None:
            v = v * s
        if self.reduction in ("none", None) or v.ndim == 0:
            return as_tensor(v)
        d = self._divisor(v, s)
        return as_tensor(v.dtype.type(np.sum(v) / d if d else 0.0))

    def recorded(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """L on a y_pred the tape follows: one node whose VJP is the loss's own gradient. A crossentropy reads
        the logits a sigmoid or softmax output carries (Keras's ``_keras_logits``): dL/dz = p - y.

        Args:
            y_true: the labels.
            y_pred: the predictions, followed by the tape.
            sample_weight: a weight per sample, or None.
        """
        logits = getattr(y_pred, "keras_logits", None)
        if logits is not None and self.takes_logits:
            warn_not_logits(self, "a sigmoid or softmax")
            value, grad = self.value_and_grad_from_logits(y_true, autodiff.value_of(logits), sample_weight)
            source = logits
        else:
            value, grad = self.value_and_grad(y_true, autodiff.value_of(y_pred), sample_weight)
            source = y_pred
        return autodiff.record([np.asarray(value)], [source], lambda g, needed=None: [g[0] * grad], self.name)[0]

    def reduce_recorded(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """L for a loss with only ``call``: v = call(y_true, y_pred) and its reduction, written with nnlite.ops
        so that the tape differentiates them (Keras's Loss.__call__).

        Args:
            y_true: the labels.
            y_pred: the predictions, followed by the tape.
            sample_weight: a weight per sample, or None.
        """
        dtype = self.dtype or config.floatx()
        y_true = np.asarray(autodiff.value_of(y_true))
        y_true = y_true if self.sparse_labels else y_true.astype(dtype)
        y_pred = ops.convert_to_tensor(y_pred, dtype=dtype)
        if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:  # Keras's squeeze-or-expand
            y_true = y_true[..., 0]
        elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
            y_pred = ops.squeeze(y_pred, axis=-1)
        v = ops.convert_to_tensor(self.call(y_true, y_pred))
        s = self._weights(np.asarray(autodiff.value_of(v)), sample_weight, self.mask(y_true, autodiff.value_of(v)))
        if s is not None:
            v = v * s
        if self.reduction in ("none", None) or v.ndim == 0:
            return v
        d = self._divisor(np.asarray(autodiff.value_of(v)), s)
        return ops.sum(v) / d if d else ops.sum(v) * 0.0

    def value_and_grad(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> tuple[float, np.ndarray]:
        """(L, dL/dy_pred) for a scalar reduction; dL/dy_pred has y_pred's shape.

        Args:
            y_true: the labels.
            y_pred: the predictions.
            sample_weight: a weight per sample, or None.
        """
        if not self.has_grad:
            return self.value_and_grad_by_tape(y_true, y_pred, sample_weight)
        shape = np.shape(y_pred)
        y_true, y_pred = self.prepare(y_true, y_pred)
        return self.reduce_with_grad(y_true, *self.call_and_grad(y_true, y_pred), sample_weight, shape)

    def value_and_grad_by_tape(self, y_true: Any, y_pred: Any, sample_weight: Any = None
                               ) -> tuple[float, np.ndarray]:
        """(L, dL/dy_pred) of a loss with only ``call``, from the tape over the ops its call uses.

        Args:
            y_true: the labels.
            y_pred: the predictions.
            sample_weight: a weight per sample, or None.
        """
        if self.reduction in ("none", None):
            raise ValueError("value_and_grad needs a scalar reduction, got reduction=None.")
        with autodiff.GradientTape() as tape:
            p = np.array(y_pred, dtype=self.dtype or config.floatx()).view(ops.Tensor)
            tape.watch(p)
            loss = (self(y_true, p, sample_weight) if type(self).__call__ is not Loss.__call__ else
                    self.reduce_recorded(y_true, p, sample_weight))
        grad = tape.gradient(loss, p)
        if grad is None:
            raise ValueError(f"The loss {self.name!r} does not depend on y_pred through operations nnlite records: "
                             "write its call with nnlite.ops (or keras.ops) and arithmetic on its arguments, not "
                             "np.asarray or float(); or give the Loss subclass a `grad` method.")
        return np.asarray(autodiff.value_of(loss))[()], np.asarray(grad).reshape(np.shape(y_pred))

    def reduce_with_grad(self, y_true: np.ndarray, v: np.ndarray, grad_v: np.ndarray, sample_weight: Any,
                         shape: tuple[int, ...], grad_scale: float = 1.0) -> tuple[float, np.ndarray]:
        """L = reduce(s v) and dL/dy_pred = c s dv/dy_pred / divisor, reshaped to ``shape``.

        ``v`` (batch,) and ``grad_v`` (batch, outputs) are fresh arrays, scaled in place.

        Args:
            y_true: the labels, prepared (cast and aligned).
            v: the per-sample values.
            grad_v: dv/dy_pred.
            sample_weight: a weight per sample, or None.
            shape: y_pred's shape as given.
            grad_scale: c, a factor the gradient is multiplied by in the same pass (``fit`` folds the
                learning rate in here, see ``Context.grad_scale``).
        """
        if self.reduction in ("none", None):
            raise ValueError("value_and_grad needs a scalar reduction, got reduction=None.")
        mask = self.mask(y_true, v)
        s = None if sample_weight is None and mask is None else self._weights(v, sample_weight, mask)
        if s is not None:
            v = v * s
            grad_v *= s.reshape(s.shape + (1,) * (grad_v.ndim - s.ndim))
        return divided(np.add.reduce(v, axis=None), self._divisor(v, s), grad_v, shape, grad_scale)

    # -- config ------------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The loss's constructor arguments as Keras's config dict (``name``, ``reduction`` and its own)."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


LOSSES = Registry(Loss, "keras.losses")


class FromValuesAndGrads(Loss):
    """A loss whose values and gradient come together from ``values_and_grads(y, p, from_logits)`` (the
    crossentropies and the focal losses), with the loss's own ``from_logits``.

    Example:
        >>> import numpy as np, nnlite
        >>> issubclass(nnlite.losses.CategoricalFocalCrossentropy, nnlite.losses.base.FromValuesAndGrads)
        True
    """

    from_logits = False

    def values_and_grads(self, y: np.ndarray, p: np.ndarray, from_logits: bool) -> tuple[np.ndarray, np.ndarray]:
        """(v, dv/dp) per sample, p read as logits when ``from_logits``.

        Args:
            y: the labels, prepared.
            p: the predictions (or logits), prepared.
            from_logits: whether p holds logits.
        """
        raise NotImplementedError

    def call(self, y, p):
        return self.values_and_grads(y, p, self.from_logits)[0]

    def grad(self, y, p):
        return self.values_and_grads(y, p, self.from_logits)[1]

    def call_and_grad(self, y, p):
        return self.values_and_grads(y, p, self.from_logits)


class Crossentropy(FromValuesAndGrads):
    """A loss on probabilities that also has a form on logits (``from_logits``).

    Subclasses give ``values_and_grads(y, p, from_logits)``; the logits path calls it with
    ``from_logits=True`` on z, whatever the loss was built with.

    Args:
        name: the loss's name in logs and files; ``None`` takes the class name in snake case.
        reduction: how per-sample values become the loss, as :class:`Loss`'s.
        dtype: the dtype it computes in; ``None`` for ``config.floatx()``.

    Example:
        >>> import numpy as np, nnlite
        >>> isinstance(nnlite.losses.BinaryCrossentropy(), nnlite.losses.Crossentropy)
        True
        >>> nnlite.losses.Crossentropy.takes_logits  # a sigmoid or softmax output hands it its logits
        True
    """

    takes_logits = True

    def value_and_grad_from_logits(self, y_true: Any, z: Any, sample_weight: Any = None, grad_scale: float = 1.0
                                   ) -> tuple[float, np.ndarray]:
        """(L, c dL/dz) with the loss computed from the logits z of the output (Keras's logits path); c is
        ``grad_scale``, see :meth:`Loss.reduce_with_grad`. Without sample weights, a mean or sum over the
        values is taken from ``summed_values_and_grads`` where the loss has it."""
        shape = np.shape(z)
        y_true, z = self.prepare(y_true, z)
        if sample_weight is None and self.reduction in ("sum_over_batch_size", "sum"):
            summed = self.summed_values_and_grads(y_true, z)
            if summed is not None:
                total, count, grad = summed
                return divided(total, 1.0 if self.reduction == "sum" else float(count), grad, shape, grad_scale)
        return self.reduce_with_grad(y_true, *self.values_and_grads(y_true, z, True), sample_weight, shape,
                                     grad_scale)

    def summed_values_and_grads(self, y: np.ndarray, z: np.ndarray) -> tuple[float, int, np.ndarray] | None:
        """(sum of the values v, how many values, dv/dz) from logits z, for a loss with a quicker form of the
        sum than its values summed (None: it has none, and ``values_and_grads`` is used).

        Args:
            y: the labels, prepared.
            z: the logits, prepared.
        """
        return None

    def value_from_logits(self, y_true: Any, z: Any, sample_weight: Any = None) -> float:
        """L computed from the logits z (Keras's logits path), without the gradient."""
        return self.value_and_grad_from_logits(y_true, z, sample_weight)[0]


def divided(total: Any, d: float, grad: np.ndarray, shape: tuple[int, ...], c: float) -> tuple[Any, np.ndarray]:
    """(L, c dL/dp) = (total / d, c grad / d reshaped to ``shape``), the gradient scaled in place: one pass when c is
    not 1 (a learning rate folded in); (0, zeros) when nothing counts (d = 0). L has total's dtype."""
    kind = np.asarray(total).dtype.type
    if not d:
        return kind(0.0), np.zeros(shape, dtype=grad.dtype)
    if c == 1:
        grad /= d
    elif grad.dtype.itemsize >= 4:  # c / d, a learning rate over a batch size, is a normal number here
        grad *= grad.dtype.type(c / d)
    else:
        grad /= d
        grad *= c
    return kind(total / d), grad.reshape(shape)


class LossFunctionWrapper(Loss):
    """A user's function v(y_true, y_pred) of any shape (Keras's contract), reduced as Keras reduces it.
    Written with nnlite.ops (or arithmetic on its arguments), it is differentiated exactly by the tape.

    Args:
        fn: the function ``v(y_true, y_pred, **kwargs)`` giving per-sample (or per-entry) values.
        reduction: how its values become the loss, as :class:`Loss`'s.
        name: the loss's name; ``None`` takes the function's name.
        dtype: the dtype it computes in; ``None`` for ``config.floatx()``.
        **kwargs: further keyword arguments passed to ``fn`` on every call.

    Example:
        >>> import numpy as np, nnlite
        >>> loss = nnlite.losses.LossFunctionWrapper(lambda y, p: (y - p) ** 2, name="squared")
        >>> float(loss(np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]])))  # (1 + 9) / 2
        5.0
    """

    def __init__(self, fn: Callable, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs: Any):
        super().__init__(name or getattr(fn, "__name__", "loss"), reduction, dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y, p):
        return self.fn(y, p, **self.fn_kwargs)

    def get_config(self):
        raise ValueError(f"The loss {self.name!r} wraps a Python function, which a Keras config cannot hold; "
                         "subclass nnlite.losses.Loss and register it to save it.")


COMMON_ARGUMENTS = """        reduction: how per-sample values become the loss: "sum_over_batch_size" (their mean, the
            default), "sum", "mean", "mean_with_sample_weight", or None / "none" (one value per sample).
        name: the loss's name in logs and files.
        dtype: the dtype it computes in (default ``config.floatx()``, as Keras).
"""
document_common = with_arguments(COMMON_ARGUMENTS)

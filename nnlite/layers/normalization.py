"""Normalization layers: Normalization (by the statistics of adapted data), BatchNormalization (of the
batch, with moving statistics for inference), LayerNormalization (of each sample) and UnitNormalization."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import config, constraints, initializers, regularizers
from ..autodiff import unbroadcast
from ..streams import adapt_batches
from ..warn import warn
from .base import LAYERS, Context, Layer, document_keywords


@LAYERS.register()
class Normalization(Layer):
    """a = (x - mean) / max(sqrt(variance), eps);  with ``invert``: a = mean + x max(sqrt(variance), eps).

    grad_x = grad_a / max(sqrt(variance), eps) (times it, inverted). ``mean`` and ``variance`` are
    given, or learnt by ``adapt(data)``: over every axis but ``axis`` (the feature axis, -1 by default),
    the population variance, as Keras computes them. They are not trained.

    Args:
        axis: the feature axis (or axes) kept: one mean and variance per entry along it; None for one
            mean and variance over everything.
        mean: the mean to use, instead of ``adapt`` (a scalar or one value per feature).
        variance: the variance to use with ``mean``.
        invert: map normalised values back (a = mean + x sqrt(variance)).
        **kwargs: ``name``, ``dtype``, ``trainable``.

    Example:
        >>> import numpy as np, nnlite
        >>> norm = nnlite.layers.Normalization()
        >>> norm.adapt(np.array([[1.0], [3.0]]))  # mean 2, variance 1
        >>> norm(np.array([[1.0], [3.0]])).tolist()
        [[-1.0], [1.0]]
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, axis: int | Sequence[int] | None = -1, mean: Any = None, variance: Any = None,
                 invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = () if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        if (mean is None) != (variance is None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must be set. "
                             f"Received: mean={mean} and variance={variance}")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError(f"When setting values directly, `mean` and `variance` must have the same shape. "
                             f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}")
        if mean is not None and np.ndim(mean) > len(self.axis):
            raise ValueError(f"The rank of `mean` must be less than or equal to the number of axes ({len(self.axis)}). "
                             f"Received: mean shape {np.shape(mean)} for axis {self.axis}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)

    @property
    def mean(self) -> np.ndarray | None:
        """The mean in use, in the shape that broadcasts against a batch (Keras's ``layer.mean``; None before
        the layer is built)."""
        return self._given_or_adapted(0)

    @property
    def variance(self) -> np.ndarray | None:
        """The variance in use, shaped like :attr:`mean`."""
        return self._given_or_adapted(1)

    def _given_or_adapted(self, which: int) -> np.ndarray | None:
        if not self.built:
            return None
        if self.input_mean is not None:
            return np.array(self._given[which], dtype=self.compute_dtype)
        value = (self.adapt_mean, self.adapt_variance)[which].value
        return np.array(value, dtype=self.compute_dtype).reshape(self._broadcast)

    def _kept(self, input_shape) -> tuple[list[int], tuple[int, ...], tuple[int, ...]]:
        """(feature axes, shape of the statistics, their shape broadcast against a batch)."""
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                             f"ndim={ndim}, while axis={self.axis}")
        axes = sorted(a % ndim for a in self.axis)
        if any(input_shape[a] is None for a in axes):
            raise ValueError(f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                             f"inputs.shape={tuple(input_shape)}")
        kept = tuple(input_shape[a] for a in axes)
        broadcast = tuple(input_shape[a] if a in axes else 1 for a in range(ndim))
        return axes, kept, broadcast

    def build(self, input_shape):
        axes, kept, broadcast = self._kept(input_shape)
        self._broadcast = broadcast
        if self.input_mean is not None:  # given: aligned to the kept axes from the right, then broadcast
            self._given = tuple(self._aligned(v, axes, broadcast, input_shape)
                                for v in (self.input_mean, self.input_variance))
        else:
            self.adapt_mean = self.add_weight(kept, "zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(kept, "ones", trainable=False, name="variance")
            self.count = self.add_weight((), "zeros", dtype="int64", trainable=False, name="count")
        super().build(input_shape)

    def _aligned(self, value: Any, axes: list[int], broadcast: tuple[int, ...], input_shape: Any) -> np.ndarray:
        """A given mean or variance as Keras places it: its axes matched to the kept axes from the right,
        broadcast to the batch's shape; one that cannot be is refused here, not at the first call."""
        value = np.asarray(value, dtype=np.float64)
        expanded = [1] * len(broadcast)
        if value.ndim > len(axes):
            raise ValueError(f"Normalization {self.name!r}: mean and variance of shape {value.shape} have more axes "
                             f"than the kept axes {axes} of inputs {tuple(input_shape)} (axis={self.axis}).")
        for i in range(1, value.ndim + 1):
            expanded[axes[-i]] = value.shape[-i]
        try:
            return np.broadcast_to(value.reshape(expanded), broadcast)
        except ValueError:
            raise ValueError(f"Normalization {self.name!r}: mean and variance of shape {value.shape} do not fit "
                             f"inputs of shape {tuple(input_shape)}, whose kept axes {axes} have sizes "
                             f"{[input_shape[a] for a in axes]} (axis={self.axis}).") from None

    def weight_shapes(self, input_shape):
        _, kept, _ = self._kept(input_shape)
        return [] if self.input_mean is not None else [kept, kept, ()]

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """mean and variance of ``data`` over every axis but the feature axes: an array, or batches (a list of
        arrays, a generator, a PyDataset or tf.data.Dataset; the x of (x, y) pairs), combined as Keras combines
        them (Chan's formula for the variance of joined groups), in float64:

            mean = mean_1 + (mean_2 - mean_1) w,  w = n_2 / (n_1 + n_2)
            var = (var_1 + (mean_1 - mean)^2) (1 - w) + (var_2 + (mean_2 - mean)^2) w
        """
        if self.input_mean is not None:
            raise ValueError("This Normalization layer was given its mean and variance; it cannot be adapted.")
        batches = _batches(data, steps)
        first = next(batches, None)
        if first is None:
            raise ValueError("adapt() received an empty iterable (no batches). Expected at least one batch. Pass a "
                             "non-empty iterable of arrays or tensors, e.g. layer.adapt([x]) or "
                             "layer.adapt(list_of_batches).")
        shape = (None,) + first.shape[1:]
        if not self.built:
            self.build(shape)
        elif len(shape) != len(self._broadcast) or any(shape[a] != self._broadcast[a] for a in self._kept(shape)[0]):
            raise ValueError(f"The layer was built with input_shape={self._built_shape()}, but adapt() is being "
                             f"called with data with an incompatible shape, data.shape={first.shape}")
        axes = self._kept(shape)[0]
        count, mean, variance, rows = 0, 0.0, 0.0, 0
        for batch in itertools.chain([first], batches):
            if batch.ndim != len(shape) or any(batch.shape[a] != self._broadcast[a] for a in axes):
                raise ValueError(f"adapt() yielded a batch with incompatible shape. Expected "
                                 f"{self._built_shape()}, got {batch.shape}.")
            _check_finite(batch, rows)
            reduce = tuple(a for a in range(batch.ndim) if a not in axes)
            n, rows = math.prod(batch.shape[a] for a in reduce), rows + len(batch)
            if n == 0:
                continue
            batch_mean, batch_variance = batch.mean(axis=reduce), batch.var(axis=reduce)
            count += n
            w = n / count  # the new batch's share of all values so far
            joined = mean + (batch_mean - mean) * w
            variance = (variance + (mean - joined) ** 2) * (1 - w) + (batch_variance + (batch_mean - joined) ** 2) * w
            mean = joined
        if count == 0:
            raise ValueError(f"adapt() received no values: every batch was empty (first batch shape {first.shape}).")
        self.adapt_mean.assign(mean)
        self.adapt_variance.assign(variance)

    def _built_shape(self) -> tuple:
        """The input shape the layer was built for (None where an axis is reduced over)."""
        axes = self._kept(self._broadcast)[0]
        return tuple(d if a in axes else None for a, d in enumerate(self._broadcast))

    def _statistics(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        mean, variance = self._given if self.input_mean is not None else (self.adapt_mean.value,
                                                                            self.adapt_variance.value)
        shape = self._broadcast
        scale = np.maximum(np.sqrt(variance.reshape(shape)), config.epsilon())
        return mean.reshape(shape).astype(dtype, copy=False), scale.astype(dtype, copy=False)

    def forward(self, x, ctx: Context):
        mean, scale = self._statistics(x.dtype)
        a = mean + x * scale if self.invert else (x - mean) / scale
        return a, scale

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a * saved if self.invert else grad_a / saved

    def get_config(self):
        def listed(value):
            return None if value is None else np.asarray(value).tolist()

        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert,
                "mean": listed(self.input_mean), "variance": listed(self.input_variance)}



def _batches(data: Any, steps: int | None) -> Iterator[np.ndarray]:
    """Normalization.adapt's batches as float64 arrays: an array is one batch; a list or tuple of arrays (or of
    (x, y) pairs) and a generator or dataset are batches, as Keras 3.15 reads them; any other list is one batch."""
    if isinstance(data, (list, tuple)) and all(hasattr(b, "shape") or isinstance(b, tuple) for b in data):
        data = iter(data)
    for batch in adapt_batches(data, steps):
        if isinstance(batch, tuple):
            batch = batch[0]
        array = np.asarray(batch, dtype=np.float64)
        if array.ndim == 0:
            raise TypeError(f"adapt() expects an iterable that yields arrays or tensors with a `.shape` attribute "
                            f"(e.g. numpy arrays or backend tensors). Got an element of type {type(batch).__name__}.")
        yield array


def _check_finite(batch: np.ndarray, rows: int) -> None:
    """A NaN mean would normalise every later batch to NaN, silently: refused, with where it is (``rows`` rows came
    in earlier batches)."""
    bad = ~np.isfinite(batch)
    if bad.any():
        where = np.argwhere(bad)[0]
        index = (rows + int(where[0]), *(int(i) for i in where[1:]))
        raise ValueError(f"Normalization.adapt: the data holds NaN or inf values ({int(bad.sum())} in this batch), "
                         f"the first at index {index} (row {index[0]}, feature {index[1:]}); drop or fill them "
                         f"before adapting.")


def standardize(x: np.ndarray, axes: tuple[int, ...], epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """x_hat = (x - mu) * r with mu = mean(x), r = 1 / sqrt(var(x) + epsilon) over ``axes`` (the
    population variance mean((x - mu)^2), as TensorFlow's moments); returns (x_hat, r)."""
    mu = x.mean(axis=axes, keepdims=True)
    centred = x - mu
    r = 1.0 / np.sqrt(np.mean(centred * centred, axis=axes, keepdims=True) + epsilon)
    return centred * r, r


def standardize_backward(g: np.ndarray, x_hat: np.ndarray, r: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """grad_x from g = dL/dx_hat when mu and r are the batch's own statistics (means over ``axes``):
    grad_x = r * (g - mean(g) - x_hat * mean(g * x_hat))."""
    return r * (g - g.mean(axis=axes, keepdims=True) - x_hat * np.mean(g * x_hat, axis=axes, keepdims=True))


def weighted_standardize(x: np.ndarray, w: np.ndarray, axes: tuple[int, ...], epsilon: float
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x_hat = (x - mu) * r with the weighted statistics mu = sum(w x), var = sum(w (x - mu)^2) over ``axes``
    (a masked batch: w = m / (sum(m) + 1e-7), Keras's masked moments); returns (x_hat, r, mu, var)."""
    mu = np.sum(w * x, axis=axes, keepdims=True)
    centred = x - mu
    var = np.sum(w * centred * centred, axis=axes, keepdims=True)
    r = 1.0 / np.sqrt(var + epsilon)
    return centred * r, r, mu, var


def weighted_standardize_backward(g: np.ndarray, x_hat: np.ndarray, r: np.ndarray, w: np.ndarray,
                                  axes: tuple[int, ...]) -> np.ndarray:
    """grad_x from g = dL/dx_hat under the weighted statistics: with c = sum(w (x - mu)) (0 when the weights sum
    to 1), grad_x = r * (g - w sum(g) - w (x_hat - c r) sum(g x_hat))."""
    c_r = np.sum(w * x_hat, axis=axes, keepdims=True)  # c r
    return r * (g - w * np.sum(g, axis=axes, keepdims=True)
                - w * (x_hat - c_r) * np.sum(g * x_hat, axis=axes, keepdims=True))


class Affine:
    """gamma * x_hat + beta, the learnt scale and shift of BatchNormalization and LayerNormalization:
    their settings, weights (gamma then beta, as Keras orders them), gradients and config."""

    def __init__(self, center: bool, scale: bool, beta_initializer: Any, gamma_initializer: Any,
                 beta_regularizer: Any, gamma_regularizer: Any, beta_constraint: Any, gamma_constraint: Any) -> None:
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma: Any = None
        self.beta: Any = None

    def build(self, layer: Layer, shape: tuple[int, ...]) -> None:
        if self.scale:
            self.gamma = layer.add_weight(shape, self.gamma_initializer, regularizer=self.gamma_regularizer,
                                          constraint=self.gamma_constraint, name="gamma")
        if self.center:
            self.beta = layer.add_weight(shape, self.beta_initializer, regularizer=self.beta_regularizer,
                                         constraint=self.beta_constraint, name="beta")

    def forward(self, x_hat: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """a = gamma * x_hat + beta, gamma and beta broadcast as ``shape``."""
        a = x_hat * self.gamma.value.reshape(shape) if self.scale else x_hat.copy()
        if self.center:
            a += self.beta.value.reshape(shape)
        return a

    def backward(self, grad_a: np.ndarray, x_hat: np.ndarray, shape: tuple[int, ...], ctx: Context) -> np.ndarray:
        """gamma.grad = sum of grad_a * x_hat, beta.grad = sum of grad_a (over the axes where ``shape`` is 1);
        returns dL/dx_hat = grad_a * gamma."""
        reduce = tuple(i for i, d in enumerate(shape) if d == 1)
        if self.scale:
            ctx.grad(self.gamma)[...] = np.sum(grad_a * x_hat, axis=reduce).reshape(self.gamma.shape)
        if self.center:
            ctx.grad(self.beta)[...] = np.sum(grad_a, axis=reduce).reshape(self.beta.shape)
        return grad_a * self.gamma.value.reshape(shape) if self.scale else grad_a

    def config(self) -> dict[str, Any]:
        return {"center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}


def _axes(axis: Any, ndim: int, what: str) -> list[int]:
    axes = [axis] if isinstance(axis, int) else list(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"Axis {a} is out of bounds for input shape of rank {ndim}. Received: {what}={axis}")
    return sorted(a % ndim for a in axes)


@LAYERS.register()
class BatchNormalization(Layer):
    """Training: x_hat = (x - mu_B) / sqrt(var_B + epsilon) with the batch's mean and variance per feature
    (over every axis but ``axis``), a = gamma * x_hat + beta, and the moving statistics follow:
        moving_mean <- momentum * moving_mean + (1 - momentum) * mu_B    (moving_variance likewise).
    Inference (and a frozen layer, trainable=False, as in Keras): the moving statistics take their place.

    Backward: gamma.grad = sum of grad_a * x_hat, beta.grad = sum of grad_a, and with g = grad_a * gamma,
        training:  grad_x = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var_B + epsilon)
        inference: grad_x = g / sqrt(moving_variance + epsilon).

    Args:
        axis: the feature axis: one gamma, beta and pair of moving statistics per entry along it.
        momentum: the moving statistics' momentum.
        epsilon: added to the variance.
        center: whether the layer has beta.
        scale: whether the layer has gamma.
        beta_initializer: how beta starts.
        gamma_initializer: how gamma starts.
        moving_mean_initializer: how the moving mean starts.
        moving_variance_initializer: how the moving variance starts.
        beta_regularizer: a penalty on beta added to the loss.
        gamma_regularizer: a penalty on gamma added to the loss.
        beta_constraint: a projection applied to beta after each step.
        gamma_constraint: a projection applied to gamma after each step.
        renorm: batch renormalization (Ioffe, 2017): training normalises x_hat r_c + d_c with the corrections of
            ``renorm_correction`` (no gradient through them), and the moving variance follows a moving stddev.
        renorm_clipping: with ``renorm``, bounds for the corrections: {"rmin", "rmax", "dmax"} (r_c to [rmin, rmax],
            d_c to [-dmax, dmax]; each optional).
        renorm_momentum: with ``renorm``, the momentum of the renorm averages the corrections are taken against.
        synchronized: Keras's cross-device statistics; one device here, so it changes nothing.
        **kwargs: ``name``, ``dtype``, ``trainable``.

    Example:
        >>> import numpy as np, nnlite
        >>> bn = nnlite.layers.BatchNormalization(momentum=0.99)
        >>> bn(np.array([[1.0, 2.0], [3.0, 6.0]]), training=True).round(3)  # the batch's statistics
        array([[-1., -1.],
               [ 1.,  1.]], dtype=float32)
        >>> bn.moving_mean.numpy().round(3)  # 0.99 * 0 + 0.01 * the batch mean
        array([0.02, 0.04], dtype=float32)
        >>> bn(np.array([[1.0, 2.0]]), training=False).round(3)  # inference: the moving statistics
        array([[0.98, 1.93]], dtype=float32)
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 moving_mean_initializer: Any = "zeros", moving_variance_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, renorm: bool = False, renorm_clipping: Any = None,
                 renorm_momentum: float = 0.99, synchronized: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"BatchNormalization's axis must be an int, got {axis!r}.")
        if renorm:
            renorm_clipping = renorm_clipping or {}
            keys = ["rmax", "rmin", "dmax"]
            if set(renorm_clipping) - set(keys):
                raise ValueError(f"Received invalid keys for `renorm_clipping` argument: {renorm_clipping}. "
                                 f"Supported values: {keys}.")
            rmax, rmin, dmax = (renorm_clipping.get(k) for k in ("rmax", "rmin", "dmax"))
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(f"rmax should be greater than rmin in the `renorm_clipping` argument. Received: "
                                 f"rmax={rmax}, rmin={rmin}.")
            if dmax is not None and dmax < 0:
                raise ValueError(f"dmax should be non-negative in the `renorm_clipping` argument. Received: "
                                 f"dmax={dmax}.")
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.affine = Affine(center, scale, beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
                             beta_constraint, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.renorm, self.renorm_clipping, self.renorm_momentum = bool(renorm), renorm_clipping, float(renorm_momentum)
        self.synchronized = bool(synchronized)

    def _shape(self, input_shape: Any) -> tuple[int, tuple[int, ...]]:
        """(the feature axis, the shape gamma and the statistics broadcast to)."""
        axis = _axes(self.axis, len(input_shape), "axis")[0]
        if input_shape[axis] is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                             f"received an input with shape {tuple(input_shape)}.")
        return axis, tuple(input_shape[axis] if i == axis else 1 for i in range(len(input_shape)))

    def build(self, input_shape):
        axis, _ = self._shape(input_shape)
        features = (input_shape[axis],)
        self.affine.build(self, features)
        self.moving_mean = self.add_weight(features, self.moving_mean_initializer, trainable=False,
                                           name="moving_mean")
        self.moving_variance = self.add_weight(features, self.moving_variance_initializer, trainable=False,
                                               name="moving_variance")
        if self.renorm:  # the moving stddev (inference's variance derives from it) and renorm's own averages

            def stddev_start(shape, dtype=None):  # sqrt of how the moving variance starts
                return np.sqrt(self.moving_variance_initializer(shape, dtype))
            self.moving_stddev = self.add_weight(features, stddev_start, trainable=False, name="moving_stddev")
            self.renorm_mean = self.add_weight(features, self.moving_mean_initializer, trainable=False,
                                               name="renorm_mean")
            self.renorm_stddev = self.add_weight(features, stddev_start, trainable=False, name="renorm_stddev")
        super().build(input_shape)

    def weight_shapes(self, input_shape):
        axis, _ = self._shape(input_shape)
        n = (input_shape[axis],)
        return [n] * (int(self.affine.scale) + int(self.affine.center) + 2 + 3 * int(self.renorm))

    gamma = property(lambda self: self.affine.gamma, doc="The scale weight (None without ``scale``).")
    beta = property(lambda self: self.affine.beta, doc="The shift weight (None without ``center``).")

    def forward(self, x, ctx: Context):
        axis, shape = self._shape(x.shape)
        reduce = tuple(i for i in range(x.ndim) if i != axis)
        if not (ctx.training and self.trainable):
            r = 1.0 / np.sqrt(self.moving_variance.value.reshape(shape).astype(x.dtype) + x.dtype.type(self.epsilon))
            x_hat = (x - self.moving_mean.value.reshape(shape).astype(x.dtype)) * r
            return self.affine.forward(x_hat, shape), (x_hat, r, shape, reduce, False, None)
        x_hat, r = standardize(x, reduce, self.epsilon)
        mu = x.mean(axis=reduce)
        var = np.mean((x - mu.reshape(shape)) ** 2, axis=reduce)
        return self._train_output(x_hat, r, mu, var, shape, reduce, True, ctx)

    def _train_output(self, x_hat, r, mu, var, shape, reduce, statistics, ctx):
        """a from the batch's x_hat (corrected by renorm's r and d), the moving statistics moved; what backward
        needs."""
        correction = self.renorm_correction(mu, var, shape) if self.renorm else None
        if not ctx.peek:  # the moving statistics follow the batch (a peeking pass changes nothing)
            self.follow(mu, var)
        if correction is not None:  # x_hat r_c + d_c, r_c and d_c held constant (no gradient)
            correction = (*correction, x_hat)
            x_hat = x_hat * correction[0] + correction[1]
        return self.affine.forward(x_hat, shape), (x_hat, r, shape, reduce, statistics, correction)

    def renorm_correction(self, mu: np.ndarray, var: np.ndarray, shape: tuple[int, ...]
                          ) -> tuple[np.ndarray, np.ndarray]:
        """Batch renormalization's (r_c, d_c): with s = sqrt(var + eps) and s_r = max(renorm_stddev, sqrt(eps)),
        r_c = s / s_r clipped to [rmin, rmax] and d_c = (mu - renorm_mean) / s_r clipped to [-dmax, dmax], so that
        x_hat r_c + d_c is x normalised by the renorm averages while the gradient sees the batch's statistics.

        Args:
            mu: the batch's mean per feature.
            var: its variance per feature.
            shape: the shape they broadcast to.
        """
        dtype = mu.dtype
        stddev = np.sqrt(var + dtype.type(self.epsilon))
        scale = np.maximum(self.renorm_stddev.value.astype(dtype), np.sqrt(dtype.type(self.epsilon)))
        r_c, d_c = stddev / scale, (mu - self.renorm_mean.value.astype(dtype)) / scale
        clip = self.renorm_clipping
        if clip.get("rmin") is not None:
            r_c = np.maximum(r_c, clip["rmin"])
        if clip.get("rmax") is not None:
            r_c = np.minimum(r_c, clip["rmax"])
        if clip.get("dmax") is not None:
            d_c = np.clip(d_c, -clip["dmax"], clip["dmax"])
        return r_c.astype(dtype).reshape(shape), d_c.astype(dtype).reshape(shape)

    def follow(self, mu: np.ndarray, var: np.ndarray) -> None:
        """The moving statistics after a batch: moving_mean <- m moving_mean + (1 - m) mu and the variance
        likewise; with renorm, the renorm averages (momentum renorm_momentum) and moving_stddev move instead,
        and moving_variance = max(moving_stddev^2 - eps, 0).

        Args:
            mu: the batch's mean per feature.
            var: its variance per feature.
        """
        m = self.momentum
        if not self.renorm:
            self.moving_mean.value[...] = self.moving_mean.value * m + mu * (1.0 - m)
            self.moving_variance.value[...] = self.moving_variance.value * m + var * (1.0 - m)
            return
        stddev = np.sqrt(var + mu.dtype.type(self.epsilon))
        k = self.renorm_momentum
        self.renorm_mean.value[...] = self.renorm_mean.value * k + mu * (1.0 - k)
        self.renorm_stddev.value[...] = self.renorm_stddev.value * k + stddev * (1.0 - k)
        self.moving_mean.value[...] = self.moving_mean.value * m + mu * (1.0 - m)
        self.moving_stddev.value[...] = self.moving_stddev.value * m + stddev * (1.0 - m)
        s = self.moving_stddev.value
        self.moving_variance.value[...] = np.maximum(s * s - self.epsilon, 0)

    def forward_masked(self, x, mask, ctx: Context):
        """Training with a mask m (one axis fewer than x): the statistics of the unmasked entries alone,
        mu = sum(m x) / (sum(m) + 1e-7) and var likewise (Keras's masked moments); inference ignores the mask.

        Args:
            x: the batch.
            mask: True for the entries that count, or None.
            ctx: the pass's :class:`~nnlite.layers.Context`.
        """
        if mask is None or not (ctx.training and self.trainable):
            return self.forward(x, ctx)
        mask = np.asarray(mask)
        if mask.ndim != x.ndim - 1:
            raise ValueError(f"The mask provided should be one dimension less than the inputs. Received: "
                             f"mask.shape={mask.shape}, inputs.shape={x.shape}")
        axis, shape = self._shape(x.shape)
        reduce = tuple(i for i in range(x.ndim) if i != axis)
        m = np.broadcast_to(mask[..., None], x.shape).astype(x.dtype)
        w = m / (m.sum(axis=reduce, keepdims=True) + x.dtype.type(1e-7))  # Keras's backend epsilon
        x_hat, r, mu, var = weighted_standardize(x, w, reduce, self.epsilon)
        return self._train_output(x_hat, r, mu.reshape(-1), var.reshape(-1), shape, reduce, w, ctx)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        x_hat, r, shape, reduce, statistics, correction = saved
        g = self.affine.backward(grad_a, x_hat, shape, ctx)  # dL/d(the normalised value)
        if not need_grad_x:
            return None
        if correction is not None:  # through x_hat r_c + d_c, back to the batch's x_hat
            g, x_hat = g * correction[0], correction[2]
        if isinstance(statistics, np.ndarray):  # a masked batch: its weights
            return weighted_standardize_backward(g, x_hat, r, statistics, reduce)
        return standardize_backward(g, x_hat, r, reduce) if statistics else g * r

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                **self.affine.config(),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "synchronized": self.synchronized, "renorm": self.renorm, "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum}


@document_keywords
@LAYERS.register()
class LayerNormalization(Layer):
    """x_hat = (x - mu) / sqrt(var + epsilon) with each sample's own mean and variance over ``axis``,
    a = gamma * x_hat + beta (gamma and beta of the shape of those axes).

    Backward: gamma.grad = sum over the batch of grad_a * x_hat, beta.grad = sum of grad_a, and with
    g = grad_a * gamma:  grad_x = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + epsilon).

    With ``rms_scaling`` (Keras's: x is not centred, there is no beta): y = x r with r = 1 / sqrt(var + epsilon),
    a = gamma * y; gamma.grad = sum of grad_a * y and grad_x = r (g - x_hat * mean(g * y)).

    Args:
        axis: the axis (or axes) each sample is normalised over.
        epsilon: added to the variance, to keep the division away from zero.
        center: whether the layer has a bias beta.
        scale: whether the layer has a scale gamma.
        rms_scaling: scale by the root mean square only (no centring, no beta).
        beta_initializer: how beta starts.
        gamma_initializer: how gamma starts.
        beta_regularizer: a penalty on beta added to the loss.
        gamma_regularizer: a penalty on gamma added to the loss.
        beta_constraint: a projection applied to beta after each optimizer step.
        gamma_constraint: a projection applied to gamma after each optimizer step.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> norm = nnlite.layers.LayerNormalization(epsilon=0.0)
        >>> norm(np.array([[1.0, 3.0], [10.0, 20.0]]))  # each row to mean 0, variance 1
        Tensor([[-1.,  1.],
                [-1.,  1.]], dtype=float32)
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, rms_scaling: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
                raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: "
                                f"{axis}")
            axis = list(axis)
        elif isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis}")
        self.axis = axis
        self.epsilon = float(epsilon)
        self.rms_scaling = bool(rms_scaling)
        if self.rms_scaling:  # Keras 3 keeps it, deprecated, with this warning
            warn("You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales the input by "
                 "the variance, not the root mean square.", UserWarning)
        self.center, self.scale = bool(center), bool(scale)
        self.affine = Affine(self.center and not self.rms_scaling, self.scale or self.rms_scaling, beta_initializer,
                             gamma_initializer, beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)

    def _shape(self, input_shape: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(the normalized axes, the shape gamma broadcasts to)."""
        axes = _axes(self.axis, len(input_shape), "axis")
        return tuple(axes), tuple(input_shape[i] if i in axes else 1 for i in range(len(input_shape)))

    def build(self, input_shape):
        axes, _ = self._shape(input_shape)
        self.affine.build(self, tuple(input_shape[i] for i in axes))
        super().build(input_shape)

    def weight_shapes(self, input_shape):
        axes, _ = self._shape(input_shape)
        return [tuple(input_shape[i] for i in axes)] * (int(self.affine.scale) + int(self.affine.center))

    gamma = property(lambda self: self.affine.gamma, doc="The scale weight (None without ``scale``).")
    beta = property(lambda self: self.affine.beta, doc="The shift weight (None without ``center``).")

    def compute_output_shape(self, input_shape):
        _axes(self.axis, len(input_shape), "axis")
        return tuple(input_shape)

    def forward(self, x, ctx: Context):
        axes, shape = self._shape(x.shape)
        x_hat, r = standardize(x, axes, self.epsilon)
        y = x * r if self.rms_scaling else x_hat  # rms_scaling: x scaled, not centred
        return self.affine.forward(y, (1,) + shape[1:]), (x_hat, y, r, axes, shape)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        x_hat, y, r, axes, shape = saved
        g = self.affine.backward(grad_a, y, (1,) + shape[1:], ctx)
        if not need_grad_x:
            return None
        if self.rms_scaling:
            return r * (g - x_hat * np.mean(g * y, axis=axes, keepdims=True))
        return standardize_backward(g, x_hat, r, axes)

    def get_config(self):
        config = {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, **self.affine.config(),
                  "rms_scaling": self.rms_scaling}
        return {**config, "center": self.center, "scale": self.scale}


@document_keywords
@LAYERS.register()
class UnitNormalization(Layer):
    """a = x * r with r = min(1 / ||x||, 1e12) along ``axis`` (each sample scaled to unit L2 norm).

    grad_x = r * (grad_a - a * sum(a * grad_a)) where ||x|| > 1e-12; r * grad_a where r is clipped.

    Args:
        axis: the axis (or axes) along which each sample is scaled to unit norm.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.UnitNormalization()(np.array([[3.0, 4.0]]))
        Tensor([[0.6, 0.8]], dtype=float32)
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis: int | list[int] = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(f"Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                            f"Received: axis={axis}")
        self._build_at_init(UnitNormalization)

    def forward(self, x, ctx: Context):
        axes = tuple(_axes(self.axis, x.ndim, "axis"))
        with np.errstate(divide="ignore"):
            r = np.minimum(1.0 / np.sqrt(np.sum(x * x, axis=axes, keepdims=True)), 1e12)
        a = x * r
        return a, (a, r, axes)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        a, r, axes = saved
        clipped = r >= 1e12
        return r * np.where(clipped, grad_a, grad_a - a * np.sum(a * grad_a, axis=axes, keepdims=True))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@document_keywords
@LAYERS.register()
class RMSNormalization(Layer):
    """a = x r scale with r = 1 / sqrt(mean(x^2) + epsilon) over ``axis`` (no centring, no offset), computed in at
    least float32.

    Backward, with n = x r and grad_n = grad_a scale:
        scale.grad = sum of grad_a n over every axis scale is broadcast along
        grad_x = r (grad_n - n mean(grad_n n))      (the mean over ``axis``)

    Args:
        axis: the axis (or axes) over which the root mean square is taken; scale has their sizes.
        epsilon: added to the mean square before the square root.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> a = nnlite.layers.RMSNormalization(epsilon=0.0)(np.array([[3.0, 4.0]]))  # rms 3.5355
        >>> [round(float(v), 4) for v in a[0]]
        [0.8485, 1.1314]
    """

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis: Any = axis
        self.epsilon = epsilon
        self.scale = None

    def weight_shapes(self, input_shape):
        axes = sorted(self.axis) if isinstance(self.axis, (list, tuple)) else [self.axis]
        return [tuple(input_shape[a] for a in axes)]

    def build(self, input_shape):
        shape = self.weight_shapes(input_shape)[0]
        self.axis = sorted(self.axis) if isinstance(self.axis, (list, tuple)) else [self.axis]  # as Keras keeps it
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        for a in self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]:
            if a >= len(input_shape) or a < -len(input_shape):
                raise ValueError(f"Axis {a} is out of bounds for input shape {input_shape}. Received: axis={self.axis}")
        return tuple(input_shape)

    def forward(self, x, ctx: Context):
        dtype = np.result_type(x.dtype, np.float32)  # at least float32, as Keras computes it
        xc = x.astype(dtype, copy=False)
        axes = tuple(_axes(self.axis, x.ndim, "axis"))
        r = 1.0 / np.sqrt(np.mean(xc * xc, axis=axes, keepdims=True) + self.epsilon)  # (…, 1 on the axes, …)
        n = xc * r
        a = n * self.scale.value.astype(dtype, copy=False)
        return a.astype(x.dtype, copy=False), (n, r, axes)

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        n, r, axes = saved
        scale = self.scale.value.astype(n.dtype, copy=False)
        ctx.grad(self.scale)[...] = unbroadcast(grad_a * n, scale.shape)  # sum of grad_a n where scale is shared
        if not need_grad_x:
            return None
        grad_n = grad_a * scale
        return r * (grad_n - n * np.mean(grad_n * n, axis=axes, keepdims=True))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}

"""Data that arrives as batches rather than arrays: Python generators and iterables of
``(x, y[, sample_weight])``, ``nnlite.utils.PyDataset``, anything with ``as_numpy_iterator()``
(a ``tf.data.Dataset``, read without nnlite importing TensorFlow) and a torch ``DataLoader``.

An epoch reads the source as Keras does: to its end, or ``steps_per_epoch`` batches. With
``steps_per_epoch`` the source is read on where the last epoch stopped; one that runs out
ends the epoch early with Keras's warning and is started again (if it can be) for the next.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from .warn import warn


class PyDataset:
    """Keras's ``utils.PyDataset``: batches by index. Subclasses define ``__getitem__(index)`` (a batch
    ``(x, y)``, ``(x, y, sample_weight)`` or ``x``) and ``__len__`` (batches per epoch), and may define
    ``on_epoch_begin``/``on_epoch_end``. nnlite reads the batches in order in its own process: ``workers``,
    ``use_multiprocessing`` and ``max_queue_size`` are kept for Keras code and have no effect.

    Args:
        workers: kept for Keras code; no effect.
        use_multiprocessing: kept for Keras code; no effect.
        max_queue_size: kept for Keras code; no effect.

    Example:
        >>> import numpy as np, nnlite
        >>> class Batches(nnlite.utils.PyDataset):
        ...     def __len__(self):
        ...         return 2
        ...     def __getitem__(self, index):
        ...         return np.full((4, 2), index), np.ones((4, 1))
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> len(model.fit(Batches(), epochs=2, verbose=0).history["loss"])
        2
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index), returning batch `index`.")

    @property
    def num_batches(self) -> int | None:
        """len(self), or None if the dataset does not say (then it is read until __getitem__ raises IndexError)."""
        try:
            return len(self)
        except TypeError:
            return None

    def on_epoch_begin(self) -> None:
        """Called before each epoch."""

    def on_epoch_end(self) -> None:
        """Called after each epoch (shuffle here)."""


_ARRAYS = (np.ndarray, list, tuple, dict, str, bytes, numbers.Number)


def is_stream(x: Any) -> bool:
    """Whether ``x`` is a source of batches rather than an array (or a list/dict of them, or a DataFrame)."""
    if x is None or isinstance(x, _ARRAYS) or hasattr(x, "__array__") or hasattr(x, "columns"):
        return False
    return (isinstance(x, PyDataset) or callable(getattr(x, "as_numpy_iterator", None))
            or hasattr(x, "__next__") or hasattr(x, "__iter__"))


class Stream:
    """Batches from a source, epoch after epoch (see the module for Keras's rules)."""

    def __init__(self, source: Any, steps: int | None, what: str = "x",
                 rng: np.random.Generator | None = None) -> None:
        self.source = source
        self.steps = steps
        self.what = what
        self.rng = rng  # a PyDataset of known length is read in a new random order each epoch when shuffling
        if rng is not None and not (isinstance(source, PyDataset) and source.num_batches is not None):
            kind = "tf.data.Dataset" if callable(getattr(source, "as_numpy_iterator", None)) else "generator"
            warn(f"`shuffle=True` was passed, but will be ignored since the data `{what}` was provided as a {kind}. "
                 "The data is expected to be shuffled already.", UserWarning)
        self._iterator: Iterator[Any] | None = None
        self.exhausted = False  # a one-pass source (a generator) that has nothing left

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch if known: ``steps``, else the source's length."""
        if self.steps is not None:
            return self.steps
        if isinstance(self.source, PyDataset):
            return self.source.num_batches
        if hasattr(self.source, "__next__"):
            return None
        try:
            size = len(self.source)
        except TypeError:  # no length (a tf.data.Dataset of unknown or infinite size)
            return None
        return int(size) if size >= 0 else None

    def _fresh(self) -> Iterator[Any] | None:
        """A new pass over the source, or None for a one-pass iterator already started."""
        source = self.source
        if isinstance(source, PyDataset):
            return _indexed(source, self.rng)
        if callable(getattr(source, "as_numpy_iterator", None)):
            return iter(source.as_numpy_iterator())
        if hasattr(source, "__next__"):
            return None if self._iterator is not None else source
        return iter(source)

    def epoch(self) -> Iterator[Any]:
        """The batches of one epoch, as the source gives them."""
        if isinstance(self.source, PyDataset):
            self.source.on_epoch_begin()
        if self._iterator is None or self.steps is None:
            fresh = self._fresh()
            if fresh is None:
                self.exhausted = True
                return
            self._iterator = fresh
        taken = 0
        while self.steps is None or taken < self.steps:
            try:
                batch = next(self._iterator)
            except StopIteration:
                if self.steps is not None:
                    warn("Your input ran out of data; interrupting training. Make sure that your dataset or "
                         "generator can generate at least `steps_per_epoch * epochs` batches. You may need to use "
                         "the `.repeat()` function when building your dataset.", UserWarning)
                    self._iterator = None
                if taken == 0:
                    self.exhausted = True
                break
            taken += 1
            yield batch
        if isinstance(self.source, PyDataset):
            self.source.on_epoch_end()


def _indexed(dataset: PyDataset, rng: np.random.Generator | None) -> Iterator[Any]:
    """dataset[0], dataset[1], ... (in a random order with ``rng``), to its length or its IndexError."""
    count = dataset.num_batches
    if count is not None:
        for index in (rng.permutation(count) if rng is not None else range(count)):
            yield dataset[int(index)]
        return
    index = 0
    while True:
        try:
            batch = dataset[index]
        except IndexError:
            return
        yield batch
        index += 1


def adapt_batches(data: Any, steps: int | None = None, what: str = "adapt") -> Iterator[Any]:
    """The x of each batch a preprocessing layer's ``adapt`` reads: an array or list is one batch; a generator,
    iterable, PyDataset or tf.data.Dataset gives its batches (the x of (x, y) pairs; a list of plain values is a
    batch), at most ``steps``; so does a list of arrays of different lengths (arrays of one shape are the rows of
    one batch)."""
    if (isinstance(data, (list, tuple)) and data and all(isinstance(b, np.ndarray) for b in data)
            and len({b.shape for b in data}) > 1):
        data = iter(data)
    if not is_stream(data):
        yield data
        return
    for batch in Stream(data, check_steps(steps, "steps")).epoch():
        if isinstance(batch, list) and not all(hasattr(b, "shape") for b in batch):
            yield batch  # a list of values (["cat", "dog"]) is the batch itself, not (x, y)
        else:
            yield unpack(batch, what)[0]


def unpack(batch: Any, where: str) -> tuple[Any, Any, Any]:
    """(x, y, sample_weight) from one batch, as Keras reads it: a tuple (or list, as a torch DataLoader
    gives) of 1 to 3 entries, or x alone."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if isinstance(batch, tuple):
        if not 1 <= len(batch) <= 3:
            raise ValueError(f"{where}: a batch must be (x,), (x, y) or (x, y, sample_weight); got a tuple of "
                             f"{len(batch)}.")
        return (*batch, None, None)[:3]
    return batch, None, None


def check_steps(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}.")
    return int(value)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """(x, y, sample_weight) from a batch: (x,), (x, y), (x, y, sample_weight) or x alone (None where absent), as
    a ``train_step`` of your own reads its data (``keras.utils.unpack_x_y_sample_weight``).

    Args:
        data: the batch.

    Example:
        >>> import numpy as np, nnlite
        >>> x, y, sample_weight = nnlite.utils.unpack_x_y_sample_weight((np.ones(2), np.zeros(2)))
        >>> y.tolist(), sample_weight
        ([0.0, 0.0], None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, found: "
                     f"{data!r:.200}")


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The batch as fit hands it over: x alone (a tuple or list of inputs as (x,)), (x, y) or
    (x, y, sample_weight) (``keras.utils.pack_x_y_sample_weight``).

    Args:
        x: the inputs.
        y: the targets, or None.
        sample_weight: the weights, or None.

    Example:
        >>> import numpy as np, nnlite
        >>> len(nnlite.utils.pack_x_y_sample_weight(np.ones(2), np.zeros(2)))
        2
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)

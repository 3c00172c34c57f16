"""Structured-data preprocessing: CategoryEncoding, Discretization, IntegerLookup, StringLookup, Hashing.

They map a batch forward only (their outputs are integer ids or 0/1 counts, nothing to train),
learn what they need with ``adapt(data)`` as Keras does, and stand first in a model, before
the layers that train:

    Discretization:  id = the number of bin boundaries b with b <= x  (NumPy's digitize)
    IntegerLookup:   id = s + position of x in the vocabulary, where s = [mask id] + num_oov_indices;
                     a value not in it takes an OOV id: oov_start + (x mod num_oov_indices) (strings:
                     FarmHash(x) mod num_oov_indices); the mask token id 0
    CategoryEncoding and the non-"int" output modes: ids -> one_hot, multi_hot or count vectors

StringLookup (with ``Input(dtype="string")``) and Hashing (FarmHash's fingerprint, ``nnlite.farmhash``)
do the same for text.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import config, limits
from ..data import text
from ..docstrings import with_arguments
from ..streams import adapt_batches
from ..tensor import as_tensor
from .base import LAYERS, Context, Layer, document_keywords
from .node import is_symbolic

MODES = ("int", "one_hot", "multi_hot", "count")
LOOKUP_MODES = MODES + ("tf_idf",)  # the lookups also weigh counts by idf


def encode(ids: np.ndarray, mode: str, depth: int, dtype: str, dropped: bool = False,
           weights: np.ndarray | None = None) -> np.ndarray:
    """ids as Keras encodes them: one_hot adds an axis of ``depth`` (replacing a last axis of 1); multi_hot and
    count give a 1 or the count of each id over axis 1, the tokens of (batch, tokens) (a 1-D input is one sample:
    (depth,); ids (batch, a, b) give (batch, b, depth), Keras's reduction over axis 1 at every rank); with
    ``dropped``, an id of -1 (a lookup's mask token) counts nowhere; count with ``weights`` (ids' shape) adds each
    id's weight instead of 1."""
    if mode == "int":
        return ids.astype(np.int64)
    if ids.ndim == 0:
        ids = ids[None]
    lowest = -1 if dropped else 0
    if ids.size and (ids.min() < lowest or ids.max() >= depth):
        raise ValueError(f"Token ids must lie in [0, {depth}); got ids from {ids.min()} to {ids.max()}.")
    if mode == "one_hot":
        base = ids[..., 0] if ids.ndim > 1 and ids.shape[-1] == 1 else ids
        return (base[..., None] == np.arange(depth)).astype(dtype)
    rows = ids[None] if ids.ndim == 1 else np.moveaxis(ids, 1, -1)  # a 1-D input is one sample's tokens
    flat = rows.reshape(-1, rows.shape[-1])  # (everything else, the axis counted over)
    counts = np.zeros((len(flat), depth), dtype=dtype)
    kept = flat.ravel() >= 0  # a dropped id (-1) counts nowhere
    add = 1 if weights is None else (weights[None] if ids.ndim == 1 else np.moveaxis(weights, 1, -1)).ravel()[kept]
    np.add.at(counts, (np.repeat(np.arange(len(flat)), flat.shape[1])[kept], flat.ravel()[kept]), add)
    if mode == "multi_hot":
        counts = np.minimum(counts, 1)
    return counts.reshape(rows.shape[:-1] + (depth,))[0 if ids.ndim == 1 else slice(None)]


def _encoded_shape(input_shape: Any, mode: str, depth: int) -> tuple:
    shape = tuple(input_shape)
    if mode == "int":
        return shape
    if mode == "one_hot" and (len(shape) <= 1 or shape[-1] != 1):
        return shape + (depth,)
    if mode == "one_hot" or len(shape) <= 2:
        return shape[:-1] + (depth,)
    return shape[:1] + shape[2:] + (depth,)  # multi_hot and count reduce axis 1 (see encode)


def _check_mode(mode: str, allowed: Sequence[str] = MODES, layer: str = "") -> str:
    """``mode`` if it is one of ``allowed``; otherwise the ValueError Keras's ``layer`` raises, in its words."""
    if mode in allowed:
        return mode
    if layer == "CategoryEncoding":
        raise ValueError(f"Unknown arg for output_mode: {mode}")
    if layer == "Hashing":
        raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {tuple(allowed)}. Received: "
                         f"output_mode={mode}")
    raise ValueError(f"Unknown value for `output_mode` argument of {layer}. Allowed values are: {tuple(allowed)}. "
                     f"Received: output_mode={mode}")


def _no_backward(self: Layer, saved: Any, grad_a: np.ndarray, ctx: Context, need_grad_x: bool = True) -> None:
    """Ids and counts are not differentiable: nothing flows back through a preprocessing layer."""
    return None


@document_keywords
@LAYERS.register(example={"num_tokens": 4})
class CategoryEncoding(Layer):
    """Token ids to vectors of ``num_tokens``: multi_hot (1 where an id occurs), one_hot, or count.

    Args:
        num_tokens: the number of ids, the length of each output vector (ids are 0 .. num_tokens - 1).
        output_mode: "multi_hot" (Keras's older "binary"), "one_hot" or "count".
        sparse: Keras's sparse output; nnlite's tensors are dense (must be False).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")([[0, 1], [3, 3]])
        Tensor([[1., 1., 0., 0.],
                [0., 0., 0., 1.]], dtype=float32)
    """

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        _check_mode(output_mode, ("count", "one_hot", "multi_hot"), "CategoryEncoding")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens is not known "
                             "beforehand, use the IntegerLookup layer instead.")
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, numbers.Integral) or num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("nnlite has no sparse tensors: sparse=True is not supported.")
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, False
        self.built = True

    def __call__(self, *args: Any, count_weights: Any = None, **kwargs: Any) -> Any:
        """The encoding of the ids; ``count_weights`` (the ids' shape, "count" mode, on values) adds each id's
        weight instead of 1, as Keras's call(inputs, count_weights)."""
        if count_weights is None:
            return super().__call__(*args, **kwargs)
        if self.output_mode != "count":
            raise ValueError(f"`count_weights` is not used when `output_mode` is not `'count'`. Received "
                             f"`count_weights={count_weights}`.")
        if is_symbolic(args[0]) or is_symbolic(count_weights):
            raise ValueError("nnlite's CategoryEncoding takes `count_weights` in calls on values, not in a "
                             "functional graph.")
        ids, weights = _whole(args[0], self.name), np.asarray(count_weights, dtype=self.compute_dtype)
        if weights.shape != ids.shape:
            raise ValueError(f"`count_weights` must have the shape of the ids {ids.shape}; got {weights.shape}.")
        return as_tensor(encode(ids, "count", self.num_tokens, self.compute_dtype, weights=weights))

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def forward(self, x, ctx: Context):
        return encode(_whole(x, self.name), self.output_mode, self.num_tokens, self.dtype), None

    backward = _no_backward
    trainable_input = False
    casts = ""

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


def _whole(x: np.ndarray, name: str) -> np.ndarray:
    """x as integer ids (values that are whole numbers, whatever the array's dtype)."""
    x = np.asarray(x)
    if x.dtype.kind == "f" and not np.all(x == np.floor(x)):
        raise ValueError(f"Layer {name!r} takes integer ids; got values such as {x[x != np.floor(x)][0]!r}.")
    return x.astype(np.int64)


@document_keywords
@LAYERS.register(example={"bin_boundaries": [-1.0, 0.0, 1.5]})
class Discretization(Layer):
    """id = number of ``bin_boundaries`` b with b <= x (the bin x falls in, 0 .. len(bins)); ``adapt`` with
    ``num_bins`` places the boundaries at the data's quantiles, by Keras's approximate summary (``epsilon``).

    Args:
        bin_boundaries: the sorted boundaries; ``None`` to ``adapt`` them with ``num_bins``.
        num_bins: the number of bins ``adapt`` makes (give it or ``bin_boundaries``, not both).
        epsilon: the error bound of ``adapt``'s approximate quantiles.
        output_mode: "int" (the bin), "one_hot", "multi_hot" or "count".
        sparse: Keras's sparse output; nnlite's tensors are dense (must be False).
        dtype: the dtype of the output in the vector modes; ``None`` for ``config.floatx()``.
        name: the layer's name.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Discretization(bin_boundaries=[0.0, 1.0])([[-0.5, 0.5, 1.5]])
        Tensor([[0, 1, 2]], dtype=int32)
    """

    def __init__(self, bin_boundaries: Sequence[float] | None = None, num_bins: int | None = None,
                 epsilon: float = 0.01, output_mode: str = "int", sparse: bool = False, dtype: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(dtype=dtype, name=name, **kwargs)
        if sparse:
            raise ValueError("nnlite has no sparse tensors: sparse=True is not supported.")
        _check_mode(output_mode, MODES, "Discretization")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. Received: "
                             f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        bins = self.bin_boundaries or []
        if any(b <= a for a, b in zip(bins, bins[1:])):
            raise ValueError(f"`bin_boundaries` must be sorted in increasing order (no repeats), as TensorFlow's "
                             f"bucketize requires; received bin_boundaries={bin_boundaries}.")
        self.num_bins, self.epsilon, self.output_mode, self.sparse = num_bins, float(epsilon), output_mode, False
        self.built = True

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Boundaries at the quantiles of ``data`` (an array, or an iterable of batches)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, "
                             "use `num_bins` instead.")
        summary = np.array([[], []], dtype="float32")
        for batch in adapt_batches(data, steps):
            summary = _merge(_summarize(np.asarray(batch, dtype="float32"), self.epsilon), summary, self.epsilon)
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def _depth(self) -> int:
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self._depth())

    def forward(self, x, ctx: Context):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        ids = np.digitize(np.asarray(x), self.bin_boundaries)
        out = encode(ids, self.output_mode, self._depth(), self.dtype)
        return (out.astype(np.int32) if self.output_mode == "int" else out), None  # Keras's bins are int32

    @property
    def symbolic_dtype(self) -> str:
        return "int32" if self.output_mode == "int" else self.compute_dtype

    backward = _no_backward
    trainable_input = False
    casts = ""

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Discretization:
        """The layer from its config; an adapted layer's config holds both ``num_bins`` and the boundaries it
        found, which the constructor refuses together, so (as Keras) the boundaries are set after it."""
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None) if config.get("num_bins") is not None else None
        layer = cls(**config)
        if boundaries is not None:
            layer.bin_boundaries = [float(b) for b in boundaries]
        return layer


# Keras's quantile summary: (values, weights) columns, merged batch by batch and compressed to about 1/epsilon
def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """Every step-th sorted value, each standing for ``step`` values (step = size * epsilon, at least 1)."""
    values = np.sort(values.ravel())
    step = max(values.size * epsilon, 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full_like(kept, step)])


def _merge(new: np.ndarray, old: np.ndarray, epsilon: float) -> np.ndarray:
    both = np.concatenate((new, old), axis=1)
    return _compress(np.take(both, np.argsort(both[0]), axis=1), epsilon)


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """The summary re-binned at cumulative-weight fractions epsilon, 2 epsilon, ..., 1 (linear interpolation)."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    at = cumulative / cumulative[-1]
    values = np.interp(fractions, at, summary[0])
    cumulative = np.interp(fractions, at, cumulative)
    weights = cumulative - np.concatenate((np.array([0]), cumulative[:-1]))
    return np.stack((values, weights)).astype("float32")


def lookup(layer: Any, values: np.ndarray) -> np.ndarray:
    """A lookup layer's output for ``values`` (see the lookup classes), encoded as its output_mode says; with
    ``invert`` the vocabulary entry at each id."""
    if layer.vocabulary is None:
        raise ValueError(f"{type(layer).__name__} needs a vocabulary: pass `vocabulary` or call adapt(data) first.")
    table = getattr(layer, "vocabulary_table", None)
    if table is None or table[0] is not layer.vocabulary or table[1] != len(layer.vocabulary):
        terms = np.asarray(layer.vocabulary)  # built once per vocabulary, not per batch
        order = np.argsort(terms, kind="stable")  # the terms sorted: term sorted[k] is terms[order[k]]
        layer.vocabulary_table = table = (layer.vocabulary, len(layer.vocabulary), terms[order], order)
    ordered, order = table[2:]
    if layer.invert:  # an id no entry has gives the OOV token, as Keras's table's default
        every = np.asarray(layer.get_vocabulary() + [layer.oov_token])
        ids = _whole(values, layer.name)
        return every[np.where((ids >= 0) & (ids < len(every) - 1), ids, len(every) - 1)]
    if ordered.dtype.kind == "U" and np.asarray(values).dtype == object:
        values = np.asarray(values).astype(str)  # text against text: an object query would convert the table
    values = np.asarray(values)
    index = np.zeros(values.shape, dtype=np.int64)
    hit = np.zeros(values.shape, dtype=bool)
    if len(ordered):
        at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
        hit = ordered[at] == values
        index[hit] = order[at][hit] + _token_start(layer)  # a term's id: after the mask and OOV ids
    masked = (values == layer.mask_token) & ~hit if layer.mask_token is not None else np.zeros_like(hit)
    unknown = ~hit & ~masked
    if unknown.any():
        if layer.num_oov_indices == 0:
            raise ValueError(f"When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values "
                             f"{np.unique(values[unknown]).tolist()}, consider setting `num_oov_indices=1`.")
        index[unknown] = _oov_start(layer) + _oov_bucket(layer, values[unknown])
    dropped = layer.mask_token is not None and layer.output_mode != "int"
    index[masked] = -1 if dropped else 0  # the mask token: id 0, or nowhere in the vectors
    if layer.output_mode != "tf_idf":
        return encode(index, layer.output_mode, _depth(layer), layer.dtype, dropped=dropped)
    counts = encode(index, "count", _depth(layer), layer.dtype, dropped=dropped)
    return counts * layer.idf_weights.astype(counts.dtype)  # tf-idf: each id's count times its idf


def _depth(layer: Any) -> int:
    """The length of a lookup's vectors: its ids, or ``max_tokens`` with ``pad_to_max_tokens``."""
    return layer.max_tokens if layer.pad_to_max_tokens and layer.max_tokens is not None else layer.vocabulary_size()


def given_idf(layer: Any, vocabulary: list[Any], terms: list[Any], idf_weights: Any) -> np.ndarray | None:
    """A lookup's idf for every id from the weights given with ``vocabulary`` (Keras's rules): one weight per
    entry of the vocabulary as given; when it came without the special tokens, their ids weigh the weights' mean;
    with ``pad_to_max_tokens`` the ids up to ``max_tokens`` weigh 0. ``terms`` is the vocabulary without them."""
    if layer.output_mode != "tf_idf":
        if idf_weights is not None:
            raise ValueError(f"`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                             f"output_mode={layer.output_mode} and idf_weights={idf_weights}")
        return None
    if idf_weights is None:
        raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
    weights = np.asarray(idf_weights, dtype=np.float64)
    if weights.ndim != 1:
        raise ValueError(f"TF-IDF data must be a 1-index array. Received: type(idf_weights)={type(idf_weights)}")
    if len(weights) != len(vocabulary):
        raise ValueError(f"`idf_weights` must be the same length as vocabulary. len(idf_weights) is {len(weights)}; "
                         f"len(vocabulary) is {len(vocabulary)}")
    if not np.all(np.isfinite(weights)):
        raise ValueError(f"`idf_weights` must be finite numbers; got {idf_weights}.")
    front = _token_start(layer) if len(terms) == len(vocabulary) else 0  # the special ids' weights not given
    return _padded_idf(layer, np.concatenate([np.full(front, np.average(weights) if len(weights) else 0.0), weights]))


def adapted_idf(layer: Any, batches: list[np.ndarray], data: Any) -> np.ndarray:
    """idf = log(1 + documents / (1 + documents holding the term)) for each term of an adapted lookup, a document
    being a row of a batch, as Keras counts them: each value of a 1-D array or list given whole, all of a 1-D batch
    from a generator or dataset; in the layer's float dtype, the special ids weighing the terms' mean (as Keras:
    their own frequencies are not known)."""
    whole = isinstance(data, (list, tuple, np.ndarray)) or hasattr(data, "shape")
    holding: dict[Any, int] = {}
    documents = 0
    for batch in batches:
        if batch.ndim <= 1:
            batch = batch.reshape(-1, 1) if whole else batch.reshape(1, -1)
        rows = batch.reshape(len(batch), -1)
        documents += len(rows)
        for row in rows:
            for term in set(row.tolist()):
                holding[term] = holding.get(term, 0) + 1
    frequency = np.array([holding.get(term, 0) for term in layer.vocabulary], dtype=np.float64)
    idf = np.log(1 + documents / (1 + frequency)).astype(layer.dtype)
    mean = idf.mean() if len(idf) else np.zeros((), layer.dtype)
    return _padded_idf(layer, np.concatenate([np.full(_token_start(layer), mean, layer.dtype), idf]))


def _padded_idf(layer: Any, weights: np.ndarray) -> np.ndarray:
    """The idf of every id, then zeros up to ``max_tokens`` with ``pad_to_max_tokens``."""
    return np.pad(weights, (0, max(_depth(layer) - len(weights), 0)))


def _oov_start(layer: Any) -> int:
    """The first OOV id: 1 after a mask token's id 0 ("int" mode), else 0."""
    return 1 if layer.mask_token is not None and layer.output_mode == "int" else 0


def _token_start(layer: Any) -> int:
    """The first term's id: after the mask id and the ``num_oov_indices`` OOV ids."""
    return _oov_start(layer) + layer.num_oov_indices


def _oov_bucket(layer: Any, values: np.ndarray) -> np.ndarray:
    """Which of the OOV ids an unknown value takes: with one, 0; with n, an integer's floor-mod n
    (``oov_method="floormod"``), else FarmHash's fingerprint of its text mod n (TensorFlow's to_hash_bucket_fast;
    an integer as its decimal digits)."""
    n = layer.num_oov_indices
    if n == 1:
        return np.zeros(values.shape, dtype=np.int64)
    if values.dtype.kind in "iu" and layer.oov_method == "floormod":
        return np.mod(values, n).astype(np.int64)
    from ..farmhash import fingerprint64

    return np.array([fingerprint64(str(v).encode("utf-8")) % n for v in values.ravel()],
                    dtype=np.int64).reshape(values.shape)


def checked_vocabulary(layer: Any, values: list[Any], given: Any) -> list[Any]:
    """A lookup's terms from a vocabulary as Keras takes one: the special tokens (mask, then the OOV token once per
    OOV index) taken off where it starts with them; no repeated term, no mask token elsewhere, no OOV token in an
    inverted lookup's, and at most ``max_tokens`` ids in all."""
    special = _special_tokens(layer)
    if special and values[:len(special)] == special:
        values = values[len(special):]
    repeated = sorted({str(v) for v in values if values.count(v) > 1}) if len(set(values)) != len(values) else []
    if repeated:
        raise ValueError(f"The passed vocabulary has at least one repeated term. Please uniquify your dataset. The "
                         f"repeated terms are: {repeated}")
    for token, what, applies in ((layer.mask_token, "mask", layer.mask_token is not None),
                                 (layer.oov_token, "OOV", layer.invert)):
        if applies and token in values:
            raise ValueError(f"Found reserved {what} token at unexpected location in `vocabulary`. Note that passed "
                             "`vocabulary` does not need to include the OOV and mask tokens. Either remove all mask "
                             "and OOV tokens, or include them only at the start of the vocabulary in precisely this "
                             f"order: {special}. Received: {what.lower()}_token={token} at vocabulary index "
                             f"{values.index(token)}")
    if layer.max_tokens is not None and _token_start(layer) + len(values) > layer.max_tokens:
        raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary "
                         f"size is {_token_start(layer) + len(values)}; `max_tokens` is {layer.max_tokens}.")
    return values


def _special_tokens(layer: Any) -> list[Any]:
    return [layer.mask_token] * _oov_start(layer) + [layer.oov_token] * layer.num_oov_indices


def _get_vocabulary(self: Any, include_special_tokens: bool = True) -> list[Any]:
    """The vocabulary by id: the mask token ("int" mode), the OOV token once per OOV index, then the terms;
    without ``include_special_tokens``, the terms alone.

    Args:
        include_special_tokens: whether the mask and OOV tokens lead the list (then a term's position is its id).
    """
    terms = list(self.vocabulary or [])
    return _special_tokens(self) + terms if include_special_tokens else terms


def _vocabulary_size(self: Any) -> int:
    """How many ids the lookup gives: the mask and OOV ids and the terms."""
    return _token_start(self) + len(self.vocabulary or [])


def _check_special(layer: Any, num_oov_indices: Any, oov_method: str, salt: Any) -> int:
    """The number of OOV indices, checked with the OOV method (Keras's choices; the salted SipHash is not here)."""
    if not isinstance(num_oov_indices, numbers.Integral) or isinstance(num_oov_indices, bool) or num_oov_indices < 0:
        raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. Received: "
                         f"num_oov_indices={num_oov_indices}")
    if oov_method not in ("floormod", "farmhash"):
        raise ValueError(f"Unknown value for `oov_method`: {oov_method!r}. Valid values are ['floormod', "
                         "'farmhash'].")
    if salt is not None:
        raise ValueError(f"nnlite's {type(layer).__name__} has no `salt`: Keras hashes salted values with SipHash, "
                         "which nnlite does not have.")
    return int(num_oov_indices)


def _lookup_output_shape(self: Any, input_shape: Any) -> tuple:
    return _encoded_shape(input_shape, self.output_mode, _depth(self))


def adapted_vocabulary(data: Any, special: list[Any], max_terms: int | None) -> list[Any]:
    """The distinct values of ``data`` by falling count, ties by falling value (Keras's order), the ``special``
    tokens left out, at most ``max_terms`` of them (None or 0: all)."""
    values, counts = np.unique(np.asarray(data).ravel(), return_counts=True)
    keep = ~np.isin(values, np.asarray([t for t in special if t is not None], dtype=values.dtype))
    values, counts = values[keep], counts[keep]
    order = np.lexsort((values, counts))[::-1]
    if max_terms:
        order = order[:max_terms]
    return values[order].tolist()


def vocabulary_file(layer: Any, vocabulary: Any) -> Any:
    """A vocabulary given as the path of a text file (Keras's other form): its lines, one term each; any other
    vocabulary as it is. Never while a model file loads: its config cannot make nnlite read a file outside it."""
    if not isinstance(vocabulary, (str, os.PathLike)):
        return vocabulary
    if limits.loading():
        raise ValueError(f"Requested the loading of a vocabulary file outside of the model archive "
                         f"({os.fspath(vocabulary)!r}); nnlite never reads outside the file it loads.")
    if not os.path.isfile(vocabulary):
        raise ValueError(f"Vocabulary file {os.fspath(vocabulary)} does not exist.")
    if layer.output_mode == "tf_idf":
        raise ValueError("output_mode `'tf_idf'` does not support loading a vocabulary from file.")
    with open(vocabulary, encoding="utf-8") as f:
        return f.read().splitlines()


def _check_lookup(layer: Any, sparse: bool, output_mode: str, vocabulary: Any, idf_weights: Any,
                  invert: bool) -> None:
    """A lookup's arguments refused as Keras refuses them (sparse output aside: nnlite's tensors are dense)."""
    if sparse:
        raise ValueError(f"nnlite's {type(layer).__name__} has no sparse output (nnlite's tensors are dense).")
    if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
        raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output mode, the `idf_weights` "
                         "argument must also be provided.")
    if invert and output_mode != "int":
        raise ValueError("`output_mode` must be 'int' when `invert` is true.")


def _set_vocabulary(self: Any, vocabulary: Any, idf_weights: Any = None) -> None:
    """Use ``vocabulary`` (its entries, optionally after the special tokens) and, with "tf_idf", the idf of each of
    its entries.

    Args:
        vocabulary: the terms, a list or array, or the path of a text file of one term a line.
        idf_weights: with "tf_idf", one weight per entry of ``vocabulary``.
    """
    vocabulary = vocabulary_file(self, vocabulary)
    given = self.entries(vocabulary)
    terms = checked_vocabulary(self, given, vocabulary)
    self.idf_weights, self.vocabulary = given_idf(self, given, terms, idf_weights), terms


def _file_arrays(self: Any) -> dict[str, np.ndarray]:
    """A tf_idf lookup's idf of every id, as Keras keeps it in the weights file (``idf_weights``)."""
    if self.output_mode != "tf_idf" or self.idf_weights is None:
        return {}
    return {"idf_weights": self.idf_weights.astype(self.dtype)}


def _set_file_arrays(self: Any, arrays: dict[str, np.ndarray]) -> None:
    """The idf read from a file (the weights file is where Keras keeps an adapted lookup's)."""
    if "idf_weights" in arrays:
        self.idf_weights = np.asarray(arrays["idf_weights"], dtype=np.float64)


LOOKUP_ARGUMENTS = """\
        max_tokens: the largest vocabulary ``adapt`` keeps, the OOV index included; ``None`` for no limit.
        num_oov_indices: how many ids unknown values share (0: an unknown value is an error).
        mask_token: a value that maps to id 0 ("int" mode; dropped from the vectors of the other modes), or None.
        vocabulary: the vocabulary, a list (or array) of its entries or the path of a text file of one a line, or
            ``None`` to ``adapt`` one.
        idf_weights: with "tf_idf" and a ``vocabulary``, the idf of each of its entries.
        invert: map ids back to the entries instead.
        output_mode: "int" (the id), "one_hot", "multi_hot", "count" or "tf_idf" (vectors as long as the
            vocabulary; tf_idf: each id's count times its idf, log(1 + documents / (1 + documents holding it)) from
            ``adapt``, the OOV ids weighing the terms' mean; "binary" is Keras's older name for multi_hot).
        sparse: Keras's sparse output; nnlite's tensors are dense (must be False).
        pad_to_max_tokens: vectors of ``max_tokens`` entries whatever the vocabulary's size (with ``max_tokens``).
        name: the layer's name.
        oov_method: how unknown values spread over several OOV ids: "floormod" (an integer mod their number; text
            is hashed) or "farmhash" (FarmHash's fingerprint of the text, integers as their digits).
        salt: Keras's salted SipHash for the OOV ids; not supported (must be None).
"""


@with_arguments(LOOKUP_ARGUMENTS, "lookup arguments")
@document_keywords
@LAYERS.register(example={"vocabulary": [3, 7, 11]})
class IntegerLookup(Layer):
    """id = index of x in [mask, OOV..., *vocabulary] (by default [OOV, *vocabulary]: 0 for a value not in it),
    or with ``invert`` the value at an id. With several OOV ids an unknown x takes OOV number x mod their count.
    ``adapt`` makes the vocabulary: the values by falling count, ties by falling value.

    Args:
        {lookup arguments}
        oov_token: the value ``invert`` gives for the OOV id.
        vocabulary_dtype: the integer dtype of the vocabulary (Keras's config).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> lookup = nnlite.layers.IntegerLookup(vocabulary=[12, 36, 7])
        >>> lookup([[12, 7, 99]])  # 99 is out of the vocabulary: 0
        Tensor([[1, 3, 0]])
    """

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: int | None = None,
                 oov_token: int = -1, vocabulary: Any = None, vocabulary_dtype: str = "int64",
                 idf_weights: Any = None, invert: bool = False, output_mode: str = "int", sparse: bool = False,
                 pad_to_max_tokens: bool = False, oov_method: str = "floormod", salt: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        kwargs.pop("vocabulary_size", None)  # in Keras's config, derived from the vocabulary
        if vocabulary_dtype != "int64":
            raise ValueError(f"Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                             f"vocabulary_dtype={vocabulary_dtype}")
        super().__init__(name=name, **kwargs)
        output_mode = _check_mode("multi_hot" if output_mode == "binary" else output_mode, LOOKUP_MODES,
                                  type(self).__name__)
        num_oov_indices = _check_special(self, num_oov_indices, oov_method, salt)
        _check_lookup(self, sparse, output_mode, vocabulary, idf_weights, invert)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        self.max_tokens, self.num_oov_indices, self.oov_method = max_tokens, num_oov_indices, oov_method
        self.mask_token = None if mask_token is None else int(mask_token)
        self.oov_token, self.vocabulary_dtype, self.invert, self.output_mode = oov_token, vocabulary_dtype, invert, \
            output_mode
        self.sparse, self.pad_to_max_tokens = False, bool(pad_to_max_tokens)
        self.idf_weights: np.ndarray | None = None  # with "tf_idf": the idf of every id
        self.vocabulary: list[int] | None = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    @staticmethod
    def entries(vocabulary: Any) -> list[int]:
        """A vocabulary's entries as the lookup keeps them: integers."""
        return [int(v) for v in np.asarray(vocabulary).ravel()]

    set_vocabulary = _set_vocabulary
    get_vocabulary = _get_vocabulary
    vocabulary_size = _vocabulary_size
    file_arrays = _file_arrays
    set_file_arrays = _set_file_arrays

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """The vocabulary of ``data``: its distinct values by falling count (ties: larger value first)."""
        batches = [np.asarray(b).astype(np.int64) for b in adapt_batches(data, steps)]
        values = np.concatenate([b.ravel() for b in batches])
        self.vocabulary = [int(v) for v in adapted_vocabulary(values, [self.mask_token, self.oov_token],
                                                              _room(self))]
        if self.output_mode == "tf_idf":
            self.idf_weights = adapted_idf(self, batches, data)

    compute_output_shape = _lookup_output_shape

    @property
    def symbolic_dtype(self) -> str:
        return "int64" if self.output_mode == "int" else self.compute_dtype

    def forward(self, x, ctx: Context):
        return lookup(self, _whole(x, self.name)), None

    backward = _no_backward
    trainable_input = False
    casts = ""

    def get_config(self):
        return {**super().get_config(), "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                "mask_token": self.mask_token, "oov_token": self.oov_token, **_vocabulary_config(self),
                "vocabulary_dtype": self.vocabulary_dtype, "invert": self.invert,
                "output_mode": self.output_mode, "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_size": self.vocabulary_size(), "oov_method": self.oov_method, "salt": None}


@with_arguments(LOOKUP_ARGUMENTS, "lookup arguments")
@document_keywords
@LAYERS.register(example={"vocabulary": ["cat", "dog"]})
class StringLookup(Layer):
    """id = index of the string in [mask, "[UNK]"..., *vocabulary] (by default ["[UNK]", *vocabulary]: 0 for one
    not in it), or with ``invert`` the string at an id. With several OOV ids an unknown string takes OOV number
    FarmHash(s) mod their count. ``adapt`` makes the vocabulary: the strings by falling count, ties by falling
    string.

    Args:
        {lookup arguments}
        oov_token: the string ``invert`` gives for the OOV id.
        encoding: the encoding of byte-string inputs, kept in the config (nnlite decodes bytes as UTF-8).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> lookup = nnlite.layers.StringLookup(vocabulary=["a", "b"])
        >>> lookup([["b", "z", "a"]])
        Tensor([[2, 0, 1]])
        >>> lookup.get_vocabulary()
        ['[UNK]', 'a', 'b']
    """

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: str | None = None,
                 oov_token: str = "[UNK]", vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", pad_to_max_tokens: bool = False, sparse: bool = False,
                 encoding: str = "utf-8", name: str | None = None, salt: Any = None, oov_method: str = "floormod",
                 **kwargs: Any) -> None:
        kwargs.pop("vocabulary_size", None)  # in Keras's config, derived from the vocabulary
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(name=name, **kwargs)
        output_mode = _check_mode("multi_hot" if output_mode == "binary" else output_mode, LOOKUP_MODES,
                                  type(self).__name__)
        num_oov_indices = _check_special(self, num_oov_indices, oov_method, salt)
        _check_lookup(self, sparse, output_mode, vocabulary, idf_weights, invert)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        self.max_tokens, self.num_oov_indices, self.oov_method = max_tokens, num_oov_indices, oov_method
        self.mask_token, self.oov_token = None if mask_token is None else text(mask_token), oov_token
        self.invert, self.output_mode, self.encoding = invert, output_mode, encoding
        self.sparse, self.pad_to_max_tokens = False, bool(pad_to_max_tokens)
        self.idf_weights: np.ndarray | None = None  # with "tf_idf": the idf of every id
        self.vocabulary: list[str] | None = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    @staticmethod
    def entries(vocabulary: Any) -> list[str]:
        """A vocabulary's entries as the lookup keeps them: text."""
        return [text(v) for v in np.asarray(vocabulary, dtype=object).ravel()]

    set_vocabulary = _set_vocabulary
    get_vocabulary = _get_vocabulary
    vocabulary_size = _vocabulary_size
    file_arrays = _file_arrays
    set_file_arrays = _set_file_arrays

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """The vocabulary of ``data``: its distinct strings by falling count (ties: the later string first)."""
        batches = [_strings(b) for b in adapt_batches(data, steps)]
        values = np.concatenate([b.ravel() for b in batches])
        self.vocabulary = adapted_vocabulary(values, [self.mask_token, self.oov_token], _room(self))
        if self.output_mode == "tf_idf":
            self.idf_weights = adapted_idf(self, batches, data)

    compute_output_shape = _lookup_output_shape

    @property
    def symbolic_dtype(self) -> str:
        if self.invert:
            return "string"
        return "int64" if self.output_mode == "int" else self.compute_dtype

    def forward(self, x, ctx: Context):
        return lookup(self, x if self.invert else _strings(x)), None

    backward = _no_backward
    trainable_input = False
    casts = ""

    def get_config(self):
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token, "mask_token": self.mask_token,
                "output_mode": self.output_mode, "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                **_vocabulary_config(self), "vocabulary_size": self.vocabulary_size(),
                "oov_method": self.oov_method, "salt": None, "encoding": self.encoding}


def _vocabulary_config(layer: Any) -> dict[str, Any]:
    """The vocabulary and idf a lookup's config holds: with "tf_idf", every id's entry and weight (the special
    tokens first, so that a layer made from it, in nnlite or Keras, weighs the OOV ids as this one does)."""
    if layer.output_mode != "tf_idf" or layer.vocabulary is None:
        return {"vocabulary": layer.vocabulary, "idf_weights": None}
    return {"vocabulary": layer.get_vocabulary(), "idf_weights": layer.idf_weights[:layer.vocabulary_size()].tolist()}


def _room(layer: Any) -> int | None:
    """How many terms ``adapt`` keeps: max_tokens less the mask and OOV ids (None: all)."""
    return layer.max_tokens - _token_start(layer) if layer.max_tokens else None


def _strings(x: Any) -> np.ndarray:
    """x as an array of Python strings (bytes decoded as UTF-8)."""
    array = np.asarray(x, dtype=object)
    return np.vectorize(text, otypes=[object])(array) if array.size else array.astype(str)


@document_keywords
@LAYERS.register(example={"num_bins": 5})
class Hashing(Layer):
    """bin = Fingerprint64(the value as UTF-8 text) mod num_bins (FarmHash, as Keras on TensorFlow), so values
    no vocabulary lists still get a stable id. Integers are hashed as their decimal text, floats after
    truncation to integers; with ``mask_value`` that value gets bin 0 and the others 1 + hash mod (num_bins - 1).

    Args:
        num_bins: the number of bins, including the mask's bin when ``mask_value`` is given.
        mask_value: a value that always gets bin 0; ``None`` for none.
        salt: Keras's salted SipHash; not supported (must be None).
        output_mode: "int" (the bin), "one_hot", "multi_hot" or "count" (vectors of num_bins).
        sparse: Keras's sparse output; nnlite's tensors are dense (must be False).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Hashing(num_bins=10)([["cat"], ["dog"], ["cat"]]).ravel().tolist()  # same value, same bin
        [6, 2, 6]
    """

    def __init__(self, num_bins: int, mask_value: Any = None, salt: Any = None, output_mode: str = "int",
                 sparse: bool = False, **kwargs: Any) -> None:
        dtype = kwargs.pop("dtype", None)
        if isinstance(dtype, dict):
            dtype = (dtype.get("config") or {}).get("name")
        super().__init__(dtype=None if dtype in (None, "int32", "int64") else dtype, **kwargs)
        if isinstance(num_bins, bool) or not isinstance(num_bins, numbers.Integral) or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: "
                             f"num_bins={num_bins}.")
        _check_mode(output_mode, MODES, "Hashing")
        if output_mode == "int" and dtype is not None and np.dtype(dtype).kind not in "iu":
            raise ValueError(f"When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or 'int64'. "
                             f"Received: dtype={dtype}")
        if salt is not None:
            raise ValueError("nnlite's Hashing has no salt: Keras hashes salted values with SipHash, which nnlite "
                             "does not implement.")
        if sparse:
            raise ValueError("nnlite has no sparse tensors: sparse=True is not supported.")
        self.num_bins, self.mask_value, self.salt, self.output_mode, self.sparse = int(num_bins), mask_value, None, \
            output_mode, False
        self.output_dtype = dtype or ("int64" if output_mode == "int" else self.dtype)
        self.built = True

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self.num_bins)

    @property
    def symbolic_dtype(self) -> str:
        return self.output_dtype if self.output_mode == "int" else self.compute_dtype

    def forward(self, x, ctx: Context):
        from .. import farmhash

        values = np.asarray(x)
        if values.dtype.kind == "f":
            values = values.astype(np.int64)  # Keras truncates floats to integers first
        bins = self.num_bins - 1 if self.mask_value is not None and self.num_bins > 1 else self.num_bins
        flat = values.ravel()
        hashed = np.fromiter((farmhash.fingerprint64(text(v).encode("utf-8")) % bins for v in flat.tolist()),
                             np.int64, flat.size)
        hashed = hashed.reshape(values.shape)
        if bins != self.num_bins:
            hashed = np.where(values == self.mask_value, 0, hashed + 1)
        if self.output_mode == "one_hot" and hashed.ndim > 1 and hashed.shape[-1] == 1:
            hashed = hashed[..., 0]
        out = encode(hashed, self.output_mode, self.num_bins, self.dtype)
        return out.astype(self.output_dtype) if self.output_mode == "int" else out, None

    backward = _no_backward
    trainable_input = False
    casts = ""

    def get_config(self):
        config = super().get_config()
        config["dtype"] = {**config["dtype"], "config": {"name": self.output_dtype}}
        return {**config, "num_bins": self.num_bins, "salt": self.salt, "mask_value": self.mask_value,
                "output_mode": self.output_mode, "sparse": self.sparse}


@document_keywords
@LAYERS.register(example={"scale": 0.5, "offset": 1.0})
class Rescaling(Layer):
    """a = x scale + offset, x cast to the layer's dtype first (integer pixels become floats) and scale and offset
    rounded to it, as Keras casts them;  grad_x = grad_a scale. A scale of one number per channel broadcasts over
    the last axis (over the first after the batch with ``channels_first`` image data).

    Args:
        scale: the factor (a number, or one per channel): 1/255 maps [0, 255] onto [0, 1].
        offset: what is added after scaling (scale=1/127.5, offset=-1 maps [0, 255] onto [-1, 1]).
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.layers.Rescaling(1 / 127.5, offset=-1.0)(np.array([[0, 127.5, 255]]))
        Tensor([[-1.,  0.,  1.]], dtype=float32)
    """

    supports_masking = True  # a mask on the input passes on (Keras)

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.built = True

    def _factor(self, value: Any) -> np.ndarray:
        """scale or offset in the layer's dtype, shaped to broadcast over the channel axis."""
        value = np.asarray(value, dtype=self.dtype)
        if value.ndim > 0 and config.image_data_format() == "channels_first":
            value = value.reshape(value.shape + (1,) * (3 - value.ndim))
        return value

    def forward(self, x, ctx: Context):
        scale = self._factor(self.scale)
        return np.asarray(x, dtype=self.dtype) * scale + self._factor(self.offset), scale

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return grad_a * saved if need_grad_x else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        def plain(value: Any) -> Any:  # an array's numbers as a list, as a config holds them
            return value.tolist() if isinstance(value, np.ndarray) else value

        return {**super().get_config(), "scale": plain(self.scale), "offset": plain(self.offset)}

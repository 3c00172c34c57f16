"""TextVectorization: raw strings to token ids (or bag-of-words vectors), as Keras's layer does it.

Each string goes through three steps, then a lookup:

    standardize   "The cat sat." -> "the cat sat"     (ASCII lower case, punctuation removed: TensorFlow's rule)
    split         "the cat sat" -> ["the", "cat", "sat"]
    ngrams        with ngrams=2: ["the", "cat", "sat", "the cat", "cat sat"]
    lookup        int: 0 is padding, 1 the unknown token, 2... the vocabulary; or a vector per string
                  (multi_hot, count, tf_idf) as long as the vocabulary, the unknown token first

``adapt`` builds the vocabulary from text: the tokens by falling count, ties by falling string (Keras's order);
with "tf_idf" each token also gets idf = log(1 + documents / (1 + documents holding it)).
"""

from __future__ import annotations

import numbers
import re
from collections import Counter
from typing import Any

import numpy as np

from ..data import text
from ..streams import adapt_batches
from .base import LAYERS, Context, Layer, document_keywords
from .preprocessing import adapted_vocabulary, vocabulary_file

# TensorFlow's punctuation class (Keras's DEFAULT_STRIP_REGEX)
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # tf.strings.lower's
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation", None)
SPLIT = ("whitespace", "character", None)
OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
PAD, OOV = "", "[UNK]"


def standardized(value: str, how: Any) -> str:
    """One string through ``standardize``: a name of STANDARDIZE or a function of a string."""
    if callable(how):
        return text(how(value))
    if how in ("lower_and_strip_punctuation", "lower"):
        value = value.translate(ASCII_LOWER)
    if how in ("lower_and_strip_punctuation", "strip_punctuation"):
        value = PUNCTUATION.sub("", value)
    return value


def tokens(value: str, split: Any, ngrams: tuple[int, ...] | None) -> list[str]:
    """The tokens of one standardized string: split, then the n-grams of each width in order (joined by " ")."""
    if callable(split):
        words = [text(w) for w in split(value)]
    elif split == "whitespace":
        words = value.split()
    elif split == "character":
        words = list(value)
    else:
        words = [value]
    return ngrams_of(words, ngrams)


def ngrams_of(words: list[str], ngrams: tuple[int, ...] | None) -> list[str]:
    """The n-grams of each width in ``ngrams``, in order (joined by " "); the words themselves when None."""
    if not ngrams:
        return words
    return [" ".join(words[i:i + n]) for n in ngrams for i in range(len(words) - n + 1)]


@document_keywords
@LAYERS.register(example={"vocabulary": ["the", "cat", "sat"]})
class TextVectorization(Layer):
    """ids = lookup(ngrams(split(standardize(s)))) for each string s (see the module for each step).

    Output: "int": (batch, steps) ids, padded with 0 to ``output_sequence_length`` (or the batch's longest) and
    cut to it; "one_hot", "multi_hot", "count", "tf_idf": one vector per string, entry 0 for the unknown tokens.
    A preprocessing layer: ids flow forward only, nothing is trained.

    Args:
        max_tokens: the largest vocabulary ``adapt`` keeps, padding and unknown token included; ``None`` for all.
        standardize: "lower_and_strip_punctuation", "lower", "strip_punctuation", None, or a function of a string.
        split: "whitespace", "character", None (the whole string is one token), or a function of a string.
        ngrams: None, n (the 1- to n-grams), or a tuple of widths, e.g. (1, 3).
        output_mode: "int", "one_hot", "multi_hot", "count" or "tf_idf".
        output_sequence_length: with "int", the length every output is padded or cut to.
        pad_to_max_tokens: with the vector modes, make each vector ``max_tokens`` long.
        vocabulary: the vocabulary (a list of strings, or the path of a text file with one per line), or None to
            ``adapt`` one.
        idf_weights: with "tf_idf" and a vocabulary given, each term's idf.
        sparse: Keras's sparse output; nnlite's tensors are dense (must be False).
        ragged: Keras's ragged output; not supported (must be False).
        encoding: the encoding of byte strings (kept in the config; nnlite decodes bytes as UTF-8).
        name: the layer's name.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> vectorize = nnlite.layers.TextVectorization(max_tokens=10)
        >>> vectorize.adapt(["The cat sat.", "The dog sat on the cat!"])
        >>> vectorize.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'cat', 'on', 'dog']
        >>> vectorize(["the cat ate"]).tolist()  # "ate" is unknown: 1
        [[2, 4, 1]]
    """

    trainable_input = False
    casts = ""

    def __init__(self, max_tokens: int | None = None, standardize: Any = "lower_and_strip_punctuation",
                 split: Any = "whitespace", ngrams: Any = None, output_mode: str = "int",
                 output_sequence_length: int | None = None, pad_to_max_tokens: bool = False, vocabulary: Any = None,
                 idf_weights: Any = None, sparse: bool = False, ragged: bool = False, encoding: str = "utf-8",
                 name: str | None = None, **kwargs: Any) -> None:
        kwargs.pop("vocabulary_size", None)  # in Keras's config, derived from the vocabulary
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"Unknown value for `output_mode` argument of TextVectorization. Allowed values are: "
                             f"{OUTPUT_MODES}. Received: output_mode={output_mode}")
        if not callable(standardize) and standardize not in STANDARDIZE:
            raise ValueError(f"`standardize` must be one of {STANDARDIZE} or a callable. Received: "
                             f"standardize={standardize!r}")
        if not callable(split) and split not in SPLIT:
            raise ValueError(f"`split` must be one of {SPLIT} or a callable. Received: split={split!r}")
        if isinstance(ngrams, numbers.Integral) and not isinstance(ngrams, bool):
            if ngrams < 1:
                raise ValueError(f"`ngrams` must be a positive int or a tuple of them. Received: ngrams={ngrams}")
            widths: tuple[int, ...] | None = tuple(range(1, int(ngrams) + 1))
        elif ngrams is None:
            widths = None
        elif isinstance(ngrams, (tuple, list)) and ngrams and all(
                isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1 for n in ngrams):
            widths = tuple(int(n) for n in ngrams)
        else:
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams!r}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"`output_sequence_length` must not be set if `output_mode` is not 'int'. Received "
                             f"output_sequence_length={output_sequence_length}.")
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, numbers.Integral)
                                       or max_tokens <= 1):
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if sparse or ragged:
            raise ValueError("nnlite's TextVectorization has no sparse or ragged output (sparse=False, "
                             "ragged=False).")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"`idf_weights` should only be set if output_mode is 'tf_idf'. Received: "
                             f"output_mode={output_mode} and idf_weights={idf_weights}")
        super().__init__(name=name, **kwargs)
        self.max_tokens, self.standardize, self.split = max_tokens, standardize, split
        self.ngrams, self.ngram_widths, self.output_mode = ngrams, widths, output_mode
        self.output_sequence_length, self.pad_to_max_tokens = output_sequence_length, bool(pad_to_max_tokens)
        self.sparse, self.ragged, self.encoding = False, False, encoding
        self.vocabulary: list[str] | None = None
        self.idf_weights: np.ndarray | None = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary_file(self, vocabulary), idf_weights)  # a path: the file's lines
        elif idf_weights is not None:
            raise ValueError("`idf_weights` needs a `vocabulary` to weigh.")
        self.built = True

    # -- the vocabulary --------------------------------------------------------------------------------------------
    @property
    def _reserved(self) -> list[str]:
        """The entries before the vocabulary: padding and the unknown token ("int"), or the unknown token."""
        return [PAD, OOV] if self.output_mode == "int" else [OOV]

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The entries in id order: padding "" (int mode) and "[UNK]", then the vocabulary.

        Args:
            include_special_tokens: whether to include the padding and unknown tokens.
        """
        terms = list(self.vocabulary or [])
        return self._reserved + terms if include_special_tokens else terms

    def vocabulary_size(self) -> int:
        """The number of ids, the special ones included."""
        return len(self._reserved) + len(self.vocabulary or [])

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Use ``vocabulary`` (and, with "tf_idf", ``idf_weights``, one per term).

        Args:
            vocabulary: the terms (strings), without the special tokens.
            idf_weights: with "tf_idf", the idf of each term.
        """
        terms = [text(v) for v in np.asarray(vocabulary, dtype=object).ravel()]
        for special in (PAD, OOV):  # a vocabulary as get_vocabulary gives it: without its special tokens
            terms = terms[1:] if terms[:1] == [special] else terms
        if len(set(terms)) != len(terms):
            raise ValueError(f"The passed vocabulary has at least one repeated term: {vocabulary}.")
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
            weights = np.asarray(idf_weights, dtype=np.float64).ravel()
            if len(weights) != len(terms):
                raise ValueError(f"`idf_weights` must have one weight per term: {len(terms)} terms, "
                                 f"{len(weights)} weights.")
            self.idf_weights = weights
        self.vocabulary = terms
        self.table = {term: i + len(self._reserved) for i, term in enumerate(terms)}

    def _tokens_of(self, values: np.ndarray) -> list[list[str]]:
        """The tokens of each string (with split=None: of each row, its strings the tokens, as Keras reads them)."""
        if self.split is None:
            rows = values if values.ndim == 2 else values[None]
            return [ngrams_of([standardized(text(v), self.standardize) for v in row], self.ngram_widths)
                    for row in rows]
        return [tokens(standardized(text(v), self.standardize), self.split, self.ngram_widths) for v in values]

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """The vocabulary of ``data`` (strings, a list or a batch iterable): its tokens by falling count, ties by
        falling string, at most max_tokens including the special ones; with "tf_idf" their idf too.

        Args:
            data: the texts.
            steps: with an iterable, how many batches to read (None: all).
        """
        documents = [doc for batch in adapt_batches(data, steps)
                     for doc in self._tokens_of(_texts(batch, self.split is None))]
        every = np.array([t for doc in documents for t in doc], dtype=object).astype(str)
        limit = None if self.max_tokens is None else self.max_tokens - len(self._reserved)
        terms = [t for t in adapted_vocabulary(every, [OOV], limit) if t != PAD]
        weights = None
        if self.output_mode == "tf_idf":
            held = Counter(t for doc in documents for t in set(doc))
            weights = np.log(1 + len(documents) / (1 + np.array([held[t] for t in terms], dtype=np.float64)))
        self.set_vocabulary(terms, weights)

    # -- the pass ---------------------------------------------------------------------------------------------------
    def _depth(self) -> int:
        return self.max_tokens if self.pad_to_max_tokens and self.max_tokens else self.vocabulary_size()

    def compute_output_shape(self, input_shape):
        batch = input_shape[0] if len(input_shape) else None
        if self.split is None:  # the input's last axis is the sequence; (tokens,) is one sequence
            if self.output_mode == "one_hot":
                tokens = tuple(input_shape)[:-1] if tuple(input_shape)[-1:] == (1,) else tuple(input_shape)
                return (*tokens, self._depth())
            if self.output_mode == "int":
                length = self.output_sequence_length or (input_shape[-1] if len(input_shape) else 1)
                return (*tuple(input_shape)[:-1], length)
            return (batch, self._depth()) if len(input_shape) == 2 else (self._depth(),)
        if self.output_mode == "int":
            return (batch, self.output_sequence_length)
        return (batch, self._depth())

    @property
    def symbolic_dtype(self) -> str:
        return "int64" if self.output_mode == "int" else self.compute_dtype

    def forward(self, x, ctx: Context):
        if self.vocabulary is None:
            raise ValueError("TextVectorization needs a vocabulary: pass `vocabulary` or call adapt(data) first.")
        values = _texts(x, self.split is None)
        if self.split is None and self.output_mode == "one_hot":  # each string a token of its own row
            return self._one_hot_tokens(values), None
        documents = self._tokens_of(values)
        if self.output_mode == "int":  # "" is the padding token: id 0
            ids = [[self.table.get(t, 1) if t else 0 for t in doc] for doc in documents]
        else:  # "" counts nowhere
            ids = [[self.table.get(t, 0) for t in doc if t] for doc in documents]
        one = self.split is None and values.ndim == 1  # strings as tokens, (tokens,): one sequence, no batch
        if self.output_mode == "int":
            length = self.output_sequence_length or max((len(doc) for doc in ids), default=0)
            out = np.zeros((len(ids), length), dtype=np.int64)  # 0: padding
            for row, doc in zip(out, ids):
                row[:min(len(doc), length)] = doc[:length]
            return (out[0] if one else out), None
        out = np.zeros((len(ids), self._depth()), dtype=self.compute_dtype)
        for row, doc in zip(out, ids):
            np.add.at(row, doc, 1.0)  # counts
        if self.output_mode in ("one_hot", "multi_hot"):
            out = np.minimum(out, 1.0).astype(self.compute_dtype)
        elif self.output_mode == "tf_idf":
            idf = np.concatenate([[np.mean(self.idf_weights) if len(self.idf_weights) else 0.0], self.idf_weights])
            out[:, :len(idf)] *= idf.astype(self.compute_dtype)  # the unknown token weighs the mean idf
        return (out[0] if one else out), None

    def _one_hot_tokens(self, values: np.ndarray) -> np.ndarray:
        """split=None with "one_hot": every string its own one-hot row, (*tokens, depth) (a trailing axis of 1
        dropped, as Keras's); "" is no token (a row of zeros)."""
        tokens = values[:, 0] if values.ndim == 2 and values.shape[1] == 1 else values
        out = np.zeros((tokens.size, self._depth()), dtype=self.compute_dtype)
        for row, value in zip(out, tokens.ravel()):
            token = standardized(text(value), self.standardize)
            if token:
                row[self.table.get(token, 0)] = 1.0
        return out.reshape(*tokens.shape, self._depth())

    def backward(self, saved, grad_a, ctx, need_grad_x=True):
        return None

    def get_config(self):
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "standardize": None if callable(self.standardize) else self.standardize,
                "split": None if callable(self.split) else self.split, "ngrams": self.ngrams,
                "output_mode": self.output_mode, "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": self.pad_to_max_tokens, "sparse": False, "ragged": False,
                "vocabulary": self.vocabulary, "encoding": self.encoding, "vocabulary_size": self.vocabulary_size(),
                "idf_weights": None if self.idf_weights is None else self.idf_weights.tolist()}


def _texts(x: Any, as_tokens: bool = False) -> np.ndarray:
    """A batch of strings as a 1-D object array (a trailing axis of 1, Keras's (batch, 1) string input, dropped);
    ``as_tokens`` (split=None: each string a token) keeps the input's shape, (tokens,) or (batch, tokens)."""
    values = np.asarray(x, dtype=object)
    if values.ndim == 2 and values.shape[1] == 1 and not as_tokens:
        values = values[:, 0]
    if values.ndim == 0:
        values = values.reshape(1)
    if values.ndim != 1 and not (as_tokens and values.ndim == 2):
        expected = "(tokens,) or (batch, tokens) with split=None" if as_tokens else "(batch,) or (batch, 1)"
        raise ValueError(f"TextVectorization takes a batch of strings, shape {expected}; got shape {np.shape(x)}.")
    strangers = [v for v in values.ravel() if not isinstance(v, (str, bytes, np.str_, np.bytes_))]
    if strangers:
        raise TypeError(f"TextVectorization takes strings; got {type(strangers[0]).__name__} values such as "
                        f"{strangers[0]!r}.")
    return values


"""Connectionist temporal classification (Graves et al., 2006): the loss of a labelling given per-step class scores,
summed over every alignment of the labels to the steps, and the decoders that read a labelling back.

The lattice, for labels l_1..l_L and the blank b (class 0 once the blank's column is moved first, as TensorFlow
moves it), has the states

    start, b, l_1, b, l_2, b, ..., l_L, b        (S = 2L + 2; state 2k holds l_k, state 2k + 1 the blank after it)

A path enters a state from itself, from the state before it, or, into a label, from the label before that blank when
the two labels differ (into l_1 from the start always). With o_t(s) = log softmax(z_t)[class of s] (the start emits
nothing: -inf),

    alpha_t(s) = o_t(s) + logsumexp_{j -> s} alpha_{t-1}(j),         alpha_{-1} = 0 at the start, log 0 elsewhere
    beta_t(s)  = logsumexp_{s -> j} (o_{t+1}(j) + beta_{t+1}(j)),     beta_{T-1} = 0 at l_L and its blank, log 0 else
    loss = -log p(l | z) = -logsumexp_{start -> j} (o_0(j) + beta_0(j))

and the gradient is the softmax less each class's share of the state posterior gamma_t(s) = alpha_t(s) + beta_t(s)
(normalised over s at each step):

    dloss/dz_t,k = softmax(z_t)_k - sum_{s of class k} exp gamma_t(s),      0 at steps past the sequence's length.

"log 0" is TensorFlow's log(1e-307) (rounded to float32), not -inf: a labelling no alignment fits (more labels and
repeats than steps) costs about 707 and still has a gradient, as in Keras. A label state whose label is the blank
(a 0 inside the label length) emits the blank but takes no share of the gradient, and a label outside the classes
past the label length emits probability 1; both are TensorFlow's reading, kept so that the numbers agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .primitive import op

LOG_0 = float(np.float32(np.log(1e-307)))  # TensorFlow's log 0 for the first and last states


def _as_int(x: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "iub" and not (a.dtype.kind == "f" and np.all(a == np.round(a))):
        raise TypeError(f"`{name}` must hold integers; received dtype {a.dtype}.")
    a = a.astype(np.int64)
    if a.shape != shape:
        raise ValueError(f"`{name}` must have shape {shape}; received {a.shape}.")
    return a


def _lattice(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cls, skip): the class each of the 2L + 2 states emits (-1 for the start), (batch, S); and where a path
    may enter a state from two states back (a label from the previous, different label), (batch, S)."""
    batch, length = labels.shape
    cls = np.zeros((batch, 2 * length + 2), np.int64)
    cls[:, 0] = -1
    cls[:, 2::2] = labels
    skip = np.zeros(cls.shape, bool)
    skip[:, 2] = True  # start -> l_1
    skip[:, 4::2] = labels[:, 1:] != labels[:, :-1]
    return cls, skip


def _emissions(log_p: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """o_t(s) = log_p[t, class of s], (batch, T, S): the start -inf, a class outside [0, C) log 1 = 0."""
    classes = log_p.shape[-1]
    inside = (cls >= 0) & (cls < classes)
    o = np.take_along_axis(log_p, np.where(inside, cls, 0)[:, None, :], axis=2)
    o[np.broadcast_to(~inside[:, None, :], o.shape)] = 0.0
    o[:, :, 0] = -np.inf
    return o


def _from_before(a: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """logsumexp over the states a path enters s from: a(s), a(s - 1) and, where ``skip``, a(s - 2)."""
    out = a.copy()
    np.logaddexp(out[:, 1:], a[:, :-1], out=out[:, 1:])
    out[:, 2:] = np.where(skip[:, 2:], np.logaddexp(out[:, 2:], a[:, :-2]), out[:, 2:])
    return out


def _to_after(a: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """logsumexp over the states a path goes to from s: a(s), a(s + 1) and, where the next label allows, a(s + 2)."""
    out = a.copy()
    np.logaddexp(out[:, :-1], a[:, 1:], out=out[:, :-1])
    out[:, :-2] = np.where(skip[:, 2:], np.logaddexp(out[:, :-2], a[:, 2:]), out[:, :-2])
    return out


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _checked(target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(logits, labels, label lengths, logit lengths) as arrays, every argument checked before any work."""
    z = np.asarray(output)
    if z.ndim != 3:
        raise ValueError(f"`output` must be logits of shape (batch_size, max_length, num_classes); received "
                         f"shape {z.shape}.")
    batch, steps, classes = z.shape
    labels = np.asarray(target)
    if labels.ndim != 2 or labels.shape[0] != batch:
        raise ValueError(f"`target` must have shape (batch_size, max_label_length) = ({batch}, L); received "
                         f"shape {labels.shape}.")
    labels = _as_int(labels, "target", labels.shape)
    label_length = _as_int(target_length, "target_length", (batch,))
    logit_length = _as_int(output_length, "output_length", (batch,))
    if not -classes <= mask_index < classes:
        raise ValueError(f"`mask_index` must name one of the {classes} classes; received {mask_index}.")
    if np.any((label_length < 0) | (label_length > labels.shape[1])):
        raise ValueError(f"`target_length` must lie in [0, {labels.shape[1]}]; received {label_length.tolist()}.")
    if np.any((logit_length < 0) | (logit_length > steps)):
        raise ValueError(f"`output_length` must lie in [0, {steps}]; received {logit_length.tolist()}.")
    outside = (np.arange(labels.shape[1]) < label_length[:, None]) & ((labels < 0) | (labels >= classes))
    if np.any(outside):
        raise ValueError(f"Every label within `target_length` must be a class in [0, {classes}); received "
                         f"{labels[outside].tolist()}.")
    if not np.all(np.isfinite(z)):
        raise ValueError("The CTC logits hold NaN or inf.")
    return z, labels, label_length, logit_length


def ctc_values_and_grads(target: Any, output: Any, target_length: Any, output_length: Any,
                         mask_index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(loss, dloss/doutput): -log p(labels | logits) per sequence, (batch,), and its gradient, (batch, T, C), by
    the forward-backward recursions of the module (computed in float64, returned in the logits' float dtype).

    Args:
        target: the labels, (batch, max_label_length) integers.
        output: the logits, (batch, T, C) (no softmax applied).
        target_length: how many of each row's labels count, (batch,).
        output_length: how many of each row's steps count, (batch,).
        mask_index: the blank's class.
    """
    z, labels, label_length, logit_length = _checked(target, output, target_length, output_length, mask_index)
    batch, steps, classes = z.shape
    blank = mask_index % classes
    order = np.r_[blank, np.arange(blank), np.arange(blank + 1, classes)]  # the blank's column first
    labels = np.where(labels < blank, labels + 1, labels)
    log_p = _log_softmax(z[:, :, order].astype(np.float64))  # (batch, T, C)
    cls, skip = _lattice(labels)
    o = _emissions(log_p, cls)  # (batch, T, S)
    rows = np.arange(batch)

    alpha = np.empty_like(o)
    a = np.full(cls.shape, LOG_0)
    a[:, 0] = 0.0
    for t in range(steps):
        a = alpha[:, t] = o[:, t] + _from_before(a, skip)

    final = np.full(cls.shape, LOG_0)
    final[rows, 2 * label_length] = final[rows, 2 * label_length + 1] = 0.0
    beta = np.empty_like(o)  # beta[:, t] = beta_t, without o_t; at and past a row's last step: final
    b = final
    for t in range(steps - 1, -1, -1):
        beta[:, t] = b
        b = np.where((t < logit_length)[:, None], _to_after(o[:, t] + b, skip), final)
    log_likelihood = b[:, 0]  # the start state before the first step

    gamma = alpha + beta  # (batch, T, S)
    gamma -= np.logaddexp.reduce(gamma, axis=2, keepdims=True)
    share = np.zeros_like(log_p)  # (batch, T, C)
    shares = (cls >= 1) & (cls < classes)  # the label states that take a share; the blank states below
    shares[:, 1::2] = True
    for k in range(cls.shape[1]):  # each state's posterior onto its class's column
        share[rows, :, np.where(shares[:, k], cls[:, k], 0)] += np.exp(gamma[:, :, k]) * shares[:, k, None]
    grad = np.exp(log_p) - share
    grad *= (np.arange(steps) < logit_length[:, None])[:, :, None]
    unordered = np.empty_like(grad)
    unordered[:, :, order] = grad
    dtype = z.dtype if z.dtype.kind == "f" else np.dtype(np.float64)
    return (-log_likelihood).astype(dtype), unordered.astype(dtype)


def _ctc_vjp(g: Any, loss: Any, target: Any, output: Any, target_length: Any, output_length: Any,
             mask_index: int = 0) -> list:
    return [None, lambda: np.asarray(g)[:, None, None] * ctc_values_and_grads(
        target, output, target_length, output_length, mask_index)[1]]


@op(_ctc_vjp)
def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int = 0) -> Any:
    """loss = -log p(target | softmax(output)) per sequence, summed over the alignments (see the module);
    d loss / d output = softmax - the state posterior's share of each class.

    Args:
        target: the labels, (batch, max_label_length) integers.
        output: the logits, (batch, T, C), no softmax applied.
        target_length: how many labels of each row count, (batch,).
        output_length: how many steps of each row count, (batch,).
        mask_index: the blank's class (default 0).

    Example:
        >>> import numpy as np, nnlite
        >>> z = np.zeros((1, 2, 2))  # two steps, blank 0 and class 1 equally likely: paths 11, b1, 1b give "1"
        >>> round(float(nnlite.ops.ctc_loss(np.array([[1]]), z, np.array([1]), np.array([2]))[0]), 6)  # -log 3/4
        0.287682
    """
    return ctc_values_and_grads(target, output, target_length, output_length, mask_index)[0]


def _greedy(z: np.ndarray, lengths: np.ndarray, blank: int, merge_repeated: bool) -> tuple[list, np.ndarray]:
    """The most likely class at each step, repeats merged (when asked) and blanks dropped; its score is
    -sum_t max_k z_t,k over the row's steps, as TensorFlow's greedy decoder gives it."""
    best = z.argmax(axis=-1)  # (batch, T)
    paths, scores = [], np.empty((z.shape[0], 1), z.dtype)
    for row, n in enumerate(lengths):
        k = best[row, :n]
        keep = k != blank
        if merge_repeated:
            keep[1:] &= k[1:] != k[:-1]
        paths.append([k[keep].tolist()])
        scores[row, 0] = -z[row, np.arange(n), k].sum()
    return paths, scores


def _add(beams: dict, labels: tuple, ends_blank: float, ends_label: float) -> None:
    """Add the two log-probabilities of a labelling's alignments (ending in a blank, in its last label) to a beam."""
    b, lab = beams.get(labels, (-np.inf, -np.inf))
    beams[labels] = (np.logaddexp(b, ends_blank), np.logaddexp(lab, ends_label))


def _beam_search(log_p: np.ndarray, blank: int, beam_width: int, top_paths: int) -> tuple[list, list]:
    """Prefix beam search over one sequence's log-probabilities (T, C): each labelling kept with the log-probability
    of its alignments that end in a blank and in its last label, the ``beam_width`` likeliest kept at each step;
    the ``top_paths`` likeliest labellings and their log-probabilities."""
    beams: dict[tuple, tuple[float, float]] = {(): (0.0, -np.inf)}  # labelling -> (ends in blank, ends in label)
    classes = [k for k in range(log_p.shape[1]) if k != blank]
    for lp in log_p:
        grown: dict[tuple, tuple[float, float]] = {}
        for labels, (b, lab) in beams.items():
            total = np.logaddexp(b, lab)
            _add(grown, labels, total + lp[blank], lab + lp[labels[-1]] if labels else -np.inf)  # blank, or last again
            for k in classes:  # a new label; the last one again only after a blank
                _add(grown, labels + (k,), -np.inf, (b if labels and k == labels[-1] else total) + lp[k])
        ranked = sorted(grown.items(), key=lambda item: -np.logaddexp(*item[1]))[:beam_width]
        beams = {labels: (b, lab) for labels, (b, lab) in ranked}
    ranked = sorted(beams.items(), key=lambda item: -np.logaddexp(*item[1]))[:top_paths]
    return [list(labels) for labels, _ in ranked], [float(np.logaddexp(*p)) for _, p in ranked]


@op(None)
def ctc_decode(inputs: Any, sequence_lengths: Any, strategy: str = "greedy", beam_width: int = 100,
               top_paths: int = 1, merge_repeated: bool = True, mask_index: int | None = 0) -> tuple[Any, Any]:
    """The labellings a CTC model's logits read as: greedy (the likeliest class per step, repeats merged, blanks
    dropped) or by prefix beam search over log softmax(inputs).

    Args:
        inputs: the logits, (batch, T, C).
        sequence_lengths: how many steps of each row count, (batch,).
        strategy: "greedy" or "beam_search".
        beam_width: how many labellings the beam search keeps at each step.
        top_paths: how many labellings the beam search returns, likeliest first.
        merge_repeated: greedy only: a class repeated at consecutive steps is one label.
        mask_index: the blank's class (None: the last class).

    Returns:
        (decoded, scores): decoded (paths, batch, T) int32, each labelling padded with -1 (paths is 1 for
        greedy); scores (batch, paths): greedy's -sum_t max_k inputs_t,k, the beam search's log-probabilities.

    Example:
        >>> import numpy as np, nnlite
        >>> z = np.log(np.array([[[0.1, 0.9], [0.8, 0.2], [0.1, 0.9]]]))  # 1, blank, 1
        >>> decoded, scores = nnlite.ops.ctc_decode(z, np.array([3]))
        >>> decoded.tolist()
        [[[1, 1, -1]]]
    """
    z = np.asarray(inputs)
    if z.ndim != 3:
        raise ValueError(f"`inputs` must be logits of shape (batch_size, max_length, num_classes); received shape "
                         f"{z.shape}.")
    z = z.astype(np.result_type(z.dtype, np.float32))
    batch, steps, classes = z.shape
    lengths = _as_int(sequence_lengths, "sequence_lengths", (batch,))
    if np.any((lengths < 0) | (lengths > steps)):
        raise ValueError(f"`sequence_lengths` must lie in [0, {steps}]; received {lengths.tolist()}.")
    blank = classes - 1 if mask_index is None else mask_index % classes
    if strategy == "greedy":
        paths, scores = _greedy(z, lengths, blank, merge_repeated)
    elif strategy == "beam_search":
        if not 1 <= top_paths <= beam_width:
            raise ValueError(f"`top_paths` must lie in [1, beam_width={beam_width}]; received {top_paths}.")
        log_p = _log_softmax(z.astype(np.float64))
        found = [_beam_search(log_p[row, :n], blank, beam_width, top_paths) for row, n in enumerate(lengths)]
        paths = [f[0] + [[]] * (top_paths - len(f[0])) for f in found]
        scores = np.array([f[1] + [-np.inf] * (top_paths - len(f[1])) for f in found], z.dtype).reshape(batch, -1)
    else:
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")
    decoded = np.full((len(paths[0]) if paths else 1, batch, steps), -1, np.int32)
    for row, row_paths in enumerate(paths):
        for k, labels in enumerate(row_paths):
            decoded[k, row, :len(labels)] = labels
    return decoded, scores

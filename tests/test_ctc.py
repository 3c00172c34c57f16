"""CTC: the loss (class, function and op) and the decoders, against TensorFlow's, against the sum over every
alignment written out by brute force, and against finite differences.

TensorFlow computes the CTC loss in float32 whatever the logits' dtype (Keras casts float64 down and back), so
the comparisons with it hold float32's tolerance; the float64 numbers are proven against the brute force sum and
finite differences instead."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import nnlite
from nnlite import losses, ops

from .helpers import assert_close, fit_both

TF_RTOL = 2e-6  # TensorFlow's float32 lattice against nnlite's float64 one


def brute_force_loss(labels, z, blank=0):
    """-log of the sum, over every path of classes through the steps that collapses to ``labels`` (repeats merged,
    then blanks dropped), of the product of the softmax probabilities along it."""
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(z.shape[-1]), repeat=z.shape[0]):
        merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        if [k for k in merged if k != blank] == list(labels):
            total += np.prod(p[np.arange(z.shape[0]), list(path)])
    return -np.log(total)


def tf_ctc(keras, tf, y, z, label_length, logit_length, blank=0):
    """Keras's ops.ctc_loss on TensorFlow: per-sequence losses and d(sum of them)/dz, as the float32 numbers its
    lattice computes (so that comparisons allow float32's rounding of the gradient's softmax - share)."""
    zt = tf.Variable(z)
    with tf.GradientTape() as tape:
        v = keras.ops.ctc_loss(y, zt, label_length, logit_length, mask_index=blank)
    return v.numpy().astype(np.float32), tape.gradient(v, zt).numpy().astype(np.float32)


def random_case(rng):
    """Logits (batch, T, C) and labels with repeats, rows of different label counts and of different step counts,
    each long enough for an alignment."""
    batch, classes, length = rng.integers(1, 4), rng.integers(2, 6), rng.integers(1, 5)
    steps = 2 * length + rng.integers(1, 4)
    z = rng.normal(size=(batch, steps, classes)) * 2
    y = rng.integers(1, classes, size=(batch, length))
    repeat = rng.random(y.shape) < 0.3
    repeat[:, 0] = False
    y[repeat] = np.roll(y, 1, axis=1)[repeat]  # some labels repeat the one before
    label_length = rng.integers(0, length + 1, size=batch)
    need = label_length + np.array([np.sum(r[:n][1:] == r[:n][:-1]) for r, n in zip(y, label_length)])
    return y, z, label_length, rng.integers(need, steps + 1)


@pytest.mark.parametrize("seed", range(12))
def test_loss_and_gradient_match_tensorflow(keras, tf, seed):
    """Random batches (repeated labels, rows of different label and step counts, the blank moved to another class):
    the per-sequence losses and the logits' gradient equal TensorFlow's to its float32 rounding."""
    rng = np.random.default_rng(seed)
    y, z, label_length, logit_length = random_case(rng)
    blank = int(rng.integers(0, z.shape[2])) if seed % 3 == 0 else 0
    y = np.where(y == blank, 0, y)  # labels name every class but the blank
    expected_v, expected_g = tf_ctc(keras, tf, y, z, label_length, logit_length, blank)
    v = ops.ctc_loss(y, z, label_length, logit_length, mask_index=blank)
    with nnlite.GradientTape() as tape:
        zt = ops.convert_to_tensor(z)
        tape.watch(zt)
        total = ops.sum(ops.ctc_loss(y, zt, label_length, logit_length, mask_index=blank))
    assert_close(v, expected_v, TF_RTOL, "loss")
    assert_close(tape.gradient(total, zt), expected_g, 1e-5, "gradient")


def test_tensorflows_readings_at_the_edges(keras, tf):
    """What TensorFlow's lattice does at its edges, followed: a labelling no alignment fits costs about 707 (its log 0
    is log 1e-307, not -inf) with a finite gradient; a 0 inside the label length emits the blank and takes no share
    of the gradient; no steps at all; labels past the label length are read but never end a path. (Near 707 a float32
    number is rounded to 6e-5, so the gradient there agrees to that.)"""
    z = np.random.default_rng(3).normal(size=(4, 3, 3))
    y = np.array([[1, 1, 0], [1, 0, 2], [2, 1, 2], [2, 2, 2]])
    label_length, logit_length = np.array([2, 3, 2, 3]), np.array([2, 3, 0, 3])
    expected_v, expected_g = tf_ctc(keras, tf, y, z, label_length, logit_length)
    v, g = nnlite.ops.ctc.ctc_values_and_grads(y, z, label_length, logit_length)
    assert expected_v[0] > 700 and expected_v[3] > 700  # the two impossible rows
    assert_close(v, expected_v, TF_RTOL, "loss")
    assert np.max(np.abs(g - expected_g)) < 1e-4
    assert np.all(np.isfinite(g))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_loss_equals_the_sum_over_every_alignment(dtype):
    """The forward recursion against every path written out (C^T of them), blank 0 and blank 2, in float64 to 1e-12
    and float32 to its rounding."""
    rng = np.random.default_rng(7)
    for labels, steps, blank in [([1], 1, 0), ([1, 2], 4, 0), ([1, 1], 4, 0), ([2, 1, 2], 5, 0), ([], 3, 0),
                                 ([0, 1], 4, 2), ([1, 1, 1], 5, 0)]:
        z = rng.normal(size=(1, steps, 3)).astype(dtype)
        y = np.array([labels + [blank if blank else 0] * (3 - len(labels))])  # padded past the label length
        v = ops.ctc_loss(y, z, np.array([len(labels)]), np.array([steps]), mask_index=blank)
        assert np.asarray(v).dtype == dtype
        assert_close(v[0], brute_force_loss(labels, z[0].astype(np.float64), blank),
                     1e-12 if dtype == "float64" else 1e-6, f"{labels} over {steps} steps")


def test_gradient_matches_finite_differences():
    """dloss/dz by the posterior share, against central differences of the loss (rows of different lengths, steps
    past a row's length getting no gradient)."""
    rng = np.random.default_rng(11)
    y = np.array([[1, 2, 2], [3, 1, 0]])
    z = rng.normal(size=(2, 6, 4))
    label_length, logit_length = np.array([3, 2]), np.array([6, 4])
    _, g = nnlite.ops.ctc.ctc_values_and_grads(y, z, label_length, logit_length)
    h, numeric = 1e-6, np.zeros_like(z)
    for index in np.ndindex(z.shape):
        step = np.zeros_like(z)
        step[index] = h
        up = nnlite.ops.ctc.ctc_values_and_grads(y, z + step, label_length, logit_length)[0].sum()
        down = nnlite.ops.ctc.ctc_values_and_grads(y, z - step, label_length, logit_length)[0].sum()
        numeric[index] = (up - down) / (2 * h)
    assert np.all(g[1, 4:] == 0)
    assert_close(g, numeric, 1e-6, "gradient", floor=1e-8)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", None])
def test_ctc_loss_class_matches_keras(keras, tf, rng, reduction):
    """Keras's CTC loss: label counts are the nonzero labels, every step counts; Keras's own test figure (2.448645),
    values and gradients with sample weights, the function form, and the config."""
    logits = (np.arange(24).reshape((2, 4, 3)).astype("float32") - 12) / 100
    y_true = np.array([[1, 2, 1, 0], [1, 2, 0, 2]])
    assert_close(losses.CTC()(y_true, logits), 2.448645, 1e-6, "Keras's test figure")
    y = rng.integers(0, 4, size=(5, 3))
    z = rng.normal(size=(5, 7, 4)).astype("float32")
    sw = rng.uniform(0, 2, 5).astype("float32")
    zt = tf.Variable(z)
    with tf.GradientTape() as tape:
        expected = keras.losses.CTC(reduction=reduction)(y, zt, sample_weight=sw)
        total = tf.reduce_sum(expected)
    expected_g = tape.gradient(total, zt).numpy()
    ours = losses.CTC(reduction=reduction)
    assert_close(ours(y, z, sample_weight=sw), expected.numpy(), TF_RTOL, "value")
    if reduction is not None:
        value, grad = ours.value_and_grad(y, z, sw)
        assert_close(value, expected.numpy(), TF_RTOL, "value_and_grad's value")
        assert_close(grad, expected_g, 1e-5, "gradient")
    assert_close(losses.ctc(y, z), keras.losses.ctc(y, z).numpy(), TF_RTOL, "function")
    assert ours.get_config() == keras.losses.CTC(reduction=reduction).get_config()
    assert isinstance(losses.get("CTC"), losses.CTC) and losses.get("ctc") is losses.ctc
    with pytest.raises(ValueError, match=r"`\(batch_size, max_length\)` in integer format"):
        losses.CTC()(np.ones((2, 3, 1)), z[:2])
    with pytest.raises(ValueError, match=r"`\(batch_size, max_length, num_classes\)`"):
        losses.CTC()(y, z[:, :, 0])


def test_bad_arguments_are_refused_before_any_work():
    z = np.zeros((2, 3, 4))
    y = np.array([[1, 2], [3, 0]])
    with pytest.raises(ValueError, match=r"class in \[0, 4\); received \[5\]"):
        ops.ctc_loss(np.array([[1, 5], [3, 0]]), z, np.array([2, 1]), np.array([3, 3]))
    with pytest.raises(ValueError, match=r"`target_length` must lie in \[0, 2\]"):
        ops.ctc_loss(y, z, np.array([3, 1]), np.array([3, 3]))
    with pytest.raises(ValueError, match=r"`output_length` must lie in \[0, 3\]"):
        ops.ctc_loss(y, z, np.array([2, 1]), np.array([4, 3]))
    with pytest.raises(ValueError, match=r"shape \(2,\); received \(3,\)"):
        ops.ctc_loss(y, z, np.array([2, 1, 1]), np.array([3, 3]))
    with pytest.raises(TypeError, match="integers"):
        ops.ctc_loss(y + 0.5, z, np.array([2, 1]), np.array([3, 3]))
    with pytest.raises(ValueError, match="NaN or inf"):
        ops.ctc_loss(y, np.full((2, 3, 4), np.nan), np.array([2, 1]), np.array([3, 3]))
    with pytest.raises(ValueError, match="Invalid strategy"):
        ops.ctc_decode(z, np.array([3, 3]), strategy="viterbi")


def test_a_sequence_labeller_trains_on_ctc_as_keras(keras, rng):
    """A bidirectional GRU reading (batch, 8 steps, 3 features) with 4 logits per step, compiled with "ctc" and SGD:
    two epochs' losses and the weights after them equal Keras's (float32, as TensorFlow's lattice is; SGD, as Adam's
    normalised steps would magnify float32 rounding in gradients near 0), and the greedy decoder then reads the
    labels back as Keras's."""
    x = rng.normal(size=(24, 8, 3)).astype("float32")
    y = rng.integers(1, 4, size=(24, 3))
    y[::4, 2] = 0

    def model(lib):
        return lib.Sequential([lib.Input((8, 3)), lib.layers.Bidirectional(lib.layers.GRU(5, return_sequences=True)),
                               lib.layers.Dense(4)])
    theirs, ours = model(keras), model(nnlite)
    fit_both(keras, theirs, ours, x, y, ("SGD", 0.1), "ctc", 8, rtol=1e-5, weights_rtol=1e-4)
    lengths = np.full(24, 8)
    decoded, scores = ops.ctc_decode(ours.predict(x, verbose=0), lengths)
    theirs_decoded, theirs_scores = keras.ops.ctc_decode(theirs.predict(x, verbose=0), lengths)
    assert np.array_equal(decoded, theirs_decoded.numpy())
    assert_close(scores, theirs_scores.numpy(), 1e-5, "greedy scores")


@pytest.mark.parametrize("seed", range(6))
def test_decoders_match_tensorflow(keras, seed):
    """Greedy decoding (repeats merged or not, ties to the first class, the blank first, second or last) and a beam
    wide enough to hold every labelling it meets: labellings and scores equal TensorFlow's."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(3, 6, 4)) * 2
    if seed % 2:
        z = np.round(z)  # ties
    lengths = rng.integers(1, 7, size=3)
    for kwargs in [{"strategy": "greedy"}, {"strategy": "greedy", "merge_repeated": False},
                   {"strategy": "greedy", "mask_index": None}, {"strategy": "greedy", "mask_index": 2},
                   {"strategy": "beam_search", "beam_width": 500}, {"strategy": "beam_search", "beam_width": 500,
                                                                     "mask_index": 1}]:
        expected_d, expected_s = keras.ops.ctc_decode(z, lengths, **kwargs)
        decoded, scores = ops.ctc_decode(z, lengths, **kwargs)
        assert np.array_equal(decoded, expected_d.numpy()), kwargs
        assert np.asarray(decoded).dtype == np.int32
        assert_close(scores, expected_s.numpy(), 1e-6, str(kwargs))


def test_beam_search_finds_the_likeliest_labellings():
    """With every labelling kept, the beam's top paths are the likeliest labellings, their scores the log of their
    summed alignments (the brute force sum); a narrow beam still finds the best one here."""
    rng = np.random.default_rng(5)
    z = rng.normal(size=(1, 4, 3)) * 1.5
    probabilities = {}
    for path in itertools.product(range(3), repeat=4):
        merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        probabilities.setdefault(tuple(k for k in merged if k != 0), 0.0)
    for labels in probabilities:
        probabilities[labels] = -brute_force_loss(labels, z[0])
    best = sorted(probabilities, key=probabilities.get, reverse=True)[:3]
    decoded, scores = ops.ctc_decode(z, np.array([4]), strategy="beam_search", beam_width=100, top_paths=3)
    for k, labels in enumerate(best):
        assert list(np.asarray(decoded)[k, 0, :len(labels)]) == list(labels)
        assert np.all(np.asarray(decoded)[k, 0, len(labels):] == -1)
        assert_close(scores[0, k], probabilities[labels], 1e-12, f"score of {labels}")
    narrow, _ = ops.ctc_decode(z, np.array([4]), strategy="beam_search", beam_width=3)
    assert list(np.asarray(narrow)[0, 0, :len(best[0])]) == list(best[0])


def test_extreme_logits_give_finite_numbers_without_warnings():
    """Logits of +-1e4 in float32 (a softmax of exact 0s and 1s), a likely and a nearly impossible labelling: the
    losses, gradients and the beam search stay finite and quiet."""
    z = np.array([[[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [0.0, 0.0, 1e4]]], dtype=np.float32)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        for labels in ([[1, 2]], [[1, 1]], [[0, 0]]):
            value, grad = losses.CTC().value_and_grad(np.array(labels), z)
            assert np.isfinite(value) and np.all(np.isfinite(grad)), labels
        decoded, scores = ops.ctc_decode(z, np.array([3]), strategy="beam_search", beam_width=4, top_paths=2)
    assert np.asarray(decoded)[0, 0].tolist() == [1, 2, -1] and np.all(np.isfinite(scores))

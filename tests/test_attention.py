"""MultiHeadAttention against Keras (TensorFlow): outputs, attention scores and every gradient (query, value, key
and the eight weights) over key/value dims, output_shape, attention masks, causal and sliding-window masks and the
inputs' own masks (a row with nothing to attend included); a small Transformer block on padded token ids fitted as
Keras fits it; .keras files both ways; Keras's errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite.layers import Context

from .conftest import RTOL
from .helpers import assert_close, central_differences, files_load_both_ways, fit_both

CASES = [
    ({"num_heads": 2, "key_dim": 3}, {}, {}),
    ({"num_heads": 2, "key_dim": 3, "value_dim": 4, "output_shape": 5}, {}, {"key": True}),
    ({"num_heads": 3, "key_dim": 2}, {"return_attention_scores": True}, {"attention_mask": True}),
    ({"num_heads": 2, "key_dim": 3}, {"use_causal_mask": True}, {"value_mask": True}),
    ({"num_heads": 2, "key_dim": 3, "use_bias": False, "sliding_window": 2},
     {"use_causal_mask": True, "return_attention_scores": True}, {"attention_mask": True}),
    ({"num_heads": 2, "key_dim": 3}, {}, {"attention_mask": True, "masked_row": True}),  # attends to all alike
]


CASES += [
    ({"num_heads": 2, "key_dim": 3, "value_dim": 4, "use_gate": True}, {}, {"key": True}),
    ({"num_heads": 2, "key_dim": 3, "use_gate": True}, {"return_attention_scores": True}, {"attention_mask": True}),
]
HIGH_RANK_CASES = [  # attention_axes: the other inner axes are batch axes; masks as Keras reads them
    ({"num_heads": 2, "key_dim": 3, "attention_axes": 2}, {},  # a mask of (B, T, S): alike for every F
     {"attention_mask": True, "shapes": ((2, 3, 4, 6), (2, 3, 5, 6), None, (2, 4, 5))}),
    ({"num_heads": 2, "key_dim": 3, "attention_axes": (2,)}, {"return_attention_scores": True},
     {"attention_mask": True, "value_mask": True, "shapes": ((2, 3, 4, 6), (2, 3, 5, 6), None, (2, 3, 4, 5))}),
    ({"num_heads": 2, "key_dim": 3, "attention_axes": -2, "use_gate": True}, {"return_attention_scores": True},
     {"attention_mask": True, "shapes": ((2, 3, 4, 6), (2, 3, 5, 6), None, (2, 3, 2, 4, 5))}),  # one per head
    ({"num_heads": 2, "key_dim": 3, "attention_axes": (1, 2)}, {"return_attention_scores": True},  # two axes at once
     {"attention_mask": True, "shapes": ((2, 3, 4, 6), (2, 2, 5, 6), None, (2, 3, 4, 2, 5))}),
    ({"num_heads": 2, "key_dim": 3, "attention_axes": (2, 1)}, {"return_attention_scores": True},  # scores' order
     {"shapes": ((2, 3, 4, 6), (2, 2, 5, 6), None, None)}),
    ({"num_heads": 2, "key_dim": 2, "value_dim": 3, "attention_axes": (2, 3), "output_shape": (3, 2)},
     {"return_attention_scores": True},
     {"key": True, "attention_mask": True, "shapes": ((2, 2, 3, 4, 6), (2, 2, 2, 5, 3), (2, 2, 2, 5, 4),
                                                      (2, 2, 3, 4, 2, 5))}),
    ({"num_heads": 2, "key_dim": 3}, {},  # default axes: every inner axis
     {"shapes": ((2, 3, 4, 6), (2, 1, 5, 6), None, None)}),
    ({"num_heads": 2, "key_dim": 3, "attention_axes": 1}, {"use_causal_mask": True, "return_attention_scores": True},
     {"shapes": ((2, 5, 3, 6), (2, 5, 3, 6), None, None)}),  # causal over axis 1 of 4-D inputs
    ({"num_heads": 2, "key_dim": 3, "output_shape": (4, 2)}, {}, {"attention_mask": True,  # a mask of (T, S)
                                                                  "shapes": ((2, 4, 6), (2, 5, 3), None, (4, 5))}),
    ({"num_heads": 2, "key_dim": 3}, {"return_attention_scores": True}, {"attention_mask": True,  # per head
                                                                         "shapes": ((2, 4, 6), (2, 5, 3), None,
                                                                                    (2, 2, 4, 5))}),
]
GQA_CASES = [  # grouped-query attention: the query and the value of one width
    ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, {}, {}),
    ({"head_dim": 2, "num_query_heads": 6, "num_key_value_heads": 3}, {"return_attention_scores": True},
     {"key": True, "attention_mask": True}),
    ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 1, "use_gate": True}, {"use_causal_mask": True},
     {"value_mask": True}),  # one key/value head: multi-query attention
    ({"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 2, "sliding_window": 2, "use_bias": False},
     {"use_causal_mask": True}, {}),
]


@pytest.mark.parametrize(("settings", "options", "given"), CASES, ids=lambda c: ",".join(map(str, c)) or "plain")
def test_outputs_scores_and_every_gradient_match_tensorflow(keras, tf, float64, rng, settings, options, given):
    _compare(keras, tf, rng, "MultiHeadAttention", settings, options, given)


@pytest.mark.parametrize(("settings", "options", "given"), HIGH_RANK_CASES,
                         ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items() if k != "shapes") or "plain")
def test_high_rank_inputs_and_attention_axes_match_tensorflow(keras, tf, float64, rng, settings, options, given):
    """Inputs of rank 4 and 5 attending over one axis or two (the others batch axes), output_shape of two sizes,
    attention masks of every rank Keras reads (missing axes broadcast; one mask per head), scores in Keras's
    layout (B, F..., N, T_A..., S_A...), and every gradient."""
    _compare(keras, tf, rng, "MultiHeadAttention", settings, options, given)


@pytest.mark.parametrize(("settings", "options", "given"), GQA_CASES, ids=lambda c: ",".join(map(str, c)) or "plain")
def test_grouped_query_attention_matches_tensorflow(keras, tf, float64, rng, settings, options, given):
    """The key and value heads repeated for the query heads, their gradients summed back; the gate; Keras's
    fused dot-product path (no dropout, no scores) and its explicit one agree with nnlite's single path."""
    _compare(keras, tf, rng, "GroupQueryAttention", settings, options, given)


def _compare(keras, tf, rng, name, settings, options, given):
    """nnlite's layer and Keras's from the same weights: outputs (and scores) and every gradient. ``given`` names
    the key and the masks to pass, and may set the inputs' shapes (``shapes``: query, value, key, attention mask)."""
    query_shape, value_shape, key_shape, mask_shape = given.get("shapes", (
        (2, 4, 6), (2, 5, 6 if name == "GroupQueryAttention" else 3), (2, 5, 7), (2, 4, 5)))
    query, value = rng.normal(size=query_shape), rng.normal(size=value_shape)
    key = rng.normal(size=key_shape) if given.get("key") else None
    mask = None
    if given.get("attention_mask"):
        mask = rng.random(mask_shape) > 0.3
        mask[(0,) * mask.ndim] = False  # with a causal mask: query step 0 has nothing left to attend
        if given.get("masked_row"):  # query step 1 of the first sample attends nothing: Keras's fused kernel
            mask[0, 1] = False  # spreads it evenly, and no gradient reaches the scores it masks
    value_mask = None
    if given.get("value_mask"):  # value steps left out here and there
        value_mask = rng.random(value_shape[:-1]) > 0.3
    ours = getattr(nnlite.layers, name)(**settings, bias_initializer="random_normal", seed=1)
    theirs = getattr(keras.layers, name)(**settings)
    ours(query, value, key=key, attention_mask=mask, **options)
    theirs(query, value, key=key, attention_mask=mask, **options)
    theirs.set_weights(ours.get_weights())
    tensors = [tf.constant(t) for t in (query, value, key) if t is not None]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        out = theirs(tensors[0], tensors[1], key=tensors[2] if key is not None else None,
                     attention_mask=None if mask is None else tf.constant(mask),
                     value_mask=None if value_mask is None else tf.constant(value_mask), **options)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        seeds = [rng.normal(size=o.shape) for o in outs]
        loss = sum(tf.reduce_sum(o * s) for o, s in zip(outs, seeds))
    expected = tape.gradient(loss, [*tensors, *theirs.trainable_weights])
    inputs = [query, value] + ([key] if key is not None else []) + ([mask] if mask is not None else [])
    ctx = Context(training=True)
    a, saved = ours.forward_masked(inputs, None if value_mask is None else [None, value_mask, None], ctx)
    for k, (o, e) in enumerate(zip(a if isinstance(a, list) else [a], outs)):
        assert_close(o, np.asarray(e), RTOL["float64"], f"output {k}")
    grads = ours.backward(saved, seeds if len(seeds) > 1 else seeds[0], ctx)[:len(tensors)]
    grads += [ctx.grad(w) for w in ours.trainable_weights]
    assert len(grads) == len(expected)
    names = ["query", "value", "key"][:len(tensors)] + [w.name for w in ours.trainable_weights]
    for what, g, e in zip(names, grads, expected):
        if what == "key_bias":  # q . b_k shifts a whole row of scores: the softmax ignores it, dL/db_k = 0
            assert np.abs(g).max() < 1e-14 and np.abs(np.asarray(e)).max() < 1e-14
            continue
        assert_close(g, np.asarray(e), RTOL["float64"], f"grad {what}")


def _transformer(lib, causal):
    """A Transformer encoder block on token ids (the keras.io text-classification shape, without positions)."""
    layers = lib.layers
    ids = lib.Input((8,))
    x = layers.Embedding(30, 8, mask_zero=True)(ids)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=causal)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, attended]))
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, layers.Dense(8)(layers.Dense(16, activation="relu")(
        x))]))
    return lib.Model(ids, layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling1D()(x)))


@pytest.mark.parametrize("causal", [False, True], ids=["encoder", "causal"])
def test_a_transformer_block_on_padded_ids_fits_as_keras_fits_it(keras, float64, rng, tmp_path, causal):
    """The padding's mask reaches the attention (as query and value masks), the residual Add, and the average."""
    lengths = rng.integers(2, 9, size=32)
    x = rng.integers(1, 30, size=(32, 8)).astype(float)
    x[np.arange(8)[None, :] >= lengths[:, None]] = 0
    y = rng.integers(0, 2, size=32)
    theirs, ours = _transformer(keras, causal), _transformer(nnlite, causal)
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    ours.compile(nnlite.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    expected = theirs.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    history = ours.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    for key in expected:
        assert_close(history[key], expected[key], RTOL["float64"], key)
    for w, e in zip(ours.get_weights(), theirs.get_weights()):
        if np.abs(e).max() < 1e-12:  # the key bias: a zero gradient (see above) leaves it at 0 but for rounding
            assert np.abs(w).max() < 1e-12
            continue
        assert_close(w, e, 1e-7, "weights after the fit")
    files_load_both_ways(keras, theirs, ours, x, tmp_path)


def test_attention_scores_come_out_of_a_graph(keras, float64, rng):
    def model(lib):
        query, value = lib.Input((4, 6)), lib.Input((5, 3))
        out, scores = lib.layers.MultiHeadAttention(2, 3)(query, value, return_attention_scores=True)
        return lib.Model([query, value], [out, scores])
    theirs, ours = model(keras), model(nnlite)
    ours.set_weights(theirs.get_weights())
    x = [rng.normal(size=(3, 4, 6)), rng.normal(size=(3, 5, 3))]
    for o, e in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        assert_close(o, e, RTOL["float64"], "output and scores")


def test_high_rank_attention_in_a_graph_fits_and_files_load_both_ways(keras, float64, rng, tmp_path):
    """A model of 4-D inputs attending over axis 2 with a two-size output_shape and its scores as an output: the
    symbolic shapes, predictions, a fit, and .keras files both ways (W_o of shape (N, v, 3, 2))."""
    def model(lib):
        query, value = lib.Input((3, 4, 6)), lib.Input((3, 5, 2))
        out, scores = lib.layers.MultiHeadAttention(2, 3, output_shape=(3, 2), attention_axes=2)(
            query, value, return_attention_scores=True)
        return lib.Model([query, value], [lib.layers.Flatten()(out), lib.layers.Flatten()(scores)])
    theirs, ours = model(keras), model(nnlite)
    assert [tuple(o.shape) for o in ours.outputs] == [(None, 72), (None, 120)]
    ours.set_weights(theirs.get_weights())
    assert [w.shape for w in ours.weights][-2:] == [(2, 3, 3, 2), (3, 2)]
    x = [rng.normal(size=(8, 3, 4, 6)), rng.normal(size=(8, 3, 5, 2))]
    for o, e in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        assert_close(o, e, RTOL["float64"], "output and scores")
    y = [rng.normal(size=(8, 72)), rng.normal(size=(8, 120))]
    theirs.compile(keras.optimizers.SGD(0.1), "mse")
    ours.compile(nnlite.optimizers.SGD(0.1), "mse")
    expected = theirs.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    assert_close(ours.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"], expected["loss"],
                 RTOL["float64"], "loss")
    for w, e in zip(ours.get_weights(), theirs.get_weights()):
        if np.abs(e).max() < 1e-12:  # the key bias: no gradient reaches it (see above), zero but for rounding
            assert np.abs(w).max() < 1e-12
            continue
        assert_close(w, e, 1e-7, "weights after the fit")
    theirs.save(tmp_path / "theirs.keras")
    ours.save(tmp_path / "ours.keras")
    for loaded, wrote in ((nnlite.saving.load_model(tmp_path / "theirs.keras"), theirs),
                          (keras.saving.load_model(tmp_path / "ours.keras"), ours)):
        for o, e in zip(loaded.predict(x, verbose=0), wrote.predict(x, verbose=0)):
            assert_close(o, e, 1e-12, f"{type(loaded).__module__} loads the other's file")


def test_keras_errors_and_config(keras):
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="invalid value for argument `num_heads`"):
            lib.layers.MultiHeadAttention(0, 2)
        with pytest.raises(ValueError, match="invalid value for argument `key_dim`"):
            lib.layers.MultiHeadAttention(2, -1)
        with pytest.raises(ValueError, match="`sliding_window` must be `None` or a positive integer"):
            lib.layers.MultiHeadAttention(2, 2, sliding_window=0)
        with pytest.raises(ValueError, match=r"Invalid `output_shape`: 8.0\. When specified, the `output_shape` "):
            lib.layers.MultiHeadAttention(2, 2, output_shape=8.0)
        with pytest.raises(ValueError, match=r"`attention_axes` must be an int, list, or tuple\.Received: "
                                             r"attention_axes=a"):
            lib.layers.MultiHeadAttention(2, 2, attention_axes="a")
        with pytest.raises(ValueError, match=r"All dimensions of `value` and `key`, except the last one, must be "
                                             r"equal\. Received: value_shape=\(2, 1, 1, 5, 8\) and key_shape"):
            lib.layers.MultiHeadAttention(4, 2).compute_output_shape((2, 4, 2, 3, 8), (2, 1, 1, 5, 8),
                                                                     (2, 1, 15, 5, 2))
    for query, value, key, output_shape in (((7, 4, 8), (7, 2, 8), (7, 2, 3), (3, 4)),
                                            ((7, 4, 2, 3, 8), (7, 1, 1, 5, 8), (7, 1, 1, 5, 2), (3, 2)),
                                            ((7, 4, 2, 3, 8), (7, 4, 2, 3, 7), None, None)):
        layers = [lib.layers.MultiHeadAttention(2, 2, output_shape=output_shape) for lib in (keras, nnlite)]
        expected = tuple(layers[0].compute_output_shape(query, value, key))
        assert layers[1].compute_output_shape(list(query), list(value), key and list(key)) == expected
        got = layers[1](np.ones(query), np.ones(value), key=None if key is None else np.ones(key))
        assert got.shape == expected == tuple(layers[0](np.ones(query), np.ones(value),
                                                        key=None if key is None else np.ones(key)).shape)
        assert layers[1].get_config()["attention_axes"] == layers[0].get_config()["attention_axes"]  # once built
        assert type(layers[1](np.ones(query), np.ones(value), key=None if key is None else np.ones(key),
                              return_attention_scores=True)) is tuple  # (output, scores), as Keras returns them
    settings = {"num_heads": 2, "key_dim": 3, "value_dim": 4, "dropout": 0.1, "output_shape": (5,), "seed": 3}
    ours, theirs = nnlite.layers.MultiHeadAttention(**settings), keras.layers.MultiHeadAttention(**settings)
    config, expected = ours.get_config(), theirs.get_config()
    assert sorted(config) == sorted(expected)
    for key in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "sliding_window",
                "use_gate", "seed"):
        assert config[key] == expected[key], key
    assert nnlite.layers.MultiHeadAttention.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="one set of options"):
        x = nnlite.Input((4, 6))
        layer = nnlite.layers.MultiHeadAttention(2, 3)
        layer(x, x)
        layer(x, x, use_causal_mask=True)
    with pytest.raises(ValueError, match=r"orders the steps of one attention axis only; .* attention_axes=\(1, 2\)"):
        nnlite.layers.MultiHeadAttention(2, 3)(np.ones((1, 2, 3, 4)), np.ones((1, 2, 3, 4)), use_causal_mask=True)
    with pytest.raises(ValueError, match=r"distinct axes between the batch axis and the features of inputs of rank "
                                         r"4 \(1 to 2, or -3 to -2\); got attention_axes=\(3,\)"):
        nnlite.layers.MultiHeadAttention(2, 3, attention_axes=3)(np.ones((1, 2, 3, 4)), np.ones((1, 2, 3, 4)))
    with pytest.raises(ValueError, match=r"reads `attention_mask` against its scores of shape \(1, 2, 3, 3\) .* "
                                         r"got attention_mask of shape \(3, 3, 3\)"):
        nnlite.layers.MultiHeadAttention(2, 3)(np.ones((1, 3, 4)), np.ones((1, 3, 4)), attention_mask=np.ones(
            (3, 3, 3)))


def test_dropout_on_the_attention_probabilities_has_an_exact_gradient(rng):
    layer = nnlite.layers.MultiHeadAttention(2, 3, dropout=0.3, seed=0, dtype="float64")
    query, value = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    layer(query, value)
    seed = rng.normal(size=(2, 3, 4))

    def loss(q):
        return float(np.sum(seed * layer.forward([q, value], Context(training=True, peek=True))[0]))
    ctx = Context(training=True, peek=True)
    _, saved = layer.forward([query, value], ctx)
    grad = layer.backward(saved, seed, ctx)[0]
    assert_close(grad, central_differences(loss, query), 1e-6, "grad query", floor=1e-8)
    assert np.array_equal(layer(query, value), layer(query, value))  # inference drops nothing


@pytest.mark.parametrize("name", ["Attention", "AdditiveAttention"])
def test_returned_scores_are_the_dropped_probabilities_with_an_exact_gradient(rng, name):
    """With dropout while training, Attention returns P as dropout left it (Keras's): the output is exactly those
    scores times V, and the gradient of both outputs matches finite differences."""
    layer = getattr(nnlite.layers, name)(dropout=0.4, seed=0, dtype="float64")
    query, value = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    out, scores = layer([query, value], return_attention_scores=True, training=True)
    assert type(layer([query, value], return_attention_scores=True)) is tuple  # as Keras returns them
    assert np.allclose(out, scores @ value, rtol=1e-12) and (scores == 0).any()
    assert not np.allclose(np.sum(scores, axis=-1), 1.0)  # kept entries scaled by 1 / (1 - rate)
    seeds = [rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 5))]

    def loss(q):
        a, p = layer.forward([q, value], Context(training=True, peek=True))[0]
        return float(np.sum(seeds[0] * a) + np.sum(seeds[1] * p))
    ctx = Context(training=True, peek=True)
    _, saved = layer.forward([query, value], ctx)
    grad = layer.backward(saved, seeds, ctx)[0]
    assert_close(grad, central_differences(loss, query), 1e-6, "grad query", floor=1e-8)


DOT_CASES = [
    ("Attention", {}, {}, False, False),
    ("Attention", {"use_scale": True}, {"return_attention_scores": True}, True, True),
    ("Attention", {"score_mode": "concat"}, {"use_causal_mask": True}, False, False),
    ("Attention", {"score_mode": "concat", "use_scale": True}, {}, True, True),
    ("AdditiveAttention", {}, {}, False, True),
    ("AdditiveAttention", {"use_scale": False}, {"use_causal_mask": True, "return_attention_scores": True}, True,
     False),
    ("Attention", {}, {"return_attention_scores": True}, False, False, (2, 3)),  # more batch axes: (B, 3, T, dim)
    ("Attention", {"score_mode": "concat", "use_scale": True}, {"use_causal_mask": True}, True, False, (2, 2, 3)),
    ("AdditiveAttention", {}, {"return_attention_scores": True}, True, False, (2, 3)),
]


@pytest.mark.parametrize(("name", "settings", "options", "key", "masked", "batch"),
                         [case + ((2,),) * (len(case) == 5) for case in DOT_CASES], ids=lambda c: str(c))
def test_dot_and_additive_attention_match_tensorflow(keras, tf, float64, rng, name, settings, options, key, masked,
                                                     batch):
    """Attention (dot and concat scores, learnt scale) and AdditiveAttention: outputs, scores and every gradient
    (query, value, key, the scale and score weights), with value masks (masked value steps) and query masks (zero
    rows), inputs with more batch axes than one, against Keras."""
    inputs = [rng.normal(size=(*batch, 4, 3)), rng.normal(size=(*batch, 5, 3))] + (
        [rng.normal(size=(*batch, 5, 3))] if key else [])
    ours, theirs = getattr(nnlite.layers, name)(**settings), getattr(keras.layers, name)(**settings)
    ours(inputs, **options)
    theirs(inputs, **options)
    weights = [rng.normal(size=w.shape) for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    masks = [np.array([[1, 1, 0, 1], [1, 1, 1, 1]], bool), np.array([[1, 1, 0, 1, 1], [1, 1, 1, 0, 0]], bool)]
    tensors = [tf.constant(t) for t in inputs]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        out = theirs(tensors, mask=[tf.constant(m) for m in masks] if masked else None, **options)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        seeds = [rng.normal(size=o.shape) for o in outs]
        loss = sum(tf.reduce_sum(o * s) for o, s in zip(outs, seeds))
    expected = tape.gradient(loss, [*tensors, *theirs.trainable_weights])
    ctx = Context(training=True)
    a, saved = ours.forward_masked(inputs, masks if masked else None, ctx)
    for k, (o, e) in enumerate(zip(a if isinstance(a, list) else [a], outs)):
        assert_close(o, np.asarray(e), RTOL["float64"], f"output {k}")
    grads = ours.backward(saved, seeds if len(seeds) > 1 else seeds[0], ctx) + [ctx.grad(w) for w in
                                                                                ours.trainable_weights]
    assert len(grads) == len(expected)
    for k, (g, e) in enumerate(zip(grads, expected)):
        assert_close(g, np.asarray(e), RTOL["float64"], f"grad {k}")


def _query_value_model(lib, name):
    """keras.io's Attention example: token embeddings of a query and a value, a shared Conv1D, attention, pooled."""
    layers = lib.layers
    query_ids, value_ids = lib.Input((6,)), lib.Input((7,))
    embed = layers.Embedding(20, 4)
    conv = layers.Conv1D(5, 3, padding="same")
    query, value = conv(embed(query_ids)), conv(embed(value_ids))
    attended = getattr(layers, name)()([query, value])
    pooled = layers.Concatenate()([layers.GlobalAveragePooling1D()(query), layers.GlobalAveragePooling1D()(attended)])
    return lib.Model([query_ids, value_ids], layers.Dense(1, activation="sigmoid")(pooled))


@pytest.mark.parametrize("name", ["Attention", "AdditiveAttention"])
def test_the_keras_io_attention_example_fits_as_keras_and_its_files_load(keras, float64, rng, tmp_path, name):
    """The Embedding and Conv1D are shared by the query and the value: Adam squares the embedding's gradient per
    token occurrence of both calls, as Keras does (it took the last call's alone, and diverged)."""
    x = [rng.integers(0, 20, size=(24, 6)).astype(float), rng.integers(0, 20, size=(24, 7)).astype(float)]
    y = rng.integers(0, 2, size=(24, 1)).astype(float)
    theirs, ours = _query_value_model(keras, name), _query_value_model(nnlite, name)
    fit_both(keras, theirs, ours, x, y, ("Adam", 0.01), "binary_crossentropy", 8)
    files_load_both_ways(keras, theirs, ours, x, tmp_path)


def test_dot_attention_configs_and_errors_match_keras(keras):
    for name, settings in (("Attention", {"use_scale": True, "score_mode": "concat", "dropout": 0.2}),
                           ("AdditiveAttention", {"use_scale": False, "dropout": 0.1})):
        ours, theirs = getattr(nnlite.layers, name)(**settings), getattr(keras.layers, name)(**settings)
        config, expected = ours.get_config(), theirs.get_config()
        assert sorted(config) == sorted(expected)
        assert all(config[k] == expected[k] for k in expected if k not in ("name", "dtype"))
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="Invalid value for argument score_mode"):
            lib.layers.Attention(score_mode="add")
        with pytest.raises(ValueError, match="must be called on a list of inputs"):
            lib.layers.Attention()(np.ones((1, 2, 3)))


def test_bad_inputs_are_named():
    mha = nnlite.layers.MultiHeadAttention(2, 2)
    with pytest.raises(ValueError, match=r"pairs each query with the key of its batch .* got query_shape=\(2, 3, 4\)"):
        mha(np.ones((2, 3, 4)), np.ones((3, 3, 4)))
    mha(np.ones((2, 3, 4)), np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"built for query inputs of 4 features; got shape \(2, 3, 5\)"):
        mha(np.ones((2, 3, 5)), np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="All dimensions of `value` and `key`, except the last one, must be equal"):
        nnlite.layers.MultiHeadAttention(4, 2)(np.ones((2, 4, 8)), np.ones((2, 2, 8)), key=np.ones((2, 1, 7)))
    with pytest.raises(ValueError, match="the query's and key's features equal"):
        nnlite.layers.Attention()([np.ones((1, 2, 3)), np.ones((1, 4, 5))])


def test_grouped_query_attention_config_errors_and_files(keras, float64, rng, tmp_path):
    """Keras's config keys and values, its errors, both class names, and a gated Transformer block with
    grouped-query attention trained as Keras trains it, its files read both ways."""
    settings = {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2, "dropout": 0.1, "use_gate": True,
                "sliding_window": 3, "seed": 5}
    ours, theirs = nnlite.layers.GroupQueryAttention(**settings), keras.layers.GroupQueryAttention(**settings)
    config, expected = ours.get_config(), theirs.get_config()
    assert sorted(config) == sorted(expected)
    for key in expected:
        if key not in ("name", "dtype", "kernel_initializer", "bias_initializer"):
            assert config[key] == expected[key], key
    assert nnlite.layers.GroupedQueryAttention is nnlite.layers.GroupQueryAttention
    assert nnlite.layers.deserialize({"class_name": "GroupQueryAttention", "config": config}).get_config() == config
    for lib in (keras, nnlite):
        with pytest.raises(ValueError, match="`num_query_heads` must be divisible by `num_key_value_heads`"):
            lib.layers.GroupQueryAttention(2, 3, 2)
        with pytest.raises(ValueError, match="`sliding_window` must be `None` or a positive integer"):
            lib.layers.GroupQueryAttention(2, 4, 2, sliding_window=0)
        with pytest.raises(ValueError, match=r"The last dimension of `query_shape` and `value_shape` must be equal, "
                                             r"but are 8, 7\. Received: query_shape=\(2, 4, 8\)"):
            lib.layers.GroupQueryAttention(2, 4, 4).compute_output_shape((2, 4, 8), (2, 2, 7), 2)
        with pytest.raises(ValueError, match=r"must be equal\. Received: value_shape=\(2, 2, 8\) and key_shape"):
            lib.layers.GroupQueryAttention(2, 4, 4).compute_output_shape((2, 4, 8), (2, 2, 8), (2, 1, 7))

    def block(lib):
        x = lib.Input((5, 8))
        h = lib.layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2, use_gate=True,
                                           use_bias=False)(  # a key bias has a zero gradient: noise after a fit
            x, x, use_causal_mask=True)
        h = lib.layers.LayerNormalization()(lib.layers.Add()([x, h]))
        return lib.Model(x, lib.layers.Dense(1)(lib.layers.GlobalAveragePooling1D()(h)))
    x, y = rng.normal(size=(16, 5, 8)), rng.normal(size=(16, 1))
    theirs, ours = block(keras), block(nnlite)
    fit_both(keras, theirs, ours, x, y, ("Adam", 0.01), "mse", 4)
    files_load_both_ways(keras, theirs, ours, x, tmp_path)

"""SimpleRNN, LSTM and GRU against Keras (TensorFlow): outputs, states and every gradient (input, initial states,
kernel, recurrent kernel, bias) over return_sequences/return_state, go_backwards, masks (both output rules) and
initial states; masks made by Embedding(mask_zero=True) and Masking through whole fits (the loss and metrics leave
masked steps out); an encoder-decoder started from the encoder's states; .keras files both ways; stateful layers;
dropout against finite differences; Keras's errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite.layers import Context

from .conftest import RTOL
from .helpers import assert_close, compare_sequence_layer, files_load_both_ways, fit_both

MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 1, 0], [0, 0, 1, 1, 1]], bool)  # a gap, a masked end, a masked start
CASES = [
    {},
    {"return_sequences": True},
    {"return_sequences": True, "go_backwards": True, "return_state": True},
    {"return_state": True, "initial": True},
    {"return_sequences": True, "mask": True},
    {"return_sequences": True, "zero_output_for_mask": True, "mask": True},
    {"go_backwards": True, "mask": True, "initial": True},
    {"return_state": True, "mask": True},
    {"use_bias": False, "return_sequences": True},
    {"activation": "relu", "return_sequences": True},
]
STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}


def _compare(keras, tf, rng, name, case, **extra):
    """nnlite's layer and Keras's from the same weights, L = sum of seed * output for every output: the outputs
    and dL/d(input, initial states, weights) agree to float64's contract."""
    case = dict(case)
    masked, initial = case.pop("mask", False), case.pop("initial", False)
    kwargs = {**case, **extra}
    x = rng.normal(size=(3, 5, 4))
    states = [rng.normal(size=(3, 3)) for _ in range(STATES[name])] if initial else []
    ours, theirs = getattr(nnlite.layers, name)(3, **kwargs), getattr(keras.layers, name)(3, **kwargs)
    ours.build((None, 5, 4))
    theirs.build((None, 5, 4))
    weights = [rng.normal(size=w.shape) * 0.5 for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    compare_sequence_layer(tf, ours, theirs, x, states, lambda st: st, MASK if masked else None, rng,
                           f"{name} {case}", RTOL["float64"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: ",".join(c) or "plain")
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_outputs_and_every_gradient_match_tensorflow(keras, tf, float64, rng, name, case):
    _compare(keras, tf, rng, name, case)


@pytest.mark.parametrize("case", [{"return_sequences": True}, {"mask": True, "initial": True},
                                  {"go_backwards": True, "return_state": True, "use_bias": False}],
                         ids=lambda c: ",".join(c))
def test_gru_with_the_reset_gate_before_the_product_matches_tensorflow(keras, tf, float64, rng, case):
    _compare(keras, tf, rng, "GRU", case, reset_after=False)


def test_lstm_with_other_activations_matches_tensorflow(keras, tf, float64, rng):
    _compare(keras, tf, rng, "LSTM", {"return_sequences": True, "mask": True},
             activation="relu", recurrent_activation="hard_sigmoid")


def _text_model(lib, kind, sequences, masking):
    layers = lib.layers
    if masking == "Masking":  # padded steps are all-zero vectors
        inputs = lib.Input((7, 3))
        h = layers.Masking()(inputs)
    else:
        inputs = lib.Input((7,))
        h = layers.Embedding(20, 5, mask_zero=True)(inputs)
    h = getattr(layers, kind)(4, return_sequences=sequences)(h)
    return lib.Model(inputs, layers.Dense(2)(h) if sequences else layers.Dense(1, activation="sigmoid")(h))


@pytest.mark.parametrize("masking", ["Embedding", "Masking"])
@pytest.mark.parametrize("sequences", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_masked_fits_equal_keras(keras, float64, rng, kind, sequences, masking):
    """A fit on padded sequences: the recurrent layer skips the padding and, for sequence outputs, the loss and
    the metric leave the padded steps out (Keras's mask on the prediction). Weights, logs, evaluate and predict
    equal Keras's."""
    lengths = rng.integers(1, 8, size=48)
    if masking == "Masking":
        x = rng.normal(size=(48, 7, 3))
        x[np.arange(7)[None, :] >= lengths[:, None]] = 0.0
    else:
        x = rng.integers(1, 20, size=(48, 7)).astype(float)
        x[np.arange(7)[None, :] >= lengths[:, None]] = 0
    y = rng.normal(size=(48, 7, 2)) if sequences else rng.integers(0, 2, size=(48, 1)).astype(float)
    theirs, ours = _text_model(keras, kind, sequences, masking), _text_model(nnlite, kind, sequences, masking)
    loss, metrics = ("mse", ["mae"]) if sequences else ("binary_crossentropy", ["accuracy"])
    fit_both(keras, theirs, ours, x, y, ("Adam", 0.01), loss, 16, metrics)
    assert_close(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), 1e-7, "evaluate")
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), 1e-7, "predict")


def test_masks_change_the_loss_as_keras_weighs_them():
    """The mean over the valid entries only: a model whose output carries a mask (Embedding(mask_zero=True),
    return_sequences) has the loss of its unmasked steps alone, whatever the masked steps predict."""
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Embedding(4, 1, mask_zero=True,
                                                                            embeddings_initializer="ones")])
    model.compile(loss="mse")
    x, y = np.array([[1, 2, 0], [3, 0, 0]]), np.zeros((2, 3, 1))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(1.0)  # the 3 valid steps predict 1: mean 1, not 3/6
    y[0, 2] = y[1, 1] = 100.0  # only masked steps differ
    assert model.evaluate(x, y, verbose=0) == pytest.approx(1.0)


def _seq2seq(lib):
    layers = lib.layers
    encoder_in, decoder_in = lib.Input((6, 3)), lib.Input((4, 2))
    _, h, c = layers.LSTM(8, return_state=True)(encoder_in)
    decoded = layers.LSTM(8, return_sequences=True)(decoder_in, initial_state=[h, c])
    return lib.Model([encoder_in, decoder_in], layers.Dense(5, activation="softmax")(decoded))


def test_an_encoder_decoder_started_from_the_encoders_states_trains_as_keras(keras, float64, rng, tmp_path):
    """Keras's character-level seq2seq shape: return_state, initial_state=[h, c] in a functional graph; the fit,
    and .keras files both ways (Keras writes the states as the call's initial_state keyword)."""
    x = [rng.normal(size=(32, 6, 3)), rng.normal(size=(32, 4, 2))]
    y = rng.integers(0, 5, size=(32, 4))
    theirs, ours = _seq2seq(keras), _seq2seq(nnlite)
    fit_both(keras, theirs, ours, x, y, ("RMSprop", 0.01), "sparse_categorical_crossentropy", 8, ["accuracy"])
    files_load_both_ways(keras, theirs, ours, x, tmp_path)


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_configs_and_files_match_keras(keras, rng, tmp_path, kind):
    """Keras's config keys and values (defaults and set ones), and each weight in the cell's group of the file."""
    settings = {"units": 3, "return_sequences": True, "go_backwards": True, "dropout": 0.25, "seed": 7}
    if kind == "GRU":
        settings["reset_after"] = False
    if kind == "LSTM":
        settings["unit_forget_bias"] = False
    ours, theirs = getattr(nnlite.layers, kind)(**settings), getattr(keras.layers, kind)(**settings)
    expected, config = theirs.get_config(), ours.get_config()
    if kind == "SimpleRNN":
        expected.pop("seed", None)
        config.pop("seed", None)
    assert sorted(config) == sorted(expected)
    for key in expected:
        if key not in ("dtype", "kernel_initializer", "recurrent_initializer", "bias_initializer", "name"):
            assert config[key] == expected[key], key
    again = type(ours).from_config(config)
    assert again.get_config() == config
    model = keras.Sequential([keras.Input((5, 2)), getattr(keras.layers, kind)(3, return_sequences=True),
                              keras.layers.Dense(1)])
    model.save(tmp_path / "theirs.keras")
    loaded = nnlite.saving.load_model(tmp_path / "theirs.keras")
    x = rng.normal(size=(4, 5, 2)).astype("float32")
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), RTOL["float32"], "predict")
    loaded.save(tmp_path / "ours.keras")
    back = keras.saving.load_model(tmp_path / "ours.keras")
    for w, e in zip(back.get_weights(), model.get_weights()):
        assert_close(w, e, 0, "the weights Keras reads back")


def test_lstm_starts_its_forget_gate_bias_at_one():
    layer = nnlite.layers.LSTM(2)
    layer.build((None, 3, 4))
    assert layer.bias.value.tolist() == [0, 0, 1, 1, 0, 0, 0, 0]
    plain = nnlite.layers.LSTM(2, unit_forget_bias=False)
    plain.build((None, 3, 4))
    assert not plain.bias.value.any()


def test_a_stateful_layer_carries_its_states_between_batches_as_keras(keras, float64, rng):
    x = rng.normal(size=(2, 4, 3))
    theirs = keras.Sequential([keras.Input((4, 3), batch_size=2), keras.layers.GRU(3, stateful=True)])
    ours = nnlite.Sequential([nnlite.Input((4, 3), batch_size=2), nnlite.layers.GRU(3, stateful=True)])
    ours.set_weights(theirs.get_weights())
    for _ in range(3):  # each call starts from the last one's states
        assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "carried")
    first = ours.predict(x, verbose=0)
    ours.layers[0].reset_state()
    theirs.layers[0].reset_state()
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "after reset")
    assert not np.allclose(ours.predict(x, verbose=0), first)
    with pytest.raises(ValueError, match="batch size of the input sequences must be the same"):
        ours.layers[0](rng.normal(size=(3, 4, 3)))


def test_dropout_draws_one_mask_per_call_and_its_gradient_is_exact(rng):
    """Training with dropout and recurrent_dropout: the gradient of the pass that drew the masks, against finite
    differences (a peeking context draws the same masks every time); inference drops nothing."""
    layer = nnlite.layers.LSTM(3, dropout=0.4, recurrent_dropout=0.3, return_sequences=True, seed=1,
                               dtype="float64")
    x = rng.normal(size=(2, 4, 3))
    layer.build((None, 4, 3))
    seed = rng.normal(size=(2, 4, 3))

    def loss(values):
        return float(np.sum(seed * layer.forward(values, Context(training=True, peek=True))[0]))
    ctx = Context(training=True, peek=True)
    a, saved = layer.forward(x, ctx)
    assert saved.drop_x is not None and (saved.drop_x == 0).any()  # something was dropped
    grad = layer.backward(saved, seed, ctx)
    eps, numeric = 1e-6, np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (loss(up) - loss(down)) / (2 * eps)
    assert_close(grad, numeric, 1e-6, "grad x", floor=1e-8)
    assert not np.allclose(a, layer(x))  # inference: no masks
    assert np.array_equal(layer(x), layer(x))


def test_keras_errors():
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match="invalid value for argument `units`"):
            nnlite.layers.LSTM(bad)
    with pytest.raises(ValueError, match="use_cudnn"):
        nnlite.layers.GRU(2, use_cudnn="sometimes")
    with pytest.raises(ValueError, match="the batch size must be static"):
        nnlite.Sequential([nnlite.Input((4, 3)), nnlite.layers.SimpleRNN(2, stateful=True)])
    with pytest.raises(ValueError, match="rank 3"):
        nnlite.Sequential([nnlite.Input((4,)), nnlite.layers.SimpleRNN(2)])
    layer = nnlite.layers.LSTM(2)
    with pytest.raises(ValueError, match=r"initial state must have shape \(batch, units\) = \(3, 2\)"):
        layer(np.zeros((3, 4, 5)), initial_state=[np.zeros((3, 2)), np.zeros((3, 5))])
    with pytest.raises(ValueError, match="2 state"):
        nnlite.layers.LSTM(2)(nnlite.Input((4, 5)), initial_state=[nnlite.Input((2,))])
    with pytest.raises(ValueError, match="dropout"):
        nnlite.layers.GRU(2, dropout=1.5)


def test_a_recurrent_output_is_not_read_as_logits():
    """A sigmoid cell is inside the layer: the crossentropy reads the output, not a z before it."""
    model = nnlite.Sequential([nnlite.Input((3, 2)), nnlite.layers.SimpleRNN(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    assert model.output_activation is None
    model.fit(np.ones((4, 3, 2)), np.ones((4, 1)), epochs=1, verbose=0)


def _bidirectional_model(lib, kind, merge, sequences):
    layers = lib.layers
    inputs = lib.Input((6,))
    h = layers.Embedding(15, 4, mask_zero=True)(inputs)
    h = layers.Bidirectional(getattr(layers, kind)(3, return_sequences=sequences), merge_mode=merge)(h)
    if merge is None:
        h = layers.Concatenate()(h)
    out = layers.TimeDistributed(layers.Dense(2))(h) if sequences else layers.Dense(1, activation="sigmoid")(h)
    return lib.Model(inputs, out)


@pytest.mark.parametrize("sequences", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize(("kind", "merge"), [("LSTM", "concat"), ("LSTM", "sum"), ("LSTM", "ave"), ("LSTM", "mul"),
                                             ("LSTM", None), ("GRU", "concat"), ("SimpleRNN", "mul")])
def test_bidirectional_fits_on_padded_sequences_equal_keras(keras, float64, rng, tmp_path, kind, merge, sequences):
    """Both directions over masked sequences (the backward one flipped back, masked steps zero), every merge mode,
    TimeDistributed(Dense) on top; then Keras's file of it (which holds the ops Keras computes the masks with)."""
    lengths = rng.integers(1, 7, size=32)
    x = rng.integers(1, 15, size=(32, 6)).astype(float)
    x[np.arange(6)[None, :] >= lengths[:, None]] = 0
    y = rng.normal(size=(32, 6, 2)) if sequences else rng.integers(0, 2, size=(32, 1)).astype(float)
    theirs, ours = _bidirectional_model(keras, kind, merge, sequences), _bidirectional_model(nnlite, kind, merge,
                                                                                             sequences)
    fit_both(keras, theirs, ours, x, y, ("Adam", 0.01), "mse" if sequences else "binary_crossentropy", 8)
    files_load_both_ways(keras, theirs, ours, x, tmp_path)


def _states_model(lib):
    layers = lib.layers
    inputs, h0 = lib.Input((5, 3)), lib.Input((4,))
    out, *states = layers.Bidirectional(layers.LSTM(4, return_state=True))(inputs, initial_state=[h0, h0, h0, h0])
    return lib.Model([inputs, h0], layers.Dense(2)(layers.Concatenate()([out, *states])))


def test_bidirectional_states_in_and_out_train_as_keras(keras, float64, rng):
    """return_state gives [output, h_f, c_f, h_b, c_b]; initial_state gives the forward layer the first half."""
    x = [rng.normal(size=(16, 5, 3)), rng.normal(size=(16, 4))]
    y = rng.normal(size=(16, 2))
    fit_both(keras, _states_model(keras), _states_model(nnlite), x, y, ("SGD", 0.1), "mse", 4)


def test_time_distributed_applies_a_layer_at_every_step_as_keras(keras, float64, rng):
    """A Conv2D over the frames of a clip, and a BatchNormalization (its statistics per step, as Keras's loop
    computes them): the fit and the moving statistics equal Keras's."""
    def clip_model(lib):
        layers = lib.layers
        return lib.Sequential([lib.Input((3, 5, 5, 2)), layers.TimeDistributed(layers.BatchNormalization()),
                               layers.TimeDistributed(layers.Conv2D(2, 3)),
                               layers.TimeDistributed(layers.Flatten()), layers.LSTM(3), layers.Dense(1)])
    x, y = rng.normal(size=(12, 3, 5, 5, 2)), rng.normal(size=(12, 1))
    fit_both(keras, clip_model(keras), clip_model(nnlite), x, y, ("Adam", 0.01), "mse", 4)


def test_wrapper_configs_and_errors_match_keras(keras):
    for lib in (keras, nnlite):
        both = lib.layers.Bidirectional(lib.layers.GRU(3, return_sequences=True, name="g"), merge_mode="sum",
                                        name="both")
        steps = lib.layers.TimeDistributed(lib.layers.Dense(2, name="d"), name="steps")
        if lib is keras:
            expected = (both.get_config(), steps.get_config())
        else:
            config = (both.get_config(), steps.get_config())
    for ours, theirs in zip(config, expected):
        assert sorted(ours) == sorted(theirs)
        for key in ("merge_mode", "name"):
            assert ours.get(key) == theirs.get(key)
    assert config[0]["layer"]["config"]["name"] == "forward_g" and config[0]["backward_layer"]["config"]["go_backwards"]
    again = nnlite.layers.Bidirectional.from_config(config[0])
    assert again.forward_layer.return_sequences and again.backward_layer.go_backwards
    with pytest.raises(ValueError, match="Invalid merge mode"):
        nnlite.layers.Bidirectional(nnlite.layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="different `go_backwards` value"):
        nnlite.layers.Bidirectional(nnlite.layers.LSTM(2), backward_layer=nnlite.layers.LSTM(2))
    with pytest.raises(ValueError, match='same value for attribute "return_sequences"'):
        nnlite.layers.Bidirectional(nnlite.layers.LSTM(2), backward_layer=nnlite.layers.LSTM(
            2, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="Layer` instance"):
        nnlite.layers.TimeDistributed("dense")
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        nnlite.Sequential([nnlite.Input((4,)), nnlite.layers.TimeDistributed(nnlite.layers.Dense(2))])


def test_batch_normalization_after_a_masked_layer_uses_the_unmasked_steps_as_keras(keras, float64, rng):
    """Keras's masked moments: BatchNormalization after LSTM(return_sequences) on padded sequences takes its batch
    statistics (and so its moving ones) from the unmasked steps alone."""
    def model(lib):
        layers = lib.layers
        inputs = lib.Input((6,))
        h = layers.LSTM(3, return_sequences=True)(layers.Embedding(15, 4, mask_zero=True)(inputs))
        return lib.Model(inputs, layers.Dense(2)(layers.BatchNormalization(momentum=0.5)(h)))
    lengths = rng.integers(1, 7, size=32)
    x = rng.integers(1, 15, size=(32, 6)).astype(float)
    x[np.arange(6)[None, :] >= lengths[:, None]] = 0
    fit_both(keras, model(keras), model(nnlite), x, rng.normal(size=(32, 6, 2)), ("Adam", 0.01), "mse", 8)
    with pytest.raises(ValueError, match="one dimension less than the inputs"):
        nnlite.layers.BatchNormalization().forward_masked(np.ones((2, 3, 4)), np.ones((2, 3, 4), bool),
                                                          Context(training=True))


def test_embedding_gradients_sum_repeated_ids_in_rows():
    """row_sums against a loop, with repeated ids, an id never seen, and an empty batch."""
    from nnlite.variables import row_sums

    ids = np.array([3, 0, 3, 3, 1])
    slices = np.arange(10.0).reshape(5, 2)
    expected = np.zeros((5, 2))
    for i, s in zip(ids, slices):
        expected[i] += s
    assert np.array_equal(row_sums(ids, slices, 5), expected)
    assert not row_sums(np.array([], int), np.zeros((0, 2)), 5).any()


def test_row_sums_of_frequent_rows_past_the_passes_equal_a_loop():
    """Rows seen more often than the fancy-index passes (padding, common words) add the rest with reduceat; whole
    numbers make every order of addition exact, so the sums must equal a plain loop's; ``out`` is zeroed first."""
    from nnlite.variables import PASSES, row_sums

    rng = np.random.default_rng(3)
    ids = np.concatenate([np.zeros(3 * PASSES + 1, int), np.full(PASSES, 4), np.full(PASSES + 1, 6),
                          rng.integers(0, 50, 200)])
    rng.shuffle(ids)
    slices = rng.integers(-9, 10, size=(len(ids), 3)).astype(np.float64)
    expected = np.zeros((50, 3))
    for i, s in zip(ids, slices):
        expected[i] += s
    out = np.full((50, 3), np.nan)
    assert row_sums(ids, slices, 50, out=out) is out
    assert np.array_equal(out, expected)


def test_bad_inputs_are_named_before_any_state_changes():
    layer = nnlite.layers.LSTM(3)
    layer(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"was built for sequences \(batch, timesteps, 4\); got shape \(2, 3, 5\)"):
        layer(np.ones((2, 3, 5)))
    with pytest.raises(ValueError, match=r"the mask must have shape \(batch, timesteps\) = \(2, 3\); got \(2, 4\)"):
        layer(np.ones((2, 3, 4)), mask=np.ones((2, 4), bool))
    assert np.shape(nnlite.layers.GRU(3, return_sequences=True)(np.ones((2, 0, 4)))) == (2, 0, 3)  # no steps
    assert np.shape(layer(np.ones((0, 3, 4)))) == (0, 3)  # an empty batch
    with pytest.raises(ValueError, match="wraps SimpleRNN, LSTM, GRU or RNN; got Dense"):
        nnlite.layers.Bidirectional(nnlite.layers.Dense(2))


def test_an_eager_call_with_sequences_and_states_returns_a_list_as_keras(keras, rng):
    """LSTM(return_sequences=True, return_state=True) called on an array: [sequences, h, c] (they were stacked
    into one tensor, which failed for these shapes), with Keras's values."""
    x = rng.normal(size=(4, 3, 5)).astype("float32")
    ours = nnlite.layers.LSTM(2, return_sequences=True, return_state=True)
    theirs = keras.layers.LSTM(2, return_sequences=True, return_state=True)
    expected = theirs(x)
    ours.build((None, 3, 5))
    ours.set_weights(theirs.get_weights())
    mine = ours(x)
    assert isinstance(mine, list) and [np.shape(t) for t in mine] == [(4, 3, 2), (4, 2), (4, 2)]
    for got, want in zip(mine, expected):
        assert_close(got, np.asarray(want), RTOL["float32"], "LSTM outputs")

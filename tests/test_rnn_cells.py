"""RNN with Keras's cells (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells) and with a cell of one's own, against
Keras (TensorFlow): outputs, states and every gradient over return_sequences/return_state, go_backwards, masks and
initial states; fits on padded sequences; .keras files both ways; configs; stateful layers; dropout masks kept for a
call; Keras's errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite
from nnlite.layers import Context

from .conftest import RTOL
from .helpers import assert_close, compare_sequence_layer, files_load_both_ways, fit_both

MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 1, 0], [0, 0, 1, 1, 1]], bool)
CELLS = {"SimpleRNNCell": 1, "LSTMCell": 2, "GRUCell": 1}
CASES = [
    {},
    {"return_sequences": True, "go_backwards": True, "return_state": True},
    {"return_sequences": True, "mask": True},
    {"zero_output_for_mask": True, "return_sequences": True, "mask": True, "initial": True},
    {"return_state": True, "mask": True, "go_backwards": True},
]


def _cell(lib, name, **kwargs):
    if name == "stacked":
        return [lib.layers.SimpleRNNCell(3), lib.layers.LSTMCell(3, **kwargs)]
    return getattr(lib.layers, name)(3, **kwargs)


def _compare(keras, tf, rng, name, case, **cell_kwargs):
    """nnlite's RNN and Keras's from the same weights, L = sum of seed * output for every output: outputs and
    dL/d(input, initial states, weights) agree to float64's contract."""
    case = dict(case)
    masked, initial = case.pop("mask", False), case.pop("initial", False)
    n_states = 3 if name == "stacked" else CELLS[name]
    x = rng.normal(size=(3, 5, 4))
    states = [rng.normal(size=(3, 3)) for _ in range(n_states)] if initial else []
    ours = nnlite.layers.RNN(_cell(nnlite, name, **cell_kwargs), **case)
    theirs = keras.layers.RNN(_cell(keras, name, **cell_kwargs), **case)
    ours.build((None, 5, 4))
    theirs.build((None, 5, 4))
    weights = [rng.normal(size=w.shape) * 0.5 for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    def call_states(st):
        return [st[0], st[1:]] if name == "stacked" else st
    compare_sequence_layer(tf, ours, theirs, x, states, call_states, MASK if masked else None, rng,
                           f"{name} {case}", RTOL["float64"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: ",".join(c) or "plain")
@pytest.mark.parametrize("name", [*CELLS, "stacked"])
def test_rnn_of_cells_matches_tensorflow(keras, tf, float64, rng, name, case):
    _compare(keras, tf, rng, name, case)


def test_gru_cell_with_the_reset_gate_before_the_product_matches_tensorflow(keras, tf, float64, rng):
    _compare(keras, tf, rng, "GRUCell", {"return_sequences": True, "mask": True}, reset_after=False)


def test_rnn_of_a_cell_equals_the_layer_of_that_cell(rng):
    """RNN(LSTMCell(n)) and LSTM(n) from the same weights: the same numbers (the same equations)."""
    x = rng.normal(size=(4, 6, 3))
    for cell, layer in [("LSTMCell", "LSTM"), ("GRUCell", "GRU"), ("SimpleRNNCell", "SimpleRNN")]:
        rnn = nnlite.layers.RNN(getattr(nnlite.layers, cell)(2), return_sequences=True)
        plain = getattr(nnlite.layers, layer)(2, return_sequences=True)
        y = rnn(x)
        plain.build((None, 6, 3))
        plain.set_weights(rnn.get_weights())
        assert np.array_equal(np.asarray(y), np.asarray(plain(x)))


def minimal_cell(lib, units):
    """The cell of the RNN docstring of Keras, in ``lib``: output = x_t W + tanh(h_{t-1} U), one state."""
    class MinimalRNNCell(lib.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            h = lib.ops.matmul(inputs, self.kernel)
            output = h + lib.ops.tanh(lib.ops.matmul(states[0], self.recurrent_kernel))
            return output, [output]
    return MinimalRNNCell(units)


def _text_model(lib, cell, masking):
    layers = lib.layers
    head = ([lib.Input((7,)), layers.Embedding(20, 4, mask_zero=True)] if masking
            else [lib.Input((7, 3))])
    return lib.Sequential([*head, layers.RNN(cell, return_sequences=False), layers.Dense(1, activation="sigmoid")])


@pytest.mark.parametrize("kind", ["own", "LSTMCell", "stacked"])
def test_fits_equal_keras(keras, float64, rng, kind):
    """Whole fits: a cell of one's own (differentiated by the tape) on sequences, an LSTMCell and stacked cells on
    padded ids through Embedding(mask_zero=True): logs and weights equal Keras's."""
    masking = kind != "own"
    if masking:
        lengths = rng.integers(1, 8, size=40)
        x = rng.integers(1, 20, size=(40, 7)).astype(float)
        x[np.arange(7)[None, :] >= lengths[:, None]] = 0
    else:
        x = rng.normal(size=(40, 7, 3))
    y = rng.integers(0, 2, size=(40, 1)).astype(float)
    cells = {"own": (lambda: minimal_cell(keras, 4), lambda: minimal_cell(nnlite, 4)),
             "LSTMCell": (lambda: keras.layers.LSTMCell(4), lambda: nnlite.layers.LSTMCell(4)),
             "stacked": (lambda: [keras.layers.GRUCell(4), keras.layers.LSTMCell(3)],
                         lambda: [nnlite.layers.GRUCell(4), nnlite.layers.LSTMCell(3)])}[kind]
    theirs, ours = _text_model(keras, cells[0](), masking), _text_model(nnlite, cells[1](), masking)
    fit_both(keras, theirs, ours, x, y, ("Adam", 0.01), "binary_crossentropy", 8, ["accuracy"])


@pytest.mark.parametrize("kind", ["LSTMCell", "stacked"])
def test_files_load_both_ways_and_configs_match_keras(keras, rng, tmp_path, kind):
    """Keras's .keras file of an RNN of cells loads in nnlite (weights from cell/, stacked from
    cell/cells/<cell class>/) and nnlite's in Keras; the configs have Keras's keys and values."""
    make = {"LSTMCell": lambda lib: lib.layers.LSTMCell(3, dropout=0.25, seed=3),
            "stacked": lambda lib: [lib.layers.SimpleRNNCell(3), lib.layers.GRUCell(2, reset_after=False)]}[kind]

    def model(lib):
        return lib.Sequential([lib.Input((5, 2)), lib.layers.RNN(make(lib), return_sequences=True),
                               lib.layers.Dense(1)])
    theirs, ours = model(keras), model(nnlite)
    ours.set_weights(theirs.get_weights())
    x = rng.normal(size=(4, 5, 2)).astype("float32")
    files_load_both_ways(keras, theirs, ours, x, tmp_path)
    expected, config = theirs.layers[0].get_config(), ours.layers[0].get_config()
    assert sorted(config) == sorted(expected)
    def cells(entry):
        return entry["config"]["cells"] if kind == "stacked" else [entry]
    for ours_cell, their_cell in zip(cells(config["cell"]), cells(expected["cell"])):
        assert ours_cell["class_name"] == their_cell["class_name"]
        assert sorted(ours_cell["config"]) == sorted(their_cell["config"])
        for key, value in their_cell["config"].items():
            if key not in ("dtype", "kernel_initializer", "recurrent_initializer", "bias_initializer", "name"):
                assert ours_cell["config"][key] == value, key


def test_cells_keep_keras_state_sizes_and_step_calls(keras, rng):
    """state_size and output_size as Keras's cells give them; a cell called on (x_t, states) returns (y_t, states)
    in the form it was given (a list, or one array for a cell of one state), with Keras's numbers."""
    for name in CELLS:
        ours, theirs = getattr(nnlite.layers, name)(3), getattr(keras.layers, name)(3)
        assert ours.state_size == theirs.state_size and ours.output_size == theirs.output_size
    stacked = nnlite.layers.StackedRNNCells([nnlite.layers.SimpleRNNCell(3), nnlite.layers.LSTMCell(2)])
    assert stacked.state_size == [3, [2, 2]] and stacked.output_size == 2
    x, h = rng.normal(size=(4, 5)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    ours, theirs = nnlite.layers.SimpleRNNCell(3), keras.layers.SimpleRNNCell(3)
    y, new = theirs(x, h)
    ours.build((None, 5))
    ours.set_weights(theirs.get_weights())
    mine, mine_new = ours(x, h)
    assert_close(mine, np.asarray(y), RTOL["float32"], "one step")
    assert not isinstance(mine_new, list) and np.array_equal(np.asarray(mine_new), np.asarray(mine))
    _, listed = ours(x, [h])
    assert isinstance(listed, list) and len(listed) == 1


def test_a_stateful_rnn_carries_its_states_between_batches_as_keras(keras, float64, rng):
    def model(lib):
        return lib.Sequential([lib.Input(batch_shape=(2, 4, 3)),
                               lib.layers.RNN(lib.layers.LSTMCell(3), stateful=True), lib.layers.Dense(1)])
    theirs, ours = model(keras), model(nnlite)
    ours.set_weights(theirs.get_weights())
    for _ in range(3):
        x = rng.normal(size=(2, 4, 3))
        assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), RTOL["float64"], "stateful")
    ours.layers[0].reset_state()
    assert not any(np.asarray(v.value).any() for v in ours.layers[0].states)
    with pytest.raises(ValueError, match="batch size of the input sequences"):
        ours.layers[0](np.ones((3, 4, 3)))


def test_cell_dropout_keeps_one_mask_per_call_and_its_gradient_is_exact(float64, rng):
    """The same input mask at every step of one call, a new one at the next call; the tape's gradient with the
    masks drawn equals finite differences of the same masked pass."""
    nnlite.utils.set_random_seed(1)  # the weights from a known seed, whatever the tests before drew
    cell = nnlite.layers.SimpleRNNCell(3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    rnn = nnlite.layers.RNN(cell, return_sequences=True)
    x = np.ones((4, 6, 5))
    rnn.build((None, 6, 5))
    seen = []
    original = cell.get_dropout_mask

    def spy(step):
        mask = original(step)
        seen.append(mask)
        return mask
    cell.get_dropout_mask = spy
    rnn(x, training=True)
    assert len(seen) == 6 and all(m is seen[0] for m in seen)
    rnn(x, training=True)
    assert seen[6] is not seen[0]
    cell.get_dropout_mask = original
    # gradient with fixed masks: draw them once, then hold them
    xs = rng.normal(size=(2, 4, 5))
    drop = cell.get_dropout_mask(xs[:, 0])
    rec = cell.get_recurrent_dropout_mask(np.zeros((2, 3)))
    cell.reset_dropout_mask = cell.reset_recurrent_dropout_mask = lambda: None
    assert drop is not None and rec is not None

    def loss(v):
        return float(np.sum(np.asarray(rnn.forward_masked(v, None, Context(training=True))[0]) ** 2))
    out, saved = rnn.forward_masked(xs, None, Context(training=True))
    grad = rnn.backward(saved, 2 * np.asarray(out), Context(training=True))
    eps, numeric = 1e-5, np.zeros_like(xs)  # central differences: round-off ~1e-16 L / eps, truncation ~eps^2
    for idx in np.ndindex(xs.shape):
        step = np.zeros_like(xs)
        step[idx] = eps
        numeric[idx] = (loss(xs + step) - loss(xs - step)) / (2 * eps)
    assert_close(grad, numeric, 1e-6, "dropout gradient")


def test_keras_errors(keras):
    """Keras's messages for what cannot be a cell, stacked cells without call or state_size, and stateful layers
    without a fixed batch."""
    class NoState(nnlite.layers.Layer):
        def call(self, x, states):
            return x, states

    with pytest.raises(ValueError, match="should have a `state_size` attribute"):
        nnlite.layers.RNN(NoState())
    with pytest.raises(ValueError, match="should have a `call` method"):
        nnlite.layers.RNN(object())
    with pytest.raises(ValueError, match="All cells must have a `state_size` attribute"):
        nnlite.layers.StackedRNNCells([NoState()])
    with pytest.raises(ValueError, match="the batch size must be static"):
        nnlite.layers.RNN(nnlite.layers.LSTMCell(2), stateful=True).build((None, 3, 2))
    with pytest.raises(ValueError, match="has 2 state"):
        nnlite.layers.RNN(nnlite.layers.LSTMCell(2))(np.ones((2, 3, 4)), initial_state=[np.zeros((2, 2))])
    with pytest.raises(ValueError, match="mask must have shape"):
        nnlite.layers.RNN(nnlite.layers.GRUCell(2))(np.ones((2, 3, 4)), mask=np.ones((2, 4), bool))


def test_bidirectional_rnn_of_cells_trains_as_keras(keras, float64, rng, tmp_path):
    """Bidirectional(RNN(GRUCell)) on sequences, both directions' outputs concatenated: the fit and the files."""
    def model(lib):
        return lib.Sequential([lib.Input((6, 3)), lib.layers.Bidirectional(
            lib.layers.RNN(lib.layers.GRUCell(3), return_sequences=True)), lib.layers.GlobalAveragePooling1D(),
            lib.layers.Dense(1)])
    x, y = rng.normal(size=(24, 6, 3)), rng.normal(size=(24, 1))
    theirs, ours = model(keras), model(nnlite)
    fit_both(keras, theirs, ours, x, y, ("SGD", 0.05), "mse", 8)
    files_load_both_ways(keras, theirs, ours, x, tmp_path)


def test_stacked_cells_return_their_states_nested_per_cell_as_keras(keras, rng):
    """Keras's stacked_rnn_cells_test: an eager call with return_state gives the output, then each cell's states
    in the form its cell keeps them ([h, c] for LSTMCell, [h] for SimpleRNNCell), with Keras's values."""
    x = rng.normal(size=(2, 3, 5)).astype("float32")
    ours = nnlite.layers.RNN([nnlite.layers.SimpleRNNCell(4), nnlite.layers.LSTMCell(3)], return_state=True)
    theirs = keras.layers.RNN([keras.layers.SimpleRNNCell(4), keras.layers.LSTMCell(3)], return_state=True)
    theirs(x)
    ours.build((None, 3, 5))
    ours.set_weights(theirs.get_weights())
    mine, expected = ours(x), theirs(x)
    assert len(mine) == len(expected) == 3
    assert isinstance(mine[1], list) and len(mine[1]) == len(expected[1]) == 1
    assert isinstance(mine[2], list) and len(mine[2]) == len(expected[2]) == 2
    flat = [mine[0], *mine[1], *mine[2]]
    for got, want in zip(flat, [expected[0], *expected[1], *expected[2]]):
        assert_close(got, np.asarray(want), RTOL["float32"], "stacked states")


def _shapes(value):
    """The structure of a call's outputs with each tensor (or shape) as a tuple of ints and Nones."""
    if isinstance(value, (list, tuple)) and not all(isinstance(d, (int, type(None))) for d in value):
        return [_shapes(v) for v in value]
    return tuple(getattr(value, "shape", value))


def test_stacked_cells_states_in_a_graph_and_their_shapes_nested_as_keras(keras, rng):
    """compute_output_shape and a symbolic call give the states per entry of state_size (a list for a cell with
    several), as Keras's; a model over them predicts what the eager call gives, with Keras's values."""
    def cells(lib):
        return lib.layers.RNN([lib.layers.LSTMCell(3), lib.layers.GRUCell(2), lib.layers.LSTMCell(4)],
                              return_state=True)

    ours, theirs = cells(nnlite), cells(keras)
    assert _shapes(ours.compute_output_shape((2, 6, 5))) == _shapes(theirs.compute_output_shape((2, 6, 5)))
    inputs = {lib: lib.Input((6, 5)) for lib in (keras, nnlite)}
    symbolic = {lib: layer(inputs[lib]) for lib, layer in ((keras, theirs), (nnlite, ours))}
    assert _shapes(symbolic[nnlite]) == _shapes(symbolic[keras])
    ours.set_weights(theirs.get_weights())
    x = rng.normal(size=(2, 6, 5)).astype("float32")
    mine = nnlite.Model(inputs[nnlite], symbolic[nnlite]).predict(x, verbose=0)
    expected = keras.Model(inputs[keras], symbolic[keras]).predict(x, verbose=0)
    assert _shapes(mine) == _shapes(expected)
    flat_mine, flat_expected = [mine[0], *mine[1], mine[2], *mine[3]], [expected[0], *expected[1], expected[2],
                                                                        *expected[3]]
    for got, want in zip(flat_mine, flat_expected):
        assert_close(got, np.asarray(want), RTOL["float32"], "stacked states in a graph")

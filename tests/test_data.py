"""Bad input: a clear error from nnlite, raised before any weight changes."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite


@pytest.fixture
def model():
    m = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(4, activation="relu"),
                           nnlite.layers.Dense(2, activation="softmax")])
    m.compile(optimizer=nnlite.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return m


X = np.ones((5, 3))
Y = np.array([0, 1, 1, 0, 1])


def _unchanged(model, before):
    return all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


BAD_FIT = [
    ({"x": np.ones((4, 3))}, ValueError, r"Row counts differ: x has 4, y has 5"),
    ({"x": np.ones((5, 4))}, ValueError, r"x has 4 features per sample .* expects 3"),
    ({"y": np.array([0, 1, 2, 0, 1])}, ValueError, r"integers in \[0, 1\] .* got \[2\]"),
    ({"y": np.array([0, 1, 0.5, 0, 1])}, ValueError, r"integers in \[0, 1\]"),
    ({"y": np.eye(2)[[0, 1, 1, 0, 1]]}, ValueError, r"one-hot labels\? use categorical_crossentropy"),
    ({"x": np.where(np.eye(5, 3) > 0, np.nan, 1.0)}, ValueError, r"x contains NaN or inf .*index \(0, 0\)"),
    ({"x": np.full((5, 3), np.inf)}, ValueError, r"x contains NaN or inf"),
    ({"x": [["a", "b", "c"]] * 5}, TypeError, r"x must be numeric, got an array of dtype <U1"),
    ({"x": "abc"}, TypeError, r"x must be numeric, got a string"),
    ({"x": [[1, 2, 3], [1, 2]]}, ValueError, r"x is ragged"),
    ({"x": np.ones((0, 3)), "y": np.ones(0)}, ValueError, r"x is empty \(shape \(0, 3\)\)"),
    ({"x": np.ones((5, 0))}, ValueError, r"x has samples that hold no numbers \(shape \(5, 0\), an axis of size 0\)"),
    ({"batch_size": 0}, ValueError, r"batch_size must be an integer >= 1, got 0"),
    ({"batch_size": 2.5}, TypeError, r"batch_size must be an integer"),
    ({"epochs": -1}, ValueError, r"epochs must be an integer >= 0, got -1"),
    ({"validation_split": 1.0}, ValueError, r"validation_split must be a float in \(0, 1\), got 1.0"),
    ({"validation_split": -0.1}, ValueError, r"validation_split must be a float in \(0, 1\)"),
    ({"validation_split": 0.9}, ValueError, r"validation_split=0.9 leaves 0 training and 3 validation rows"),
    ({"sample_weight": [1, 2]}, ValueError, r"sample_weight must have shape \(5,\)"),
    ({"verbose": 3}, ValueError, r"verbose must be 'auto', 0, 1 or 2; got 3"),
    ({"validation_data": (np.ones((2, 3)),)}, ValueError, r"validation_data must be a tuple \(x_val, y_val\)"),
    ({"validation_data": (np.ones((2, 2)), np.zeros(2))}, ValueError, r"validation x has 2 features"),
    ({"validation_data": (np.ones((2, 3)), np.zeros(3))}, ValueError,
     r"Row counts differ: validation x has 2, validation y has 3"),
]


@pytest.mark.parametrize(("override", "error", "message"), BAD_FIT,
                         ids=[str(i) for i in range(len(BAD_FIT))])
def test_fit_rejects_bad_input_before_training(model, override, error, message):
    kwargs = {"x": X, "y": Y, "verbose": 0, **override}
    if override.get("validation_split") == 0.9:
        kwargs.update(x=np.ones((3, 3)), y=np.array([0, 1, 0]))
    before = model.get_weights()
    with pytest.raises(error, match=message):
        model.fit(**kwargs)
    assert _unchanged(model, before)


def test_regression_target_width_must_match_output():
    m = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(2)])
    m.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"y does not fit the model output \(5, 2\).*y_true \(5, 3\)"):
        m.fit(X, np.zeros((5, 3)), verbose=0)


def test_fit_before_compile():
    m = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(2)])
    with pytest.raises(RuntimeError, match=r"must call `compile\(\)` before using the model for training"):
        m.fit(X, np.zeros((5, 2)), verbose=0)
    with pytest.raises(RuntimeError, match=r"`compile\(\)` before using the model for training or evaluation"):
        m.evaluate(X, np.zeros((5, 2)), verbose=0)


def test_set_weights_checks_count_and_shapes(model):
    before = model.get_weights()
    name = model.name  # sequential, sequential_1, ... (Keras's automatic model names)
    with pytest.raises(ValueError, match=rf"expects 4 arrays \({name}/dense/kernel \(3, 4\), {name}/dense/bias"):
        model.set_weights(before[:3])
    wrong = [before[0], before[1], np.zeros((4, 3)), before[3]]
    with pytest.raises(ValueError, match=r"kernel needs shape \(4, 2\), got an array of shape \(4, 3\)"):
        model.set_weights(wrong)
    with pytest.raises(ValueError, match="NaN or inf"):
        model.set_weights([before[0] * np.nan, before[1], before[2], before[3]])
    assert _unchanged(model, before)


@pytest.mark.parametrize("units", [0, -3, 2.5, "8", True])
def test_units_must_be_a_positive_integer(units):
    with pytest.raises(ValueError, match="invalid value for `units`, expected a positive integer"):
        nnlite.layers.Dense(units)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown activation 'sigmod'. Did you mean 'sigmoid'\? Valid"):
        nnlite.layers.Dense(3, activation="sigmod")
    m = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"loss identifier: mean_square_error. Did you mean 'mean_squared_error'\?"):
        m.compile(optimizer="sgd", loss="mean_square_error")
    with pytest.raises(ValueError, match=r"Unknown optimizer 'sdg'. Did you mean 'sgd'\? Valid names: .*sgd"):
        m.compile(optimizer="sdg", loss="mse")
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'. Did you mean 'accuracy'\? Valid"):
        m.compile(optimizer="sgd", loss="mse", metrics=["acuracy"])


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"learning_rate": -0.1}, ValueError, r"learning_rate must be a finite number >= 0, got -0.1"),
    ({"learning_rate": float("nan")}, ValueError, r"learning_rate must be a finite number"),
    ({"learning_rate": "0.1"}, ValueError, r"`learning_rate` should be float.*Received instead: learning_rate='0.1'"),
    ({"momentum": 1.5}, ValueError, r"`momentum` must be a float between \[0, 1\]. Received: momentum=1.5"),
    ({"momentum": -0.1}, ValueError, r"`momentum` must be a float between \[0, 1\]"),
    ({"lr": 0.1}, ValueError, r"`lr` is no longer supported: use `learning_rate=`"),
    ({"clipnorm": 1.0, "clipvalue": 1.0}, ValueError, r"Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"),
])
def test_optimizer_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        nnlite.optimizers.SGD(**kwargs)


def test_predict_and_evaluate_check_their_input(model):
    with pytest.raises(ValueError, match=r"x has 2 features per sample"):
        model.predict(np.ones((4, 2)))
    with pytest.raises(ValueError, match="x must be 2-D"):
        model.predict(np.ones(3))
    with pytest.raises(ValueError, match="NaN or inf"):
        model.evaluate(np.full((5, 3), np.nan), Y)


def test_input_only_first():
    with pytest.raises(ValueError, match="Input can only be the first"):
        nnlite.Sequential([nnlite.layers.Dense(2), nnlite.Input((3,))])
    with pytest.raises(ValueError, match="Only instances of `keras.Layer` can be added"):
        nnlite.Sequential(["dense"])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_finite_checks_see_every_nan_and_inf_and_no_false_ones(dtype):
    """One pass over the sum; the sum of large finite entries overflows to inf and is settled by min and max."""
    from nnlite import data
    from nnlite.data import all_finite

    big = np.finfo(dtype).max
    assert all_finite(np.array([[big, big], [big, 1]], dtype=dtype))  # the sum overflows, every entry is finite
    assert all_finite(np.zeros((2, 3, 4), dtype=dtype))
    for bad in ([np.inf, -np.inf], [1.0, np.nan], [big, big, -np.inf], [-big, np.inf, 0.0]):
        assert not all_finite(np.array(bad, dtype=dtype))
    x = np.full((4, 2), big, dtype=dtype)
    np.testing.assert_array_equal(data.as_array(x, "x"), x)  # no false refusal
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"x contains NaN or inf \(first at index \(2, 1\)\)"):
        data.as_array(x, "x")

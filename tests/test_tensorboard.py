"""The TensorBoard callback's event files, read back with TensorBoard's own reader (EventAccumulator)."""

from __future__ import annotations

import numpy as np
import pytest

import nnlite


@pytest.fixture
def accumulator():
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError as err:
        import os

        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"tensorboard is needed in CI to read the event files back: {err}")
        pytest.skip(f"tensorboard not installed ({err})")

    def read(path):
        events = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
        events.Reload()
        return events

    return read


def test_epoch_batch_validation_scalars_and_histograms_read_back(tmp_path, rng, accumulator):
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(4, activation="relu", name="hidden"),
                               nnlite.layers.Dense(1, activation="sigmoid", name="out")])
    model.compile(optimizer=nnlite.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    x, y = rng.normal(size=(40, 3)), rng.integers(0, 2, size=(40, 1)).astype(float)
    board = nnlite.callbacks.TensorBoard(log_dir=tmp_path / "logs", histogram_freq=1, update_freq=2,
                                         write_images=True)
    history = model.fit(x, y, batch_size=10, epochs=3, validation_split=0.25, verbose=0, callbacks=[board])
    model.evaluate(x, y, verbose=0, callbacks=[board])

    train = accumulator(tmp_path / "logs" / "train")
    tags = train.Tags()
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss"} <= set(tags["scalars"])
    losses = train.Scalars("epoch_loss")
    assert [e.step for e in losses] == [0, 1, 2]
    np.testing.assert_allclose([e.value for e in losses], history.history["loss"], rtol=1e-6)
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6, 8]  # every update_freq=2 of 3 x 3 batches
    assert [e.value for e in train.Scalars("epoch_learning_rate")] == pytest.approx([0.1] * 3)
    kernel = train.Histograms(f"{model.name}/hidden/kernel/histogram")
    assert [e.step for e in kernel] == [0, 1, 2] and kernel[-1].histogram_value.num == 12
    assert f"{model.name}/hidden/kernel/image" in tags["images"] and "keras" in str(tags)

    validation = accumulator(tmp_path / "logs" / "validation")
    val_losses = validation.Scalars("epoch_loss")
    np.testing.assert_allclose([e.value for e in val_losses], history.history["val_loss"], rtol=1e-6)
    evaluated = validation.Scalars("evaluation_loss_vs_iterations")
    assert evaluated[-1].step == 9  # the optimizer's iterations after 3 epochs of 3 batches


def test_what_nnlite_cannot_write_is_refused_at_once(tmp_path):
    with pytest.raises(ValueError, match="profile_batch"):
        nnlite.callbacks.TensorBoard(tmp_path, profile_batch=2)
    with pytest.raises(ValueError, match="embeddings_freq"):
        nnlite.callbacks.TensorBoard(tmp_path, embeddings_freq=1)
    with pytest.raises(ValueError, match="update_freq"):
        nnlite.callbacks.TensorBoard(tmp_path, update_freq="sometimes")


def _scalar_tags(accumulator, log_dir):
    tags = set()
    for which in ("train", "validation"):
        if (log_dir / which).exists():
            tags |= {(which, tag) for tag in accumulator(log_dir / which).Tags()["scalars"]}
    return tags


@pytest.mark.parametrize("case", ["basic", "batch", "twice", "schedule", "steps_per_second"])
def test_the_scalars_keras_writes_in_each_case(tmp_path, accumulator, case):
    """The tag sets of Keras's own TensorBoard tests, case by case."""
    model = nnlite.Sequential([nnlite.Input((3,)), nnlite.layers.Dense(1)])
    lr = nnlite.optimizers.schedules.CosineDecay(0.01, 1) if case in ("schedule", "steps_per_second") else 0.01
    model.compile(nnlite.optimizers.SGD(lr), "mse")
    x, y = np.ones((10, 3)), np.ones((10, 1))
    board = nnlite.callbacks.TensorBoard(tmp_path, update_freq=1 if case in ("batch", "steps_per_second") else "epoch",
                                         write_steps_per_second=case == "steps_per_second")
    validation = None if case in ("schedule", "steps_per_second") else (x, y)
    for _ in range(2 if case == "twice" else 1):
        model.fit(x, y, batch_size=2, epochs=2, validation_data=validation, callbacks=[board], verbose=0)
    expected = {("train", "epoch_loss"), ("train", "epoch_learning_rate")}
    if validation is not None:
        expected |= {("validation", "epoch_loss"), ("validation", "evaluation_loss_vs_iterations")}
    if case in ("batch", "steps_per_second"):
        expected.add(("train", "batch_loss"))
    if case == "steps_per_second":
        expected |= {("train", "batch_steps_per_second"), ("train", "epoch_steps_per_second")}
    assert _scalar_tags(accumulator, tmp_path) == expected
    event_dirs = {p.parent.name for p in tmp_path.rglob("events.out.*")}
    assert event_dirs <= {"train", "validation"}  # no event files anywhere else


def test_a_model_not_built_yet_is_driven_through_every_hook(keras, tmp_path):
    """Keras's test_TensorBoard_non_blocking: a CallbackList around TensorBoard on a Sequential with no input shape
    yet runs every hook (its config, with no build_config, as Keras's), and reads a tensor's value without numpy()."""
    for lib in (keras, nnlite):
        model = lib.Sequential([lib.layers.Dense(1)])
        assert model.get_build_config() is None
        assert "build_input_shape" not in model.get_config()
    model = nnlite.Sequential([nnlite.layers.Dense(1)])
    model.optimizer = nnlite.optimizers.Adam()
    hooks = nnlite.callbacks.CallbackList([nnlite.callbacks.TensorBoard(str(tmp_path))], model=model, epochs=1,
                                          steps=100, verbose=0)
    tensor = nnlite.ops.convert_to_tensor(1.0)
    tensor.numpy = lambda: pytest.fail("TensorBoard asked for a blocking numpy()")
    logs = {"metric": tensor}
    hooks.on_train_begin(logs)
    hooks.on_epoch_begin(0, logs)
    hooks.on_train_batch_begin(0, logs)
    hooks.on_train_batch_end(0, logs)
    hooks.on_epoch_end(0, logs)
    hooks.on_train_end(logs)
    hooks.on_test_begin(logs)
    hooks.on_test_batch_end(0, logs)
    hooks.on_test_end(logs)
    assert any(path.name.startswith("events") for path in tmp_path.rglob("*"))

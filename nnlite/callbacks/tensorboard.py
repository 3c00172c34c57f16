"""TensorBoard: the training curves (and weight histograms) as TensorBoard event files, without TensorFlow.

The files are written by tensorboardX (``pip install "nnlite-keras[tensorboard]"``) in Keras's layout, so
``tensorboard --logdir logs`` shows what it shows for Keras:

    log_dir/train:       epoch_<metric> per epoch (with epoch_learning_rate), batch_<metric> every
                         ``update_freq`` batches, <weight path>/histogram every ``histogram_freq`` epochs,
                         the model's config as the text summary "keras"
    log_dir/validation:  epoch_<metric> of the val_ metrics, evaluation_<metric>_vs_iterations
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from .base import CALLBACKS, Callback


def _writer(log_dir: str) -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError('The TensorBoard callback writes event files with tensorboardX: pip install '
                          '"nnlite-keras[tensorboard]" (or pip install tensorboardX).') from None
    # a suffix of its own, so that a writer opened in the same second as the last never overwrites its file
    return SummaryWriter(log_dir, filename_suffix=f".{time.time_ns()}")


@CALLBACKS.register()
class TensorBoard(Callback):
    """Keras's TensorBoard callback (see the module for what is written where).

    Args:
        log_dir: the folder of the event files (``train`` and ``validation`` below it).
        histogram_freq: every how many epochs the weights' histograms are written (0: never).
        write_graph: write the model's config as the text summary "keras" (TensorBoard's graph of
            TensorFlow ops does not exist for NumPy code).
        write_images: write each weight as an image with its histograms.
        write_steps_per_second: also log the training steps per second.
        update_freq: "epoch", "batch" or an int: batch_<metric> every that many batches.
        profile_batch: TensorFlow's profiler; nnlite has none (0 only).
        embeddings_freq: the embedding projector's frequency; nnlite does not write it (0 only).
        embeddings_metadata: with ``embeddings_freq``; taken and unused.

    Example:
        >>> import numpy as np, nnlite
        >>> board = nnlite.callbacks.TensorBoard(log_dir="logs")  # pass it to fit; needs tensorboardX
        >>> board.log_dir
        'logs'
    """

    def __init__(self, log_dir: Any = "logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False, update_freq: Any = "epoch",
                 profile_batch: Any = 0, embeddings_freq: int = 0, embeddings_metadata: Any = None) -> None:
        super().__init__()
        if profile_batch:
            raise ValueError("Profiling is not available in nnlite (it needs TensorFlow's profiler). Received: "
                             f"profile_batch={profile_batch} (must be 0)")
        if embeddings_freq:
            raise ValueError("nnlite's TensorBoard does not write the embedding projector; received "
                             f"embeddings_freq={embeddings_freq} (must be 0).")
        if update_freq != "epoch" and update_freq != "batch" and (
                isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError(f"update_freq must be 'epoch', 'batch' or a positive int; received {update_freq!r}.")
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self.writers: dict[str, Any] = {}
        self.global_train_batch = 0
        self.epoch_start = 0.0
        self.epoch_start_iterations = 0
        self.batch_start = 0.0

    def writer(self, which: str) -> Any:
        """The event-file writer of ``log_dir/train`` or ``log_dir/validation`` (made on first use)."""
        if which not in self.writers:
            self.writers[which] = _writer(os.path.join(self.log_dir, which))
        return self.writers[which]

    def write_model_config(self) -> None:
        """The model's config as the text summary "keras" (a subclassed model has none: its code is it)."""
        import json

        try:
            config = self.model.to_json()
        except (NotImplementedError, ValueError, TypeError):
            return
        self.writer("train").add_text("keras", json.dumps(json.loads(config), indent=2), 0)

    def close(self) -> None:
        for w in self.writers.values():
            w.close()
        self.writers = {}

    # -- training ---------------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self.global_train_batch = 0
        if self.write_graph:
            self.write_model_config()

    def on_train_end(self, logs=None):
        self.close()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.time()
        self.epoch_start_iterations = int(self.model.optimizer.iterations)

    def on_train_batch_begin(self, batch, logs=None):
        self.global_train_batch += 1
        self.batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self.global_train_batch % self.update_freq:
            return
        train = self.writer("train")
        if self.write_steps_per_second:
            train.add_scalar("batch_steps_per_second", 1.0 / max(time.time() - self.batch_start, 1e-9),
                             self.global_train_batch)
        for name, value in (logs or {}).items():
            if np.ndim(value) == 0:
                train.add_scalar(f"batch_{name}", float(value), self.global_train_batch)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        if self.model.optimizer is not None:
            train_logs["learning_rate"] = float(self.model.optimizer.current_learning_rate())
        if self.write_steps_per_second:
            steps = int(self.model.optimizer.iterations) - self.epoch_start_iterations
            train_logs["steps_per_second"] = steps / max(time.time() - self.epoch_start, 1e-9)
        for which, values in (("train", train_logs), ("validation", val_logs)):
            for name, value in values.items():
                if np.ndim(value) == 0:
                    self.writer(which).add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self.log_weights(epoch)
        for w in self.writers.values():
            w.flush()

    def log_weights(self, epoch: int) -> None:
        """Each weight's histogram (and image) under its path, at step ``epoch``."""
        train = self.writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                values = np.asarray(weight.value, dtype=np.float64)
                train.add_histogram(f"{name}/histogram", values, epoch)
                if self.write_images:
                    image = np.atleast_2d(values.squeeze())
                    if image.ndim == 2:
                        span = float(image.max() - image.min()) or 1.0
                        train.add_image(f"{name}/image", (image - image.min()) / span, epoch, dataformats="HW")

    # -- evaluation ----------------------------------------------------------------------------------------
    def on_test_end(self, logs=None):
        if self.model.optimizer is None:
            return
        step = int(self.model.optimizer.iterations)
        validation = self.writer("validation")
        for name, value in (logs or {}).items():
            if np.ndim(value) == 0:
                validation.add_scalar(f"evaluation_{name}_vs_iterations", float(value), step)
        validation.flush()

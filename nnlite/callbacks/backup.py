"""BackupAndRestore: keep the model's latest state in a folder, and resume from it after a crash.

A backup is one atomic step: the weights, the optimizer state and the epoch reached go into one file,
``latest.weights.h5`` (the epoch and batch as its ``training_metadata`` attribute), written beside the old
one and renamed over it. Whatever moment a run is killed at, the folder holds either the previous backup
or the new one, never a mix. ``training_metadata.json`` is written after it (also by rename) for Keras,
which reads the epoch from there; nnlite reads it only from a backup Keras wrote.
"""

from __future__ import annotations

import io
import os
from typing import Any

from .base import CALLBACKS, Callback

METADATA = "training_metadata"


@CALLBACKS.register()
class BackupAndRestore(Callback):
    """Save weights, optimizer state and the epoch reached to ``backup_dir`` (every epoch, or every
    ``save_freq`` batches); a later ``fit`` with the same callback starts from there. The folder is
    removed when training ends normally (unless ``delete_checkpoint=False``).

    Args:
        backup_dir: the folder for the backup (created; removed at a normal end).
        save_freq: "epoch", or a number of batches between backups.
        double_checkpoint: keep the previous backup too, used when the latest cannot be read.
        delete_checkpoint: remove the folder when training ends normally.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse")
        >>> x, y = np.ones((8, 2)), np.ones((8, 1))
        >>> folder = tempfile.mkdtemp()
        >>> backup = nnlite.callbacks.BackupAndRestore(os.path.join(folder, "backup"))
        >>> _ = model.fit(x, y, epochs=2, callbacks=[backup], verbose=0)  # a rerun resumes from the backup
    """

    def __init__(self, backup_dir: str, save_freq: str | int = "epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                             "Expected either 'epoch' or an integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, you model must be built before you call `fit()`. "
                             f"Model {self.model} is unbuilt. You can build it beforehand by calling it on a batch "
                             "of data.")
        from ..saving import LoadError
        from ..saving.keras_file import guarded, read_weights

        candidates = [self._weights_path] + ([self._weights_path + ".bkp"] if self.double_checkpoint else [])
        for path in [p for p in candidates if os.path.exists(p)]:
            try:
                guarded(path, lambda path=path: read_weights(self.model, path))  # .bkp: not a .weights.h5 name
            except LoadError:
                if path == candidates[-1]:
                    raise
                continue  # the latest backup is damaged: the one before it
            epoch = self._saved_epoch(path)
            if epoch is not None:
                self.model.restored_epoch = self._current_epoch = epoch
            return

    def _saved_epoch(self, weights_path: str) -> int | None:
        """The epoch a backup reached: the weights file's own record, or (a backup Keras wrote) the JSON beside it."""
        import json  # (file modules are imported where they are used: import nnlite stays light)

        import h5py

        with h5py.File(weights_path, "r") as f:
            record = f.attrs.get(METADATA)
        if record is None:
            metadata = self._metadata_path + weights_path[len(self._weights_path):]
            if not os.path.exists(metadata):
                return None
            with open(metadata) as f:
                record = f.read()
        return int(json.loads(record)["epoch"])

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen_since_last_saving += batch + 1 if batch <= self._last_batch_seen else (
            batch - self._last_batch_seen)
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save()

    def _save(self) -> None:
        """Write the backup as one file and rename it into place (see the module); then the JSON for Keras."""
        import json

        import h5py

        from ..saving.keras_file import atomic_file, write_weights

        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._weights_path, self._metadata_path):
                if os.path.exists(path):
                    _copy(path, path + ".bkp", atomic_file)
        record = json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen})
        buffer = io.BytesIO()
        write_weights(self.model, buffer)
        with h5py.File(buffer, "r+") as f:
            f.attrs[METADATA] = record
        with atomic_file(self._weights_path) as handle:  # the commit point
            handle.write(buffer.getvalue())
        with atomic_file(self._metadata_path) as handle:
            handle.write(record.encode())

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            import shutil

            shutil.rmtree(self.backup_dir)


def _copy(source: str, target: str, atomic_file: Any) -> None:
    """Copy a file so that ``target`` is always whole (written beside it, then renamed)."""
    import shutil

    with open(source, "rb") as src, atomic_file(target) as handle:
        shutil.copyfileobj(src, handle)

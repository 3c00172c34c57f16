"""Keras 3 files, both ways: ``.keras`` models and ``.weights.h5`` weights.

A ``.keras`` file is a zip of ``config.json`` (the architecture and compile settings),
``metadata.json`` and ``model.weights.h5`` (layers/<name>/vars/<i>, then the
optimizer's iteration count, learning rate and slots in Keras's order).

Loading treats a file as data. The config is read with ``json`` and checked against
an allow-list of Keras classes nnlite implements; anything else (a Lambda layer, a
custom object, an unknown module) is refused by name. Nothing is unpickled, imported
or evaluated, and HDF5 links that point outside the file are refused. Saving writes a
temporary file beside the target and renames it, so an interrupted save leaves the
previous file whole. h5py is needed for both (``pip install "nnlite[keras-files]"``).
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np

from . import config

KERAS_VERSION = "3.15.1"
MAX_CONFIG_BYTES = 64 * 2**20
MAX_WEIGHTS_BYTES = 8 * 2**30


class LoadError(ValueError):
    """A file that nnlite cannot or will not load; the message says what and why."""


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Saving and loading Keras files needs h5py: pip install h5py (or nnlite[keras-files])."
        ) from None
    return h5py


# -- optimizer slots in Keras's variable order ---------------------------------------------
def slot_groups(optimizer: Any) -> tuple[list[list[str]], bool]:
    """Keras's order of optimizer variables after (iteration, learning_rate).

    Each group lists slot names interleaved per model variable; groups follow each other.
    The flag says whether a final scalar (Nadam's momentum product) comes last.
    """
    name = type(optimizer).__name__
    if name == "SGD":
        return ([["m"]] if optimizer.momentum else []), False
    if name == "RMSprop":
        groups = [["v"]]
        if optimizer.momentum:
            groups.append(["m"])
        if optimizer.centered:
            groups.append(["a"])
        return groups, False
    if name in ("Adam", "AdamW"):
        return [["m", "v"]] + ([["v_hat"]] if optimizer.amsgrad else []), False
    if name == "Adagrad":
        return [["acc"]], False
    if name == "Adadelta":
        return [["A", "D"]], False
    if name == "Adamax":
        return [["m", "u"]], False
    if name == "Nadam":
        return [["m", "v"]], True
    raise LoadError(f"No Keras variable layout for optimizer {name}.")


def optimizer_arrays(optimizer: Any, dtype: str) -> list[np.ndarray]:
    """iteration, learning rate (unless a schedule), then the slots, as Keras stores them."""
    arrays = [np.asarray(optimizer.iterations, dtype=np.int64)]
    if not callable(optimizer.learning_rate):
        arrays.append(np.asarray(optimizer.learning_rate, dtype=dtype))
    if optimizer._slots is None:
        return arrays
    groups, extra = slot_groups(optimizer)
    for group in groups:
        for state in optimizer._slots:
            arrays.extend(state[key] for key in group)
    if extra:
        arrays.append(np.asarray(optimizer.u_product, dtype=dtype))
    return arrays


def set_optimizer_arrays(optimizer: Any, arrays: list[np.ndarray], variables: list[Any]) -> None:
    """The inverse of :func:`optimizer_arrays`; builds the optimizer for ``variables``."""
    head = 1 if callable(optimizer.learning_rate) else 2
    if len(arrays) < head:
        raise LoadError(f"The optimizer state holds {len(arrays)} arrays; expected at least {head}.")
    optimizer.iterations = int(np.asarray(arrays[0]))
    if head == 2:
        optimizer.learning_rate = float(np.asarray(arrays[1]))
    if len(arrays) == head:
        return
    optimizer.build(variables)
    groups, extra = slot_groups(optimizer)
    expected = head + sum(len(g) for g in groups) * len(variables) + int(extra)
    if len(arrays) != expected:
        raise LoadError(f"The optimizer state holds {len(arrays)} arrays; this model and optimizer need {expected}.")
    it = iter(arrays[head:])
    for group in groups:
        for state in optimizer._slots:
            for key in group:
                value = next(it)
                if value.shape != state[key].shape:
                    raise LoadError(f"Optimizer slot {key!r} has shape {value.shape}, expected {state[key].shape}.")
                state[key][...] = value
    if extra:
        optimizer.u_product = float(np.asarray(next(it)))


# -- the weights file ------------------------------------------------------------------------
def layer_paths(model: Any) -> list[str]:
    """Keras addresses a layer's weights by its class, not its name: dense, dense_1, dropout, ..."""
    from .models import _snake_case

    used: dict[str, int] = {}
    paths = []
    for layer in model.layers:
        base = _snake_case(type(layer).__name__)
        if base in used:
            used[base] += 1
            paths.append(f"layers/{base}_{used[base]}")
        else:
            used[base] = 0
            paths.append(f"layers/{base}")
    return paths


def write_weights(model: Any, target: Any) -> None:
    """Write model (and optimizer) variables to an HDF5 file or file object in Keras's layout."""
    h5py = _h5py()
    dtype = model.layers[0].compute_dtype if model.layers else config.floatx()
    with h5py.File(target, "w") as f:
        for layer, path in zip(model.layers, layer_paths(model)):
            group = f.create_group(path).create_group("vars")
            group.attrs["name"] = layer.name
            for i, w in enumerate(layer.weights):
                group.create_dataset(str(i), data=w.value)
        if model.optimizer is not None:
            group = f.create_group("optimizer").create_group("vars")
            group.attrs["name"] = model.optimizer.name.lower()
            for i, array in enumerate(optimizer_arrays(model.optimizer, dtype)):
                group.create_dataset(str(i), data=array)
        f.create_group("vars").attrs["name"] = model.name


def _numeric_datasets(group: Any, where: str) -> list[np.ndarray]:
    """The datasets "0", "1", ... of an HDF5 group, checked to be plain numeric arrays in this file."""
    h5py = _h5py()
    keys = list(group.keys())
    if sorted(keys, key=lambda k: int(k) if k.isdigit() else -1) != [str(i) for i in range(len(keys))]:
        raise LoadError(f"{where} holds entries {keys}; expected datasets named 0, 1, 2, ...")
    arrays = []
    for key in map(str, range(len(keys))):
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise LoadError(f"{where}/{key} is a link to elsewhere ({type(link).__name__}); refused.")
        item = group[key]
        if not isinstance(item, h5py.Dataset) or item.dtype.kind not in "biuf":
            raise LoadError(f"{where}/{key} is not a numeric array.")
        arrays.append(np.asarray(item[()]))
    return arrays


def read_weights(model: Any, source: Any, load_optimizer: bool = True) -> None:
    """Set the model's weights (and optimizer state) from a Keras weights file; all checked first."""
    h5py = _h5py()
    with h5py.File(source, "r") as f:
        if "layers" not in f:
            raise LoadError("The weights file has no 'layers' group: not a Keras 3 weights file.")
        weights = []
        for layer, path in zip(model.layers, layer_paths(model)):
            where = f"{path}/vars"
            if layer.weights and where not in f:
                raise LoadError(f"The weights file has no weights for layer {layer.name!r} ({where}).")
            arrays = _numeric_datasets(f[where], where) if where in f else []
            if len(arrays) != len(layer.weights):
                raise LoadError(f"Layer {layer.name!r} needs {len(layer.weights)} arrays, the file has {len(arrays)}.")
            for w, a in zip(layer.weights, arrays):
                if a.shape != w.shape:
                    raise LoadError(f"{where}: {w.name} needs shape {w.shape}, the file has {a.shape}.")
                if not np.all(np.isfinite(a)):
                    raise LoadError(f"{where}: {w.name} contains NaN or inf.")
            weights.extend(arrays)
        optimizer_state = None
        if load_optimizer and model.optimizer is not None and "optimizer/vars" in f:
            optimizer_state = _numeric_datasets(f["optimizer/vars"], "optimizer/vars")
    model.set_weights(weights)
    if optimizer_state is not None:
        set_optimizer_arrays(model.optimizer, optimizer_state, model.trainable_weights)


# -- atomic files ------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_file(path: str | os.PathLike):
    """Yield a temporary file beside ``path``; rename it over ``path`` only if all went well."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".nnlite-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise


def _save_target(model: Any, filepath: str | os.PathLike, ending: str, overwrite: bool) -> str:
    """Check the file name's ending, the overwrite flag and that the model is built."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(ending):
        other = "save_weights for .weights.h5" if ending == ".keras" else "save for .keras"
        raise ValueError(f"This file name must end in {ending}, got {filepath!r} (use {other}).")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")
    model._require_built()
    return filepath


def save_model(model: Any, filepath: str | os.PathLike, overwrite: bool = True) -> None:
    """Write ``model`` as a Keras 3 ``.keras`` file that ``keras.models.load_model`` opens."""
    from . import keras_config

    filepath = _save_target(model, filepath, ".keras", overwrite)
    config_json = json.dumps(keras_config.model_config(model))
    metadata = json.dumps({"keras_version": KERAS_VERSION,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    weights = io.BytesIO()
    write_weights(model, weights)
    with atomic_file(filepath) as handle, zipfile.ZipFile(handle, "w") as archive:
        archive.writestr("metadata.json", metadata)
        archive.writestr("config.json", config_json)
        archive.writestr("model.weights.h5", weights.getvalue())


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise LoadError(f"The file has no {name}: not a Keras 3 .keras file.") from None
    if info.file_size > limit:
        raise LoadError(f"{name} would unpack to {info.file_size} bytes, over the limit of {limit}.")
    return archive.read(name)


def load_model(filepath: str | os.PathLike, compile: bool = True,
               custom_objects: dict | None = None, safe_mode: bool = True) -> Any:
    """Open a ``.keras`` file written by Keras 3 or nnlite; compile settings and optimizer state come too."""
    from . import keras_config

    if custom_objects:
        raise LoadError(f"nnlite loads only its own layers and objects; custom_objects {sorted(custom_objects)} "
                        "are not supported.")
    filepath = os.fspath(filepath)
    try:
        with zipfile.ZipFile(filepath) as archive:
            raw_config = _read_member(archive, "config.json", MAX_CONFIG_BYTES)
            raw_weights = _read_member(archive, "model.weights.h5", MAX_WEIGHTS_BYTES)
    except LoadError as err:
        raise LoadError(f"Cannot load {filepath}: {err}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as err:
        raise LoadError(f"Cannot load {filepath}: not a readable .keras (zip) file ({err}).") from None
    return _guarded(filepath, lambda: _build_loaded(keras_config, raw_config, raw_weights, compile))


def _build_loaded(keras_config: Any, raw_config: bytes, raw_weights: bytes, compile: bool) -> Any:
    try:
        spec = json.loads(raw_config.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LoadError(f"config.json is not valid JSON ({err}).") from None
    model = keras_config.model_from_config(spec, compile=compile)
    read_weights(model, io.BytesIO(raw_weights), load_optimizer=compile)
    return model


def _guarded(filepath: str, action: Callable[[], Any]) -> Any:
    """Run a load step; any failure inside a library becomes one clear LoadError."""
    try:
        return action()
    except LoadError as err:
        raise LoadError(f"Cannot load {filepath}: {err}") from None
    except (OSError, KeyError, ValueError, TypeError, AttributeError, IndexError, RuntimeError,
            OverflowError, RecursionError, MemoryError) as err:
        raise LoadError(f"Cannot load {filepath}: the file is corrupted or unsupported "
                        f"({type(err).__name__}: {err}).") from None


def save_weights(model: Any, filepath: str | os.PathLike, overwrite: bool = True) -> None:
    """Write a Keras ``.weights.h5`` file (layer weights and optimizer state)."""
    filepath = _save_target(model, filepath, ".weights.h5", overwrite)
    buffer = io.BytesIO()
    write_weights(model, buffer)
    with atomic_file(filepath) as handle:
        handle.write(buffer.getvalue())


def load_weights(model: Any, filepath: str | os.PathLike) -> None:
    """Read a Keras ``.weights.h5`` file into a built model; nothing changes unless all of it fits."""
    filepath = os.fspath(filepath)
    model._require_built()
    try:
        with open(filepath, "rb") as handle:
            raw = handle.read()
    except OSError as err:
        raise LoadError(f"Cannot load {filepath}: {err.strerror or err}.") from None
    _guarded(filepath, lambda: read_weights(model, io.BytesIO(raw)))

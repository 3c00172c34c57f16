"""``keras.saving``: ``save_model``/``load_model`` (a ``.keras`` zip, or its unzipped folder), ``save_weights``/
``load_weights`` (``.weights.h5``, or the weights inside a ``.keras`` file), and Keras's object registration and
(de)serialization API. These functions take Keras's arguments and give Keras's errors; ``keras_file`` reads
and writes the files (every loaded byte treated as data, see there).
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

from .. import layers
from ..registry import CustomObjectScope
from ..serialization import (
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from .keras_file import (
    KERAS_VERSION,
    MAX_CONFIG_BYTES,
    MAX_WEIGHTS_BYTES,
    LoadError,
    atomic_file,
    build_loaded,
    guarded,
    model_from_spec,
    read_member,
    read_weights,
    save_target,
    write_weights,
)

__all__ = ["CustomObjectScope", "LoadError", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
           "add_metadata", "get_registered_name", "get_registered_object", "load_model", "load_weights",
           "model_from_spec", "read_metadata",
           "read_weights", "register_keras_serializable", "save_model", "save_weights", "serialize_keras_object"]

_MEMBERS = ("metadata.json", "config.json", "model.weights.h5")


def save_model(model: Any, filepath: str | os.PathLike, overwrite: bool = True, zipped: bool | None = None,
               **kwargs: Any) -> None:
    """Write ``model`` as a Keras 3 ``.keras`` file that ``keras.models.load_model`` opens (``zipped=False``: the
    same members in a folder). ``include_optimizer=False`` leaves the optimizer state out.

    Args:
        model: the model to save.
        filepath: the path, ending in ``.keras``.
        overwrite: replace an existing file (False: refuse, as Keras asks).
        zipped: ``None``/``True`` writes the zip file, ``False`` a folder of the same members.
        **kwargs: ``include_optimizer`` (default True); Keras's deprecated ``save_format`` is warned about or refused
            as Keras does.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "m.keras")
        >>> nnlite.saving.save_model(model, path)
        >>> nnlite.saving.load_model(path).get_weights()[0].ravel().tolist()
        [1.0, 1.0]
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", False)
    path = os.fspath(filepath)
    if save_format:
        if not path.endswith((".keras", ".h5", ".hdf5")):
            raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove this argument and "
                             f"pass a file path with a `.keras` extension. Received: save_format={save_format}")
        warnings.warn("The `save_format` argument is deprecated in Keras 3; the format follows the file name. "
                      f"Received: save_format={save_format}", stacklevel=2)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if path.endswith((".h5", ".hdf5")):
        raise ValueError(f"nnlite does not write the legacy HDF5 model format (.h5); save as a Keras 3 .keras file "
                         f"instead. Received: filepath={path}")
    if zipped is False:
        if path.endswith(".keras"):
            raise ValueError(f"When zipped=False, the file path should not end in .keras: the model is saved to a "
                             f"folder. Received: filepath={path}")
    elif not path.endswith(".keras"):
        raise ValueError("Invalid filepath extension for saving. Please add a `.keras` extension for the native "
                         f"Keras format. Received: filepath={path}.")
    if zipped is False and not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False.")
    path = save_target(model, path, ".keras", overwrite) if zipped is not False else path
    members = _members(model, include_optimizer)
    if zipped is False:
        os.makedirs(path, exist_ok=True)
        for name, data in members.items():
            with atomic_file(os.path.join(path, name)) as handle:
                handle.write(data)
        return
    with atomic_file(path) as handle, zipfile.ZipFile(handle, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _members(model: Any, include_optimizer: bool) -> dict[str, bytes]:
    """metadata.json, config.json and model.weights.h5, as bytes."""
    if not model.built:
        raise ValueError("The model is not built yet, so it has no weights to save: give it an Input(shape=...), "
                         "call build(input_shape), or call it on data first.")
    spec = layers.serialize(model)
    compile_config = model.get_compile_config()
    if compile_config is not None:
        spec["compile_config"] = compile_config
    metadata = {"keras_version": KERAS_VERSION, "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = io.BytesIO()
    write_weights(model, weights, include_optimizer=include_optimizer)
    return {"metadata.json": json.dumps(metadata).encode(), "config.json": json.dumps(spec).encode(),
            "model.weights.h5": weights.getvalue()}


def load_model(filepath: str | os.PathLike, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    """Open a ``.keras`` file (or the folder ``save_model(..., zipped=False)`` wrote) from Keras 3 or nnlite;
    compile settings and optimizer state come too. The file is read as data (see the README's "Loading treats
    a file as data"); a file nnlite cannot or will not load raises ``LoadError`` saying why.

    Args:
        filepath: the ``.keras`` file.
        custom_objects: {name: class or function} for your own objects the file refers to.
        compile: also restore the compile settings and the optimizer state.
        safe_mode: Keras's guard against code in files; nnlite never runs code from a file, so it is always on.

    Returns:
        The model, built, with its weights.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("adam", "mse")
        >>> folder = tempfile.mkdtemp()
        >>> model.save(os.path.join(folder, "m.keras"))
        >>> loaded = nnlite.saving.load_model(os.path.join(folder, "m.keras"))
        >>> loaded.get_weights()[0].ravel().tolist(), type(loaded.optimizer).__name__
        ([1.0, 1.0], 'Adam')
    """
    path = os.fspath(filepath)
    with CustomObjectScope(custom_objects):
        if os.path.isdir(path) and os.path.isfile(os.path.join(path, "config.json")):
            raw_config, raw_weights = (_read_in_folder(path, name, limit) for name, limit in
                                       (("config.json", MAX_CONFIG_BYTES), ("model.weights.h5", MAX_WEIGHTS_BYTES)))
            return guarded(path, lambda: build_loaded(raw_config, raw_weights, compile))
        with _open_archive(path) as archive:
            raw_config, raw_weights = (_member(path, archive, name, limit) for name, limit in
                                       (("config.json", MAX_CONFIG_BYTES), ("model.weights.h5", MAX_WEIGHTS_BYTES)))

            def vocabulary(layer_path: str) -> bytes | None:
                name = f"assets/{layer_path}/vocabulary.txt"
                return _member(path, archive, name, MAX_CONFIG_BYTES) if name in archive.NameToInfo else None

            return guarded(path, lambda: build_loaded(raw_config, raw_weights, compile, vocabulary))


def _read_in_folder(folder: str, name: str, limit: int) -> bytes:
    """One member of an unzipped model: a plain file in the folder itself (no link to elsewhere), within limit."""
    path = os.path.join(folder, name)
    if os.path.islink(path) or not os.path.isfile(path):
        raise LoadError(f"Cannot load {folder}: {name} is missing or is not a plain file in the folder.")
    if os.path.getsize(path) > limit:
        raise LoadError(f"Cannot load {folder}: {name} holds {os.path.getsize(path)} bytes, over the limit of {limit}.")
    with open(path, "rb") as handle:
        return handle.read(limit + 1)


@contextlib.contextmanager
def _open_archive(path: str) -> Iterator[zipfile.ZipFile]:
    """A .keras zip opened for reading; its members are read on demand with :func:`_member`."""
    if not path.endswith(".keras"):
        raise LoadError(f"Cannot load {path}: File format not supported: filepath={path}. nnlite reads Keras 3 "
                        "`.keras` files (legacy `.h5` models and TensorFlow SavedModels are not supported).")
    if not os.path.exists(path):
        raise LoadError(f"Cannot load {path}: File not found: filepath={path}. Please ensure the file is an "
                        "accessible `.keras` zip file.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as err:
        raise LoadError(f"Cannot load {path}: not a readable .keras (zip) file ({err}).") from None
    with archive:
        yield archive


def _member(path: str, archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """One member's bytes, within ``limit`` and the inflation limit, its checksum verified."""
    try:
        return read_member(archive, name, limit)
    except LoadError as err:
        raise LoadError(f"Cannot load {path}: {err}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as err:
        raise LoadError(f"Cannot load {path}: not a readable .keras (zip) file ({err}).") from None


def add_metadata(filepath: str | os.PathLike, **entries: Any) -> None:
    """Add JSON-serialisable ``entries`` (say ``class_names=[...]``) to a saved ``.keras`` file's
    ``metadata.json``; Keras does not read that member when it loads, so the file stays a Keras file.

    Args:
        filepath: the ``.keras`` file to change (rewritten in place).
        **entries: the names and JSON-serialisable values to store.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "m.keras")
        >>> model.save(path)
        >>> nnlite.saving.add_metadata(path, class_names=["no", "yes"])
        >>> nnlite.saving.read_metadata(path)["class_names"]
        ['no', 'yes']
    """
    path = os.fspath(filepath)
    metadata = read_metadata(path)
    metadata.update(entries)
    encoded = json.dumps(metadata).encode()
    with _open_archive(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist() if name != "metadata.json"}
    with atomic_file(path) as handle, zipfile.ZipFile(handle, "w") as out:
        out.writestr("metadata.json", encoded)
        for name, data in members.items():
            out.writestr(name, data)


def read_metadata(filepath: str | os.PathLike) -> dict[str, Any]:
    """The ``metadata.json`` of a ``.keras`` file (Keras's version and date, and what :func:`add_metadata` put).

    Args:
        filepath: the ``.keras`` file.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "m.keras")
        >>> model.save(path)
        >>> sorted(nnlite.saving.read_metadata(path))
        ['date_saved', 'keras_version']
    """
    path = os.fspath(filepath)
    with _open_archive(path) as archive:
        raw = _member(path, archive, "metadata.json", MAX_CONFIG_BYTES)
    try:
        metadata = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LoadError(f"Cannot load {path}: metadata.json is not valid JSON ({err}).") from None
    if not isinstance(metadata, dict):
        raise LoadError(f"Cannot load {path}: metadata.json must hold a JSON object.")
    return metadata


def save_weights(model: Any, filepath: str | os.PathLike, overwrite: bool = True, max_shard_size: Any = None,
                 **kwargs: Any) -> None:
    """Write a Keras ``.weights.h5`` file (layer weights and optimizer state); ``objects_to_skip`` leaves those
    layers out.

    Args:
        model: the model whose weights are written.
        filepath: the path, ending in ``.weights.h5``.
        overwrite: replace an existing file.
        max_shard_size: must stay None: nnlite writes one file (sharding is refused).
        **kwargs: ``objects_to_skip``, layers left out of the file.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "m.weights.h5")
        >>> nnlite.saving.save_weights(model, path)
        >>> os.path.exists(path)
        True
    """
    skip = kwargs.pop("objects_to_skip", None) or ()
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    path = os.fspath(filepath)
    if max_shard_size is not None:
        raise ValueError(f"nnlite writes the weights as one .weights.h5 file; max_shard_size (sharded .weights.json "
                         f"files) is not supported. Received: max_shard_size={max_shard_size}")
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    path = save_target(model, path, ".weights.h5", overwrite)
    buffer = io.BytesIO()
    write_weights(model, buffer, skip=skip)
    with atomic_file(path) as handle:
        handle.write(buffer.getvalue())


def load_weights(model: Any, filepath: str | os.PathLike, skip_mismatch: bool = False, **kwargs: Any) -> None:
    """Read a Keras ``.weights.h5`` file (or the weights in a ``.keras`` file) into a built model; nothing changes
    unless all of it fits. ``objects_to_skip`` keeps those layers' own weights.

    Args:
        model: the built model to set the weights of.
        filepath: a ``.weights.h5`` or ``.keras`` file.
        skip_mismatch: must stay False: nnlite loads only when every shape fits (True is refused).
        **kwargs: ``objects_to_skip``, layers whose weights are left as they are (``.weights.h5`` only); Keras's
            ``by_name`` is refused, as it is for these formats.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "m.weights.h5")
        >>> model.save_weights(path)
        >>> other = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
        >>> nnlite.saving.load_weights(other, path)
        >>> other.get_weights()[0].ravel().tolist()
        [1.0, 1.0]
    """
    path = os.fspath(filepath)
    skip = kwargs.pop("objects_to_skip", None)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if by_name is not None:
        raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files, which nnlite does not "
                         f"read. Received: {path}")
    if skip_mismatch:
        raise ValueError("nnlite loads weights only when every shape fits; skip_mismatch=True is not supported.")
    if path.endswith(".keras"):
        if skip is not None:
            raise ValueError(f"`objects_to_skip` only supports loading '.weights.h5' files. Received: {path}")
    elif not path.endswith(".weights.h5"):
        raise ValueError(f"File format not supported: filepath={path}. nnlite reads weights from `.weights.h5` and "
                         "`.keras` files.")
    if not model.built:
        raise ValueError("load_weights needs a built model: give it an Input(shape=...) or build it first.")
    if path.endswith(".keras"):
        with _open_archive(path) as archive:
            raw = _member(path, archive, "model.weights.h5", MAX_WEIGHTS_BYTES)
    else:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as err:
            raise LoadError(f"Cannot load {path}: {err.strerror or err}.") from None
    guarded(path, lambda: read_weights(model, io.BytesIO(raw), skip=skip or ()))

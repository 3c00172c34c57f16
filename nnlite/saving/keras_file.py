"""Keras 3 files, both ways (what ``nnlite.saving`` reads and writes): ``.keras`` models and ``.weights.h5`` weights.

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
import copy
import io
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import layers
from ..registry import snake_case

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


# -- optimizer state: optimizer.variables, in Keras's order --------------------------------------
def optimizer_arrays(optimizer: Any) -> list[np.ndarray]:
    """iteration, learning rate (unless a schedule), then the state in Keras's layout (``optimizer.variables``)."""
    return [v.value for v in optimizer.variables]


def set_optimizer_arrays(optimizer: Any, arrays: list[np.ndarray], variables: list[Any]) -> None:
    """The inverse of :func:`optimizer_arrays`; builds the optimizer for ``variables`` when the file holds state."""
    head = [v for v in optimizer.variables if v.name in ("iteration", "learning_rate")]
    if len(arrays) < len(head):
        raise LoadError(f"The optimizer state holds {len(arrays)} arrays; expected at least {len(head)}.")
    if len(arrays) == len(head):  # saved before the first step: only the counters
        for v, a in zip(head, arrays):
            _assign(v, a)
        return
    if not optimizer.built:
        optimizer.build(variables)
    mine = optimizer.variables
    if len(arrays) != len(mine):
        raise LoadError(f"The optimizer state holds {len(arrays)} arrays; this model and optimizer need {len(mine)}.")
    for v, a in zip(mine, arrays):
        if a.shape != v.shape:
            raise LoadError(f"Optimizer variable {v.name!r} has shape {a.shape} in the file, expected {v.shape}.")
    for v, a in zip(mine, arrays):
        _assign(v, a)


def _assign(variable: Any, array: np.ndarray) -> None:
    if array.shape != variable.shape:
        raise LoadError(f"Optimizer variable {variable.name!r} has shape {array.shape} in the file, "
                        f"expected {variable.shape}.")
    variable.assign(array)


# -- the weights file ------------------------------------------------------------------------
def layer_paths(model: Any) -> list[str]:
    """Keras addresses a layer's weights by its class, not its name: dense, dense_1, dropout, ..."""
    return paths_of([type(layer).__name__ for layer in model.layers])


def paths_of(class_names: list[str]) -> list[str]:
    """layers/<class in snake case>[_n] for each layer of a model, numbered per class in order."""
    used: dict[str, int] = {}
    paths = []
    for class_name in class_names:
        base = snake_case(class_name)
        if base in used:
            used[base] += 1
            paths.append(f"layers/{base}_{used[base]}")
        else:
            used[base] = 0
            paths.append(f"layers/{base}")
    return paths


def write_weights(model: Any, target: Any, include_optimizer: bool = True, skip: Any = ()) -> None:
    """Write model (and optimizer) variables to an HDF5 file or file object in Keras's layout; the layers in
    ``skip`` (Keras's objects_to_skip) are left out."""
    h5py = _h5py()
    with h5py.File(target, "w") as f:
        _write_layers(f, model, {id(layer) for layer in skip})
        if include_optimizer and model.optimizer is not None:
            group = f.create_group("optimizer").create_group("vars")
            group.attrs["name"] = model.optimizer.name.lower()
            for i, array in enumerate(optimizer_arrays(model.optimizer)):
                group.create_dataset(str(i), data=array)
        f.create_group("vars").attrs["name"] = model.name


def _nested(layer: Any) -> bool:
    """A model used as a layer: its layers get groups of their own (layers/<model>/layers/...)."""
    return callable(getattr(layer, "compile_from_config", None))


def _write_layers(group: Any, model: Any, skip: set[int]) -> None:
    for layer, path in zip(model.layers, layer_paths(model)):
        vars_group = group.create_group(path).create_group("vars")
        vars_group.attrs["name"] = layer.name
        if id(layer) in skip:
            continue
        if _nested(layer):
            _write_layers(group[path], layer, skip)
            continue
        for i, w in enumerate(layer.weights):
            vars_group.create_dataset(str(i), data=w.value)


def _read_layers(group: Any, model: Any, where: str = "", skip: set[int] | None = None) -> list[np.ndarray]:
    """The arrays for every weight of ``model``'s layers, in ``model.weights`` order, checked first (a layer in
    ``skip`` keeps its own)."""
    arrays = []
    for layer, path in zip(model.layers, layer_paths(model)):
        here = f"{where}{path}"
        if id(layer) in (skip or ()):
            arrays += [np.array(w.value) for w in layer.weights]
            continue
        if _nested(layer):
            if path not in group:
                raise LoadError(f"The weights file has no group for the model {layer.name!r} ({here}).")
            arrays += _read_layers(group[path], layer, f"{here}/", skip)
            continue
        if layer.weights and f"{path}/vars" not in group:
            raise LoadError(f"The weights file has no weights for layer {layer.name!r} ({here}/vars).")
        if f"{path}/vars" in group:
            arrays += _numeric_datasets(group[f"{path}/vars"], f"{here}/vars", [w.shape for w in layer.weights],
                                        [w.name for w in layer.weights])
    return arrays


def _numeric_datasets(group: Any, where: str, shapes: list[tuple[int, ...]],
                      names: list[str] | None = None) -> list[np.ndarray]:
    """The datasets "0", "1", ... of an HDF5 group, checked to be plain numeric arrays in this file of
    the expected ``shapes`` before any data is read (a small file can declare a huge dataset)."""
    h5py = _h5py()
    keys = list(group.keys())
    if sorted(keys, key=lambda k: int(k) if k.isdigit() else -1) != [str(i) for i in range(len(keys))]:
        raise LoadError(f"{where} holds entries {keys}; expected datasets named 0, 1, 2, ...")
    if len(keys) != len(shapes):
        raise LoadError(f"{where} holds {len(keys)} arrays; {len(shapes)} are needed.")
    datasets = []
    for key, shape, name in zip(map(str, range(len(keys))), shapes, names or [""] * len(shapes)):
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise LoadError(f"{where}/{key} is a link to elsewhere ({type(link).__name__}); refused.")
        item = group[key]
        if not isinstance(item, h5py.Dataset) or item.dtype.kind not in "biuf":
            raise LoadError(f"{where}/{key} is not a numeric array.")
        if tuple(item.shape) != tuple(shape):
            raise LoadError(f"{where}/{key} {name} needs shape {tuple(shape)}, the file has {tuple(item.shape)}.")
        datasets.append(item)
    arrays = [np.asarray(item[()]) for item in datasets]
    for key, array in enumerate(arrays):
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise LoadError(f"{where}/{key} contains NaN or inf.")
    return arrays


def check_tree(group: Any, where: str = "") -> None:
    """Every entry of an HDF5 file is data held in the file itself: no soft or external links, no
    dataset stored in outside files (external storage) or assembled from them (virtual datasets)."""
    h5py = _h5py()
    for key in group:
        path = f"{where}/{key}"
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise LoadError(f"{path} is a link to elsewhere ({type(link).__name__}); refused.")
        item = group[key]
        if isinstance(item, h5py.Group):
            check_tree(item, path)
        elif isinstance(item, h5py.Dataset):
            if item.external:
                raise LoadError(f"{path} keeps its data in outside files {[e[0] for e in item.external]}; refused.")
            if item.is_virtual:
                raise LoadError(f"{path} is a virtual dataset assembled from other files; refused.")
        else:
            raise LoadError(f"{path} is a {type(item).__name__}, not a group or dataset; refused.")


def read_weights(model: Any, source: Any, load_optimizer: bool = True, skip: Any = ()) -> None:
    """Set the model's weights (and optimizer state) from a Keras weights file; all checked first. The layers in
    ``skip`` (Keras's objects_to_skip) keep theirs."""
    h5py = _h5py()
    with h5py.File(source, "r") as f:
        check_tree(f)
        if "layers" not in f:
            raise LoadError("The weights file has no 'layers' group: not a Keras 3 weights file.")
        weights = _read_layers(f, model, skip={id(layer) for layer in skip})
        optimizer_state = None
        if load_optimizer and model.optimizer is not None and "optimizer/vars" in f:
            group = f["optimizer/vars"]
            probe = copy.deepcopy(model.optimizer)  # the shapes it will have, without building the real one
            counters = [v.shape for v in probe.variables]
            if len(group) != len(counters):
                if not probe.built:
                    probe.build(model.trainable_weights)
                counters = [v.shape for v in probe.variables]
            optimizer_state = _numeric_datasets(group, "optimizer/vars", counters)
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
        # an existing file keeps its mode; a new one gets what a plain open() gives (mkstemp makes 0600)
        mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else 0o666 & ~_umask()
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def save_target(model: Any, filepath: str | os.PathLike, ending: str, overwrite: bool) -> str:
    """Check the file name's ending, the overwrite flag and that the model is built."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(ending):
        other = "save_weights for .weights.h5" if ending == ".keras" else "save for .keras"
        raise ValueError(f"This file name must end in {ending}, got {filepath!r} (use {other}).")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")
    if not model.built:
        raise ValueError("The model is not built yet, so it has no weights to save: give it an Input(shape=...), "
                         "call build(input_shape), or call it on data first.")
    return filepath


def read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise LoadError(f"The file has no {name}: not a Keras 3 .keras file.") from None
    if info.file_size > limit:
        raise LoadError(f"{name} would unpack to {info.file_size} bytes, over the limit of {limit}.")
    return archive.read(name)


def _with_vocabularies(config: Any, vocabularies: dict[str, bytes], where: str = "") -> None:
    """Lookup layers adapted in Keras keep their vocabulary in the file's assets (one entry per line, the OOV
    token first), not in config.json: put it, read as text, into the config of each lookup that has none
    (before anything is built: the vocabulary sets the lookup's output width)."""
    entries = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(entries, list) or not vocabularies:
        return
    if config.get("input_layers") is None:  # a Sequential: its InputLayer has no path of its own
        entries = [e for e in entries if not (isinstance(e, dict) and e.get("class_name") == "InputLayer")]
    names = [e.get("class_name", "") if isinstance(e, dict) else "" for e in entries]
    for entry, path in zip(entries, paths_of([str(n) for n in names])):
        if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
            continue
        if entry.get("class_name") in ("Sequential", "Functional"):
            _with_vocabularies(entry["config"], vocabularies, f"{where}{path}/")
            continue
        text = vocabularies.get(f"{where}{path}")
        layer_config = entry["config"]
        if text is None or entry.get("class_name") not in ("StringLookup", "IntegerLookup") or \
                layer_config.get("vocabulary") is not None:
            continue
        try:  # as Keras reads it: text with universal newlines, split into lines, empty last lines dropped
            tokens = text.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n").splitlines()
            while tokens and tokens[-1] == "":
                tokens.pop()
        except UnicodeDecodeError as err:
            raise LoadError(f"assets/{where}{path}/vocabulary.txt is not UTF-8 text ({err}).") from None
        oov = layer_config.get("oov_token", "[UNK]" if entry["class_name"] == "StringLookup" else -1)
        if tokens and tokens[0] == str(oov):
            tokens = tokens[1:]
        if entry["class_name"] == "IntegerLookup":
            try:
                tokens = [int(t) for t in tokens]
            except ValueError as err:
                raise LoadError(f"assets/{where}{path}/vocabulary.txt: {err}") from None
        layer_config["vocabulary"] = tokens


def model_from_spec(spec: Any, compile: bool = True) -> Any:
    """A model from the dict in config.json: every class is looked up in nnlite's registries, never imported."""
    if not isinstance(spec, dict):
        raise LoadError(f"config.json must hold a JSON object, got {type(spec).__name__}.")
    try:
        model = layers.deserialize(spec)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as err:
        raise LoadError(f"config.json: {err}") from None
    if not callable(getattr(model, "compile_from_config", None)):
        raise LoadError(f"config.json describes a {type(model).__name__} layer, not a model.")
    if not model.built:
        raise LoadError("The model in config.json has no input shape, so its weights cannot be read.")
    compile_config = spec.get("compile_config")
    if compile and compile_config:
        try:
            model.compile_from_config(compile_config)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as err:
            raise LoadError(f"config.json compile_config: {err}") from None
    return model


def check_sizes(spec: Any, source: Any) -> None:
    """Before anything is built: the weight shapes a Sequential config asks for (nested models too)
    against those the weights file holds, so a small file cannot make nnlite allocate huge layers."""
    config = spec.get("config") if isinstance(spec, dict) else None
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        return
    h5py = _h5py()
    with h5py.File(source, "r") as f:
        check_tree(f)
        _check_entries(config, None, f, "", functional=spec.get("class_name") == "Functional")


def _check_entries(config: dict, shape: Any, group: Any, where: str, functional: bool = False) -> Any:
    """Walk a model config's layers: a Sequential's with the shape flowing through them, a functional
    model's each with the input shape its build_config names; returns the output shape (Sequential)."""
    parts = []
    for entry in config.get("layers") or []:
        nested = isinstance(entry, dict) and entry.get("class_name") in ("Sequential", "Functional")
        if nested and isinstance(entry.get("config"), dict):
            parts.append(entry)  # a nested model: checked from its own config, never built here
            continue
        try:  # configs only: nothing is built
            body = {k: v for k, v in entry.items() if k not in ("inbound_nodes", "name")} if functional else entry
            parts.append((layers.deserialize(body), (entry.get("build_config") or {}).get("input_shape")))
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as err:
            raise LoadError(f"config.json: {err}") from None
    names = [part["class_name"] if isinstance(part, dict) else type(part[0]).__name__ for part in parts]
    paths = paths_of(names)
    if not functional:
        inputs = [p[0] for p in parts if not isinstance(p, dict) and isinstance(p[0], layers.InputLayer)]
        paths = paths_of([n for p, n in zip(parts, names) if isinstance(p, dict) or not isinstance(p[0],
                                                                                            layers.InputLayer)])
        parts = [p for p in parts if isinstance(p, dict) or not isinstance(p[0], layers.InputLayer)]
        shape = inputs[0].shape if inputs else (shape if shape is not None else config.get("build_input_shape"))
        if not isinstance(shape, (list, tuple)) or not shape:
            return None
        shape = tuple(shape)
    for part, path in zip(parts, paths):
        if isinstance(part, dict):
            sub = group.get(path)
            inner = _check_entries(part["config"], shape if not functional else None,
                                   sub if sub is not None else {}, f"{where}{path}/",
                                   functional=part.get("class_name") == "Functional")
            if not functional:
                if inner is None:
                    return None
                shape = inner
            continue
        layer, declared = part
        if functional:
            if not isinstance(declared, (list, tuple)) or not declared:
                continue  # no build config: the layer is built from its inputs, checked when read
            shape = tuple(tuple(s) if isinstance(s, (list, tuple)) else s for s in declared)
        expected = layer.weight_shapes(shape)
        if expected is not None:
            found = group.get(f"{path}/vars") if hasattr(group, "get") else None
            stored = [tuple(found[str(i)].shape) for i in range(len(found))] if found is not None else []
            if [tuple(e) for e in expected] != stored:
                raise LoadError(f"layer {layer.name!r} ({type(layer).__name__}) needs weights of shapes "
                                f"{[tuple(e) for e in expected]}, the file holds {stored}; refused before building it.")
        if not functional:
            shape = tuple(layer.compute_output_shape(shape))
    return None if functional else shape


def build_loaded(raw_config: bytes, raw_weights: bytes, compile: bool,
                  vocabularies: dict[str, bytes] | None = None) -> Any:
    try:
        spec = json.loads(raw_config.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LoadError(f"config.json is not valid JSON ({err}).") from None
    if isinstance(spec, dict):
        _with_vocabularies(spec.get("config"), vocabularies or {})
    check_sizes(spec, io.BytesIO(raw_weights))
    model = model_from_spec(spec, compile=compile)
    read_weights(model, io.BytesIO(raw_weights), load_optimizer=compile)
    return model


def guarded(filepath: str, action: Callable[[], Any]) -> Any:
    """Run a load step; any failure inside a library becomes one clear LoadError."""
    try:
        return action()
    except LoadError as err:
        raise LoadError(f"Cannot load {filepath}: {err}") from None
    except (OSError, KeyError, ValueError, TypeError, AttributeError, IndexError, RuntimeError,
            OverflowError, RecursionError, MemoryError) as err:
        raise LoadError(f"Cannot load {filepath}: the file is corrupted or unsupported "
                        f"({type(err).__name__}: {err}).") from None



"""Keras 3 files, both ways (what ``nnlite.saving`` reads and writes): ``.keras`` models and ``.weights.h5`` weights.

A ``.keras`` file is a zip of ``config.json`` (the architecture and compile settings),
``metadata.json`` and ``model.weights.h5`` (layers/<name>/vars/<i>, then the
optimizer's iteration count, learning rate and slots in Keras's order).

Loading treats a file as data. The config is read with ``json`` and checked against
an allow-list of Keras classes nnlite implements; anything else (a Lambda layer, a
custom object, an unknown module) is refused by name. Nothing is unpickled, imported
or evaluated, and HDF5 links that point outside the file are refused. Saving writes a
temporary file beside the target and renames it, so an interrupted save leaves the
previous file whole. h5py is needed for both (``pip install "nnlite-keras[keras-files]"``).
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
from ..layers.base import snake_names
from ..limits import MAX_CONFIG_BYTES, MAX_INFLATION, MAX_WEIGHTS_BYTES, LoadError, inflation_checked, weight_budget

KERAS_VERSION = "3.15.1"
__all__ = ["MAX_CONFIG_BYTES", "MAX_INFLATION", "MAX_WEIGHTS_BYTES", "LoadError"]  # re-exported from limits


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Saving and loading Keras files needs h5py: pip install h5py "
                          '(or pip install "nnlite-keras[keras-files]").') from None
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
def paths_of(class_names: list[str]) -> list[str]:
    """layers/<class in snake case>[_n] for each layer of a model, numbered per class in order."""
    return [f"layers/{name}" for name in snake_names(class_names)]


def write_weights(model: Any, target: Any, include_optimizer: bool = True, skip: Any = ()) -> None:
    """Write model (and optimizer) variables to an HDF5 file or file object in Keras's layout; the layers in
    ``skip`` (Keras's objects_to_skip) are left out."""
    h5py = _h5py()
    with h5py.File(target, "w") as f:
        _write_layers(f, model, {id(layer) for layer in skip})
        if include_optimizer and model.optimizer is not None:
            _write_optimizer(f.create_group("optimizer"), model.optimizer)
        f.create_group("vars").attrs["name"] = model.name


def _write_optimizer(group: Any, optimizer: Any) -> None:
    """optimizer/vars: every variable of the optimizer; a wrapper's inner optimizer (LossScaleOptimizer's) again
    under inner_optimizer/vars, as Keras writes it."""
    vars_group = group.create_group("vars")
    vars_group.attrs["name"] = optimizer.name.lower()
    for i, array in enumerate(optimizer_arrays(optimizer)):
        vars_group.create_dataset(str(i), data=array)
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is not None:
        _write_optimizer(group.create_group("inner_optimizer"), inner)


def _nested(layer: Any) -> bool:
    """A model used as a layer: its layers get groups of their own (layers/<model>/layers/...)."""
    return callable(getattr(layer, "compile_from_config", None))


def _write_layers(group: Any, model: Any, skip: set[int], seen: set[int] | None = None) -> None:
    seen = set() if seen is None else seen  # each layer once, at the first path that reaches it (Keras's walk)
    for path, layer in model.saved_layers():  # where Keras's walk puts each layer
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        vars_group = group.create_group(path).create_group("vars")
        vars_group.attrs["name"] = layer.name
        if id(layer) in skip:
            continue
        if _nested(layer):
            _write_layers(group[path], layer, skip, seen)
            continue
        for where, weights in layer.weight_groups():
            if where:  # the layers it holds (a recurrent layer's cell, a wrapper's layer)
                here = group[path].create_group(f"{where}/vars")
                for i, w in enumerate(weights):
                    here.create_dataset(str(i), data=w.value)
        store: dict[str, Any] = {}
        layer.save_own_variables(store)  # its own weights, by name what Keras keeps so (a tf_idf lookup's idf)
        for key, value in store.items():
            vars_group.create_dataset(str(key), data=np.asarray(getattr(value, "value", value)))


def _loads_its_own(layer: Any) -> bool:
    """A layer whose class overrides load_own_variables (Keras's extension point) reads its "vars" group itself."""
    return type(layer).load_own_variables is not layers.Layer.load_own_variables


def _read_layers(group: Any, model: Any, where: str = "", skip: set[int] | None = None,
                 named: list[tuple[Any, dict[str, np.ndarray]]] | None = None,
                 own: list[tuple[Any, dict[str, np.ndarray]]] | None = None,
                 seen: set[int] | None = None) -> list[tuple[Any, np.ndarray]]:
    """(weight, array) for every weight of ``model``'s layers, in the file's order, checked first (a layer in
    ``skip`` keeps its own); the arrays a layer keeps by name (``file_arrays``) are added to ``named``, and a
    layer that loads its own variables gets its group's entries in ``own`` (its weights keep their values here)."""
    pairs: list[tuple[Any, np.ndarray]] = []
    named = [] if named is None else named
    own = [] if own is None else own
    seen = set() if seen is None else seen  # each layer once, where the writer put it
    for path, layer in model.saved_layers():  # where Keras's walk puts each layer
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        here = f"{where}{path}"
        if id(layer) in (skip or ()):
            pairs += [(w, np.array(w.value)) for w in layer.weights]
            continue
        if _nested(layer):
            if path not in group:
                raise LoadError(f"The weights file has no group for the model {layer.name!r} ({here}).")
            pairs += _read_layers(group[path], layer, f"{here}/", skip, named, own, seen)
            continue
        by_name, loads_its_own = layer.file_arrays(), _loads_its_own(layer)
        if loads_its_own:
            if f"{path}/vars" not in group:
                raise LoadError(f"The weights file has no group for layer {layer.name!r} ({where}{path}/vars).")
            own.append((layer, _entries(group[f"{path}/vars"], f"{where}{path}/vars")))
            by_name = {}
        for sub, weights in layer.weight_groups():
            if not sub and loads_its_own:
                pairs += [(w, np.array(w.value)) for w in weights]  # kept; its load_own_variables sets them
                continue
            vars_path = f"{path}/{sub}/vars" if sub else f"{path}/vars"
            if (weights or (by_name and not sub)) and vars_path not in group:
                raise LoadError(f"The weights file has no weights for layer {layer.name!r} ({where}{vars_path}).")
            if vars_path in group:
                pairs += zip(weights, _numeric_datasets(group[vars_path], f"{where}{vars_path}",
                                                        [w.shape for w in weights], [w.name for w in weights],
                                                        () if sub else by_name))
        if by_name:
            named.append((layer, {key: _numeric_datasets(group[f"{path}/vars"][key], f"{where}{path}/vars/{key}",
                                                         [array.shape], by_name=())[0]
                                  for key, array in by_name.items()}))
    return pairs


def _entries(group: Any, where: str) -> dict[str, np.ndarray]:
    """Every dataset of a layer's "vars" group by name, for the layer's own load_own_variables: numbers (finite)
    or strings, held in the file (``check_tree`` bounded their size)."""
    h5py = _h5py()
    entries = {}
    for key in group:
        item = group[key]
        strings = h5py.check_string_dtype(item.dtype) is not None if isinstance(item, h5py.Dataset) else False
        if not isinstance(item, h5py.Dataset) or not (item.dtype.kind in "biufS" or strings):
            raise LoadError(f"{where}/{key} is not an array of numbers or strings.")
        array = np.asarray(item.asstr()[()] if strings else item[()])
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise LoadError(f"{where}/{key} contains NaN or inf.")
        entries[str(key)] = array
    return entries


def _numeric_datasets(group: Any, where: str, shapes: list[tuple[int, ...]],
                      names: list[str] | None = None, by_name: Any = ()) -> list[np.ndarray]:
    """The datasets "0", "1", ... of an HDF5 group, checked to be plain numeric arrays in this file of
    the expected ``shapes`` before any data is read (a small file can declare a huge dataset). The keys in
    ``by_name`` (arrays a layer keeps by name) must be there too, and are read apart. A dataset itself (no group)
    is read as the one array of ``shapes``."""
    h5py = _h5py()
    if isinstance(group, h5py.Dataset):  # one array kept by name
        item = group
        if item.dtype.kind not in "biuf" or tuple(item.shape) != tuple(shapes[0]):
            raise LoadError(f"{where} needs a numeric array of shape {tuple(shapes[0])}; the file has "
                            f"{item.dtype} {tuple(item.shape)}.")
        array = np.asarray(item[()])
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise LoadError(f"{where} contains NaN or inf.")
        return [array]
    missing = sorted(set(by_name) - set(group.keys()))
    if missing:
        raise LoadError(f"{where} has no {missing[0]!r}, which the layer needs.")
    for key in by_name:
        if not isinstance(group.get(key, getlink=True), h5py.HardLink):
            raise LoadError(f"{where}/{key} is a link to elsewhere; refused.")
    keys = [k for k in group.keys() if k not in by_name]
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


def check_tree(group: Any, where: str = "") -> int:
    """Every entry of an HDF5 file is data held in the file itself: no soft or external links, no
    dataset stored in outside files (external storage) or assembled from them (virtual datasets), and the
    datasets' declared bytes within ``MAX_INFLATION`` of the bytes they store. Returns the number of
    elements the datasets under ``layers/`` hold (what the file can pay for, see ``nnlite.limits``)."""
    declared, stored, elements = _walk(group, where, [0, 0, 0])
    inflation_checked(declared, stored, f"The weights file's datasets ({where or '/'})")
    return elements


def _walk(group: Any, where: str, totals: list[int]) -> list[int]:
    """[declared bytes, stored bytes, elements of the layers' weights (all but the optimizer's)] of the datasets
    below ``group``, checked."""
    h5py = _h5py()
    for key in group:
        path = f"{where}/{key}"
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise LoadError(f"{path} is a link to elsewhere ({type(link).__name__}); refused.")
        item = group[key]
        if isinstance(item, h5py.Group):
            _walk(item, path, totals)
        elif isinstance(item, h5py.Dataset):
            if item.external:
                raise LoadError(f"{path} keeps its data in outside files {[e[0] for e in item.external]}; refused.")
            if item.is_virtual:
                raise LoadError(f"{path} is a virtual dataset assembled from other files; refused.")
            totals[0] += item.size * item.dtype.itemsize
            totals[1] += item.id.get_storage_size()
            totals[2] += 0 if path.startswith("/optimizer/") else item.size  # a layer's (a model's own included)
        else:
            raise LoadError(f"{path} is a {type(item).__name__}, not a group or dataset; refused.")
    return totals


def read_weights(model: Any, source: Any, load_optimizer: bool = True, skip: Any = ()) -> None:
    """Set the model's weights (and optimizer state) from a Keras weights file; all checked first. The layers in
    ``skip`` (Keras's objects_to_skip) keep theirs.

    Args:
        model: the built model.
        source: the ``.weights.h5`` file: its path, or a binary file object (a member of a ``.keras`` zip).
        load_optimizer: also set the optimizer's state when the file holds it.
        skip: layers that keep their own weights.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "m.weights.h5")
        >>> model.save_weights(path)
        >>> other = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1)])
        >>> nnlite.saving.read_weights(other, path)
        >>> other.get_weights()[0].ravel().tolist()
        [1.0, 1.0]
    """
    h5py = _h5py()
    with h5py.File(source, "r") as f:
        check_tree(f)
        if "layers" not in f and any(path.startswith("layers/") for path, _ in model.saved_layers()):
            raise LoadError("The weights file has no 'layers' group: not a Keras 3 weights file.")
        named: list[tuple[Any, dict[str, np.ndarray]]] = []
        own: list[tuple[Any, dict[str, np.ndarray]]] = []
        found = {id(w): array for w, array in _read_layers(f, model, skip={id(layer) for layer in skip},
                                                           named=named, own=own)}
        missing = [w.path for w in model.weights if id(w) not in found]
        if missing:
            raise LoadError(f"The weights file's layout leaves out weights of the model: {missing[:5]}.")
        weights = [found[id(w)] for w in model.weights]
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
    for layer, arrays in named:
        layer.set_file_arrays(arrays)
    for layer, entries in own:  # the layers that read their own group: their code, after the checked rest
        try:
            layer.load_own_variables(entries)
        except (ValueError, TypeError, KeyError, IndexError) as err:
            raise LoadError(f"Layer {layer.name!r}'s load_own_variables refused what the file holds: "
                            f"{type(err).__name__}: {err}") from None
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
    inflation_checked(info.file_size, info.compress_size, name)
    return archive.read(name)


def _with_vocabularies(config: Any, vocabulary: Callable[[str], bytes | None], where: str = "") -> None:
    """Lookup layers adapted in Keras keep their vocabulary in the file's assets (one entry per line, the OOV
    token first), not in config.json: put it, read as text, into the config of each lookup that has none
    (before anything is built: the vocabulary sets the lookup's output width)."""
    entries = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(entries, list):
        return
    if config.get("input_layers") is None:  # a Sequential: its InputLayer has no path of its own
        entries = [e for e in entries if not (isinstance(e, dict) and e.get("class_name") == "InputLayer")]
    names = [e.get("class_name", "") if isinstance(e, dict) else "" for e in entries]
    for entry, path in zip(entries, paths_of([str(n) for n in names])):
        if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
            continue
        if entry.get("class_name") in ("Sequential", "Functional"):
            _with_vocabularies(entry["config"], vocabulary, f"{where}{path}/")
            continue
        layer_config = entry["config"]
        if entry.get("class_name") not in ("StringLookup", "IntegerLookup", "TextVectorization") or \
                layer_config.get("vocabulary") is not None:
            continue
        text = vocabulary(f"{where}{path}")  # only the assets a lookup uses are read
        if text is None:
            continue
        try:  # as Keras reads it: text with universal newlines, split into lines, empty last lines dropped
            tokens = text.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n").splitlines()
            while tokens and tokens[-1] == "":
                tokens.pop()
        except UnicodeDecodeError as err:
            raise LoadError(f"assets/{where}{path}/vocabulary.txt is not UTF-8 text ({err}).") from None
        if entry["class_name"] == "TextVectorization":  # its padding and OOV tokens first
            if tokens and tokens[0] == "":
                tokens = tokens[1:]
            if tokens and tokens[0] == str(layer_config.get("oov_token", "[UNK]")):
                tokens = tokens[1:]
        if entry["class_name"] == "IntegerLookup":
            try:
                tokens = [int(t) for t in tokens]
            except ValueError as err:
                raise LoadError(f"assets/{where}{path}/vocabulary.txt: {err}") from None
        layer_config["vocabulary"] = tokens  # a lookup's special tokens lead it, as set_vocabulary takes them
        if layer_config.get("output_mode") == "tf_idf" and entry["class_name"] != "TextVectorization" and \
                layer_config.get("idf_weights") is None:
            layer_config["idf_weights"] = [0.0] * len(tokens)  # stand-ins: the weights file holds the idf


def model_from_spec(spec: Any, compile: bool = True) -> Any:
    """A model from the dict in config.json: every class is looked up in nnlite's registries, never imported.

    Args:
        spec: the parsed config.json of a ``.keras`` file.
        compile: compile the model as its ``compile_config`` says.

    Example:
        >>> import numpy as np, nnlite
        >>> spec = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        ...     {"class_name": "InputLayer", "config": {"batch_shape": [None, 2]}},
        ...     {"class_name": "Dense", "config": {"units": 1}}]}}
        >>> nnlite.saving.model_from_spec(spec).output_shape
        (None, 1)
    """
    if not isinstance(spec, dict):
        raise LoadError(f"config.json must hold a JSON object, got {type(spec).__name__}.")
    try:  # the constructors' own checks refuse bad values with ValueError/TypeError
        model = layers.deserialize(spec)
    except LoadError:
        raise
    except (ValueError, TypeError, RecursionError) as err:
        raise LoadError(f"config.json: {err}") from None
    if not callable(getattr(model, "compile_from_config", None)):
        raise LoadError(f"config.json describes a {type(model).__name__} layer, not a model.")
    if not model.built and isinstance(spec.get("build_config"), dict):  # a subclassed model: built as Keras builds it
        try:
            model.build_from_config(spec["build_config"])
        except (ValueError, TypeError) as err:
            raise LoadError(f"config.json: build_config: {err}") from None
    if not model.built:
        raise LoadError("The model in config.json has no input shape, so its weights cannot be read.")
    compile_config = spec.get("compile_config")
    if compile and compile_config:
        try:
            model.compile_from_config(compile_config)
        except (ValueError, TypeError, RecursionError) as err:
            raise LoadError(f"config.json compile_config: {err}") from None
    return model


def build_loaded(raw_config: bytes, raw_weights: bytes, compile: bool,
                 vocabulary: Callable[[str], bytes | None] = lambda path: None) -> Any:
    """The model a file's config.json and model.weights.h5 describe; its layers may create no more weight
    elements than the weights file holds (``nnlite.limits``). ``vocabulary(path)`` reads a lookup's asset."""
    try:
        spec = json.loads(raw_config.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LoadError(f"config.json is not valid JSON ({err}).") from None
    if isinstance(spec, dict):
        _with_vocabularies(spec.get("config"), vocabulary)
    with _h5py().File(io.BytesIO(raw_weights), "r") as f:
        elements = check_tree(f)
    with weight_budget(elements):
        model = model_from_spec(spec, compile=compile)
    read_weights(model, io.BytesIO(raw_weights), load_optimizer=compile)
    return model


def guarded(filepath: str, action: Callable[[], Any]) -> Any:
    """Run a load step, naming the file in a LoadError. An error raised inside h5py while it reads the file
    (a corrupted HDF5 structure) is one too; any other error is an error in nnlite and reaches the caller
    as it is."""
    try:
        return action()
    except LoadError as err:
        raise LoadError(f"Cannot load {filepath}: {err}") from None
    except Exception as err:
        if not _raised_in_h5py(err):
            raise
        raise LoadError(f"Cannot load {filepath}: the weights file is corrupted or unsupported "
                        f"({type(err).__name__}: {err}).") from None


def _raised_in_h5py(err: BaseException) -> bool:
    """Whether the innermost frame of ``err``'s traceback is h5py's code (or its compiled part)."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    parts = os.path.normpath(tb.tb_frame.f_code.co_filename).split(os.sep) if tb is not None else []
    return "h5py" in parts

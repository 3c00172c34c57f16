"""Models, as ``keras.models``: Model (the training API), Sequential (a stack of
layers) and Functional (a graph of layers, made by ``Model(inputs, outputs)``)."""

from __future__ import annotations

from typing import Any

from .cloning import clone_model
from .functional import Functional
from .model import Model
from .sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "load_model", "save_model", "model_from_json", "clone_model"]


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> Model:
    """Open a Keras 3 ``.keras`` file (see ``nnlite.saving.load_model``).

    Args:
        filepath: the ``.keras`` file.
        custom_objects: {name: class or function} for your own objects the file refers to.
        compile: also restore the compile settings and the optimizer state.
        safe_mode: Keras's guard against code in files; nnlite never runs code from a file.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> folder = tempfile.mkdtemp()
        >>> model.save(os.path.join(folder, "m.keras"))
        >>> nnlite.models.load_model(os.path.join(folder, "m.keras")).output_shape
        (None, 1)
    """
    from .. import saving

    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model: Model, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """Write ``model`` to a Keras 3 ``.keras`` file (see ``nnlite.saving.save_model``).

    Args:
        model: the model to write.
        filepath: the file, ending in ``.keras``.
        overwrite: replace an existing file.
        **kwargs: ``zipped``, ``include_optimizer`` (see ``nnlite.saving.save_model``).

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> folder = tempfile.mkdtemp()
        >>> nnlite.models.save_model(model, os.path.join(folder, "m.keras"))
        >>> sorted(os.listdir(folder))
        ['m.keras']
    """
    from .. import saving

    saving.save_model(model, filepath, overwrite=overwrite, **kwargs)


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Model:
    """A model from ``model.to_json()`` (architecture only, freshly initialised weights).

    Args:
        json_string: the text ``model.to_json()`` made.
        custom_objects: {name: class or function} for your own objects it refers to.

    Example:
        >>> import numpy as np, nnlite
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> clone = nnlite.models.model_from_json(model.to_json())
        >>> clone.output_shape
        (None, 1)
    """
    import json

    from .. import layers
    from ..registry import CustomObjectScope

    with CustomObjectScope(custom_objects):
        return layers.deserialize(json.loads(json_string))

"""Lambda: a function of the batch as a layer, differentiated by the tape like any layer of your own."""

from __future__ import annotations

import inspect
from typing import Any

from .. import serialization
from .base import LAYERS, Layer, document_keywords


def _written(function: Any) -> Any:
    """A function as Keras's config writes it: a Python lambda as its bytecode (which Keras loads only with
    safe_mode=False, and nnlite never), any other function by its (registered) name."""
    return serialization.serialize_keras_object(function)


def _read(config: Any, what: str) -> Any:
    """A function from a config: by name only (registered, an op, a Keras function); bytecode is refused."""
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        raise serialization.refused_lambda(f"This Lambda's {what}")
    return serialization.deserialize_keras_object(config)


@document_keywords
@LAYERS.register(example={"function": {"module": "builtins", "class_name": "function", "config": "tanh",
                                       "registered_name": "function"}})
class Lambda(Layer):
    """a = function(x, **arguments): any computation written with nnlite.ops (or arithmetic on its input).

    It is a layer of your own in one line: its backward pass is the tape's, over the ops the function used.

    Args:
        function: the function of the batch (and of ``mask`` or ``training``, if it takes them).
        output_shape: the output shape without the batch axis, or a function of the input shape; ``None`` to find
            it by running the function on a symbolic input.
        mask: the output's mask: a value, or a function ``mask(inputs, previous_mask)``; ``None`` for none.
        arguments: further keyword arguments passed to the function.
        {layer keywords}

    Example:
        >>> import numpy as np, nnlite
        >>> double = nnlite.layers.Lambda(lambda x: 2 * x)
        >>> double(np.array([[1.0, 2.0]])).tolist()
        [[2.0, 4.0]]
    """

    def __init__(self, function: Any, output_shape: Any = None, mask: Any = None, arguments: dict | None = None,
                 **kwargs: Any) -> None:
        if isinstance(function, dict):
            function = _read(function, "function")
        if not callable(function):
            raise TypeError(f"Lambda takes a function; got {function!r}.")
        if isinstance(output_shape, dict):
            output_shape = _read(output_shape, "output_shape")
        if isinstance(mask, dict):
            mask = _read(mask, "mask")
        super().__init__(**kwargs)
        self.function, self.arguments = function, dict(serialization.deserialize_keras_object(arguments) or {})
        self.mask, self.output_shape_setting = mask, output_shape
        self.supports_masking = mask is not None
        try:
            names = inspect.signature(function).parameters
        except (TypeError, ValueError):
            names = {}
        self.takes_mask, self.takes_training = "mask" in names, "training" in names

    def call(self, inputs: Any, mask: Any = None, training: bool | None = None) -> Any:
        """function(inputs, **arguments), with ``mask`` and ``training`` handed over when it takes them.

        Args:
            inputs: the batch.
            mask: the input's mask, or None.
            training: whether the pass trains.
        """
        kwargs = dict(self.arguments)
        if self.takes_mask:
            kwargs["mask"] = mask
        if self.takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def get_config(self):
        config = {**super().get_config(), "function": _written(self.function)}
        if self.output_shape_setting is not None:
            shape = self.output_shape_setting
            config["output_shape"] = _written(shape) if callable(shape) else list(shape)
        if self.mask is not None:
            config["mask"] = _written(self.mask) if callable(self.mask) else serialization.serialize_keras_object(
                self.mask)
        config["arguments"] = serialization.serialize_keras_object(self.arguments)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool | None = None) -> Lambda:
        """The Lambda of a config, its functions found by name (``custom_objects`` too). Keras's ``safe_mode=False``
        lets Keras run a lambda's stored bytecode; nnlite never does, whatever ``safe_mode`` says.

        Args:
            config: the layer's config.
            custom_objects: {name: function} for the functions it names.
            safe_mode: accepted for Keras's signature; bytecode is refused either way.
        """
        from ..registry import CustomObjectScope

        with CustomObjectScope(custom_objects):
            return cls(**config)
